/*
 * fuzz_qrtext.c - the paper backup's QR text as a camera and a QR reader
 * deliver it (lib/src/qrtext.c): parse any line, read its entries, and
 * check that writing them again gives back the same text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_qrtext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ENTRIES 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t entries[MAX_ENTRIES][LM_ENTRY_MAX];
	static char text[MAX_ENTRIES * (LM_ENTRY_MAX * 4 / 3 + 4) + 64];
	const uint8_t *e[MAX_ENTRIES];
	size_t lens[MAX_ENTRIES], n = 0;
	struct lm_qrtext q;
	if (lm_qrtext_parse((const char *)data, size, &q) != 1)
		return 0;
	if (q.list < (const char *)data || q.list + q.len > (const char *)data + size)
		abort(); /* the entries part must lie inside the input */
	int k;
	while (n < MAX_ENTRIES &&
	       (k = lm_qrtext_next(&q, entries[n], LM_ENTRY_MAX, &lens[n])) == 1) {
		if (lens[n] == 0 || lens[n] > LM_ENTRY_MAX)
			abort();
		e[n] = entries[n];
		n++;
	}
	if (n == 0 || k != 0 || n == MAX_ENTRIES)
		return 0; /* broken or longer than we re-check */
	/* Canonical: the text we read is exactly what we would write. */
	if (lm_qrtext_encode(q.holder, e, lens, n, text, sizeof(text)) != LM_OK)
		abort();
	size_t pre = strlen(LM_QRTEXT_PREFIX) + 2 * LM_HOLDER_LEN + 1;
	if (strlen(text) - pre != q.len || memcmp(text + pre, q.list, q.len) != 0)
		abort();
	return 0;
}
