/*
 * transport.c - the backend-independent half of reaching a card: choosing
 * a backend by spec, reading the image, appending with read-back, format.
 */
#include "laufmappe/lm_transport.h"

#include <stdlib.h>
#include <string.h>

#include "laufmappe/lm_err.h"

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

int lm_transport_append(struct lm_transport *t, const struct lm_card_info *info,
			const uint8_t *entry, size_t len)
{
	uint8_t *img = malloc(info->capacity), *back = malloc(info->capacity);
	int err = img && back ? LM_OK : LM_ERR_NOMEM;
	size_t ilen = 0, blen;
	struct lm_card card, after;
	struct lm_card_plan plan;
	if (!err)
		err = lm_transport_read_image(t, info, img, &ilen, &card);
	if (!err)
		err = lm_card_plan_append(&card, entry, len, &plan);
	if (!err)
		err = t->ops->write(t, plan.w, plan.n);
	if (!err) {
		/* The expected image: what we read, with the plan applied. */
		memset(img + ilen, 0, info->capacity - ilen);
		err = lm_card_apply(img, info->capacity, &plan);
	}
	if (!err)
		err = lm_transport_read_image(t, info, back, &blen, &after);
	if (!err && (blen != LM_CARD_HEADER_LEN + (size_t)plan.new_committed ||
		     memcmp(img, back, blen) != 0))
		err = LM_ERR_READBACK;
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
	/* Everything but the commit word first; the commit word makes it an image. */
	struct lm_card_write w[3] = {
		{0, hdr, LM_CARD_COMMIT_OFF},
		{8, hdr + 8, LM_CARD_HEADER_LEN - 8},
		{LM_CARD_COMMIT_OFF, hdr + LM_CARD_COMMIT_OFF, 4},
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
