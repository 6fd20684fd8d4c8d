/*
 * qr.h - QR codes for the holder's paper copy (the desk page's print view).
 *
 * Each printed QR code carries one or more signed entries of a holder, as
 * the text of lm_qrtext.h ("LM1:" HOLDER ":" ENTRY *("." ENTRY)).
 */
#ifndef LM_DAEMON_QR_H
#define LM_DAEMON_QR_H

#include <stddef.h>
#include <stdint.h>

/*
 * Encode LEN bytes of DATA (8-bit mode, error correction level M, or L when
 * M does not fit; the smallest version that fits) as a standalone SVG
 * document: black modules on white with the 4-module quiet zone the
 * standard asks for, scalable without blur (shape-rendering crispEdges).  On success *SVG_OUT is a
 * NUL- terminated string the caller frees with free().  Returns 0, LM_ERR_ARG (NULL pointers),
 * LM_ERR_TOO_LONG (more than a QR code holds) or LM_ERR_NOMEM; *SVG_OUT is NULL on error.
 */
int lm_qr_svg(const uint8_t *data, size_t len, char **svg_out);

/* At most this many entries in one code: 20 typical entries make about
 * 2,800 characters, near the 2,953 bytes of the largest QR code. */
#define LM_QR_MAX_ENTRIES 24

/*
 * Build the QR text of N (1..LM_QR_MAX_ENTRIES) entries of one holder
 * (lm_qrtext_encode).  *TEXT_OUT is NUL-terminated, freed by the caller
 * with free().  Returns 0, LM_ERR_ARG or LM_ERR_NOMEM.
 */
int lm_qr_text(const uint8_t holder[16], const uint8_t *const entries[], const size_t lens[],
	       size_t n, char **text_out);

/* Both steps: the SVG of the code.  LM_ERR_TOO_LONG when the text does not
 * fit one QR code. */
int lm_qr_text_svg(const uint8_t holder[16], const uint8_t *const entries[], const size_t lens[],
		   size_t n, char **svg_out);

#endif
