/*
 * lm_ntag.h: a model of an NXP NTAG213/215/216 (NFC Forum Type 2 tag).
 *
 * Dependency-free C99, no malloc: the caller owns a struct lm_ntag. The model
 * answers the tag commands a reader sends over ISO 14443-3A (without the CRC_A,
 * which the reader chip adds and strips) and enforces the memory map, lock
 * bytes and password protection of the datasheet, simplified where this
 * header says so. Used by lm-pn532sim (tools/pn532sim) and by lm-vcard's
 * PC/SC part-3 mode (lm_ntag_read / lm_ntag_write_page).
 *
 * Memory map (page = 4 bytes), P = number of pages:
 *   0      UID0 UID1 UID2 BCC0      BCC0 = 0x88 ^ UID0 ^ UID1 ^ UID2
 *   1      UID3 UID4 UID5 UID6
 *   2      BCC1 INT  LOCK0 LOCK1    BCC1 = UID3 ^ UID4 ^ UID5 ^ UID6, INT = 0x48
 *   3      CC (one-time programmable: bits can only be set)
 *   4..    user memory (213: 4-39, 215: 4-129, 216: 4-225)
 *   P-5    dynamic lock bytes DL0 DL1 DL2, RFUI (0xBD)
 *   P-4    CFG0: MIRROR, RFUI, MIRROR_PAGE, AUTH0 (first protected page)
 *   P-3    CFG1: ACCESS (PROT 0x80, CFGLCK 0x40, NFC_CNT_EN 0x10,
 *                NFC_CNT_PWD_PROT 0x08, AUTHLIM 0x07), RFUI x3
 *   P-2    PWD (write only, reads as 00)
 *   P-1    PACK0 PACK1 (write only, reads as 00), RFUI x2
 *
 * Simplifications (documented in docs/pn532sim.md):
 *   - A NAK clears the authenticated state but the tag keeps answering; a real
 *     tag also drops back to IDLE and needs a new anticollision.
 *   - The dynamic block-lock bits (DL2) are stored but not enforced; static
 *     block-lock bits are enforced.
 *   - No UID/counter ASCII mirror; the originality signature is a
 *     deterministic pattern derived from the UID, not a valid ECC signature.
 *   - The hidden state a real tag keeps outside its page map (the count of
 *     wrong PWD_AUTHs, the NFC counter) is one 4-byte record that the write
 *     hook sees as page `npages` (one past the last page; lm_ntag_file.c
 *     stores it after the pages). It is written before the answer that
 *     depends on it, so a restart keeps an AUTHLIM lock. The datasheet's
 *     anti-tearing of that counter is not modelled beyond "old or new".
 *
 * Password protection (datasheet 8.8; constants in lm_proto.h): pages from
 * AUTH0 on need PWD_AUTH for WRITE, and with ACCESS.PROT for READ and
 * FAST_READ too (a NAK 0 without it; a READ below AUTH0 wraps at AUTH0).
 * PWD_AUTH 1B PWD[4] answers PACK and opens the protected pages until the
 * next power-on, selection, HALT or NAK. AUTHLIM = n (1..7) allows n wrong
 * passwords; then every PWD_AUTH NAKs with 4, for ever.
 */
#ifndef LM_NTAG_H
#define LM_NTAG_H

#include <stddef.h>
#include <stdint.h>

#include "lm_proto.h" /* sizes, commands, ACK/NAK: shared with the transports */

enum lm_ntag_kind { LM_NTAG213, LM_NTAG215, LM_NTAG216 };

/* Result of one operation on the model. */
enum lm_ntag_status {
    LM_NTAG_OK = 0,
    LM_NTAG_EINVAL = -1,  /* the tag NAKs with 0 (invalid argument / not allowed) */
    LM_NTAG_EAUTHLIM = -2, /* the tag NAKs with 4 (password attempts exhausted) */
    LM_NTAG_EWRITE = -3,  /* the tag NAKs with 5 (the persist hook failed) */
    LM_NTAG_EPOWER = -4   /* power was cut: the tag does not answer at all */
};

/* What the page-write hook decides for one page write. */
enum lm_ntag_hook_result {
    LM_NTAG_HOOK_WRITE = 0,     /* the page lands (the hook has persisted it) */
    LM_NTAG_HOOK_FAIL = 1,      /* the page does not land; the tag NAKs with 5 */
    LM_NTAG_HOOK_POWER_CUT = 2  /* the page does not land; the tag goes silent */
};

/*
 * Called before every page write with the page's new content (4 bytes, after
 * OR-ing of OTP/lock bytes), and with page == npages and the hidden state
 * record (LM_NTAG_STATE_LEN bytes) before that state changes. The write is atomic: the model copies all 4 bytes
 * into memory only when the hook returns LM_NTAG_HOOK_WRITE.
 */
typedef enum lm_ntag_hook_result (*lm_ntag_write_hook)(void *ctx, uint8_t page,
                                                        const uint8_t data[4]);

/* Kind of answer lm_ntag_process produced. */
enum lm_ntag_answer {
    LM_NTAG_SILENT = 0, /* no answer (HALT, or power lost); the reader times out */
    LM_NTAG_BYTES = 1,  /* *resp_len data bytes, CRC_A not included */
    LM_NTAG_ACKNAK = 2  /* a 4-bit ACK/NAK in resp[0], *resp_len = 1 */
};

struct lm_ntag {
    enum lm_ntag_kind kind;           /* 213, 215 or 216 */
    uint8_t npages;                   /* 45, 135 or 231 */
    uint8_t mem[LM_NTAG_MAX_PAGES * LM_NTAG_PAGE_SIZE]; /* pages, npages*4 used */
    uint32_t nfc_cnt;                 /* 24-bit NFC counter */
    uint8_t auth_failures;            /* wrong PWD_AUTHs since the last right one (AUTHLIM != 0) */
    uint8_t authenticated;            /* 1 after a good PWD_AUTH this session */
    uint8_t cnt_done;                 /* counter already incremented this session */
    int16_t comp_write_page;          /* pending COMPATIBILITY_WRITE page, or -1 */
    uint8_t powered;                  /* 0 after a power cut until lm_ntag_power_on */
    lm_ntag_write_hook write_hook;    /* may be NULL: every write lands */
    void *write_ctx;                  /* passed to write_hook */
};

/*
 * Initialise a factory-fresh tag of the given kind with the given UID
 * (7 bytes; uid[0] should be 0x04, NXP). Sets check bytes, CC, an empty NDEF
 * TLV at page 4, default configuration (AUTH0 = 0xFF: no protection) and
 * powers the tag on. No write hook is installed.
 */
void lm_ntag_init(struct lm_ntag *t, enum lm_ntag_kind kind, const uint8_t uid[7]);

/* Pages of a kind (45, 135, 231). */
uint8_t lm_ntag_pages_of(enum lm_ntag_kind kind);

/* Install (or remove, with NULL) the page-write hook. */
void lm_ntag_set_write_hook(struct lm_ntag *t, lm_ntag_write_hook hook, void *ctx);

/*
 * The tag enters the field (power on / new selection): clears the session
 * state (authentication, pending COMPATIBILITY_WRITE, counter flag).
 */
void lm_ntag_power_on(struct lm_ntag *t);

/* Copy the 7-byte UID out of pages 0-1. */
void lm_ntag_uid(const struct lm_ntag *t, uint8_t uid[7]);

/*
 * Process one tag command frame (cmd, cmd_len bytes, without CRC_A) and write
 * the tag's answer to resp (capacity resp_cap; 924 bytes hold any answer).
 * Returns the kind of answer; *resp_len is the number of bytes in resp.
 * An answer that does not fit resp_cap is replaced by NAK 0.
 */
enum lm_ntag_answer lm_ntag_process(struct lm_ntag *t, const uint8_t *cmd, size_t cmd_len,
                                    uint8_t *resp, size_t resp_cap, size_t *resp_len);

/*
 * READ with the rules of the READ command: 16 bytes from page `page`
 * (4 pages, wrapping to page 0 at the end of the readable area).
 */
enum lm_ntag_status lm_ntag_read(struct lm_ntag *t, uint8_t page, uint8_t out[16]);

/* WRITE of one page with the rules of the WRITE command (locks, OTP, AUTH0). */
enum lm_ntag_status lm_ntag_write_page(struct lm_ntag *t, uint8_t page, const uint8_t data[4]);

/*
 * The hidden state record: byte 0 the count of wrong PWD_AUTHs, bytes 1-3
 * the NFC counter, least significant byte first. _get encodes the tag's
 * state, _set loads one (lm_ntag_file_open after lm_ntag_init).
 */
#define LM_NTAG_STATE_LEN 4u
void lm_ntag_state_get(const struct lm_ntag *t, uint8_t rec[LM_NTAG_STATE_LEN]);
void lm_ntag_state_set(struct lm_ntag *t, const uint8_t rec[LM_NTAG_STATE_LEN]);

/* 1 when the count of wrong PWD_AUTHs has reached AUTHLIM (not 0): locked for ever. */
int lm_ntag_auth_locked(const struct lm_ntag *t);

#endif /* LM_NTAG_H */
