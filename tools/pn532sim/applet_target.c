/*
 * applet_target.c: the applet card as a pn532_target (see applet_target.h).
 */
#include "applet_target.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ATS: TL=5, T0=78 (TA TB TC present, FSCI 8 = 256 bytes), TA=80, TB=70, TC=02. */
static const uint8_t applet_ats[5] = {0x05, 0x78, 0x80, 0x70, 0x02};
static const uint8_t applet_uid4[4] = {0x08, 0x4C, 0x4D, 0x41};

/* One APDU; silence when the card has (or just lost) power. */
static int applet_exchange(void *ctx, const uint8_t *cmd, size_t len, uint8_t *resp,
                           size_t resp_cap, size_t *resp_len)
{
    struct applet_target *a = ctx;

    *resp_len = 0;
    if (a->mem.torn)
        return PN532_SILENT;
    *resp_len = lm_applet_process(&a->applet, cmd, len, resp, resp_cap);
    if (a->mem.torn || *resp_len == 0u) {
        *resp_len = 0;
        return PN532_SILENT;
    }
    return PN532_BYTES;
}

/*
 * Power-on: lm_applet_init finishes or drops an interrupted commit.  A tear
 * fires once: after it, the card works again when it re-enters the field.
 */
static void applet_power_on(void *ctx)
{
    struct applet_target *a = ctx;

    if (a->mem.torn) {
        a->mem.torn = 0;
        a->mem.tear_after = -1;
    }
    if (lm_applet_init(&a->applet, &a->mem.nvm) != 0)
        fprintf(stderr, "lm-pn532sim: applet power-on failed\n");
}

/* Activation (RATS) and DESELECT both drop the applet's selection. */
static void applet_deselect(void *ctx)
{
    struct applet_target *a = ctx;

    if (!a->mem.torn)
        lm_applet_deselect(&a->applet);
}

static int applet_alive(void *ctx)
{
    const struct applet_target *a = ctx;

    return !a->mem.torn;
}

int applet_target_open(struct applet_target *a, struct pn532_target *t, const char *path,
                       const uint8_t *uid7, long tear_after)
{
    memset(a, 0, sizeof(*a));
    /* The memory file is lm-vcard's: journal + image (lm_nvm_file.h). */
    if (lm_nvm_file_open(&a->mem, path, LM_APPLET_JOURNAL_SIZE + APPLET_TARGET_CAPACITY,
                         LM_APPLET_JOURNAL_SIZE + LM_IMAGE_HEADER_SIZE,
                         LM_APPLET_JOURNAL_SIZE + LM_APPLET_MAX_CAPACITY) != 0) {
        fprintf(stderr, "lm-pn532sim: %s: %s\n", path,
                errno == EINVAL ? "not an applet memory (size)" : strerror(errno));
        return -1;
    }
    a->mem.tear_after = tear_after;

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
    lm_nvm_file_close(&a->mem);
}
