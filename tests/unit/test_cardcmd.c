/*
 * test_cardcmd.c - the NTAG layout of lib/transport/cardcmd.c on the NTAG21x
 * model (firmware/ntag), driven through the real transport functions
 * (format, append until full, wipe), and read back the way a phone's NDEF
 * reader reads a Type 2 tag: the capability container's data area, walked
 * TLV by TLV by a small walker written here from the NFC Forum rules, not
 * from our code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cardcmd.h"
#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_key.h"
#include "laufmappe/lm_transport.h"
#include "lm_applet.h"
#include "lm_ntag.h"
#include "lm_nvm_ram.h"
#include "lm_proto.h"
#include "laufmappe/lm_protect.h"

static const uint8_t holder[LM_HOLDER_LEN] = {0xa1, 0xa2};
static const uint8_t uid[7] = {0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66};

/* ---- a transport backend on the tag model (tests only) ---------------- */

struct model {
	struct lm_ntag tag;
	size_t capacity;
	enum lm_card_kind kind;
};

static int model_page(void *ctx, unsigned page, const uint8_t data[4])
{
	struct model *m = ctx;
	return lm_ntag_write_page(&m->tag, (uint8_t)page, data) == LM_NTAG_OK
		       ? LM_OK
		       : LM_ERR_WRITE_REFUSED;
}

static int model_identify(struct lm_transport *t, struct lm_card_info *info)
{
	struct model *m = t->priv;
	uint8_t four[16];
	assert_int_equal(lm_ntag_read(&m->tag, LM_NTAG_CC_PAGE, four), LM_NTAG_OK);
	int err = cardcmd_ntag_type(four[2], 0, &m->kind, &m->capacity);
	info->kind = m->kind;
	info->capacity = m->capacity;
	return err;
}

static int model_read(struct lm_transport *t, size_t off, uint8_t *buf, size_t len)
{
	struct model *m = t->priv;
	assert_true(off + len <= m->capacity);
	memcpy(buf, m->tag.mem + CARDCMD_NTAG_IMAGE + off, len);
	return LM_OK;
}

static int model_write(struct lm_transport *t, const struct lm_card_write *w, size_t n)
{
	struct model *m = t->priv;
	for (size_t i = 0; i < n; i++)
		if (w[i].off > m->capacity || w[i].len > m->capacity - w[i].off)
			return LM_ERR_CARD_FULL;
	return cardcmd_ntag_write(model_page, m, m->capacity, w, n);
}

static int model_wipe(struct lm_transport *t)
{
	struct model *m = t->priv;
	return cardcmd_ntag_wipe(model_page, m, m->capacity);
}

static const struct lm_transport_ops model_ops = {
	.name = "ntag-model",
	.identify = model_identify,
	.read = model_read,
	.write = model_write,
	.wipe = model_wipe,
};

/* ---- a phone's view: the Type 2 TLV chain in the CC's data area -------- */

struct phone_view {
	int ndef_found;	   /* an NDEF message TLV was found */
	size_t ndef_len;   /* its length (0: an empty NDEF message) */
	int terminated;	   /* a terminator TLV inside the data area */
	int prop_found;	   /* a proprietary TLV */
	size_t prop_off;   /* its value's tag byte offset */
	size_t prop_len;   /* its length */
	const char *error; /* why the chain is not well-formed, or NULL */
};

/*
 * Walk the data area as T2TOP 1.1 section 2.3 describes it: from byte 16
 * (page 4), CC byte 2 x 8 bytes long; NULL TLVs are one byte, a terminator
 * ends the chain, other TLVs have a one-byte length or FF and two bytes.
 * Every TLV must end inside the data area.
 */
static struct phone_view phone_read(const uint8_t *mem)
{
	struct phone_view v = {0};
	if (mem[12] != 0xE1 || (mem[13] >> 4) != 1) {
		v.error = "no NDEF capability container";
		return v;
	}
	size_t area = (size_t)mem[14] * 8, pos = 0;
	const uint8_t *d = mem + 16;
	while (pos < area) {
		uint8_t t = d[pos];
		if (t == 0x00) {
			pos++;
			continue;
		}
		if (t == 0xFE) {
			v.terminated = 1;
			return v;
		}
		if (pos + 2 > area) {
			v.error = "a TLV head runs past the data area";
			return v;
		}
		size_t len = d[pos + 1], head = 2;
		if (len == 0xFF) {
			if (pos + 4 > area) {
				v.error = "a three-byte length runs past the data area";
				return v;
			}
			len = (size_t)d[pos + 2] << 8 | d[pos + 3];
			head = 4;
			if (len < 0xFF) {
				v.error = "a three-byte length for a value under 255 bytes";
				return v;
			}
		}
		if (pos + head + len > area) {
			v.error = "a TLV value runs past the data area";
			return v;
		}
		if (t == 0x03 && !v.ndef_found) {
			v.ndef_found = 1;
			v.ndef_len = len;
		} else if (t == 0xFD) {
			v.prop_found = 1;
			v.prop_off = 16 + pos + head;
			v.prop_len = len;
		} else if (t != 0x01 && t != 0x02 && t != 0x03) {
			v.error = "an unknown TLV type";
			return v;
		}
		pos += head + len;
	}
	return v; /* no terminator: the chain ends with the data area */
}

/* A phone sees an empty NDEF tag, with our image in the proprietary TLV. */
static void check_phone_view(const struct model *m, int formatted)
{
	struct phone_view v = phone_read(m->tag.mem);
	if (v.error)
		fail_msg("NTAG%s: %s", lm_card_kind_name(m->kind) + 4, v.error);
	assert_true(v.ndef_found);
	assert_int_equal(v.ndef_len, 0); /* the empty NDEF message */
	assert_true(v.terminated);
	assert_int_equal(v.prop_found, formatted);
	if (formatted) {
		assert_int_equal(v.prop_off, CARDCMD_NTAG_IMAGE);
		assert_int_equal(v.prop_len, m->capacity);
		assert_int_equal(m->tag.mem[v.prop_off], 'L');
		assert_int_equal(m->tag.mem[v.prop_off + 1], 'M');
	}
}

static void test_layout_inside_cc_area(void **state)
{
	(void)state;
	/* The typical entry of docs/format.md (98 bytes, 100 padded). */
	struct lm_key *key;
	struct lm_entry e;
	uint8_t entry[LM_ENTRY_MAX];
	size_t elen;
	assert_int_equal(lm_key_generate(&key), LM_OK);
	lm_entry_init(&e, LM_TYPE_IK, 20781);
	lm_entry_set_num(&e, 11, 700);
	lm_entry_set_num(&e, 12, 700);
	assert_int_equal(lm_entry_sign(&e, key, holder, 0, entry, sizeof(entry), &elen), LM_OK);
	lm_key_free(key);
	assert_int_equal((elen + 3) / 4 * 4, 100);

	static const size_t want_capacity[3] = {132, 484, 860};
	static const int want_entries[3] = {1, 4, 8};
	for (unsigned k = 0; k < 3; k++) {
		struct model m;
		memset(&m, 0, sizeof(m));
		lm_ntag_init(&m.tag, (enum lm_ntag_kind)k, uid);
		struct lm_transport t = {.ops = &model_ops, .priv = &m};
		struct lm_card_info info;
		assert_int_equal(lm_transport_identify(&t, &info), LM_OK);
		assert_int_equal(info.capacity, want_capacity[k]);
		/* Factory-fresh: an empty NDEF tag, and not a Laufmappe. */
		check_phone_view(&m, 0);
		uint8_t img[1024];
		size_t len;
		struct lm_card c;
		assert_int_equal(lm_transport_read_image(&t, &info, img, &len, &c),
				 LM_ERR_NOT_FORMATTED);

		assert_int_equal(lm_transport_format(&t, &info, holder), LM_OK);
		check_phone_view(&m, 1);
		int n = 0, err;
		while ((err = lm_transport_append(&t, &info, entry, elen)) == LM_OK) {
			n++;
			check_phone_view(&m, 1);
		}
		assert_int_equal(err, LM_ERR_CARD_FULL);
		assert_int_equal(n, want_entries[k]);
		assert_int_equal(lm_transport_read_image(&t, &info, img, &len, &c), LM_OK);
		assert_int_equal(lm_card_count(&c), n);

		/* Wiped: an empty NDEF tag again, no byte of the image left. */
		assert_int_equal(lm_transport_wipe(&t), LM_OK);
		check_phone_view(&m, 0);
		for (size_t i = CARDCMD_NTAG_IMAGE; i < CARDCMD_NTAG_IMAGE + info.capacity; i++)
			assert_int_equal(m.tag.mem[i], 0);
		assert_int_equal(lm_transport_read_image(&t, &info, img, &len, &c),
				 LM_ERR_NOT_FORMATTED);
	}
}

/* A tag formatted by 0.1.0 (page 4 "FD FF LL LL") is never taken for blank. */
static void test_old_layout_recognised(void **state)
{
	(void)state;
	static const uint8_t old[8] = {0xFD, 0xFF, 0x03, 0x74, 'L', 'M', 1, 0};
	static const uint8_t ours[8] = {0x03, 0x00, 0x00, 0x00, 0xFD, 0xFF, 0x03, 0x5C};
	static const uint8_t fresh[8] = {0x03, 0x00, 0xFE, 0x00};
	static const uint8_t zero[8];
	assert_int_equal(cardcmd_ntag_layout(old), LM_ERR_VERSION);
	assert_int_equal(cardcmd_ntag_layout(ours), LM_OK);
	assert_int_equal(cardcmd_ntag_layout(fresh), LM_OK);
	assert_int_equal(cardcmd_ntag_layout(zero), LM_OK);
}

/* ---- protected cards: the bytes on the wire (cardcmd_unlock / _write_protected) ---- */

/* A recording card: every command it gets, and canned answers. */
struct rec {
	uint8_t cmd[256][48];
	size_t len[256];
	int n;
	uint8_t pwd[4], pack[2]; /* the NTAG's password and PACK */
	int fails, authlim;	 /* failed PWD_AUTHs; the limit (NAK 4 from then on) */
	uint16_t verify_sw;	 /* the applet's answer to VERIFY with data */
	int no_ext;		 /* a reader without extended APDUs */
	uint8_t auth0;		 /* AUTH0 a READ of CFG0 shows (0: 0C, protected) */
};

/* A READ of 4 pages from CFG0: AUTH0 as the test set it. */
static void rec_cfg0(const struct rec *r, uint8_t out[16])
{
	memset(out, 0, 16);
	out[0] = 0x04, out[3] = r->auth0 ? r->auth0 : 0x0C;
	out[4] = 0x84, out[5] = 0x05;
}

static void rec_log(struct rec *r, const uint8_t *tx, size_t len)
{
	assert_true(r->n < 256 && len <= sizeof(r->cmd[0]));
	memcpy(r->cmd[r->n], tx, len);
	r->len[r->n++] = len;
}

/* PWD_AUTH as the NTAG21x datasheet has it: PACK, or a NAK (4 at AUTHLIM). */
static int rec_pwd_auth(struct rec *r, const uint8_t *tx, uint8_t *rx)
{
	if (r->authlim && r->fails >= r->authlim) {
		rx[0] = LM_NTAG_NAK_AUTHLIM;
		return 1;
	}
	if (memcmp(tx + 1, r->pwd, 4)) {
		r->fails++;
		rx[0] = LM_NTAG_NAK_INVALID;
		return 1;
	}
	r->fails = 0;
	memcpy(rx, r->pack, 2);
	return 2;
}

static int rec_raw(void *ctx, const uint8_t *tx, size_t txlen, uint8_t *rx, size_t cap)
{
	struct rec *r = ctx;
	rec_log(r, tx, txlen);
	assert_true(cap >= 2);
	if (tx[0] == LM_NTAG_CMD_PWD_AUTH && txlen == 5)
		return rec_pwd_auth(r, tx, rx);
	if (tx[0] == LM_NTAG_CMD_READ && cap >= 16) {
		rec_cfg0(r, rx);
		return 16;
	}
	rx[0] = LM_NTAG_ACK; /* WRITE */
	return 1;
}

static int rec_apdu(void *ctx, const uint8_t *apdu, size_t len, uint8_t *resp, size_t *rlen,
		    uint16_t *sw)
{
	struct rec *r = ctx;
	rec_log(r, apdu, len);
	*rlen = 0;
	*sw = LM_SW_OK;
	if (apdu[0] == 0xFF && apdu[1] == 0xC2 && apdu[3] == 0x01) {
		/* Transparent exchange: the frame in DO 95, the answer in DO 97. */
		uint8_t ans[4];
		assert_int_equal(apdu[9], 0x95);
		int n = 1;
		if (apdu[11] == LM_NTAG_CMD_PWD_AUTH)
			n = rec_pwd_auth(r, apdu + 11, ans);
		else
			ans[0] = LM_NTAG_ACK; /* a transparent WRITE */
		static const uint8_t ok[5] = {0xC0, 0x03, 0x00, 0x90, 0x00};
		memcpy(resp, ok, 5);
		resp[5] = 0x97, resp[6] = (uint8_t)n;
		memcpy(resp + 7, ans, (size_t)n);
		*rlen = 7 + (size_t)n;
	} else if (apdu[0] == 0xFF && apdu[1] == 0xC2) {
		static const uint8_t ok[5] = {0xC0, 0x03, 0x00, 0x90, 0x00};
		memcpy(resp, ok, 5);
		*rlen = 5;
	} else if (apdu[0] == LM_PCSC3_CLA && apdu[1] == LM_PCSC3_READ_BINARY) {
		rec_cfg0(r, resp);
		*rlen = 16;
	} else if (apdu[1] == LM_INS_VERIFY) {
		*sw = r->verify_sw;
	} else if (apdu[1] == LM_INS_READ_BINARY) {
		if (len == 7 && r->no_ext)
			return LM_ERR_TRANSPORT;
		size_t le = len == 7 ? (size_t)apdu[5] << 8 | apdu[6] : apdu[4];
		memset(resp, 0xAB, le);
		*rlen = le;
	}
	return LM_OK;
}

static void fake_keys(struct lm_protect_keys *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->ntag_pwd, "\x11\x22\x33\x44", 4);
	memcpy(k->ntag_pack, "\x55\x66", 2);
	memset(k->applet, 0xA7, sizeof(k->applet));
}

/* A protected format's writes as lm_transport_format_protected orders them. */
static size_t format_writes(uint8_t img[60], struct lm_card_write w[4])
{
	for (int i = 0; i < 60; i++)
		img[i] = (uint8_t)(0x30 + i);
	img[0] = 'L', img[1] = 'M', img[2] = 2, img[3] = 0;
	img[24] = 0, img[25] = 0, img[26] = 0xff, img[27] = 0xff;
	w[0] = (struct lm_card_write){4, img + 4, 20};
	w[1] = (struct lm_card_write){28, img + 28, 32};
	w[2] = (struct lm_card_write){24, img + 24, 4};
	w[3] = (struct lm_card_write){0, img, 4};
	return 4;
}

static void test_ntag_protect_native(void **state)
{
	(void)state;
	struct rec r = {.pwd = {0x11, 0x22, 0x33, 0x44}, .pack = {0x55, 0x66}, .authlim = 4};
	struct cardcmd_card c = {.raw = rec_raw,
				 .apdu = rec_apdu,
				 .ctx = &r,
				 .kind = LM_KIND_NTAG216,
				 .capacity = 860};
	struct lm_protect_keys k;
	fake_keys(&k);
	uint8_t img[60];
	struct lm_card_write w[4];
	size_t n = format_writes(img, w);
	assert_int_equal(cardcmd_write_protected(&c, w, n, &k), LM_OK);
	/* PWD E5 and PACK E6 first (AUTH0 still FF), the image pages with the
	 * magic page (6) last among them, then ACCESS E4 and AUTH0 E3 last. */
	/* ... and one PWD_AUTH with the new password opens the session. */
	assert_int_equal(r.cmd[r.n - 1][0], LM_NTAG_CMD_PWD_AUTH);
	r.n--;
	int magic = -1;
	for (int i = 0; i < r.n; i++) {
		assert_int_equal(r.cmd[i][0], LM_NTAG_CMD_WRITE);
		if (r.cmd[i][1] == 6)
			magic = i;
	}
	assert_int_equal(magic, r.n - 3);
	assert_memory_equal(r.cmd[magic] + 2, "LM\x02\x00", 4);
	static const uint8_t pwd[6] = {0xA2, 0xE5, 0x11, 0x22, 0x33, 0x44},
			     pack[6] = {0xA2, 0xE6, 0x55, 0x66, 0x00, 0x00},
			     access[6] = {0xA2, 0xE4, 0x84, 0x05, 0x00, 0x00},
			     auth0[6] = {0xA2, 0xE3, 0x04, 0x00, 0x00, 0x0C};
	assert_memory_equal(r.cmd[0], pwd, 6);
	assert_memory_equal(r.cmd[1], pack, 6);
	assert_memory_equal(r.cmd[r.n - 2], access, 6);
	assert_memory_equal(r.cmd[r.n - 1], auth0, 6);
	/* PWD_AUTH once, the PACK compared. */
	r.n = 0;
	int tries;
	assert_int_equal(cardcmd_unlock(&c, &k, &tries), LM_OK);
	assert_int_equal(r.n, 2); /* PWD_AUTH, then a READ of CFG0: AUTH0 in place */
	static const uint8_t auth[5] = {0x1B, 0x11, 0x22, 0x33, 0x44}, rd_cfg0[2] = {0x30, 0xE3};
	assert_memory_equal(r.cmd[0], auth, 5);
	assert_memory_equal(r.cmd[1], rd_cfg0, 2);
	assert_int_equal(tries, -1);
	/* A tag whose format was cut between its magic and AUTH0 (AUTH0 still
	 * FF): the unlock finishes it, ACCESS then AUTH0 last. */
	r.auth0 = 0xFF, r.n = 0;
	assert_int_equal(cardcmd_unlock(&c, &k, &tries), LM_OK);
	assert_int_equal(r.n, 4);
	assert_memory_equal(r.cmd[2], access, 6);
	assert_memory_equal(r.cmd[3], auth0, 6);
	r.auth0 = 0;
	/* A tag answering another PACK is not this card. */
	r.pack[1] ^= 1;
	assert_int_equal(cardcmd_unlock(&c, &k, &tries), LM_ERR_WRONG_CODE);
	r.pack[1] ^= 1;
	/* Wrong passwords: NAK, then AUTHLIM reached: NAK 4, blocked. */
	k.ntag_pwd[0] ^= 1;
	for (int i = 0; i < 4; i++)
		assert_int_equal(cardcmd_unlock(&c, &k, &tries), LM_ERR_WRONG_CODE);
	assert_int_equal(cardcmd_unlock(&c, &k, &tries), LM_ERR_BLOCKED);
	/* A wipe in an authenticated session lifts the protection first. */
	k.ntag_pwd[0] ^= 1;
	r.fails = 0;
	assert_int_equal(cardcmd_unlock(&c, &k, &tries), LM_OK);
	r.n = 0;
	assert_int_equal(cardcmd_wipe(&c), LM_OK);
	/* AUTH0 lifted first (a cut never leaves a blank tag locked by a
	 * password nobody can derive again), then the magic, then the rest. */
	static const uint8_t open[6] = {0xA2, 0xE3, 0x04, 0x00, 0x00, 0xFF};
	assert_memory_equal(r.cmd[0], open, 6);
	assert_memory_equal(r.cmd[1], "\xA2\x06\x00\x00\x00\x00", 6); /* the magic */
}

static void test_ntag_protect_part3(void **state)
{
	(void)state;
	struct rec r = {.pwd = {0x11, 0x22, 0x33, 0x44}, .pack = {0x55, 0x66}};
	struct cardcmd_card c = {
		.apdu = rec_apdu, .ctx = &r, .kind = LM_KIND_NTAG215, .capacity = 484};
	struct lm_protect_keys k;
	fake_keys(&k);
	int tries;
	assert_int_equal(cardcmd_unlock(&c, &k, &tries), LM_OK);
	/* PC/SC part 3 supplement: start a transparent session, transceive
	 * PWD_AUTH (the reader adds CRC_A), end the session; then READ BINARY
	 * of CFG0 (AUTH0 in place: nothing written). */
	static const uint8_t start[8] = {0xFF, 0xC2, 0x00, 0x00, 0x02, 0x81, 0x00, 0x00},
			     xchg[17] = {0xFF, 0xC2, 0x00, 0x01, 0x0B, 0x90, 0x02, 0x00, 0x00,
					 0x95, 0x05, 0x1B, 0x11, 0x22, 0x33, 0x44, 0x00},
			     end[8] = {0xFF, 0xC2, 0x00, 0x00, 0x02, 0x82, 0x00, 0x00};
	assert_int_equal(r.n, 4);
	static const uint8_t rd_cfg0[5] = {0xFF, 0xB0, 0x00, 0x83, 0x10};
	assert_memory_equal(r.cmd[3], rd_cfg0, sizeof(rd_cfg0));
	assert_int_equal(r.len[0], sizeof(start));
	assert_memory_equal(r.cmd[0], start, sizeof(start));
	assert_int_equal(r.len[1], sizeof(xchg));
	assert_memory_equal(r.cmd[1], xchg, sizeof(xchg));
	assert_memory_equal(r.cmd[2], end, sizeof(end));
	k.ntag_pwd[3] ^= 1;
	assert_int_equal(cardcmd_unlock(&c, &k, &tries), LM_ERR_WRONG_CODE);
	/* The configuration pages of an NTAG215 (0x83..0x86) through UPDATE BINARY. */
	k.ntag_pwd[3] ^= 1;
	uint8_t img[60];
	struct lm_card_write w[4];
	size_t n = format_writes(img, w);
	r.n = 0;
	assert_int_equal(cardcmd_write_protected(&c, w, n, &k), LM_OK);
	/* The configuration pages are no storage UPDATE BINARY writes (readers
	 * answer 69 81): the tag's own WRITE in a transparent session each,
	 * PWD (0x85) and PACK (0x86) first, then the image by UPDATE BINARY,
	 * ACCESS (0x84), AUTH0 (0x83) last, then PWD_AUTH. */
	static const uint8_t pwd_w[17] = {0xFF, 0xC2, 0x00, 0x01, 0x0C, 0x90, 0x02, 0x00, 0x00,
					  0x95, 0x06, 0xA2, 0x85, 0x11, 0x22, 0x33, 0x44},
			     auth0[17] = {0xFF, 0xC2, 0x00, 0x01, 0x0C, 0x90, 0x02, 0x00, 0x00,
					  0x95, 0x06, 0xA2, 0x83, 0x04, 0x00, 0x00, 0x0C};
	assert_memory_equal(r.cmd[0], start, sizeof(start));
	assert_memory_equal(r.cmd[1], pwd_w, sizeof(pwd_w));
	assert_memory_equal(r.cmd[2], end, sizeof(end));
	assert_int_equal(r.cmd[4][12], 0x86); /* then PACK */
	assert_memory_equal(r.cmd[r.n - 1], end, sizeof(end)); /* then PWD_AUTH */
	assert_memory_equal(r.cmd[r.n - 5], auth0, sizeof(auth0));
	for (int i = 6; i < r.n - 9; i++)
		assert_int_equal(r.cmd[i][1], 0xD6); /* the image: UPDATE BINARY */
}

/*
 * A reader that carries extended APDUs reads the applet's log in one
 * READ BINARY (one exchange with the reader, chained on the air); one that
 * does not is asked once, then in short APDUs for good.
 */
static void test_applet_read_extended(void **state)
{
	(void)state;
	struct rec r = {0};
	struct cardcmd_card c = {.apdu = rec_apdu, .ctx = &r, .kind = LM_KIND_APPLET,
				 .capacity = 8192, .read_max = CARDCMD_EXT_READ};
	static uint8_t buf[8192];
	assert_int_equal(cardcmd_read(&c, 24, buf, 1500), LM_OK);
	static const uint8_t ext[7] = {0x00, 0xB0, 0x00, 0x18, 0x00, 0x05, 0xDC};
	assert_int_equal(r.n, 1);
	assert_int_equal(r.len[0], 7);
	assert_memory_equal(r.cmd[0], ext, 7);
	assert_int_equal(buf[1499], 0xAB);
	r.n = 0, r.no_ext = 1;
	assert_int_equal(cardcmd_read(&c, 24, buf, 1500), LM_OK);
	assert_int_equal(r.n, 1 + 7); /* the refused one, then 6 x 240 + 60 */
	assert_int_equal(r.len[1], 5);
	assert_int_equal(r.cmd[1][4], 240);
	assert_int_equal(c.read_max, CARDCMD_CHUNK);
	r.n = 0;
	assert_int_equal(cardcmd_read(&c, 24, buf, 480), LM_OK);
	assert_int_equal(r.n, 2);
}

static void test_applet_protect(void **state)
{
	(void)state;
	struct rec r = {.verify_sw = 0x63C3};
	struct cardcmd_card c = {
		.apdu = rec_apdu, .ctx = &r, .kind = LM_KIND_APPLET, .capacity = 2048};
	struct lm_protect_keys k;
	fake_keys(&k);
	int tries;
	assert_int_equal(cardcmd_unlock(&c, &k, &tries), LM_ERR_WRONG_CODE);
	assert_int_equal(tries, 3);
	uint8_t verify[21] = {0x00, 0x20, 0x00, 0x81, 0x10};
	memset(verify + 5, 0xA7, 16);
	assert_int_equal(r.n, 1); /* once: never repeated */
	assert_memory_equal(r.cmd[0], verify, sizeof(verify));
	r.verify_sw = 0x6983;
	assert_int_equal(cardcmd_unlock(&c, &k, &tries), LM_ERR_BLOCKED);
	assert_int_equal(tries, 0);
	r.verify_sw = 0x9000;
	assert_int_equal(cardcmd_unlock(&c, &k, &tries), LM_OK);
	/* The format: UPDATEs, the reference staged, one COMMIT last. */
	uint8_t img[60];
	struct lm_card_write w[4];
	size_t n = format_writes(img, w);
	r.n = 0;
	assert_int_equal(cardcmd_write_protected(&c, w, n, &k), LM_OK);
	assert_int_equal(r.n, 6);
	for (int i = 0; i < 4; i++)
		assert_int_equal(r.cmd[i][1], LM_INS_UPDATE);
	uint8_t change[21] = {0x00, 0x24, 0x01, 0x81, 0x10};
	memset(change + 5, 0xA7, 16);
	assert_memory_equal(r.cmd[4], change, sizeof(change));
	assert_memory_equal(r.cmd[5], "\x80\xDA\x00\x00", 4);
	/* 69 82 is "unlock first", on a read as on a write. */
	assert_int_equal(cardcmd_sw_err(0x6982), LM_ERR_LOCKED);
	assert_int_equal(cardcmd_sw_err(0x6983), LM_ERR_BLOCKED);
}

/* ---- a protected NTAG216 on the tag model, through the transport ---------- */

/* The model as a native (libnfc-like) tag: every command through lm_ntag_process. */
static int tag_raw(void *ctx, const uint8_t *tx, size_t txlen, uint8_t *rx, size_t cap)
{
	struct model *m = ctx;
	size_t n = 0;
	if (lm_ntag_process(&m->tag, tx, txlen, rx, cap, &n) == LM_NTAG_SILENT)
		return LM_ERR_CARD_REMOVED;
	return (int)n;
}

struct tagcard {
	struct cardcmd_card c; /* first: the cc_ operations below take t->priv as it */
	struct model m;
};

static int tc_identify(struct lm_transport *t, struct lm_card_info *info)
{
	struct tagcard *tc = t->priv;
	lm_ntag_power_on(&tc->m.tag); /* a new session: PWD_AUTH forgotten */
	uint8_t cmd[1] = {LM_NTAG_CMD_GET_VERSION}, ver[16];
	int n = tag_raw(&tc->m, cmd, 1, ver, sizeof(ver));
	int err = n < 0 ? n : cardcmd_identify_ntag_version(&tc->c, ver, (size_t)n);
	info->kind = tc->c.kind;
	info->capacity = tc->c.capacity;
	return err;
}
/* The card's commands, for a priv whose first member is its cardcmd_card. */
static int cc_read(struct lm_transport *t, size_t off, uint8_t *buf, size_t len)
{
	return cardcmd_read(t->priv, off, buf, len);
}
static int cc_write(struct lm_transport *t, const struct lm_card_write *w, size_t n)
{
	return cardcmd_write(t->priv, w, n);
}
static int cc_wipe(struct lm_transport *t)
{
	return cardcmd_wipe(t->priv);
}
static int cc_status(struct lm_transport *t, int *tries)
{
	return cardcmd_status(t->priv, tries);
}
static int cc_unlock(struct lm_transport *t, const struct lm_protect_keys *k, int *tries)
{
	return cardcmd_unlock(t->priv, k, tries);
}
static int cc_write_protected(struct lm_transport *t, const struct lm_card_write *w, size_t n,
			      const struct lm_protect_keys *k)
{
	return cardcmd_write_protected(t->priv, w, n, k);
}

static const struct lm_transport_ops tag_ops = {
	.name = "ntag-model-native",
	.identify = tc_identify,
	.read = cc_read,
	.write = cc_write,
	.wipe = cc_wipe,
	.status = cc_status,
	.unlock = cc_unlock,
	.write_protected = cc_write_protected,
};

/* The model behind a counter of the commands it got. */
struct counted {
	struct model m;
	int n;
	uint8_t last[3];
};

static int counted_raw(void *ctx, const uint8_t *tx, size_t txlen, uint8_t *rx, size_t cap)
{
	struct counted *k = ctx;
	k->n++;
	memcpy(k->last, tx, txlen < 3 ? txlen : 3);
	return tag_raw(&k->m, tx, txlen, rx, cap);
}

/*
 * libnfc's identify: one FAST_READ of pages 3-11 names the tag by its CC and
 * brings the header, which later reads take from memory until a write; a
 * CC that is not one of ours is not known this way (GET_VERSION then).
 */
static void test_ntag_identify_cc_on_model(void **state)
{
	(void)state;
	static struct counted k;
	memset(&k, 0, sizeof(k));
	lm_ntag_init(&k.m.tag, LM_NTAG216, uid);
	struct cardcmd_card c = {.raw = counted_raw, .ctx = &k};
	assert_int_equal(cardcmd_identify_ntag_cc(&c), LM_OK);
	assert_int_equal(c.kind, LM_KIND_NTAG216);
	assert_int_equal(c.capacity, 860);
	assert_int_equal(k.n, 1);
	static const uint8_t fast_read[3] = {LM_NTAG_CMD_FAST_READ, 3, 11};
	assert_memory_equal(k.last, fast_read, 3);
	uint8_t img[LM_CARD_HEADER_LEN], hdr[LM_CARD_HEADER_LEN];
	lm_card_format(img, holder);
	struct lm_card_write w[2] = {{4, img + 4, 20}, {0, img, 4}};
	assert_int_equal(cardcmd_write(&c, w, 2), LM_OK);
	assert_int_equal(cardcmd_identify_ntag_cc(&c), LM_OK);
	k.n = 0;
	assert_int_equal(cardcmd_read(&c, 0, hdr, sizeof(hdr)), LM_OK);
	assert_int_equal(k.n, 0); /* from identify's FAST_READ */
	assert_memory_equal(hdr, img, sizeof(hdr));
	assert_int_equal(cardcmd_write(&c, w + 1, 1), LM_OK);
	k.n = 0;
	assert_int_equal(cardcmd_read(&c, 0, hdr, sizeof(hdr)), LM_OK);
	assert_int_equal(k.n, 1); /* a write forgets it */
	k.m.tag.mem[LM_NTAG_CC_PAGE * 4 + 2] = 0x7F; /* a CC of no NTAG we know */
	assert_int_equal(cardcmd_identify_ntag_cc(&c), LM_ERR_UNKNOWN_CARD);
}

static void test_ntag_protected_on_model(void **state)
{
	(void)state;
	static struct tagcard tc;
	memset(&tc, 0, sizeof(tc));
	lm_ntag_init(&tc.m.tag, LM_NTAG216, uid);
	tc.c.raw = tag_raw;
	tc.c.ctx = &tc.m;
	struct lm_transport t = {.ops = &tag_ops, .priv = &tc};
	struct lm_card_info info;
	char code[LM_CODE_TEXT_LEN + 1];
	assert_int_equal(lm_code_generate(code), LM_OK);
	assert_int_equal(lm_transport_identify(&t, &info), LM_OK);
	assert_int_equal(info.protection, LM_PROT_NONE);
	assert_int_equal(lm_transport_format_protected(&t, &info, holder, code, NULL,
						       LM_PROTECT_ITER_MIN, NULL, NULL),
			 LM_OK);
	/* Signed entries to append. */
	struct lm_key *key;
	struct lm_entry e;
	uint8_t ent[LM_ENTRY_MAX];
	size_t elen;
	assert_int_equal(lm_key_generate(&key), LM_OK);
	lm_entry_init(&e, LM_TYPE_IK, 20781);
	lm_entry_set_num(&e, 11, 700);
	assert_int_equal(lm_entry_sign(&e, key, holder, 0, ent, sizeof(ent), &elen), LM_OK);
	lm_key_free(key);
	assert_int_equal(lm_transport_append(&t, &info, ent, elen), LM_OK);
	/* A new session: the tag shows pages below AUTH0 (12) only. */
	assert_int_equal(lm_transport_identify(&t, &info), LM_OK);
	assert_int_equal(info.protection, LM_PROT_LOCKED);
	uint8_t rd[2] = {LM_NTAG_CMD_READ, 12}, rx[32];
	assert_int_equal(tag_raw(&tc.m, rd, 2, rx, sizeof(rx)), 1); /* NAK */
	uint8_t img[860];
	size_t len;
	struct lm_card c;
	assert_int_equal(lm_transport_read_image(&t, &info, img, &len, &c), LM_ERR_LOCKED);
	assert_int_equal(lm_transport_unlock_code(&t, &info, code, NULL), LM_OK);
	assert_int_equal(lm_transport_read_image(&t, &info, img, &len, &c), LM_OK);
	assert_int_equal(lm_card_count(&c), 1);
	assert_memory_equal(c.holder, holder, LM_HOLDER_LEN);
	/* Nothing of the holder or the entry in the tag's memory. */
	for (size_t i = 0; i + 8 <= sizeof(tc.m.tag.mem); i++)
		assert_memory_not_equal(tc.m.tag.mem + i, ent + 20, 8);
	/* Wrong passwords straight to the tag (past the key check): 4, then NAK 4. */
	assert_int_equal(lm_transport_identify(&t, &info), LM_OK);
	struct lm_protect_keys k;
	int tries;
	memset(&k, 0x5a, sizeof(k));
	for (int i = 0; i < 4; i++)
		assert_int_equal(cardcmd_unlock(&tc.c, &k, &tries), LM_ERR_WRONG_CODE);
	assert_int_equal(cardcmd_unlock(&tc.c, &k, &tries), LM_ERR_BLOCKED);
	assert_int_equal(lm_transport_unlock_code(&t, &info, code, NULL), LM_ERR_BLOCKED);
	/* A tag not at its limit: the wipe in a session lifts AUTH0 (first). */
	tc.m.tag.auth_failures = 0;
	assert_int_equal(lm_transport_identify(&t, &info), LM_OK);
	assert_int_equal(lm_transport_unlock_code(&t, &info, code, NULL), LM_OK);
	assert_int_equal(lm_transport_wipe(&t), LM_OK);
	assert_int_equal(lm_transport_identify(&t, &info), LM_OK);
	assert_int_equal(info.protection, LM_PROT_NONE);
	assert_int_equal(tag_raw(&tc.m, rd, 2, rx, sizeof(rx)), 16); /* readable again */
	assert_int_equal(lm_transport_read_image(&t, &info, img, &len, &c), LM_ERR_NOT_FORMATTED);
}

/* Cut the power at the (*left)-th page write from now. */
static enum lm_ntag_hook_result cut_hook(void *ctx, uint8_t page, const uint8_t data[4])
{
	int *left = ctx;
	(void)page, (void)data;
	if (*left < 0)
		return LM_NTAG_HOOK_WRITE;
	return (*left)-- == 0 ? LM_NTAG_HOOK_POWER_CUT : LM_NTAG_HOOK_WRITE;
}

/*
 * A protected format on the NTAG216 model cut at every page write: the tag
 * is blank (and unprotected), or the new card, which the code unlocks;
 * never a tag locked by a password nobody knows.
 */
static void test_ntag_protect_cut_on_model(void **state)
{
	(void)state;
	static struct tagcard tc;
	char code[LM_CODE_TEXT_LEN + 1];
	assert_int_equal(lm_code_generate(code), LM_OK);
	int blank = 0, fresh = 0, done = 0;
	for (int cut = 0; !done && cut < 40; cut++) {
		memset(&tc, 0, sizeof(tc));
		lm_ntag_init(&tc.m.tag, LM_NTAG216, uid);
		tc.c.raw = tag_raw;
		tc.c.ctx = &tc.m;
		struct lm_transport t = {.ops = &tag_ops, .priv = &tc};
		struct lm_card_info info;
		assert_int_equal(lm_transport_identify(&t, &info), LM_OK);
		int left = cut;
		lm_ntag_set_write_hook(&tc.m.tag, cut_hook, &left);
		int err = lm_transport_format_protected(&t, &info, holder, code, NULL,
							LM_PROTECT_ITER_MIN, NULL, NULL);
		lm_ntag_set_write_hook(&tc.m.tag, NULL, NULL);
		done = err == LM_OK;
		if (!done)
			assert_int_equal(err, LM_ERR_CARD_REMOVED);
		assert_int_equal(lm_transport_identify(&t, &info), LM_OK);
		uint8_t img[860];
		size_t len;
		struct lm_card c;
		if (info.protection == LM_PROT_NONE) {
			assert_false(done);
			assert_int_equal(lm_transport_read_image(&t, &info, img, &len, &c),
					 LM_ERR_NOT_FORMATTED);
			blank++;
			continue;
		}
		assert_int_equal(lm_transport_unlock_code(&t, &info, code, NULL), LM_OK);
		assert_int_equal(lm_transport_read_image(&t, &info, img, &len, &c), LM_OK);
		assert_int_equal(c.committed, 0);
		assert_memory_equal(c.holder, holder, LM_HOLDER_LEN);
		/* Locked in the next session, also when the cut came between the
		 * magic and AUTH0: the unlock above finished the protection. */
		lm_ntag_power_on(&tc.m.tag);
		uint8_t rd[2] = {LM_NTAG_CMD_READ, 12}, rx[32];
		assert_int_equal(tag_raw(&tc.m, rd, 2, rx, sizeof(rx)), 1);
		fresh++;
	}
	assert_true(done && blank > 0 && fresh > 1);
}

/* ---- every protected write on the NTAG216 model, cut at every page write -- */

enum rw_op { RW_APPEND, RW_PROTECT, RW_CHANGE, RW_DELETE };

struct rw_fixture {
	uint8_t ent[3][LM_ENTRY_MAX];
	size_t len[3];
	uint8_t id[3][32];
	/* the copy a rewrite keeps (keep callback) */
	uint8_t copy[3][LM_ENTRY_MAX];
	struct lm_card_entry kept[3];
	int n;
};

static int rw_keep(void *ctx, const uint8_t h[LM_HOLDER_LEN], const uint8_t *e, size_t len)
{
	struct rw_fixture *f = ctx;
	assert_memory_equal(h, holder, LM_HOLDER_LEN);
	if (e) {
		memcpy(f->copy[f->n], e, len);
		f->kept[f->n] = (struct lm_card_entry){f->copy[f->n], len};
		f->n++;
	}
	return LM_OK;
}

static void tag_fresh(struct tagcard *tc, struct lm_transport *t)
{
	memset(tc, 0, sizeof(*tc));
	lm_ntag_init(&tc->m.tag, LM_NTAG216, uid);
	tc->c.raw = tag_raw;
	tc->c.ctx = &tc->m;
	*t = (struct lm_transport){.ops = &tag_ops, .priv = tc};
}

/*
 * What the tag holds now, in a new session: -1 blank (no image), else the
 * number of entries, with which[] their fixture indices; *opened says
 * which code opened it (0: none needed, a version 1 card; 1: code, 2:
 * code2; -1: neither).
 */
static int tag_state(struct lm_transport *t, const struct rw_fixture *f, const char *code,
		     const char *code2, int *opened, int which[3])
{
	struct lm_card_info info;
	uint8_t img[860];
	size_t len, off = 0, elen;
	struct lm_card c;
	const uint8_t *e;
	*opened = 0;
	assert_int_equal(lm_transport_identify(t, &info), LM_OK);
	if (info.protection != LM_PROT_NONE) {
		*opened = -1;
		if (lm_transport_unlock_code(t, &info, code, NULL) == LM_OK)
			*opened = 1;
		else if (code2 && lm_transport_unlock_code(t, &info, code2, NULL) == LM_OK)
			*opened = 2;
		if (*opened < 0)
			return -2;
	}
	int err = lm_transport_read_image(t, &info, img, &len, &c);
	if (err == LM_ERR_NOT_FORMATTED)
		return -1;
	assert_int_equal(err, LM_OK);
	assert_memory_equal(c.holder, holder, LM_HOLDER_LEN);
	int n = 0;
	while (lm_card_next(&c, &off, &e, &elen) == LM_OK) {
		assert_true(n < 3);
		which[n] = -1;
		for (int i = 0; i < 3; i++)
			if (elen == f->len[i] && !memcmp(e, f->ent[i], elen))
				which[n] = i;
		n++;
	}
	return n;
}

/*
 * One protected write on the NTAG216 model (natively, as through libnfc),
 * the power cut before the cut-th page write from the start of the
 * operation, for every cut until the operation completes (the long wipes
 * of the rewrites every 8th page in their middle; every blank state past
 * the third is only checked to be unprotected): the tag ends old, new,
 * or in a state lm_transport_restore_protected with the copy finishes;
 * never one that neither code opens.  Returns the cut points tried.
 */
static int rw_cut_all(struct rw_fixture *f, enum rw_op op)
{
	static struct tagcard tc;
	struct lm_transport t;
	struct lm_card_info info;
	char code[LM_CODE_TEXT_LEN + 1], code2[LM_CODE_TEXT_LEN + 1];
	uint8_t recovery[LM_RECOVERY_LEN];
	assert_int_equal(lm_code_generate(code), LM_OK);
	assert_int_equal(lm_code_generate(code2), LM_OK);
	assert_int_equal(lm_random(recovery, sizeof(recovery)), LM_OK);
	int done = 0, tried = 0, old = 0, blank = 0, half = 0;
	for (int cut = 0; !done && cut < 400;
	     cut += (op != RW_APPEND && cut >= 12 && cut < 200) ? 8 : 1) {
		tag_fresh(&tc, &t);
		assert_int_equal(lm_transport_identify(&t, &info), LM_OK);
		if (op == RW_PROTECT) {
			assert_int_equal(lm_transport_format(&t, &info, holder), LM_OK);
		} else {
			assert_int_equal(
				lm_transport_format_protected(&t, &info, holder, code, recovery,
							      LM_PROTECT_ITER_MIN, NULL, NULL),
				LM_OK);
		}
		int start = op == RW_APPEND ? 1 : 2;
		for (int i = 0; i < start; i++)
			assert_int_equal(lm_transport_append(&t, &info, f->ent[i], f->len[i]),
					 LM_OK);
		/* A new session, as a later tap: unlocked with the code. */
		assert_int_equal(lm_transport_identify(&t, &info), LM_OK);
		if (op != RW_PROTECT)
			assert_int_equal(lm_transport_unlock_code(&t, &info, code, NULL), LM_OK);
		f->n = 0;
		struct lm_rewrite_result res = {0};
		int left = cut, err = LM_OK;
		lm_ntag_set_write_hook(&tc.m.tag, cut_hook, &left);
		switch (op) {
		case RW_APPEND: err = lm_transport_append(&t, &info, f->ent[1], f->len[1]); break;
		case RW_PROTECT:
			err = lm_transport_protect(&t, &info, code, recovery, LM_PROTECT_ITER_MIN,
						   rw_keep, f, &res);
			break;
		case RW_CHANGE:
			err = lm_transport_change_code(&t, &info, code2, 0, rw_keep, f, &res);
			break;
		case RW_DELETE:
			err = lm_transport_delete_entry(&t, &info, f->id[0], 32, rw_keep, f, &res);
			break;
		}
		lm_ntag_set_write_hook(&tc.m.tag, NULL, NULL);
		tried++;
		done = err == LM_OK;
		if (!done)
			assert_int_equal(err, LM_ERR_CARD_REMOVED);
		/* What should be there in the end: the code, the entries. */
		const char *final = op == RW_CHANGE ? code2 : code;
		static const int all[2] = {0, 1}, stays[1] = {1};
		const int *want = op == RW_DELETE ? stays : all;
		int nwant = op == RW_DELETE ? 1 : 2;
		int opened, which[3];
		int n = tag_state(&t, f, code, op == RW_CHANGE ? code2 : NULL, &opened, which);
		if (n == -2)
			fail_msg("op %d cut %d: a protected tag that neither code opens", op, cut);
		int is_old = op == RW_APPEND	? n == 1 && opened == 1
			     : op == RW_PROTECT ? n == 2 && opened == 0
						: n == 2 && opened == 1;
		if (done) {
			assert_int_equal(n, nwant);
			assert_int_equal(opened, op == RW_CHANGE ? 2 : 1);
		} else if (is_old) {
			old++;
			continue; /* as before: the operation may be asked again */
		} else if (op == RW_APPEND) {
			fail_msg("append cut %d: %d entries, opened by %d", cut, n, opened);
		} else {
			blank += n == -1;
			half += n >= 0;
			if (n >= 0)
				assert_int_equal(opened, op == RW_CHANGE ? 2 : 1);
			for (int i = 0; i < n; i++)
				assert_int_equal(which[i], want[i]);
			assert_int_equal(f->n, nwant);
			if (n == -1 && blank > 3) {
				/* Blank like the ones restored before (a restore
				 * calibrates its count: slow): unprotected, so a
				 * restore can write every page. */
				lm_ntag_power_on(&tc.m.tag);
				uint8_t rd[2] = {LM_NTAG_CMD_READ, 12}, rx[32];
				assert_int_equal(tag_raw(&tc.m, rd, 2, rx, sizeof(rx)), 16);
				continue;
			}
			/* The copy kept before the wipe finishes it. */
			size_t written;
			assert_int_equal(lm_transport_identify(&t, &info), LM_OK);
			int rerr =
				lm_transport_restore_protected(&t, &info, holder, final, recovery,
							       f->kept, (size_t)nwant, &written);
			if (rerr)
				fail_msg("op %d cut %d: restore: %s", op, cut, lm_strerror(rerr));
		}
		n = tag_state(&t, f, final, NULL, &opened, which);
		assert_int_equal(n, nwant);
		assert_int_equal(opened, 1);
		for (int i = 0; i < n; i++)
			assert_int_equal(which[i], want[i]);
		/* Locked again in a new session: the page after the public
		 * header NAKs without PWD_AUTH. */
		lm_ntag_power_on(&tc.m.tag);
		uint8_t rd[2] = {LM_NTAG_CMD_READ, 12}, rx[32];
		assert_int_equal(tag_raw(&tc.m, rd, 2, rx, sizeof(rx)), 1);
	}
	assert_true(done);
	if (op == RW_APPEND)
		assert_true(old > 0);
	else
		assert_true(old > 0 && blank > 0 && half > 0);
	printf("ntag216 model, op %d: %d cut points (%d old, %d blank, %d half)\n", op, tried, old,
	       blank, half);
	return tried;
}

static void test_ntag_rewrites_cut_on_model(void **state)
{
	(void)state;
	static struct rw_fixture f;
	struct lm_key *key;
	struct lm_entry e;
	assert_int_equal(lm_key_generate(&key), LM_OK);
	for (int i = 0; i < 3; i++) {
		lm_entry_init(&e, LM_TYPE_IK, 20781 + (uint32_t)i);
		lm_entry_set_num(&e, 11, 700);
		assert_int_equal(
			lm_entry_sign(&e, key, holder, 0, f.ent[i], sizeof(f.ent[i]), &f.len[i]),
			LM_OK);
		assert_int_equal(lm_sha256(f.ent[i], f.len[i], f.id[i]), LM_OK);
	}
	lm_key_free(key);
	rw_cut_all(&f, RW_APPEND);
	rw_cut_all(&f, RW_CHANGE);
	rw_cut_all(&f, RW_PROTECT);
	rw_cut_all(&f, RW_DELETE);
}

/* ---- our applet (firmware/applet) on a RAM NVM, through the transport ---- */

#define APPLET_CAP 2048u

struct appletcard {
	struct cardcmd_card c; /* first, for the cc_ operations */
	struct lm_applet a;
	struct lm_nvm_ram ram;
	uint8_t mem[LM_APPLET_JOURNAL_SIZE + APPLET_CAP];
	uint8_t rx[CARDCMD_EXT_READ + 2];
};

static int ac_apdu(void *ctx, const uint8_t *apdu, size_t len, uint8_t *resp, size_t *rlen,
		   uint16_t *sw)
{
	struct appletcard *ac = ctx;
	size_t n = lm_applet_process(&ac->a, apdu, len, ac->rx, sizeof(ac->rx));
	return cardcmd_split_sw(ac->rx, n, resp, rlen, sw);
}
static int ac_identify(struct lm_transport *t, struct lm_card_info *info)
{
	struct appletcard *ac = t->priv;
	lm_applet_deselect(&ac->a); /* a new session: VERIFY forgotten */
	int err = cardcmd_identify_applet(&ac->c);
	info->kind = ac->c.kind;
	info->capacity = ac->c.capacity;
	return err;
}
static int ac_digest(struct lm_transport *t, uint16_t *covered, uint8_t digest[32])
{
	return cardcmd_applet_digest(t->priv, covered, digest);
}

static const struct lm_transport_ops applet_ops = {
	.name = "applet-model",
	.identify = ac_identify,
	.read = cc_read,
	.write = cc_write,
	.wipe = cc_wipe,
	.status = cc_status,
	.digest = ac_digest,
	.unlock = cc_unlock,
	.write_protected = cc_write_protected,
};

/* What an office remembers of the card it read last (the daemon's cache row). */
struct office {
	int have, asked;
	uint8_t holder[LM_HOLDER_LEN];
	uint16_t committed;
	uint8_t digest[32];
	uint8_t log[APPLET_CAP];
};

static int office_recall(void *ctx, const uint8_t h[LM_HOLDER_LEN], struct lm_card_known *out)
{
	struct office *o = ctx;
	o->asked++;
	if (!o->have || memcmp(h, o->holder, LM_HOLDER_LEN))
		return LM_ERR_NOT_FOUND;
	memcpy(out->holder, o->holder, LM_HOLDER_LEN);
	out->committed = o->committed;
	memcpy(out->digest, o->digest, 32);
	out->log = o->log;
	return LM_OK;
}

/*
 * A tap at the office: identify, unlock with code, read with the office's
 * memory, check the image against a full read of the card, remember what
 * was read (the log as on the card, the digest).  The entries on the card.
 */
static int office_tap(struct lm_transport *t, struct office *o, const char *code,
		      struct lm_read_opts *opts)
{
	static uint8_t img[APPLET_CAP], full[APPLET_CAP], raw[APPLET_CAP];
	struct lm_card_info info;
	struct lm_card c, fc;
	size_t len, flen;
	assert_int_equal(lm_transport_identify(t, &info), LM_OK);
	assert_int_equal(info.protection, LM_PROT_LOCKED);
	assert_int_equal(lm_transport_read_image_ex(t, &info, img, &len, &c, opts), LM_ERR_LOCKED);
	assert_int_equal(lm_transport_unlock_code(t, &info, code, NULL), LM_OK);
	memset(opts, 0, sizeof(*opts));
	opts->recall = office_recall, opts->recall_ctx = o, opts->raw = raw;
	o->asked = 0;
	assert_int_equal(lm_transport_read_image_ex(t, &info, img, &len, &c, opts), LM_OK);
	assert_int_equal(o->asked, 1);
	assert_true(opts->have_digest);
	assert_int_equal(opts->raw_len, c.committed);
	assert_int_equal(lm_transport_read_image(t, &info, full, &flen, &fc), LM_OK);
	assert_int_equal(len, flen);
	assert_memory_equal(img, full, len); /* decrypted, byte for byte */
	assert_memory_equal(c.holder, holder, LM_HOLDER_LEN);
	/* What the card holds: raw is its ciphertext. */
	struct appletcard *ac = t->priv;
	assert_memory_equal(raw, ac->mem + LM_APPLET_JOURNAL_SIZE + LM_PROTECT_HEADER_LEN,
			    c.committed);
	memcpy(o->holder, c.holder, LM_HOLDER_LEN);
	o->committed = c.committed;
	memcpy(o->digest, opts->digest, 32);
	memcpy(o->log, raw, c.committed);
	o->have = 1;
	return lm_card_count(&c);
}

/*
 * Delta reads of a protected card on our applet: the office keeps the
 * card's ciphertext and chains over it; a new entry is the only log read;
 * the card rewritten under a new code (the same entries, the same length)
 * or an office memory that is not the card's chain: read whole.
 */
static void test_applet_protected_delta(void **state)
{
	(void)state;
	static struct appletcard ac;
	static struct office o;
	memset(&ac, 0, sizeof(ac));
	memset(&o, 0, sizeof(o));
	lm_nvm_ram_init(&ac.ram, ac.mem, sizeof(ac.mem));
	assert_int_equal(lm_applet_init(&ac.a, &ac.ram.nvm), 0);
	ac.c.apdu = ac_apdu;
	ac.c.ctx = &ac;
	struct lm_transport t = {.ops = &applet_ops, .priv = &ac};
	struct lm_card_info info;
	char code[LM_CODE_TEXT_LEN + 1], code2[LM_CODE_TEXT_LEN + 1];
	assert_int_equal(lm_code_generate(code), LM_OK);
	assert_int_equal(lm_code_generate(code2), LM_OK);
	assert_int_equal(lm_transport_identify(&t, &info), LM_OK);
	assert_int_equal(lm_transport_format_protected(&t, &info, holder, code, NULL,
						       LM_PROTECT_ITER_MIN, NULL, NULL),
			 LM_OK);
	struct lm_key *key;
	struct lm_entry e;
	static uint8_t ent[4][LM_ENTRY_MAX];
	size_t elen[4];
	assert_int_equal(lm_key_generate(&key), LM_OK);
	for (int i = 0; i < 4; i++) {
		lm_entry_init(&e, LM_TYPE_IK, 20781);
		lm_entry_set_num(&e, 11, 700 + i);
		assert_int_equal(lm_entry_sign(&e, key, holder, 0, ent[i], sizeof(ent[i]), &elen[i]),
				 LM_OK);
	}
	lm_key_free(key);
	for (int i = 0; i < 2; i++)
		assert_int_equal(lm_transport_append(&t, &info, ent[i], elen[i]), LM_OK);
	struct lm_read_opts opts;
	/* The first tap: nothing remembered, read whole. */
	assert_int_equal(office_tap(&t, &o, code, &opts), 2);
	assert_false(opts.delta);
	assert_int_equal(opts.log_read, o.committed);
	/* An entry appended elsewhere: only it is read. */
	uint16_t before = o.committed;
	assert_int_equal(lm_transport_identify(&t, &info), LM_OK);
	assert_int_equal(lm_transport_unlock_code(&t, &info, code, NULL), LM_OK);
	assert_int_equal(lm_transport_append(&t, &info, ent[2], elen[2]), LM_OK);
	assert_int_equal(office_tap(&t, &o, code, &opts), 3);
	assert_true(opts.delta);
	assert_int_equal(opts.log_read, o.committed - before);
	/* Nothing new: nothing read. */
	assert_int_equal(office_tap(&t, &o, code, &opts), 3);
	assert_true(opts.delta);
	assert_int_equal(opts.log_read, 0);
	/* A new code: the card rewritten under a new salt, the same entries
	 * and length; its chain restarted at the format: read whole. */
	assert_int_equal(lm_transport_identify(&t, &info), LM_OK);
	assert_int_equal(lm_transport_unlock_code(&t, &info, code, NULL), LM_OK);
	struct lm_rewrite_result res;
	assert_int_equal(lm_transport_change_code(&t, &info, code2, 0, NULL, NULL, &res), LM_OK);
	before = o.committed;
	assert_int_equal(office_tap(&t, &o, code2, &opts), 3);
	assert_int_equal(o.committed, before);
	assert_false(opts.delta);
	assert_int_equal(opts.log_read, o.committed);
	/* An office memory that is not the card's chain (one digest bit): the
	 * new entry is read, the chain does not meet the card's: read whole. */
	assert_int_equal(lm_transport_identify(&t, &info), LM_OK);
	assert_int_equal(lm_transport_unlock_code(&t, &info, code2, NULL), LM_OK);
	assert_int_equal(lm_transport_append(&t, &info, ent[3], elen[3]), LM_OK);
	o.digest[0] ^= 1;
	assert_int_equal(office_tap(&t, &o, code2, &opts), 4);
	assert_false(opts.delta);
	assert_int_equal(opts.log_read, o.committed);
	/* And the next tap a delta again. */
	assert_int_equal(office_tap(&t, &o, code2, &opts), 4);
	assert_true(opts.delta);
	assert_int_equal(opts.log_read, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_inside_cc_area),
		cmocka_unit_test(test_old_layout_recognised),
		cmocka_unit_test(test_ntag_protect_native),
		cmocka_unit_test(test_ntag_protect_part3),
		cmocka_unit_test(test_applet_read_extended),
		cmocka_unit_test(test_applet_protect),
		cmocka_unit_test(test_ntag_identify_cc_on_model),
		cmocka_unit_test(test_ntag_protected_on_model),
		cmocka_unit_test(test_ntag_protect_cut_on_model),
		cmocka_unit_test(test_ntag_rewrites_cut_on_model),
		cmocka_unit_test(test_applet_protected_delta),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
