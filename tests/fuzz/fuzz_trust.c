/*
 * fuzz_trust.c - trust list decoding.  The signature check comes first in
 * lm_trust_load, so the fuzzer would never reach the payload decoder; this
 * target signs each input payload with a fixed root key and then loads it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "laufmappe/lm_cose.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lm_key *root;
	static struct lm_trust *t;
	static uint8_t signed_list[LM_TRUST_MAX + 128];
	if (!root) {
		if (lm_key_generate(&root))
			abort();
		t = lm_trust_new();
	}
	if (size > LM_TRUST_MAX)
		return 0;
	size_t len;
	if (lm_cose_sign(root, NULL, 0, data, size, NULL, signed_list, sizeof(signed_list), &len))
		abort();
	if (lm_trust_load(t, signed_list, len, root, 0) == LM_OK) {
		/* What loads must sign and load again to the same list. */
		static uint8_t again[LM_TRUST_MAX + 128];
		size_t alen;
		if (lm_trust_sign(t, root, again, sizeof(again), &alen) != LM_OK || alen != len)
			abort();
	}
	lm_trust_load(t, data, size, root, 0); /* the unsigned path too */
	return 0;
}
