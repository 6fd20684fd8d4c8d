/*
 * api_write.c - the routes that write (docs/api.md, "Writing"): append an
 * entry to the card, import an export, restore a holder's folder onto a
 * card, delete an entry at the holder's request.  Each needs the terminal's
 * token (checked by http.c before the handler runs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "desk.h"
#include "http.h"
#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_json.h"
#include "laufmappe/lm_util.h"
#include "log.h"
#include "request.h"

MHD_RESULT api_append(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	struct desk *d = a->d;
	json_object *body = json_object_get(rq->json);
	if (!body || !json_object_is_type(body, json_type_object)) {
		json_object_put(body);
		return send_error(c, 400, "bad_json", "the body is not a JSON object");
	}
	struct desk_reader *r = body_reader(d, body);
	if (!r) {
		json_object_put(body);
		return send_error(c, 404, "no_reader", "no such reader");
	}
	uint8_t signed_entry[LM_ENTRY_MAX];
	long slen = -1;
	struct lm_entry e;
	char why[160] = "";
	json_object *je = json_object_object_get(body, "entry"),
		    *js = json_object_object_get(body, "signed");
	int err = LM_OK;
	if (js) {
		slen = request_b64_decode(jstr(body, "signed"), signed_entry, sizeof(signed_entry));
		if (slen <= 0)
			err = LM_ERR_MALFORMED, snprintf(why, sizeof(why), "signed is not base64");
	} else if (je && json_object_is_type(je, json_type_object)) {
		err = request_entry(je, &e, why, sizeof(why));
	} else {
		err = LM_ERR_MISSING_FIELD, snprintf(why, sizeof(why), "give entry or signed");
	}
	json_object_put(body);
	if (err)
		return send_error(c, 400, lm_errname(err), why);
	if (!js) {
		pthread_rwlock_rdlock(&d->trust_lock);
		const struct lm_institution *in = own_institution(d);
		int allowed = in && (in->types & (1u << e.type));
		pthread_rwlock_unlock(&d->trust_lock);
		if (!d->signing_key || !allowed)
			return send_error(
				c, 403, "forbidden",
				"this terminal's institution may not sign this kind of entry");
	}
	pthread_mutex_lock(&r->lock);
	if (!r->t || strcmp(r->state, "card") || !r->have_holder) {
		pthread_mutex_unlock(&r->lock);
		return send_error(c, 503, "no_card", "no card on the reader: put the card on it");
	}
	size_t len = 0;
	if (js) {
		struct lm_cose cose;
		err = lm_cose_decode(signed_entry, (size_t)slen, &cose);
		if (!err && cose.hint && memcmp(cose.hint, r->holder, LM_HOLDER_LEN))
			err = LM_ERR_HOLDER;
		/* The card form goes to its own buffer: cose points into signed_entry. */
		uint8_t bare[LM_ENTRY_MAX];
		if (!err)
			err = lm_cose_encode_bare(&cose, bare, sizeof(bare), &len);
		if (!err)
			memcpy(signed_entry, bare, len);
	} else {
		err = lm_entry_sign(&e, d->signing_key, r->holder, 0, signed_entry,
				    sizeof(signed_entry), &len);
	}
	/* The card identified again, the entry written, read back and compared. */
	if (!err)
		err = lm_transport_identify(r->t, &r->info);
	if (!err)
		err = lm_transport_append(r->t, &r->info, signed_entry, len);
	struct lm_cache *cache = NULL;
	if (!err) {
		if (lm_cache_open(d->cfg.database, &cache) != LM_OK)
			cache = NULL;
		int rerr = reader_refresh(d, r, cache);
		if (rerr)
			log_msg(LOG_WARN, "%s: written, but the new read failed: %s", r->spec,
				lm_strerror(rerr));
	}
	pthread_mutex_unlock(&r->lock);
	if (err) {
		lm_cache_close(cache);
		log_msg(LOG_WARN, "%s: append refused: %s", r->spec, lm_strerror(err));
		return send_lm_error(c, err);
	}
	struct lm_verify_result *res = malloc(sizeof(*res));
	desk_verify(d, cache, r->holder, signed_entry, len, res);
	lm_cache_close(cache);
	json_object *o = json_object_new_object();
	char idh[65];
	lm_hex_encode(res->id, 32, idh);
	json_object_object_add(o, "id", json_object_new_string(idh));
	json_object_object_add(o, "entry", lm_json_verified(res));
	free(res);
	json_object *ev = json_object_new_object();
	json_object_object_add(ev, "reader", json_object_new_string(r->spec));
	json_object_object_add(ev, "id", json_object_new_string(idh));
	desk_event(d, "written", ev);
	json_object_put(ev);
	log_msg(LOG_INFO, "%s: entry %.12s... written and read back", r->spec, idh);
	return send_json(c, 200, o);
}

/* Import: every entry verified against the trust list; only valid ones kept. */
MHD_RESULT api_import(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	json_object *body = json_object_get(rq->json);
	json_object *arr = body ? json_object_object_get(body, "entries") : NULL;
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		json_object_put(body);
		return send_error(c, 400, "bad_json",
				  "give {\"entries\":[{\"holder\":...,\"signed\":...}]}");
	}
	struct lm_cache *cache;
	int err = lm_cache_open(a->d->cfg.database, &cache);
	if (err) {
		json_object_put(body);
		return send_lm_error(c, err);
	}
	int imported = 0, skipped = 0, rejected = 0;
	int64_t before, after, holders;
	lm_cache_count(cache, &before, &holders);
	struct lm_verify_result *res = malloc(sizeof(*res));
	err = lm_cache_begin(cache);
	for (size_t i = 0; !err && i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		uint8_t holder[LM_HOLDER_LEN], b[LM_ENTRY_MAX];
		const char *hh = json_object_get_string(json_object_object_get(o, "holder"));
		long n = request_b64_decode(jstr(o, "signed"), b, sizeof(b));
		if (!hh || lm_hex_decode(hh, holder, LM_HOLDER_LEN) || n <= 0) {
			rejected++;
			continue;
		}
		desk_verify(a->d, cache, holder, b, (size_t)n, res);
		if (res->verdict != LM_VALID) {
			rejected++;
			continue;
		}
		err = lm_cache_put_entry(cache, holder, b, (size_t)n, res->entry.type,
					 res->entry.v[LM_F_DATE].num, (int64_t)time(NULL));
		imported++;
	}
	free(res);
	json_object_put(body);
	err = err ? err : lm_cache_commit(cache);
	if (err) {
		lm_cache_rollback(cache);
		lm_cache_close(cache);
		return send_lm_error(c, err);
	}
	lm_cache_count(cache, &after, &holders);
	lm_cache_close(cache);
	skipped = imported - (int)(after - before); /* already in the cache */
	imported -= skipped;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "imported", json_object_new_int(imported));
	json_object_object_add(o, "skipped", json_object_new_int(skipped));
	json_object_object_add(o, "rejected", json_object_new_int(rejected));
	return send_json(c, 200, o);
}

struct restore_ctx {
	struct desk *d;
	struct desk_reader *r;
	struct lm_cache *cache;
	json_object *on_card; /* the entries the card holds already */
	int written;
	struct lm_verify_result res;
};

/* Is the entry with this id among the card's entries (the view's JSON)? */
static int card_has(json_object *entries, const uint8_t id[32])
{
	char idh[65];
	lm_hex_encode(id, 32, idh);
	for (size_t i = 0; i < json_object_array_length(entries); i++)
		if (!strcmp(jstr(json_object_array_get_idx(entries, i), "id"), idh))
			return 1;
	return 0;
}

static int restore_entry(void *ctx, const uint8_t holder[LM_HOLDER_LEN], const uint8_t *b,
			 size_t len)
{
	struct restore_ctx *x = ctx;
	desk_verify(x->d, x->cache, holder, b, len, &x->res);
	if (x->res.verdict != LM_VALID || card_has(x->on_card, x->res.id))
		return 0; /* only verified entries, and only those the card lacks */
	int err = lm_transport_append(x->r->t, &x->r->info, b, len);
	x->written += !err;
	return err;
}

/* Write a holder's cached folder onto a card: a blank one (a new card for a
 * lost one, or a rewrite cut short after its wipe) is formatted for the
 * holder first; one that is the holder's already gets the entries it lacks.
 * Another holder's card is refused. */
MHD_RESULT api_restore(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	const char *hex = rq->arg;
	uint8_t holder[LM_HOLDER_LEN];
	if (lm_hex_decode(hex, holder, LM_HOLDER_LEN))
		return send_error(c, 400, "bad_value", "a holder id is 32 hex digits");
	json_object *body = json_object_get(rq->json);
	struct desk_reader *r = body_reader(a->d, body);
	json_object_put(body);
	if (!r)
		return send_error(c, 404, "no_reader", "no such reader");
	struct lm_cache *cache;
	int err = lm_cache_open(a->d->cfg.database, &cache);
	if (err)
		return send_lm_error(c, err);
	struct restore_ctx *x = calloc(1, sizeof(*x));
	x->d = a->d;
	x->r = r;
	x->cache = cache;
	pthread_mutex_lock(&r->lock);
	int blank = r->t && !strcmp(r->state, "error") && !strcmp(r->error_code, "not_formatted");
	if (blank) {
		/* A blank card (a new one, or a rewrite cut short after the wipe):
		 * it becomes this holder's, then gets the folder. */
		err = lm_transport_identify(r->t, &r->info);
		if (!err || err == LM_ERR_NOT_FORMATTED)
			err = lm_transport_format(r->t, &r->info, holder);
		if (!err)
			err = reader_refresh(a->d, r, cache);
		if (!err)
			log_msg(LOG_INFO, "%s: blank card formatted for holder %.8s...", r->spec,
				hex);
	} else if (!r->t || strcmp(r->state, "card") || !r->have_holder) {
		err = LM_ERR_NO_CARD;
	} else if (memcmp(r->holder, holder, LM_HOLDER_LEN)) {
		err = LM_ERR_HOLDER; /* another holder's card: never overwritten here */
	}
	if (!err)
		x->on_card = json_object_object_get(r->card, "entries");
	if (!err && !blank) /* a blank card was identified by its reader_refresh */
		err = lm_transport_identify(r->t, &r->info);
	if (!err)
		err = lm_cache_each_entry(cache, holder, restore_entry, x);
	if (x->written)
		reader_refresh(a->d, r, cache);
	pthread_mutex_unlock(&r->lock);
	int written = x->written;
	free(x);
	lm_cache_close(cache);
	if (err)
		return send_lm_error(c, err);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "written", json_object_new_int(written));
	return send_json(c, 200, o);
}

/*
 * Delete one entry from the card on reader r at the holder's request
 * (domain.md, privacy 6).  A card's log is append-only, so the card is
 * rewritten: wiped, formatted for the same holder, the other entries
 * appended again in their order, and read back.  First the office cache
 * must hold every entry that stays (a rewrite cut short is then put right
 * with restore) and forgets the deleted one.  Caller holds r->lock.
 */
static int delete_entry(struct desk_reader *r, struct lm_cache *cache, const uint8_t id[32],
			int *kept_out, int *touched)
{
	int err = lm_transport_identify(r->t, &r->info);
	uint8_t *img = err ? NULL : malloc(2 * (size_t)r->info.capacity);
	if (!err && !img)
		err = LM_ERR_NOMEM;
	size_t len = 0;
	struct lm_card card;
	if (!err)
		err = lm_transport_read_image(r->t, &r->info, img, &len, &card);
	/* Find the entry: its span [from, to) in the log, padding included. */
	size_t off = 0, from = 0, to = 0, elen;
	const uint8_t *e;
	int found = 0, kept = 0, in_tx = 0;
	int64_t now = (int64_t)time(NULL);
	if (!err)
		err = lm_cache_begin(cache);
	in_tx = !err;
	while (!err && lm_card_next(&card, &off, &e, &elen) == LM_OK) {
		uint8_t eid[32];
		err = lm_sha256(e, elen, eid);
		if (!err && !found && !memcmp(eid, id, 32)) {
			found = 1;
			from = (size_t)(e - card.log);
			to = off;
			err = lm_cache_delete_entry(cache, card.holder, id);
			if (err == LM_ERR_NOT_FOUND)
				err = LM_OK; /* never cached here: nothing to forget */
			continue;
		}
		/* Every entry that stays must be one we can cache and write again:
		 * otherwise nothing is touched. */
		struct lm_cose cs;
		struct lm_entry en;
		if (!err)
			err = lm_entry_decode(e, elen, &cs, &en);
		if (!err)
			err = lm_cache_put_entry(cache, card.holder, e, elen, en.type,
						 en.v[LM_F_DATE].num, now);
		kept += !err;
	}
	if (!err && off != card.committed)
		err = LM_ERR_MALFORMED; /* damaged framing: a rewrite would lose the rest */
	if (!err && !found)
		err = LM_ERR_NOT_FOUND;
	if (!err)
		err = lm_cache_commit(cache);
	else if (in_tx)
		lm_cache_rollback(cache);
	/* The rewrite; the expected log is the old one without [from, to). */
	uint8_t holder[LM_HOLDER_LEN];
	if (!err) {
		memcpy(holder, card.holder, LM_HOLDER_LEN);
		*touched = 1;
		err = lm_transport_wipe(r->t);
	}
	if (!err)
		err = lm_transport_format(r->t, &r->info, holder);
	for (off = 0; !err && lm_card_next(&card, &off, &e, &elen) == LM_OK;)
		if ((size_t)(e - card.log) != from)
			err = lm_transport_append(r->t, &r->info, e, elen);
	if (!err) {
		size_t want = (size_t)card.committed - (to - from), nlen = 0;
		uint8_t *now_img = img + r->info.capacity;
		struct lm_card now_card;
		err = lm_transport_read_image(r->t, &r->info, now_img, &nlen, &now_card);
		if (!err && (now_card.committed != want || memcmp(now_card.log, card.log, from) ||
			     memcmp(now_card.log + from, card.log + to, want - from)))
			err = LM_ERR_READBACK;
	}
	free(img);
	*kept_out = kept;
	return err;
}

MHD_RESULT api_delete(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	struct desk *d = a->d;
	json_object *body = json_object_get(rq->json);
	uint8_t id[32];
	if (!body || !json_object_is_type(body, json_type_object) ||
	    lm_hex_decode(jstr(body, "id"), id, 32)) {
		json_object_put(body);
		return send_error(c, 400, "bad_value", "give the entry's id (64 hex digits)");
	}
	struct desk_reader *r = body_reader(d, body);
	json_object_put(body);
	if (!r)
		return send_error(c, 404, "no_reader", "no such reader");
	struct lm_cache *cache;
	int err = lm_cache_open(d->cfg.database, &cache);
	if (err)
		return send_error(c, 503, lm_errname(err),
				  "deleting needs the office cache: a rewrite cut short must be "
				  "restorable");
	int kept = 0, touched = 0;
	pthread_mutex_lock(&r->lock);
	if (!r->t || strcmp(r->state, "card") || !r->have_holder)
		err = LM_ERR_NO_CARD;
	else
		err = delete_entry(r, cache, id, &kept, &touched);
	char hh[2 * LM_HOLDER_LEN + 1];
	lm_hex_encode(r->holder, LM_HOLDER_LEN, hh);
	if (touched) {
		int rerr = reader_refresh(d, r, cache); /* the page shows what is there now */
		if (rerr)
			log_msg(LOG_WARN, "%s: read after the delete failed: %s", r->spec,
				lm_strerror(rerr));
		desk_reader_event(d, "written", r->spec);
	}
	pthread_mutex_unlock(&r->lock);
	lm_cache_close(cache);
	char idh[65];
	lm_hex_encode(id, 32, idh);
	if (err == LM_ERR_NOT_FOUND)
		return send_error(c, 404, "not_found", "the card holds no such entry");
	if (err && touched) {
		log_msg(LOG_WARN, "%s: deleting entry %.12s... failed: %s", r->spec, idh,
			lm_strerror(err));
		/* Cut short after the wipe: the cache holds every entry that stays. */
		char msg[256];
		snprintf(msg, sizeof(msg),
			 "%s: put the card back and restore it (POST /api/holders/%s/restore)",
			 lm_strerror(err), hh);
		json_object *o = error_json(lm_errname(err), msg);
		json_object_object_add(o, "restore", json_object_new_string(hh));
		return send_json(c, err == LM_ERR_CARD_REMOVED ? 503 : 500, o);
	}
	if (err)
		return send_lm_error(c, err);
	log_msg(LOG_INFO, "%s: entry %.12s... deleted at the holder's request; %d kept", r->spec,
		idh, kept);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "deleted", json_object_new_string(idh));
	json_object_object_add(o, "kept", json_object_new_int(kept));
	return send_json(c, 200, o);
}
