/*
 * vault_check.c - the vault's client (lm_vault.h, lib/vault/pq.c) against
 * a real PostgreSQL that test_vault.sh starts and initialises.  One mode
 * per step of the script; each prints "ok: ..." per check and exits 1 at
 * the first that fails.
 *
 * Environment: VA, VB (two offices' conninfos), VC (the city's), PWA, PWB,
 * PWC (their password files), HOLDER (32 hex digits), RECOVERY (32 hex).
 *
 *   roundtrip   push twice = one row, fetch and unseal, a second office
 *               sees the same, tombstone hides the record and blocks a
 *               re-push, tombstone cursors, trust publish refused to an
 *               office, the city's publish, rollback and swap refused
 *   denied      a wrong password, a password file others may read
 *   count       print the number of records under HOLDER's tag (as VA)
 *   expire      as VA: lm_vault_expire, print the rows removed
 *   push N      as VA: seal and push entry N, print the error name
 *   down        VA names a stopped server: LM_ERR_VAULT_DOWN
 *   tombrace    4 offices tombstone 100 records each at once while a fifth
 *               follows the cursor: it must see every tombstone exactly
 *               once (a cursor that skipped a late commit would miss one)
 *   pushrace    one office pushes each of 300 records while another
 *               tombstones it, at the same moment: none may stay stored
 *   reconnect   push, print "ready", wait for a line on stdin (the script
 *               restarts the server meanwhile), push: DOWN, push again: the
 *               connection is made anew and the push goes through
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_util.h"
#include "laufmappe/lm_vault.h"

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "FAIL: %s (line %d)\n", what, __LINE__);                   \
			exit(1);                                                                   \
		}                                                                                  \
		printf("ok: %s\n", what);                                                          \
	} while (0)

#define WANT(call, want, what)                                                                     \
	do {                                                                                       \
		int rc_ = (call);                                                                  \
		if (rc_ != (want)) {                                                               \
			fprintf(stderr, "FAIL: %s: %s (%d), wanted %s (line %d)\n", what,          \
				lm_errname(rc_), rc_, lm_errname(want), __LINE__);                 \
			exit(1);                                                                   \
		}                                                                                  \
		printf("ok: %s\n", what);                                                          \
	} while (0)

/* a call that must succeed, without a line per call */
#define WANT_QUIET(call)                                                                           \
	do {                                                                                       \
		int rc_ = (call);                                                                  \
		if (rc_) {                                                                         \
			fprintf(stderr, "FAIL: %s (line %d)\n", lm_errname(rc_), __LINE__);        \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

static uint8_t holder[LM_HOLDER_LEN], recovery[LM_RECOVERY_LEN], tag[LM_VAULT_TAG_LEN];
static struct lm_vault_key key;

static const char *env(const char *name)
{
	const char *v = getenv(name);
	if (!v) {
		fprintf(stderr, "vault_check: %s not set\n", name);
		exit(2);
	}
	return v;
}

/* Entry n: a recognisable stand-in (the vault never parses entries). */
static size_t make_entry(int n, uint8_t *e, uint8_t id[32])
{
	size_t len = 90 + (size_t)(n % 7) * 20;
	for (size_t i = 0; i < len; i++)
		e[i] = (uint8_t)(n * 31 + i);
	lm_sha256(e, len, id);
	return len;
}

static size_t seal_entry(int n, uint8_t ref[LM_VAULT_REF_LEN], uint8_t *sealed)
{
	uint8_t e[LM_VAULT_ENTRY_MAX], id[32];
	size_t len = make_entry(n, e, id), sl = 0;
	if (lm_vault_ref(id, ref) ||
	    lm_vault_seal(&key, tag, ref, e, len, sealed, LM_VAULT_SEALED_MAX, &sl)) {
		fprintf(stderr, "vault_check: seal failed\n");
		exit(1);
	}
	return sl;
}

static int push_entry(struct lm_vault *v, int n)
{
	uint8_t ref[LM_VAULT_REF_LEN], sealed[LM_VAULT_SEALED_MAX];
	size_t sl = seal_entry(n, ref, sealed);
	return lm_vault_push(v, tag, ref, sealed, sl);
}

struct walk {
	int n;
	int opened;
	int bad;
	uint8_t refs[16][LM_VAULT_REF_LEN];
};

static int on_record(void *ctx, const uint8_t ref[LM_VAULT_REF_LEN], const uint8_t *sealed,
		     size_t len)
{
	struct walk *w = ctx;
	uint8_t e[LM_VAULT_ENTRY_MAX], id[32], r2[LM_VAULT_REF_LEN];
	size_t n;
	if (w->n < 16)
		memcpy(w->refs[w->n], ref, LM_VAULT_REF_LEN);
	w->n++;
	if (lm_vault_unseal(&key, tag, ref, sealed, len, e, sizeof(e), &n) == LM_OK) {
		/* the caller's own check: the entry is the one the ref names */
		lm_sha256(e, n, id);
		lm_vault_ref(id, r2);
		if (memcmp(r2, ref, LM_VAULT_REF_LEN))
			w->bad++;
		else
			w->opened++;
	} else {
		w->bad++;
	}
	return 0;
}

static int count(struct lm_vault *v, struct walk *w)
{
	memset(w, 0, sizeof(*w));
	return lm_vault_fetch(v, tag, on_record, w);
}

struct tombs {
	int n;
	int mine;
};

static int on_tomb(void *ctx, const uint8_t t[LM_VAULT_TAG_LEN], const uint8_t r[LM_VAULT_REF_LEN])
{
	struct tombs *s = ctx;
	s->n++;
	if (!memcmp(t, tag, LM_VAULT_TAG_LEN))
		s->mine++;
	return 0;
}

static struct lm_vault *open_as(const char *conn, const char *pw)
{
	struct lm_vault *v = NULL;
	int rc = lm_vault_connect(env(conn), env(pw), 5, &v);
	if (rc) {
		fprintf(stderr, "vault_check: connect %s: %s\n", conn, lm_errname(rc));
		exit(1);
	}
	return v;
}

static void roundtrip(void)
{
	struct lm_vault *a = open_as("VA", "PWA"), *b = open_as("VB", "PWB"),
			*c = open_as("VC", "PWC");
	struct walk w;
	for (int i = 1; i <= 3; i++)
		WANT(push_entry(a, i), LM_OK, "office A pushes an entry");
	WANT(push_entry(a, 2), LM_OK, "office A pushes entry 2 again (same ref, new nonce)");
	WANT(push_entry(b, 3), LM_OK, "office B pushes entry 3 too");
	WANT(count(a, &w), LM_OK, "fetch by tag");
	CHECK(w.n == 3 && w.opened == 3 && w.bad == 0, "three records, each opens to its ref");
	WANT(count(b, &w), LM_OK, "office B fetches the same tag");
	CHECK(w.n == 3 && w.opened == 3, "office B sees the three records A pushed");

	/* a wrong key (another recovery secret) opens nothing */
	struct lm_vault_key good = key;
	uint8_t rec2[LM_RECOVERY_LEN];
	memcpy(rec2, recovery, sizeof(rec2));
	rec2[3] ^= 1;
	lm_vault_key(holder, rec2, &key);
	WANT(count(b, &w), LM_OK, "fetch with the wrong secret");
	CHECK(w.n == 3 && w.opened == 0 && w.bad == 3, "nothing opens without the secret");
	key = good;

	/* tombstones */
	uint8_t ref2[LM_VAULT_REF_LEN], sealed[LM_VAULT_SEALED_MAX];
	seal_entry(2, ref2, sealed);
	int64_t next0 = -1, next1 = -1, next2 = -1;
	struct tombs s = {0};
	uint8_t tags[2][LM_VAULT_TAG_LEN];
	memset(tags[0], 0x77, LM_VAULT_TAG_LEN);
	memcpy(tags[1], tag, LM_VAULT_TAG_LEN);
	WANT(lm_vault_tombstones(a, (const uint8_t(*)[LM_VAULT_TAG_LEN])tags, 2, 0, &next0, on_tomb,
				 &s),
	     LM_OK, "tombstones since 0 before any");
	CHECK(s.mine == 0, "no tombstone under the tag yet");
	WANT(lm_vault_tombstone(b, tag, ref2), LM_OK, "office B tombstones entry 2");
	WANT(lm_vault_tombstone(b, tag, ref2), LM_OK, "a second tombstone of it is harmless");
	WANT(count(a, &w), LM_OK, "fetch after the tombstone");
	CHECK(w.n == 2 && w.opened == 2, "the tombstoned record is gone");
	WANT(push_entry(a, 2), LM_OK, "office A (not yet told) pushes entry 2 again");
	WANT(count(a, &w), LM_OK, "fetch after the re-push");
	CHECK(w.n == 2, "the tombstone keeps it out");
	memset(&s, 0, sizeof(s));
	WANT(lm_vault_tombstones(a, (const uint8_t(*)[LM_VAULT_TAG_LEN])tags, 2, next0, &next1,
				 on_tomb, &s),
	     LM_OK, "tombstones since the cursor");
	CHECK(s.n == 1 && s.mine == 1 && next1 > next0, "office A learns of one tombstone");
	memset(&s, 0, sizeof(s));
	WANT(lm_vault_tombstones(a, (const uint8_t(*)[LM_VAULT_TAG_LEN])tags, 2, next1, &next2,
				 on_tomb, &s),
	     LM_OK, "tombstones since the new cursor");
	CHECK(s.n == 0 && next2 == next1, "and not twice");
	memset(&s, 0, sizeof(s));
	WANT(lm_vault_tombstones(a, (const uint8_t(*)[LM_VAULT_TAG_LEN])tags, 1, next0, &next2,
				 on_tomb, &s),
	     LM_OK, "tombstones for another tag only");
	CHECK(s.n == 0 && next2 == next1, "none, but the cursor still moves past them");
	WANT(lm_vault_tombstones(a, NULL, 0, 0, &next2, on_tomb, &s), LM_OK,
	     "tombstones for no tag");
	CHECK(next2 == next1, "the cursor without tags");

	/* trust lists */
	const uint8_t t1[] = "trust list one", t1b[] = "trust list ONE", t3[] = "trust list three";
	WANT(lm_vault_trust_publish(a, t1, sizeof(t1), 1), LM_ERR_VAULT_DENIED,
	     "an office may not publish a trust list");
	WANT(lm_vault_trust_publish(c, t1, sizeof(t1), 1), LM_OK, "the city publishes version 1");
	WANT(lm_vault_trust_publish(c, t1, sizeof(t1), 1), LM_OK,
	     "the same list again is harmless");
	WANT(lm_vault_trust_publish(c, t1b, sizeof(t1b), 1), LM_ERR_TRUST_SWAPPED,
	     "another list with version 1 is refused");
	WANT(lm_vault_trust_publish(c, t3, sizeof(t3), 3), LM_OK, "the city publishes version 3");
	WANT(lm_vault_trust_publish(c, t1b, sizeof(t1b), 2), LM_ERR_ROLLBACK,
	     "version 2 after 3 is refused");
	uint8_t *got = NULL;
	size_t glen = 0;
	uint32_t ver = 0;
	WANT(lm_vault_trust_latest(a, 0, &got, &glen, &ver), LM_OK, "an office reads the newest");
	CHECK(ver == 3 && glen == sizeof(t3) && !memcmp(got, t3, glen), "it is version 3");
	free(got);
	WANT(lm_vault_trust_latest(b, 3, &got, &glen, &ver), LM_ERR_NOT_FOUND,
	     "nothing newer than 3");
	WANT(lm_vault_push(c, tag, ref2, sealed, 92), LM_ERR_VAULT_DENIED,
	     "the city's role may not push records");
	WANT(lm_vault_expire(a, NULL), LM_OK, "an office runs retention");
	WANT(count(a, &w), LM_OK, "fetch after retention");
	CHECK(w.n == 2, "retention kept the fresh records");
	lm_vault_close(a);
	lm_vault_close(b);
	lm_vault_close(c);
}

static void denied(void)
{
	struct lm_vault *v = NULL;
	char path[] = "/tmp/lm-vault-pw.XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, "wrong\n", 6) == 6, "a password file");
	close(fd);
	WANT(lm_vault_connect(env("VA"), path, 5, &v), LM_ERR_VAULT_DENIED,
	     "a wrong password is refused by the server");
	chmod(path, 0644);
	WANT(lm_vault_connect(env("VA"), path, 5, &v), LM_ERR_ARG,
	     "a password file others may read is refused");
	unlink(path);
	WANT(lm_vault_connect("host=127.0.0.1 port=1 nonsense=1", NULL, 5, &v), LM_ERR_ARG,
	     "a conninfo libpq does not parse");
}

struct racer {
	pthread_t th;
	int base;
	int rc;
};

static atomic_int racers_done;

static void *race_writer(void *arg)
{
	struct racer *r = arg;
	struct lm_vault *v = open_as("VB", "PWB");
	for (int i = 0; i < 100 && !r->rc; i++) {
		uint8_t ref[LM_VAULT_REF_LEN] = {0x7e, (uint8_t)r->base, (uint8_t)i};
		r->rc = lm_vault_tombstone(v, tag, ref);
	}
	lm_vault_close(v);
	atomic_fetch_add(&racers_done, 1);
	return NULL;
}

static int race_seen(void *ctx, const uint8_t t[LM_VAULT_TAG_LEN],
		     const uint8_t r[LM_VAULT_REF_LEN])
{
	int *seen = ctx;
	if (r[0] == 0x7e && r[1] < 4 && r[2] < 100)
		seen[r[1] * 100 + r[2]]++;
	return 0;
}

static void tombrace(void)
{
	struct lm_vault *a = open_as("VA", "PWA");
	static int seen[400];
	int64_t cursor = 0, next;
	struct tombs none = {0};
	const uint8_t(*tags)[LM_VAULT_TAG_LEN] = (const uint8_t(*)[LM_VAULT_TAG_LEN])tag;
	WANT(lm_vault_tombstones(a, tags, 1, 0, &cursor, on_tomb, &none), LM_OK,
	     "the cursor before the race");
	struct racer w[4] = {{0}};
	for (int i = 0; i < 4; i++) {
		w[i].base = i;
		pthread_create(&w[i].th, NULL, race_writer, &w[i]);
	}
	int polls = 0, last = 0;
	while (!last) {
		/* once every writer has returned (committed), one more poll
		 * sees everything: a tombstone missed then was skipped */
		last = atomic_load(&racers_done) == 4;
		WANT_QUIET(lm_vault_tombstones(a, tags, 1, cursor, &next, race_seen, seen));
		cursor = next;
		polls++;
	}
	for (int i = 0; i < 4; i++)
		pthread_join(w[i].th, NULL);
	int missed = 0, twice = 0;
	for (int i = 0; i < 400; i++) {
		missed += seen[i] == 0;
		twice += seen[i] > 1;
	}
	for (int i = 0; i < 4; i++)
		CHECK(w[i].rc == LM_OK, "a racing office tombstoned its 100");
	printf("tombrace: %d polls, %d missed, %d seen twice\n", polls, missed, twice);
	CHECK(missed == 0 && twice == 0, "the cursor saw all 400 tombstones, each once");
	lm_vault_close(a);
}

static pthread_barrier_t race_gate;

static void *race_pusher(void *arg)
{
	int *rc = arg;
	struct lm_vault *v = open_as("VA", "PWA");
	for (int i = 0; i < 300; i++) {
		uint8_t ref[LM_VAULT_REF_LEN], sealed[LM_VAULT_SEALED_MAX];
		size_t sl = seal_entry(1000 + i, ref, sealed);
		pthread_barrier_wait(&race_gate);
		int r = lm_vault_push(v, tag, ref, sealed, sl);
		if (r)
			*rc = r;
	}
	lm_vault_close(v);
	return NULL;
}

static void pushrace(void)
{
	struct lm_vault *b = open_as("VB", "PWB");
	pthread_t th;
	int push_rc = 0;
	pthread_barrier_init(&race_gate, NULL, 2);
	pthread_create(&th, NULL, race_pusher, &push_rc);
	for (int i = 0; i < 300; i++) {
		uint8_t ref[LM_VAULT_REF_LEN], sealed[LM_VAULT_SEALED_MAX];
		seal_entry(1000 + i, ref, sealed);
		pthread_barrier_wait(&race_gate);
		WANT_QUIET(lm_vault_tombstone(b, tag, ref));
	}
	pthread_join(th, NULL);
	CHECK(push_rc == LM_OK, "300 pushes racing 300 tombstones");
	struct walk w;
	WANT(count(b, &w), LM_OK, "fetch after the race");
	printf("pushrace: %d records stayed\n", w.n);
	CHECK(w.n == 0, "no record outlived its tombstone");
	lm_vault_close(b);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	if (lm_hex_decode(env("HOLDER"), holder, sizeof(holder)) ||
	    lm_hex_decode(env("RECOVERY"), recovery, sizeof(recovery)) ||
	    lm_vault_tag(holder, tag) || lm_vault_key(holder, recovery, &key))
		return 2;
	if (!strcmp(argv[1], "roundtrip"))
		roundtrip();
	else if (!strcmp(argv[1], "pushrace"))
		pushrace();
	else if (!strcmp(argv[1], "tombrace"))
		tombrace();
	else if (!strcmp(argv[1], "denied"))
		denied();
	else if (!strcmp(argv[1], "count")) {
		struct lm_vault *a = open_as("VA", "PWA");
		struct walk w;
		int rc = count(a, &w);
		printf("%d %s\n", rc ? -1 : w.n, lm_errname(rc));
		lm_vault_close(a);
	} else if (!strcmp(argv[1], "expire")) {
		struct lm_vault *a = open_as("VA", "PWA");
		int64_t removed = -1;
		int rc = lm_vault_expire(a, &removed);
		printf("%lld %s\n", (long long)removed, lm_errname(rc));
		lm_vault_close(a);
	} else if (!strcmp(argv[1], "push") && argc == 3) {
		/* a fresh connection each time: the failover test moves servers */
		struct lm_vault *a = NULL;
		int rc = lm_vault_connect(env("VA"), env("PWA"), 3, &a);
		if (!rc)
			rc = push_entry(a, atoi(argv[2]));
		printf("%s\n", lm_errname(rc));
		lm_vault_close(a);
	} else if (!strcmp(argv[1], "reconnect")) {
		struct lm_vault *a = open_as("VA", "PWA");
		WANT(push_entry(a, 20), LM_OK, "a push before the restart");
		printf("ready\n");
		fflush(stdout);
		char line[16];
		CHECK(fgets(line, sizeof(line), stdin) != NULL, "the server was restarted");
		WANT(push_entry(a, 21), LM_ERR_VAULT_DOWN,
		     "the push on the lost connection is DOWN");
		WANT(push_entry(a, 21), LM_OK, "the next push reconnects");
		lm_vault_close(a);
	} else if (!strcmp(argv[1], "down")) {
		struct lm_vault *a = NULL;
		WANT(lm_vault_connect(env("VA"), env("PWA"), 2, &a), LM_ERR_VAULT_DOWN,
		     "a stopped server is DOWN");
	} else
		return 2;
	lm_vault_key_wipe(&key);
	return 0;
}
