/*
 * bench_core.c - size and speed figures of the core (run on demand:
 * build/bench/bench_core).  Prints bytes per typical entry of every type
 * (card form, padded form), entries per card size, and ES256 sign and
 * verify operations per second through mbed TLS.  No assertions.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "laufmappe/lm_card.h"
#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_trust.h"

/* A typical filled-in entry of each type (CLI syntax: field=value). */
static const char *const typical[][6] = {
	{"EOK", "attended=300", NULL},
	{"IK", "subtype=general", "planned=700", "attended=700", "status=done", NULL},
	{"DTZ", "dtz=b1", "listen_read=38", "writing=16", "speaking=81", NULL},
	{"LID", "score=27", NULL},
	{"ZIK", NULL},
	{"BSK", "module=b2", "attended=400", NULL},
	{"DTB", "level=b2", "exam=telc", NULL},
	{"ANR", "occupation=29302", "recognition=partial", NULL},
	{"APQ", "occupation=29302", "gaps_closed=yes", "deadline=2027-06-30", "status=running", NULL},
	{"ZAB", "degree=bachelor", NULL},
	{"SCH", "school=mittlerer_abschluss", NULL},
	{"MYS", "myskills=12", "test_lang=ar", "ratings=03020301", NULL},
	{"KOMP", "tool=profilpass", NULL},
	{"PRA", "kind=vocational", "end=2026-12-19", "hours=160", NULL},
	{"EQ", "occupation=26212", "months=9", "status=running", NULL},
	{"AUSB", "occupation=26212", "status=running", NULL},
	{"ASA", "phase=during", "end=2027-08-31", "status=running", NULL},
	{"MENT", "programme=Ausbildungspaten", "end=2027-08-31", "status=running", NULL},
	{"BER", "service=migration_counselling", "next=2026-12-08", NULL},
	{"JOB", "occupation=62102", "hours_band=15_to_30", "status=running", NULL},
	{"REG", "name=Amina Yousef", "birth_year=1998", "evidence=document_checked", NULL},
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t sign_typical(const struct lm_key *k, const uint8_t *holder, size_t i, uint8_t *out)
{
	struct lm_entry e;
	uint32_t day;
	lm_date_parse("2026-11-24", &day);
	lm_entry_init(&e, lm_type_by_name(typical[i][0])->code, day);
	static char store[21][5][64]; /* entry text values point into these */
	for (size_t f = 1; f < 6 && typical[i][f]; f++) {
		snprintf(store[i][f - 1], sizeof(store[i][f - 1]), "%s", typical[i][f]);
		char *eq = strchr(store[i][f - 1], '=');
		*eq = 0;
		if (lm_entry_set(&e, store[i][f - 1], eq + 1) != LM_OK) {
			fprintf(stderr, "bad field %s\n", typical[i][f]);
			return 0;
		}
	}
	size_t len = 0;
	lm_entry_sign(&e, k, holder, 0, out, LM_ENTRY_MAX, &len);
	return len;
}

int main(void)
{
	struct lm_key *k;
	uint8_t holder[LM_HOLDER_LEN] = {0xa1}, buf[LM_ENTRY_MAX];
	if (lm_key_generate(&k) != LM_OK)
		return 1;
	printf("bytes per typical entry (card form; padded to 4 on the card)\n");
	size_t ik_len = 0;
	for (size_t i = 0; i < sizeof(typical) / sizeof(typical[0]); i++) {
		size_t len = sign_typical(k, holder, i, buf);
		printf("  %-5s %4zu  %4zu\n", typical[i][0], len, (len + 3) / 4 * 4);
		if (!strcmp(typical[i][0], "IK"))
			ik_len = len;
	}
	size_t padded = (ik_len + 3) / 4 * 4;
	static const struct {
		const char *name;
		size_t capacity;
	} cards[] = {{"NTAG213", 144 - 4}, {"NTAG215", 504 - 4}, {"NTAG216", 888 - 4},
		     {"applet 8 KB", 8192}};
	printf("typical IK entries per card (header %d bytes)\n", LM_CARD_HEADER_LEN);
	for (size_t i = 0; i < sizeof(cards) / sizeof(cards[0]); i++)
		printf("  %-12s image %5zu bytes: %3zu entries\n", cards[i].name, cards[i].capacity,
		       (cards[i].capacity - LM_CARD_HEADER_LEN) / padded);

	/* Sign and verify rates, one core. */
	struct lm_trust *t = lm_trust_new();
	uint8_t spki[LM_SPKI_MAX];
	size_t sl;
	lm_key_spki(k, spki, sizeof(spki), &sl);
	lm_trust_add(t, spki, sl, "bench", 1, 0x3ffffe, 0, 0);
	int n = 0;
	double t0 = now_s();
	while (now_s() - t0 < 2.0) {
		sign_typical(k, holder, 1, buf);
		n++;
	}
	double sign_rate = n / (now_s() - t0);
	size_t len = sign_typical(k, holder, 1, buf);
	static struct lm_verify_result r;
	n = 0;
	t0 = now_s();
	while (now_s() - t0 < 2.0) {
		lm_trust_verify(t, holder, buf, len, &r);
		if (r.verdict != LM_VALID)
			return 1;
		n++;
	}
	double verify_rate = n / (now_s() - t0);
	printf("ES256 through mbed TLS, one core: sign %.0f/s (%.2f ms), verify %.0f/s (%.2f ms)\n",
	       sign_rate, 1000 / sign_rate, verify_rate, 1000 / verify_rate);
	lm_trust_free(t);
	lm_key_free(k);
	return 0;
}
