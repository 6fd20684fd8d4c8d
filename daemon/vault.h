/*
 * vault.h - laufmapped's side of the city's folder vault (docs/vault.md):
 * what a tap or a desk write queues in the cache's outbox, the one vault
 * thread that pushes it, applies tombstones and fetches trust lists, and
 * the fetch of a holder's folder for a restore.
 *
 * Nothing here runs without a `vault` line in the configuration: the
 * daemon then behaves exactly as without this module.  The vault thread
 * never holds a lock a request waits for; it has its own cache connection
 * and its own libpq connection (connect and statement timeouts), so a
 * slow, refusing or dead PostgreSQL never slows a tap or a write.
 *
 * Secrets: a holder's vault key is derived from the recovery secret of the
 * unlocked card (or the typed recovery line) for one call and wiped before
 * it returns; neither is kept, logged or queued.
 */
#ifndef LM_DAEMON_VAULT_H
#define LM_DAEMON_VAULT_H

#include <json-c/json.h>
#include <stdint.h>

#include "laufmappe/lm_cache.h"
#include "laufmappe/lm_protect.h"

struct desk;

/* 1 when this build has the vault client (libpq). */
int vault_built(void);

/* Start the vault thread (nothing without a vault line); stop it (joins). */
int vault_start(struct desk *d);
void vault_stop(struct desk *d);
/* New rows in the outbox: push them now rather than at the next round. */
void vault_wake(struct desk *d);

/*
 * Seal a holder's cached entries not sealed yet (or not for a month: a
 * refresh keeps them past the vault's retention) into the outbox, inside
 * the caller's cache transaction.  *queued (may be NULL) counts them.
 * Errors: the cache's (the caller's transaction is then broken), or a
 * sealing error (LM_ERR_RNG, LM_ERR_CRYPTO: nothing marked).
 */
int vault_queue_holder(struct desk *d, struct lm_cache *cache, const uint8_t holder[LM_HOLDER_LEN],
		       const uint8_t recovery[LM_RECOVERY_LEN], int64_t now, int *queued);

/* Queue the tombstone of a holder's entry (no key needed: tag and ref come
 * from the holder id and the entry id). */
int vault_queue_tombstone(struct lm_cache *cache, const uint8_t holder[LM_HOLDER_LEN],
			  const uint8_t id[32]);

/*
 * A holder's records in the vault, opened with the key from recovery: fn
 * gets each entry whose record opens and whose ref is its id's (a record
 * that does not open, or names another entry, is counted in *bad and
 * skipped).  Its own connection with the configured timeouts, from the
 * calling (request) thread.  LM_ERR_UNSUPPORTED without a vault client in
 * this build; LM_ERR_VAULT_* from the server.
 */
typedef int (*vault_entry_fn)(void *ctx, const uint8_t *entry, size_t len);
int vault_fetch_holder(struct desk *d, const uint8_t holder[LM_HOLDER_LEN],
		       const uint8_t recovery[LM_RECOVERY_LEN], vault_entry_fn fn, void *ctx,
		       int *bad);

/* The "vault" member of /api/status: null without a vault line. */
json_object *vault_status_json(struct desk *d, struct lm_cache *cache);

#endif
