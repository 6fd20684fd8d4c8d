/*
 * http.h - the HTTP side of laufmapped (docs/api.md): what the route
 * handlers of api_read.c and api_write.c share with the plumbing in
 * http.c (answers, the request being served, the route table).
 *
 * http.c owns libmicrohttpd: the daemon, the Host check, the token check,
 * request bodies and the one table of routes (routes[] in http.c).  A
 * handler gets the request after the plumbing has checked the method, the
 * Host header and, where the route says so, the terminal's token.
 */
#ifndef LM_DAEMON_HTTP_H
#define LM_DAEMON_HTTP_H

#include <json-c/json.h>
#include <microhttpd.h>
#include <stddef.h>

#include "desk.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

#define HTTP_BODY_MAX 65536 /* request bodies; more is 413 too_large */

/* One request while it is served (libmicrohttpd's con_cls). */
struct request {
	char *body;	   /* the body, NUL-terminated, or NULL when none came */
	size_t len;	   /* its length in bytes */
	int too_big;	   /* more than HTTP_BODY_MAX bytes came */
	json_object *json; /* a POST's body parsed (request_json), or NULL */
	const char *arg;   /* the path segment a route's "*" matched (holder id), or the
			      rest of the path under a prefix route; "" when none */
	char *arg_buf;	   /* owns arg */
	char actor[STAFF_NAME_MAX + 1]; /* who writes: a staff member, or "token" */
	int head;			/* a HEAD request (answered as its GET) */
};

/* Overwrite a secret member's string (the PIN, an access code) and the body
 * it came in, as soon as it was read.  (Copies that libmicrohttpd and
 * json-c's tokener made and freed are out of our reach; none is logged,
 * stored or sent anywhere.) */
void request_wipe(struct request *rq, const char *member);

/* The event streams (api_read.c) wait suspended, not in a thread: at most
 * HTTP_STREAMS_MAX at once (a newer one closes the oldest, which the page's
 * EventSource opens again), each closed when idle for HTTP_STREAM_TIMEOUT
 * seconds; a keep-alive comment goes out every HTTP_KEEPALIVE seconds. */
#define HTTP_STREAMS_MAX    64
#define HTTP_KEEPALIVE	    15
#define HTTP_STREAM_TIMEOUT (3 * HTTP_KEEPALIVE)

struct event_stream;

/* What every handler is given: the desk, and the open event streams.  One
 * for the daemon's life (http.c). */
struct api {
	struct desk *d;
	pthread_mutex_t streams_lock; /* the fields below; taken before d->ev_lock */
	struct event_stream *streams; /* open event streams, oldest first */
	size_t nstreams;
	int closing;	/* api_stop: every stream ends */
	pthread_t pump; /* resumes streams on news and for keep-alives */
	int pump_running;
};

/* Start and stop the thread that wakes suspended event streams.  events_stop
 * ends every stream and resumes it, so that MHD_stop_daemon may follow. */
int events_start(struct api *a);
void events_stop(struct api *a);

/* A route handler: answers the request (queues a response) and returns
 * what MHD_queue_response returned. */
typedef MHD_RESULT (*api_handler)(struct api *a, struct MHD_Connection *c, struct request *rq);

/* Answers.  send_text takes text (malloc'd, freed by libmicrohttpd);
 * send_json takes o (put after serialising). */
MHD_RESULT send_text(struct MHD_Connection *c, unsigned status, const char *type, char *text,
		     size_t len);
MHD_RESULT send_json(struct MHD_Connection *c, unsigned status, json_object *o);
/* send_text with one more header (Set-Cookie, Retry-After); header may be NULL. */
MHD_RESULT send_text_with(struct MHD_Connection *c, unsigned status, const char *type, char *text,
			  size_t len, const char *header, const char *value);
/* {"error": {"code", "message"}}: every error answer, for more members too. */
json_object *error_json(const char *code, const char *message);
MHD_RESULT send_error(struct MHD_Connection *c, unsigned status, const char *code,
		      const char *message);
/* An error of the library, with the HTTP status of its class (docs/api.md). */
MHD_RESULT send_lm_error(struct MHD_Connection *c, int err);

/* The reader named (by ?reader= or a body), else the one tapped last;
 * NULL when the name matches no reader. */
struct desk_reader *pick_reader(struct desk *d, const char *name);
/* The reader a write's JSON body names ("reader"), else as pick_reader. */
struct desk_reader *body_reader(struct desk *d, json_object *body);

/* The institution of this terminal on the trust list (by its signing key),
 * or NULL.  Caller holds the trust read lock. */
const struct lm_institution *own_institution(struct desk *d);

/* The handlers (api_read.c, api_write.c), dispatched by routes[] in http.c. */
MHD_RESULT api_status(struct api *a, struct MHD_Connection *c, struct request *rq);
MHD_RESULT api_readers(struct api *a, struct MHD_Connection *c, struct request *rq);
MHD_RESULT api_card(struct api *a, struct MHD_Connection *c, struct request *rq);
MHD_RESULT api_holder(struct api *a, struct MHD_Connection *c, struct request *rq);
MHD_RESULT api_vocab(struct api *a, struct MHD_Connection *c, struct request *rq);
MHD_RESULT api_qr(struct api *a, struct MHD_Connection *c, struct request *rq);
MHD_RESULT api_export(struct api *a, struct MHD_Connection *c, struct request *rq);
MHD_RESULT api_events(struct api *a, struct MHD_Connection *c, struct request *rq);
MHD_RESULT api_append(struct api *a, struct MHD_Connection *c, struct request *rq);
MHD_RESULT api_import(struct api *a, struct MHD_Connection *c, struct request *rq);
MHD_RESULT api_restore(struct api *a, struct MHD_Connection *c, struct request *rq);
MHD_RESULT api_delete(struct api *a, struct MHD_Connection *c, struct request *rq);
MHD_RESULT api_unlock(struct api *a, struct MHD_Connection *c, struct request *rq);
MHD_RESULT api_session_get(struct api *a, struct MHD_Connection *c, struct request *rq);
MHD_RESULT api_session_post(struct api *a, struct MHD_Connection *c, struct request *rq);
MHD_RESULT api_session_delete(struct api *a, struct MHD_Connection *c, struct request *rq);
MHD_RESULT api_setup(struct api *a, struct MHD_Connection *c, struct request *rq);
MHD_RESULT api_audit(struct api *a, struct MHD_Connection *c, struct request *rq);
MHD_RESULT api_protect(struct api *a, struct MHD_Connection *c, struct request *rq);

#endif
