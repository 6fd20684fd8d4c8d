/*
 * readers.c - one thread per configured reader: wait for a card (PC/SC
 * blocks in SCardGetStatusChange, libnfc and image files are polled at
 * poll_ms), read it, verify every entry, store it in the cache, tell the
 * desk page; then watch for the card to leave.  The failure modes of the
 * field (style.md point 9) end as a reader state and an event, never as a
 * crash: a card pulled mid-read, an unknown card, pcscd going away (the
 * context is opened again with backoff), a reader that vanished.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "desk.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_util.h"
#include "log.h"
#include "vpool.h"
#include "vault.h"

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void set_state(struct desk_reader *r, enum desk_reader_state state, int err)
{
	r->state = state;
	r->err = err;
}

static void error_event(struct desk *d, struct desk_reader *r, int err)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "reader", json_object_new_string(r->spec));
	json_object_object_add(o, "code", json_object_new_string(lm_errname(err)));
	json_object_object_add(o, "message", json_object_new_string(lm_strerror(err)));
	desk_event(d, "error", o);
	json_object_put(o);
}

/* Is the error about the service or reader (reopen) rather than the card? */
static int backend_down(int err)
{
	return err == LM_ERR_NO_SERVICE || err == LM_ERR_SERVICE_GONE ||
	       err == LM_ERR_READER_GONE || err == LM_ERR_NO_READER || err == LM_ERR_TRANSPORT;
}

void reader_forget_keys(struct desk_reader *r)
{
	lm_protect_keys_wipe(&r->keys);
	r->have_keys = 0;
	r->protected_card = 0;
	r->tries_left = -1;
	memset(&r->prot, 0, sizeof(r->prot));
}

static void add_read_facts(json_object *view, const struct desk_reader *r, time_t now)
{
	char when[32];
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	json_object_object_add(view, "reader", json_object_new_string(r->spec));
	json_object_object_add(view, "kind",
			       json_object_new_string(lm_card_kind_name(r->info.kind)));
	json_object_object_add(view, "capacity", json_object_new_int64((int64_t)r->info.capacity));
	json_object_object_add(view, "read_at", json_object_new_string(when));
	json_object_object_add(view, "protected", json_object_new_boolean(r->protected_card));
	json_object_object_add(view, "error", NULL);
}

/*
 * A protected card before its code: the reader says so and shows nothing
 * of the folder (no entry, no holder id: both are encrypted on the card,
 * and the office cache is not asked which holder this could be).
 */
static void set_locked(struct desk_reader *r, const struct lm_protect_header *h)
{
	r->protected_card = 1;
	r->prot = *h;
	if (r->tries_left < 0)
		r->tries_left = r->info.tries_left; /* what the applet says; NTAGs do not */
	json_object *view = json_object_new_object();
	add_read_facts(view, r, time(NULL));
	json_object_object_add(view, "locked", json_object_new_boolean(1));
	json_object_object_add(view, "entries", json_object_new_array());
	json_object_object_add(view, "tries_left",
			       r->tries_left >= 0 ? json_object_new_int(r->tries_left) : NULL);
	if (r->card)
		json_object_put(r->card);
	r->card = view;
	memset(r->holder, 0, LM_HOLDER_LEN);
	r->have_holder = 0;
	set_state(r, DESK_READER_LOCKED, 0);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/*
 * Verification behind the radio: as the card's bytes arrive, every entry
 * that is complete goes to the pool (vpool.h), so that little is left to
 * check when the last byte is in.
 */
struct tap_feed {
	struct desk *d;
	struct vpool_tap *tap;
	size_t off; /* log offset of the next entry to submit */
	size_t max; /* jobs a tap may hold */
	int failed; /* no tap (memory): everything is checked in line */
	/* Entries went over from the office's copy of a known card
	 * (recall_card) or from a delta read's new bytes: if the card turns
	 * out to differ (opts->delta back to 0), its log is read whole over
	 * them, and their jobs are waited for and dropped first. */
	int in_delta;
	const struct lm_read_opts *opts;
};

/* Submit the complete entries of card's log from f->off on. */
static void feed_entries(struct tap_feed *f, const struct lm_card *card)
{
	if (!f->d->pool || f->failed)
		return;
	if (!f->tap && !(f->tap = vpool_tap_new(f->d->pool, card->holder, f->max))) {
		f->failed = 1;
		return;
	}
	const uint8_t *e;
	size_t len;
	/* A framing error here may be an entry not yet whole: the final walk
	 * (desk_tap_view) tells the real ones. */
	while (lm_card_next(card, &f->off, &e, &len) == LM_OK)
		if (vpool_submit(f->tap, e, len) != LM_OK)
			break;
}

/* Wait for the tap's jobs and drop them. */
static void feed_end(struct tap_feed *f)
{
	vpool_tap_free(f->tap);
	f->tap = NULL;
	f->off = 0;
}

/* At every piece and after the read: once a delta read is called off
 * (opts->delta back to 0 after entries went over during it), their jobs
 * are waited for and dropped, and the log read whole goes over anew. */
static void feed_undelta(struct tap_feed *f)
{
	if (f->opts->delta)
		f->in_delta = 1;
	else if (f->in_delta) {
		feed_end(f);
		f->in_delta = 0;
	}
}

static void feed_piece(void *ctx, const uint8_t *img, size_t have)
{
	struct tap_feed *f = ctx;
	size_t need;
	feed_undelta(f);
	if (lm_protect_is_v2(img, have) || lm_card_header_need(img, have, &need) != LM_OK)
		return; /* a protected image: its entries go once it is decrypted whole */
	struct lm_card part = {.log = img + LM_CARD_HEADER_LEN};
	memcpy(part.holder, img + 8, LM_HOLDER_LEN);
	part.committed = (uint16_t)(((have < need ? have : need) - LM_CARD_HEADER_LEN) &
				    ~(size_t)(LM_CARD_ALIGN - 1));
	feed_entries(ctx, &part);
}

/* What the office remembers of a holder's card (lm_transport_recall_fn). */
struct recall {
	struct lm_cache *cache;
	uint8_t *log; /* the card's capacity; kept until the tap's jobs are done */
	size_t cap;
	struct tap_feed *feed; /* NULL: a protected card (its log kept as ciphertext) */
};

/*
 * The office's copy goes to the pool at once: while the card's new bytes
 * are on the air the workers look its verdicts up, so that only the new
 * entries are left to check after the last byte.  The results are used
 * for entries of the same bytes only (desk_tap_view), and only once the
 * card's digest has vouched for the copy.
 */
static int recall_card(void *ctx, const uint8_t holder[LM_HOLDER_LEN], struct lm_card_known *out)
{
	struct recall *rc = ctx;
	if (!rc->cache || !rc->log)
		return LM_ERR_NOT_FOUND;
	int err = lm_cache_get_card_log(rc->cache, holder, rc->log, rc->cap, out);
	struct tap_feed *f = rc->feed;
	if (!err && f && !f->tap && !f->failed) {
		struct lm_card known = {.log = rc->log, .committed = out->committed};
		memcpy(known.holder, holder, LM_HOLDER_LEN);
		feed_entries(f, &known);
		f->in_delta = 1;
	}
	return err;
}

int reader_refresh(struct desk *d, struct desk_reader *r, struct lm_cache *cache)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int err = lm_transport_identify(r->t, &r->info);
	uint8_t *img = err ? NULL : malloc(r->info.capacity);
	size_t len = 0;
	struct lm_card card;
	struct tap_feed feed = {.d = d, .max = r->info.capacity / 32 + 1};
	struct lm_read_opts opts = {.piece = feed_piece, .ctx = &feed};
	feed.opts = &opts;
	/* The office's memory of this holder's card: only what the card got
	 * since is read (a protected card's too, once its header is
	 * decrypted), and the log as on the card is remembered for the next tap. */
	struct recall rc = {
		.cache = cache, .cap = r->info.capacity, .feed = r->have_keys ? NULL : &feed};
	uint8_t *raw = NULL;
	if (!err && cache) {
		rc.log = malloc(r->info.capacity);
		raw = malloc(r->info.capacity);
	}
	opts.recall = recall_card;
	opts.recall_ctx = &rc;
	opts.raw = raw;
	if (!err && !img)
		err = LM_ERR_NOMEM;
	if (!err && r->have_keys) {
		/* A protected card unlocked at this desk: read and decrypt.
		 * identify may have begun a new session with the card, which
		 * ends an NTAG's or applet's verified state: asked again. */
		int tries;
		err = lm_protect_authenticate(r->t, &r->info, &r->keys, &tries);
		if (!err)
			err = lm_transport_read_image_ex(r->t, &r->info, img, &len, &card, &opts);
	} else if (!err) {
		err = lm_transport_read_image_ex(r->t, &r->info, img, &len, &card, &opts);
		struct lm_protect_header h;
		/* A protected card: LM_ERR_LOCKED from the transports (a session
		 * not unlocked), LM_ERR_VERSION where a backend reads it raw. */
		if ((err == LM_ERR_VERSION || err == LM_ERR_LOCKED) &&
		    (err = lm_protect_read_header(r->t, &h)) == LM_OK) {
			set_locked(r, &h);
			feed_end(&feed);
			free(rc.log);
			free(raw);
			free(img);
			return LM_OK;
		}
	}
	if (err) {
		feed_end(&feed);
		free(rc.log);
		free(raw);
		if (img && r->have_keys)
			lm_protect_wipe(img, r->info.capacity); /* partly decrypted, maybe */
		free(img);
		return err;
	}
	r->read_ms = ms_since(&t0);
	r->delta = opts.delta;
	r->log_read = opts.log_read;
	feed_undelta(&feed);
	feed_entries(&feed, &card); /* the rest, and a protected card's all */
	vpool_handoff(feed.tap);
	time_t now = time(NULL);
	int cerr;
	/* An unlocked protected card: its recovery secret (in the decrypted
	 * header, lm_protect.h) keys the folder's copy in the vault for this
	 * tap only. */
	uint8_t recovery[LM_RECOVERY_LEN];
	int sealing = r->have_keys && d->cfg.vault[0] &&
		      len >= LM_PROTECT_HOLDER_OFF + LM_HOLDER_LEN + LM_RECOVERY_LEN;
	if (sealing)
		memcpy(recovery, img + LM_PROTECT_HOLDER_OFF + LM_HOLDER_LEN, LM_RECOVERY_LEN);
	json_object *view = desk_tap_view(d, cache, r, &card, sealing ? recovery : NULL,
					  (int64_t)now, &cerr, feed.tap);
	lm_protect_wipe(recovery, sizeof(recovery));
	feed_end(&feed);
	free(rc.log);
	if (sealing && !cerr)
		vault_wake(d);
	/* Remember the card as read, with its digest, for the next tap here;
	 * not where, with a vault, what the role may not show is not kept
	 * (desk_tap_view): the log holds those entries too. */
	if (cache && opts.have_digest && opts.raw_len == card.committed &&
	    (!d->cfg.vault[0] || desk_role_sees_all(d)) &&
	    lm_cache_put_card_log(cache, card.holder, raw, card.committed, opts.digest,
				  (int64_t)now) != LM_OK)
		log_msg(LOG_WARN, "%s: the cache could not remember this card", r->spec);
	free(raw);
	r->after_read_ms = ms_since(&t0) - r->read_ms;
	add_read_facts(view, r, now);
	json_object_object_add(view, "used", json_object_new_int64((int64_t)len));
	if (cerr) {
		/* The card is shown all the same; the cache reports why it lags. */
		log_msg(LOG_ERR, "%s: the cache could not store this card: %s", r->spec,
			lm_strerror(cerr));
		json_object_object_add(view, "cache_error",
				       json_object_new_string(lm_errname(cerr)));
		error_event(d, r, cerr);
	}
	if (r->card)
		json_object_put(r->card);
	r->card = view;
	memcpy(r->holder, card.holder, LM_HOLDER_LEN);
	r->have_holder = 1;
	set_state(r, DESK_READER_CARD, 0);
	if (r->have_keys)
		lm_protect_wipe(img, len); /* the decrypted image */
	free(img);
	return LM_OK;
}

void reader_tap_event(struct desk *d, struct desk_reader *r, double ms)
{
	d->last_reader = (int)(r - d->readers);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "reader", json_object_new_string(r->spec));
	if (r->state == DESK_READER_LOCKED) {
		json_object_object_add(o, "kind",
				       json_object_new_string(lm_card_kind_name(r->info.kind)));
		json_object_object_add(o, "ms", json_object_new_double(ms)); /* identify + header */
		desk_event(d, "locked", o);
		json_object_put(o);
		log_msg(LOG_INFO, "%s: a protected card, waiting for its access code", r->spec);
		return;
	}
	char hh[2 * LM_HOLDER_LEN + 1];
	lm_hex_encode(r->holder, LM_HOLDER_LEN, hh);
	json_object_object_add(o, "holder", json_object_new_string(hh));
	json_object_object_add(o, "ms", json_object_new_double(ms)); /* read + verify + store */
	/* ms split: identify and read until the last byte; what came after it
	 * (the rest of the verification, the cache, the view). */
	json_object_object_add(o, "read_ms", json_object_new_double(r->read_ms));
	json_object_object_add(o, "after_read_ms", json_object_new_double(r->after_read_ms));
	/* A delta read: the office's copy of the card's log up to what it read
	 * last, only the rest from the card (log_read bytes). */
	json_object_object_add(o, "delta", json_object_new_boolean(r->delta));
	json_object_object_add(o, "log_read", json_object_new_int64((int64_t)r->log_read));
	desk_event(d, "tap", o);
	json_object_put(o);
	log_msg(LOG_INFO, "%s: card of holder %.8s... read", r->spec, hh);
}

/* A tap: read, verify, store, tell.  Caller holds r->lock. */
static void tap(struct desk *d, struct desk_reader *r, struct lm_cache *cache)
{
	reader_forget_keys(r); /* a new card: no keys of another stay */
	set_state(r, DESK_READER_READING, 0);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int err = reader_refresh(d, r, cache);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (err) {
		set_state(r, DESK_READER_ERROR, err);
		log_msg(LOG_WARN, "%s: %s", r->spec, lm_strerror(err));
		error_event(d, r, err);
		return;
	}
	reader_tap_event(d, r, ms);
}

struct reader_arg {
	struct desk *d;
	struct desk_reader *r;
};

static void *reader_thread(void *arg)
{
	struct reader_arg a = *(struct reader_arg *)arg;
	free(arg);
	struct desk *d = a.d;
	struct desk_reader *r = a.r;
	struct lm_cache *cache = NULL;
	int err = lm_cache_open(d->cfg.database, &cache);
	if (err)
		log_msg(LOG_ERR, "%s: cache %s: %s", r->spec, d->cfg.database, lm_strerror(err));
	unsigned backoff = 200;
	int present = 0;
	while (!d->stop) {
		pthread_mutex_lock(&r->lock);
		if (!r->t) {
			err = lm_transport_open(r->spec, &r->t);
			if (err) {
				r->t = NULL;
				if (r->state != DESK_READER_ERROR || r->err != err) {
					log_msg(LOG_WARN, "%s: %s", r->spec, lm_strerror(err));
					error_event(d, r, err);
				}
				set_state(r, DESK_READER_ERROR, err);
				pthread_mutex_unlock(&r->lock);
				sleep_ms(backoff);
				backoff =
					backoff < 5000 ? backoff * 2 : 5000; /* pcscd restarting */
				continue;
			}
			backoff = 200;
			present = 0;
			set_state(r, DESK_READER_EMPTY, 0);
		}
		/* While a card lies on the reader only look whether it is still there. */
		err = lm_transport_wait_card(r->t, present ? 0 : (int)d->cfg.poll_ms);
		if (!err && !present) {
			/* A cache that failed (damaged, locked) is tried again on every
			 * tap: once repaired or moved aside, taps are stored again. */
			if (!cache)
				lm_cache_open(d->cfg.database, &cache);
			tap(d, r, cache);
			present = 1;
		} else if (err && present) {
			present = 0;
			lm_transport_disconnect(r->t);
			reader_forget_keys(r); /* the card left: its keys go with it */
			if (r->card)
				json_object_put(r->card);
			r->card = NULL;
			set_state(r, DESK_READER_EMPTY, 0);
			desk_reader_event(d, "removed", r->spec);
		}
		if (err && backend_down(err)) {
			log_msg(LOG_WARN, "%s: %s; reopening", r->spec, lm_strerror(err));
			set_state(r, DESK_READER_ERROR, err);
			error_event(d, r, err);
			reader_forget_keys(r);
			lm_transport_close(r->t);
			r->t = NULL;
		}
		pthread_mutex_unlock(&r->lock);
		if (present || (err && err != LM_ERR_NO_CARD && err != LM_ERR_TIMEOUT))
			sleep_ms(d->cfg.poll_ms);
		else if (err == LM_ERR_NO_CARD && r->t && !lm_transport_blocks(r->t))
			sleep_ms(d->cfg.poll_ms); /* polled backends: their wait returned at once */
	}
	pthread_mutex_lock(&r->lock);
	reader_forget_keys(r);
	lm_transport_close(r->t);
	r->t = NULL;
	pthread_mutex_unlock(&r->lock);
	lm_cache_close(cache);
	return NULL;
}

int readers_start(struct desk *d)
{
	for (size_t i = 0; i < d->nreaders; i++) {
		struct reader_arg *a = malloc(sizeof(*a));
		if (!a)
			return LM_ERR_NOMEM;
		a->d = d;
		a->r = &d->readers[i];
		if (pthread_create(&d->readers[i].thread, NULL, reader_thread, a) != 0) {
			free(a);
			return LM_ERR_INTERNAL;
		}
	}
	return LM_OK;
}

void readers_stop(struct desk *d)
{
	d->stop = 1;
	for (size_t i = 0; i < d->nreaders; i++)
		pthread_join(d->readers[i].thread, NULL);
}
