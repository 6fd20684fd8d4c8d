/*
 * staff.h - who may write at this desk (docs/desk.md, "Staff sign-in"):
 * the staff accounts (a name and a short PIN, hashed with
 * PBKDF2-HMAC-SHA256 in a private file of the daemon's state), the
 * browsers set up as this terminal (a long-lived cookie, given once by a
 * one-time setup link), and the staff sessions (a cookie, held in memory,
 * ending after an idle time).
 *
 * Why PINs and not PAM: a desk terminal is a kiosk, often offline, whose
 * staff have no accounts on the machine; the PIN opens nothing but this
 * desk, and only from a browser set up as this terminal (see staff_signin).
 *
 * Files (each written whole, atomically, mode 0600; the daemon refuses one
 * its group or others may read, staff_private):
 *   staff_file   "NAME:pbkdf2-sha256:ITERATIONS:SALT:HASH" per line (hex)
 *   terminals    the SHA-256 (hex) of each terminal cookie, one per line
 *   setup-link   "SHA256 EXPIRY": the one-time setup secret's hash and when
 *                it expires (seconds since the epoch); deleted when used
 * Cookies and secrets are 32 random bytes in hex; only their SHA-256 is
 * kept, in memory or in a file.
 */
#ifndef LM_DAEMON_STAFF_H
#define LM_DAEMON_STAFF_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "config.h"

#define STAFF_NAME_MAX	   32	  /* bytes of a name (UTF-8), without the NUL */
#define STAFF_PIN_MIN	   4	  /* characters */
#define STAFF_PIN_MAX	   64	  /* bytes */
#define STAFF_ITERATIONS   100000 /* PBKDF2 rounds for a new PIN (docs/desk.md: the cost) */
#define STAFF_SECRET_LEN   32	  /* random bytes of a cookie or setup secret */
#define STAFF_COOKIE_LEN   (2 * STAFF_SECRET_LEN) /* as hex */
#define STAFF_SESSIONS	   64	       /* signed-in sessions at once; a new one ends the oldest */
#define STAFF_SESSION_MAX  (12 * 3600) /* seconds: a session ends after a working day */
#define STAFF_TERMINALS	   16	       /* browsers set up as this terminal */
#define STAFF_SETUP_TTL	   600	       /* seconds a setup link is good for */
#define STAFF_FAIL_NAMES   32	       /* names whose wrong PINs are counted */
#define STAFF_TRIES	   5	       /* wrong PINs in a row before a name must wait */
#define STAFF_PAUSE	   60	       /* seconds: the first wait, doubling, at most an hour */
#define STAFF_GLOBAL_TRIES 20	       /* wrong PINs for all names in STAFF_PAUSE seconds */

/* The names of the two cookies. */
#define STAFF_SESSION_COOKIE  "lm_session"
#define STAFF_TERMINAL_COOKIE "lm_terminal"

struct staff_session {
	uint8_t hash[32]; /* SHA-256 of the cookie; all zero: a free slot */
	char name[STAFF_NAME_MAX + 1];
	time_t created, last; /* monotonic seconds */
};

struct staff_fail {
	char name[STAFF_NAME_MAX + 1];
	unsigned count; /* wrong PINs in a row (a try in progress counts) */
	int busy;	/* a try is being checked */
	time_t until;	/* monotonic: no try before then */
	time_t last;
};

/* The daemon's state of all this (one, in struct desk). */
struct staff {
	pthread_mutex_t lock; /* everything below */
	char store[CONFIG_PATH_MAX];
	char terminals_file[CONFIG_PATH_MAX];
	char setup_file[CONFIG_PATH_MAX];
	unsigned idle; /* seconds */
	struct staff_session sessions[STAFF_SESSIONS];
	struct staff_fail fails[STAFF_FAIL_NAMES];
	time_t global_fails[STAFF_GLOBAL_TRIES]; /* ring of the latest wrong PINs' times */
	unsigned global_next;
	uint8_t terminals[STAFF_TERMINALS][32];
	size_t nterminals;
};

/* The paths of the state files for a configuration (staff_file, and the
 * terminals and setup-link files beside it). */
void staff_paths(const struct config *cfg, char *store, char *terminals, char *setup, size_t cap);

/*
 * A secret file must be private: refused (LM_ERR_BAD_VALUE, logged with
 * what to do) when others may read it, or its group unless that is the
 * daemon's own group (root:_laufmapped 0640, as packaged).  A missing file
 * is LM_OK here (its reader says so).
 */
int staff_private(const char *path, const char *what);

/* Set up s for the daemon: the paths, the idle time, the terminals file
 * (missing: none set up yet; *nterminals says how many there are). */
int staff_init(struct staff *s, const struct config *cfg);

/* Admin commands (laufmapped --staff-add etc.; not while holding s).  A
 * name is 1..STAFF_NAME_MAX bytes without ':' or control characters and
 * without spaces at either end; a PIN STAFF_PIN_MIN..STAFF_PIN_MAX. */
int staff_name_ok(const char *name);
int staff_add(const char *store, const char *name, const char *pin);
int staff_remove(const char *store, const char *name); /* LM_ERR_NOT_FOUND */
/* Call fn for each name in the file, in order. */
int staff_each(const char *store, void (*fn)(void *ctx, const char *name), void *ctx);

/*
 * Sign in: check name and PIN against the store, rate-limited per name
 * (STAFF_TRIES wrong in a row, then a wait of STAFF_PAUSE seconds, doubled
 * at each further wrong PIN) and for all names (STAFF_GLOBAL_TRIES wrong
 * within STAFF_PAUSE).  LM_OK: cookie (STAFF_COOKIE_LEN + 1 bytes) holds a
 * new session's cookie.  LM_ERR_WRONG_CODE: no such name or a wrong PIN
 * (the same answer, in about the same time); LM_ERR_BLOCKED: wait *wait
 * seconds first (no PIN was checked).
 */
int staff_signin(struct staff *s, const char *name, const char *pin, char *cookie, unsigned *wait);

/* The staff member of a session cookie, into name (STAFF_NAME_MAX + 1
 * bytes); touch: this is activity (a write), the idle time starts anew.
 * LM_ERR_NOT_FOUND: no such session, it was idle too long, or the name was
 * removed from the store meanwhile. */
int staff_session(struct staff *s, const char *cookie, int touch, char *name);
void staff_signout(struct staff *s, const char *cookie);

/* Is cookie one of a browser set up as this terminal? */
int staff_terminal(struct staff *s, const char *cookie);

/* laufmapped --setup-link: a new one-time secret (STAFF_COOKIE_LEN + 1
 * bytes of hex) in the setup file, replacing any unused one. */
int staff_setup_new(const char *setup_file, char *secret);
/* GET /setup?s=SECRET: the secret is good once, before it expires; then a
 * new terminal cookie (STAFF_COOKIE_LEN + 1) is recorded and returned.
 * LM_ERR_NOT_FOUND: no link, used, expired or not this one. */
int staff_setup_use(struct staff *s, const char *secret, char *cookie);

#endif
