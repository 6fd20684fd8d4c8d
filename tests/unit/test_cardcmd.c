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
#include "lm_ntag.h"

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
	int ndef_found;	      /* an NDEF message TLV was found */
	size_t ndef_len;      /* its length (0: an empty NDEF message) */
	int terminated;	      /* a terminator TLV inside the data area */
	int prop_found;	      /* a proprietary TLV */
	size_t prop_off;      /* its value's tag byte offset */
	size_t prop_len;      /* its length */
	const char *error;    /* why the chain is not well-formed, or NULL */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_inside_cc_area),
		cmocka_unit_test(test_old_layout_recognised),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
