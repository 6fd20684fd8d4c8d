/*
 * view.c - verification with the verdict cache, the JSON views of a folder,
 * the role-based filter, and the event queue.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "desk.h"
#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_json.h"
#include "laufmappe/lm_key.h"
#include "laufmappe/lm_util.h"
#include "log.h"
#include "vpool.h"
#include "vault.h"

#define T(x)	  (1u << LM_TYPE_##x)
#define ALL_TYPES 0x3ffffeu

/*
 * What each role may see (domain.md, privacy point 4), in one table: the
 * entry types shown, and the issuer roles whose name is hidden because it
 * would reveal something sensitive (an entry "issued by Jobcenter" tells an
 * employer about benefits).  Roles not listed see everything.
 */
static const struct role_view {
	const char *role;
	uint32_t types;
	uint32_t hide_issuers; /* bit r: hide issuers of role r */
} role_views[] = {
	{"employer", T(REG) | T(JOB) | T(PRA) | T(EQ) | T(AUSB) | T(DTB) | T(ANR) | T(ZAB) | T(SCH),
	 1u << LM_ROLE_JOBCENTER | 1u << LM_ROLE_AGENTUR | 1u << LM_ROLE_COUNSELLING},
	{"association", T(REG) | T(BER) | T(MENT) | T(EOK) | T(IK) | T(BSK),
	 1u << LM_ROLE_JOBCENTER | 1u << LM_ROLE_AGENTUR},
	{"jobcenter", ALL_TYPES & ~(T(BER) | T(MENT)), 0},
	{"agentur", ALL_TYPES & ~(T(BER) | T(MENT)), 0},
	{"ihk", T(REG) | T(ANR) | T(APQ) | T(ZAB) | T(SCH) | T(EQ) | T(AUSB) | T(ASA) | T(DTB), 0},
	{"hwk", T(REG) | T(ANR) | T(APQ) | T(ZAB) | T(SCH) | T(EQ) | T(AUSB) | T(ASA) | T(DTB), 0},
};

const char *desk_reader_state_name(enum desk_reader_state s)
{
	static const char *const names[] = {"empty", "reading", "card", "error", "locked"};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "error";
}

void desk_event(struct desk *d, const char *name, json_object *data)
{
	pthread_mutex_lock(&d->ev_lock);
	d->ev_seq++;
	struct desk_event *e = &d->events[d->ev_seq % DESK_EVENTS];
	e->seq = d->ev_seq;
	snprintf(e->name, sizeof(e->name), "%s", name);
	snprintf(e->data, sizeof(e->data), "%s",
		 data ? json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN) : "{}");
	pthread_cond_broadcast(&d->ev_cond);
	pthread_mutex_unlock(&d->ev_lock);
}

void desk_reader_event(struct desk *d, const char *name, const char *reader)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "reader", json_object_new_string(reader));
	desk_event(d, name, o);
	json_object_put(o);
}

int desk_cache_degraded(int err)
{
	return err == LM_ERR_DB_CORRUPT || err == LM_ERR_DB_SCHEMA || err == LM_ERR_DB_BUSY ||
	       err == LM_ERR_DB_FULL || err == LM_ERR_DB;
}

int desk_trust_state(const struct desk *d)
{
	return lm_trust_staleness(d->trust, (uint64_t)time(NULL),
				  (uint64_t)d->cfg.trust_grace_days * 86400);
}

/*
 * The verdict cache answers one exact question (design.md 11): this entry
 * (its id), checked for this holder, under this trust list (its hash).  A
 * failure to compute is an error: logged, shown as "could not be checked",
 * never stored.
 */
int desk_verdict_cached(struct desk *d, struct lm_cache *cache, const uint8_t holder[LM_HOLDER_LEN],
			struct desk_check *out)
{
	struct lm_verify_result *res = &out->res;
	const struct lm_trust *t = d->trust;
	int verdict, inst;
	if (out->err || res->verdict == LM_MALFORMED)
		return 1;
	if (cache &&
	    lm_cache_get_verdict(cache, res->id, holder, t->hash, &verdict, &inst) == LM_OK &&
	    inst < (int)t->n && verdict >= LM_VALID && verdict <= LM_MALFORMED) {
		/* Checked before: same entry, same holder, same trust list. */
		res->verdict = (enum lm_verdict)verdict;
		res->issuer = inst >= 0 ? &t->inst[inst] : NULL;
		return 1;
	}
	return 0;
}

void desk_check_done(struct desk_check *out, int err)
{
	out->err = err;
	if (err)
		log_msg(LOG_ERR, "an entry could not be checked: %s (nothing cached)",
			lm_strerror(err));
}

/* The cache's verdict or the check; *fresh tells a verdict computed now (to
 * be stored) from one the cache gave.  Caller holds the trust read lock. */
static void lookup_locked(struct desk *d, struct lm_cache *cache,
			  const uint8_t holder[LM_HOLDER_LEN], struct desk_check *out, int *fresh)
{
	*fresh = 0;
	if (desk_verdict_cached(d, cache, holder, out))
		return;
	desk_check_done(out, lm_trust_check(d->trust, holder, &out->res));
	*fresh = 1;
}

/* Store a fresh verdict, then what the trust list's age and revocations
 * make of a valid one.  Caller holds the trust read lock. */
static void finish_locked(struct desk *d, struct lm_cache *cache,
			  const uint8_t holder[LM_HOLDER_LEN], int64_t first_seen,
			  struct desk_check *out, int fresh)
{
	struct lm_verify_result *res = &out->res;
	const struct lm_trust *t = d->trust;
	out->demoted = out->after_revocation = 0;
	if (out->err || res->verdict == LM_MALFORMED)
		return;
	int idx = res->issuer ? (int)(res->issuer - t->inst) : -1;
	if (fresh && cache &&
	    lm_cache_put_verdict(cache, res->id, holder, t->hash, (int)res->verdict, idx) != LM_OK)
		log_msg(LOG_WARN, "could not store a verdict in the cache");
	if (res->verdict == LM_VALID) {
		/* Past the trust list's grace period nothing counts as verified. */
		out->demoted = desk_trust_state(d) == 2;
		if (out->demoted)
			res->verdict = LM_KEY_NOT_VALID;
		/* A key revoked from DATE can still sign entries dated before it;
		 * one this office first sees on or after DATE is marked. */
		uint32_t revoked = res->issuer ? res->issuer->revoked : 0;
		out->after_revocation =
			!out->demoted && revoked && first_seen > 0 && first_seen / 86400 >= revoked;
	}
}

/* json (may be NULL) gets the check's JSON, made under the same hold of
 * the trust lock: out->res.issuer points into the list, which a reload
 * frees as soon as the lock is let go. */
static int verify_prepared(struct desk *d, struct lm_cache *cache,
			   const uint8_t holder[LM_HOLDER_LEN], int64_t first_seen,
			   struct desk_check *out, json_object **json)
{
	int fresh;
	pthread_rwlock_rdlock(&d->trust_lock);
	lookup_locked(d, cache, holder, out, &fresh);
	finish_locked(d, cache, holder, first_seen, out, fresh);
	if (json)
		*json = desk_check_json(out);
	pthread_rwlock_unlock(&d->trust_lock);
	return out->err;
}

/*
 * A worker's result for this entry (vpool.h), finished here: stored with
 * the tap's transaction, or checked again in line when the trust list was
 * replaced since the worker looked (its issuer pointers are gone).
 */
static json_object *take_result(struct desk *d, struct lm_cache *cache,
				const uint8_t holder[LM_HOLDER_LEN], int64_t first_seen,
				const struct vpool_job *j, struct desk_check *out)
{
	pthread_rwlock_rdlock(&d->trust_lock);
	int fresh = j->fresh;
	if (j->trust_gen == d->trust_gen)
		*out = j->chk;
	else { /* prepared again: the old result may point into the old list */
		out->err = lm_trust_prepare(j->bytes, j->len, &out->res);
		lookup_locked(d, cache, holder, out, &fresh);
	}
	finish_locked(d, cache, holder, first_seen, out, fresh);
	json_object *o = desk_check_json(out); /* as in verify_prepared */
	pthread_rwlock_unlock(&d->trust_lock);
	return o;
}

int desk_verify(struct desk *d, struct lm_cache *cache, const uint8_t holder[LM_HOLDER_LEN],
		const uint8_t *bytes, size_t len, int64_t first_seen, struct desk_check *out)
{
	out->err = lm_trust_prepare(bytes, len, &out->res);
	return verify_prepared(d, cache, holder, first_seen, out, NULL);
}

json_object *desk_check_json(const struct desk_check *c)
{
	if (c->err) {
		/* Not a verdict: the page says "could not be checked, tap again". */
		json_object *o = c->res.verdict == LM_MALFORMED ? json_object_new_object()
								: lm_json_entry(&c->res.entry);
		char idh[65];
		lm_hex_encode(c->res.id, 32, idh);
		json_object_object_add(o, "id", json_object_new_string(idh));
		json_object_object_add(o, "verdict", json_object_new_string("unchecked"));
		json_object_object_add(o, "verdict_text",
				       json_object_new_string("could not be checked: tap again"));
		json_object_object_add(o, "error", json_object_new_string(lm_errname(c->err)));
		return o;
	}
	json_object *o = lm_json_verified(&c->res);
	if (c->demoted) /* so that the page says why in plain words */
		json_object_object_add(o, "trust_expired", json_object_new_boolean(1));
	if (c->after_revocation)
		json_object_object_add(o, "first_seen_after_revocation",
				       json_object_new_boolean(1));
	return o;
}

json_object *desk_verified_json(struct desk *d, struct lm_cache *cache,
				const uint8_t holder[LM_HOLDER_LEN], const uint8_t *bytes,
				size_t len, struct desk_check *chk)
{
	json_object *o;
	chk->err = lm_trust_prepare(bytes, len, &chk->res);
	verify_prepared(d, cache, holder, 0, chk, &o);
	return o;
}

static int reads_json(void *ctx, int64_t t, const char *reader, const char *role)
{
	json_object *o = json_object_new_object();
	char when[32];
	time_t tt = (time_t)t;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&tt));
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(o, "reader", json_object_new_string(reader ? reader : ""));
	json_object_object_add(o, "role", json_object_new_string(role ? role : ""));
	json_object_array_add(ctx, o);
	return 0;
}

json_object *desk_reads_json(struct lm_cache *cache, const uint8_t holder[LM_HOLDER_LEN], int *err)
{
	json_object *reads = json_object_new_array();
	*err = lm_cache_each_read(cache, holder, reads_json, reads);
	return reads;
}

/* A cache error stops the cache's part of a tap, not the tap. */
static int cache_step(struct lm_cache **cache, int *cerr, int err)
{
	if (err && !*cerr) {
		*cerr = err;
		lm_cache_rollback(*cache);
		*cache = NULL;
	}
	return err;
}

json_object *desk_tap_view(struct desk *d, struct lm_cache *cache, const struct desk_reader *r,
			   const struct lm_card *card, const uint8_t *recovery, int64_t now,
			   int *cache_err, struct vpool_tap *tap)
{
	/* With a vault, what a role may not show is not kept either (it could
	 * go on to the vault, or back onto a restored card, from here). */
	uint32_t keep = d->cfg.vault[0] ? desk_role_types(d) : ~0u;
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	char hh[2 * LM_HOLDER_LEN + 1];
	lm_hex_encode(card->holder, LM_HOLDER_LEN, hh);
	json_object_object_add(o, "holder", json_object_new_string(hh));
	int cerr = cache ? lm_cache_begin(cache) : LM_ERR_DB;
	if (cerr)
		cache = NULL;
	struct desk_check *chk = malloc(sizeof(*chk));
	size_t off = 0, elen, i = 0;
	const uint8_t *e;
	int err = chk ? 1 : LM_ERR_NOMEM;
	/* One walk of the log: each entry hashed and decoded once (by a pool
	 * worker while the card was read, or here), stored, verified (or its
	 * verdict found), and shown. */
	while (chk && (err = lm_card_next(card, &off, &e, &elen)) == LM_OK) {
		int64_t first_seen = 0;
		struct lm_verify_result *res = &chk->res;
		const struct vpool_job *j = NULL;
		if (tap && i < vpool_submitted(tap)) {
			j = vpool_result(tap, i);
			/* A worker's result counts for the very bytes it checked
			 * only: the office's copy of a known card goes to the pool
			 * before the card vouches for it, and a card can answer a
			 * read again with other bytes.  Else checked in line. */
			uint8_t id[32];
			if (j->len != elen || lm_sha256(e, elen, id) != LM_OK ||
			    memcmp(id, j->chk.res.id, sizeof(id)))
				j = NULL;
		}
		i++;
		if (j)
			*chk = j->chk;
		else
			chk->err = lm_trust_prepare(e, elen, res);
		/* A type this role may not show leaves no trace (entry or verdict). */
		int kept = chk->err || res->verdict == LM_MALFORMED ||
			   (res->entry.type < 32 && (keep & (1u << res->entry.type)));
		if (!chk->err && cache && res->verdict != LM_MALFORMED && kept)
			cache_step(&cache, &cerr,
				   lm_cache_put_entry(cache, card->holder, res->id, e, elen,
						      res->entry.type, res->entry.v[LM_F_DATE].num,
						      now, &first_seen));
		json_object *shown;
		if (j)
			shown = take_result(d, kept ? cache : NULL, card->holder, first_seen, j,
					    chk);
		else
			verify_prepared(d, kept ? cache : NULL, card->holder, first_seen, chk,
					&shown);
		json_object_array_add(arr, shown);
	}
	free(chk);
	json_object_object_add(o, "entries", arr);
	if (err != 1)
		json_object_object_add(o, "log_error", json_object_new_string(lm_strerror(err)));
	if (cache && recovery && d->cfg.vault[0]) {
		/* The folder goes to the vault sealed, with this tap or not at all. */
		int queued = 0,
		    verr = vault_queue_holder(d, cache, card->holder, recovery, now, &queued);
		if (verr == LM_ERR_RNG || verr == LM_ERR_CRYPTO || verr == LM_ERR_NOMEM)
			log_msg(LOG_ERR,
				"vault: could not seal the folder: %s (sealed at the "
				"next tap)",
				lm_strerror(verr));
		else
			cache_step(&cache, &cerr, verr);
		if (queued)
			log_msg(LOG_INFO, "vault: %d entries sealed into the outbox", queued);
	}
	if (cache)
		cache_step(&cache, &cerr,
			   lm_cache_put_card(cache, lm_card_kind_name(r->info.kind), r->info.uid,
					     r->info.uid_len, card->holder, now));
	if (cache)
		cache_step(&cache, &cerr,
			   lm_cache_log_read(cache, now, r->spec, d->cfg.role, card->holder));
	/* This office's read log of the holder, for the page, in the same answer. */
	json_object *reads = NULL;
	if (cache) {
		int rerr;
		reads = desk_reads_json(cache, card->holder, &rerr);
		if (cache_step(&cache, &cerr, rerr)) {
			json_object_put(reads);
			reads = NULL;
		}
	}
	if (cache)
		cache_step(&cache, &cerr, lm_cache_commit(cache));
	json_object_object_add(o, "reads", reads);
	pthread_rwlock_rdlock(&d->trust_lock);
	int state = desk_trust_state(d);
	pthread_rwlock_unlock(&d->trust_lock);
	json_object_object_add(o, "trust_stale", json_object_new_boolean(state != 0));
	json_object_object_add(o, "trust_expired", json_object_new_boolean(state == 2));
	*cache_err = cerr;
	return o;
}

static const struct role_view *role_view(const struct desk *d)
{
	for (size_t i = 0; i < sizeof(role_views) / sizeof(role_views[0]); i++)
		if (!strcmp(role_views[i].role, d->cfg.role))
			return &role_views[i];
	return NULL;
}

uint32_t desk_role_types(const struct desk *d)
{
	const struct role_view *rv = role_view(d);
	return rv ? rv->types : ~0u;
}

int desk_role_sees_all(const struct desk *d)
{
	return (desk_role_types(d) & ALL_TYPES) == ALL_TYPES;
}

json_object *desk_role_view(const struct desk *d, json_object *view)
{
	json_object *copy = NULL;
	json_object_deep_copy(view, &copy, NULL);
	const struct role_view *rv = role_view(d);
	json_object *entries = json_object_object_get(copy, "entries");
	if (!rv || !entries) {
		json_object_object_add(copy, "hidden", json_object_new_int(0));
		return copy;
	}
	json_object *kept = json_object_new_array();
	int hidden = 0;
	for (size_t i = 0; i < json_object_array_length(entries); i++) {
		json_object *e = json_object_array_get_idx(entries, i);
		const struct lm_type_def *t = lm_type_by_name(jstr(e, "type"));
		if (!t || !(rv->types & (1u << t->code))) {
			hidden++;
			continue;
		}
		json_object *iss = json_object_object_get(e, "issuer");
		int role = iss ? lm_role_by_name(json_object_get_string(
					 json_object_object_get(iss, "role")))
			       : -1;
		int hide = role >= 0 && (rv->hide_issuers & (1u << role));
		if (hide)
			json_object_object_del(e, "issuer");
		json_object_object_add(e, "hidden_issuer", json_object_new_boolean(hide));
		json_object_array_add(kept, json_object_get(e));
	}
	json_object_object_add(copy, "entries", kept);
	json_object_object_add(copy, "hidden", json_object_new_int(hidden));
	return copy;
}
