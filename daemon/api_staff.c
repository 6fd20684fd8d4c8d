/*
 * api_staff.c - the routes of staff sign-in (docs/api.md, "Staff
 * sessions"): who is signed in, sign in with name and PIN, sign out, the
 * one-time setup link of the terminal's browser; and the office's write
 * log for its admin (GET /api/audit, with the terminal's token).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_protect.h"
#include "log.h"
#include "staff.h"

/* The cookie attributes: never Secure, since the daemon speaks plain HTTP
 * on loopback (a Secure cookie would not be sent back at all). */
#define COOKIE_ATTRS "; HttpOnly; SameSite=Strict; Path=/"

static const char *cookie(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_COOKIE_KIND, name);
}

/* GET /api/session: {"terminal": bool, "staff": NAME or null, "idle_seconds"}. */
MHD_RESULT api_session_get(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	(void)rq;
	struct staff *s = &a->d->staff;
	const char *sc = cookie(c, STAFF_SESSION_COOKIE);
	char name[STAFF_NAME_MAX + 1];
	int in = sc && staff_session(s, sc, 0, name) == LM_OK;
	json_object *o = json_object_new_object();
	json_object_object_add(
		o, "terminal",
		json_object_new_boolean(staff_terminal(s, cookie(c, STAFF_TERMINAL_COOKIE))));
	json_object_object_add(o, "staff", in ? json_object_new_string(name) : NULL);
	json_object_object_add(o, "idle_seconds", json_object_new_int((int)s->idle));
	return send_json(c, 200, o);
}

/*
 * POST /api/session {"name", "pin"}: sign in, from a browser set up as this
 * terminal only (its cookie); the plumbing has checked the Origin.  The
 * PIN's text is wiped once read.
 */
MHD_RESULT api_session_post(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	struct staff *s = &a->d->staff;
	char name[STAFF_NAME_MAX + 1] = "", pin[STAFF_PIN_MAX + 2] = "";
	snprintf(name, sizeof(name), "%s", jstr(rq->json, "name"));
	snprintf(pin, sizeof(pin), "%s", jstr(rq->json, "pin"));
	request_wipe(rq, "pin");
	if (!staff_terminal(s, cookie(c, STAFF_TERMINAL_COOKIE))) {
		lm_protect_wipe(pin, sizeof(pin));
		return send_error(c, 403, "not_terminal",
				  "this browser is not set up as this terminal: open the setup "
				  "link (laufmapped --setup-link)");
	}
	char sc[STAFF_COOKIE_LEN + 1];
	unsigned wait = 0;
	int err = staff_signin(s, name, pin, sc, &wait);
	lm_protect_wipe(pin, sizeof(pin));
	if (err == LM_ERR_BLOCKED) {
		log_msg(LOG_WARN, "staff \"%s\": sign-in refused, too many wrong PINs (wait %u s)",
			name, wait);
		json_object *o = error_json("too_many_tries",
					    "too many wrong PINs: wait before trying again");
		json_object_object_add(json_object_object_get(o, "error"), "wait",
				       json_object_new_int((int)wait));
		char *text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		char retry[16];
		snprintf(retry, sizeof(retry), "%u", wait);
		return send_text_with(c, 429, "application/json", text, strlen(text), "Retry-After",
				      retry);
	}
	if (err == LM_ERR_WRONG_CODE) {
		log_msg(LOG_WARN, "staff \"%s\": sign-in refused, wrong name or PIN", name);
		return send_error(c, 401, "wrong_pin", "wrong name or PIN");
	}
	if (err)
		return send_lm_error(c, err);
	log_msg(LOG_INFO, "staff \"%s\": signed in", name);
	char set[STAFF_COOKIE_LEN + 64];
	snprintf(set, sizeof(set), STAFF_SESSION_COOKIE "=%s" COOKIE_ATTRS, sc);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "staff", json_object_new_string(name));
	char *text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return send_text_with(c, 200, "application/json", text, strlen(text), "Set-Cookie", set);
}

/* DELETE /api/session: sign out (the Origin checked by the plumbing). */
MHD_RESULT api_session_delete(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	(void)rq;
	const char *sc = cookie(c, STAFF_SESSION_COOKIE);
	char name[STAFF_NAME_MAX + 1];
	if (sc && staff_session(&a->d->staff, sc, 0, name) == LM_OK) {
		staff_signout(&a->d->staff, sc);
		log_msg(LOG_INFO, "staff \"%s\": signed out", name);
	}
	char *text = strdup("{\"staff\":null}");
	return send_text_with(c, 200, "application/json", text, strlen(text), "Set-Cookie",
			      STAFF_SESSION_COOKIE "=" COOKIE_ATTRS "; Max-Age=0");
}

/*
 * GET /setup?s=SECRET: the one-time setup link (HEAD: 204, the link stays
 * good).  Good once: this browser
 * gets the terminal cookie (a year; HttpOnly) and goes to the page; a used,
 * expired or wrong link goes to the page with ?setup=invalid, which says so.
 */
MHD_RESULT api_setup(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	const char *secret = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "s");
	char tc[STAFF_COOKIE_LEN + 1];
	if (rq->head) {
		/* A link checker or preview asking HEAD does not use the link up. */
		struct MHD_Response *r =
			MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, "Cache-Control", "no-store");
		MHD_RESULT ret = MHD_queue_response(c, 204, r);
		MHD_destroy_response(r);
		return ret;
	}
	int err = secret ? staff_setup_use(&a->d->staff, secret, tc) : LM_ERR_NOT_FOUND;
	struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	if (err) {
		log_msg(LOG_WARN, "setup link refused: %s",
			err == LM_ERR_NOT_FOUND ? "used, expired or not the current one"
						: lm_strerror(err));
		MHD_add_response_header(r, "Location", "/?setup=invalid");
	} else {
		char set[STAFF_COOKIE_LEN + 96];
		snprintf(set, sizeof(set), STAFF_TERMINAL_COOKIE "=%s" COOKIE_ATTRS "; Max-Age=%d",
			 tc, 366 * 86400);
		MHD_add_response_header(r, "Set-Cookie", set);
		MHD_add_response_header(r, "Location", "/");
		log_msg(LOG_INFO, "setup link used: this browser is now one of this terminal's");
	}
	MHD_RESULT ret = MHD_queue_response(c, 303, r);
	MHD_destroy_response(r);
	return ret;
}

/* GET /api/audit?since=SECONDS: the office's write log (token only). */
MHD_RESULT api_audit(struct api *a, struct MHD_Connection *c, struct request *rq)
{
	(void)rq;
	const char *since = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
	char *end = NULL;
	long long from = since ? strtoll(since, &end, 10) : 0;
	if (since && (end == since || *end))
		return send_error(c, 400, "bad_value", "since: seconds since 1970");
	struct lm_cache *cache;
	int err = lm_cache_open(a->d->cfg.database, &cache);
	if (err)
		return send_lm_error(c, err);
	json_object *rows = desk_audit_json(cache, from, &err);
	lm_cache_close(cache);
	if (!rows)
		return send_lm_error(c, err);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "audit", rows);
	return send_json(c, 200, o);
}
