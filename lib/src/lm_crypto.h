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

#endif /* LM_CRYPTO_H */
