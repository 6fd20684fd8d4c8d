/*
 * lm_crypto.h - the crypto adapter's internal interface (mbed TLS behind it).
 * Every mbed TLS version difference stays inside crypto_mbedtls.c.
 */
#ifndef LM_CRYPTO_H
#define LM_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* Incremental SHA-256; the storage is big enough for any mbed TLS context. */
struct lm_sha256 {
	union {
		uint64_t align;
		uint8_t bytes[256];
	} ctx;
};

void lm_sha256_start(struct lm_sha256 *s);
void lm_sha256_update(struct lm_sha256 *s, const uint8_t *p, size_t len);
void lm_sha256_finish(struct lm_sha256 *s, uint8_t out[32]);

/*
 * Key derivation and the cipher of protected cards (lib/src/protect.c).
 * Each returns an enum lm_err; a failure of mbed TLS is LM_ERR_CRYPTO (or
 * LM_ERR_NOMEM), never a wrong answer.
 */

/* PBKDF2-HMAC-SHA256 (RFC 8018 section 5.2); iterations >= 1, outlen >= 1. */
int lm_pbkdf2_sha256(const uint8_t *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
		     uint32_t iterations, uint8_t *out, size_t outlen);

/* HKDF-SHA256 (RFC 5869), extract and expand; salt may be NULL (zeros); outlen <= 8160. */
int lm_hkdf_sha256(const uint8_t *salt, size_t saltlen, const uint8_t *ikm, size_t ikmlen,
		   const uint8_t *info, size_t infolen, uint8_t *out, size_t outlen);

/*
 * AES-128 in counter mode over image bytes: XOR buf (len bytes, standing at
 * image offset off) with the key stream whose 16-byte counter block for
 * image block i = off / 16 is prefix[0..11] || i (big-endian 32 bits).  The
 * same call encrypts and decrypts; any offset and length (no alignment).
 */
int lm_aes128_ctr_at(const uint8_t key[16], const uint8_t prefix[12], size_t off, uint8_t *buf,
		     size_t len);

/*
 * AES-256-GCM with a 12-byte nonce and a 16-byte tag, in place over buf
 * (the vault's records, lib/src/vault_seal.c).  open gives LM_ERR_SEALED
 * when the tag does not match (buf is then wiped), LM_ERR_CRYPTO when
 * mbed TLS fails.
 */
int lm_aes256_gcm_seal(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
		       size_t aadlen, uint8_t *buf, size_t len, uint8_t mac[16]);
int lm_aes256_gcm_open(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
		       size_t aadlen, uint8_t *buf, size_t len, const uint8_t mac[16]);

/* Overwrite secrets so the compiler cannot drop it (mbed TLS's zeroize). */
void lm_wipe(void *p, size_t len);

#endif /* LM_CRYPTO_H */
