/*
 * pn532_chip.h: the simulated PN532's command processor and its one target.
 *
 * The chip answers host commands (TFI D4 + command code + parameters) with
 * the response data (TFI D5 + code+1 + data) of NXP's PN532 user manual
 * UM0701-02, for the commands Debian's libnfc 1.8 pn532_uart driver sends.
 * Framing, the pty and fault injection live in main.c. No I/O here.
 */
#ifndef PN532_CHIP_H
#define PN532_CHIP_H

#include <stddef.h>
#include <stdint.h>

/* Kind of answer a target gives to one frame (same values as enum lm_ntag_answer). */
enum pn532_answer { PN532_SILENT = 0, PN532_BYTES = 1, PN532_ACKNAK = 2 };

/* Longest answer InDataExchange / InCommunicateThru pass back to the host. */
#define PN532_MAX_TARGET_ANSWER 262u

/*
 * One target in the field: its anticollision data and how to talk to it.
 * The PN532 layer owns the status byte, CRC_A and ISO-DEP block framing; the
 * target sees bare commands (NTAG) or bare APDUs (ISO-DEP card).
 */
struct pn532_target {
    uint8_t atqa[2];   /* SENS_RES as sent in InListPassiveTarget (00 44: NTAG) */
    uint8_t sak;       /* SEL_RES (00: NTAG, 20: ISO 14443-4) */
    uint8_t uid[10];   /* NFCID1 */
    uint8_t uid_len;   /* 4, 7 or 10 */
    uint8_t ats[16];   /* ATS including its length byte TL; ats_len 0 = none */
    uint8_t ats_len;
    uint8_t iso_dep;   /* 1: payloads are APDUs (InDataExchange only) */
    /* One exchange; resp has resp_cap bytes; returns an enum pn532_answer. */
    int (*exchange)(void *ctx, const uint8_t *cmd, size_t len, uint8_t *resp, size_t resp_cap,
                    size_t *resp_len);
    void (*power_on)(void *ctx); /* the target enters the field / field switched on */
    void (*select)(void *ctx);   /* anticollision selected it: new session */
    void (*deselect)(void *ctx); /* InDeselect / InRelease */
    int (*alive)(void *ctx);     /* 0 once power was cut (tear): it leaves the field */
    int (*is_write)(const uint8_t *cmd, size_t len); /* for the timing model; may be NULL */
    void *ctx;
};

struct pn532_chip {
    uint8_t regs[65536];          /* register file: ReadRegister answers what WriteRegister wrote */
    uint8_t parameters;           /* last SetParameters flags */
    uint8_t field_on;             /* RF field (RFConfiguration item 1) */
    struct pn532_target *target;  /* NULL: empty field (--tag none) */
    uint8_t present;              /* target in the field (SIGUSR1/SIGUSR2, tear, remove) */
    uint8_t tg_listed;            /* the chip holds an activated Tg 1 (InListPassiveTarget) */
    uint8_t tag_active;           /* the target is in its ACTIVE state (selected, powered) */
    long remove_after;            /* target leaves after this many target commands, -1 never */
    unsigned long target_cmds;    /* InDataExchange + InCommunicateThru that reached it */
    uint64_t radio_ns;            /* timing model: air time of the last command */
};

/* Set up a chip with the PN532's register defaults and an optional target. */
void pn532_chip_init(struct pn532_chip *c, struct pn532_target *target, long remove_after);

/* Take the target out of the field, or put it back (powering it on). */
void pn532_chip_remove_target(struct pn532_chip *c);
void pn532_chip_insert_target(struct pn532_chip *c);

/*
 * Run one host command. cmd = TFI + command code + parameters (cmd_len >= 1).
 * Writes TFI D5, code+1 and the answer into resp (capacity resp_cap, at least
 * PN532_MAX_TARGET_ANSWER + 3). Returns the response length, or 0 when the chip
 * answers with the application error frame (wrong TFI, unknown command,
 * malformed parameters). Sets c->radio_ns.
 */
size_t pn532_chip_command(struct pn532_chip *c, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                          size_t resp_cap);

#endif /* PN532_CHIP_H */
