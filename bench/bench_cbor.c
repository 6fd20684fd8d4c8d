/*
 * bench_cbor.c - the measured reason for our own strict CBOR reader instead
 * of libcbor (docs/format.md, lib/src/lm_cbor.h): decode the typical entry's
 * payload with both, counting heap allocations and time, and feed both the
 * non-deterministic encodings our format must refuse.  Prints figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cbor.h>

#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "lm_cbor.h"

/*
 * Count every heap allocation in the process (libcbor's included): these
 * definitions interpose on glibc's and forward to its implementations.
 */
static size_t allocs;
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);

void *malloc(size_t n)
{
	allocs++;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	allocs++;
	return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	allocs++;
	return __libc_realloc(p, n);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	/* The typical IK payload: {1: 2, 2: 20781, 11: 700, 12: 700}. */
	static const uint8_t payload[] = {0xa4, 0x01, 0x02, 0x02, 0x19, 0x51, 0x2d, 0x0b,
					  0x19, 0x02, 0xbc, 0x0c, 0x19, 0x02, 0xbc};
	enum { N = 1000000 };

	allocs = 0;
	double t0 = now_s();
	struct lm_entry e;
	for (int i = 0; i < N; i++)
		if (lm_entry_decode_payload(payload, sizeof(payload), &e) != LM_OK)
			return 1;
	double ours = (now_s() - t0) / N * 1e9;
	size_t ours_allocs = allocs;

	allocs = 0;
	t0 = now_s();
	for (int i = 0; i < N; i++) {
		struct cbor_load_result r;
		cbor_item_t *it = cbor_load(payload, sizeof(payload), &r);
		if (!it)
			return 1;
		cbor_decref(&it);
	}
	double theirs = (now_s() - t0) / N * 1e9;
	printf("decode the typical payload (%zu bytes), with field checks in ours:\n", sizeof(payload));
	printf("  lm_cbor:  %6.0f ns, %.1f heap allocations per decode\n", ours,
	       (double)ours_allocs / N);
	printf("  libcbor:  %6.0f ns, %.1f heap allocations per decode (cbor_load)\n", theirs,
	       (double)allocs / N);

	/* Encodings that are valid CBOR but not deterministic. */
	static const struct {
		const char *what;
		uint8_t bytes[8];
		size_t len;
	} nd[] = {
		{"uint 23 in two bytes (18 17)", {0x18, 0x17}, 2},
		{"indefinite-length array (9f 01 ff)", {0x9f, 0x01, 0xff}, 3},
		{"map keys out of order ({2:0, 1:0})", {0xa2, 0x02, 0x00, 0x01, 0x00}, 5},
		{"duplicate map key ({1:0, 1:0})", {0xa2, 0x01, 0x00, 0x01, 0x00}, 5},
	};
	printf("non-deterministic encodings (our format must refuse them):\n");
	for (size_t i = 0; i < sizeof(nd) / sizeof(nd[0]); i++) {
		struct cbor_load_result r;
		cbor_item_t *it = cbor_load(nd[i].bytes, nd[i].len, &r);
		int lib_ok = it != NULL && r.error.code == CBOR_ERR_NONE;
		if (it)
			cbor_decref(&it);
		struct lm_cbor_reader rd;
		lm_cbor_reader_init(&rd, nd[i].bytes, nd[i].len);
		if (nd[i].bytes[0] == 0xa2) {
			uint64_t n = lm_cbor_get_map(&rd);
			int64_t prev = 0;
			int set = 0;
			for (uint64_t k = 0; k < n; k++) {
				lm_cbor_get_key(&rd, &prev, &set);
				lm_cbor_get_int(&rd);
			}
		} else {
			lm_cbor_skip(&rd);
		}
		int ours_ok = lm_cbor_reader_finish(&rd) == LM_OK;
		printf("  %-40s libcbor: %-8s lm_cbor: %s\n", nd[i].what, lib_ok ? "accepts" : "refuses",
		       ours_ok ? "accepts" : "refuses");
	}
	return 0;
}
