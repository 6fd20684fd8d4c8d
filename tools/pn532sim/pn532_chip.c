/*
 * pn532_chip.c: PN532 command processor (see pn532_chip.h).
 */
#include "pn532_chip.h"

#include "pn532_frame.h"

#include <string.h>

/* Command codes (UM0701-02 table 11). */
#define CMD_DIAGNOSE 0x00u
#define CMD_GET_FIRMWARE_VERSION 0x02u
#define CMD_GET_GENERAL_STATUS 0x04u
#define CMD_READ_REGISTER 0x06u
#define CMD_WRITE_REGISTER 0x08u
#define CMD_SET_PARAMETERS 0x12u
#define CMD_SAM_CONFIGURATION 0x14u
#define CMD_POWER_DOWN 0x16u
#define CMD_RF_CONFIGURATION 0x32u
#define CMD_IN_DATA_EXCHANGE 0x40u
#define CMD_IN_COMMUNICATE_THRU 0x42u
#define CMD_IN_DESELECT 0x44u
#define CMD_IN_LIST_PASSIVE_TARGET 0x4Au
#define CMD_IN_RELEASE 0x52u
#define CMD_IN_SELECT 0x54u

/* Status bytes (UM0701-02 table 15). */
#define ST_OK 0x00u
#define ST_TIMEOUT 0x01u
#define ST_CRC 0x02u
#define ST_BUFFER_OVERFLOW 0x09u
#define ST_MIFARE_NAK 0x14u
#define ST_NOT_ACCEPTABLE 0x27u

/* CIU registers libnfc reads and writes. */
#define REG_CIU_TX_MODE 0x6302u   /* bit 7: TxCRCEn */
#define REG_CIU_RX_MODE 0x6303u   /* bit 7: RxCRCEn */
#define REG_CIU_CONTROL 0x633Cu   /* bits 0-2: RxLastBits */
#define REG_CIU_BIT_FRAMING 0x633Du /* bits 0-2: TxLastBits */
#define CRC_EN 0x80u
#define FRAMING_MASK 0x03u       /* TxMode bits 0-1: 00 = ISO 14443A / MIFARE */

/* Timing model: ISO 14443A at 106 kbit/s, one bit = 128 / 13.56 MHz. */
#define FC_HZ 13560000u
#define FDT_BITS 9u           /* frame delay time ~ 1172/fc = 86.4 us, about 9 bit periods */
#define EEPROM_WRITE_NS 4100000u /* NTAG21x page programming time, 4.1 ms */

/* Air time of `bits` bit periods, in nanoseconds. */
static uint64_t air_ns(uint64_t bits)
{
    return bits * 128u * 1000000000u / FC_HZ;
}

/* Bit periods of a standard frame of n bytes: start bit, 9 bits per byte (parity), end. */
static uint64_t frame_bits(size_t n)
{
    return 9u * (uint64_t)n + 2u;
}

void pn532_chip_init(struct pn532_chip *c, struct pn532_target *target, long remove_after)
{
    memset(c, 0, sizeof(*c));
    c->regs[REG_CIU_TX_MODE] = CRC_EN;
    c->regs[REG_CIU_RX_MODE] = CRC_EN;
    c->target = target;
    c->present = (target != NULL);
    c->remove_after = remove_after;
    if (target != NULL)
        target->power_on(target->ctx);
}

/*
 * The target leaves the field. The chip still holds Tg 1, so exchanges with
 * it now time out, as on the real chip.
 */
void pn532_chip_remove_target(struct pn532_chip *c)
{
    c->present = 0;
    c->tag_active = 0;
}

void pn532_chip_insert_target(struct pn532_chip *c)
{
    if (c->target == NULL)
        return;
    c->target->power_on(c->target->ctx);
    c->present = 1;
    c->tag_active = 0;
}

/* Whether the target can answer now: in the field, selected, powered. */
static int target_reachable(struct pn532_chip *c)
{
    if (c->target == NULL || !c->present || !c->tag_active)
        return 0;
    if (!c->target->alive(c->target->ctx)) {
        pn532_chip_remove_target(c); /* a torn tag has lost power: it is gone */
        return 0;
    }
    return 1;
}

/*
 * Count one target command for --remove-after-cmds. Returns 0 when the target
 * has just left (or had left) the field.
 */
static int count_target_command(struct pn532_chip *c)
{
    if (c->remove_after >= 0 && c->target_cmds >= (unsigned long)c->remove_after)
        pn532_chip_remove_target(c);
    c->target_cmds++;
    return target_reachable(c);
}

/*
 * Send one frame to the target and get its answer; adds the air time of
 * both frames (plus an EEPROM write time for writes) to c->radio_ns.
 * ISO-DEP chaining (frames above the FSC) is not modelled in the timing.
 */
static int target_exchange(struct pn532_chip *c, const uint8_t *cmd, size_t len, uint8_t *ans,
                           size_t ans_cap, size_t *ans_len)
{
    struct pn532_target *t = c->target;
    size_t overhead = t->iso_dep ? 3u : 2u; /* CRC_A, and the PCB of an ISO-DEP I-block */
    int kind = t->exchange(t->ctx, cmd, len, ans, ans_cap, ans_len);

    c->radio_ns += air_ns(frame_bits(len + overhead) + FDT_BITS);
    if (kind == PN532_BYTES)
        c->radio_ns += air_ns(frame_bits(*ans_len + overhead));
    else if (kind == PN532_ACKNAK)
        c->radio_ns += air_ns(6u); /* start bit, 4 bits, end */
    if (t->is_write != NULL && t->is_write(cmd, len))
        c->radio_ns += EEPROM_WRITE_NS;
    if (!t->alive(t->ctx))
        pn532_chip_remove_target(c);
    return kind;
}

/*
 * InListPassiveTarget: MaxTg BrTy [InitiatorData]. Only 106 kbit/s type A
 * (BrTy 00) finds our target; every other modulation answers NbTg = 0.
 * InitiatorData for type A is a UID to select: another UID finds nothing.
 */
static size_t in_list_passive_target(struct pn532_chip *c, const uint8_t *p, size_t n, uint8_t *r)
{
    struct pn532_target *t = c->target;
    size_t k = 0;

    if (n < 2u || p[0] == 0u || p[0] > 2u)
        return 0;
    r[k++] = 0; /* NbTg, filled in below */
    c->tg_listed = 0;
    c->tag_active = 0;
    if (p[1] != 0x00u || t == NULL || !c->present || !t->alive(t->ctx))
        return k;
    if (n > 2u && (n - 2u != t->uid_len || memcmp(p + 2, t->uid, t->uid_len) != 0))
        return k;
    c->field_on = 1;
    t->select(t->ctx);
    c->tg_listed = 1;
    c->tag_active = 1;
    c->radio_ns += air_ns(9u + FDT_BITS + frame_bits(2u)); /* REQA, ATQA; anticollision not modelled */
    r[0] = 1;
    r[k++] = 1; /* Tg */
    r[k++] = t->atqa[0];
    r[k++] = t->atqa[1];
    r[k++] = t->sak;
    r[k++] = t->uid_len;
    memcpy(r + k, t->uid, t->uid_len);
    k += t->uid_len;
    if (t->ats_len > 0u) {
        memcpy(r + k, t->ats, t->ats_len);
        k += t->ats_len;
    }
    return k;
}

/*
 * Write the target's answer after the status byte: ACK -> status 00 and no
 * data, NAK -> status 14 (as for a MIFARE NAK), silence -> timeout 01,
 * bytes -> status 00 and the bytes (too long -> 09).
 */
static size_t put_answer(int kind, const uint8_t *ans, size_t ans_len, uint8_t *r)
{
    if (kind == PN532_SILENT) {
        r[0] = ST_TIMEOUT;
        return 1;
    }
    if (kind == PN532_ACKNAK) {
        r[0] = (ans[0] == 0x0Au) ? ST_OK : ST_MIFARE_NAK;
        return 1;
    }
    if (ans_len > PN532_MAX_TARGET_ANSWER) {
        r[0] = ST_BUFFER_OVERFLOW;
        return 1;
    }
    r[0] = ST_OK;
    memcpy(r + 1, ans, ans_len);
    return 1u + ans_len;
}

/*
 * InDataExchange: Tg data. The chip frames the data itself (CRC_A, ISO-DEP
 * blocks), whatever TxCRCEn/RxCRCEn say. A MIFARE-style COMPATIBILITY_WRITE
 * (A0 page + 16 bytes in one command) is run as the two frames the tag expects.
 */
static size_t in_data_exchange(struct pn532_chip *c, const uint8_t *p, size_t n, uint8_t *r)
{
    uint8_t ans[1024];
    size_t ans_len = 0;
    int kind;

    if (n < 1u)
        return 0;
    if ((p[0] & 0x0Fu) != 1u || !c->tg_listed) {
        r[0] = ST_NOT_ACCEPTABLE;
        return 1;
    }
    if (!count_target_command(c)) {
        r[0] = ST_TIMEOUT;
        return 1;
    }
    if (!c->target->iso_dep && n == 19u && p[1] == 0xA0u) {
        kind = target_exchange(c, p + 1, 2u, ans, sizeof(ans), &ans_len);
        if (kind != PN532_ACKNAK || ans[0] != 0x0Au)
            return put_answer(kind, ans, ans_len, r);
        kind = target_exchange(c, p + 3, 16u, ans, sizeof(ans), &ans_len);
        return put_answer(kind, ans, ans_len, r);
    }
    kind = target_exchange(c, p + 1, n - 1u, ans, sizeof(ans), &ans_len);
    return put_answer(kind, ans, ans_len, r);
}

/*
 * InCommunicateThru: raw frame to the target. With TxCRCEn off the host has
 * appended CRC_A: check and strip it (a bad CRC makes the tag NAK with 1).
 * With RxCRCEn off the tag's CRC_A is passed to the host. A short frame
 * (TxLastBits = 7) REQA/WUPA gets the ATQA. Frames in another framing
 * (TxMode bits 0-1, e.g. libnfc's ISO 14443B probes) reach no type A tag.
 * Not offered to ISO-DEP targets.
 */
static size_t in_communicate_thru(struct pn532_chip *c, const uint8_t *p, size_t n, uint8_t *r)
{
    uint8_t ans[1024];
    uint8_t crc[2];
    size_t ans_len = 0;
    int kind;

    c->regs[REG_CIU_CONTROL] &= 0xF8u;
    if (n == 0u || c->target == NULL || !c->present || c->target->iso_dep ||
        (c->regs[REG_CIU_TX_MODE] & FRAMING_MASK) != 0u) {
        r[0] = ST_TIMEOUT;
        return 1;
    }
    if ((c->regs[REG_CIU_BIT_FRAMING] & 0x07u) == 7u) {
        if (n != 1u || (p[0] != 0x26u && p[0] != 0x52u) || !c->target->alive(c->target->ctx)) {
            r[0] = ST_TIMEOUT;
            return 1;
        }
        c->target->select(c->target->ctx);
        c->tag_active = 1;
        r[0] = ST_OK;
        r[1] = c->target->atqa[1]; /* ATQA on air: LSB first */
        r[2] = c->target->atqa[0];
        return 3;
    }
    if (!count_target_command(c)) {
        r[0] = ST_TIMEOUT;
        return 1;
    }
    if (!(c->regs[REG_CIU_TX_MODE] & CRC_EN)) {
        if (n < 3u) {
            r[0] = ST_TIMEOUT;
            return 1;
        }
        pn532_crc_a(p, n - 2u, crc);
        if (crc[0] != p[n - 2u] || crc[1] != p[n - 1u]) {
            ans[0] = 0x01u; /* NAK: CRC error */
            return put_answer(PN532_ACKNAK, ans, 1u, r);
        }
        n -= 2u;
    }
    kind = target_exchange(c, p, n, ans, sizeof(ans) - 2u, &ans_len);
    if (kind == PN532_ACKNAK) {
        /* A 4-bit answer reaches the host as one byte with RxLastBits = 4. */
        c->regs[REG_CIU_CONTROL] |= 4u;
        r[0] = ST_OK;
        r[1] = ans[0];
        return 2;
    }
    if (kind == PN532_BYTES && !(c->regs[REG_CIU_RX_MODE] & CRC_EN)) {
        pn532_crc_a(ans, ans_len, ans + ans_len);
        ans_len += 2u;
    }
    return put_answer(kind, ans, ans_len, r);
}

/* ReadRegister: pairs of big-endian addresses -> one value byte each. */
static size_t read_register(struct pn532_chip *c, const uint8_t *p, size_t n, uint8_t *r)
{
    size_t i;

    if (n == 0u || n % 2u != 0u)
        return 0;
    for (i = 0; i < n / 2u; i++)
        r[i] = c->regs[((unsigned)p[2u * i] << 8) | p[2u * i + 1u]];
    return n / 2u;
}

/* WriteRegister: triples address (big-endian) + value. No answer data. */
static int write_register(struct pn532_chip *c, const uint8_t *p, size_t n)
{
    size_t i;

    if (n == 0u || n % 3u != 0u)
        return -1;
    for (i = 0; i < n; i += 3u)
        c->regs[((unsigned)p[i] << 8) | p[i + 1u]] = p[i + 2u];
    return 0;
}

/*
 * InDeselect / InRelease: Tg (0 = all). The target is told (an ISO-DEP card
 * gets DESELECT) and is no longer the active Tg 1.
 */
static size_t release_target(struct pn532_chip *c, const uint8_t *p, size_t n, uint8_t *r)
{
    if (n != 1u)
        return 0;
    if (c->tg_listed && (p[0] == 0u || p[0] == 1u)) {
        if (c->tag_active)
            c->target->deselect(c->target->ctx);
        c->tg_listed = 0;
        c->tag_active = 0;
    }
    r[0] = ST_OK;
    return 1;
}

/* GetGeneralStatus: Err, Field, NbTg, [Tg BrRx BrTx Type], SAM status. */
static size_t general_status(struct pn532_chip *c, uint8_t *r)
{
    size_t k = 0;

    r[k++] = 0x00u;
    r[k++] = c->field_on;
    r[k++] = c->tg_listed ? 1u : 0u;
    if (c->tg_listed) {
        r[k++] = 1u;
        r[k++] = 0x00u; /* 106 kbit/s */
        r[k++] = 0x00u;
        r[k++] = c->target->iso_dep ? 0x10u : 0x00u; /* ISO 14443-4 or MIFARE */
    }
    r[k++] = 0x00u;
    return k;
}

/*
 * The body of every command: p/n are the parameters after the command code,
 * r the space after D5 code+1. Returns the answer length, or -1 for a syntax
 * error (application error frame).
 */
static long run_command(struct pn532_chip *c, uint8_t code, const uint8_t *p, size_t n, uint8_t *r)
{
    size_t k;

    switch (code) {
    case CMD_DIAGNOSE:
        if (n < 1u || n > PN532_MAX_TARGET_ANSWER)
            return -1;
        if (p[0] == 0x00u) { /* communication line test: echo everything */
            memcpy(r, p, n);
            return (long)n;
        }
        r[0] = 0x00u; /* other tests: pass */
        return 1;
    case CMD_GET_FIRMWARE_VERSION:
        r[0] = 0x32u; /* IC: PN532 */
        r[1] = 0x01u; /* version 1.6 */
        r[2] = 0x06u;
        r[3] = 0x07u; /* ISO 14443A, 14443B, ISO 18092 */
        return 4;
    case CMD_GET_GENERAL_STATUS:
        return (long)general_status(c, r);
    case CMD_READ_REGISTER:
        k = read_register(c, p, n, r);
        return k == 0u ? -1 : (long)k;
    case CMD_WRITE_REGISTER:
        return write_register(c, p, n) == 0 ? 0 : -1;
    case CMD_SET_PARAMETERS:
        if (n != 1u)
            return -1;
        c->parameters = p[0];
        return 0;
    case CMD_SAM_CONFIGURATION:
        return (n >= 1u && n <= 3u) ? 0 : -1;
    case CMD_POWER_DOWN:
        if (n < 1u || n > 2u)
            return -1;
        r[0] = ST_OK;
        return 1;
    case CMD_RF_CONFIGURATION:
        if (n < 1u)
            return -1;
        if (p[0] == 0x01u && n >= 2u) {
            int on = (p[1] & 0x01u) != 0;
            if (on && !c->field_on && c->present && c->target != NULL)
                c->target->power_on(c->target->ctx);
            c->field_on = (uint8_t)on;
            if (!on)
                c->tg_listed = c->tag_active = 0;
        }
        return 0;
    case CMD_IN_LIST_PASSIVE_TARGET:
        k = in_list_passive_target(c, p, n, r);
        return k == 0u ? -1 : (long)k;
    case CMD_IN_DATA_EXCHANGE:
        k = in_data_exchange(c, p, n, r);
        return k == 0u ? -1 : (long)k;
    case CMD_IN_COMMUNICATE_THRU:
        return (long)in_communicate_thru(c, p, n, r);
    case CMD_IN_DESELECT:
    case CMD_IN_RELEASE:
        k = release_target(c, p, n, r);
        return k == 0u ? -1 : (long)k;
    case CMD_IN_SELECT:
        if (n != 1u)
            return -1;
        if (p[0] != 1u || !c->tg_listed || !c->present || !c->target->alive(c->target->ctx)) {
            r[0] = ST_TIMEOUT;
            return 1;
        }
        c->target->select(c->target->ctx);
        c->tag_active = 1;
        r[0] = ST_OK;
        return 1;
    default:
        return -1;
    }
}

size_t pn532_chip_command(struct pn532_chip *c, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                          size_t resp_cap)
{
    long k;

    c->radio_ns = 0;
    if (cmd_len < 2u || cmd[0] != PN532_TFI_HOST || resp_cap < PN532_MAX_TARGET_ANSWER + 3u)
        return 0;
    k = run_command(c, cmd[1], cmd + 2, cmd_len - 2u, resp + 2);
    if (k < 0)
        return 0;
    resp[0] = PN532_TFI_CHIP;
    resp[1] = (uint8_t)(cmd[1] + 1u);
    return 2u + (size_t)k;
}
