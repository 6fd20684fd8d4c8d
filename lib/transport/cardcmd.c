/*
 * cardcmd.c - what a card is and how its image is read, written and wiped,
 * whatever the reader: the applet's APDU sequences, the NTAG TLV layout and
 * page commands, shared by the PC/SC and libnfc backends (see cardcmd.h).
 */
#include "cardcmd.h"

#include <string.h>

#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_transport.h"
#include "lm_proto.h"

static const uint8_t applet_aid[LM_APPLET_AID_LEN] = {LM_APPLET_AID_BYTES};

int cardcmd_sw_err(uint16_t sw)
{
	switch (sw) {
	case LM_SW_OK: return LM_OK;
	case LM_SW_FULL: return LM_ERR_CARD_FULL;
	case LM_SW_INCOMPATIBLE:
	case LM_SW_SECURITY:
	case LM_SW_APPEND_ONLY:
	case LM_SW_WRITE_FAILED: return LM_ERR_WRITE_REFUSED;
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
	uint8_t apdu[5 + sizeof(applet_aid)] = {LM_CLA_ISO, LM_INS_SELECT, LM_P1_SELECT_AID, 0x00,
						sizeof(applet_aid)};
	memcpy(apdu + 5, applet_aid, sizeof(applet_aid));
	uint8_t resp[64];
	size_t rlen = sizeof(resp);
	uint16_t sw;
	int err = fn(ctx, apdu, sizeof(apdu), resp, &rlen, &sw);
	if (err)
		return err;
	return sw == LM_SW_OK ? LM_OK : LM_ERR_UNKNOWN_CARD;
}

int cardcmd_applet_capacity(cardcmd_apdu_fn fn, void *ctx, size_t *capacity)
{
	static const uint8_t apdu[5] = {LM_CLA_ISO, LM_INS_GET_DATA, LM_TAG_CAPACITY >> 8,
					LM_TAG_CAPACITY & 0xff, 0x04};
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
		uint8_t apdu[5] = {LM_CLA_ISO, LM_INS_READ_BINARY, (uint8_t)(off >> 8),
				   (uint8_t)off, (uint8_t)n};
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
			apdu[0] = LM_CLA_PROP, apdu[1] = LM_INS_UPDATE,
			apdu[2] = (uint8_t)(off >> 8);
			apdu[3] = (uint8_t)off, apdu[4] = (uint8_t)c;
			memcpy(apdu + 5, w[i].data + done, c);
			err = apdu_ok(fn, ctx, apdu, 5 + c, resp, sizeof(resp), -1);
			done += c;
		}
	}
	static const uint8_t commit[4] = {LM_CLA_PROP, LM_INS_COMMIT, 0x00, 0x00};
	static const uint8_t abort_tx[4] = {LM_CLA_PROP, LM_INS_ABORT, 0x00, 0x00};
	if (!err)
		return apdu_ok(fn, ctx, commit, sizeof(commit), resp, sizeof(resp), -1);
	/* Drop the staged writes unless the card is gone (then it drops them itself). */
	if (err != LM_ERR_CARD_REMOVED && err != LM_ERR_SERVICE_GONE)
		(void)apdu_ok(fn, ctx, abort_tx, sizeof(abort_tx), resp, sizeof(resp), -1);
	return err;
}

int cardcmd_applet_wipe(cardcmd_apdu_fn fn, void *ctx)
{
	static const uint8_t wipe[4] = {LM_CLA_PROP, LM_INS_WIPE, 0x00, 0x00};
	uint8_t resp[8];
	return apdu_ok(fn, ctx, wipe, sizeof(wipe), resp, sizeof(resp), -1);
}

int cardcmd_ntag_type(uint8_t cc_size, uint8_t version_size, enum lm_card_kind *kind,
		      size_t *capacity)
{
	for (unsigned i = 0; i < LM_NTAG_TYPES; i++) {
		const struct lm_ntag_type *ty = &lm_ntag_types[i];
		if ((cc_size && cc_size == ty->cc_size) ||
		    (version_size && version_size == ty->version_size)) {
			*kind = (enum lm_card_kind)(LM_KIND_NTAG213 + i);
			/* Prefix, image and terminator inside the CC's data area. */
			size_t area = (size_t)ty->cc_size * 8;
			*capacity = (area - CARDCMD_NTAG_PREFIX - 1) / 4 * 4;
			return LM_OK;
		}
	}
	return LM_ERR_UNKNOWN_CARD;
}

/* Pages 4 and 5 for an image of capacity bytes (see cardcmd.h). */
static void ntag_prefix(size_t capacity, uint8_t out[CARDCMD_NTAG_PREFIX])
{
	memset(out, LM_T2T_TLV_NULL, CARDCMD_NTAG_PREFIX);
	out[0] = LM_T2T_TLV_NDEF; /* length 0: the empty NDEF message */
	if (capacity < 0xff) {
		out[6] = LM_T2T_TLV_PROPRIETARY;
		out[7] = (uint8_t)capacity;
	} else {
		out[4] = LM_T2T_TLV_PROPRIETARY;
		out[5] = 0xff; /* three-byte length */
		out[6] = (uint8_t)(capacity >> 8);
		out[7] = (uint8_t)capacity;
	}
}

int cardcmd_ntag_layout(const uint8_t user[CARDCMD_NTAG_PREFIX])
{
	/* 0.1.0 put "FD FF LL LL" at page 4 and the image right after it. */
	return user[0] == LM_T2T_TLV_PROPRIETARY ? LM_ERR_VERSION : LM_OK;
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
			/* Formatting (the magic comes last): the TLV chain around
			 * the image, so that phones see an empty NDEF tag. */
			uint8_t pre[CARDCMD_NTAG_PREFIX], term[4] = {LM_T2T_TLV_TERMINATOR};
			ntag_prefix(capacity, pre);
			int err = fn(ctx, LM_NTAG_USER_PAGE, pre);
			if (!err)
				err = fn(ctx, LM_NTAG_USER_PAGE + 1, pre + 4);
			if (!err)
				err = fn(ctx, (unsigned)(CARDCMD_NTAG_IMAGE + capacity) / 4, term);
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
	static const uint8_t empty[4] = {LM_T2T_TLV_NDEF, 0x00, LM_T2T_TLV_TERMINATOR, 0x00};
	unsigned first = CARDCMD_NTAG_IMAGE / 4,
		 last = (unsigned)(CARDCMD_NTAG_IMAGE + capacity) / 4; /* the terminator */
	int err = fn(ctx, first, zero); /* the magic: the card reads as blank at once */
	for (unsigned pg = first + 1; !err && pg <= last; pg++)
		err = fn(ctx, pg, zero);
	if (!err)
		err = fn(ctx, LM_NTAG_USER_PAGE + 1, zero);
	if (!err)
		err = fn(ctx, LM_NTAG_USER_PAGE, empty);
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

int cardcmd_identify_applet(struct cardcmd_card *c)
{
	c->kind = LM_KIND_NONE;
	c->old_layout = 0;
	int err = cardcmd_applet_select(c->apdu, c->ctx);
	if (!err)
		err = cardcmd_applet_capacity(c->apdu, c->ctx, &c->capacity);
	if (!err)
		c->kind = LM_KIND_APPLET;
	return err;
}

#define PART3_READ_LEN (4 * LM_NTAG_PAGE_SIZE) /* a part-3 READ BINARY gives 4 pages */

/* PC/SC part 3: READ BINARY of pages [page, page+4). */
static int part3_read4(struct cardcmd_card *c, unsigned page, uint8_t out[PART3_READ_LEN])
{
	uint8_t apdu[5] = {LM_PCSC3_CLA, LM_PCSC3_READ_BINARY, 0x00, (uint8_t)page, PART3_READ_LEN};
	return apdu_ok(c->apdu, c->ctx, apdu, sizeof(apdu), out, PART3_READ_LEN, PART3_READ_LEN);
}

/* PC/SC part 3: UPDATE BINARY of one page (the cardcmd_page_fn). */
static int part3_write_page(void *ctx, unsigned page, const uint8_t data[4])
{
	struct cardcmd_card *c = ctx;
	uint8_t apdu[5 + LM_NTAG_PAGE_SIZE] = {LM_PCSC3_CLA, LM_PCSC3_UPDATE_BINARY, 0x00,
					       (uint8_t)page, LM_NTAG_PAGE_SIZE},
			 resp[8];
	memcpy(apdu + 5, data, LM_NTAG_PAGE_SIZE);
	return apdu_ok(c->apdu, c->ctx, apdu, sizeof(apdu), resp, sizeof(resp), -1);
}

int cardcmd_identify_part3(struct cardcmd_card *c, struct lm_card_info *info)
{
	static const uint8_t get_uid[5] = {LM_PCSC3_CLA, LM_PCSC3_GET_DATA, 0x00, 0x00, 0x00};
	uint8_t uid[16], cc[PART3_READ_LEN];
	size_t ulen = sizeof(uid);
	uint16_t sw;
	c->kind = LM_KIND_NONE;
	c->old_layout = 0;
	int err = c->apdu(c->ctx, get_uid, sizeof(get_uid), uid, &ulen, &sw);
	if (!err)
		err = cardcmd_sw_err(sw);
	if (!err)
		err = part3_read4(c, LM_NTAG_CC_PAGE, cc);
	if (err)
		return err;
	if (cc[0] != LM_NTAG_CC_MAGIC)
		return LM_ERR_UNKNOWN_CARD;
	/* The CC's size byte names the tag. */
	enum lm_card_kind kind;
	err = cardcmd_ntag_type(cc[2], 0, &kind, &c->capacity);
	if (err)
		return err;
	/* The read gave pages 3-6: pages 4 and 5 tell the layout. */
	c->old_layout = cardcmd_ntag_layout(cc + LM_NTAG_PAGE_SIZE) != LM_OK;
	c->kind = kind;
	info->uid_len = ulen < sizeof(info->uid) ? ulen : sizeof(info->uid);
	memcpy(info->uid, uid, info->uid_len);
	return LM_OK;
}

int cardcmd_identify_ntag_version(struct cardcmd_card *c, const uint8_t *ver, size_t len)
{
	c->kind = LM_KIND_NONE;
	c->old_layout = 0;
	/* 00 04 04 02 01 00 SS 03: NXP, NTAG, storage size byte (lm_proto.h). */
	if (len < LM_NTAG_VERSION_LEN || ver[1] != 0x04 || ver[2] != 0x04 || ver[3] != 0x02)
		return LM_ERR_UNKNOWN_CARD;
	enum lm_card_kind kind;
	int err = cardcmd_ntag_type(0, ver[LM_NTAG_VERSION_SIZE_BYTE], &kind, &c->capacity);
	if (err)
		return err;
	/* READ gives pages 4-7: pages 4 and 5 tell the layout. */
	uint8_t cmd[2] = {LM_NTAG_CMD_READ, LM_NTAG_USER_PAGE}, user[16 + 2];
	int n = c->raw(c->ctx, cmd, sizeof(cmd), user, sizeof(user));
	if (n < 0)
		return n;
	if (n < 16) /* one byte back is a NAK */
		return n == 1 ? LM_ERR_WRITE_REFUSED : LM_ERR_TRANSPORT;
	c->old_layout = cardcmd_ntag_layout(user) != LM_OK;
	c->kind = kind;
	return LM_OK;
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
		uint8_t cmd[3] = {LM_NTAG_CMD_FAST_READ, (uint8_t)first, (uint8_t)last};
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

/* Native NTAG: one WRITE, answered by a 4-bit ACK or a NAK (the cardcmd_page_fn). */
static int ntag_write_page(void *ctx, unsigned page, const uint8_t data[4])
{
	struct cardcmd_card *c = ctx;
	uint8_t cmd[2 + LM_NTAG_PAGE_SIZE] = {LM_NTAG_CMD_WRITE, (uint8_t)page}, rx[8];
	memcpy(cmd + 2, data, LM_NTAG_PAGE_SIZE);
	int n = c->raw(c->ctx, cmd, sizeof(cmd), rx, sizeof(rx));
	if (n < 0)
		return n;
	if (n >= 1 && (rx[0] & 0x0F) != LM_NTAG_ACK)
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
	if (c->old_layout)
		return LM_ERR_VERSION;
	if (c->raw)
		return ntag_fast_read(c, off, buf, len);
	while (len > 0) {
		size_t abs = CARDCMD_NTAG_IMAGE + off, skip = abs % 4;
		uint8_t four[PART3_READ_LEN];
		int err = part3_read4(c, (unsigned)(abs / 4), four);
		if (err)
			return err;
		size_t n = PART3_READ_LEN - skip < len ? PART3_READ_LEN - skip : len;
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
	int err = cardcmd_ntag_wipe(c->raw ? ntag_write_page : part3_write_page, c, c->capacity);
	if (!err)
		c->old_layout = 0; /* an empty NDEF tag now: ours to format */
	return err;
}
