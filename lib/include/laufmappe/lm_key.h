/*
 * lm_key.h - ECDSA P-256 keys: generate, save and load as PEM, key id.
 *
 * A key is opaque and owned by the caller after lm_key_generate/lm_key_load*
 * (free with lm_key_free, which accepts NULL).  The kid of a key is the first
 * 8 bytes of SHA-256 over its SubjectPublicKeyInfo DER (as the EU digital
 * COVID certificate defines it); kids can collide, so verifiers try every
 * trusted key with a matching kid.
 */
#ifndef LM_KEY_H
#define LM_KEY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LM_KID_LEN  8
#define LM_SIG_LEN  64	/* raw r || s, as COSE requires */
#define LM_SPKI_MAX 128 /* a P-256 SubjectPublicKeyInfo is 91 bytes */

struct lm_key;

int lm_key_generate(struct lm_key **out);
/* PEM private key (SEC1 or PKCS#8), or PEM/DER public key.  P-256 only. */
int lm_key_load_private(const char *path, struct lm_key **out);
int lm_key_load_public(const char *path, struct lm_key **out);
int lm_key_from_spki(const uint8_t *der, size_t len, struct lm_key **out);
/*
 * Save the private key as PEM in a file created with mode 0600 (an existing
 * file is refused: keys are never silently overwritten).  The public file is
 * written 0644.
 */
int lm_key_save_private(const struct lm_key *k, const char *path);
int lm_key_save_public(const struct lm_key *k, const char *path);
/* The key's SubjectPublicKeyInfo, DER. */
int lm_key_spki(const struct lm_key *k, uint8_t *der, size_t cap, size_t *len);
void lm_key_kid(const struct lm_key *k, uint8_t kid[LM_KID_LEN]);
int lm_key_has_private(const struct lm_key *k);
/* Deterministic ECDSA (RFC 6979) over a SHA-256 hash; sig is raw r||s. */
int lm_key_sign_hash(const struct lm_key *k, const uint8_t hash[32], uint8_t sig[LM_SIG_LEN]);
/* LM_OK or LM_ERR_BAD_SIGNATURE (other errors: the crypto library failed). */
int lm_key_verify_hash(const struct lm_key *k, const uint8_t hash[32],
		       const uint8_t sig[LM_SIG_LEN]);
/*
 * Compute and keep what every verification with k shares (the base point's
 * table), so that the first verification costs no more than the others
 * and threads or processes that verify with k later only read it.  Call it
 * before k is shared; LM_ERR_CRYPTO, LM_ERR_NOMEM.
 */
int lm_key_precompute(struct lm_key *k);
void lm_key_free(struct lm_key *k);

/* SHA-256 of a buffer (the identity of an entry is the hash of its bytes). */
int lm_sha256(const uint8_t *data, size_t len, uint8_t out[32]);
/* Random bytes from the system's entropy (holder ids). */
int lm_random(uint8_t *out, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* LM_KEY_H */
