/*
 * lm_ntag.c: NTAG213/215/216 model. See lm_ntag.h for the memory map and the
 * simplifications. Dependency-free C99, no malloc, no I/O.
 */
#include "lm_ntag.h"

#include <string.h>

#define INTERNAL_BYTE 0x48u
#define DYN_LOCK_RFUI 0xBDu
#define FIRST_DYN_LOCK_PAGE 16u /* dynamic lock bits start at page 16 */

/* Static lock byte bits (page 2, bytes 2 and 3) as one 16-bit word LOCK0 | LOCK1 << 8. */
#define BL_CC 0x0001u       /* freezes L-CC */
#define BL_9_4 0x0002u      /* freezes L4..L9 */
#define BL_15_10 0x0004u    /* freezes L10..L15 */
#define L_CC 0x0008u        /* locks page 3 */
#define L_4_TO_9 0x03F0u    /* L4..L7 in LOCK0 bits 4-7, L8..L9 in LOCK1 bits 0-1 */
#define L_10_TO_15 0xFC00u  /* LOCK1 bits 2-7 */

/* Pages of a kind (the sizes live in lm_proto.h's lm_ntag_types). */
uint8_t lm_ntag_pages_of(enum lm_ntag_kind kind)
{
    return lm_ntag_types[kind <= LM_NTAG216 ? kind : LM_NTAG216].pages;
}

/* Page numbers of the configuration area (lm_proto.h's size table). */
static uint8_t cfg0_page(const struct lm_ntag *t)
{
    return lm_ntag_types[t->kind <= LM_NTAG216 ? t->kind : LM_NTAG216].cfg0_page;
}
static uint8_t dyn_lock_page(const struct lm_ntag *t) { return (uint8_t)(cfg0_page(t) - 1u); }
static uint8_t cfg1_page(const struct lm_ntag *t) { return (uint8_t)(cfg0_page(t) + LM_NTAG_CFG1_OFF); }
static uint8_t pwd_page(const struct lm_ntag *t) { return (uint8_t)(cfg0_page(t) + LM_NTAG_PWD_OFF); }
static uint8_t pack_page(const struct lm_ntag *t) { return (uint8_t)(cfg0_page(t) + LM_NTAG_PACK_OFF); }

/* Pointer to the first byte of a page; the caller has checked page < npages. */
static uint8_t *page_ptr(struct lm_ntag *t, uint8_t page)
{
    return &t->mem[(size_t)page * LM_NTAG_PAGE_SIZE];
}

/* AUTH0 (first password-protected page) and the ACCESS byte. */
static uint8_t auth0(const struct lm_ntag *t)
{
    return t->mem[(size_t)cfg0_page(t) * LM_NTAG_PAGE_SIZE + LM_NTAG_AUTH0_BYTE];
}

static uint8_t access_byte(const struct lm_ntag *t)
{
    return t->mem[(size_t)cfg1_page(t) * LM_NTAG_PAGE_SIZE + LM_NTAG_ACCESS_BYTE];
}

/* The hidden state record (lm_ntag.h): failures, then the counter LSB first. */
static void encode_state(uint8_t failures, uint32_t cnt, uint8_t rec[LM_NTAG_STATE_LEN])
{
    rec[0] = failures;
    rec[1] = (uint8_t)(cnt & 0xFFu);
    rec[2] = (uint8_t)((cnt >> 8) & 0xFFu);
    rec[3] = (uint8_t)((cnt >> 16) & 0xFFu);
}

void lm_ntag_state_get(const struct lm_ntag *t, uint8_t rec[LM_NTAG_STATE_LEN])
{
    encode_state(t->auth_failures, t->nfc_cnt, rec);
}

void lm_ntag_state_set(struct lm_ntag *t, const uint8_t rec[LM_NTAG_STATE_LEN])
{
    t->auth_failures = rec[0];
    t->nfc_cnt = (uint32_t)rec[1] | ((uint32_t)rec[2] << 8) | ((uint32_t)rec[3] << 16);
}

/*
 * Persist a new hidden state (failures, counter) through the write hook as
 * page npages, then adopt it. Returns LM_NTAG_OK, LM_NTAG_EWRITE (the hook
 * failed: nothing changed) or LM_NTAG_EPOWER (power cut: nothing changed,
 * the tag is off).
 */
static enum lm_ntag_status put_state(struct lm_ntag *t, uint8_t failures, uint32_t cnt)
{
    uint8_t rec[LM_NTAG_STATE_LEN];
    enum lm_ntag_hook_result hook = LM_NTAG_HOOK_WRITE;

    encode_state(failures, cnt, rec);
    if (t->write_hook != NULL)
        hook = t->write_hook(t->write_ctx, t->npages, rec);
    if (hook == LM_NTAG_HOOK_POWER_CUT) {
        t->powered = 0;
        return LM_NTAG_EPOWER;
    }
    if (hook != LM_NTAG_HOOK_WRITE)
        return LM_NTAG_EWRITE;
    t->auth_failures = failures;
    t->nfc_cnt = cnt;
    return LM_NTAG_OK;
}

/* The limit of wrong PWD_AUTHs is reached: every PWD_AUTH fails, for ever. */
int lm_ntag_auth_locked(const struct lm_ntag *t)
{
    unsigned authlim = access_byte(t) & LM_NTAG_ACCESS_AUTHLIM;

    return authlim != 0u && t->auth_failures >= authlim;
}

/*
 * One past the last page a READ may return in the current state: all pages,
 * or only the pages below AUTH0 when read protection (PROT) is on and the
 * reader has not authenticated.
 */
static uint8_t readable_end(const struct lm_ntag *t)
{
    if ((access_byte(t) & LM_NTAG_ACCESS_PROT) && !t->authenticated && auth0(t) < t->npages)
        return auth0(t);
    return t->npages;
}

/* Copy one page as a reader sees it: PWD and PACK read as zeros. */
static void read_page_visible(struct lm_ntag *t, uint8_t page, uint8_t out[4])
{
    if (page == pwd_page(t) || page == pack_page(t))
        memset(out, 0, LM_NTAG_PAGE_SIZE);
    else
        memcpy(out, page_ptr(t, page), LM_NTAG_PAGE_SIZE);
}

/*
 * The first READ or FAST_READ of a session increments the NFC counter when
 * NFC_CNT_EN is set (the counter saturates at 0xFFFFFF). The new value is
 * persisted first, an EEPROM write like any other: a power cut there
 * silences the read (LM_NTAG_EPOWER); a failed write leaves the counter and
 * the read answers (the datasheet does not say; a simplification).
 */
static enum lm_ntag_status count_read(struct lm_ntag *t)
{
    if (t->cnt_done || !(access_byte(t) & LM_NTAG_ACCESS_NFC_CNT_EN))
        return LM_NTAG_OK;
    t->cnt_done = 1;
    if (t->nfc_cnt < 0xFFFFFFu && put_state(t, t->auth_failures, t->nfc_cnt + 1u) == LM_NTAG_EPOWER)
        return LM_NTAG_EPOWER;
    return LM_NTAG_OK;
}

void lm_ntag_init(struct lm_ntag *t, enum lm_ntag_kind kind, const uint8_t uid[7])
{
    uint8_t *p;

    memset(t, 0, sizeof(*t));
    t->kind = kind;
    t->npages = lm_ntag_pages_of(kind);

    p = t->mem;
    p[0] = uid[0];
    p[1] = uid[1];
    p[2] = uid[2];
    p[3] = (uint8_t)(0x88u ^ uid[0] ^ uid[1] ^ uid[2]);
    p[4] = uid[3];
    p[5] = uid[4];
    p[6] = uid[5];
    p[7] = uid[6];
    p[8] = (uint8_t)(uid[3] ^ uid[4] ^ uid[5] ^ uid[6]);
    p[9] = INTERNAL_BYTE; /* p[10], p[11]: static lock bytes 00 00 */
    p[12] = LM_NTAG_CC_MAGIC; /* CC: NDEF magic, version 1.0, size/8, read/write */
    p[13] = 0x10u;
    p[14] = lm_ntag_types[kind <= LM_NTAG216 ? kind : LM_NTAG216].cc_size;
    p[15] = 0x00u;
    p[16] = 0x03u; /* page 4: empty NDEF message TLV, then a terminator TLV */
    p[17] = 0x00u;
    p[18] = 0xFEu;

    p = page_ptr(t, dyn_lock_page(t));
    p[3] = DYN_LOCK_RFUI;
    p = page_ptr(t, cfg0_page(t));
    p[0] = 0x04u; /* MIRROR: STRG_MOD_EN */
    p[LM_NTAG_AUTH0_BYTE] = LM_NTAG_AUTH0_NONE;
    p = page_ptr(t, cfg1_page(t));
    p[1] = 0x05u; /* RFUI, as shipped */
    memset(page_ptr(t, pwd_page(t)), LM_NTAG_PWD_DEFAULT, LM_NTAG_PWD_LEN);

    lm_ntag_power_on(t);
}

void lm_ntag_set_write_hook(struct lm_ntag *t, lm_ntag_write_hook hook, void *ctx)
{
    t->write_hook = hook;
    t->write_ctx = ctx;
}

void lm_ntag_power_on(struct lm_ntag *t)
{
    t->authenticated = 0;
    t->cnt_done = 0;
    t->comp_write_page = -1;
    t->powered = 1;
}

void lm_ntag_uid(const struct lm_ntag *t, uint8_t uid[7])
{
    memcpy(uid, t->mem, 3);
    memcpy(uid + 3, t->mem + 4, 4);
}

enum lm_ntag_status lm_ntag_read(struct lm_ntag *t, uint8_t page, uint8_t out[16])
{
    uint8_t end = readable_end(t);
    unsigned i;

    if (!t->powered)
        return LM_NTAG_EPOWER;
    if (page >= end)
        return LM_NTAG_EINVAL;
    if (count_read(t) == LM_NTAG_EPOWER)
        return LM_NTAG_EPOWER;
    for (i = 0; i < 4u; i++)
        read_page_visible(t, (uint8_t)((page + i) % end), out + 4u * i);
    return LM_NTAG_OK;
}

/*
 * Whether page `page` is locked against writes by the static or dynamic lock
 * bits. Pages 0-2 and the configuration pages are handled by the caller.
 */
static int page_locked(struct lm_ntag *t, uint8_t page)
{
    const uint8_t *lock = page_ptr(t, 2) + 2;
    const uint8_t *dyn = page_ptr(t, dyn_lock_page(t));
    unsigned stat = (unsigned)lock[0] | ((unsigned)lock[1] << 8);
    unsigned per_bit = (t->kind == LM_NTAG213) ? 2u : 16u;
    unsigned bit;

    if (page == 3u)
        return (stat & L_CC) != 0;
    if (page < FIRST_DYN_LOCK_PAGE)
        return (stat >> page) & 1u; /* L4..L15 sit at bits 4..15 */
    if (page >= dyn_lock_page(t))
        return 0;
    bit = (page - FIRST_DYN_LOCK_PAGE) / per_bit;
    if (bit >= 16u)
        return 0;
    return (((unsigned)dyn[0] | ((unsigned)dyn[1] << 8)) >> bit) & 1u;
}

/*
 * New content of page 2 after a write of `data`: bytes 0-1 (BCC1, internal)
 * are read-only; the lock bytes are OR-ed in, except lock bits frozen by a
 * block-lock bit.
 */
static void merge_static_lock(struct lm_ntag *t, const uint8_t data[4], uint8_t out[4])
{
    const uint8_t *cur = page_ptr(t, 2);
    unsigned old = (unsigned)cur[2] | ((unsigned)cur[3] << 8);
    unsigned req = (unsigned)data[2] | ((unsigned)data[3] << 8);
    unsigned frozen = 0;
    unsigned merged;

    if (old & BL_CC)
        frozen |= L_CC;
    if (old & BL_9_4)
        frozen |= L_4_TO_9;
    if (old & BL_15_10)
        frozen |= L_10_TO_15;
    merged = old | (req & ~frozen);
    memcpy(out, cur, 2);
    out[2] = (uint8_t)(merged & 0xFFu);
    out[3] = (uint8_t)(merged >> 8);
}

/*
 * Compute the content a WRITE of `data` to `page` would leave, or say why the
 * tag refuses it. Pure: does not change the tag.
 */
static enum lm_ntag_status plan_write(struct lm_ntag *t, uint8_t page, const uint8_t data[4],
                                      uint8_t out[4])
{
    const uint8_t *cur;
    unsigned i;

    if (page < 2u || page >= t->npages)
        return LM_NTAG_EINVAL;
    if (page >= auth0(t) && !t->authenticated)
        return LM_NTAG_EINVAL;
    cur = page_ptr(t, page);
    if (page == 2u) {
        merge_static_lock(t, data, out);
        return LM_NTAG_OK;
    }
    if (page_locked(t, page))
        return LM_NTAG_EINVAL;
    if (page == 3u || page == dyn_lock_page(t)) {
        /* OTP (CC) and dynamic lock bytes: bits can only be set; RFUI byte kept. */
        for (i = 0; i < 4u; i++)
            out[i] = (uint8_t)(cur[i] | data[i]);
        if (page != 3u)
            out[3] = cur[3];
        return LM_NTAG_OK;
    }
    if ((page == cfg0_page(t) || page == cfg1_page(t)) &&
        (access_byte(t) & LM_NTAG_ACCESS_CFGLCK))
        return LM_NTAG_EINVAL;
    memcpy(out, data, LM_NTAG_PAGE_SIZE);
    return LM_NTAG_OK;
}

enum lm_ntag_status lm_ntag_write_page(struct lm_ntag *t, uint8_t page, const uint8_t data[4])
{
    uint8_t next[4];
    enum lm_ntag_status st;
    enum lm_ntag_hook_result hook = LM_NTAG_HOOK_WRITE;

    if (!t->powered)
        return LM_NTAG_EPOWER;
    st = plan_write(t, page, data, next);
    if (st != LM_NTAG_OK)
        return st;
    if (t->write_hook != NULL)
        hook = t->write_hook(t->write_ctx, page, next);
    if (hook == LM_NTAG_HOOK_POWER_CUT) {
        t->powered = 0;
        return LM_NTAG_EPOWER;
    }
    if (hook != LM_NTAG_HOOK_WRITE)
        return LM_NTAG_EWRITE;
    memcpy(page_ptr(t, page), next, LM_NTAG_PAGE_SIZE);
    return LM_NTAG_OK;
}

/* Put a 4-bit ACK/NAK into the answer. */
static enum lm_ntag_answer acknak(uint8_t code, uint8_t *resp, size_t resp_cap, size_t *resp_len)
{
    if (resp_cap < 1u) {
        *resp_len = 0;
        return LM_NTAG_SILENT;
    }
    resp[0] = code;
    *resp_len = 1;
    return LM_NTAG_ACKNAK;
}

/* Turn a status into the tag's answer: ACK for OK, the NAK code, or silence. */
static enum lm_ntag_answer answer_status(struct lm_ntag *t, enum lm_ntag_status st, uint8_t *resp,
                                         size_t resp_cap, size_t *resp_len)
{
    switch (st) {
    case LM_NTAG_OK:
        return acknak(LM_NTAG_ACK, resp, resp_cap, resp_len);
    case LM_NTAG_EPOWER:
        *resp_len = 0;
        return LM_NTAG_SILENT;
    case LM_NTAG_EAUTHLIM:
        t->authenticated = 0;
        return acknak(LM_NTAG_NAK_AUTHLIM, resp, resp_cap, resp_len);
    case LM_NTAG_EWRITE:
        t->authenticated = 0;
        return acknak(LM_NTAG_NAK_WRITE, resp, resp_cap, resp_len);
    default:
        t->authenticated = 0;
        return acknak(LM_NTAG_NAK_INVALID, resp, resp_cap, resp_len);
    }
}

/* Answer `len` bytes already in resp, or NAK 0 when they would not fit. */
static enum lm_ntag_answer answer_bytes(struct lm_ntag *t, size_t len, uint8_t *resp,
                                        size_t resp_cap, size_t *resp_len)
{
    if (len > resp_cap)
        return answer_status(t, LM_NTAG_EINVAL, resp, resp_cap, resp_len);
    *resp_len = len;
    return LM_NTAG_BYTES;
}

/* FAST_READ start..end (inclusive) into resp. Checks range, protection, capacity. */
static enum lm_ntag_answer do_fast_read(struct lm_ntag *t, uint8_t start, uint8_t end,
                                        uint8_t *resp, size_t resp_cap, size_t *resp_len)
{
    size_t len;
    unsigned p;

    if (start > end || end >= readable_end(t))
        return answer_status(t, LM_NTAG_EINVAL, resp, resp_cap, resp_len);
    len = ((size_t)end - start + 1u) * LM_NTAG_PAGE_SIZE;
    if (len > resp_cap)
        return answer_status(t, LM_NTAG_EINVAL, resp, resp_cap, resp_len);
    if (count_read(t) == LM_NTAG_EPOWER)
        return answer_status(t, LM_NTAG_EPOWER, resp, resp_cap, resp_len);
    for (p = start; p <= end; p++)
        read_page_visible(t, (uint8_t)p, resp + (p - start) * LM_NTAG_PAGE_SIZE);
    *resp_len = len;
    return LM_NTAG_BYTES;
}

/*
 * PWD_AUTH: compare with PWD; on success answer PACK. AUTHLIM (ACCESS bits
 * 0-2), when not 0, is the number of wrong passwords the tag takes: each
 * one is counted (and persisted before the NAK: a restart keeps the count),
 * a right one before the limit resets the count to 0, and once the count
 * has reached AUTHLIM every PWD_AUTH, right or wrong, NAKs with 4, for ever
 * (datasheet 8.8.2; the limit is the 3-bit value itself, 1..7 tries, not a
 * power of two as on the NTAG I2C plus). With AUTHLIM 0 nothing is counted.
 */
static enum lm_ntag_answer do_pwd_auth(struct lm_ntag *t, const uint8_t pwd[4], uint8_t *resp,
                                       size_t resp_cap, size_t *resp_len)
{
    unsigned authlim = access_byte(t) & LM_NTAG_ACCESS_AUTHLIM;
    enum lm_ntag_status st;

    t->authenticated = 0;
    if (lm_ntag_auth_locked(t))
        return answer_status(t, LM_NTAG_EAUTHLIM, resp, resp_cap, resp_len);
    if (memcmp(pwd, page_ptr(t, pwd_page(t)), LM_NTAG_PWD_LEN) != 0) {
        st = LM_NTAG_EINVAL;
        if (authlim != 0u && t->auth_failures < 0xFFu) {
            st = put_state(t, (uint8_t)(t->auth_failures + 1u), t->nfc_cnt);
            if (st == LM_NTAG_OK)
                st = LM_NTAG_EINVAL;
        }
        return answer_status(t, st, resp, resp_cap, resp_len);
    }
    if (t->auth_failures != 0u) {
        st = put_state(t, 0, t->nfc_cnt);
        if (st != LM_NTAG_OK)
            return answer_status(t, st, resp, resp_cap, resp_len);
    }
    if (resp_cap < LM_NTAG_PACK_LEN)
        return answer_status(t, LM_NTAG_EINVAL, resp, resp_cap, resp_len);
    t->authenticated = 1;
    memcpy(resp, page_ptr(t, pack_page(t)), LM_NTAG_PACK_LEN);
    *resp_len = LM_NTAG_PACK_LEN;
    return LM_NTAG_BYTES;
}

/*
 * READ_SIG answer: not a real ECC signature, a fixed pattern derived from the
 * UID (so it is stable and differs per tag). out holds LM_NTAG_SIG_LEN bytes.
 */
static void read_sig(const struct lm_ntag *t, uint8_t *out)
{
    uint8_t uid[LM_NTAG_UID_LEN];
    unsigned i;

    lm_ntag_uid(t, uid);
    for (i = 0; i < LM_NTAG_SIG_LEN; i++)
        out[i] = (uint8_t)(uid[i % LM_NTAG_UID_LEN] ^ (uint8_t)(0x5Au + 7u * i));
}

/* READ_CNT 02: the 24-bit counter, least significant byte first. */
static enum lm_ntag_answer do_read_cnt(struct lm_ntag *t, uint8_t *resp, size_t resp_cap,
                                       size_t *resp_len)
{
    uint8_t acc = access_byte(t);

    if (!(acc & LM_NTAG_ACCESS_NFC_CNT_EN) ||
        ((acc & LM_NTAG_ACCESS_NFC_CNT_PWD_PROT) && !t->authenticated) || resp_cap < 3u)
        return answer_status(t, LM_NTAG_EINVAL, resp, resp_cap, resp_len);
    resp[0] = (uint8_t)(t->nfc_cnt & 0xFFu);
    resp[1] = (uint8_t)((t->nfc_cnt >> 8) & 0xFFu);
    resp[2] = (uint8_t)((t->nfc_cnt >> 16) & 0xFFu);
    *resp_len = 3;
    return LM_NTAG_BYTES;
}

/*
 * Second part of a COMPATIBILITY_WRITE: 16 data bytes, of which the first 4
 * are written to the page named in the first part. Any other frame aborts it
 * with NAK 0.
 */
static enum lm_ntag_answer do_comp_write_data(struct lm_ntag *t, const uint8_t *cmd, size_t cmd_len,
                                              uint8_t *resp, size_t resp_cap, size_t *resp_len)
{
    uint8_t page = (uint8_t)t->comp_write_page;

    t->comp_write_page = -1;
    if (cmd_len != 16u)
        return answer_status(t, LM_NTAG_EINVAL, resp, resp_cap, resp_len);
    return answer_status(t, lm_ntag_write_page(t, page, cmd), resp, resp_cap, resp_len);
}

enum lm_ntag_answer lm_ntag_process(struct lm_ntag *t, const uint8_t *cmd, size_t cmd_len,
                                    uint8_t *resp, size_t resp_cap, size_t *resp_len)
{
    uint8_t scratch[4];
    enum lm_ntag_status st;

    *resp_len = 0;
    if (!t->powered)
        return LM_NTAG_SILENT;
    if (t->comp_write_page >= 0)
        return do_comp_write_data(t, cmd, cmd_len, resp, resp_cap, resp_len);
    if (cmd_len < 1u)
        return answer_status(t, LM_NTAG_EINVAL, resp, resp_cap, resp_len);

    switch (cmd[0]) {
    case LM_NTAG_CMD_GET_VERSION:
        if (cmd_len != 1u || resp_cap < 8u)
            break;
        resp[0] = 0x00u; /* fixed header */
        resp[1] = 0x04u; /* vendor NXP */
        resp[2] = 0x04u; /* product type NTAG */
        resp[3] = 0x02u; /* product subtype 50 pF */
        resp[4] = 0x01u; /* major version */
        resp[5] = 0x00u; /* minor version */
        resp[6] = lm_ntag_types[t->kind <= LM_NTAG216 ? t->kind : LM_NTAG216].version_size;
        resp[7] = 0x03u; /* ISO/IEC 14443-3 */
        *resp_len = 8;
        return LM_NTAG_BYTES;
    case LM_NTAG_CMD_READ:
        if (cmd_len != 2u || resp_cap < 16u)
            break;
        st = lm_ntag_read(t, cmd[1], resp);
        if (st != LM_NTAG_OK)
            return answer_status(t, st, resp, resp_cap, resp_len);
        return answer_bytes(t, 16u, resp, resp_cap, resp_len);
    case LM_NTAG_CMD_FAST_READ:
        if (cmd_len != 3u)
            break;
        return do_fast_read(t, cmd[1], cmd[2], resp, resp_cap, resp_len);
    case LM_NTAG_CMD_WRITE:
        if (cmd_len != 6u)
            break;
        return answer_status(t, lm_ntag_write_page(t, cmd[1], cmd + 2), resp, resp_cap, resp_len);
    case LM_NTAG_CMD_COMP_WRITE:
        /* First part: check the address now (with dummy data), ACK, wait for the data. */
        if (cmd_len != 2u)
            break;
        memset(scratch, 0, sizeof(scratch));
        if (plan_write(t, cmd[1], scratch, scratch) != LM_NTAG_OK)
            break;
        t->comp_write_page = cmd[1];
        return acknak(LM_NTAG_ACK, resp, resp_cap, resp_len);
    case LM_NTAG_CMD_PWD_AUTH:
        if (cmd_len != 5u)
            break;
        return do_pwd_auth(t, cmd + 1, resp, resp_cap, resp_len);
    case LM_NTAG_CMD_READ_SIG:
        if (cmd_len != 2u || cmd[1] != 0x00u || resp_cap < LM_NTAG_SIG_LEN)
            break;
        read_sig(t, resp);
        *resp_len = LM_NTAG_SIG_LEN;
        return LM_NTAG_BYTES;
    case LM_NTAG_CMD_READ_CNT:
        if (cmd_len != 2u || cmd[1] != 0x02u)
            break;
        return do_read_cnt(t, resp, resp_cap, resp_len);
    case LM_NTAG_CMD_HALT:
        t->authenticated = 0;
        return LM_NTAG_SILENT;
    default:
        break;
    }
    return answer_status(t, LM_NTAG_EINVAL, resp, resp_cap, resp_len);
}
