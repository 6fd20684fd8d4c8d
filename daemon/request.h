/*
 * request.h - parsing what HTTP clients send (the part of the daemon that
 * reads untrusted input; tests/fuzz/fuzz_request.c covers it).
 */
#ifndef LM_DAEMON_REQUEST_H
#define LM_DAEMON_REQUEST_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "laufmappe/lm_entry.h"

/*
 * Parse a request body of len bytes: one JSON value, whitespace around it
 * and nothing else.  *out is NULL for an empty (or all-whitespace) body,
 * else the value (the caller puts it).  LM_ERR_MALFORMED: not JSON, a raw
 * NUL byte, or text after the value; LM_ERR_BAD_VALUE: a string (a value or
 * a member name) holds U+0000, which json-c would cut there ("a\u0000b"
 * read as "a", "2026-11-25\u0000x" as a date).
 */
int request_json(const char *body, size_t len, json_object **out);

/* Decode base64 (standard or url alphabet, padding optional); the length or -1. */
long request_b64_decode(const char *s, uint8_t *out, size_t cap);

/*
 * Build an entry from {"type":..,"date":..,"fields":{..}}; field values are
 * the CLI's text forms (numbers and booleans accepted as JSON).  Text values
 * point into j: keep it alive while e is used.  On failure, why says what is
 * wrong.
 */
int request_entry(json_object *j, struct lm_entry *e, char *why, size_t whylen);

#endif
