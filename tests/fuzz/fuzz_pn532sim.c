/*
 * fuzz_pn532sim.c - libFuzzer target for lm-pn532sim's frame parser and chip
 * (tools/pn532sim) with an NTAG216 (firmware/ntag) or an ISO-DEP card running
 * our applet (firmware/applet, on a RAM NVM) in the field.
 *
 * Input: byte 0 bits 0-6 are the --remove-after-cmds budget (0x7F: never),
 * bit 7 puts the applet card in the field instead of the NTAG216; the rest is
 * the byte stream a host writes to the UART. Every frame the parser accepts
 * is run on the chip. Checks (abort on failure): the parser always makes
 * progress and stays inside the buffer; every response fits its buffer,
 * starts with D5 and code+1, and its frame parses back to the same bytes.
 *
 * Built with -DLM_FUZZ_STANDALONE it has a main(): with file arguments it
 * replays them; without, it runs a recorded nfc-list session and a fixed
 * set of pseudo-random mutations of it (an ordinary test).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lm_applet.h"
#include "lm_ntag.h"
#include "lm_nvm_ram.h"
#include "pn532_chip.h"
#include "pn532_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

#define APPLET_CAP 1024u

static struct pn532_chip g_chip;
static struct lm_ntag g_tag;
static struct pn532_target g_target;
static struct lm_applet g_applet;
static struct lm_nvm_ram g_ram;
static uint8_t g_mem[LM_APPLET_JOURNAL_SIZE + APPLET_CAP];

static void check(int cond)
{
    if (!cond)
        abort();
}

/* Target glue: the same calls main.c makes, without the file. */
static int fz_exchange(void *ctx, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                       size_t *resp_len)
{
    return (int)lm_ntag_process(ctx, cmd, len, resp, cap, resp_len);
}
static void fz_power_on(void *ctx) { lm_ntag_power_on(ctx); }
static void fz_select(void *ctx) { ((struct lm_ntag *)ctx)->authenticated = 0; }
static int fz_alive(void *ctx) { return ((struct lm_ntag *)ctx)->powered; }

/* The applet card's glue, as tools/pn532sim/applet_target.c with a RAM NVM. */
static int ap_exchange(void *ctx, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                       size_t *resp_len)
{
    *resp_len = lm_applet_process(ctx, cmd, len, resp, cap);
    return *resp_len > 0u ? PN532_BYTES : PN532_SILENT;
}
static void ap_power_on(void *ctx) { check(lm_applet_init(ctx, &g_ram.nvm) == 0); }
static void ap_deselect(void *ctx) { lm_applet_deselect(ctx); }
static int ap_alive(void *ctx) { return 1; }

/* The two cards: an NTAG216 (7-byte UID), our applet (SAK 20, 4-byte UID, an ATS). */
static const struct pn532_target ntag_card = {
    .atqa = {0x00, 0x44},
    .uid = {0x04, 1, 2, 3, 4, 5, 6},
    .uid_len = 7,
    .exchange = fz_exchange,
    .power_on = fz_power_on,
    .select = fz_select,
    .deselect = fz_select,
    .alive = fz_alive,
    .ctx = &g_tag,
};
static const struct pn532_target applet_card = {
    .atqa = {0x00, 0x04},
    .sak = 0x20,
    .uid = {0x08, 0x4C, 0x4D, 0x41},
    .uid_len = 4,
    .ats = {0x05, 0x78, 0x80, 0x70, 0x02},
    .ats_len = 5,
    .iso_dep = 1,
    .exchange = ap_exchange,
    .power_on = ap_power_on,
    .select = ap_deselect,
    .deselect = ap_deselect,
    .alive = ap_alive,
    .ctx = &g_applet,
};

/* Run one response through the framer and back; check it round-trips. */
static void check_response(const uint8_t *cmd, const uint8_t *resp, size_t rlen)
{
    uint8_t frame[PN532_MAX_FRAME];
    size_t flen, used, off, dlen;

    check(rlen >= 2u && rlen <= PN532_MAX_DATA);
    check(resp[0] == PN532_TFI_CHIP && resp[1] == (uint8_t)(cmd[1] + 1u));
    flen = pn532_frame_build(frame, sizeof(frame), resp, rlen);
    check(flen > 0u);
    check(pn532_frame_parse(frame, flen, &used, &off, &dlen) == PN532_IN_FRAME);
    check(dlen == rlen && memcmp(frame + off, resp, rlen) == 0 && used <= flen);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    uint8_t resp[PN532_MAX_DATA];
    size_t pos = 1;

    if (n < 1u)
        return 0;
    if (d[0] & 0x80u) {
        memset(g_mem, 0, sizeof(g_mem));
        lm_nvm_ram_init(&g_ram, g_mem, sizeof(g_mem));
        g_target = applet_card;
    } else {
        lm_ntag_init(&g_tag, LM_NTAG216, ntag_card.uid);
        g_target = ntag_card;
    }
    pn532_chip_init(&g_chip, &g_target, (d[0] & 0x7Fu) == 0x7Fu ? -1 : (long)(d[0] & 0x7Fu));

    while (pos < n) {
        size_t used = 0, off = 0, dlen = 0;
        enum pn532_in kind = pn532_frame_parse(d + pos, n - pos, &used, &off, &dlen);

        check(used <= n - pos);
        if (kind == PN532_IN_FRAME) {
            size_t rlen;
            check(off + dlen <= n - pos && dlen >= 1u);
            rlen = pn532_chip_command(&g_chip, d + pos + off, dlen, resp, sizeof(resp));
            if (rlen > 0u)
                check_response(d + pos + off, resp, rlen);
        }
        if (kind == PN532_IN_MORE && used == 0u)
            break; /* a partial frame at the end of the input */
        check(used > 0u);
        pos += used;
    }
    return 0;
}

#ifdef LM_FUZZ_STANDALONE
/* Build a host frame around TFI D4 + body into out; returns its length. */
static size_t host_frame(uint8_t *out, size_t cap, const uint8_t *body, size_t len)
{
    uint8_t data[PN532_MAX_DATA];

    data[0] = PN532_TFI_HOST;
    memcpy(data + 1, body, len);
    return pn532_frame_build(out, cap, data, len + 1u);
}

/* A recorded libnfc session (nfc-list, then nfc-mfultralight's commands). */
static size_t seed_session(uint8_t *buf, size_t cap)
{
    static const uint8_t cmds[][12] = {
        {3, 0x14, 0x01},
        {8, 0x00, 0x00, 'l', 'i', 'b', 'n', 'f', 'c'},
        {1, 0x02},
        {2, 0x12, 0x14},
        {5, 0x06, 0x63, 0x02, 0x63, 0x03},
        {7, 0x08, 0x63, 0x02, 0x80, 0x63, 0x03, 0x80},
        {3, 0x32, 0x01, 0x01},
        {3, 0x4A, 0x01, 0x00},
        {7, 0x08, 0x63, 0x02, 0x00, 0x63, 0x03, 0x00},
        {4, 0x42, 0x60, 0xF8, 0x32},
        {7, 0x08, 0x63, 0x02, 0x80, 0x63, 0x03, 0x80},
        {4, 0x40, 0x01, 0x30, 0x00},
        {8, 0x40, 0x01, 0xA2, 0x04, 1, 2, 3, 4},
        {6, 0x40, 0x01, 0x3A, 0x00, 0xE6},
        {1, 0x42},
        {2, 0x44, 0x00},
        {2, 0x52, 0x00},
    };
    size_t i, len = 0;

    buf[len++] = 0x7F; /* the NTAG216, never removed */
    memcpy(buf + len, "\x55\x55\x00\x00\x00", 5);
    len += 5;
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        len += host_frame(buf + len, cap - len, cmds[i] + 1, cmds[i][0]);
    return len;
}

int main(int argc, char **argv)
{
    static uint8_t buf[1 << 16];
    uint8_t mut[4096];
    size_t len;
    uint32_t x = 12345u;
    int i, k;

    if (argc > 1) {
        for (i = 1; i < argc; i++) {
            FILE *f = fopen(argv[i], "rb");
            if (f == NULL) {
                perror(argv[i]);
                return 1;
            }
            len = fread(buf, 1, sizeof(buf), f);
            fclose(f);
            LLVMFuzzerTestOneInput(buf, len);
        }
        return 0;
    }
    len = seed_session(buf, sizeof(buf));
    LLVMFuzzerTestOneInput(buf, len);
    for (i = 0; i < 20000; i++) {
        memcpy(mut, buf, len);
        for (k = 0; k < 1 + i % 8; k++) {
            x = x * 1103515245u + 12345u;
            mut[(x >> 8) % len] = (uint8_t)(x >> 20);
        }
        LLVMFuzzerTestOneInput(mut, len - (i % 3 == 0 ? (x >> 4) % 16 : 0));
    }
    printf("ok\n");
    return 0;
}
#endif
