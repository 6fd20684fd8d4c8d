/*
 * test_protect.c - protected cards (lm_protect.h): access codes, the key
 * derivation against outside vectors, the version 2 image (round trip,
 * wrong code, strict header, tears, nothing in clear), version 1 untouched;
 * through a transport (protect_io.c) on image files: the public header,
 * the authentication seam, encrypted appends, an append cut anywhere.
 *
 * Known answers: PBKDF2-HMAC-SHA256 from RFC 7914 section 11, HKDF-SHA256
 * from RFC 5869 test case 1, the card's keys from python3's hashlib.pbkdf2_hmac
 * and hmac (HKDF written out), the key stream from `openssl enc -aes-128-ctr`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "laufmappe/lm_card.h"
#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_protect.h"
#include "laufmappe/lm_transport.h"
#include "laufmappe/lm_util.h"
#include "lm_crypto.h"

static const uint8_t holder[LM_HOLDER_LEN] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8,
					      0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0};
static const char code[] = "7K3Q-9WX2-HM4K"; /* check K: 19 = the 55-bit value mod 37 */
#define ITER	LM_PROTECT_ITER_MIN
#define NTAG216 860 /* image bytes on an NTAG216 (docs/nfc.md) */

struct fixture {
	struct lm_key *key;
	uint8_t entry[8][LM_ENTRY_MAX]; /* typical IK entries, card form, 98 bytes */
	size_t len[8];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f || lm_key_generate(&f->key))
		return -1;
	for (int i = 0; i < 8; i++) {
		struct lm_entry e;
		lm_entry_init(&e, LM_TYPE_IK, (uint32_t)(20416 + i));
		lm_entry_set_num(&e, 11, 700);
		lm_entry_set_num(&e, 12, 700);
		if (lm_entry_sign(&e, f->key, holder, 0, f->entry[i], LM_ENTRY_MAX, &f->len[i]))
			return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	lm_key_free(f->key);
	free(f);
	return 0;
}

static void unhex(const char *hex, uint8_t *out, size_t len)
{
	assert_int_equal(lm_hex_decode(hex, out, len), LM_OK);
}

/* A fresh protected image of cap bytes (unused memory holds garbage). */
static void new_image(uint8_t *img, size_t cap, struct lm_protect_keys *k, uint8_t rec[16])
{
	struct lm_protect_plan p;
	memset(img, 0xee, cap);
	assert_int_equal(lm_protect_plan_format(cap, holder, code, NULL, ITER, &p, k, rec), LM_OK);
	assert_int_equal(p.card.n, 3);
	assert_int_equal(p.card.w[2].off, LM_PROTECT_COMMIT_OFF); /* the commit word last */
	assert_int_equal(lm_card_apply(img, cap, &p.card), LM_OK);
}

static int append(uint8_t *img, size_t cap, const struct lm_protect_keys *k, const uint8_t *e,
		  size_t len)
{
	uint8_t *plain = malloc(cap);
	struct lm_card c;
	struct lm_protect_plan p;
	int err = lm_protect_open(img, cap, cap, k, plain, &c, NULL);
	if (!err)
		err = lm_protect_plan_append(&c, k, e, len, &p);
	if (!err)
		err = lm_card_apply(img, cap, &p.card);
	free(plain);
	return err;
}

/* ---- access codes ---- */

static void test_code_generate(void **state)
{
	(void)state;
	for (int i = 0; i < 500; i++) {
		char text[LM_CODE_TEXT_LEN + 1], canon[LM_CODE_LEN + 1],
			again[LM_CODE_TEXT_LEN + 1];
		assert_int_equal(lm_code_generate(text), LM_OK);
		assert_int_equal(strlen(text), 14);
		assert_true(text[4] == '-' && text[9] == '-');
		assert_null(strpbrk(text, "*~$=UILO"));
		assert_int_equal(lm_code_parse(text, canon), LM_OK);
		lm_code_display(canon, again);
		assert_string_equal(again, text);
	}
}

static void test_code_parse(void **state)
{
	(void)state;
	char canon[LM_CODE_LEN + 1];
	assert_int_equal(lm_code_parse(code, canon), LM_OK);
	assert_string_equal(canon, "7K3Q9WX2HM4K");
	/* What people type: lower case, spaces, no dashes, dots. */
	assert_int_equal(lm_code_parse(" 7k3q 9wx2 hm4k\t", canon), LM_OK);
	assert_string_equal(canon, "7K3Q9WX2HM4K");
	assert_int_equal(lm_code_parse("7k3q.9wx2.hm4k", canon), LM_OK);
	/* I and L are 1, O is 0: a code with 1 and 0 read back from letters. */
	char text[LM_CODE_TEXT_LEN + 1];
	for (;;) {
		assert_int_equal(lm_code_generate(text), LM_OK);
		if (strchr(text, '1') && strchr(text, '0'))
			break;
	}
	char typed[LM_CODE_TEXT_LEN + 1], want[LM_CODE_LEN + 1];
	assert_int_equal(lm_code_parse(text, want), LM_OK);
	strcpy(typed, text);
	for (char *p = typed; *p; p++)
		*p = *p == '1' ? (p - typed) % 2 ? 'l' : 'I' : *p == '0' ? 'o' : *p;
	assert_int_equal(lm_code_parse(typed, canon), LM_OK);
	assert_string_equal(canon, want);
	/* Not a code at all. */
	assert_int_equal(lm_code_parse("7K3Q-9WX2-HM4", canon), LM_ERR_BAD_VALUE);
	assert_int_equal(lm_code_parse("7K3Q-9WX2-HM4KK", canon), LM_ERR_BAD_VALUE);
	assert_int_equal(lm_code_parse("7K3Q-9WX2-HM!K", canon), LM_ERR_BAD_VALUE);
	assert_int_equal(lm_code_parse("7K3U-9WX2-HM4K", canon), LM_ERR_BAD_VALUE);
	assert_int_equal(lm_code_parse("", canon), LM_ERR_BAD_VALUE);
	/* A check symbol we never issue is a typo. */
	assert_int_equal(lm_code_parse("7K3Q-9WX2-HM4*", canon), LM_ERR_CODE_TYPO);
	/* Every single wrong character and every swap of neighbours is a typo. */
	const char *alpha = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	char c[LM_CODE_LEN + 1];
	for (int i = 0; i < LM_CODE_LEN; i++)
		for (const char *a = alpha; *a; a++) {
			strcpy(c, "7K3Q9WX2HM4K");
			if (c[i] == *a)
				continue;
			c[i] = *a;
			assert_int_equal(lm_code_parse(c, canon), LM_ERR_CODE_TYPO);
		}
	for (int i = 0; i + 1 < LM_CODE_LEN; i++) {
		strcpy(c, "7K3Q9WX2HM4K");
		char t = c[i];
		c[i] = c[i + 1];
		c[i + 1] = t;
		if (c[i] != c[i + 1])
			assert_int_equal(lm_code_parse(c, canon), LM_ERR_CODE_TYPO);
	}
	/* derive spends no slow work on a typo. */
	struct lm_protect_keys k;
	uint8_t salt[16] = {0};
	assert_int_equal(lm_protect_derive("7K3Q-9WX2-HM4X", salt, ITER, &k), LM_ERR_CODE_TYPO);
}

/* ---- the key derivation, against outside vectors ---- */

static void test_kdf_vectors(void **state)
{
	(void)state;
	uint8_t out[64], want[64];
	/* RFC 7914 section 11 (PBKDF2-HMAC-SHA256). */
	assert_int_equal(lm_pbkdf2_sha256((const uint8_t *)"passwd", 6, (const uint8_t *)"salt", 4,
					  1, out, 64),
			 LM_OK);
	unhex("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
	      "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783",
	      want, 64);
	assert_memory_equal(out, want, 64);
	assert_int_equal(lm_pbkdf2_sha256((const uint8_t *)"Password", 8, (const uint8_t *)"NaCl",
					  4, 80000, out, 64),
			 LM_OK);
	unhex("4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
	      "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d",
	      want, 64);
	assert_memory_equal(out, want, 64);
	/* RFC 5869 A.1 (HKDF-SHA256). */
	uint8_t ikm[22], salt[13], info[10];
	memset(ikm, 0x0b, sizeof(ikm));
	for (int i = 0; i < 13; i++)
		salt[i] = (uint8_t)i;
	for (int i = 0; i < 10; i++)
		info[i] = (uint8_t)(0xf0 + i);
	assert_int_equal(lm_hkdf_sha256(salt, 13, ikm, 22, info, 10, out, 42), LM_OK);
	unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b88718586"
	      "5",
	      want, 42);
	assert_memory_equal(out, want, 42);
}

static void test_card_keys_vector(void **state)
{
	(void)state;
	/* python3: m = hashlib.pbkdf2_hmac('sha256', b'7K3Q9WX2HM4K', bytes(range(16)), 16384, 32);
	 * each key = HKDF-SHA256(salt=bytes(range(16)), ikm=m, info=b'LM2 ' + label). */
	uint8_t salt[16], want[16];
	for (int i = 0; i < 16; i++)
		salt[i] = (uint8_t)i;
	struct lm_protect_keys k;
	assert_int_equal(lm_protect_derive("7k3q 9wx2 hm4k", salt, 16384, &k), LM_OK);
	unhex("b3d7313f0879ed02a13d61cd2ba4e816", want, 16);
	assert_memory_equal(k.image, want, 16);
	unhex("7e5407f0", want, 4);
	assert_memory_equal(k.ntag_pwd, want, 4);
	unhex("108e", want, 2);
	assert_memory_equal(k.ntag_pack, want, 2);
	unhex("6e0a7f885d08dbeb461b31c52b140be1", want, 16);
	assert_memory_equal(k.applet, want, 16);
	unhex("e749", want, 2);
	assert_memory_equal(k.check, want, 2);
	assert_memory_equal(k.ctr, salt, 12);
	/* openssl enc -aes-128-ctr -K <image> -iv 000102030405060708090a0b00000000 over
	 * 80 zero bytes: the key stream of image bytes 0..79; bytes 28..79 here. */
	uint8_t ks[80], stream[80];
	unhex("130c8db76cbaca90703b9c0eeecd66944eb65d1b304dd31a8c4046c9e623d3e8"
	      "792198ee0404153e5ebcd5c2187568750311d2abb2761cc31302635d4097bd3d"
	      "e6033ad21f440b5e1d2f5daf5d8b87e7",
	      stream, 80);
	memset(ks, 0, sizeof(ks));
	assert_int_equal(lm_aes128_ctr_at(k.image, k.ctr, 28, ks + 28, 52), LM_OK);
	assert_memory_equal(ks + 28, stream + 28, 52);
	/* Any split gives the same stream (appends encrypt independently). */
	memset(ks, 0, sizeof(ks));
	assert_int_equal(lm_aes128_ctr_at(k.image, k.ctr, 0, ks, 7), LM_OK);
	assert_int_equal(lm_aes128_ctr_at(k.image, k.ctr, 7, ks + 7, 33), LM_OK);
	assert_int_equal(lm_aes128_ctr_at(k.image, k.ctr, 40, ks + 40, 40), LM_OK);
	assert_memory_equal(ks, stream, 80);
	lm_protect_keys_wipe(&k);
	/* Iterations outside the stored range are refused. */
	assert_int_equal(lm_protect_derive(code, salt, LM_PROTECT_ITER_MIN - 1, &k),
			 LM_ERR_BAD_VALUE);
}

static void test_calibrate(void **state)
{
	(void)state;
	uint32_t it = 0;
	assert_int_equal(lm_protect_calibrate(20, &it), LM_OK);
	assert_true(it >= LM_PROTECT_ITER_MIN && it <= LM_PROTECT_ITER_MAX);
	assert_int_equal(it % LM_PROTECT_ITER_UNIT, 0);
}

/* ---- the version 2 image ---- */

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	uint8_t img[NTAG216], plain[NTAG216], rec[16], rec2[16];
	struct lm_protect_keys k;
	new_image(img, NTAG216, &k, rec);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(f->len[i], 98);
		assert_int_equal(append(img, NTAG216, &k, f->entry[i], f->len[i]), LM_OK);
	}
	/* An NTAG216 holds 8 typical entries, and no ninth. */
	assert_int_equal(append(img, NTAG216, &k, f->entry[0], f->len[0]), LM_ERR_CARD_FULL);
	struct lm_card c;
	assert_int_equal(
		lm_protect_open_code(img, NTAG216, NTAG216, "7k3q9wx2hm4k", plain, &c, rec2, NULL),
		LM_OK);
	assert_int_equal(c.version, 2);
	assert_memory_equal(c.holder, holder, LM_HOLDER_LEN);
	assert_memory_equal(rec, rec2, 16);
	assert_int_equal(c.committed, 800);
	assert_int_equal(lm_card_free(&c), 0);
	assert_int_equal(lm_card_count(&c), 8);
	size_t off = 0, len;
	const uint8_t *e;
	for (int i = 0; i < 8; i++) {
		assert_int_equal(lm_card_next(&c, &off, &e, &len), LM_OK);
		assert_int_equal(len, f->len[i]);
		assert_memory_equal(e, f->entry[i], len);
	}
	assert_int_equal(lm_card_next(&c, &off, &e, &len), 1);
	/* In place, and reading only the committed part. */
	size_t need;
	assert_int_equal(lm_protect_header_need(img, LM_PROTECT_PUBLIC_LEN + 4, &need), LM_OK);
	assert_int_equal(need, LM_PROTECT_HEADER_LEN + 800);
	assert_int_equal(lm_protect_open(img, need, NTAG216, &k, img, &c, NULL), LM_OK);
	assert_int_equal(lm_card_count(&c), 8);
	/* Plaintext never goes onto a protected card through the version 1 planner. */
	struct lm_card_plan p1;
	assert_int_equal(lm_card_plan_append(&c, f->entry[0], f->len[0], &p1), LM_ERR_VERSION);
}

static void test_wrong_code(void **state)
{
	(void)state;
	uint8_t img[256], plain[256];
	struct lm_protect_keys k;
	new_image(img, sizeof(img), &k, NULL);
	struct lm_card c;
	/* The 2-byte check lets one wrong code in 65,536 through: these do not pass. */
	static const char *wrong[] = {"0000-0000-0000", "7K3Q-9WX2-HM5M"};
	for (size_t i = 0; i < 2; i++) {
		char canon[LM_CODE_LEN + 1];
		assert_int_equal(lm_code_parse(wrong[i], canon), LM_OK);
		assert_int_equal(
			lm_protect_open_code(img, 256, 256, wrong[i], plain, &c, NULL, NULL),
			LM_ERR_WRONG_CODE);
	}
	assert_int_equal(
		lm_protect_open_code(img, 256, 256, "7K3Q-9WX2-HM4X", plain, &c, NULL, NULL),
		LM_ERR_CODE_TYPO);
	/* Keys of another format of the same card (a new salt) do not open it. */
	uint8_t img2[256];
	struct lm_protect_keys k2;
	new_image(img2, sizeof(img2), &k2, NULL);
	assert_memory_not_equal(img + 4, img2 + 4, LM_PROTECT_SALT_LEN);
	assert_int_equal(lm_protect_open(img, 256, 256, &k2, plain, &c, NULL), LM_ERR_WRONG_CODE);
	assert_int_equal(lm_protect_open(img, 256, 256, &k, plain, &c, NULL), LM_OK);
}

static void test_wrong_code_count(void **state)
{
	(void)state;
	/* Every valid code has one check value: about 1/65536 wrong ones pass. */
	uint8_t salt[16] = {1};
	struct lm_protect_keys right, k;
	assert_int_equal(lm_protect_derive(code, salt, ITER, &right), LM_OK);
	int pass = 0;
	for (int i = 0; i < 20; i++) {
		char text[LM_CODE_TEXT_LEN + 1];
		assert_int_equal(lm_code_generate(text), LM_OK);
		assert_int_equal(lm_protect_derive(text, salt, ITER, &k), LM_OK);
		pass += !memcmp(k.check, right.check, 2);
	}
	assert_true(pass <= 1);
}

static void test_header_strict(void **state)
{
	struct fixture *f = *state;
	enum { CAP = 512 };
	uint8_t good[CAP], img[CAP], plain[CAP];
	struct lm_protect_keys k;
	new_image(good, CAP, &k, NULL);
	assert_int_equal(append(good, CAP, &k, f->entry[0], f->len[0]), LM_OK);
	struct lm_card c;
	struct lm_protect_header h;
	assert_true(lm_protect_is_v2(good, CAP));
	struct {
		size_t off;
		uint8_t val;
		int want;
	} bad[] = {
		{0, 'X', LM_ERR_NOT_FORMATTED},
		{2, 3, LM_ERR_VERSION},
		{3, 1, LM_ERR_UNSUPPORTED},
		{20, 0, LM_ERR_BAD_VALUE}, /* iterations 15 * 1024: a downgrade */
		{21, 15, LM_ERR_BAD_VALUE},
		{22, 0x5a, LM_ERR_WRONG_CODE}, /* the key check */
		{5, 0x5a, LM_ERR_WRONG_CODE},  /* the salt (counter prefix) */
		{25, 0x66, LM_ERR_MALFORMED},  /* length not its complement */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(img, good, CAP);
		if (bad[i].off == 20) {
			img[20] = 0;
			img[21] = 15;
		} else if (bad[i].off == 21) {
			img[20] = 0;
			img[21] = 0;
		} else {
			img[bad[i].off] ^= bad[i].val;
		}
		assert_int_equal(lm_protect_open(img, CAP, CAP, &k, plain, &c, NULL), bad[i].want);
	}
	/* A commit word saying more than the card holds, or not a multiple of 4. */
	memcpy(img, good, CAP);
	img[24] = 0x01, img[25] = 0xd8, img[26] = 0xfe, img[27] = 0x27; /* 472 > 512 - 60 */
	assert_int_equal(lm_protect_open(img, CAP, CAP, &k, plain, &c, NULL), LM_ERR_MALFORMED);
	img[24] = 0x00, img[25] = 0x66, img[26] = 0xff, img[27] = 0x99;
	assert_int_equal(lm_protect_header_parse(img, CAP, &h), LM_ERR_MALFORMED);
	/* Short reads, bad capacities. */
	assert_int_equal(lm_protect_header_parse(good, 27, &h), LM_ERR_MALFORMED);
	assert_int_equal(lm_protect_open(good, 59, CAP, &k, plain, &c, NULL), LM_ERR_MALFORMED);
	assert_int_equal(lm_protect_open(good, 100, CAP, &k, plain, &c, NULL), LM_ERR_ARG);
	assert_int_equal(lm_protect_open(good, CAP, 59, &k, plain, &c, NULL), LM_ERR_ARG);
	assert_int_equal(lm_protect_open(good, CAP, LM_CARD_MAX + 1, &k, plain, &c, NULL),
			 LM_ERR_ARG);
	/* A version 1 image is not a protected one. */
	lm_card_format(img, holder);
	assert_false(lm_protect_is_v2(img, CAP));
	assert_int_equal(lm_protect_header_parse(img, CAP, &h), LM_ERR_VERSION);
}

static void test_tear_everywhere(void **state)
{
	struct fixture *f = *state;
	enum { CAP = 512 };
	uint8_t before[CAP], after[CAP], plain[CAP];
	struct lm_protect_keys k;
	new_image(before, CAP, &k, NULL);
	assert_int_equal(append(before, CAP, &k, f->entry[0], f->len[0]), LM_OK);
	memcpy(after, before, CAP);
	struct lm_card c;
	struct lm_protect_plan p;
	assert_int_equal(lm_protect_open(after, CAP, CAP, &k, plain, &c, NULL), LM_OK);
	assert_int_equal(lm_protect_plan_append(&c, &k, f->entry[1], f->len[1], &p), LM_OK);
	assert_int_equal(p.card.n, 2);
	assert_int_equal(p.card.w[0].off, LM_PROTECT_HEADER_LEN + 100);
	assert_int_equal(p.card.w[0].len, 100);
	assert_int_equal(lm_card_apply(after, CAP, &p.card), LM_OK);
	/* Only bytes after the committed end and the commit word change. */
	assert_memory_equal(after, before, LM_PROTECT_COMMIT_OFF);
	assert_memory_equal(after + 28, before + 28, LM_PROTECT_HEADER_LEN - 28 + 100);
	size_t total = p.card.w[0].len + p.card.w[1].len;
	for (size_t cut = 0; cut <= total; cut++) {
		uint8_t img[CAP];
		memcpy(img, before, CAP);
		size_t left = cut;
		for (size_t i = 0; i < p.card.n && left > 0; i++) {
			const struct lm_card_write *w = &p.card.w[i];
			if (i == p.card.n - 1 && left < w->len)
				break; /* the commit is atomic: not written */
			size_t n = left < w->len ? left : w->len;
			memcpy(img + w->off, w->data, n);
			left -= n;
		}
		struct lm_card r;
		assert_int_equal(lm_protect_open(img, CAP, CAP, &k, plain, &r, NULL), LM_OK);
		size_t used = LM_PROTECT_HEADER_LEN + r.committed;
		if (cut < total) {
			assert_int_equal(lm_card_count(&r), 1);
			assert_memory_equal(img, before, used);
		} else {
			assert_int_equal(lm_card_count(&r), 2);
			assert_memory_equal(img, after, used);
		}
	}
	/* A bytewise-torn commit word is damage, never another log. */
	uint8_t img[CAP];
	memcpy(img, before, CAP);
	img[25] = p.card.commit[1];
	struct lm_card r;
	assert_int_equal(lm_protect_open(img, CAP, CAP, &k, plain, &r, NULL), LM_ERR_MALFORMED);
	/* A tear in the format's writes: the commit word comes last, so a card cut
	 * before it holds no valid commit word (zeros after a wipe). */
	struct lm_protect_plan fp;
	assert_int_equal(lm_protect_plan_format(CAP, holder, code, NULL, ITER, &fp, NULL, NULL),
			 LM_OK);
	memset(img, 0, CAP);
	for (size_t i = 0; i + 1 < fp.card.n; i++)
		memcpy(img + fp.card.w[i].off, fp.card.w[i].data, fp.card.w[i].len);
	assert_int_equal(lm_protect_open(img, CAP, CAP, &k, plain, &r, NULL), LM_ERR_MALFORMED);
}

/* Does any n-byte window of needle occur in hay? */
static int has_window(const uint8_t *hay, size_t hlen, const uint8_t *needle, size_t nlen, size_t n)
{
	for (size_t i = 0; i + n <= nlen; i++)
		for (size_t j = 0; j + n <= hlen; j++)
			if (!memcmp(hay + j, needle + i, n))
				return 1;
	return 0;
}

static void test_nothing_in_clear(void **state)
{
	struct fixture *f = *state;
	uint8_t img[NTAG216], rec[16];
	struct lm_protect_keys k;
	new_image(img, NTAG216, &k, rec);
	for (int i = 0; i < 8; i++)
		assert_int_equal(append(img, NTAG216, &k, f->entry[i], f->len[i]), LM_OK);
	/* Neither the holder id, nor the recovery secret, nor any 5 bytes of an
	 * entry in a row (the protected header's 13 bytes, the signature, ...). */
	assert_false(has_window(img, NTAG216, holder, LM_HOLDER_LEN, 4));
	assert_false(has_window(img, NTAG216, rec, 16, 4));
	for (int i = 0; i < 8; i++)
		assert_false(has_window(img, NTAG216, f->entry[i], f->len[i], 5));
	/* The control: the same search finds them in a version 1 image. */
	uint8_t v1[NTAG216];
	memset(v1, 0, sizeof(v1));
	lm_card_format(v1, holder);
	struct lm_card c;
	struct lm_card_plan p;
	assert_int_equal(lm_card_parse(v1, NTAG216, NTAG216, &c), LM_OK);
	assert_int_equal(lm_card_plan_append(&c, f->entry[0], f->len[0], &p), LM_OK);
	assert_int_equal(lm_card_apply(v1, NTAG216, &p), LM_OK);
	assert_true(has_window(v1, NTAG216, holder, LM_HOLDER_LEN, 4));
	assert_true(has_window(v1, NTAG216, f->entry[0], f->len[0], 5));
}

static void test_recovery_carried_over(void **state)
{
	(void)state;
	uint8_t rec[16], out[16], img[128], plain[128];
	for (int i = 0; i < 16; i++)
		rec[i] = (uint8_t)(0x30 + i);
	struct lm_protect_plan p;
	struct lm_protect_keys k;
	assert_int_equal(lm_protect_plan_format(128, holder, code, rec, ITER, &p, &k, out), LM_OK);
	assert_memory_equal(out, rec, 16);
	assert_int_equal(lm_card_apply(img, 128, &p.card), LM_OK);
	struct lm_card c;
	memset(out, 0, 16);
	assert_int_equal(lm_protect_open(img, 128, 128, &k, plain, &c, out), LM_OK);
	assert_memory_equal(out, rec, 16);
	assert_int_equal(lm_card_count(&c), 0);
	assert_int_equal(lm_card_free(&c), 128 - LM_PROTECT_HEADER_LEN);
	/* Too small a card for the header. */
	assert_int_equal(lm_protect_plan_format(59, holder, code, rec, ITER, &p, &k, out),
			 LM_ERR_CARD_FULL);
	assert_int_equal(lm_protect_plan_format(128, holder, code, rec, ITER + 1, &p, &k, out),
			 LM_ERR_ARG);
}

static void test_recovery_text(void **state)
{
	(void)state;
	uint8_t sec[16], h[16], s[16];
	for (int i = 0; i < 16; i++)
		sec[i] = (uint8_t)(0xf0 + i);
	char text[LM_RECOVERY_TEXT_LEN + 1];
	lm_protect_recovery_text(holder, sec, text);
	assert_string_equal(text, "LMR1:a1a2a3a4a5a6a7a8a9aaabacadaeafb0:8PHy8_T19vf4-fr7_P3-_w");
	assert_int_equal(lm_protect_recovery_parse(" LMR1:a1a2a3a4a5a6a7a8a9aaabacadaeafb0:"
						   "8PHy8_T19vf4-fr7_P3-_w\n",
						   h, s),
			 LM_OK);
	assert_memory_equal(h, holder, 16);
	assert_memory_equal(s, sec, 16);
	static const char *bad[] = {
		"LMR2:a1a2a3a4a5a6a7a8a9aaabacadaeafb0:8PHy8_T19vf4-fr7_P3-_w",
		"LMR1:a1a2a3a4a5a6a7a8a9aaabacadaeafb:8PHy8_T19vf4-fr7_P3-_w",
		"LMR1:a1a2a3a4a5a6a7a8a9aaabacadaeafb0:8PHy8_T19vf4-fr7_P3-_",
		"LMR1:a1a2a3a4a5a6a7a8a9aaabacadaeafb0:8PHy8_T19vf4-fr7_P3-_x",
		"LMR1:a1a2a3a4a5a6a7a8a9aaabacadaeafb0:8PHy8_T19vf4-fr7_P3-_wAA",
		"LMR1:a1a2a3a4a5a6a7a8a9aaabacadaeafb0:8PHy8_T19vf4-fr7_P3-_w x",
		"LMR1:",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(lm_protect_recovery_parse(bad[i], h, s), LM_ERR_MALFORMED);
}

static void test_v1_unchanged(void **state)
{
	struct fixture *f = *state;
	/* The version 1 header, byte for byte, and its planner. */
	uint8_t img[256];
	memset(img, 0, sizeof(img));
	lm_card_format(img, holder);
	static const uint8_t want[8] = {0x4c, 0x4d, 1, 0, 0, 0, 0xff, 0xff};
	assert_memory_equal(img, want, 8);
	assert_memory_equal(img + 8, holder, 16);
	struct lm_card c;
	struct lm_card_plan p;
	assert_int_equal(lm_card_parse(img, 256, 256, &c), LM_OK);
	assert_int_equal(lm_card_free(&c), 256 - LM_CARD_HEADER_LEN);
	assert_int_equal(lm_card_plan_append(&c, f->entry[0], f->len[0], &p), LM_OK);
	assert_int_equal(p.w[0].off, LM_CARD_HEADER_LEN);
	/* lm_card_parse refuses version 2 as before: it never reads ciphertext. */
	uint8_t v2[256];
	new_image(v2, sizeof(v2), NULL, NULL);
	assert_int_equal(lm_card_parse(v2, 256, 256, &c), LM_ERR_VERSION);
	/* The protected planner refuses a version 1 card. */
	struct lm_protect_plan pp;
	struct lm_protect_keys k;
	uint8_t salt[16] = {0};
	assert_int_equal(lm_protect_derive(code, salt, ITER, &k), LM_OK);
	assert_int_equal(lm_card_parse(img, 256, 256, &c), LM_OK);
	assert_int_equal(lm_protect_plan_append(&c, &k, f->entry[0], f->len[0], &pp), LM_ERR_ARG);
}

/* ---- Through a transport (lib/src/protect_io.c), on image files ------- */

#define IO_CAP NTAG216

/* The image file the transport tests use, and the keys it was made with. */
struct io_card {
	char path[64], spec[80];
	struct lm_protect_keys keys;
};

static void new_card(struct io_card *io);

static struct io_card *io_card(void)
{
	static struct io_card c;
	if (!c.path[0]) {
		snprintf(c.path, sizeof(c.path), "/tmp/lm-test-protect-io-%d.img", (int)getpid());
		snprintf(c.spec, sizeof(c.spec), "fake:%s", c.path);
	}
	new_card(&c);
	return &c;
}

static void write_file(const char *path, const uint8_t *b, size_t n)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(b, 1, n, fp), n);
	fclose(fp);
}

static size_t read_file(const char *path, uint8_t *b, size_t max)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	size_t n = fread(b, 1, max, fp);
	fclose(fp);
	return n;
}

/* A fresh protected image file for holder, code, the least iterations. */
static void new_card(struct io_card *io)
{
	uint8_t img[IO_CAP];
	struct lm_protect_plan p;
	memset(img, 0, sizeof(img));
	assert_int_equal(
		lm_protect_plan_format(IO_CAP, holder, code, NULL, ITER, &p, &io->keys, NULL),
		LM_OK);
	assert_int_equal(lm_card_apply(img, IO_CAP, &p.card), LM_OK);
	write_file(io->path, img, IO_CAP);
}

static struct lm_transport *open_card(struct io_card *io, struct lm_card_info *info)
{
	struct lm_transport *t;
	assert_int_equal(lm_transport_open(io->spec, &t), LM_OK);
	assert_int_equal(lm_transport_identify(t, info), LM_OK);
	return t;
}

/* The card's entries through the transport, with the keys it was made with. */
static size_t count_entries(struct io_card *io)
{
	struct lm_card_info info;
	struct lm_transport *t = open_card(io, &info);
	uint8_t img[IO_CAP];
	size_t len;
	struct lm_card c;
	assert_int_equal(lm_protect_read_image(t, &info, &io->keys, img, &len, &c), LM_OK);
	assert_memory_equal(c.holder, holder, LM_HOLDER_LEN);
	int n = lm_card_count(&c);
	assert_true(n >= 0);
	lm_protect_wipe(img, len);
	lm_transport_close(t);
	return (size_t)n;
}

/* The tap's path: the card is locked, the public header says how to derive. */
static void test_io_header_and_seam(void **state)
{
	(void)state;
	struct io_card *io = io_card();
	struct lm_card_info info;
	struct lm_transport *t = open_card(io, &info);
	uint8_t img[IO_CAP];
	size_t len;
	struct lm_card c;
	assert_int_equal(lm_transport_read_image(t, &info, img, &len, &c),
			 LM_ERR_LOCKED); /* a protected card, no session unlocked */
	struct lm_protect_header h;
	assert_int_equal(lm_protect_read_header(t, &h), LM_OK);
	assert_int_equal(h.iterations, LM_PROTECT_ITER_MIN);
	assert_int_equal(h.committed, 0); /* behind the access control on a tag */
	struct lm_protect_keys k;
	assert_int_equal(lm_protect_derive(code, h.salt, h.iterations, &k), LM_OK);
	assert_int_equal(lm_protect_check(&h, &k), LM_OK);
	assert_memory_equal(&k, &io->keys, sizeof(k));
	int tries = 7;
	assert_int_equal(lm_protect_authenticate(t, &info, &k, &tries), LM_OK);
	assert_int_equal(tries, -1); /* an image file counts nothing */
	/* A tag or an applet goes through the transport's session
	 * (lm_transport_unlock: PWD_AUTH or VERIFY); behind an image file that
	 * is the key check alone. */
	struct lm_card_info ntag = info;
	ntag.kind = LM_KIND_NTAG216;
	assert_int_equal(lm_protect_authenticate(t, &ntag, &k, &tries), LM_OK);
	ntag.kind = LM_KIND_APPLET;
	assert_int_equal(lm_protect_authenticate(t, &ntag, &k, &tries), LM_OK);
	/* A wrong code fails the public key check. */
	assert_int_equal(lm_protect_derive("0000-0000-0000", h.salt, h.iterations, &k), LM_OK);
	assert_int_equal(lm_protect_check(&h, &k), LM_ERR_WRONG_CODE);
	assert_int_equal(lm_protect_read_image(t, &info, &k, img, &len, &c), LM_ERR_WRONG_CODE);
	lm_protect_keys_wipe(&k);
	lm_transport_close(t);
	/* A version 1 card: the header reader leaves it to lm_card. */
	uint8_t v1[IO_CAP] = {0};
	lm_card_format(v1, holder);
	write_file(io->path, v1, IO_CAP);
	t = open_card(io, &info);
	assert_int_equal(lm_protect_read_header(t, &h), LM_ERR_VERSION);
	lm_transport_close(t);
	new_card(io);
}

static void test_io_append_encrypted(void **state)
{
	struct fixture *f = *state;
	struct io_card *io = io_card();
	struct lm_card_info info;
	struct lm_transport *t = open_card(io, &info);
	for (int i = 0; i < 2; i++)
		assert_int_equal(lm_protect_append(t, &info, &io->keys, f->entry[i], f->len[i]),
				 LM_OK);
	lm_transport_close(t);
	assert_int_equal(count_entries(io), 2);
	/* Nothing in clear: no 16 bytes of an entry, no holder id. */
	uint8_t raw[IO_CAP];
	assert_int_equal(read_file(io->path, raw, sizeof(raw)), IO_CAP);
	for (int i = 0; i < 2; i++)
		for (size_t o = 0; o + 16 <= f->len[i]; o += 8)
			assert_null(memmem(raw, IO_CAP, f->entry[i] + o, 16));
	assert_null(memmem(raw, IO_CAP, holder, LM_HOLDER_LEN));
	/* The CLI's path opens what the transport wrote. */
	uint8_t plain[IO_CAP];
	struct lm_card c;
	assert_int_equal(lm_protect_open_code(raw, IO_CAP, IO_CAP, code, plain, &c, NULL, NULL),
			 LM_OK);
	/* Wrong keys write nothing. */
	struct lm_protect_keys bad = io->keys;
	bad.check[0] ^= 1;
	t = open_card(io, &info);
	assert_int_equal(lm_protect_append(t, &info, &bad, f->entry[2], f->len[2]),
			 LM_ERR_WRONG_CODE);
	lm_transport_close(t);
	uint8_t after[IO_CAP];
	read_file(io->path, after, sizeof(after));
	assert_memory_equal(raw, after, IO_CAP);
	/* A version 1 plan is refused on a version 2 card. */
	t = open_card(io, &info);
	assert_int_not_equal(lm_transport_append(t, &info, f->entry[2], f->len[2]), LM_OK);
	lm_transport_close(t);
	read_file(io->path, after, sizeof(after));
	assert_memory_equal(raw, after, IO_CAP);
	new_card(io);
}

/* Cut at every card operation, torn: the card reads with 0 or 1 entries. */
static void test_io_append_torn(void **state)
{
	struct fixture *f = *state;
	struct io_card *io = io_card();
	int done = 0;
	for (int n = 0; n < 20 && !done; n++) {
		new_card(io);
		struct lm_card_info info;
		struct lm_transport *t = open_card(io, &info);
		assert_int_equal(lm_transport_fake_fault(t, n, 1), LM_OK);
		int err = lm_protect_append(t, &info, &io->keys, f->entry[0], f->len[0]);
		lm_transport_close(t);
		size_t got = count_entries(io);
		if (err == LM_OK) {
			assert_int_equal(got, 1);
			done = 1;
		} else {
			assert_int_equal(err, LM_ERR_CARD_REMOVED);
			assert_true(got == 0 || got == 1);
		}
	}
	assert_true(done);
	unlink(io->path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_generate),
		cmocka_unit_test(test_code_parse),
		cmocka_unit_test(test_kdf_vectors),
		cmocka_unit_test(test_card_keys_vector),
		cmocka_unit_test(test_calibrate),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_wrong_code),
		cmocka_unit_test(test_wrong_code_count),
		cmocka_unit_test(test_header_strict),
		cmocka_unit_test(test_tear_everywhere),
		cmocka_unit_test(test_nothing_in_clear),
		cmocka_unit_test(test_recovery_carried_over),
		cmocka_unit_test(test_recovery_text),
		cmocka_unit_test(test_v1_unchanged),
		cmocka_unit_test(test_io_header_and_seam),
		cmocka_unit_test(test_io_append_encrypted),
		cmocka_unit_test(test_io_append_torn),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
