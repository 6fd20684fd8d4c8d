/*
 * fuzz_trust_payload.c - the trust list decoder behind the signature
 * (lib/src/trust.c, trust_payload_decode), fed directly.
 *
 * fuzz_trust signs every input before loading it (about 290 inputs/s, nearly
 * all of it ECDSA); this sibling skips the signature and runs the payload
 * decoder alone, so the fuzzer spends its time in the code that parses.
 * Checks (abort on failure): a payload that decodes encodes back to exactly
 * the same bytes (the format is deterministic: one list, one encoding); its
 * JSON view (lm_json_trust, what `laufmappe trust show --json` prints) can
 * be built, and every date in it reads back as the same day.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_json.h"
#include "laufmappe/lm_trust.h"
#include "trust_payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A date (days) as shown must read back as the same day; 0 is "none". */
static void check_date(uint32_t days)
{
	char text[11];
	uint32_t back;
	if (days == 0)
		return;
	lm_date_format(days, text);
	if (lm_date_parse(text, &back) != LM_OK || back != days)
		abort();
}

/* The JSON view, and its dates. */
static void check_view(const struct lm_trust *t)
{
	json_object *o = lm_json_trust(t);
	if (!o || !json_object_to_json_string(o))
		abort();
	json_object_put(o);
	for (size_t i = 0; i < t->n; i++) {
		check_date(t->inst[i].valid_from);
		check_date(t->inst[i].valid_until);
		check_date(t->inst[i].revoked);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lm_trust *t;
	static uint8_t again[LM_TRUST_MAX];
	size_t len;

	if (!t && !(t = lm_trust_new()))
		abort();
	if (size > LM_TRUST_MAX)
		return 0;
	if (trust_payload_decode(t, data, size) == LM_OK) {
		if (trust_payload_encode(t, again, sizeof(again), &len) != LM_OK || len != size ||
		    memcmp(again, data, size) != 0)
			abort();
		check_view(t);
	}
	lm_trust_clear(t); /* frees the parsed keys: LeakSanitizer watches */
	return 0;
}
