/*
 * test_key.c - key generation, PEM files, kid, raw ECDSA signatures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_key.h"

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/lm-test-key-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_save_load_roundtrip(void **state)
{
	(void)state;
	struct lm_key *k, *priv, *pub;
	char p1[128], p2[128];
	snprintf(p1, sizeof(p1), "%s/k.pem", dir);
	snprintf(p2, sizeof(p2), "%s/k.pub", dir);
	assert_int_equal(lm_key_generate(&k), LM_OK);
	assert_int_equal(lm_key_save_private(k, p1), LM_OK);
	assert_int_equal(lm_key_save_public(k, p2), LM_OK);
	struct stat st;
	assert_int_equal(stat(p1, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600); /* private keys are 0600 */
	/* Never overwritten. */
	assert_int_equal(lm_key_save_private(k, p1), LM_ERR_ARG);
	assert_int_equal(lm_key_load_private(p1, &priv), LM_OK);
	assert_int_equal(lm_key_load_public(p2, &pub), LM_OK);
	assert_true(lm_key_has_private(priv));
	assert_false(lm_key_has_private(pub));
	uint8_t a[LM_KID_LEN], b[LM_KID_LEN], c[LM_KID_LEN];
	lm_key_kid(k, a);
	lm_key_kid(priv, b);
	lm_key_kid(pub, c);
	assert_memory_equal(a, b, LM_KID_LEN);
	assert_memory_equal(a, c, LM_KID_LEN);
	/* Signed by the loaded private key, verified by the loaded public key. */
	uint8_t h[32] = {1, 2, 3}, sig[LM_SIG_LEN];
	assert_int_equal(lm_key_sign_hash(priv, h, sig), LM_OK);
	assert_int_equal(lm_key_verify_hash(pub, h, sig), LM_OK);
	h[0] ^= 1;
	assert_int_equal(lm_key_verify_hash(pub, h, sig), LM_ERR_BAD_SIGNATURE);
	/* A public key cannot sign. */
	assert_int_equal(lm_key_sign_hash(pub, h, sig), LM_ERR_ARG);
	lm_key_free(k);
	lm_key_free(priv);
	lm_key_free(pub);
}

/* kid = first 8 bytes of SHA-256 over the SubjectPublicKeyInfo DER. */
static void test_kid_definition(void **state)
{
	(void)state;
	struct lm_key *k;
	assert_int_equal(lm_key_generate(&k), LM_OK);
	uint8_t der[LM_SPKI_MAX], h[32], kid[LM_KID_LEN];
	size_t len;
	assert_int_equal(lm_key_spki(k, der, sizeof(der), &len), LM_OK);
	assert_int_equal(len, 91); /* P-256 SPKI */
	assert_int_equal(lm_sha256(der, len, h), LM_OK);
	lm_key_kid(k, kid);
	assert_memory_equal(kid, h, LM_KID_LEN);
	struct lm_key *again;
	assert_int_equal(lm_key_from_spki(der, len, &again), LM_OK);
	lm_key_kid(again, h);
	assert_memory_equal(kid, h, LM_KID_LEN);
	lm_key_free(again);
	lm_key_free(k);
}

/* Deterministic ECDSA: the same key and hash give the same signature. */
static void test_signatures_deterministic(void **state)
{
	(void)state;
	struct lm_key *k;
	assert_int_equal(lm_key_generate(&k), LM_OK);
	uint8_t h[32] = {9}, s1[LM_SIG_LEN], s2[LM_SIG_LEN];
	assert_int_equal(lm_key_sign_hash(k, h, s1), LM_OK);
	assert_int_equal(lm_key_sign_hash(k, h, s2), LM_OK);
	assert_memory_equal(s1, s2, LM_SIG_LEN);
	/* r = 0 or s >= n are bad signatures, not library failures. */
	uint8_t zero[LM_SIG_LEN] = {0}, ff[LM_SIG_LEN];
	memset(ff, 0xff, sizeof(ff));
	assert_int_equal(lm_key_verify_hash(k, h, zero), LM_ERR_BAD_SIGNATURE);
	assert_int_equal(lm_key_verify_hash(k, h, ff), LM_ERR_BAD_SIGNATURE);
	lm_key_free(k);
}

/* A key whose shared table was computed ahead (lm_key_precompute, twice)
 * verifies as before: its own signatures, not a changed hash or another
 * key's; a public key parsed from SPKI as the trust list's are. */
static void test_precompute(void **state)
{
	(void)state;
	struct lm_key *k, *other, *pub;
	assert_int_equal(lm_key_generate(&k), LM_OK);
	assert_int_equal(lm_key_generate(&other), LM_OK);
	uint8_t spki[LM_SPKI_MAX];
	size_t len;
	assert_int_equal(lm_key_spki(k, spki, sizeof(spki), &len), LM_OK);
	assert_int_equal(lm_key_from_spki(spki, len, &pub), LM_OK);
	assert_int_equal(lm_key_precompute(pub), LM_OK);
	assert_int_equal(lm_key_precompute(pub), LM_OK);
	for (int i = 0; i < 20; i++) {
		uint8_t h[32] = {(uint8_t)i}, sig[LM_SIG_LEN], bad[LM_SIG_LEN];
		assert_int_equal(lm_key_sign_hash(k, h, sig), LM_OK);
		assert_int_equal(lm_key_verify_hash(pub, h, sig), LM_OK);
		assert_int_equal(lm_key_sign_hash(other, h, bad), LM_OK);
		assert_int_equal(lm_key_verify_hash(pub, h, bad), LM_ERR_BAD_SIGNATURE);
		h[31] ^= 1;
		assert_int_equal(lm_key_verify_hash(pub, h, sig), LM_ERR_BAD_SIGNATURE);
	}
	lm_key_free(pub);
	lm_key_free(other);
	lm_key_free(k);
}

static void test_load_errors(void **state)
{
	(void)state;
	struct lm_key *k;
	char p[128];
	snprintf(p, sizeof(p), "%s/missing.pem", dir);
	assert_int_equal(lm_key_load_private(p, &k), LM_ERR_NOT_FOUND);
	snprintf(p, sizeof(p), "%s/garbage.pem", dir);
	FILE *f = fopen(p, "w");
	fputs("-----BEGIN EC PRIVATE KEY-----\nnot a key\n-----END EC PRIVATE KEY-----\n", f);
	fclose(f);
	assert_int_equal(lm_key_load_private(p, &k), LM_ERR_KEY);
	assert_null(k);
	uint8_t junk[91] = {0x30};
	assert_int_equal(lm_key_from_spki(junk, sizeof(junk), &k), LM_ERR_KEY);
	lm_key_free(NULL); /* safe */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_save_load_roundtrip),
		cmocka_unit_test(test_kid_definition),
		cmocka_unit_test(test_signatures_deterministic),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_precompute),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
