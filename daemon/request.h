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
