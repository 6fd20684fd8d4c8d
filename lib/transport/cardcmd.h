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

/* Status words (lm_proto.h) to lm_err: 9000 ok, 6A84 full, 6981/6982/6985/6300 refused. */
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
 * NTAG: which size a tag is (lm_proto.h's lm_ntag_types), by its CC size
 * byte (PC/SC reads the CC) or its GET_VERSION size byte (libnfc; pass 0
 * for the one not known), and the image capacity our layout gives it;
 * LM_ERR_UNKNOWN_CARD for another tag.
 */
int cardcmd_ntag_type(uint8_t cc_size, uint8_t version_size, enum lm_card_kind *kind,
		      size_t *capacity);

/*
 * NTAG: the writes as whole pages, in order, the commit word page last;
 * adjacent writes (an entry and its padding) are joined first.  Writing
 * image offset 0 (formatting) also writes the TLV page 4 "FD FF LL LL".
 */
int cardcmd_ntag_write(cardcmd_page_fn fn, void *ctx, size_t capacity,
		       const struct lm_card_write *w, size_t n);
/* NTAG: the magic page zeroed first (the image is gone at once), then the rest. */
int cardcmd_ntag_wipe(cardcmd_page_fn fn, void *ctx, size_t capacity);

#endif
