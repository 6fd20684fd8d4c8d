/*
 * cache.c - the office cache in SQLite.  SQLite codes are translated in
 * db_err() only.
 */
#include "laufmappe/lm_cache.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_util.h"

/* Statements kept prepared per connection (see stmt_get). */
#define CACHE_STMTS 32

struct lm_cache {
	sqlite3 *db;
	struct {
		const char *sql; /* a string literal: its address is the key */
		sqlite3_stmt *st;
	} stmts[CACHE_STMTS];
	/* The holder whose row this transaction has made sure of (a tap
	 * stores every entry of one holder: one statement, not one each). */
	int holder_put;
	uint8_t holder[LM_HOLDER_LEN];
};

/*
 * The schema, one step per version: step i brings user_version i to i + 1.
 * Never edit a step that has shipped; add one.
 */
static const char *const migrations[LM_CACHE_SCHEMA] = {
	/* 0 -> 1: the tables.  (Parentheses: one step of several literals.) */
	("CREATE TABLE holders (holder TEXT PRIMARY KEY, first_seen INTEGER NOT NULL);"
	 "CREATE TABLE entries (id TEXT PRIMARY KEY, holder TEXT NOT NULL, bytes BLOB NOT NULL,"
	 " type INTEGER NOT NULL, date INTEGER NOT NULL, first_seen INTEGER NOT NULL);"
	 "CREATE TABLE verdicts (id TEXT NOT NULL, trust_version INTEGER NOT NULL,"
	 " verdict INTEGER NOT NULL, inst INTEGER NOT NULL, PRIMARY KEY (id, trust_version));"
	 "CREATE TABLE reads (time INTEGER NOT NULL, reader TEXT NOT NULL, role TEXT NOT NULL,"
	 " holder TEXT NOT NULL);"
	 "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"),
	/* 1 -> 2: lookups by holder and pruning by time stay fast at a million rows. */
	("CREATE INDEX entries_holder ON entries (holder, first_seen);"
	 "CREATE INDEX reads_holder ON reads (holder, time);"
	 "CREATE INDEX reads_time ON reads (time);"),
	/* 2 -> 3: the cards seen (one holder may have had several: lost, renewed). */
	("CREATE TABLE cards (uid TEXT NOT NULL, kind TEXT NOT NULL, holder TEXT NOT NULL,"
	 " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, PRIMARY KEY (uid, holder));"),
	/* 3 -> 4: entries are kept for a configured time after they were last seen. */
	("ALTER TABLE entries ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;"
	 "UPDATE entries SET last_seen = first_seen;"
	 "CREATE INDEX entries_last_seen ON entries (last_seen);"),
	/* 4 -> 5: a verdict answers one exact question (design.md 11): this
	 * entry, checked for this holder, under this trust list (its hash, not
	 * its version).  Old verdicts answered less and are dropped.  Entries are
	 * filed per holder: a copy of A's entry on B's card must not take the
	 * place of A's (both rows may exist, each with its own verdict). */
	("DROP TABLE verdicts;"
	 "CREATE TABLE verdicts (id TEXT NOT NULL, holder TEXT NOT NULL, trust BLOB NOT NULL,"
	 " verdict INTEGER NOT NULL, inst INTEGER NOT NULL, PRIMARY KEY (id, holder, trust));"
	 "CREATE TABLE entries5 (id TEXT NOT NULL, holder TEXT NOT NULL, bytes BLOB NOT NULL,"
	 " type INTEGER NOT NULL, date INTEGER NOT NULL, first_seen INTEGER NOT NULL,"
	 " last_seen INTEGER NOT NULL, PRIMARY KEY (id, holder));"
	 "INSERT INTO entries5 SELECT id, holder, bytes, type, date, first_seen, last_seen"
	 " FROM entries ORDER BY rowid;"
	 "DROP TABLE entries;"
	 "ALTER TABLE entries5 RENAME TO entries;"
	 "CREATE INDEX entries_holder ON entries (holder, first_seen);"
	 "CREATE INDEX entries_last_seen ON entries (last_seen);"),
	/* 5 -> 6: the office's write log: who (a staff member, or "token" for
	 * a script) did which write, to which holder and entry. */
	("CREATE TABLE audit (time INTEGER NOT NULL, staff TEXT NOT NULL, action TEXT NOT NULL,"
	 " reader TEXT NOT NULL, holder TEXT NOT NULL, entry TEXT NOT NULL,"
	 " detail TEXT NOT NULL);"
	 "CREATE INDEX audit_time ON audit (time);"),
	/* 6 -> 7: the office's memory of each holder's card for delta reads:
	 * the committed log last read and the card's digest of it. */
	("CREATE TABLE card_logs (holder TEXT PRIMARY KEY, committed INTEGER NOT NULL,"
	 " digest BLOB NOT NULL, log BLOB NOT NULL, seen INTEGER NOT NULL);"),
	/* 7 -> 8: the folder vault (docs/vault.md): when an entry was last
	 * sealed for it, and the outbox of sealed records and tombstones.
	 * AUTOINCREMENT: a sequence number is never reused, so a row that
	 * replaced a pushed one is never taken for it. */
	("ALTER TABLE entries ADD COLUMN vault_at INTEGER NOT NULL DEFAULT 0;"
	 "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, tag BLOB NOT NULL,"
	 " ref BLOB NOT NULL, sealed BLOB, tries INTEGER NOT NULL DEFAULT 0,"
	 " next_try INTEGER NOT NULL DEFAULT 0, UNIQUE (tag, ref));"),
};

/* The one translation of SQLite codes. */
static int db_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW: return LM_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return LM_ERR_DB_BUSY;
	case SQLITE_FULL: return LM_ERR_DB_FULL;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB: return LM_ERR_DB_CORRUPT;
	case SQLITE_NOMEM: return LM_ERR_NOMEM;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY: return LM_ERR_IO;
	default: return LM_ERR_DB;
	}
}

static int exec(struct lm_cache *c, const char *sql)
{
	return db_err(sqlite3_exec(c->db, sql, NULL, NULL, NULL));
}

static int migrate(struct lm_cache *c)
{
	sqlite3_stmt *st;
	int err = db_err(sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL));
	if (err)
		return err;
	int rc = sqlite3_step(st);
	int version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_err(rc);
	if (version > LM_CACHE_SCHEMA)
		return LM_ERR_DB_SCHEMA;
	for (int v = version; v < LM_CACHE_SCHEMA; v++) {
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		err = exec(c, "BEGIN IMMEDIATE");
		if (!err)
			err = exec(c, migrations[v]);
		if (!err)
			err = exec(c, pragma);
		if (!err)
			err = exec(c, "COMMIT");
		if (err) {
			exec(c, "ROLLBACK");
			return err;
		}
	}
	return LM_OK;
}

int lm_cache_open(const char *path, struct lm_cache **out)
{
	*out = NULL;
	/* A new database is created 0600 whatever the umask: it holds folders
	 * and read logs.  SQLite gives its -wal and -shm the database's mode.
	 * An existing file is left as its owner made it; names SQLite treats
	 * specially (":memory:", "file:" URIs, "") are left to it. */
	if (path[0] && path[0] != ':' && strncmp(path, "file:", 5)) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd); /* else it exists, or SQLite reports why it cannot */
	}
	struct lm_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return LM_ERR_NOMEM;
	int err = db_err(sqlite3_open_v2(
		path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
		NULL));
	if (!err) {
		/* Another process holding the lock gets 2 s before we report busy. */
		sqlite3_busy_timeout(c->db, 2000);
		err = exec(c, "PRAGMA journal_mode = WAL");
	}
	if (!err)
		err = exec(c, "PRAGMA synchronous = NORMAL");
	if (!err)
		err = migrate(c);
	if (err) {
		lm_cache_close(c);
		return err;
	}
	*out = c;
	return LM_OK;
}

void lm_cache_close(struct lm_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CACHE_STMTS; i++)
		sqlite3_finalize(c->stmts[i].st);
	sqlite3_close_v2(c->db);
	free(c);
}

int lm_cache_begin(struct lm_cache *c)
{
	c->holder_put = 0;
	return exec(c, "BEGIN IMMEDIATE");
}

int lm_cache_commit(struct lm_cache *c)
{
	c->holder_put = 0;
	int err = exec(c, "COMMIT");
	if (err)
		exec(c, "ROLLBACK");
	return err;
}

void lm_cache_rollback(struct lm_cache *c)
{
	c->holder_put = 0;
	exec(c, "ROLLBACK");
}

/*
 * The prepared statement for sql, a string literal (never a built string:
 * its address is the key), kept for the connection's life: a tap runs the
 * same few statements for every entry, and parsing them cost more than
 * running them (bench/bench_daemon.sh).  Hand it back with stmt_put on
 * every path, so that no statement holds a read snapshot open.  Not for
 * walks whose callbacks may use the connection again.
 */
static int stmt_get(struct lm_cache *c, const char *sql, sqlite3_stmt **st)
{
	size_t i, free_slot = CACHE_STMTS;
	for (i = 0; i < CACHE_STMTS; i++) {
		if (c->stmts[i].sql == sql) {
			*st = c->stmts[i].st;
			return LM_OK;
		}
		if (!c->stmts[i].sql && free_slot == CACHE_STMTS)
			free_slot = i;
	}
	int err = db_err(sqlite3_prepare_v3(
		c->db, sql, -1, free_slot < CACHE_STMTS ? SQLITE_PREPARE_PERSISTENT : 0, st, NULL));
	if (!err && free_slot < CACHE_STMTS) {
		c->stmts[free_slot].sql = sql;
		c->stmts[free_slot].st = *st;
	}
	return err;
}

/* Give a statement of stmt_get back: reset for the next use, or finalized
 * when the table had no room for it. */
static void stmt_put(struct lm_cache *c, sqlite3_stmt *st)
{
	for (size_t i = 0; i < CACHE_STMTS; i++) {
		if (c->stmts[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return;
		}
	}
	sqlite3_finalize(st);
}

/* Prepare, bind by a tiny format ("t" text, "i" int64, "b" blob+len), step once. */
static int run(struct lm_cache *c, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	int err = stmt_get(c, sql, &st);
	if (err)
		return err;
	va_list ap;
	va_start(ap, fmt);
	for (int i = 0; fmt[i]; i++) {
		if (fmt[i] == 't') {
			sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1,
					  SQLITE_TRANSIENT);
		} else if (fmt[i] == 'i') {
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		} else {
			const void *p = va_arg(ap, const void *);
			int n = va_arg(ap, int);
			sqlite3_bind_blob(st, i + 1, p, n, SQLITE_TRANSIENT);
		}
	}
	va_end(ap);
	err = db_err(sqlite3_step(st));
	stmt_put(c, st);
	return err;
}

/* The end of a walk: the step's error unless the callback stopped it. */
static int walk_end(sqlite3_stmt *st, int rc, int err)
{
	if (!err && rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = db_err(rc);
	sqlite3_finalize(st);
	return err;
}

/* A holder id stored as hex in column col; LM_ERR_DB_CORRUPT otherwise. */
static int column_holder(sqlite3_stmt *st, int col, uint8_t h[LM_HOLDER_LEN])
{
	const char *hs = (const char *)sqlite3_column_text(st, col);
	return hs && !lm_hex_decode(hs, h, LM_HOLDER_LEN) ? LM_OK : LM_ERR_DB_CORRUPT;
}

int lm_cache_put_entry(struct lm_cache *c, const uint8_t holder[LM_HOLDER_LEN],
		       const uint8_t id[32], const uint8_t *bytes, size_t len, unsigned type,
		       uint32_t date, int64_t now, int64_t *first_seen)
{
	char idh[65], hh[2 * LM_HOLDER_LEN + 1];
	lm_hex_encode(id, 32, idh);
	lm_hex_encode(holder, LM_HOLDER_LEN, hh);
	/* Inside a transaction (which holds the write lock) the holder's row
	 * stays once made sure of. */
	int in_tx = !sqlite3_get_autocommit(c->db), err = LM_OK;
	if (!in_tx || !c->holder_put || memcmp(c->holder, holder, LM_HOLDER_LEN))
		err = run(c, "INSERT OR IGNORE INTO holders (holder, first_seen) VALUES (?, ?)",
			  "ti", hh, now);
	if (err)
		return err;
	c->holder_put = in_tx;
	memcpy(c->holder, holder, LM_HOLDER_LEN);
	/* Seen again: its retention starts anew; first_seen never moves. */
	sqlite3_stmt *st;
	err = stmt_get(c,
		       "INSERT INTO entries (id, holder, bytes, type, date, first_seen, last_seen)"
		       " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id, holder) DO UPDATE"
		       " SET last_seen = max(last_seen, excluded.last_seen) RETURNING first_seen",
		       &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, idh, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, hh, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, bytes, (int)len, SQLITE_STATIC); /* unbound in stmt_put */
	sqlite3_bind_int64(st, 4, type);
	sqlite3_bind_int64(st, 5, date);
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_int64(st, 7, now);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (first_seen)
			*first_seen = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	err = rc == SQLITE_DONE ? LM_OK : db_err(rc);
	stmt_put(c, st);
	return err;
}

int lm_cache_get_verdict(struct lm_cache *c, const uint8_t id[32],
			 const uint8_t holder[LM_HOLDER_LEN], const uint8_t trust[32], int *verdict,
			 int *inst)
{
	char idh[65], hh[2 * LM_HOLDER_LEN + 1];
	lm_hex_encode(id, 32, idh);
	lm_hex_encode(holder, LM_HOLDER_LEN, hh);
	sqlite3_stmt *st;
	int err = stmt_get(c,
			   "SELECT verdict, inst FROM verdicts"
			   " WHERE id = ? AND holder = ? AND trust = ?",
			   &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, idh, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, hh, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, trust, 32, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*verdict = sqlite3_column_int(st, 0);
		*inst = sqlite3_column_int(st, 1);
		err = LM_OK;
	} else {
		err = rc == SQLITE_DONE ? LM_ERR_NOT_FOUND : db_err(rc);
	}
	stmt_put(c, st);
	return err;
}

int lm_cache_put_verdict(struct lm_cache *c, const uint8_t id[32],
			 const uint8_t holder[LM_HOLDER_LEN], const uint8_t trust[32], int verdict,
			 int inst)
{
	char idh[65], hh[2 * LM_HOLDER_LEN + 1];
	lm_hex_encode(id, 32, idh);
	lm_hex_encode(holder, LM_HOLDER_LEN, hh);
	return run(c,
		   "INSERT OR REPLACE INTO verdicts (id, holder, trust, verdict, inst)"
		   " VALUES (?, ?, ?, ?, ?)",
		   "ttbii", idh, hh, trust, 32, (int64_t)verdict, (int64_t)inst);
}

int lm_cache_put_card(struct lm_cache *c, const char *kind, const uint8_t *uid, size_t uid_len,
		      const uint8_t holder[LM_HOLDER_LEN], int64_t now)
{
	char uh[2 * 10 + 1], hh[2 * LM_HOLDER_LEN + 1];
	if (uid_len > 10)
		return LM_ERR_ARG;
	lm_hex_encode(uid, uid_len, uh);
	lm_hex_encode(holder, LM_HOLDER_LEN, hh);
	return run(c,
		   "INSERT INTO cards (uid, kind, holder, first_seen, last_seen) VALUES (?, ?, ?, "
		   "?, ?)"
		   " ON CONFLICT (uid, holder) DO UPDATE SET last_seen = excluded.last_seen",
		   "tttii", uh, kind, hh, now, now);
}

int lm_cache_log_read(struct lm_cache *c, int64_t time, const char *reader, const char *role,
		      const uint8_t holder[LM_HOLDER_LEN])
{
	char hh[2 * LM_HOLDER_LEN + 1];
	lm_hex_encode(holder, LM_HOLDER_LEN, hh);
	return run(c, "INSERT INTO reads (time, reader, role, holder) VALUES (?, ?, ?, ?)", "ittt",
		   time, reader, role, hh);
}

int lm_cache_prune_reads(struct lm_cache *c, int64_t before, int *deleted)
{
	int err = run(c, "DELETE FROM reads WHERE time < ?", "i", before);
	if (deleted)
		*deleted = err ? 0 : sqlite3_changes(c->db);
	return err;
}

int lm_cache_prune_entries(struct lm_cache *c, int64_t before, int *deleted)
{
	int err = run(c, "DELETE FROM entries WHERE last_seen < ?", "i", before);
	if (deleted)
		*deleted = err ? 0 : sqlite3_changes(c->db);
	/* What only described those entries and holders goes with them. */
	if (!err)
		err = run(c,
			  "DELETE FROM verdicts WHERE NOT EXISTS (SELECT 1 FROM entries e"
			  " WHERE e.id = verdicts.id AND e.holder = verdicts.holder)",
			  "");
	if (!err)
		err = run(c, "DELETE FROM cards WHERE last_seen < ?", "i", before);
	if (!err)
		err = run(c, "DELETE FROM card_logs WHERE seen < ?", "i", before);
	c->holder_put = 0; /* its row may go now */
	if (!err)
		err = run(c,
			  "DELETE FROM holders WHERE holder NOT IN (SELECT holder FROM entries)"
			  " AND holder NOT IN (SELECT holder FROM reads)"
			  " AND holder NOT IN (SELECT holder FROM cards)",
			  "");
	return err;
}

int lm_cache_each_entry(struct lm_cache *c, const uint8_t *holder, lm_cache_entry_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	const char *sql = holder ? "SELECT holder, bytes FROM entries WHERE holder = ?"
				   " ORDER BY first_seen, rowid"
				 : "SELECT holder, bytes FROM entries ORDER BY first_seen, rowid";
	int err = db_err(sqlite3_prepare_v2(c->db, sql, -1, &st, NULL));
	if (err)
		return err;
	char hh[2 * LM_HOLDER_LEN + 1];
	if (holder) {
		lm_hex_encode(holder, LM_HOLDER_LEN, hh);
		sqlite3_bind_text(st, 1, hh, -1, SQLITE_TRANSIENT);
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint8_t h[LM_HOLDER_LEN];
		if ((err = column_holder(st, 0, h)))
			break;
		err = fn(ctx, h, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
		if (err)
			break;
	}
	return walk_end(st, rc, err);
}

int lm_cache_each_read(struct lm_cache *c, const uint8_t holder[LM_HOLDER_LEN], lm_cache_read_fn fn,
		       void *ctx)
{
	sqlite3_stmt *st;
	int err = db_err(sqlite3_prepare_v2(
		c->db, "SELECT time, reader, role FROM reads WHERE holder = ? ORDER BY time", -1,
		&st, NULL));
	if (err)
		return err;
	char hh[2 * LM_HOLDER_LEN + 1];
	lm_hex_encode(holder, LM_HOLDER_LEN, hh);
	sqlite3_bind_text(st, 1, hh, -1, SQLITE_TRANSIENT);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = fn(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
			 (const char *)sqlite3_column_text(st, 2));
		if (err)
			break;
	}
	return walk_end(st, rc, err);
}

int lm_cache_get_entry(struct lm_cache *c, const uint8_t holder[LM_HOLDER_LEN],
		       const uint8_t id[32], uint8_t *buf, size_t cap, size_t *len)
{
	char idh[65], hh[2 * LM_HOLDER_LEN + 1];
	lm_hex_encode(id, 32, idh);
	lm_hex_encode(holder, LM_HOLDER_LEN, hh);
	sqlite3_stmt *st;
	int err = stmt_get(c, "SELECT bytes FROM entries WHERE id = ? AND holder = ?", &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, idh, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, hh, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		if (n > cap) {
			err = LM_ERR_BUFFER;
		} else {
			memcpy(buf, sqlite3_column_blob(st, 0), n);
			*len = n;
		}
	} else {
		err = rc == SQLITE_DONE ? LM_ERR_NOT_FOUND : db_err(rc);
	}
	stmt_put(c, st);
	return err;
}

int lm_cache_delete_entry(struct lm_cache *c, const uint8_t holder[LM_HOLDER_LEN],
			  const uint8_t id[32])
{
	char idh[65], hh[2 * LM_HOLDER_LEN + 1];
	lm_hex_encode(id, 32, idh);
	lm_hex_encode(holder, LM_HOLDER_LEN, hh);
	int err = run(c, "DELETE FROM entries WHERE id = ? AND holder = ?", "tt", idh, hh);
	if (err)
		return err;
	if (sqlite3_changes(c->db) == 0)
		return LM_ERR_NOT_FOUND;
	err = run(c, "DELETE FROM verdicts WHERE id = ? AND holder = ?", "tt", idh, hh);
	/* The remembered card log holds the entry too. */
	return err ? err : lm_cache_forget_card_log(c, holder);
}

int lm_cache_put_card_log(struct lm_cache *c, const uint8_t holder[LM_HOLDER_LEN],
			  const uint8_t *log, uint16_t committed, const uint8_t digest[32],
			  int64_t now)
{
	char hh[2 * LM_HOLDER_LEN + 1];
	lm_hex_encode(holder, LM_HOLDER_LEN, hh);
	return run(c,
		   "INSERT OR REPLACE INTO card_logs (holder, committed, digest, log, seen)"
		   " VALUES (?, ?, ?, ?, ?)",
		   "tibbi", hh, (int64_t)committed, digest, 32, log, (int)committed, now);
}

int lm_cache_get_card_log(struct lm_cache *c, const uint8_t holder[LM_HOLDER_LEN], uint8_t *buf,
			  size_t cap, struct lm_card_known *k)
{
	char hh[2 * LM_HOLDER_LEN + 1];
	lm_hex_encode(holder, LM_HOLDER_LEN, hh);
	sqlite3_stmt *st;
	int err = stmt_get(c, "SELECT committed, digest, log FROM card_logs WHERE holder = ?", &st);
	if (err)
		return err;
	sqlite3_bind_text(st, 1, hh, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t n = sqlite3_column_int64(st, 0);
		size_t blen = (size_t)sqlite3_column_bytes(st, 2);
		if (n < 0 || n > LM_CARD_MAX || (size_t)n != blen ||
		    sqlite3_column_bytes(st, 1) != 32) {
			err = LM_ERR_DB_CORRUPT;
		} else if (blen > cap) {
			err = LM_ERR_BUFFER;
		} else {
			if (blen)
				memcpy(buf, sqlite3_column_blob(st, 2), blen);
			memcpy(k->holder, holder, LM_HOLDER_LEN);
			memcpy(k->digest, sqlite3_column_blob(st, 1), 32);
			k->committed = (uint16_t)n;
			k->log = buf;
		}
	} else {
		err = rc == SQLITE_DONE ? LM_ERR_NOT_FOUND : db_err(rc);
	}
	stmt_put(c, st);
	return err;
}

int lm_cache_forget_card_log(struct lm_cache *c, const uint8_t holder[LM_HOLDER_LEN])
{
	char hh[2 * LM_HOLDER_LEN + 1];
	lm_hex_encode(holder, LM_HOLDER_LEN, hh);
	return run(c, "DELETE FROM card_logs WHERE holder = ?", "t", hh);
}

int lm_cache_get_meta(struct lm_cache *c, const char *key, int64_t *value)
{
	sqlite3_stmt *st;
	int err = db_err(
		sqlite3_prepare_v2(c->db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL));
	if (err)
		return err;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*value = sqlite3_column_int64(st, 0);
	else
		err = rc == SQLITE_DONE ? LM_ERR_NOT_FOUND : db_err(rc);
	sqlite3_finalize(st);
	return err;
}

int lm_cache_set_meta(struct lm_cache *c, const char *key, int64_t value)
{
	return run(c, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", "ti", key, value);
}

int lm_cache_count(struct lm_cache *c, int64_t *entries, int64_t *holders)
{
	sqlite3_stmt *st;
	int err = db_err(sqlite3_prepare_v2(
		c->db, "SELECT (SELECT count(*) FROM entries), (SELECT count(*) FROM holders)", -1,
		&st, NULL));
	if (err)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*entries = sqlite3_column_int64(st, 0);
		*holders = sqlite3_column_int64(st, 1);
	} else {
		err = db_err(rc);
	}
	sqlite3_finalize(st);
	return err;
}

int lm_cache_audit_add(struct lm_cache *c, const struct lm_audit *a)
{
	if (!a->staff || !a->action)
		return LM_ERR_ARG;
	return run(c,
		   "INSERT INTO audit (time, staff, action, reader, holder, entry, detail)"
		   " VALUES (?, ?, ?, ?, ?, ?, ?)",
		   "itttttt", a->time, a->staff, a->action, a->reader ? a->reader : "",
		   a->holder ? a->holder : "", a->entry ? a->entry : "",
		   a->detail ? a->detail : "");
}

int lm_cache_each_audit(struct lm_cache *c, int64_t since, lm_cache_audit_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	int err = db_err(
		sqlite3_prepare_v2(c->db,
				   "SELECT time, staff, action, reader, holder, entry, detail"
				   " FROM audit WHERE time >= ? ORDER BY time, rowid",
				   -1, &st, NULL));
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, since);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct lm_audit a = {
			.time = sqlite3_column_int64(st, 0),
			.staff = (const char *)sqlite3_column_text(st, 1),
			.action = (const char *)sqlite3_column_text(st, 2),
			.reader = (const char *)sqlite3_column_text(st, 3),
			.holder = (const char *)sqlite3_column_text(st, 4),
			.entry = (const char *)sqlite3_column_text(st, 5),
			.detail = (const char *)sqlite3_column_text(st, 6),
		};
		if (!a.staff || !a.action || !a.reader || !a.holder || !a.entry || !a.detail) {
			err = LM_ERR_NOMEM; /* the columns are NOT NULL: only memory fails */
			break;
		}
		if ((err = fn(ctx, &a)) != 0)
			break;
	}
	return walk_end(st, rc, err);
}

int lm_cache_outbox_put(struct lm_cache *c, const uint8_t tag[LM_CACHE_TAG_LEN],
			const uint8_t ref[LM_CACHE_TAG_LEN], const uint8_t *sealed, size_t len)
{
	if (!sealed)
		return run(c,
			   "INSERT OR REPLACE INTO outbox (tag, ref, sealed) VALUES (?, ?, NULL)",
			   "bb", tag, LM_CACHE_TAG_LEN, ref, LM_CACHE_TAG_LEN);
	if (len > 65536)
		return LM_ERR_ARG;
	return run(c, "INSERT OR IGNORE INTO outbox (tag, ref, sealed) VALUES (?, ?, ?)", "bbb",
		   tag, LM_CACHE_TAG_LEN, ref, LM_CACHE_TAG_LEN, sealed, (int)len);
}

int lm_cache_outbox_each(struct lm_cache *c, int64_t now, int max, lm_cache_outbox_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	int err = db_err(sqlite3_prepare_v2(c->db,
					    "SELECT seq, tag, ref, sealed, tries FROM outbox"
					    " WHERE next_try <= ? ORDER BY seq LIMIT ?",
					    -1, &st, NULL));
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, max);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 1) != LM_CACHE_TAG_LEN ||
		    sqlite3_column_bytes(st, 2) != LM_CACHE_TAG_LEN) {
			err = LM_ERR_DB_CORRUPT;
			break;
		}
		int tomb = sqlite3_column_type(st, 3) == SQLITE_NULL;
		const uint8_t *sealed = tomb ? NULL : sqlite3_column_blob(st, 3);
		size_t len = tomb ? 0 : (size_t)sqlite3_column_bytes(st, 3);
		if (!tomb && !sealed) {
			err = LM_ERR_DB_CORRUPT; /* an empty record: no seal makes one */
			break;
		}
		err = fn(ctx, sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
			 sqlite3_column_blob(st, 2), sealed, len, sqlite3_column_int(st, 4));
		if (err)
			break;
	}
	return walk_end(st, rc, err);
}

int lm_cache_outbox_done(struct lm_cache *c, int64_t seq)
{
	return run(c, "DELETE FROM outbox WHERE seq = ?", "i", seq);
}

int lm_cache_outbox_retry(struct lm_cache *c, int64_t seq, int64_t next_try)
{
	return run(c, "UPDATE outbox SET tries = tries + 1, next_try = ? WHERE seq = ?", "ii",
		   next_try, seq);
}

/* One number from a query without parameters. */
static int scalar(struct lm_cache *c, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int err = db_err(sqlite3_prepare_v2(c->db, sql, -1, &st, NULL));
	if (err)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		err = db_err(rc);
	sqlite3_finalize(st);
	return err;
}

int lm_cache_prune_audit(struct lm_cache *c, int64_t before, int *deleted)
{
	int err = run(c, "DELETE FROM audit WHERE time < ?", "i", before);
	if (deleted)
		*deleted = err ? 0 : sqlite3_changes(c->db);
	return err;
}

int lm_cache_outbox_count(struct lm_cache *c, int64_t *rows)
{
	return scalar(c, "SELECT count(*) FROM outbox", rows);
}

int lm_cache_vault_pending(struct lm_cache *c, const uint8_t holder[LM_HOLDER_LEN], int64_t before,
			   int64_t now, lm_cache_entry_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	int err = db_err(sqlite3_prepare_v2(c->db,
					    "SELECT bytes FROM entries WHERE holder = ? AND"
					    " vault_at <= ? ORDER BY first_seen, rowid",
					    -1, &st, NULL));
	if (err)
		return err;
	char hh[2 * LM_HOLDER_LEN + 1];
	lm_hex_encode(holder, LM_HOLDER_LEN, hh);
	sqlite3_bind_text(st, 1, hh, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, before);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = fn(ctx, holder, sqlite3_column_blob(st, 0),
			 (size_t)sqlite3_column_bytes(st, 0));
		if (err)
			break;
	}
	err = walk_end(st, rc, err);
	/* The same rows: the caller's transaction keeps other writers out. */
	if (!err)
		err = run(c, "UPDATE entries SET vault_at = ? WHERE holder = ? AND vault_at <= ?",
			  "iti", now, hh, before);
	return err;
}

int lm_cache_each_vault_holder(struct lm_cache *c, lm_cache_holder_fn fn, void *ctx)
{
	sqlite3_stmt *st;
	int err = db_err(sqlite3_prepare_v2(
		c->db, "SELECT DISTINCT holder FROM entries WHERE vault_at > 0 ORDER BY holder", -1,
		&st, NULL));
	if (err)
		return err;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint8_t h[LM_HOLDER_LEN];
		if ((err = column_holder(st, 0, h)))
			break;
		err = fn(ctx, h);
		if (err)
			break;
	}
	return walk_end(st, rc, err);
}
