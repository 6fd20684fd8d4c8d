/*
 * test_vault.c - the vault's sealing (lm_vault.h, lib/src/vault_seal.c):
 * tag, ref and key against vectors computed outside (python3's
 * cryptography: HKDF and AESGCM, the derivations as lm_vault.h writes
 * them), a fixed sealed record opened, round trips at every padding
 * boundary, the wrong key, tag or ref, every byte flipped, every length
 * and malformed plaintexts sealed by hand (authentic, but not a layout
 * lm_vault_seal makes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_vault.h"
#include "lm_crypto.h"

static const uint8_t holder[LM_HOLDER_LEN] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8,
					      0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0};
static const uint8_t recovery[LM_RECOVERY_LEN] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
						  0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
static const uint8_t want_tag[16] = {0xb0, 0x0a, 0x05, 0x26, 0xd5, 0x99, 0xa9, 0x83,
				     0xe0, 0x80, 0xe0, 0x1e, 0xfe, 0xb8, 0x35, 0x40};
static const uint8_t want_ref[16] = {0x88, 0x88, 0x42, 0x08, 0x93, 0xd4, 0x15, 0x69,
				     0x8d, 0x47, 0x77, 0x29, 0x67, 0x60, 0x19, 0xee};
static const uint8_t want_key[32] = {0x72, 0x6e, 0x6f, 0xca, 0xad, 0xa5, 0xcc, 0x09,
				     0x6c, 0x1d, 0x36, 0x59, 0xa9, 0x60, 0xdc, 0xf0,
				     0x1a, 0xf2, 0xf5, 0xb2, 0x83, 0x6e, 0xb3, 0xe8,
				     0x15, 0x7f, 0x5e, 0x37, 0xa2, 0x6e, 0xea, 0x59};
/* "laufmappe vault test entry" sealed under want_key, want_tag, want_ref
 * with the nonce c0..cb (python3 cryptography's AESGCM). */
static const uint8_t fixed_sealed[92] = {
	0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0x7b, 0x51,
	0x77, 0x5c, 0x6f, 0x09, 0x07, 0xed, 0x5c, 0x8c, 0x83, 0x30, 0xa7, 0x1d, 0x16, 0x97,
	0x25, 0xd5, 0x35, 0x99, 0x28, 0xe7, 0x1a, 0x33, 0x01, 0x07, 0x9d, 0x21, 0x9a, 0xce,
	0x35, 0xcc, 0xcc, 0x4f, 0x9f, 0xf4, 0xe3, 0x12, 0x98, 0x34, 0x4c, 0xcf, 0xe2, 0x9b,
	0x38, 0x01, 0xa8, 0xfb, 0x94, 0x71, 0xcc, 0xb9, 0x25, 0x98, 0x15, 0x07, 0x0a, 0x72,
	0x97, 0xe9, 0x01, 0xaf, 0x16, 0x35, 0xc1, 0xec, 0xf7, 0x3f, 0xb4, 0xde, 0x33, 0x1e,
	0x4f, 0x56, 0x7e, 0xea, 0xa5, 0x0d, 0x46, 0xcd};
static const char fixed_entry[] = "laufmappe vault test entry";

static void entry_id(uint8_t id[32])
{
	for (int i = 0; i < 32; i++)
		id[i] = (uint8_t)(0x40 + i);
}

static void test_derivations(void **state)
{
	(void)state;
	uint8_t tag[16], ref[16], id[32];
	struct lm_vault_key key;
	entry_id(id);
	assert_int_equal(lm_vault_tag(holder, tag), LM_OK);
	assert_memory_equal(tag, want_tag, 16);
	assert_int_equal(lm_vault_ref(id, ref), LM_OK);
	assert_memory_equal(ref, want_ref, 16);
	assert_int_equal(lm_vault_key(holder, recovery, &key), LM_OK);
	assert_memory_equal(key.k, want_key, 32);
	lm_vault_key_wipe(&key);
	static const uint8_t zero[32];
	assert_memory_equal(key.k, zero, 32);
	/* the three derivations are separated: the tag is not the ref of the
	 * same bytes, and the key depends on the holder as well as the secret */
	uint8_t same[32] = {0};
	memcpy(same, holder, 16);
	assert_int_equal(lm_vault_ref(same, ref), LM_OK);
	assert_memory_not_equal(ref, tag, 16);
	uint8_t other[LM_HOLDER_LEN];
	memcpy(other, holder, sizeof(other));
	other[15] ^= 1;
	assert_int_equal(lm_vault_key(other, recovery, &key), LM_OK);
	assert_memory_not_equal(key.k, want_key, 32);
	assert_int_equal(lm_vault_tag(NULL, tag), LM_ERR_ARG);
	assert_int_equal(lm_vault_key(holder, NULL, &key), LM_ERR_ARG);
}

static void test_fixed_record(void **state)
{
	(void)state;
	struct lm_vault_key key;
	memcpy(key.k, want_key, 32);
	uint8_t out[LM_VAULT_ENTRY_MAX];
	size_t n = 0;
	assert_int_equal(LM_VAULT_SEALED_LEN(sizeof(fixed_entry) - 1), sizeof(fixed_sealed));
	assert_int_equal(lm_vault_unseal(&key, want_tag, want_ref, fixed_sealed,
					 sizeof(fixed_sealed), out, sizeof(out), &n),
			 LM_OK);
	assert_int_equal(n, sizeof(fixed_entry) - 1);
	assert_memory_equal(out, fixed_entry, n);
	/* the entry exactly fits; one byte less does not */
	assert_int_equal(lm_vault_unseal(&key, want_tag, want_ref, fixed_sealed,
					 sizeof(fixed_sealed), out, n, &n),
			 LM_OK);
	assert_int_equal(lm_vault_unseal(&key, want_tag, want_ref, fixed_sealed,
					 sizeof(fixed_sealed), out, n - 1, &n),
			 LM_ERR_BUFFER);
}

static void test_round_trip_padding(void **state)
{
	(void)state;
	struct lm_vault_key key;
	uint8_t tag[16], ref[16], id[32], entry[LM_VAULT_ENTRY_MAX], out[LM_VAULT_ENTRY_MAX];
	uint8_t sealed[LM_VAULT_SEALED_MAX + 8], again[LM_VAULT_SEALED_MAX];
	entry_id(id);
	assert_int_equal(lm_vault_key(holder, recovery, &key), LM_OK);
	assert_int_equal(lm_vault_tag(holder, tag), LM_OK);
	assert_int_equal(lm_vault_ref(id, ref), LM_OK);
	for (size_t i = 0; i < sizeof(entry); i++)
		entry[i] = (uint8_t)(i * 7 + 1);
	for (size_t len = 0; len <= LM_VAULT_ENTRY_MAX; len++) {
		size_t sl = 0, n = 99, sl2 = 0;
		assert_int_equal(
			lm_vault_seal(&key, tag, ref, entry, len, sealed, sizeof(sealed), &sl),
			LM_OK);
		/* whole blocks of LM_VAULT_PAD, the smallest that hold u16 + entry */
		assert_int_equal(sl, LM_VAULT_SEALED_LEN(len));
		assert_int_equal((sl - 28) % LM_VAULT_PAD, 0);
		assert_true(sl - 28 >= len + 2 && sl - 28 < len + 2 + LM_VAULT_PAD);
		assert_int_equal(lm_vault_unseal(&key, tag, ref, sealed, sl, out, sizeof(out), &n),
				 LM_OK);
		assert_int_equal(n, len);
		if (len)
			assert_memory_equal(out, entry, len);
		/* a fresh nonce each time: the same entry never seals the same */
		assert_int_equal(
			lm_vault_seal(&key, tag, ref, entry, len, again, sizeof(again), &sl2),
			LM_OK);
		assert_int_equal(sl2, sl);
		assert_memory_not_equal(again, sealed, sl);
		/* the caller's buffer exactly, and one byte short */
		assert_int_equal(lm_vault_seal(&key, tag, ref, entry, len, again, sl, &sl2), LM_OK);
		assert_int_equal(lm_vault_seal(&key, tag, ref, entry, len, again, sl - 1, &sl2),
				 LM_ERR_BUFFER);
	}
	/* entries of 62 and 63 bytes seal to one and two blocks */
	assert_int_equal(LM_VAULT_SEALED_LEN(62), 12 + 64 + 16);
	assert_int_equal(LM_VAULT_SEALED_LEN(63), 12 + 128 + 16);
	size_t sl;
	assert_int_equal(lm_vault_seal(&key, tag, ref, entry, LM_VAULT_ENTRY_MAX + 1, sealed,
				       sizeof(sealed), &sl),
			 LM_ERR_TOO_LONG);
	lm_vault_key_wipe(&key);
}

/* A sealed record opens only with its key, at its tag and its ref, and
 * not after any single bit of it was changed. */
static void test_wrong_and_flipped(void **state)
{
	(void)state;
	struct lm_vault_key key, other;
	uint8_t tag[16], ref[16], id[32], out[LM_VAULT_ENTRY_MAX], sealed[LM_VAULT_SEALED_MAX];
	const uint8_t entry[98] = {0x84, 0x43, 0xa1, 0x01, 0x26};
	size_t sl, n;
	entry_id(id);
	assert_int_equal(lm_vault_key(holder, recovery, &key), LM_OK);
	uint8_t rec2[LM_RECOVERY_LEN];
	memcpy(rec2, recovery, sizeof(rec2));
	rec2[0] ^= 0x80;
	assert_int_equal(lm_vault_key(holder, rec2, &other), LM_OK);
	assert_int_equal(lm_vault_tag(holder, tag), LM_OK);
	assert_int_equal(lm_vault_ref(id, ref), LM_OK);
	assert_int_equal(
		lm_vault_seal(&key, tag, ref, entry, sizeof(entry), sealed, sizeof(sealed), &sl),
		LM_OK);
	assert_int_equal(lm_vault_unseal(&other, tag, ref, sealed, sl, out, sizeof(out), &n),
			 LM_ERR_SEALED);
	for (int i = 0; i < 16; i++) {
		uint8_t t2[16], r2[16];
		memcpy(t2, tag, 16);
		memcpy(r2, ref, 16);
		t2[i] ^= 1;
		r2[i] ^= 0x40;
		assert_int_equal(lm_vault_unseal(&key, t2, ref, sealed, sl, out, sizeof(out), &n),
				 LM_ERR_SEALED);
		assert_int_equal(lm_vault_unseal(&key, tag, r2, sealed, sl, out, sizeof(out), &n),
				 LM_ERR_SEALED);
	}
	/* tag and ref swapped: the aad is their order, not their set */
	assert_int_equal(lm_vault_unseal(&key, ref, tag, sealed, sl, out, sizeof(out), &n),
			 LM_ERR_SEALED);
	for (size_t i = 0; i < sl; i++)
		for (int bit = 0; bit < 8; bit++) {
			sealed[i] ^= (uint8_t)(1u << bit);
			memset(out, 0x5a, sizeof(out));
			assert_int_equal(
				lm_vault_unseal(&key, tag, ref, sealed, sl, out, sizeof(out), &n),
				LM_ERR_SEALED);
			sealed[i] ^= (uint8_t)(1u << bit);
		}
	assert_int_equal(lm_vault_unseal(&key, tag, ref, sealed, sl, out, sizeof(out), &n), LM_OK);
	/* every length other than the sealed one: a length no seal makes is
	 * malformed, a whole number of blocks shorter or longer does not open */
	uint8_t longer[LM_VAULT_SEALED_MAX + LM_VAULT_PAD];
	memcpy(longer, sealed, sl);
	memset(longer + sl, 0, sizeof(longer) - sl);
	for (size_t len = 0; len <= sizeof(longer); len++) {
		if (len == sl)
			continue;
		int want =
			(len >= 12 + 64 + 16 && len <= LM_VAULT_SEALED_MAX && (len - 28) % 64 == 0)
				? LM_ERR_SEALED
				: LM_ERR_MALFORMED;
		assert_int_equal(lm_vault_unseal(&key, tag, ref, longer, len, out, sizeof(out), &n),
				 want);
	}
	lm_vault_key_wipe(&key);
	lm_vault_key_wipe(&other);
}

/* Seal a plaintext lm_vault_seal would never write, with the real cipher,
 * so that only the layout check can refuse it. */
static size_t seal_raw(const struct lm_vault_key *key, const uint8_t tag[16], const uint8_t ref[16],
		       const uint8_t *plain, size_t plen, uint8_t *out)
{
	uint8_t aad[32];
	memcpy(aad, tag, 16);
	memcpy(aad + 16, ref, 16);
	memset(out, 0x33, 12);
	memcpy(out + 12, plain, plen);
	assert_int_equal(lm_aes256_gcm_seal(key->k, out, aad, 32, out + 12, plen, out + 12 + plen),
			 LM_OK);
	return 12 + plen + 16;
}

static void test_layout_strict(void **state)
{
	(void)state;
	struct lm_vault_key key;
	uint8_t tag[16], ref[16], out[LM_VAULT_ENTRY_MAX], sealed[LM_VAULT_SEALED_MAX + 64];
	uint8_t plain[LM_VAULT_SEALED_MAX];
	size_t n, sl;
	assert_int_equal(lm_vault_key(holder, recovery, &key), LM_OK);
	memset(tag, 1, 16);
	memset(ref, 2, 16);
	/* the well-formed control: 10 bytes in one block */
	memset(plain, 0, sizeof(plain));
	plain[1] = 10;
	memset(plain + 2, 0xee, 10);
	sl = seal_raw(&key, tag, ref, plain, 64, sealed);
	assert_int_equal(lm_vault_unseal(&key, tag, ref, sealed, sl, out, sizeof(out), &n), LM_OK);
	assert_int_equal(n, 10);
	/* a non-zero byte in the padding, at each place */
	for (size_t i = 12; i < 64; i++) {
		plain[i] = 1;
		sl = seal_raw(&key, tag, ref, plain, 64, sealed);
		assert_int_equal(lm_vault_unseal(&key, tag, ref, sealed, sl, out, sizeof(out), &n),
				 LM_ERR_MALFORMED);
		plain[i] = 0;
	}
	/* padding longer than needed (a whole extra block) */
	sl = seal_raw(&key, tag, ref, plain, 128, sealed);
	assert_int_equal(lm_vault_unseal(&key, tag, ref, sealed, sl, out, sizeof(out), &n),
			 LM_ERR_MALFORMED);
	/* a length beyond the block, and beyond the format's limit */
	plain[1] = 63;
	sl = seal_raw(&key, tag, ref, plain, 64, sealed);
	assert_int_equal(lm_vault_unseal(&key, tag, ref, sealed, sl, out, sizeof(out), &n),
			 LM_ERR_MALFORMED);
	plain[0] = 0xff;
	plain[1] = 0xff;
	sl = seal_raw(&key, tag, ref, plain, LM_VAULT_SEALED_MAX - 28, sealed);
	assert_int_equal(lm_vault_unseal(&key, tag, ref, sealed, sl, out, sizeof(out), &n),
			 LM_ERR_MALFORMED);
	lm_vault_key_wipe(&key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_derivations),	   cmocka_unit_test(test_fixed_record),
		cmocka_unit_test(test_round_trip_padding), cmocka_unit_test(test_wrong_and_flipped),
		cmocka_unit_test(test_layout_strict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
