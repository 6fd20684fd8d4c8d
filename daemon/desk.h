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

#include "config.h"
#include "laufmappe/lm_cache.h"
#include "laufmappe/lm_transport.h"
#include "laufmappe/lm_trust.h"

#define DESK_EVENTS 64

struct desk_reader {
	char spec[CONFIG_PATH_MAX];
	pthread_t thread;
	pthread_mutex_t lock;	/* transport, state, card */
	struct lm_transport *t; /* NULL while the backend is down */
	struct lm_card_info info;
	char state[16]; /* empty, card, reading, error */
	char error[256];
	char error_code[32];
	json_object *card; /* the full card view of the last tap, or NULL */
	uint8_t holder[LM_HOLDER_LEN];
	int have_holder;
};

struct desk_event {
	uint64_t seq;
	char name[16];
	char data[512];
};

struct desk {
	struct config cfg;
	pthread_rwlock_t trust_lock;
	struct lm_trust *trust;
	uint32_t accepted_version;  /* the highest trust list version accepted */
	struct lm_key *signing_key; /* NULL: this terminal cannot write */
	char token[256];
	size_t nreaders;
	struct desk_reader readers[CONFIG_MAX_READERS];
	int last_reader; /* the reader tapped last, -1 before any */
	pthread_mutex_t ev_lock;
	pthread_cond_t ev_cond;
	struct desk_event events[DESK_EVENTS];
	uint64_t ev_seq; /* sequence number of the newest event */
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

/*
 * Verify one entry, skipping the signature check when the cache holds a
 * verdict under the current trust list version.  Takes the trust read lock.
 * Returns 1 when a valid entry was demoted because the trust list is past
 * its grace period (the verdict then says key_not_valid), else 0.
 */
int desk_verify(struct desk *d, struct lm_cache *cache, const uint8_t holder[LM_HOLDER_LEN],
		const uint8_t *bytes, size_t len, struct lm_verify_result *res);

/* desk_verify, as the JSON the page shows (lm_json_verified, plus
 * "trust_expired": true on an entry demoted by an expired trust list). */
json_object *desk_verified_json(struct desk *d, struct lm_cache *cache,
				const uint8_t holder[LM_HOLDER_LEN], const uint8_t *bytes,
				size_t len, struct lm_verify_result *res);

/* A cache error the desk works on without its cache (damaged, newer schema,
 * locked, disk full) rather than one of configuration (no such directory). */
int desk_cache_degraded(int err);

/* The trust list's freshness now: 0 fresh, 1 stale (within the grace
 * period), 2 expired.  Caller holds the trust lock. */
int desk_trust_state(const struct desk *d);

/* The JSON view of a folder: entries as lm_json_verified, plus trust facts. */
json_object *desk_folder_json(struct desk *d, struct lm_cache *cache,
			      const uint8_t holder[LM_HOLDER_LEN], const uint8_t *img, size_t len,
			      const struct lm_card *card);

/* A copy of a card or folder view filtered for this terminal's role. */
json_object *desk_role_view(const struct desk *d, json_object *view);

/* Reader threads (readers.c). */
int readers_start(struct desk *d);
void readers_stop(struct desk *d);
/* Read the card on reader r again now (after a write); on success the
 * reader's state is "card".  Caller holds r->lock. */
int reader_refresh(struct desk *d, struct desk_reader *r, struct lm_cache *cache);

/* The HTTP API (http.c). */
struct MHD_Daemon;
struct MHD_Daemon *api_start(struct desk *d, char *err, size_t errlen);
void api_stop(struct MHD_Daemon *m);

/* Load the trust list named in the config; refuses rollback (main.c). */
int desk_load_trust(struct desk *d, struct lm_cache *cache);

#endif
