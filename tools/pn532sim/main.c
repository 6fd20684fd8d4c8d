/*
 * lm-pn532sim: a PN532 on a pseudo-terminal, with one simulated target in its
 * field, for libnfc's pn532_uart driver. See docs/pn532sim.md.
 *
 * Prints the pty slave path as the first line on stdout, then serves until
 * SIGTERM/SIGINT. SIGUSR1 takes the target out of the field, SIGUSR2 puts it
 * back. Client programs may open and close the pty any number of times.
 */
#include "applet_target.h"
#include "lm_ntag.h"
#include "lm_ntag_file.h"
#include "pn532_chip.h"
#include "pn532_frame.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define INPUT_CAP 4096u
#define INTERBYTE_TIMEOUT_MS 200 /* drop a partial frame after this much silence */
#define HANGUP_POLL_MS 20        /* re-poll interval while no client has the pty open */

/* Fault injection and options, as parsed from the command line. */
struct options {
    const char *tag;           /* ntag213 | ntag215 | ntag216 | applet | none */
    const char *memory;        /* memory file */
    uint8_t uid[LM_NTAG_UID_LEN];
    int have_uid;
    long remove_after_cmds;    /* -1: never */
    long tear_after_writes;    /* -1: never */
    long corrupt_dcs_at;       /* response number (1-based) to send with a bad DCS, -1 never */
    long corrupt_lcs_at;       /* ... with a bad LCS */
    long bad_frame_at;         /* ... garbled (bad start code) */
    int timing;                /* delay target exchanges by their air time */
    long baud;                 /* with timing: the UART's rate (8N1), 0 = not modelled */
    int verbose;               /* log frames to stderr */
    const char *log;           /* also log frames to this file (appended), or NULL */
    const char *protect;       /* PWD:PACK:AUTH0:ACCESS to set up at start, or NULL */
};

/* Everything the serve loop works on. */
struct sim {
    struct options opt;
    int master;                /* pty master */
    struct pn532_chip chip;
    struct pn532_target target;
    struct lm_ntag ntag;
    struct lm_ntag_file file;
    struct applet_target applet;
    uint8_t in[INPUT_CAP];     /* bytes from the host not yet parsed */
    size_t in_len;
    FILE *log;                 /* --log file, line-buffered, or NULL */
    uint8_t last[PN532_MAX_FRAME]; /* last response frame, resent on NACK */
    size_t last_len;
    unsigned long responses;   /* response frames sent (fault injection counts these) */
};

static volatile sig_atomic_t g_stop;
static volatile sig_atomic_t g_remove;
static volatile sig_atomic_t g_insert;

/* Signal handler: only sets flags; the loop acts on them. */
static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        g_remove = 1;
    else if (sig == SIGUSR2)
        g_insert = 1;
    else
        g_stop = 1;
}

/* ---- the NTAG as a pn532_target ---------------------------------------- */

/* Target exchange for an NTAG: the model answers bare commands. */
static int ntag_exchange(void *ctx, const uint8_t *cmd, size_t len, uint8_t *resp, size_t resp_cap,
                         size_t *resp_len)
{
    return (int)lm_ntag_process(ctx, cmd, len, resp, resp_cap, resp_len);
}

/* Field on: a new power-up session. */
static void ntag_power_on(void *ctx)
{
    lm_ntag_power_on(ctx);
}

/* Selection and deselection end the authenticated session; the tag stays powered. */
static void ntag_select(void *ctx)
{
    struct lm_ntag *t = ctx;

    t->authenticated = 0;
    t->comp_write_page = -1;
}

static int ntag_alive(void *ctx)
{
    const struct lm_ntag *t = ctx;

    return t->powered;
}

/* WRITE, and the data part of COMPATIBILITY_WRITE (16 bytes), program the EEPROM. */
static int ntag_is_write(const uint8_t *cmd, size_t len)
{
    return (len == 6u && cmd[0] == LM_NTAG_CMD_WRITE) || len == 16u;
}

/* ---- options --------------------------------------------------------------- */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lm-pn532sim --tag ntag213|ntag215|ntag216|applet|none --memory FILE\n"
            "                   [--uid HEX14] [--remove-after-cmds N] [--tear-after-writes N]\n"
            "                   [--corrupt-checksum-after N] [--corrupt-lcs-after N]\n"
            "                   [--bad-frame-after N] [--timing [--baud N]] [--verbose] [--log FILE]\n"
            "                   [--protect PWD:PACK:AUTH0:ACCESS]\n"
            "Prints the pty slave path on the first line of stdout, then serves until\n"
            "SIGTERM/SIGINT. SIGUSR1 removes the target, SIGUSR2 puts it back.\n");
}

/* Parse a non-negative decimal count; returns -1 on error. */
static long parse_count(const char *s)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0)
        return -1;
    return v;
}

/* Parse exactly n hex bytes (2n hex digits, nothing else). Returns 0 or -1. */
static int parse_hex(const char *s, uint8_t *out, size_t n)
{
    size_t i;

    if (strlen(s) != 2u * n)
        return -1;
    for (i = 0; i < n; i++) {
        char pair[3] = {s[2 * i], s[2 * i + 1], '\0'};
        char *end;
        unsigned long v = strtoul(pair, &end, 16);
        if (*end != '\0' || end != pair + 2)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

/*
 * Parse argv into o. Counts given as N mean "after N": the fault hits the
 * (N+1)-th command/write/response. Returns 0, or -1 after printing why.
 */
static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"tag", required_argument, NULL, 't'},
        {"memory", required_argument, NULL, 'm'},
        {"uid", required_argument, NULL, 'u'},
        {"remove-after-cmds", required_argument, NULL, 'r'},
        {"tear-after-writes", required_argument, NULL, 'w'},
        {"corrupt-checksum-after", required_argument, NULL, 'c'},
        {"corrupt-lcs-after", required_argument, NULL, 'l'},
        {"bad-frame-after", required_argument, NULL, 'b'},
        {"timing", no_argument, NULL, 'T'},
        {"baud", required_argument, NULL, 'B'},
        {"verbose", no_argument, NULL, 'v'},
        {"log", required_argument, NULL, 'L'},
        {"protect", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    long *count;

    memset(o, 0, sizeof(*o));
    o->remove_after_cmds = o->tear_after_writes = -1;
    o->corrupt_dcs_at = o->corrupt_lcs_at = o->bad_frame_at = -1;
    o->baud = 115200;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        count = NULL;
        switch (ch) {
        case 't': o->tag = optarg; break;
        case 'm': o->memory = optarg; break;
        case 'u':
            if (parse_hex(optarg, o->uid, LM_NTAG_UID_LEN) != 0) {
                fprintf(stderr, "lm-pn532sim: --uid wants 14 hex digits\n");
                return -1;
            }
            o->have_uid = 1;
            break;
        case 'r': count = &o->remove_after_cmds; break;
        case 'w': count = &o->tear_after_writes; break;
        case 'c': count = &o->corrupt_dcs_at; break;
        case 'l': count = &o->corrupt_lcs_at; break;
        case 'b': count = &o->bad_frame_at; break;
        case 'T': o->timing = 1; break;
        case 'B': count = &o->baud; break;
        case 'v': o->verbose = 1; break;
        case 'L': o->log = optarg; break;
        case 'P': o->protect = optarg; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
        if (count != NULL && (*count = parse_count(optarg)) < 0) {
            fprintf(stderr, "lm-pn532sim: a count must be a non-negative integer\n");
            return -1;
        }
    }
    if (optind != argc || o->tag == NULL) {
        usage(stderr);
        return -1;
    }
    return 0;
}

/* ---- target setup ------------------------------------------------------------ */

/* Map a --tag name to an NTAG kind; returns -1 for names that are no NTAG. */
static int ntag_kind_of(const char *name, enum lm_ntag_kind *kind)
{
    if (strcmp(name, "ntag213") == 0)
        *kind = LM_NTAG213;
    else if (strcmp(name, "ntag215") == 0)
        *kind = LM_NTAG215;
    else if (strcmp(name, "ntag216") == 0)
        *kind = LM_NTAG216;
    else
        return -1;
    return 0;
}

/*
 * --protect PWD:PACK:AUTH0:ACCESS (8, 4, 2 and 2 hex digits): set up the
 * tag's password protection as a desk would, with four WRITEs in the
 * datasheet's order, PWD, PACK, ACCESS (CFG1), AUTH0 (CFG0) last, through
 * the model and its memory file (not counted by --tear-after-writes). A tag
 * that is protected already (AUTH0 inside the tag) is left as it is, so a
 * restart keeps its password and its count of wrong ones. Returns 0 or -1.
 */
static int protect_ntag(struct sim *s)
{
    const struct lm_ntag_type *ty = &lm_ntag_types[s->ntag.kind];
    char pwd_hex[9], pack_hex[5], auth0_hex[3], access_hex[3];
    uint8_t pwd[LM_NTAG_PWD_LEN], pack[LM_NTAG_PACK_LEN], auth0, access;
    uint8_t pages[4][LM_NTAG_PAGE_SIZE];
    const uint8_t *cfg0 = &s->ntag.mem[(size_t)ty->cfg0_page * LM_NTAG_PAGE_SIZE];
    long tear = s->file.tear_after;
    unsigned i;

    if (sscanf(s->opt.protect, "%8[0-9A-Fa-f]:%4[0-9A-Fa-f]:%2[0-9A-Fa-f]:%2[0-9A-Fa-f]", pwd_hex,
               pack_hex, auth0_hex, access_hex) != 4 ||
        parse_hex(pwd_hex, pwd, sizeof(pwd)) != 0 || parse_hex(pack_hex, pack, sizeof(pack)) != 0 ||
        parse_hex(auth0_hex, &auth0, 1) != 0 || parse_hex(access_hex, &access, 1) != 0) {
        fprintf(stderr, "lm-pn532sim: --protect wants PWD:PACK:AUTH0:ACCESS in hex, "
                        "e.g. 12345678:ABCD:06:83\n");
        return -1;
    }
    if (cfg0[LM_NTAG_AUTH0_BYTE] < s->ntag.npages) {
        fprintf(stderr, "lm-pn532sim: the tag is protected already (AUTH0 %02X): --protect ignored\n",
                cfg0[LM_NTAG_AUTH0_BYTE]);
        return 0;
    }
    memcpy(pages[0], pwd, sizeof(pwd));
    memset(pages[1], 0, LM_NTAG_PAGE_SIZE);
    memcpy(pages[1], pack, sizeof(pack));
    memcpy(pages[2], cfg0 + LM_NTAG_PAGE_SIZE, LM_NTAG_PAGE_SIZE); /* CFG1 as it is */
    pages[2][LM_NTAG_ACCESS_BYTE] = access;
    memcpy(pages[3], cfg0, LM_NTAG_PAGE_SIZE);
    pages[3][LM_NTAG_AUTH0_BYTE] = auth0;
    s->file.tear_after = -1;
    for (i = 0; i < 4u; i++) {
        static const uint8_t off[4] = {LM_NTAG_PWD_OFF, LM_NTAG_PACK_OFF, LM_NTAG_CFG1_OFF, 0};
        if (lm_ntag_write_page(&s->ntag, (uint8_t)(ty->cfg0_page + off[i]), pages[i]) != LM_NTAG_OK) {
            fprintf(stderr, "lm-pn532sim: --protect: the tag refused a configuration write\n");
            return -1;
        }
    }
    s->file.tear_after = tear;
    s->file.writes = 0;
    lm_ntag_power_on(&s->ntag);
    return 0;
}

/*
 * Load the NTAG from its memory file and describe it as a pn532_target
 * (ATQA 00 44, SAK 00, the 7-byte UID). Returns 0 or -1 after printing why.
 */
static int setup_ntag(struct sim *s, enum lm_ntag_kind kind)
{
    struct pn532_target *t = &s->target;
    int err;

    if (s->opt.memory == NULL) {
        fprintf(stderr, "lm-pn532sim: --memory FILE is required for an NTAG\n");
        return -1;
    }
    err = lm_ntag_file_open(&s->file, &s->ntag, kind, s->opt.memory,
                            s->opt.have_uid ? s->opt.uid : NULL, s->opt.tear_after_writes);
    if (err != LM_NTAG_FILE_OK) {
        fprintf(stderr, "lm-pn532sim: %s: %s\n", s->opt.memory, lm_ntag_file_strerror(err));
        return -1;
    }
    if (s->opt.protect != NULL && protect_ntag(s) != 0)
        return -1;
    memset(t, 0, sizeof(*t));
    t->atqa[0] = 0x00;
    t->atqa[1] = 0x44;
    t->sak = 0x00;
    lm_ntag_uid(&s->ntag, t->uid);
    t->uid_len = LM_NTAG_UID_LEN;
    t->exchange = ntag_exchange;
    t->power_on = ntag_power_on;
    t->select = ntag_select;
    t->deselect = ntag_select;
    t->alive = ntag_alive;
    t->is_write = ntag_is_write;
    t->ctx = &s->ntag;
    return 0;
}

/* Set up the target named by --tag; returns the target (NULL for none) via *out. */
static int setup_target(struct sim *s, struct pn532_target **out)
{
    enum lm_ntag_kind kind;

    *out = NULL;
    s->file.fd = -1;
    s->applet.mem.fd = -1;
    if (strcmp(s->opt.tag, "none") == 0)
        return 0;
    if (strcmp(s->opt.tag, "applet") == 0) {
        if (s->opt.memory == NULL) {
            fprintf(stderr, "lm-pn532sim: --memory FILE is required for the applet\n");
            return -1;
        }
        if (applet_target_open(&s->applet, &s->target, s->opt.memory,
                                s->opt.have_uid ? s->opt.uid : NULL, s->opt.tear_after_writes) != 0)
            return -1;
        *out = &s->target;
        return 0;
    }
    if (ntag_kind_of(s->opt.tag, &kind) == 0) {
        if (setup_ntag(s, kind) != 0)
            return -1;
        *out = &s->target;
        return 0;
    }
    fprintf(stderr, "lm-pn532sim: unknown --tag %s\n", s->opt.tag);
    return -1;
}

/* ---- the pseudo-terminal ----------------------------------------------------- */

/*
 * Put the pty in raw mode through the master (on Linux this sets the slave's
 * termios). Also clears libnfc's "claimed" marker in c_iflag, which a client
 * killed before it could restore its termios would leave behind.
 */
static void pty_make_raw(int master)
{
    struct termios tio;

    if (tcgetattr(master, &tio) != 0)
        return;
    cfmakeraw(&tio);
    tio.c_iflag = 0;
    tio.c_cc[VMIN] = 1;
    tio.c_cc[VTIME] = 0;
    tcsetattr(master, TCSANOW, &tio);
}

/* Open a pty master in raw mode; returns its fd and the slave path, or -1. */
static int pty_open(char *slave, size_t slave_cap)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    const char *name;

    if (m < 0)
        return -1;
    if (grantpt(m) != 0 || unlockpt(m) != 0 || (name = ptsname(m)) == NULL ||
        strlen(name) + 1u > slave_cap) {
        close(m);
        return -1;
    }
    strcpy(slave, name);
    fcntl(m, F_SETFD, FD_CLOEXEC);
    pty_make_raw(m);
    return m;
}

/* Write all bytes to the master. Returns 0, or -1 when the client is gone. */
static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0u) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Print bytes as hex to out after a label. */
static void log_hex_to(FILE *out, const char *label, const uint8_t *p, size_t len)
{
    size_t i;

    fprintf(out, "pn532sim %s", label);
    for (i = 0; i < len; i++)
        fprintf(out, " %02X", p[i]);
    fputc('\n', out);
}

/*
 * The frame log: every host frame's data (TFI D4 onwards, "<-") and every
 * response frame as sent ("->"), to stderr with --verbose and to the
 * --log file. The target's bytes (a PWD_AUTH's password, a READ's pages)
 * appear in it as they cross the UART, as a sniffer would see them.
 */
static void log_hex(const struct sim *s, const char *label, const uint8_t *p, size_t len)
{
    if (s->opt.verbose)
        log_hex_to(stderr, label, p, len);
    if (s->log != NULL)
        log_hex_to(s->log, label, p, len);
}

/* Sleep for ns nanoseconds (the timing model), restarting after signals. */
static void sleep_ns(uint64_t ns)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(ns / 1000000000u);
    ts.tv_nsec = (long)(ns % 1000000000u);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !g_stop) {
    }
}

/* UART time of n bytes at baud, 8N1: 10 bits a byte. */
static uint64_t uart_ns(long baud, size_t n)
{
    return (uint64_t)n * 10u * 1000000000u / (uint64_t)baud;
}

/* Bytes of a frame carrying len bytes of TFI and data (extended above 255). */
static size_t frame_len(size_t len)
{
    return len + (len > 255u ? 10u : 7u);
}

/* ---- serving frames ---------------------------------------------------------- */

/*
 * Apply the malformed-frame faults to a response frame about to be sent as
 * response number n (1-based): a wrong DCS, a wrong LCS, or a garbled start
 * code. Each fires once.
 */
static void inject_faults(const struct options *o, unsigned long n, uint8_t *frame, size_t len)
{
    if (len < 8u)
        return;
    if (o->corrupt_dcs_at >= 0 && n == (unsigned long)o->corrupt_dcs_at + 1u)
        frame[len - 2u] ^= 0x5Au;
    if (o->corrupt_lcs_at >= 0 && n == (unsigned long)o->corrupt_lcs_at + 1u)
        frame[4] ^= 0x5Au;
    if (o->bad_frame_at >= 0 && n == (unsigned long)o->bad_frame_at + 1u) {
        frame[2] = 0xFEu; /* 00 00 FE: start code mismatch */
        frame[5] ^= 0xFFu;
    }
}

/*
 * Answer one good host frame: ACK at once, run the command, then send the
 * response frame (or the application error frame). Returns -1 when the
 * client went away while writing.
 */
static int serve_frame(struct sim *s, const uint8_t *data, size_t len)
{
    uint8_t resp[PN532_MAX_DATA];
    size_t rlen;

    log_hex(s, "<-", data, len);
    /* The UART (--timing, --baud): the host's frame and the ACK cross it
     * before the chip acts, the response frame after. */
    if (s->opt.timing && s->opt.baud > 0)
        sleep_ns(uart_ns(s->opt.baud, frame_len(len) + sizeof(pn532_ack_frame)));
    if (write_all(s->master, pn532_ack_frame, sizeof(pn532_ack_frame)) != 0)
        return -1;
    rlen = pn532_chip_command(&s->chip, data, len, resp, sizeof(resp));
    if (rlen == 0u) {
        memcpy(s->last, pn532_error_frame, sizeof(pn532_error_frame));
        s->last_len = sizeof(pn532_error_frame);
    } else {
        s->last_len = pn532_frame_build(s->last, sizeof(s->last), resp, rlen);
    }
    if (s->opt.timing)
        sleep_ns(s->chip.radio_ns +
                 (s->opt.baud > 0 ? uart_ns(s->opt.baud, s->last_len) : 0u));
    s->responses++;
    inject_faults(&s->opt, s->responses, s->last, s->last_len);
    log_hex(s, "->", s->last, s->last_len);
    return write_all(s->master, s->last, s->last_len);
}

/*
 * Parse and serve every complete frame in the input buffer; keep a partial
 * one for later. Returns -1 when the client went away.
 */
static int serve_input(struct sim *s)
{
    for (;;) {
        size_t used = 0, off = 0, dlen = 0;
        enum pn532_in kind = pn532_frame_parse(s->in, s->in_len, &used, &off, &dlen);
        int rc = 0;

        if (kind == PN532_IN_FRAME)
            rc = serve_frame(s, s->in + off, dlen);
        else if (kind == PN532_IN_NACK && s->last_len > 0u)
            rc = write_all(s->master, s->last, s->last_len);
        else if (kind == PN532_IN_BAD && s->opt.verbose)
            fprintf(stderr, "pn532sim: ignored a frame with a bad checksum or length\n");
        memmove(s->in, s->in + used, s->in_len - used);
        s->in_len -= used;
        if (rc != 0)
            return -1;
        if (kind == PN532_IN_MORE)
            return 0;
    }
}

/* Act on SIGUSR1/SIGUSR2. */
static void handle_signal_flags(struct sim *s)
{
    if (g_remove) {
        g_remove = 0;
        pn532_chip_remove_target(&s->chip);
    }
    if (g_insert) {
        g_insert = 0;
        pn532_chip_insert_target(&s->chip);
    }
}

/*
 * The serve loop. While no client has the slave open the master reports
 * POLLHUP/EIO; then the loop re-polls every HANGUP_POLL_MS instead of
 * spinning, and resets the pty (raw mode, no stale input) for the next client.
 */
static void serve(struct sim *s)
{
    sigset_t during_poll;
    int hung_up = 0;

    sigemptyset(&during_poll);
    while (!g_stop) {
        struct pollfd pfd = {s->master, POLLIN, 0};
        struct timespec ts = {0, 0};
        const struct timespec *tsp = NULL;
        int n;

        handle_signal_flags(s);
        if (hung_up) {
            ts.tv_nsec = HANGUP_POLL_MS * 1000000L;
            tsp = &ts;
            if (ppoll(NULL, 0, tsp, &during_poll) < 0 && errno != EINTR)
                break;
            hung_up = 0;
            continue;
        }
        if (s->in_len > 0u) {
            ts.tv_nsec = INTERBYTE_TIMEOUT_MS * 1000000L;
            tsp = &ts;
        }
        n = ppoll(&pfd, 1, tsp, &during_poll);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (n == 0) {
            s->in_len = 0; /* a partial frame timed out */
            continue;
        }
        if (pfd.revents & POLLIN) {
            ssize_t r = read(s->master, s->in + s->in_len, sizeof(s->in) - s->in_len);
            if (r > 0) {
                s->in_len += (size_t)r;
                if (serve_input(s) == 0) {
                    if (s->in_len == sizeof(s->in))
                        s->in_len = 0; /* only junk: drop it */
                    continue;
                }
            } else if (r < 0 && (errno == EINTR || errno == EAGAIN)) {
                continue;
            }
        } else if (!(pfd.revents & (POLLHUP | POLLERR))) {
            continue;
        }
        /* The client closed the slave (EIO/POLLHUP): wait for the next one. */
        s->in_len = 0;
        pty_make_raw(s->master);
        hung_up = 1;
    }
}

int main(int argc, char **argv)
{
    static struct sim s;
    struct pn532_target *target;
    struct sigaction sa;
    sigset_t block;
    char slave[128];

    if (parse_options(argc, argv, &s.opt) != 0)
        return 2;
    if (s.opt.log != NULL) {
        s.log = fopen(s.opt.log, "a");
        if (s.log == NULL) {
            perror("lm-pn532sim: --log");
            return 1;
        }
        setvbuf(s.log, NULL, _IOLBF, 0);
    }
    if (setup_target(&s, &target) != 0)
        return 1;
    pn532_chip_init(&s.chip, target, s.opt.remove_after_cmds);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Signals are delivered only inside ppoll, so no flag change is missed. */
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGUSR2);
    sigprocmask(SIG_BLOCK, &block, NULL);

    s.master = pty_open(slave, sizeof(slave));
    if (s.master < 0) {
        perror("lm-pn532sim: pty");
        return 1;
    }
    printf("%s\n", slave);
    fflush(stdout);

    serve(&s);

    close(s.master);
    lm_ntag_file_close(&s.file);
    applet_target_close(&s.applet);
    if (s.log != NULL)
        fclose(s.log);
    return 0;
}
