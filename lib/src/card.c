/*
 * card.c - card image header, log walk, append plans.
 */
#include "laufmappe/lm_card.h"

#include <string.h>

#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_protect.h"
#include "laufmappe/lm_key.h"
#include "lm_bytes.h"
#include "lm_cardplan.h"
#include "lm_cbor.h"
#include "lm_crypto.h"

/* Read the commit word; LM_ERR_NOT_FORMATTED if magic or check fails. */
static int header_committed(const uint8_t *hdr, size_t len, uint16_t *committed)
{
	if (len < LM_CARD_HEADER_LEN)
		return LM_ERR_MALFORMED;
	if (hdr[0] != LM_CARD_MAGIC0 || hdr[1] != LM_CARD_MAGIC1)
		return LM_ERR_NOT_FORMATTED;
	if (hdr[2] != LM_CARD_VERSION)
		return LM_ERR_VERSION;
	uint16_t n = lm_be16(hdr + 4);
	if ((uint16_t)(n + lm_be16(hdr + 6)) != 0xffff) /* n + ~n */
		return LM_ERR_MALFORMED;
	*committed = n;
	return LM_OK;
}

int lm_card_header_need(const uint8_t *hdr, size_t len, size_t *need)
{
	uint16_t n;
	int err = header_committed(hdr, len, &n);
	if (err)
		return err;
	*need = LM_CARD_HEADER_LEN + (size_t)n;
	return LM_OK;
}

int lm_card_parse(const uint8_t *buf, size_t len, size_t capacity, struct lm_card *c)
{
	memset(c, 0, sizeof(*c));
	if (capacity < LM_CARD_HEADER_LEN || capacity > LM_CARD_MAX || len > capacity)
		return LM_ERR_ARG;
	uint16_t n;
	int err = header_committed(buf, len, &n);
	if (err)
		return err;
	if (buf[3] != 0)
		return LM_ERR_UNSUPPORTED; /* a flag this version does not know */
	if (n % LM_CARD_ALIGN || (size_t)n > capacity - LM_CARD_HEADER_LEN)
		return LM_ERR_MALFORMED;
	if ((size_t)n > len - LM_CARD_HEADER_LEN)
		return LM_ERR_ARG; /* caller did not read the committed log */
	c->version = buf[2];
	c->flags = buf[3];
	memcpy(c->holder, buf + 8, LM_HOLDER_LEN);
	c->committed = n;
	c->capacity = capacity;
	c->log = buf + LM_CARD_HEADER_LEN;
	return LM_OK;
}

int lm_card_next(const struct lm_card *c, size_t *off, const uint8_t **entry, size_t *len)
{
	if (*off >= c->committed)
		return 1;
	const uint8_t *p = c->log + *off;
	size_t left = c->committed - *off;
	/* The framing is the CBOR item's own length; the content is the
	 * verifier's business, so a damaged entry does not hide the rest. */
	struct lm_cbor_reader r;
	lm_cbor_reader_init(&r, p, left > LM_ENTRY_MAX ? LM_ENTRY_MAX : left);
	if (lm_cbor_peek(&r) != LM_CBOR_ARRAY)
		return LM_ERR_MALFORMED;
	size_t n = lm_cbor_skip(&r);
	if (n == 0)
		return r.err ? r.err : LM_ERR_MALFORMED;
	size_t total = lm_card_padded(n);
	if (total > left)
		return LM_ERR_MALFORMED;
	for (size_t i = n; i < total; i++)
		if (p[i] != 0)
			return LM_ERR_MALFORMED;
	*entry = p;
	*len = n;
	*off += total;
	return LM_OK;
}

int lm_card_count(const struct lm_card *c)
{
	size_t off = 0, len;
	const uint8_t *e;
	int n = 0, err;
	while ((err = lm_card_next(c, &off, &e, &len)) == LM_OK)
		n++;
	return err == 1 ? n : err;
}

int lm_card_find(const struct lm_card *c, const uint8_t *id, size_t id_len, size_t *from,
		 size_t *to, uint8_t full[32])
{
	if (id_len == 0 || id_len > 32)
		return LM_ERR_ARG;
	size_t off = 0, len;
	const uint8_t *e;
	uint8_t first[32];
	int found = 0, err;
	/* Every entry is hashed: a prefix is only unique when none after it matches. */
	while ((err = lm_card_next(c, &off, &e, &len)) == LM_OK) {
		uint8_t eid[32];
		err = lm_sha256(e, len, eid);
		if (err)
			return err;
		if (memcmp(eid, id, id_len))
			continue;
		if (found++) {
			if (!memcmp(first, eid, 32))
				continue; /* a copy of the same entry: one entry */
			return LM_ERR_AMBIGUOUS;
		}
		*from = (size_t)(e - c->log);
		*to = off;
		memcpy(first, eid, 32);
	}
	if (err != 1)
		return err; /* damaged framing: a later entry might match too */
	if (found && full)
		memcpy(full, first, 32);
	return found ? LM_OK : LM_ERR_NOT_FOUND;
}

void lm_card_format(uint8_t hdr[LM_CARD_HEADER_LEN], const uint8_t holder[LM_HOLDER_LEN])
{
	memset(hdr, 0, LM_CARD_HEADER_LEN);
	hdr[0] = LM_CARD_MAGIC0;
	hdr[1] = LM_CARD_MAGIC1;
	hdr[2] = LM_CARD_VERSION;
	lm_put_be16(hdr + 4, 0);
	lm_put_be16(hdr + 6, 0xffff);
	memcpy(hdr + 8, holder, LM_HOLDER_LEN);
}

size_t lm_card_free(const struct lm_card *c)
{
	/* A protected card's longer header (lm_protect.h) comes before its log. */
	size_t header =
		c->version == LM_PROTECT_VERSION ? LM_PROTECT_HEADER_LEN : LM_CARD_HEADER_LEN;
	return c->capacity - header - c->committed;
}

int lm_card_plan_append(const struct lm_card *c, const uint8_t *entry, size_t len,
			struct lm_card_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	if (c->version == LM_PROTECT_VERSION)
		return LM_ERR_VERSION; /* plaintext never goes onto a protected card */
	size_t total;
	int err = cardplan_room(c, entry, len, &total);
	if (err)
		return err;
	uint32_t at = LM_CARD_HEADER_LEN + c->committed;
	plan->w[plan->n++] = (struct lm_card_write){at, entry, (uint32_t)len};
	if (total > len)
		plan->w[plan->n++] = (struct lm_card_write){at + (uint32_t)len, plan->pad,
							    (uint32_t)(total - len)};
	cardplan_commit(plan, LM_CARD_COMMIT_OFF, c->committed + total);
	return LM_OK;
}

int cardplan_room(const struct lm_card *c, const uint8_t *entry, size_t len, size_t *total)
{
	struct lm_cose cose;
	int err = lm_cose_decode(entry, len, &cose);
	if (err)
		return err;
	if (cose.hint)
		return LM_ERR_ARG; /* strip the hint first: cards never carry it */
	*total = lm_card_padded(len);
	if (*total > lm_card_free(c) || c->committed + *total > 0xfffc)
		return LM_ERR_CARD_FULL;
	return LM_OK;
}

void cardplan_commit(struct lm_card_plan *p, uint32_t off, size_t new_committed)
{
	p->new_committed = (uint16_t)new_committed;
	lm_put_be16(p->commit, p->new_committed);
	lm_put_be16(p->commit + 2, (uint16_t)~p->new_committed);
	p->w[p->n++] = (struct lm_card_write){off, p->commit, 4};
}

int lm_card_apply(uint8_t *img, size_t capacity, const struct lm_card_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++)
		if (plan->w[i].off > capacity || plan->w[i].len > capacity - plan->w[i].off)
			return LM_ERR_ARG;
	for (size_t i = 0; i < plan->n; i++)
		memcpy(img + plan->w[i].off, plan->w[i].data, plan->w[i].len);
	return LM_OK;
}

int lm_card_chain(const uint8_t in[32], const uint8_t *bytes, size_t len, uint8_t out[32])
{
	struct lm_sha256 h;
	uint8_t prev[32];
	memcpy(prev, in, sizeof(prev));
	lm_sha256_start(&h);
	lm_sha256_update(&h, prev, sizeof(prev));
	lm_sha256_update(&h, bytes, len);
	lm_sha256_finish(&h, out);
	return LM_OK;
}
