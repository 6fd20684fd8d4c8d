/*
 * fuzz_request.c - the daemon's request parsing: a body as the append and
 * import endpoints receive it (JSON, an entry object, base64 of a signed
 * entry), decoded and, where it builds an entry, encoded.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "laufmappe/lm_err.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	json_tokener *tok = json_tokener_new();
	json_object *body = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (!body)
		return 0;
	json_object *je = json_object_object_get(body, "entry");
	struct lm_entry e;
	char why[160];
	if (je && json_object_is_type(je, json_type_object) &&
	    request_entry(je, &e, why, sizeof(why)) == LM_OK) {
		uint8_t payload[LM_PAYLOAD_MAX];
		size_t len;
		int err = lm_entry_encode_payload(&e, payload, sizeof(payload), &len);
		/* What request_entry accepts must encode and decode back. */
		struct lm_entry d;
		if (err == LM_OK && lm_entry_decode_payload(payload, len, &d) != LM_OK)
			abort();
	}
	const char *s = json_object_get_string(json_object_object_get(body, "signed"));
	uint8_t buf[LM_ENTRY_MAX];
	if (s)
		(void)request_b64_decode(s, buf, sizeof(buf));
	json_object_put(body);
	return 0;
}
