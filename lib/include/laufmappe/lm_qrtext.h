/*
 * lm_qrtext.h - the text in the QR codes of the holder's paper backup.
 *
 *     "LM1:" HOLDER ":" ENTRY *( "." ENTRY )
 *
 * HOLDER is the holder id in lower-case hex (32 digits; upper case is read
 * too): an entry's signature covers it (external_aad) but the entry does
 * not contain it.  Each ENTRY is the base64url (RFC 4648 section 5, no
 * padding) of one entry's card-form bytes; "." is outside that alphabet.
 * Several entries per code keep a big folder's backup on one sheet.
 *
 * The daemon writes it (daemon/qr.c), `laufmappe qr import` reads it back;
 * docs/desk.md describes the round trip.  Reading is bounded and
 * allocation-free: the text comes from paper and a camera.
 */
#ifndef LM_QRTEXT_H
#define LM_QRTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "laufmappe/lm_entry.h"

#define LM_QRTEXT_PREFIX "LM1:"

/* Bytes lm_qrtext_encode needs for N entries of LENS[] bytes, NUL included. */
size_t lm_qrtext_size(const size_t lens[], size_t n);

/*
 * Write the text of N >= 1 entries of one holder into OUT (CAP bytes,
 * NUL-terminated).  Returns LM_OK, LM_ERR_ARG (no entries, an empty one) or
 * LM_ERR_BUFFER (CAP < lm_qrtext_size).
 */
int lm_qrtext_encode(const uint8_t holder[LM_HOLDER_LEN], const uint8_t *const entries[],
		     const size_t lens[], size_t n, char *out, size_t cap);

/* A parsed text: the holder, and the entries still to be read. */
struct lm_qrtext {
	uint8_t holder[LM_HOLDER_LEN];
	const char *list; /* the entries part of the caller's text */
	size_t len, pos;
};

/*
 * Find the text in LEN bytes of LINE (a QR reader's output line: anything
 * before "LM1:" is skipped, the text ends at white space or the end).
 * Returns 1 (found; Q is ready for lm_qrtext_next), 0 (no "LM1:" in the
 * line) or LM_ERR_MALFORMED (a broken holder part).  Q points into LINE.
 */
int lm_qrtext_parse(const char *line, size_t len, struct lm_qrtext *q);

/*
 * The next entry's bytes into ENTRY (CAP bytes), its length in *ELEN.
 * Returns 1 (an entry), 0 (no more) or LM_ERR_MALFORMED (not base64url,
 * non-zero padding bits, an empty entry, or longer than CAP); after an
 * error the rest of the text is not read.
 */
int lm_qrtext_next(struct lm_qrtext *q, uint8_t *entry, size_t cap, size_t *elen);

#endif
