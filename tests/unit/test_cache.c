/*
 * test_cache.c - the office cache: schema creation and migration from an
 * older version, refusal of a newer one, WAL, dedup, verdicts, the read
 * log's retention, deleting an entry, the errors of a locked or damaged
 * database, the modes of the files it creates, and the vault's outbox.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "laufmappe/lm_cache.h"
#include "laufmappe/lm_err.h"

static char path[64];
static const uint8_t holder[LM_HOLDER_LEN] = {0xa1, 0xa2};
static const uint8_t entry[] = {0x84, 0x40, 0xa0, 0x40,
				0x40}; /* bytes only: the cache does not parse */

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/lm-test-cache-%d.db", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char p[80];
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	return 0;
}

static int sql_int(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

/* Trust lists are named by their hash; these stand for three of them. */
static const uint8_t trust1[32] = {1}, trust3[32] = {3}, trust4[32] = {4};

/* An entry's id, for the calls that take it (static: one at a time). */
static const uint8_t *idof(const uint8_t *bytes, size_t len)
{
	static uint8_t id[32];
	lm_sha256(bytes, len, id);
	return id;
}

static void sql_exec(const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_create_dedup_verdicts(void **state)
{
	(void)state;
	struct lm_cache *c;
	assert_int_equal(lm_cache_open(path, &c), LM_OK);
	assert_int_equal(lm_cache_put_entry(c, holder, idof(entry, sizeof(entry)), entry,
					    sizeof(entry), 2, 20781, 1000, NULL),
			 LM_OK);
	assert_int_equal(lm_cache_put_entry(c, holder, idof(entry, sizeof(entry)), entry,
					    sizeof(entry), 2, 20781, 2000, NULL),
			 LM_OK);
	int64_t n, h;
	assert_int_equal(lm_cache_count(c, &n, &h), LM_OK);
	assert_int_equal(n, 1); /* the same bytes are one entry */
	assert_int_equal(h, 1);
	uint8_t id[32], buf[64];
	size_t len;
	lm_sha256(entry, sizeof(entry), id);
	assert_int_equal(lm_cache_get_entry(c, holder, id, buf, sizeof(buf), &len), LM_OK);
	assert_int_equal(len, sizeof(entry));
	int v, inst;
	assert_int_equal(lm_cache_get_verdict(c, id, holder, trust3, &v, &inst), LM_ERR_NOT_FOUND);
	assert_int_equal(lm_cache_put_verdict(c, id, holder, trust3, 0, 1), LM_OK);
	assert_int_equal(lm_cache_get_verdict(c, id, holder, trust3, &v, &inst), LM_OK);
	assert_int_equal(inst, 1);
	assert_int_equal(lm_cache_get_verdict(c, id, holder, trust4, &v, &inst),
			 LM_ERR_NOT_FOUND); /* per trust list */
	/* A verdict for this entry on another holder's card is another question. */
	static const uint8_t copyholder[LM_HOLDER_LEN] = {0xc0};
	assert_int_equal(lm_cache_get_verdict(c, id, copyholder, trust3, &v, &inst),
			 LM_ERR_NOT_FOUND);
	assert_int_equal(lm_cache_put_verdict(c, id, copyholder, trust3, 4, -1), LM_OK);
	assert_int_equal(lm_cache_get_verdict(c, id, holder, trust3, &v, &inst), LM_OK);
	assert_int_equal(v, 0); /* the genuine holder's verdict is untouched */
	/* The copy on the other card is filed under that holder, beside the original. */
	int64_t first = 0;
	assert_int_equal(
		lm_cache_put_entry(c, copyholder, id, entry, sizeof(entry), 2, 20781, 2500, &first),
		LM_OK);
	assert_int_equal(first, 2500);
	assert_int_equal(
		lm_cache_put_entry(c, holder, id, entry, sizeof(entry), 2, 20781, 2600, &first),
		LM_OK);
	assert_int_equal(first, 1000); /* first_seen never moves */
	assert_int_equal(lm_cache_get_entry(c, holder, id, buf, sizeof(buf), &len), LM_OK);
	assert_int_equal(lm_cache_delete_entry(c, copyholder, id), LM_OK);
	assert_int_equal(lm_cache_get_verdict(c, id, copyholder, trust3, &v, &inst),
			 LM_ERR_NOT_FOUND);
	static const uint8_t uid[7] = {0x04, 0x4c, 0x4d};
	assert_int_equal(lm_cache_put_card(c, "ntag216", uid, sizeof(uid), holder, 100), LM_OK);
	assert_int_equal(lm_cache_put_card(c, "ntag216", uid, sizeof(uid), holder, 200), LM_OK);
	/* The holder asks for the entry to be deleted: the entry and its verdicts
	 * go, another holder's copy of nothing is touched. */
	static const uint8_t other[LM_HOLDER_LEN] = {0xb1};
	assert_int_equal(lm_cache_delete_entry(c, other, id), LM_ERR_NOT_FOUND);
	assert_int_equal(lm_cache_delete_entry(c, holder, id), LM_OK);
	assert_int_equal(lm_cache_get_entry(c, holder, id, buf, sizeof(buf), &len),
			 LM_ERR_NOT_FOUND);
	assert_int_equal(lm_cache_get_verdict(c, id, holder, trust3, &v, &inst), LM_ERR_NOT_FOUND);
	assert_int_equal(lm_cache_delete_entry(c, holder, id), LM_ERR_NOT_FOUND);
	assert_int_equal(lm_cache_put_entry(c, holder, idof(entry, sizeof(entry)), entry,
					    sizeof(entry), 2, 20781, 3000, NULL),
			 LM_OK);
	lm_cache_close(c);
	assert_int_equal(sql_int("PRAGMA user_version"), LM_CACHE_SCHEMA);
	assert_int_equal(
		sql_int("SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
	assert_int_equal(sql_int("SELECT last_seen FROM cards"), 200); /* one row, updated */
}

/* A version-1 database (no indexes yet) is migrated forward, data kept. */
static void test_migrate_forward(void **state)
{
	teardown(state);
	sql_exec("CREATE TABLE holders (holder TEXT PRIMARY KEY, first_seen INTEGER NOT NULL);"
		 "CREATE TABLE entries (id TEXT PRIMARY KEY, holder TEXT NOT NULL, bytes BLOB NOT "
		 "NULL,"
		 " type INTEGER NOT NULL, date INTEGER NOT NULL, first_seen INTEGER NOT NULL);"
		 "CREATE TABLE verdicts (id TEXT NOT NULL, trust_version INTEGER NOT NULL,"
		 " verdict INTEGER NOT NULL, inst INTEGER NOT NULL, PRIMARY KEY (id, "
		 "trust_version));"
		 "CREATE TABLE reads (time INTEGER NOT NULL, reader TEXT NOT NULL, role TEXT NOT "
		 "NULL,"
		 " holder TEXT NOT NULL);"
		 "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
		 "INSERT INTO meta VALUES ('trust_version', 7);"
		 "INSERT INTO entries VALUES ('ab', 'a1a2', x'84', 2, 20781, 1234);"
		 "PRAGMA user_version = 1;");
	struct lm_cache *c;
	assert_int_equal(lm_cache_open(path, &c), LM_OK);
	int64_t v;
	assert_int_equal(lm_cache_get_meta(c, "trust_version", &v), LM_OK);
	assert_int_equal(v, 7);
	lm_cache_close(c);
	assert_int_equal(sql_int("PRAGMA user_version"), LM_CACHE_SCHEMA);
	assert_int_equal(
		sql_int("SELECT count(*) FROM sqlite_master WHERE name = 'entries_holder'"), 1);
	assert_int_equal(sql_int("SELECT count(*) FROM sqlite_master WHERE name = 'cards'"), 1);
	/* 3 -> 4: an old entry's retention starts from when it was first seen. */
	assert_int_equal(sql_int("SELECT last_seen FROM entries WHERE id = 'ab'"), 1234);
	/* A newer schema than this build knows is refused, not damaged. */
	sql_exec("PRAGMA user_version = 99");
	assert_int_equal(lm_cache_open(path, &c), LM_ERR_DB_SCHEMA);
	assert_int_equal(sql_int("PRAGMA user_version"), 99);
}

static void test_read_log_retention(void **state)
{
	teardown(state);
	struct lm_cache *c;
	assert_int_equal(lm_cache_open(path, &c), LM_OK);
	for (int64_t t = 100; t <= 500; t += 100)
		assert_int_equal(lm_cache_log_read(c, t, "pcsc", "city", holder), LM_OK);
	int n = 0;
	assert_int_equal(lm_cache_prune_reads(c, 300, &n), LM_OK);
	assert_int_equal(n, 2);
	lm_cache_close(c);
	assert_int_equal(sql_int("SELECT count(*) FROM reads"), 3);
	assert_int_equal(sql_int("SELECT min(time) FROM reads"), 300);
}

static int audit_row(void *ctx, const struct lm_audit *a)
{
	char *out = ctx;
	size_t n = strlen(out);
	snprintf(out + n, 512 - n, "%lld %s %s %s %s %s [%s];", (long long)a->time, a->staff,
		 a->action, a->reader, a->holder, a->entry, a->detail);
	return 0;
}

/* The office's write log: rows in order, NULL members stored as "", pruned
 * by time, and present after a migration from an older schema. */
static void test_audit(void **state)
{
	teardown(state);
	struct lm_cache *c;
	assert_int_equal(lm_cache_open(path, &c), LM_OK);
	struct lm_audit a = {100, "amira", "append", "pcsc", "a1a2", "ab", NULL};
	assert_int_equal(lm_cache_audit_add(c, &a), LM_OK);
	struct lm_audit b = {200, "token", "import", NULL, NULL, NULL, "3 imported"};
	assert_int_equal(lm_cache_audit_add(c, &b), LM_OK);
	struct lm_audit none = {.time = 300, .staff = NULL, .action = "append"};
	assert_int_equal(lm_cache_audit_add(c, &none), LM_ERR_ARG);
	char out[512] = "";
	assert_int_equal(lm_cache_each_audit(c, 0, audit_row, out), LM_OK);
	assert_string_equal(out,
			    "100 amira append pcsc a1a2 ab [];200 token import    [3 imported];");
	out[0] = 0;
	assert_int_equal(lm_cache_each_audit(c, 150, audit_row, out), LM_OK);
	assert_string_equal(out, "200 token import    [3 imported];");
	int n = 0;
	assert_int_equal(lm_cache_prune_audit(c, 150, &n), LM_OK);
	assert_int_equal(n, 1);
	lm_cache_close(c);
	assert_int_equal(sql_int("SELECT count(*) FROM audit"), 1);
	/* From schema 5, the one before the write log, the table comes (with
	 * the steps after it: their tables go back too). */
	sql_exec("DROP TABLE audit; DROP TABLE card_logs; DROP TABLE outbox;"
		 "ALTER TABLE entries DROP COLUMN vault_at; PRAGMA user_version = 5;");
	assert_int_equal(lm_cache_open(path, &c), LM_OK);
	lm_cache_close(c);
	assert_int_equal(sql_int("SELECT count(*) FROM sqlite_master WHERE name = 'audit'"), 1);
}

/* Entries are kept for a while after they were last seen on a card. */
static void test_entry_retention(void **state)
{
	teardown(state);
	static const uint8_t other[] = {0x84, 0x41, 0x01, 0xa0, 0x40, 0x40};
	uint8_t id_old[32], id_seen[32];
	lm_sha256(entry, sizeof(entry), id_old);
	lm_sha256(other, sizeof(other), id_seen);
	struct lm_cache *c;
	assert_int_equal(lm_cache_open(path, &c), LM_OK);
	assert_int_equal(lm_cache_put_entry(c, holder, idof(entry, sizeof(entry)), entry,
					    sizeof(entry), 2, 1, 100, NULL),
			 LM_OK);
	assert_int_equal(lm_cache_put_entry(c, holder, idof(other, sizeof(other)), other,
					    sizeof(other), 2, 1, 100, NULL),
			 LM_OK);
	assert_int_equal(lm_cache_put_entry(c, holder, idof(other, sizeof(other)), other,
					    sizeof(other), 2, 1, 500, NULL),
			 LM_OK);
	assert_int_equal(lm_cache_put_verdict(c, id_old, holder, trust1, 0, 0), LM_OK);
	assert_int_equal(lm_cache_put_verdict(c, id_seen, holder, trust1, 0, 0), LM_OK);
	static const uint8_t uid[7] = {0x04};
	assert_int_equal(lm_cache_put_card(c, "ntag216", uid, sizeof(uid), holder, 100), LM_OK);
	int n = -1;
	assert_int_equal(lm_cache_prune_entries(c, 300, &n), LM_OK);
	assert_int_equal(n, 1); /* the one seen again at 500 stays */
	uint8_t buf[64];
	size_t len;
	int v, inst;
	assert_int_equal(lm_cache_get_entry(c, holder, id_old, buf, sizeof(buf), &len),
			 LM_ERR_NOT_FOUND);
	assert_int_equal(lm_cache_get_verdict(c, id_old, holder, trust1, &v, &inst),
			 LM_ERR_NOT_FOUND);
	assert_int_equal(lm_cache_get_entry(c, holder, id_seen, buf, sizeof(buf), &len), LM_OK);
	assert_int_equal(lm_cache_get_verdict(c, id_seen, holder, trust1, &v, &inst), LM_OK);
	assert_int_equal(lm_cache_prune_entries(c, 1000, &n), LM_OK);
	assert_int_equal(n, 1);
	lm_cache_close(c);
	/* Nothing is left that names the holder. */
	assert_int_equal(sql_int("SELECT count(*) FROM holders"), 0);
	assert_int_equal(sql_int("SELECT count(*) FROM cards"), 0);
	assert_int_equal(sql_int("SELECT count(*) FROM verdicts"), 0);
}

/* Another process holds the write lock: busy, and nothing half-written. */
static void test_locked_and_corrupt(void **state)
{
	teardown(state);
	struct lm_cache *c;
	assert_int_equal(lm_cache_open(path, &c), LM_OK);
	sqlite3 *other;
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(lm_cache_begin(c), LM_ERR_DB_BUSY);
	assert_int_equal(lm_cache_put_entry(c, holder, idof(entry, sizeof(entry)), entry,
					    sizeof(entry), 2, 1, 1, NULL),
			 LM_ERR_DB_BUSY);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	assert_int_equal(lm_cache_put_entry(c, holder, idof(entry, sizeof(entry)), entry,
					    sizeof(entry), 2, 1, 1, NULL),
			 LM_OK);
	lm_cache_close(c);
	teardown(state);
	/* A file that is not a database. */
	FILE *f = fopen(path, "wb");
	for (int i = 0; i < 4096; i++)
		fputc(i * 7, f);
	fclose(f);
	assert_int_equal(lm_cache_open(path, &c), LM_ERR_DB_CORRUPT);
}

/* Whatever the umask, a new database and its -wal and -shm are 0600: they
 * hold the holders' folders and read logs. */
static void test_new_file_modes(void **state)
{
	teardown(state);
	mode_t old = umask(022);
	struct lm_cache *c;
	assert_int_equal(lm_cache_open(path, &c), LM_OK);
	assert_int_equal(lm_cache_put_entry(c, holder, idof(entry, sizeof(entry)), entry,
					    sizeof(entry), 2, 1, 1, NULL),
			 LM_OK);
	const char *suffix[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char p[80];
		struct stat st;
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	lm_cache_close(c);
	/* An existing file keeps the mode its owner gave it. */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(lm_cache_open(path, &c), LM_OK);
	lm_cache_close(c);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	umask(old);
}

/* The outbox copies rows out of the walk, as the vault thread does. */
struct outbox_rows {
	int n;
	int64_t seq[8];
	int tomb[8];
	size_t len[8];
};

static int outbox_row(void *ctx, int64_t seq, const uint8_t tag[LM_CACHE_TAG_LEN],
		      const uint8_t ref[LM_CACHE_TAG_LEN], const uint8_t *sealed, size_t len,
		      int tries)
{
	(void)tag, (void)ref, (void)tries;
	struct outbox_rows *r = ctx;
	r->seq[r->n] = seq;
	r->tomb[r->n] = sealed == NULL;
	r->len[r->n++] = len;
	return 0;
}

static int pending_count(void *ctx, const uint8_t h[LM_HOLDER_LEN], const uint8_t *b, size_t len)
{
	(void)h, (void)b, (void)len;
	(*(int *)ctx)++;
	return 0;
}

static int pending_fail(void *ctx, const uint8_t h[LM_HOLDER_LEN], const uint8_t *b, size_t len)
{
	(void)ctx, (void)h, (void)b, (void)len;
	return LM_ERR_RNG;
}

static int count_holder(void *ctx, const uint8_t h[LM_HOLDER_LEN])
{
	(void)h;
	(*(int *)ctx)++;
	return 0;
}

/*
 * The vault's outbox: a record queued twice is one row; a tombstone
 * replaces a waiting record (and gets a new sequence number, so "done" for
 * the old one leaves it); retries wait; the marks of pending entries
 * commit with the caller's transaction and roll back with it.
 */
static void test_vault_outbox(void **state)
{
	teardown(state);
	struct lm_cache *c;
	assert_int_equal(lm_cache_open(path, &c), LM_OK);
	static const uint8_t tag[LM_CACHE_TAG_LEN] = {1}, ref1[LM_CACHE_TAG_LEN] = {2},
			     ref2[LM_CACHE_TAG_LEN] = {3};
	static const uint8_t sealed[92] = {9};
	assert_int_equal(lm_cache_outbox_put(c, tag, ref1, sealed, sizeof(sealed)), LM_OK);
	assert_int_equal(lm_cache_outbox_put(c, tag, ref1, sealed, sizeof(sealed)), LM_OK);
	assert_int_equal(lm_cache_outbox_put(c, tag, ref2, sealed, sizeof(sealed)), LM_OK);
	int64_t n = -1;
	assert_int_equal(lm_cache_outbox_count(c, &n), LM_OK);
	assert_int_equal(n, 2);
	struct outbox_rows r = {0};
	assert_int_equal(lm_cache_outbox_each(c, 0, 8, outbox_row, &r), LM_OK);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.tomb[0], 0);
	assert_int_equal(r.len[0], sizeof(sealed));
	/* ref1 deleted before it left: the tombstone takes its place. */
	assert_int_equal(lm_cache_outbox_put(c, tag, ref1, NULL, 0), LM_OK);
	assert_int_equal(lm_cache_outbox_done(c, r.seq[0]), LM_OK); /* the old push: gone already */
	struct outbox_rows t = {0};
	assert_int_equal(lm_cache_outbox_each(c, 0, 8, outbox_row, &t), LM_OK);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.seq[0], r.seq[1]);
	assert_int_equal(t.tomb[1], 1);
	assert_true(t.seq[1] > r.seq[1]);
	/* A failed push waits for its retry time. */
	assert_int_equal(lm_cache_outbox_retry(c, t.seq[0], 100), LM_OK);
	struct outbox_rows u = {0};
	assert_int_equal(lm_cache_outbox_each(c, 99, 8, outbox_row, &u), LM_OK);
	assert_int_equal(u.n, 1);
	assert_int_equal(u.tomb[0], 1);
	u.n = 0;
	assert_int_equal(lm_cache_outbox_each(c, 100, 1, outbox_row, &u), LM_OK);
	assert_int_equal(u.n, 1);
	assert_int_equal(u.seq[0], t.seq[0]);
	assert_int_equal(lm_cache_outbox_done(c, t.seq[0]), LM_OK);
	assert_int_equal(lm_cache_outbox_done(c, t.seq[1]), LM_OK);
	assert_int_equal(lm_cache_outbox_count(c, &n), LM_OK);
	assert_int_equal(n, 0);

	/* Pending entries: marked only when the walk went through, and only
	 * with the caller's transaction. */
	static const uint8_t id2[32] = {0x22};
	assert_int_equal(lm_cache_put_entry(c, holder, id2, entry, sizeof(entry), 2, 1, 10, NULL),
			 LM_OK);
	int k = 0;
	assert_int_equal(lm_cache_each_vault_holder(c, count_holder, &k), LM_OK);
	assert_int_equal(k, 0);
	assert_int_equal(lm_cache_begin(c), LM_OK);
	assert_int_equal(lm_cache_vault_pending(c, holder, 0, 50, pending_fail, NULL), LM_ERR_RNG);
	assert_int_equal(lm_cache_vault_pending(c, holder, 0, 50, pending_count, &k), LM_OK);
	assert_int_equal(k, 1);
	lm_cache_rollback(c);
	k = 0;
	assert_int_equal(lm_cache_begin(c), LM_OK);
	assert_int_equal(lm_cache_vault_pending(c, holder, 0, 50, pending_count, &k), LM_OK);
	assert_int_equal(lm_cache_commit(c), LM_OK);
	assert_int_equal(k, 1);
	k = 0;
	assert_int_equal(lm_cache_vault_pending(c, holder, 0, 60, pending_count, &k), LM_OK);
	assert_int_equal(k, 0); /* sealed already */
	assert_int_equal(lm_cache_vault_pending(c, holder, 50, 60, pending_count, &k), LM_OK);
	assert_int_equal(k, 1); /* sealed at 50 or before: again (a refresh) */
	k = 0;
	assert_int_equal(lm_cache_each_vault_holder(c, count_holder, &k), LM_OK);
	assert_int_equal(k, 1);
	lm_cache_close(c);
	assert_int_equal(sql_int("SELECT vault_at FROM entries"), 60);
}

/*
 * Statements are kept prepared per connection (cache.c stmt_get): each use
 * must end its read, or a connection that found a row would go on seeing
 * the database as it was then (a pool worker missing the reader thread's
 * verdicts).  Two connections, as the daemon's reader thread and a worker.
 */
static void test_kept_statements_see_commits(void **state)
{
	(void)state;
	struct lm_cache *a, *b;
	assert_int_equal(lm_cache_open(path, &a), LM_OK);
	assert_int_equal(lm_cache_open(path, &b), LM_OK);
	uint8_t id1[32] = {1}, id2[32] = {2};
	int verdict, inst;
	assert_int_equal(lm_cache_put_verdict(b, id1, holder, trust1, 0, 0), LM_OK);
	/* a finds a row: its statement stopped at SQLITE_ROW */
	assert_int_equal(lm_cache_get_verdict(a, id1, holder, trust1, &verdict, &inst), LM_OK);
	assert_int_equal(lm_cache_begin(b), LM_OK);
	assert_int_equal(lm_cache_put_verdict(b, id2, holder, trust1, 3, -1), LM_OK);
	assert_int_equal(lm_cache_commit(b), LM_OK);
	assert_int_equal(lm_cache_get_verdict(a, id2, holder, trust1, &verdict, &inst), LM_OK);
	assert_int_equal(verdict, 3);
	/* and the same again, many times over: one statement, reused */
	for (int i = 0; i < 100; i++)
		assert_int_equal(lm_cache_get_verdict(a, id1, holder, trust1, &verdict, &inst),
				 LM_OK);
	lm_cache_close(a);
	lm_cache_close(b);
}

/* A transaction makes sure of each holder's row once (lm_cache_put_entry):
 * never across a rollback, nor for another holder. */
static void test_holder_row_per_transaction(void **state)
{
	(void)state;
	struct lm_cache *c;
	assert_int_equal(lm_cache_open(path, &c), LM_OK);
	const uint8_t h1[LM_HOLDER_LEN] = {0xb1}, h2[LM_HOLDER_LEN] = {0xb2};
	uint8_t id1[32] = {0xc1}, id2[32] = {0xc2}, id3[32] = {0xc3}, id4[32] = {0xc4};
	assert_int_equal(lm_cache_begin(c), LM_OK);
	assert_int_equal(lm_cache_put_entry(c, h1, id1, entry, sizeof(entry), 1, 0, 100, NULL),
			 LM_OK);
	lm_cache_rollback(c);
	assert_int_equal(lm_cache_begin(c), LM_OK);
	assert_int_equal(lm_cache_put_entry(c, h1, id2, entry, sizeof(entry), 1, 0, 100, NULL),
			 LM_OK);
	assert_int_equal(lm_cache_put_entry(c, h1, id4, entry, sizeof(entry), 1, 0, 100, NULL),
			 LM_OK);
	assert_int_equal(lm_cache_put_entry(c, h2, id3, entry, sizeof(entry), 1, 0, 100, NULL),
			 LM_OK);
	assert_int_equal(lm_cache_commit(c), LM_OK);
	lm_cache_close(c);
	assert_int_equal(sql_int("SELECT count(*) FROM holders WHERE holder IN"
				 " ('b1000000000000000000000000000000',"
				 " 'b2000000000000000000000000000000')"),
			 2);
	assert_int_equal(sql_int("SELECT count(*) FROM entries WHERE holder ="
				 " 'b1000000000000000000000000000000'"),
			 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_dedup_verdicts),
		cmocka_unit_test(test_migrate_forward),
		cmocka_unit_test(test_read_log_retention),
		cmocka_unit_test(test_audit),
		cmocka_unit_test(test_entry_retention),
		cmocka_unit_test(test_locked_and_corrupt),
		cmocka_unit_test(test_new_file_modes),
		cmocka_unit_test(test_vault_outbox),
		cmocka_unit_test(test_kept_statements_see_commits),
		cmocka_unit_test(test_holder_row_per_transaction),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
