/*
 * cardcmd.c - what a card is and how its image is read, written and wiped,
 * whatever the reader: the applet's APDU sequences, the NTAG TLV layout and
 * page commands, shared by the PC/SC and libnfc backends (see cardcmd.h).
 */
#include "cardcmd.h"

#include <string.h>

#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_protect.h"
#include "laufmappe/lm_transport.h"
#include "lm_proto.h"

static const uint8_t applet_aid[LM_APPLET_AID_LEN] = {LM_APPLET_AID_BYTES};

static unsigned ntag_cfg0(const struct cardcmd_card *c);
static int part3_cfg_page(void *ctx, unsigned page, const uint8_t data[4]);
#define NTAG_AUTH0_NONE 0xFFu /* AUTH0: no page protected (beyond every size's last page) */

int cardcmd_sw_err(uint16_t sw)
{
	switch (sw) {
	case LM_SW_OK: return LM_OK;
	case LM_SW_FULL: return LM_ERR_CARD_FULL;
	/* A protected card before VERIFY / PWD_AUTH: not a refusal of this
	 * write but "unlock first" (also on reads). */
	case LM_SW_SECURITY: return LM_ERR_LOCKED;
	case LM_SW_BLOCKED: return LM_ERR_BLOCKED;
	case LM_SW_INCOMPATIBLE:
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

int cardcmd_applet_read(cardcmd_apdu_fn fn, void *ctx, size_t off, uint8_t *buf, size_t len,
			size_t max)
{
	if (!max)
		max = CARDCMD_CHUNK;
	while (len > 0) {
		size_t n = len < max ? len : max;
		/* Short Le up to CARDCMD_CHUNK; beyond it extended (00 LeH LeL):
		 * one exchange with the reader instead of one per 240 bytes. */
		uint8_t apdu[7] = {LM_CLA_ISO, LM_INS_READ_BINARY, (uint8_t)(off >> 8),
				   (uint8_t)off, (uint8_t)n};
		size_t alen = 5;
		if (n > CARDCMD_CHUNK) {
			apdu[4] = 0, apdu[5] = (uint8_t)(n >> 8), apdu[6] = (uint8_t)n;
			alen = 7;
		}
		int err = apdu_ok(fn, ctx, apdu, alen, buf, n, (long)n);
		if (err)
			return err;
		off += n, buf += n, len -= n;
	}
	return LM_OK;
}

/*
 * GET DATA 0004 (docs/applet.md "Log digest"): capacity, header and log
 * digest in one answer, kept for the session.  LM_ERR_UNSUPPORTED from an
 * applet before it (6A 88); LM_ERR_LOCKED from a protected card before
 * VERIFY.
 */
static int applet_state(struct cardcmd_card *c)
{
	static const uint8_t apdu[5] = {LM_CLA_ISO, LM_INS_GET_DATA, LM_TAG_DIGEST >> 8,
					LM_TAG_DIGEST & 0xff, LM_DIGEST_ANSWER_LEN};
	uint8_t r[LM_DIGEST_ANSWER_LEN];
	size_t rlen = sizeof(r);
	uint16_t sw;
	int err = c->apdu(c->ctx, apdu, sizeof(apdu), r, &rlen, &sw);
	if (!err && sw == LM_SW_NO_TAG) {
		c->have_digest = -1; /* not asked again in this session */
		return LM_ERR_UNSUPPORTED;
	}
	if (!err)
		err = cardcmd_sw_err(sw);
	if (!err && rlen != sizeof(r))
		err = LM_ERR_TRANSPORT;
	if (err)
		return err;
	c->capacity = (size_t)r[0] << 24 | (size_t)r[1] << 16 | (size_t)r[2] << 8 | r[3];
	memcpy(c->head, r + 4, CARDCMD_HEAD);
	c->covered = (uint16_t)(r[4 + CARDCMD_HEAD] << 8 | r[5 + CARDCMD_HEAD]);
	memcpy(c->digest, r + 8 + CARDCMD_HEAD, sizeof(c->digest));
	c->have_head = c->have_digest = 1;
	return LM_OK;
}

int cardcmd_applet_digest(struct cardcmd_card *c, uint16_t *covered, uint8_t digest[32])
{
	if (c->kind != LM_KIND_APPLET)
		return LM_ERR_UNSUPPORTED;
	if (c->have_digest < 0)
		return LM_ERR_UNSUPPORTED;
	int err = c->have_digest ? LM_OK : applet_state(c);
	if (!err) {
		*covered = c->covered;
		memcpy(digest, c->digest, 32);
	}
	return err;
}

/* The staged writes, then (ref not NULL) CHANGE REFERENCE DATA staged too, then one COMMIT. */
static int applet_write_ref(cardcmd_apdu_fn fn, void *ctx, const struct lm_card_write *w, size_t n,
			    const uint8_t *ref);

int cardcmd_applet_write(cardcmd_apdu_fn fn, void *ctx, const struct lm_card_write *w, size_t n)
{
	return applet_write_ref(fn, ctx, w, n, NULL);
}

static int applet_write_ref(cardcmd_apdu_fn fn, void *ctx, const struct lm_card_write *w, size_t n,
			    const uint8_t *ref)
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
	if (!err && ref) {
		/* docs/applet.md "Protect a blank card": the reference lands with
		 * the image in the same COMMIT, or neither does. */
		apdu[0] = LM_CLA_ISO, apdu[1] = LM_INS_CHANGE_REF, apdu[2] = LM_P1_REF_NEW,
		apdu[3] = LM_P2_REF_ACCESS, apdu[4] = LM_REF_LEN;
		memcpy(apdu + 5, ref, LM_REF_LEN);
		err = apdu_ok(fn, ctx, apdu, 5 + LM_REF_LEN, resp, sizeof(resp), -1);
		lm_protect_wipe(apdu, sizeof(apdu));
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
	c->have_head = c->have_digest = 0;
	c->unlocked = 0;
	int err = cardcmd_applet_select(c->apdu, c->ctx);
	/* One GET DATA for capacity, header and log digest; an applet before
	 * it, or a protected card before VERIFY: GET DATA capacity. */
	if (!err && applet_state(c) != LM_OK)
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
	c->have_head = c->have_digest = 0;
	c->unlocked = 0;
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

/* Pages 4-11 of an identified tag: its layout and, in ours, the header. */
static void ntag_take_user(struct cardcmd_card *c, enum lm_card_kind kind,
			   const uint8_t user[CARDCMD_NTAG_PREFIX + CARDCMD_HEAD])
{
	memcpy(c->head, user + CARDCMD_NTAG_PREFIX, CARDCMD_HEAD);
	c->old_layout = cardcmd_ntag_layout(user) != LM_OK;
	c->have_head = !c->old_layout;
	c->kind = kind;
}

int cardcmd_identify_ntag_version(struct cardcmd_card *c, const uint8_t *ver, size_t len)
{
	c->kind = LM_KIND_NONE;
	c->old_layout = 0;
	c->have_head = c->have_digest = 0;
	c->unlocked = 0;
	/* 00 04 04 02 01 00 SS 03: NXP, NTAG, storage size byte (lm_proto.h). */
	if (len < LM_NTAG_VERSION_LEN || ver[1] != 0x04 || ver[2] != 0x04 || ver[3] != 0x02)
		return LM_ERR_UNKNOWN_CARD;
	enum lm_card_kind kind;
	int err = cardcmd_ntag_type(0, ver[LM_NTAG_VERSION_SIZE_BYTE], &kind, &c->capacity);
	if (err)
		return err;
	/* One FAST_READ of pages 4-11: pages 4 and 5 tell the layout, 6-11 are
	 * the image's 24-byte header, public on a protected tag too (AUTH0 is
	 * page 12): kept, the header is not asked for again in this session. */
	uint8_t cmd[3] = {LM_NTAG_CMD_FAST_READ, LM_NTAG_USER_PAGE,
			  LM_NTAG_USER_PAGE + (CARDCMD_NTAG_PREFIX + CARDCMD_HEAD) / 4 - 1},
		user[CARDCMD_NTAG_PREFIX + CARDCMD_HEAD + 2];
	int n = c->raw(c->ctx, cmd, sizeof(cmd), user, sizeof(user));
	if (n < 0)
		return n;
	if (n != CARDCMD_NTAG_PREFIX + CARDCMD_HEAD) /* one byte back is a NAK */
		return n == 1 ? LM_ERR_WRITE_REFUSED : LM_ERR_TRANSPORT;
	ntag_take_user(c, kind, user);
	return LM_OK;
}

int cardcmd_identify_ntag_cc(struct cardcmd_card *c)
{
	c->kind = LM_KIND_NONE;
	c->old_layout = 0;
	c->have_head = c->have_digest = 0;
	c->unlocked = 0;
	uint8_t cmd[3] = {LM_NTAG_CMD_FAST_READ, LM_NTAG_CC_PAGE,
			  LM_NTAG_USER_PAGE + (CARDCMD_NTAG_PREFIX + CARDCMD_HEAD) / 4 - 1},
		rx[LM_NTAG_PAGE_SIZE + CARDCMD_NTAG_PREFIX + CARDCMD_HEAD + 2];
	int n = c->raw(c->ctx, cmd, sizeof(cmd), rx, sizeof(rx));
	if (n < 0)
		return n;
	enum lm_card_kind kind;
	/* A tag without FAST_READ (NAK), another CC: not known this way. */
	if (n != LM_NTAG_PAGE_SIZE + CARDCMD_NTAG_PREFIX + CARDCMD_HEAD ||
	    rx[0] != LM_NTAG_CC_MAGIC || cardcmd_ntag_type(rx[2], 0, &kind, &c->capacity) != LM_OK)
		return LM_ERR_UNKNOWN_CARD;
	ntag_take_user(c, kind, rx + LM_NTAG_PAGE_SIZE);
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
	if (c->have_head && off < CARDCMD_HEAD) {
		/* The header as identify or an earlier read had it. */
		size_t n = CARDCMD_HEAD - off < len ? CARDCMD_HEAD - off : len;
		memcpy(buf, c->head + off, n);
		off += n, buf += n, len -= n;
		if (!len)
			return LM_OK;
	}
	if (c->kind == LM_KIND_APPLET) {
		int err = cardcmd_applet_read(c->apdu, c->ctx, off, buf, len, c->read_max);
		if (err == LM_ERR_TRANSPORT && c->read_max > CARDCMD_CHUNK) {
			/* A reader that does not carry extended APDUs: short ones from now on. */
			c->read_max = CARDCMD_CHUNK;
			err = cardcmd_applet_read(c->apdu, c->ctx, off, buf, len, c->read_max);
		}
		if (!err && off == 0 && len >= CARDCMD_HEAD) {
			memcpy(c->head, buf, CARDCMD_HEAD);
			c->have_head = 1;
		}
		return err;
	}
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
	c->have_head = c->have_digest = 0; /* the header may change */
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
	c->have_head = c->have_digest = 0; /* the header may change */
	if (c->kind == LM_KIND_NONE)
		return LM_ERR_NO_CARD;
	if (c->kind == LM_KIND_APPLET)
		return cardcmd_applet_wipe(c->apdu, c->ctx);
	cardcmd_page_fn fn = c->raw ? ntag_write_page : part3_cfg_page;
	int err = LM_OK;
	if (c->unlocked) {
		/* A protected tag (authenticated in this session): lift the
		 * protection FIRST (AUTH0 beyond the last page), as the applet's
		 * WIPE clears its reference, then destroy the image.  The other
		 * order has a cut that leaves a blank tag still locked by a
		 * password derived from a salt that is gone: nobody could write
		 * it again.  This way a cut leaves the old card (its image
		 * intact, the old PWD still answering; not enforced until the
		 * next protected format) or a blank, unprotected tag. */
		static const uint8_t open_cfg0[4] = {0x04, 0x00, 0x00, NTAG_AUTH0_NONE};
		err = fn(c, ntag_cfg0(c), open_cfg0);
	}
	if (!err)
		err = cardcmd_ntag_wipe(fn, c, c->capacity);
	if (!err)
		c->old_layout = 0; /* an empty NDEF tag now: ours to format */
	return err;
}

/* ---- Protected cards (docs/format.md 8, docs/applet.md "Protected cards") ---- */

/* The NTAG's configuration pages (NTAG21x datasheet 8.5.7): CFG0 (MIRROR,
 * RFUI, MIRROR_PAGE, AUTH0), CFG1 (ACCESS, RFUI x3), PWD, PACK (PACK, RFUI
 * x2): the last four pages of every size. */
static unsigned ntag_cfg0(const struct cardcmd_card *c)
{
	return lm_ntag_types[c->kind - LM_KIND_NTAG213].pages - 4u;
}

#define NTAG_AUTH0_OFF	 3u    /* AUTH0's byte in CFG0 */
#define NTAG_ACCESS_PROT 0x80u /* ACCESS bit 7: reads need PWD_AUTH too */
#define NTAG_AUTHLIM	 4u    /* ACCESS bits 2..0: 4 failed PWD_AUTHs, then NAK 4 (docs/nfc.md) */
/* AUTH0: the page of image offset 24 (the commit word): pages 6..11, the
 * public header, stay readable, the rest needs PWD_AUTH. */
#define NTAG_AUTH0 ((CARDCMD_NTAG_IMAGE + LM_PROTECT_COMMIT_OFF) / LM_NTAG_PAGE_SIZE)

int cardcmd_status(struct cardcmd_card *c, int *tries_left)
{
	*tries_left = -1;
	if (c->kind == LM_KIND_NONE)
		return LM_ERR_NO_CARD;
	if (c->kind != LM_KIND_APPLET)
		return LM_OK; /* an NTAG does not tell its failed-PWD_AUTH count */
	static const uint8_t status[4] = {LM_CLA_ISO, LM_INS_VERIFY, 0x00, LM_P2_REF_ACCESS};
	uint8_t resp[8];
	size_t rlen = sizeof(resp);
	uint16_t sw;
	int err = c->apdu(c->ctx, status, sizeof(status), resp, &rlen, &sw);
	if (err)
		return err;
	if ((sw & 0xFFF0u) == LM_SW_TRIES) {
		*tries_left = sw & 0x0F;
		return LM_OK;
	}
	switch (sw) {
	case LM_SW_OK: return LM_OK; /* verified in this session already */
	case LM_SW_BLOCKED: *tries_left = 0; return LM_ERR_BLOCKED;
	case LM_SW_NO_REF:			 /* no reference: unprotected */
	case LM_SW_INS: return LM_ERR_NOT_FOUND; /* applet 1.0: knows no VERIFY */
	default: return cardcmd_sw_err(sw);
	}
}

/* Applet VERIFY with the 16-byte value: once, never repeated (each costs a try). */
static int applet_verify(struct cardcmd_card *c, const uint8_t value[LM_REF_LEN], int *tries_left)
{
	uint8_t apdu[5 + LM_REF_LEN] = {LM_CLA_ISO, LM_INS_VERIFY, 0x00, LM_P2_REF_ACCESS,
					LM_REF_LEN},
			 resp[8];
	memcpy(apdu + 5, value, LM_REF_LEN);
	size_t rlen = sizeof(resp);
	uint16_t sw;
	int err = c->apdu(c->ctx, apdu, sizeof(apdu), resp, &rlen, &sw);
	lm_protect_wipe(apdu, sizeof(apdu));
	if (err)
		return err;
	if ((sw & 0xFFF0u) == LM_SW_TRIES) {
		*tries_left = sw & 0x0F;
		return LM_ERR_WRONG_CODE;
	}
	if (sw == LM_SW_BLOCKED)
		*tries_left = 0;
	if (sw == LM_SW_NO_REF)
		return LM_ERR_ARG; /* no reference: nothing to unlock */
	err = cardcmd_sw_err(sw);
	c->unlocked = !err;
	return err;
}

/*
 * PC/SC part 3 supplement (v2.02), "Transparent session": manage session
 * (FF C2 00 00) with the data object 81 00 (start) or 82 00 (end), and the
 * transparent exchange (FF C2 00 01) carrying 90 02 00 00 (transmission
 * and reception flags: the reader adds and checks CRC_A, parity as usual)
 * and 95 LL <frame> (transceive).  The answer is data objects too: C0 03
 * <status> <SW1> <SW2> (generic error status, status 00 = no error) and 97
 * LL <the card's answer>.  *n in: room in rx, out: the answer's length.
 */
#define PART3_SESSION	0x00u /* P2 of FF C2: manage session */
#define PART3_EXCHANGE	0x01u /* P2 of FF C2: transparent exchange */
#define PART3_INS_ENVEL 0xC2u
#define PART3_DO_START	0x81u
#define PART3_DO_END	0x82u
#define PART3_DO_FLAGS	0x90u
#define PART3_DO_XCEIVE 0x95u
#define PART3_DO_STATUS 0xC0u
#define PART3_DO_ANSWER 0x97u

static int part3_session(struct cardcmd_card *c, uint8_t what)
{
	uint8_t apdu[8] = {LM_PCSC3_CLA, PART3_INS_ENVEL, 0x00, PART3_SESSION, 0x02, what, 0x00,
			   0x00},
		resp[32];
	return apdu_ok(c->apdu, c->ctx, apdu, sizeof(apdu), resp, sizeof(resp), -1);
}

static int part3_transceive(struct cardcmd_card *c, const uint8_t *tx, size_t txlen, uint8_t *rx,
			    size_t *n)
{
	uint8_t apdu[5 + 4 + 2 + 32 + 1] = {LM_PCSC3_CLA, PART3_INS_ENVEL, 0x00, PART3_EXCHANGE},
				      resp[64];
	if (txlen > 32)
		return LM_ERR_ARG;
	size_t l = 5;
	apdu[l++] = PART3_DO_FLAGS, apdu[l++] = 0x02, apdu[l++] = 0x00, apdu[l++] = 0x00;
	apdu[l++] = PART3_DO_XCEIVE, apdu[l++] = (uint8_t)txlen;
	memcpy(apdu + l, tx, txlen);
	l += txlen;
	apdu[4] = (uint8_t)(l - 5);
	apdu[l++] = 0x00; /* Le */
	size_t rlen = sizeof(resp);
	uint16_t sw;
	int err = c->apdu(c->ctx, apdu, l, resp, &rlen, &sw);
	lm_protect_wipe(apdu, sizeof(apdu));
	if (!err)
		err = cardcmd_sw_err(sw);
	size_t got = 0;
	int answered = 0;
	/* Walk the answer's data objects (one-byte tags and lengths here). */
	for (size_t i = 0; !err && i + 2 <= rlen;) {
		uint8_t tag = resp[i], len = resp[i + 1];
		if (len > rlen - i - 2) {
			err = LM_ERR_TRANSPORT;
			break;
		}
		const uint8_t *v = resp + i + 2;
		if (tag == PART3_DO_STATUS && len == 3 && v[0] != 0x00)
			err = LM_ERR_CARD_STATUS; /* the reader got no answer it accepts */
		if (tag == PART3_DO_ANSWER) {
			if (len > *n)
				err = LM_ERR_TRANSPORT;
			else
				memcpy(rx, v, len), got = len, answered = 1;
		}
		i += 2u + len;
	}
	lm_protect_wipe(resp, sizeof(resp));
	if (!err && !answered)
		err = LM_ERR_CARD_STATUS; /* no answer object: the tag NAKed or kept silent */
	*n = got;
	return err;
}

/* One tag command in its own transparent session: start, exchange, end
 * (not after the card left: there is nobody to end it with). */
static int part3_command(struct cardcmd_card *c, const uint8_t *tx, size_t txlen, uint8_t *rx,
			 size_t *n)
{
	int err = part3_session(c, PART3_DO_START);
	if (!err)
		err = part3_transceive(c, tx, txlen, rx, n);
	if (err != LM_ERR_CARD_REMOVED && err != LM_ERR_SERVICE_GONE) {
		int end = part3_session(c, PART3_DO_END);
		if (!err)
			err = end;
	}
	return err;
}

/* NTAG PWD_AUTH (1B PWD[4] -> PACK[2]); natively or through the part-3 session. */
static int ntag_pwd_auth(struct cardcmd_card *c, const struct lm_protect_keys *k)
{
	uint8_t cmd[1 + 4] = {LM_NTAG_CMD_PWD_AUTH}, rx[8];
	memcpy(cmd + 1, k->ntag_pwd, 4);
	int n, err = LM_OK;
	if (c->raw) {
		n = c->raw(c->ctx, cmd, sizeof(cmd), rx, sizeof(rx));
		if (n < 0)
			err = n;
		/* A PN53x reports the tag's NAK as a chip error (libnfc's
		 * authentication failure): no PACK, a wrong password. */
		if (err == LM_ERR_WRITE_REFUSED)
			err = LM_OK, n = 0;
	} else {
		size_t got = sizeof(rx);
		err = part3_command(c, cmd, sizeof(cmd), rx, &got);
		n = (int)got;
		if (err == LM_ERR_CARD_STATUS)
			err = LM_OK, n = 0; /* no PACK: a wrong password */
	}
	lm_protect_wipe(cmd, sizeof(cmd));
	if (err)
		return err;
	/* A 4-bit NAK: 4 = the failed-attempt counter reached AUTHLIM. */
	if (n == 1 && (rx[0] & 0x0F) == LM_NTAG_NAK_AUTHLIM)
		return LM_ERR_BLOCKED;
	if (n != 2)
		return LM_ERR_WRONG_CODE;
	/* The PACK answers for the tag: a tag that answers with another PACK
	 * is not the one this code was made for. */
	if ((rx[0] ^ k->ntag_pack[0]) | (rx[1] ^ k->ntag_pack[1]))
		return LM_ERR_WRONG_CODE;
	c->unlocked = 1;
	return LM_OK;
}

/*
 * A page write behind a PC/SC part 3 reader for the protected paths: the
 * configuration pages (CFG0, CFG1, PWD, PACK: the tag's last four) are not
 * storage the reader's UPDATE BINARY writes (readers answer 69 81, as
 * lm-vcard does), so they go as the tag's own WRITE (A2 page data) in a
 * transparent session; the answer is the tag's 4-bit ACK.  Other pages:
 * UPDATE BINARY as always.
 */
static int part3_cfg_page(void *ctx, unsigned page, const uint8_t data[4])
{
	struct cardcmd_card *c = ctx;
	if (page < ntag_cfg0(c))
		return part3_write_page(ctx, page, data);
	uint8_t cmd[2 + LM_NTAG_PAGE_SIZE] = {LM_NTAG_CMD_WRITE, (uint8_t)page}, rx[4];
	memcpy(cmd + 2, data, LM_NTAG_PAGE_SIZE);
	size_t got = sizeof(rx);
	int err = part3_command(c, cmd, sizeof(cmd), rx, &got);
	lm_protect_wipe(cmd, sizeof(cmd)); /* it may carry PWD */
	if (err == LM_ERR_CARD_STATUS)
		return LM_ERR_WRITE_REFUSED; /* no answer from the tag: a NAK */
	if (!err && (got != 1 || (rx[0] & 0x0Fu) != LM_NTAG_ACK))
		err = LM_ERR_WRITE_REFUSED;
	return err;
}

static int ntag_relock(struct cardcmd_card *c);

void cardcmd_lock(struct cardcmd_card *c)
{
	if (!c->unlocked)
		return;
	c->unlocked = 0;
	if (c->kind == LM_KIND_APPLET)
		(void)cardcmd_applet_select(c->apdu, c->ctx); /* a SELECT ends VERIFY's state */
	else if (!c->raw && c->kind != LM_KIND_NONE) {
		/* The field off and on: a new power-up, PWD_AUTH forgotten. */
		(void)part3_session(c, LM_PCSC3_DO_RF_OFF);
		(void)part3_session(c, LM_PCSC3_DO_RF_ON);
	}
}

int cardcmd_unlock(struct cardcmd_card *c, const struct lm_protect_keys *k, int *tries_left)
{
	*tries_left = -1;
	if (c->kind == LM_KIND_NONE)
		return LM_ERR_NO_CARD;
	if (c->kind == LM_KIND_APPLET)
		return applet_verify(c, k->applet, tries_left);
	if (c->old_layout)
		return LM_ERR_VERSION;
	int err = ntag_pwd_auth(c, k);
	return err ? err : ntag_relock(c);
}

/*
 * NTAG: the password first, then the image, then the protection.  PWD and
 * PACK land while AUTH0 is still FF (nothing enforced), so the image's magic
 * never lands on a tag whose password is not the new one: a cut before the
 * magic leaves a blank card; between the magic and AUTH0 a readable
 * version 2 card whose PWD_AUTH already answers to the code; AUTH0 (with
 * ACCESS before it: PROT, AUTHLIM) is written LAST, as the datasheet
 * advises, so a tag is never protected by a password nobody knows.
 */
static int ntag_set_password(struct cardcmd_card *c, cardcmd_page_fn fn,
			     const struct lm_protect_keys *k)
{
	unsigned cfg0 = ntag_cfg0(c);
	uint8_t pwd[4], pack[4] = {k->ntag_pack[0], k->ntag_pack[1], 0x00, 0x00};
	memcpy(pwd, k->ntag_pwd, 4);
	int err = fn(c, cfg0 + 2, pwd);
	lm_protect_wipe(pwd, sizeof(pwd));
	if (!err)
		err = fn(c, cfg0 + 3, pack);
	return err;
}

static int ntag_protect(struct cardcmd_card *c, cardcmd_page_fn fn)
{
	unsigned cfg0 = ntag_cfg0(c);
	static const uint8_t access[4] = {NTAG_ACCESS_PROT | NTAG_AUTHLIM, 0x05, 0x00, 0x00},
			     auth0[4] = {0x04, 0x00, 0x00, (uint8_t)NTAG_AUTH0};
	int err = fn(c, cfg0 + 1, access);
	if (!err)
		err = fn(c, cfg0, auth0);
	return err;
}

/*
 * After a right PWD_AUTH: a protected format (or the one in a rewrite) cut
 * between its magic and AUTH0 leaves a tag that the code opens but that
 * does not enforce it yet.  The session is authenticated now, so finish
 * the job: ACCESS, then AUTH0 last, as the format writes them (a cut here
 * leaves it as it was, finished at the next unlock).  One READ of CFG0 on
 * every unlock; a write only when AUTH0 is not the protected one.
 */
static int ntag_relock(struct cardcmd_card *c)
{
	uint8_t four[16];
	unsigned cfg0 = ntag_cfg0(c);
	int err;
	if (c->raw) {
		uint8_t cmd[2] = {LM_NTAG_CMD_READ, (uint8_t)cfg0};
		int n = c->raw(c->ctx, cmd, sizeof(cmd), four, sizeof(four));
		err = n < 0 ? n : n == (int)sizeof(four) ? LM_OK : LM_ERR_TRANSPORT;
	} else {
		err = part3_read4(c, cfg0, four);
	}
	if (!err && four[NTAG_AUTH0_OFF] != NTAG_AUTH0)
		err = ntag_protect(c, c->raw ? ntag_write_page : part3_cfg_page);
	return err;
}

int cardcmd_write_protected(struct cardcmd_card *c, const struct lm_card_write *w, size_t n,
			    const struct lm_protect_keys *k)
{
	c->have_head = c->have_digest = 0; /* the header may change */
	if (c->kind == LM_KIND_NONE)
		return LM_ERR_NO_CARD;
	for (size_t i = 0; i < n; i++)
		if (w[i].off > c->capacity || w[i].len > c->capacity - w[i].off)
			return LM_ERR_CARD_FULL;
	if (c->kind == LM_KIND_APPLET) {
		int err = applet_write_ref(c->apdu, c->ctx, w, n, k->applet);
		c->unlocked = !err; /* the COMMIT that set the reference verifies */
		return err;
	}
	cardcmd_page_fn fn = c->raw ? ntag_write_page : part3_cfg_page;
	int err = ntag_set_password(c, fn, k);
	if (!err)
		err = cardcmd_ntag_write(fn, c, c->capacity, w, n);
	if (!err)
		err = ntag_protect(c, fn);
	/* AUTH0 took effect at once and setting it authenticates nobody: one
	 * PWD_AUTH with the new password opens this session (and proves the
	 * tag took PWD and PACK). */
	if (!err)
		err = ntag_pwd_auth(c, k);
	return err;
}
