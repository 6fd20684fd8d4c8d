/*
 * lm_nvm_file.c - file-backed lm_nvm with power-loss injection; see lm_nvm_file.h.
 */
#include "lm_nvm_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* pread (writing = 0) or pwrite (1) exactly len bytes at off; 0 or -1. */
static int rw_all(int fd, int writing, uint32_t off, uint8_t *buf, uint32_t len)
{
	uint32_t done = 0;

	while (done < len) {
		ssize_t n = writing ? pwrite(fd, buf + done, len - done, (off_t)off + done)
				    : pread(fd, buf + done, len - done, (off_t)off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (uint32_t)n;
	}
	return 0;
}

/* lm_nvm read: fails without power or outside the file. */
static int file_read(void *ctx, uint32_t off, uint8_t *buf, uint32_t len)
{
	struct lm_nvm_file *f = ctx;

	if (f->torn || off > f->nvm.size || len > f->nvm.size - off)
		return -1;
	return rw_all(f->fd, 0, off, buf, len);
}

/*
 * lm_nvm write: all bytes with one pwrite loop, or, for the write that
 * tear_after picks, the first half of them and the power goes off.
 */
static int file_write(void *ctx, uint32_t off, const uint8_t *buf, uint32_t len)
{
	struct lm_nvm_file *f = ctx;

	if (f->torn || off > f->nvm.size || len > f->nvm.size - off)
		return -1;
	if (f->tear_after >= 0 && f->writes >= (unsigned long)f->tear_after) {
		(void)rw_all(f->fd, 1, off, (uint8_t *)buf, len / 2u);
		f->torn = 1;
		return -1;
	}
	if (rw_all(f->fd, 1, off, (uint8_t *)buf, len) != 0)
		return -1;
	f->writes++;
	return 0;
}

int lm_nvm_file_open(struct lm_nvm_file *f, const char *path, uint32_t new_size,
		     uint32_t min_size, uint32_t max_size)
{
	struct stat st;

	f->nvm.ctx = f;
	f->nvm.read = file_read;
	f->nvm.write = file_write;
	f->tear_after = -1;
	f->writes = 0;
	f->torn = 0;
	f->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f->fd < 0)
		return -1;
	if (fstat(f->fd, &st) != 0)
		goto fail;
	if (st.st_size == 0) {
		st.st_size = (off_t)new_size;
		if (ftruncate(f->fd, st.st_size) != 0)
			goto fail;
	}
	if (st.st_size < (off_t)min_size || st.st_size > (off_t)max_size) {
		errno = EINVAL;
		goto fail;
	}
	f->nvm.size = (uint32_t)st.st_size;
	return 0;
fail:
	lm_nvm_file_close(f);
	return -1;
}

void lm_nvm_file_close(struct lm_nvm_file *f)
{
	int saved = errno;

	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	errno = saved;
}
