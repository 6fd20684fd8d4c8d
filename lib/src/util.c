/*
 * util.c - hex and whole-file helpers.
 */
#include "laufmappe/lm_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_key.h" /* lm_random */

void lm_hex_encode(const uint8_t *p, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * len] = 0;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int lm_hex_decode(const char *hex, uint8_t *out, size_t len)
{
	if (strlen(hex) != 2 * len)
		return LM_ERR_BAD_VALUE;
	for (size_t i = 0; i < len; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return LM_ERR_BAD_VALUE;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return LM_OK;
}

int lm_file_read(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return errno == ENOENT ? LM_ERR_NOT_FOUND : LM_ERR_IO;
	uint8_t *b = malloc(max + 1);
	if (!b) {
		fclose(f);
		return LM_ERR_NOMEM;
	}
	size_t n = fread(b, 1, max + 1, f);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(b);
		return LM_ERR_IO;
	}
	if (n > max) {
		free(b);
		return LM_ERR_TOO_LONG;
	}
	*buf = b;
	*len = n;
	return LM_OK;
}

/*
 * The temporary beside the target gets a random name and is created with
 * O_EXCL | O_NOFOLLOW: a file or symlink someone planted under a name we
 * might pick is never opened (a guessable name such as PATH.tmpPID with
 * O_TRUNC would write through a planted symlink, and the rename would then
 * put the symlink in the target's place).  A name taken is retried with
 * another; after 16 tries, LM_ERR_IO.
 */
int lm_file_write(const char *path, const uint8_t *buf, size_t len, int mode)
{
	size_t pl = strlen(path), cap = pl + 24;
	char *tmp = malloc(cap);
	if (!tmp)
		return LM_ERR_NOMEM;
	int fd = -1;
	for (int tries = 0; fd < 0 && tries < 16; tries++) {
		uint8_t r[6];
		char hex[2 * sizeof(r) + 1];
		if (lm_random(r, sizeof(r)) != LM_OK)
			break;
		lm_hex_encode(r, sizeof(r), hex);
		snprintf(tmp, cap, "%s.tmp-%s", path, hex);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		free(tmp);
		return LM_ERR_IO;
	}
	size_t off = 0;
	int err = LM_OK;
	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = LM_ERR_IO;
			break;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		err = LM_ERR_IO;
	if (close(fd) != 0)
		err = LM_ERR_IO;
	if (!err && rename(tmp, path) != 0)
		err = LM_ERR_IO;
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}
