/*
 * test_entry.c - the entry vocabulary, the payload codec and its
 * rejections, the 100-byte budget, dates, and signing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "laufmappe/lm_card.h"
#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"

static const uint8_t holder_a[LM_HOLDER_LEN] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8,
						0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0};
static const uint8_t holder_b[LM_HOLDER_LEN] = {0xb1};

static int setup_key(void **state)
{
	struct lm_key *k;
	if (lm_key_generate(&k) != LM_OK)
		return -1;
	*state = k;
	return 0;
}

static int teardown_key(void **state)
{
	lm_key_free(*state);
	return 0;
}

/* A non-zero valid value for any field, by kind. */
static void set_sample(struct lm_entry *e, const struct lm_field_def *f)
{
	static const uint8_t bytes[] = {1, 2, 3};
	struct lm_value v = {0};
	switch (f->kind) {
	case LM_KIND_UINT: v.num = f->max < 7 ? f->max : 7; break;
	case LM_KIND_BOOL: v.num = 1; break;
	case LM_KIND_ENUM: v.num = 1; break;
	case LM_KIND_DATE: v.num = 20416; break;
	case LM_KIND_TEXT: v.ptr = (const uint8_t *)"Paten"; v.len = 5; break;
	case LM_KIND_BYTES: v.ptr = bytes; v.len = 3; break;
	}
	e->v[f->key] = v;
	e->present |= 1ull << f->key;
}

/* Every type with every one of its fields set survives encode and decode. */
static void test_every_type_roundtrips(void **state)
{
	struct lm_key *k = *state;
	for (unsigned code = 1; code <= LM_TYPE_MAX; code++) {
		const struct lm_type_def *t = lm_type_by_code(code);
		assert_non_null(t);
		assert_ptr_equal(lm_type_by_name(t->name), t);
		struct lm_entry e, d;
		lm_entry_init(&e, code, 20416);
		for (const uint8_t *fk = t->fields; *fk; fk++)
			set_sample(&e, lm_field_by_key(*fk));
		uint8_t buf[LM_ENTRY_MAX];
		size_t len;
		assert_int_equal(lm_entry_sign(&e, k, holder_a, 0, buf, sizeof(buf), &len), LM_OK);
		struct lm_cose c;
		assert_int_equal(lm_entry_decode(buf, len, &c, &d), LM_OK);
		assert_int_equal(d.type, code);
		assert_true(d.present == e.present);
		for (unsigned fk = 1; fk < LM_FIELD_KEYS; fk++) {
			if (!(e.present & (1ull << fk)))
				continue;
			assert_int_equal(d.v[fk].num, e.v[fk].num);
			assert_int_equal(d.v[fk].len, e.v[fk].len);
			if (e.v[fk].len)
				assert_memory_equal(d.v[fk].ptr, e.v[fk].ptr, e.v[fk].len);
		}
		assert_int_equal(lm_cose_verify(&c, k, holder_a, LM_HOLDER_LEN), LM_OK);
		assert_int_equal(lm_cose_verify(&c, k, holder_b, LM_HOLDER_LEN), LM_ERR_BAD_SIGNATURE);
	}
}

/* The design budget: a typical integration-course entry <= 100 bytes signed. */
static void test_typical_ik_budget(void **state)
{
	struct lm_key *k = *state;
	struct lm_entry e;
	uint32_t day;
	assert_int_equal(lm_date_parse("2026-11-24", &day), LM_OK);
	lm_entry_init(&e, LM_TYPE_IK, day);
	assert_int_equal(lm_entry_set(&e, "subtype", "general"), LM_OK);
	assert_int_equal(lm_entry_set(&e, "planned", "700"), LM_OK);
	assert_int_equal(lm_entry_set(&e, "attended", "700"), LM_OK);
	assert_int_equal(lm_entry_set(&e, "status", "done"), LM_OK);
	uint8_t buf[LM_ENTRY_MAX];
	size_t len;
	assert_int_equal(lm_entry_sign(&e, k, holder_a, 0, buf, sizeof(buf), &len), LM_OK);
	print_message("typical IK entry: %zu bytes\n", len);
	assert_true(len <= 100);
	/* With the holder hint (detached files) it is 22 bytes longer. */
	size_t hlen;
	assert_int_equal(lm_entry_sign(&e, k, holder_a, 1, buf, sizeof(buf), &hlen), LM_OK);
	assert_int_equal(hlen, len + 22);
}

static void test_set_rejects(void **state)
{
	(void)state;
	struct lm_entry e;
	lm_entry_init(&e, LM_TYPE_IK, 20000);
	assert_int_equal(lm_entry_set(&e, "score", "20"), LM_ERR_UNKNOWN_FIELD); /* LID's field */
	assert_int_equal(lm_entry_set(&e, "nationality", "x"), LM_ERR_UNKNOWN_FIELD);
	assert_int_equal(lm_entry_set(&e, "planned", "2001"), LM_ERR_BAD_VALUE);
	assert_int_equal(lm_entry_set(&e, "planned", "-1"), LM_ERR_BAD_VALUE);
	assert_int_equal(lm_entry_set(&e, "subtype", "martian"), LM_ERR_BAD_VALUE);
	assert_int_equal(lm_entry_set(&e, "repeat", "maybe"), LM_ERR_BAD_VALUE);
	lm_entry_init(&e, LM_TYPE_MENT, 20000);
	assert_int_equal(lm_entry_set(&e, "programme", "a very long programme name that exceeds"),
			 LM_ERR_BAD_VALUE);
	assert_int_equal(lm_entry_set(&e, "programme", "Paten\tKrefeld"), LM_ERR_BAD_VALUE);
	lm_entry_init(&e, LM_TYPE_MYS, 20000);
	assert_int_equal(lm_entry_set(&e, "ratings", "0g"), LM_ERR_BAD_VALUE);
	assert_int_equal(lm_entry_set(&e, "ratings", "0102"), LM_OK);
	assert_int_equal(e.v[30].len, 2);
}

/* Payloads that must be refused, each with its error. */
static const struct {
	const char *name;
	const char *hex;
	int err;
} bad_payloads[] = {
	{"explicit zero (status done)", "a30102021950000300", LM_ERR_NONCANONICAL},
	{"unsorted keys", "a202195000010102", LM_ERR_NONCANONICAL},
	{"duplicate key", "a30102010202195000", LM_ERR_NONCANONICAL},
	{"unknown key", "a3010202195000183f01", LM_ERR_UNKNOWN_FIELD},
	{"field of another type", "a30102021950001212", LM_ERR_UNKNOWN_FIELD},
	{"value out of range", "a30102021950000b190835", LM_ERR_BAD_VALUE},
	{"enum out of range", "a3010202195000030a", LM_ERR_BAD_VALUE},
	{"unknown type", "a201181f02195000", LM_ERR_BAD_VALUE},
	{"type zero", "a2010002195000", LM_ERR_BAD_VALUE},
	{"missing date", "a10102", LM_ERR_MISSING_FIELD},
	{"missing type", "a102195000", LM_ERR_MISSING_FIELD},
	{"field before type is known", "a10302", LM_ERR_UNKNOWN_FIELD},
	{"text where a number belongs", "a301020219500003614a", LM_ERR_MALFORMED},
	{"negative key", "a301020219500020 01", LM_ERR_UNKNOWN_FIELD},
	{"not a map", "820102", LM_ERR_MALFORMED},
	{"trailing bytes", "a2010202195000 00", LM_ERR_TRAILING},
	{"text field invalid utf-8", "a30112021950001825 62c328", LM_ERR_MALFORMED},
	{"text field with NUL", "a30112021950001825 624100", LM_ERR_BAD_VALUE},
	/* Booleans are CBOR true; false is left out (docs/format.md 2). */
	{"boolean as integer 1 (IK repeat)", "a30102021950000d01", LM_ERR_MALFORMED},
	{"explicit false (IK repeat)", "a30102021950000df4", LM_ERR_NONCANONICAL},
	{"null for a boolean", "a30102021950000df6", LM_ERR_MALFORMED},
	{"true for a number (IK planned)", "a30102021950000bf5", LM_ERR_MALFORMED},
};

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;
	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		unsigned b;
		sscanf(hex, "%2x", &b);
		out[n++] = (uint8_t)b;
		hex += 2;
	}
	return n;
}

static void test_payload_rejections(void **state)
{
	(void)state;
	/* The good baseline decodes: {1: 2 (IK), 2: 20480}. */
	uint8_t buf[64];
	struct lm_entry e;
	size_t n = unhex("a2010202195000", buf);
	assert_int_equal(lm_entry_decode_payload(buf, n, &e), LM_OK);
	/* A boolean set: {1: 2, 2: 20480, 13 (repeat): true}. */
	n = unhex("a30102021950000df5", buf);
	assert_int_equal(lm_entry_decode_payload(buf, n, &e), LM_OK);
	assert_int_equal(e.v[13].num, 1);
	uint8_t out[64];
	size_t len;
	assert_int_equal(lm_entry_encode_payload(&e, out, sizeof(out), &len), LM_OK);
	assert_int_equal(len, n);
	assert_memory_equal(out, buf, n); /* and written back the same: true is F5 */
	for (size_t i = 0; i < sizeof(bad_payloads) / sizeof(bad_payloads[0]); i++) {
		n = unhex(bad_payloads[i].hex, buf);
		int err = lm_entry_decode_payload(buf, n, &e);
		if (err != bad_payloads[i].err)
			fail_msg("%s: got %s, want %s", bad_payloads[i].name, lm_errname(err),
				 lm_errname(bad_payloads[i].err));
	}
}

static void test_payload_too_long(void **state)
{
	(void)state;
	static uint8_t big[LM_PAYLOAD_MAX + 1];
	struct lm_entry e;
	assert_int_equal(lm_entry_decode_payload(big, sizeof(big), &e), LM_ERR_TOO_LONG);
	static uint8_t huge[LM_ENTRY_MAX + 1];
	struct lm_cose c;
	assert_int_equal(lm_entry_decode(huge, sizeof(huge), &c, &e), LM_ERR_TOO_LONG);
}

static void test_encode_refuses_bad_entries(void **state)
{
	(void)state;
	struct lm_entry e;
	uint8_t buf[128];
	size_t len;
	lm_entry_init(&e, LM_TYPE_IK, 0);
	assert_int_equal(lm_entry_encode_payload(&e, buf, sizeof(buf), &len), LM_ERR_MISSING_FIELD);
	lm_entry_init(&e, 99, 20000);
	assert_int_equal(lm_entry_encode_payload(&e, buf, sizeof(buf), &len), LM_ERR_BAD_VALUE);
	lm_entry_init(&e, LM_TYPE_IK, 20000);
	e.present |= 1ull << 18; /* LID's score on an IK entry */
	e.v[18].num = 3;
	assert_int_equal(lm_entry_encode_payload(&e, buf, sizeof(buf), &len), LM_ERR_UNKNOWN_FIELD);
	lm_entry_init(&e, LM_TYPE_IK, 20000);
	assert_int_equal(lm_entry_encode_payload(&e, buf, 3, &len), LM_ERR_BUFFER);
}

static void test_dates(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		uint32_t days;
	} ok[] = {{"1970-01-01", 0}, {"2000-02-29", 11016}, {"2026-11-24", 20781},
		  {"2100-12-31", 47846}};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint32_t d;
		char out[11];
		assert_int_equal(lm_date_parse(ok[i].s, &d), LM_OK);
		assert_int_equal(d, ok[i].days);
		lm_date_format(d, out);
		assert_string_equal(out, ok[i].s);
	}
	static const char *const bad[] = {"2026-13-01", "2026-02-30", "2025-02-29", "1969-12-31",
					  "2026-1-01", "20261124", "2026-11-2x", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t d;
		if (lm_date_parse(bad[i], &d) != LM_ERR_BAD_VALUE)
			fail_msg("accepted %s", bad[i]);
	}
}

/* domain.md's never-list: nothing of it may have a field. */
static void test_never_list_has_no_field(void **state)
{
	(void)state;
	static const char *const never[] = {"status_residence", "residence", "asylum", "nationality",
					    "ethnic", "religion", "health", "disab", "biometric",
					    "fingerprint", "benefit", "sanction", "case", "aktenzeichen",
					    "content", "note", "photo", "address", "phone", NULL};
	for (unsigned k = 1; k < LM_FIELD_KEYS; k++) {
		const struct lm_field_def *f = lm_field_by_key(k);
		if (!f)
			continue;
		for (size_t i = 0; never[i]; i++)
			if (strstr(f->name, never[i]))
				fail_msg("field %s looks like never-list data (%s)", f->name, never[i]);
		/* Free text is limited to short, named fields (programme, name). */
		if (f->kind == LM_KIND_TEXT)
			assert_true(f->max <= 48);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_type_roundtrips, setup_key, teardown_key),
		cmocka_unit_test_setup_teardown(test_typical_ik_budget, setup_key, teardown_key),
		cmocka_unit_test(test_set_rejects),
		cmocka_unit_test(test_payload_rejections),
		cmocka_unit_test(test_payload_too_long),
		cmocka_unit_test(test_encode_refuses_bad_entries),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_never_list_has_no_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
