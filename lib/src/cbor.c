/*
 * cbor.c - strict deterministic CBOR subset; see lm_cbor.h for the why.
 */
#include "lm_cbor.h"

#include <string.h>

#include "laufmappe/lm_err.h"

void lm_cbor_reader_init(struct lm_cbor_reader *r, const uint8_t *buf, size_t len)
{
	r->buf = buf;
	r->len = buf ? len : 0;
	r->off = 0;
	r->err = LM_OK;
}

void lm_cbor_reader_fail(struct lm_cbor_reader *r, int err)
{
	if (r->err == LM_OK)
		r->err = err;
}

int lm_cbor_peek(const struct lm_cbor_reader *r)
{
	if (r->err != LM_OK || r->off >= r->len)
		return -1;
	return r->buf[r->off] >> 5;
}

/*
 * Read one head: major type and argument.  Rejects reserved additional
 * information (28-30), indefinite length (31) and any argument that is not
 * in its shortest form.  Returns -1 (and sets the error) on failure.
 */
static int read_head(struct lm_cbor_reader *r, uint64_t *arg)
{
	if (r->err != LM_OK)
		return -1;
	if (r->off >= r->len) {
		r->err = LM_ERR_MALFORMED;
		return -1;
	}
	uint8_t ib = r->buf[r->off];
	int major = ib >> 5;
	uint8_t ai = ib & 0x1f;
	size_t extra;
	if (ai < 24)
		extra = 0;
	else if (ai == 24)
		extra = 1;
	else if (ai == 25)
		extra = 2;
	else if (ai == 26)
		extra = 4;
	else if (ai == 27)
		extra = 8;
	else {
		r->err = LM_ERR_MALFORMED; /* reserved or indefinite */
		return -1;
	}
	if (r->len - r->off - 1 < extra) {
		r->err = LM_ERR_MALFORMED;
		return -1;
	}
	uint64_t v = ai < 24 ? ai : 0;
	for (size_t i = 0; i < extra; i++)
		v = (v << 8) | r->buf[r->off + 1 + i];
	/* Shortest form: each width must be needed. */
	if ((ai == 24 && v < 24) || (ai == 25 && v <= 0xff) || (ai == 26 && v <= 0xffff) ||
	    (ai == 27 && v <= 0xffffffffu)) {
		r->err = LM_ERR_NONCANONICAL;
		return -1;
	}
	r->off += 1 + extra;
	*arg = v;
	return major;
}

static uint64_t get_kind(struct lm_cbor_reader *r, int want)
{
	size_t start = r->off;
	uint64_t arg;
	int major = read_head(r, &arg);
	if (major < 0)
		return 0;
	if (major != want) {
		r->off = start;
		r->err = LM_ERR_MALFORMED;
		return 0;
	}
	return arg;
}

uint64_t lm_cbor_get_uint(struct lm_cbor_reader *r)
{
	return get_kind(r, LM_CBOR_UINT);
}

int64_t lm_cbor_get_int(struct lm_cbor_reader *r)
{
	uint64_t arg;
	int major = read_head(r, &arg);
	if (major < 0)
		return 0;
	if ((major != LM_CBOR_UINT && major != LM_CBOR_NINT) || arg > INT64_MAX) {
		lm_cbor_reader_fail(r, LM_ERR_MALFORMED);
		return 0;
	}
	return major == LM_CBOR_UINT ? (int64_t)arg : -1 - (int64_t)arg;
}

/*
 * An array or map can hold at most one item per remaining byte; checking
 * that here keeps every caller's loop bounded by the input length.
 */
static uint64_t get_container(struct lm_cbor_reader *r, int want, uint64_t per)
{
	uint64_t n = get_kind(r, want);
	if (r->err == LM_OK && n > (r->len - r->off) / per) {
		r->err = LM_ERR_MALFORMED;
		return 0;
	}
	return n;
}

uint64_t lm_cbor_get_array(struct lm_cbor_reader *r)
{
	return get_container(r, LM_CBOR_ARRAY, 1);
}

uint64_t lm_cbor_get_map(struct lm_cbor_reader *r)
{
	return get_container(r, LM_CBOR_MAP, 2);
}

static const uint8_t *get_string(struct lm_cbor_reader *r, int want, size_t *len)
{
	uint64_t n = get_kind(r, want);
	*len = 0;
	if (r->err != LM_OK)
		return NULL;
	if (n > r->len - r->off) {
		r->err = LM_ERR_MALFORMED;
		return NULL;
	}
	const uint8_t *p = r->buf + r->off;
	r->off += (size_t)n;
	*len = (size_t)n;
	return p;
}

const uint8_t *lm_cbor_get_bstr(struct lm_cbor_reader *r, size_t *len)
{
	return get_string(r, LM_CBOR_BSTR, len);
}

const uint8_t *lm_cbor_get_tstr(struct lm_cbor_reader *r, size_t *len)
{
	const uint8_t *p = get_string(r, LM_CBOR_TSTR, len);
	if (p && !lm_utf8_valid(p, *len)) {
		r->err = LM_ERR_MALFORMED;
		*len = 0;
		return NULL;
	}
	return p;
}

/* Rank of an integer key in deterministic (bytewise) order. */
static int key_before(int64_t a, int64_t b)
{
	if ((a >= 0) != (b >= 0))
		return a >= 0; /* unsigned keys (major 0) sort first */
	return a >= 0 ? a < b : a > b;
}

int64_t lm_cbor_get_key(struct lm_cbor_reader *r, int64_t *prev, int *prev_set)
{
	int64_t k = lm_cbor_get_int(r);
	if (r->err != LM_OK)
		return 0;
	if (*prev_set && !key_before(*prev, k)) {
		r->err = LM_ERR_NONCANONICAL; /* unsorted or duplicate key */
		return 0;
	}
	*prev = k;
	*prev_set = 1;
	return k;
}

size_t lm_cbor_skip(struct lm_cbor_reader *r)
{
	size_t start = r->off;
	uint64_t pending = 1; /* items still to read */
	while (pending > 0 && r->err == LM_OK) {
		uint64_t arg;
		int major = read_head(r, &arg);
		pending--;
		size_t left = r->len - r->off;
		switch (major) {
		case LM_CBOR_UINT:
		case LM_CBOR_NINT: break;
		case LM_CBOR_BSTR:
		case LM_CBOR_TSTR:
			if (arg > left) {
				r->err = LM_ERR_MALFORMED;
				break;
			}
			if (major == LM_CBOR_TSTR && !lm_utf8_valid(r->buf + r->off, (size_t)arg)) {
				r->err = LM_ERR_MALFORMED;
				break;
			}
			r->off += (size_t)arg;
			break;
		case LM_CBOR_ARRAY:
		case LM_CBOR_MAP: {
			uint64_t items = major == LM_CBOR_MAP ? arg * 2 : arg;
			if (arg > left || items > left || pending + items > left) {
				r->err = LM_ERR_MALFORMED;
				break;
			}
			pending += items;
			break;
		}
		case LM_CBOR_SIMPLE:
			if (arg == 20 || arg == 21)
				break; /* false, true */
			lm_cbor_reader_fail(r, LM_ERR_MALFORMED);
			break;
		default: /* tags: not in our subset */
			lm_cbor_reader_fail(r, LM_ERR_MALFORMED);
			break;
		}
	}
	return r->err == LM_OK ? r->off - start : 0;
}

int lm_cbor_get_bool(struct lm_cbor_reader *r)
{
	if (r->err != LM_OK)
		return 0;
	if (r->off >= r->len || (r->buf[r->off] != 0xf4 && r->buf[r->off] != 0xf5)) {
		r->err = LM_ERR_MALFORMED; /* an integer is not a boolean either */
		return 0;
	}
	return r->buf[r->off++] == 0xf5;
}

int lm_cbor_reader_finish(const struct lm_cbor_reader *r)
{
	if (r->err != LM_OK)
		return r->err;
	return r->off == r->len ? LM_OK : LM_ERR_TRAILING;
}

void lm_cbor_writer_init(struct lm_cbor_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = buf ? cap : 0;
	w->len = 0;
	w->err = LM_OK;
}

void lm_cbor_put_raw(struct lm_cbor_writer *w, const uint8_t *p, size_t len)
{
	if (w->err != LM_OK)
		return;
	if (w->buf) {
		if (w->cap - w->len < len) {
			w->err = LM_ERR_BUFFER;
			return;
		}
		if (len)
			memcpy(w->buf + w->len, p, len);
	}
	w->len += len;
}

size_t lm_cbor_head(uint8_t out[9], int major, uint64_t arg)
{
	uint8_t mt = (uint8_t)(major << 5);
	if (arg < 24) {
		out[0] = mt | (uint8_t)arg;
		return 1;
	}
	size_t n = arg <= 0xff ? 1 : arg <= 0xffff ? 2 : arg <= 0xffffffffu ? 4 : 8;
	out[0] = mt | (n == 1 ? 24 : n == 2 ? 25 : n == 4 ? 26 : 27);
	for (size_t i = 0; i < n; i++)
		out[1 + i] = (uint8_t)(arg >> (8 * (n - 1 - i)));
	return 1 + n;
}

void lm_cbor_put_head(struct lm_cbor_writer *w, int major, uint64_t arg)
{
	uint8_t h[9];
	size_t n = lm_cbor_head(h, major, arg);
	lm_cbor_put_raw(w, h, n);
}

void lm_cbor_put_bool(struct lm_cbor_writer *w, int v)
{
	uint8_t b = v ? 0xf5 : 0xf4;
	lm_cbor_put_raw(w, &b, 1);
}

void lm_cbor_put_uint(struct lm_cbor_writer *w, uint64_t v)
{
	lm_cbor_put_head(w, LM_CBOR_UINT, v);
}

void lm_cbor_put_int(struct lm_cbor_writer *w, int64_t v)
{
	if (v >= 0)
		lm_cbor_put_head(w, LM_CBOR_UINT, (uint64_t)v);
	else
		lm_cbor_put_head(w, LM_CBOR_NINT, (uint64_t)(-1 - v));
}

void lm_cbor_put_bstr(struct lm_cbor_writer *w, const uint8_t *p, size_t len)
{
	lm_cbor_put_head(w, LM_CBOR_BSTR, len);
	lm_cbor_put_raw(w, p, len);
}

void lm_cbor_put_tstr(struct lm_cbor_writer *w, const char *p, size_t len)
{
	lm_cbor_put_head(w, LM_CBOR_TSTR, len);
	lm_cbor_put_raw(w, (const uint8_t *)p, len);
}

void lm_cbor_put_array(struct lm_cbor_writer *w, uint64_t n)
{
	lm_cbor_put_head(w, LM_CBOR_ARRAY, n);
}

void lm_cbor_put_map(struct lm_cbor_writer *w, uint64_t n)
{
	lm_cbor_put_head(w, LM_CBOR_MAP, n);
}

int lm_utf8_valid(const uint8_t *p, size_t len)
{
	size_t i = 0;
	while (i < len) {
		uint8_t c = p[i];
		size_t n;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (len - i - 1 < n)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

int lm_text_valid(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0; /* NUL would cut a C string; controls garble displays */
	return lm_utf8_valid(p, len);
}
