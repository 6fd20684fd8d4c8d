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
 * (and the reference block of protected cards) is exactly the old or exactly
 * the new one.
 *
 * Protected cards: scenarios for VERIFY, CHANGE REFERENCE DATA and the
 * access checks; the retry counter across power cycles; a tear at every
 * write of VERIFY (right and wrong values), of a protected format, of a
 * change of reference and of a protected WIPE.
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

/*
 * Protected cards.  V2PUB: the 24 public bytes of a version 2 header (magic,
 * version 2, flags, salt, iterations / 1024, key check); V2HDR: the whole
 * 60-byte header with an empty log (commit word 0000FFFF, then 32 bytes
 * standing in for the encrypted holder id and recovery secret).
 */
#define V2PUB "4C4D0200 A0A1A2A3A4A5A6A7A8A9AAABACADAEAF 0085 C0C1"
#define V2HDR V2PUB "0000FFFF E0E1E2E3E4E5E6E7E8E9EAEBECEDEEEF F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF"
#define FORMAT2 "80D600003C" V2HDR /* stage the version 2 header */
#define REF_OK "00112233445566778899AABBCCDDEEFF"
#define REF_BAD "00112233445566778899AABBCCDDEEFE" /* the last bit differs */
#define REF_NEW "0F1E2D3C4B5A69788796A5B4C3D2E1F0"
#define VERIFY "0020008110"   /* + 16 bytes */
#define STATUS "00200081"     /* VERIFY without data: the status */
#define CHANGE_REF "0024018110" /* + 16 bytes: staged new reference */
#define COMMIT "80DA0000"
#define WIPE "80DE0000"
/* Scenario steps: protect a blank card, then start a new session. */
#define PROTECTED \
	{SELECT, "9000"}, {FORMAT2, "9000"}, {CHANGE_REF REF_OK, "9000"}, {COMMIT, "9000"}, \
		{SELECT, "9000"}

struct scenario {
	const char *name;
	const char *steps[48][2]; /* {apdu, response}, ended by {NULL} */
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
	  {"0022000000", "6D00"},
	  {"8020008100", "6E00"}, /* VERIFY is CLA 00 */
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
	  {"00CA00050000", "6700"},
	  {"00CA000500", "6A88"},
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
	  {"00CA000100", "010102 9000"}, /* applet 1.1, image formats up to 2 */
	  {"00CA0001", "010102 9000"},
	  {"00CA000103", "010102 9000"},
	  {"00CA0001000000", "010102 9000"}, /* extended Le 65536 */
	  {"00CA0001000003", "010102 9000"},
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
	{"protect a blank card, then a new session",
	 {{SELECT, "9000"},
	  {STATUS, "6A88"}, /* no reference: an unprotected card */
	  {FORMAT2, "9000"},
	  {CHANGE_REF REF_OK, "9000"},
	  {STATUS, "6A88"}, /* staged only */
	  {COMMIT, "9000"}, /* header and reference land together */
	  {STATUS, "9000"}, /* the session that set it is verified */
	  {"00B0001804", "0000FFFF 9000"},
	  {"00CA000300", "000003C4 9000"}, /* 1024 - 60 */
	  {SELECT, "9000"},     /* a new session */
	  {STATUS, "63C5"},
	  {"00B0000018", V2PUB "9000"}, /* the public header */
	  {"00B0000010", "4C4D0200A0A1A2A3A4A5A6A7A8A9AAAB 9000"},
	  {"00B0001008", "ACADAEAF0085C0C1 9000"}, /* up to the last public byte */
	  {"00B0000019", "6982"},       /* one byte too many */
	  {"00B0001804", "6982"},       /* the commit word */
	  {"00B0000000", "6982"},
	  {"00B003FF01", "6982"},
	  {"00B0040001", "6B00"},       /* beyond the image: offset first */
	  {"00B00000", "6700"},         /* lengths before access */
	  {"00CA000200", "00000400 9000"}, /* capacity is public */
	  {"00CA000100", "010102 9000"},   /* so is the version */
	  {"00CA000300", "6982"},          /* free bytes tell the commit word */
	  {"80D6003C04 01020304", "6982"},
	  {"80D6001804 0004FFFB", "6982"},
	  {COMMIT, "6982"},
	  {WIPE, "6982"},
	  {"80DC0000", "9000"},            /* ABORT touches nothing */
	  {CHANGE_REF REF_NEW, "6982"},
	  {VERIFY REF_BAD, "63C4"},
	  {STATUS, "63C4"},
	  {VERIFY REF_OK, "9000"},         /* and the tries are back */
	  {STATUS, "9000"},
	  {"00B0001804", "0000FFFF 9000"},
	  {"00CA000300", "000003C4 9000"},
	  {"80D6003C04 01020304", "9000"},
	  {"80D6001804 0004FFFB", "9000"},
	  {COMMIT, "9000"},
	  {"00B0001828", "0004FFFB E0E1E2E3E4E5E6E7E8E9EAEBECEDEEEF"
			 "F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF 01020304 9000"},
	  {NULL}}},
	{"retry counter: five wrong values block the card, a blocked card can only be wiped",
	 {PROTECTED,
	  {VERIFY REF_BAD, "63C4"},
	  {VERIFY REF_BAD, "63C3"},
	  {VERIFY REF_BAD, "63C2"},
	  {VERIFY REF_BAD, "63C1"},
	  {STATUS, "63C1"},                /* a status costs no try */
	  {VERIFY REF_OK, "9000"},         /* resets the counter */
	  {STATUS, "9000"},
	  {SELECT, "9000"},
	  {STATUS, "63C5"},
	  {VERIFY REF_BAD, "63C4"},
	  {VERIFY REF_BAD, "63C3"},
	  {VERIFY REF_BAD, "63C2"},
	  {VERIFY REF_BAD, "63C1"},
	  {VERIFY REF_BAD, "6983"},        /* the last try */
	  {STATUS, "6983"},
	  {VERIFY REF_OK, "6983"},         /* even the right value */
	  {"00B0001804", "6982"},
	  {"00B0000018", V2PUB "9000"},    /* the public header stays readable */
	  {CHANGE_REF REF_NEW, "6982"},
	  {"80D6003C04 01020304", "6982"},
	  {WIPE, "9000"},                  /* blocked: wiping is all that is left */
	  {STATUS, "6A88"},                /* blank and unprotected */
	  {"00B0000020", "0000000000000000000000000000000000000000000000000000000000000000 9000"},
	  {"00CA000300", "000003E8 9000"},
	  {NULL}}},
	{"VERIFY and CHANGE REFERENCE DATA: parameters and lengths",
	 {PROTECTED,
	  {"0020018110" REF_OK, "6A86"},   /* P1 */
	  {"0020008010" REF_OK, "6A86"},   /* P2: another reference */
	  {"00200080", "6A86"},
	  {"002000810F 00112233445566778899AABBCCDDEE", "6700"}, /* 15 bytes */
	  {"0020008111 00112233445566778899AABBCCDDEEFF00", "6700"},
	  {"0020008110" REF_OK "00", "6700"}, /* case 4 */
	  {"0020008100", "6700"},          /* case 2 */
	  {"0020008110 0011", "6700"},     /* Lc says 16, 2 bytes */
	  {STATUS, "63C5"},                /* none of them cost a try */
	  {"0024008110" REF_NEW, "6A86"},  /* P1 00 (old and new value) is not offered */
	  {"0024018210" REF_NEW, "6A86"},
	  {"00240181", "6700"},
	  {"002401810F 0F1E2D3C4B5A69788796A5B4C3D2E1", "6700"},
	  {"0024018110" REF_NEW "00", "6700"},
	  {"8024018110" REF_NEW, "6E00"},
	  {STATUS, "63C5"},
	  {NULL}}},
	{"VERIFY and CHANGE REFERENCE DATA need a SELECT",
	 {{"00200081", "6986"},
	  {VERIFY REF_OK, "6986"},
	  {CHANGE_REF REF_OK, "6986"},
	  {NULL}}},
	{"change the reference in a verified session",
	 {PROTECTED,
	  {VERIFY REF_BAD, "63C4"},
	  {VERIFY REF_OK, "9000"},
	  {CHANGE_REF REF_NEW, "9000"},
	  {"80DC0000", "9000"},            /* ABORT drops it */
	  {COMMIT, "9000"},
	  {SELECT, "9000"},
	  {VERIFY REF_NEW, "63C4"},
	  {VERIFY REF_OK, "9000"},
	  {CHANGE_REF REF_NEW, "9000"},
	  {SELECT, "9000"},                /* so does a SELECT */
	  {VERIFY REF_OK, "9000"},
	  {CHANGE_REF REF_NEW, "9000"},
	  {CHANGE_REF REF_BAD, "9000"},    /* the later record wins */
	  {CHANGE_REF REF_NEW, "9000"},
	  {COMMIT, "9000"},
	  {STATUS, "9000"},
	  {SELECT, "9000"},
	  {STATUS, "63C5"},                /* full tries for the new value */
	  {VERIFY REF_OK, "63C4"},
	  {VERIFY REF_NEW, "9000"},
	  {NULL}}},
	{"a wrong value ends the verified state",
	 {{SELECT, "9000"},
	  {FORMAT2, "9000"},
	  {CHANGE_REF REF_OK, "9000"},
	  {COMMIT, "9000"},
	  {"80D6003C04 01020304", "9000"},
	  {"80D6001804 0004FFFB", "9000"},
	  {VERIFY REF_BAD, "63C4"},
	  {COMMIT, "6982"},                /* the staged append cannot land */
	  {"00B0001804", "6982"},
	  {VERIFY REF_OK, "9000"},
	  {COMMIT, "9000"},
	  {"00B0001804", "0004FFFB 9000"},
	  {NULL}}},
	{"WIPE after VERIFY: blank, unprotected",
	 {PROTECTED,
	  {VERIFY REF_OK, "9000"},
	  {WIPE, "9000"},
	  {STATUS, "6A88"},
	  {SELECT, "9000"},
	  {STATUS, "6A88"},
	  {"00B0000020", "0000000000000000000000000000000000000000000000000000000000000000 9000"},
	  {CHANGE_REF REF_NEW, "9000"},    /* protect it again: no VERIFY needed */
	  {COMMIT, "9000"},
	  {SELECT, "9000"},
	  {STATUS, "63C5"},
	  {NULL}}},
	{"version 1 cards: no reference, and none can be set",
	 {{SELECT, "9000"},
	  {"80D6000018" HEADER, "9000"},
	  {COMMIT, "9000"},
	  {STATUS, "6A88"},
	  {VERIFY REF_OK, "6A88"},
	  {CHANGE_REF REF_OK, "6985"},     /* its public bytes hold the holder id */
	  {"00B0000020", "4C4D01000000FFFF000102030405060708090A0B0C0D0E0F0000000000000000 9000"},
	  {"00CA000300", "000003E8 9000"},
	  {WIPE, "9000"},
	  {CHANGE_REF REF_OK, "9000"},     /* wiped first: fine */
	  {NULL}}},
	{"version 2 images are append-only too (here without a reference)",
	 {{SELECT, "9000"},
	  {FORMAT2, "9000"},
	  {COMMIT, "9000"},
	  {STATUS, "6A88"},
	  {"00B0001804", "0000FFFF 9000"}, /* no reference: all public */
	  {"00CA000300", "000003C4 9000"},
	  {"80D6000001 4D", "6985"},
	  {"80D6000401 00", "6985"},          /* the salt */
	  {"80D6000404 0000FFFF", "6985"},    /* the version 1 commit word place */
	  {"80D6003B01 00", "6985"},          /* the last header byte */
	  {"80D6001804 0008FFF7", "9000"},    /* the version 2 commit word */
	  {"80D6001804 0004FFFF", "6985"},    /* bad complement */
	  {"80D6001802 0008", "6985"},
	  {"80D6001804 03C5FC3A", "6A84"},    /* 965 > 1024 - 60 */
	  {"80D6003C08 1122334455667788", "9000"},
	  {COMMIT, "9000"},
	  {"00CA000300", "000003BC 9000"},
	  {"80D6004301 00", "6985"},          /* the last committed byte */
	  {"80D6004401 00", "9000"},          /* the first free one */
	  {"80D6001804 0004FFFB", "6985"},    /* shrink */
	  {"80DC0000", "9000"},
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

/*
 * The journal holds 960 record bytes (1024 - 8 - the 36-byte log digest
 * block - the 20-byte reference block), of which every transaction keeps
 * 42 for its digest record: one record of 6 + 912 fits, 913 not.
 */
static void test_journal_full(void **state)
{
	static uint8_t apdu[7 + 1024];
	struct fx *f = fresh();

	(void)state;
	step(f, SELECT, "9000");
	memset(apdu, 0x5A, sizeof(apdu));
	unhex("80D60000 000391", apdu, 7); /* 913 bytes */
	assert_int_equal(xfer(f, apdu, 7 + 913), 0x6A84);
	unhex("80D60000 000390", apdu, 7); /* 912 bytes */
	assert_int_equal(xfer(f, apdu, 7 + 912), 0x9000);
	step(f, "80D6000001 01", "6A84"); /* no room for another record */
	step(f, "80DA0000", "9000");
	step(f, "00B0038E04", "5A5A0000 9000"); /* 912 = 0x390 bytes from 0 */
	step(f, "80D6000001 01", "9000"); /* room again after COMMIT */
	/* a short-Lc chain of 255-byte records */
	step(f, "80DC0000", "9000");
	memset(apdu, 0x33, sizeof(apdu));
	unhex("80D60000FF", apdu, 5);
	assert_int_equal(xfer(f, apdu, 5 + 255), 0x9000);
	assert_int_equal(xfer(f, apdu, 5 + 255), 0x9000);
	assert_int_equal(xfer(f, apdu, 5 + 255), 0x9000);
	assert_int_equal(xfer(f, apdu, 5 + 255), 0x6A84); /* 4 * 261 > 918 */
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
	step(f, "00CA000100", "010102 9000");
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
 * reference block and the image after power-on must equal old or new; both
 * outcomes must occur.
 */
typedef void (*tear_setup)(struct fx *f);

/*
 * What a tear must leave exactly old or new: the reference block and the
 * image, which lie back to back in the NVM (LM_APPLET_REF_OFFSET ..).
 */
#define R LM_APPLET_REF_OFFSET
/* What a tear must leave old or new: the log digest block, the reference
 * block and the image (contiguous in the NVM). */
#define S LM_APPLET_DIGEST_OFFSET
#define D_ LM_APPLET_DIGEST_SIZE /* the reference block in a state snapshot */
#define STATE_LEN (LM_APPLET_DIGEST_SIZE + LM_APPLET_REF_SIZE + CAP)

static uint8_t g_old[STATE_LEN], g_new[STATE_LEN];

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

/* Capture the reference block and the image as they are now. */
static void snap(const struct fx *f, uint8_t *img)
{
	memcpy(img, f->mem + S, STATE_LEN);
}

/*
 * Run `op` once without faults to learn the old image, the new image and the
 * number of NVM writes; then tear each write with each prefix length.  With
 * `retear`, when the first tear leaves a committed journal, also tear every
 * write of the recovery, power on again and require the new image.  Returns
 * the number of writes of `op`.
 */
static unsigned long tear_all(tear_setup setup, const char *op, int retear)
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
	assert_true(memcmp(g_old, g_new, STATE_LEN) != 0);

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
			if (memcmp(f->mem + S, g_old, STATE_LEN) == 0) {
				seen_old++;
			} else if (memcmp(f->mem + S, g_new, STATE_LEN) == 0) {
				seen_new++;
			} else {
				fail_msg("%s: tear at write %lu of %lu, prefix %u: neither old nor new",
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
				if (memcmp(f->mem + S, g_new, STATE_LEN) != 0)
					fail_msg("%s: tear at write %lu, recovery torn at %lu: not new",
						 op, k + 1, k2 + 1);
			}
		}
	}
	print_message("%s: %lu writes torn, %u old, %u new\n", op, total, seen_old, seen_new);
	assert_true(seen_old > 0);
	assert_true(seen_new > 0);
	return total;
}

/*
 * GET DATA 0004, the card's state: capacity, the header, and the committed
 * log's digest block: length and digest zero on a blank card;
 * a commit that grows the log from a to b bytes makes the chain
 * SHA-256(chain || log[a..b)), starting from 32 zero bytes (values from
 * Python's hashlib); WIPE zeroes it; a block out of step with the commit
 * word (a card from before the block) starts afresh over the whole log.
 */
#define D1 "E5B6C80942C70BBAB81871B896F7DEBBB761C6DC91E6054CC7C91AE8408815A9"
#define D2 "4474BD0FCF7ACED4E59C653A776FBF7DB95D47D5FD34D47AE4AC221E04F34F43"
#define ZERO32 "0000000000000000000000000000000000000000000000000000000000000000"
#define ZERO24 "000000000000000000000000000000000000000000000000"
#define CAP_HEX "00000400" /* the capacity, then the header, then the digest block */
#define HDR(commit) "4C4D0100" #commit "000102030405060708090A0B0C0D0E0F"
static void test_log_digest(void **state)
{
	struct fx *f = fresh();

	(void)state;
	step(f, SELECT, "9000");
	step(f, "00CA000400", CAP_HEX ZERO24 "00000000" ZERO32 " 9000");
	step(f, "00CA00043F", "6700"); /* Le below 64 */
	setup_old(f);		       /* 8 bytes in the format's commit, then 4 */
	step(f, "00CA000400", CAP_HEX HDR(000CFFF3) "000C0000" D2 " 9000");
	step(f, "80DE0000", "9000");
	step(f, "00CA000400", CAP_HEX ZERO24 "00000000" ZERO32 " 9000");
	f = fresh();
	step(f, SELECT, "9000");
	step(f, "80D6000018" HEADER, "9000");
	step(f, "80D6001808 1122334455667788", "9000");
	step(f, "80D6000404 0008FFF7", "9000");
	step(f, "80DA0000", "9000");
	step(f, "00CA000400", CAP_HEX HDR(0008FFF7) "00080000" D1 " 9000");
	f->mem[S] = 0x77; /* out of step */
	step(f, "80D6002004 99AABBCC", "9000");
	step(f, "80D6000404 000CFFF3", "9000");
	step(f, "80DA0000", "9000");
	step(f, "00CA000400", CAP_HEX HDR(000CFFF3) "000C0000"
			      "29AB695FB30BC631C213302D0F2B4F18C95B3EBC739E35323DDB2CB3E8EFCEB1"
			      " 9000");
	/* A blank card given a header whose commit word claims more than the
	 * card holds (any write is allowed on an unformatted image): no chain,
	 * and nothing read beyond the NVM (found by fuzz_applet). */
	f = fresh();
	step(f, SELECT, "9000");
	step(f, "80D6000018 4C4D0100 FFFC0003 000102030405060708090A0B0C0D0E0F", "9000");
	step(f, "80DA0000", "9000");
	step(f, "00CA000400", CAP_HEX HDR(FFFC0003) "00000000" ZERO32 " 9000");
	assert_int_equal(f->ram.bad, 0);
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
	for (size_t i = 0; i < STATE_LEN; i++)
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
		assert_memory_equal(f->mem + S, g_old, STATE_LEN);
		step(f, SELECT, "9000");
		step(f, "80DA0000", "9000");
		assert_memory_equal(f->mem + S, g_old, STATE_LEN);
	}
}

/* Protect a blank card (format version 2 and the reference in one COMMIT). */
static void protect(struct fx *f)
{
	step(f, SELECT, "9000");
	step(f, FORMAT2, "9000");
	step(f, CHANGE_REF REF_OK, "9000");
	step(f, COMMIT, "9000");
}

/* The verified state ends with the session: SELECT, power off or reset, power cycle. */
static void test_protect_session(void **state)
{
	struct fx *f = fresh();

	(void)state;
	protect(f);
	step(f, "00B0001804", "0000FFFF 9000");
	lm_applet_deselect(&f->a); /* lm-vcard: power off, power on or reset */
	step(f, SELECT, "9000");
	step(f, "00B0001804", "6982");
	step(f, VERIFY REF_OK, "9000");
	step(f, "00B0001804", "0000FFFF 9000");
	assert_int_equal(lm_applet_init(&f->a, &f->ram.nvm), 0); /* power cycle */
	step(f, SELECT, "9000");
	step(f, STATUS, "63C5");
	step(f, "00B0001804", "6982");
	step(f, VERIFY REF_OK, "9000");
	step(f, "00A404000AF04C4155464D4150504F", "6A82"); /* another AID */
	step(f, SELECT, "9000");
	step(f, "00B0001804", "6982");
	step(f, VERIFY REF_OK, "9000");
	step(f, SELECT, "9000"); /* our own AID again */
	step(f, "00B0001804", "6982");
	assert_int_equal(f->ram.bad, 0);
}

/* Wrong values count across power cycles; five block the card for good. */
static void test_blocked_power_cycles(void **state)
{
	static const char *const want[] = {"63C4", "63C3", "63C2", "63C1", "6983"};
	struct fx *f = fresh();
	size_t i;

	(void)state;
	protect(f);
	for (i = 0; i < 5; i++) {
		assert_int_equal(lm_applet_init(&f->a, &f->ram.nvm), 0);
		step(f, SELECT, "9000");
		step(f, VERIFY REF_BAD, want[i]);
		lm_applet_deselect(&f->a);
	}
	assert_int_equal(f->mem[R + 1], 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(lm_applet_init(&f->a, &f->ram.nvm), 0);
		step(f, SELECT, "9000");
		step(f, STATUS, "6983");
		step(f, VERIFY REF_OK, "6983");
		step(f, "00B0001804", "6982");
	}
	/* a tries byte that does not hold a count (NVM rot) reads as blocked */
	f = fresh();
	protect(f);
	f->mem[R + 1] = 0x06;
	step(f, SELECT, "9000");
	step(f, STATUS, "6983");
	step(f, VERIFY REF_OK, "6983");
}

/* A protected card after two wrong values (3 tries left), in a new session. */
static void setup_three_tries(struct fx *f)
{
	protect(f);
	step(f, SELECT, "9000");
	step(f, VERIFY REF_BAD, "63C4");
	step(f, VERIFY REF_BAD, "63C3");
}

/*
 * A tear at each NVM write of VERIFY, right and wrong values, with 0 or 1
 * byte landing: no verdict is answered (65 81), and after power-on the
 * tries are the count before or one less (or, at the right value's second
 * write, one less or all), the reference is unchanged and the session is
 * not verified: a card pulled during VERIFY never gives a free try.  The
 * first write of every VERIFY is the decrement: with it landed, the count
 * is one less whether or not the value was right.
 */
static void test_tear_verify(void **state)
{
	static const char *const values[] = {VERIFY REF_BAD, VERIFY REF_OK};
	uint8_t block[LM_APPLET_REF_SIZE], apdu[32];
	size_t v, n;

	(void)state;
	for (v = 0; v < 2; v++) {
		struct fx *f = fresh();
		unsigned long base, total, k;
		unsigned p;

		setup_three_tries(f);
		base = f->ram.writes;
		n = unhex(values[v], apdu, sizeof(apdu));
		assert_int_equal(xfer(f, apdu, n), v ? 0x9000 : 0x63C2);
		total = f->ram.writes - base;
		assert_true(total >= 1);
		for (k = 0; k < total; k++) {
			for (p = 0; p < 2; p++) {
				unsigned want;
				char sw[8];

				f = fresh();
				setup_three_tries(f);
				memcpy(block, f->mem + R, sizeof(block));
				f->ram.fail_after = (long)(f->ram.writes + k);
				f->ram.tear_bytes = p;
				assert_int_equal(xfer(f, apdu, n), 0x6581);
				lm_nvm_ram_power_on(&f->ram);
				assert_int_equal(lm_applet_init(&f->a, &f->ram.nvm), 0);
				if (k == 0)
					want = p ? 2 : 3;
				else
					want = p ? LM_REF_TRIES : 2;
				if (f->mem[R + 1] != want)
					fail_msg("%s torn at write %lu, %u bytes: %u tries, want %u",
						 values[v], k + 1, p, f->mem[R + 1], want);
				block[1] = (uint8_t)want;
				assert_memory_equal(f->mem + R, block, sizeof(block));
				step(f, SELECT, "9000");
				snprintf(sw, sizeof(sw), "63C%u", want);
				step(f, STATUS, sw);
				step(f, "00B0001804", "6982");
			}
		}
		print_message("%s: %lu writes torn, tries never restored without a verdict\n",
			      values[v], total);
		assert_int_equal(total, v ? 2 : 1); /* decrement (and restore) only */
	}
}

/* A blank card with a protected format staged: header and reference. */
static void setup_protect_staged(struct fx *f)
{
	step(f, SELECT, "9000");
	step(f, FORMAT2, "9000");
	step(f, CHANGE_REF REF_OK, "9000");
}

/* A protected card with one entry, in a verified session. */
static void setup_protected(struct fx *f)
{
	protect(f);
	step(f, "80D6003C08 1122334455667788", "9000");
	step(f, "80D6001804 0008FFF7", "9000");
	step(f, COMMIT, "9000");
	step(f, SELECT, "9000");
	step(f, VERIFY REF_BAD, "63C4");
	step(f, VERIFY REF_OK, "9000");
}

/* ... with a new reference staged. */
static void setup_change_staged(struct fx *f)
{
	setup_protected(f);
	step(f, CHANGE_REF REF_NEW, "9000");
}

/* Protecting a blank card lands all or nothing: blank and unprotected, or both. */
static void test_tear_protect(void **state)
{
	(void)state;
	tear_all(setup_protect_staged, COMMIT, 1);
	assert_int_equal(g_old[D_ + 0], 0);         /* no reference */
	assert_int_equal(g_new[D_ + 0], 0xC3);      /* a reference, */
	assert_int_equal(g_new[D_ + 1], LM_REF_TRIES); /* full tries, */
	assert_int_equal(g_new[D_ + LM_APPLET_REF_SIZE + 2], 2); /* a version 2 image */
}

/*
 * A change of reference: a tear at any write of its staging or its COMMIT
 * leaves the old or the new reference, never none; afterwards exactly one
 * of the two values verifies.
 */
static void test_tear_change_ref(void **state)
{
	struct fx *f;
	unsigned long k, total;

	(void)state;
	total = tear_all(setup_change_staged, COMMIT, 1);
	assert_int_equal(g_old[D_ + 0], 0xC3);
	assert_int_equal(g_new[D_ + 0], 0xC3);
	assert_memory_not_equal(g_old + D_ + 4, g_new + D_ + 4, LM_REF_LEN);
	assert_memory_equal(g_old + D_ + LM_APPLET_REF_SIZE, g_new + D_ + LM_APPLET_REF_SIZE, CAP);
	/* the staging write itself: the reference stays old */
	for (k = 0; k < 3; k++) {
		f = fresh();
		setup_protected(f);
		snap(f, g_old);
		f->ram.fail_after = (long)f->ram.writes;
		f->ram.tear_bytes = (uint32_t)(k * 13);
		step(f, CHANGE_REF REF_NEW, "6581");
		lm_nvm_ram_power_on(&f->ram);
		assert_int_equal(lm_applet_init(&f->a, &f->ram.nvm), 0);
		assert_memory_equal(f->mem + S, g_old, STATE_LEN);
		step(f, SELECT, "9000");
		step(f, COMMIT, "6982");
		step(f, VERIFY REF_NEW, "63C4");
		step(f, VERIFY REF_OK, "9000");
	}
	/* and from either outcome of a torn COMMIT, one value verifies */
	for (k = 0; k < total; k++) {
		f = fresh();
		setup_change_staged(f);
		f->ram.fail_after = (long)(f->ram.writes + k);
		f->ram.tear_bytes = 1;
		step(f, COMMIT, "6581");
		lm_nvm_ram_power_on(&f->ram);
		assert_int_equal(lm_applet_init(&f->a, &f->ram.nvm), 0);
		step(f, SELECT, "9000");
		step(f, STATUS, "63C5");
		if (memcmp(f->mem + R + 4, g_new + LM_APPLET_DIGEST_SIZE + 4, LM_REF_LEN) == 0) {
			step(f, VERIFY REF_OK, "63C4");
			step(f, VERIFY REF_NEW, "9000");
		} else {
			step(f, VERIFY REF_NEW, "63C4");
			step(f, VERIFY REF_OK, "9000");
		}
		step(f, "00B0003C08", "1122334455667788 9000");
	}
}

/* WIPE of a protected card: old (protected, with its entry) or blank and unprotected. */
static void test_tear_wipe_protected(void **state)
{
	size_t i;

	(void)state;
	tear_all(setup_protected, WIPE, 1);
	assert_int_equal(g_old[D_ + 0], 0xC3);
	for (i = 0; i < STATE_LEN; i++)
		assert_int_equal(g_new[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_deselect),
		cmocka_unit_test(test_read_lengths),
		cmocka_unit_test(test_journal_full),
		cmocka_unit_test(test_log_digest),
		cmocka_unit_test(test_nvm_failures),
		cmocka_unit_test(test_tear_commit),
		cmocka_unit_test(test_tear_wipe),
		cmocka_unit_test(test_tear_update),
		cmocka_unit_test(test_protect_session),
		cmocka_unit_test(test_blocked_power_cycles),
		cmocka_unit_test(test_tear_verify),
		cmocka_unit_test(test_tear_protect),
		cmocka_unit_test(test_tear_change_ref),
		cmocka_unit_test(test_tear_wipe_protected),
	};

	return cmocka_run_group_tests_name("applet", tests, NULL, NULL);
}
