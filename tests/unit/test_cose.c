/*
 * test_cose.c - COSE_Sign1 structure: the exact headers we accept, the
 * holder hint, and the card form without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "laufmappe/lm_cose.h"
#include "laufmappe/lm_err.h"

static const uint8_t holder[LM_HOLDER_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t payload[] = {0xa2, 0x01, 0x02, 0x02, 0x19, 0x51, 0x2d};

static int setup(void **state)
{
	struct lm_key *k;
	if (lm_key_generate(&k))
		return -1;
	*state = k;
	return 0;
}

static int teardown(void **state)
{
	lm_key_free(*state);
	return 0;
}

static void test_layout(void **state)
{
	struct lm_key *k = *state;
	uint8_t buf[256];
	size_t len;
	assert_int_equal(lm_cose_sign(k, holder, LM_HOLDER_LEN, payload, sizeof(payload), NULL, buf,
				      sizeof(buf), &len), LM_OK);
	assert_int_equal(len, LM_COSE_OVERHEAD + 1 + sizeof(payload));
	/* 84 | 4d a2 01 26 04 48 <kid> | a0 | 47 <payload> | 58 40 <sig> */
	uint8_t kid[LM_KID_LEN];
	lm_key_kid(k, kid);
	static const uint8_t head[] = {0x84, 0x4d, 0xa2, 0x01, 0x26, 0x04, 0x48};
	assert_memory_equal(buf, head, sizeof(head));
	assert_memory_equal(buf + 7, kid, LM_KID_LEN);
	assert_int_equal(buf[15], 0xa0);
	assert_int_equal(buf[16], 0x40 | sizeof(payload));
	assert_int_equal(buf[17 + sizeof(payload)], 0x58);
	assert_int_equal(buf[18 + sizeof(payload)], 0x40);
	struct lm_cose c;
	assert_int_equal(lm_cose_decode(buf, len, &c), LM_OK);
	assert_null(c.hint);
	assert_int_equal(c.len, len);
	assert_memory_equal(c.kid, kid, LM_KID_LEN);
	assert_int_equal(lm_cose_verify(&c, k, holder, LM_HOLDER_LEN), LM_OK);
	assert_int_equal(lm_cose_verify(&c, k, NULL, 0), LM_ERR_BAD_SIGNATURE);
}

static void test_hint_and_bare_form(void **state)
{
	struct lm_key *k = *state;
	uint8_t buf[256], bare[256], plain[256];
	size_t len, blen, plen;
	assert_int_equal(lm_cose_sign(k, holder, LM_HOLDER_LEN, payload, sizeof(payload), holder, buf,
				      sizeof(buf), &len), LM_OK);
	struct lm_cose c;
	assert_int_equal(lm_cose_decode(buf, len, &c), LM_OK);
	assert_non_null(c.hint);
	assert_memory_equal(c.hint, holder, LM_HOLDER_LEN);
	assert_int_equal(lm_cose_encode_bare(&c, bare, sizeof(bare), &blen), LM_OK);
	/* Deterministic signatures: the bare form equals a direct card-form signing. */
	assert_int_equal(lm_cose_sign(k, holder, LM_HOLDER_LEN, payload, sizeof(payload), NULL, plain,
				      sizeof(plain), &plen), LM_OK);
	assert_int_equal(blen, plen);
	assert_memory_equal(bare, plain, plen);
}

/* Structures that are refused, as hex with the signature left out ("SIG"). */
static const struct {
	const char *name;
	const char *hex;
	int err;
} bad[] = {
	{"tagged", "d2844da2012604480102030405060708a04101" "SIG", LM_ERR_MALFORMED},
	{"array of 3", "834da2012604480102030405060708a04101", LM_ERR_MALFORMED},
	{"alg ES384", "844da2013822044801020304050607084101a0" "SIG", LM_ERR_MALFORMED},
	{"extra protected label", "8450a3012604480102030405060708056161a04101" "SIG", LM_ERR_UNKNOWN_FIELD},
	{"kid of 4 bytes", "8449a20126044401020304a04101" "SIG", LM_ERR_MALFORMED},
	{"no kid", "8443a10126a04101" "SIG", LM_ERR_MISSING_FIELD},
	{"protected keys unsorted", "844da2044801020304050607080126a04101" "SIG", LM_ERR_NONCANONICAL},
	{"unprotected other label", "844da2012604480102030405060708a1044101" "4101" "SIG", LM_ERR_UNKNOWN_FIELD},
	{"hint of 2 bytes", "844da2012604480102030405060708a13a00010000420102" "4101" "SIG", LM_ERR_MALFORMED},
	{"signature of 63 bytes", "844da2012604480102030405060708a04101583f", LM_ERR_MALFORMED},
	{"payload not a bstr", "844da2012604480102030405060708a06101" "SIG", LM_ERR_MALFORMED},
};

static size_t build(const char *hex, uint8_t *out)
{
	size_t n = 0;
	while (*hex) {
		if (!strncmp(hex, "SIG", 3)) {
			out[n++] = 0x58;
			out[n++] = 0x40;
			memset(out + n, 0x11, 64);
			n += 64;
			hex += 3;
			continue;
		}
		unsigned b;
		sscanf(hex, "%2x", &b);
		out[n++] = (uint8_t)b;
		hex += 2;
	}
	if (n == 20 && out[n - 1] == 0x3f) { /* 63-byte signature */
		memset(out + n, 0x11, 63);
		n += 63;
	}
	return n;
}

static void test_refusals(void **state)
{
	(void)state;
	/* The baseline (a well-formed structure) decodes. */
	uint8_t buf[256];
	size_t n = build("844da2012604480102030405060708a04101" "SIG", buf);
	struct lm_cose c;
	assert_int_equal(lm_cose_decode(buf, n, &c), LM_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = build(bad[i].hex, buf);
		int err = lm_cose_decode(buf, n, &c);
		if (err != bad[i].err)
			fail_msg("%s: got %s, want %s", bad[i].name, lm_errname(err), lm_errname(bad[i].err));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_hint_and_bare_form),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
