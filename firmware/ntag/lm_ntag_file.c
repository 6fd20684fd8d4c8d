/*
 * lm_ntag_file.c: write-through page file for the NTAG model (POSIX).
 */
#include "lm_ntag_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const uint8_t lm_ntag_default_uid[7] = {0x04, 0x4C, 0x4D, 0x53, 0x49, 0x4D, 0x01};

/*
 * The write hook: cut the power when the tear budget is used up, else write
 * the 4 bytes at page * 4 with one pwrite. A short or failed write makes the
 * tag NAK with 5 and leaves memory unchanged.
 */
static enum lm_ntag_hook_result file_hook(void *ctx, uint8_t page, const uint8_t data[4])
{
    struct lm_ntag_file *f = ctx;

    if (f->tear_after >= 0 && f->writes >= (unsigned long)f->tear_after)
        return LM_NTAG_HOOK_POWER_CUT;
    if (pwrite(f->fd, data, LM_NTAG_PAGE_SIZE, (off_t)page * LM_NTAG_PAGE_SIZE) !=
        (ssize_t)LM_NTAG_PAGE_SIZE)
        return LM_NTAG_HOOK_FAIL;
    f->writes++;
    return LM_NTAG_HOOK_WRITE;
}

/* pread (writing = 0) or pwrite exactly len bytes at offset off; returns 0 or -1. */
static int rw_all(int fd, int writing, uint8_t *buf, size_t len, off_t off)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = writing ? pwrite(fd, buf + done, len - done, off + (off_t)done)
                            : pread(fd, buf + done, len - done, off + (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return 0;
}

int lm_ntag_file_open(struct lm_ntag_file *f, struct lm_ntag *t, enum lm_ntag_kind kind,
                      const char *path, const uint8_t *uid, long tear_after)
{
    size_t size = (size_t)lm_ntag_pages_of(kind) * LM_NTAG_PAGE_SIZE;
    struct stat st;
    uint8_t file_uid[7];
    uint8_t rec[LM_NTAG_STATE_LEN];
    int err = LM_NTAG_FILE_OK;

    f->tear_after = tear_after;
    f->writes = 0;
    lm_ntag_init(t, kind, uid != NULL ? uid : lm_ntag_default_uid);
    f->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f->fd < 0)
        return LM_NTAG_FILE_EIO;
    if (fstat(f->fd, &st) != 0) {
        err = LM_NTAG_FILE_EIO;
    } else if (st.st_size == 0) {
        if (rw_all(f->fd, 1, t->mem, size, 0) != 0)
            err = LM_NTAG_FILE_EIO;
    } else if ((size_t)st.st_size != size && (size_t)st.st_size != size + LM_NTAG_STATE_LEN) {
        err = LM_NTAG_FILE_ESIZE;
    } else if (rw_all(f->fd, 0, t->mem, size, 0) != 0) {
        err = LM_NTAG_FILE_EIO;
    } else if ((size_t)st.st_size > size &&
               rw_all(f->fd, 0, rec, sizeof(rec), (off_t)size) != 0) {
        err = LM_NTAG_FILE_EIO;
    } else {
        if ((size_t)st.st_size > size)
            lm_ntag_state_set(t, rec);
        lm_ntag_uid(t, file_uid);
        if (uid != NULL && memcmp(uid, file_uid, sizeof(file_uid)) != 0)
            err = LM_NTAG_FILE_EUID;
    }
    if (err != LM_NTAG_FILE_OK) {
        lm_ntag_file_close(f);
        return err;
    }
    lm_ntag_set_write_hook(t, file_hook, f);
    return LM_NTAG_FILE_OK;
}

void lm_ntag_file_close(struct lm_ntag_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}

const char *lm_ntag_file_strerror(int err)
{
    switch (err) {
    case LM_NTAG_FILE_OK:
        return "ok";
    case LM_NTAG_FILE_EIO:
        return "cannot open, read or write the memory file";
    case LM_NTAG_FILE_ESIZE:
        return "memory file size does not match the tag kind";
    case LM_NTAG_FILE_EUID:
        return "memory file holds another UID than --uid";
    default:
        return "unknown error";
    }
}
