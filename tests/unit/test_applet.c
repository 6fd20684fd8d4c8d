/*
 * test_applet.c - unit tests of the card applet (firmware/applet).
 *
 * Scenario tables: each scenario is a list of (command APDU, expected
 * response APDU) in hex, run in order on a fresh applet over a RAM NVM with
 * an image capacity of 1024 bytes.  Tests that need long or computed APDUs
 * (extended lengths, full journal) and the tear tests are written out below.
 *
 * Tear tests: for every NVM write of a COMMIT, of a WIPE, of the staging
 * UPDATEs and of a recovery, cut the power at that write with several
 * prefix lengths landing, power on (lm_applet_init) and check that the image
 * is exactly the old or exactly the new one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lm_applet.h"
#include "lm_nvm_ram.h"

#define CAP 1024u
#define J LM_APPLET_JOURNAL_SIZE
#define RESP_CAP 65538u

/* The applet under test, its RAM NVM and a response buffer. */
struct fx {
	uint8_t mem[J + CAP];
	struct lm_nvm_ram ram;
	struct lm_applet a;
	uint8_t resp[RESP_CAP];
	size_t resp_len;
};

static struct fx g_fx;

/* Decode hex (spaces allowed) into out; returns the byte count. */
static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v = 0;

		if (*s == ' ')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else
			fail_msg("bad hex character '%c'", *s);
		if (hi < 0) {
			hi = v;
			continue;
		}
		assert_true(n < cap);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	assert_int_equal(hi, -1);
	return n;
}

/* A fresh, zeroed NVM and a powered-on applet. */
static struct fx *fresh(void)
{
	struct fx *f = &g_fx;

	memset(f->mem, 0, sizeof(f->mem));
	lm_nvm_ram_init(&f->ram, f->mem, sizeof(f->mem));
	assert_int_equal(lm_applet_init(&f->a, &f->ram.nvm), 0);
	return f;
}

/* Send len bytes of APDU; returns the status word, response kept in f. */
static unsigned xfer(struct fx *f, const uint8_t *apdu, size_t len)
{
	f->resp_len = lm_applet_process(&f->a, apdu, len, f->resp, RESP_CAP);
	assert_true(f->resp_len >= 2);
	return (unsigned)f->resp[f->resp_len - 2] << 8 | f->resp[f->resp_len - 1];
}

/* Send a hex APDU and require the exact hex response. */
static void step(struct fx *f, const char *apdu_hex, const char *resp_hex)
{
	uint8_t apdu[600], want[600];
	size_t n = unhex(apdu_hex, apdu, sizeof(apdu));
	size_t m = unhex(resp_hex, want, sizeof(want));

	xfer(f, apdu, n);
	if (f->resp_len != m || memcmp(f->resp, want, m) != 0) {
		char got[64];
		size_t i;

		for (i = 0; i < f->resp_len && i < 20; i++)
			snprintf(got + 3 * i, 4, "%02X ", f->resp[i]);
		fail_msg("APDU %s: want %s, got %s(%zu bytes)", apdu_hex, resp_hex,
			 f->resp_len ? got : "", f->resp_len);
	}
}

#define SELECT "00A404000AF04C4155464D41505045"
/* A formatting header: magic, version 1, flags 0, length 0, ~0, holder id. */
#define HEADER "4C4D0100 0000FFFF 000102030405060708090A0B0C0D0E0F"

struct scenario {
	const char *name;
	const char *steps[40][2]; /* {apdu, response}, ended by {NULL} */
};

static const struct scenario scenarios[] = {
	{"before select",
	 {{"00B0000010", "6986"},
	  {"00CA000100", "6986"},
	  {"80D6001801AA", "6986"},
	  {"80DA0000", "6986"},
	  {"80DC0000", "6986"},
	  {"80DE0000", "6986"},
	  {"00A404000AF04C4155464D4150504F", "6A82"}, /* last AID byte wrong */
	  {"00A4040009F04C4155464D415050", "6A82"},   /* AID prefix */
	  {"00B0000010", "6986"},
	  {SELECT, "9000"},
	  {SELECT "00", "9000"}, /* case 4 */
	  {"00A4040C0AF04C4155464D41505045", "9000"},
	  {"00A404000AF04C4155464D4150504F", "6A82"},
	  {"00B0000001", "6986"}, /* a failed SELECT deselects */
	  {NULL}}},
	{"class, instruction and length errors",
	 {{SELECT, "9000"},
	  {"", "6700"},
	  {"00B000", "6700"},
	  {"10B0000010", "6E00"},
	  {"80B0000010", "6E00"}, /* READ BINARY is CLA 00 */
	  {"00D6001801AA", "6E00"}, /* UPDATE is CLA 80 */
	  {"0020000000", "6D00"},
	  {"80FF0000", "6D00"},
	  {"00A4000002 3F00", "6A86"},
	  {"00A4040100", "6A86"}, /* P1P2 before the length */
	  {"00A40400", "6700"},
	  {"00B00000", "6700"},          /* case 1 */
	  {"00B0000001AA", "6700"},      /* case 3 */
	  {"00B0000002AA", "6700"},      /* Lc says 2, 1 byte */
	  {"00B000000000", "6700"},      /* 6 bytes: no case */
	  {"00B00000000001AA", "6700"},  /* extended case 3 */
	  {"00B0000000000101AA", "6700"}, /* extended Lc 1 + 2 bytes */
	  {"00CA00040000", "6700"},
	  {"00CA000400", "6A88"},
	  {"00CA010100", "6A88"},
	  {"00CA000000", "6A88"},
	  {"00CA000102", "6700"}, /* Le smaller than the data */
	  {"00CA000203", "6700"},
	  {"00CA000101AA", "6700"},
	  {"80D60000", "6700"},
	  {"80D6000000", "6700"}, /* case 2: Le, no data */
	  {"80D6001801AA00", "6700"}, /* case 4 */
	  {"80D600180000", "6700"},
	  {"80DA000001AA", "6700"},
	  {"80DA000000", "6700"},
	  {"80DA0100", "6A86"},
	  {"80DC0001", "6A86"},
	  {"80DE0100", "6A86"},
	  {"80DE000000", "6700"},
	  {NULL}}},
	{"get data",
	 {{SELECT, "9000"},
	  {"00CA000100", "010001 9000"},
	  {"00CA0001", "010001 9000"},
	  {"00CA000103", "010001 9000"},
	  {"00CA0001000000", "010001 9000"}, /* extended Le 65536 */
	  {"00CA0001000003", "010001 9000"},
	  {"00CA000200", "00000400 9000"},
	  {"00CA000300", "000003E8 9000"}, /* unformatted: 1024 - 24 */
	  {NULL}}},
	{"read binary",
	 {{SELECT, "9000"},
	  {"00B0000004", "00000000 9000"},
	  {"00B003FC04", "00000000 9000"},
	  {"00B003FE04", "0000 6282"},
	  {"00B083FE04", "0000 6282"}, /* P1 bit 8 masked */
	  {"00B0040001", "6B00"},
	  {"00B0FFFF01", "6B00"},
	  {"00B003FF000002", "00 6282"}, /* extended */
	  {"00B00000000004", "00000000 9000"},
	  {NULL}}},
	{"format, append, commit",
	 {{SELECT, "9000"},
	  {"80DA0000", "9000"}, /* nothing staged */
	  {"80D6000018" HEADER, "9000"},
	  {"00B0000008", "0000000000000000 9000"}, /* staged: invisible */
	  {"00CA000300", "000003E8 9000"},
	  {"80DA0000", "9000"},
	  {"00B0000008", "4C4D01000000FFFF 9000"},
	  {"00CA000300", "000003E8 9000"},
	  {"80D6001808 1122334455667788", "9000"},
	  {"80D6000404 0008FFF7", "9000"},
	  {"00B0000408", "0000FFFF00010203 9000"},
	  {"80DA0000", "9000"},
	  {"00B0000420", "0008FFF7 000102030405060708090A0B0C0D0E0F 1122334455667788 00000000 9000"},
	  {NULL}}},
	{"append only",
	 {{SELECT, "9000"},
	  {"80D6000018" HEADER, "9000"},
	  {"80D6001808 1122334455667788", "9000"},
	  {"80D6000404 0008FFF7", "9000"},
	  {"80DA0000", "9000"},
	  {"00CA000300", "000003E0 9000"}, /* 1000 - 8 */
	  {"80D6000001 4D", "6985"},
	  {"80D6000201 02", "6985"},
	  {"80D6000801 FF", "6985"},           /* holder id */
	  {"80D6001F01 00", "6985"},           /* last committed byte */
	  {"80D6001E04 00000000", "6985"},     /* straddles the end */
	  {"80D6002001 00", "9000"},           /* first free byte */
	  {"80D6000404 0004FFFB", "6985"},     /* shrink */
	  {"80D6000404 000CFFFF", "6985"},     /* bad complement */
	  {"80D6000402 000C", "6985"},         /* part of the word */
	  {"80D6000504 000CFFF3", "6985"},     /* misplaced */
	  {"80D6000408 0010FFEF00000000", "6985"},
	  {"80D6000404 03E9FC16", "6A84"},     /* 1001 > 1000 */
	  {"80D6000404 03E8FC17", "9000"},     /* exactly full */
	  {"80D6000404 0008FFF7", "9000"},     /* same length */
	  {"80D6000404 000CFFF3", "9000"},
	  {"80DA0000", "9000"},
	  {"00B0000404", "000CFFF3 9000"},
	  {"00CA000300", "000003DC 9000"},
	  {"80D6002004 00000000", "6985"},     /* now committed */
	  {NULL}}},
	{"full",
	 {{SELECT, "9000"},
	  {"80D603FC04 01020304", "9000"},
	  {"80D603FC05 0102030405", "6A84"},
	  {"80D603FF02 0102", "6A84"},
	  {"80D6040001 01", "6A84"},
	  {"80D6FFFF01 01", "6A84"},
	  {"80DA0000", "9000"},
	  {"00B003FC00", "01020304 6282"},
	  {NULL}}},
	{"abort, select and extended update",
	 {{SELECT, "9000"},
	  {"80D6000004 AABBCCDD", "9000"},
	  {"80DC0000", "9000"},
	  {"80DA0000", "9000"},
	  {"00B0000004", "00000000 9000"},
	  {"80D6000004 AABBCCDD", "9000"},
	  {SELECT, "9000"},
	  {"80DA0000", "9000"},
	  {"00B0000004", "00000000 9000"},
	  {"80D60000 000004 AABBCCDD", "9000"},
	  {"80D60004 000002 EEFF", "9000"},
	  {"80D60001 000001 11", "9000"}, /* later records win */
	  {"80DA0000", "9000"},
	  {"00B0000006", "AA11CCDDEEFF 9000"},
	  {"80D6000000 0000", "6700"}, /* extended case 2: no data */
	  {NULL}}},
	{"wipe",
	 {{SELECT, "9000"},
	  {"80D6000018" HEADER, "9000"},
	  {"80D6001804 01020304", "9000"},
	  {"80D6000404 0004FFFB", "9000"},
	  {"80DA0000", "9000"},
	  {"00CA000300", "000003E4 9000"},
	  {"80D6001C04 05060708", "9000"},
	  {"80DE0000", "9000"}, /* drops the open transaction too */
	  {"80DA0000", "9000"},
	  {"00B0000020", "0000000000000000000000000000000000000000000000000000000000000000 9000"},
	  {"00CA000300", "000003E8 9000"},
	  {"80D6000004 AABBCCDD", "9000"}, /* unformatted: anything goes */
	  {"80DA0000", "9000"},
	  {"00B0000004", "AABBCCDD 9000"},
	  {NULL}}},
};

/* Run every scenario of the table on a fresh applet. */
static void test_scenarios(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		struct fx *f = fresh();

		print_message("scenario: %s\n", scenarios[i].name);
		for (k = 0; scenarios[i].steps[k][0] != NULL; k++)
			step(f, scenarios[i].steps[k][0], scenarios[i].steps[k][1]);
		assert_int_equal(f->ram.bad, 0);
	}
}

/* Deselect (power off) forgets the selection and the open transaction. */
static void test_deselect(void **state)
{
	struct fx *f = fresh();

	(void)state;
	step(f, SELECT, "9000");
	step(f, "80D6000004 AABBCCDD", "9000");
	lm_applet_deselect(&f->a);
	step(f, "80DA0000", "6986");
	step(f, SELECT, "9000");
	step(f, "80DA0000", "9000");
	step(f, "00B0000004", "00000000 9000");
	/* a power cycle (init) also forgets it */
	step(f, "80D6000004 AABBCCDD", "9000");
	assert_int_equal(lm_applet_init(&f->a, &f->ram.nvm), 0);
	step(f, "80DA0000", "6986");
	step(f, SELECT, "9000");
	step(f, "80DA0000", "9000");
	step(f, "00B0000004", "00000000 9000");
}

/* Short Le 00 = 256, extended Le 0000 = 65536 (capped by the image), and a small resp_cap. */
static void test_read_lengths(void **state)
{
	struct fx *f = fresh();
	uint8_t apdu[8];

	(void)state;
	f->mem[J + 0] = 0x42;
	f->mem[J + CAP - 1] = 0x43;
	step(f, SELECT, "9000");
	assert_int_equal(xfer(f, apdu, unhex("00B0000000", apdu, sizeof(apdu))), 0x9000);
	assert_int_equal(f->resp_len, 256 + 2);
	assert_int_equal(f->resp[0], 0x42);
	assert_int_equal(xfer(f, apdu, unhex("00B00000000000", apdu, sizeof(apdu))), 0x6282);
	assert_int_equal(f->resp_len, CAP + 2);
	assert_int_equal(f->resp[CAP - 1], 0x43);
	assert_int_equal(xfer(f, apdu, unhex("00B00000000400", apdu, sizeof(apdu))), 0x9000);
	assert_int_equal(f->resp_len, CAP + 2);
	assert_int_equal(xfer(f, apdu, unhex("00B00001000400", apdu, sizeof(apdu))), 0x6282);
	assert_int_equal(f->resp_len, CAP - 1 + 2);
	/* a response buffer of 10 bytes: 8 data bytes, still 90 00 */
	unhex("00B0000010", apdu, sizeof(apdu));
	assert_int_equal(lm_applet_process(&f->a, apdu, 5, f->resp, 10), 10);
	assert_int_equal(f->resp[0], 0x42);
	assert_int_equal(f->resp[8], 0x90);
	assert_int_equal(lm_applet_process(&f->a, apdu, 5, f->resp, 1), 0);
	assert_int_equal(lm_applet_process(&f->a, apdu, 5, NULL, 10), 0);
	/* GET DATA with room for SW only */
	unhex("00CA000200", apdu, sizeof(apdu));
	assert_int_equal(lm_applet_process(&f->a, apdu, 5, f->resp, 4), 2);
	assert_int_equal(f->resp[0], 0x67);
	assert_int_equal(lm_applet_process(&f->a, NULL, 0, f->resp, 4), 2);
}

/* The journal holds 1016 record bytes: one record of 6 + 1010 fits, 1011 not. */
static void test_journal_full(void **state)
{
	static uint8_t apdu[7 + 1024];
	struct fx *f = fresh();

	(void)state;
	step(f, SELECT, "9000");
	memset(apdu, 0x5A, sizeof(apdu));
	unhex("80D60000 0003F3", apdu, 7); /* 1011 bytes */
	assert_int_equal(xfer(f, apdu, 7 + 1011), 0x6A84);
	unhex("80D60000 0003F2", apdu, 7); /* 1010 bytes */
	assert_int_equal(xfer(f, apdu, 7 + 1010), 0x9000);
	step(f, "80D6000001 01", "6A84"); /* no room for another record */
	step(f, "80DA0000", "9000");
	step(f, "00B003F004", "5A5A0000 9000");
	step(f, "80D6000001 01", "9000"); /* room again after COMMIT */
	/* a short-Lc chain of 255-byte records */
	step(f, "80DC0000", "9000");
	memset(apdu, 0x33, sizeof(apdu));
	unhex("80D60000FF", apdu, 5);
	assert_int_equal(xfer(f, apdu, 5 + 255), 0x9000);
	assert_int_equal(xfer(f, apdu, 5 + 255), 0x9000);
	assert_int_equal(xfer(f, apdu, 5 + 255), 0x9000);
	assert_int_equal(xfer(f, apdu, 5 + 255), 0x6A84); /* 3 * 261 + 261 > 1016 */
	step(f, "80DA0000", "9000");
	step(f, "00B000FE02", "335A 9000");
}

/* Too small or incomplete NVMs; NVM read failures give 65 81 and heal. */
static void test_nvm_failures(void **state)
{
	struct fx *f = fresh();
	struct lm_nvm small = f->ram.nvm;
	struct lm_applet a;
	uint8_t apdu[] = {0x00, 0xCA, 0x00, 0x01, 0x00}, resp[8];

	(void)state;
	small.size = J + LM_IMAGE_HEADER_SIZE - 1;
	assert_int_equal(lm_applet_init(&a, &small), -1);
	assert_int_equal(lm_applet_process(&a, apdu, sizeof(apdu), resp, sizeof(resp)), 2);
	assert_int_equal(resp[0], 0x65);
	small.size = J + CAP;
	small.write = NULL;
	assert_int_equal(lm_applet_init(&a, &small), -1);
	assert_int_equal(lm_applet_init(&a, NULL), -1);

	step(f, SELECT, "9000");
	f->ram.dead = 1;
	step(f, "00B0000004", "6581");
	step(f, "00CA000300", "6581");
	step(f, "80D6000004 01020304", "6581");
	step(f, "00CA000100", "6581"); /* recovery runs first and fails */
	lm_nvm_ram_power_on(&f->ram);
	step(f, "00CA000100", "010001 9000");
	step(f, "80D6000004 01020304", "9000");
	f->ram.fail_after = (long)f->ram.writes; /* the commit's first write fails */
	step(f, "80DA0000", "6581");
	lm_nvm_ram_power_on(&f->ram);
	step(f, "80DA0000", "9000"); /* the transaction was dropped */
	step(f, "00B0000004", "00000000 9000");
}

/*
 * Tear harness.  `setup` brings a fresh applet to the old image and returns
 * (after staging, when the operation is a COMMIT); `op` is the APDU whose NVM
 * writes are torn.  For every write index k and several prefix lengths, the
 * image after power-on must equal old or new; both outcomes must occur.
 */
typedef void (*tear_setup)(struct fx *f);

static uint8_t g_old[CAP], g_new[CAP];

/* Format the image and commit two entries: the old image of every tear test. */
static void setup_old(struct fx *f)
{
	step(f, SELECT, "9000");
	step(f, "80D6000018" HEADER, "9000");
	step(f, "80D6001808 1122334455667788", "9000");
	step(f, "80D6000404 0008FFF7", "9000");
	step(f, "80DA0000", "9000");
	step(f, "80D6002004 99AABBCC", "9000");
	step(f, "80D6000404 000CFFF3", "9000");
	step(f, "80DA0000", "9000");
}

/* The old image plus a staged append of 150 bytes in three records. */
static void setup_append(struct fx *f)
{
	static uint8_t apdu[5 + 100];
	size_t i;

	setup_old(f);
	for (i = 0; i < 100; i++)
		apdu[5 + i] = (uint8_t)(i * 7 + 1);
	unhex("80D6002464", apdu, 5); /* 100 bytes at 36 */
	assert_int_equal(xfer(f, apdu, sizeof(apdu)), 0x9000);
	unhex("80D6008832", apdu, 5); /* 50 bytes at 136 */
	assert_int_equal(xfer(f, apdu, 5 + 50), 0x9000);
	step(f, "80D6000404 00AAFF55", "9000"); /* 12 + 150 = 162 */
}

/* Capture the image as it is now. */
static void snap(const struct fx *f, uint8_t *img)
{
	memcpy(img, f->mem + J, CAP);
}

/*
 * Run `op` once without faults to learn the old image, the new image and the
 * number of NVM writes; then tear each write with each prefix length.  With
 * `retear`, when the first tear leaves a committed journal, also tear every
 * write of the recovery, power on again and require the new image.
 */
static void tear_all(tear_setup setup, const char *op, int retear)
{
	static const uint32_t prefixes[] = {0, 1, 2, 3, 5, 32, 63};
	struct fx *f;
	uint8_t apdu[16];
	size_t n = unhex(op, apdu, sizeof(apdu));
	unsigned long base, total, k;
	unsigned p, seen_old = 0, seen_new = 0;

	f = fresh();
	setup(f);
	snap(f, g_old);
	base = f->ram.writes;
	assert_int_equal(xfer(f, apdu, n), 0x9000);
	total = f->ram.writes - base;
	snap(f, g_new);
	assert_true(total > 2);
	assert_true(memcmp(g_old, g_new, CAP) != 0);

	for (k = 0; k < total; k++) {
		for (p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
			unsigned long k2, rec_writes;

			f = fresh();
			setup(f);
			f->ram.fail_after = (long)(f->ram.writes + k);
			f->ram.tear_bytes = prefixes[p];
			assert_int_equal(xfer(f, apdu, n), 0x6581);
			assert_true(f->ram.dead);
			lm_nvm_ram_power_on(&f->ram);
			base = f->ram.writes;
			assert_int_equal(lm_applet_init(&f->a, &f->ram.nvm), 0);
			rec_writes = f->ram.writes - base;
			if (memcmp(f->mem + J, g_old, CAP) == 0) {
				seen_old++;
			} else if (memcmp(f->mem + J, g_new, CAP) == 0) {
				seen_new++;
			} else {
				fail_msg("%s: tear at write %lu of %lu, prefix %u: image neither old nor new",
					 op, k + 1, total, prefixes[p]);
			}
			assert_int_equal(f->ram.bad, 0);
			if (!retear || rec_writes == 0 || p != 2)
				continue;
			/* a committed journal was replayed: tear the replay too */
			for (k2 = 0; k2 < rec_writes; k2++) {
				f = fresh();
				setup(f);
				f->ram.fail_after = (long)(f->ram.writes + k);
				f->ram.tear_bytes = prefixes[p];
				assert_int_equal(xfer(f, apdu, n), 0x6581);
				lm_nvm_ram_power_on(&f->ram);
				f->ram.fail_after = (long)(f->ram.writes + k2);
				f->ram.tear_bytes = 7;
				assert_int_equal(lm_applet_init(&f->a, &f->ram.nvm), -1);
				lm_nvm_ram_power_on(&f->ram);
				assert_int_equal(lm_applet_init(&f->a, &f->ram.nvm), 0);
				if (memcmp(f->mem + J, g_new, CAP) != 0)
					fail_msg("%s: tear at write %lu, recovery torn at %lu: not new",
						 op, k + 1, k2 + 1);
			}
		}
	}
	print_message("%s: %lu writes torn, %u old, %u new\n", op, total, seen_old, seen_new);
	assert_true(seen_old > 0);
	assert_true(seen_new > 0);
}

static void test_tear_commit(void **state)
{
	(void)state;
	tear_all(setup_append, "80DA0000", 1);
}

static void test_tear_wipe(void **state)
{
	(void)state;
	tear_all(setup_old, "80DE0000", 1);
	/* the new image of a WIPE is all zeros */
	for (size_t i = 0; i < CAP; i++)
		assert_int_equal(g_new[i], 0);
}

/* Tears in the staging UPDATEs: the transaction is lost, the image is old. */
static void test_tear_update(void **state)
{
	struct fx *f;
	unsigned long k;

	(void)state;
	f = fresh();
	setup_old(f);
	snap(f, g_old);
	for (k = 0; k < 2; k++) { /* an UPDATE makes 2 writes: record header, data */
		f = fresh();
		setup_old(f);
		f->ram.fail_after = (long)(f->ram.writes + k);
		f->ram.tear_bytes = 3;
		step(f, "80D6002404 01020304", "6581");
		lm_nvm_ram_power_on(&f->ram);
		assert_int_equal(lm_applet_init(&f->a, &f->ram.nvm), 0);
		assert_memory_equal(f->mem + J, g_old, CAP);
		step(f, SELECT, "9000");
		step(f, "80DA0000", "9000");
		assert_memory_equal(f->mem + J, g_old, CAP);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_deselect),
		cmocka_unit_test(test_read_lengths),
		cmocka_unit_test(test_journal_full),
		cmocka_unit_test(test_nvm_failures),
		cmocka_unit_test(test_tear_commit),
		cmocka_unit_test(test_tear_wipe),
		cmocka_unit_test(test_tear_update),
	};

	return cmocka_run_group_tests_name("applet", tests, NULL, NULL);
}
