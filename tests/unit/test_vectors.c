/*
 * test_vectors.c - the committed vectors (tests/vectors/manifest.json) give
 * their expected verdicts, and no single-byte change or truncation of a
 * valid entry verifies.  Runs in tests/vectors (meson sets workdir).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "laufmappe/lm_card.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_trust.h"
#include "laufmappe/lm_util.h"

struct fixture {
	json_object *manifest;
	struct lm_trust *trust;
	uint8_t holder[LM_HOLDER_LEN];
	struct lm_verify_result res;
};

static const char *jstr(json_object *o, const char *k)
{
	return json_object_get_string(json_object_object_get(o, k));
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->manifest = json_object_from_file("manifest.json");
	if (!f->manifest)
		return -1;
	struct lm_key *root;
	uint8_t *buf;
	size_t len;
	if (lm_key_load_public(jstr(f->manifest, "root"), &root) ||
	    lm_file_read(jstr(f->manifest, "trust"), LM_TRUST_MAX, &buf, &len))
		return -1;
	f->trust = lm_trust_new();
	int err = lm_trust_load(f->trust, buf, len, root, 0);
	free(buf);
	lm_key_free(root);
	if (err || lm_hex_decode(jstr(f->manifest, "holder_a"), f->holder, LM_HOLDER_LEN))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	json_object_put(f->manifest);
	lm_trust_free(f->trust);
	free(f);
	return 0;
}

static void test_expected_verdicts(void **state)
{
	struct fixture *f = *state;
	json_object *v = json_object_object_get(f->manifest, "vectors");
	size_t n = json_object_array_length(v);
	assert_true(n >= 28);
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(v, i);
		uint8_t *buf;
		size_t len;
		assert_int_equal(lm_file_read(jstr(o, "file"), LM_ENTRY_MAX + 16, &buf, &len), LM_OK);
		lm_trust_verify(f->trust, f->holder, buf, len, &f->res);
		if (strcmp(lm_verdict_name(f->res.verdict), jstr(o, "expect")))
			fail_msg("%s: got %s, want %s", jstr(o, "file"),
				 lm_verdict_name(f->res.verdict), jstr(o, "expect"));
		free(buf);
	}
}

static void test_images(void **state)
{
	struct fixture *f = *state;
	json_object *v = json_object_object_get(f->manifest, "images");
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *o = json_object_array_get_idx(v, i);
		uint8_t *buf;
		size_t len;
		assert_int_equal(lm_file_read(jstr(o, "file"), LM_CARD_MAX, &buf, &len), LM_OK);
		struct lm_card c;
		assert_int_equal(lm_card_parse(buf, len, len, &c), LM_OK);
		size_t off = 0, elen;
		const uint8_t *e;
		int n = 0, valid = 0;
		while (lm_card_next(&c, &off, &e, &elen) == LM_OK) {
			lm_trust_verify(f->trust, c.holder, e, elen, &f->res);
			valid += f->res.verdict == LM_VALID;
			n++;
		}
		assert_int_equal(n, json_object_get_int(json_object_object_get(o, "entries")));
		assert_int_equal(valid, json_object_get_int(json_object_object_get(o, "valid")));
		free(buf);
	}
}

/* Every value at every position (255 changes per byte), and every truncation. */
static void mutate_all(struct fixture *f, const char *path, int every_value)
{
	uint8_t *buf;
	size_t len;
	assert_int_equal(lm_file_read(path, LM_ENTRY_MAX, &buf, &len), LM_OK);
	lm_trust_verify(f->trust, f->holder, buf, len, &f->res);
	assert_int_equal(f->res.verdict, LM_VALID);
	size_t tried = 0;
	for (size_t pos = 0; pos < len; pos++) {
		uint8_t orig = buf[pos];
		for (unsigned d = 1; d < 256; d++) {
			if (!every_value && d != 0x01 && d != 0x80 && d != 0xff)
				continue;
			buf[pos] = (uint8_t)(orig ^ d);
			lm_trust_verify(f->trust, f->holder, buf, len, &f->res);
			if (f->res.verdict == LM_VALID)
				fail_msg("%s: byte %zu ^ %02x still verifies", path, pos, d);
			tried++;
		}
		buf[pos] = orig;
	}
	for (size_t cut = 0; cut < len; cut++) {
		lm_trust_verify(f->trust, f->holder, buf, cut, &f->res);
		if (f->res.verdict == LM_VALID)
			fail_msg("%s: truncated to %zu still verifies", path, cut);
	}
	print_message("%s: %zu changed copies and %zu truncations rejected\n", path, tried, len);
	free(buf);
}

static void test_mutations_typical(void **state)
{
	mutate_all(*state, "card/02.cose", 1); /* the typical IK entry, card form */
	mutate_all(*state, "entries/ik_typical.cose", 1); /* detached form, with hint */
}

static void test_mutations_all_valid(void **state)
{
	struct fixture *f = *state;
	json_object *v = json_object_object_get(f->manifest, "vectors");
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *o = json_object_array_get_idx(v, i);
		if (!strcmp(jstr(o, "expect"), "valid"))
			mutate_all(f, jstr(o, "file"), 0);
	}
	json_object *c = json_object_object_get(f->manifest, "card_entries");
	for (size_t i = 0; i < json_object_array_length(c); i++)
		mutate_all(f, jstr(json_object_array_get_idx(c, i), "file"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expected_verdicts),
		cmocka_unit_test(test_images),
		cmocka_unit_test(test_mutations_typical),
		cmocka_unit_test(test_mutations_all_valid),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
