/*
 * bench_vault.c - what the folder vault costs against one local PostgreSQL
 * (run on demand by bench/bench_vault.sh, which starts the server; no
 * assertions).
 *
 *   bench_vault CONNINFO PASSWORD_FILE POSTMASTER_PID [SECONDS] [OFFICES] [RATE]
 *
 *   - push latency per entry: 500 pushes of fresh sealed records in a row
 *     (wall time of lm_vault_push: one round trip and one insert);
 *   - restore-shaped fetch of an 81-entry folder: lm_vault_fetch of one
 *     tag and lm_vault_unseal of every record (wall time, 20 runs);
 *   - a load run: OFFICES threads (default 50), each with its own
 *     connection, pushing RATE sealed records a second (default 10) on a
 *     fixed schedule for SECONDS (default 60): the sustained rate, p50 and
 *     p99 push latency, each office's queue depth (records due but not yet
 *     pushed: what an outbox would hold), and the server's CPU (utime +
 *     stime of the postmaster and its children from /proc, over the run).
 *
 * Records are typical entries sealed as an office seals them (an IK entry
 * is about 100 bytes: 156 sealed); each office serves 200 holders.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_key.h"
#include "laufmappe/lm_vault.h"

#define ENTRY_LEN 100
#define HOLDERS	  200

static const char *conninfo, *pwfile;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i];
}

static struct lm_vault *open_vault(void)
{
	struct lm_vault *v;
	int rc = lm_vault_connect(conninfo, pwfile, 10, &v);
	if (rc) {
		fprintf(stderr, "bench_vault: connect: %s\n", lm_strerror(rc));
		exit(1);
	}
	return v;
}

/* A fresh entry for a holder, sealed under its key, filed under its tag. */
static void make_record(const uint8_t holder[LM_HOLDER_LEN], const struct lm_vault_key *key,
			uint8_t tag[LM_VAULT_TAG_LEN], uint8_t ref[LM_VAULT_REF_LEN],
			uint8_t *sealed, size_t *sl)
{
	uint8_t entry[ENTRY_LEN], id[32];
	lm_random(entry, sizeof(entry));
	lm_sha256(entry, sizeof(entry), id);
	lm_vault_tag(holder, tag);
	lm_vault_ref(id, ref);
	lm_vault_seal(key, tag, ref, entry, sizeof(entry), sealed, LM_VAULT_SEALED_MAX, sl);
}

static void bench_push(void)
{
	struct lm_vault *v = open_vault();
	uint8_t holder[LM_HOLDER_LEN], rec[LM_RECOVERY_LEN], tag[16], ref[16];
	uint8_t sealed[LM_VAULT_SEALED_MAX];
	struct lm_vault_key key;
	static double lat[500];
	lm_random(holder, sizeof(holder));
	lm_random(rec, sizeof(rec));
	lm_vault_key(holder, rec, &key);
	for (int i = 0; i < 500; i++) {
		size_t sl;
		make_record(holder, &key, tag, ref, sealed, &sl);
		double t0 = now_s();
		int rc = lm_vault_push(v, tag, ref, sealed, sl);
		lat[i] = (now_s() - t0) * 1e3;
		if (rc) {
			fprintf(stderr, "bench_vault: push: %s\n", lm_strerror(rc));
			exit(1);
		}
	}
	double mean = 0;
	for (int i = 0; i < 500; i++)
		mean += lat[i] / 500;
	printf("push, one office, in a row: mean %.3f ms, p50 %.3f ms, p99 %.3f ms per entry "
	       "(%zu-byte sealed record)\n",
	       mean, pct(lat, 500, 0.5), pct(lat, 500, 0.99),
	       (size_t)LM_VAULT_SEALED_LEN(ENTRY_LEN));
	lm_vault_key_wipe(&key);
	lm_vault_close(v);
}

struct opened {
	const struct lm_vault_key *key;
	const uint8_t *tag;
	int n, bad;
};

static int open_one(void *ctx, const uint8_t ref[LM_VAULT_REF_LEN], const uint8_t *sealed,
		    size_t len)
{
	struct opened *o = ctx;
	uint8_t e[LM_VAULT_ENTRY_MAX];
	size_t n;
	if (lm_vault_unseal(o->key, o->tag, ref, sealed, len, e, sizeof(e), &n))
		o->bad++;
	o->n++;
	return 0;
}

static void bench_restore(void)
{
	struct lm_vault *v = open_vault();
	uint8_t holder[LM_HOLDER_LEN], rec[LM_RECOVERY_LEN], tag[16], ref[16];
	uint8_t sealed[LM_VAULT_SEALED_MAX];
	struct lm_vault_key key;
	lm_random(holder, sizeof(holder));
	lm_random(rec, sizeof(rec));
	lm_vault_key(holder, rec, &key);
	for (int i = 0; i < 81; i++) {
		size_t sl;
		make_record(holder, &key, tag, ref, sealed, &sl);
		lm_vault_push(v, tag, ref, sealed, sl);
	}
	double t[20];
	struct opened o = {&key, tag, 0, 0};
	for (int r = 0; r < 20; r++) {
		o.n = o.bad = 0;
		double t0 = now_s();
		int rc = lm_vault_fetch(v, tag, open_one, &o);
		t[r] = (now_s() - t0) * 1e3;
		if (rc || o.n != 81 || o.bad) {
			fprintf(stderr, "bench_vault: fetch: %s, %d records, %d bad\n",
				lm_strerror(rc), o.n, o.bad);
			exit(1);
		}
	}
	printf("restore-shaped fetch of an 81-entry folder (fetch + unseal all): median %.2f ms, "
	       "max %.2f ms (20 runs)\n",
	       pct(t, 20, 0.5), t[19]);
	lm_vault_key_wipe(&key);
	lm_vault_close(v);
}

/* ---- the load run ------------------------------------------------------ */

struct office {
	pthread_t th;
	struct lm_vault *v;
	double start, seconds;
	int rate;
	double *lat;
	size_t n, cap;
	int max_depth;
	double depth_sum;
	long depth_samples;
	int errors;
};

static void *office_run(void *arg)
{
	struct office *o = arg;
	uint8_t holders[HOLDERS][LM_HOLDER_LEN], tag[16], ref[16], sealed[LM_VAULT_SEALED_MAX];
	struct lm_vault_key keys[HOLDERS];
	for (int h = 0; h < HOLDERS; h++) {
		uint8_t rec[LM_RECOVERY_LEN];
		lm_random(holders[h], LM_HOLDER_LEN);
		lm_random(rec, sizeof(rec));
		lm_vault_key(holders[h], rec, &keys[h]);
	}
	long done = 0, total = (long)(o->seconds * o->rate);
	while (done < total) {
		/* taps arrive on a fixed schedule; the queue is what is due */
		double t = now_s() - o->start;
		long due = (long)(t * o->rate) + 1;
		if (due > total)
			due = total;
		if (due <= done) {
			double wait = (double)(done) / o->rate - t;
			if (wait > 0)
				usleep((useconds_t)(wait * 1e6) + 1);
			continue;
		}
		int depth = (int)(due - done);
		if (depth > o->max_depth)
			o->max_depth = depth;
		o->depth_sum += depth;
		o->depth_samples++;
		int h = (int)(done % HOLDERS);
		size_t sl;
		make_record(holders[h], &keys[h], tag, ref, sealed, &sl);
		double t0 = now_s();
		int rc = lm_vault_push(o->v, tag, ref, sealed, sl);
		double l = (now_s() - t0) * 1e3;
		if (rc)
			o->errors++;
		if (o->n < o->cap)
			o->lat[o->n++] = l;
		done++;
	}
	for (int h = 0; h < HOLDERS; h++)
		lm_vault_key_wipe(&keys[h]);
	return NULL;
}

/* CPU seconds of pid and its children (a postmaster's backends). */
static double tree_cpu(long pid)
{
	double hz = (double)sysconf(_SC_CLK_TCK), sum = 0;
	char path[64], buf[1024];
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		long p = atol(de->d_name);
		if (p <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", p);
		FILE *s = fopen(path, "r");
		if (!s)
			continue;
		size_t n = fread(buf, 1, sizeof(buf) - 1, s);
		fclose(s);
		buf[n] = 0;
		/* fields after the command name's closing parenthesis */
		char *rp = strrchr(buf, ')');
		if (!rp)
			continue;
		long ppid;
		unsigned long ut, st;
		if (sscanf(rp + 2, "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ppid,
			   &ut, &st) != 3)
			continue;
		if (p == pid || ppid == pid)
			sum += (double)(ut + st) / hz;
	}
	closedir(d);
	return sum;
}

static void bench_load(long pm_pid, double seconds, int offices, int rate)
{
	struct office *o = calloc((size_t)offices, sizeof(*o));
	for (int i = 0; i < offices; i++) {
		o[i].v = open_vault();
		o[i].seconds = seconds;
		o[i].rate = rate;
		o[i].cap = (size_t)(seconds * rate) + 16;
		o[i].lat = calloc(o[i].cap, sizeof(double));
	}
	double cpu0 = tree_cpu(pm_pid), t0 = now_s();
	for (int i = 0; i < offices; i++) {
		o[i].start = t0;
		pthread_create(&o[i].th, NULL, office_run, &o[i]);
	}
	for (int i = 0; i < offices; i++)
		pthread_join(o[i].th, NULL);
	double elapsed = now_s() - t0, cpu1 = tree_cpu(pm_pid);
	size_t total = 0;
	int errors = 0, maxdepth = 0;
	double depth_mean = 0;
	for (int i = 0; i < offices; i++) {
		total += o[i].n;
		errors += o[i].errors;
		if (o[i].max_depth > maxdepth)
			maxdepth = o[i].max_depth;
		depth_mean += o[i].depth_samples ? o[i].depth_sum / (double)o[i].depth_samples : 0;
	}
	double *all = malloc((total ? total : 1) * sizeof(double));
	size_t k = 0;
	for (int i = 0; i < offices; i++) {
		memcpy(all + k, o[i].lat, o[i].n * sizeof(double));
		k += o[i].n;
	}
	printf("load: %d offices x %d records/s for %.0f s: %zu pushed (%d errors) in %.1f s, "
	       "sustained %.0f records/s (offered %d)\n",
	       offices, rate, seconds, total, errors, elapsed, (double)total / elapsed,
	       offices * rate);
	double p50 = pct(all, total, 0.5), p99 = pct(all, total, 0.99); /* sorts all */
	printf("load: push latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", p50, p99,
	       total ? all[total - 1] : 0);
	printf("load: queue depth per office (records due, not yet pushed, seen at each push): "
	       "mean %.2f, max %d\n",
	       depth_mean / offices, maxdepth);
	printf("load: server CPU (postmaster and backends) %.1f s over %.1f s = %.0f%% of one core "
	       "(%ld cores here)\n",
	       cpu1 - cpu0, elapsed, 100 * (cpu1 - cpu0) / elapsed, sysconf(_SC_NPROCESSORS_ONLN));
	for (int i = 0; i < offices; i++) {
		lm_vault_close(o[i].v);
		free(o[i].lat);
	}
	free(all);
	free(o);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr,
			"usage: bench_vault CONNINFO PASSWORD_FILE POSTMASTER_PID [SECONDS] "
			"[OFFICES] [RATE]\n");
		return 2;
	}
	conninfo = argv[1];
	pwfile = argv[2];
	long pm = atol(argv[3]);
	double seconds = argc > 4 ? atof(argv[4]) : 60;
	int offices = argc > 5 ? atoi(argv[5]) : 50, rate = argc > 6 ? atoi(argv[6]) : 10;
	bench_push();
	bench_restore();
	bench_load(pm, seconds, offices, rate);
	return 0;
}
