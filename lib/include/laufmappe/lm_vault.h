/*
 * lm_vault.h - the folder vault: offices back up holders' entries to one
 * PostgreSQL database that can read none of them (docs/vault.md).
 *
 * Two layers:
 *
 * 1. Sealing (no network; lib/src/vault_seal.c).  A holder's records are
 *    filed under a TAG derived from the holder id (16 bytes) alone (so an office that
 *    cached the holder can find tombstones for it), each record under a REF
 *    derived from the entry id alone (so two offices pushing the same entry
 *    meet in one row, and an office that holds the entry can recognise its
 *    tombstone), and its bytes are sealed (AES-256-GCM) under a KEY derived
 *    with HKDF-SHA256 from the holder's recovery secret (lm_protect.h: on a
 *    protected card's encrypted part and on the holder's printed recovery
 *    line).  An office knows the key only while the unlocked card lies on
 *    its reader or the holder hands over the recovery line: it never stores
 *    it; its outbox carries sealed records.
 *
 *      tag = HKDF(salt "laufmappe vault tag v1", ikm holder)[0..15]
 *      ref = HKDF(salt "laufmappe vault ref v1", ikm entry id)[0..15]
 *      key = HKDF(salt holder, ikm recovery secret, info "laufmappe vault key v1")[0..31]
 *      sealed = nonce (12, random) || AES-256-GCM(key, nonce, aad tag||ref,
 *               u16be entry length || entry || zero padding to a multiple
 *               of LM_VAULT_PAD) || GCM tag (16)
 *
 *    The padding hides an entry's exact size (and so often its type).
 *
 * 2. The client (libpq; lib/vault/pq.c, built when libpq is found:
 *    LM_HAVE_VAULT).  Offices call SECURITY DEFINER functions only; their
 *    role cannot list tags or read tables (docs/vault.md, "Roles").  Each
 *    call is one statement; a connection lost is LM_ERR_VAULT_DOWN and the
 *    next call reconnects.  Every call is safe to repeat (a push already
 *    there is no error), so an outbox can retry blindly.
 *
 * Errors: enum lm_err; the vault band (-600) for the server, LM_ERR_SEALED
 * for a record that does not open.
 */
#ifndef LM_VAULT_H
#define LM_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_protect.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LM_VAULT_TAG_LEN   16
#define LM_VAULT_REF_LEN   16
#define LM_VAULT_KEY_LEN   32
#define LM_VAULT_NONCE_LEN 12
#define LM_VAULT_MAC_LEN   16
#define LM_VAULT_PAD	   64
/* The largest entry a record carries: the format's own limit. */
#define LM_VAULT_ENTRY_MAX LM_ENTRY_MAX
/* sealed length for an entry of n bytes (n <= LM_VAULT_ENTRY_MAX) */
#define LM_VAULT_SEALED_LEN(n)                                                                     \
	(LM_VAULT_NONCE_LEN + ((2 + (n) + LM_VAULT_PAD - 1) / LM_VAULT_PAD) * LM_VAULT_PAD +       \
	 LM_VAULT_MAC_LEN)
#define LM_VAULT_SEALED_MAX LM_VAULT_SEALED_LEN(LM_VAULT_ENTRY_MAX)

/* A holder's vault key; wipe it with lm_vault_key_wipe when done. */
struct lm_vault_key {
	uint8_t k[LM_VAULT_KEY_LEN];
};

/* ---- Sealing -------------------------------------------------------------- */

int lm_vault_tag(const uint8_t holder[LM_HOLDER_LEN], uint8_t tag[LM_VAULT_TAG_LEN]);
int lm_vault_ref(const uint8_t entry_id[32], uint8_t ref[LM_VAULT_REF_LEN]);
int lm_vault_key(const uint8_t holder[LM_HOLDER_LEN], const uint8_t recovery[LM_RECOVERY_LEN],
		 struct lm_vault_key *key);
void lm_vault_key_wipe(struct lm_vault_key *key);

/*
 * Seal entry (len <= LM_VAULT_ENTRY_MAX bytes) for tag and ref into out
 * (cap >= LM_VAULT_SEALED_LEN(len)); *out_len gets the sealed length.
 * LM_ERR_TOO_LONG, LM_ERR_BUFFER, LM_ERR_RNG, LM_ERR_CRYPTO.
 */
int lm_vault_seal(const struct lm_vault_key *key, const uint8_t tag[LM_VAULT_TAG_LEN],
		  const uint8_t ref[LM_VAULT_REF_LEN], const uint8_t *entry, size_t len,
		  uint8_t *out, size_t cap, size_t *out_len);
/*
 * Open a sealed record filed under tag and ref: entry (cap bytes) gets the
 * entry, *entry_len its length.  LM_ERR_SEALED when the key, tag or ref is
 * not the one it was sealed for, or a byte was changed; LM_ERR_MALFORMED
 * for a length no seal makes.  The caller still verifies the entry (its
 * signature, its holder, and that lm_vault_ref of its id is ref).
 */
int lm_vault_unseal(const struct lm_vault_key *key, const uint8_t tag[LM_VAULT_TAG_LEN],
		    const uint8_t ref[LM_VAULT_REF_LEN], const uint8_t *sealed, size_t len,
		    uint8_t *entry, size_t cap, size_t *entry_len);

/* ---- The client (LM_HAVE_VAULT; without libpq every call below says
 * LM_ERR_UNSUPPORTED: lib/vault/none.c) ------------------------------------ */

struct lm_vault;

/*
 * Connect to conninfo (libpq keywords or a postgresql:// URI; several hosts
 * with target_session_attrs=read-write fail over).  password_file (may be
 * NULL): a file whose first line is the password, refused unless mode 0600
 * or stricter (LM_ERR_ARG); otherwise libpq's own passfile rules.  The
 * connection is made with a connect_timeout of timeout_s (0: 5 s) and a
 * statement_timeout of the same, so a slow vault never holds a caller
 * longer.  Checks the schema version (LM_ERR_VAULT_SCHEMA).
 * LM_ERR_VAULT_DOWN when it cannot connect; LM_ERR_VAULT_DENIED when the
 * server refuses the login; LM_ERR_ARG for a conninfo libpq does not parse.
 * A host (or hostaddr) that is not a socket, localhost or a loopback
 * address gets sslmode=verify-full unless conninfo names an sslmode.
 */
int lm_vault_connect(const char *conninfo, const char *password_file, int timeout_s,
		     struct lm_vault **out);
void lm_vault_close(struct lm_vault *v);

/* Store a sealed record, or refresh its last-push time if (tag, ref) is
 * there (the first sealed form stays).  A record with a tombstone under
 * (tag, ref) is not stored again, and that is no error.  LM_ERR_ARG for
 * a length no seal makes. */
int lm_vault_push(struct lm_vault *v, const uint8_t tag[LM_VAULT_TAG_LEN],
		  const uint8_t ref[LM_VAULT_REF_LEN], const uint8_t *sealed, size_t len);

/* Every record under tag, in push order; fn returning non-zero stops the
 * walk and is returned. */
typedef int (*lm_vault_record_fn)(void *ctx, const uint8_t ref[LM_VAULT_REF_LEN],
				  const uint8_t *sealed, size_t len);
int lm_vault_fetch(struct lm_vault *v, const uint8_t tag[LM_VAULT_TAG_LEN], lm_vault_record_fn fn,
		   void *ctx);

/* Forget the record (tag, ref) and leave a tombstone that other offices
 * find with lm_vault_tombstones.  Idempotent. */
int lm_vault_tombstone(struct lm_vault *v, const uint8_t tag[LM_VAULT_TAG_LEN],
		       const uint8_t ref[LM_VAULT_REF_LEN]);

/*
 * Tombstones under any of the n tags with a sequence number above since,
 * in order; *next gets the highest sequence number the vault has handed
 * out so far (the caller's next since), even when none matched.
 */
typedef int (*lm_vault_tombstone_fn)(void *ctx, const uint8_t tag[LM_VAULT_TAG_LEN],
				     const uint8_t ref[LM_VAULT_REF_LEN]);
int lm_vault_tombstones(struct lm_vault *v, const uint8_t (*tags)[LM_VAULT_TAG_LEN], size_t n,
			int64_t since, int64_t *next, lm_vault_tombstone_fn fn, void *ctx);

/* Trust lists (the city's role publishes; every office reads).  publish
 * stores the signed list as it is (the caller verified it against the
 * root); the vault refuses a version it holds with other bytes, and a
 * version below its newest (LM_ERR_ROLLBACK, LM_ERR_TRUST_SWAPPED).
 * latest gives the newest list with a version above `above` in a malloc'd
 * buffer (*trust, free() it), or LM_ERR_NOT_FOUND. */
int lm_vault_trust_publish(struct lm_vault *v, const uint8_t *trust, size_t len, uint32_t version);
int lm_vault_trust_latest(struct lm_vault *v, uint32_t above, uint8_t **trust, size_t *len,
			  uint32_t *version);

/*
 * Create or migrate the vault's schema and its group roles in the database
 * conninfo names (a superuser's or the database owner's connection):
 * lm_vault_office (execute the office functions), lm_vault_city (publish
 * trust lists).  retention_days (> 0): records not pushed again for that
 * long, and their tombstones, are forgotten.  Versioned like the cache's
 * migrations; running it again is harmless.
 */
int lm_vault_init(const char *conninfo, const char *password_file, int retention_days);

/*
 * Forget what retention says to forget (records not pushed again for
 * retention_days, tombstones as old); any office may call it, a daemon
 * does on its sync schedule.  *removed (may be NULL) gets the rows gone.
 */
int lm_vault_expire(struct lm_vault *v, int64_t *removed);

/*
 * The city's admin adds a login role NAME (or sets its password again) as
 * a member of lm_vault_office, or of lm_vault_city when city is non-zero,
 * through conninfo (a superuser's connection, as for lm_vault_init).  The
 * password is the first line of login_password_file (0600 or stricter);
 * the server receives only its SCRAM-SHA-256 verifier.
 */
int lm_vault_add_login(const char *conninfo, const char *password_file, const char *name, int city,
		       const char *login_password_file);

#ifdef __cplusplus
}
#endif

#endif /* LM_VAULT_H */
