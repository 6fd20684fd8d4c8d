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

#define CARDCMD_CHUNK	   240 /* bytes per READ BINARY / UPDATE */
#define CARDCMD_NTAG_IMAGE 20  /* tag byte where the image starts (page 5) */

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
	size_t capacity;	/* image bytes (the NTAG TLV page excluded) */
};

/*
 * Split an APDU's answer rx[0..n) into its data (into resp, *rlen in: room,
 * out: data bytes) and the status word: LM_ERR_TRANSPORT when shorter than
 * the status word or longer than resp.
 */
int cardcmd_split_sw(const uint8_t *rx, size_t n, uint8_t *resp, size_t *rlen, uint16_t *sw);

/* Our applet: SELECT by AID, then GET DATA capacity; kind APPLET. */
int cardcmd_identify_applet(struct cardcmd_card *c);
/*
 * An NTAG behind a PC/SC part-3 reader: GET UID (FF CA) into info->uid, the
 * capability container (page 3) names the model.  LM_ERR_UNKNOWN_CARD for
 * anything else.
 */
int cardcmd_identify_part3(struct cardcmd_card *c, struct lm_card_info *info);
/* An NTAG by its GET_VERSION answer ver[0..len) (libnfc); LM_ERR_UNKNOWN_CARD otherwise. */
int cardcmd_identify_ntag_version(struct cardcmd_card *c, const uint8_t *ver, size_t len);

/* Image bytes [off, off+len) of an identified card; LM_ERR_ARG beyond its capacity. */
int cardcmd_read(struct cardcmd_card *c, size_t off, uint8_t *buf, size_t len);
/* A plan's writes (the last one the commit); LM_ERR_CARD_FULL beyond the capacity. */
int cardcmd_write(struct cardcmd_card *c, const struct lm_card_write *w, size_t n);
/* Erase the image (applet WIPE, or every NTAG image page, commit word first). */
int cardcmd_wipe(struct cardcmd_card *c);

/* Status words to lm_err: 9000 ok, 6A84 full, 6981/6982/6985/6300 refused. */
int cardcmd_sw_err(uint16_t sw);

/* SELECT our applet by AID; LM_ERR_UNKNOWN_CARD when it is not there. */
int cardcmd_applet_select(cardcmd_apdu_fn fn, void *ctx);
/* GET DATA capacity (after SELECT). */
int cardcmd_applet_capacity(cardcmd_apdu_fn fn, void *ctx, size_t *capacity);
int cardcmd_applet_read(cardcmd_apdu_fn fn, void *ctx, size_t off, uint8_t *buf, size_t len);
/* Every write staged (UPDATE), then one COMMIT; ABORT after a refusal. */
int cardcmd_applet_write(cardcmd_apdu_fn fn, void *ctx, const struct lm_card_write *w, size_t n);
int cardcmd_applet_wipe(cardcmd_apdu_fn fn, void *ctx);

/*
 * NTAG: the writes as whole pages, in order, the commit word page last;
 * adjacent writes (an entry and its padding) are joined first.  Writing
 * image offset 0 (formatting) also writes the TLV page 4 "FD FF LL LL".
 */
int cardcmd_ntag_write(cardcmd_page_fn fn, void *ctx, size_t capacity,
		       const struct lm_card_write *w, size_t n);
/* NTAG: the commit word page zeroed first (the image is gone at once), then the rest. */
int cardcmd_ntag_wipe(cardcmd_page_fn fn, void *ctx, size_t capacity);

#endif
