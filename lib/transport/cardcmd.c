/*
 * cardcmd.c - the applet's APDU sequences and the NTAG page layout, shared
 * by the PC/SC and libnfc backends (see cardcmd.h).
 */
#include "cardcmd.h"

#include <string.h>

#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_transport.h"

static const uint8_t applet_aid[] = {0xF0, 0x4C, 0x41, 0x55, 0x46, 0x4D, 0x41, 0x50, 0x50, 0x45};

int cardcmd_sw_err(uint16_t sw)
{
	switch (sw) {
	case 0x9000: return LM_OK;
	case 0x6A84: return LM_ERR_CARD_FULL;
	case 0x6981:
	case 0x6982:
	case 0x6985:
	case 0x6300: return LM_ERR_WRITE_REFUSED;
	default: return LM_ERR_CARD_STATUS;
	}
}

/* One APDU whose answer must be 90 00 (and, with want >= 0, want data bytes). */
static int apdu_ok(cardcmd_apdu_fn fn, void *ctx, const uint8_t *apdu, size_t len, uint8_t *resp,
		   size_t cap, long want)
{
	size_t rlen = cap;
	uint16_t sw;
	int err = fn(ctx, apdu, len, resp, &rlen, &sw);
	if (!err)
		err = cardcmd_sw_err(sw);
	if (!err && want >= 0 && rlen != (size_t)want)
		err = LM_ERR_TRANSPORT;
	return err;
}

int cardcmd_applet_select(cardcmd_apdu_fn fn, void *ctx)
{
	uint8_t apdu[5 + sizeof(applet_aid)] = {0x00, 0xA4, 0x04, 0x00, sizeof(applet_aid)};
	memcpy(apdu + 5, applet_aid, sizeof(applet_aid));
	uint8_t resp[64];
	size_t rlen = sizeof(resp);
	uint16_t sw;
	int err = fn(ctx, apdu, sizeof(apdu), resp, &rlen, &sw);
	if (err)
		return err;
	return sw == 0x9000 ? LM_OK : LM_ERR_UNKNOWN_CARD;
}

int cardcmd_applet_capacity(cardcmd_apdu_fn fn, void *ctx, size_t *capacity)
{
	static const uint8_t apdu[5] = {0x00, 0xCA, 0x00, 0x02, 0x04};
	uint8_t r[8];
	int err = apdu_ok(fn, ctx, apdu, sizeof(apdu), r, sizeof(r), 4);
	if (!err)
		*capacity = (size_t)r[0] << 24 | (size_t)r[1] << 16 | (size_t)r[2] << 8 | r[3];
	return err;
}

int cardcmd_applet_read(cardcmd_apdu_fn fn, void *ctx, size_t off, uint8_t *buf, size_t len)
{
	while (len > 0) {
		size_t n = len < CARDCMD_CHUNK ? len : CARDCMD_CHUNK;
		uint8_t apdu[5] = {0x00, 0xB0, (uint8_t)(off >> 8), (uint8_t)off, (uint8_t)n};
		int err = apdu_ok(fn, ctx, apdu, sizeof(apdu), buf, n, (long)n);
		if (err)
			return err;
		off += n, buf += n, len -= n;
	}
	return LM_OK;
}

int cardcmd_applet_write(cardcmd_apdu_fn fn, void *ctx, const struct lm_card_write *w, size_t n)
{
	uint8_t apdu[5 + CARDCMD_CHUNK], resp[8];
	int err = LM_OK;
	for (size_t i = 0; i < n && !err; i++) {
		for (uint32_t done = 0; done < w[i].len && !err;) {
			uint32_t off = w[i].off + done, c = w[i].len - done;
			if (c > CARDCMD_CHUNK)
				c = CARDCMD_CHUNK;
			apdu[0] = 0x80, apdu[1] = 0xD6, apdu[2] = (uint8_t)(off >> 8);
			apdu[3] = (uint8_t)off, apdu[4] = (uint8_t)c;
			memcpy(apdu + 5, w[i].data + done, c);
			err = apdu_ok(fn, ctx, apdu, 5 + c, resp, sizeof(resp), -1);
			done += c;
		}
	}
	static const uint8_t commit[4] = {0x80, 0xDA, 0x00, 0x00};
	static const uint8_t abort_tx[4] = {0x80, 0xDC, 0x00, 0x00};
	if (!err)
		return apdu_ok(fn, ctx, commit, sizeof(commit), resp, sizeof(resp), -1);
	/* Drop the staged writes unless the card is gone (then it drops them itself). */
	if (err != LM_ERR_CARD_REMOVED && err != LM_ERR_SERVICE_GONE)
		(void)apdu_ok(fn, ctx, abort_tx, sizeof(abort_tx), resp, sizeof(resp), -1);
	return err;
}

int cardcmd_applet_wipe(cardcmd_apdu_fn fn, void *ctx)
{
	static const uint8_t wipe[4] = {0x80, 0xDE, 0x00, 0x00};
	uint8_t resp[8];
	return apdu_ok(fn, ctx, wipe, sizeof(wipe), resp, sizeof(resp), -1);
}

int cardcmd_ntag_write(cardcmd_page_fn fn, void *ctx, size_t capacity,
		       const struct lm_card_write *w, size_t n)
{
	uint8_t run[LM_ENTRY_MAX + 8];
	for (size_t i = 0; i < n;) {
		uint32_t off = w[i].off, len = 0;
		size_t j = i;
		/* The last write (the commit) is never joined to the others. */
		while (j < n && (j == i || (w[j].off == off + len && j != n - 1))) {
			if (w[j].len > sizeof(run) - len)
				return LM_ERR_ARG;
			memcpy(run + len, w[j].data, w[j].len);
			len += w[j].len;
			j++;
		}
		if (off % 4 || len % 4)
			return LM_ERR_ARG;
		if (off == 0) {
			/* Formatting: the TLV that makes phones skip our image. */
			uint8_t tlv[4] = {0xFD, 0xFF, (uint8_t)(capacity >> 8), (uint8_t)capacity};
			int err = fn(ctx, 4, tlv);
			if (err)
				return err;
		}
		for (uint32_t b = 0; b < len; b += 4) {
			int err = fn(ctx, (CARDCMD_NTAG_IMAGE + off + b) / 4, run + b);
			if (err)
				return err;
		}
		i = j;
	}
	return LM_OK;
}

int cardcmd_ntag_wipe(cardcmd_page_fn fn, void *ctx, size_t capacity)
{
	static const uint8_t zero[4];
	unsigned first = CARDCMD_NTAG_IMAGE / 4,
		 last = (unsigned)(CARDCMD_NTAG_IMAGE + capacity) / 4;
	int err = fn(ctx, first + 1, zero); /* the commit word */
	for (unsigned pg = first; !err && pg < last; pg++)
		if (pg != first + 1)
			err = fn(ctx, pg, zero);
	if (!err)
		err = fn(ctx, 4, zero);
	return err;
}

int cardcmd_split_sw(const uint8_t *rx, size_t n, uint8_t *resp, size_t *rlen, uint16_t *sw)
{
	if (n < 2 || n - 2 > *rlen)
		return LM_ERR_TRANSPORT;
	*sw = (uint16_t)(rx[n - 2] << 8 | rx[n - 1]);
	*rlen = n - 2;
	memcpy(resp, rx, *rlen);
	return LM_OK;
}

/*
 * The NTAG21x models, once: how each names itself (the capability
 * container's size byte, GET_VERSION's storage byte) and its user memory.
 */
static const struct ntag_model {
	enum lm_card_kind kind;
	uint8_t cc_size;      /* CC byte 2: user memory / 8 */
	uint8_t version_size; /* GET_VERSION byte 6 */
	uint16_t user;	      /* user memory bytes, page 4 on */
} ntag_models[] = {
	{LM_KIND_NTAG213, 0x12, 0x0F, 144},
	{LM_KIND_NTAG215, 0x3E, 0x11, 504},
	{LM_KIND_NTAG216, 0x6D, 0x13, 888},
};

/* Set the card's kind and capacity from a model, or LM_ERR_UNKNOWN_CARD. */
static int ntag_set_model(struct cardcmd_card *c, const struct ntag_model *m)
{
	if (!m)
		return LM_ERR_UNKNOWN_CARD;
	c->kind = m->kind;
	c->capacity = m->user - LM_NTAG_TLV_LEN;
	return LM_OK;
}

int cardcmd_identify_applet(struct cardcmd_card *c)
{
	c->kind = LM_KIND_NONE;
	int err = cardcmd_applet_select(c->apdu, c->ctx);
	if (!err)
		err = cardcmd_applet_capacity(c->apdu, c->ctx, &c->capacity);
	if (!err)
		c->kind = LM_KIND_APPLET;
	return err;
}

/* PC/SC part 3: READ BINARY of pages [page, page+4) (16 bytes). */
static int part3_read4(struct cardcmd_card *c, unsigned page, uint8_t out[16])
{
	uint8_t apdu[5] = {0xFF, 0xB0, 0x00, (uint8_t)page, 0x10};
	return apdu_ok(c->apdu, c->ctx, apdu, sizeof(apdu), out, 16, 16);
}

/* PC/SC part 3: UPDATE BINARY of one page (the cardcmd_page_fn). */
static int part3_write_page(void *ctx, unsigned page, const uint8_t data[4])
{
	struct cardcmd_card *c = ctx;
	uint8_t apdu[9] = {0xFF, 0xD6, 0x00, (uint8_t)page, 0x04}, resp[8];
	memcpy(apdu + 5, data, 4);
	return apdu_ok(c->apdu, c->ctx, apdu, sizeof(apdu), resp, sizeof(resp), -1);
}

int cardcmd_identify_part3(struct cardcmd_card *c, struct lm_card_info *info)
{
	static const uint8_t get_uid[5] = {0xFF, 0xCA, 0x00, 0x00, 0x00};
	uint8_t uid[16], cc[16];
	size_t ulen = sizeof(uid);
	uint16_t sw;
	c->kind = LM_KIND_NONE;
	int err = c->apdu(c->ctx, get_uid, sizeof(get_uid), uid, &ulen, &sw);
	if (!err)
		err = cardcmd_sw_err(sw);
	if (!err)
		err = part3_read4(c, 3, cc);
	if (err)
		return err;
	const struct ntag_model *m = NULL;
	for (size_t i = 0; cc[0] == 0xE1 && i < sizeof(ntag_models) / sizeof(ntag_models[0]); i++)
		if (cc[2] == ntag_models[i].cc_size)
			m = &ntag_models[i];
	err = ntag_set_model(c, m);
	if (!err) {
		info->uid_len = ulen < sizeof(info->uid) ? ulen : sizeof(info->uid);
		memcpy(info->uid, uid, info->uid_len);
	}
	return err;
}

int cardcmd_identify_ntag_version(struct cardcmd_card *c, const uint8_t *ver, size_t len)
{
	const struct ntag_model *m = NULL;
	c->kind = LM_KIND_NONE;
	/* 00 04 04 02 01 00 SS 03: NXP, NTAG, storage size byte. */
	for (size_t i = 0; len >= 8 && ver[1] == 0x04 && ver[2] == 0x04 && ver[3] == 0x02 &&
			   i < sizeof(ntag_models) / sizeof(ntag_models[0]);
	     i++)
		if (ver[6] == ntag_models[i].version_size)
			m = &ntag_models[i];
	return ntag_set_model(c, m);
}

#define FAST_READ_PAGES 60 /* 240 bytes: fits one PN532 frame */

/* Native NTAG: FAST_READ of whole pages covering [off, off+len), in frame-sized chunks. */
static int ntag_fast_read(struct cardcmd_card *c, size_t off, uint8_t *buf, size_t len)
{
	while (len > 0) {
		size_t abs = CARDCMD_NTAG_IMAGE + off, first = abs / 4;
		size_t last = (abs + len - 1) / 4;
		if (last - first + 1 > FAST_READ_PAGES)
			last = first + FAST_READ_PAGES - 1;
		uint8_t cmd[3] = {0x3A, (uint8_t)first, (uint8_t)last};
		uint8_t rx[FAST_READ_PAGES * 4 + 8];
		int n = c->raw(c->ctx, cmd, sizeof(cmd), rx, sizeof(rx));
		if (n < 0)
			return n;
		size_t want = (last - first + 1) * 4;
		if ((size_t)n != want) /* one byte back is a NAK */
			return n == 1 ? LM_ERR_WRITE_REFUSED : LM_ERR_TRANSPORT;
		size_t skip = abs % 4, take = want - skip < len ? want - skip : len;
		memcpy(buf, rx + skip, take);
		off += take, buf += take, len -= take;
	}
	return LM_OK;
}

/* Native NTAG: one WRITE, answered by a 4-bit ACK (0xA) or a NAK (the cardcmd_page_fn). */
static int ntag_write_page(void *ctx, unsigned page, const uint8_t data[4])
{
	struct cardcmd_card *c = ctx;
	uint8_t cmd[6] = {0xA2, (uint8_t)page}, rx[8];
	memcpy(cmd + 2, data, 4);
	int n = c->raw(c->ctx, cmd, sizeof(cmd), rx, sizeof(rx));
	if (n < 0)
		return n;
	if (n >= 1 && (rx[0] & 0x0F) != 0x0A)
		return LM_ERR_WRITE_REFUSED;
	return LM_OK;
}

int cardcmd_read(struct cardcmd_card *c, size_t off, uint8_t *buf, size_t len)
{
	if (c->kind == LM_KIND_NONE)
		return LM_ERR_NO_CARD;
	if (off > c->capacity || len > c->capacity - off)
		return LM_ERR_ARG;
	if (c->kind == LM_KIND_APPLET)
		return cardcmd_applet_read(c->apdu, c->ctx, off, buf, len);
	if (c->raw)
		return ntag_fast_read(c, off, buf, len);
	while (len > 0) {
		size_t abs = CARDCMD_NTAG_IMAGE + off, skip = abs % 4;
		uint8_t four[16];
		int err = part3_read4(c, (unsigned)(abs / 4), four);
		if (err)
			return err;
		size_t n = 16 - skip < len ? 16 - skip : len;
		memcpy(buf, four + skip, n);
		off += n, buf += n, len -= n;
	}
	return LM_OK;
}

int cardcmd_write(struct cardcmd_card *c, const struct lm_card_write *w, size_t n)
{
	if (c->kind == LM_KIND_NONE)
		return LM_ERR_NO_CARD;
	for (size_t i = 0; i < n; i++)
		if (w[i].off > c->capacity || w[i].len > c->capacity - w[i].off)
			return LM_ERR_CARD_FULL;
	if (c->kind == LM_KIND_APPLET)
		return cardcmd_applet_write(c->apdu, c->ctx, w, n);
	return cardcmd_ntag_write(c->raw ? ntag_write_page : part3_write_page, c, c->capacity, w,
				  n);
}

int cardcmd_wipe(struct cardcmd_card *c)
{
	if (c->kind == LM_KIND_NONE)
		return LM_ERR_NO_CARD;
	if (c->kind == LM_KIND_APPLET)
		return cardcmd_applet_wipe(c->apdu, c->ctx);
	return cardcmd_ntag_wipe(c->raw ? ntag_write_page : part3_write_page, c, c->capacity);
}
