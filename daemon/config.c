/*
 * config.c - parse laufmapped.conf.  Unknown keys are errors (a typo must
 * not silently leave a default in force); paths are kept as written.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "laufmappe/lm_trust.h"

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static int copy(char *dst, size_t cap, const char *v)
{
	if (strlen(v) >= cap)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int number(const char *v, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (errno || *end || end == v || n > max)
		return -1;
	*out = (unsigned)n;
	return 0;
}

/* A duration: a number with s, m or h (a bare number is minutes), in
 * seconds, from min to max seconds. */
static int duration(const char *v, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	unsigned long unit = !*end || !strcmp(end, "m") ? 60
			     : !strcmp(end, "s")	? 1
			     : !strcmp(end, "h")	? 3600
							: 0;
	if (errno || end == v || !unit || n > max / unit || n * unit < min)
		return -1;
	*out = (unsigned)(n * unit);
	return 0;
}

/* "a b c" or "a, b, c" into a list of at most max entries. */
static int list(char (*dst)[CONFIG_PATH_MAX], size_t max, size_t *n, char *v)
{
	for (char *tok = strtok(v, ", \t"); tok; tok = strtok(NULL, ", \t")) {
		if (*n >= max || copy(dst[*n], CONFIG_PATH_MAX, tok))
			return -1;
		(*n)++;
	}
	return 0;
}

/* host:port, or a port alone. */
static int listen_spec(struct config *c, char *v)
{
	char *colon = strrchr(v, ':');
	const char *port = colon ? colon + 1 : v;
	if (colon) {
		*colon = 0;
		if (copy(c->listen_addr, sizeof(c->listen_addr), v))
			return -1;
	}
	struct in_addr a;
	if (inet_pton(AF_INET, c->listen_addr, &a) != 1)
		return -1;
	return number(port, 65535, &c->listen_port);
}

/*
 * A vault conninfo must not carry its password: the main configuration is
 * read by more people than the vault's secret should be (a password lives
 * in vault_password_file, 0600, or libpq's passfile).  Both forms are
 * looked at: "password=" among keywords, "user:secret@" or "password="
 * in a postgresql:// URI.
 */
static int vault_conninfo(const char *v)
{
	if (!strncmp(v, "postgresql://", 13) || !strncmp(v, "postgres://", 11)) {
		const char *auth = strstr(v, "://") + 3;
		size_t hostpart = strcspn(auth, "/?");
		const char *at = memchr(auth, '@', hostpart);
		if (at && memchr(auth, ':', (size_t)(at - auth)))
			return -1;
		return strstr(v, "password=") ? -1 : 0;
	}
	for (const char *p = strstr(v, "password"); p; p = strstr(p + 1, "password")) {
		const char *q = p + 8;
		while (*q == ' ' || *q == '\t')
			q++;
		/* "password=" as a keyword (not inside passfile=...) */
		if (*q == '=' && (p == v || p[-1] == ' ' || p[-1] == '\t'))
			return -1;
	}
	return 0;
}

static int set_key(struct config *c, const char *k, char *v)
{
	if (!strcmp(k, "readers"))
		return list(c->readers, CONFIG_MAX_READERS, &c->nreaders, v);
	if (!strcmp(k, "root_keys") || !strcmp(k, "root_key"))
		return list(c->root_keys, CONFIG_MAX_ROOTS, &c->nroots, v);
	if (!strcmp(k, "trust_list"))
		return copy(c->trust_list, sizeof(c->trust_list), v);
	if (!strcmp(k, "trust_state"))
		return copy(c->trust_state, sizeof(c->trust_state), v);
	if (!strcmp(k, "institution"))
		return copy(c->institution, sizeof(c->institution), v);
	if (!strcmp(k, "role"))
		return lm_role_by_name(v) < 0 ? -1 : copy(c->role, sizeof(c->role), v);
	if (!strcmp(k, "signing_key"))
		return copy(c->signing_key, sizeof(c->signing_key), v);
	if (!strcmp(k, "database"))
		return copy(c->database, sizeof(c->database), v);
	if (!strcmp(k, "listen"))
		return listen_spec(c, v);
	if (!strcmp(k, "allow_remote")) {
		c->allow_remote = !strcmp(v, "yes") || !strcmp(v, "true");
		return !strcmp(v, "yes") || !strcmp(v, "no") || !strcmp(v, "true") ||
				       !strcmp(v, "false")
			       ? 0
			       : -1;
	}
	if (!strcmp(k, "token_file"))
		return copy(c->token_file, sizeof(c->token_file), v);
	if (!strcmp(k, "read_log_days"))
		return number(v, 3650, &c->read_log_days);
	if (!strcmp(k, "cache_days"))
		return number(v, 3650, &c->cache_days) || c->cache_days == 0 ? -1 : 0;
	if (!strcmp(k, "web_root"))
		return copy(c->web_root, sizeof(c->web_root), v);
	if (!strcmp(k, "poll_ms") || !strcmp(k, "nfc_poll_ms"))
		return number(v, 60000, &c->poll_ms) || c->poll_ms < 10 ? -1 : 0;
	if (!strcmp(k, "verify_threads"))
		return number(v, 64, &c->verify_threads);
	if (!strcmp(k, "trust_grace_days"))
		return number(v, 365, &c->trust_grace_days);
	if (!strcmp(k, "max_connections"))
		return number(v, 65536, &c->max_connections) || c->max_connections < 16 ? -1 : 0;
	if (!strcmp(k, "connection_timeout"))
		return number(v, 600, &c->connection_timeout) || c->connection_timeout < 1 ? -1 : 0;
	if (!strcmp(k, "staff_file"))
		return copy(c->staff_file, sizeof(c->staff_file), v);
	if (!strcmp(k, "staff_idle"))
		return duration(v, 1, 24 * 3600, &c->staff_idle);
	if (!strcmp(k, "vault"))
		return !*v ? -1 : vault_conninfo(v) ? -3 : copy(c->vault, sizeof(c->vault), v);
	if (!strcmp(k, "vault_password_file"))
		return copy(c->vault_password_file, sizeof(c->vault_password_file), v);
	if (!strcmp(k, "vault_sync_s"))
		return number(v, 86400, &c->vault_sync_s) || c->vault_sync_s < 1 ? -1 : 0;
	if (!strcmp(k, "vault_timeout_s"))
		return number(v, 60, &c->vault_timeout_s) || c->vault_timeout_s < 1 ? -1 : 0;
	if (!strcmp(k, "host_names"))
		return copy(c->host_names, sizeof(c->host_names), v);
	return -2;
}

int config_load(const char *path, struct config *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen_addr, sizeof(c->listen_addr), "127.0.0.1");
	c->listen_port = 8080;
	c->read_log_days = 90;
	c->cache_days = 1095; /* three years: a lost card is often noticed late */
	c->poll_ms = 300;
	c->trust_grace_days = 14;
	c->max_connections = 4096;
	c->connection_timeout = 10;
	c->staff_idle = 15 * 60;
	c->vault_sync_s = 300;
	c->vault_timeout_s = 5;
	snprintf(c->role, sizeof(c->role), "city");
	snprintf(c->web_root, sizeof(c->web_root), "%s", LMD_WEB_ROOT); /* from meson */
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char line[2048];
	int n = 0, rc = 0;
	while (!rc && fgets(line, sizeof(line), f)) {
		n++;
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected key = value", path, n);
			rc = -1;
			break;
		}
		*eq = 0;
		char *k = trim(s), *v = trim(eq + 1);
		int r = set_key(c, k, v);
		if (r == -2)
			snprintf(err, errlen, "%s:%d: unknown key '%s'", path, n, k);
		else if (r == -3) /* the value is not repeated: it holds a password */
			snprintf(err, errlen,
				 "%s:%d: vault: no password in the configuration; put it in "
				 "vault_password_file (mode 0600) or libpq's passfile",
				 path, n);
		else if (r)
			snprintf(err, errlen, "%s:%d: bad value for %s: '%s'", path, n, k, v);
		rc = r ? -1 : 0;
	}
	fclose(f);
	if (rc)
		return -1;
	const char *missing = !c->nreaders	  ? "readers"
			      : !c->nroots	  ? "root_key"
			      : !c->trust_list[0] ? "trust_list"
			      : !c->database[0]	  ? "database"
			      : !c->token_file[0] ? "token_file"
						  : NULL;
	if (missing) {
		snprintf(err, errlen, "%s: %s is required", path, missing);
		return -1;
	}
	if (!c->trust_state[0]) {
		/* Default: beside the database, in the state directory the service
		 * may write (/etc is read-only to it), but in its own file. */
		const char *slash = strrchr(c->database, '/');
		int dl = slash ? (int)(slash - c->database) : 1;
		snprintf(c->trust_state, sizeof(c->trust_state), "%.*s/trust.state", dl,
			 slash ? c->database : ".");
	}
	if (c->vault_password_file[0] && !c->vault[0]) {
		snprintf(err, errlen, "%s: vault_password_file without vault", path);
		return -1;
	}
	if (!c->allow_remote && strncmp(c->listen_addr, "127.", 4) != 0) {
		snprintf(err, errlen,
			 "%s: listen %s is not loopback: set allow_remote = yes to allow it", path,
			 c->listen_addr);
		return -1;
	}
	return 0;
}
