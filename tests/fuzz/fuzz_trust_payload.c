/*
 * fuzz_trust_payload.c - the trust list decoder behind the signature
 * (lib/src/trust.c, trust_payload_decode), fed directly.
 *
 * fuzz_trust signs every input before loading it (about 290 inputs/s, nearly
 * all of it ECDSA); this sibling skips the signature and runs the payload
 * decoder alone, so the fuzzer spends its time in the code that parses.
 * Check (abort on failure): a payload that decodes encodes back to exactly
 * the same bytes (the format is deterministic: one list, one encoding).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_trust.h"
#include "trust_payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lm_trust *t;
	static uint8_t again[LM_TRUST_MAX];
	size_t len;

	if (!t && !(t = lm_trust_new()))
		abort();
	if (size > LM_TRUST_MAX)
		return 0;
	if (trust_payload_decode(t, data, size) == LM_OK &&
	    (trust_payload_encode(t, again, sizeof(again), &len) != LM_OK || len != size ||
	     memcmp(again, data, size) != 0))
		abort();
	lm_trust_clear(t); /* frees the parsed keys: LeakSanitizer watches */
	return 0;
}
