/*
 * config.h - laufmapped's configuration file (docs/laufmapped.conf.5):
 * "key = value" lines, "#" comments.  The only global state of the daemon.
 */
#ifndef LM_DAEMON_CONFIG_H
#define LM_DAEMON_CONFIG_H

#include <stddef.h>

#define CONFIG_MAX_READERS 8
#define CONFIG_MAX_ROOTS   4
#define CONFIG_PATH_MAX	   1024

struct config {
	char readers[CONFIG_MAX_READERS][CONFIG_PATH_MAX]; /* transport specs */
	size_t nreaders;
	char root_keys[CONFIG_MAX_ROOTS][CONFIG_PATH_MAX]; /* pinned root public keys */
	size_t nroots;
	char trust_list[CONFIG_PATH_MAX];
	char trust_state[CONFIG_PATH_MAX]; /* the accepted list's version and hash */
	char institution[256];
	char role[64];
	char signing_key[CONFIG_PATH_MAX]; /* empty: this terminal cannot write */
	char database[CONFIG_PATH_MAX];
	char listen_addr[64]; /* "127.0.0.1" */
	unsigned listen_port; /* 8080 */
	int allow_remote;
	char token_file[CONFIG_PATH_MAX];
	unsigned read_log_days; /* retention of the read log */
	unsigned cache_days;	/* retention of cached entries after they were last seen */
	char web_root[CONFIG_PATH_MAX];
	unsigned poll_ms;	 /* card-removal and libnfc poll interval */
	unsigned verify_threads; /* verification workers; 0: one per core */
	unsigned trust_grace_days;
	/* Further names this daemon answers to in the Host header ("desk-3" or
	 * "desk-3.stadt.example:8730", comma-separated), beside its listen
	 * address, localhost, 127.0.0.1 and [::1]. */
	char host_names[512];
	/* HTTP: at most this many connections at once, and an idle connection
	 * is closed after connection_timeout seconds (event streams excepted). */
	unsigned max_connections;    /* 4096 */
	unsigned connection_timeout; /* 10 */
	/* Staff sign-in (staff.h): the accounts' file (default: "staff" beside
	 * the database; the terminals and setup-link files go beside it), and
	 * the idle time after which a session ends, in seconds. */
	char staff_file[CONFIG_PATH_MAX];
	unsigned staff_idle; /* 900 */
	/* The city's folder vault (docs/vault.md): a libpq conninfo, empty for
	 * none (then nothing of the vault runs: today's behaviour).  Its
	 * password only from vault_password_file (0600) or libpq's passfile. */
	char vault[CONFIG_PATH_MAX];
	char vault_password_file[CONFIG_PATH_MAX];
	unsigned vault_sync_s;	  /* tombstones and trust lists polled this often: 300 */
	unsigned vault_timeout_s; /* connect and statement timeout: 5 */
};

/*
 * Read and check the file.  On failure returns -1 after writing one line
 * naming the file, the line and what is wrong into err (errlen bytes).
 */
int config_load(const char *path, struct config *c, char *err, size_t errlen);

#endif
