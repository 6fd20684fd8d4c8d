/*
 * test_cbor.c - the strict CBOR subset: what it writes, and every class of
 * input it must refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "laufmappe/lm_err.h"
#include "lm_cbor.h"

struct enc_case {
	uint64_t v;
	const char *hex;
};

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;
	for (; hex[0] && hex[1]; hex += 2) {
		unsigned b;
		sscanf(hex, "%2x", &b);
		out[n++] = (uint8_t)b;
	}
	return n;
}

static void test_uint_shortest(void **state)
{
	(void)state;
	static const struct enc_case cases[] = {
		{0, "00"}, {23, "17"}, {24, "1818"}, {255, "18ff"}, {256, "190100"},
		{65535, "19ffff"}, {65536, "1a00010000"}, {0xffffffffu, "1affffffff"},
		{0x100000000ull, "1b0000000100000000"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[16], want[16];
		struct lm_cbor_writer w;
		lm_cbor_writer_init(&w, buf, sizeof(buf));
		lm_cbor_put_uint(&w, cases[i].v);
		size_t n = unhex(cases[i].hex, want);
		assert_int_equal(w.err, LM_OK);
		assert_int_equal(w.len, n);
		assert_memory_equal(buf, want, n);
		struct lm_cbor_reader r;
		lm_cbor_reader_init(&r, buf, w.len);
		assert_true(lm_cbor_get_uint(&r) == cases[i].v);
		assert_int_equal(lm_cbor_reader_finish(&r), LM_OK);
	}
}

static void test_negative_ints(void **state)
{
	(void)state;
	uint8_t buf[16];
	struct lm_cbor_writer w;
	lm_cbor_writer_init(&w, buf, sizeof(buf));
	lm_cbor_put_int(&w, -7);
	lm_cbor_put_int(&w, -65537);
	assert_int_equal(w.len, 1 + 5);
	assert_int_equal(buf[0], 0x26);
	assert_int_equal(buf[1], 0x3a);
	struct lm_cbor_reader r;
	lm_cbor_reader_init(&r, buf, w.len);
	assert_true(lm_cbor_get_int(&r) == -7);
	assert_true(lm_cbor_get_int(&r) == -65537);
	assert_int_equal(lm_cbor_reader_finish(&r), LM_OK);
}

/* Inputs that must be refused, each with the error it must give. */
struct bad_case {
	const char *name;
	const char *hex;
	int err;
};

static const struct bad_case bad[] = {
	{"non-shortest 1-byte head", "1817", LM_ERR_NONCANONICAL},
	{"non-shortest 2-byte head", "1900ff", LM_ERR_NONCANONICAL},
	{"non-shortest 4-byte head", "1a0000ffff", LM_ERR_NONCANONICAL},
	{"non-shortest 8-byte head", "1b00000000ffffffff", LM_ERR_NONCANONICAL},
	{"non-shortest length", "5801ff", LM_ERR_NONCANONICAL},
	{"indefinite array", "9f01ff", LM_ERR_MALFORMED},
	{"indefinite bstr", "5f4101ff", LM_ERR_MALFORMED},
	{"reserved ai 28", "1c", LM_ERR_MALFORMED},
	{"truncated head", "19ff", LM_ERR_MALFORMED},
	{"truncated bstr", "43aabb", LM_ERR_MALFORMED},
	{"array count beyond input", "8501020304", LM_ERR_MALFORMED},
	{"huge map count", "bbffffffffffffffff", LM_ERR_MALFORMED},
	{"tag", "d81801", LM_ERR_MALFORMED},
	{"float", "f93c00", LM_ERR_MALFORMED},
	{"simple null", "f6", LM_ERR_MALFORMED},
	{"simple undefined", "f7", LM_ERR_MALFORMED},
	{"simple value 32", "f820", LM_ERR_MALFORMED},
	{"true in two bytes", "f815", LM_ERR_NONCANONICAL},
	{"true as a half float", "f93c00", LM_ERR_MALFORMED},
	{"bad utf-8", "62c328", LM_ERR_MALFORMED},
	{"overlong utf-8", "62c0af", LM_ERR_MALFORMED},
	{"utf-8 surrogate", "63eda080", LM_ERR_MALFORMED},
	{"trailing byte", "a0a0", LM_ERR_TRAILING},
	{"empty input", "", LM_ERR_MALFORMED},
};

static void test_skip_refuses(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t buf[32];
		size_t n = unhex(bad[i].hex, buf);
		struct lm_cbor_reader r;
		lm_cbor_reader_init(&r, buf, n);
		lm_cbor_skip(&r);
		int err = lm_cbor_reader_finish(&r);
		if (err != bad[i].err)
			fail_msg("%s: got %d, want %d", bad[i].name, err, bad[i].err);
	}
}

/* Booleans: F5 true, F4 false, and nothing else reads as one. */
static void test_bool(void **state)
{
	(void)state;
	static const uint8_t in[] = {0x82, 0xf5, 0xf4};
	struct lm_cbor_reader r;
	lm_cbor_reader_init(&r, in, sizeof(in));
	assert_int_equal(lm_cbor_skip(&r), 3);
	lm_cbor_reader_init(&r, in, sizeof(in));
	assert_int_equal(lm_cbor_get_array(&r), 2);
	assert_int_equal(lm_cbor_get_bool(&r), 1);
	assert_int_equal(lm_cbor_get_bool(&r), 0);
	assert_int_equal(lm_cbor_reader_finish(&r), LM_OK);
	static const uint8_t one[] = {0x01};
	lm_cbor_reader_init(&r, one, sizeof(one));
	assert_int_equal(lm_cbor_get_bool(&r), 0);
	assert_int_equal(r.err, LM_ERR_MALFORMED); /* the integer 1 is not true */
	uint8_t out[4];
	struct lm_cbor_writer w;
	lm_cbor_writer_init(&w, out, sizeof(out));
	lm_cbor_put_bool(&w, 1);
	lm_cbor_put_bool(&w, 0);
	assert_int_equal(w.err, LM_OK);
	assert_int_equal(w.len, 2);
	assert_int_equal(out[0], 0xf5);
	assert_int_equal(out[1], 0xf4);
}

static void test_map_key_order(void **state)
{
	(void)state;
	/* {1:0, 2:0, -1:0} is in order; {2:0, 1:0} and {1:0, 1:0} are not. */
	static const struct {
		const char *hex;
		int err;
	} cases[] = {
		{"a3010002002000", LM_OK},
		{"a202000100", LM_ERR_NONCANONICAL},
		{"a201000100", LM_ERR_NONCANONICAL},
		{"a220000100", LM_ERR_NONCANONICAL},
		{"a22000210a", LM_OK},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[16];
		size_t n = unhex(cases[i].hex, buf);
		struct lm_cbor_reader r;
		lm_cbor_reader_init(&r, buf, n);
		uint64_t pairs = lm_cbor_get_map(&r);
		int64_t prev = 0;
		int set = 0;
		for (uint64_t k = 0; k < pairs; k++) {
			lm_cbor_get_key(&r, &prev, &set);
			lm_cbor_get_int(&r);
		}
		if (lm_cbor_reader_finish(&r) != cases[i].err)
			fail_msg("case %zu (%s)", i, cases[i].hex);
	}
}

static void test_sticky_error(void **state)
{
	(void)state;
	uint8_t buf[] = {0x41}; /* bstr of 1, but no content */
	struct lm_cbor_reader r;
	lm_cbor_reader_init(&r, buf, sizeof(buf));
	size_t len = 99;
	assert_null(lm_cbor_get_bstr(&r, &len));
	assert_int_equal(len, 0);
	assert_true(lm_cbor_get_uint(&r) == 0); /* no-op after the error */
	assert_int_equal(lm_cbor_reader_finish(&r), LM_ERR_MALFORMED);
}

static void test_writer_overflow(void **state)
{
	(void)state;
	uint8_t buf[4];
	struct lm_cbor_writer w;
	lm_cbor_writer_init(&w, buf, sizeof(buf));
	lm_cbor_put_bstr(&w, (const uint8_t *)"hello", 5);
	assert_int_equal(w.err, LM_ERR_BUFFER);
	/* Counting mode: a NULL buffer only measures. */
	lm_cbor_writer_init(&w, NULL, 0);
	lm_cbor_put_bstr(&w, (const uint8_t *)"hello", 5);
	assert_int_equal(w.err, LM_OK);
	assert_int_equal(w.len, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uint_shortest),
		cmocka_unit_test(test_negative_ints),
		cmocka_unit_test(test_skip_refuses),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_map_key_order),
		cmocka_unit_test(test_sticky_error),
		cmocka_unit_test(test_writer_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
