/*
 * applet_target.c: the applet card as a pn532_target (see applet_target.h).
 */
#include "applet_target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ATS: TL=5, T0=78 (TA TB TC present, FSCI 8 = 256 bytes), TA=80, TB=70, TC=02. */
static const uint8_t applet_ats[5] = {0x05, 0x78, 0x80, 0x70, 0x02};
static const uint8_t applet_uid4[4] = {0x08, 0x4C, 0x4D, 0x41};

/* pread/pwrite exactly len bytes at off; 0 or -1. */
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

/* NVM read: fails while the card has no power. */
static int nvm_read(void *ctx, uint32_t off, uint8_t *buf, uint32_t len)
{
    struct applet_target *a = ctx;

    if (!a->powered)
        return -1;
    return rw_all(a->fd, 0, off, buf, len);
}

/*
 * NVM write. The write picked by --tear-after-writes lands its first half
 * only (a prefix, as lm_nvm.h allows) and the card loses power; the tear
 * fires once, so the card works again after it re-enters the field.
 */
static int nvm_write(void *ctx, uint32_t off, const uint8_t *buf, uint32_t len)
{
    struct applet_target *a = ctx;

    if (!a->powered)
        return -1;
    if (a->tear_after >= 0 && a->writes >= (unsigned long)a->tear_after) {
        (void)rw_all(a->fd, 1, off, (uint8_t *)buf, len / 2u);
        a->tear_after = -1;
        a->powered = 0;
        return -1;
    }
    if (rw_all(a->fd, 1, off, (uint8_t *)buf, len) != 0)
        return -1;
    a->writes++;
    return 0;
}

/* One APDU; silence when the card has (or just lost) power. */
static int applet_exchange(void *ctx, const uint8_t *cmd, size_t len, uint8_t *resp,
                           size_t resp_cap, size_t *resp_len)
{
    struct applet_target *a = ctx;

    *resp_len = 0;
    if (!a->powered)
        return PN532_SILENT;
    *resp_len = lm_applet_process(&a->applet, cmd, len, resp, resp_cap);
    if (!a->powered || *resp_len == 0u) {
        *resp_len = 0;
        return PN532_SILENT;
    }
    return PN532_BYTES;
}

/* Power-on: lm_applet_init finishes or drops an interrupted commit. */
static void applet_power_on(void *ctx)
{
    struct applet_target *a = ctx;

    a->powered = 1;
    if (lm_applet_init(&a->applet, &a->nvm) != 0)
        fprintf(stderr, "lm-pn532sim: applet power-on failed\n");
}

/* Activation (RATS) and DESELECT both drop the applet's selection. */
static void applet_deselect(void *ctx)
{
    struct applet_target *a = ctx;

    if (a->powered)
        lm_applet_deselect(&a->applet);
}

static int applet_alive(void *ctx)
{
    const struct applet_target *a = ctx;

    return a->powered;
}

int applet_target_open(struct applet_target *a, struct pn532_target *t, const char *path,
                       const uint8_t *uid7, long tear_after)
{
    struct stat st;

    memset(a, 0, sizeof(*a));
    a->tear_after = tear_after;
    a->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (a->fd < 0 || fstat(a->fd, &st) != 0) {
        fprintf(stderr, "lm-pn532sim: %s: %s\n", path, strerror(errno));
        applet_target_close(a);
        return -1;
    }
    if (st.st_size == 0) {
        st.st_size = (off_t)(LM_APPLET_JOURNAL_SIZE + APPLET_TARGET_CAPACITY);
        if (ftruncate(a->fd, st.st_size) != 0) {
            fprintf(stderr, "lm-pn532sim: %s: %s\n", path, strerror(errno));
            applet_target_close(a);
            return -1;
        }
    }
    if (st.st_size < (off_t)(LM_APPLET_JOURNAL_SIZE + LM_IMAGE_HEADER_SIZE) ||
        st.st_size > (off_t)(LM_APPLET_JOURNAL_SIZE + LM_APPLET_MAX_CAPACITY)) {
        fprintf(stderr, "lm-pn532sim: %s: size %lld is not an applet memory\n", path,
                (long long)st.st_size);
        applet_target_close(a);
        return -1;
    }
    a->nvm.ctx = a;
    a->nvm.size = (uint32_t)st.st_size;
    a->nvm.read = nvm_read;
    a->nvm.write = nvm_write;

    memset(t, 0, sizeof(*t));
    t->sak = 0x20;
    if (uid7 != NULL) {
        t->atqa[1] = 0x44;
        memcpy(t->uid, uid7, 7);
        t->uid_len = 7;
    } else {
        t->atqa[1] = 0x04;
        memcpy(t->uid, applet_uid4, sizeof(applet_uid4));
        t->uid_len = sizeof(applet_uid4);
    }
    memcpy(t->ats, applet_ats, sizeof(applet_ats));
    t->ats_len = sizeof(applet_ats);
    t->iso_dep = 1;
    t->exchange = applet_exchange;
    t->power_on = applet_power_on;
    t->select = applet_deselect;
    t->deselect = applet_deselect;
    t->alive = applet_alive;
    t->is_write = NULL;
    t->ctx = a;
    return 0;
}

void applet_target_close(struct applet_target *a)
{
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
}
