/*
 * request.c - parsing request bodies: base64 and the JSON form of an entry.
 */
#include "request.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "laufmappe/lm_err.h"

int request_json(const char *body, size_t len, json_object **out)
{
	*out = NULL;
	/* U+0000 in a string (json-c keeps C strings: member names are cut
	 * at it, and values read with json_object_get_string are too). */
	int in_string = 0;
	for (size_t i = 0; i < len; i++) {
		if (!body[i])
			return LM_ERR_MALFORMED;
		if (!in_string) {
			in_string = body[i] == '"';
		} else if (body[i] == '"') {
			in_string = 0;
		} else if (body[i] == '\\' && i + 1 < len) {
			if (body[i + 1] == 'u' && len - i >= 6 && !memcmp(body + i + 2, "0000", 4))
				return LM_ERR_BAD_VALUE;
			i++; /* the escaped character */
		}
	}
	size_t start = 0;
	while (start < len && isspace((unsigned char)body[start]))
		start++;
	if (start == len)
		return LM_OK;
	if (len > INT_MAX)
		return LM_ERR_MALFORMED;
	json_tokener *tok = json_tokener_new();
	if (!tok)
		return LM_ERR_NOMEM;
	json_object *o = json_tokener_parse_ex(tok, body, (int)len);
	int ok = json_tokener_get_error(tok) == json_tokener_success;
	size_t end = ok ? json_tokener_get_parse_end(tok) : 0;
	json_tokener_free(tok);
	while (ok && end < len && isspace((unsigned char)body[end]))
		end++;
	if (!ok || !o || end != len) {
		json_object_put(o);
		return LM_ERR_MALFORMED;
	}
	*out = o;
	return LM_OK;
}

/* Decode base64 (standard or url alphabet); returns the length or -1. */
long request_b64_decode(const char *s, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	for (; *s && *s != '='; s++) {
		int v = isupper((unsigned char)*s)   ? *s - 'A'
			: islower((unsigned char)*s) ? *s - 'a' + 26
			: isdigit((unsigned char)*s) ? *s - '0' + 52
			: (*s == '+' || *s == '-')   ? 62
			: (*s == '/' || *s == '_')   ? 63
						     : -1;
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return (long)n;
}

/* Build an entry from {"type","date","fields":{...}} (JSON values as the CLI's text). */
int request_entry(json_object *j, struct lm_entry *e, char *why, size_t whylen)
{
	const char *type = json_object_get_string(json_object_object_get(j, "type"));
	const char *date = json_object_get_string(json_object_object_get(j, "date"));
	const struct lm_type_def *t = type ? lm_type_by_name(type) : NULL;
	uint32_t day = lm_date_today();
	if (!t) {
		snprintf(why, whylen, "unknown entry type");
		return LM_ERR_BAD_VALUE;
	}
	if (date && lm_date_parse(date, &day)) {
		snprintf(why, whylen, "date must be YYYY-MM-DD");
		return LM_ERR_BAD_VALUE;
	}
	lm_entry_init(e, t->code, day);
	json_object *fields = json_object_object_get(j, "fields");
	if (fields && !json_object_is_type(fields, json_type_object)) {
		snprintf(why, whylen, "fields must be an object");
		return LM_ERR_BAD_VALUE;
	}
	if (!fields)
		return LM_OK;
	json_object_object_foreach(fields, k, v)
	{
		const char *text = json_object_is_type(v, json_type_boolean)
					   ? (json_object_get_boolean(v) ? "yes" : "no")
					   : json_object_get_string(v);
		int err = lm_entry_set(e, k, text ? text : "");
		if (err) {
			snprintf(why, whylen, "%s: %s", k, lm_strerror(err));
			return err;
		}
	}
	return LM_OK;
}
