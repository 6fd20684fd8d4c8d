/*
 * qr.h - QR codes for the holder's paper copy (the desk page's print view).
 *
 * Each printed QR code carries one or more signed entries of a holder as text
 *     "LM1:" HOLDER ":" BASE64URL *( "." BASE64URL )
 * HOLDER = the card's holder id in lower-case hex (32 digits), each
 * BASE64URL = one entry's card-form bytes (RFC 4648 section 5, no padding;
 * "." is outside its alphabet).  The holder id is needed because an
 * entry's signature covers it (external_aad) but the entry does not contain
 * it.  Several entries per code keep a big folder's backup on one sheet.
 * `laufmappe qr import` reads such lines back (tools/cmd_qr.c); docs/desk.md
 * describes the round trip.
 */
#ifndef LM_DAEMON_QR_H
#define LM_DAEMON_QR_H

#include <stddef.h>
#include <stdint.h>

#define LM_QR_PREFIX "LM1:"

/*
 * Encode LEN bytes of DATA (8-bit mode, error correction level M, or L when
 * M does not fit; the smallest version that fits) as a standalone SVG document: black modules
 * on white with the 4-module quiet zone the standard asks for, scalable
 * without blur (shape-rendering crispEdges).  On success *SVG_OUT is a NUL-
 * terminated string the caller frees with free().  Returns 0, LM_ERR_ARG
 * (NULL pointers), LM_ERR_TOO_LONG (more than a QR code holds) or
 * LM_ERR_NOMEM; *SVG_OUT is NULL on error.
 */
int lm_qr_svg(const uint8_t *data, size_t len, char **svg_out);

/* At most this many entries in one code: 20 typical entries make about
 * 2,800 characters, near the 2,953 bytes of the largest QR code. */
#define LM_QR_MAX_ENTRIES 24

/*
 * Build the QR text of N (1..LM_QR_MAX_ENTRIES) entries of one holder:
 * "LM1:" + hex(HOLDER, 16 bytes) + ":" + base64url of each entry, joined
 * by ".".  *TEXT_OUT is NUL-terminated, freed by the caller with free().
 * Returns 0, LM_ERR_ARG or LM_ERR_NOMEM.
 */
int lm_qr_text(const uint8_t holder[16], const uint8_t *const entries[], const size_t lens[],
	       size_t n, char **text_out);

/* Both steps: the SVG of the code.  LM_ERR_TOO_LONG when the text does not
 * fit one QR code. */
int lm_qr_text_svg(const uint8_t holder[16], const uint8_t *const entries[], const size_t lens[],
		   size_t n, char **svg_out);

#endif
