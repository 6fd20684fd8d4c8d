/*
 * lm_cose.h - COSE_Sign1 (RFC 9052) with ES256, as our entries and the trust
 * list use it.  Untagged; the protected header is exactly {1: -7, 4: kid(8)};
 * the unprotected header is empty, or carries only the holder hint (label
 * -65537, 16 bytes) in detached entry files.  Decoding is strict and does not
 * allocate: the decoded struct points into the caller's buffer.
 *
 * The holder binding is COSE's external_aad: the verifier supplies the
 * holder id from the card header, so an entry copied to another card no
 * longer verifies, at no cost in bytes on the card.
 */
#ifndef LM_COSE_H
#define LM_COSE_H

#include <stddef.h>
#include <stdint.h>

#include "laufmappe/lm_key.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LM_HOLDER_LEN	     16
#define LM_COSE_ALG_ES256    (-7)
#define LM_COSE_LABEL_HOLDER (-65537) /* private-use label: holder hint */
#define LM_COSE_OVERHEAD     82	      /* bytes of a COSE_Sign1 beyond its payload bstr */

struct lm_cose {
	const uint8_t *prot; /* protected header (content of the bstr) */
	size_t prot_len;
	const uint8_t *payload; /* payload (content of the bstr) */
	size_t payload_len;
	const uint8_t *sig; /* LM_SIG_LEN bytes, raw r || s */
	uint8_t kid[LM_KID_LEN];
	const uint8_t *hint; /* LM_HOLDER_LEN bytes of holder hint, or NULL */
	size_t len;	     /* encoded length of the whole COSE_Sign1 */
};

/* Decode exactly one COSE_Sign1 filling buf[0..len). */
int lm_cose_decode(const uint8_t *buf, size_t len, struct lm_cose *c);
/* Decode the COSE_Sign1 at the start of buf; c->len says where it ended. */
int lm_cose_decode_prefix(const uint8_t *buf, size_t len, struct lm_cose *c);

/*
 * Sign payload with key (its kid goes in the protected header), binding
 * external_aad.  hint: NULL, or LM_HOLDER_LEN bytes to put in the
 * unprotected header (not signed; a hint for "wrong holder" diagnosis).
 */
int lm_cose_sign(const struct lm_key *key, const uint8_t *aad, size_t aad_len,
		 const uint8_t *payload, size_t payload_len, const uint8_t *hint, uint8_t *out,
		 size_t cap, size_t *out_len);

/* LM_OK, LM_ERR_BAD_SIGNATURE, or a crypto library error. */
int lm_cose_verify(const struct lm_cose *c, const struct lm_key *key, const uint8_t *aad,
		   size_t aad_len);

/* Re-encode c without the holder hint (the form an entry has on a card). */
int lm_cose_encode_bare(const struct lm_cose *c, uint8_t *out, size_t cap, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* LM_COSE_H */
