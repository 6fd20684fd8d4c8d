/*
 * lm_vcard.c - the host board: a virtual card for pcscd's vpcd reader driver.
 *
 * lm-vcard connects to vpcd (pcscd's virtual reader, TCP on 127.0.0.1) as
 * the card: connecting inserts it, closing the socket pulls it away.  Both
 * directions frame every message with a 2-byte big-endian length.  A 1-byte
 * message from vpcd is a control (0 power off, 1 power on, 2 reset, 4 send
 * the ATR); anything longer is a command APDU, answered with the response.
 *
 * The card is either our applet (firmware/applet) on a file-backed NVM, or
 * an NTAG213/215/216 (firmware/ntag) behind a PC/SC part-3 contactless
 * reader, which answers the storage-card pseudo-APDUs FF CA, FF B0 and
 * FF D6, and the part-3 v2.02 transparent session (FF C2: manage session,
 * transparent exchange) that carries raw tag commands such as PWD_AUTH to
 * the tag (docs/nfc.md "Protected NTAGs through PC/SC").  The memory
 * file IS the NVM: every NVM write goes to the file with pwrite before the
 * call returns, so the card survives restarts and crashes.
 *
 * Fault injection: --tear-after-writes N cuts the power during the N+1-th
 * NVM write (exit 4), --pull-after-apdus N and SIGUSR1 pull the card away
 * (exit 3).  SIGTERM and SIGINT exit 0.  See docs/applet.md.
 *
 * --decoy FILE makes a two-faced card, for the office's tests: after each
 * power-up the first READ BINARY of log bytes (past the 24-byte header) is
 * answered with FILE's bytes at those image offsets, every later one with
 * the card's own.
 *
 * --timing KBPS (106, 212, 424, 848) delays each answer by the air time
 * the exchange would take on a type A field (lm_air.h): the applet's
 * APDUs over ISO-DEP with chaining at FSC = FSD = 256, an NTAG's part-3
 * pseudo-APDUs as the tag commands a reader sends for them.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lm_air.h"
#include "lm_applet.h"
#include "lm_nvm_file.h"
#include "lm_ntag.h"
#include "lm_ntag_file.h"

#define DEFAULT_PORT 35963
#define DEFAULT_CAPACITY 8192u
#define MAX_FRAME 65535u
#define RECONNECT_MS 200

enum exit_code { EXIT_CLEAN = 0, EXIT_ERROR = 1, EXIT_PULLED = 3, EXIT_TORN = 4 };

/* Everything the board holds.  One instance, in main(). */
struct vcard {
	int as_ntag;              /* 0: applet, 1: an NTAG behind a part-3 reader */
	enum lm_ntag_kind kind;   /* which NTAG (--as ntag213|ntag215|ntag216) */
	int session;              /* a part-3 transparent session is open */
	int rf_off;               /* the session switched the field off (83 00) */
	int port;                 /* vpcd's TCP port on 127.0.0.1 */
	int once;                 /* exit when the first connection ends */
	int verbose;              /* log every frame to stderr */
	const char *memory;       /* memory file path */
	uint32_t capacity;        /* image bytes for a new applet memory file */
	long tear_after;          /* NVM writes before the torn one, -1 never */
	long pull_after;          /* APDUs to answer before pulling, -1 never */
	unsigned air_d;           /* --timing: the bit rate's divisor D, 0 = no delay */
	unsigned long conn_apdus; /* APDUs of this connection (verbose summary) */
	unsigned long bytes_in;   /* APDU bytes of this connection */
	unsigned long bytes_out;
	uint64_t air_total;       /* --timing: air time of this connection, ns */
	const char *decoy;        /* --decoy: image bytes for the first log read */
	int decoyed;              /* the decoy was shown since the last power-up */
	unsigned long apdus;      /* APDUs answered */
	struct lm_nvm_file mem;   /* applet NVM: the memory file */
	struct lm_applet applet;  /* applet state */
	struct lm_ntag tag;       /* NTAG model */
	struct lm_ntag_file tagfile; /* its page file (tear handled by the model's hook) */
};

static volatile sig_atomic_t g_term; /* SIGTERM / SIGINT seen */
static volatile sig_atomic_t g_pull; /* SIGUSR1 seen */

/* Print a message to stderr with the program's name. */
static void logmsg(const char *fmt, ...)
{
	va_list ap;

	fputs("lm-vcard: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Hex-dump one frame to stderr (verbose mode only). */
static void log_frame(const struct vcard *v, const char *dir, const uint8_t *b, size_t n)
{
	size_t i;

	if (!v->verbose)
		return;
	fprintf(stderr, "lm-vcard: %s", dir);
	for (i = 0; i < n && i < 64; i++)
		fprintf(stderr, " %02X", b[i]);
	fprintf(stderr, "%s\n", n > 64 ? " ..." : "");
}

/* Signal handler: only sets flags; the main loop acts on them. */
static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		g_pull = 1;
	else
		g_term = 1;
}

/* --- applet NVM over the memory file ------------------------------------ */

/*
 * Open (or create, with the journal plus v->capacity zero bytes) the applet
 * memory file and power the applet on.  Returns 0 or -1 (message printed).
 */
static int applet_open(struct vcard *v)
{
	if (lm_nvm_file_open(&v->mem, v->memory, LM_APPLET_JOURNAL_SIZE + v->capacity,
			     LM_APPLET_JOURNAL_SIZE + LM_IMAGE_HEADER_SIZE,
			     LM_APPLET_JOURNAL_SIZE + LM_APPLET_MAX_CAPACITY) != 0) {
		if (errno == EINVAL)
			logmsg("%s: not an applet memory (%u + 24 .. %u + %u bytes)", v->memory,
			       LM_APPLET_JOURNAL_SIZE, LM_APPLET_JOURNAL_SIZE,
			       LM_APPLET_MAX_CAPACITY);
		else
			logmsg("%s: %s", v->memory, strerror(errno));
		return -1;
	}
	v->mem.tear_after = v->tear_after;
	if (lm_applet_init(&v->applet, &v->mem.nvm) != 0) {
		if (v->mem.torn) {
			logmsg("power cut during the power-on recovery");
			exit(EXIT_TORN);
		}
		logmsg("%s: applet power-on failed", v->memory);
		return -1;
	}
	return 0;
}

/* --- an NTAG behind a PC/SC part-3 reader ------------------------------ */

/* Put SW1 SW2 at resp[n]; returns the response length. */
static size_t put_sw(uint8_t *resp, size_t n, uint16_t sw)
{
	resp[n] = (uint8_t)(sw >> 8);
	resp[n + 1] = (uint8_t)sw;
	return n + 2;
}

/* A page or state write of the tag was cut by --tear-after-writes: exit 4. */
static void ntag_torn(const struct vcard *v)
{
	logmsg("power cut during NTAG write %ld (it did not land)", v->tear_after + 1);
	exit(EXIT_TORN);
}

/*
 * Read one BER-TLV data object at b[*off] (n bytes in all): a 1-byte tag, or
 * 2 bytes when the low 5 bits of the first are all set (5F 46, FF 6D); a
 * length of 1 byte, or 81 LL / 82 LL LL.  Sets *tag, *val, *len and moves
 * *off past it.  Returns 0, or -1 when it runs past the end.
 */
static int tlv_next(const uint8_t *b, size_t n, size_t *off, unsigned *tag, const uint8_t **val,
		    size_t *len)
{
	size_t i = *off, l;

	if (i >= n)
		return -1;
	*tag = b[i++];
	if ((*tag & 0x1Fu) == 0x1Fu) {
		if (i >= n)
			return -1;
		*tag = (*tag << 8) | b[i++];
	}
	if (i >= n)
		return -1;
	l = b[i++];
	if (l == 0x81u || l == 0x82u) {
		size_t k = l - 0x80u;
		if (n - i < k)
			return -1;
		l = b[i++];
		if (k == 2)
			l = (l << 8) | b[i++];
	} else if (l > 0x80u) {
		return -1;
	}
	if (n - i < l)
		return -1;
	*val = b + i;
	*len = l;
	*off = i + l;
	return 0;
}

/* Append tag, BER length and value at out[*k]; the caller has the room. */
static void tlv_put(uint8_t *out, size_t *k, uint8_t tag, const uint8_t *val, size_t len)
{
	out[(*k)++] = tag;
	if (len > 0xFFu) {
		out[(*k)++] = 0x82;
		out[(*k)++] = (uint8_t)(len >> 8);
	} else if (len > 0x7Fu) {
		out[(*k)++] = 0x81;
	}
	out[(*k)++] = (uint8_t)len;
	memcpy(out + *k, val, len);
	*k += len;
}

/*
 * One transceive data object (95): the raw tag command goes to the model;
 * its answer becomes 92 01 BITS (valid bits of the last byte: 4 for an
 * ACK/NAK, 0 = all 8), 96 02 00 00 (no CRC, parity or framing error) and
 * 97 LEN ANSWER.  Silence (HALT, a NAK'd state, the field off) is
 * LM_SW_NO_ANSWER.  Returns the status word for C0.
 */
static uint16_t part3_transceive(struct vcard *v, const uint8_t *cmd, size_t len, uint8_t *out,
				 size_t *k)
{
	static const uint8_t ok_status[2] = {0x00, 0x00};
	uint8_t ans[LM_NTAG_MAX_PAGES * LM_NTAG_PAGE_SIZE];
	uint8_t bits;
	size_t alen = 0;
	enum lm_ntag_answer a;

	if (v->rf_off)
		return LM_SW_NO_ANSWER;
	a = lm_ntag_process(&v->tag, cmd, len, ans, sizeof(ans), &alen);
	if (!v->tag.powered)
		ntag_torn(v);
	if (a == LM_NTAG_SILENT)
		return LM_SW_NO_ANSWER;
	bits = a == LM_NTAG_ACKNAK ? 4u : 0u;
	tlv_put(out, k, LM_PCSC3_DO_RX_BITS, &bits, 1);
	tlv_put(out, k, LM_PCSC3_DO_RESP_STATUS, ok_status, sizeof(ok_status));
	tlv_put(out, k, LM_PCSC3_DO_RESPONSE, ans, alen);
	return LM_SW_OK;
}

/*
 * FF C2 00 P2: PC/SC part 3 v2.02 manage session (P2 00) and transparent
 * exchange (P2 01).  The data objects run in order; the first that fails
 * stops the rest and is named in C0 03 N SW1 SW2 (N counted from 1), which
 * always comes first in the answer; SW1 SW2 of the APDU repeat C0's.
 * Manage session: 80 (version), 81 start and 82 end the transparent
 * session, 83/84 switch the field off/on (on = a fresh power-up: the tag
 * forgets its PWD_AUTH), 5F 46 (timer) is accepted.  Transparent exchange,
 * only inside a session (else 69 86): 90 flags and 91 bit framing only with
 * their defaults (00 00 and 00: the reader adds and checks CRC_A, whole
 * bytes), 5F 46 accepted, 95 transceive.  Anything else is 6A 81.
 */
static size_t part3_session(struct vcard *v, const uint8_t *b, size_t n, uint8_t *resp)
{
	static const uint8_t version[3] = {0x01, 0x00, 0x00};
	size_t lc, off = 5, k = 5, len;
	unsigned tag, index = 0;
	const uint8_t *val;
	uint16_t sw = LM_SW_OK;

	if (b[2] != 0x00 || (b[3] != LM_PCSC3_P2_MANAGE && b[3] != LM_PCSC3_P2_EXCHANGE))
		return put_sw(resp, 0, LM_SW_WRONG_P1P2);
	lc = n > 4 ? b[4] : 0;
	if (n < 5 || (n != 5 + lc && n != 6 + lc))
		return put_sw(resp, 0, LM_SW_WRONG_LENGTH);
	n = 5 + lc; /* drop Le */
	if (b[3] == LM_PCSC3_P2_EXCHANGE && !v->session)
		sw = LM_SW_NO_SESSION;
	while (sw == LM_SW_OK && off < n) {
		index++;
		if (tlv_next(b, n, &off, &tag, &val, &len) != 0) {
			sw = LM_SW_DO_LENGTH;
			break;
		}
		if (tag == LM_PCSC3_DO_TIMER) {
			sw = len == 4 ? LM_SW_OK : LM_SW_DO_LENGTH;
		} else if (b[3] == LM_PCSC3_P2_MANAGE) {
			if (tag > 0xFFu || tag < LM_PCSC3_DO_VERSION || tag > LM_PCSC3_DO_RF_ON)
				sw = LM_SW_DO_UNSUPPORTED;
			else if (len != 0)
				sw = LM_SW_DO_LENGTH;
			else if (tag == LM_PCSC3_DO_VERSION)
				tlv_put(resp, &k, LM_PCSC3_DO_VERSION, version, sizeof(version));
			else if (tag == LM_PCSC3_DO_START || tag == LM_PCSC3_DO_END)
				v->session = tag == LM_PCSC3_DO_START;
			else if (tag == LM_PCSC3_DO_RF_OFF)
				v->rf_off = 1;
			else {
				v->rf_off = 0;
				lm_ntag_power_on(&v->tag);
			}
		} else if (tag == LM_PCSC3_DO_FLAGS) {
			sw = len != 2 ? LM_SW_DO_LENGTH
			     : (val[0] | val[1]) != 0 ? LM_SW_DO_UNSUPPORTED : LM_SW_OK;
		} else if (tag == LM_PCSC3_DO_TX_BITS) {
			sw = len != 1 ? LM_SW_DO_LENGTH : val[0] != 0 ? LM_SW_DO_UNSUPPORTED : LM_SW_OK;
		} else if (tag == LM_PCSC3_DO_TRANSCEIVE) {
			sw = len == 0 ? LM_SW_DO_LENGTH : part3_transceive(v, val, len, resp, &k);
		} else {
			sw = LM_SW_DO_UNSUPPORTED;
		}
	}
	resp[0] = LM_PCSC3_DO_STATUS;
	resp[1] = 3;
	resp[2] = sw == LM_SW_OK || sw == LM_SW_NO_SESSION ? 0 : (uint8_t)index;
	resp[3] = (uint8_t)(sw >> 8);
	resp[4] = (uint8_t)sw;
	return put_sw(resp, k, sw);
}

/*
 * Answer one part-3 pseudo-APDU for the NTAG (resp holds at least 18 + the
 * largest transparent answer, 924 bytes, + 20).  GET DATA UID, READ BINARY
 * of 4 pages, UPDATE BINARY of one page (the UID, lock and configuration
 * pages are not writable through it: 69 81; a protected page read without
 * PWD_AUTH: 69 82, written: 63 00), and FF C2 (part3_session).  A page
 * write cut by --tear-after-writes exits with status 4.
 */
static size_t ntag_apdu(struct vcard *v, const uint8_t *b, size_t n, uint8_t *resp)
{
	uint8_t page, data[16];
	size_t le;
	enum lm_ntag_status st;

	if (n < 4)
		return put_sw(resp, 0, LM_SW_WRONG_LENGTH);
	if (b[0] != LM_PCSC3_CLA)
		return put_sw(resp, 0, LM_SW_CLA);
	page = b[3];
	switch (b[1]) {
	case LM_PCSC3_GET_DATA: /* GET DATA: P1 00 = UID; 01 = ATS (none for a type 2 tag) */
		if (n > 5)
			return put_sw(resp, 0, LM_SW_WRONG_LENGTH);
		if (b[2] == 0x01 && b[3] == 0x00)
			return put_sw(resp, 0, 0x6A81);
		if (b[2] != 0x00 || b[3] != 0x00)
			return put_sw(resp, 0, LM_SW_WRONG_P1P2);
		if (n == 5 && b[4] != 0 && b[4] < LM_NTAG_UID_LEN)
			return put_sw(resp, 0, 0x6C00 | LM_NTAG_UID_LEN);
		lm_ntag_uid(&v->tag, resp);
		return put_sw(resp, LM_NTAG_UID_LEN, LM_SW_OK);
	case LM_PCSC3_READ_BINARY: /* READ BINARY: Le bytes (00 = 16) of the 4 pages from P2 */
		if (n != 5)
			return put_sw(resp, 0, LM_SW_WRONG_LENGTH);
		le = b[4] ? b[4] : 16u;
		if (le > 16u)
			return put_sw(resp, 0, 0x6C10);
		if (b[2] != 0 || page >= v->tag.npages)
			return put_sw(resp, 0, LM_SW_NOT_FOUND);
		st = lm_ntag_read(&v->tag, page, data);
		if (st == LM_NTAG_EPOWER)
			ntag_torn(v);
		if (st != LM_NTAG_OK)
			return put_sw(resp, 0, st == LM_NTAG_EINVAL ? LM_SW_SECURITY : LM_SW_MEMORY);
		memcpy(resp, data, le);
		return put_sw(resp, le, LM_SW_OK);
	case LM_PCSC3_UPDATE_BINARY: /* UPDATE BINARY: one page, Lc = 4 */
		if (n != 9 || b[4] != 4)
			return put_sw(resp, 0, LM_SW_WRONG_LENGTH);
		if (b[2] != 0 || page >= v->tag.npages)
			return put_sw(resp, 0, LM_SW_NOT_FOUND);
		if (page < 3u || page >= v->tag.npages - 5u)
			return put_sw(resp, 0, LM_SW_INCOMPATIBLE); /* UID, lock, config */
		st = lm_ntag_write_page(&v->tag, page, b + 5);
		if (st == LM_NTAG_EPOWER)
			ntag_torn(v);
		if (st == LM_NTAG_EWRITE)
			return put_sw(resp, 0, LM_SW_MEMORY);
		return put_sw(resp, 0, st == LM_NTAG_OK ? LM_SW_OK : LM_SW_WRITE_FAILED);
	case LM_PCSC3_SESSION:
		return part3_session(v, b, n, resp);
	default:
		return put_sw(resp, 0, LM_SW_INS);
	}
}

/* --- the ATRs ------------------------------------------------------------ */

/*
 * Build the ATR into atr (at least 20 bytes); returns its length.
 * Applet: 3B 89 80 01 "Laufmappe" TCK (T=1, 9 proprietary historical bytes).
 * NTAG216: the part-3 storage-card ATR, standard 03 (ISO 14443-A part 3),
 * card name 00 03 (the Ultralight family, as readers report NTAG21x).
 */
static size_t build_atr(const struct vcard *v, uint8_t *atr)
{
	static const uint8_t applet_atr[] = {0x3B, 0x89, 0x80, 0x01, 'L', 'a', 'u',
					     'f',  'm',  'a',  'p',  'p', 'e'};
	static const uint8_t ntag_atr[] = {0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C,
					   0xA0, 0x00, 0x00, 0x03, 0x06, 0x03, 0x00,
					   0x03, 0x00, 0x00, 0x00, 0x00};
	const uint8_t *src = v->as_ntag ? ntag_atr : applet_atr;
	size_t n = v->as_ntag ? sizeof(ntag_atr) : sizeof(applet_atr);
	uint8_t tck = 0;
	size_t i;

	memcpy(atr, src, n);
	for (i = 1; i < n; i++) /* TCK: XOR of T0 .. the last historical byte */
		tck ^= atr[i];
	atr[n] = tck;
	return n + 1;
}

/* --- vpcd connection ----------------------------------------------------- */

/*
 * Sleep ms milliseconds unless one of the signals that waitmask lets through
 * arrives first (they are blocked everywhere else, so none is lost).
 */
static void nap(int ms, const sigset_t *waitmask)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	(void)ppoll(NULL, 0, &ts, waitmask);
}

/*
 * Connect to vpcd on 127.0.0.1:port, retrying every 200 ms until it
 * answers or a signal asks to stop.  Returns the socket or -1.
 */
static int connect_vpcd(const struct vcard *v, const sigset_t *waitmask)
{
	struct sockaddr_in sa;
	int one = 1, fd;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)v->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while (!g_term && !g_pull) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			logmsg("socket: %s", strerror(errno));
			return -1;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			return fd;
		}
		close(fd);
		nap(RECONNECT_MS, waitmask);
	}
	return -1;
}

/*
 * Read exactly len bytes.  Waits with ppoll so that the signals blocked in
 * the rest of the program (SIGTERM, SIGINT, SIGUSR1) can interrupt the wait;
 * sets TCP_QUICKACK before every recv (Linux clears it).  Returns 1 when
 * done, 0 when the peer closed the connection or a signal arrived, -1 on a
 * socket error.
 */
static int recv_all(int fd, uint8_t *buf, size_t len, const sigset_t *waitmask)
{
	size_t done = 0;
	int one = 1;

	while (done < len) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;

		if (g_term || g_pull)
			return 0;
		if (ppoll(&p, 1, NULL, waitmask) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		n = recv(fd, buf + done, len - done, MSG_DONTWAIT);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return -1;
		}
		done += (size_t)n;
	}
	return 1;
}

/* Send one frame: 2-byte big-endian length, then the bytes.  0 or -1. */
static int send_frame(int fd, uint8_t *frame, size_t len)
{
	size_t done = 0;

	frame[0] = (uint8_t)(len >> 8);
	frame[1] = (uint8_t)len;
	len += 2;
	while (done < len) {
		ssize_t n = send(fd, frame + done, len - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* The card loses power or is reset: drop the session state. */
static void card_power(struct vcard *v, int on)
{
	if (v->as_ntag) {
		v->session = 0; /* a reset ends the transparent session */
		v->rf_off = 0;
		if (on)
			lm_ntag_power_on(&v->tag);
	} else {
		lm_applet_deselect(&v->applet);
	}
	v->decoyed = 0;
}

/* --decoy: the first log READ BINARY's data from the decoy file, if it has them. */
static void show_decoy(struct vcard *v, const uint8_t *in, size_t len, uint8_t *resp, size_t rlen)
{
	size_t off = (size_t)in[2] << 8 | in[3];
	if (!v->decoy || v->decoyed || v->as_ntag || len < 5 || in[1] != 0xB0 ||
	    off < LM_IMAGE_HEADER_SIZE || rlen < 2 || resp[rlen - 2] != 0x90)
		return;
	FILE *f = fopen(v->decoy, "rb");
	if (!f)
		return;
	if (fseek(f, (long)off, SEEK_SET) == 0 && fread(resp, 1, rlen - 2, f) == rlen - 2) {
		v->decoyed = 1;
		logmsg("decoy: %zu bytes at offset %zu", rlen - 2, off);
	}
	fclose(f);
}

/*
 * The air time of one exchange (--timing).  The applet: the APDU and its
 * answer over ISO-DEP.  An NTAG behind a part-3 reader: the reader turns
 * READ BINARY into one READ (2 bytes + CRC_A, 16 + CRC_A back), UPDATE
 * BINARY into one WRITE (6 + CRC_A, a 4-bit ACK) plus the page's
 * programming time, GET DATA into nothing (the UID is known from
 * anticollision); the transparent exchange's bytes as they are.
 */
static uint64_t air_ns(const struct vcard *v, const uint8_t *in, size_t len, size_t rlen)
{
	if (!v->as_ntag)
		return lm_air_apdu_ns(v->air_d, LM_AIR_FRAME_MAX, len, rlen, NULL);
	if (len < 2 || rlen < 2)
		return 0;
	uint64_t fdt = lm_air_turn_ns();
	switch (in[1]) {
	case LM_PCSC3_READ_BINARY:
		return lm_air_frame_ns(v->air_d, 4) + lm_air_frame_ns(v->air_d, 18) + fdt;
	case LM_PCSC3_UPDATE_BINARY:
		return lm_air_frame_ns(v->air_d, 8) + 4100000u + fdt;
	case LM_PCSC3_SESSION:
		return len > 5 ? lm_air_frame_ns(v->air_d, len - 5 + 2) +
					 lm_air_frame_ns(v->air_d, rlen) + fdt
			       : 0;
	default: return 0;
	}
}

/* Sleep ns nanoseconds (restarted after a signal that does not stop us). */
static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !g_term && !g_pull) {
	}
}

/*
 * Serve one connection until vpcd closes it (returns 0), a signal stops us
 * (returns 0; the caller looks at the flags), the APDU budget of --pull-
 * after-apdus is spent (returns EXIT_PULLED) or the socket fails (-1).
 * in and out are MAX_FRAME + 2 bytes; out's first two bytes hold the length.
 */
static int serve(struct vcard *v, int fd, const sigset_t *waitmask, uint8_t *in, uint8_t *out)
{
	for (;;) {
		uint8_t hdr[2];
		size_t len, rlen;
		int rc = recv_all(fd, hdr, 2, waitmask);

		if (rc <= 0)
			return rc;
		len = ((size_t)hdr[0] << 8) | hdr[1];
		rc = recv_all(fd, in, len, waitmask);
		if (rc <= 0)
			return rc;
		log_frame(v, "<-", in, len);
		if (len == 0)
			continue;
		if (len == 1) {
			if (in[0] == 4) {
				rlen = build_atr(v, out + 2);
				log_frame(v, "-> ATR", out + 2, rlen);
				if (send_frame(fd, out, rlen) != 0)
					return -1;
			} else if (in[0] <= 2) {
				card_power(v, in[0] != 0);
			}
			continue;
		}
		if (v->as_ntag)
			rlen = ntag_apdu(v, in, len, out + 2);
		else
			rlen = lm_applet_process(&v->applet, in, len, out + 2, MAX_FRAME);
		show_decoy(v, in, len, out + 2, rlen);
		if (v->mem.torn) {
			logmsg("power cut during NVM write %lu (half of its bytes landed)",
			       v->mem.writes + 1);
			exit(EXIT_TORN); /* no answer: the card lost power */
		}
		v->conn_apdus++;
		v->bytes_in += len;
		v->bytes_out += rlen;
		if (v->air_d) {
			uint64_t ns = air_ns(v, in, len, rlen);
			v->air_total += ns;
			sleep_ns(ns);
		}
		log_frame(v, "->", out + 2, rlen);
		if (send_frame(fd, out, rlen) != 0)
			return -1;
		v->apdus++;
		if (v->pull_after >= 0 && v->apdus >= (unsigned long)v->pull_after)
			return EXIT_PULLED;
	}
}

/* --- options and main ---------------------------------------------------- */

static void usage(FILE *f)
{
	fputs("usage: lm-vcard --memory FILE [options]\n"
	      "A virtual card for pcscd's vpcd reader driver (vsmartcard-vpcd).\n"
	      "\n"
	      "  --memory FILE            the card's NVM; created on first use (required)\n"
	      "  --as applet|ntag213|ntag215|ntag216\n"
	      "                           the Laufmappe applet (default) or an NTAG behind a\n"
	      "                           PC/SC part-3 contactless reader (with the v2.02\n"
	      "                           transparent session: FF C2)\n"
	      "  --capacity BYTES         image capacity of a new applet memory (default 8192,\n"
	      "                           24 .. 32768; the file adds a 1024-byte journal)\n"
	      "  --port P                 vpcd's TCP port on 127.0.0.1 (default 35963)\n"
	      "  --once                   exit when vpcd closes the connection (default:\n"
	      "                           reconnect every 200 ms until pcscd is back)\n"
	      "  --tear-after-writes N    cut the power during NVM write N+1 (a prefix of\n"
	      "                           its bytes lands; an NTAG page not at all); exit 4\n"
	      "  --pull-after-apdus N     pull the card after answering N APDUs; exit 3\n"
	      "  --timing KBPS            delay each answer by its air time on a type A\n"
	      "                           field at 106, 212, 424 or 848 kbit/s (lm_air.h)\n"
	      "  --decoy FILE             a two-faced card: after each power-up, the first\n"
	      "                           READ BINARY of log bytes answers FILE's bytes (an\n"
	      "                           image) at those offsets\n"
	      "  --verbose                log every frame to stderr\n"
	      "  --help                   this text\n"
	      "\n"
	      "SIGUSR1 pulls the card at once (exit 3); SIGTERM/SIGINT exit 0.\n"
	      "Exit status: 0 clean, 1 error, 3 pulled, 4 power cut (torn write).\n",
	      f);
}

/* Parse a decimal number in [min, max]; returns 0 or -1. */
static int parse_num(const char *s, long min, long max, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

/* Fill v from the command line; returns 0, 1 (help shown) or -1 (bad usage). */
static int parse_args(struct vcard *v, int argc, char **argv)
{
	static const struct option opts[] = {
		{"memory", required_argument, NULL, 'm'},
		{"as", required_argument, NULL, 'a'},
		{"capacity", required_argument, NULL, 'c'},
		{"port", required_argument, NULL, 'p'},
		{"once", no_argument, NULL, 'o'},
		{"tear-after-writes", required_argument, NULL, 't'},
		{"pull-after-apdus", required_argument, NULL, 'u'},
		{"verbose", no_argument, NULL, 'v'},
		{"timing", required_argument, NULL, 'T'},
		{"decoy", required_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long n;
	int c;

	while ((c = getopt_long(argc, argv, "m:a:c:p:ot:u:vT:D:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			v->memory = optarg;
			break;
		case 'a':
			v->as_ntag = 1;
			if (strcmp(optarg, "applet") == 0)
				v->as_ntag = 0;
			else if (strcmp(optarg, "ntag213") == 0)
				v->kind = LM_NTAG213;
			else if (strcmp(optarg, "ntag215") == 0)
				v->kind = LM_NTAG215;
			else if (strcmp(optarg, "ntag216") == 0)
				v->kind = LM_NTAG216;
			else
				return -1;
			break;
		case 'c':
			if (parse_num(optarg, LM_IMAGE_HEADER_SIZE, LM_APPLET_MAX_CAPACITY, &n) != 0)
				return -1;
			v->capacity = (uint32_t)n;
			break;
		case 'p':
			if (parse_num(optarg, 1, 65535, &n) != 0)
				return -1;
			v->port = (int)n;
			break;
		case 'o':
			v->once = 1;
			break;
		case 't':
			if (parse_num(optarg, 0, 0x7FFFFFFFL, &v->tear_after) != 0)
				return -1;
			break;
		case 'u':
			if (parse_num(optarg, 0, 0x7FFFFFFFL, &v->pull_after) != 0)
				return -1;
			break;
		case 'v':
			v->verbose = 1;
			break;
		case 'T':
			if (parse_num(optarg, 1, 848, &n) != 0 || !lm_air_divisor((unsigned)n))
				return -1;
			v->air_d = lm_air_divisor((unsigned)n);
			break;
		case 'D':
			v->decoy = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return -1;
		}
	}
	if (optind != argc || v->memory == NULL)
		return -1;
	return 0;
}

/* Block the stop/pull signals (they are taken in ppoll only) and install handlers. */
static void setup_signals(sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	sigdelset(waitmask, SIGTERM);
	sigdelset(waitmask, SIGINT);
	sigdelset(waitmask, SIGUSR1);
}

int main(int argc, char **argv)
{
	static struct vcard v;
	static uint8_t in[MAX_FRAME + 2], out[MAX_FRAME + 2];
	sigset_t waitmask;
	int rc, fd;

	v.port = DEFAULT_PORT;
	v.capacity = DEFAULT_CAPACITY;
	v.tear_after = -1;
	v.pull_after = -1;
	v.mem.fd = -1;
	rc = parse_args(&v, argc, argv);
	if (rc != 0) {
		if (rc < 0)
			usage(stderr);
		return rc < 0 ? EXIT_ERROR : EXIT_CLEAN;
	}
	if (v.as_ntag) {
		rc = lm_ntag_file_open(&v.tagfile, &v.tag, v.kind, v.memory, NULL, v.tear_after);
		if (rc != LM_NTAG_FILE_OK) {
			logmsg("%s: %s", v.memory, lm_ntag_file_strerror(rc));
			return EXIT_ERROR;
		}
	} else if (applet_open(&v) != 0) {
		return EXIT_ERROR;
	}
	setup_signals(&waitmask);
	for (;;) {
		fd = connect_vpcd(&v, &waitmask);
		if (fd < 0)
			break;
		if (v.verbose)
			logmsg("connected to vpcd on port %d", v.port);
		v.conn_apdus = 0;
		v.bytes_in = v.bytes_out = 0;
		v.air_total = 0;
		rc = serve(&v, fd, &waitmask, in, out);
		close(fd);
		if (v.verbose)
			logmsg("connection closed: %lu APDUs, %lu bytes in, %lu out, air %.2f ms", v.conn_apdus,
			       v.bytes_in, v.bytes_out, (double)v.air_total / 1e6);
		card_power(&v, 0);
		if (rc == EXIT_PULLED || g_pull) {
			logmsg("card pulled away");
			return EXIT_PULLED;
		}
		if (g_term || v.once)
			break;
		if (rc < 0)
			logmsg("connection lost: %s", strerror(errno));
		nap(RECONNECT_MS, &waitmask);
	}
	if (g_pull) {
		logmsg("card pulled away");
		return EXIT_PULLED;
	}
	if (v.as_ntag)
		lm_ntag_file_close(&v.tagfile);
	else
		lm_nvm_file_close(&v.mem);
	return EXIT_CLEAN;
}
