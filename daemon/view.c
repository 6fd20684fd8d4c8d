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
#include "laufmappe/lm_util.h"
#include "log.h"

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

int desk_verify(struct desk *d, struct lm_cache *cache, const uint8_t holder[LM_HOLDER_LEN],
		const uint8_t *bytes, size_t len, struct lm_verify_result *res)
{
	pthread_rwlock_rdlock(&d->trust_lock);
	uint32_t version = d->trust->version;
	uint8_t id[32];
	int verdict, inst;
	if (cache && lm_sha256(bytes, len, id) == LM_OK &&
	    lm_cache_get_verdict(cache, id, version, &verdict, &inst) == LM_OK &&
	    inst < (int)d->trust->n &&
	    lm_entry_decode(bytes, len, &res->cose, &res->entry) == LM_OK) {
		/* Verified before under this very trust list: no signature check. */
		memcpy(res->id, id, 32);
		res->verdict = (enum lm_verdict)verdict;
		res->err = LM_OK;
		res->issuer = inst >= 0 ? &d->trust->inst[inst] : NULL;
	} else {
		lm_trust_verify(d->trust, holder, bytes, len, res);
		int idx = res->issuer ? (int)(res->issuer - d->trust->inst) : -1;
		if (cache &&
		    lm_cache_put_verdict(cache, res->id, version, (int)res->verdict, idx) != LM_OK)
			log_msg(LOG_WARN, "could not store a verdict in the cache");
	}
	/* Past the trust list's grace period nothing counts as verified. */
	int demoted = res->verdict == LM_VALID && desk_trust_state(d) == 2;
	if (demoted)
		res->verdict = LM_KEY_NOT_VALID;
	pthread_rwlock_unlock(&d->trust_lock);
	return demoted;
}

json_object *desk_verified_json(struct desk *d, struct lm_cache *cache,
				const uint8_t holder[LM_HOLDER_LEN], const uint8_t *bytes,
				size_t len, struct lm_verify_result *res)
{
	int demoted = desk_verify(d, cache, holder, bytes, len, res);
	json_object *o = lm_json_verified(res);
	if (demoted) /* so that the page says why in plain words */
		json_object_object_add(o, "trust_expired", json_object_new_boolean(1));
	return o;
}

json_object *desk_folder_json(struct desk *d, struct lm_cache *cache,
			      const uint8_t holder[LM_HOLDER_LEN], const uint8_t *img, size_t len,
			      const struct lm_card *card)
{
	(void)img;
	(void)len;
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	char hh[2 * LM_HOLDER_LEN + 1];
	lm_hex_encode(holder, LM_HOLDER_LEN, hh);
	json_object_object_add(o, "holder", json_object_new_string(hh));
	struct lm_verify_result *r = malloc(sizeof(*r));
	size_t off = 0, elen;
	const uint8_t *e;
	int err = 1;
	while (r && (err = lm_card_next(card, &off, &e, &elen)) == LM_OK) {
		json_object_array_add(arr, desk_verified_json(d, cache, holder, e, elen, r));
	}
	free(r);
	json_object_object_add(o, "entries", arr);
	if (err != 1)
		json_object_object_add(o, "log_error", json_object_new_string(lm_strerror(err)));
	pthread_rwlock_rdlock(&d->trust_lock);
	int state = desk_trust_state(d);
	pthread_rwlock_unlock(&d->trust_lock);
	json_object_object_add(o, "trust_stale", json_object_new_boolean(state != 0));
	json_object_object_add(o, "trust_expired", json_object_new_boolean(state == 2));
	return o;
}

json_object *desk_role_view(const struct desk *d, json_object *view)
{
	json_object *copy = NULL;
	json_object_deep_copy(view, &copy, NULL);
	const struct role_view *rv = NULL;
	for (size_t i = 0; i < sizeof(role_views) / sizeof(role_views[0]); i++)
		if (!strcmp(role_views[i].role, d->cfg.role))
			rv = &role_views[i];
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
