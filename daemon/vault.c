/*
 * vault.c - the office's side of the folder vault (vault.h, docs/vault.md).
 *
 * The outbox is drained by one thread: it copies up to VAULT_BATCH due
 * rows out of the cache, pushes each (a record, or a tombstone) and deletes
 * a row only after the vault said yes; a crash between the two pushes the
 * row again, which the vault takes as a refresh (lm_vault_push is
 * idempotent).  A connection that fails is closed and tried again after an
 * exponential backoff (1 s doubling to VAULT_BACKOFF_MAX); a row the vault
 * refuses for itself waits its own backoff.  Every vault_sync_s the thread
 * asks for the tombstones of the holders this office sealed records for
 * (the cursor in the cache's meta table), forgets those entries, and asks
 * for a newer trust list, which is offered exactly as a SIGHUP offers the
 * configured file (desk_offer_trust: root key, rollback and swap guard).
 */
#include "vault.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "desk.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_key.h"
#include "laufmappe/lm_util.h"
#include "laufmappe/lm_vault.h"
#include "log.h"

#define VAULT_BATCH	  32
#define VAULT_BACKOFF_MAX 60	  /* seconds between attempts to reach a dead vault */
#define VAULT_REFRESH	  2592000 /* 30 days: sealed again at a tap, for the retention */
#define VAULT_META_CURSOR "vault_tombstones"

int vault_queue_tombstone(struct lm_cache *cache, const uint8_t holder[LM_HOLDER_LEN],
			  const uint8_t id[32])
{
	uint8_t tag[LM_VAULT_TAG_LEN], ref[LM_VAULT_REF_LEN];
	int err = lm_vault_tag(holder, tag);
	if (!err)
		err = lm_vault_ref(id, ref);
	if (!err)
		err = lm_cache_outbox_put(cache, tag, ref, NULL, 0);
	return err;
}

struct seal_ctx {
	struct lm_cache *cache;
	struct lm_vault_key key;
	uint8_t tag[LM_VAULT_TAG_LEN];
	int n;
};

static int seal_one(void *ctx, const uint8_t holder[LM_HOLDER_LEN], const uint8_t *b, size_t len)
{
	(void)holder;
	struct seal_ctx *s = ctx;
	uint8_t id[32], ref[LM_VAULT_REF_LEN], sealed[LM_VAULT_SEALED_MAX];
	size_t slen;
	int err = lm_sha256(b, len, id);
	if (!err)
		err = lm_vault_ref(id, ref);
	if (!err)
		err = lm_vault_seal(&s->key, s->tag, ref, b, len, sealed, sizeof(sealed), &slen);
	if (!err)
		err = lm_cache_outbox_put(s->cache, s->tag, ref, sealed, slen);
	if (!err)
		s->n++;
	return err;
}

int vault_queue_holder(struct desk *d, struct lm_cache *cache, const uint8_t holder[LM_HOLDER_LEN],
		       const uint8_t recovery[LM_RECOVERY_LEN], int64_t now, int *queued)
{
	(void)d;
	struct seal_ctx *s = calloc(1, sizeof(*s));
	if (!s)
		return LM_ERR_NOMEM;
	s->cache = cache;
	int err = lm_vault_tag(holder, s->tag);
	if (!err)
		err = lm_vault_key(holder, recovery, &s->key);
	if (!err)
		err = lm_cache_vault_pending(cache, holder, now - VAULT_REFRESH, now, seal_one, s);
	lm_vault_key_wipe(&s->key);
	if (queued)
		*queued = err ? 0 : s->n;
	free(s);
	return err;
}

json_object *vault_status_json(struct desk *d, struct lm_cache *cache)
{
	if (!d->cfg.vault[0])
		return NULL;
	struct desk_vault *v = &d->vault;
	json_object *o = json_object_new_object();
	pthread_mutex_lock(&v->lock);
	json_object_object_add(o, "reachable", json_object_new_boolean(v->reachable));
	json_object_object_add(o, "error",
			       v->err ? json_object_new_string(lm_errname(v->err)) : NULL);
	json_object_object_add(o, "last_contact",
			       v->last_contact ? json_object_new_int64(v->last_contact) : NULL);
	json_object_object_add(o, "last_sync",
			       v->last_sync ? json_object_new_int64(v->last_sync) : NULL);
	json_object_object_add(o, "pushed", json_object_new_int64(v->pushed));
	json_object_object_add(o, "tombstones_applied", json_object_new_int64(v->applied));
	json_object_object_add(o, "trust_version",
			       v->trust_version ? json_object_new_int64(v->trust_version) : NULL);
	pthread_mutex_unlock(&v->lock);
	int64_t depth = -1;
	if (!cache || lm_cache_outbox_count(cache, &depth))
		depth = -1;
	json_object_object_add(o, "outbox", depth >= 0 ? json_object_new_int64(depth) : NULL);
	json_object_object_add(o, "sync_s", json_object_new_int64(d->cfg.vault_sync_s));
	return o;
}

#ifndef LM_HAVE_VAULT

int vault_built(void)
{
	return 0;
}

int vault_start(struct desk *d)
{
	if (!d->cfg.vault[0])
		return LM_OK;
	log_msg(LOG_ERR, "vault: this laufmapped was built without the vault client (libpq)");
	return LM_ERR_UNSUPPORTED;
}

void vault_stop(struct desk *d)
{
	(void)d;
}

void vault_wake(struct desk *d)
{
	(void)d;
}

int vault_fetch_holder(struct desk *d, const uint8_t holder[LM_HOLDER_LEN],
		       const uint8_t recovery[LM_RECOVERY_LEN], vault_entry_fn fn, void *ctx,
		       int *bad)
{
	(void)d, (void)holder, (void)recovery, (void)fn, (void)ctx;
	*bad = 0;
	return LM_ERR_UNSUPPORTED;
}

#else

int vault_built(void)
{
	return 1;
}

/* ---- status --------------------------------------------------------------- */

static void set_reachable(struct desk *d, int err)
{
	struct desk_vault *v = &d->vault;
	pthread_mutex_lock(&v->lock);
	int was = v->reachable, why = v->err;
	v->reachable = err == LM_OK;
	v->err = err;
	if (!err)
		v->last_contact = time(NULL);
	pthread_mutex_unlock(&v->lock);
	if (was && err)
		log_msg(LOG_WARN, "vault unreachable: %s; taps and writes go on, the outbox waits",
			lm_strerror(err));
	else if (!was && !err)
		log_msg(LOG_INFO, "vault reachable");
	else if (err && err != why)
		log_msg(LOG_WARN, "vault: %s", lm_strerror(err));
}

/* Errors after which the connection is dropped and made again later. */
static int connection_lost(int err)
{
	return err == LM_ERR_VAULT_DOWN || err == LM_ERR_VAULT_SCHEMA || err == LM_ERR_NOMEM;
}

static int vault_open(struct desk *d, struct lm_vault **out)
{
	return lm_vault_connect(d->cfg.vault,
				d->cfg.vault_password_file[0] ? d->cfg.vault_password_file : NULL,
				(int)d->cfg.vault_timeout_s, out);
}

/* ---- the outbox ------------------------------------------------------------ */

struct row {
	int64_t seq;
	uint8_t tag[LM_VAULT_TAG_LEN], ref[LM_VAULT_REF_LEN];
	uint8_t sealed[LM_VAULT_SEALED_MAX];
	size_t len;
	int tomb, tries;
};

struct batch {
	size_t n;
	struct row rows[VAULT_BATCH];
};

static int copy_row(void *ctx, int64_t seq, const uint8_t tag[LM_CACHE_TAG_LEN],
		    const uint8_t ref[LM_CACHE_TAG_LEN], const uint8_t *sealed, size_t len,
		    int tries)
{
	struct batch *b = ctx;
	struct row *r = &b->rows[b->n];
	if (len > sizeof(r->sealed))
		return LM_OK; /* no seal makes one: left for a look by hand */
	r->seq = seq;
	memcpy(r->tag, tag, LM_VAULT_TAG_LEN);
	memcpy(r->ref, ref, LM_VAULT_REF_LEN);
	r->tomb = sealed == NULL;
	if (sealed)
		memcpy(r->sealed, sealed, len);
	r->len = len;
	r->tries = tries;
	b->n++;
	return LM_OK;
}

/* Push what is due, batch after batch; a lost connection ends the round. */
static int drain(struct desk *d, struct lm_cache *cache, struct lm_vault *v, struct batch *b)
{
	for (;;) {
		b->n = 0;
		int err =
			lm_cache_outbox_each(cache, (int64_t)time(NULL), VAULT_BATCH, copy_row, b);
		if (err) {
			log_msg(LOG_ERR, "vault: the outbox: %s", lm_strerror(err));
			return LM_OK; /* the cache's trouble: the vault is not to blame */
		}
		if (!b->n)
			return LM_OK;
		for (size_t i = 0; i < b->n && !d->stop; i++) {
			struct row *r = &b->rows[i];
			err = r->tomb ? lm_vault_tombstone(v, r->tag, r->ref)
				      : lm_vault_push(v, r->tag, r->ref, r->sealed, r->len);
			if (connection_lost(err))
				return err;
			if (err) {
				/* The vault refuses this row (not the connection): it
				 * waits, doubling, up to an hour; the others go on. */
				int shift = r->tries < 12 ? r->tries : 12;
				int64_t wait = (int64_t)1 << shift;
				log_msg(LOG_WARN, "vault refused a %s (try %d): %s",
					r->tomb ? "tombstone" : "record", r->tries + 1,
					lm_strerror(err));
				/* A cache that cannot take the retry time would hand the
				 * row back at once: the round ends instead. */
				if (lm_cache_outbox_retry(cache, r->seq,
							  (int64_t)time(NULL) +
								  (wait < 3600 ? wait : 3600)))
					return LM_OK;
				continue;
			}
			pthread_mutex_lock(&d->vault.lock);
			d->vault.pushed++;
			d->vault.last_contact = time(NULL);
			pthread_mutex_unlock(&d->vault.lock);
			if ((err = lm_cache_outbox_done(cache, r->seq))) {
				log_msg(LOG_ERR, "vault: the outbox: %s (the row is pushed again)",
					lm_strerror(err));
				return LM_OK; /* not again at once: at the next round */
			}
		}
		if (d->stop)
			return LM_OK;
	}
}

/* ---- tombstones ------------------------------------------------------------ */

struct holders {
	size_t n, cap;
	uint8_t (*holder)[LM_HOLDER_LEN];
	uint8_t (*tag)[LM_VAULT_TAG_LEN];
};

static int add_holder(void *ctx, const uint8_t holder[LM_HOLDER_LEN])
{
	struct holders *h = ctx;
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 64;
		void *a = realloc(h->holder, cap * LM_HOLDER_LEN);
		if (!a)
			return LM_ERR_NOMEM;
		h->holder = a;
		void *t = realloc(h->tag, cap * LM_VAULT_TAG_LEN);
		if (!t)
			return LM_ERR_NOMEM;
		h->tag = t;
		h->cap = cap;
	}
	memcpy(h->holder[h->n], holder, LM_HOLDER_LEN);
	int err = lm_vault_tag(holder, h->tag[h->n]);
	if (!err)
		h->n++;
	return err;
}

struct forget {
	struct desk *d;
	struct lm_cache *cache;
	const struct holders *h;
	const uint8_t *ref; /* the tombstone being applied */
	uint8_t id[32];
	int found;
	int applied;
};

static int match_ref(void *ctx, const uint8_t holder[LM_HOLDER_LEN], const uint8_t *b, size_t len)
{
	(void)holder;
	struct forget *f = ctx;
	uint8_t id[32], ref[LM_VAULT_REF_LEN];
	int err = lm_sha256(b, len, id);
	if (!err)
		err = lm_vault_ref(id, ref);
	if (!err && !memcmp(ref, f->ref, LM_VAULT_REF_LEN)) {
		memcpy(f->id, id, 32);
		f->found = 1;
		return 1; /* stop the walk */
	}
	return err;
}

static int apply_tombstone(void *ctx, const uint8_t tag[LM_VAULT_TAG_LEN],
			   const uint8_t ref[LM_VAULT_REF_LEN])
{
	struct forget *f = ctx;
	for (size_t i = 0; i < f->h->n; i++) {
		if (memcmp(f->h->tag[i], tag, LM_VAULT_TAG_LEN))
			continue;
		f->ref = ref;
		f->found = 0;
		int err = lm_cache_each_entry(f->cache, f->h->holder[i], match_ref, f);
		if (err && err != 1)
			return err;
		if (f->found) {
			err = lm_cache_delete_entry(f->cache, f->h->holder[i], f->id);
			if (err && err != LM_ERR_NOT_FOUND)
				return err;
			char idh[65];
			lm_hex_encode(f->id, 32, idh);
			log_msg(LOG_INFO,
				"vault: entry %.12s... deleted at another office: forgotten", idh);
			f->applied++;
		}
	}
	return LM_OK;
}

/*
 * The tombstones under this office's holders since the cursor: the entries
 * are forgotten and the cursor moved in one cache transaction, so a crash
 * asks again from the old cursor (forgetting twice is harmless).
 */
static int sync_tombstones(struct desk *d, struct lm_cache *cache, struct lm_vault *v)
{
	struct holders h = {0};
	int err = lm_cache_each_vault_holder(cache, add_holder, &h);
	int64_t since = 0, next = 0;
	if (!err && lm_cache_get_meta(cache, VAULT_META_CURSOR, &since) != LM_OK)
		since = 0;
	struct forget f = {d, cache, &h, NULL, {0}, 0, 0};
	int in_tx = 0;
	if (!err && h.n && !(err = lm_cache_begin(cache)))
		in_tx = 1;
	if (!err && h.n) {
		err = lm_vault_tombstones(v, (const uint8_t(*)[LM_VAULT_TAG_LEN])h.tag, h.n, since,
					  &next, apply_tombstone, &f);
		if (!err && next > since)
			err = lm_cache_set_meta(cache, VAULT_META_CURSOR, next);
		if (!err)
			err = lm_cache_commit(cache);
		else
			lm_cache_rollback(cache);
		in_tx = 0;
	}
	if (in_tx)
		lm_cache_rollback(cache);
	free(h.holder);
	free(h.tag);
	if (!err && f.applied) {
		pthread_mutex_lock(&d->vault.lock);
		d->vault.applied += f.applied;
		pthread_mutex_unlock(&d->vault.lock);
	}
	return err;
}

/* ---- trust lists ----------------------------------------------------------- */

/*
 * Ask for a list above the running version less one: a newer list is
 * offered, and so is another list with the running version (two lists
 * with one version: refused as a swap, as a SIGHUP would).  The very same
 * bytes again are nothing new.
 */
/* The vault's retention (set by `laufmappe vault init --retention-days`,
 * matched to cache_days): records no office pushed again for that long,
 * and old tombstones, are forgotten.  Any office may run it; each does on
 * its sync schedule, so the vault forgets even when the city runs no job. */
static int sync_expire(struct lm_vault *v)
{
	int64_t gone = 0;
	int err = lm_vault_expire(v, &gone);
	if (!err && gone)
		log_msg(LOG_INFO, "vault: retention: %lld records and tombstones forgotten",
			(long long)gone);
	return err;
}

static int sync_trust(struct desk *d, struct lm_vault *v)
{
	pthread_rwlock_rdlock(&d->trust_lock);
	uint32_t running = d->trust->version;
	uint8_t hash[32];
	memcpy(hash, d->trust->hash, 32);
	pthread_rwlock_unlock(&d->trust_lock);
	uint8_t *buf = NULL;
	size_t len = 0;
	uint32_t version = 0;
	int err = lm_vault_trust_latest(v, running ? running - 1 : 0, &buf, &len, &version);
	if (err == LM_ERR_NOT_FOUND)
		return LM_OK;
	if (err)
		return err;
	pthread_mutex_lock(&d->vault.lock);
	d->vault.trust_version = version;
	pthread_mutex_unlock(&d->vault.lock);
	uint8_t h[32];
	err = lm_sha256(buf, len, h);
	/* The running list, or one refused here before (said once, not at
	 * every round): nothing to offer. */
	if (!err && memcmp(h, hash, 32) && memcmp(h, d->vault.refused, 32)) {
		log_msg(LOG_INFO, "vault: trust list version %u offered", version);
		int oerr = desk_offer_trust(d, buf, len, "the vault");
		if (oerr && oerr != LM_ERR_IO && oerr != LM_ERR_NOMEM)
			memcpy(d->vault.refused, h, 32); /* this thread's own field */
	}
	free(buf);
	return err;
}

/* ---- the thread ------------------------------------------------------------ */

/* Sleep until stopped, or seconds passed, or (wakeable) a tap queued rows.
 * The backoff after a failure is not wakeable: taps must not turn it into
 * a reconnect per tap, nor double it faster than time passes. */
static void nap(struct desk *d, unsigned seconds, int wakeable)
{
	struct desk_vault *v = &d->vault;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(&v->lock);
	while (!(wakeable && v->wake) && !d->stop)
		if (pthread_cond_timedwait(&v->cond, &v->lock, &until) == ETIMEDOUT)
			break;
	v->wake = 0;
	pthread_mutex_unlock(&v->lock);
}

static void *vault_thread(void *arg)
{
	struct desk *d = arg;
	struct lm_cache *cache = NULL;
	struct lm_vault *v = NULL;
	struct batch *b = malloc(sizeof(*b));
	unsigned backoff = 1;
	time_t next_sync = 0;
	while (b && !d->stop) {
		if (!cache && lm_cache_open(d->cfg.database, &cache) != LM_OK) {
			cache = NULL; /* the office cache is down: nothing to push */
			nap(d, 5, 0);
			continue;
		}
		int err = v ? LM_OK : vault_open(d, &v);
		if (err) {
			v = NULL;
			set_reachable(d, err);
			nap(d, backoff, 0);
			backoff = backoff * 2 > VAULT_BACKOFF_MAX ? VAULT_BACKOFF_MAX : backoff * 2;
			continue;
		}
		err = drain(d, cache, v, b);
		time_t now = time(NULL);
		if (!err && now >= next_sync) {
			err = sync_tombstones(d, cache, v);
			if (!err)
				err = sync_trust(d, v);
			if (!err)
				err = sync_expire(v);
			if (!err) {
				next_sync = now + d->cfg.vault_sync_s;
				pthread_mutex_lock(&d->vault.lock);
				d->vault.last_sync = time(NULL);
				pthread_mutex_unlock(&d->vault.lock);
			} else if (!connection_lost(err)) {
				log_msg(LOG_WARN, "vault: sync: %s", lm_strerror(err));
				next_sync = now + d->cfg.vault_sync_s;
				err = LM_OK;
			}
		}
		set_reachable(d, err);
		if (connection_lost(err)) {
			lm_vault_close(v);
			v = NULL;
			nap(d, backoff, 0);
			backoff = backoff * 2 > VAULT_BACKOFF_MAX ? VAULT_BACKOFF_MAX : backoff * 2;
			continue;
		}
		backoff = 1;
		/* Rows that wait for a retry, the next sync, or a tap's wake-up. */
		time_t left = next_sync - time(NULL);
		nap(d, left < 1 ? 1 : left > 5 ? 5 : (unsigned)left, 1);
	}
	if (v)
		lm_vault_close(v);
	lm_cache_close(cache);
	free(b);
	return NULL;
}

int vault_start(struct desk *d)
{
	if (!d->cfg.vault[0])
		return LM_OK;
	if (pthread_create(&d->vault.thread, NULL, vault_thread, d) != 0)
		return LM_ERR_INTERNAL;
	d->vault.running = 1;
	log_msg(LOG_INFO, "vault: pushing sealed folders; tombstones and trust lists every %u s",
		d->cfg.vault_sync_s);
	return LM_OK;
}

void vault_stop(struct desk *d)
{
	if (!d->vault.running)
		return;
	vault_wake(d);
	pthread_join(d->vault.thread, NULL);
	d->vault.running = 0;
}

void vault_wake(struct desk *d)
{
	if (!d->cfg.vault[0])
		return;
	pthread_mutex_lock(&d->vault.lock);
	d->vault.wake = 1;
	pthread_cond_signal(&d->vault.cond);
	pthread_mutex_unlock(&d->vault.lock);
}

/* ---- a holder's folder for a restore ---------------------------------------- */

struct open_ctx {
	struct lm_vault_key key;
	uint8_t tag[LM_VAULT_TAG_LEN];
	uint8_t entry[LM_VAULT_ENTRY_MAX];
	vault_entry_fn fn;
	void *ctx;
	int bad;
};

static int open_record(void *ctx, const uint8_t ref[LM_VAULT_REF_LEN], const uint8_t *sealed,
		       size_t len)
{
	struct open_ctx *o = ctx;
	size_t elen;
	uint8_t id[32], mine[LM_VAULT_REF_LEN];
	int err = lm_vault_unseal(&o->key, o->tag, ref, sealed, len, o->entry, sizeof(o->entry),
				  &elen);
	if (err == LM_ERR_SEALED || err == LM_ERR_MALFORMED) {
		o->bad++; /* not for this key, or altered: never written */
		return LM_OK;
	}
	if (!err)
		err = lm_sha256(o->entry, elen, id);
	if (!err)
		err = lm_vault_ref(id, mine);
	if (!err && memcmp(mine, ref, LM_VAULT_REF_LEN)) {
		o->bad++; /* filed under another entry's ref: moved */
		return LM_OK;
	}
	if (!err)
		err = o->fn(o->ctx, o->entry, elen);
	return err;
}

int vault_fetch_holder(struct desk *d, const uint8_t holder[LM_HOLDER_LEN],
		       const uint8_t recovery[LM_RECOVERY_LEN], vault_entry_fn fn, void *ctx,
		       int *bad)
{
	*bad = 0;
	struct open_ctx *o = calloc(1, sizeof(*o));
	if (!o)
		return LM_ERR_NOMEM;
	o->fn = fn;
	o->ctx = ctx;
	struct lm_vault *v = NULL;
	int err = lm_vault_tag(holder, o->tag);
	if (!err)
		err = lm_vault_key(holder, recovery, &o->key);
	if (!err)
		err = vault_open(d, &v);
	if (!err)
		err = lm_vault_fetch(v, o->tag, open_record, o);
	if (v)
		lm_vault_close(v);
	lm_vault_key_wipe(&o->key);
	lm_protect_wipe(o->entry, sizeof(o->entry));
	*bad = o->bad;
	free(o);
	return err;
}

#endif
