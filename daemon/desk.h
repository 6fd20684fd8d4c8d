/*
 * desk.h - laufmapped's shared state: the configuration, the trust list,
 * the readers with their last card, and the event queue for the desk page.
 *
 * Locking: trust_lock guards trust (read by every verification, written by
 * a SIGHUP reload); each reader's lock guards its transport and card view
 * (the reader thread and HTTP writes take turns); ev_lock guards the event
 * ring.  No lock is held while another is taken, except a reader lock
 * around a trust read lock.
 */
#ifndef LM_DAEMON_DESK_H
#define LM_DAEMON_DESK_H

#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "laufmappe/lm_cache.h"
#include "laufmappe/lm_protect.h"
#include "laufmappe/lm_transport.h"
#include "laufmappe/lm_trust.h"
#include "staff.h"

#define DESK_EVENTS 64

struct vpool;

enum desk_reader_state {
	DESK_READER_EMPTY,   /* no card (or not yet looked) */
	DESK_READER_READING, /* a tap is being read */
	DESK_READER_CARD,    /* card holds the view of the card on the reader */
	DESK_READER_ERROR,   /* err says why: the backend, or a card we cannot read */
	DESK_READER_LOCKED,  /* a protected card (format version 2) waits for its access
				code: prot holds its public header, card a view without
				any entry or holder id (POST /api/card/unlock) */
};

/* "empty", "reading", "card", "error", "locked": the names the API uses. */
const char *desk_reader_state_name(enum desk_reader_state s);

struct desk_reader {
	char spec[CONFIG_PATH_MAX];
	pthread_t thread;
	pthread_mutex_t lock;	/* transport, state, card */
	struct lm_transport *t; /* NULL while the backend is down */
	struct lm_card_info info;
	enum desk_reader_state state;
	int err;	   /* with DESK_READER_ERROR: an enum lm_err */
	json_object *card; /* the full card view of the last tap, or NULL */
	uint8_t holder[LM_HOLDER_LEN];
	int have_holder;
	/* A protected card: its public header (state locked, or card when
	 * unlocked), and the keys derived from the holder's code, kept only
	 * while this card lies on the reader (reader_forget_keys wipes them
	 * when it leaves or another card comes).  The code itself is never
	 * kept: it is wiped as soon as the keys are derived. */
	int protected_card;
	struct lm_protect_header prot;
	int have_keys;
	struct lm_protect_keys keys;
	int tries_left;	      /* the card's try counter after the last wrong code; -1: unknown */
	double read_ms;	      /* the last refresh: identify and read, until the last byte */
	double after_read_ms; /* ... and from there to the view (verify, cache) */
	int delta;	      /* the last refresh was a delta read */
	size_t log_read;      /* log bytes it took from the card */
};

struct desk_event {
	uint64_t seq;
	char name[16];
	char data[512];
};

/* The vault thread's view of the vault (vault.c), under lock. */
struct desk_vault {
	pthread_t thread;
	int running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int wake;		/* a tap queued rows: push now */
	int reachable;		/* the last call to the vault succeeded */
	int err;		/* else why not (an enum lm_err) */
	time_t last_contact;	/* the last call that succeeded */
	time_t last_sync;	/* the last round of tombstones and trust lists */
	int64_t pushed;		/* rows the vault took since the start */
	int64_t applied;	/* tombstones applied to this cache since the start */
	uint32_t trust_version; /* the list the vault offered last, 0: none */
	uint8_t refused[32];	/* the SHA-256 of a list from the vault refused here */
};

struct desk {
	struct config cfg;
	pthread_rwlock_t trust_lock;
	struct lm_trust *trust;
	/* Bumped at every swap of trust (write lock held): a list's identity
	 * for the pool's results; an address is not one, as a newer list may
	 * be loaded where a freed one was. */
	uint64_t trust_gen;
	pthread_mutex_t offer_lock;	   /* one list offered at a time (SIGHUP, the vault) */
	struct lm_trust_state trust_state; /* the accepted list (version, hash): the guard;
					      written under offer_lock */
	int trust_refused;		   /* the last list offered was refused: why */
	uint32_t trust_refused_version;
	time_t trust_refused_at;
	struct lm_key *signing_key; /* NULL: this terminal cannot write */
	char token[256];
	struct staff staff; /* staff accounts, terminal browsers, sessions */
	size_t nreaders;
	struct desk_reader readers[CONFIG_MAX_READERS];
	int last_reader; /* the reader tapped last, -1 before any */
	pthread_mutex_t ev_lock;
	pthread_cond_t ev_cond;
	struct desk_event events[DESK_EVENTS];
	uint64_t ev_seq;    /* sequence number of the newest event */
	struct vpool *pool; /* verification behind the radio (vpool.h); NULL: in line */
	struct desk_vault vault;
	volatile sig_atomic_t stop;
};

/* A string member of a JSON object, "" when absent. */
static inline const char *jstr(json_object *o, const char *key)
{
	const char *s = json_object_get_string(json_object_object_get(o, key));
	return s ? s : "";
}

/* Queue an event for every server-sent-events listener. */
void desk_event(struct desk *d, const char *name, json_object *data);
/* An event whose only data is the reader: {"reader": READER}. */
void desk_reader_event(struct desk *d, const char *name, const char *reader);

/* One entry as the desk checked it. */
struct desk_check {
	struct lm_verify_result res;
	int err;	      /* LM_OK: res.verdict answers; else why it could not be checked */
	int demoted;	      /* valid, shown as key_not_valid: the trust list has expired */
	int after_revocation; /* valid, but first seen here on/after its key's revocation */
};

/*
 * Verify one entry, skipping the signature check when the cache holds the
 * verdict for this entry, this holder and this trust list (its hash).  A
 * crypto failure is returned (and in out->err), logged and never cached.
 * first_seen: when this office first saw the entry on this holder's card
 * (seconds), 0 if unknown.  Takes the trust read lock.
 */
int desk_verify(struct desk *d, struct lm_cache *cache, const uint8_t holder[LM_HOLDER_LEN],
		const uint8_t *bytes, size_t len, int64_t first_seen, struct desk_check *out);
/* After desk_verify's return out->res.issuer may point into a list a reload
 * has freed: use the verdict, never the issuer (desk_verified_json does). */

/* The JSON the page shows for a checked entry: lm_json_verified, plus
 * "trust_expired" and "first_seen_after_revocation" marks; an entry that
 * could not be checked has "verdict": "unchecked" and "error". */
json_object *desk_check_json(const struct desk_check *c);
/* (c->res.issuer points into the trust list: the caller holds the trust
 * read lock it was checked under.) */

/* desk_verify and desk_check_json under one hold of the trust read lock;
 * chk is scratch space. */
json_object *desk_verified_json(struct desk *d, struct lm_cache *cache,
				const uint8_t holder[LM_HOLDER_LEN], const uint8_t *bytes,
				size_t len, struct desk_check *chk);

/* This office's read log of a holder, oldest first: [{time, reader, role}]. */
json_object *desk_reads_json(struct lm_cache *cache, const uint8_t holder[LM_HOLDER_LEN], int *err);

/* A cache error the desk works on without its cache (damaged, newer schema,
 * locked, disk full) rather than one of configuration (no such directory). */
int desk_cache_degraded(int err);

/* The trust list's freshness now: 0 fresh, 1 stale (within the grace
 * period), 2 expired.  Caller holds the trust lock. */
int desk_trust_state(const struct desk *d);

/*
 * One tap, one pass: walk the card's log once; each entry is hashed and
 * decoded once, stored (its first_seen), verified or its verdict found;
 * then the card and the read are logged and the holder's read log read
 * back, all in one transaction; the view is built from the same results.
 * A cache failure leaves the view whole: *cache_err says why (0: stored).
 * recovery: an unlocked protected card's recovery secret, else NULL; with
 * a vault configured, the holder's entries not yet sealed go into the
 * outbox in the same transaction (vault_queue_holder).  With a vault, a
 * role that may not see every type caches only the types it shows.
 */
struct vpool_tap;
json_object *desk_tap_view(struct desk *d, struct lm_cache *cache, const struct desk_reader *r,
			   const struct lm_card *card, const uint8_t *recovery, int64_t now,
			   int *cache_err, struct vpool_tap *tap);
/* tap (may be NULL): the pool's results for the card's entries in order
 * (vpool.h), taken instead of checking in line. */

/*
 * A pool worker's half of desk_verify, on an entry lm_trust_prepare'd into
 * out, the trust read lock held: 1 when out is final (the entry could not
 * be prepared, is malformed, or the verdict cache (lookup may be NULL)
 * gave its verdict under d->trust); 0 when the signature is to be checked
 * (lm_trust_check under d->trust, then desk_check_done).  Stores nothing.
 */
int desk_verdict_cached(struct desk *d, struct lm_cache *lookup,
			const uint8_t holder[LM_HOLDER_LEN], struct desk_check *out);
/* The check's result into out (an error is logged: nothing is cached). */
void desk_check_done(struct desk_check *out, int err);

/* A copy of a card or folder view filtered for this terminal's role. */
json_object *desk_role_view(const struct desk *d, json_object *view);
/* The entry types this terminal's role may see (bit t: type t). */
uint32_t desk_role_types(const struct desk *d);
/* Does this terminal's role see every entry type?  Only such a terminal
 * fetches folders from the vault or restores them. */
int desk_role_sees_all(const struct desk *d);

/*
 * The office's write log (audit.c): one log line naming who did a write
 * (actor: a staff member, or "token" for a script) and one row in the
 * cache's audit table.  cache may be NULL (one is opened for the row);
 * reader, holder (LM_HOLDER_LEN bytes), entry (32 bytes) and detail may be
 * NULL.  A row that cannot be stored is logged, and the write stands.
 */
void desk_audit(struct desk *d, struct lm_cache *cache, const char *actor, const char *action,
		const char *reader, const uint8_t *holder, const uint8_t *entry,
		const char *detail);
/* The audit rows from since on, oldest first: [{time, staff, action,
 * reader, holder, entry, detail}]. */
json_object *desk_audit_json(struct lm_cache *cache, int64_t since, int *err);

/* Reader threads (readers.c). */
int readers_start(struct desk *d);
void readers_stop(struct desk *d);
/* Read the card on reader r again now (after a write); on success the
 * reader's state is "card", or "locked" for a protected card whose keys
 * the reader does not hold (r->card then has no entry and no holder id).
 * With r->have_keys the card is read and decrypted with them.  Caller
 * holds r->lock. */
int reader_refresh(struct desk *d, struct desk_reader *r, struct lm_cache *cache);
/* Wipe the keys of a protected card (it left, or another came) and forget
 * that the reader held one.  Caller holds r->lock. */
void reader_forget_keys(struct desk_reader *r);
/* The event of a tap that was read: "tap" {reader, holder, ms}, or
 * "locked" {reader, kind} for a protected card waiting for its code. */
void reader_tap_event(struct desk *d, struct desk_reader *r, double ms);

/* The HTTP API (http.c). */
struct MHD_Daemon;
struct MHD_Daemon *api_start(struct desk *d, char *err, size_t errlen);
void api_stop(struct MHD_Daemon *m);

/* Load the trust list named in the config; refuses a rollback and a list
 * swapped at the same version (main.c).  Not under trust_lock. */
int desk_load_trust(struct desk *d);
/* Offer a signed trust list from elsewhere (source: for the log; the
 * vault): checked exactly as desk_load_trust checks the file, and on
 * acceptance kept beside the trust state (so a restart with the older
 * configured file still runs it). */
int desk_offer_trust(struct desk *d, const uint8_t *buf, size_t len, const char *source);

#endif
