/*
 * bench_verify.c - cold-tap verification of a full card image on one core
 * and on two (threads, then processes), and looking a holder up in a large
 * office cache.
 * Usage: bench_verify IMAGE TRUST ROOT.pub [CACHE.db ENTRIES HOLDERS]
 * Prints figures, asserts nothing.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "laufmappe/lm_cache.h"
#include "laufmappe/lm_card.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_trust.h"
#include "laufmappe/lm_util.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct job {
	const struct lm_trust *t;
	const struct lm_card *card;
	const uint8_t *entries[256];
	size_t lens[256];
	size_t n, first, step;
	int valid;
};

static void *verify_part(void *arg)
{
	struct job *j = arg;
	struct lm_verify_result *r = malloc(sizeof(*r));
	for (size_t i = j->first; i < j->n; i += j->step) {
		j->valid += lm_trust_verify(j->t, j->card->holder, j->entries[i], j->lens[i], r) ==
				    LM_OK &&
			    r->verdict == LM_VALID;
	}
	free(r);
	return NULL;
}

static int count_fn(void *ctx, const uint8_t h[LM_HOLDER_LEN], const uint8_t *b, size_t len)
{
	(void)h, (void)b, (void)len;
	(*(int *)ctx)++;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 7) {
		fprintf(stderr,
			"usage: bench_verify IMAGE TRUST ROOT.pub [CACHE.db ENTRIES HOLDERS]\n");
		return 2;
	}
	uint8_t *img, *tl;
	size_t ilen, tlen;
	struct lm_key *root;
	struct lm_trust *t = lm_trust_new();
	struct lm_card card;
	if (lm_file_read(argv[1], LM_CARD_MAX, &img, &ilen) ||
	    lm_file_read(argv[2], LM_TRUST_MAX, &tl, &tlen) || lm_key_load_public(argv[3], &root) ||
	    lm_trust_load(t, tl, tlen, root, 0) || lm_card_parse(img, ilen, ilen, &card))
		return 1;
	struct job base = {.t = t, .card = &card};
	size_t off = 0;
	while (base.n < 256 &&
	       lm_card_next(&card, &off, &base.entries[base.n], &base.lens[base.n]) == LM_OK)
		base.n++;
	for (int threads = 1; threads <= 2; threads++) {
		struct job jobs[2];
		pthread_t th[2];
		double t0 = now_s();
		int reps = 5, valid = 0;
		for (int rep = 0; rep < reps; rep++) {
			for (int k = 0; k < threads; k++) {
				jobs[k] = base;
				jobs[k].first = (size_t)k;
				jobs[k].step = (size_t)threads;
				pthread_create(&th[k], NULL, verify_part, &jobs[k]);
			}
			for (int k = 0; k < threads; k++) {
				pthread_join(th[k], NULL);
				valid += jobs[k].valid;
			}
		}
		double ms = (now_s() - t0) / reps * 1000;
		printf("cold verify of a full card (%zu entries, %zu bytes) on %d core%s: %.1f ms "
		       "(%d valid)\n",
		       base.n, ilen, threads, threads > 1 ? "s" : "", ms, valid / reps);
	}
	{
		/* The same split over two processes instead of two threads: the
		 * daemon verifies in processes (daemon/verifier.h) because on the
		 * terminals measured two threads of one process ran slower. */
		double t0 = now_s();
		int reps = 5;
		for (int rep = 0; rep < reps; rep++) {
			pid_t kids[2];
			for (int k = 0; k < 2; k++) {
				if ((kids[k] = fork()) == 0) {
					struct job j = base;
					j.first = (size_t)k;
					j.step = 2;
					verify_part(&j);
					_exit(0);
				}
			}
			for (int k = 0; k < 2; k++)
				waitpid(kids[k], NULL, 0);
		}
		printf("the same on 2 processes (fork): %.1f ms\n", (now_s() - t0) / reps * 1000);
	}
	if (argc == 7) {
		/* A synthetic cache: ENTRIES rows over HOLDERS holders, one transaction. */
		long n = atol(argv[5]), holders = atol(argv[6]);
		unlink(argv[4]);
		struct lm_cache *c;
		if (lm_cache_open(argv[4], &c))
			return 1;
		double t0 = now_s();
		lm_cache_begin(c);
		uint8_t h[LM_HOLDER_LEN] = {0}, e[100];
		memcpy(e, base.entries[0], base.lens[0] < 100 ? base.lens[0] : 100);
		for (long i = 0; i < n; i++) {
			long who = i % holders;
			memcpy(h, &who, sizeof(who));
			memcpy(e + 90, &i, sizeof(i)); /* distinct bytes, distinct ids */
			uint8_t id[32];
			lm_sha256(e, 100, id);
			if (lm_cache_put_entry(c, h, id, e, 100, 2, 20781, i, NULL))
				return 1;
		}
		lm_cache_commit(c);
		printf("cache of %ld entries / %ld holders built in %.1f s\n", n, holders,
		       now_s() - t0);
		int reps = 1000, found = 0;
		t0 = now_s();
		for (int i = 0; i < reps; i++) {
			long who = (i * 7919L) % holders;
			memcpy(h, &who, sizeof(who));
			lm_cache_each_entry(c, h, count_fn, &found);
		}
		printf("looking up a holder's folder: %.3f ms (%d entries per holder)\n",
		       (now_s() - t0) / reps * 1000, found / reps);
		lm_cache_close(c);
	}
	return 0;
}
