/*
 * api_read.c - the routes that read (docs/api.md, "Reading"): status,
 * readers, the card on a reader, a holder's cached folder, the entry
 * vocabulary, QR codes, the export and the event stream.  Dispatched by
 * routes[] in http.c.
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
#include "qr.h"
#include "vault.h"

/* The institution of this terminal on the trust list (by its signing key);
 * caller holds the trust read lock. */
const struct lm_institution *own_institution(struct desk *d)
{
	if (!d->signing_key)
		return NULL;
	uint8_t spki[LM_SPKI_MAX];
	size_t len;
	if (lm_key_spki(d->signing_key, spki, sizeof(spki), &len))
		return NULL;
	for (size_t i = 0; i < d->trust->n; i++)
		if (d->trust->inst[i].spki_len == len && !memcmp(d->trust->inst[i].spki, spki, len))
			return &d->trust->inst[i];
	return NULL;
}

MHD_RESULT api_status(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	(void)rq;
	struct desk *d = a->d;
	json_object *o = json_object_new_object(), *types = json_object_new_array();
	json_object_object_add(o, "institution", json_object_new_string(d->cfg.institution));
	json_object_object_add(o, "role", json_object_new_string(d->cfg.role));
	pthread_rwlock_rdlock(&d->trust_lock);
	const struct lm_institution *in = own_institution(d);
	for (unsigned t = 1; in && t <= LM_TYPE_MAX; t++)
		if (in->types & (1u << t))
			json_object_array_add(types,
					      json_object_new_string(lm_type_by_code(t)->name));
	json_object_object_add(o, "can_write", json_object_new_boolean(in != NULL));
	json_object_object_add(o, "allowed_types", types);
	json_object *tr = json_object_new_object();
	char nu[11];
	lm_date_format((uint32_t)(d->trust->next_update / 86400), nu);
	json_object_object_add(tr, "version", json_object_new_int64(d->trust->version));
	int state = desk_trust_state(d);
	json_object_object_add(tr, "stale", json_object_new_boolean(state != 0));
	json_object_object_add(tr, "expired", json_object_new_boolean(state == 2));
	json_object_object_add(tr, "next_update", json_object_new_string(nu));
	char hash[65];
	lm_hex_encode(d->trust->hash, 32, hash);
	json_object_object_add(tr, "sha256", json_object_new_string(hash));
	json_object *ref = NULL;
	if (d->trust_refused) {
		/* A list was offered and refused (older, or swapped at the same
		 * version): the old one stays, and the page says so. */
		ref = json_object_new_object();
		json_object_object_add(ref, "code",
				       json_object_new_string(lm_errname(d->trust_refused)));
		json_object_object_add(ref, "version",
				       json_object_new_int64(d->trust_refused_version));
		json_object_object_add(ref, "at", json_object_new_int64(d->trust_refused_at));
	}
	json_object_object_add(tr, "refused", ref);
	pthread_rwlock_unlock(&d->trust_lock);
	json_object_object_add(o, "trust", tr);
	/* The office cache, looked at now: a damaged one must show on the page. */
	struct lm_cache *cache;
	int cerr = lm_cache_open(d->cfg.database, &cache);
	json_object *cj = json_object_new_object();
	json_object_object_add(cj, "ok", json_object_new_boolean(cerr == LM_OK));
	json_object_object_add(cj, "error", cerr ? json_object_new_string(lm_errname(cerr)) : NULL);
	json_object_object_add(o, "cache", cj);
	/* The city's vault as the vault thread last saw it; the outbox counted now. */
	json_object *vj = vault_status_json(d, cerr ? NULL : cache);
	if (vj)
		json_object_object_add(o, "vault", vj);
	lm_cache_close(cache);
	json_object_object_add(o, "read_log_days", json_object_new_int64(d->cfg.read_log_days));
	json_object_object_add(o, "version", json_object_new_string("0.1.0"));
	return send_json(c, 200, o);
}

MHD_RESULT api_readers(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	(void)rq;
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < a->d->nreaders; i++) {
		struct desk_reader *r = &a->d->readers[i];
		json_object *o = json_object_new_object();
		pthread_mutex_lock(&r->lock);
		json_object_object_add(o, "name", json_object_new_string(r->spec));
		json_object_object_add(o, "state",
				       json_object_new_string(desk_reader_state_name(r->state)));
		json_object_object_add(o, "error",
				       r->err ? json_object_new_string(lm_strerror(r->err)) : NULL);
		char hh[2 * LM_HOLDER_LEN + 1];
		lm_hex_encode(r->holder, LM_HOLDER_LEN, hh);
		int on = r->state == DESK_READER_CARD && r->have_holder;
		json_object_object_add(o, "holder", on ? json_object_new_string(hh) : NULL);
		pthread_mutex_unlock(&r->lock);
		json_object_array_add(arr, o);
	}
	return send_json(c, 200, arr);
}

/* The reader named by ?reader= (or the body), else the one tapped last. */
struct desk_reader *pick_reader(struct desk *d, const char *name)
{
	for (size_t i = 0; name && i < d->nreaders; i++)
		if (!strcmp(d->readers[i].spec, name))
			return &d->readers[i];
	if (name)
		return NULL;
	return d->last_reader >= 0 ? &d->readers[d->last_reader]
	       : d->nreaders	   ? &d->readers[0]
				   : NULL;
}

/* The reader a write's JSON body names ("reader"), else as pick_reader. */
struct desk_reader *body_reader(struct desk *d, json_object *body)
{
	json_object *jr = body ? json_object_object_get(body, "reader") : NULL;
	return pick_reader(d, jr ? json_object_get_string(jr) : NULL);
}

MHD_RESULT api_card(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	(void)rq;
	const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "reader");
	struct desk_reader *r = pick_reader(a->d, name);
	if (!r)
		return send_error(c, 404, "no_reader", "no such reader");
	pthread_mutex_lock(&r->lock);
	json_object *o;
	if (r->state == DESK_READER_CARD && r->card) {
		o = desk_role_view(a->d, r->card);
	} else if (r->state == DESK_READER_LOCKED && r->card) {
		/* A protected card: its view holds no entry and no holder id. */
		o = NULL;
		json_object_deep_copy(r->card, &o, NULL);
	} else {
		o = json_object_new_object();
		json_object_object_add(o, "reader", json_object_new_string(r->spec));
		json_object_object_add(o, "entries", json_object_new_array());
		json_object *e = json_object_new_object();
		int err = r->state == DESK_READER_ERROR ? r->err : LM_ERR_NO_CARD;
		json_object_object_add(e, "code", json_object_new_string(lm_errname(err)));
		json_object_object_add(e, "message", json_object_new_string(lm_strerror(err)));
		json_object_object_add(o, "error", e);
	}
	pthread_mutex_unlock(&r->lock);
	return send_json(c, 200, o);
}

struct folder_ctx {
	struct desk *d;
	struct lm_cache *cache;
	json_object *arr;
	struct desk_check res;
};

static int folder_entry(void *ctx, const uint8_t holder[LM_HOLDER_LEN], const uint8_t *b,
			size_t len)
{
	struct folder_ctx *f = ctx;
	json_object_array_add(f->arr, desk_verified_json(f->d, f->cache, holder, b, len, &f->res));
	return 0;
}

MHD_RESULT api_holder(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	const char *hex = rq->arg;
	uint8_t holder[LM_HOLDER_LEN];
	if (lm_hex_decode(hex, holder, LM_HOLDER_LEN))
		return send_error(c, 400, "bad_value", "a holder id is 32 hex digits");
	struct lm_cache *cache;
	int err = lm_cache_open(a->d->cfg.database, &cache);
	if (err)
		return send_lm_error(c, err);
	struct folder_ctx *f = calloc(1, sizeof(*f));
	f->d = a->d;
	f->cache = cache;
	f->arr = json_object_new_array();
	json_object *reads = NULL;
	err = lm_cache_each_entry(cache, holder, folder_entry, f);
	if (!err)
		reads = desk_reads_json(cache, holder, &err);
	lm_cache_close(cache);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "holder", json_object_new_string(hex));
	json_object_object_add(o, "entries", f->arr);
	json_object_object_add(o, "reads", reads);
	free(f);
	if (err) {
		json_object_put(o);
		return send_lm_error(c, err);
	}
	json_object *v = desk_role_view(a->d, o);
	json_object_put(o);
	return send_json(c, 200, v);
}

/* GET /api/vocab: the entry vocabulary from the library's tables, so that
 * the desk page uses exactly the names the library reads and writes. */
MHD_RESULT api_vocab(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	(void)a, (void)rq;
	return send_json(c, 200, lm_json_vocab());
}

/* GET /api/qr?holder=HEX&id=ID[,ID...]: one QR code carrying those entries. */
MHD_RESULT api_qr(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	(void)rq;
	const char *hex = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "holder");
	const char *ids = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "id");
	uint8_t holder[LM_HOLDER_LEN];
	if (!hex || !ids || lm_hex_decode(hex, holder, LM_HOLDER_LEN))
		return send_error(c, 400, "bad_value", "give holder= and id= in hex");
	size_t n = 0, nids = strlen(ids) / 65 + 1; /* 64 hex digits and a comma each */
	if (strlen(ids) != nids * 65 - 1 || nids > LM_QR_MAX_ENTRIES)
		return send_error(c, 400, "bad_value", "id= is 1 to 24 entry ids, comma-separated");
	uint8_t(*buf)[LM_ENTRY_MAX] = malloc(nids * sizeof(*buf));
	const uint8_t *entries[LM_QR_MAX_ENTRIES];
	size_t lens[LM_QR_MAX_ENTRIES];
	struct lm_cache *cache = NULL;
	int err = buf ? lm_cache_open(a->d->cfg.database, &cache) : LM_ERR_NOMEM;
	for (; !err && n < nids; n++) {
		char idh[65];
		uint8_t id[32];
		memcpy(idh, ids + n * 65, 64);
		idh[64] = 0;
		if ((n + 1 < nids && ids[n * 65 + 64] != ',') || lm_hex_decode(idh, id, 32))
			err = LM_ERR_BAD_VALUE;
		else
			err = lm_cache_get_entry(cache, holder, id, buf[n], LM_ENTRY_MAX, &lens[n]);
		entries[n] = buf[n];
	}
	lm_cache_close(cache);
	char *svg = NULL;
	if (!err)
		err = lm_qr_text_svg(holder, entries, lens, nids, &svg);
	free(buf);
	if (err == LM_ERR_BAD_VALUE)
		return send_error(c, 400, "bad_value", "id= is 1 to 24 entry ids, comma-separated");
	if (err == LM_ERR_NOT_FOUND)
		return send_error(c, 404, "not_found", "no such entry of this holder");
	if (err == LM_ERR_TOO_LONG)
		return send_error(c, 413, "too_long", "these entries do not fit one QR code");
	if (err)
		return send_lm_error(c, err);
	return send_text(c, 200, "image/svg+xml", svg, strlen(svg)); /* takes svg */
}

struct export_ctx {
	json_object *arr;
};

static int export_entry(void *ctx, const uint8_t holder[LM_HOLDER_LEN], const uint8_t *b,
			size_t len)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char hh[2 * LM_HOLDER_LEN + 1], b64[(LM_ENTRY_MAX + 2) / 3 * 4 + 1];
	size_t n = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)b[i] << 16 | (i + 1 < len ? b[i + 1] << 8 : 0) |
			     (i + 2 < len ? b[i + 2] : 0);
		b64[n++] = alpha[v >> 18 & 63];
		b64[n++] = alpha[v >> 12 & 63];
		b64[n++] = i + 1 < len ? alpha[v >> 6 & 63] : '=';
		b64[n++] = i + 2 < len ? alpha[v & 63] : '=';
	}
	b64[n] = 0;
	lm_hex_encode(holder, LM_HOLDER_LEN, hh);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "holder", json_object_new_string(hh));
	json_object_object_add(o, "signed", json_object_new_string(b64));
	json_object_array_add(((struct export_ctx *)ctx)->arr, o);
	return 0;
}

MHD_RESULT api_export(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	(void)rq;
	struct lm_cache *cache;
	int err = lm_cache_open(a->d->cfg.database, &cache);
	if (err)
		return send_lm_error(c, err);
	struct export_ctx x = {json_object_new_array()};
	err = lm_cache_each_entry(cache, NULL, export_entry, &x);
	lm_cache_close(cache);
	if (err) {
		json_object_put(x.arr);
		return send_lm_error(c, err);
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "entries", x.arr);
	return send_json(c, 200, o);
}

/*
 * Server-sent events.  A stream must not hold a thread while it waits: its
 * content reader writes what is new, and with nothing new it suspends the
 * connection (libmicrohttpd then ignores it: no thread, no timeout).  The
 * pump thread waits for news on d->ev_cond, or HTTP_KEEPALIVE seconds, and
 * resumes every suspended stream; a resumed stream writes the news or a
 * keep-alive comment and suspends again.
 */
struct event_stream {
	struct api *a;
	struct MHD_Connection *c;
	uint64_t seen; /* the newest event sent */
	int suspended; /* under a->streams_lock */
	int ping;      /* a keep-alive comment is due */
	int evicted;   /* closed to make room for a newer stream */
	struct event_stream *next;
};

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct event_stream *s = cls;
	struct api *a = s->a;
	struct desk *d = a->d;
	pthread_mutex_lock(&a->streams_lock);
	pthread_mutex_lock(&d->ev_lock);
	ssize_t n;
	if (d->stop || a->closing || s->evicted) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else if (s->seen != d->ev_seq) {
		if (d->ev_seq - s->seen > DESK_EVENTS)
			s->seen = d->ev_seq - DESK_EVENTS; /* a slow listener loses the oldest */
		struct desk_event *e = &d->events[(s->seen + 1) % DESK_EVENTS];
		n = snprintf(buf, max, "event: %s\ndata: %s\n\n", e->name, e->data);
		s->seen++;
	} else if (s->ping) {
		s->ping = 0;
		n = snprintf(buf, max, ": keep-alive\n\n");
	} else {
		s->suspended = 1; /* the pump resumes it */
		MHD_suspend_connection(s->c);
		n = 0;
	}
	pthread_mutex_unlock(&d->ev_lock);
	pthread_mutex_unlock(&a->streams_lock);
	return n < 0 || (size_t)n >= max ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

/* The stream's connection is gone: forget it. */
static void sse_free(void *cls)
{
	struct event_stream *s = cls;
	struct api *a = s->a;
	pthread_mutex_lock(&a->streams_lock);
	for (struct event_stream **p = &a->streams; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			a->nstreams--;
			break;
		}
	pthread_mutex_unlock(&a->streams_lock);
	free(s);
}

/* Resume every suspended stream; ping: a keep-alive is due on each. */
static void resume_streams(struct api *a, int ping)
{
	pthread_mutex_lock(&a->streams_lock);
	for (struct event_stream *s = a->streams; s; s = s->next) {
		s->ping |= ping;
		if (s->suspended) {
			s->suspended = 0;
			MHD_resume_connection(s->c);
		}
	}
	pthread_mutex_unlock(&a->streams_lock);
}

static void *events_pump(void *arg)
{
	struct api *a = arg;
	struct desk *d = a->d;
	pthread_mutex_lock(&d->ev_lock);
	uint64_t seen = d->ev_seq;
	for (;;) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += HTTP_KEEPALIVE;
		int ping = 0;
		while (seen == d->ev_seq && !d->stop && !a->closing)
			if (pthread_cond_timedwait(&d->ev_cond, &d->ev_lock, &until) != 0) {
				ping = 1;
				break;
			}
		seen = d->ev_seq;
		int end = d->stop || a->closing;
		pthread_mutex_unlock(&d->ev_lock);
		resume_streams(a, ping);
		if (end)
			return NULL;
		pthread_mutex_lock(&d->ev_lock);
	}
}

int events_start(struct api *a)
{
	a->pump_running = pthread_create(&a->pump, NULL, events_pump, a) == 0;
	return a->pump_running ? 0 : -1;
}

void events_stop(struct api *a)
{
	pthread_mutex_lock(&a->streams_lock);
	pthread_mutex_lock(&a->d->ev_lock);
	a->closing = 1;
	pthread_cond_broadcast(&a->d->ev_cond);
	pthread_mutex_unlock(&a->d->ev_lock);
	pthread_mutex_unlock(&a->streams_lock);
	if (a->pump_running)
		pthread_join(a->pump, NULL);
	a->pump_running = 0;
	resume_streams(a, 0); /* each ends its stream: closing */
}

MHD_RESULT api_events(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	(void)rq;
	struct event_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return MHD_NO;
	s->a = a;
	s->c = c;
	pthread_mutex_lock(&a->streams_lock);
	pthread_mutex_lock(&a->d->ev_lock);
	s->seen = a->d->ev_seq;
	pthread_mutex_unlock(&a->d->ev_lock);
	if (a->nstreams >= HTTP_STREAMS_MAX) {
		/* The oldest makes room: a flood of streams cannot keep the
		 * desk page's out for longer than its EventSource's retry. */
		for (struct event_stream *o = a->streams; o; o = o->next)
			if (!o->evicted) {
				o->evicted = 1;
				if (o->suspended) {
					o->suspended = 0;
					MHD_resume_connection(o->c);
				}
				break;
			}
	}
	struct event_stream **p = &a->streams;
	while (*p)
		p = &(*p)->next;
	*p = s;
	a->nstreams++;
	pthread_mutex_unlock(&a->streams_lock);
	/* Longer than the keep-alive interval; a stream that takes no data
	 * that long is dead. */
	MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)HTTP_STREAM_TIMEOUT);
	struct MHD_Response *r =
		MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, sse_read, s, sse_free);
	if (!r) {
		sse_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_RESULT ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}
