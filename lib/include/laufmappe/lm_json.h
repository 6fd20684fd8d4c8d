/*
 * lm_json.h - JSON views of entries, verdicts and trust lists (json-c), one
 * shape for the CLI's --json and the daemon's API (docs/format.md).
 * Returned objects are owned by the caller (json_object_put).
 */
#ifndef LM_JSON_H
#define LM_JSON_H

#include <json-c/json.h>

#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_trust.h"

#ifdef __cplusplus
extern "C" {
#endif

/* {"type":"IK","title":...,"date":"YYYY-MM-DD","fields":{...}} */
json_object *lm_json_entry(const struct lm_entry *e);
/* The entry plus "id", "kid", "verdict", "verdict_text", "issuer" {...}. */
json_object *lm_json_verified(const struct lm_verify_result *r);
/* The trust list: version, dates, institutions. */
json_object *lm_json_trust(const struct lm_trust *t);
/*
 * The entry vocabulary, from entry.c's and trust.c's tables, for forms and
 * views that must use exactly the library's names (the desk page gets it
 * from GET /api/vocab):
 *   {"types": [{"code", "name", "title", "issuers", "fields": [NAME, ...]}],
 *    "fields": {NAME: {"key", "kind": "uint"|"enum"|"bool"|"date"|"text"|"bytes",
 *                      "max" (uint, text, bytes), "values": [...] (enum)}},
 *    "roles": [NAME, ...], "verdicts": [NAME, ...]}
 * types in code order, each type's fields in the table's order, fields by
 * key (type and date, common to every entry, are not among them).
 */
json_object *lm_json_vocab(void);

#ifdef __cplusplus
}
#endif

#endif /* LM_JSON_H */
