/*
 * cose.c - strict COSE_Sign1 / ES256 encode, decode and verify.
 */
#include "laufmappe/lm_cose.h"

#include <string.h>

#include "laufmappe/lm_err.h"
#include "lm_cbor.h"
#include "lm_crypto.h"

static const char sig_context[] = "Signature1";

/* The one protected header we write and accept: {1: -7, 4: h'kid'}. */
static size_t encode_protected(uint8_t out[16], const uint8_t kid[LM_KID_LEN])
{
	struct lm_cbor_writer w;
	lm_cbor_writer_init(&w, out, 16);
	lm_cbor_put_map(&w, 2);
	lm_cbor_put_uint(&w, 1);
	lm_cbor_put_int(&w, LM_COSE_ALG_ES256);
	lm_cbor_put_uint(&w, 4);
	lm_cbor_put_bstr(&w, kid, LM_KID_LEN);
	return w.len;
}

/*
 * Parse the protected header.  Any label other than alg and kid is refused
 * (we cannot know whether an unknown header is critical), as is any alg
 * other than ES256.
 */
static int parse_protected(const uint8_t *p, size_t len, uint8_t kid[LM_KID_LEN])
{
	struct lm_cbor_reader r;
	lm_cbor_reader_init(&r, p, len);
	int64_t prev = 0;
	int prev_set = 0, have_alg = 0, have_kid = 0;
	uint64_t n = lm_cbor_get_map(&r);
	for (uint64_t i = 0; i < n && r.err == LM_OK; i++) {
		int64_t label = lm_cbor_get_key(&r, &prev, &prev_set);
		if (r.err)
			break;
		if (label == 1) {
			if (lm_cbor_get_int(&r) != LM_COSE_ALG_ES256)
				lm_cbor_reader_fail(&r, LM_ERR_UNSUPPORTED);
			have_alg = 1;
		} else if (label == 4) {
			size_t kl;
			const uint8_t *k = lm_cbor_get_bstr(&r, &kl);
			if (k && kl == LM_KID_LEN)
				memcpy(kid, k, LM_KID_LEN);
			else
				lm_cbor_reader_fail(&r, LM_ERR_MALFORMED);
			have_kid = 1;
		} else {
			lm_cbor_reader_fail(&r, LM_ERR_UNKNOWN_FIELD);
		}
	}
	int err = lm_cbor_reader_finish(&r);
	if (err)
		return err == LM_ERR_UNSUPPORTED ? LM_ERR_MALFORMED : err;
	return have_alg && have_kid ? LM_OK : LM_ERR_MISSING_FIELD;
}

static int decode(struct lm_cbor_reader *r, struct lm_cose *c)
{
	memset(c, 0, sizeof(*c));
	size_t start = r->off;
	if (lm_cbor_get_array(r) != 4)
		lm_cbor_reader_fail(r, LM_ERR_MALFORMED);
	c->prot = lm_cbor_get_bstr(r, &c->prot_len);
	/* Unprotected: {} or {-65537: h'holder'} */
	uint64_t n = lm_cbor_get_map(r);
	if (n > 1)
		lm_cbor_reader_fail(r, LM_ERR_UNKNOWN_FIELD);
	if (n == 1 && r->err == LM_OK) {
		if (lm_cbor_get_int(r) != LM_COSE_LABEL_HOLDER)
			lm_cbor_reader_fail(r, LM_ERR_UNKNOWN_FIELD);
		size_t hl;
		c->hint = lm_cbor_get_bstr(r, &hl);
		if (r->err == LM_OK && hl != LM_HOLDER_LEN)
			lm_cbor_reader_fail(r, LM_ERR_MALFORMED);
	}
	c->payload = lm_cbor_get_bstr(r, &c->payload_len);
	size_t sl;
	c->sig = lm_cbor_get_bstr(r, &sl);
	if (r->err == LM_OK && sl != LM_SIG_LEN)
		lm_cbor_reader_fail(r, LM_ERR_MALFORMED);
	if (r->err)
		return r->err;
	int err = parse_protected(c->prot, c->prot_len, c->kid);
	if (err)
		return err;
	/* Only our exact protected encoding is deterministic. */
	uint8_t want[16];
	size_t wl = encode_protected(want, c->kid);
	if (wl != c->prot_len || memcmp(want, c->prot, wl) != 0)
		return LM_ERR_NONCANONICAL;
	c->len = r->off - start;
	return LM_OK;
}

int lm_cose_decode_prefix(const uint8_t *buf, size_t len, struct lm_cose *c)
{
	struct lm_cbor_reader r;
	lm_cbor_reader_init(&r, buf, len);
	return decode(&r, c);
}

int lm_cose_decode(const uint8_t *buf, size_t len, struct lm_cose *c)
{
	struct lm_cbor_reader r;
	lm_cbor_reader_init(&r, buf, len);
	int err = decode(&r, c);
	return err ? err : lm_cbor_reader_finish(&r);
}

static void hash_bstr(struct lm_sha256 *h, const uint8_t *p, size_t len)
{
	uint8_t head[9];
	lm_sha256_update(h, head, lm_cbor_head(head, LM_CBOR_BSTR, len));
	if (len)
		lm_sha256_update(h, p, len);
}

/*
 * SHA-256 over Sig_structure = ["Signature1", protected, external_aad,
 * payload], streamed so that no copy of the payload is made.
 */
static void tbs_hash(const uint8_t *prot, size_t prot_len, const uint8_t *aad, size_t aad_len,
		     const uint8_t *payload, size_t payload_len, uint8_t out[32])
{
	struct lm_sha256 h;
	uint8_t head[9];
	lm_sha256_start(&h);
	lm_sha256_update(&h, head, lm_cbor_head(head, LM_CBOR_ARRAY, 4));
	lm_sha256_update(&h, head, lm_cbor_head(head, LM_CBOR_TSTR, sizeof(sig_context) - 1));
	lm_sha256_update(&h, (const uint8_t *)sig_context, sizeof(sig_context) - 1);
	hash_bstr(&h, prot, prot_len);
	hash_bstr(&h, aad, aad_len);
	hash_bstr(&h, payload, payload_len);
	lm_sha256_finish(&h, out);
}

static void encode(struct lm_cbor_writer *w, const uint8_t *prot, size_t prot_len,
		   const uint8_t *hint, const uint8_t *payload, size_t payload_len,
		   const uint8_t *sig)
{
	lm_cbor_put_array(w, 4);
	lm_cbor_put_bstr(w, prot, prot_len);
	if (hint) {
		lm_cbor_put_map(w, 1);
		lm_cbor_put_int(w, LM_COSE_LABEL_HOLDER);
		lm_cbor_put_bstr(w, hint, LM_HOLDER_LEN);
	} else {
		lm_cbor_put_map(w, 0);
	}
	lm_cbor_put_bstr(w, payload, payload_len);
	lm_cbor_put_bstr(w, sig, LM_SIG_LEN);
}

int lm_cose_sign(const struct lm_key *key, const uint8_t *aad, size_t aad_len,
		 const uint8_t *payload, size_t payload_len, const uint8_t *hint, uint8_t *out,
		 size_t cap, size_t *out_len)
{
	uint8_t kid[LM_KID_LEN], prot[16], hash[32], sig[LM_SIG_LEN];
	lm_key_kid(key, kid);
	size_t prot_len = encode_protected(prot, kid);
	tbs_hash(prot, prot_len, aad, aad_len, payload, payload_len, hash);
	int err = lm_key_sign_hash(key, hash, sig);
	if (err)
		return err;
	struct lm_cbor_writer w;
	lm_cbor_writer_init(&w, out, cap);
	encode(&w, prot, prot_len, hint, payload, payload_len, sig);
	if (w.err)
		return w.err;
	*out_len = w.len;
	return LM_OK;
}

int lm_cose_verify(const struct lm_cose *c, const struct lm_key *key, const uint8_t *aad,
		   size_t aad_len)
{
	uint8_t hash[32];
	tbs_hash(c->prot, c->prot_len, aad, aad_len, c->payload, c->payload_len, hash);
	return lm_key_verify_hash(key, hash, c->sig);
}

int lm_cose_encode_bare(const struct lm_cose *c, uint8_t *out, size_t cap, size_t *out_len)
{
	struct lm_cbor_writer w;
	lm_cbor_writer_init(&w, out, cap);
	encode(&w, c->prot, c->prot_len, NULL, c->payload, c->payload_len, c->sig);
	if (w.err)
		return w.err;
	*out_len = w.len;
	return LM_OK;
}
