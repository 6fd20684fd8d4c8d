/*
 * test_ntag.c: the NTAG21x model (firmware/ntag) command by command.
 * Table-driven: each row is one command frame against a tag in a named
 * state, and the answer it must produce.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lm_ntag.h"
#include "lm_ntag_file.h"

static const uint8_t test_uid[7] = {0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66};
static const uint8_t test_pwd[4] = {0x12, 0x34, 0x56, 0x78};

/* Pointer to the 4 bytes of page p in the model's memory. */
static uint8_t *page(struct lm_ntag *t, unsigned p)
{
    return &t->mem[p * LM_NTAG_PAGE_SIZE];
}

/* Send one frame; returns the answer kind, answer bytes in resp/len. */
static enum lm_ntag_answer send(struct lm_ntag *t, const uint8_t *cmd, size_t n, uint8_t *resp,
                                size_t *len)
{
    return lm_ntag_process(t, cmd, n, resp, 1024, len);
}

/* Send a frame that must answer with a 4-bit code. */
static void expect_acknak(struct lm_ntag *t, const uint8_t *cmd, size_t n, uint8_t code)
{
    uint8_t resp[1024];
    size_t len;

    assert_int_equal(send(t, cmd, n, resp, &len), LM_NTAG_ACKNAK);
    assert_int_equal(len, 1);
    assert_int_equal(resp[0], code);
}

/* ---- tag states the table rows start from ---------------------------------- */

enum state {
    FRESH_213,
    FRESH_215,
    FRESH_216,
    PROT_213,     /* AUTH0 = 0x10, PROT (read+write), PWD test_pwd, PACK AB CD */
    WPROT_213,    /* AUTH0 = 0x10, write protection only */
    AUTHED_213,   /* PROT_213 after a good PWD_AUTH */
    AUTHLIM_213,  /* PROT_213 with AUTHLIM = 2 (2 wrong passwords allowed) */
    COUNTER_213,  /* NFC_CNT_EN, counter at 0x010203 */
    CFGLCK_213,   /* configuration locked */
    LOCKED_213    /* static lock L4, dynamic lock bit 0 (pages 16-17) */
};

/* Put a tag into one of the named states (directly in memory). */
static void make_state(struct lm_ntag *t, enum state s)
{
    static const enum lm_ntag_kind kinds[3] = {LM_NTAG213, LM_NTAG215, LM_NTAG216};
    uint8_t n;

    lm_ntag_init(t, s <= FRESH_216 ? kinds[s] : LM_NTAG213, test_uid);
    n = t->npages;
    switch (s) {
    case PROT_213:
    case AUTHED_213:
    case AUTHLIM_213:
        page(t, n - 3u)[0] = LM_NTAG_ACCESS_PROT | (s == AUTHLIM_213 ? 2u : 0u);
        /* fall through */
    case WPROT_213:
        page(t, n - 4u)[3] = 0x10;
        memcpy(page(t, n - 2u), test_pwd, 4);
        page(t, n - 1u)[0] = 0xAB;
        page(t, n - 1u)[1] = 0xCD;
        if (s == AUTHED_213)
            t->authenticated = 1;
        break;
    case COUNTER_213:
        page(t, n - 3u)[0] = LM_NTAG_ACCESS_NFC_CNT_EN;
        t->nfc_cnt = 0x010203;
        break;
    case CFGLCK_213:
        page(t, n - 3u)[0] = LM_NTAG_ACCESS_CFGLCK;
        break;
    case LOCKED_213:
        page(t, 2)[2] = 0x10;      /* L4 */
        page(t, n - 5u)[0] = 0x01; /* pages 16-17 */
        break;
    default:
        break;
    }
}

/* ---- the command table -------------------------------------------------- */

#define MAXB 24
struct row {
    const char *name;
    enum state state;
    uint8_t cmd[MAXB];
    size_t cmd_len;
    enum lm_ntag_answer kind;
    size_t resp_len;        /* for BYTES: expected length */
    uint8_t resp[MAXB];     /* expected bytes (the first cmp_len are compared); ACK/NAK code */
    size_t cmp_len;         /* how many resp bytes to compare (0: none) */
};

#define ACK LM_NTAG_ACKNAK, 1, {LM_NTAG_ACK}, 1
#define NAK0 LM_NTAG_ACKNAK, 1, {LM_NTAG_NAK_INVALID}, 1
#define NAK4 LM_NTAG_ACKNAK, 1, {LM_NTAG_NAK_AUTHLIM}, 1

static const struct row rows[] = {
    /* GET_VERSION */
    {"version 213", FRESH_213, {0x60}, 1, LM_NTAG_BYTES, 8, {0, 4, 4, 2, 1, 0, 0x0F, 3}, 8},
    {"version 215", FRESH_215, {0x60}, 1, LM_NTAG_BYTES, 8, {0, 4, 4, 2, 1, 0, 0x11, 3}, 8},
    {"version 216", FRESH_216, {0x60}, 1, LM_NTAG_BYTES, 8, {0, 4, 4, 2, 1, 0, 0x13, 3}, 8},
    {"version with argument", FRESH_213, {0x60, 0}, 2, NAK0},
    /* READ: UID, check bytes, CC; wrapping; range */
    {"read 0", FRESH_213, {0x30, 0}, 2, LM_NTAG_BYTES, 16,
     {0x04, 0x11, 0x22, 0x88 ^ 0x04 ^ 0x11 ^ 0x22, 0x33, 0x44, 0x55, 0x66,
      0x33 ^ 0x44 ^ 0x55 ^ 0x66, 0x48, 0, 0, 0xE1, 0x10, 0x12, 0x00}, 16},
    {"read cc 215", FRESH_215, {0x30, 3}, 2, LM_NTAG_BYTES, 16, {0xE1, 0x10, 0x3E, 0x00}, 4},
    {"read cc 216", FRESH_216, {0x30, 3}, 2, LM_NTAG_BYTES, 16, {0xE1, 0x10, 0x6D, 0x00}, 4},
    {"read wraps, PWD/PACK as 0", FRESH_213, {0x30, 0x2B}, 2, LM_NTAG_BYTES, 16,
     {0, 0, 0, 0, 0, 0, 0, 0, 0x04, 0x11, 0x22, 0x88 ^ 0x04 ^ 0x11 ^ 0x22, 0x33, 0x44, 0x55, 0x66}, 16},
    {"read cfg 213", FRESH_213, {0x30, 0x28}, 2, LM_NTAG_BYTES, 16,
     {0, 0, 0, 0xBD, 0x04, 0, 0, 0xFF, 0, 0x05, 0, 0, 0, 0, 0, 0}, 16},
    {"read last page", FRESH_216, {0x30, 230}, 2, LM_NTAG_BYTES, 16, {0}, 0},
    {"read past end", FRESH_213, {0x30, 45}, 2, NAK0},
    {"read past end 216", FRESH_216, {0x30, 231}, 2, NAK0},
    {"read short", FRESH_213, {0x30}, 1, NAK0},
    {"read long", FRESH_213, {0x30, 0, 0}, 3, NAK0},
    /* FAST_READ */
    {"fast read 4-7", FRESH_213, {0x3A, 4, 7}, 3, LM_NTAG_BYTES, 16, {0x03, 0x00, 0xFE, 0x00}, 4},
    {"fast read one page", FRESH_213, {0x3A, 3, 3}, 3, LM_NTAG_BYTES, 4, {0xE1, 0x10, 0x12, 0}, 4},
    {"fast read all 213", FRESH_213, {0x3A, 0, 44}, 3, LM_NTAG_BYTES, 180, {0x04, 0x11}, 2},
    {"fast read all 216", FRESH_216, {0x3A, 0, 230}, 3, LM_NTAG_BYTES, 924, {0x04, 0x11}, 2},
    {"fast read end < start", FRESH_213, {0x3A, 5, 4}, 3, NAK0},
    {"fast read past end", FRESH_213, {0x3A, 40, 45}, 3, NAK0},
    {"fast read short", FRESH_213, {0x3A, 4}, 2, NAK0},
    /* WRITE */
    {"write user page", FRESH_213, {0xA2, 4, 1, 2, 3, 4}, 6, ACK},
    {"write last user page 216", FRESH_216, {0xA2, 225, 1, 2, 3, 4}, 6, ACK},
    {"write uid page 0", FRESH_213, {0xA2, 0, 1, 2, 3, 4}, 6, NAK0},
    {"write uid page 1", FRESH_213, {0xA2, 1, 1, 2, 3, 4}, 6, NAK0},
    {"write past end", FRESH_213, {0xA2, 45, 1, 2, 3, 4}, 6, NAK0},
    {"write short", FRESH_213, {0xA2, 4, 1, 2, 3}, 5, NAK0},
    {"write long", FRESH_213, {0xA2, 4, 1, 2, 3, 4, 5}, 7, NAK0},
    /* COMPATIBILITY_WRITE first part */
    {"compat write address ok", FRESH_213, {0xA0, 4}, 2, ACK},
    {"compat write address uid", FRESH_213, {0xA0, 1}, 2, NAK0},
    {"compat write address past end", FRESH_213, {0xA0, 45}, 2, NAK0},
    /* PWD_AUTH */
    {"auth default pwd", FRESH_213, {0x1B, 0xFF, 0xFF, 0xFF, 0xFF}, 5, LM_NTAG_BYTES, 2, {0, 0}, 2},
    {"auth good pwd", PROT_213, {0x1B, 0x12, 0x34, 0x56, 0x78}, 5, LM_NTAG_BYTES, 2, {0xAB, 0xCD}, 2},
    {"auth wrong pwd", PROT_213, {0x1B, 0x12, 0x34, 0x56, 0x79}, 5, NAK0},
    {"auth short", PROT_213, {0x1B, 0x12, 0x34, 0x56}, 4, NAK0},
    /* protection by AUTH0 / PROT */
    {"prot: read below auth0", PROT_213, {0x30, 0x0C}, 2, LM_NTAG_BYTES, 16, {0}, 0},
    {"prot: read at auth0", PROT_213, {0x30, 0x10}, 2, NAK0},
    {"prot: read wraps at auth0", PROT_213, {0x30, 0x0E}, 2, LM_NTAG_BYTES, 16,
     {0, 0, 0, 0, 0, 0, 0, 0, 0x04, 0x11, 0x22}, 11},
    {"prot: fast read into auth0", PROT_213, {0x3A, 0x0C, 0x10}, 3, NAK0},
    {"prot: write at auth0", PROT_213, {0xA2, 0x10, 1, 2, 3, 4}, 6, NAK0},
    {"prot: write below auth0", PROT_213, {0xA2, 0x0F, 1, 2, 3, 4}, 6, ACK},
    {"prot: write pwd", PROT_213, {0xA2, 0x2B, 1, 2, 3, 4}, 6, NAK0},
    {"wprot: read at auth0", WPROT_213, {0x30, 0x10}, 2, LM_NTAG_BYTES, 16, {0}, 0},
    {"wprot: write at auth0", WPROT_213, {0xA2, 0x10, 1, 2, 3, 4}, 6, NAK0},
    {"authed: read at auth0", AUTHED_213, {0x30, 0x10}, 2, LM_NTAG_BYTES, 16, {0}, 0},
    {"authed: write at auth0", AUTHED_213, {0xA2, 0x10, 1, 2, 3, 4}, 6, ACK},
    {"authed: fast read all", AUTHED_213, {0x3A, 0, 44}, 3, LM_NTAG_BYTES, 180, {0}, 0},
    {"cfglck: write cfg0", CFGLCK_213, {0xA2, 0x29, 0, 0, 0, 0x10}, 6, NAK0},
    {"cfglck: write cfg1", CFGLCK_213, {0xA2, 0x2A, 0, 0, 0, 0}, 6, NAK0},
    {"cfglck: write pwd", CFGLCK_213, {0xA2, 0x2B, 1, 2, 3, 4}, 6, ACK},
    /* locks */
    {"locked: page 4", LOCKED_213, {0xA2, 4, 1, 2, 3, 4}, 6, NAK0},
    {"locked: page 5 free", LOCKED_213, {0xA2, 5, 1, 2, 3, 4}, 6, ACK},
    {"locked: page 16 dyn", LOCKED_213, {0xA2, 16, 1, 2, 3, 4}, 6, NAK0},
    {"locked: page 17 dyn", LOCKED_213, {0xA2, 17, 1, 2, 3, 4}, 6, NAK0},
    {"locked: page 18 free", LOCKED_213, {0xA2, 18, 1, 2, 3, 4}, 6, ACK},
    /* READ_SIG, READ_CNT, others */
    {"read sig", FRESH_213, {0x3C, 0}, 2, LM_NTAG_BYTES, 32, {0}, 0},
    {"read sig bad address", FRESH_213, {0x3C, 1}, 2, NAK0},
    {"read cnt disabled", FRESH_213, {0x39, 2}, 2, NAK0},
    {"read cnt", COUNTER_213, {0x39, 2}, 2, LM_NTAG_BYTES, 3, {0x03, 0x02, 0x01}, 3},
    {"read cnt bad address", COUNTER_213, {0x39, 0}, 2, NAK0},
    {"halt", FRESH_213, {0x50, 0}, 2, LM_NTAG_SILENT, 0, {0}, 0},
    {"unknown command", FRESH_213, {0x42}, 1, NAK0},
    {"empty frame", FRESH_213, {0}, 0, NAK0},
};

/* Run every row against a fresh tag in its state. */
static void test_command_table(void **state)
{
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *r = &rows[i];
        struct lm_ntag t;
        uint8_t resp[1024];
        size_t len = 99;
        enum lm_ntag_answer kind;

        make_state(&t, r->state);
        kind = send(&t, r->cmd, r->cmd_len, resp, &len);
        if (kind != r->kind || len != r->resp_len ||
            memcmp(resp, r->resp, r->cmp_len) != 0)
            fail_msg("row '%s': kind %d len %zu first byte %02X", r->name, (int)kind, len,
                     len > 0 ? resp[0] : 0);
    }
}

/* ---- sequences ----------------------------------------------------------- */

/* WRITE lands all four bytes; READ returns them. */
static void test_write_then_read(void **state)
{
    struct lm_ntag t;
    uint8_t w[] = {0xA2, 7, 0xDE, 0xAD, 0xBE, 0xEF};
    uint8_t r[] = {0x30, 7};
    uint8_t resp[1024];
    size_t len;
    (void)state;

    make_state(&t, FRESH_216);
    expect_acknak(&t, w, sizeof(w), LM_NTAG_ACK);
    assert_int_equal(send(&t, r, sizeof(r), resp, &len), LM_NTAG_BYTES);
    assert_memory_equal(resp, w + 2, 4);
}

/* COMPATIBILITY_WRITE: second frame of 16 bytes writes only the first 4. */
static void test_compat_write(void **state)
{
    struct lm_ntag t;
    uint8_t a[] = {0xA0, 5};
    uint8_t data[16];
    uint8_t before6[4];
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(0x80 + i);
    make_state(&t, FRESH_213);
    memcpy(before6, page(&t, 6), 4);
    expect_acknak(&t, a, sizeof(a), LM_NTAG_ACK);
    expect_acknak(&t, data, sizeof(data), LM_NTAG_ACK);
    assert_memory_equal(page(&t, 5), data, 4);
    assert_memory_equal(page(&t, 6), before6, 4);
    /* A second part of the wrong length aborts with NAK 0 and writes nothing. */
    expect_acknak(&t, a, sizeof(a), LM_NTAG_ACK);
    expect_acknak(&t, data, 4, LM_NTAG_NAK_INVALID);
    assert_memory_equal(page(&t, 5), data, 4);
}

/* Page 2: BCC1 and the internal byte stay, lock bytes are OR-ed in. */
static void test_static_lock_bytes(void **state)
{
    struct lm_ntag t;
    uint8_t w1[] = {0xA2, 2, 0x00, 0x00, 0x10, 0x01}; /* L4, L8 */
    uint8_t w2[] = {0xA2, 2, 0xFF, 0xFF, 0x20, 0x00}; /* L5; L4 stays */
    uint8_t p4[] = {0xA2, 4, 1, 1, 1, 1};
    uint8_t p8[] = {0xA2, 8, 1, 1, 1, 1};
    uint8_t p9[] = {0xA2, 9, 1, 1, 1, 1};
    uint8_t bcc1;
    (void)state;

    make_state(&t, FRESH_213);
    bcc1 = page(&t, 2)[0];
    expect_acknak(&t, w1, sizeof(w1), LM_NTAG_ACK);
    expect_acknak(&t, w2, sizeof(w2), LM_NTAG_ACK);
    assert_int_equal(page(&t, 2)[0], bcc1);
    assert_int_equal(page(&t, 2)[1], 0x48);
    assert_int_equal(page(&t, 2)[2], 0x30);
    assert_int_equal(page(&t, 2)[3], 0x01);
    expect_acknak(&t, p4, sizeof(p4), LM_NTAG_NAK_INVALID);
    expect_acknak(&t, p8, sizeof(p8), LM_NTAG_NAK_INVALID);
    expect_acknak(&t, p9, sizeof(p9), LM_NTAG_ACK);
}

/* Block-lock bits freeze their lock bits; L-CC locks the CC page. */
static void test_block_lock_and_cc(void **state)
{
    struct lm_ntag t;
    uint8_t bl[] = {0xA2, 2, 0, 0, 0x02, 0x00};   /* BL9-4 */
    uint8_t l5[] = {0xA2, 2, 0, 0, 0x20, 0x04};   /* L5 (frozen), L10 (free) */
    uint8_t cc[] = {0xA2, 3, 0x00, 0x00, 0x00, 0x0F}; /* OTP: OR-ed */
    uint8_t lcc[] = {0xA2, 2, 0, 0, 0x08, 0x00};  /* L-CC */
    (void)state;

    make_state(&t, FRESH_213);
    expect_acknak(&t, bl, sizeof(bl), LM_NTAG_ACK);
    expect_acknak(&t, l5, sizeof(l5), LM_NTAG_ACK);
    assert_int_equal(page(&t, 2)[2], 0x02);
    assert_int_equal(page(&t, 2)[3], 0x04);
    expect_acknak(&t, cc, sizeof(cc), LM_NTAG_ACK);
    assert_int_equal(page(&t, 3)[0], 0xE1);
    assert_int_equal(page(&t, 3)[3], 0x0F);
    expect_acknak(&t, lcc, sizeof(lcc), LM_NTAG_ACK);
    expect_acknak(&t, cc, sizeof(cc), LM_NTAG_NAK_INVALID);
}

/* Dynamic lock bytes: OR-ed, RFUI byte kept; 216 locks 16 pages per bit. */
static void test_dynamic_lock_216(void **state)
{
    struct lm_ntag t;
    uint8_t dl[] = {0xA2, 226, 0x01, 0x00, 0x00, 0x00};
    uint8_t dl2[] = {0xA2, 226, 0x00, 0x20, 0x00, 0x55}; /* bit 13: pages 224-225 */
    uint8_t p31[] = {0xA2, 31, 1, 1, 1, 1};
    uint8_t p32[] = {0xA2, 32, 1, 1, 1, 1};
    uint8_t p225[] = {0xA2, 225, 1, 1, 1, 1};
    (void)state;

    make_state(&t, FRESH_216);
    expect_acknak(&t, dl, sizeof(dl), LM_NTAG_ACK);
    expect_acknak(&t, dl2, sizeof(dl2), LM_NTAG_ACK);
    assert_int_equal(page(&t, 226)[0], 0x01);
    assert_int_equal(page(&t, 226)[1], 0x20);
    assert_int_equal(page(&t, 226)[3], 0xBD);
    expect_acknak(&t, p31, sizeof(p31), LM_NTAG_NAK_INVALID);
    expect_acknak(&t, p32, sizeof(p32), LM_NTAG_ACK);
    expect_acknak(&t, p225, sizeof(p225), LM_NTAG_NAK_INVALID);
}

/* PWD_AUTH unlocks; a NAK or a new session (power on) locks again. */
static void test_auth_session(void **state)
{
    struct lm_ntag t;
    uint8_t good[] = {0x1B, 0x12, 0x34, 0x56, 0x78};
    uint8_t rd[] = {0x30, 0x10};
    uint8_t bad[] = {0x30, 0xF0};
    uint8_t resp[1024];
    size_t len;
    (void)state;

    make_state(&t, PROT_213);
    assert_int_equal(send(&t, good, sizeof(good), resp, &len), LM_NTAG_BYTES);
    assert_int_equal(send(&t, rd, sizeof(rd), resp, &len), LM_NTAG_BYTES);
    expect_acknak(&t, bad, sizeof(bad), LM_NTAG_NAK_INVALID);
    expect_acknak(&t, rd, sizeof(rd), LM_NTAG_NAK_INVALID);
    assert_int_equal(send(&t, good, sizeof(good), resp, &len), LM_NTAG_BYTES);
    lm_ntag_power_on(&t);
    expect_acknak(&t, rd, sizeof(rd), LM_NTAG_NAK_INVALID);
}

/* AUTHLIM = 2: two wrong passwords allowed, then NAK 4 even for the right one. */
static void test_authlim(void **state)
{
    struct lm_ntag t;
    uint8_t good[] = {0x1B, 0x12, 0x34, 0x56, 0x78};
    uint8_t bad[] = {0x1B, 0, 0, 0, 0};
    (void)state;

    make_state(&t, AUTHLIM_213);
    expect_acknak(&t, bad, sizeof(bad), LM_NTAG_NAK_INVALID);
    assert_false(lm_ntag_auth_locked(&t));
    expect_acknak(&t, bad, sizeof(bad), LM_NTAG_NAK_INVALID);
    assert_true(lm_ntag_auth_locked(&t));
    expect_acknak(&t, good, sizeof(good), LM_NTAG_NAK_AUTHLIM);
    expect_acknak(&t, bad, sizeof(bad), LM_NTAG_NAK_AUTHLIM);
    lm_ntag_power_on(&t);
    expect_acknak(&t, good, sizeof(good), LM_NTAG_NAK_AUTHLIM);
}

/* The NFC counter counts the first read of each session only. */
static void test_counter(void **state)
{
    struct lm_ntag t;
    uint8_t rd[] = {0x30, 4};
    uint8_t cnt[] = {0x39, 2};
    uint8_t resp[1024];
    size_t len;
    (void)state;

    make_state(&t, COUNTER_213);
    send(&t, rd, sizeof(rd), resp, &len);
    send(&t, rd, sizeof(rd), resp, &len);
    assert_int_equal(send(&t, cnt, sizeof(cnt), resp, &len), LM_NTAG_BYTES);
    assert_int_equal(resp[0], 0x04);
    lm_ntag_power_on(&t);
    send(&t, rd, sizeof(rd), resp, &len);
    send(&t, cnt, sizeof(cnt), resp, &len);
    assert_int_equal(resp[0], 0x05);
}

/* ---- tearing: the hook cuts power after N page writes --------------------- */

struct tear {
    unsigned budget;  /* writes that may land */
    unsigned landed;
    int fail;         /* return HOOK_FAIL instead of cutting power */
};

/* Test hook: allow `budget` writes, then cut power (or fail). */
static enum lm_ntag_hook_result tear_hook(void *ctx, uint8_t pg, const uint8_t data[4])
{
    struct tear *tr = ctx;
    (void)pg;
    (void)data;

    if (tr->landed >= tr->budget)
        return tr->fail ? LM_NTAG_HOOK_FAIL : LM_NTAG_HOOK_POWER_CUT;
    tr->landed++;
    return LM_NTAG_HOOK_WRITE;
}

/*
 * For every tear point N: write pages 4..11 with new data; pages before the
 * tear are new, the torn one and all after it are old, whole pages only; the
 * tag is silent after the tear until powered on again.
 */
static void test_tear_after_n_writes(void **state)
{
    unsigned n, p;
    (void)state;

    for (n = 0; n <= 8; n++) {
        struct lm_ntag t;
        struct tear tr = {n, 0, 0};
        uint8_t old[8][4];
        uint8_t rd[] = {0x30, 4};
        uint8_t resp[1024];
        size_t len;

        make_state(&t, FRESH_215);
        for (p = 0; p < 8; p++) {
            memset(page(&t, 4 + p), (int)(0x10 + p), 4);
            memcpy(old[p], page(&t, 4 + p), 4);
        }
        lm_ntag_set_write_hook(&t, tear_hook, &tr);
        for (p = 0; p < 8; p++) {
            uint8_t w[6] = {0xA2, (uint8_t)(4 + p), 0xA0, 0xA1, 0xA2, (uint8_t)p};
            enum lm_ntag_answer a = send(&t, w, sizeof(w), resp, &len);
            assert_int_equal(a, p < n ? LM_NTAG_ACKNAK : LM_NTAG_SILENT);
        }
        for (p = 0; p < 8; p++) {
            uint8_t want[4] = {0xA0, 0xA1, 0xA2, (uint8_t)p};
            assert_memory_equal(page(&t, 4 + p), p < n ? want : old[p], 4);
        }
        if (n < 8) {
            assert_int_equal(send(&t, rd, sizeof(rd), resp, &len), LM_NTAG_SILENT);
            lm_ntag_power_on(&t);
        }
        assert_int_equal(send(&t, rd, sizeof(rd), resp, &len), LM_NTAG_BYTES);
    }
}

/* A failing persist hook makes the tag NAK 5 and leaves the page alone. */
static void test_write_error(void **state)
{
    struct lm_ntag t;
    struct tear tr = {0, 0, 1};
    uint8_t w[] = {0xA2, 4, 9, 9, 9, 9};
    uint8_t before[4];
    (void)state;

    make_state(&t, FRESH_213);
    memcpy(before, page(&t, 4), 4);
    lm_ntag_set_write_hook(&t, tear_hook, &tr);
    expect_acknak(&t, w, sizeof(w), LM_NTAG_NAK_WRITE);
    assert_memory_equal(page(&t, 4), before, 4);
}

/* Part-3 API: lm_ntag_read / lm_ntag_write_page follow the same rules. */
static void test_page_api(void **state)
{
    struct lm_ntag t;
    uint8_t d[4] = {1, 2, 3, 4};
    uint8_t out[16];
    (void)state;

    make_state(&t, PROT_213);
    assert_int_equal(lm_ntag_write_page(&t, 5, d), LM_NTAG_OK);
    assert_int_equal(lm_ntag_read(&t, 5, out), LM_NTAG_OK);
    assert_memory_equal(out, d, 4);
    assert_int_equal(lm_ntag_write_page(&t, 0, d), LM_NTAG_EINVAL);
    assert_int_equal(lm_ntag_write_page(&t, 0x10, d), LM_NTAG_EINVAL);
    assert_int_equal(lm_ntag_read(&t, 0x10, out), LM_NTAG_EINVAL);
}

/* ---- password protection: scenarios ----------------------------------- */

/*
 * One step of a scenario: a command frame and what the tag must answer:
 * bytes (resp_len of them, the first cmp_len compared with resp), a 4-bit
 * code in resp[0], or silence. POWER_ON instead of a frame powers the tag
 * on afresh (it left the field). The page numbers below are the NTAG216's
 * (CFG0 E3, CFG1 E4, PWD E5, PACK E6).
 */
#define POWER_ON 0xFFFF
#define POWER_STEP {0}, POWER_ON, LM_NTAG_SILENT, 0, {0}, 0
struct step {
    uint8_t cmd[8];
    unsigned cmd_len;           /* or POWER_ON */
    enum lm_ntag_answer kind;
    size_t resp_len;
    uint8_t resp[16];
    size_t cmp_len;
};

struct scenario {
    const char *name;
    struct step steps[20];
};

#define PWD_216 {0xA2, 0xE5, 0x12, 0x34, 0x56, 0x78}, 6, ACK          /* PWD 12345678 */
#define PACK_216 {0xA2, 0xE6, 0xAB, 0xCD, 0, 0}, 6, ACK               /* PACK ABCD */
#define ACCESS_216(a) {0xA2, 0xE4, (a), 0x05, 0, 0}, 6, ACK           /* CFG1 */
#define AUTH0_216(p) {0xA2, 0xE3, 0x04, 0, 0, (p)}, 6, ACK            /* CFG0 */
#define GOOD_AUTH {0x1B, 0x12, 0x34, 0x56, 0x78}, 5, LM_NTAG_BYTES, 2, {0xAB, 0xCD}, 2
#define BAD_AUTH {0x1B, 0x12, 0x34, 0x56, 0x00}, 5, NAK0
#define LOCKED_AUTH {0x1B, 0x12, 0x34, 0x56, 0x78}, 5, NAK4
#define READ16(p) {0x30, (p)}, 2, LM_NTAG_BYTES, 16, {0}, 0
#define SETUP_216(access, auth0) \
    {PWD_216}, {PACK_216}, {ACCESS_216(access)}, {AUTH0_216(auth0)}

static const struct scenario scenarios[] = {
    {"unprotected: everything open, PWD_AUTH with the factory password",
     {{READ16(0xE0)},
      {{0x3A, 0x00, 0xE6}, 3, LM_NTAG_BYTES, 924, {0x04, 0x11}, 2},
      {{0xA2, 0xE1, 1, 2, 3, 4}, 6, ACK},
      {{0x1B, 0xFF, 0xFF, 0xFF, 0xFF}, 5, LM_NTAG_BYTES, 2, {0, 0}, 2},
      {{0x1B, 0, 0, 0, 0}, 5, NAK0}}},
    {"setup in order PWD, PACK, ACCESS, AUTH0: reads and writes need PWD_AUTH",
     {SETUP_216(LM_NTAG_ACCESS_PROT | 3u, 0x06),
      {READ16(0x00)},
      {{0x30, 0x06}, 2, NAK0},
      {{0x30, 0xE3}, 2, NAK0},
      {{0x3A, 0x00, 0x05}, 3, LM_NTAG_BYTES, 24, {0x04, 0x11}, 2},
      {{0x3A, 0x04, 0x06}, 3, NAK0},
      {{0xA2, 0x06, 1, 2, 3, 4}, 6, NAK0},
      {{0xA2, 0xE5, 0, 0, 0, 0}, 6, NAK0},   /* PWD itself is protected now */
      {{0xA2, 0x05, 1, 2, 3, 4}, 6, ACK},    /* below AUTH0: open */
      {GOOD_AUTH},
      {{0x3A, 0x06, 0x07}, 3, LM_NTAG_BYTES, 8, {0}, 0},
      {{0xA2, 0x06, 1, 2, 3, 4}, 6, ACK},
      {{0x30, 0x06}, 2, LM_NTAG_BYTES, 16, {1, 2, 3, 4}, 4},
      {POWER_STEP},
      {{0x30, 0x06}, 2, NAK0}}},
    {"READ below AUTH0 rolls over at AUTH0; PWD and PACK read as 00 even authenticated",
     {SETUP_216(LM_NTAG_ACCESS_PROT, 0x06),
      {{0x30, 0x05}, 2, LM_NTAG_BYTES, 16,
       {0, 0, 0, 0, 0x04, 0x11, 0x22, 0x88 ^ 0x04 ^ 0x11 ^ 0x22, 0x33, 0x44, 0x55, 0x66}, 12},
      {GOOD_AUTH},
      {{0x30, 0xE3}, 2, LM_NTAG_BYTES, 16,
       {0x04, 0, 0, 0x06, LM_NTAG_ACCESS_PROT, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 16},
      {{0x3A, 0xE5, 0xE6}, 3, LM_NTAG_BYTES, 8, {0, 0, 0, 0, 0, 0, 0, 0}, 8}}},
    {"PROT = 0: reads open, writes need PWD_AUTH",
     {SETUP_216(0x00, 0x10),
      {READ16(0x10)},
      {{0x3A, 0x00, 0xE6}, 3, LM_NTAG_BYTES, 924, {0}, 0},
      {{0xA2, 0x10, 1, 2, 3, 4}, 6, NAK0},
      {GOOD_AUTH},
      {{0xA2, 0x10, 1, 2, 3, 4}, 6, ACK}}},
    {"AUTH0 first: the next configuration writes need the factory password",
     {{AUTH0_216(0x04)},
      {{0xA2, 0xE5, 0x12, 0x34, 0x56, 0x78}, 6, NAK0},
      {{0x1B, 0xFF, 0xFF, 0xFF, 0xFF}, 5, LM_NTAG_BYTES, 2, {0, 0}, 2},
      {PWD_216}}},
    {"a wrong password NAKs, ends the session, and is counted",
     {SETUP_216(LM_NTAG_ACCESS_PROT | 3u, 0x04),
      {GOOD_AUTH},
      {READ16(0x04)},
      {BAD_AUTH},
      {{0x30, 0x04}, 2, NAK0},
      {BAD_AUTH},
      {GOOD_AUTH},   /* 2 of 3: the right one still opens, and resets the count */
      {BAD_AUTH},
      {BAD_AUTH},
      {GOOD_AUTH},
      {READ16(0x04)}}},
    {"AUTHLIM 3 reached: every PWD_AUTH fails, for ever",
     {SETUP_216(LM_NTAG_ACCESS_PROT | 3u, 0x04),
      {BAD_AUTH},
      {BAD_AUTH},
      {BAD_AUTH},
      {LOCKED_AUTH},
      {{0x1B, 0x12, 0x34, 0x56, 0x00}, 5, NAK4},
      {POWER_STEP},
      {LOCKED_AUTH},
      {{0x30, 0x04}, 2, NAK0},
      {{0xA2, 0x04, 1, 2, 3, 4}, 6, NAK0},
      {READ16(0x00)}}},
    {"AUTHLIM 0: wrong passwords are not limited",
     {SETUP_216(LM_NTAG_ACCESS_PROT, 0x04),
      {BAD_AUTH}, {BAD_AUTH}, {BAD_AUTH}, {BAD_AUTH}, {BAD_AUTH}, {BAD_AUTH},
      {BAD_AUTH}, {BAD_AUTH}, {GOOD_AUTH}}},
    {"HALT ends the authenticated state",
     {SETUP_216(LM_NTAG_ACCESS_PROT, 0x04),
      {GOOD_AUTH},
      {{0x50, 0x00}, 2, LM_NTAG_SILENT, 0, {0}, 0},
      {{0x30, 0x04}, 2, NAK0}}},
};

/* Run the steps of one scenario on t; fail with the scenario's name and the step. */
static void run_steps(struct lm_ntag *t, const struct scenario *sc)
{
    size_t i;

    for (i = 0; i < sizeof(sc->steps) / sizeof(sc->steps[0]); i++) {
        const struct step *st = &sc->steps[i];
        uint8_t resp[1024];
        size_t len = 99;
        enum lm_ntag_answer kind;

        if (st->cmd_len == POWER_ON) {
            lm_ntag_power_on(t);
            continue;
        }
        if (st->cmd_len == 0)
            break;
        kind = send(t, st->cmd, st->cmd_len, resp, &len);
        if (kind != st->kind || len != st->resp_len || memcmp(resp, st->resp, st->cmp_len) != 0)
            fail_msg("'%s' step %zu (%02X %02X): kind %d len %zu first byte %02X", sc->name, i + 1,
                     st->cmd[0], st->cmd[1], (int)kind, len, len > 0 ? resp[0] : 0);
    }
}

/* Every scenario on a fresh NTAG216 in memory. */
static void test_protection_scenarios(void **state)
{
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        struct lm_ntag t;

        make_state(&t, FRESH_216);
        run_steps(&t, &scenarios[i]);
    }
}

/* Recording hook: keeps the last hidden-state record written (page npages). */
struct state_rec {
    uint8_t npages;
    unsigned writes;
    uint8_t rec[LM_NTAG_STATE_LEN];
};

static enum lm_ntag_hook_result state_hook(void *ctx, uint8_t pg, const uint8_t data[4])
{
    struct state_rec *r = ctx;

    if (pg == r->npages) {
        memcpy(r->rec, data, LM_NTAG_STATE_LEN);
        r->writes++;
    }
    return LM_NTAG_HOOK_WRITE;
}

/*
 * Every change of the wrong-password count is written through the hook
 * before the answer; right passwords with a count of 0 write nothing.
 */
static void test_auth_count_persisted(void **state)
{
    struct lm_ntag t;
    struct state_rec r = {0};
    uint8_t good[] = {0x1B, 0x12, 0x34, 0x56, 0x78};
    uint8_t bad[] = {0x1B, 9, 9, 9, 9};
    uint8_t resp[1024];
    size_t len;
    (void)state;

    make_state(&t, AUTHLIM_213);
    r.npages = t.npages;
    lm_ntag_set_write_hook(&t, state_hook, &r);
    assert_int_equal(send(&t, good, sizeof(good), resp, &len), LM_NTAG_BYTES);
    assert_int_equal(r.writes, 0);
    expect_acknak(&t, bad, sizeof(bad), LM_NTAG_NAK_INVALID);
    assert_int_equal(r.writes, 1);
    assert_int_equal(r.rec[0], 1);
    assert_int_equal(send(&t, good, sizeof(good), resp, &len), LM_NTAG_BYTES);
    assert_int_equal(r.writes, 2);
    assert_int_equal(r.rec[0], 0);
}

/* A power cut while the count is written: no answer, the count unchanged. */
static void test_auth_count_torn(void **state)
{
    struct lm_ntag t;
    struct tear tr = {0, 0, 0};
    uint8_t bad[] = {0x1B, 9, 9, 9, 9};
    uint8_t resp[1024];
    size_t len;
    (void)state;

    make_state(&t, AUTHLIM_213);
    lm_ntag_set_write_hook(&t, tear_hook, &tr);
    assert_int_equal(send(&t, bad, sizeof(bad), resp, &len), LM_NTAG_SILENT);
    assert_int_equal(t.auth_failures, 0);
    tr.fail = 1;
    lm_ntag_power_on(&t);
    expect_acknak(&t, bad, sizeof(bad), LM_NTAG_NAK_WRITE);
    assert_int_equal(t.auth_failures, 0);
}

/*
 * Through the memory file: protect a tag with WRITEs, reach AUTHLIM, close;
 * the reopened tag (a restart of the simulator) is still locked, and the
 * file holds the pages plus the 4-byte state record.
 */
static void test_authlim_across_restart(void **state)
{
    char path[] = "/tmp/test_ntag_XXXXXX";
    struct lm_ntag t;
    struct lm_ntag_file f;
    struct stat sb;
    uint8_t bad[] = {0x1B, 9, 9, 9, 9};
    uint8_t good[] = {0x1B, 0x12, 0x34, 0x56, 0x78};
    uint8_t rd[] = {0x30, 0x04};
    uint8_t resp[1024];
    size_t len, i;
    int fd = mkstemp(path);
    (void)state;

    assert_true(fd >= 0);
    close(fd);
    unlink(path); /* a missing file: created fresh */
    assert_int_equal(lm_ntag_file_open(&f, &t, LM_NTAG216, path, NULL, -1), LM_NTAG_FILE_OK);
    for (i = 0; i < 4; i++) { /* the setup steps of the scenarios, in order */
        const struct step *st = &scenarios[6].steps[i];
        assert_int_equal(send(&t, st->cmd, st->cmd_len, resp, &len), LM_NTAG_ACKNAK);
        assert_int_equal(resp[0], LM_NTAG_ACK);
    }
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 231 * 4); /* no state record yet */
    expect_acknak(&t, bad, sizeof(bad), LM_NTAG_NAK_INVALID);
    expect_acknak(&t, bad, sizeof(bad), LM_NTAG_NAK_INVALID);
    lm_ntag_file_close(&f);

    /* Restart 1: the count (2 of 3) survived; a third wrong one locks. */
    assert_int_equal(lm_ntag_file_open(&f, &t, LM_NTAG216, path, NULL, -1), LM_NTAG_FILE_OK);
    assert_int_equal(t.auth_failures, 2);
    expect_acknak(&t, bad, sizeof(bad), LM_NTAG_NAK_INVALID);
    expect_acknak(&t, good, sizeof(good), LM_NTAG_NAK_AUTHLIM);
    lm_ntag_file_close(&f);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 231 * 4 + LM_NTAG_STATE_LEN);

    /* Restart 2: locked for ever. */
    assert_int_equal(lm_ntag_file_open(&f, &t, LM_NTAG216, path, NULL, -1), LM_NTAG_FILE_OK);
    assert_true(lm_ntag_auth_locked(&t));
    expect_acknak(&t, good, sizeof(good), LM_NTAG_NAK_AUTHLIM);
    expect_acknak(&t, rd, sizeof(rd), LM_NTAG_NAK_INVALID);
    lm_ntag_file_close(&f);

    /* A file of any other size is refused. */
    assert_int_equal(truncate(path, 231 * 4 + 2), 0);
    assert_int_equal(lm_ntag_file_open(&f, &t, LM_NTAG216, path, NULL, -1), LM_NTAG_FILE_ESIZE);
    unlink(path);
}

/* ---- the memory file ------------------------------------------------------ */

/* Fresh file gets the default UID; writes go through; size and UID are checked. */
static void test_memory_file(void **state)
{
    char path[] = "/tmp/test_ntag_XXXXXX";
    struct lm_ntag t, t2;
    struct lm_ntag_file f, f2;
    uint8_t uid[7];
    uint8_t d[4] = {0xCA, 0xFE, 0xBA, 0xBE};
    int fd = mkstemp(path);
    (void)state;

    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(lm_ntag_file_open(&f, &t, LM_NTAG213, path, NULL, 1), LM_NTAG_FILE_OK);
    lm_ntag_uid(&t, uid);
    assert_memory_equal(uid, lm_ntag_default_uid, 7);
    assert_int_equal(lm_ntag_write_page(&t, 4, d), LM_NTAG_OK);
    assert_int_equal(lm_ntag_write_page(&t, 5, d), LM_NTAG_EPOWER); /* tear after 1 */
    lm_ntag_file_close(&f);

    assert_int_equal(lm_ntag_file_open(&f2, &t2, LM_NTAG213, path, NULL, -1), LM_NTAG_FILE_OK);
    assert_memory_equal(page(&t2, 4), d, 4);
    assert_memory_equal(page(&t2, 5), page(&t, 5), 4);
    lm_ntag_file_close(&f2);
    assert_int_equal(lm_ntag_file_open(&f2, &t2, LM_NTAG216, path, NULL, -1), LM_NTAG_FILE_ESIZE);
    assert_int_equal(lm_ntag_file_open(&f2, &t2, LM_NTAG213, path, test_uid, -1), LM_NTAG_FILE_EUID);
    unlink(path);
}

/* The one size table (lm_proto.h) against the datasheet's memory map: the
 * model, the transports and the PN532 simulator all take it from there. */
static void test_size_table(void **state)
{
    static const uint8_t want_pages[3] = {45, 135, 231};
    static const uint16_t want_user[3] = {144, 504, 888};
    (void)state;
    for (unsigned i = 0; i < LM_NTAG_TYPES; i++) {
        const struct lm_ntag_type *ty = &lm_ntag_types[i];
        struct lm_ntag t;
        uint8_t out[16];
        static const uint8_t uid[7] = {0x04, 1, 2, 3, 4, 5, 6};
        assert_int_equal(ty->pages, want_pages[i]);
        assert_int_equal(lm_ntag_pages_of((enum lm_ntag_kind)i), want_pages[i]);
        assert_int_equal(ty->user_pages * LM_NTAG_PAGE_SIZE, want_user[i]);
        /* 4 pages before user memory, 5 after (dynamic lock, CFG0, CFG1, PWD, PACK). */
        assert_int_equal(ty->pages, LM_NTAG_USER_PAGE + ty->user_pages + 5);
        /* The configuration pages follow the dynamic lock page at the end. */
        assert_int_equal(ty->cfg0_page, ty->pages - 4);
        assert_int_equal(ty->cfg0_page + LM_NTAG_PACK_OFF, ty->pages - 1);
        /* The CC declares no more than the user memory. */
        assert_true(ty->cc_size * 8u <= ty->user_pages * LM_NTAG_PAGE_SIZE);
        lm_ntag_init(&t, (enum lm_ntag_kind)i, uid);
        assert_int_equal(lm_ntag_read(&t, LM_NTAG_CC_PAGE, out), LM_NTAG_OK);
        assert_int_equal(out[0], LM_NTAG_CC_MAGIC);
        assert_int_equal(out[2], ty->cc_size);
        assert_int_equal(lm_ntag_read(&t, ty->cfg0_page, out), LM_NTAG_OK);
        assert_int_equal(out[LM_NTAG_AUTH0_BYTE], LM_NTAG_AUTH0_NONE);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_command_table),
        cmocka_unit_test(test_write_then_read),
        cmocka_unit_test(test_compat_write),
        cmocka_unit_test(test_static_lock_bytes),
        cmocka_unit_test(test_block_lock_and_cc),
        cmocka_unit_test(test_dynamic_lock_216),
        cmocka_unit_test(test_auth_session),
        cmocka_unit_test(test_authlim),
        cmocka_unit_test(test_counter),
        cmocka_unit_test(test_tear_after_n_writes),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_page_api),
        cmocka_unit_test(test_memory_file),
        cmocka_unit_test(test_protection_scenarios),
        cmocka_unit_test(test_auth_count_persisted),
        cmocka_unit_test(test_auth_count_torn),
        cmocka_unit_test(test_authlim_across_restart),
        cmocka_unit_test(test_size_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
