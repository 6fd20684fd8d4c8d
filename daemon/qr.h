/*
 * qr.h - QR codes for the holder's paper copy (the desk page's print view).
 *
 * Each printed QR code carries one signed entry as text
 *     "LM1:" HOLDER ":" BASE64URL
 * HOLDER = the card's holder id in lower-case hex (32 digits), BASE64URL =
 * the entry's card-form bytes (RFC 4648 section 5, no padding).  The holder
 * id is needed because an entry's signature covers it (external_aad) but the
 * entry does not contain it.  `laufmappe qr import` reads such lines back
 * (tools/cmd_qr.c); docs/desk.md describes the round trip.
 */
#ifndef LM_DAEMON_QR_H
#define LM_DAEMON_QR_H

#include <stddef.h>
#include <stdint.h>

#define LM_QR_PREFIX "LM1:"

/*
 * Encode LEN bytes of DATA (8-bit mode, error correction level M, the
 * smallest version that fits) as a standalone SVG document: black modules
 * on white with the 4-module quiet zone the standard asks for, scalable
 * without blur (shape-rendering crispEdges).  On success *SVG_OUT is a NUL-
 * terminated string the caller frees with free().  Returns 0, LM_ERR_ARG
 * (NULL pointers), LM_ERR_TOO_LONG (more than a QR code holds) or
 * LM_ERR_NOMEM; *SVG_OUT is NULL on error.
 */
int lm_qr_svg(const uint8_t *data, size_t len, char **svg_out);

/*
 * Build the QR text of one entry: "LM1:" + hex(HOLDER, 16 bytes) + ":" +
 * base64url(ENTRY, LEN bytes).  *TEXT_OUT is NUL-terminated, freed by the
 * caller with free().  Returns 0, LM_ERR_ARG or LM_ERR_NOMEM.
 */
int lm_qr_entry_text(const uint8_t holder[16], const uint8_t *entry, size_t len, char **text_out);

/* Both steps: the SVG of an entry's QR code. */
int lm_qr_entry_svg(const uint8_t holder[16], const uint8_t *entry, size_t len, char **svg_out);

#endif
