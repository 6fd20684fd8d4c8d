/*
 * http.c - laufmapped's HTTP plumbing (docs/api.md) on libmicrohttpd: the
 * daemon, answers, the Host check against DNS rebinding, the terminal's
 * token, request bodies (at most HTTP_BODY_MAX bytes), the desk page's
 * files, and the one table of routes that dispatches to the handlers of
 * api_read.c and api_write.c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "desk.h"
#include "http.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_protect.h"
#include "laufmappe/lm_util.h"
#include "log.h"
#include "request.h"

#define FILE_MAX     (4 << 20)
#define HTTP_THREADS 4 /* libmicrohttpd's polling threads */

MHD_RESULT send_text(struct MHD_Connection *c, unsigned status, const char *type, char *text,
		     size_t len)
{
	return send_text_with(c, status, type, text, len, NULL, NULL);
}

MHD_RESULT send_text_with(struct MHD_Connection *c, unsigned status, const char *type, char *text,
			  size_t len, const char *header, const char *value)
{
	if (!text)
		return MHD_NO;
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (header)
		MHD_add_response_header(r, header, value);
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_RESULT ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

MHD_RESULT send_json(struct MHD_Connection *c, unsigned status, json_object *o)
{
	char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return send_text(c, status, "application/json", s, strlen(s));
}

json_object *error_json(const char *code, const char *message)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(o, "error", e);
	return o;
}

MHD_RESULT send_error(struct MHD_Connection *c, unsigned status, const char *code,
		      const char *message)
{
	return send_json(c, status, error_json(code, message));
}

/* The HTTP status for a library error during a card operation. */
static unsigned err_status(int err)
{
	switch (err) {
	case LM_ERR_CARD_FULL:
	case LM_ERR_LOCKED:		 /* a protected card not unlocked here */
	case LM_ERR_VERSION: return 409; /* e.g. a protected card where only version 1 goes */
	case LM_ERR_WRONG_CODE: return 403;
	case LM_ERR_BLOCKED: return 423;
	case LM_ERR_CODE_TYPO: return 400;
	case LM_ERR_UNSUPPORTED: return 501;
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

MHD_RESULT send_lm_error(struct MHD_Connection *c, int err)
{
	return send_error(c, err_status(err), lm_errname(err), lm_strerror(err));
}

void request_wipe(struct request *rq, const char *member)
{
	json_object *j = rq->json ? json_object_object_get(rq->json, member) : NULL;
	if (j && json_object_is_type(j, json_type_string)) {
		char *s = (char *)json_object_get_string(j);
		lm_protect_wipe(s, strlen(s));
	}
	if (rq->body)
		lm_protect_wipe(rq->body, rq->len);
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

/* A file under web_root (rq->arg; the desk page for "/"): only plain
 * names, no "..", no directory listing. */
static MHD_RESULT serve_file(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	const char *rel = rq->arg[0] ? rq->arg : "index.html";
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

/*
 * Who may use a route.  A write's Origin, when a browser sends one, must
 * be this daemon's own ("http://" and the Host it asked, which host_ok
 * accepted): a page of another site is refused (403) whatever it carries.
 * A bearer token needs no Origin (scripts).  A staff session's cookie
 * needs one (403 without): a browser sends Origin with every POST and
 * DELETE, so a request with the cookie and without Origin did not come
 * from the desk page.
 */
enum route_auth {
	AUTH_NONE,
	AUTH_WRITE,  /* the terminal's token, or a signed-in staff member */
	AUTH_TOKEN,  /* the terminal's token only (scripts, the office's admin) */
	AUTH_ORIGIN, /* a browser of this origin (sign in and out) */
};

/*
 * The routes, in one table.  A path matches exactly, except that "*"
 * matches one path segment (no "/") and a path ending in "/"
 * with prefix set matches everything under it; either part is the
 * handler's rq->arg.  GET routes answer HEAD too; a POST's body is parsed
 * here (rq->json; 400 bad_json or bad_value).  A path that matches with
 * another method is 405.  auth says who may (checked before the handler
 * runs, which finds who in rq->actor); token: the 401 message when no
 * token or session came.
 */
static const struct route {
	const char *method;
	const char *path;
	int prefix;
	enum route_auth auth;
	const char *token;
	api_handler handler;
} routes[] = {
	{"GET", "/", 0, AUTH_NONE, NULL, serve_file},
	{"GET", "/static/", 1, AUTH_NONE, NULL, serve_file},
	{"GET", "/setup", 0, AUTH_NONE, NULL, api_setup},
	{"GET", "/api/status", 0, AUTH_NONE, NULL, api_status},
	{"GET", "/api/readers", 0, AUTH_NONE, NULL, api_readers},
	{"GET", "/api/card", 0, AUTH_NONE, NULL, api_card},
	{"GET", "/api/events", 0, AUTH_NONE, NULL, api_events},
	{"GET", "/api/vocab", 0, AUTH_NONE, NULL, api_vocab},
	{"GET", "/api/qr", 0, AUTH_NONE, NULL, api_qr},
	{"GET", "/api/holders/*", 0, AUTH_NONE, NULL, api_holder},
	{"GET", "/api/session", 0, AUTH_NONE, NULL, api_session_get},
	{"POST", "/api/session", 0, AUTH_ORIGIN, NULL, api_session_post},
	{"DELETE", "/api/session", 0, AUTH_ORIGIN, NULL, api_session_delete},
	{"GET", "/api/export", 0, AUTH_TOKEN, "export needs the terminal's token", api_export},
	{"GET", "/api/audit", 0, AUTH_TOKEN, "the write log needs the terminal's token", api_audit},
	{"POST", "/api/card/unlock", 0, AUTH_WRITE,
	 "unlocking a card needs a signed-in staff member", api_unlock},
	{"POST", "/api/card/append", 0, AUTH_WRITE, "this write needs a signed-in staff member",
	 api_append},
	{"POST", "/api/import", 0, AUTH_WRITE, "import needs a signed-in staff member", api_import},
	{"POST", "/api/card/delete", 0, AUTH_WRITE, "deleting needs a signed-in staff member",
	 api_delete},
	{"POST", "/api/card/protect", 0, AUTH_WRITE,
	 "protecting a card needs a signed-in staff member", api_protect},
	{"POST", "/api/holders/*/restore", 0, AUTH_WRITE, "restore needs a signed-in staff member",
	 api_restore},
};

/* Is the Origin header this daemon's own origin?  -1: none came. */
static int origin_ours(struct MHD_Connection *c)
{
	const char *o = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if (!o)
		return -1;
	return h && !strncasecmp(o, "http://", 7) && !strcasecmp(o + 7, h);
}

/* Check who may use rt; on success rq->actor names them ("token", a staff
 * member, or "" for AUTH_NONE and AUTH_ORIGIN) and 0 is returned, else
 * the refusal was queued into *ret. */
static int check_auth(struct api *a, struct MHD_Connection *c, const struct route *rt,
		      struct request *rq, MHD_RESULT *ret)
{
	if (rt->auth == AUTH_NONE)
		return 0;
	int origin = origin_ours(c);
	if (origin == 0) {
		*ret = send_error(c, 403, "cross_origin",
				  "a page of another site may not write here (Origin)");
		return -1;
	}
	if (rt->auth == AUTH_ORIGIN) {
		if (origin < 0)
			*ret = send_error(c, 403, "no_origin",
					  "only the desk page may do this (Origin)");
		return origin < 0 ? -1 : 0;
	}
	if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization")) {
		if (!authorised(a, c)) {
			*ret = send_error(c, 401, "unauthorized", "wrong token");
			return -1;
		}
		snprintf(rq->actor, sizeof(rq->actor), "token");
		return 0;
	}
	const char *sc = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, STAFF_SESSION_COOKIE);
	if (rt->auth == AUTH_WRITE && sc) {
		if (origin < 0) {
			*ret = send_error(
				c, 403, "no_origin",
				"a staff session writes from the desk page only (Origin)");
			return -1;
		}
		if (staff_session(&a->d->staff, sc, 1, rq->actor) == LM_OK)
			return 0;
		*ret = send_error(
			c, 401, "signed_out",
			"the session has ended (idle too long, or signed out): sign in again");
		return -1;
	}
	*ret = send_error(c, 401, "unauthorized", rt->token);
	return -1;
}

/* Does url match the route's path?  On a match *arg, *arglen is the part
 * that "*" or the prefix matched (empty when neither). */
static int route_match(const struct route *rt, const char *url, const char **arg, size_t *arglen)
{
	const char *p = rt->path, *u = url;
	*arg = "";
	*arglen = 0;
	for (; *p; p++) {
		if (*p == '*') {
			size_t n = strcspn(u, "/");
			*arg = u;
			*arglen = n;
			u += n;
		} else if (*p == *u) {
			u++;
		} else {
			return 0;
		}
	}
	if (rt->prefix) {
		*arg = u;
		*arglen = strlen(u);
		return 1;
	}
	return !*u;
}

static MHD_RESULT count_host(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind, (void)value;
	*(unsigned *)cls += !strcasecmp(key, MHD_HTTP_HEADER_HOST);
	return MHD_YES;
}

static MHD_RESULT route(struct api *a, struct MHD_Connection *c, const char *url,
			const char *method, struct request *rq)
{
	/* libmicrohttpd looks up the first of several: which one a proxy or a
	 * browser meant is anyone's guess, so none is. */
	unsigned hosts = 0;
	MHD_get_connection_values(c, MHD_HEADER_KIND, count_host, &hosts);
	if (hosts > 1)
		return send_error(c, 400, "bad_host", "more than one Host header");
	if (!host_ok(&a->d->cfg,
		     MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST)))
		return send_error(c, 421, "bad_host",
				  "this daemon does not answer to that host name (host_names)");
	const struct route *other = NULL;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *rt = &routes[i];
		const char *arg;
		size_t arglen;
		if (!route_match(rt, url, &arg, &arglen))
			continue;
		if (strcmp(method, rt->method) &&
		    (strcmp(rt->method, "GET") || strcmp(method, "HEAD"))) {
			other = rt;
			continue;
		}
		MHD_RESULT refused;
		if (check_auth(a, c, rt, rq, &refused))
			return refused;
		int jerr = strcmp(rt->method, "POST") ? LM_OK
						      : request_json(rq->body, rq->len, &rq->json);
		if (jerr == LM_ERR_BAD_VALUE)
			return send_error(c, 400, "bad_value",
					  "a JSON string holds U+0000 (\\u0000)");
		if (jerr)
			return send_error(c, 400, "bad_json",
					  "the body is not one JSON value (and nothing after it)");
		rq->arg_buf = strndup(arg, arglen);
		if (!rq->arg_buf)
			return MHD_NO;
		rq->arg = rq->arg_buf;
		rq->head = !strcmp(method, "HEAD");
		return rt->handler(a, c, rq);
	}
	if (other)
		return send_error(c, 405, "method", "this method is not allowed on this path");
	return send_error(c, 404, "not_found", "no such path");
}

static MHD_RESULT handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			  const char *version, const char *upload, size_t *upload_size,
			  void **con_cls)
{
	(void)version;
	struct api *a = cls;
	struct request *rq = *con_cls;
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		/* Accumulate the body, refusing more than HTTP_BODY_MAX bytes. */
		if (rq->too_big || rq->len + *upload_size > HTTP_BODY_MAX) {
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
		free(rq->arg_buf);
		json_object_put(rq->json);
		free(rq);
	}
	*con_cls = NULL;
}

/*
 * Raise the open-file limit to what max connections need (each is a file
 * descriptor) plus room for the rest of the daemon (the cache, the web
 * files, the readers); where the hard limit does not allow that, fewer
 * connections.  Returns the connection limit to use.
 */
static unsigned connection_limit(unsigned want)
{
	const rlim_t spare = 256;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return want;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want + spare) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want + spare
				      ? want + spare
				      : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want + spare) {
		unsigned n = rl.rlim_cur > spare + 16 ? (unsigned)(rl.rlim_cur - spare) : 16;
		log_msg(LOG_WARN,
			"max_connections %u: the open-file limit (%llu) allows only %u; raise "
			"LimitNOFILE",
			want, (unsigned long long)rl.rlim_cur, n);
		return n;
	}
	return want;
}

/* One API for the daemon's life: libmicrohttpd's callbacks get it. */
static struct api api_state;

/*
 * libmicrohttpd polls with epoll in HTTP_THREADS threads: an idle
 * connection costs a file descriptor and a little memory, not a thread,
 * so that a local process holding thousands of idle connections does not
 * lock the desk out; max_connections bounds them, and connection_timeout
 * closes the idle ones.  A handler that waits for a card (a write holds
 * the reader's lock for seconds) holds one of the threads, hence several.
 */
struct MHD_Daemon *api_start(struct desk *d, char *err, size_t errlen)
{
	struct api *a = &api_state;
	a->d = d;
	pthread_mutex_init(&a->streams_lock, NULL);
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)d->cfg.listen_port);
	inet_pton(AF_INET, d->cfg.listen_addr, &sa.sin_addr);
	unsigned limit = connection_limit(d->cfg.max_connections);
	struct MHD_Daemon *m = MHD_start_daemon(
		MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME,
		(uint16_t)d->cfg.listen_port, NULL, NULL, handler, a, MHD_OPTION_SOCK_ADDR, &sa,
		MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned)HTTP_THREADS, MHD_OPTION_CONNECTION_LIMIT, limit,
		MHD_OPTION_CONNECTION_TIMEOUT, d->cfg.connection_timeout, MHD_OPTION_END);
	if (!m) {
		snprintf(err, errlen, "cannot listen on %s:%u", d->cfg.listen_addr,
			 d->cfg.listen_port);
		return NULL;
	}
	if (events_start(a)) {
		MHD_stop_daemon(m);
		snprintf(err, errlen, "cannot start the event stream thread");
		return NULL;
	}
	return m;
}

void api_stop(struct MHD_Daemon *m)
{
	if (!m)
		return;
	events_stop(&api_state);
	MHD_stop_daemon(m);
}
