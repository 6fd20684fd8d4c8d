/*
 * test_trust.c - trust list signing and loading, rollback, staleness, and
 * every verification verdict.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_trust.h"
#include "laufmappe/lm_util.h"
#include "trust_fixture.h"

static const uint8_t holder_a[LM_HOLDER_LEN] = {0xa1, 0xa2, 0xa3};
static const uint8_t holder_b[LM_HOLDER_LEN] = {0xb1, 0xb2, 0xb3};

struct fixture {
	struct lm_key *root, *vhs, *exam, *rogue;
	struct lm_trust *t;
	uint8_t list[8192];
	size_t list_len;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f || lm_key_generate(&f->root) || lm_key_generate(&f->vhs) ||
	    lm_key_generate(&f->exam) || lm_key_generate(&f->rogue))
		return -1;
	struct lm_trust *t = lm_trust_new();
	t->version = 7;
	t->issued = 1764000000;
	t->next_update = t->issued + 30 * 86400;
	add_key(t, f->vhs, "VHS Krefeld", LM_ROLE_COURSE_PROVIDER,
		1u << LM_TYPE_IK | 1u << LM_TYPE_EOK);
	add_key(t, f->exam, "telc", LM_ROLE_EXAM_CENTRE, 1u << LM_TYPE_DTZ);
	/* The exam centre's key is revoked from day 20400 (2026-11-08). */
	uint8_t kid[LM_KID_LEN];
	lm_key_kid(f->exam, kid);
	assert_int_equal(lm_trust_revoke(t, kid, 20400), LM_OK);
	if (lm_trust_sign(t, f->root, f->list, sizeof(f->list), &f->list_len))
		return -1;
	lm_trust_free(t);
	f->t = lm_trust_new();
	if (lm_trust_load(f->t, f->list, f->list_len, f->root, 0))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	lm_key_free(f->root);
	lm_key_free(f->vhs);
	lm_key_free(f->exam);
	lm_key_free(f->rogue);
	lm_trust_free(f->t);
	free(f);
	return 0;
}

static void test_loaded_fields(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(f->t->version, 7);
	assert_int_equal(f->t->n, 2);
	assert_string_equal(f->t->inst[0].name, "VHS Krefeld");
	assert_int_equal(f->t->inst[0].role, LM_ROLE_COURSE_PROVIDER);
	assert_int_equal(f->t->inst[1].revoked, 20400);
	uint8_t kid[LM_KID_LEN];
	lm_key_kid(f->root, kid);
	assert_memory_equal(f->t->root_kid, kid, LM_KID_LEN);
}

/* One case per verdict. */
static void test_every_verdict(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *name;
		int key;	/* 0 vhs, 1 exam, 2 rogue */
		int sign_for_b; /* signed for holder B */
		int hint;
		unsigned type;
		uint32_t day;
		enum lm_verdict want;
	} cases[] = {
		{"valid", 0, 0, 0, LM_TYPE_IK, 20416, LM_VALID},
		{"valid with own hint", 0, 0, 1, LM_TYPE_IK, 20416, LM_VALID},
		{"unknown issuer", 2, 0, 0, LM_TYPE_IK, 20416, LM_UNKNOWN_ISSUER},
		{"type not allowed", 0, 0, 0, LM_TYPE_DTZ, 20416, LM_TYPE_NOT_ALLOWED},
		{"revoked at its date", 1, 0, 0, LM_TYPE_DTZ, 20400, LM_KEY_NOT_VALID},
		{"dated before revocation", 1, 0, 0, LM_TYPE_DTZ, 20399, LM_VALID},
		{"revoked outranks type", 1, 0, 0, LM_TYPE_IK, 20416, LM_KEY_NOT_VALID},
		{"another holder, no hint", 0, 1, 0, LM_TYPE_IK, 20416, LM_BAD_SIGNATURE},
		{"another holder, hint", 0, 1, 1, LM_TYPE_IK, 20416, LM_WRONG_HOLDER},
	};
	struct lm_key *keys[] = {f->vhs, f->exam, f->rogue};
	struct lm_verify_result *r = malloc(sizeof(*r));
	/* The second pass with the keys' tables computed ahead, as the daemon
	 * does before it shares a list (lm_trust_precompute): the same verdicts. */
	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			assert_int_equal(lm_trust_precompute(f->t), LM_OK);
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			uint8_t buf[LM_ENTRY_MAX];
			size_t len = sign_entry(keys[cases[i].key],
						cases[i].sign_for_b ? holder_b : holder_a,
						cases[i].hint, cases[i].type, cases[i].day, buf);
			lm_trust_verify(f->t, holder_a, buf, len, r);
			if (r->verdict != cases[i].want)
				fail_msg("%s (pass %d): got %s, want %s", cases[i].name, pass,
					 lm_verdict_name(r->verdict),
					 lm_verdict_name(cases[i].want));
			if (r->verdict == LM_VALID)
				assert_non_null(r->issuer);
		}
	}
	/* A hint altered to name another holder: the file was tampered with. */
	uint8_t hinted[LM_ENTRY_MAX];
	size_t hl = sign_entry(f->vhs, holder_a, 1, LM_TYPE_IK, 20416, hinted);
	memcpy(hinted + 22, holder_b, LM_HOLDER_LEN); /* the hint sits at bytes 22..37 */
	lm_trust_verify(f->t, holder_a, hinted, hl, r);
	assert_int_equal(r->verdict, LM_MALFORMED);
	assert_int_equal(r->err, LM_ERR_HOLDER);
	/* A changed signature byte: bad signature; a changed structure: malformed. */
	uint8_t buf[LM_ENTRY_MAX];
	size_t len = sign_entry(f->vhs, holder_a, 0, LM_TYPE_IK, 20416, buf);
	buf[len - 1] ^= 0x01;
	lm_trust_verify(f->t, holder_a, buf, len, r);
	assert_int_equal(r->verdict, LM_BAD_SIGNATURE);
	lm_trust_verify(f->t, holder_a, buf, len - 1, r);
	assert_int_equal(r->verdict, LM_MALFORMED);
	assert_int_equal(r->err, LM_ERR_MALFORMED);
	free(r);
}

/* Keys can share a kid: every trusted key with that kid is tried. */
static void test_kid_collision(void **state)
{
	struct fixture *f = *state;
	struct lm_trust *t = lm_trust_new();
	add_key(t, f->rogue, "decoy", LM_ROLE_EMPLOYER, 1u << LM_TYPE_IK);
	add_key(t, f->vhs, "VHS", LM_ROLE_COURSE_PROVIDER, 1u << LM_TYPE_IK);
	memcpy(t->inst[0].kid, t->inst[1].kid, LM_KID_LEN); /* force the collision */
	uint8_t buf[LM_ENTRY_MAX];
	size_t len = sign_entry(f->vhs, holder_a, 0, LM_TYPE_IK, 20416, buf);
	struct lm_verify_result *r = malloc(sizeof(*r));
	lm_trust_verify(t, holder_a, buf, len, r);
	assert_int_equal(r->verdict, LM_VALID);
	assert_string_equal(r->issuer->name, "VHS");
	free(r);
	lm_trust_free(t);
}

static void test_rollback_refused(void **state)
{
	struct fixture *f = *state;
	struct lm_trust *t = lm_trust_new();
	assert_int_equal(lm_trust_load(t, f->list, f->list_len, f->root, 7), LM_OK);
	assert_int_equal(lm_trust_load(t, f->list, f->list_len, f->root, 8), LM_ERR_ROLLBACK);
	assert_int_equal(t->n, 0); /* nothing half-loaded */
	lm_trust_free(t);
}

/*
 * The trust state: the accepted list by version and hash.  A newer list or
 * the same bytes pass; an older one is a rollback; another list with the
 * same version is a swap.  The file is 0600, and a damaged one is an error,
 * never "no state".
 */
static void test_trust_state(void **state)
{
	struct fixture *f = *state;
	char path[] = "/tmp/lm-trust-state-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	struct lm_trust_state st;
	assert_int_equal(lm_trust_state_read(path, &st), LM_ERR_NOT_FOUND);
	struct lm_trust_state empty = {0};
	assert_int_equal(lm_trust_state_check(&empty, f->t), LM_OK);
	st.version = f->t->version;
	memcpy(st.hash, f->t->hash, 32);
	assert_int_equal(lm_trust_state_write(path, &st), LM_OK);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	struct lm_trust_state back;
	assert_int_equal(lm_trust_state_read(path, &back), LM_OK);
	assert_int_equal(back.version, 7);
	assert_memory_equal(back.hash, f->t->hash, 32);
	assert_int_equal(lm_trust_state_check(&back, f->t), LM_OK); /* the same list again */

	/* Another list with version 7 (one institution more): refused. */
	struct lm_trust *t = lm_trust_new();
	t->version = 7;
	t->issued = 1764000000;
	t->next_update = t->issued + 30 * 86400;
	add_key(t, f->rogue, "Rogue", LM_ROLE_EMPLOYER, 1u << LM_TYPE_IK);
	uint8_t list[8192];
	size_t len;
	assert_int_equal(lm_trust_sign(t, f->root, list, sizeof(list), &len), LM_OK);
	assert_int_equal(lm_trust_load(t, list, len, f->root, back.version), LM_OK);
	assert_memory_not_equal(t->hash, f->t->hash, 32);
	assert_int_equal(lm_trust_state_check(&back, t), LM_ERR_TRUST_SWAPPED);
	/* Version 8: accepted; and then version 7 is a rollback. */
	t->version = 8;
	assert_int_equal(lm_trust_sign(t, f->root, list, sizeof(list), &len), LM_OK);
	assert_int_equal(lm_trust_load(t, list, len, f->root, back.version), LM_OK);
	assert_int_equal(lm_trust_state_check(&back, t), LM_OK);
	struct lm_trust_state v8 = {.version = 8};
	memcpy(v8.hash, t->hash, 32);
	assert_int_equal(lm_trust_state_check(&v8, f->t), LM_ERR_ROLLBACK);
	lm_trust_free(t);

	/* A damaged file is an error, not a missing guard. */
	static const char *const bad[] = {
		"",
		"laufmappe-trust-state 1\nversion 7\n",
		"laufmappe-trust-state 1\nversion 0\nsha256 "
		"0000000000000000000000000000000000000000000000000000000000000000\n",
		"laufmappe-trust-state 2\nversion 7\nsha256 "
		"0000000000000000000000000000000000000000000000000000000000000000\n",
		"laufmappe-trust-state 1\nversion 7\nsha256 00\n",
		"laufmappe-trust-state 1\nversion 7\nsha256 "
		"0000000000000000000000000000000000000000000000000000000000000000\nmore\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(lm_file_write(path, (const uint8_t *)bad[i], strlen(bad[i]), 0600),
				 LM_OK);
		if (lm_trust_state_read(path, &back) != LM_ERR_MALFORMED)
			fail_msg("damaged state %zu was read", i);
	}
	unlink(path);
}

static void test_load_refuses(void **state)
{
	struct fixture *f = *state;
	struct lm_trust *t = lm_trust_new();
	/* Signed by another root. */
	assert_int_equal(lm_trust_load(t, f->list, f->list_len, f->vhs, 0), LM_ERR_BAD_SIGNATURE);
	/* Any changed byte. */
	uint8_t copy[8192];
	memcpy(copy, f->list, f->list_len);
	for (size_t i = 0; i < f->list_len; i += 7) {
		copy[i] ^= 0x20;
		assert_int_not_equal(lm_trust_load(t, copy, f->list_len, f->root, 0), LM_OK);
		copy[i] ^= 0x20;
	}
	/* Truncated and extended. */
	assert_int_not_equal(lm_trust_load(t, f->list, f->list_len - 1, f->root, 0), LM_OK);
	copy[f->list_len] = 0;
	assert_int_equal(lm_trust_load(t, copy, f->list_len + 1, f->root, 0), LM_ERR_TRAILING);
	lm_trust_free(t);
}

static void test_add_refuses(void **state)
{
	struct fixture *f = *state;
	uint8_t spki[LM_SPKI_MAX];
	size_t len;
	assert_int_equal(lm_key_spki(f->vhs, spki, sizeof(spki), &len), LM_OK);
	/* Duplicate key. */
	assert_int_equal(lm_trust_add(f->t, spki, len, "again", 1, 1u << LM_TYPE_IK, 0, 0),
			 LM_ERR_ARG);
	assert_int_equal(lm_trust_add(f->t, spki, len, "", 1, 1u << LM_TYPE_IK, 0, 0),
			 LM_ERR_BAD_VALUE);
	assert_int_equal(lm_trust_add(f->t, spki, len, "x", LM_ROLE_COUNT, 0, 0, 0),
			 LM_ERR_BAD_VALUE);
	assert_int_equal(lm_trust_add(f->t, spki, len, "VHS\nKrefeld", 1, 0, 0, 0),
			 LM_ERR_BAD_VALUE);
	assert_int_equal(lm_trust_add(f->t, spki, len, "x", 1, 1u << 30, 0, 0), LM_ERR_BAD_VALUE);
	uint8_t nokid[LM_KID_LEN] = {0};
	assert_int_equal(lm_trust_revoke(f->t, nokid, 20000), LM_ERR_NOT_FOUND);
}

static void test_staleness(void **state)
{
	struct fixture *f = *state;
	uint64_t nu = f->t->next_update;
	assert_int_equal(lm_trust_staleness(f->t, nu - 1, 86400), 0);
	assert_int_equal(lm_trust_staleness(f->t, nu + LM_CLOCK_SKEW, 86400), 0); /* skew */
	assert_int_equal(lm_trust_staleness(f->t, nu + LM_CLOCK_SKEW + 1, 86400), 1);
	assert_int_equal(lm_trust_staleness(f->t, nu + 86401, 86400), 2);
}

/* Validity window: entries dated outside [valid_from, valid_until] fail. */
static void test_validity_window(void **state)
{
	struct fixture *f = *state;
	struct lm_trust *t = lm_trust_new();
	uint8_t spki[LM_SPKI_MAX];
	size_t len;
	assert_int_equal(lm_key_spki(f->vhs, spki, sizeof(spki), &len), LM_OK);
	assert_int_equal(lm_trust_add(t, spki, len, "VHS", 1, 1u << LM_TYPE_IK, 20000, 20100),
			 LM_OK);
	static const struct {
		uint32_t day;
		enum lm_verdict want;
	} cases[] = {{19999, LM_KEY_NOT_VALID},
		     {20000, LM_VALID},
		     {20100, LM_VALID},
		     {20101, LM_KEY_NOT_VALID}};
	struct lm_verify_result *r = malloc(sizeof(*r));
	for (size_t i = 0; i < 4; i++) {
		uint8_t buf[LM_ENTRY_MAX];
		size_t l = sign_entry(f->vhs, holder_a, 0, LM_TYPE_IK, cases[i].day, buf);
		lm_trust_verify(t, holder_a, buf, l, r);
		assert_int_equal(r->verdict, cases[i].want);
	}
	free(r);
	lm_trust_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loaded_fields),	cmocka_unit_test(test_every_verdict),
		cmocka_unit_test(test_kid_collision),	cmocka_unit_test(test_rollback_refused),
		cmocka_unit_test(test_trust_state),	cmocka_unit_test(test_load_refuses),
		cmocka_unit_test(test_add_refuses),	cmocka_unit_test(test_staleness),
		cmocka_unit_test(test_validity_window),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
