/*
 * trust_payload.h - the trust list's payload codec without the signature
 * (internal: tests and fuzzing link the static library; named without the
 * lm_trust_ prefix so that laufmappe.map does not export them).
 *
 * lm_trust_load() verifies the COSE_Sign1 first and only then decodes, so a
 * fuzzer feeding it bytes never gets past the signature, and one that signs
 * every input (fuzz_trust) spends nearly all its time in ECDSA.  These two
 * are the code behind the signature, callable directly.
 */
#ifndef LM_TRUST_PAYLOAD_H
#define LM_TRUST_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "laufmappe/lm_trust.h"

/*
 * Decode a trust list payload (the CBOR map inside the COSE_Sign1) into t,
 * strictly: deterministic encoding, every field checked, each institution's
 * key parsed and its kid checked, no key listed twice.  t is cleared first;
 * on any error it is left cleared.  Sets no root_kid and checks no version
 * floor (lm_trust_load does both).
 */
int trust_payload_decode(struct lm_trust *t, const uint8_t *payload, size_t len);

/* Encode t's payload (what lm_trust_sign signs) into out[cap]; *len its length. */
int trust_payload_encode(const struct lm_trust *t, uint8_t *out, size_t cap, size_t *len);

#endif /* LM_TRUST_PAYLOAD_H */
