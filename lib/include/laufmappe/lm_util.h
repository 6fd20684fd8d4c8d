/*
 * lm_util.h - small helpers shared by the library, the CLI and the daemon.
 */
#ifndef LM_UTIL_H
#define LM_UTIL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Lowercase hex of len bytes into out (2*len+1 bytes, NUL-terminated). */
void lm_hex_encode(const uint8_t *p, size_t len, char *out);
/* Decode exactly len bytes from hex text; LM_ERR_BAD_VALUE otherwise. */
int lm_hex_decode(const char *hex, uint8_t *out, size_t len);

/* Read a whole file (at most max bytes) into a malloc'd buffer. */
int lm_file_read(const char *path, size_t max, uint8_t **buf, size_t *len);
/* Write a file atomically: a temporary beside it (a random name, created
 * with O_EXCL | O_NOFOLLOW and mode), fsync, rename.  LM_ERR_IO on failure,
 * with no temporary left behind. */
int lm_file_write(const char *path, const uint8_t *buf, size_t len, int mode);

#ifdef __cplusplus
}
#endif

#endif /* LM_UTIL_H */
