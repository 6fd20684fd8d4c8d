/*
 * fuzz_card.c - card image parsing and the log walk, as a reader sees an
 * image: the header, then only the committed bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "laufmappe/lm_card.h"
#include "laufmappe/lm_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t need;
	if (lm_card_header_need(data, size, &need) != LM_OK || need > size)
		return 0;
	struct lm_card c;
	if (lm_card_parse(data, need, size > LM_CARD_MAX ? LM_CARD_MAX : size, &c) != LM_OK)
		return 0;
	size_t off = 0, len, total = 0;
	const uint8_t *e;
	while (lm_card_next(&c, &off, &e, &len) == LM_OK) {
		if (e < c.log || e + len > c.log + c.committed)
			abort(); /* an entry outside the committed log */
		total += len;
	}
	if (total > c.committed)
		abort();
	return 0;
}
