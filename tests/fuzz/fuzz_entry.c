/*
 * fuzz_entry.c - decoding of signed entries (COSE and payload), and the
 * full verification path against a fixed trust list, and the JSON view of
 * the result (lm_json_verified: what the desk page and --json show), whose
 * dates must read back as the same days.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_json.h"
#include "laufmappe/lm_trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every date field present, as shown, reads back as the same day. */
static void check_dates(const struct lm_entry *e)
{
	for (unsigned k = 1; k < LM_FIELD_KEYS; k++) {
		const struct lm_field_def *f = lm_field_by_key(k);
		char text[11];
		uint32_t back;
		if (!f || f->kind != LM_KIND_DATE || !(e->present & (1ull << k)))
			continue;
		lm_date_format(e->v[k].num, text);
		if (lm_date_parse(text, &back) != LM_OK || back != e->v[k].num)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lm_trust *t;
	static struct lm_verify_result r;
	static const uint8_t holder[LM_HOLDER_LEN] = {0xa1};
	if (!t) {
		/* One institution with a fresh key, so that kid matches are rare but
		 * the verify path after a match is reachable through the corpus. */
		struct lm_key *k;
		uint8_t spki[LM_SPKI_MAX];
		size_t len;
		t = lm_trust_new();
		if (lm_key_generate(&k) || lm_key_spki(k, spki, sizeof(spki), &len) ||
		    lm_trust_add(t, spki, len, "fuzz", 1, 0x3ffffe, 0, 0))
			abort();
		lm_key_free(k);
	}
	struct lm_cose c;
	struct lm_entry e;
	if (lm_entry_decode(data, size, &c, &e) == LM_OK) {
		/* What decodes must re-encode to the same payload bytes. */
		uint8_t out[LM_PAYLOAD_MAX];
		size_t olen;
		if (lm_entry_encode_payload(&e, out, sizeof(out), &olen) != LM_OK ||
		    olen != c.payload_len || memcmp(out, c.payload, olen) != 0)
			abort();
	}
	lm_trust_verify(t, holder, data, size, &r);
	json_object *o = lm_json_verified(&r);
	if (!o || !json_object_to_json_string(o))
		abort();
	json_object_put(o);
	if (r.verdict != LM_MALFORMED)
		check_dates(&r.entry);
	return 0;
}
