/*
 * qrtext.c - the paper backup's QR text (lm_qrtext.h): "LM1:" HOLDER ":"
 * base64url entries joined by ".".
 */
#include "laufmappe/lm_qrtext.h"

#include <string.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_util.h"
#include "lm_b64.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding: 4 characters per 3 bytes, 2 or 3 for the rest. */
static size_t b64_len(size_t n)
{
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

size_t lm_qrtext_size(const size_t lens[], size_t n)
{
	size_t size = strlen(LM_QRTEXT_PREFIX) + 2 * LM_HOLDER_LEN + 1 + 1;
	for (size_t k = 0; k < n; k++)
		size += b64_len(lens[k]) + (k ? 1 : 0);
	return size;
}

char *lm_b64url_put(char *o, const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = b64[v >> 6 & 63];
		*o++ = b64[v & 63];
	}
	if (n - i) {
		uint32_t v = (uint32_t)p[i] << 16 | (n - i == 2 ? (uint32_t)p[i + 1] << 8 : 0);
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		if (n - i == 2)
			*o++ = b64[v >> 6 & 63];
	}
	return o;
}

int lm_qrtext_encode(const uint8_t holder[LM_HOLDER_LEN], const uint8_t *const entries[],
		     const size_t lens[], size_t n, char *out, size_t cap)
{
	if (!holder || !entries || !lens || !out || n == 0)
		return LM_ERR_ARG;
	for (size_t k = 0; k < n; k++)
		if (!entries[k] || lens[k] == 0)
			return LM_ERR_ARG;
	if (cap < lm_qrtext_size(lens, n))
		return LM_ERR_BUFFER;
	size_t pre = strlen(LM_QRTEXT_PREFIX);
	memcpy(out, LM_QRTEXT_PREFIX, pre);
	char *o = out + pre;
	lm_hex_encode(holder, LM_HOLDER_LEN, o);
	o += 2 * LM_HOLDER_LEN;
	*o++ = ':';
	for (size_t k = 0; k < n; k++) {
		if (k)
			*o++ = '.';
		o = lm_b64url_put(o, entries[k], lens[k]);
	}
	*o = '\0';
	return LM_OK;
}

int lm_qrtext_parse(const char *line, size_t len, struct lm_qrtext *q)
{
	size_t pre = strlen(LM_QRTEXT_PREFIX), at = 0;
	while (at + pre <= len && memcmp(line + at, LM_QRTEXT_PREFIX, pre))
		at++;
	if (at + pre > len)
		return 0;
	const char *p = line + at + pre, *end = line + len;
	char hex[2 * LM_HOLDER_LEN + 1];
	if ((size_t)(end - p) < 2 * LM_HOLDER_LEN + 1 || p[2 * LM_HOLDER_LEN] != ':')
		return LM_ERR_MALFORMED;
	memcpy(hex, p, 2 * LM_HOLDER_LEN);
	hex[2 * LM_HOLDER_LEN] = '\0';
	if (lm_hex_decode(hex, q->holder, LM_HOLDER_LEN) != LM_OK)
		return LM_ERR_MALFORMED;
	q->list = p + 2 * LM_HOLDER_LEN + 1;
	q->len = 0;
	while (q->list + q->len < end && !strchr(" \t\r\n", q->list[q->len]) &&
	       q->list[q->len] != '\0')
		q->len++;
	q->pos = 0;
	return 1;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

int lm_b64url_get(const char *s, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64_val(s[i]);
		if (v < 0)
			return LM_ERR_MALFORMED;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return LM_ERR_MALFORMED;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* A dangling character, non-zero padding bits, or nothing at all. */
	if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0 || n == 0)
		return LM_ERR_MALFORMED;
	*outlen = n;
	return LM_OK;
}

int lm_qrtext_next(struct lm_qrtext *q, uint8_t *entry, size_t cap, size_t *elen)
{
	if (q->pos > q->len)
		return 0;
	size_t seg = 0;
	while (q->pos + seg < q->len && q->list[q->pos + seg] != '.')
		seg++;
	const char *s = q->list + q->pos;
	q->pos += seg + 1; /* past the "." (or the end) */
	if (lm_b64url_get(s, seg, entry, cap, elen) != LM_OK) {
		q->pos = q->len + 1; /* the rest is not trusted either */
		return LM_ERR_MALFORMED;
	}
	return 1;
}
