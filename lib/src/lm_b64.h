/*
 * lm_b64.h - base64url without padding (RFC 4648 section 5), internal: the
 * paper backup's QR text (qrtext.c) and the recovery line (protect.c).
 */
#ifndef LM_B64_H
#define LM_B64_H

#include <stddef.h>
#include <stdint.h>

/* Write n bytes as base64url at o (4 characters per 3 bytes, 2 or 3 for the
 * rest, no NUL); returns the end. */
char *lm_b64url_put(char *o, const uint8_t *p, size_t n);

/* Decode len characters into out (at most cap bytes).  LM_ERR_MALFORMED for
 * a character outside the alphabet, a dangling character, non-zero padding
 * bits, nothing at all, or more than cap bytes. */
int lm_b64url_get(const char *s, size_t len, uint8_t *out, size_t cap, size_t *outlen);

#endif /* LM_B64_H */
