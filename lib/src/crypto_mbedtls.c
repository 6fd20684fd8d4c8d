/*
 * crypto_mbedtls.c - the mbed TLS adapter: keys, ECDSA P-256, SHA-256, and
 * the key derivation and cipher of protected cards (PBKDF2, HKDF, AES-CTR),
 * and the vault's record cipher (AES-256-GCM).
 *
 * This is the only file that includes mbed TLS.  Debian 12 ships 2.28,
 * Debian 13 ships 3.6; the differences (private struct fields, the RNG
 * arguments of pk_parse_key) are handled here and nowhere else.  mbed TLS
 * errors are translated by crypto_err() only.
 */
#include "lm_crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/aes.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/gcm.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_key.h"

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define mbedtls_sha256_starts_ret mbedtls_sha256_starts
#define mbedtls_sha256_update_ret mbedtls_sha256_update
#define mbedtls_sha256_finish_ret mbedtls_sha256_finish
#define mbedtls_sha256_ret	  mbedtls_sha256
#endif

#ifndef MBEDTLS_PRIVATE
#define MBEDTLS_PRIVATE(member) member /* 2.x: fields are public */
#endif

_Static_assert(sizeof(mbedtls_sha256_context) <= sizeof(((struct lm_sha256 *)0)->ctx),
	       "struct lm_sha256 too small for this mbed TLS");

struct lm_key {
	mbedtls_pk_context pk;
	int has_private;
	uint8_t kid[LM_KID_LEN];
};

/*
 * One translation of mbed TLS errors into ours.  mbed TLS adds a low-level
 * code (ASN.1, bignum) to a high-level one (PK, PEM); the high-level part
 * says what failed, so it is looked at first.
 */
static int crypto_err(int mbed)
{
	if (mbed >= 0)
		return LM_OK;
	int high = -((-mbed) & 0xff80), low = -((-mbed) & 0x7f);
	if (high <= -0x1080 && high >= -0x1480)
		return LM_ERR_KEY; /* any PEM decoding error */
	switch (high ? high : low) {
	case 0: return LM_OK;
	case MBEDTLS_ERR_ECP_VERIFY_FAILED: return LM_ERR_BAD_SIGNATURE;
	case MBEDTLS_ERR_ECP_ALLOC_FAILED:
	case MBEDTLS_ERR_MPI_ALLOC_FAILED:
	case MBEDTLS_ERR_PK_ALLOC_FAILED: return LM_ERR_NOMEM;
	case MBEDTLS_ERR_PK_FILE_IO_ERROR: return LM_ERR_IO;
	case MBEDTLS_ERR_PK_KEY_INVALID_FORMAT:
	case MBEDTLS_ERR_PK_KEY_INVALID_VERSION:
	case MBEDTLS_ERR_PK_UNKNOWN_PK_ALG:
	case MBEDTLS_ERR_PK_PASSWORD_REQUIRED:
	case MBEDTLS_ERR_PK_PASSWORD_MISMATCH:
	case MBEDTLS_ERR_PK_INVALID_PUBKEY:
	case MBEDTLS_ERR_PK_INVALID_ALG:
	case MBEDTLS_ERR_PK_UNKNOWN_NAMED_CURVE:
	case MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE:
	case MBEDTLS_ERR_PK_TYPE_MISMATCH:
	case MBEDTLS_ERR_ECP_INVALID_KEY:
	case MBEDTLS_ERR_ECP_FEATURE_UNAVAILABLE: return LM_ERR_KEY;
	case MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED:
	case MBEDTLS_ERR_ENTROPY_SOURCE_FAILED: return LM_ERR_RNG;
	default: return LM_ERR_CRYPTO;
	}
}

void lm_sha256_start(struct lm_sha256 *s)
{
	mbedtls_sha256_context *c = (mbedtls_sha256_context *)(void *)s->ctx.bytes;
	mbedtls_sha256_init(c);
	(void)mbedtls_sha256_starts_ret(c, 0);
}

void lm_sha256_update(struct lm_sha256 *s, const uint8_t *p, size_t len)
{
	mbedtls_sha256_context *c = (mbedtls_sha256_context *)(void *)s->ctx.bytes;
	(void)mbedtls_sha256_update_ret(c, p, len);
}

void lm_sha256_finish(struct lm_sha256 *s, uint8_t out[32])
{
	mbedtls_sha256_context *c = (mbedtls_sha256_context *)(void *)s->ctx.bytes;
	(void)mbedtls_sha256_finish_ret(c, out);
	mbedtls_sha256_free(c);
}

int lm_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
	return crypto_err(mbedtls_sha256_ret(data, len, out, 0));
}

int lm_random(uint8_t *out, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = getrandom(out + got, len - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return LM_ERR_RNG;
		}
		got += (size_t)n;
	}
	return LM_OK;
}

/* mbed TLS wants an RNG callback for key generation and blinding. */
static int rng_cb(void *ctx, unsigned char *out, size_t len)
{
	(void)ctx;
	return lm_random(out, len) == LM_OK ? 0 : MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
}

static struct lm_key *key_new(void)
{
	struct lm_key *k = calloc(1, sizeof(*k));
	if (k)
		mbedtls_pk_init(&k->pk);
	return k;
}

void lm_key_free(struct lm_key *k)
{
	if (!k)
		return;
	mbedtls_pk_free(&k->pk); /* zeroizes the private scalar */
	free(k);
}

/* Accept only EC keys on P-256, then compute the kid. */
static int key_finish(struct lm_key *k)
{
	if (mbedtls_pk_get_type(&k->pk) != MBEDTLS_PK_ECKEY)
		return LM_ERR_KEY;
	mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
	if (ec->MBEDTLS_PRIVATE(grp).id != MBEDTLS_ECP_DP_SECP256R1)
		return LM_ERR_KEY;
	uint8_t der[LM_SPKI_MAX];
	size_t len;
	int err = lm_key_spki(k, der, sizeof(der), &len);
	if (err)
		return err;
	uint8_t h[32];
	err = lm_sha256(der, len, h);
	if (err)
		return err;
	memcpy(k->kid, h, LM_KID_LEN);
	return LM_OK;
}

int lm_key_generate(struct lm_key **out)
{
	*out = NULL;
	struct lm_key *k = key_new();
	if (!k)
		return LM_ERR_NOMEM;
	int err = crypto_err(mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)));
	if (!err)
		err = crypto_err(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(k->pk),
						     rng_cb, NULL));
	k->has_private = 1;
	if (!err)
		err = key_finish(k);
	if (err) {
		lm_key_free(k);
		return err;
	}
	*out = k;
	return LM_OK;
}

/* Read a whole (small) file into a NUL-terminated heap buffer. */
static int read_small_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return errno == ENOENT ? LM_ERR_NOT_FOUND : LM_ERR_IO;
	uint8_t *b = malloc(16385);
	if (!b) {
		fclose(f);
		return LM_ERR_NOMEM;
	}
	size_t n = fread(b, 1, 16384, f);
	int bad = ferror(f) || !feof(f);
	fclose(f);
	if (bad) {
		free(b);
		return LM_ERR_IO; /* unreadable, or larger than any key file */
	}
	b[n] = 0;
	*buf = b;
	*len = n;
	return LM_OK;
}

/* PEM input needs its terminating NUL counted; DER does not. */
static size_t parse_len(const uint8_t *b, size_t n)
{
	return strstr((const char *)b, "-----BEGIN") ? n + 1 : n;
}

int lm_key_load_private(const char *path, struct lm_key **out)
{
	*out = NULL;
	uint8_t *b;
	size_t n;
	int err = read_small_file(path, &b, &n);
	if (err)
		return err;
	struct lm_key *k = key_new();
	if (!k) {
		free(b);
		return LM_ERR_NOMEM;
	}
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	err = crypto_err(mbedtls_pk_parse_key(&k->pk, b, parse_len(b, n), NULL, 0, rng_cb, NULL));
#else
	err = crypto_err(mbedtls_pk_parse_key(&k->pk, b, parse_len(b, n), NULL, 0));
#endif
	mbedtls_platform_zeroize(b, n);
	free(b);
	k->has_private = 1;
	if (!err)
		err = key_finish(k);
	if (err) {
		lm_key_free(k);
		return err;
	}
	*out = k;
	return LM_OK;
}

int lm_key_from_spki(const uint8_t *der, size_t len, struct lm_key **out)
{
	*out = NULL;
	struct lm_key *k = key_new();
	if (!k)
		return LM_ERR_NOMEM;
	int err = crypto_err(mbedtls_pk_parse_public_key(&k->pk, der, len));
	if (!err)
		err = key_finish(k);
	if (err) {
		lm_key_free(k);
		return err == LM_ERR_CRYPTO ? LM_ERR_KEY : err;
	}
	*out = k;
	return LM_OK;
}

int lm_key_load_public(const char *path, struct lm_key **out)
{
	*out = NULL;
	uint8_t *b;
	size_t n;
	int err = read_small_file(path, &b, &n);
	if (err)
		return err;
	err = lm_key_from_spki(b, parse_len(b, n), out);
	free(b);
	return err;
}

/* Write a file with the given mode; O_EXCL so nothing is overwritten. */
static int write_new_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return errno == EEXIST ? LM_ERR_ARG : LM_ERR_IO;
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlink(path);
			return LM_ERR_IO;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		unlink(path);
		return LM_ERR_IO;
	}
	return LM_OK;
}

int lm_key_save_private(const struct lm_key *k, const char *path)
{
	if (!k->has_private)
		return LM_ERR_ARG;
	unsigned char pem[1024];
	int err = crypto_err(
		mbedtls_pk_write_key_pem((mbedtls_pk_context *)&k->pk, pem, sizeof(pem)));
	if (!err)
		err = write_new_file(path, (const char *)pem, 0600);
	mbedtls_platform_zeroize(pem, sizeof(pem));
	return err;
}

int lm_key_save_public(const struct lm_key *k, const char *path)
{
	unsigned char pem[512];
	int err = crypto_err(
		mbedtls_pk_write_pubkey_pem((mbedtls_pk_context *)&k->pk, pem, sizeof(pem)));
	if (!err)
		err = write_new_file(path, (const char *)pem, 0644);
	return err;
}

int lm_key_spki(const struct lm_key *k, uint8_t *der, size_t cap, size_t *len)
{
	unsigned char tmp[LM_SPKI_MAX];
	/* mbed TLS writes DER backwards, at the end of the buffer. */
	int n = mbedtls_pk_write_pubkey_der((mbedtls_pk_context *)&k->pk, tmp, sizeof(tmp));
	if (n < 0)
		return crypto_err(n);
	if ((size_t)n > cap)
		return LM_ERR_BUFFER;
	memcpy(der, tmp + sizeof(tmp) - (size_t)n, (size_t)n);
	*len = (size_t)n;
	return LM_OK;
}

void lm_key_kid(const struct lm_key *k, uint8_t kid[LM_KID_LEN])
{
	memcpy(kid, k->kid, LM_KID_LEN);
}

int lm_key_has_private(const struct lm_key *k)
{
	return k->has_private;
}

int lm_key_sign_hash(const struct lm_key *k, const uint8_t hash[32], uint8_t sig[LM_SIG_LEN])
{
	if (!k->has_private)
		return LM_ERR_ARG;
	mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
	mbedtls_mpi r, s;
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	int rc = mbedtls_ecdsa_sign_det_ext(&ec->MBEDTLS_PRIVATE(grp), &r, &s,
					    &ec->MBEDTLS_PRIVATE(d), hash, 32, MBEDTLS_MD_SHA256,
					    rng_cb, NULL);
	if (rc == 0)
		rc = mbedtls_mpi_write_binary(&r, sig, 32);
	if (rc == 0)
		rc = mbedtls_mpi_write_binary(&s, sig + 32, 32);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	return crypto_err(rc);
}

int lm_key_verify_hash(const struct lm_key *k, const uint8_t hash[32],
		       const uint8_t sig[LM_SIG_LEN])
{
	mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
	mbedtls_mpi r, s;
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	int rc = mbedtls_mpi_read_binary(&r, sig, 32);
	if (rc == 0)
		rc = mbedtls_mpi_read_binary(&s, sig + 32, 32);
	if (rc == 0)
		rc = mbedtls_ecdsa_verify(&ec->MBEDTLS_PRIVATE(grp), hash, 32,
					  &ec->MBEDTLS_PRIVATE(Q), &r, &s);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	/* r or s out of range is a bad signature, not a library failure. */
	if (rc == MBEDTLS_ERR_ECP_BAD_INPUT_DATA)
		return LM_ERR_BAD_SIGNATURE;
	return crypto_err(rc);
}

int lm_key_precompute(struct lm_key *k)
{
	/* 2G + Q: a multiple of the base point other than 0 and +-1 goes
	 * through mbed TLS's comb method, which keeps the base point's table
	 * in the key's group (grp.T) for every later verification. */
	mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
	mbedtls_ecp_point r;
	mbedtls_mpi two, one;
	mbedtls_ecp_point_init(&r);
	mbedtls_mpi_init(&two);
	mbedtls_mpi_init(&one);
	int rc = mbedtls_mpi_lset(&two, 2);
	if (rc == 0)
		rc = mbedtls_mpi_lset(&one, 1);
	if (rc == 0)
		rc = mbedtls_ecp_muladd(&ec->MBEDTLS_PRIVATE(grp), &r, &two,
					&ec->MBEDTLS_PRIVATE(grp).G, &one, &ec->MBEDTLS_PRIVATE(Q));
	mbedtls_ecp_point_free(&r);
	mbedtls_mpi_free(&two);
	mbedtls_mpi_free(&one);
	return crypto_err(rc);
}

/* --- protected cards: PBKDF2-HMAC-SHA256, HKDF-SHA256, AES-128-CTR --- */

int lm_pbkdf2_sha256(const uint8_t *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
		     uint32_t iterations, uint8_t *out, size_t outlen)
{
	if (iterations == 0 || outlen == 0 || outlen > 0xffffffffu)
		return LM_ERR_ARG;
#if MBEDTLS_VERSION_NUMBER >= 0x03030000
	/* 3.x deprecates the md-context form for this one. */
	return crypto_err(mbedtls_pkcs5_pbkdf2_hmac_ext(MBEDTLS_MD_SHA256, pw, pwlen, salt, saltlen,
							iterations, (uint32_t)outlen, out));
#else
	mbedtls_md_context_t md;
	mbedtls_md_init(&md);
	int rc = mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1);
	if (rc == 0)
		rc = mbedtls_pkcs5_pbkdf2_hmac(&md, pw, pwlen, salt, saltlen, iterations,
					       (uint32_t)outlen, out);
	mbedtls_md_free(&md); /* zeroizes the HMAC pads */
	if (rc == MBEDTLS_ERR_MD_ALLOC_FAILED)
		return LM_ERR_NOMEM;
	return rc ? LM_ERR_CRYPTO : LM_OK;
#endif
}

int lm_hkdf_sha256(const uint8_t *salt, size_t saltlen, const uint8_t *ikm, size_t ikmlen,
		   const uint8_t *info, size_t infolen, uint8_t *out, size_t outlen)
{
	if (outlen == 0 || outlen > 255 * 32)
		return LM_ERR_ARG;
	int rc = mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), salt, saltlen, ikm,
			      ikmlen, info, infolen, out, outlen);
	return rc ? LM_ERR_CRYPTO : LM_OK;
}

int lm_aes128_ctr_at(const uint8_t key[16], const uint8_t prefix[12], size_t off, uint8_t *buf,
		     size_t len)
{
	if (len == 0)
		return LM_OK;
	if ((off + len - 1) / 16 > 0xffffffffu)
		return LM_ERR_ARG;
	mbedtls_aes_context aes;
	mbedtls_aes_init(&aes);
	int rc = mbedtls_aes_setkey_enc(&aes, key, 128);
	uint8_t block[16], stream[16];
	memcpy(block, prefix, 12);
	size_t done = 0;
	while (rc == 0 && done < len) {
		size_t at = off + done, i = at / 16, skip = at % 16;
		block[12] = (uint8_t)(i >> 24);
		block[13] = (uint8_t)(i >> 16);
		block[14] = (uint8_t)(i >> 8);
		block[15] = (uint8_t)i;
		rc = mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, block, stream);
		for (size_t k = skip; rc == 0 && k < 16 && done < len; k++)
			buf[done++] ^= stream[k];
	}
	mbedtls_platform_zeroize(stream, sizeof(stream));
	mbedtls_aes_free(&aes); /* zeroizes the round keys */
	return rc ? LM_ERR_CRYPTO : LM_OK;
}

int lm_aes256_gcm_seal(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
		       size_t aadlen, uint8_t *buf, size_t len, uint8_t mac[16])
{
	mbedtls_gcm_context gcm;
	mbedtls_gcm_init(&gcm);
	int rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 256);
	if (rc == 0)
		rc = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, len, nonce, 12, aad,
					       aadlen, buf, buf, 16, mac);
	mbedtls_gcm_free(&gcm); /* zeroizes the key schedule */
	return rc ? LM_ERR_CRYPTO : LM_OK;
}

int lm_aes256_gcm_open(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad,
		       size_t aadlen, uint8_t *buf, size_t len, const uint8_t mac[16])
{
	mbedtls_gcm_context gcm;
	mbedtls_gcm_init(&gcm);
	int rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 256);
	if (rc == 0)
		rc = mbedtls_gcm_auth_decrypt(&gcm, len, nonce, 12, aad, aadlen, mac, 16, buf, buf);
	mbedtls_gcm_free(&gcm);
	/* auth_decrypt wipes buf itself when the tag does not match */
	if (rc == MBEDTLS_ERR_GCM_AUTH_FAILED)
		return LM_ERR_SEALED;
	return rc ? LM_ERR_CRYPTO : LM_OK;
}

void lm_wipe(void *p, size_t len)
{
	mbedtls_platform_zeroize(p, len);
}
