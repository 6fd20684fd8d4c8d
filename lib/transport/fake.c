/*
 * fake.c - a transport whose "card" is an image file ("fake:PATH"), with
 * fault injection: the card leaves the field after N operations, and the
 * write that hits the limit can land partly (a tear).  The commit word is
 * one pwrite of 4 bytes, standing for the card's atomic commit.
 */
#include "laufmappe/lm_transport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "laufmappe/lm_err.h"

struct fake {
	char *path;
	int fd;
	size_t size;
	int ops_left; /* operations before the card "leaves"; -1 = never */
	int torn;     /* the failing write lands partly */
};

static int fake_open(struct lm_transport *t, const char *where)
{
	if (!where)
		return LM_ERR_ARG;
	struct fake *f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(where))) {
		free(f);
		return LM_ERR_NOMEM;
	}
	f->fd = -1;
	f->ops_left = -1;
	t->priv = f;
	return LM_OK;
}

static int fake_wait(struct lm_transport *t, int timeout_ms)
{
	struct fake *f = t->priv;
	struct stat st;
	(void)timeout_ms;
	return stat(f->path, &st) == 0 ? LM_OK : LM_ERR_NO_CARD;
}

static int fake_identify(struct lm_transport *t, struct lm_card_info *info)
{
	struct fake *f = t->priv;
	if (f->fd < 0)
		f->fd = open(f->path, O_RDWR | O_CLOEXEC);
	if (f->fd < 0)
		return errno == ENOENT ? LM_ERR_NO_CARD : LM_ERR_IO;
	struct stat st;
	if (fstat(f->fd, &st) != 0)
		return LM_ERR_IO;
	f->size = (size_t)st.st_size;
	info->kind = LM_KIND_IMAGE;
	info->capacity = f->size;
	strncpy(info->reader, f->path, sizeof(info->reader) - 1);
	return LM_OK;
}

/* Count one card operation; LM_ERR_CARD_REMOVED once the budget is spent. */
static int spend(struct fake *f)
{
	if (f->ops_left < 0)
		return LM_OK;
	if (f->ops_left == 0)
		return LM_ERR_CARD_REMOVED;
	f->ops_left--;
	return LM_OK;
}

static int fake_read(struct lm_transport *t, size_t off, uint8_t *buf, size_t len)
{
	struct fake *f = t->priv;
	if (f->fd < 0)
		return LM_ERR_NO_CARD;
	int err = spend(f);
	if (err)
		return err;
	if (off > f->size || len > f->size - off)
		return LM_ERR_ARG;
	return pread(f->fd, buf, len, (off_t)off) == (ssize_t)len ? LM_OK : LM_ERR_IO;
}

static int fake_write(struct lm_transport *t, const struct lm_card_write *w, size_t n)
{
	struct fake *f = t->priv;
	if (f->fd < 0)
		return LM_ERR_NO_CARD;
	for (size_t i = 0; i < n; i++) {
		if (w[i].off > f->size || w[i].len > f->size - w[i].off)
			return LM_ERR_CARD_FULL;
		int last = f->ops_left == 0 || (f->ops_left == 1 && f->torn);
		int err = spend(f);
		if (err || (last && f->torn)) {
			/* Torn: half of a data write lands; the commit never half-lands. */
			if (f->torn && i + 1 < n && w[i].len > 1)
				(void)!pwrite(f->fd, w[i].data, w[i].len / 2, (off_t)w[i].off);
			f->ops_left = 0;
			return LM_ERR_CARD_REMOVED;
		}
		if (pwrite(f->fd, w[i].data, w[i].len, (off_t)w[i].off) != (ssize_t)w[i].len)
			return LM_ERR_IO;
	}
	return fsync(f->fd) == 0 ? LM_OK : LM_ERR_IO;
}

static int fake_wipe(struct lm_transport *t)
{
	struct fake *f = t->priv;
	if (f->fd < 0)
		return LM_ERR_NO_CARD;
	/* The magic and the commit word first (the image is gone at once),
	 * then the rest; a wipe is one card operation, and a torn one stops
	 * after that first write. */
	static const uint8_t zero[256];
	int last = f->ops_left == 0 || (f->ops_left == 1 && f->torn);
	int err = spend(f);
	if (err && !f->torn)
		return err;
	if (pwrite(f->fd, zero, 8, 0) != 8)
		return LM_ERR_IO;
	if (err || (last && f->torn)) {
		f->ops_left = 0;
		return LM_ERR_CARD_REMOVED;
	}
	for (size_t off = 8; off < f->size; off += sizeof(zero)) {
		size_t n = f->size - off < sizeof(zero) ? f->size - off : sizeof(zero);
		if (pwrite(f->fd, zero, n, (off_t)off) != (ssize_t)n)
			return LM_ERR_IO;
	}
	return fsync(f->fd) == 0 ? LM_OK : LM_ERR_IO;
}

static int fake_list(struct lm_transport *t, struct lm_reader_info *out, size_t max, size_t *n)
{
	struct fake *f = t->priv;
	if (max == 0)
		return LM_OK;
	snprintf(out[0].name, sizeof(out[0].name), "%s", f->path);
	out[0].card_present = fake_wait(t, 0) == LM_OK;
	*n = 1;
	return LM_OK;
}

static void fake_disconnect(struct lm_transport *t)
{
	struct fake *f = t->priv;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

static void fake_close(struct lm_transport *t)
{
	struct fake *f = t->priv;
	fake_disconnect(t);
	free(f->path);
	free(f);
}

int lm_transport_fake_fault(struct lm_transport *t, int n, int torn)
{
	if (t->ops != &lm_transport_fake_ops)
		return LM_ERR_ARG;
	struct fake *f = t->priv;
	f->ops_left = n < 0 ? -1 : n;
	f->torn = torn;
	return LM_OK;
}

const struct lm_transport_ops lm_transport_fake_ops = {
	.name = "fake",
	.blocks = 0,
	.open = fake_open,
	.wait_card = fake_wait,
	.identify = fake_identify,
	.read = fake_read,
	.write = fake_write,
	.wipe = fake_wipe,
	.list = fake_list,
	.disconnect = fake_disconnect,
	.close = fake_close,
};
