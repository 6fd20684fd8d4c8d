/*
 * main.c - laufmapped: the reader daemon of a partner office.
 *
 *   laufmapped [-d] [-n] [-c FILE]
 *   laufmapped [-c FILE] --staff-add NAME [--pin-file FILE] | --staff-remove NAME
 *              | --staff-list | --setup-link | --audit [--since SECONDS]
 *
 * -c names the configuration (default LMD_CONF_FILE from meson), -n
 * checks it and exits, -d stays in the foreground (logs go to stderr in any
 * case; systemd runs it with -d).  SIGHUP reloads the trust list, refusing a
 * rollback to a lower version; SIGTERM and SIGINT stop it cleanly.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "desk.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_protect.h"
#include "laufmappe/lm_util.h"
#include "log.h"
#include "vpool.h"
#include "vault.h"

/* Where a list accepted from the vault is kept: beside the trust state. */
static void vault_list_path(const struct desk *d, char *out, size_t cap)
{
	snprintf(out, cap, "%s.vault", d->cfg.trust_state);
}

/*
 * Offer a signed trust list (the configured file, or one from the vault).
 * It is accepted only if a pinned root key verifies it and the trust state
 * allows it (lm_trust_state_check: newer than the accepted one, or the very
 * same bytes); a newer list is recorded in the state file before it is
 * used, so a restart, a lost cache or a replaced one cannot take the guard
 * back.  On refusal the old list stays, the log says why and /api/status
 * shows it.
 */
static int offer_trust(struct desk *d, const uint8_t *buf, size_t len, const char *source);

/* SIGHUP (main thread) and the vault thread may offer lists at once: the
 * trust state is checked and written by one at a time. */
int desk_offer_trust(struct desk *d, const uint8_t *buf, size_t len, const char *source)
{
	pthread_mutex_lock(&d->offer_lock);
	int err = offer_trust(d, buf, len, source);
	pthread_mutex_unlock(&d->offer_lock);
	return err;
}

static int offer_trust(struct desk *d, const uint8_t *buf, size_t len, const char *source)
{
	struct lm_trust *t = lm_trust_new();
	int err = t ? LM_ERR_KEY : LM_ERR_NOMEM;
	/* Any of the pinned root keys may have signed it. */
	for (size_t i = 0; t && i < d->cfg.nroots && err && err != LM_ERR_ROLLBACK; i++) {
		struct lm_key *root;
		err = lm_key_load_public(d->cfg.root_keys[i], &root);
		if (err) {
			log_msg(LOG_ERR, "root key %s: %s", d->cfg.root_keys[i], lm_strerror(err));
			continue;
		}
		err = lm_trust_load(t, buf, len, root, d->trust_state.version);
		lm_key_free(root);
	}
	if (!err)
		err = lm_trust_state_check(&d->trust_state, t);
	/* Before the list is shared: no check by the readers, the HTTP threads
	 * or the verifier processes (forked with it) writes into it. */
	if (!err)
		err = lm_trust_precompute(t);
	int newer = !err && (t->version > d->trust_state.version ||
			     memcmp(t->hash, d->trust_state.hash, 32) != 0);
	if (newer) {
		struct lm_trust_state st = {.version = t->version};
		memcpy(st.hash, t->hash, 32);
		char vpath[CONFIG_PATH_MAX + 8];
		vault_list_path(d, vpath, sizeof(vpath));
		/* A list from the vault is kept first, so a restart finds it. */
		if (strcmp(source, d->cfg.trust_list) &&
		    (err = lm_file_write(vpath, buf, len, 0600)))
			log_msg(LOG_ERR, "trust list from %s: %s: %s", source, vpath,
				lm_strerror(err));
		if (!err)
			err = lm_trust_state_write(d->cfg.trust_state, &st);
		if (err)
			log_msg(LOG_ERR,
				"trust state %s: %s: the list is not used until its version can "
				"be recorded (the rollback guard)",
				d->cfg.trust_state, lm_strerror(err));
		else
			d->trust_state = st;
	}
	if (err) {
		if (err == LM_ERR_TRUST_SWAPPED)
			log_msg(LOG_ERR,
				"trust list from %s refused: version %u was accepted with other "
				"bytes; two lists with one version mean one of them is not the "
				"city's: ask the city",
				source, t->version);
		else
			log_msg(LOG_ERR, "trust list from %s refused: %s", source,
				lm_strerror(err));
		pthread_rwlock_wrlock(&d->trust_lock);
		d->trust_refused = err;
		d->trust_refused_version = t && err != LM_ERR_NOMEM ? t->version : 0;
		d->trust_refused_at = time(NULL);
		pthread_rwlock_unlock(&d->trust_lock);
		lm_trust_free(t);
		return err;
	}
	pthread_rwlock_wrlock(&d->trust_lock);
	struct lm_trust *old = d->trust;
	d->trust = t;
	d->trust_gen++;
	d->trust_refused = 0;
	pthread_rwlock_unlock(&d->trust_lock);
	lm_trust_free(old);
	char hex[17];
	lm_hex_encode(t->hash, 8, hex);
	log_msg(LOG_INFO, "trust list version %u (sha256 %s...) with %zu institutions, from %s",
		t->version, hex, t->n, source);
	int state = lm_trust_staleness(t, (uint64_t)time(NULL),
				       (uint64_t)d->cfg.trust_grace_days * 86400);
	if (state == 1)
		log_msg(LOG_WARN,
			"the trust list is past its next update: get a new one from the city");
	else if (state == 2)
		log_msg(LOG_ERR, "the trust list is past its grace period: no entry verifies "
				 "until a new one from the city is loaded (SIGHUP)");
	return LM_OK;
}

static int offer_file(struct desk *d, const char *path)
{
	uint8_t *buf;
	size_t len;
	int err = lm_file_read(path, LM_TRUST_MAX, &buf, &len);
	if (err) {
		log_msg(LOG_ERR, "trust list %s: %s", path, lm_strerror(err));
		return err;
	}
	err = desk_offer_trust(d, buf, len, path);
	free(buf);
	return err;
}

/*
 * The configured file; when it is older than what the state accepted and
 * a list from the vault is kept (the vault brought a newer one), that one.
 */
int desk_load_trust(struct desk *d)
{
	int err = offer_file(d, d->cfg.trust_list);
	char vpath[CONFIG_PATH_MAX + 8];
	vault_list_path(d, vpath, sizeof(vpath));
	if ((err == LM_ERR_ROLLBACK || (err && !d->trust)) && d->cfg.vault[0] &&
	    access(vpath, R_OK) == 0 && (!d->trust || d->trust->version < d->trust_state.version))
		err = offer_file(d, vpath);
	return err;
}

/*
 * The trust state at start.  None yet: a first start, or one from before the
 * state file existed, whose cache may remember the accepted version (taken
 * as the floor once).  A damaged one stops the daemon: starting without it
 * would lift the rollback guard.
 */
static int load_trust_state(struct desk *d, struct lm_cache *cache)
{
	int err = lm_trust_state_read(d->cfg.trust_state, &d->trust_state);
	if (err == LM_ERR_NOT_FOUND) {
		int64_t v = 0;
		if (cache && lm_cache_get_meta(cache, "trust_version", &v) == LM_OK && v > 0 &&
		    v <= UINT32_MAX)
			d->trust_state.version = (uint32_t)v;
		return LM_OK;
	}
	if (err)
		log_msg(LOG_ERR,
			"trust state %s: %s: repair it or, if the city confirms the trust "
			"list, remove it",
			d->cfg.trust_state, lm_strerror(err));
	return err;
}

static int read_token(struct desk *d)
{
	/* The token lets anyone write to cards: only its owner, and at most the
	 * daemon's own group (root:_laufmapped 0640, as packaged), may read it. */
	int err = staff_private(d->cfg.token_file, "token file");
	if (err)
		return err;
	uint8_t *buf;
	size_t len;
	err = lm_file_read(d->cfg.token_file, sizeof(d->token) - 1, &buf, &len);
	if (err) {
		log_msg(LOG_ERR, "token file %s: %s", d->cfg.token_file, lm_strerror(err));
		return err;
	}
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
		len--;
	memcpy(d->token, buf, len);
	d->token[len] = 0;
	free(buf);
	if (len < 16) {
		log_msg(LOG_ERR, "token file %s: the token must have at least 16 characters",
			d->cfg.token_file);
		return LM_ERR_BAD_VALUE;
	}
	return LM_OK;
}

/* The vault's password: the file only its owner may read (as the token). */
static int vault_password_private(struct desk *d)
{
	struct stat st;
	if (stat(d->cfg.vault_password_file, &st) != 0) {
		log_msg(LOG_ERR, "vault_password_file %s: %s", d->cfg.vault_password_file,
			strerror(errno));
		return -1;
	}
	if (st.st_mode & 077) {
		log_msg(LOG_ERR,
			"vault_password_file %s: readable by group or others (mode %04o): chmod "
			"600 it",
			d->cfg.vault_password_file, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: laufmapped [-d] [-n] [-c FILE]\n"
			"       laufmapped [-c FILE] --staff-add NAME [--pin-file FILE]\n"
			"       laufmapped [-c FILE] --staff-remove NAME | --staff-list\n"
			"       laufmapped [-c FILE] --setup-link\n"
			"       laufmapped [-c FILE] --audit [--since SECONDS]\n");
}

/* A PIN: the first line of file ("-": standard input), or typed twice at
 * the terminal without echo.  0 on success. */
static int read_pin(const char *file, char *pin, size_t cap)
{
	int tty = !file && isatty(STDIN_FILENO);
	FILE *f = !file || !strcmp(file, "-") ? stdin : fopen(file, "r");
	if (!f) {
		fprintf(stderr, "laufmapped: %s: %s\n", file, strerror(errno));
		return -1;
	}
	char again[STAFF_PIN_MAX + 2];
	struct termios old, quiet;
	if (tty && tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	int rc = 0;
	for (int round = 0; round < (tty ? 2 : 1) && !rc; round++) {
		char *buf = round ? again : pin;
		if (tty)
			fprintf(stderr, round ? "\nthe PIN again: " : "PIN (%d to %d characters): ",
				STAFF_PIN_MIN, STAFF_PIN_MAX);
		if (!fgets(buf, (int)cap, f))
			rc = -1;
		else
			buf[strcspn(buf, "\r\n")] = 0;
	}
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
		if (!rc && strcmp(pin, again)) {
			fprintf(stderr, "laufmapped: the two PINs differ\n");
			rc = -1;
		}
	}
	lm_protect_wipe(again, sizeof(again));
	if (f != stdin)
		fclose(f);
	if (rc)
		fprintf(stderr, "laufmapped: no PIN read\n");
	return rc;
}

static void print_name(void *ctx, const char *name)
{
	(void)ctx;
	printf("%s\n", name);
}

static int print_audit(void *ctx, const struct lm_audit *a)
{
	(void)ctx;
	char when[32];
	time_t t = (time_t)a->time;
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", when, a->staff, a->action, a->reader, a->holder,
	       a->entry, a->detail);
	return 0;
}

/* The admin commands: accounts, the setup link, the write log.  Returns
 * the exit status. */
static int admin(const struct config *cfg, int cmd, const char *name, const char *pin_file,
		 long long since)
{
	char store[CONFIG_PATH_MAX], terminals[CONFIG_PATH_MAX], setup[CONFIG_PATH_MAX];
	staff_paths(cfg, store, terminals, setup, sizeof(store));
	int err = LM_OK;
	if (cmd == 'A') {
		if (!staff_name_ok(name)) {
			fprintf(stderr,
				"laufmapped: a name has 1 to %d bytes, no ':', no control "
				"characters, no space at either end\n",
				STAFF_NAME_MAX);
			return 2;
		}
		char pin[STAFF_PIN_MAX + 2];
		if (read_pin(pin_file, pin, sizeof(pin)))
			return 1;
		if (strlen(pin) < STAFF_PIN_MIN || strlen(pin) > STAFF_PIN_MAX) {
			fprintf(stderr, "laufmapped: a PIN has %d to %d characters\n",
				STAFF_PIN_MIN, STAFF_PIN_MAX);
			lm_protect_wipe(pin, sizeof(pin));
			return 2;
		}
		err = staff_add(store, name, pin);
		lm_protect_wipe(pin, sizeof(pin));
		if (!err)
			printf("%s: %s may sign in\n", store, name);
	} else if (cmd == 'R') {
		err = staff_remove(store, name);
		if (!err)
			printf("%s: %s removed (signed out at the next write)\n", store, name);
	} else if (cmd == 'L') {
		err = staff_each(store, print_name, NULL);
	} else if (cmd == 'S') {
		char secret[STAFF_COOKIE_LEN + 1];
		err = staff_setup_new(setup, secret);
		if (!err)
			printf("http://%s:%u/setup?s=%s\n",
			       strcmp(cfg->listen_addr, "0.0.0.0") ? cfg->listen_addr : "127.0.0.1",
			       cfg->listen_port, secret);
		if (!err)
			fprintf(stderr,
				"laufmapped: open this link once, in the terminal's browser, "
				"within %d minutes\n",
				STAFF_SETUP_TTL / 60);
	} else if (cmd == 'U') {
		struct lm_cache *cache;
		err = lm_cache_open(cfg->database, &cache);
		if (!err)
			err = lm_cache_each_audit(cache, since, print_audit, NULL);
		lm_cache_close(cache);
	}
	if (err == LM_ERR_NOT_FOUND && cmd == 'R')
		fprintf(stderr, "laufmapped: %s: no staff member %s\n", store, name);
	else if (err)
		fprintf(stderr, "laufmapped: %s: %s\n",
			cmd == 'S'   ? setup
			: cmd == 'U' ? cfg->database
				     : store,
			lm_strerror(err));
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *conf = LMD_CONF_FILE; /* sysconfdir/laufmapped/laufmapped.conf */
	int check = 0, opt, cmd = 0;
	const char *name = NULL, *pin_file = NULL;
	long long since = 0;
	static const struct option longs[] = {
		{"staff-add", required_argument, NULL, 'A'},
		{"staff-remove", required_argument, NULL, 'R'},
		{"staff-list", no_argument, NULL, 'L'},
		{"pin-file", required_argument, NULL, 'P'},
		{"setup-link", no_argument, NULL, 'S'},
		{"audit", no_argument, NULL, 'U'},
		{"since", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	umask(077); /* the cache, its -wal and -shm, any file made here: ours alone */
	while ((opt = getopt_long(argc, argv, "dnc:f:hv", longs, NULL)) != -1) {
		switch (opt) {
		case 'd': break; /* always in the foreground; systemd supervises */
		case 'n': check = 1; break;
		case 'c':
		case 'f': conf = optarg; break;
		case 'v': log_set_level(LOG_DEBUG); break;
		case 'A':
		case 'R':
		case 'L':
		case 'S':
		case 'U':
			if (cmd) {
				usage();
				return 2;
			}
			cmd = opt;
			name = optarg;
			break;
		case 'P': pin_file = optarg; break;
		case 'T': since = strtoll(optarg, NULL, 10); break;
		default: usage(); return opt == 'h' ? 0 : 2;
		}
	}
	if (optind != argc) {
		usage();
		return 2;
	}
	static struct desk d; /* large; lives as long as the process */
	char err_text[CONFIG_PATH_MAX + 128];
	if (config_load(conf, &d.cfg, err_text, sizeof(err_text))) {
		log_msg(LOG_ERR, "%s", err_text);
		return 1;
	}
	if (cmd)
		return admin(&d.cfg, cmd, name, pin_file, since);
	pthread_rwlock_init(&d.trust_lock, NULL);
	pthread_mutex_init(&d.ev_lock, NULL);
	pthread_cond_init(&d.ev_cond, NULL);
	pthread_mutex_init(&d.offer_lock, NULL);
	pthread_mutex_init(&d.vault.lock, NULL);
	pthread_cond_init(&d.vault.cond, NULL);
	d.last_reader = -1;

	struct lm_cache *cache;
	int err = lm_cache_open(d.cfg.database, &cache);
	if (err && !desk_cache_degraded(err)) {
		log_msg(LOG_ERR, "database %s: %s", d.cfg.database, lm_strerror(err));
		return 1;
	}
	if (err) {
		/* The desk must not stop because its cache broke: cards are still
		 * read, verified and written.  The file stays as it is for repair. */
		cache = NULL;
		log_msg(LOG_ERR,
			"database %s: %s: running without the office cache (nothing is kept "
			"for lost cards) until it is repaired or moved aside; the file is left "
			"untouched",
			d.cfg.database, lm_strerror(err));
	}
	if (load_trust_state(&d, cache) || desk_load_trust(&d) || read_token(&d) ||
	    staff_init(&d.staff, &d.cfg)) {
		lm_cache_close(cache);
		return 1;
	}
	if (d.cfg.signing_key[0] &&
	    (err = lm_key_load_private(d.cfg.signing_key, &d.signing_key))) {
		log_msg(LOG_ERR, "signing key %s: %s", d.cfg.signing_key, lm_strerror(err));
		lm_cache_close(cache);
		return 1;
	}
	if (d.cfg.vault_password_file[0] && vault_password_private(&d)) {
		lm_cache_close(cache);
		return 1;
	}
	if (d.cfg.vault[0] && !vault_built()) {
		log_msg(LOG_ERR, "vault: this laufmapped was built without the vault client "
				 "(libpq): remove the vault line or install a build with it");
		lm_cache_close(cache);
		return 1;
	}
	if (check) {
		printf("%s: configuration OK (%zu readers, trust list version %u)\n", conf,
		       d.cfg.nreaders, d.trust->version);
		lm_cache_close(cache);
		return 0;
	}
	for (size_t i = 0; i < d.cfg.nreaders; i++) {
		struct desk_reader *r = &d.readers[i];
		snprintf(r->spec, sizeof(r->spec), "%s", d.cfg.readers[i]);
		r->state = DESK_READER_EMPTY;
		pthread_mutex_init(&r->lock, NULL);
		r->tries_left = -1;
	}
	d.nreaders = d.cfg.nreaders;

	/* Signals go to this thread only (sigtimedwait below). */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct MHD_Daemon *http = api_start(&d, err_text, sizeof(err_text));
	if (!http) {
		log_msg(LOG_ERR, "%s", err_text);
		return 1;
	}
	if (vpool_start(&d, d.cfg.verify_threads, &d.pool) != LM_OK)
		log_msg(LOG_WARN, "no verification workers: entries are checked in line");
	else
		log_msg(LOG_INFO, "%u verification worker%s", vpool_threads(d.pool),
			vpool_threads(d.pool) == 1 ? "" : "s");
	if (readers_start(&d)) {
		log_msg(LOG_ERR, "could not start the reader threads");
		return 1;
	}
	if (vault_start(&d)) {
		log_msg(LOG_ERR, "could not start the vault thread");
		return 1;
	}
	log_msg(LOG_INFO, "desk page on http://%s:%u/ (%s, role %s)", d.cfg.listen_addr,
		d.cfg.listen_port, d.cfg.institution[0] ? d.cfg.institution : "no institution",
		d.cfg.role);
	if (!d.staff.nterminals)
		log_msg(LOG_INFO, "no browser is set up as this terminal yet: `laufmapped "
				  "--setup-link` prints a one-time link for it");

	time_t last_prune = 0;
	for (;;) {
		if (time(NULL) - last_prune >= 3600) {
			int n = 0;
			int64_t before = (int64_t)time(NULL) - (int64_t)d.cfg.read_log_days * 86400;
			if (cache && lm_cache_prune_reads(cache, before, &n) == LM_OK && n)
				log_msg(LOG_INFO, "%d read-log rows past %u days deleted", n,
					d.cfg.read_log_days);
			/* Entries too are kept only for a fixed time (domain.md, privacy 7). */
			before = (int64_t)time(NULL) - (int64_t)d.cfg.cache_days * 86400;
			n = 0;
			if (cache && lm_cache_prune_entries(cache, before, &n) == LM_OK && n)
				log_msg(LOG_INFO, "%d cached entries not seen for %u days deleted",
					n, d.cfg.cache_days);
			/* The write log names holders: kept no longer than their entries. */
			n = 0;
			if (cache && lm_cache_prune_audit(cache, before, &n) == LM_OK && n)
				log_msg(LOG_INFO, "%d write-log rows past %u days deleted", n,
					d.cfg.cache_days);
			last_prune = time(NULL);
		}
		struct timespec wait = {60, 0};
		int sig = sigtimedwait(&sigs, NULL, &wait);
		if (sig == SIGHUP) {
			log_msg(LOG_INFO, "SIGHUP: reloading the trust list");
			desk_load_trust(&d); /* on refusal the old list stays in force */
		} else if (sig == SIGTERM || sig == SIGINT) {
			break;
		} else if (sig < 0 && errno != EAGAIN && errno != EINTR) {
			break;
		}
	}
	log_msg(LOG_INFO, "stopping");
	d.stop = 1;
	pthread_mutex_lock(&d.ev_lock);
	pthread_cond_broadcast(&d.ev_cond);
	pthread_mutex_unlock(&d.ev_lock);
	readers_stop(&d);
	vault_stop(&d);
	api_stop(http);
	vpool_stop(d.pool);
	lm_cache_close(cache);
	lm_key_free(d.signing_key);
	lm_trust_free(d.trust);
	return 0;
}
