/*
 * vocab_dump.c - print the library's entry vocabulary (lm_json_vocab, the
 * body of GET /api/vocab) for the node tests that have no daemon:
 * test_vocab.mjs and test_catalogs.mjs.
 */
#include <stdio.h>

#include "laufmappe/lm_json.h"

int main(void)
{
	json_object *o = lm_json_vocab();
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return 0;
}
