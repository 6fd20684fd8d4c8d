/*
 * test_card.c - card image header, log walk, append plans, full cards and
 * tears at every point of an append.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "laufmappe/lm_card.h"
#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"

static const uint8_t holder[LM_HOLDER_LEN] = {0xa1, 0xa2, 0xa3};

struct fixture {
	struct lm_key *key;
	uint8_t entry[LM_ENTRY_MAX]; /* a typical IK entry, card form */
	size_t entry_len;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f || lm_key_generate(&f->key))
		return -1;
	struct lm_entry e;
	lm_entry_init(&e, LM_TYPE_IK, 20416);
	lm_entry_set_num(&e, 11, 700);
	lm_entry_set_num(&e, 12, 700);
	if (lm_entry_sign(&e, f->key, holder, 0, f->entry, sizeof(f->entry), &f->entry_len))
		return -1;
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

static void new_image(uint8_t *img, size_t cap)
{
	memset(img, 0xee, cap); /* unused memory holds garbage, not zeros */
	lm_card_format(img, holder);
}

static int append(uint8_t *img, size_t cap, const uint8_t *e, size_t len)
{
	struct lm_card c;
	struct lm_card_plan p;
	int err = lm_card_parse(img, cap, cap, &c);
	if (!err)
		err = lm_card_plan_append(&c, e, len, &p);
	if (!err)
		err = lm_card_apply(img, cap, &p);
	return err;
}

static void test_format_and_parse(void **state)
{
	(void)state;
	uint8_t img[256];
	new_image(img, sizeof(img));
	struct lm_card c;
	assert_int_equal(lm_card_parse(img, sizeof(img), sizeof(img), &c), LM_OK);
	assert_int_equal(c.committed, 0);
	assert_memory_equal(c.holder, holder, LM_HOLDER_LEN);
	assert_int_equal(lm_card_free(&c), sizeof(img) - LM_CARD_HEADER_LEN);
	assert_int_equal(lm_card_count(&c), 0);
	size_t need;
	assert_int_equal(lm_card_header_need(img, LM_CARD_HEADER_LEN, &need), LM_OK);
	assert_int_equal(need, LM_CARD_HEADER_LEN);
}

static void test_header_rejections(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		size_t off;
		uint8_t val;
		int err;
	} cases[] = {
		{"no magic", 0, 0x00, LM_ERR_NOT_FORMATTED},
		{"other magic", 1, 0x4e, LM_ERR_NOT_FORMATTED},
		{"future version", 2, 2, LM_ERR_VERSION},
		{"unknown flag", 3, 1, LM_ERR_UNSUPPORTED},
		{"commit word check broken", 7, 0x00, LM_ERR_MALFORMED},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t img[64];
		new_image(img, sizeof(img));
		img[cases[i].off] = cases[i].val;
		struct lm_card c;
		if (lm_card_parse(img, sizeof(img), sizeof(img), &c) != cases[i].err)
			fail_msg("%s", cases[i].name);
	}
	uint8_t img[64];
	new_image(img, sizeof(img));
	/* committed length beyond capacity, and not a multiple of 4 */
	img[4] = 0x00, img[5] = 0x40, img[6] = 0xff, img[7] = 0xbf;
	struct lm_card c;
	assert_int_equal(lm_card_parse(img, sizeof(img), sizeof(img), &c), LM_ERR_MALFORMED);
	img[5] = 0x02, img[7] = 0xfd;
	assert_int_equal(lm_card_parse(img, sizeof(img), sizeof(img), &c), LM_ERR_MALFORMED);
	assert_int_equal(lm_card_parse(img, 10, sizeof(img), &c), LM_ERR_MALFORMED);
}

static void test_append_until_full(void **state)
{
	struct fixture *f = *state;
	size_t cap = 860; /* an NTAG216's image (docs/nfc.md) */
	uint8_t img[860];
	new_image(img, cap);
	size_t padded = (f->entry_len + 3) / 4 * 4;
	size_t fits = (cap - LM_CARD_HEADER_LEN) / padded, n = 0;
	int err;
	while ((err = append(img, cap, f->entry, f->entry_len)) == LM_OK)
		n++;
	assert_int_equal(err, LM_ERR_CARD_FULL);
	assert_int_equal(n, fits);
	/* A full card is unchanged by the refused append, and reads back whole. */
	struct lm_card c;
	assert_int_equal(lm_card_parse(img, cap, cap, &c), LM_OK);
	assert_int_equal(lm_card_count(&c), (int)fits);
	size_t off = 0, len;
	const uint8_t *e;
	while (lm_card_next(&c, &off, &e, &len) == LM_OK) {
		assert_int_equal(len, f->entry_len);
		assert_memory_equal(e, f->entry, len);
	}
	assert_true(n >= 8); /* the design's promise for NTAG216 */
	print_message("NTAG216 (860 bytes): %zu typical entries of %zu bytes\n", n, f->entry_len);
}

/* The plan: entry, padding, then the commit word, and nothing else. */
static void test_plan_shape(void **state)
{
	struct fixture *f = *state;
	uint8_t img[512];
	new_image(img, sizeof(img));
	struct lm_card c;
	struct lm_card_plan p;
	assert_int_equal(lm_card_parse(img, sizeof(img), sizeof(img), &c), LM_OK);
	assert_int_equal(lm_card_plan_append(&c, f->entry, f->entry_len, &p), LM_OK);
	assert_int_equal(p.w[0].off, LM_CARD_HEADER_LEN);
	assert_int_equal(p.w[p.n - 1].off, LM_CARD_COMMIT_OFF);
	assert_int_equal(p.w[p.n - 1].len, 4);
	for (size_t i = 0; i + 1 < p.n; i++) /* nothing committed is rewritten */
		assert_true(p.w[i].off >= (uint32_t)(LM_CARD_HEADER_LEN + c.committed));
	/* Entries with a holder hint are refused: cards never carry it. */
	uint8_t hinted[LM_ENTRY_MAX];
	size_t hl;
	struct lm_entry e;
	lm_entry_init(&e, LM_TYPE_IK, 20416);
	assert_int_equal(lm_entry_sign(&e, f->key, holder, 1, hinted, sizeof(hinted), &hl), LM_OK);
	assert_int_equal(lm_card_plan_append(&c, hinted, hl, &p), LM_ERR_ARG);
	/* Garbage is not planned. */
	uint8_t junk[8] = {0x84, 1, 2, 3};
	assert_int_not_equal(lm_card_plan_append(&c, junk, sizeof(junk), &p), LM_OK);
}

/*
 * Tear at every byte of an append (the commit word itself is one atomic
 * write on every card, so it lands whole or not at all): the image always
 * reads as exactly the old or exactly the new one.
 */
static void test_tear_everywhere(void **state)
{
	struct fixture *f = *state;
	enum { CAP = 512 };
	uint8_t before[CAP], after[CAP];
	new_image(before, CAP);
	assert_int_equal(append(before, CAP, f->entry, f->entry_len), LM_OK);
	memcpy(after, before, CAP);
	struct lm_card c;
	struct lm_card_plan p;
	assert_int_equal(lm_card_parse(after, CAP, CAP, &c), LM_OK);
	assert_int_equal(lm_card_plan_append(&c, f->entry, f->entry_len, &p), LM_OK);
	assert_int_equal(lm_card_apply(after, CAP, &p), LM_OK);
	size_t total = 0;
	for (size_t i = 0; i < p.n; i++)
		total += p.w[i].len;
	for (size_t cut = 0; cut <= total; cut++) {
		uint8_t img[CAP];
		memcpy(img, before, CAP);
		size_t left = cut;
		for (size_t i = 0; i < p.n && left > 0; i++) {
			int commit = i == p.n - 1;
			if (commit && left < p.w[i].len)
				break; /* atomic: not written */
			size_t n = left < p.w[i].len ? left : p.w[i].len;
			memcpy(img + p.w[i].off, p.w[i].data, n);
			left -= n;
		}
		struct lm_card r;
		assert_int_equal(lm_card_parse(img, CAP, CAP, &r), LM_OK);
		int count = lm_card_count(&r);
		size_t used = LM_CARD_HEADER_LEN + r.committed;
		if (cut < total) {
			assert_int_equal(count, 1);
			assert_memory_equal(img, before, used);
		} else {
			assert_int_equal(count, 2);
			assert_memory_equal(img, after, used);
		}
	}
	/* Were the commit word torn bytewise, the check bytes catch it. */
	uint8_t img[CAP];
	memcpy(img, before, CAP);
	img[5] = p.commit[1];
	struct lm_card r;
	assert_int_equal(lm_card_parse(img, CAP, CAP, &r), LM_ERR_MALFORMED);
}

static void test_damaged_log(void **state)
{
	struct fixture *f = *state;
	uint8_t img[512];
	new_image(img, sizeof(img));
	assert_int_equal(append(img, sizeof(img), f->entry, f->entry_len), LM_OK);
	assert_int_equal(append(img, sizeof(img), f->entry, f->entry_len), LM_OK);
	size_t padded = (f->entry_len + 3) / 4 * 4;
	struct lm_card c;
	/* Non-zero padding. */
	if (padded > f->entry_len) {
		uint8_t copy[512];
		memcpy(copy, img, sizeof(img));
		copy[LM_CARD_HEADER_LEN + f->entry_len] = 1;
		assert_int_equal(lm_card_parse(copy, sizeof(copy), sizeof(copy), &c), LM_OK);
		assert_int_equal(lm_card_count(&c), LM_ERR_MALFORMED);
	}
	/* The second entry's array head destroyed: the first is still yielded. */
	img[LM_CARD_HEADER_LEN + padded] = 0xff;
	assert_int_equal(lm_card_parse(img, sizeof(img), sizeof(img), &c), LM_OK);
	size_t off = 0, len;
	const uint8_t *e;
	assert_int_equal(lm_card_next(&c, &off, &e, &len), LM_OK);
	assert_int_not_equal(lm_card_next(&c, &off, &e, &len), LM_OK);
	assert_int_not_equal(lm_card_next(&c, &off, &e, &len), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_parse),
		cmocka_unit_test(test_header_rejections),
		cmocka_unit_test(test_append_until_full),
		cmocka_unit_test(test_plan_shape),
		cmocka_unit_test(test_tear_everywhere),
		cmocka_unit_test(test_damaged_log),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
