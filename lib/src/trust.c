/*
 * trust.c - trust list codec, signing, and entry verification.
 */
#include "laufmappe/lm_trust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_util.h"
#include "lm_cbor.h"
#include "trust_payload.h"

static const char *const role_names[LM_ROLE_COUNT] = {
	"city",	     "course_provider", "exam_centre",	     "bamf",	 "university", "ihk",
	"hwk",	     "state_authority", "training_provider", "employer", "zab",	       "agentur",
	"jobcenter", "counselling",	"association",
};

const char *lm_role_name(unsigned role)
{
	return role < LM_ROLE_COUNT ? role_names[role] : "unknown";
}

int lm_role_by_name(const char *name)
{
	for (int i = 0; i < LM_ROLE_COUNT; i++)
		if (!strcmp(role_names[i], name))
			return i;
	return -1;
}

const char *lm_verdict_name(enum lm_verdict v)
{
	switch (v) {
	case LM_VALID: return "valid";
	case LM_UNKNOWN_ISSUER: return "unknown_issuer";
	case LM_TYPE_NOT_ALLOWED: return "type_not_allowed";
	case LM_KEY_NOT_VALID: return "key_not_valid";
	case LM_BAD_SIGNATURE: return "bad_signature";
	case LM_WRONG_HOLDER: return "wrong_holder";
	case LM_MALFORMED: return "malformed";
	}
	return "malformed";
}

const char *lm_verdict_text(enum lm_verdict v)
{
	switch (v) {
	case LM_VALID: return "verified";
	case LM_UNKNOWN_ISSUER: return "issuer is not on the trust list";
	case LM_TYPE_NOT_ALLOWED: return "issuer may not sign this kind of entry";
	case LM_KEY_NOT_VALID: return "issuer's key was revoked or not valid on the entry's date";
	case LM_BAD_SIGNATURE: return "signature does not match (forged or altered)";
	case LM_WRONG_HOLDER: return "entry belongs to another card";
	case LM_MALFORMED: return "entry is damaged or not in our format";
	}
	return "entry is damaged or not in our format";
}

struct lm_trust *lm_trust_new(void)
{
	return calloc(1, sizeof(struct lm_trust));
}

void lm_trust_clear(struct lm_trust *t)
{
	for (size_t i = 0; i < t->n; i++)
		lm_key_free(t->inst[i].key);
	memset(t, 0, sizeof(*t));
}

void lm_trust_free(struct lm_trust *t)
{
	if (!t)
		return;
	lm_trust_clear(t);
	free(t);
}

/* Parse the institution's key and check that the kid matches it. */
static int inst_key(struct lm_institution *in)
{
	int err = lm_key_from_spki(in->spki, in->spki_len, &in->key);
	if (err)
		return err;
	uint8_t kid[LM_KID_LEN];
	lm_key_kid(in->key, kid);
	if (memcmp(kid, in->kid, LM_KID_LEN) != 0)
		return LM_ERR_BAD_VALUE;
	return LM_OK;
}

int lm_trust_add(struct lm_trust *t, const uint8_t *spki, size_t spki_len, const char *name,
		 unsigned role, uint32_t types, uint32_t valid_from, uint32_t valid_until)
{
	if (t->n >= LM_TRUST_MAX_INST)
		return LM_ERR_TOO_LONG;
	if (spki_len > LM_SPKI_MAX || strlen(name) == 0 || strlen(name) > LM_TRUST_NAME_MAX ||
	    !lm_text_valid((const uint8_t *)name, strlen(name)) || role >= LM_ROLE_COUNT ||
	    (types & ~(((1u << (LM_TYPE_MAX + 1)) - 1) & ~1u)))
		return LM_ERR_BAD_VALUE;
	for (size_t i = 0; i < t->n; i++)
		if (t->inst[i].spki_len == spki_len && !memcmp(t->inst[i].spki, spki, spki_len))
			return LM_ERR_ARG;
	struct lm_institution *in = &t->inst[t->n];
	memset(in, 0, sizeof(*in));
	memcpy(in->spki, spki, spki_len);
	in->spki_len = spki_len;
	int err = lm_key_from_spki(spki, spki_len, &in->key);
	if (err)
		return err;
	lm_key_kid(in->key, in->kid);
	memcpy(in->name, name, strlen(name) + 1);
	in->role = (uint8_t)role;
	in->types = types;
	in->valid_from = valid_from;
	in->valid_until = valid_until;
	t->n++;
	return LM_OK;
}

int lm_trust_revoke(struct lm_trust *t, const uint8_t kid[LM_KID_LEN], uint32_t from_day)
{
	int found = 0;
	if (from_day == 0)
		return LM_ERR_BAD_VALUE;
	for (size_t i = 0; i < t->n; i++)
		if (!memcmp(t->inst[i].kid, kid, LM_KID_LEN)) {
			t->inst[i].revoked = from_day;
			found = 1;
		}
	return found ? LM_OK : LM_ERR_NOT_FOUND;
}

int lm_trust_staleness(const struct lm_trust *t, uint64_t now, uint64_t grace)
{
	if (now <= t->next_update + LM_CLOCK_SKEW)
		return 0;
	return now <= t->next_update + grace ? 1 : 2;
}

static void put_opt_uint(struct lm_cbor_writer *w, unsigned key, uint64_t v)
{
	if (v) {
		lm_cbor_put_uint(w, key);
		lm_cbor_put_uint(w, v);
	}
}

static void encode_inst(struct lm_cbor_writer *w, const struct lm_institution *in)
{
	unsigned n = 4 + !!in->role + !!in->valid_from + !!in->valid_until + !!in->revoked;
	lm_cbor_put_map(w, n);
	lm_cbor_put_uint(w, 1);
	lm_cbor_put_bstr(w, in->kid, LM_KID_LEN);
	lm_cbor_put_uint(w, 2);
	lm_cbor_put_bstr(w, in->spki, in->spki_len);
	lm_cbor_put_uint(w, 3);
	lm_cbor_put_tstr(w, in->name, strlen(in->name));
	put_opt_uint(w, 4, in->role);
	lm_cbor_put_uint(w, 5);
	unsigned nt = 0;
	for (unsigned ty = 1; ty <= LM_TYPE_MAX; ty++)
		nt += (in->types >> ty) & 1;
	lm_cbor_put_array(w, nt);
	for (unsigned ty = 1; ty <= LM_TYPE_MAX; ty++)
		if (in->types & (1u << ty))
			lm_cbor_put_uint(w, ty);
	put_opt_uint(w, 6, in->valid_from);
	put_opt_uint(w, 7, in->valid_until);
	put_opt_uint(w, 8, in->revoked);
}

int trust_payload_encode(const struct lm_trust *t, uint8_t *out, size_t cap, size_t *len)
{
	struct lm_cbor_writer w;
	lm_cbor_writer_init(&w, out, cap);
	lm_cbor_put_map(&w, 4);
	lm_cbor_put_uint(&w, 1);
	lm_cbor_put_uint(&w, t->version);
	lm_cbor_put_uint(&w, 2);
	lm_cbor_put_uint(&w, t->issued);
	lm_cbor_put_uint(&w, 3);
	lm_cbor_put_uint(&w, t->next_update);
	lm_cbor_put_uint(&w, 4);
	lm_cbor_put_array(&w, t->n);
	for (size_t i = 0; i < t->n; i++)
		encode_inst(&w, &t->inst[i]);
	*len = w.len;
	return w.err;
}

int lm_trust_sign(const struct lm_trust *t, const struct lm_key *root, uint8_t *out, size_t cap,
		  size_t *len)
{
	if (t->version == 0 || t->issued == 0 || t->next_update == 0)
		return LM_ERR_MISSING_FIELD;
	size_t pcap = LM_TRUST_MAX, plen = 0;
	uint8_t *payload = malloc(pcap);
	if (!payload)
		return LM_ERR_NOMEM;
	int err = trust_payload_encode(t, payload, pcap, &plen);
	if (!err)
		err = lm_cose_sign(root, NULL, 0, payload, plen, NULL, out, cap, len);
	free(payload);
	return err;
}

/* A non-zero uint that must fit 32 bits (zero values are left out). */
static uint32_t get_u32_nonzero(struct lm_cbor_reader *r)
{
	uint64_t v = lm_cbor_get_uint(r);
	if (r->err == LM_OK && v == 0)
		lm_cbor_reader_fail(r, LM_ERR_NONCANONICAL);
	if (v > 0xffffffffu)
		lm_cbor_reader_fail(r, LM_ERR_BAD_VALUE);
	return (uint32_t)v;
}

/* A date (days, non-zero) that can be shown: at most LM_DATE_MAX, as in entries. */
static uint32_t get_date(struct lm_cbor_reader *r)
{
	uint32_t d = get_u32_nonzero(r);
	if (d > LM_DATE_MAX)
		lm_cbor_reader_fail(r, LM_ERR_BAD_VALUE);
	return d;
}

static void decode_inst(struct lm_cbor_reader *r, struct lm_institution *in)
{
	memset(in, 0, sizeof(*in));
	uint64_t n = lm_cbor_get_map(r);
	int64_t prev = 0;
	int prev_set = 0;
	unsigned seen = 0;
	for (uint64_t i = 0; i < n && r->err == LM_OK; i++) {
		int64_t k = lm_cbor_get_key(r, &prev, &prev_set);
		size_t l = 0;
		const uint8_t *p;
		switch (r->err ? 0 : k) {
		case 1:
			p = lm_cbor_get_bstr(r, &l);
			if (p && l == LM_KID_LEN)
				memcpy(in->kid, p, l);
			else
				lm_cbor_reader_fail(r, LM_ERR_BAD_VALUE);
			break;
		case 2:
			p = lm_cbor_get_bstr(r, &l);
			if (p && l <= LM_SPKI_MAX && l > 0) {
				memcpy(in->spki, p, l);
				in->spki_len = l;
			} else {
				lm_cbor_reader_fail(r, LM_ERR_BAD_VALUE);
			}
			break;
		case 3:
			p = lm_cbor_get_tstr(r, &l);
			if (p && l > 0 && l <= LM_TRUST_NAME_MAX && lm_text_valid(p, l))
				memcpy(in->name, p, l);
			else
				lm_cbor_reader_fail(r, LM_ERR_BAD_VALUE);
			break;
		case 4: {
			uint32_t role = get_u32_nonzero(r);
			if (role >= LM_ROLE_COUNT)
				lm_cbor_reader_fail(r, LM_ERR_BAD_VALUE);
			in->role = (uint8_t)role;
			break;
		}
		case 5: {
			uint64_t nt = lm_cbor_get_array(r);
			uint64_t last = 0;
			for (uint64_t j = 0; j < nt && r->err == LM_OK; j++) {
				uint64_t ty = lm_cbor_get_uint(r);
				if (ty <= last || ty > LM_TYPE_MAX) /* ascending, unique */
					lm_cbor_reader_fail(r, ty <= last ? LM_ERR_NONCANONICAL
									  : LM_ERR_BAD_VALUE);
				in->types |= 1u << (ty & 31);
				last = ty;
			}
			break;
		}
		case 6: in->valid_from = get_date(r); break;
		case 7: in->valid_until = get_date(r); break;
		case 8: in->revoked = get_date(r); break;
		default: lm_cbor_reader_fail(r, LM_ERR_UNKNOWN_FIELD); break;
		}
		if (k >= 1 && k <= 8)
			seen |= 1u << k;
	}
	if (r->err == LM_OK && (seen & 0x2e) != 0x2e) /* kid, key, name, types */
		lm_cbor_reader_fail(r, LM_ERR_MISSING_FIELD);
}

int trust_payload_decode(struct lm_trust *t, const uint8_t *payload, size_t len)
{
	lm_trust_clear(t);
	struct lm_cbor_reader r;
	lm_cbor_reader_init(&r, payload, len);
	uint64_t n = lm_cbor_get_map(&r);
	int64_t prev = 0;
	int prev_set = 0;
	unsigned seen = 0;
	for (uint64_t i = 0; i < n && r.err == LM_OK; i++) {
		int64_t k = lm_cbor_get_key(&r, &prev, &prev_set);
		switch (r.err ? 0 : k) {
		case 1: t->version = get_u32_nonzero(&r); break;
		case 2: t->issued = lm_cbor_get_uint(&r); break;
		case 3: t->next_update = lm_cbor_get_uint(&r); break;
		case 4: {
			uint64_t ni = lm_cbor_get_array(&r);
			if (ni > LM_TRUST_MAX_INST)
				lm_cbor_reader_fail(&r, LM_ERR_TOO_LONG);
			for (uint64_t j = 0; j < ni && r.err == LM_OK; j++) {
				decode_inst(&r, &t->inst[j]);
				t->n = (size_t)j + 1;
			}
			break;
		}
		default: lm_cbor_reader_fail(&r, LM_ERR_UNKNOWN_FIELD); break;
		}
		if (k >= 1 && k <= 4)
			seen |= 1u << k;
	}
	int err = lm_cbor_reader_finish(&r);
	if (!err && seen != 0x1e)
		err = LM_ERR_MISSING_FIELD;
	if (!err && (t->issued == 0 || t->next_update < t->issued))
		err = LM_ERR_BAD_VALUE;
	for (size_t i = 0; !err && i < t->n; i++)
		err = inst_key(&t->inst[i]);
	for (size_t i = 0; !err && i < t->n; i++)
		for (size_t j = 0; !err && j < i; j++)
			if (t->inst[i].spki_len == t->inst[j].spki_len &&
			    !memcmp(t->inst[i].spki, t->inst[j].spki, t->inst[i].spki_len))
				err = LM_ERR_BAD_VALUE; /* one key listed twice */
	if (err)
		lm_trust_clear(t);
	return err;
}

int lm_trust_precompute(struct lm_trust *t)
{
	for (size_t i = 0; i < t->n; i++) {
		int err = lm_key_precompute(t->inst[i].key);
		if (err)
			return err;
	}
	return LM_OK;
}

int lm_trust_load(struct lm_trust *t, const uint8_t *buf, size_t len, const struct lm_key *root,
		  uint32_t min_version)
{
	lm_trust_clear(t);
	if (len > LM_TRUST_MAX)
		return LM_ERR_TOO_LONG;
	struct lm_cose c;
	int err = lm_cose_decode(buf, len, &c);
	if (err)
		return err;
	if (c.hint)
		return LM_ERR_UNKNOWN_FIELD;
	uint8_t kid[LM_KID_LEN];
	lm_key_kid(root, kid);
	if (memcmp(kid, c.kid, LM_KID_LEN) != 0)
		return LM_ERR_BAD_SIGNATURE; /* signed by another root */
	err = lm_cose_verify(&c, root, NULL, 0);
	if (err)
		return err;
	/* The list is its hash (the trust state file, verdict cache keys):
	 * of the signed bytes, taken once the root's signature holds. */
	uint8_t hash[sizeof(t->hash)];
	err = lm_sha256(buf, len, hash);
	if (err)
		return err;
	err = trust_payload_decode(t, c.payload, c.payload_len);
	if (err)
		return err;
	if (t->version < min_version) {
		lm_trust_clear(t);
		return LM_ERR_ROLLBACK;
	}
	memcpy(t->root_kid, kid, LM_KID_LEN);
	memcpy(t->hash, hash, sizeof(hash));
	return LM_OK;
}

/* Was the institution's key valid on the entry's date? */
static int key_valid_on(const struct lm_institution *in, uint32_t day)
{
	if (in->valid_from && day < in->valid_from)
		return 0;
	if (in->valid_until && day > in->valid_until)
		return 0;
	if (in->revoked && day >= in->revoked)
		return 0;
	return 1;
}

/*
 * The verdict order: structure first; then who signed (kid lookup, then
 * signature against the holder on the card, then against the hint); then,
 * for a genuine signature, whether that issuer could sign it: key validity
 * on the entry's date (revocation outranks everything after it), then the
 * entry type.  Among several keys with the same kid, the best verdict wins.
 *
 * Only LM_ERR_BAD_SIGNATURE from the crypto adapter is a "no"; any other
 * failure there (no memory, a library fault) is returned as it is, because
 * a verdict computed from it would be a lie that callers might cache.
 */
int lm_trust_prepare(const uint8_t *buf, size_t len, struct lm_verify_result *res)
{
	memset(res, 0, sizeof(*res));
	int err = lm_sha256(buf, len, res->id);
	if (err) {
		res->err = err;
		return err;
	}
	res->err = lm_entry_decode(buf, len, &res->cose, &res->entry);
	res->verdict = res->err ? LM_MALFORMED : LM_UNKNOWN_ISSUER;
	return LM_OK;
}

/* One signature check: 1 verified, 0 not, or a negative error. */
static int sig_ok(const struct lm_cose *c, const struct lm_key *key, const uint8_t *aad)
{
	int err = lm_cose_verify(c, key, aad, LM_HOLDER_LEN);
	if (err == LM_OK)
		return 1;
	return err == LM_ERR_BAD_SIGNATURE ? 0 : err;
}

int lm_trust_check(const struct lm_trust *t, const uint8_t holder[LM_HOLDER_LEN],
		   struct lm_verify_result *res)
{
	if (res->verdict == LM_MALFORMED)
		return LM_OK;
	res->issuer = NULL;
	enum lm_verdict best = LM_UNKNOWN_ISSUER;
	int any_sig = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct lm_institution *in = &t->inst[i];
		if (memcmp(in->kid, res->cose.kid, LM_KID_LEN) != 0)
			continue;
		int ok = sig_ok(&res->cose, in->key, holder);
		if (ok < 0) {
			res->err = ok;
			res->issuer = NULL;
			return ok;
		}
		if (!ok) {
			if (best == LM_UNKNOWN_ISSUER)
				best = LM_BAD_SIGNATURE;
			continue;
		}
		any_sig = 1;
		enum lm_verdict v;
		if (!key_valid_on(in, res->entry.v[LM_F_DATE].num))
			v = LM_KEY_NOT_VALID;
		else if (!(in->types & (1u << res->entry.type)))
			v = LM_TYPE_NOT_ALLOWED;
		else
			v = LM_VALID;
		if (!res->issuer || v < best || best == LM_BAD_SIGNATURE) {
			best = v;
			res->issuer = in;
		}
		if (v == LM_VALID)
			break;
	}
	if (!any_sig && best == LM_BAD_SIGNATURE && res->cose.hint &&
	    memcmp(res->cose.hint, holder, LM_HOLDER_LEN) != 0) {
		for (size_t i = 0; i < t->n; i++) {
			if (memcmp(t->inst[i].kid, res->cose.kid, LM_KID_LEN) != 0)
				continue;
			int ok = sig_ok(&res->cose, t->inst[i].key, res->cose.hint);
			if (ok < 0) {
				res->err = ok;
				return ok;
			}
			if (ok) {
				best = LM_WRONG_HOLDER;
				break;
			}
		}
	}
	/* A hint that names another holder than the one the signature binds is
	 * not a harmless note: the file was altered, so it is not accepted. */
	if (any_sig && res->cose.hint && memcmp(res->cose.hint, holder, LM_HOLDER_LEN) != 0) {
		best = LM_MALFORMED;
		res->err = LM_ERR_HOLDER;
		res->issuer = NULL;
	}
	res->verdict = best;
	return LM_OK;
}

int lm_trust_verify(const struct lm_trust *t, const uint8_t holder[LM_HOLDER_LEN],
		    const uint8_t *buf, size_t len, struct lm_verify_result *res)
{
	int err = lm_trust_prepare(buf, len, res);
	return err ? err : lm_trust_check(t, holder, res);
}

/*
 * The trust state file: three lines of text, so an administrator can read
 * it, and nothing else (a strict parse: a damaged file is an error, never
 * "no state", since that would silently lift the rollback guard).
 */
#define STATE_MAGIC "laufmappe-trust-state 1\n"

int lm_trust_state_read(const char *path, struct lm_trust_state *st)
{
	memset(st, 0, sizeof(*st));
	uint8_t *buf;
	size_t len;
	int err = lm_file_read(path, 256, &buf, &len);
	if (err)
		return err;
	char text[257], hex[65];
	memcpy(text, buf, len);
	text[len] = 0;
	free(buf);
	unsigned long version;
	int used = -1;
	size_t ml = strlen(STATE_MAGIC);
	if (len < ml || memcmp(text, STATE_MAGIC, ml) != 0 ||
	    sscanf(text + ml, "version %10lu\nsha256 %64[0-9a-f]\n%n", &version, hex, &used) != 2 ||
	    used < 0 || ml + (size_t)used != len || version == 0 || version > UINT32_MAX ||
	    strlen(hex) != 64 || lm_hex_decode(hex, st->hash, 32) != LM_OK)
		return LM_ERR_MALFORMED;
	st->version = (uint32_t)version;
	return LM_OK;
}

int lm_trust_state_write(const char *path, const struct lm_trust_state *st)
{
	char hex[65], text[160];
	lm_hex_encode(st->hash, 32, hex);
	int n = snprintf(text, sizeof(text), STATE_MAGIC "version %lu\nsha256 %s\n",
			 (unsigned long)st->version, hex);
	return lm_file_write(path, (const uint8_t *)text, (size_t)n, 0600);
}

int lm_trust_state_check(const struct lm_trust_state *st, const struct lm_trust *t)
{
	if (t->version < st->version)
		return LM_ERR_ROLLBACK;
	if (t->version == st->version && memcmp(t->hash, st->hash, 32) != 0)
		return LM_ERR_TRUST_SWAPPED;
	return LM_OK;
}
