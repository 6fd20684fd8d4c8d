/*
 * lm_trust.h - the trust list, signed by the city's root key, and the
 * verification of entries against it.
 *
 * A trust list is a COSE_Sign1 (external_aad empty) by the root key whose
 * payload lists the institutions (docs/format.md).  It has a monotonic
 * version: a terminal refuses a list older than the one it accepted.  It
 * has an issue time and a next-update time; past next-update it is stale
 * (reported, with a grace period after which nothing verifies as valid).
 *
 * struct lm_trust is large (institutions with parsed keys): get one with
 * lm_trust_new() and free it with lm_trust_free().
 */
#ifndef LM_TRUST_H
#define LM_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "laufmappe/lm_cose.h"
#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_key.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LM_TRUST_MAX_INST 256
#define LM_TRUST_NAME_MAX 96
#define LM_TRUST_MAX	  65536 /* longest trust list file, bytes */
#define LM_CLOCK_SKEW	  300	/* seconds of clock skew tolerated */

enum lm_role {
	LM_ROLE_CITY = 0,
	LM_ROLE_COURSE_PROVIDER,
	LM_ROLE_EXAM_CENTRE,
	LM_ROLE_BAMF,
	LM_ROLE_UNIVERSITY,
	LM_ROLE_IHK,
	LM_ROLE_HWK,
	LM_ROLE_STATE_AUTHORITY,
	LM_ROLE_TRAINING_PROVIDER,
	LM_ROLE_EMPLOYER,
	LM_ROLE_ZAB,
	LM_ROLE_AGENTUR,
	LM_ROLE_JOBCENTER,
	LM_ROLE_COUNSELLING,
	LM_ROLE_ASSOCIATION,
	LM_ROLE_COUNT,
};

struct lm_institution {
	uint8_t kid[LM_KID_LEN];
	uint8_t spki[LM_SPKI_MAX];
	size_t spki_len;
	char name[LM_TRUST_NAME_MAX + 1];
	uint8_t role;	      /* enum lm_role */
	uint32_t types;	      /* bit t: may sign entry type t */
	uint32_t valid_from;  /* days; entries dated before fail */
	uint32_t valid_until; /* days, inclusive; 0 = no end */
	uint32_t revoked;     /* days; entries dated on/after fail; 0 = not revoked */
	struct lm_key *key;   /* parsed from spki, owned */
};

struct lm_trust {
	uint32_t version;
	uint64_t issued;      /* seconds since the epoch */
	uint64_t next_update; /* seconds since the epoch */
	size_t n;
	struct lm_institution inst[LM_TRUST_MAX_INST];
	uint8_t root_kid[LM_KID_LEN]; /* who signed it (after load) */
	uint8_t hash[32];	      /* SHA-256 of the signed list (after load): its identity */
};

enum lm_verdict {
	LM_VALID = 0,
	LM_UNKNOWN_ISSUER,
	LM_TYPE_NOT_ALLOWED,
	LM_KEY_NOT_VALID, /* expired, not yet valid or revoked at the entry's date */
	LM_BAD_SIGNATURE,
	LM_WRONG_HOLDER,
	LM_MALFORMED,
};

struct lm_verify_result {
	enum lm_verdict verdict;
	int err;			     /* decode error behind LM_MALFORMED, or the
					      * error lm_trust_verify returned */
	const struct lm_institution *issuer; /* set when the signature verified */
	struct lm_cose cose;		     /* decoded (when not malformed) */
	struct lm_entry entry;		     /* decoded (when not malformed) */
	uint8_t id[32];			     /* SHA-256 of the entry's bytes */
};

struct lm_trust *lm_trust_new(void);
void lm_trust_free(struct lm_trust *t);
/* Empty a trust list for reuse (frees the parsed keys). */
void lm_trust_clear(struct lm_trust *t);

const char *lm_role_name(unsigned role);
int lm_role_by_name(const char *name);		/* -1 when unknown */
const char *lm_verdict_name(enum lm_verdict v); /* "valid", "unknown_issuer", ... */
const char *lm_verdict_text(enum lm_verdict v); /* a sentence for people */

/*
 * Load a signed trust list: verify it with the root public key, decode it
 * strictly, and refuse a version below min_version (LM_ERR_ROLLBACK).
 */
int lm_trust_load(struct lm_trust *t, const uint8_t *buf, size_t len, const struct lm_key *root,
		  uint32_t min_version);
/*
 * lm_key_precompute for every institution's key: for a list that many
 * threads (or forked processes) will check entries under, before it is
 * shared; the first check with each key is then as fast as the rest, and
 * no check writes into the list.  About 0.6 ms per key.
 */
int lm_trust_precompute(struct lm_trust *t);

/* Encode and sign t with the root key (its kid goes in the header). */
int lm_trust_sign(const struct lm_trust *t, const struct lm_key *root, uint8_t *out, size_t cap,
		  size_t *len);

/* Add an institution (key given as SPKI DER).  LM_ERR_ARG on a duplicate key. */
int lm_trust_add(struct lm_trust *t, const uint8_t *spki, size_t spki_len, const char *name,
		 unsigned role, uint32_t types, uint32_t valid_from, uint32_t valid_until);
/* Revoke every institution with this kid from the given day on. */
int lm_trust_revoke(struct lm_trust *t, const uint8_t kid[LM_KID_LEN], uint32_t from_day);

/* Freshness at time now (seconds): 0 fresh, 1 stale within grace, 2 expired. */
int lm_trust_staleness(const struct lm_trust *t, uint64_t now, uint64_t grace);

/*
 * Verify one signed entry for the holder.  Exactly one verdict:
 * malformed, unknown issuer (no key with that kid), bad signature, wrong
 * holder (the signature verifies only for the holder named in its hint),
 * key not valid at the entry's date, type not allowed for the issuer, or
 * valid.  The result points into buf.
 *
 * Returns LM_OK when res->verdict answers the question.  When the crypto
 * layer fails (LM_ERR_NOMEM, LM_ERR_CRYPTO, ...) that error is returned
 * unchanged and res->verdict means nothing: the entry could not be checked,
 * which is not the same as forged, and must never be cached as a verdict.
 */
int lm_trust_verify(const struct lm_trust *t, const uint8_t holder[LM_HOLDER_LEN],
		    const uint8_t *buf, size_t len, struct lm_verify_result *res);

/*
 * lm_trust_verify in two steps, for a caller that looks an entry up by its
 * id between them (the desk's verdict cache): prepare hashes and decodes
 * (verdict LM_MALFORMED for bytes that are not an entry, else provisional);
 * check runs the signature and the trust list's rules on a prepared result.
 * Same errors as lm_trust_verify.
 */
int lm_trust_prepare(const uint8_t *buf, size_t len, struct lm_verify_result *res);
int lm_trust_check(const struct lm_trust *t, const uint8_t holder[LM_HOLDER_LEN],
		   struct lm_verify_result *res);

/*
 * The trust state a terminal keeps outside any cache (design.md 11): the
 * highest trust list version it accepted and that list's hash.  A list is
 * accepted only if it is newer, or the very same bytes: an older one is
 * LM_ERR_ROLLBACK, another list with the same version LM_ERR_TRUST_SWAPPED.
 * The file is text, written atomically with mode 0600; read returns
 * LM_ERR_NOT_FOUND when there is none yet and LM_ERR_MALFORMED when it is
 * damaged (never "no state": that would lift the guard).
 */
struct lm_trust_state {
	uint32_t version; /* 0: nothing accepted yet */
	uint8_t hash[32];
};

int lm_trust_state_read(const char *path, struct lm_trust_state *st);
int lm_trust_state_write(const char *path, const struct lm_trust_state *st);
int lm_trust_state_check(const struct lm_trust_state *st, const struct lm_trust *t);

#ifdef __cplusplus
}
#endif

#endif /* LM_TRUST_H */
