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
#include "laufmappe/lm_protect.h"
#include "laufmappe/lm_util.h"
#include "log.h"
#include "request.h"
#include "vault.h"

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
	if (r->state == DESK_READER_LOCKED) {
		pthread_mutex_unlock(&r->lock);
		return send_error(c, 409, "locked",
				  "the card is protected: unlock it with its access code first");
	}
	if (!r->t || r->state != DESK_READER_CARD || !r->have_holder) {
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
	/* A protected card unlocked here: authenticated again for the new
	 * session identify may have begun, and the entry goes on encrypted. */
	int tries;
	if (!err && r->have_keys)
		err = lm_protect_authenticate(r->t, &r->info, &r->keys, &tries);
	if (!err)
		err = r->have_keys ? lm_protect_append(r->t, &r->info, &r->keys, signed_entry, len)
				   : lm_transport_append(r->t, &r->info, signed_entry, len);
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
	struct desk_check *res = malloc(sizeof(*res));
	json_object *o = json_object_new_object();
	uint8_t id[32];
	char idh[65];
	lm_sha256(signed_entry, len, id);
	lm_hex_encode(id, 32, idh);
	json_object_object_add(o, "id", json_object_new_string(idh));
	if (res)
		json_object_object_add(
			o, "entry",
			desk_verified_json(d, cache, r->holder, signed_entry, len, res));
	free(res);
	desk_audit(d, cache, rq->actor, "append", r->spec, r->holder, id, NULL);
	lm_cache_close(cache);
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
	struct desk_check *res = malloc(sizeof(*res));
	err = res ? lm_cache_begin(cache) : LM_ERR_NOMEM;
	for (size_t i = 0; !err && i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		uint8_t holder[LM_HOLDER_LEN], b[LM_ENTRY_MAX];
		const char *hh = json_object_get_string(json_object_object_get(o, "holder"));
		long n = request_b64_decode(jstr(o, "signed"), b, sizeof(b));
		if (!hh || lm_hex_decode(hh, holder, LM_HOLDER_LEN) || n <= 0) {
			rejected++;
			continue;
		}
		/* Only what verifies now is imported; what could not be checked
		 * (no memory, a crypto failure) is not, and is not cached either. */
		if (desk_verify(a->d, cache, holder, b, (size_t)n, 0, res) ||
		    res->res.verdict != LM_VALID) {
			rejected++;
			continue;
		}
		err = lm_cache_put_entry(cache, holder, res->res.id, b, (size_t)n,
					 res->res.entry.type, res->res.entry.v[LM_F_DATE].num,
					 (int64_t)time(NULL), NULL);
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
	skipped = imported - (int)(after - before); /* already in the cache */
	imported -= skipped;
	char detail[96];
	snprintf(detail, sizeof(detail), "%d imported, %d skipped, %d rejected", imported, skipped,
		 rejected);
	desk_audit(a->d, cache, rq->actor, "import", NULL, NULL, NULL, detail);
	lm_cache_close(cache);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "imported", json_object_new_int(imported));
	json_object_object_add(o, "skipped", json_object_new_int(skipped));
	json_object_object_add(o, "rejected", json_object_new_int(rejected));
	return send_json(c, 200, o);
}

/*
 * The access code's (and a recovery line's) text in the request: the body
 * as it came and the strings json-c made of it are overwritten as soon as
 * they are parsed.  (Copies that libmicrohttpd and json-c's tokener made
 * and freed are out of our reach; none of them is logged, stored or sent
 * anywhere.)
 */
static void wipe_code_text(struct request *rq)
{
	request_wipe(rq, "code");
	request_wipe(rq, "recovery");
}

/*
 * Open the protected card that this desk just wrote with code (a protect
 * or a protected restore): identify, derive its keys from the new public
 * header (one PBKDF2 run), keep them with the reader as an unlock does, and
 * read it as a tap, so the page shows the folder while the holder is here.
 * Caller holds r->lock.
 */
static int reader_open_code(struct desk *d, struct desk_reader *r, const char *canon,
			    struct lm_cache *cache)
{
	reader_forget_keys(r);
	int err = lm_transport_identify(r->t, &r->info);
	if (!err && r->info.protection == LM_PROT_NONE)
		err = LM_ERR_VERSION;
	if (!err)
		err = lm_protect_derive(canon, r->info.header.salt, r->info.header.iterations,
					&r->keys);
	if (!err) {
		r->have_keys = 1;
		r->protected_card = 1;
		r->prot = r->info.header;
		err = reader_refresh(d, r, cache);
	}
	if (err)
		reader_forget_keys(r);
	return err;
}

/* The holder's entries that verify now, copied for a restore (the bytes
 * one after another; no more than the largest image can hold), from the
 * cache and the vault, each once. */
struct folder_copy {
	struct desk *d;
	struct lm_cache *cache;
	const uint8_t *holder;
	struct desk_check chk;
	uint8_t bytes[LM_CARD_MAX];
	size_t used, n;
	struct lm_card_entry list[LM_CARD_MAX / 8]; /* entries are longer than 8 bytes */
	uint8_t ids[LM_CARD_MAX / 8][32];
	int from_vault, rejected;
};

static int copy_valid(void *ctx, const uint8_t holder[LM_HOLDER_LEN], const uint8_t *b, size_t len)
{
	struct folder_copy *f = ctx;
	uint8_t id[32];
	int err = lm_sha256(b, len, id);
	if (err)
		return err;
	for (size_t i = 0; i < f->n; i++)
		if (!memcmp(f->ids[i], id, 32))
			return 0; /* in the cache and in the vault: once */
	if (desk_verify(f->d, f->cache, holder, b, len, 0, &f->chk) ||
	    f->chk.res.verdict != LM_VALID) {
		f->rejected++;
		return 0; /* only verified entries go onto a card */
	}
	if (len > sizeof(f->bytes) - f->used || f->n == sizeof(f->list) / sizeof(f->list[0]))
		return LM_ERR_CARD_FULL; /* more than any card holds */
	memcpy(f->bytes + f->used, b, len);
	memcpy(f->ids[f->n], id, 32);
	f->list[f->n] = (struct lm_card_entry){f->bytes + f->used, len};
	f->used += len;
	f->n++;
	return 0;
}

/* An entry opened from the vault: checked against this holder as any other. */
static int copy_from_vault(void *ctx, const uint8_t *b, size_t len)
{
	struct folder_copy *f = ctx;
	size_t n = f->n;
	int err = copy_valid(f, f->holder, b, len);
	if (!err && f->n > n)
		f->from_vault++;
	return err;
}

/* A folder copy holding the holder's valid cached entries (none without
 * a cache); NULL with *err on failure. */
static struct folder_copy *folder_from_cache(struct desk *d, struct lm_cache *cache,
					     const uint8_t holder[LM_HOLDER_LEN], int *err)
{
	struct folder_copy *f = calloc(1, sizeof(*f));
	*err = f ? LM_OK : LM_ERR_NOMEM;
	if (!f)
		return NULL;
	f->d = d;
	f->cache = cache;
	f->holder = holder;
	if (cache)
		*err = lm_cache_each_entry(cache, holder, copy_valid, f);
	return f;
}

/*
 * POST /api/holders/HEX/restore {"reader"?, "recovery": "LMR1:..."}: the
 * folder of a protected card from this office's cache and the vault
 * (opened with the key from the recovery line) onto a blank card, as a
 * protected card with the same holder id and recovery secret and a new
 * access code, answered once.  The recovery line and the code are wiped
 * after use; the office keeps neither.
 */
static MHD_RESULT restore_recovery(struct api *a, struct MHD_Connection *c, struct request *rq,
				   const uint8_t holder[LM_HOLDER_LEN], struct desk_reader *r,
				   const char *line)
{
	struct desk *d = a->d;
	uint8_t rholder[LM_HOLDER_LEN], secret[LM_RECOVERY_LEN];
	int err = lm_protect_recovery_parse(line, rholder, secret);
	request_wipe(rq, "recovery");
	if (err)
		return send_error(
			c, 400, "bad_value",
			"the recovery line is LMR1:HOLDER:SECRET, as on the holder's copy");
	if (memcmp(rholder, holder, LM_HOLDER_LEN)) {
		lm_protect_wipe(secret, sizeof(secret));
		return send_error(c, 400, "bad_value", "the recovery line is another holder's");
	}
	if (!desk_role_sees_all(d)) {
		lm_protect_wipe(secret, sizeof(secret));
		return send_error(c, 403, "forbidden",
				  "restoring a folder is for terminals whose role sees all of it");
	}
	struct lm_cache *cache = NULL;
	if (lm_cache_open(d->cfg.database, &cache) != LM_OK)
		cache = NULL; /* the vault alone may still have the folder */
	struct folder_copy *f = folder_from_cache(d, cache, holder, &err);
	const char *vault = d->cfg.vault[0] ? "ok" : "none";
	int bad = 0;
	if (!err && d->cfg.vault[0]) {
		int verr = vault_fetch_holder(d, holder, secret, copy_from_vault, f, &bad);
		if (verr == LM_ERR_CARD_FULL)
			err = verr;
		else if (verr) {
			/* The cache's part still goes onto the card; the answer says so. */
			vault = "unreachable";
			log_msg(LOG_WARN, "restore: the vault: %s (from the cache alone)",
				lm_strerror(verr));
		}
	}
	char code[LM_CODE_TEXT_LEN + 1] = "";
	if (!err)
		err = lm_code_generate(code);
	size_t written = 0;
	pthread_mutex_lock(&r->lock);
	if (!err && !r->t)
		err = LM_ERR_NO_CARD;
	if (!err)
		err = lm_transport_identify(r->t, &r->info);
	if (!err || err == LM_ERR_NOT_FORMATTED) {
		/* A blank card only (no magic): a card that holds a folder is not
		 * written over. */
		uint8_t magic[2];
		err = lm_transport_read(r->t, 0, magic, sizeof(magic));
		if (!err && magic[0] == LM_CARD_MAGIC0 && magic[1] == LM_CARD_MAGIC1)
			err = LM_ERR_VERSION;
	}
	if (!err)
		err = lm_transport_restore_protected(r->t, &r->info, holder, code, secret, f->list,
						     f->n, &written);
	if (!err && r->t->unlocked) {
		/* The new card is open at this desk: it is read (and sealed for
		 * the vault) with the session's keys, as after an unlock. */
		reader_forget_keys(r);
		r->keys = r->t->keys;
		r->have_keys = 1;
		r->protected_card = 1;
		lm_protect_read_header(r->t, &r->prot);
	}
	if (r->t && err != LM_ERR_NO_CARD)
		reader_refresh(d, r, cache); /* the page shows what is there now */
	pthread_mutex_unlock(&r->lock);
	lm_protect_wipe(secret, sizeof(secret));
	int from_vault = f ? f->from_vault : 0, rejected = f ? f->rejected : 0;
	free(f);
	lm_cache_close(cache);
	if (err) {
		lm_protect_wipe(code, sizeof(code));
		if (err == LM_ERR_VERSION)
			return send_error(c, 409, "not_blank",
					  "put a blank card on the reader: a card that holds a "
					  "folder is not written over");
		return send_lm_error(c, err);
	}
	char hh[2 * LM_HOLDER_LEN + 1];
	lm_hex_encode(holder, LM_HOLDER_LEN, hh);
	log_msg(LOG_INFO,
		"%s: %zu entries restored for holder %.8s... (%d from the vault, %d refused, %d "
		"records that did not open)",
		r->spec, written, hh, from_vault, rejected, bad);
	vault_wake(d);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "written", json_object_new_int((int)written));
	json_object_object_add(o, "from_vault", json_object_new_int(from_vault));
	json_object_object_add(o, "rejected", json_object_new_int(rejected + bad));
	json_object_object_add(o, "vault", json_object_new_string(vault));
	json_object_object_add(o, "protected", json_object_new_boolean(1));
	/* Shown once, for the holder's new sticker and copy; kept nowhere. */
	json_object_object_add(o, "access_code", json_object_new_string(code));
	lm_protect_wipe(code, sizeof(code));
	return send_json(c, 200, o);
}

/* Write a holder's cached folder onto a card (lm_transport_restore): a
 * blank one (a new card for a lost one, or a rewrite cut short in its wipe)
 * is formatted for the holder first; one that is the holder's already gets
 * the verified entries it lacks.  Another holder's card is refused.  With
 * the holder's access code and recovery line ({"code", "recovery"}: a
 * protect cut short, docs/api.md) the folder goes on as a protected card
 * (lm_transport_restore_protected), and the desk opens it with the code;
 * with a recovery line alone: restore_recovery (a blank card, the cache
 * and the vault, a new code). */
MHD_RESULT api_restore(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	const char *hex = rq->arg;
	uint8_t holder[LM_HOLDER_LEN], rholder[LM_HOLDER_LEN], secret[LM_RECOVERY_LEN];
	char canon[LM_CODE_LEN + 1] = "";
	json_object *body = json_object_get(rq->json);
	int isobj = body && json_object_is_type(body, json_type_object);
	json_object *jc = isobj ? json_object_object_get(body, "code") : NULL,
		    *jr = isobj ? json_object_object_get(body, "recovery") : NULL;
	struct desk_reader *r = body_reader(a->d, body);
	int err = lm_hex_decode(hex, holder, LM_HOLDER_LEN) ? LM_ERR_ARG : LM_OK;
	if (!err && jr && !jc) {
		/* A recovery line alone: the folder from the cache and the vault. */
		if (!json_object_is_type(jr, json_type_string)) {
			wipe_code_text(rq);
			json_object_put(body);
			return send_error(c, 400, "bad_value",
					  "recovery is a string: LMR1:HOLDER:SECRET");
		}
		if (!r) {
			wipe_code_text(rq);
			json_object_put(body);
			return send_error(c, 404, "no_reader", "no such reader");
		}
		char line[LM_RECOVERY_TEXT_LEN + 64];
		snprintf(line, sizeof(line), "%s", json_object_get_string(jr));
		MHD_RESULT res = restore_recovery(a, c, rq, holder, r, line);
		lm_protect_wipe(line, sizeof(line));
		json_object_put(body);
		return res;
	}
	int prot = jc || jr;
	if (!err && prot && (!jc || !jr))
		err = LM_ERR_MISSING_FIELD;
	if (!err && prot)
		err = lm_code_parse(json_object_get_string(jc), canon);
	if (!err && prot &&
	    lm_protect_recovery_parse(json_object_get_string(jr), rholder, secret) != LM_OK)
		err = LM_ERR_MALFORMED;
	if (!err && prot && memcmp(rholder, holder, LM_HOLDER_LEN))
		err = LM_ERR_HOLDER;
	wipe_code_text(rq);
	json_object_put(body);
	if (err || !r) {
		lm_protect_wipe(canon, sizeof(canon));
		lm_protect_wipe(secret, sizeof(secret));
	}
	switch (err) {
	case LM_OK: break;
	case LM_ERR_ARG: return send_error(c, 400, "bad_value", "a holder id is 32 hex digits");
	case LM_ERR_MISSING_FIELD:
		return send_error(c, 400, "missing_field",
				  "a protected restore needs both the code and the recovery line");
	case LM_ERR_CODE_TYPO:
		return send_error(
			c, 400, "code_typo",
			"the access code has a typo (its check character does not match)");
	case LM_ERR_HOLDER:
		return send_error(c, 400, "holder", "the recovery line is another holder's");
	default:
		return send_error(c, 400, "bad_value",
				  "give the access code (XXXX-XXXX-XXXX) and the recovery line "
				  "(LMR1:HOLDER:SECRET)");
	}
	if (!r)
		return send_error(c, 404, "no_reader", "no such reader");
	struct lm_cache *cache = NULL;
	if ((err = lm_cache_open(a->d->cfg.database, &cache)) != LM_OK)
		cache = NULL;
	struct folder_copy *f = err ? NULL : folder_from_cache(a->d, cache, holder, &err);
	size_t written = 0;
	pthread_mutex_lock(&r->lock);
	if (!err && !r->t)
		err = LM_ERR_NO_CARD;
	if (!err)
		err = lm_transport_identify(r->t, &r->info);
	if ((!err || err == LM_ERR_NOT_FORMATTED) && prot)
		err = lm_transport_restore_protected(r->t, &r->info, holder, canon, secret, f->list,
						     f->n, &written);
	else if (!err || err == LM_ERR_NOT_FORMATTED)
		err = lm_transport_restore(r->t, &r->info, holder, f->list, f->n, &written);
	if (!err && prot)
		err = reader_open_code(a->d, r, canon, cache); /* the page shows the folder */
	else if (err != LM_ERR_HOLDER && err != LM_ERR_NO_CARD && r->t && f)
		reader_refresh(a->d, r, cache); /* the page shows what is there now */
	pthread_mutex_unlock(&r->lock);
	lm_protect_wipe(canon, sizeof(canon));
	lm_protect_wipe(secret, sizeof(secret));
	free(f);
	if (!err) {
		char detail[32];
		snprintf(detail, sizeof(detail), "%zu entries", written);
		desk_audit(a->d, cache, rq->actor, "restore", r->spec, holder, NULL, detail);
	}
	lm_cache_close(cache);
	if (err)
		return send_lm_error(c, err);
	log_msg(LOG_INFO, "%s: %zu entries restored for holder %.8s...%s", r->spec, written, hex,
		prot ? " (protected)" : "");
	json_object *o = json_object_new_object();
	json_object_object_add(o, "written", json_object_new_int((int)written));
	return send_json(c, 200, o);
}

/*
 * Delete one entry from the card on reader r at the holder's request
 * (domain.md, privacy 6), by lm_transport_delete_entry: before the card is
 * touched, the office cache stores every entry that stays and forgets the
 * deleted one, in one transaction (keep_entry), so that a rewrite cut short
 * is put right with restore.
 */
struct delete_ctx {
	struct lm_cache *cache;
	const struct lm_rewrite_result *res; /* res->id: the entry to forget */
	int64_t now;
	int in_tx;
	int forget;    /* 0 for a protect: every entry stays */
	int tombstone; /* a protected card with a vault: other offices learn of it */
};

static int keep_entry(void *ctx, const uint8_t holder[LM_HOLDER_LEN], const uint8_t *e, size_t len)
{
	struct delete_ctx *k = ctx;
	if (!e) {
		/* Every staying entry is in the transaction: forget the deleted
		 * one and make it durable; the wipe follows. */
		int err = k->forget ? lm_cache_delete_entry(k->cache, holder, k->res->id) : LM_OK;
		if (err == LM_ERR_NOT_FOUND)
			err = LM_OK; /* never cached here: nothing to forget */
		/* The vault's copy goes too, and other offices forget theirs. */
		if (!err && k->tombstone)
			err = vault_queue_tombstone(k->cache, holder, k->res->id);
		if (!err)
			err = lm_cache_commit(k->cache);
		k->in_tx = 0;
		return err;
	}
	/* Every entry that stays must be one we can cache and write again:
	 * otherwise nothing is touched. */
	struct lm_verify_result *p = malloc(sizeof(*p));
	int err = p ? lm_trust_prepare(e, len, p) : LM_ERR_NOMEM;
	if (!err && p->verdict == LM_MALFORMED)
		err = p->err;
	if (!err)
		err = lm_cache_put_entry(k->cache, holder, p->id, e, len, p->entry.type,
					 p->entry.v[LM_F_DATE].num, k->now, NULL);
	free(p);
	return err;
}

/* Deleting and protecting rewrite the card: without a working office cache
 * a rewrite cut short could not be put right, so neither starts. */
static MHD_RESULT cache_needed(struct MHD_Connection *c, int err, const char *what)
{
	char msg[160];
	snprintf(msg, sizeof(msg),
		 "%s needs the office cache: a rewrite cut short must be restorable", what);
	return send_error(c, 503, lm_errname(err), msg);
}

/* After a rewrite touched the card: the page shows what is there now. */
static void rewrite_refresh(struct desk *d, struct desk_reader *r, struct lm_cache *cache,
			    const char *what)
{
	int rerr = reader_refresh(d, r, cache);
	if (rerr)
		log_msg(LOG_WARN, "%s: read after the %s failed: %s", r->spec, what,
			lm_strerror(rerr));
	desk_reader_event(d, "written", r->spec);
}

/* The answer to a rewrite cut short after its wipe: what happened, and the
 * holder whose folder the restore route puts back (the cache holds it). */
static json_object *rewrite_cut_json(int err, const char *holder_hex, unsigned *status)
{
	char msg[256];
	snprintf(msg, sizeof(msg),
		 "%s: put the card back and restore it (POST /api/holders/%s/restore)",
		 lm_strerror(err), holder_hex);
	json_object *o = error_json(lm_errname(err), msg);
	json_object_object_add(o, "restore", json_object_new_string(holder_hex));
	*status = err == LM_ERR_CARD_REMOVED ? 503 : 500;
	return o;
}
static MHD_RESULT wrong_code(struct MHD_Connection *c, int tries_left);

MHD_RESULT api_delete(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	struct desk *d = a->d;
	json_object *body = json_object_get(rq->json);
	uint8_t id[32];
	if (!body || !json_object_is_type(body, json_type_object) ||
	    lm_hex_decode(jstr(body, "id"), id, 32)) {
		json_object_put(body);
		wipe_code_text(rq);
		return send_error(c, 400, "bad_value", "give the entry's id (64 hex digits)");
	}
	struct desk_reader *r = body_reader(d, body);
	/* A protected card is rewritten under a new salt with its access code
	 * (the keys the desk holds cannot format it anew). */
	char canon[LM_CODE_LEN + 1] = "";
	json_object *jc = json_object_object_get(body, "code");
	int cerr = jc ? LM_ERR_BAD_VALUE : LM_ERR_MISSING_FIELD;
	if (jc && json_object_is_type(jc, json_type_string))
		cerr = lm_code_parse(json_object_get_string(jc), canon);
	wipe_code_text(rq);
	json_object_put(body);
	if (jc && cerr) {
		lm_protect_wipe(canon, sizeof(canon));
		return send_error(c, 400, cerr == LM_ERR_CODE_TYPO ? "code_typo" : "bad_value",
				  "the access code is as on the card: XXXX-XXXX-XXXX");
	}
	if (!r)
		return send_error(c, 404, "no_reader", "no such reader");
	struct lm_cache *cache;
	int err = lm_cache_open(d->cfg.database, &cache);
	if (err)
		return cache_needed(c, err, "deleting");
	struct lm_rewrite_result res = {0};
	struct delete_ctx k = {cache, &res, (int64_t)time(NULL), 0, 1, 0};
	pthread_mutex_lock(&r->lock);
	int prot = r->protected_card, tries = -1;
	if (!r->t || r->state != DESK_READER_CARD || !r->have_holder)
		err = r->state == DESK_READER_LOCKED ? LM_ERR_VERSION : LM_ERR_NO_CARD;
	else if (prot && !canon[0])
		err = LM_ERR_VERSION; /* a protected card: only with its access code */
	if (!err)
		err = lm_transport_identify(r->t, &r->info);
	if (!err && prot)
		err = lm_transport_unlock_code(r->t, &r->info, canon, &tries);
	lm_protect_wipe(canon, sizeof(canon));
	k.tombstone = prot && d->cfg.vault[0];
	if (!err && !(err = lm_cache_begin(cache)))
		k.in_tx = 1;
	if (!err)
		err = lm_transport_delete_entry(r->t, &r->info, id, 32, keep_entry, &k, &res);
	if (k.in_tx)
		lm_cache_rollback(cache);
	char hh[2 * LM_HOLDER_LEN + 1];
	uint8_t holder[LM_HOLDER_LEN];
	memcpy(holder, r->holder, LM_HOLDER_LEN);
	lm_hex_encode(r->holder, LM_HOLDER_LEN, hh);
	if (prot && r->t && r->t->unlocked) {
		/* Rewritten under a new salt: the desk reads it with the new keys. */
		lm_protect_keys_wipe(&r->keys);
		r->keys = r->t->keys;
		r->have_keys = 1;
		lm_protect_read_header(r->t, &r->prot);
	}
	if (res.touched) {
		desk_audit(d, cache, rq->actor, "delete", r->spec, holder, id,
			   err ? "cut short: restore" : NULL);
		rewrite_refresh(d, r, cache, "delete");
	}
	pthread_mutex_unlock(&r->lock);
	lm_cache_close(cache);
	char idh[65];
	lm_hex_encode(id, 32, idh);
	if (err == LM_ERR_NOT_FOUND)
		return send_error(c, 404, "not_found", "the card holds no such entry");
	if (err == LM_ERR_WRONG_CODE)
		return wrong_code(c, tries);
	if (!err && k.tombstone)
		vault_wake(d);
	if (err && res.touched) {
		log_msg(LOG_WARN, "%s: deleting entry %.12s... failed: %s", r->spec, idh,
			lm_strerror(err));
		/* Cut short after the wipe: the cache holds every entry that stays. */
		unsigned status;
		json_object *o = rewrite_cut_json(err, hh, &status);
		return send_json(c, status, o);
	}
	if (err)
		return send_lm_error(c, err);
	log_msg(LOG_INFO, "%s: entry %.12s... deleted at the holder's request; %zu kept", r->spec,
		idh, res.kept);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "deleted", json_object_new_string(idh));
	json_object_object_add(o, "kept", json_object_new_int((int)res.kept));
	return send_json(c, 200, o);
}

static MHD_RESULT wrong_code(struct MHD_Connection *c, int tries_left)
{
	json_object *o = error_json("wrong_code",
				    tries_left >= 0 ? "wrong access code: the card counts the tries"
						    : "wrong access code");
	json_object_object_add(json_object_object_get(o, "error"), "tries_left",
			       tries_left >= 0 ? json_object_new_int(tries_left) : NULL);
	json_object_object_add(o, "tries_left",
			       tries_left >= 0 ? json_object_new_int(tries_left) : NULL);
	return send_json(c, 403, o);
}

/*
 * POST /api/card/unlock {"reader"?, "code"}: open the protected card on
 * the reader with the holder's access code (docs/api.md).  The code is
 * parsed (a typo is caught by its check character before any slow work),
 * the keys derived with the reader unlocked (about 100 ms), the code wiped
 * at once; the keys are checked against the card's public header (a wrong
 * code never reaches the card), then the card is asked to accept them
 * (lm_protect_authenticate: the NTAG's or applet's own try counter); then
 * the card is read as any tap, and the keys stay with the reader until the
 * card leaves (reader_forget_keys).
 */
MHD_RESULT api_unlock(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	struct desk *d = a->d;
	json_object *body = rq->json;
	char canon[LM_CODE_LEN + 1] = "";
	int err = LM_ERR_MISSING_FIELD;
	json_object *jc = NULL;
	if (body && json_object_is_type(body, json_type_object))
		jc = json_object_object_get(body, "code");
	if (jc && json_object_is_type(jc, json_type_string))
		err = lm_code_parse(json_object_get_string(jc), canon);
	struct desk_reader *r = body && json_object_is_type(body, json_type_object)
					? body_reader(d, body)
					: pick_reader(d, NULL);
	request_wipe(rq, "code");
	if (err == LM_ERR_CODE_TYPO)
		return send_error(
			c, 400, "code_typo",
			"the access code has a typo (its check character does not match): "
			"compare it with the card");
	if (err) {
		lm_protect_wipe(canon, sizeof(canon));
		return send_error(c, 400, "bad_value",
				  "give the access code as on the card: 12 letters and digits, "
				  "XXXX-XXXX-XXXX");
	}
	if (!r) {
		lm_protect_wipe(canon, sizeof(canon));
		return send_error(c, 404, "no_reader", "no such reader");
	}
	pthread_mutex_lock(&r->lock);
	int state = r->state;
	/* A protected card opened already (by this code a moment ago: a double
	 * click that came late) is answered like the first: its code is checked. */
	int open_protected = state == DESK_READER_CARD && r->protected_card && r->have_keys;
	struct lm_protect_header h = r->prot;
	pthread_mutex_unlock(&r->lock);
	if (state != DESK_READER_LOCKED && !open_protected) {
		lm_protect_wipe(canon, sizeof(canon));
		if (state == DESK_READER_CARD)
			return send_error(c, 409, "not_locked",
					  "the card on the reader is open: no code needed");
		return send_error(c, 503, "no_card", "no card on the reader: put the card on it");
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* The slow part, without the reader's lock: the reader thread still
	 * sees the card leave meanwhile. */
	struct lm_protect_keys k;
	err = lm_protect_derive(canon, h.salt, h.iterations, &k);
	lm_protect_wipe(canon, sizeof(canon));
	if (!err)
		err = lm_protect_check(&h, &k);
	if (err) {
		lm_protect_keys_wipe(&k);
		pthread_mutex_lock(&r->lock);
		int tries = r->tries_left;
		pthread_mutex_unlock(&r->lock);
		if (err == LM_ERR_WRONG_CODE) {
			log_msg(LOG_INFO, "%s: a wrong access code (refused by the key check)",
				r->spec);
			return wrong_code(c, tries);
		}
		return send_lm_error(c, err);
	}
	struct lm_cache *cache = NULL;
	if (lm_cache_open(d->cfg.database, &cache) != LM_OK)
		cache = NULL;
	int tries = -1;
	json_object *view = NULL;
	pthread_mutex_lock(&r->lock);
	/* Still the same card, still locked?  Or opened meanwhile by another
	 * request with this code (a double click): answered alike. */
	int same = r->t && r->protected_card && !memcmp(r->prot.salt, h.salt, sizeof(h.salt));
	int opened = same && r->state == DESK_READER_CARD && r->have_keys;
	if (!opened && (!same || r->state != DESK_READER_LOCKED))
		err = LM_ERR_CARD_REMOVED;
	if (!err && !opened)
		err = lm_protect_authenticate(r->t, &r->info, &k, &tries);
	if (err == LM_ERR_WRONG_CODE || err == LM_ERR_BLOCKED) {
		r->tries_left = err == LM_ERR_BLOCKED ? 0 : tries;
		if (r->card)
			json_object_object_add(
				r->card, "tries_left",
				r->tries_left >= 0 ? json_object_new_int(r->tries_left) : NULL);
	}
	if (!err && !opened) {
		r->keys = k;
		r->have_keys = 1;
		r->tries_left = -1;
		err = reader_refresh(d, r, cache);
		if (err) {
			/* Still locked: the keys go. */
			lm_protect_keys_wipe(&r->keys);
			r->have_keys = 0;
		}
	}
	lm_protect_keys_wipe(&k);
	if (!err && !opened)
		desk_audit(d, cache, rq->actor, "unlock", r->spec,
			   r->have_holder ? r->holder : NULL, NULL, NULL);
	if (!err) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (!opened)
			reader_tap_event(d, r, ms);
		view = desk_role_view(d, r->card);
	}
	pthread_mutex_unlock(&r->lock);
	lm_cache_close(cache);
	if (err == LM_ERR_WRONG_CODE) {
		log_msg(LOG_INFO, "%s: a wrong access code (refused by the card)", r->spec);
		return wrong_code(c, tries);
	}
	if (err == LM_ERR_BLOCKED) {
		log_msg(LOG_WARN, "%s: the card is blocked after too many wrong codes", r->spec);
		return send_error(c, 423, "blocked",
				  "the card is blocked after too many wrong codes: restore the "
				  "folder onto a new card");
	}
	if (err == LM_ERR_CARD_REMOVED)
		return send_error(c, 503, "card_removed",
				  "the card left the reader (or another came): tap again");
	if (err) {
		log_msg(LOG_WARN, "%s: unlocking failed: %s", r->spec, lm_strerror(err));
		return send_lm_error(c, err);
	}
	return send_json(c, 200, view);
}

/*
 * POST /api/card/protect {"reader"?}: rewrite the version 1 card on the
 * reader as a protected one (format version 2) with the holder present
 * (lm_transport_protect).  A new access code and recovery secret are made
 * here; before the card is touched the office cache stores every entry (as
 * for a delete, in one transaction), so that a rewrite cut short is put
 * right by the restore route with the code and the recovery line, which
 * the answer carries, once: 200 {"code", "recovery", "kept"}, or cut short
 * after the wipe {"error", "restore": HOLDER, "code", "recovery"}.  Neither
 * is logged, cached or kept here; the reader keeps only the keys, as after
 * an unlock, while the card lies on it.
 */
MHD_RESULT api_protect(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	struct desk *d = a->d;
	json_object *body = json_object_get(rq->json);
	struct desk_reader *r = body_reader(d, body);
	json_object_put(body);
	if (!r)
		return send_error(c, 404, "no_reader", "no such reader");
	struct lm_cache *cache;
	int err = lm_cache_open(d->cfg.database, &cache);
	if (err)
		return cache_needed(c, err, "protecting");
	char code[LM_CODE_TEXT_LEN + 1] = "", canon[LM_CODE_LEN + 1] = "";
	char line[LM_RECOVERY_TEXT_LEN + 1] = "";
	uint8_t recovery[LM_RECOVERY_LEN];
	uint32_t iterations = 0;
	/* The slow part first, without the reader's lock. */
	err = lm_code_generate(code);
	if (!err)
		err = lm_code_parse(code, canon);
	if (!err)
		err = lm_random(recovery, sizeof(recovery));
	if (!err)
		err = lm_protect_calibrate(100, &iterations);
	struct lm_rewrite_result res = {0};
	struct delete_ctx k = {cache, &res, (int64_t)time(NULL), 0, 0, 0};
	pthread_mutex_lock(&r->lock);
	if (!err && (!r->t || r->state != DESK_READER_CARD || !r->have_holder))
		err = r->state == DESK_READER_LOCKED ? LM_ERR_VERSION : LM_ERR_NO_CARD;
	else if (!err && r->protected_card)
		err = LM_ERR_VERSION; /* protected already */
	if (!err)
		err = lm_transport_identify(r->t, &r->info);
	if (!err && !(err = lm_cache_begin(cache)))
		k.in_tx = 1;
	if (!err)
		err = lm_transport_protect(r->t, &r->info, canon, recovery, iterations, keep_entry,
					   &k, &res);
	if (k.in_tx)
		lm_cache_rollback(cache);
	if (res.touched || !err)
		lm_protect_recovery_text(res.holder, recovery, line);
	if (!err) {
		int rerr = reader_open_code(d, r, canon, cache);
		if (rerr)
			log_msg(LOG_WARN, "%s: protected, but the new read failed: %s", r->spec,
				lm_strerror(rerr));
		desk_reader_event(d, "written", r->spec);
	} else if (res.touched) {
		rewrite_refresh(d, r, cache, "protect");
	}
	if (res.touched || !err)
		desk_audit(d, cache, rq->actor, "protect", r->spec, res.holder, NULL,
			   err ? "cut short: restore" : NULL);
	pthread_mutex_unlock(&r->lock);
	lm_cache_close(cache);
	lm_protect_wipe(canon, sizeof(canon));
	lm_protect_wipe(recovery, sizeof(recovery));
	json_object *o = NULL;
	unsigned status = 200;
	if (err == LM_ERR_VERSION) {
		status = 409;
		o = error_json("protected", "the card is protected already: nothing was written");
	} else if (err && res.touched) {
		log_msg(LOG_WARN, "%s: protecting the card failed: %s", r->spec, lm_strerror(err));
		/* Cut short after the wipe: the cache holds every entry; the
		 * code and the recovery line (below) may already be the card's,
		 * and the restore needs them. */
		char hh[2 * LM_HOLDER_LEN + 1];
		lm_hex_encode(res.holder, LM_HOLDER_LEN, hh);
		o = rewrite_cut_json(err, hh, &status);
	} else if (err) {
		lm_protect_wipe(code, sizeof(code));
		return send_lm_error(c, err);
	} else {
		log_msg(LOG_INFO, "%s: card protected at the holder's request; %zu entries kept",
			r->spec, res.kept);
		o = json_object_new_object();
		json_object_object_add(o, "kept", json_object_new_int((int)res.kept));
	}
	if (line[0]) {
		json_object_object_add(o, "code", json_object_new_string(code));
		json_object_object_add(o, "recovery", json_object_new_string(line));
	}
	lm_protect_wipe(code, sizeof(code));
	lm_protect_wipe(line, sizeof(line));
	return send_json(c, status, o);
}
