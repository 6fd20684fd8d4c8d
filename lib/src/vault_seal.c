/*
 * vault_seal.c - the folder vault's records: tags, refs, keys, and the
 * sealed record format (lm_vault.h says the derivations and the layout;
 * docs/vault.md says what each hides from whom).
 *
 * No network and no allocation: a record is at most LM_VAULT_SEALED_MAX
 * bytes, opened in a stack buffer that is wiped before return.
 */
#include "laufmappe/lm_vault.h"

#include <string.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_key.h"
#include "lm_crypto.h"

static const char tag_salt[] = "laufmappe vault tag v1";
static const char ref_salt[] = "laufmappe vault ref v1";
static const char key_info[] = "laufmappe vault key v1";

/* The padded plaintext: u16be length, entry, zeros. */
#define PLAIN_LEN(n) (LM_VAULT_SEALED_LEN(n) - LM_VAULT_NONCE_LEN - LM_VAULT_MAC_LEN)
#define PLAIN_MAX    PLAIN_LEN(LM_VAULT_ENTRY_MAX)
#define SEALED_MIN   LM_VAULT_SEALED_LEN(0)

int lm_vault_tag(const uint8_t holder[LM_HOLDER_LEN], uint8_t tag[LM_VAULT_TAG_LEN])
{
	if (!holder || !tag)
		return LM_ERR_ARG;
	return lm_hkdf_sha256((const uint8_t *)tag_salt, sizeof(tag_salt) - 1, holder,
			      LM_HOLDER_LEN, NULL, 0, tag, LM_VAULT_TAG_LEN);
}

int lm_vault_ref(const uint8_t entry_id[32], uint8_t ref[LM_VAULT_REF_LEN])
{
	if (!entry_id || !ref)
		return LM_ERR_ARG;
	return lm_hkdf_sha256((const uint8_t *)ref_salt, sizeof(ref_salt) - 1, entry_id, 32, NULL,
			      0, ref, LM_VAULT_REF_LEN);
}

int lm_vault_key(const uint8_t holder[LM_HOLDER_LEN], const uint8_t recovery[LM_RECOVERY_LEN],
		 struct lm_vault_key *key)
{
	if (!holder || !recovery || !key)
		return LM_ERR_ARG;
	int rc = lm_hkdf_sha256(holder, LM_HOLDER_LEN, recovery, LM_RECOVERY_LEN,
				(const uint8_t *)key_info, sizeof(key_info) - 1, key->k,
				LM_VAULT_KEY_LEN);
	if (rc)
		lm_vault_key_wipe(key);
	return rc;
}

void lm_vault_key_wipe(struct lm_vault_key *key)
{
	if (key)
		lm_wipe(key->k, sizeof(key->k));
}

/* The record is bound to where it is filed: moving it to another holder's
 * tag or another entry's ref makes it fail to open. */
static void aad_make(uint8_t aad[LM_VAULT_TAG_LEN + LM_VAULT_REF_LEN],
		     const uint8_t tag[LM_VAULT_TAG_LEN], const uint8_t ref[LM_VAULT_REF_LEN])
{
	memcpy(aad, tag, LM_VAULT_TAG_LEN);
	memcpy(aad + LM_VAULT_TAG_LEN, ref, LM_VAULT_REF_LEN);
}

int lm_vault_seal(const struct lm_vault_key *key, const uint8_t tag[LM_VAULT_TAG_LEN],
		  const uint8_t ref[LM_VAULT_REF_LEN], const uint8_t *entry, size_t len,
		  uint8_t *out, size_t cap, size_t *out_len)
{
	if (!key || !tag || !ref || (!entry && len) || !out || !out_len)
		return LM_ERR_ARG;
	if (len > LM_VAULT_ENTRY_MAX)
		return LM_ERR_TOO_LONG;
	size_t total = LM_VAULT_SEALED_LEN(len), plain = PLAIN_LEN(len);
	if (cap < total)
		return LM_ERR_BUFFER;
	uint8_t *nonce = out, *body = out + LM_VAULT_NONCE_LEN, *mac = body + plain;
	/* A random nonce: 2^-32 collision odds are reached only after 2^32
	 * records under one holder's key, far beyond any folder. */
	int rc = lm_random(nonce, LM_VAULT_NONCE_LEN);
	if (rc)
		return rc;
	body[0] = (uint8_t)(len >> 8);
	body[1] = (uint8_t)len;
	if (len)
		memmove(body + 2, entry, len); /* entry may overlap out */
	memset(body + 2 + len, 0, plain - 2 - len);
	uint8_t aad[LM_VAULT_TAG_LEN + LM_VAULT_REF_LEN];
	aad_make(aad, tag, ref);
	rc = lm_aes256_gcm_seal(key->k, nonce, aad, sizeof(aad), body, plain, mac);
	if (rc) {
		lm_wipe(out, total);
		return rc;
	}
	*out_len = total;
	return LM_OK;
}

int lm_vault_unseal(const struct lm_vault_key *key, const uint8_t tag[LM_VAULT_TAG_LEN],
		    const uint8_t ref[LM_VAULT_REF_LEN], const uint8_t *sealed, size_t len,
		    uint8_t *entry, size_t cap, size_t *entry_len)
{
	if (!key || !tag || !ref || (!sealed && len) || (!entry && cap) || !entry_len)
		return LM_ERR_ARG;
	if (len < SEALED_MIN || len > LM_VAULT_SEALED_MAX ||
	    (len - LM_VAULT_NONCE_LEN - LM_VAULT_MAC_LEN) % LM_VAULT_PAD)
		return LM_ERR_MALFORMED;
	size_t plain = len - LM_VAULT_NONCE_LEN - LM_VAULT_MAC_LEN;
	uint8_t body[PLAIN_MAX], aad[LM_VAULT_TAG_LEN + LM_VAULT_REF_LEN];
	memcpy(body, sealed + LM_VAULT_NONCE_LEN, plain);
	aad_make(aad, tag, ref);
	int rc = lm_aes256_gcm_open(key->k, sealed, aad, sizeof(aad), body, plain,
				    sealed + LM_VAULT_NONCE_LEN + plain);
	if (rc)
		goto out;
	/* Authentic, so written by a holder of the key; still, only the
	 * layout lm_vault_seal makes is accepted (length fits, minimal zero
	 * padding), so one entry has one sealed form up to the nonce. */
	size_t n = (size_t)body[0] << 8 | body[1];
	rc = LM_ERR_MALFORMED;
	if (n > LM_VAULT_ENTRY_MAX || LM_VAULT_SEALED_LEN(n) != len)
		goto out;
	for (size_t i = 2 + n; i < plain; i++)
		if (body[i])
			goto out;
	rc = LM_ERR_BUFFER;
	if (cap < n)
		goto out;
	if (n)
		memcpy(entry, body + 2, n);
	*entry_len = n;
	rc = LM_OK;
out:
	lm_wipe(body, sizeof(body));
	return rc;
}
