/*
 * transport.c - the backend-independent half of reaching a card: choosing
 * a backend by spec, reading the image, appending with read-back, format.
 */
#include "laufmappe/lm_transport.h"

#include <stdlib.h>
#include <string.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_key.h"

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

int lm_transport_identify(struct lm_transport *t, struct lm_card_info *info)
{
	memset(info, 0, sizeof(*info));
	int err = t->ops->identify(t, info);
	if (!err && (info->capacity < LM_CARD_HEADER_LEN || info->capacity > LM_CARD_MAX))
		err = LM_ERR_UNKNOWN_CARD;
	return err;
}

void lm_transport_disconnect(struct lm_transport *t)
{
	if (t->ops->disconnect)
		t->ops->disconnect(t);
}

int lm_transport_read_image(struct lm_transport *t, const struct lm_card_info *info, uint8_t *img,
			    size_t *len, struct lm_card *card)
{
	*len = 0;
	int err = t->ops->read(t, 0, img, LM_CARD_HEADER_LEN);
	if (err)
		return err;
	size_t need;
	err = lm_card_header_need(img, LM_CARD_HEADER_LEN, &need);
	if (err)
		return err;
	if (need > info->capacity)
		return LM_ERR_MALFORMED;
	if (need > LM_CARD_HEADER_LEN) {
		err = t->ops->read(t, LM_CARD_HEADER_LEN, img + LM_CARD_HEADER_LEN,
				   need - LM_CARD_HEADER_LEN);
		if (err)
			return err;
	}
	*len = need;
	return lm_card_parse(img, need, info->capacity, card);
}

/*
 * Append one entry to a card whose image the caller holds: img (capacity
 * bytes, *ilen of them read) parsed as *card.  Plan, write (commit last),
 * then read the card back into back and compare with img plus the plan.
 * On LM_OK img, *ilen and *card describe the card as it now is.
 */
static int append_to(struct lm_transport *t, const struct lm_card_info *info, uint8_t *img,
		     size_t *ilen, struct lm_card *card, uint8_t *back, const uint8_t *entry,
		     size_t len)
{
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
	int err = lm_transport_read_image(t, info, old, &olen, &card);
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
		err = lm_transport_format(t, info, card.holder);
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
	free(old);
	return err;
}

int lm_transport_restore(struct lm_transport *t, const struct lm_card_info *info,
			 const uint8_t holder[LM_HOLDER_LEN], const struct lm_card_entry *entries,
			 size_t n, size_t *written)
{
	*written = 0;
	uint8_t *img = malloc(2 * info->capacity);
	if (!img)
		return LM_ERR_NOMEM;
	uint8_t *back = img + info->capacity;
	size_t ilen, from, to;
	struct lm_card card;
	int err = lm_transport_read_image(t, info, img, &ilen, &card);
	if (err == LM_ERR_NOT_FORMATTED) {
		/* Blank: wiped first, so no remnant of an earlier image (a rewrite
		 * cut in its wipe) survives beyond the new log. */
		err = lm_transport_wipe(t);
		if (!err)
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
	free(img);
	return err;
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
