/*
 * transport.c - the backend-independent half of reaching a card: choosing
 * a backend by spec, reading the image, appending with read-back, format.
 */
#include "laufmappe/lm_transport.h"

#include <stdlib.h>
#include <string.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_key.h"
#include "laufmappe/lm_protect.h"
#include "lm_bytes.h"
#include "lm_crypto.h"

static void session_end(struct lm_transport *t);

struct backend {
	const char *prefix;
	const struct lm_transport_ops *ops;
};

static const struct backend backends[] = {
	{"fake", &lm_transport_fake_ops},
#ifdef LM_HAVE_PCSC
	{"pcsc", &lm_transport_pcsc_ops},
#endif
#ifdef LM_HAVE_NFC
	{"nfc", &lm_transport_nfc_ops},
#endif
};

int lm_transport_open(const char *spec, struct lm_transport **out)
{
	*out = NULL;
	size_t plen = strcspn(spec, ":");
	const char *where = spec[plen] == ':' && spec[plen + 1] ? spec + plen + 1 : NULL;
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		if (strlen(backends[i].prefix) != plen || strncmp(spec, backends[i].prefix, plen))
			continue;
		struct lm_transport *t = calloc(1, sizeof(*t));
		if (!t)
			return LM_ERR_NOMEM;
		t->ops = backends[i].ops;
		int err = t->ops->open(t, where);
		if (err) {
			free(t);
			return err;
		}
		*out = t;
		return LM_OK;
	}
	if (!strncmp(spec, "pcsc", plen) || !strncmp(spec, "nfc", plen))
		return LM_ERR_UNSUPPORTED; /* known, but not in this build */
	return LM_ERR_ARG;
}

void lm_transport_close(struct lm_transport *t)
{
	if (!t)
		return;
	session_end(t);
	t->ops->close(t);
	free(t);
}

const char *lm_transport_name(const struct lm_transport *t)
{
	return t->ops->name;
}

int lm_transport_blocks(const struct lm_transport *t)
{
	return t->ops->blocks;
}

const char *lm_card_kind_name(enum lm_card_kind k)
{
	switch (k) {
	case LM_KIND_APPLET: return "applet";
	case LM_KIND_NTAG213: return "ntag213";
	case LM_KIND_NTAG215: return "ntag215";
	case LM_KIND_NTAG216: return "ntag216";
	case LM_KIND_IMAGE: return "image";
	case LM_KIND_NONE: break;
	}
	return "none";
}

int lm_transport_wait_card(struct lm_transport *t, int timeout_ms)
{
	return t->ops->wait_card(t, timeout_ms);
}

/* End the protected card's session: its keys and code are wiped. */
static void session_end(struct lm_transport *t)
{
	lm_protect_keys_wipe(&t->keys);
	lm_protect_wipe(t->code, sizeof(t->code));
	t->unlocked = 0;
	t->iterations = 0;
}

/* The session starts: keys (and the canonical code, if known) kept. */
static void session_start(struct lm_transport *t, const struct lm_protect_keys *k,
			  const char *canon, uint32_t iterations)
{
	session_end(t);
	memcpy(&t->keys, k, sizeof(*k));
	if (canon)
		memcpy(t->code, canon, LM_CODE_LEN);
	t->iterations = iterations;
	t->unlocked = 1;
}

/*
 * What the card's public bytes and its access control say: a version 2
 * image is protected (LOCKED), and the applet's VERIFY status tells the
 * tries left or that it is blocked.
 */
static int identify_protection(struct lm_transport *t, struct lm_card_info *info)
{
	uint8_t pub[LM_PROTECT_PUBLIC_LEN];
	info->protection = LM_PROT_NONE;
	info->tries_left = -1;
	int err = t->ops->read(t, 0, pub, sizeof(pub));
	if (err == LM_ERR_VERSION)
		return LM_OK; /* an NTAG in the 0.1.0 layout: read says so later */
	if (err)
		return err;
	if (lm_protect_is_v2(pub, sizeof(pub)) &&
	    lm_protect_public_parse(pub, sizeof(pub), &info->header) == LM_OK)
		info->protection = LM_PROT_LOCKED;
	size_t need;
	/* A version 1 image: no code guards it (a card that kept a reference
	 * anyway refuses the log read: LM_ERR_LOCKED), so the status is not
	 * asked, one APDU less on every tap. */
	if (!t->ops->status || lm_card_header_need(pub, sizeof(pub), &need) == LM_OK)
		return LM_OK;
	int tries;
	err = t->ops->status(t, &tries);
	if (err == LM_ERR_NOT_FOUND)
		return LM_OK; /* no reference on the card */
	if (err == LM_ERR_BLOCKED) {
		info->protection = LM_PROT_BLOCKED;
		info->tries_left = 0;
		return LM_OK;
	}
	if (!err)
		info->tries_left = tries;
	return err;
}

int lm_transport_identify(struct lm_transport *t, struct lm_card_info *info)
{
	memset(info, 0, sizeof(*info));
	session_end(t);
	int err = t->ops->identify(t, info);
	if (!err && (info->capacity < LM_CARD_HEADER_LEN || info->capacity > LM_CARD_MAX))
		err = LM_ERR_UNKNOWN_CARD;
	if (!err)
		err = identify_protection(t, info);
	return err;
}

void lm_transport_disconnect(struct lm_transport *t)
{
	session_end(t);
	if (t->ops->disconnect)
		t->ops->disconnect(t);
}

int lm_transport_unlocked(const struct lm_transport *t)
{
	return t->unlocked;
}

static int unlock_keys(struct lm_transport *t, struct lm_card_info *info,
		       const struct lm_protect_keys *keys, const char *canon, int *tries_left)
{
	int tries = info->tries_left;
	if (info->protection == LM_PROT_NONE)
		return LM_ERR_ARG;
	/* The key check first: a wrong code or a forged header never reaches
	 * the card (no try spent, no password on the air). */
	int err = lm_protect_check(&info->header, keys);
	if (!err && info->protection == LM_PROT_BLOCKED)
		err = LM_ERR_BLOCKED;
	if (!err && t->ops->unlock) {
		err = t->ops->unlock(t, keys, &tries); /* once: each costs a try */
		info->tries_left = tries;
		if (err == LM_ERR_BLOCKED)
			info->protection = LM_PROT_BLOCKED, info->tries_left = 0;
	}
	if (!err)
		session_start(t, keys, canon, info->header.iterations);
	if (tries_left)
		*tries_left = info->tries_left;
	return err;
}

int lm_transport_unlock(struct lm_transport *t, struct lm_card_info *info,
			const struct lm_protect_keys *keys, int *tries_left)
{
	return unlock_keys(t, info, keys, NULL, tries_left);
}

int lm_transport_unlock_code(struct lm_transport *t, struct lm_card_info *info, const char *code,
			     int *tries_left)
{
	char canon[LM_CODE_LEN + 1];
	struct lm_protect_keys k;
	if (tries_left)
		*tries_left = info->tries_left;
	if (info->protection == LM_PROT_NONE)
		return LM_ERR_ARG;
	int err = lm_code_parse(code, canon);
	if (!err)
		err = lm_protect_derive(canon, info->header.salt, info->header.iterations, &k);
	if (!err)
		err = unlock_keys(t, info, &k, canon, tries_left);
	lm_protect_keys_wipe(&k);
	lm_protect_wipe(canon, sizeof(canon));
	return err;
}

/*
 * A protected image's header, its 24 public bytes already in img: the rest
 * of it read, the session's keys checked against it, *need (header and
 * committed log) and the holder, decrypted aside (img keeps the card's bytes).
 */
static int protected_head(struct lm_transport *t, const struct lm_card_info *info, uint8_t *img,
			  size_t *need, uint8_t holder[LM_HOLDER_LEN])
{
	if (!t->unlocked)
		return LM_ERR_LOCKED;
	if (info->capacity < LM_PROTECT_HEADER_LEN)
		return LM_ERR_MALFORMED;
	struct lm_protect_header h;
	int err = t->ops->read(t, LM_CARD_HEADER_LEN, img + LM_CARD_HEADER_LEN,
			       LM_PROTECT_HEADER_LEN - LM_CARD_HEADER_LEN);
	if (!err)
		err = lm_protect_header_parse(img, LM_PROTECT_HEADER_LEN, &h);
	if (!err)
		err = lm_protect_check(&h, &t->keys);
	if (err)
		return err;
	*need = LM_PROTECT_HEADER_LEN + (size_t)h.committed;
	if (*need > info->capacity)
		return LM_ERR_MALFORMED;
	memcpy(holder, img + LM_PROTECT_HOLDER_OFF, LM_HOLDER_LEN);
	return lm_aes128_ctr_at(t->keys.image, t->keys.ctr, LM_PROTECT_HOLDER_OFF, holder,
				LM_HOLDER_LEN);
}

/* Read image bytes [from, to) into img, in pieces handed to opts->piece. */
static int read_pieces(struct lm_transport *t, uint8_t *img, size_t from, size_t to,
		       struct lm_read_opts *opts)
{
	if (opts)
		opts->log_read += to - from;
	if (!opts || !opts->piece)
		return from < to ? t->ops->read(t, from, img + from, to - from) : LM_OK;
	size_t piece = t->ops->piece ? t->ops->piece : LM_TRANSPORT_PIECE;
	const size_t tail = LM_TRANSPORT_TAIL;
	while (from < to) {
		size_t rem = to - from, n = rem < piece ? rem : piece;
		/* The last two pieces small (at most 4 tails, then one): what is
		 * left to verify when the last byte is in is what they hold, not
		 * a whole large piece still being checked (two exchanges more at
		 * most). */
		if (piece > tail && rem > tail && rem <= 5 * tail)
			n = rem - tail;
		else if (piece > tail && rem > 5 * tail && rem - n < 5 * tail)
			n = rem - 5 * tail;
		int err = t->ops->read(t, from, img + from, n);
		if (err)
			return err;
		from += n;
		opts->piece(opts->ctx, img, from);
	}
	return LM_OK;
}

/* The same with nothing handed over (counted in opts->log_read). */
static int read_quiet(struct lm_transport *t, uint8_t *img, size_t from, size_t to,
		      struct lm_read_opts *opts)
{
	lm_transport_piece_fn piece = opts ? opts->piece : NULL;
	if (opts)
		opts->piece = NULL;
	int err = read_pieces(t, img, from, to, opts);
	if (opts)
		opts->piece = piece;
	return err;
}

/* A protected image's cipher over img[off, off+len), in place (CTR: the
 * same call both ways); nothing for a version 1 image. */
static int cipher(const struct lm_transport *t, int v2, uint8_t *img, size_t off, size_t len)
{
	return v2 && len ? lm_aes128_ctr_at(t->keys.image, t->keys.ctr, off, img + off, len)
			 : LM_OK;
}

/*
 * d chained over each entry with its padding in img[from, need), the log
 * starting at base, as the card's COMMITs chained them: over the bytes as
 * on the card.  A protected card's framing is only in its plaintext: the
 * new bytes are decrypted in place and each entry encrypted back before it
 * is chained.  LM_ERR_NOT_FOUND for a framing error (img then holds some
 * plaintext: the caller reads the whole log over it).
 */
static int chain_entries(const struct lm_transport *t, int v2, uint8_t *img, size_t base,
			 size_t from, size_t need, uint8_t d[32])
{
	struct lm_card part = {.log = img + base, .committed = (uint16_t)(need - base)};
	size_t off = from - base, elen;
	const uint8_t *e;
	int err = cipher(t, v2, img, from, need - from);
	while (!err && off < part.committed) {
		size_t at = off;
		if (lm_card_next(&part, &off, &e, &elen) != LM_OK)
			return LM_ERR_NOT_FOUND;
		err = cipher(t, v2, img, base + at, off - at);
		if (!err)
			err = lm_card_chain(d, img + base + at, off - at, d);
	}
	return err;
}

/*
 * A delta read (docs/transport.md "Delta reads of a known card"): the
 * office's k->committed log bytes into img at base (the log's start), the
 * card's [base + k->committed, need) after them; LM_OK only when the digest
 * chained from k's over each new entry is the card's (o->digest).  The new
 * bytes of a version 1 image go to the piece callback as they come
 * (o->delta is 1 meanwhile); on a mismatch the caller reads the whole log
 * over them.
 */
static int read_delta(struct lm_transport *t, int v2, uint8_t *img, size_t base, size_t need,
		      const uint8_t holder[LM_HOLDER_LEN], const struct lm_card_known *k,
		      struct lm_read_opts *o)
{
	size_t from = base + k->committed;
	if (memcmp(holder, k->holder, LM_HOLDER_LEN) || from > need || k->committed % LM_CARD_ALIGN)
		return LM_ERR_NOT_FOUND;
	memcpy(img + base, k->log, k->committed);
	o->delta = 1;
	int err = v2 ? read_quiet(t, img, from, need, o) : read_pieces(t, img, from, need, o);
	uint8_t d[32];
	memcpy(d, k->digest, sizeof(d));
	if (!err)
		err = chain_entries(t, v2, img, base, from, need, d);
	if (!err && memcmp(d, o->digest, sizeof(d)))
		err = LM_ERR_NOT_FOUND;
	return err;
}

static int read_image_opts(struct lm_transport *t, const struct lm_card_info *info, uint8_t *img,
			   size_t *len, struct lm_card *card, uint8_t recovery[LM_RECOVERY_LEN],
			   struct lm_read_opts *opts)
{
	*len = 0;
	if (opts)
		opts->delta = opts->have_digest = 0, opts->log_read = 0, opts->raw_len = 0;
	int err = t->ops->read(t, 0, img, LM_CARD_HEADER_LEN);
	if (err)
		return err;
	/* A protected image: its header decrypted aside, its log read as on
	 * the card (the digest covers the ciphertext) and decrypted whole. */
	int v2 = lm_protect_is_v2(img, LM_CARD_HEADER_LEN);
	size_t base = v2 ? LM_PROTECT_HEADER_LEN : LM_CARD_HEADER_LEN, need;
	uint8_t holder[LM_HOLDER_LEN];
	if (v2) {
		err = protected_head(t, info, img, &need, holder);
	} else {
		err = lm_card_header_need(img, LM_CARD_HEADER_LEN, &need);
		if (!err && need > info->capacity)
			err = LM_ERR_MALFORMED;
		memcpy(holder, img + 8, LM_HOLDER_LEN);
	}
	if (err)
		return err;
	uint16_t covered;
	/* The card's digest, when it keeps one for exactly this log: a delta
	 * read now, and the office's memory of the card for the next tap. */
	if (opts && t->ops->digest && t->ops->digest(t, &covered, opts->digest) == LM_OK)
		opts->have_digest = covered == need - base;
	struct lm_card_known k;
	err = LM_ERR_NOT_FOUND;
	if (opts && opts->recall && opts->have_digest &&
	    opts->recall(opts->recall_ctx, holder, &k) == LM_OK)
		err = read_delta(t, v2, img, base, need, holder, &k, opts);
	if (err == LM_ERR_NOT_FOUND && opts && opts->delta) {
		/* The card is not the office's copy plus new entries: what was
		 * handed over is gone, the log is read (and handed over) again. */
		opts->delta = 0;
		if (opts->piece && !v2) /* a protected log's pieces were not handed over */
			opts->piece(opts->ctx, img, base);
	}
	if (err == LM_ERR_NOT_FOUND) {
		if (opts)
			opts->log_read = 0;
		/* A protected log goes to the piece callback decrypted, whole. */
		err = v2 ? read_quiet(t, img, base, need, opts)
			 : read_pieces(t, img, base, need, opts);
	}
	if (err)
		return err;
	/* A whole read: the card's digest is remembered with these bytes only
	 * if it is their chain from the format's zeros (one entry per COMMIT).
	 * Else a card that answers with other bytes than it chained (or claims
	 * another card's digest) would leave the office a copy that the next
	 * card of this holder with that digest, an honest one, seems to vouch
	 * for: its delta read would show the copy, not what it holds. */
	if (opts && opts->have_digest && !opts->delta) {
		/* On a copy: a protected log is decrypted in place to be walked. */
		uint8_t d[32] = {0}, *copy = malloc(need);
		int chained = copy != NULL;
		if (chained) {
			memcpy(copy, img, need);
			chained = chain_entries(t, v2, copy, base, base, need, d) == LM_OK;
			lm_protect_wipe(copy, need);
			free(copy);
		}
		if (!chained || memcmp(d, opts->digest, sizeof(d)))
			opts->have_digest = 0;
	}
	if (opts && opts->raw)
		memcpy(opts->raw, img + base, need - base), opts->raw_len = need - base;
	if (v2) {
		err = lm_protect_open(img, need, info->capacity, &t->keys, img, card, recovery);
		if (!err)
			*len = need;
	} else {
		*len = need;
		err = lm_card_parse(img, need, info->capacity, card);
	}
	if (err && opts)
		opts->raw_len = 0;
	/* A protected image goes over once, decrypted and whole. */
	if (!err && opts && opts->piece && v2)
		opts->piece(opts->ctx, img, need);
	return err;
}

static int read_image_rec(struct lm_transport *t, const struct lm_card_info *info, uint8_t *img,
			  size_t *len, struct lm_card *card, uint8_t recovery[LM_RECOVERY_LEN])
{
	return read_image_opts(t, info, img, len, card, recovery, NULL);
}

int lm_transport_read_image(struct lm_transport *t, const struct lm_card_info *info, uint8_t *img,
			    size_t *len, struct lm_card *card)
{
	return read_image_rec(t, info, img, len, card, NULL);
}

int lm_transport_read_image_ex(struct lm_transport *t, const struct lm_card_info *info,
			       uint8_t *img, size_t *len, struct lm_card *card,
			       struct lm_read_opts *opts)
{
	return read_image_opts(t, info, img, len, card, NULL, opts);
}

/*
 * Append one entry to a card whose image the caller holds: img (capacity
 * bytes, *ilen of them read) parsed as *card.  Plan, write (commit last),
 * then read the card back into back and compare with img plus the plan.
 * On LM_OK img, *ilen and *card describe the card as it now is.
 */
/*
 * The same on an unlocked protected card: img holds the decrypted image,
 * the plan (lm_protect_plan_append) the encrypted bytes; the expected
 * image is the plain one with the entry, its zero padding and the new
 * commit word, compared with the card read back and decrypted.
 */
static int append_protected(struct lm_transport *t, const struct lm_card_info *info, uint8_t *img,
			    size_t *ilen, struct lm_card *card, uint8_t *back, const uint8_t *entry,
			    size_t len)
{
	struct lm_protect_plan *plan = malloc(sizeof(*plan));
	struct lm_card after;
	size_t blen;
	if (!plan)
		return LM_ERR_NOMEM;
	int err = lm_protect_plan_append(card, &t->keys, entry, len, plan);
	if (!err)
		err = t->ops->write(t, plan->card.w, plan->card.n);
	size_t at = LM_PROTECT_HEADER_LEN + card->committed,
	       total = (len + LM_CARD_ALIGN - 1) / LM_CARD_ALIGN * LM_CARD_ALIGN;
	uint16_t now = plan->card.new_committed;
	if (!err) {
		memset(img + *ilen, 0, info->capacity - *ilen);
		memcpy(img + at, entry, len);
		img[LM_PROTECT_COMMIT_OFF] = (uint8_t)(now >> 8);
		img[LM_PROTECT_COMMIT_OFF + 1] = (uint8_t)now;
		img[LM_PROTECT_COMMIT_OFF + 2] = (uint8_t) ~(now >> 8);
		img[LM_PROTECT_COMMIT_OFF + 3] = (uint8_t)~now;
		err = read_image_rec(t, info, back, &blen, &after, NULL);
	}
	if (!err && (blen != at + total || memcmp(img, back, blen) != 0))
		err = LM_ERR_READBACK;
	if (!err) {
		*ilen = blen;
		card->committed = now;
	}
	lm_protect_wipe(plan, sizeof(*plan));
	free(plan);
	return err;
}

static int append_to(struct lm_transport *t, const struct lm_card_info *info, uint8_t *img,
		     size_t *ilen, struct lm_card *card, uint8_t *back, const uint8_t *entry,
		     size_t len)
{
	if (card->version == LM_PROTECT_VERSION)
		return append_protected(t, info, img, ilen, card, back, entry, len);
	struct lm_card_plan plan;
	struct lm_card after;
	size_t blen;
	int err = lm_card_plan_append(card, entry, len, &plan);
	if (!err)
		err = t->ops->write(t, plan.w, plan.n);
	if (!err) {
		/* The expected image: what we read, with the plan applied. */
		memset(img + *ilen, 0, info->capacity - *ilen);
		err = lm_card_apply(img, info->capacity, &plan);
	}
	if (!err)
		err = lm_transport_read_image(t, info, back, &blen, &after);
	if (!err && (blen != LM_CARD_HEADER_LEN + (size_t)plan.new_committed ||
		     memcmp(img, back, blen) != 0))
		err = LM_ERR_READBACK;
	if (!err) {
		*ilen = blen;
		err = lm_card_parse(img, blen, info->capacity, card);
	}
	return err;
}

int lm_transport_append(struct lm_transport *t, const struct lm_card_info *info,
			const uint8_t *entry, size_t len)
{
	uint8_t *img = malloc(info->capacity), *back = malloc(info->capacity);
	int err = img && back ? LM_OK : LM_ERR_NOMEM;
	size_t ilen = 0;
	struct lm_card card;
	if (!err)
		err = lm_transport_read_image(t, info, img, &ilen, &card);
	if (!err)
		err = append_to(t, info, img, &ilen, &card, back, entry, len);
	free(img);
	free(back);
	return err;
}

int lm_transport_format(struct lm_transport *t, const struct lm_card_info *info,
			const uint8_t holder[LM_HOLDER_LEN])
{
	(void)info;
	uint8_t hdr[LM_CARD_HEADER_LEN];
	lm_card_format(hdr, holder);
	/* The holder, the commit word, and last the magic (with version and
	 * flags) in one write: until it lands the card reads as blank. */
	struct lm_card_write w[3] = {
		{8, hdr + 8, LM_CARD_HEADER_LEN - 8},
		{LM_CARD_COMMIT_OFF, hdr + LM_CARD_COMMIT_OFF, 4},
		{0, hdr, LM_CARD_COMMIT_OFF},
	};
	int err = t->ops->write(t, w, 3);
	if (err)
		return err;
	uint8_t back[LM_CARD_HEADER_LEN];
	err = t->ops->read(t, 0, back, sizeof(back));
	if (!err && memcmp(back, hdr, sizeof(hdr)) != 0)
		err = LM_ERR_READBACK;
	return err;
}

/*
 * The protected format, see lm_transport.h.  The plan's writes reordered
 * so that the magic lands last (as lm_transport_format does for version
 * 1): on a card whose writes are not one transaction (NTAG, an image file)
 * a cut leaves a blank card or the new one, never a header without its
 * commit word.  The applet stages them all and the reference, one COMMIT.
 */
static int format_protected(struct lm_transport *t, struct lm_card_info *info,
			    const uint8_t holder[LM_HOLDER_LEN], const char *code,
			    const uint8_t recovery[LM_RECOVERY_LEN], uint32_t iterations,
			    struct lm_protect_keys *keys_out, uint8_t recovery_out[LM_RECOVERY_LEN])
{
	char canon[LM_CODE_LEN + 1];
	struct lm_protect_keys k;
	struct lm_protect_plan *plan = malloc(sizeof(*plan));
	uint8_t *back = malloc(info->capacity);
	int err = plan && back ? LM_OK : LM_ERR_NOMEM;
	memset(&k, 0, sizeof(k));
	if (!err)
		err = lm_code_parse(code, canon);
	if (!err && iterations == 0)
		err = lm_protect_calibrate(100, &iterations);
	if (!err)
		err = lm_protect_plan_format(info->capacity, holder, canon, recovery, iterations,
					     plan, &k, recovery_out);
	if (!err) {
		const uint8_t *d = plan->card.w[0].data; /* the public header */
		struct lm_card_write w[4] = {
			{4, d + 4, LM_PROTECT_PUBLIC_LEN - 4},
			plan->card.w[1], /* encrypted holder id and recovery secret */
			plan->card.w[2], /* the commit word of the empty log */
			{0, d, 4},	 /* magic, version, flags: last, atomic */
		};
		err = t->ops->write_protected ? t->ops->write_protected(t, w, 4, &k)
					      : t->ops->write(t, w, 4);
		if (!err) {
			(void)lm_protect_public_parse(d, LM_PROTECT_PUBLIC_LEN, &info->header);
			info->protection = LM_PROT_LOCKED;
			info->tries_left = -1;
			session_start(t, &k, canon, iterations);
		}
	}
	struct lm_card now;
	size_t blen;
	if (!err)
		err = read_image_rec(t, info, back, &blen, &now, NULL);
	if (!err && (now.committed != 0 || memcmp(now.holder, holder, LM_HOLDER_LEN)))
		err = LM_ERR_READBACK;
	if (!err && keys_out)
		memcpy(keys_out, &k, sizeof(k));
	lm_protect_keys_wipe(&k);
	lm_protect_wipe(canon, sizeof(canon));
	if (plan)
		lm_protect_wipe(plan, sizeof(*plan));
	if (back)
		lm_protect_wipe(back, info->capacity);
	free(plan);
	free(back);
	return err;
}

int lm_transport_format_protected(struct lm_transport *t, struct lm_card_info *info,
				  const uint8_t holder[LM_HOLDER_LEN], const char *code,
				  const uint8_t recovery[LM_RECOVERY_LEN], uint32_t iterations,
				  struct lm_protect_keys *keys_out,
				  uint8_t recovery_out[LM_RECOVERY_LEN])
{
	return format_protected(t, info, holder, code, recovery, iterations, keys_out,
				recovery_out);
}

/* A rewrite's format: version 1, or version 2 anew with the session's code,
 * the card's count and the recovery secret it had. */
static int reformat(struct lm_transport *t, const struct lm_card_info *info,
		    const uint8_t holder[LM_HOLDER_LEN], int version,
		    const uint8_t recovery[LM_RECOVERY_LEN])
{
	if (version != LM_PROTECT_VERSION)
		return lm_transport_format(t, info, holder);
	struct lm_card_info i2 = *info;
	char canon[LM_CODE_LEN + 1];
	memcpy(canon, t->code, sizeof(canon));
	int err = format_protected(t, &i2, holder, canon, recovery, t->iterations, NULL, NULL);
	lm_protect_wipe(canon, sizeof(canon));
	lm_protect_wipe(&i2, sizeof(i2));
	return err;
}

/* See lm_transport.h for the steps and the tearing argument. */
int lm_transport_delete_entry(struct lm_transport *t, const struct lm_card_info *info,
			      const uint8_t *id, size_t id_len, lm_transport_keep_fn keep,
			      void *ctx, struct lm_rewrite_result *res)
{
	memset(res, 0, sizeof(*res));
	size_t cap = info->capacity;
	/* The card as it was, as it is being rewritten, the log expected,
	 * read-backs. */
	uint8_t *old = malloc(4 * cap);
	if (!old)
		return LM_ERR_NOMEM;
	uint8_t *img = old + cap, *back = old + 2 * cap; /* expect, then read-backs */
	size_t olen, ilen, from = 0, to = 0, off, elen;
	struct lm_card card, now;
	const uint8_t *e;
	uint8_t recovery[LM_RECOVERY_LEN];
	int err = read_image_rec(t, info, old, &olen, &card, recovery);
	/* A protected card is formatted anew (a new salt) from the code. */
	if (!err && card.version == LM_PROTECT_VERSION && !t->code[0])
		err = LM_ERR_LOCKED;
	if (!err) {
		memcpy(res->holder, card.holder, LM_HOLDER_LEN);
		/* Also checks the whole log frames: a rewrite keeps all of it or nothing. */
		err = lm_card_find(&card, id, id_len, &from, &to, res->id);
	}
	/* The entry (and any byte-identical copy of it) goes; the log that
	 * stays is gathered in expect, padding included, for the last check. */
	const uint8_t *gone = card.log + from;
	size_t gone_len = 0, want = 0, at = from;
	uint8_t *expect = back;
	if (!err)
		err = lm_card_next(&card, &at, &gone, &gone_len);
	for (off = 0; !err && lm_card_next(&card, &off, &e, &elen) == LM_OK;) {
		if (elen == gone_len && !memcmp(e, gone, elen))
			continue;
		size_t span = off - (size_t)(e - card.log);
		memcpy(expect + want, e, span);
		want += span;
		if (keep)
			err = keep(ctx, card.holder, e, elen);
		res->kept += !err;
	}
	if (!err && keep)
		err = keep(ctx, card.holder, NULL, 0);
	if (!err) {
		res->touched = 1;
		err = lm_transport_wipe(t);
	}
	if (!err)
		err = reformat(t, info, card.holder, card.version, recovery);
	if (!err)
		err = lm_transport_read_image(t, info, img, &ilen, &now);
	for (off = 0; !err && lm_card_next(&card, &off, &e, &elen) == LM_OK;)
		if (elen != gone_len || memcmp(e, gone, elen))
			err = append_to(t, info, img, &ilen, &now, back + cap, e, elen);
	if (!err) {
		/* The whole card once more: the old log without the entry. */
		size_t blen;
		err = lm_transport_read_image(t, info, back + cap, &blen, &now);
		if (!err && (now.committed != want || memcmp(now.log, expect, want) ||
			     memcmp(now.holder, card.holder, LM_HOLDER_LEN)))
			err = LM_ERR_READBACK;
	}
	lm_protect_wipe(recovery, sizeof(recovery));
	lm_protect_wipe(old, 4 * cap);
	free(old);
	return err;
}

/* 1 when every entry of card's log is among entries[0..n) (byte for byte). */
static int covered(const struct lm_card *card, const struct lm_card_entry *entries, size_t n)
{
	size_t off = 0, elen;
	const uint8_t *e;
	int err;
	while ((err = lm_card_next(card, &off, &e, &elen)) == LM_OK) {
		size_t i = 0;
		while (i < n && (entries[i].len != elen || memcmp(entries[i].data, e, elen)))
			i++;
		if (i == n)
			return 0;
	}
	return err == 1; /* the whole log framed */
}

/* Both restores; code NULL: a blank card becomes version 1. */
static int restore(struct lm_transport *t, const struct lm_card_info *info,
		   const uint8_t holder[LM_HOLDER_LEN], const char *code,
		   const uint8_t recovery[LM_RECOVERY_LEN], const struct lm_card_entry *entries,
		   size_t n, size_t *written)
{
	*written = 0;
	uint8_t *img = malloc(2 * info->capacity);
	if (!img)
		return LM_ERR_NOMEM;
	uint8_t *back = img + info->capacity;
	size_t ilen, from, to;
	struct lm_card card;
	struct lm_card_info i2 = *info;
	int err = lm_transport_read_image(t, info, img, &ilen, &card);
	if (err == LM_ERR_LOCKED && code) {
		err = lm_transport_unlock_code(t, &i2, code, NULL);
		if (!err)
			err = lm_transport_read_image(t, info, img, &ilen, &card);
	}
	/* This holder's unprotected card (a protect cut before its wipe landed):
	 * it becomes the protected folder when the folder holds every entry it
	 * has, so the wipe loses nothing; otherwise it is refused. */
	if (!err && code && card.version != LM_PROTECT_VERSION &&
	    !memcmp(card.holder, holder, LM_HOLDER_LEN))
		err = covered(&card, entries, n) ? LM_ERR_NOT_FORMATTED : LM_ERR_VERSION;
	if (err == LM_ERR_NOT_FORMATTED) {
		/* Blank: wiped first, so no remnant of an earlier image (a rewrite
		 * cut in its wipe) survives beyond the new log. */
		err = lm_transport_wipe(t);
		if (!err && code)
			err = format_protected(t, &i2, holder, code, recovery, 0, NULL, NULL);
		else if (!err)
			err = lm_transport_format(t, info, holder);
		if (!err)
			err = lm_transport_read_image(t, info, img, &ilen, &card);
	}
	if (!err && memcmp(card.holder, holder, LM_HOLDER_LEN) != 0)
		err = LM_ERR_HOLDER; /* another holder's card: never written here */
	for (size_t i = 0; !err && i < n; i++) {
		uint8_t id[32];
		err = lm_sha256(entries[i].data, entries[i].len, id);
		if (!err)
			err = lm_card_find(&card, id, sizeof(id), &from, &to, NULL);
		if (err == LM_ERR_NOT_FOUND) {
			err = append_to(t, info, img, &ilen, &card, back, entries[i].data,
					entries[i].len);
			*written += !err;
		}
	}
	lm_protect_wipe(img, 2 * info->capacity);
	lm_protect_wipe(&i2, sizeof(i2));
	free(img);
	return err;
}

int lm_transport_restore(struct lm_transport *t, const struct lm_card_info *info,
			 const uint8_t holder[LM_HOLDER_LEN], const struct lm_card_entry *entries,
			 size_t n, size_t *written)
{
	return restore(t, info, holder, NULL, NULL, entries, n, written);
}

int lm_transport_restore_protected(struct lm_transport *t, const struct lm_card_info *info,
				   const uint8_t holder[LM_HOLDER_LEN], const char *code,
				   const uint8_t recovery[LM_RECOVERY_LEN],
				   const struct lm_card_entry *entries, size_t n, size_t *written)
{
	return restore(t, info, holder, code, recovery, entries, n, written);
}

int lm_transport_wipe(struct lm_transport *t)
{
	return t->ops->wipe(t);
}

int lm_transport_read(struct lm_transport *t, size_t off, uint8_t *buf, size_t len)
{
	return t->ops->read(t, off, buf, len);
}

int lm_transport_list(struct lm_transport *t, struct lm_reader_info *out, size_t max, size_t *n)
{
	*n = 0;
	return t->ops->list ? t->ops->list(t, out, max, n) : LM_ERR_UNSUPPORTED;
}

int lm_transport_read_recovery(struct lm_transport *t, const struct lm_card_info *info,
			       uint8_t recovery[LM_RECOVERY_LEN])
{
	uint8_t *img = malloc(info->capacity);
	if (!img)
		return LM_ERR_NOMEM;
	size_t len;
	struct lm_card card;
	int err = read_image_rec(t, info, img, &len, &card, recovery);
	if (!err && card.version != LM_PROTECT_VERSION)
		err = LM_ERR_VERSION;
	lm_protect_wipe(img, info->capacity);
	free(img);
	return err;
}

/*
 * The rewrite that makes a card protected with code, shared by protect (a
 * version 1 card, the caller's recovery secret) and change of code (an
 * unlocked version 2 card, its own recovery secret): read, keep, wipe,
 * format protected, append every entry in order, read back.  See
 * lm_transport_protect and lm_transport_change_code in lm_transport.h.
 */
static int rewrite_protected(struct lm_transport *t, struct lm_card_info *info, const char *code,
			     const uint8_t recovery_in[LM_RECOVERY_LEN], uint32_t iterations,
			     int from_version, lm_transport_keep_fn keep, void *ctx,
			     struct lm_rewrite_result *res)
{
	memset(res, 0, sizeof(*res));
	size_t cap = info->capacity, olen, off = 0, elen, blen;
	/* The card as it was (decrypted), the card being rewritten, read-backs. */
	uint8_t *old = malloc(3 * cap);
	if (!old)
		return LM_ERR_NOMEM;
	uint8_t *img = old + cap, *back = old + 2 * cap;
	struct lm_card card, now;
	const uint8_t *e;
	char canon[LM_CODE_LEN + 1];
	uint8_t recovery[LM_RECOVERY_LEN];
	int err = lm_code_parse(code, canon);
	if (!err)
		err = read_image_rec(t, info, old, &olen, &card, recovery);
	if (!err && card.version != from_version)
		err = LM_ERR_VERSION; /* protected already, or not protected yet */
	if (!err && recovery_in)
		memcpy(recovery, recovery_in, sizeof(recovery));
	if (!err && iterations == 0 && from_version == LM_PROTECT_VERSION)
		iterations = info->header.iterations; /* a new code keeps the card's count */
	if (!err && iterations == 0)
		err = lm_protect_calibrate(100, &iterations);
	if (!err) {
		memcpy(res->holder, card.holder, LM_HOLDER_LEN);
		err = lm_card_count(&card) < 0 ? LM_ERR_MALFORMED : LM_OK;
	}
	for (off = 0; !err && lm_card_next(&card, &off, &e, &elen) == LM_OK; res->kept++)
		err = keep ? keep(ctx, card.holder, e, elen) : LM_OK;
	if (!err && keep)
		err = keep(ctx, card.holder, NULL, 0);
	if (!err) {
		res->touched = 1;
		err = lm_transport_wipe(t);
	}
	if (!err)
		err = format_protected(t, info, card.holder, canon, recovery, iterations, NULL,
				       NULL);
	size_t ilen;
	if (!err)
		err = lm_transport_read_image(t, info, img, &ilen, &now);
	for (off = 0; !err && lm_card_next(&card, &off, &e, &elen) == LM_OK;)
		err = append_to(t, info, img, &ilen, &now, back, e, elen);
	if (!err) {
		err = read_image_rec(t, info, back, &blen, &now, NULL);
		if (!err &&
		    (now.committed != card.committed || memcmp(now.log, card.log, card.committed) ||
		     memcmp(now.holder, card.holder, LM_HOLDER_LEN)))
			err = LM_ERR_READBACK;
	}
	lm_protect_wipe(canon, sizeof(canon));
	lm_protect_wipe(recovery, sizeof(recovery));
	lm_protect_wipe(old, 3 * cap);
	free(old);
	return err;
}

/* See lm_transport.h: keep, wipe, format protected, append, read back. */
int lm_transport_protect(struct lm_transport *t, struct lm_card_info *info, const char *code,
			 const uint8_t recovery[LM_RECOVERY_LEN], uint32_t iterations,
			 lm_transport_keep_fn keep, void *ctx, struct lm_rewrite_result *res)
{
	if (!recovery) {
		memset(res, 0, sizeof(*res));
		return LM_ERR_ARG;
	}
	return rewrite_protected(t, info, code, recovery, iterations, LM_CARD_VERSION, keep, ctx,
				 res);
}

/* See lm_transport.h: the same rewrite from an unlocked version 2 card. */
int lm_transport_change_code(struct lm_transport *t, struct lm_card_info *info,
			     const char *new_code, uint32_t iterations, lm_transport_keep_fn keep,
			     void *ctx, struct lm_rewrite_result *res)
{
	return rewrite_protected(t, info, new_code, NULL, iterations, LM_PROTECT_VERSION, keep, ctx,
				 res);
}
