/*
 * test_qrtext.c - the paper backup's QR text (lib/src/qrtext.c): round
 * trips of one and many entries, what a QR reader adds around it, and every
 * way the text can be broken.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_qrtext.h"

static const uint8_t holder[LM_HOLDER_LEN] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
					      0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe};
#define HOLDER_HEX "0123456789abcdef1032547698badcfe"

/* Read every entry of LINE; returns how many, or the error. */
static int read_all(const char *line, uint8_t out[][64], size_t lens[], size_t max)
{
	struct lm_qrtext q;
	int k = lm_qrtext_parse(line, strlen(line), &q);
	if (k <= 0)
		return k;
	size_t n = 0;
	while (n < max && (k = lm_qrtext_next(&q, out[n], 64, &lens[n])) == 1)
		n++;
	return k < 0 ? k : (int)n;
}

static void known_text(void **state)
{
	(void)state;
	const uint8_t a[] = {0xd2, 0x84, 0x43}, b[] = {0xff}, c[] = {0x00, 0x01};
	const uint8_t *e[] = {a, b, c};
	const size_t l[] = {3, 1, 2};
	char out[128];
	assert_int_equal(lm_qrtext_encode(holder, e, l, 3, out, sizeof(out)), LM_OK);
	/* RFC 4648 section 5: d28443 -> 0oRD, ff -> _w, 0001 -> AAE. */
	assert_string_equal(out, "LM1:" HOLDER_HEX ":0oRD._w.AAE");
	assert_int_equal(strlen(out) + 1, lm_qrtext_size(l, 3));
	assert_int_equal(lm_qrtext_encode(holder, e, l, 3, out, lm_qrtext_size(l, 3) - 1),
			 LM_ERR_BUFFER);
	assert_int_equal(lm_qrtext_encode(holder, e, l, 0, out, sizeof(out)), LM_ERR_ARG);
	const size_t empty[] = {3, 0, 2};
	assert_int_equal(lm_qrtext_encode(holder, e, empty, 3, out, sizeof(out)), LM_ERR_ARG);
}

static void round_trip(void **state)
{
	(void)state;
	uint8_t bytes[5][64];
	const uint8_t *e[5];
	size_t l[5];
	for (size_t k = 0; k < 5; k++) {
		l[k] = 60 + k; /* every remainder mod 3 */
		for (size_t i = 0; i < l[k]; i++)
			bytes[k][i] = (uint8_t)(i * 37 + k);
		e[k] = bytes[k];
	}
	char text[512];
	for (size_t n = 1; n <= 5; n++) {
		assert_int_equal(lm_qrtext_encode(holder, e, l, n, text, sizeof(text)), LM_OK);
		/* As zbarimg prints it, with a line end. */
		char line[600];
		snprintf(line, sizeof(line), "QR-Code:%s\n", text);
		uint8_t got[5][64];
		size_t gl[5];
		assert_int_equal(read_all(line, got, gl, 5), (int)n);
		for (size_t k = 0; k < n; k++) {
			assert_int_equal(gl[k], l[k]);
			assert_memory_equal(got[k], e[k], l[k]);
		}
		struct lm_qrtext q;
		assert_int_equal(lm_qrtext_parse(line, strlen(line), &q), 1);
		assert_memory_equal(q.holder, holder, LM_HOLDER_LEN);
	}
}

static void not_ours(void **state)
{
	(void)state;
	struct lm_qrtext q;
	assert_int_equal(lm_qrtext_parse("QR-Code:https://example.org", 27, &q), 0);
	assert_int_equal(lm_qrtext_parse("LM1", 3, &q), 0);
	/* "LM1:" beyond the given length does not count. */
	assert_int_equal(lm_qrtext_parse("xxLM1:", 4, &q), 0);
}

static void broken(void **state)
{
	(void)state;
	uint8_t got[4][64];
	size_t gl[4];
	static const char *const bad[] = {
		"LM1:0123",				       /* holder cut short */
		"LM1:" HOLDER_HEX "x0oRD",		       /* no ":" after it */
		"LM1:0123456789abcdef1032547698badcfg:0oRD",   /* not hex */
		"LM1:0123456789abcdef1032547698badc\0fe:0oRD", /* a NUL in it */
		"LM1:" HOLDER_HEX ":",			       /* no entry */
		"LM1:" HOLDER_HEX ":0oRD.",		       /* an empty last entry */
		"LM1:" HOLDER_HEX ":.0oRD",		       /* an empty first entry */
		"LM1:" HOLDER_HEX ":0oRD..AAE",		       /* an empty middle one */
		"LM1:" HOLDER_HEX ":0oR+",		       /* base64, not base64url */
		"LM1:" HOLDER_HEX ":0oRD=",		       /* padding */
		"LM1:" HOLDER_HEX ":0oRDA",		       /* a dangling character */
		"LM1:" HOLDER_HEX ":_x",		       /* non-zero padding bits */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int k = read_all(bad[i], got, gl, 4);
		if (k != LM_ERR_MALFORMED)
			fail_msg("\"%s\" gave %d", bad[i], k);
	}
	/* An error ends the text: nothing after it is read. */
	struct lm_qrtext q;
	const char *line = "LM1:" HOLDER_HEX ":0o!D.AAE";
	assert_int_equal(lm_qrtext_parse(line, strlen(line), &q), 1);
	assert_int_equal(lm_qrtext_next(&q, got[0], 64, &gl[0]), LM_ERR_MALFORMED);
	assert_int_equal(lm_qrtext_next(&q, got[0], 64, &gl[0]), 0);
	/* An entry longer than the caller's buffer. */
	line = "LM1:" HOLDER_HEX ":AAAAAAAA";
	assert_int_equal(lm_qrtext_parse(line, strlen(line), &q), 1);
	assert_int_equal(lm_qrtext_next(&q, got[0], 5, &gl[0]), LM_ERR_MALFORMED);
	/* Upper-case hex is read too. */
	line = "LM1:0123456789ABCDEF1032547698BADCFE:AAE";
	assert_int_equal(read_all(line, got, gl, 4), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_text),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(not_ours),
		cmocka_unit_test(broken),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
