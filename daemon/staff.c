/*
 * staff.c - staff accounts, terminal browsers and staff sessions (staff.h).
 */
#include "staff.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "laufmappe/lm_err.h"
#include "laufmappe/lm_key.h"
#include "laufmappe/lm_util.h"
#include "lm_crypto.h"
#include "log.h"

#define STORE_MAX (256 * 1024) /* bytes of the staff file */
#define SALT_LEN  16

static time_t mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* DIR/NAME where DIR is the directory of path. */
static void beside(const char *path, const char *name, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	if (slash)
		snprintf(out, cap, "%.*s/%s", (int)(slash - path), path, name);
	else
		snprintf(out, cap, "%s", name);
}

void staff_paths(const struct config *cfg, char *store, char *terminals, char *setup, size_t cap)
{
	if (cfg->staff_file[0])
		snprintf(store, cap, "%s", cfg->staff_file);
	else
		beside(cfg->database, "staff", store, cap);
	beside(store, "terminals", terminals, cap);
	beside(store, "setup-link", setup, cap);
}

int staff_private(const char *path, const char *what)
{
	struct stat st;
	if (stat(path, &st) == 0 &&
	    ((st.st_mode & 007) || ((st.st_mode & 070) && st.st_gid != getegid()))) {
		log_msg(LOG_ERR,
			"%s %s: readable by group or others (mode %04o, group %u): make it "
			"private (chmod 600, or 640 with the daemon's group)",
			what, path, (unsigned)(st.st_mode & 07777), (unsigned)st.st_gid);
		return LM_ERR_BAD_VALUE;
	}
	return LM_OK;
}

/* Read a private state file whole (NUL-terminated); a missing one is empty. */
static int read_state(const char *path, const char *what, char **text)
{
	*text = NULL;
	int err = staff_private(path, what);
	if (err)
		return err;
	uint8_t *buf;
	size_t len;
	err = lm_file_read(path, STORE_MAX, &buf, &len);
	if (err == LM_ERR_NOT_FOUND) {
		*text = calloc(1, 1);
		return *text ? LM_OK : LM_ERR_NOMEM;
	}
	if (err)
		return err;
	char *t = realloc(buf, len + 1);
	if (!t) {
		free(buf);
		return LM_ERR_NOMEM;
	}
	t[len] = 0;
	*text = t;
	return LM_OK;
}

/* Write a state file (0600); run as root (an admin command), the file
 * belongs to whoever owns its directory (the daemon's account), so that
 * the daemon may read it. */
static int write_state(const char *path, const char *text)
{
	int err = lm_file_write(path, (const uint8_t *)text, strlen(text), 0600);
	if (err)
		return err;
	char dir[CONFIG_PATH_MAX];
	beside(path, ".", dir, sizeof(dir));
	struct stat st;
	if (geteuid() == 0 && stat(dir, &st) == 0 && chown(path, st.st_uid, st.st_gid) != 0)
		return LM_ERR_IO;
	return LM_OK;
}

int staff_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > STAFF_NAME_MAX || name[0] == ' ' || name[n - 1] == ' ')
		return 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == ':')
			return 0;
	return 1;
}

static int pin_ok(const char *pin)
{
	size_t n = strlen(pin);
	return n >= STAFF_PIN_MIN && n <= STAFF_PIN_MAX;
}

/* One line of the store: NAME:pbkdf2-sha256:ITER:SALT:HASH. */
struct record {
	char name[STAFF_NAME_MAX + 1];
	uint32_t iterations;
	uint8_t salt[SALT_LEN];
	uint8_t hash[32];
};

/* Parse the line at p (up to a newline); 0 on success. */
static int parse_record(const char *p, size_t n, struct record *r)
{
	char line[256];
	if (n >= sizeof(line))
		return -1;
	memcpy(line, p, n);
	line[n] = 0;
	char *f[5], *save = NULL;
	int i = 0;
	for (char *tok = strtok_r(line, ":", &save); tok && i < 5; tok = strtok_r(NULL, ":", &save))
		f[i++] = tok;
	if (i != 5 || strlen(f[0]) > STAFF_NAME_MAX || strcmp(f[1], "pbkdf2-sha256"))
		return -1;
	char *end;
	unsigned long it = strtoul(f[2], &end, 10);
	if (*end || it < 1 || it > 100000000 || strlen(f[3]) != 2 * SALT_LEN ||
	    strlen(f[4]) != 64 || lm_hex_decode(f[3], r->salt, SALT_LEN) ||
	    lm_hex_decode(f[4], r->hash, 32))
		return -1;
	snprintf(r->name, sizeof(r->name), "%s", f[0]);
	r->iterations = (uint32_t)it;
	return 0;
}

/* Find name in the store text: *r filled, and the line's span (start, length
 * with its newline) for a removal.  LM_ERR_NOT_FOUND. */
static int find_record(const char *text, const char *name, struct record *r, size_t *at,
		       size_t *len)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		size_t nl = strlen(name);
		if (n > nl && !strncmp(p, name, nl) && p[nl] == ':') {
			if (parse_record(p, n, r))
				return LM_ERR_MALFORMED;
			*at = (size_t)(p - text);
			*len = n + (p[n] == '\n');
			return LM_OK;
		}
		p += n + (p[n] == '\n');
	}
	return LM_ERR_NOT_FOUND;
}

static int hash_pin(const char *pin, const uint8_t salt[SALT_LEN], uint32_t iterations,
		    uint8_t out[32])
{
	return lm_pbkdf2_sha256((const uint8_t *)pin, strlen(pin), salt, SALT_LEN, iterations, out,
				32);
}

int staff_add(const char *store, const char *name, const char *pin)
{
	if (!staff_name_ok(name) || !pin_ok(pin))
		return LM_ERR_BAD_VALUE;
	char *text;
	int err = read_state(store, "staff file", &text);
	if (err)
		return err;
	struct record r;
	size_t at, len;
	err = find_record(text, name, &r, &at, &len);
	int nl = 0; /* a hand-edited file may end without one */
	if (err == LM_ERR_NOT_FOUND) {
		at = strlen(text);
		len = 0;
		nl = at && text[at - 1] != '\n';
	} else if (err) {
		free(text);
		return err;
	}
	uint8_t salt[SALT_LEN], hash[32];
	err = lm_random(salt, sizeof(salt));
	if (!err)
		err = hash_pin(pin, salt, STAFF_ITERATIONS, hash);
	char line[256], sh[2 * SALT_LEN + 1], hh[65];
	lm_hex_encode(salt, SALT_LEN, sh);
	lm_hex_encode(hash, 32, hh);
	lm_wipe(hash, sizeof(hash));
	snprintf(line, sizeof(line), "%s:pbkdf2-sha256:%u:%s:%s\n", name, STAFF_ITERATIONS, sh, hh);
	size_t total = strlen(text) - len + strlen(line) + 2;
	char *out = err ? NULL : malloc(total);
	if (!err && !out)
		err = LM_ERR_NOMEM;
	if (!err) {
		/* A changed PIN replaces its line where it stood. */
		snprintf(out, total, "%.*s%s%s%s", (int)at, text, nl ? "\n" : "", line,
			 text + at + len);
		err = write_state(store, out);
	}
	lm_wipe(line, sizeof(line));
	free(out);
	free(text);
	return err;
}

int staff_remove(const char *store, const char *name)
{
	char *text;
	int err = read_state(store, "staff file", &text);
	if (err)
		return err;
	struct record r;
	size_t at, len;
	err = find_record(text, name, &r, &at, &len);
	if (!err) {
		memmove(text + at, text + at + len, strlen(text + at + len) + 1);
		err = write_state(store, text);
	}
	free(text);
	return err;
}

int staff_each(const char *store, void (*fn)(void *ctx, const char *name), void *ctx)
{
	char *text;
	int err = read_state(store, "staff file", &text);
	if (err)
		return err;
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		struct record r;
		if (n && !parse_record(p, n, &r))
			fn(ctx, r.name);
		p += n + (p[n] == '\n');
	}
	free(text);
	return LM_OK;
}

int staff_init(struct staff *s, const struct config *cfg)
{
	pthread_mutex_init(&s->lock, NULL);
	staff_paths(cfg, s->store, s->terminals_file, s->setup_file, sizeof(s->store));
	s->idle = cfg->staff_idle;
	int err = staff_private(s->store, "staff file");
	char *text;
	if (!err)
		err = read_state(s->terminals_file, "terminals file", &text);
	if (err)
		return err;
	for (const char *p = text; *p && s->nterminals < STAFF_TERMINALS;) {
		size_t n = strcspn(p, "\n");
		if (n == 64) {
			char hex[65];
			memcpy(hex, p, 64);
			hex[64] = 0;
			if (!lm_hex_decode(hex, s->terminals[s->nterminals], 32))
				s->nterminals++;
		}
		p += n + (p[n] == '\n');
	}
	free(text);
	return LM_OK;
}

/* SHA-256 of a cookie's text. */
static void cookie_hash(const char *cookie, uint8_t out[32])
{
	struct lm_sha256 h;
	lm_sha256_start(&h);
	lm_sha256_update(&h, (const uint8_t *)cookie, strlen(cookie));
	lm_sha256_finish(&h, out);
}

/* A new random cookie (hex) and its hash. */
static int new_cookie(char *cookie, uint8_t hash[32])
{
	uint8_t r[STAFF_SECRET_LEN];
	int err = lm_random(r, sizeof(r));
	if (err)
		return err;
	lm_hex_encode(r, sizeof(r), cookie);
	lm_wipe(r, sizeof(r));
	cookie_hash(cookie, hash);
	return LM_OK;
}

static int zero32(const uint8_t h[32])
{
	uint8_t acc = 0;
	for (int i = 0; i < 32; i++)
		acc |= h[i];
	return acc == 0;
}

/* The failure record of name (made, replacing the stalest, when absent).
 * Caller holds s->lock. */
static struct staff_fail *fail_of(struct staff *s, const char *name)
{
	struct staff_fail *oldest = &s->fails[0];
	for (size_t i = 0; i < STAFF_FAIL_NAMES; i++) {
		struct staff_fail *f = &s->fails[i];
		if (f->name[0] && !strcmp(f->name, name))
			return f;
		if (!f->name[0] || (oldest->name[0] && f->last < oldest->last))
			oldest = f;
	}
	memset(oldest, 0, sizeof(*oldest));
	snprintf(oldest->name, sizeof(oldest->name), "%s", name);
	return oldest;
}

int staff_signin(struct staff *s, const char *name, const char *pin, char *cookie, unsigned *wait)
{
	*wait = 0;
	if (!staff_name_ok(name) || strlen(pin) > STAFF_PIN_MAX)
		return LM_ERR_WRONG_CODE;
	time_t now = mono();
	pthread_mutex_lock(&s->lock);
	struct staff_fail *f = fail_of(s, name);
	time_t g = s->global_fails[s->global_next]; /* the oldest of the ring */
	if (f->busy || f->until > now || (g && now - g < STAFF_PAUSE)) {
		time_t until = f->until > now ? f->until : g ? g + STAFF_PAUSE : now + 1;
		*wait = until > now ? (unsigned)(until - now) : 1;
		pthread_mutex_unlock(&s->lock);
		return LM_ERR_BLOCKED;
	}
	/* One try at a time per name: tries sent at once cannot pass the
	 * limit while the first is being checked. */
	f->count++;
	f->busy = 1;
	f->last = now;
	pthread_mutex_unlock(&s->lock);

	char *text;
	int err = read_state(s->store, "staff file", &text);
	struct record r;
	size_t at, len;
	if (!err)
		err = find_record(text, name, &r, &at, &len);
	free(text);
	int known = !err;
	if (!known) {
		/* The same work for an unknown name: the time does not tell. */
		memset(&r, 0, sizeof(r));
		r.iterations = STAFF_ITERATIONS;
	}
	uint8_t got[32];
	err = hash_pin(pin, r.salt, r.iterations, got);
	uint8_t diff = 0;
	for (int i = 0; i < 32; i++)
		diff |= (uint8_t)(got[i] ^ r.hash[i]);
	lm_wipe(got, sizeof(got));
	int right = known && diff == 0;

	pthread_mutex_lock(&s->lock);
	f = fail_of(s, name);
	f->busy = 0;
	if (err) {
		f->count--; /* a crypto failure: not a wrong PIN, and not counted */
	} else if (right) {
		memset(f, 0, sizeof(*f));
		err = LM_OK;
	} else {
		if (f->count >= STAFF_TRIES) {
			unsigned shift = f->count - STAFF_TRIES;
			time_t pause = shift >= 6 ? 3600 : (time_t)STAFF_PAUSE << shift;
			f->until = now + (pause > 3600 ? 3600 : pause);
		}
		s->global_fails[s->global_next] = now;
		s->global_next = (s->global_next + 1) % STAFF_GLOBAL_TRIES;
		err = LM_ERR_WRONG_CODE;
	}
	if (!err && right) {
		/* A free slot, else the session idle the longest. */
		struct staff_session *slot = &s->sessions[0];
		for (size_t i = 0; i < STAFF_SESSIONS; i++) {
			struct staff_session *x = &s->sessions[i];
			if (zero32(x->hash)) {
				slot = x;
				break;
			}
			if (x->last < slot->last)
				slot = x;
		}
		err = new_cookie(cookie, slot->hash);
		if (err) {
			memset(slot, 0, sizeof(*slot));
		} else {
			snprintf(slot->name, sizeof(slot->name), "%s", name);
			slot->created = slot->last = now;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return err;
}

/* Is name (still) in the store?  A removed member's sessions end. */
static int store_has(const char *store, const char *name)
{
	char *text;
	if (read_state(store, "staff file", &text))
		return 0;
	struct record r;
	size_t at, len;
	int has = find_record(text, name, &r, &at, &len) == LM_OK;
	free(text);
	return has;
}

/* The session of a cookie, or NULL.  Caller holds s->lock. */
static struct staff_session *find_session(struct staff *s, const char *cookie)
{
	if (strlen(cookie) != STAFF_COOKIE_LEN)
		return NULL;
	uint8_t h[32];
	cookie_hash(cookie, h);
	for (size_t i = 0; i < STAFF_SESSIONS; i++)
		if (!zero32(s->sessions[i].hash) && !memcmp(s->sessions[i].hash, h, 32))
			return &s->sessions[i];
	return NULL;
}

int staff_session(struct staff *s, const char *cookie, int touch, char *name)
{
	time_t now = mono();
	pthread_mutex_lock(&s->lock);
	struct staff_session *x = find_session(s, cookie);
	if (x && (now - x->last >= (time_t)s->idle || now - x->created >= STAFF_SESSION_MAX)) {
		log_msg(LOG_INFO, "staff \"%s\": signed out after %s", x->name,
			now - x->last >= (time_t)s->idle ? "the idle time" : "a working day");
		memset(x, 0, sizeof(*x));
		x = NULL;
	}
	if (x) {
		snprintf(name, STAFF_NAME_MAX + 1, "%s", x->name);
		if (touch)
			x->last = now;
	}
	pthread_mutex_unlock(&s->lock);
	if (!x)
		return LM_ERR_NOT_FOUND;
	if (touch && !store_has(s->store, name)) {
		staff_signout(s, cookie);
		return LM_ERR_NOT_FOUND;
	}
	return LM_OK;
}

void staff_signout(struct staff *s, const char *cookie)
{
	pthread_mutex_lock(&s->lock);
	struct staff_session *x = find_session(s, cookie);
	if (x)
		memset(x, 0, sizeof(*x));
	pthread_mutex_unlock(&s->lock);
}

int staff_terminal(struct staff *s, const char *cookie)
{
	if (!cookie || strlen(cookie) != STAFF_COOKIE_LEN)
		return 0;
	uint8_t h[32];
	cookie_hash(cookie, h);
	int found = 0;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nterminals; i++)
		found |= !memcmp(s->terminals[i], h, 32);
	pthread_mutex_unlock(&s->lock);
	return found;
}

int staff_setup_new(const char *setup_file, char *secret)
{
	uint8_t h[32];
	int err = new_cookie(secret, h);
	if (err)
		return err;
	char hex[65], line[128];
	lm_hex_encode(h, 32, hex);
	snprintf(line, sizeof(line), "%s %lld\n", hex, (long long)time(NULL) + STAFF_SETUP_TTL);
	return write_state(setup_file, line);
}

int staff_setup_use(struct staff *s, const char *secret, char *cookie)
{
	if (strlen(secret) != STAFF_COOKIE_LEN)
		return LM_ERR_NOT_FOUND;
	pthread_mutex_lock(&s->lock); /* one use, even for two requests at once */
	char *text;
	int err = read_state(s->setup_file, "setup link file", &text);
	uint8_t want[32], got[32];
	char hex[65];
	long long expiry = 0;
	if (!err && (sscanf(text, "%64s %lld", hex, &expiry) != 2 || lm_hex_decode(hex, want, 32)))
		err = LM_ERR_NOT_FOUND;
	free(text);
	if (!err) {
		cookie_hash(secret, got);
		uint8_t diff = 0;
		for (int i = 0; i < 32; i++)
			diff |= (uint8_t)(got[i] ^ want[i]);
		if (diff)
			err = LM_ERR_NOT_FOUND;
	}
	if (!err) {
		/* Used (or expired): gone either way. */
		if (unlink(s->setup_file) != 0)
			err = LM_ERR_IO;
		else if ((long long)time(NULL) > expiry)
			err = LM_ERR_NOT_FOUND;
	}
	if (!err) {
		uint8_t h[32];
		err = new_cookie(cookie, h);
		if (!err) {
			if (s->nterminals == STAFF_TERMINALS) { /* the oldest is forgotten */
				memmove(s->terminals[0], s->terminals[1],
					32 * (STAFF_TERMINALS - 1));
				s->nterminals--;
			}
			memcpy(s->terminals[s->nterminals++], h, 32);
			char out[STAFF_TERMINALS * 65 + 1] = "";
			for (size_t i = 0; i < s->nterminals; i++) {
				lm_hex_encode(s->terminals[i], 32, hex);
				strcat(out, hex);
				strcat(out, "\n");
			}
			err = write_state(s->terminals_file, out);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return err;
}
