/*
 * test_libcbor.c - an independent CBOR decoder (libcbor) reads what our
 * encoder writes: every vector entry's COSE structure and payload decode
 * there to the same values, with nothing left over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_util.h"

/* Compare libcbor's view of a payload map with our decoded entry. */
static size_t bools; /* boolean fields seen, across the vectors */

static void check_payload(const cbor_item_t *map, const struct lm_entry *e, const char *file)
{
	assert_true(cbor_isa_map(map));
	assert_true(cbor_map_is_definite(map));
	size_t n = cbor_map_size(map), present = 0;
	for (unsigned k = 1; k < LM_FIELD_KEYS; k++)
		present += (e->present >> k) & 1;
	if (n != present)
		fail_msg("%s: libcbor sees %zu pairs, we %zu", file, n, present);
	struct cbor_pair *pairs = cbor_map_handle(map);
	for (size_t i = 0; i < n; i++) {
		assert_true(cbor_isa_uint(pairs[i].key));
		unsigned k = (unsigned)cbor_get_int(pairs[i].key);
		assert_true(k < LM_FIELD_KEYS && (e->present >> k) & 1);
		const cbor_item_t *v = pairs[i].value;
		if (cbor_isa_uint(v)) {
			assert_int_equal(cbor_get_int(v), k == 1 ? e->type : e->v[k].num);
		} else if (cbor_isa_string(v) || cbor_isa_bytestring(v)) {
			size_t len = cbor_isa_string(v) ? cbor_string_length(v) : cbor_bytestring_length(v);
			const uint8_t *p = cbor_isa_string(v) ? cbor_string_handle(v) : cbor_bytestring_handle(v);
			assert_int_equal(len, e->v[k].len);
			assert_memory_equal(p, e->v[k].ptr, len);
		} else if (cbor_isa_float_ctrl(v) && cbor_is_bool(v)) {
			/* A boolean is CBOR true (false is left out). */
			assert_int_equal(lm_field_by_key(k)->kind, LM_KIND_BOOL);
			assert_true(cbor_get_bool(v));
			assert_int_equal(e->v[k].num, 1);
			bools++;
		} else {
			fail_msg("%s: key %u has an unexpected CBOR type", file, k);
		}
	}
}

static void test_vectors_through_libcbor(void **state)
{
	(void)state;
	json_object *m = json_object_from_file("manifest.json");
	assert_non_null(m);
	json_object *v = json_object_object_get(m, "vectors");
	size_t checked = 0;
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *o = json_object_array_get_idx(v, i);
		const char *file = json_object_get_string(json_object_object_get(o, "file"));
		const char *expect = json_object_get_string(json_object_object_get(o, "expect"));
		if (!strcmp(expect, "malformed"))
			continue;
		uint8_t *buf;
		size_t len;
		assert_int_equal(lm_file_read(file, LM_ENTRY_MAX, &buf, &len), LM_OK);
		struct lm_cose c;
		struct lm_entry e;
		assert_int_equal(lm_entry_decode(buf, len, &c, &e), LM_OK);
		struct cbor_load_result res;
		cbor_item_t *item = cbor_load(buf, len, &res);
		assert_non_null(item);
		assert_int_equal(res.error.code, CBOR_ERR_NONE);
		assert_int_equal(res.read, len); /* nothing left over */
		assert_true(cbor_isa_array(item));
		assert_int_equal(cbor_array_size(item), 4);
		cbor_item_t *payload = cbor_array_get(item, 2);
		assert_int_equal(cbor_bytestring_length(payload), c.payload_len);
		cbor_item_t *map = cbor_load(cbor_bytestring_handle(payload), c.payload_len, &res);
		assert_non_null(map);
		assert_int_equal(res.read, c.payload_len);
		check_payload(map, &e, file);
		cbor_decref(&map);
		cbor_decref(&payload);
		cbor_decref(&item);
		free(buf);
		checked++;
	}
	assert_true(checked >= 27);
	assert_true(bools >= 3); /* repeat, gaps_closed, work_experience in the vectors */
	json_object_put(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_through_libcbor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
