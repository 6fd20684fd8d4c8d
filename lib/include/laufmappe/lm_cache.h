/*
 * lm_cache.h - an office's cache of the entries it has seen (SQLite), so
 * that a lost card loses nothing, plus the verdicts already computed and the
 * read log.
 *
 * Entries are stored as their signed card-form bytes, keyed by their id
 * (SHA-256 of those bytes): the cache can be exported and imported between
 * offices, and every importer verifies again.  The database runs in WAL
 * mode; its schema carries PRAGMA user_version and is migrated forward on
 * open (a newer schema than this build knows is refused).  Every write is
 * one transaction: a failed write (busy, full disk) changes nothing.
 *
 * One struct lm_cache per thread (SQLite connections are not shared).
 */
#ifndef LM_CACHE_H
#define LM_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "laufmappe/lm_card.h"

#include "laufmappe/lm_cose.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LM_CACHE_SCHEMA 8 /* the user_version this build writes */

struct lm_cache;

/* Open (creating or migrating) the cache at path. */
int lm_cache_open(const char *path, struct lm_cache **out);
void lm_cache_close(struct lm_cache *c);

/* Group several writes into one transaction (a tap: entries + read log). */
int lm_cache_begin(struct lm_cache *c);
int lm_cache_commit(struct lm_cache *c);
void lm_cache_rollback(struct lm_cache *c);

/*
 * Store one entry of a holder, by its id (SHA-256 of bytes, which the caller
 * computed once).  An entry already stored for this holder keeps its row and
 * first_seen; its last_seen moves to now.  *first_seen (may be NULL): when
 * this office first saw the entry on this holder's card.
 */
int lm_cache_put_entry(struct lm_cache *c, const uint8_t holder[LM_HOLDER_LEN],
		       const uint8_t id[32], const uint8_t *bytes, size_t len, unsigned type,
		       uint32_t date, int64_t now, int64_t *first_seen);

/*
 * The verdict of an entry checked for a holder under a trust list (its
 * hash): the whole question the answer depends on (design.md 11).
 * LM_ERR_NOT_FOUND when not computed.  Only verdicts go in, never errors.
 */
int lm_cache_get_verdict(struct lm_cache *c, const uint8_t id[32],
			 const uint8_t holder[LM_HOLDER_LEN], const uint8_t trust[32], int *verdict,
			 int *inst);
int lm_cache_put_verdict(struct lm_cache *c, const uint8_t id[32],
			 const uint8_t holder[LM_HOLDER_LEN], const uint8_t trust[32], int verdict,
			 int inst);

/* Remember a card (its kind and anticollision UID, if any) seen with a holder. */
int lm_cache_put_card(struct lm_cache *c, const char *kind, const uint8_t *uid, size_t uid_len,
		      const uint8_t holder[LM_HOLDER_LEN], int64_t now);

/*
 * The office's memory of a card (docs/transport.md "Delta reads of a known
 * card"): for a holder, the committed log this office read last from the
 * holder's card, as it is on the card (a protected card's ciphertext), and
 * the card's log digest for exactly that log.  One row
 * per holder (a holder with two cards in turn only costs full reads).
 * put replaces it; get fills k (k->log = buf, cap bytes) or answers
 * LM_ERR_NOT_FOUND; forget drops it (the holder's folder changed here: an
 * entry deleted, a rewrite).  Pruned with the entries (the log holds them).
 */
int lm_cache_put_card_log(struct lm_cache *c, const uint8_t holder[LM_HOLDER_LEN],
			  const uint8_t *log, uint16_t committed, const uint8_t digest[32],
			  int64_t now);
int lm_cache_get_card_log(struct lm_cache *c, const uint8_t holder[LM_HOLDER_LEN], uint8_t *buf,
			  size_t cap, struct lm_card_known *k);
int lm_cache_forget_card_log(struct lm_cache *c, const uint8_t holder[LM_HOLDER_LEN]);

int lm_cache_log_read(struct lm_cache *c, int64_t time, const char *reader, const char *role,
		      const uint8_t holder[LM_HOLDER_LEN]);
/* Delete read-log rows older than before (seconds); *deleted says how many. */
int lm_cache_prune_reads(struct lm_cache *c, int64_t before, int *deleted);

/*
 * The cache's retention (domain.md, privacy 7): delete the entries not seen
 * on any card since BEFORE (seconds), their verdicts, the cards not seen
 * since then, and holders nothing refers to any more.  *deleted = entries.
 */
int lm_cache_prune_entries(struct lm_cache *c, int64_t before, int *deleted);

/* Called per entry, oldest first; a non-zero return stops the walk and is returned. */
typedef int (*lm_cache_entry_fn)(void *ctx, const uint8_t holder[LM_HOLDER_LEN],
				 const uint8_t *bytes, size_t len);
/* Entries of one holder (or of all, with holder NULL). */
int lm_cache_each_entry(struct lm_cache *c, const uint8_t *holder, lm_cache_entry_fn fn, void *ctx);

typedef int (*lm_cache_read_fn)(void *ctx, int64_t time, const char *reader, const char *role);
int lm_cache_each_read(struct lm_cache *c, const uint8_t holder[LM_HOLDER_LEN], lm_cache_read_fn fn,
		       void *ctx);

/* Forget one entry of a holder (and its verdicts): the holder asked for it
 * to be deleted.  LM_ERR_NOT_FOUND when this cache does not hold it. */
int lm_cache_delete_entry(struct lm_cache *c, const uint8_t holder[LM_HOLDER_LEN],
			  const uint8_t id[32]);

/* One entry's bytes by id (and holder); LM_ERR_NOT_FOUND. */
int lm_cache_get_entry(struct lm_cache *c, const uint8_t holder[LM_HOLDER_LEN],
		       const uint8_t id[32], uint8_t *buf, size_t cap, size_t *len);

/* Small settings that must survive restarts.  (The accepted trust list's
 * version is kept in the trust state file, not here: see lm_trust.h.) */
int lm_cache_get_meta(struct lm_cache *c, const char *key, int64_t *value);
int lm_cache_set_meta(struct lm_cache *c, const char *key, int64_t value);

/*
 * The office's write log (the audit): who did which write.  staff is a
 * staff member's name, or "token" for a script with the terminal's token;
 * action is "append", "delete", "restore", "import" or "unlock"; holder and
 * entry are lowercase hex ("" when the write names none); detail is free
 * text ("3 entries").  Not the holder's read log (lm_cache_each_read).
 */
struct lm_audit {
	int64_t time;	    /* seconds since the epoch */
	const char *staff;  /* required */
	const char *action; /* required */
	const char *reader; /* the reader's spec, or NULL */
	const char *holder; /* hex, or NULL */
	const char *entry;  /* an entry id (hex), or NULL */
	const char *detail; /* or NULL */
};
int lm_cache_audit_add(struct lm_cache *c, const struct lm_audit *a);
/* Called per row, oldest first (strings valid during the call, never NULL);
 * a non-zero return stops the walk and is returned. */
typedef int (*lm_cache_audit_fn)(void *ctx, const struct lm_audit *a);
/* The rows from since (seconds) on. */
int lm_cache_each_audit(struct lm_cache *c, int64_t since, lm_cache_audit_fn fn, void *ctx);
/* Delete rows older than before (seconds); *deleted says how many. */
int lm_cache_prune_audit(struct lm_cache *c, int64_t before, int *deleted);

/*
 * The folder vault's outbox (docs/vault.md): records sealed for the vault
 * (lm_vault.h), queued in the same transaction as the cache update that
 * made them, and deleted only after the vault took them.  Rows carry the
 * tag, the ref and sealed bytes: never a key or a recovery secret.  A
 * tombstone is a row without sealed bytes.
 *
 * lm_cache_outbox_put queues a record (sealed, len) or, with sealed NULL,
 * a tombstone under (tag, ref): a record already queued there stays (the
 * same entry sealed again says nothing new); a tombstone replaces a
 * record waiting there (the entry was deleted before it left).  Each row
 * gets a new sequence number, never used again.
 */
#define LM_CACHE_TAG_LEN 16
int lm_cache_outbox_put(struct lm_cache *c, const uint8_t tag[LM_CACHE_TAG_LEN],
			const uint8_t ref[LM_CACHE_TAG_LEN], const uint8_t *sealed, size_t len);
/* Rows due at now (their retry time reached), oldest first, at most max;
 * sealed is NULL for a tombstone.  The walk holds a read transaction: copy
 * the rows and push them after it. */
typedef int (*lm_cache_outbox_fn)(void *ctx, int64_t seq, const uint8_t tag[LM_CACHE_TAG_LEN],
				  const uint8_t ref[LM_CACHE_TAG_LEN], const uint8_t *sealed,
				  size_t len, int tries);
int lm_cache_outbox_each(struct lm_cache *c, int64_t now, int max, lm_cache_outbox_fn fn,
			 void *ctx);
/* The vault took row seq: delete it (a row that replaced it meanwhile has
 * another seq and stays). */
int lm_cache_outbox_done(struct lm_cache *c, int64_t seq);
/* Row seq failed: count the try and wait until next_try (seconds). */
int lm_cache_outbox_retry(struct lm_cache *c, int64_t seq, int64_t next_try);
int lm_cache_outbox_count(struct lm_cache *c, int64_t *rows);

/*
 * A holder's entries not sealed for the vault since before (0: never),
 * oldest first; when fn returned 0 for every one, they are marked sealed
 * at now.  The caller seals them into the outbox in the same transaction
 * (lm_cache_begin), so the marks and the rows commit together.
 */
int lm_cache_vault_pending(struct lm_cache *c, const uint8_t holder[LM_HOLDER_LEN], int64_t before,
			   int64_t now, lm_cache_entry_fn fn, void *ctx);
/* The holders with an entry sealed for the vault (whose tombstones this
 * office asks for). */
typedef int (*lm_cache_holder_fn)(void *ctx, const uint8_t holder[LM_HOLDER_LEN]);
int lm_cache_each_vault_holder(struct lm_cache *c, lm_cache_holder_fn fn, void *ctx);

/* Counts, for status pages and tests. */
int lm_cache_count(struct lm_cache *c, int64_t *entries, int64_t *holders);

#ifdef __cplusplus
}
#endif

#endif /* LM_CACHE_H */
