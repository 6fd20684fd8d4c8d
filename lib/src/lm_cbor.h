/*
 * lm_cbor.h - a strict, allocation-free CBOR reader and writer for the
 * subset our formats use (internal to liblaufmappe).
 *
 * Why our own codec and not libcbor: card data must be parsed without
 * malloc (libcbor's cbor_load allocates every item), and decoding must
 * REJECT anything that is not deterministically encoded (RFC 8949 §4.2.1),
 * because the SHA-256 of an entry's bytes is its identity everywhere.
 * libcbor accepts non-shortest heads, indefinite lengths and unsorted maps
 * without telling.  Measured (bench/bench_cbor): the typical payload takes
 * 11 heap allocations and ~630 ns with libcbor's cbor_load, none and ~80 ns
 * here including our field checks; libcbor accepts all four kinds of
 * non-deterministic input that we must refuse.  The tests use libcbor as an
 * independent decoder of what we write (tests/unit/test_libcbor.c).
 *
 * The subset: unsigned and negative integers (within int64), byte strings,
 * text strings (valid UTF-8), arrays and maps of definite length, and the
 * booleans false (F4) and true (F5).  Tags, floats, other simple values
 * (null, undefined, F8 xx) and indefinite lengths are rejected as malformed.
 *
 * Both sides carry a sticky error: after the first failure every call is a
 * no-op that returns zero, and the caller checks once at the end with
 * lm_cbor_reader_finish() / the writer's err field.  The reader never reads
 * past len and never recurses.
 */
#ifndef LM_CBOR_H
#define LM_CBOR_H

#include <stddef.h>
#include <stdint.h>

enum lm_cbor_major {
	LM_CBOR_UINT = 0,
	LM_CBOR_NINT = 1,
	LM_CBOR_BSTR = 2,
	LM_CBOR_TSTR = 3,
	LM_CBOR_ARRAY = 4,
	LM_CBOR_MAP = 5,
	LM_CBOR_TAG = 6,
	LM_CBOR_SIMPLE = 7,
};

struct lm_cbor_reader {
	const uint8_t *buf; /* input, not owned */
	size_t len;	    /* bytes in buf */
	size_t off;	    /* next byte to read */
	int err;	    /* first error (enum lm_err), sticky */
};

void lm_cbor_reader_init(struct lm_cbor_reader *r, const uint8_t *buf, size_t len);

/* The major type of the next item, or -1 at the end or after an error. */
int lm_cbor_peek(const struct lm_cbor_reader *r);

/* Read one item of the named kind; a different kind sets LM_ERR_MALFORMED. */
uint64_t lm_cbor_get_uint(struct lm_cbor_reader *r);
int64_t lm_cbor_get_int(struct lm_cbor_reader *r);    /* major 0 or 1 */
uint64_t lm_cbor_get_array(struct lm_cbor_reader *r); /* element count */
uint64_t lm_cbor_get_map(struct lm_cbor_reader *r);   /* pair count */
/* A boolean: simple value false (F4) -> 0, true (F5) -> 1; anything else,
 * an integer too, sets LM_ERR_MALFORMED and returns 0. */
int lm_cbor_get_bool(struct lm_cbor_reader *r);
/* Strings: return a pointer into the input and set *len; NULL on error. */
const uint8_t *lm_cbor_get_bstr(struct lm_cbor_reader *r, size_t *len);
const uint8_t *lm_cbor_get_tstr(struct lm_cbor_reader *r, size_t *len);

/*
 * Map keys in deterministic order: read an integer key and check that it
 * sorts strictly after *prev (bytewise order of the encodings, which for
 * integers is: 0, 1, ..., then -1, -2, ...).  Start with *prev_set = 0.
 */
int64_t lm_cbor_get_key(struct lm_cbor_reader *r, int64_t *prev, int *prev_set);

/*
 * Skip one well-formed item of our subset (any depth, no recursion);
 * returns its encoded length, 0 on error.
 */
size_t lm_cbor_skip(struct lm_cbor_reader *r);

/* LM_OK when no error occurred and every byte was consumed. */
int lm_cbor_reader_finish(const struct lm_cbor_reader *r);

/* Set an error (for schema checks done by the caller); keeps the first. */
void lm_cbor_reader_fail(struct lm_cbor_reader *r, int err);

struct lm_cbor_writer {
	uint8_t *buf; /* output, or NULL to only count */
	size_t cap;   /* bytes available in buf */
	size_t len;   /* bytes written (or counted) so far */
	int err;      /* LM_ERR_BUFFER when cap was exceeded, sticky */
};

void lm_cbor_writer_init(struct lm_cbor_writer *w, uint8_t *buf, size_t cap);
void lm_cbor_put_uint(struct lm_cbor_writer *w, uint64_t v);
void lm_cbor_put_int(struct lm_cbor_writer *w, int64_t v);
void lm_cbor_put_bool(struct lm_cbor_writer *w, int v); /* F5 true, F4 false */
void lm_cbor_put_bstr(struct lm_cbor_writer *w, const uint8_t *p, size_t len);
void lm_cbor_put_tstr(struct lm_cbor_writer *w, const char *p, size_t len);
void lm_cbor_put_array(struct lm_cbor_writer *w, uint64_t n);
void lm_cbor_put_map(struct lm_cbor_writer *w, uint64_t n);
/* Shortest-form head for a major type and argument (used for streaming). */
void lm_cbor_put_head(struct lm_cbor_writer *w, int major, uint64_t arg);
void lm_cbor_put_raw(struct lm_cbor_writer *w, const uint8_t *p, size_t len);

/* Encode a head into out[9]; returns its length.  For hashing streams. */
size_t lm_cbor_head(uint8_t out[9], int major, uint64_t arg);

/* 1 when p[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int lm_utf8_valid(const uint8_t *p, size_t len);
/* 1 when p[0..len) is valid UTF-8 without control characters (names). */
int lm_text_valid(const uint8_t *p, size_t len);

#endif /* LM_CBOR_H */
