/*
 * fuzz_applet.c - libFuzzer target for the card applet (firmware/applet).
 *
 * Input: two bytes of fault plan, then a stream of APDUs.
 *   d[0]  index of the NVM write at which the power is cut (0xFF: never)
 *   d[1]  how many bytes of that write land
 *   then records: L = 0: power off (deselect); L = 0xFF: a 2-byte big-endian
 *   length follows; else L is the length; then that many APDU bytes (cut
 *   short at the end of the input).
 *
 * Two applets run the stream side by side: one on an NVM that tears at the
 * planned write, its twin on a faultless NVM.  Checks (abort on failure):
 * every response is 2 .. cap bytes; no NVM access outside the memory; both
 * give the same answers until the tear; after the tear and a power-on the
 * torn card's image is exactly the image before that APDU or the twin's image
 * after it.  Then the twin takes the torn card's memory and the stream goes on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lm_applet.h"
#include "lm_nvm_ram.h"

#define CAP 2048u
#define MEM (LM_APPLET_JOURNAL_SIZE + CAP)
#define RESP_CAP 4096u

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static uint8_t g_mem[2][MEM];
static uint8_t g_before[CAP];
static uint8_t g_resp[2][RESP_CAP];

/* Abort unless cond holds: the fuzzer reports the input. */
static void check(int cond)
{
	if (!cond)
		abort();
}

/* Process one APDU on applet a; returns the response length (checked). */
static size_t run(struct lm_applet *a, const uint8_t *apdu, size_t len, uint8_t *resp)
{
	size_t r = lm_applet_process(a, apdu, len, resp, RESP_CAP);

	check(r >= 2 && r <= RESP_CAP);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct lm_nvm_ram ram[2];
	struct lm_applet a[2];
	size_t pos = 2;
	int torn = 0;

	if (n < 2)
		return 0;
	memset(g_mem, 0, sizeof(g_mem));
	lm_nvm_ram_init(&ram[0], g_mem[0], MEM);
	lm_nvm_ram_init(&ram[1], g_mem[1], MEM);
	if (d[0] != 0xFF) {
		ram[0].fail_after = d[0];
		ram[0].tear_bytes = d[1];
	}
	check(lm_applet_init(&a[0], &ram[0].nvm) == 0);
	check(lm_applet_init(&a[1], &ram[1].nvm) == 0);

	while (pos < n) {
		size_t len = d[pos++], r0, r1;
		const uint8_t *apdu;

		if (len == 0) {
			lm_applet_deselect(&a[0]);
			lm_applet_deselect(&a[1]);
			continue;
		}
		if (len == 0xFF) {
			if (n - pos < 2)
				break;
			len = (size_t)d[pos] << 8 | d[pos + 1];
			pos += 2;
		}
		if (len > n - pos)
			len = n - pos;
		apdu = d + pos;
		pos += len;

		memcpy(g_before, g_mem[0] + LM_APPLET_JOURNAL_SIZE, CAP);
		r0 = run(&a[0], apdu, len, g_resp[0]);
		r1 = run(&a[1], apdu, len, g_resp[1]);
		if (torn || !ram[0].dead) {
			check(r0 == r1 && memcmp(g_resp[0], g_resp[1], r0) == 0);
			continue;
		}
		/* the power was cut in this APDU: power on and compare */
		torn = 1;
		lm_nvm_ram_power_on(&ram[0]);
		check(lm_applet_init(&a[0], &ram[0].nvm) == 0);
		check(memcmp(g_mem[0] + LM_APPLET_JOURNAL_SIZE, g_before, CAP) == 0 ||
		      memcmp(g_mem[0] + LM_APPLET_JOURNAL_SIZE, g_mem[1] + LM_APPLET_JOURNAL_SIZE,
			     CAP) == 0);
		memcpy(g_mem[1], g_mem[0], MEM);
		check(lm_applet_init(&a[1], &ram[1].nvm) == 0);
	}
	check(ram[0].bad == 0 && ram[1].bad == 0);
	return 0;
}
