/*
 * audit.c - the office's write log: who did each write (desk.h, desk_audit).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "desk.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_util.h"
#include "log.h"

void desk_audit(struct desk *d, struct lm_cache *cache, const char *actor, const char *action,
		const char *reader, const uint8_t *holder, const uint8_t *entry, const char *detail)
{
	char hh[2 * LM_HOLDER_LEN + 1] = "", eh[65] = "";
	if (holder)
		lm_hex_encode(holder, LM_HOLDER_LEN, hh);
	if (entry)
		lm_hex_encode(entry, 32, eh);
	/* The line names the holder and entry by a prefix only, as the rest of
	 * the log does; the table keeps them whole for the office's admin. */
	log_msg(LOG_INFO, "audit: %s by \"%s\"%s%s%s%.8s%s%.12s%s%s", action, actor,
		reader ? " on " : "", reader ? reader : "", holder ? ", holder " : "", hh,
		entry ? ", entry " : "", eh, detail ? ", " : "", detail ? detail : "");
	struct lm_cache *own = NULL;
	if (!cache && lm_cache_open(d->cfg.database, &own) == LM_OK)
		cache = own;
	struct lm_audit a = {
		.time = (int64_t)time(NULL),
		.staff = actor,
		.action = action,
		.reader = reader,
		.holder = hh,
		.entry = eh,
		.detail = detail,
	};
	int err = cache ? lm_cache_audit_add(cache, &a) : LM_ERR_DB;
	if (err)
		log_msg(LOG_ERR, "audit: the %s by \"%s\" could not be stored in %s: %s", action,
			actor, d->cfg.database, lm_strerror(err));
	lm_cache_close(own);
}

static int add_row(void *ctx, const struct lm_audit *a)
{
	json_object *o = json_object_new_object();
	if (!o)
		return LM_ERR_NOMEM;
	json_object_object_add(o, "time", json_object_new_int64(a->time));
	json_object_object_add(o, "staff", json_object_new_string(a->staff));
	json_object_object_add(o, "action", json_object_new_string(a->action));
	json_object_object_add(o, "reader", json_object_new_string(a->reader));
	json_object_object_add(o, "holder", json_object_new_string(a->holder));
	json_object_object_add(o, "entry", json_object_new_string(a->entry));
	json_object_object_add(o, "detail", json_object_new_string(a->detail));
	json_object_array_add(ctx, o);
	return LM_OK;
}

json_object *desk_audit_json(struct lm_cache *cache, int64_t since, int *err)
{
	json_object *rows = json_object_new_array();
	*err = rows ? lm_cache_each_audit(cache, since, add_row, rows) : LM_ERR_NOMEM;
	if (*err) {
		json_object_put(rows);
		return NULL;
	}
	return rows;
}
