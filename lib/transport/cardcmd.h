/*
 * cardcmd.h - what our two kinds of card need, whatever the reader: the
 * applet's APDU sequences and the NTAG page layout (internal to the
 * transports).  A backend supplies how one APDU or one page travels; these
 * functions supply the order and the layout, so PC/SC and libnfc cannot
 * drift apart.
 */
#ifndef LM_CARDCMD_H
#define LM_CARDCMD_H

#include <stddef.h>
#include <stdint.h>

#include "laufmappe/lm_card.h"
#include "laufmappe/lm_transport.h"
#include "lm_proto.h"

#define CARDCMD_CHUNK 240 /* bytes per READ BINARY / UPDATE */
/* The most an extended READ BINARY asks for (a backend that carries
 * extended APDUs: read_max in struct cardcmd_card). */
#define CARDCMD_EXT_READ 4096
#define CARDCMD_HEAD	 24 /* the image header's bytes (lm_card.h) kept per session */

/*
 * The NTAG layout (docs/nfc.md), all inside the NDEF data area the
 * capability container declares (CC byte 2 x 8 bytes from page 4), as an
 * NFC Forum Type 2 TLV chain a phone's NDEF reader walks:
 *   page 4  03 00 00 00      an empty NDEF message TLV (the tag is an
 *                            INITIALIZED, empty NDEF tag), two NULL TLVs
 *   page 5  FD FF LL LL      our proprietary TLV, L = image capacity (for
 *      or   00 00 FD LL      L < 255 the one-byte length, after NULLs)
 *   page 6  the image (its magic), page 7 its commit word, ...
 *   then    FE               the terminator TLV, on the page after the image
 * Capacity = (CC area - 8 - 1) rounded down to 4: NTAG213 132, NTAG215 484,
 * NTAG216 860 bytes.  Tags formatted by 0.1.0 (page 4 "FD FF LL LL", the
 * image at page 5, running past the CC area) are not read: LM_ERR_VERSION.
 */
#define CARDCMD_NTAG_PREFIX 8 /* bytes before the image: pages 4 and 5 */
#define CARDCMD_NTAG_IMAGE  (LM_NTAG_USER_PAGE * LM_NTAG_PAGE_SIZE + CARDCMD_NTAG_PREFIX)

/* Send one APDU; *rlen in: room in resp, out: data bytes; *sw the status word. */
typedef int (*cardcmd_apdu_fn)(void *ctx, const uint8_t *apdu, size_t len, uint8_t *resp,
			       size_t *rlen, uint16_t *sw);
/* Write one NTAG page (4 bytes), the tag's atomic unit. */
typedef int (*cardcmd_page_fn)(void *ctx, unsigned page, const uint8_t data[4]);
/*
 * Send one native NTAG command (READ, FAST_READ, WRITE; libnfc's
 * InDataExchange): the reply into rx[cap]; returns the reply's length, or a
 * negative lm_err.
 */
typedef int (*cardcmd_raw_fn)(void *ctx, const uint8_t *tx, size_t txlen, uint8_t *rx, size_t cap);

/*
 * One card as a backend reaches it: how a command travels (the backend's)
 * and what the card is (set by the identify functions below).  The read,
 * write and wipe below dispatch on kind and on how an NTAG is reached, so
 * that a backend is only the exchange and its library's errors, and a fake
 * exchange (tests/fuzz/fuzz_transport.c) drives the same code the readers do.
 */
struct cardcmd_card {
	cardcmd_apdu_fn apdu;	/* one APDU: our applet; PC/SC part-3 storage-card commands */
	cardcmd_raw_fn raw;	/* a native NTAG command (libnfc); NULL: NTAG through part 3 */
	void *ctx;		/* the backend's, passed to both */
	enum lm_card_kind kind; /* LM_KIND_NONE until identified */
	size_t capacity;	/* image bytes (the NTAG's TLV prefix and terminator excluded) */
	int old_layout;		/* an NTAG in the 0.1.0 layout: read gives LM_ERR_VERSION
				 * until a wipe succeeds */
	int unlocked;		/* the card took our keys in this session (VERIFY, PWD_AUTH,
				 * or the protected format): a reset loses it */
	uint8_t head[CARDCMD_HEAD]; /* the image's header, as identify (NTAG) or the
				     * first read (applet) saw it in this session */
	int have_head;		    /* head holds it; cleared by identify and every write */
	uint16_t covered;	    /* the applet's log digest (GET DATA 0004) as identify */
	uint8_t digest[32];	    /* got it, and whether it is still this session's */
	int have_digest;	    /* 1 yes, 0 not yet, -1 the applet has none (6A 88) */
	size_t read_max;	    /* applet: bytes one READ BINARY may ask for; above
				     * CARDCMD_CHUNK an extended APDU (a reader that carries
				     * them, chained on the air by ISO-DEP); 0: CARDCMD_CHUNK */
};

/*
 * Split an APDU's answer rx[0..n) into its data (into resp, *rlen in: room,
 * out: data bytes) and the status word: LM_ERR_TRANSPORT when shorter than
 * the status word or longer than resp.
 */
int cardcmd_split_sw(const uint8_t *rx, size_t n, uint8_t *resp, size_t *rlen, uint16_t *sw);

/* Our applet: SELECT by AID, then GET DATA 0004 (capacity, header and log
 * digest, kept), or GET DATA capacity where that is refused; kind APPLET. */
int cardcmd_identify_applet(struct cardcmd_card *c);
/*
 * An NTAG behind a PC/SC part-3 reader: GET UID (FF CA) into info->uid, the
 * capability container names the model (cardcmd_ntag_type); the same READ
 * BINARY (pages 3-6) gives pages 4 and 5, which say whether the tag is in
 * the 0.1.0 layout (old_layout).  LM_ERR_UNKNOWN_CARD for anything else.
 */
int cardcmd_identify_part3(struct cardcmd_card *c, struct lm_card_info *info);
/*
 * An NTAG by its GET_VERSION answer ver[0..len) (libnfc; cardcmd_ntag_type),
 * then one native READ of page 4 for the layout (old_layout);
 * LM_ERR_UNKNOWN_CARD for anything else.
 */
int cardcmd_identify_ntag_version(struct cardcmd_card *c, const uint8_t *ver, size_t len);
/*
 * An NTAG natively by one FAST_READ of pages 3-11: the capability
 * container names the model (cardcmd_ntag_type, as part 3 does), pages 4-5
 * the layout, 6-11 the header (kept in head).  LM_ERR_UNKNOWN_CARD when
 * the tag NAKs (no FAST_READ: not an NTAG21x) or its CC is not one of
 * ours: identify it by GET_VERSION then.
 */
int cardcmd_identify_ntag_cc(struct cardcmd_card *c);

/*
 * Image bytes [off, off+len) of an identified card; LM_ERR_ARG beyond its
 * capacity; LM_ERR_VERSION for an NTAG in the 0.1.0 layout.
 */
int cardcmd_read(struct cardcmd_card *c, size_t off, uint8_t *buf, size_t len);
/*
 * A plan's writes (the last one the commit; on an NTAG see
 * cardcmd_ntag_write); LM_ERR_CARD_FULL beyond the capacity.
 */
int cardcmd_write(struct cardcmd_card *c, const struct lm_card_write *w, size_t n);
/*
 * Erase the image: applet WIPE, or cardcmd_ntag_wipe (the magic page
 * first).  A tag in the 0.1.0 layout is ours again once this succeeds.
 */
int cardcmd_wipe(struct cardcmd_card *c);

/* Status words (lm_proto.h) to lm_err: 9000 ok, 6A84 full, 6981/6982/6985/6300 refused. */
int cardcmd_sw_err(uint16_t sw);

/* SELECT our applet by AID; LM_ERR_UNKNOWN_CARD when it is not there. */
int cardcmd_applet_select(cardcmd_apdu_fn fn, void *ctx);
/* GET DATA capacity (after SELECT). */
int cardcmd_applet_capacity(cardcmd_apdu_fn fn, void *ctx, size_t *capacity);
/* READ BINARY in pieces of at most max bytes (0: CARDCMD_CHUNK); above
 * CARDCMD_CHUNK with extended Le. */
int cardcmd_applet_read(cardcmd_apdu_fn fn, void *ctx, size_t off, uint8_t *buf, size_t len,
			size_t max);
/*
 * GET DATA 0004: the committed log length the applet's log digest covers
 * and the digest (docs/applet.md "Log digest"); LM_ERR_UNSUPPORTED for
 * any other card and an applet from before it (6A 88).
 */
int cardcmd_applet_digest(struct cardcmd_card *c, uint16_t *covered, uint8_t digest[32]);
/* Every write staged (UPDATE), then one COMMIT; ABORT after a refusal. */
int cardcmd_applet_write(cardcmd_apdu_fn fn, void *ctx, const struct lm_card_write *w, size_t n);
int cardcmd_applet_wipe(cardcmd_apdu_fn fn, void *ctx);

/*
 * NTAG: which size a tag is (lm_proto.h's lm_ntag_types), by its CC size
 * byte (PC/SC reads the CC) or its GET_VERSION size byte (libnfc; pass 0
 * for the one not known), and the image capacity our layout gives it;
 * LM_ERR_UNKNOWN_CARD for another tag.
 */
int cardcmd_ntag_type(uint8_t cc_size, uint8_t version_size, enum lm_card_kind *kind,
		      size_t *capacity);

/*
 * NTAG: pages 4 and 5 (the first 8 bytes of user memory, as read) in our
 * layout or blank: LM_OK; in the 0.1.0 layout (a proprietary TLV first):
 * LM_ERR_VERSION, so such a tag is never taken for a blank one.
 */
int cardcmd_ntag_layout(const uint8_t user[CARDCMD_NTAG_PREFIX]);

/*
 * NTAG: the writes as whole pages, in order, the commit word page last;
 * adjacent writes (an entry and its padding) are joined first.  Writing
 * image offset 0 (the magic: formatting) first writes pages 4 and 5 (the
 * empty NDEF TLV and our TLV's head) and the terminator page.
 */
int cardcmd_ntag_write(cardcmd_page_fn fn, void *ctx, size_t capacity,
		       const struct lm_card_write *w, size_t n);
/* NTAG: the magic page zeroed first (the image is gone at once), then the
 * rest and the terminator; last page 4 becomes "03 00 FE 00" (an empty NDEF
 * tag, as NXP ships it). */
int cardcmd_ntag_wipe(cardcmd_page_fn fn, void *ctx, size_t capacity);

/*
 * Protected cards (docs/format.md 8; the caller has run lm_protect_check).
 * cardcmd_status: the applet's VERIFY status (00 20 00 81): LM_OK with
 * *tries_left (63 Cx), LM_ERR_BLOCKED (69 83), LM_ERR_NOT_FOUND for no
 * reference (6A 88) or an applet 1.0 (6D 00); an NTAG: LM_OK, -1 (it does
 * not tell).  cardcmd_unlock: VERIFY with keys.applet (LM_ERR_WRONG_CODE
 * with the tries of 63 Cx, LM_ERR_BLOCKED), or PWD_AUTH with keys.ntag_pwd
 * (natively through raw, through PC/SC part 3 in a transparent session) and
 * the PACK compared; sent once.  cardcmd_write_protected: a protected
 * format's writes with the card's access control (applet: CHANGE REFERENCE
 * DATA staged before the one COMMIT; NTAG: the pages, then PWD, PACK,
 * ACCESS = PROT | AUTHLIM 2 (4 failures), AUTH0 = page 12 last).  A wipe of an NTAG
 * authenticated in this session also sets AUTH0 back to FF (unprotected).
 */
int cardcmd_status(struct cardcmd_card *c, int *tries_left);
int cardcmd_unlock(struct cardcmd_card *c, const struct lm_protect_keys *k, int *tries_left);
/*
 * End the card's unlocked state before the connection is dropped (another
 * program may connect next without a reset): the applet gets a SELECT (it
 * ends VERIFY's state), an NTAG behind a part 3 reader the field off and on
 * (PWD_AUTH forgotten).  Nothing when not unlocked; errors are ignored (a
 * card that left the field has forgotten already).
 */
void cardcmd_lock(struct cardcmd_card *c);
int cardcmd_write_protected(struct cardcmd_card *c, const struct lm_card_write *w, size_t n,
			    const struct lm_protect_keys *k);

#endif
