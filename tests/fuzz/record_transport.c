/*
 * record_transport.c - writes fuzz_transport's seed corpus: whole taps
 * (fuzz_transport_tap) with our applet (firmware/applet) or the NTAG model
 * (firmware/ntag) playing the card, every answer recorded in
 * fuzz_transport.c's input format.  tests/fuzz/gen-corpus.py runs it:
 *
 *   record_transport OUTDIR ENTRY1 ENTRY2
 *
 * It is also a test (fuzz-record-transport): every tap must end as planned,
 * so format, append with read-back and wipe work through all three paths
 * against the real card code, with fuzz_transport's checks on each command,
 * and the applet's second reads are delta reads.
 *
 * For each path (applet; NTAG216 through PC/SC part 3; NTAG213 and NTAG216
 * through libnfc) one card lives through four taps: a blank card is
 * formatted, ENTRY1 appended, ENTRY2 appended (ENTRY1 fills the NTAG213:
 * card full), then ENTRY2 once more and a wipe.  Each tap is one seed; a copy of the second,
 * cut in the middle of the append, is the card leaving the field.  Then an
 * NTAG216 (part 3) and an NTAG213 (libnfc) in the 0.1.0 layout: a tap that
 * reads LM_ERR_VERSION and wipes, and one that formats the wiped tag.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_transport.h"
#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "lm_applet.h"
#include "lm_ntag.h"
#include "lm_nvm_ram.h"
#include "lm_proto.h"

#define APPLET_CAP 512u /* a small applet card: seeds stay small */

struct rec {
	int path;
	struct lm_applet applet;
	struct lm_nvm_ram ram;
	uint8_t mem[LM_APPLET_JOURNAL_SIZE + APPLET_CAP];
	struct lm_ntag tag;
	uint8_t seed[1 << 16]; /* the tap being recorded */
	size_t len;
	uint8_t ans[1024];
};

static void die(const char *what)
{
	fprintf(stderr, "record_transport: %s\n", what);
	exit(1);
}

static size_t put_sw(uint8_t *r, size_t n, unsigned sw)
{
	r[n] = (uint8_t)(sw >> 8);
	r[n + 1] = (uint8_t)sw;
	return n + 2;
}

/* The NTAG behind a PC/SC part-3 reader: GET UID, READ BINARY 4 pages, UPDATE 1 page. */
static size_t part3(struct rec *r, const uint8_t *b, size_t n)
{
	if (n >= 5 && b[0] == LM_PCSC3_CLA && b[1] == LM_PCSC3_GET_DATA) {
		lm_ntag_uid(&r->tag, r->ans);
		return put_sw(r->ans, LM_NTAG_UID_LEN, LM_SW_OK);
	}
	if (n == 5 && b[0] == LM_PCSC3_CLA && b[1] == LM_PCSC3_READ_BINARY)
		return lm_ntag_read(&r->tag, b[3], r->ans) == LM_NTAG_OK
			       ? put_sw(r->ans, 16, LM_SW_OK)
			       : put_sw(r->ans, 0, LM_SW_SECURITY);
	if (n == 9 && b[0] == LM_PCSC3_CLA && b[1] == LM_PCSC3_UPDATE_BINARY)
		return put_sw(r->ans, 0,
			      lm_ntag_write_page(&r->tag, b[3], b + 5) == LM_NTAG_OK
				      ? LM_SW_OK
				      : LM_SW_WRITE_FAILED);
	return put_sw(r->ans, 0, LM_SW_INS);
}

/* The card's answer to one command, recorded as L + bytes. */
static int card(void *ctx, int native, const uint8_t *cmd, size_t len, const uint8_t **ans)
{
	struct rec *r = ctx;
	size_t n = 0;
	if (r->path == 0) {
		n = lm_applet_process(&r->applet, cmd, len, r->ans, sizeof(r->ans));
	} else if (native) {
		if (lm_ntag_process(&r->tag, cmd, len, r->ans, sizeof(r->ans), &n) ==
		    LM_NTAG_SILENT)
			die("the tag fell silent");
	} else {
		n = part3(r, cmd, len);
	}
	if (n >= 0xFF || r->len + 1 + n > sizeof(r->seed))
		die("answer too long for the seed format");
	r->seed[r->len++] = (uint8_t)n;
	memcpy(r->seed + r->len, r->ans, n);
	r->len += n;
	*ans = r->ans;
	return (int)n;
}

static void write_seed(const char *dir, const char *name, const uint8_t *d, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(d, 1, n, f) != n || fclose(f) != 0)
		die(path);
}

/*
 * One tap, written as the seed dir/name: path byte, entry, the card's
 * answers.  The tap must end as expected (want), or the seed is not what
 * its name says.
 */
static void tap(struct rec *r, const char *dir, const char *name, int wipe, const uint8_t *e,
		size_t elen, int want)
{
	r->seed[0] = (uint8_t)(r->path | (wipe ? 0x80 : 0));
	r->seed[1] = (uint8_t)elen;
	memcpy(r->seed + 2, e, elen);
	r->len = 2 + elen;
	size_t answers = r->len;
	if (r->path == 0) {
		lm_applet_deselect(&r->applet);
	} else {
		lm_ntag_power_on(&r->tag);
	}
	if (fuzz_transport_tap(r->path, wipe, e, elen, card, r) != want) {
		fprintf(stderr, "record_transport: %s did not end with %s\n", name,
			lm_errname(want));
		exit(1);
	}
	write_seed(dir, name, r->seed, r->len);
	if (!strstr(name, "append1"))
		return;
	char cut[256];
	snprintf(cut, sizeof(cut), "%.200s_removed", name);
	write_seed(dir, cut, r->seed, answers + (r->len - answers) / 2);
}

static size_t read_entry(const char *path, uint8_t *buf)
{
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, LM_ENTRY_MAX, f) : 0;
	if (f)
		fclose(f);
	if (n == 0 || n >= 0xFF)
		die(path);
	return n;
}

int main(int argc, char **argv)
{
	static struct rec r;
	static const uint8_t uid[7] = {0x04, 0x4c, 0x41, 0x55, 0x46, 0x4d, 0x01};
	static const struct {
		const char *name;
		int path;
		enum lm_ntag_kind kind;
		int second; /* how the second append ends */
	} cards[] = {
		{"applet", 0, LM_NTAG216, LM_OK},
		{"part3_ntag216", 1, LM_NTAG216, LM_OK},
		{"nfc_ntag213", 2, LM_NTAG213, LM_ERR_CARD_FULL},
		{"nfc_ntag216", 2, LM_NTAG216, LM_OK},
	};
	uint8_t e1[LM_ENTRY_MAX], e2[LM_ENTRY_MAX];
	if (argc != 4)
		die("usage: record_transport OUTDIR ENTRY1 ENTRY2");
	size_t n1 = read_entry(argv[2], e1), n2 = read_entry(argv[3], e2);
	if (mkdir(argv[1], 0755) != 0 && errno != EEXIST)
		die(argv[1]);
	for (size_t i = 0; i < sizeof(cards) / sizeof(cards[0]); i++) {
		char name[256];
		memset(&r, 0, sizeof(r));
		r.path = cards[i].path;
		lm_nvm_ram_init(&r.ram, r.mem, sizeof(r.mem));
		if (lm_applet_init(&r.applet, &r.ram.nvm) != 0)
			die("applet init");
		lm_ntag_init(&r.tag, cards[i].kind, uid);
		snprintf(name, sizeof(name), "%s_format", cards[i].name);
		tap(&r, argv[1], name, 0, e1, n1, LM_OK);
		snprintf(name, sizeof(name), "%s_append1", cards[i].name);
		tap(&r, argv[1], name, 0, e1, n1, LM_OK);
		snprintf(name, sizeof(name), "%s_append2", cards[i].name);
		tap(&r, argv[1], name, 0, e2, n2, cards[i].second);
		snprintf(name, sizeof(name), "%s_wipe", cards[i].name);
		tap(&r, argv[1], name, 1, e2, n2, cards[i].second);
		/* The applet keeps a log digest: each read after an append took
		 * the first read's log and only the new entry (2 appends + the
		 * wipe tap's read of the unchanged card). */
		if (cards[i].path == 0 && fuzz_transport_delta_reads < 3) {
			fprintf(stderr, "record_transport: %u delta reads on the applet\n",
				fuzz_transport_delta_reads);
			exit(1);
		}
	}
	/*
	 * A tag in the 0.1.0 layout (page 4 "FD FF LL LL", the image's magic at
	 * page 5) reads LM_ERR_VERSION, never as blank; once wiped it is an
	 * empty NDEF tag and the next tap formats it.
	 */
	static const struct {
		const char *name;
		int path;
		enum lm_ntag_kind kind;
		uint8_t page4[4];
	} old[] = {
		{"part3_ntag216", 1, LM_NTAG216, {LM_T2T_TLV_PROPRIETARY, 0xFF, 0x03, 0x70}},
		{"nfc_ntag213", 2, LM_NTAG213, {LM_T2T_TLV_PROPRIETARY, 0xFF, 0x00, 0x88}},
	};
	static const uint8_t magic[4] = {0x4C, 0x4D, 0x01, 0x00};
	for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
		char name[256];
		memset(&r, 0, sizeof(r));
		r.path = old[i].path;
		lm_ntag_init(&r.tag, old[i].kind, uid);
		if (lm_ntag_write_page(&r.tag, LM_NTAG_USER_PAGE, old[i].page4) != LM_NTAG_OK ||
		    lm_ntag_write_page(&r.tag, LM_NTAG_USER_PAGE + 1, magic) != LM_NTAG_OK)
			die("0.1.0 layout");
		snprintf(name, sizeof(name), "%s_old_layout_wipe", old[i].name);
		tap(&r, argv[1], name, 1, e1, n1, LM_ERR_VERSION);
		snprintf(name, sizeof(name), "%s_old_layout_format", old[i].name);
		tap(&r, argv[1], name, 0, e1, n1, LM_OK);
	}
	return 0;
}
