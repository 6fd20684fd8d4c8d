/*
 * qr.c - QR codes as SVG for the print view, through libqrencode.
 *
 * The SVG is drawn as one <path> of 1x1 squares, one per dark module, in
 * module units (viewBox), so the page can scale it to any print size and
 * the printer gets sharp edges.  zbarimg decodes it back in the desk page
 * test (tests/browser/).
 */
#include "qr.h"

#include <errno.h>
#include <stdarg.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_qrtext.h"

#define QUIET 4 /* modules of white border (ISO/IEC 18004) */

/* A growing string; the sticky flag makes every later append a no-op. */
struct sbuf {
	char *p;
	size_t len, cap;
	int failed;
};

static void sb_putf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_putf(struct sbuf *b, const char *fmt, ...)
{
	if (b->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if (b->p && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		char *q = realloc(b->p, cap);
		if (!q) {
			b->failed = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
}

int lm_qr_svg(const uint8_t *data, size_t len, char **svg_out)
{
	if (!svg_out)
		return LM_ERR_ARG;
	*svg_out = NULL;
	if (!data || len == 0)
		return LM_ERR_ARG;
	if (len > 2953) /* version 40-L byte capacity */
		return LM_ERR_TOO_LONG;

	/* Level M (15 % may be smudged away) when the text fits a code at that
	 * level, else L (7 %): a dense code on clean paper beats a second sheet. */
	errno = 0;
	QRcode *qr = QRcode_encodeData((int)len, data, 0, QR_ECLEVEL_M);
	if (!qr && errno == ERANGE) {
		errno = 0;
		qr = QRcode_encodeData((int)len, data, 0, QR_ECLEVEL_L);
	}
	if (!qr)
		return errno == ENOMEM ? LM_ERR_NOMEM : LM_ERR_TOO_LONG;

	int w = qr->width, size = w + 2 * QUIET;
	struct sbuf b = {0};
	sb_putf(&b,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		"width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\">"
		"<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
		size, size, size * 4, size * 4, size, size);
	for (int y = 0; y < w; y++) {
		for (int x = 0; x < w; x++) {
			/* libqrencode: bit 0 of each byte is the module's colour. */
			if (!(qr->data[y * w + x] & 1))
				continue;
			int run = 1; /* merge a horizontal run into one rectangle */
			while (x + run < w && (qr->data[y * w + x + run] & 1))
				run++;
			sb_putf(&b, "M%d %dh%dv1h-%dz", x + QUIET, y + QUIET, run, run);
			x += run - 1;
		}
	}
	sb_putf(&b, "\"/></svg>\n");
	QRcode_free(qr);
	if (b.failed) {
		free(b.p);
		return LM_ERR_NOMEM;
	}
	*svg_out = b.p;
	return LM_OK;
}

int lm_qr_text(const uint8_t holder[16], const uint8_t *const entries[], const size_t lens[],
	       size_t n, char **text_out)
{
	if (!text_out)
		return LM_ERR_ARG;
	*text_out = NULL;
	if (!holder || !entries || !lens || n == 0 || n > LM_QR_MAX_ENTRIES)
		return LM_ERR_ARG;
	size_t size = lm_qrtext_size(lens, n);
	char *t = malloc(size);
	if (!t)
		return LM_ERR_NOMEM;
	int err = lm_qrtext_encode(holder, entries, lens, n, t, size);
	if (err) {
		free(t);
		return err;
	}
	*text_out = t;
	return LM_OK;
}

int lm_qr_text_svg(const uint8_t holder[16], const uint8_t *const entries[], const size_t lens[],
		   size_t n, char **svg_out)
{
	char *text = NULL;
	int err = lm_qr_text(holder, entries, lens, n, &text);
	if (err) {
		if (svg_out)
			*svg_out = NULL;
		return err;
	}
	err = lm_qr_svg((const uint8_t *)text, strlen(text), svg_out);
	free(text);
	return err;
}
