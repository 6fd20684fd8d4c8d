/*
 * trust_fixture.h - what the tests of trust lists and their checks share:
 * an institution's key added to a list, an entry signed for a holder.
 */
#ifndef LM_TEST_TRUST_FIXTURE_H
#define LM_TEST_TRUST_FIXTURE_H

#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_key.h"
#include "laufmappe/lm_trust.h"

static void add_key(struct lm_trust *t, struct lm_key *k, const char *name, unsigned role,
		    uint32_t types)
{
	uint8_t spki[LM_SPKI_MAX];
	size_t len;
	assert_int_equal(lm_key_spki(k, spki, sizeof(spki), &len), LM_OK);
	assert_int_equal(lm_trust_add(t, spki, len, name, role, types, 0, 0), LM_OK);
}

/* An entry of type on day, signed by k for holder (hint: the holder id in
 * the unprotected header too), into out (LM_ENTRY_MAX bytes). */
static size_t sign_entry(struct lm_key *k, const uint8_t *holder, int hint, unsigned type,
			 uint32_t day, uint8_t *out)
{
	struct lm_entry e;
	lm_entry_init(&e, type, day);
	size_t len;
	assert_int_equal(lm_entry_sign(&e, k, holder, hint, out, LM_ENTRY_MAX, &len), LM_OK);
	return len;
}

#endif
