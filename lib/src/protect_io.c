/*
 * protect_io.c - protected cards (format version 2) through a transport:
 * the public header, the card's own check of the keys (the seam for the
 * NTAG's PWD_AUTH and the applet's VERIFY), reading and decrypting, and
 * appending encrypted with read-back.  Built on lm_transport.h's public
 * functions only (identify, read, write), so that every backend reads
 * protected cards the same way; lm_protect.h has the contracts.
 *
 * lm_transport_write lives here too for now: the one public function that
 * writes a plan as it is (lm_transport_append plans version 1 itself and
 * refuses version 2).  It belongs beside lm_transport_read in
 * lib/transport/transport.c once that file's refactor has landed.
 */
#include <stdlib.h>
#include <string.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_protect.h"
#include "laufmappe/lm_transport.h"

int lm_transport_write(struct lm_transport *t, const struct lm_card_write *w, size_t n)
{
	if (!t || !w || !n)
		return LM_ERR_ARG;
	return t->ops->write(t, w, n);
}

int lm_protect_read_header(struct lm_transport *t, struct lm_protect_header *h)
{
	/* The public part, and an empty commit word of our own: the card's
	 * lies behind its access control (NTAG: AUTH0 is its page). */
	uint8_t buf[LM_PROTECT_HOLDER_OFF] = {0};
	memset(h, 0, sizeof(*h));
	int err = lm_transport_read(t, 0, buf, LM_PROTECT_PUBLIC_LEN);
	if (err)
		return err;
	buf[LM_PROTECT_COMMIT_OFF + 2] = 0xff;
	buf[LM_PROTECT_COMMIT_OFF + 3] = 0xff;
	return lm_protect_header_parse(buf, sizeof(buf), h);
}

/*
 * The seam.  What an NTAG or applet transport adds (lib/transport/, by its
 * owners): one optional member of struct lm_transport_ops, e.g.
 *   int (*authenticate)(struct lm_transport *t, const uint8_t *secret,
 *                       size_t len, uint8_t *answer, size_t answer_len,
 *                       int *tries_left);
 * which sends the secret (NTAG: PWD_AUTH with the 4-byte PWD, answer = the
 * 2-byte PACK; applet: VERIFY with the 16-byte value, no answer) and maps
 * the card's refusal to LM_ERR_WRONG_CODE with the tries left (applet
 * 63Cx: x; NTAG: -1, the tag does not say) and a card that refuses every
 * try to LM_ERR_BLOCKED (applet 6983; NTAG: PWD_AUTH NAKed once
 * AUTHLIM is used up).  This function then picks the secret by kind,
 * compares the NTAG's PACK with k->ntag_pack (a wrong PACK: a tag that is
 * not this card, LM_ERR_WRONG_CODE), and stays the only caller.  The
 * session's verified state ends with the card's session, so the daemon
 * authenticates again after a reconnect (a reset card, a new tap).
 */
int lm_protect_authenticate(struct lm_transport *t, const struct lm_card_info *info,
			    const struct lm_protect_keys *k, int *tries_left)
{
	*tries_left = -1;
	switch (info->kind) {
	case LM_KIND_IMAGE: /* no access control: the key check alone */
	case LM_KIND_NTAG213:
	case LM_KIND_NTAG215:
	case LM_KIND_NTAG216:
	case LM_KIND_APPLET: {
		/* The transport's session: PWD_AUTH (PACK compared) or VERIFY,
		 * once; LM_ERR_WRONG_CODE with the tries left, LM_ERR_BLOCKED.
		 * The session's keys then read the card through the transport
		 * (lm_transport_read_image_ex). */
		struct lm_card_info copy = *info;
		return lm_transport_unlock(t, &copy, k, tries_left);
	}
	case LM_KIND_NONE: break;
	}
	return LM_ERR_UNSUPPORTED;
}

/* The header and the committed log, as they are on the card (ciphertext). */
static int read_raw(struct lm_transport *t, const struct lm_card_info *info, uint8_t *img,
		    size_t *len)
{
	*len = 0;
	if (info->capacity < LM_PROTECT_HEADER_LEN)
		return LM_ERR_MALFORMED;
	int err = lm_transport_read(t, 0, img, LM_PROTECT_HEADER_LEN);
	size_t need = 0;
	if (!err)
		err = lm_protect_header_need(img, LM_PROTECT_HEADER_LEN, &need);
	if (!err && need > info->capacity)
		err = LM_ERR_MALFORMED;
	if (!err && need > LM_PROTECT_HEADER_LEN)
		err = lm_transport_read(t, LM_PROTECT_HEADER_LEN, img + LM_PROTECT_HEADER_LEN,
					need - LM_PROTECT_HEADER_LEN);
	if (!err)
		*len = need;
	return err;
}

int lm_protect_read_image(struct lm_transport *t, const struct lm_card_info *info,
			  const struct lm_protect_keys *k, uint8_t *img, size_t *len,
			  struct lm_card *card)
{
	int err = read_raw(t, info, img, len);
	if (!err)
		err = lm_protect_open(img, *len, info->capacity, k, img, card, NULL);
	if (err && *len)
		lm_protect_wipe(img, *len);
	return err;
}

int lm_protect_append(struct lm_transport *t, const struct lm_card_info *info,
		      const struct lm_protect_keys *k, const uint8_t *entry, size_t len)
{
	size_t cap = info->capacity;
	uint8_t *raw = malloc(cap), *plain = malloc(cap), *back = malloc(cap);
	struct lm_protect_plan *plan = malloc(sizeof(*plan));
	int err = raw && plain && back && plan ? LM_OK : LM_ERR_NOMEM;
	size_t rlen = 0, blen = 0;
	struct lm_card card;
	if (!err)
		err = read_raw(t, info, raw, &rlen);
	if (!err)
		err = lm_protect_open(raw, rlen, cap, k, plain, &card, NULL);
	if (!err)
		err = lm_protect_plan_append(&card, k, entry, len, plan);
	if (!err)
		err = lm_transport_write(t, plan->card.w, plan->card.n);
	if (!err) {
		/* Expected: the ciphertext read, with the plan's writes applied. */
		memset(raw + rlen, 0, cap - rlen);
		err = lm_card_apply(raw, cap, &plan->card);
	}
	if (!err)
		err = read_raw(t, info, back, &blen);
	if (!err && (blen != LM_PROTECT_HEADER_LEN + (size_t)plan->card.new_committed ||
		     memcmp(raw, back, blen) != 0))
		err = LM_ERR_READBACK;
	if (plain)
		lm_protect_wipe(plain, cap);
	if (plan)
		lm_protect_wipe(plan, sizeof(*plan));
	free(raw);
	free(plain);
	free(back);
	free(plan);
	return err;
}
