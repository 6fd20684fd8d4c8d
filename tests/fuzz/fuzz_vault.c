/*
 * fuzz_vault.c - the vault's sealed records (lm_vault.h): lm_vault_unseal
 * on what a vault hands back, which an office must treat as hostile.
 *
 * A fixed key, tag and ref (the known answers of tests/unit/test_vault.c's
 * derivations).  The first input byte picks:
 *   0: the rest is a sealed record as fetched: opened with the fixed key
 *      (nearly always LM_ERR_SEALED or LM_ERR_MALFORMED; never a crash);
 *   1: the rest is a PLAINTEXT record body: the harness seals it with the
 *      real cipher, so mutations steer the length and padding checks
 *      behind the authentication; what opens must seal again to a record
 *      that opens to the same entry;
 *   2: the rest is an entry: seal then unseal gives it back, and the
 *      record does not open under another ref.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_vault.h"
#include "lm_crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fixed_tag[LM_VAULT_TAG_LEN] = {0xb0, 0x0a, 0x05, 0x26, 0xd5, 0x99, 0xa9, 0x83,
						    0xe0, 0x80, 0xe0, 0x1e, 0xfe, 0xb8, 0x35, 0x40};
static const uint8_t fixed_ref[LM_VAULT_REF_LEN] = {0x88, 0x88, 0x42, 0x08, 0x93, 0xd4, 0x15, 0x69,
						    0x8d, 0x47, 0x77, 0x29, 0x67, 0x60, 0x19, 0xee};
static const struct lm_vault_key fixed_key = {{0x72, 0x6e, 0x6f, 0xca, 0xad, 0xa5, 0xcc, 0x09,
					       0x6c, 0x1d, 0x36, 0x59, 0xa9, 0x60, 0xdc, 0xf0,
					       0x1a, 0xf2, 0xf5, 0xb2, 0x83, 0x6e, 0xb3, 0xe8,
					       0x15, 0x7f, 0x5e, 0x37, 0xa2, 0x6e, 0xea, 0x59}};

static void check_open(const uint8_t *sealed, size_t len)
{
	uint8_t entry[LM_VAULT_ENTRY_MAX], again[LM_VAULT_SEALED_MAX], back[LM_VAULT_ENTRY_MAX];
	size_t n = 0, sl = 0, m = 0;
	int rc = lm_vault_unseal(&fixed_key, fixed_tag, fixed_ref, sealed, len, entry,
				 sizeof(entry), &n);
	if (rc != LM_OK) {
		if (rc != LM_ERR_SEALED && rc != LM_ERR_MALFORMED)
			abort();
		return;
	}
	if (n > LM_VAULT_ENTRY_MAX || len != LM_VAULT_SEALED_LEN(n))
		abort();
	if (lm_vault_seal(&fixed_key, fixed_tag, fixed_ref, entry, n, again, sizeof(again), &sl) ||
	    sl != len)
		abort();
	if (lm_vault_unseal(&fixed_key, fixed_tag, fixed_ref, again, sl, back, sizeof(back), &m) ||
	    m != n || memcmp(back, entry, n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	data++;
	size--;
	switch (mode % 3) {
	case 0: check_open(data, size); break;
	case 1: {
		/* nonce, body, tag; the body's length is what the input gives, up
		 * to a little over the largest so every length check is reached */
		uint8_t rec[LM_VAULT_SEALED_MAX + LM_VAULT_PAD];
		size_t body = size;
		if (body > sizeof(rec) - LM_VAULT_NONCE_LEN - LM_VAULT_MAC_LEN)
			body = sizeof(rec) - LM_VAULT_NONCE_LEN - LM_VAULT_MAC_LEN;
		uint8_t aad[LM_VAULT_TAG_LEN + LM_VAULT_REF_LEN];
		memcpy(aad, fixed_tag, LM_VAULT_TAG_LEN);
		memcpy(aad + LM_VAULT_TAG_LEN, fixed_ref, LM_VAULT_REF_LEN);
		memset(rec, 0x5c, LM_VAULT_NONCE_LEN);
		if (body)
			memcpy(rec + LM_VAULT_NONCE_LEN, data, body);
		if (lm_aes256_gcm_seal(fixed_key.k, rec, aad, sizeof(aad), rec + LM_VAULT_NONCE_LEN,
				       body, rec + LM_VAULT_NONCE_LEN + body))
			abort();
		check_open(rec, LM_VAULT_NONCE_LEN + body + LM_VAULT_MAC_LEN);
		break;
	}
	default: {
		uint8_t sealed[LM_VAULT_SEALED_MAX], entry[LM_VAULT_ENTRY_MAX],
			ref[LM_VAULT_REF_LEN];
		size_t sl = 0, n = 0;
		int rc = lm_vault_seal(&fixed_key, fixed_tag, fixed_ref, data, size, sealed,
				       sizeof(sealed), &sl);
		if (size > LM_VAULT_ENTRY_MAX) {
			if (rc != LM_ERR_TOO_LONG)
				abort();
			break;
		}
		if (rc || sl != LM_VAULT_SEALED_LEN(size))
			abort();
		check_open(sealed, sl);
		if (lm_vault_unseal(&fixed_key, fixed_tag, fixed_ref, sealed, sl, entry,
				    sizeof(entry), &n) ||
		    n != size || (n && memcmp(entry, data, n)))
			abort();
		memcpy(ref, fixed_ref, sizeof(ref));
		ref[size % LM_VAULT_REF_LEN] ^= 1;
		if (lm_vault_unseal(&fixed_key, fixed_tag, ref, sealed, sl, entry, sizeof(entry),
				    &n) != LM_ERR_SEALED)
			abort();
		break;
	}
	}
	return 0;
}
