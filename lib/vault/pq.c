/*
 * pq.c - the folder vault's client on libpq (lm_vault.h), and the vault's
 * schema (docs/vault.md).
 *
 * The schema lives here, as SQL, versioned like the cache's migrations
 * (lib/src/cache.c): lm_vault.meta holds 'schema' = the version, and step
 * i brings version i to i + 1.  Never edit a step that has shipped; add
 * one.  Every table sits in the schema lm_vault, owned by the NOLOGIN role
 * lm_vault_owner; offices (members of lm_vault_office) and the city (a
 * member of lm_vault_city) may only EXECUTE the SECURITY DEFINER functions
 * granted to them, each with a fixed search_path and fully qualified
 * names, so that no role but the owner can list tags or touch a row.
 *
 * Every office call is one statement through PQexecParams with binary
 * parameters and results (no quoting of bytes anywhere).  Errors from
 * libpq and the server are translated in pq_err() only.
 */
#include "laufmappe/lm_vault.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "laufmappe/lm_err.h"
#include "lm_crypto.h"

#define VAULT_SCHEMA 1

/* Longest password file line we accept (SCRAM passwords are short). */
#define PASSWORD_MAX 1024

struct lm_vault {
	PGconn *conn;		  /* NULL after a lost connection: the next call reconnects */
	char *conninfo;		  /* as given */
	char *password;		  /* from password_file, or NULL; wiped at close */
	int timeout_s;		  /* connect_timeout and statement_timeout */
	int check_schema;	  /* 0 for lm_vault_init's own connection */
	char sslmode_default[16]; /* "verify-full" when a host is not local and none was given */
};

/*
 * The schema steps.  Step 0 -> 1: the tables and the functions.
 *
 * records: one row per (tag, ref); the first sealed form pushed stays (two
 *   offices seal the same entry with different nonces), a later push only
 *   refreshes last_push, which retention counts from.
 * tombstones: seq orders them for the offices' cursors.  Inserts are
 *   serialised (a row lock on meta 'tombstones' held to commit), so
 *   sequence numbers become visible in order and a cursor never skips a
 *   tombstone that commits later with a smaller number.
 * trust: the city's signed lists as published; the vault checks only the
 *   version order and the bytes (the offices verify the signature).
 *
 * push and tombstone take an advisory lock on the ref, so a push racing a
 * tombstone of the same record cannot store it again.
 */
static const char *const step1[] = {
	"CREATE TABLE lm_vault.records (tag bytea NOT NULL, ref bytea NOT NULL,"
	" sealed bytea NOT NULL, first_push timestamptz NOT NULL,"
	" last_push timestamptz NOT NULL, PRIMARY KEY (tag, ref));"
	"CREATE INDEX records_last_push ON lm_vault.records (last_push);"
	"CREATE TABLE lm_vault.tombstones (seq bigserial PRIMARY KEY, tag bytea NOT NULL,"
	" ref bytea NOT NULL, time timestamptz NOT NULL, UNIQUE (tag, ref));"
	"CREATE INDEX tombstones_tag ON lm_vault.tombstones (tag, seq);"
	"CREATE INDEX tombstones_time ON lm_vault.tombstones (time);"
	"CREATE TABLE lm_vault.trust (version bigint PRIMARY KEY, sha256 bytea NOT NULL,"
	" bytes bytea NOT NULL, time timestamptz NOT NULL);"
	"INSERT INTO lm_vault.meta VALUES ('tombstones', 0), ('trust', 0)"
	" ON CONFLICT DO NOTHING;",
	/* lengths as lm_vault.h's LM_VAULT_SEALED_LEN makes them */
	"CREATE FUNCTION lm_vault.check_record(p_tag bytea, p_ref bytea, p_sealed bytea)"
	" RETURNS void LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS "
	"$f$"
	"BEGIN"
	" IF length(p_tag) <> 16 OR length(p_ref) <> 16 OR length(p_sealed) < 92"
	"  OR length(p_sealed) > 1116 OR (length(p_sealed) - 28) % 64 <> 0 THEN"
	"  RAISE EXCEPTION 'not a vault record' USING ERRCODE = 'LMV03';"
	" END IF;"
	"END $f$;",
	"CREATE FUNCTION lm_vault.lock_ref(p_ref bytea) RETURNS void LANGUAGE sql STRICT"
	" SET search_path = pg_catalog, pg_temp AS"
	" $f$SELECT pg_advisory_xact_lock(('x' || encode(substr(p_ref, 1, 8), 'hex'))"
	"::bit(64)::bigint)$f$;",
	"CREATE FUNCTION lm_vault.push(p_tag bytea, p_ref bytea, p_sealed bytea) RETURNS integer"
	" LANGUAGE plpgsql STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $f$"
	"BEGIN"
	" PERFORM lm_vault.check_record(p_tag, p_ref, p_sealed);"
	" PERFORM lm_vault.lock_ref(p_ref);"
	" IF EXISTS (SELECT 1 FROM lm_vault.tombstones t WHERE t.tag = p_tag AND t.ref = p_ref)"
	" THEN RETURN 1; END IF;"
	" INSERT INTO lm_vault.records AS r VALUES (p_tag, p_ref, p_sealed, now(), now())"
	"  ON CONFLICT (tag, ref) DO UPDATE SET last_push = now();"
	" RETURN 0;"
	"END $f$;",
	"CREATE FUNCTION lm_vault.fetch(p_tag bytea) RETURNS TABLE (ref bytea, sealed bytea)"
	" LANGUAGE sql STRICT STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS"
	" $f$SELECT r.ref, r.sealed FROM lm_vault.records r WHERE r.tag = p_tag"
	" ORDER BY r.first_push, r.ref$f$;",
	"CREATE FUNCTION lm_vault.tombstone(p_tag bytea, p_ref bytea) RETURNS void"
	" LANGUAGE plpgsql STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $f$"
	"BEGIN"
	" IF length(p_tag) <> 16 OR length(p_ref) <> 16 THEN"
	"  RAISE EXCEPTION 'not a vault record' USING ERRCODE = 'LMV03';"
	" END IF;"
	" PERFORM lm_vault.lock_ref(p_ref);"
	" DELETE FROM lm_vault.records r WHERE r.tag = p_tag AND r.ref = p_ref;"
	" IF NOT EXISTS (SELECT 1 FROM lm_vault.tombstones t WHERE t.tag = p_tag"
	"   AND t.ref = p_ref) THEN"
	"  PERFORM 1 FROM lm_vault.meta m WHERE m.key = 'tombstones' FOR UPDATE;"
	"  INSERT INTO lm_vault.tombstones (tag, ref, time) VALUES (p_tag, p_ref, now());"
	" END IF;"
	"END $f$;",
	/* p_tags: n tags of 16 bytes, end to end; the last row carries the
	 * cursor (seq = the highest visible, tag and ref NULL) */
	"CREATE FUNCTION lm_vault.tombstones_since(p_tags bytea, p_since bigint)"
	" RETURNS TABLE (seq bigint, tag bytea, ref bytea) LANGUAGE plpgsql STRICT STABLE"
	" SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $f$"
	"BEGIN"
	" IF length(p_tags) % 16 <> 0 OR length(p_tags) > 16 * 100000 THEN"
	"  RAISE EXCEPTION 'not a list of tags' USING ERRCODE = 'LMV03';"
	" END IF;"
	" RETURN QUERY SELECT t.seq, t.tag, t.ref FROM lm_vault.tombstones t"
	"  WHERE t.seq > p_since AND t.tag IN (SELECT substr(p_tags, i * 16 + 1, 16)"
	"  FROM generate_series(0, length(p_tags) / 16 - 1) i) ORDER BY t.seq;"
	" RETURN QUERY SELECT greatest(p_since, (SELECT max(t.seq) FROM lm_vault.tombstones t)),"
	"  NULL::bytea, NULL::bytea;"
	"END $f$;",
	"CREATE FUNCTION lm_vault.trust_latest(p_above bigint)"
	" RETURNS TABLE (version bigint, bytes bytea) LANGUAGE sql STRICT STABLE SECURITY DEFINER"
	" SET search_path = pg_catalog, pg_temp AS"
	" $f$SELECT t.version, t.bytes FROM lm_vault.trust t WHERE t.version > p_above"
	" ORDER BY t.version DESC LIMIT 1$f$;",
	"CREATE FUNCTION lm_vault.trust_publish(p_version bigint, p_bytes bytea) RETURNS integer"
	" LANGUAGE plpgsql STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $f$"
	"DECLARE have bytea; newest bigint;"
	"BEGIN"
	" IF p_version < 1 OR p_version > 4294967295 OR length(p_bytes) > 65536 THEN"
	"  RAISE EXCEPTION 'not a trust list' USING ERRCODE = 'LMV03';"
	" END IF;"
	" PERFORM 1 FROM lm_vault.meta m WHERE m.key = 'trust' FOR UPDATE;"
	" SELECT t.sha256 INTO have FROM lm_vault.trust t WHERE t.version = p_version;"
	" IF FOUND THEN"
	"  IF have = sha256(p_bytes) THEN RETURN 1; END IF;"
	"  RAISE EXCEPTION 'another trust list has version %', p_version USING ERRCODE = 'LMV02';"
	" END IF;"
	" SELECT max(t.version) INTO newest FROM lm_vault.trust t;"
	" IF newest > p_version THEN"
	"  RAISE EXCEPTION 'trust list version % is older than %', p_version, newest"
	"   USING ERRCODE = 'LMV01';"
	" END IF;"
	" INSERT INTO lm_vault.trust VALUES (p_version, sha256(p_bytes), p_bytes, now());"
	" RETURN 0;"
	"END $f$;",
	/* retention counts from the last push; tombstones live as long */
	"CREATE FUNCTION lm_vault.expire() RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER"
	" SET search_path = pg_catalog, pg_temp AS $f$"
	"DECLARE keep interval; n bigint; m bigint;"
	"BEGIN"
	" SELECT make_interval(days => m.value::int) INTO keep FROM lm_vault.meta m"
	"  WHERE m.key = 'retention_days';"
	" DELETE FROM lm_vault.records r WHERE r.last_push < now() - keep;"
	" GET DIAGNOSTICS n = ROW_COUNT;"
	" DELETE FROM lm_vault.tombstones t WHERE t.time < now() - keep;"
	" GET DIAGNOSTICS m = ROW_COUNT;"
	" RETURN n + m;"
	"END $f$;",
	"CREATE FUNCTION lm_vault.schema_version() RETURNS bigint LANGUAGE sql STABLE"
	" SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS"
	" $f$SELECT value FROM lm_vault.meta WHERE key = 'schema'$f$;",
	NULL,
};

static const char *const *const migrations[VAULT_SCHEMA] = {step1};

/*
 * The grants, applied after every migration (so a run of init repairs
 * them): nothing for PUBLIC, EXECUTE on exactly their functions for the two
 * groups, no table or sequence privilege for anyone but the owner.
 */
static const char grants_sql[] =
	"REVOKE ALL ON SCHEMA lm_vault FROM PUBLIC;"
	"GRANT USAGE ON SCHEMA lm_vault TO lm_vault_office, lm_vault_city;"
	"REVOKE ALL ON ALL TABLES IN SCHEMA lm_vault FROM PUBLIC, lm_vault_office, lm_vault_city;"
	"REVOKE ALL ON ALL SEQUENCES IN SCHEMA lm_vault FROM PUBLIC, lm_vault_office,"
	" lm_vault_city;"
	"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA lm_vault FROM PUBLIC, lm_vault_office,"
	" lm_vault_city;"
	"GRANT EXECUTE ON FUNCTION lm_vault.push(bytea, bytea, bytea),"
	" lm_vault.fetch(bytea), lm_vault.tombstone(bytea, bytea),"
	" lm_vault.tombstones_since(bytea, bigint), lm_vault.trust_latest(bigint),"
	" lm_vault.expire(), lm_vault.schema_version() TO lm_vault_office;"
	"GRANT EXECUTE ON FUNCTION lm_vault.trust_publish(bigint, bytea),"
	" lm_vault.trust_latest(bigint), lm_vault.schema_version() TO lm_vault_city;";

/* Roles are per cluster; created once, never altered here. */
static const char roles_sql[] =
	"DO $r$BEGIN"
	" IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lm_vault_owner') THEN"
	"  CREATE ROLE lm_vault_owner NOLOGIN; END IF;"
	" IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lm_vault_office') THEN"
	"  CREATE ROLE lm_vault_office NOLOGIN; END IF;"
	" IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lm_vault_city') THEN"
	"  CREATE ROLE lm_vault_city NOLOGIN; END IF;"
	"END $r$;"
	"CREATE SCHEMA IF NOT EXISTS lm_vault AUTHORIZATION lm_vault_owner;"
	"SET LOCAL ROLE lm_vault_owner;"
	"CREATE TABLE IF NOT EXISTS lm_vault.meta (key text PRIMARY KEY, value bigint NOT NULL);"
	"INSERT INTO lm_vault.meta VALUES ('schema', 0) ON CONFLICT DO NOTHING;";

/*
 * The one translation of libpq's and the server's failures.  A result may
 * be NULL (out of memory, or the connection is gone).  The SQLSTATEs LMV01
 * to LMV03 are raised by our own functions above.  DOWN is what a caller
 * retries later: the server unreachable, shutting down, read-only (a
 * standby after a failover: the next connect finds the new primary),
 * cancelled by statement_timeout, out of resources.
 */
static int pq_err(PGconn *conn, const PGresult *res)
{
	if (!conn || PQstatus(conn) != CONNECTION_OK)
		return LM_ERR_VAULT_DOWN;
	if (!res)
		return LM_ERR_NOMEM;
	const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (!st)
		return LM_ERR_VAULT_DOWN;
	if (!strcmp(st, "LMV01"))
		return LM_ERR_ROLLBACK;
	if (!strcmp(st, "LMV02"))
		return LM_ERR_TRUST_SWAPPED;
	if (!strcmp(st, "LMV03"))
		return LM_ERR_ARG;
	if (!strcmp(st, "42501") || !strncmp(st, "28", 2))
		return LM_ERR_VAULT_DENIED; /* insufficient_privilege, invalid authorization */
	if (!strcmp(st, "42883") || !strcmp(st, "3F000") || !strcmp(st, "42P01"))
		return LM_ERR_VAULT_SCHEMA; /* no such function, schema or table */
	if (!strncmp(st, "08", 2) || !strncmp(st, "53", 2) || !strncmp(st, "57", 2) ||
	    !strcmp(st, "25006") || !strncmp(st, "40", 2))
		return LM_ERR_VAULT_DOWN;
	return LM_ERR_DB;
}

/* A failed connection: refused logins are DENIED, everything else DOWN.
 * libpq gives no SQLSTATE for a failed connection, so the server's
 * (English: docs/vault.md asks for lc_messages = C) message is looked at. */
static int connect_err(PGconn *conn)
{
	if (!conn)
		return LM_ERR_NOMEM;
	if (PQconnectionNeedsPassword(conn))
		return LM_ERR_VAULT_DENIED;
	const char *m = PQerrorMessage(conn);
	static const char *const denied[] = {"authentication failed", "no pg_hba.conf entry",
					     "does not exist", "permission denied",
					     "not permitted to log in"};
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		if (strstr(m, denied[i]))
			return LM_ERR_VAULT_DENIED;
	return LM_ERR_VAULT_DOWN;
}

/* The password: the first line of a file nobody else may read. */
static int read_password(const char *path, char **out)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? LM_ERR_NOT_FOUND : LM_ERR_IO;
	struct stat sb;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || (sb.st_mode & 077)) {
		close(fd);
		return LM_ERR_ARG;
	}
	char buf[PASSWORD_MAX + 2];
	size_t got = 0;
	ssize_t n;
	while (got < sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			lm_wipe(buf, sizeof(buf));
			return LM_ERR_IO;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = 0;
	buf[strcspn(buf, "\r\n")] = 0;
	int rc = strlen(buf) > PASSWORD_MAX ? LM_ERR_TOO_LONG : LM_OK;
	if (!rc && !(*out = strdup(buf)))
		rc = LM_ERR_NOMEM;
	lm_wipe(buf, sizeof(buf));
	return rc;
}

/* A host that is this machine: a socket directory, an abstract socket,
 * localhost or a loopback address (parsed as an address, so that a name
 * like "127.0.0.1.example.org" is not taken for one).  Anything else
 * wants TLS. */
static int host_is_local(const char *h, size_t n)
{
	if (n == 0 || h[0] == '/' || h[0] == '@')
		return 1;
	if (n == 9 && !strncmp(h, "localhost", 9))
		return 1;
	char a[INET6_ADDRSTRLEN + 1];
	if (n >= sizeof(a))
		return 0;
	memcpy(a, h, n);
	a[n] = 0;
	struct in_addr v4;
	struct in6_addr v6;
	if (inet_pton(AF_INET, a, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, a, &v6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&v6);
	return 0;
}

static int all_local(const char *list)
{
	if (!list)
		return 1;
	for (const char *p = list;;) {
		size_t n = strcspn(p, ",");
		if (!host_is_local(p, n))
			return 0;
		if (!p[n])
			return 1;
		p += n + 1;
	}
}

/*
 * Check the conninfo once, at lm_vault_connect: libpq must parse it, and a
 * vault reached over the network gets sslmode=verify-full unless the
 * conninfo (or PGSSLMODE) names a mode itself.
 */
static int conninfo_policy(const char *conninfo, char sslmode[16])
{
	char *errmsg = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &errmsg);
	if (!opts) {
		PQfreemem(errmsg);
		return errmsg ? LM_ERR_ARG : LM_ERR_NOMEM;
	}
	const char *host = NULL, *hostaddr = NULL, *mode = NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val || !o->val[0])
			continue;
		if (!strcmp(o->keyword, "host"))
			host = o->val;
		else if (!strcmp(o->keyword, "hostaddr"))
			hostaddr = o->val;
		else if (!strcmp(o->keyword, "sslmode"))
			mode = o->val;
	}
	if (!host)
		host = getenv("PGHOST");
	if (!mode)
		mode = getenv("PGSSLMODE");
	sslmode[0] = 0;
	/* both must be local: a host name with a loopback hostaddr (a tunnel,
	 * say) still names a server elsewhere, whose certificate is checked */
	if (!mode && !(all_local(hostaddr) && all_local(host)))
		strcpy(sslmode, "verify-full");
	PQconninfoFree(opts);
	return LM_OK;
}

static int vault_open(struct lm_vault *v)
{
	char timeout[16];
	snprintf(timeout, sizeof(timeout), "%d", v->timeout_s);
	const char *keys[6], *vals[6];
	int k = 0;
	keys[k] = "dbname", vals[k++] = v->conninfo;
	keys[k] = "connect_timeout", vals[k++] = timeout;
	keys[k] = "application_name", vals[k++] = "laufmappe";
	if (v->password)
		keys[k] = "password", vals[k++] = v->password;
	if (v->sslmode_default[0])
		keys[k] = "sslmode", vals[k++] = v->sslmode_default;
	keys[k] = NULL, vals[k] = NULL;
	/* expand_dbname: the conninfo's own keywords come first; ours, later,
	 * would override them, so connect_timeout is given only when the
	 * conninfo has none (libpq keeps the last non-empty value). */
	char *errmsg = NULL;
	PQconninfoOption *opts = PQconninfoParse(v->conninfo, &errmsg);
	PQfreemem(errmsg);
	if (opts) {
		for (PQconninfoOption *o = opts; o->keyword; o++)
			if (!strcmp(o->keyword, "connect_timeout") && o->val && o->val[0])
				vals[1] = o->val;
		v->conn = PQconnectdbParams(keys, vals, 1);
		PQconninfoFree(opts);
	} else {
		return LM_ERR_ARG;
	}
	if (!v->conn || PQstatus(v->conn) != CONNECTION_OK) {
		int rc = connect_err(v->conn);
		PQfinish(v->conn);
		v->conn = NULL;
		return rc;
	}
	/* one round trip: the statement timeout, and the schema we speak */
	char ms[24];
	snprintf(ms, sizeof(ms), "%d", v->timeout_s * 1000);
	const char *params[1] = {ms};
	PGresult *r = PQexecParams(
		v->conn,
		v->check_schema ? "SELECT set_config('statement_timeout', $1, false),"
				  " lm_vault.schema_version()"
				: "SELECT set_config('statement_timeout', $1, false), NULL",
		1, NULL, params, NULL, NULL, 0);
	int rc = LM_OK;
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = pq_err(v->conn, r);
	else if (v->check_schema &&
		 (PQgetisnull(r, 0, 1) || atoi(PQgetvalue(r, 0, 1)) != VAULT_SCHEMA))
		rc = LM_ERR_VAULT_SCHEMA;
	PQclear(r);
	if (rc) {
		PQfinish(v->conn);
		v->conn = NULL;
	}
	return rc;
}

static int vault_new(const char *conninfo, const char *password_file, int timeout_s,
		     int check_schema, struct lm_vault **out)
{
	*out = NULL;
	if (!conninfo || timeout_s < 0)
		return LM_ERR_ARG;
	struct lm_vault *v = calloc(1, sizeof(*v));
	if (!v)
		return LM_ERR_NOMEM;
	v->timeout_s = timeout_s ? timeout_s : 5;
	v->check_schema = check_schema;
	int rc = conninfo_policy(conninfo, v->sslmode_default);
	if (!rc && !(v->conninfo = strdup(conninfo)))
		rc = LM_ERR_NOMEM;
	if (!rc && password_file)
		rc = read_password(password_file, &v->password);
	if (!rc)
		rc = vault_open(v);
	if (rc) {
		lm_vault_close(v);
		return rc;
	}
	*out = v;
	return LM_OK;
}

int lm_vault_connect(const char *conninfo, const char *password_file, int timeout_s,
		     struct lm_vault **out)
{
	if (!out)
		return LM_ERR_ARG;
	return vault_new(conninfo, password_file, timeout_s, 1, out);
}

void lm_vault_close(struct lm_vault *v)
{
	if (!v)
		return;
	PQfinish(v->conn);
	if (v->password) {
		lm_wipe(v->password, strlen(v->password));
		free(v->password);
	}
	free(v->conninfo);
	free(v);
}

/*
 * Run one statement: binary parameters (lens[i] bytes, or text when lens
 * is NULL for it), binary results.  A lost connection is dropped so the
 * next call reconnects (and, with several hosts, finds the primary).
 */
static int vault_exec(struct lm_vault *v, const char *sql, int n, const char *const *vals,
		      const int *lens, const int *formats, PGresult **out)
{
	*out = NULL;
	if (!v)
		return LM_ERR_ARG;
	if (!v->conn) {
		int rc = vault_open(v);
		if (rc)
			return rc;
	}
	PGresult *r = PQexecParams(v->conn, sql, n, NULL, vals, lens, formats, 1);
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		*out = r;
		return LM_OK;
	}
	int rc = pq_err(v->conn, r);
	PQclear(r);
	if (rc == LM_ERR_VAULT_DOWN) {
		PQfinish(v->conn);
		v->conn = NULL;
	}
	return rc;
}

static int64_t be64(const char *p)
{
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | (uint8_t)p[i];
	return (int64_t)x;
}

static void put_be64(char p[8], int64_t v)
{
	for (int i = 7; i >= 0; i--, v = (int64_t)((uint64_t)v >> 8))
		p[i] = (char)(v & 0xff);
}

/* A column that must be a bytea of exactly n bytes (binary results). */
static int col_bytes(const PGresult *r, int row, int col, size_t n)
{
	return !PQgetisnull(r, row, col) && (size_t)PQgetlength(r, row, col) == n;
}

int lm_vault_push(struct lm_vault *v, const uint8_t tag[LM_VAULT_TAG_LEN],
		  const uint8_t ref[LM_VAULT_REF_LEN], const uint8_t *sealed, size_t len)
{
	if (!tag || !ref || !sealed || len < LM_VAULT_SEALED_LEN(0) || len > LM_VAULT_SEALED_MAX ||
	    (len - LM_VAULT_NONCE_LEN - LM_VAULT_MAC_LEN) % LM_VAULT_PAD)
		return LM_ERR_ARG;
	const char *vals[3] = {(const char *)tag, (const char *)ref, (const char *)sealed};
	const int lens[3] = {LM_VAULT_TAG_LEN, LM_VAULT_REF_LEN, (int)len}, fmt[3] = {1, 1, 1};
	PGresult *r;
	int rc = vault_exec(v, "SELECT lm_vault.push($1, $2, $3)", 3, vals, lens, fmt, &r);
	PQclear(r);
	return rc;
}

int lm_vault_fetch(struct lm_vault *v, const uint8_t tag[LM_VAULT_TAG_LEN], lm_vault_record_fn fn,
		   void *ctx)
{
	if (!tag || !fn)
		return LM_ERR_ARG;
	const char *vals[1] = {(const char *)tag};
	const int lens[1] = {LM_VAULT_TAG_LEN}, fmt[1] = {1};
	PGresult *r;
	int rc =
		vault_exec(v, "SELECT ref, sealed FROM lm_vault.fetch($1)", 1, vals, lens, fmt, &r);
	for (int i = 0; !rc && i < PQntuples(r); i++) {
		if (!col_bytes(r, i, 0, LM_VAULT_REF_LEN) || PQgetisnull(r, i, 1)) {
			rc = LM_ERR_VAULT_SCHEMA; /* not what our function returns */
			break;
		}
		rc = fn(ctx, (const uint8_t *)PQgetvalue(r, i, 0),
			(const uint8_t *)PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1));
	}
	PQclear(r);
	return rc;
}

int lm_vault_tombstone(struct lm_vault *v, const uint8_t tag[LM_VAULT_TAG_LEN],
		       const uint8_t ref[LM_VAULT_REF_LEN])
{
	if (!tag || !ref)
		return LM_ERR_ARG;
	const char *vals[2] = {(const char *)tag, (const char *)ref};
	const int lens[2] = {LM_VAULT_TAG_LEN, LM_VAULT_REF_LEN}, fmt[2] = {1, 1};
	PGresult *r;
	int rc = vault_exec(v, "SELECT lm_vault.tombstone($1, $2)", 2, vals, lens, fmt, &r);
	PQclear(r);
	return rc;
}

int lm_vault_tombstones(struct lm_vault *v, const uint8_t (*tags)[LM_VAULT_TAG_LEN], size_t n,
			int64_t since, int64_t *next, lm_vault_tombstone_fn fn, void *ctx)
{
	if ((!tags && n) || !next || !fn || n > 100000 || since < 0)
		return LM_ERR_ARG;
	char since_be[8];
	put_be64(since_be, since);
	/* the tags end to end: one bytea, split by the function */
	static const char none[1];
	const char *vals[2] = {n ? (const char *)tags : none, since_be};
	const int lens[2] = {(int)(n * LM_VAULT_TAG_LEN), 8}, fmt[2] = {1, 1};
	PGresult *r;
	int rc = vault_exec(v, "SELECT seq, tag, ref FROM lm_vault.tombstones_since($1, $2)", 2,
			    vals, lens, fmt, &r);
	if (rc)
		return rc;
	int rows = PQntuples(r);
	if (rows < 1 || !col_bytes(r, rows - 1, 0, 8) || !PQgetisnull(r, rows - 1, 1))
		rc = LM_ERR_VAULT_SCHEMA;
	for (int i = 0; !rc && i < rows - 1; i++) {
		if (!col_bytes(r, i, 1, LM_VAULT_TAG_LEN) ||
		    !col_bytes(r, i, 2, LM_VAULT_REF_LEN)) {
			rc = LM_ERR_VAULT_SCHEMA;
			break;
		}
		rc = fn(ctx, (const uint8_t *)PQgetvalue(r, i, 1),
			(const uint8_t *)PQgetvalue(r, i, 2));
	}
	/* the cursor moves only when every tombstone was taken */
	if (!rc)
		*next = be64(PQgetvalue(r, rows - 1, 0));
	PQclear(r);
	return rc;
}

int lm_vault_trust_publish(struct lm_vault *v, const uint8_t *trust, size_t len, uint32_t version)
{
	if (!trust || !len || len > 65536 || version == 0)
		return LM_ERR_ARG;
	char ver[8];
	put_be64(ver, version);
	const char *vals[2] = {ver, (const char *)trust};
	const int lens[2] = {8, (int)len}, fmt[2] = {1, 1};
	PGresult *r;
	int rc = vault_exec(v, "SELECT lm_vault.trust_publish($1, $2)", 2, vals, lens, fmt, &r);
	PQclear(r);
	return rc;
}

int lm_vault_trust_latest(struct lm_vault *v, uint32_t above, uint8_t **trust, size_t *len,
			  uint32_t *version)
{
	if (!trust || !len || !version)
		return LM_ERR_ARG;
	*trust = NULL;
	*len = 0;
	char ab[8];
	put_be64(ab, above);
	const char *vals[1] = {ab};
	const int lens[1] = {8}, fmt[1] = {1};
	PGresult *r;
	int rc = vault_exec(v, "SELECT version, bytes FROM lm_vault.trust_latest($1)", 1, vals,
			    lens, fmt, &r);
	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = LM_ERR_NOT_FOUND;
	else if (!col_bytes(r, 0, 0, 8) || PQgetisnull(r, 0, 1))
		rc = LM_ERR_VAULT_SCHEMA;
	else {
		int64_t ver = be64(PQgetvalue(r, 0, 0));
		size_t n = (size_t)PQgetlength(r, 0, 1);
		if (ver <= (int64_t)above || ver > UINT32_MAX)
			rc = LM_ERR_VAULT_SCHEMA;
		else if (!(*trust = malloc(n ? n : 1)))
			rc = LM_ERR_NOMEM;
		else {
			memcpy(*trust, PQgetvalue(r, 0, 1), n);
			*len = n;
			*version = (uint32_t)ver;
		}
	}
	PQclear(r);
	return rc;
}

int lm_vault_expire(struct lm_vault *v, int64_t *removed)
{
	PGresult *r;
	int rc = vault_exec(v, "SELECT lm_vault.expire()", 0, NULL, NULL, NULL, &r);
	if (!rc && removed)
		*removed = col_bytes(r, 0, 0, 8) ? be64(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	return rc;
}

/* One statement of several commands, no parameters (the admin's calls). */
static int admin_exec(struct lm_vault *v, const char *sql)
{
	PGresult *r = PQexec(v->conn, sql);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK
			 ? LM_OK
			 : pq_err(v->conn, r);
	PQclear(r);
	return rc;
}

static int admin_version(struct lm_vault *v, int *version)
{
	PGresult *r = PQexec(v->conn, "SELECT value FROM lm_vault.meta WHERE key = 'schema'");
	int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? LM_OK : pq_err(v->conn, r);
	if (!rc)
		*version = PQntuples(r) ? atoi(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	return rc;
}

int lm_vault_init(const char *conninfo, const char *password_file, int retention_days)
{
	if (retention_days <= 0 || retention_days > 36500)
		return LM_ERR_ARG;
	struct lm_vault *v;
	int rc = vault_new(conninfo, password_file, 60, 0, &v);
	if (rc)
		return rc;
	/* One transaction: a second init waits for the first (the advisory
	 * lock), and a failed step leaves the schema as it was. */
	rc = admin_exec(v, "BEGIN; SELECT pg_advisory_xact_lock(7231001);");
	if (!rc)
		rc = admin_exec(v, roles_sql);
	int version = 0;
	if (!rc)
		rc = admin_version(v, &version);
	if (!rc && version > VAULT_SCHEMA)
		rc = LM_ERR_VAULT_SCHEMA;
	for (int i = version; !rc && i < VAULT_SCHEMA; i++) {
		char bump[96];
		snprintf(bump, sizeof(bump),
			 "UPDATE lm_vault.meta SET value = %d WHERE key = 'schema'", i + 1);
		for (const char *const *sql = migrations[i]; !rc && *sql; sql++)
			rc = admin_exec(v, *sql);
		if (!rc)
			rc = admin_exec(v, bump);
	}
	if (!rc) {
		char ret[160];
		snprintf(ret, sizeof(ret),
			 "INSERT INTO lm_vault.meta VALUES ('retention_days', %d)"
			 " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
			 retention_days);
		rc = admin_exec(v, ret);
	}
	if (!rc)
		rc = admin_exec(v, "RESET ROLE");
	if (!rc)
		rc = admin_exec(v, grants_sql);
	if (!rc)
		rc = admin_exec(v, "COMMIT");
	else if (v->conn)
		PQclear(PQexec(v->conn, "ROLLBACK"));
	lm_vault_close(v);
	return rc;
}

int lm_vault_add_login(const char *conninfo, const char *password_file, const char *name, int city,
		       const char *login_password_file)
{
	if (!name || !name[0] || strlen(name) > 63 || !login_password_file)
		return LM_ERR_ARG;
	char *pw = NULL;
	int rc = read_password(login_password_file, &pw);
	if (rc)
		return rc;
	struct lm_vault *v = NULL;
	if (!pw[0])
		rc = LM_ERR_ARG;
	if (!rc)
		rc = vault_new(conninfo, password_file, 30, 0, &v);
	char *hash = NULL, *ident = NULL, *lit = NULL, *nlit = NULL, *sql = NULL;
	/* the server receives a SCRAM verifier, never the password itself */
	if (!rc && !(hash = PQencryptPasswordConn(v->conn, pw, name, "scram-sha-256")))
		rc = LM_ERR_VAULT_DOWN;
	if (!rc && (!(ident = PQescapeIdentifier(v->conn, name, strlen(name))) ||
		    !(lit = PQescapeLiteral(v->conn, hash, strlen(hash))) ||
		    !(nlit = PQescapeLiteral(v->conn, name, strlen(name)))))
		rc = LM_ERR_NOMEM;
	size_t cap = rc ? 0 : 3 * strlen(ident) + strlen(lit) + strlen(nlit) + 320;
	if (!rc && !(sql = malloc(cap)))
		rc = LM_ERR_NOMEM;
	if (!rc) {
		/* a new login, or a new password for one already there; either
		 * way a member of the group it was added to */
		snprintf(sql, cap,
			 "BEGIN;"
			 "DO $a$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)"
			 " THEN CREATE ROLE %s; END IF; END $a$;"
			 "ALTER ROLE %s LOGIN INHERIT PASSWORD %s;"
			 "GRANT %s TO %s;"
			 "COMMIT;",
			 nlit, ident, ident, lit, city ? "lm_vault_city" : "lm_vault_office",
			 ident);
		rc = admin_exec(v, sql);
		if (rc)
			PQclear(PQexec(v->conn, "ROLLBACK"));
	}
	free(sql);
	PQfreemem(nlit);
	PQfreemem(ident);
	PQfreemem(lit);
	if (hash) {
		lm_wipe(hash, strlen(hash));
		PQfreemem(hash);
	}
	lm_wipe(pw, strlen(pw));
	free(pw);
	lm_vault_close(v);
	return rc;
}
