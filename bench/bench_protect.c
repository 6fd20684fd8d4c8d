/*
 * bench_protect.c - what protected cards (format version 2) cost, on this
 * machine (run on demand: build/bench/bench_protect, printed by
 * bench/run.sh).  No assertions.
 *
 *   - the calibrated PBKDF2 count (about 100 ms) and derivations per second
 *     at that count, one core (all times are CPU time of one thread);
 *   - one protected read: derive + decrypt, for a full NTAG216 and a full
 *     8 KB applet image (and the decryption alone);
 *   - typical entries per NTAG213/215/216 and applet, version 1 vs 2;
 *   - the offline guessing cost of the access code: expected time at this
 *     machine's rate (one core, and all cores), and on paper for a GPU.
 *
 * The GPU figure is hashcat 6.2.6's benchmark of mode 10900
 * (PBKDF2-HMAC-SHA256, "Iterations: 999", i.e. 1000) on one RTX 4090:
 * 8865.7 kH/s (Chick3nman's published run,
 * https://gist.github.com/Chick3nman/32e662a5bb63bc4f51b847bb422222fd),
 * about 8.87e9 PBKDF2 iterations per second.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cardcmd.h"
#include "laufmappe/lm_card.h"
#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_protect.h"
#include "laufmappe/lm_transport.h"

#define GPU_ITER_PER_S (8865.7e3 * 1000.0) /* RTX 4090, hashcat mode 10900 */
#define APPLET_IMAGE   8192		    /* lm-vcard's default image */

/* Thread CPU time: the cost of the work itself, on a machine others share. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *span(double s, char *buf, size_t n)
{
	const double year = 365.25 * 86400;
	if (s < 1)
		snprintf(buf, n, "%.1f ms", s * 1e3);
	else if (s < 86400)
		snprintf(buf, n, "%.1f s", s);
	else if (s < year)
		snprintf(buf, n, "%.1f days", s / 86400);
	else
		snprintf(buf, n, "%.3g years", s / year);
	return buf;
}

/* A full protected image of cap bytes: typical IK entries until it is full. */
static int fill(uint8_t *img, size_t cap, const char *code, uint32_t iter, const uint8_t *entry,
		size_t elen, int *entries)
{
	static const uint8_t holder[LM_HOLDER_LEN] = {0xa1};
	struct lm_protect_plan *p = malloc(sizeof(*p));
	uint8_t *plain = malloc(cap);
	struct lm_protect_keys k;
	struct lm_card c;
	int err = p && plain ? LM_OK : LM_ERR_NOMEM;
	if (!err)
		err = lm_protect_plan_format(cap, holder, code, NULL, iter, p, &k, NULL);
	if (!err)
		err = lm_card_apply(img, cap, &p->card);
	*entries = 0;
	while (!err) {
		err = lm_protect_open(img, cap, cap, &k, plain, &c, NULL);
		if (!err)
			err = lm_protect_plan_append(&c, &k, entry, elen, p);
		if (!err)
			err = lm_card_apply(img, cap, &p->card);
		*entries += !err;
	}
	lm_protect_keys_wipe(&k);
	free(p);
	free(plain);
	return err == LM_ERR_CARD_FULL ? LM_OK : err;
}

int main(void)
{
	struct lm_key *key;
	uint8_t holder[LM_HOLDER_LEN] = {0xa1}, entry[LM_ENTRY_MAX];
	size_t elen;
	struct lm_entry e;
	lm_entry_init(&e, LM_TYPE_IK, 20781);
	lm_entry_set_num(&e, 11, 700);
	lm_entry_set_num(&e, 12, 700);
	if (lm_key_generate(&key) || lm_entry_sign(&e, key, holder, 0, entry, sizeof(entry), &elen))
		return 1;
	lm_key_free(key);

	/* 1. The calibrated count and the derivation rate at it. */
	uint32_t iter;
	if (lm_protect_calibrate(100, &iter))
		return 1;
	char code[LM_CODE_TEXT_LEN + 1];
	lm_code_generate(code);
	uint8_t salt[LM_PROTECT_SALT_LEN] = {0};
	struct lm_protect_keys k;
	int n = 0;
	double t0 = now_s(), t;
	do {
		lm_protect_derive(code, salt, iter, &k);
		n++;
		t = now_s() - t0;
	} while (t < 1.0);
	double per_s = n / t, iter_s = per_s * iter;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	printf("protected cards (format version 2)\n");
	printf("  calibrated PBKDF2-HMAC-SHA256 count (100 ms target): %u\n", iter);
	printf("  derivations at that count: %.2f per second, %.0f ms each (one core; %.3g "
	       "iterations/s)\n",
	       per_s, 1e3 / per_s, iter_s);

	/* 2. One protected read: derive + decrypt, full cards. */
	static const struct {
		const char *name;
		size_t cap;
	} full[] = {{"NTAG216", 0}, {"applet 8 KB", APPLET_IMAGE}};
	for (size_t i = 0; i < 2; i++) {
		size_t cap = full[i].cap;
		if (!cap) {
			enum lm_card_kind kind;
			cardcmd_ntag_type(0, lm_ntag_types[2].version_size, &kind, &cap);
		}
		uint8_t *img = malloc(cap), *plain = malloc(cap);
		int entries;
		if (!img || !plain || fill(img, cap, code, iter, entry, elen, &entries))
			return 1;
		struct lm_card c;
		int reps = 0;
		t0 = now_s();
		do {
			lm_protect_open_code(img, cap, cap, code, plain, &c, NULL, &k);
			reps++;
			t = now_s() - t0;
		} while (t < 0.5);
		double with = t / reps;
		reps = 0;
		t0 = now_s();
		do {
			lm_protect_open(img, cap, cap, &k, plain, &c, NULL);
			reps++;
			t = now_s() - t0;
		} while (t < 0.2);
		printf("  one read of a full %s (%zu bytes, %d entries): derive + decrypt %.1f ms, "
		       "decrypt alone %.1f us\n",
		       full[i].name, cap, entries, with * 1e3, t / reps * 1e6);
		free(img);
		free(plain);
	}

	/* 3. Capacity: typical entries, version 1 and 2. */
	size_t padded = (elen + LM_CARD_ALIGN - 1) / LM_CARD_ALIGN * LM_CARD_ALIGN;
	printf("typical IK entry %zu bytes (%zu padded); entries per card, header v1 %d / v2 %d "
	       "bytes\n",
	       elen, padded, LM_CARD_HEADER_LEN, LM_PROTECT_HEADER_LEN);
	for (unsigned i = 0; i <= LM_NTAG_TYPES; i++) {
		size_t cap = APPLET_IMAGE;
		char name[32] = "applet 8 KB";
		if (i < LM_NTAG_TYPES) {
			enum lm_card_kind kind;
			cardcmd_ntag_type(0, lm_ntag_types[i].version_size, &kind, &cap);
			snprintf(name, sizeof(name), "NTAG%u", lm_ntag_types[i].model);
		}
		printf("  %-12s image %5zu bytes: v1 %3zu, v2 %3zu entries\n", name, cap,
		       (cap - LM_CARD_HEADER_LEN) / padded, (cap - LM_PROTECT_HEADER_LEN) / padded);
	}

	/* 4. Guessing the code offline: half the code space on average. */
	double codes = pow(2, 55) * 32 / 37, guesses = codes / 2;
	char b1[64], b2[64], b3[64];
	printf("offline guessing (%.3g codes, %.1f bits; half tried on average)\n", codes,
	       log2(codes));
	printf("  this machine: %s on one core, %s on all %ld\n", span(guesses / per_s, b1, 64),
	       span(guesses / per_s / (double)cores, b2, 64), cores);
	double gpu = GPU_ITER_PER_S / iter;
	printf("  one RTX 4090 on paper (hashcat 6.2.6 mode 10900: %.3g iterations/s, %.0f "
	       "guesses/s at %u): %s\n",
	       GPU_ITER_PER_S, gpu, iter, span(guesses / gpu, b3, 64));
	printf("  1000 such GPUs: %s\n", span(guesses / gpu / 1000, b3, 64));
	lm_protect_keys_wipe(&k);
	return 0;
}
