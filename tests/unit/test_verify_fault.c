/*
 * test_verify_fault.c - a failure to compute is an error, never a verdict.
 * Run with tests/fault/crypto_fault.so preloaded (meson does): while the
 * fault is on, mbed TLS's ECDSA verify fails as on an exhausted heap, and
 * lm_trust_verify must return LM_ERR_NOMEM for a genuine entry (not
 * "bad signature"), on every path that checks a signature.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_trust.h"

static const uint8_t holder_a[LM_HOLDER_LEN] = {0xa1};
static const uint8_t holder_b[LM_HOLDER_LEN] = {0xb1};

static void test_nomem_is_no_verdict(void **state)
{
	(void)state;
	struct lm_key *root, *vhs;
	assert_int_equal(lm_key_generate(&root), LM_OK);
	assert_int_equal(lm_key_generate(&vhs), LM_OK);
	struct lm_trust *t = lm_trust_new();
	t->version = 1;
	t->issued = 1764000000;
	t->next_update = t->issued + 86400;
	uint8_t spki[LM_SPKI_MAX], list[4096], entry[LM_ENTRY_MAX], other[LM_ENTRY_MAX];
	size_t sl, ll, el, ol;
	assert_int_equal(lm_key_spki(vhs, spki, sizeof(spki), &sl), LM_OK);
	assert_int_equal(
		lm_trust_add(t, spki, sl, "VHS", LM_ROLE_COURSE_PROVIDER, 1u << LM_TYPE_IK, 0, 0),
		LM_OK);
	assert_int_equal(lm_trust_sign(t, root, list, sizeof(list), &ll), LM_OK);
	assert_int_equal(lm_trust_load(t, list, ll, root, 0), LM_OK);
	struct lm_entry e;
	lm_entry_init(&e, LM_TYPE_IK, 20416);
	assert_int_equal(lm_entry_sign(&e, vhs, holder_a, 0, entry, sizeof(entry), &el), LM_OK);
	/* Signed for B with B's hint: checked on A's card, the hint path runs. */
	assert_int_equal(lm_entry_sign(&e, vhs, holder_b, 1, other, sizeof(other), &ol), LM_OK);
	struct lm_verify_result *r = malloc(sizeof(*r));

	assert_int_equal(lm_trust_verify(t, holder_a, entry, el, r), LM_OK);
	assert_int_equal(r->verdict, LM_VALID);
	assert_int_equal(lm_trust_verify(t, holder_a, other, ol, r), LM_OK);
	assert_int_equal(r->verdict, LM_WRONG_HOLDER);

	setenv("LM_FAULT_ECDSA", "nomem", 1);
	assert_int_equal(lm_trust_verify(t, holder_a, entry, el, r), LM_ERR_NOMEM);
	assert_int_equal(r->err, LM_ERR_NOMEM);
	assert_null(r->issuer);
	assert_int_equal(lm_trust_verify(t, holder_a, other, ol, r), LM_ERR_NOMEM);
	/* Loading a trust list under the fault fails too, as an error. */
	struct lm_trust *t2 = lm_trust_new();
	assert_int_equal(lm_trust_load(t2, list, ll, root, 0), LM_ERR_NOMEM);
	unsetenv("LM_FAULT_ECDSA");

	assert_int_equal(lm_trust_verify(t, holder_a, entry, el, r), LM_OK);
	assert_int_equal(r->verdict, LM_VALID);
	free(r);
	lm_trust_free(t2);
	lm_trust_free(t);
	lm_key_free(root);
	lm_key_free(vhs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nomem_is_no_verdict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
