/*
 * api.c - the HTTP API and the desk page's files (docs/api.md), on
 * libmicrohttpd with a thread per connection (the event stream blocks).
 * Every answer is JSON with a clear message; writes need the terminal's
 * token; bodies are limited to BODY_MAX bytes.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "desk.h"
#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_json.h"
#include "laufmappe/lm_util.h"
#include "log.h"
#include "qr.h"
#include "request.h"

#define BODY_MAX 65536
#define FILE_MAX (4 << 20)

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

struct request {
	char *body;
	size_t len;
	int too_big;
};

struct api {
	struct desk *d;
};

static MHD_RESULT send_text(struct MHD_Connection *c, unsigned status, const char *type, char *text,
			    size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_RESULT ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static MHD_RESULT send_json(struct MHD_Connection *c, unsigned status, json_object *o)
{
	char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return send_text(c, status, "application/json", s, strlen(s));
}

/* {"error": {"code", "message"}}: every error answer, for more members too. */
static json_object *error_json(const char *code, const char *message)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(o, "error", e);
	return o;
}

static MHD_RESULT send_error(struct MHD_Connection *c, unsigned status, const char *code,
			     const char *message)
{
	return send_json(c, status, error_json(code, message));
}

/* The HTTP status for a library error during a card operation. */
static unsigned err_status(int err)
{
	switch (err) {
	case LM_ERR_CARD_FULL: return 409;
	case LM_ERR_CARD_REMOVED:
	case LM_ERR_NO_CARD:
	case LM_ERR_NO_SERVICE:
	case LM_ERR_SERVICE_GONE:
	case LM_ERR_READER_GONE: return 503;
	case LM_ERR_HOLDER:
	case LM_ERR_BAD_VALUE:
	case LM_ERR_UNKNOWN_FIELD:
	case LM_ERR_MALFORMED:
	case LM_ERR_MISSING_FIELD: return 400;
	default: return 500;
	}
}

static MHD_RESULT send_lm_error(struct MHD_Connection *c, int err)
{
	return send_error(c, err_status(err), lm_errname(err), lm_strerror(err));
}

/* Constant-time comparison of the bearer token. */
static int authorised(struct api *a, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (!h || strncmp(h, "Bearer ", 7) || !a->d->token[0])
		return 0;
	const char *t = h + 7, *want = a->d->token;
	size_t n = strlen(want), m = strlen(t);
	unsigned diff = (unsigned)(n ^ m);
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned)(want[i] ^ (i < m ? t[i] : 0));
	return diff == 0;
}

static const char *content_type(const char *path)
{
	const char *dot = strrchr(path, '.');
	static const struct {
		const char *ext, *type;
	} types[] = {{".html", "text/html; charset=utf-8"},
		     {".css", "text/css; charset=utf-8"},
		     {".js", "text/javascript; charset=utf-8"},
		     {".mjs", "text/javascript; charset=utf-8"},
		     {".json", "application/json"},
		     {".svg", "image/svg+xml"},
		     {".png", "image/png"}};
	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

/* A file under web_root: only plain names, no "..", no directory listing. */
static MHD_RESULT serve_file(struct api *a, struct MHD_Connection *c, const char *rel)
{
	for (const char *p = rel; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-/", *p))
			return send_error(c, 404, "not_found", "no such file");
	if (strstr(rel, "..") || rel[0] == '/' || !rel[0])
		return send_error(c, 404, "not_found", "no such file");
	char path[CONFIG_PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/%s", a->d->cfg.web_root, rel);
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return send_error(c, 404, "not_found", "no such file");
	uint8_t *buf;
	size_t len;
	if (lm_file_read(path, FILE_MAX, &buf, &len) != LM_OK)
		return send_error(c, 500, "io", "the file could not be read");
	struct MHD_Response *r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", content_type(rel));
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_RESULT ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* The institution of this terminal on the trust list (by its signing key). */
static const struct lm_institution *own_institution(struct desk *d)
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

static MHD_RESULT api_status(struct api *a, struct MHD_Connection *c)
{
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
	lm_cache_close(cache);
	json_object *cj = json_object_new_object();
	json_object_object_add(cj, "ok", json_object_new_boolean(cerr == LM_OK));
	json_object_object_add(cj, "error", cerr ? json_object_new_string(lm_errname(cerr)) : NULL);
	json_object_object_add(o, "cache", cj);
	json_object_object_add(o, "read_log_days", json_object_new_int64(d->cfg.read_log_days));
	json_object_object_add(o, "version", json_object_new_string("0.1.0"));
	return send_json(c, 200, o);
}

static MHD_RESULT api_readers(struct api *a, struct MHD_Connection *c)
{
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
static struct desk_reader *pick_reader(struct desk *d, const char *name)
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
static struct desk_reader *body_reader(struct desk *d, json_object *body)
{
	json_object *jr = body ? json_object_object_get(body, "reader") : NULL;
	return pick_reader(d, jr ? json_object_get_string(jr) : NULL);
}

static MHD_RESULT api_card(struct api *a, struct MHD_Connection *c)
{
	const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "reader");
	struct desk_reader *r = pick_reader(a->d, name);
	if (!r)
		return send_error(c, 404, "no_reader", "no such reader");
	pthread_mutex_lock(&r->lock);
	json_object *o;
	if (r->state == DESK_READER_CARD && r->card) {
		o = desk_role_view(a->d, r->card);
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

static MHD_RESULT api_holder(struct api *a, struct MHD_Connection *c, const char *hex)
{
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

/* GET /api/qr?holder=HEX&id=ID[,ID...]: one QR code carrying those entries. */
static MHD_RESULT api_qr(struct api *a, struct MHD_Connection *c)
{
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

static MHD_RESULT api_append(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	struct desk *d = a->d;
	if (!authorised(a, c))
		return send_error(c, 401, "unauthorized", "this write needs the terminal's token");
	json_tokener *tok = json_tokener_new();
	json_object *body = json_tokener_parse_ex(tok, rq->body ? rq->body : "", (int)rq->len);
	int complete = json_tokener_get_error(tok) == json_tokener_success;
	json_tokener_free(tok);
	if (!body || !complete || !json_object_is_type(body, json_type_object)) {
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
	lm_cache_close(cache);
	free(res);
	json_object *ev = json_object_new_object();
	json_object_object_add(ev, "reader", json_object_new_string(r->spec));
	json_object_object_add(ev, "id", json_object_new_string(idh));
	desk_event(d, "written", ev);
	json_object_put(ev);
	log_msg(LOG_INFO, "%s: entry %.12s... written and read back", r->spec, idh);
	return send_json(c, 200, o);
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

static MHD_RESULT api_export(struct api *a, struct MHD_Connection *c)
{
	if (!authorised(a, c))
		return send_error(c, 401, "unauthorized", "export needs the terminal's token");
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

/* Import: every entry verified against the trust list; only valid ones kept. */
static MHD_RESULT api_import(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	if (!authorised(a, c))
		return send_error(c, 401, "unauthorized", "import needs the terminal's token");
	json_object *body = rq->body ? json_tokener_parse(rq->body) : NULL;
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
	struct desk_check res;
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
	if (desk_verify(x->d, x->cache, holder, b, len, 0, &x->res) ||
	    x->res.res.verdict != LM_VALID || card_has(x->on_card, x->res.res.id))
		return 0; /* only verified entries, and only those the card lacks */
	int err = lm_transport_append(x->r->t, &x->r->info, b, len);
	x->written += !err;
	return err;
}

/* Write a holder's cached folder onto a card: a blank one (a new card for a
 * lost one, or a rewrite cut short after its wipe) is formatted for the
 * holder first; one that is the holder's already gets the entries it lacks.
 * Another holder's card is refused. */
static MHD_RESULT api_restore(struct api *a, struct MHD_Connection *c, const char *hex,
			      struct request *rq)
{
	if (!authorised(a, c))
		return send_error(c, 401, "unauthorized", "restore needs the terminal's token");
	uint8_t holder[LM_HOLDER_LEN];
	if (lm_hex_decode(hex, holder, LM_HOLDER_LEN))
		return send_error(c, 400, "bad_value", "a holder id is 32 hex digits");
	json_object *body = rq->body ? json_tokener_parse(rq->body) : NULL;
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
	int blank = r->t && r->state == DESK_READER_ERROR && r->err == LM_ERR_NOT_FORMATTED;
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
	} else if (!r->t || r->state != DESK_READER_CARD || !r->have_holder) {
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
			err = lm_cache_put_entry(cache, card.holder, eid, e, elen, en.type,
						 en.v[LM_F_DATE].num, now, NULL);
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

static MHD_RESULT api_delete(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	struct desk *d = a->d;
	if (!authorised(a, c))
		return send_error(c, 401, "unauthorized", "deleting needs the terminal's token");
	json_object *body = rq->body ? json_tokener_parse(rq->body) : NULL;
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
	if (!r->t || r->state != DESK_READER_CARD || !r->have_holder)
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

/* Server-sent events: blocks (its own thread) until there is news. */
struct sse {
	struct desk *d;
	uint64_t seen;
};

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct sse *s = cls;
	struct desk *d = s->d;
	pthread_mutex_lock(&d->ev_lock);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 15;
	while (s->seen == d->ev_seq && !d->stop)
		if (pthread_cond_timedwait(&d->ev_cond, &d->ev_lock, &until) != 0)
			break;
	ssize_t n;
	if (d->stop) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else if (s->seen == d->ev_seq) {
		n = snprintf(buf, max, ": keep-alive\n\n");
	} else {
		if (d->ev_seq - s->seen > DESK_EVENTS)
			s->seen = d->ev_seq - DESK_EVENTS; /* a slow listener loses the oldest */
		struct desk_event *e = &d->events[(s->seen + 1) % DESK_EVENTS];
		n = snprintf(buf, max, "event: %s\ndata: %s\n\n", e->name, e->data);
		s->seen++;
	}
	pthread_mutex_unlock(&d->ev_lock);
	return n < 0 || (size_t)n >= max ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static MHD_RESULT api_events(struct api *a, struct MHD_Connection *c)
{
	struct sse *s = calloc(1, sizeof(*s));
	s->d = a->d;
	pthread_mutex_lock(&a->d->ev_lock);
	s->seen = a->d->ev_seq;
	pthread_mutex_unlock(&a->d->ev_lock);
	struct MHD_Response *r =
		MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, sse_read, s, free);
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_RESULT ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* Is HOST ("name" or "name:port") NAME with our port (a missing port is 80)? */
static int host_is(const char *host, const char *name, size_t nlen, unsigned port)
{
	if (strncasecmp(host, name, nlen))
		return 0;
	const char *p = host + nlen;
	if (!*p)
		return port == 80;
	if (*p != ':' || p[1] < '0' || p[1] > '9')
		return 0;
	char *end;
	unsigned long n = strtoul(p + 1, &end, 10);
	return n == port && !*end;
}

/*
 * The Host header must name this daemon: its listen address, the loopback
 * names, or one of host_names.  A page on another site that rebinds its
 * own name to 127.0.0.1 (DNS rebinding) sends its name here, and must not
 * read anyone's folder.
 */
static int host_ok(const struct config *cfg, const char *host)
{
	if (!host)
		return 0;
	const char *own[] = {cfg->listen_addr, "localhost", "127.0.0.1", "[::1]"};
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (host_is(host, own[i], strlen(own[i]), cfg->listen_port))
			return 1;
	for (const char *p = cfg->host_names; *p;) {
		p += strspn(p, ", \t");
		size_t n = strcspn(p, ", \t");
		if (n == 0)
			break;
		const char *colon = memchr(p, ':', n);
		if (colon ? strlen(host) == n && !strncasecmp(host, p, n)
			  : host_is(host, p, n, cfg->listen_port))
			return 1;
		p += n;
	}
	return 0;
}

static MHD_RESULT route(struct api *a, struct MHD_Connection *c, const char *url,
			const char *method, struct request *rq)
{
	if (!host_ok(&a->d->cfg,
		     MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST)))
		return send_error(c, 421, "bad_host",
				  "this daemon does not answer to that host name (host_names)");
	int get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), post = !strcmp(method, "POST");
	if (!strcmp(url, "/"))
		return get ? serve_file(a, c, "index.html")
			   : send_error(c, 405, "method", "GET only");
	if (!strncmp(url, "/static/", 8))
		return get ? serve_file(a, c, url + 8) : send_error(c, 405, "method", "GET only");
	static const struct {
		const char *path;
		int post;
	} fixed[] = {{"/api/status", 0},      {"/api/readers", 0}, {"/api/card", 0},
		     {"/api/events", 0},      {"/api/qr", 0},	   {"/api/export", 0},
		     {"/api/card/append", 1}, {"/api/import", 1},  {"/api/card/delete", 1}};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (strcmp(url, fixed[i].path))
			continue;
		if (fixed[i].post ? !post : !get)
			return send_error(c, 405, "method",
					  fixed[i].post ? "POST only" : "GET only");
		switch (i) {
		case 0: return api_status(a, c);
		case 1: return api_readers(a, c);
		case 2: return api_card(a, c);
		case 3: return api_events(a, c);
		case 4: return api_qr(a, c);
		case 5: return api_export(a, c);
		case 6: return api_append(a, c, rq);
		case 7: return api_import(a, c, rq);
		default: return api_delete(a, c, rq);
		}
	}
	if (!strncmp(url, "/api/holders/", 13)) {
		char hex[64];
		const char *rest = url + 13, *slash = strchr(rest, '/');
		size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
		if (n >= sizeof(hex))
			return send_error(c, 400, "bad_value", "a holder id is 32 hex digits");
		memcpy(hex, rest, n);
		hex[n] = 0;
		if (!slash)
			return get ? api_holder(a, c, hex)
				   : send_error(c, 405, "method", "GET only");
		if (!strcmp(slash, "/restore"))
			return post ? api_restore(a, c, hex, rq)
				    : send_error(c, 405, "method", "POST only");
	}
	return send_error(c, 404, "not_found", "no such path");
}

static MHD_RESULT handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			  const char *version, const char *upload, size_t *upload_size,
			  void **con_cls)
{
	(void)version;
	struct api api = {cls}, *a = &api;
	struct request *rq = *con_cls;
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		/* Accumulate the body, refusing more than BODY_MAX bytes. */
		if (rq->too_big || rq->len + *upload_size > BODY_MAX) {
			rq->too_big = 1;
		} else {
			char *nb = realloc(rq->body, rq->len + *upload_size + 1);
			if (!nb)
				return MHD_NO;
			memcpy(nb + rq->len, upload, *upload_size);
			rq->body = nb;
			rq->len += *upload_size;
			rq->body[rq->len] = 0;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->too_big)
		return send_error(c, 413, "too_large", "the body is larger than 64 KB");
	return route(a, c, url, method, rq);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)c, (void)toe;
	struct request *rq = *con_cls;
	if (rq) {
		free(rq->body);
		free(rq);
	}
	*con_cls = NULL;
}

struct MHD_Daemon *api_start(struct desk *d, char *err, size_t errlen)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)d->cfg.listen_port);
	inet_pton(AF_INET, d->cfg.listen_addr, &sa.sin_addr);
	struct MHD_Daemon *m = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
		(uint16_t)d->cfg.listen_port, NULL, NULL, handler, d, MHD_OPTION_SOCK_ADDR, &sa,
		MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)120, MHD_OPTION_END);
	if (!m)
		snprintf(err, errlen, "cannot listen on %s:%u", d->cfg.listen_addr,
			 d->cfg.listen_port);
	return m;
}

void api_stop(struct MHD_Daemon *m)
{
	if (m)
		MHD_stop_daemon(m);
}
