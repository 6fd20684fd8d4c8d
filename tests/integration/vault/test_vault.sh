#!/usr/bin/env bash
# The folder vault on a real PostgreSQL (docs/vault.md): `laufmappe vault
# init` and `add-office`/`add-city`, the client through vault_check.c
# (round trip, tombstones, trust lists, retention, refusals, reconnect), an
# office's and the city's roles tried as SQL with psql (no listing of tags,
# no table, no delete except by tombstone), `laufmappe trust publish`
# (verified against the root, rollback and same-version swap refused), and
# libpq's multi-host failover with target_session_attrs=read-write from a
# primary to its streaming-replication standby, promoted.
#
# Usage: test_vault.sh LAUFMAPPE VAULT_CHECK VECTORS_DIR
# Skips (77) without PostgreSQL (tests/run.sh counts a skip as a failure
# under LM_CI=1).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
L=$(realpath "$1")
CHECK=$(realpath "$2")
VEC=$(realpath "$3")
. "$here/pg_rig.sh"
pg_rig_enter

pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}
# expect CODE CMD...: run, compare the exit status
expect() {
	local want=$1
	shift
	"$@" >"$PG_RIG_DIR/out.txt" 2>"$PG_RIG_DIR/err.txt"
	local got=$?
	if [ "$got" -eq "$want" ]; then ok; else bad "$* -> exit $got, want $want: $(cat "$PG_RIG_DIR/err.txt")"; fi
}
# run_check MODE...: vault_check must exit 0
run_check() {
	if "$CHECK" "$@" >"$PG_RIG_DIR/check.txt" 2>&1; then
		ok
	else
		bad "vault_check $*: $(tail -n 3 "$PG_RIG_DIR/check.txt")"
	fi
}
cd "$PG_RIG_DIR" || exit 1

pg_rig_start a
admin=$(pg_rig_conninfo a)
expect 0 "$L" vault init "$admin" --retention-days 30
expect 0 "$L" vault init "$admin" --retention-days 30 # again: harmless
[ "$(pg_rig_psql a -tAc "SELECT value FROM lm_vault.meta WHERE key = 'schema'")" = 1 ] && ok ||
	bad "schema version"
for who in office_a office_b city; do
	echo "pw-$who-$RANDOM$RANDOM" >"$who.pw"
	chmod 600 "$who.pw"
done
expect 0 "$L" vault add-office "$admin" office_a --login-password-file office_a.pw
expect 0 "$L" vault add-office "$admin" office_b --login-password-file office_b.pw
expect 0 "$L" vault add-city "$admin" city --login-password-file city.pw
chmod 644 office_b.pw
expect 3 "$L" vault add-office "$admin" office_c --login-password-file office_b.pw
chmod 600 office_b.pw
expect 2 "$L" vault init "$admin" --retention-days 0

export VA VB VC PWA="$PWD/office_a.pw" PWB="$PWD/office_b.pw" PWC="$PWD/city.pw"
VA=$(pg_rig_tcp a office_a)
VB=$(pg_rig_tcp a office_b)
VC=$(pg_rig_tcp a city)
export HOLDER=a1a2a3a4a5a6a7a8a9aaabacadaeafb0 RECOVERY=101112131415161718191a1b1c1d1e1f

run_check denied
run_check roundtrip
grep -q "ok: retention kept the fresh records" check.txt && ok || bad "roundtrip did not finish"
# (a holder of its own: the race's 400 tombstones stay out of the counts below)
HOLDER=0badc0de0badc0de0badc0de0badc0de run_check tombrace
grep tombrace: check.txt
HOLDER=0badc0de0badc0de0badc0de0badc0df run_check pushrace
grep pushrace: check.txt

# --- the roles, tried as SQL -------------------------------------------
# psql_as ROLE SQL: run one statement over TCP with the role's password
psql_as() {
	PGPASSWORD=$(cat "$1.pw") "$PG_BIN/psql" -X -v ON_ERROR_STOP=1 -tA \
		-h 127.0.0.1 -p "$(pg_rig_port a)" -U "$1" -d vault -c "$2"
}
# refused ROLE SQL: the server must refuse it for lack of privilege
refused() {
	local out
	if out=$(psql_as "$1" "$2" 2>&1); then
		bad "$1 may: $2 ($out)"
	elif grep -q "permission denied" <<<"$out"; then
		ok
	else
		bad "$1: $2: not a permission error: $out"
	fi
}
tag=$(pg_rig_psql a -tAc "SELECT encode(tag, 'hex') FROM lm_vault.records LIMIT 1")
[ ${#tag} = 32 ] && ok || bad "a tag in the vault: $tag"
for role in office_a city; do
	refused $role "SELECT encode(tag, 'hex') FROM lm_vault.records"
	refused $role "SELECT count(*) FROM lm_vault.records"
	refused $role "SELECT * FROM lm_vault.tombstones"
	refused $role "SELECT * FROM lm_vault.trust"
	refused $role "SELECT * FROM lm_vault.meta"
	refused $role "DELETE FROM lm_vault.records"
	refused $role "DELETE FROM lm_vault.tombstones"
	refused $role "UPDATE lm_vault.records SET last_push = now()"
	refused $role "UPDATE lm_vault.meta SET value = 1 WHERE key = 'retention_days'"
	refused $role "INSERT INTO lm_vault.trust VALUES (99, '\\x00', '\\x00', now())"
	refused $role "TRUNCATE lm_vault.records"
	refused $role "SELECT nextval('lm_vault.tombstones_seq_seq')"
	refused $role "CREATE TABLE lm_vault.mine (a int)"
	refused $role "SELECT lm_vault.check_record('\\x00', '\\x00', '\\x00')"
	refused $role "SELECT lm_vault.lock_ref('\\x00')"
	refused $role "SET ROLE lm_vault_owner"
done
refused office_a "SELECT lm_vault.trust_publish(99, '\\x00')"
refused city "SELECT * FROM lm_vault.fetch('\\x$tag')"
refused city "SELECT lm_vault.tombstone('\\x$tag', '\\x00000000000000000000000000000000')"
refused city "SELECT lm_vault.expire()"
# what an office may do, it does through the functions
[ "$(psql_as office_a "SELECT count(*) FROM lm_vault.fetch('\\x$tag')")" = 2 ] && ok ||
	bad "office_a fetches by tag"
# no function of an office's answers without a tag it already knows
[ "$(psql_as office_a "SELECT count(*) FROM lm_vault.fetch(NULL)")" = 0 ] && ok ||
	bad "fetch(NULL) lists nothing"
[ "$(psql_as office_a "SELECT count(*) FROM lm_vault.tombstones_since('', 0) WHERE tag IS NOT NULL")" = 0 ] &&
	ok || bad "tombstones_since with no tags lists nothing"
# NULLs answer NULL (STRICT), they reach no check or lock
[ "$(psql_as office_a "SELECT lm_vault.push(NULL, NULL, NULL) IS NULL")" = t ] &&
	[ "$(psql_as office_a "SELECT lm_vault.tombstone(NULL, NULL) IS NULL")" = t ] &&
	[ "$(psql_as office_a "SELECT count(*) FROM lm_vault.tombstones_since(NULL, 0)")" = 0 ] && ok ||
	bad "NULL arguments"
# a record no seal makes is refused by the function itself
out=$(psql_as office_a "SELECT lm_vault.push('\\x$tag', '\\x$tag', '\\x00')" 2>&1) &&
	bad "a 1-byte record was stored" || { grep -q "not a vault record" <<<"$out" && ok || bad "$out"; }
# exactly these functions, and no table privilege at all (from the catalog)
privs=$(pg_rig_psql a -tA -c "SELECT string_agg(p.proname, ',' ORDER BY p.proname)
	FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
	WHERE n.nspname = 'lm_vault' AND has_function_privilege('office_a', p.oid, 'EXECUTE')")
[ "$privs" = "expire,fetch,push,schema_version,tombstone,tombstones_since,trust_latest" ] && ok ||
	bad "office functions: $privs"
privs=$(pg_rig_psql a -tA -c "SELECT string_agg(p.proname, ',' ORDER BY p.proname)
	FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
	WHERE n.nspname = 'lm_vault' AND has_function_privilege('city', p.oid, 'EXECUTE')")
[ "$privs" = "schema_version,trust_latest,trust_publish" ] && ok || bad "city functions: $privs"
n=$(pg_rig_psql a -tA -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
	(VALUES ('office_a'), ('city'), ('office_b')) r(role), (VALUES ('SELECT'), ('INSERT'),
	('UPDATE'), ('DELETE'), ('TRUNCATE'), ('REFERENCES'), ('TRIGGER')) p(priv)
	WHERE n.nspname = 'lm_vault' AND c.relkind = 'r' AND has_table_privilege(r.role, c.oid, p.priv)")
[ "$n" = 0 ] && ok || bad "$n table privileges for the offices or the city"
# every function that touches the tables runs with a fixed search_path
n=$(pg_rig_psql a -tA -c "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
	WHERE n.nspname = 'lm_vault' AND NOT coalesce(p.proconfig::text LIKE '%search_path=pg_catalog, pg_temp%', false)")
[ "$n" = 0 ] && ok || bad "$n functions without a fixed search_path"

# --- retention -----------------------------------------------------------
pg_rig_psql a -qc "UPDATE lm_vault.records SET last_push = now() - interval '31 days'
	WHERE ctid = (SELECT ctid FROM lm_vault.records WHERE tag = '\\x$tag' LIMIT 1)"
out=$("$CHECK" expire)
[ "$out" = "1 ok" ] && ok || bad "expire: $out"
out=$("$CHECK" count)
[ "$out" = "1 ok" ] && ok || bad "count after expire: $out"
pg_rig_psql a -qc "UPDATE lm_vault.tombstones SET time = now() - interval '31 days' WHERE tag = '\\x$tag'"
out=$("$CHECK" expire)
[ "$out" = "1 ok" ] && ok || bad "expire of the tombstone: $out"

# --- schema versions, and a slow vault -----------------------------------
VA0=$VA
pg_rig_psql a -qc "UPDATE lm_vault.meta SET value = 2 WHERE key = 'schema'"
[ "$("$CHECK" push 50)" = vault_schema ] && ok || bad "a newer schema is refused at connect"
expect 3 "$L" vault init "$admin"
grep -q "schema" err.txt && ok || bad "init on a newer schema: $(cat err.txt)"
pg_rig_psql a -qc "UPDATE lm_vault.meta SET value = 1 WHERE key = 'schema'"
VA="host=127.0.0.1 port=$(pg_rig_port a) dbname=postgres user=office_a"
[ "$("$CHECK" push 50)" = vault_schema ] && ok || bad "a database without the vault"
VA=$VA0
# the records table locked by someone else for 8 s: a push (3 s timeout)
# gives up as DOWN instead of waiting (without statement_timeout it would
# wait and succeed)
pg_rig_psql a -qc "BEGIN; LOCK TABLE lm_vault.records; SELECT pg_sleep(8); COMMIT" >/dev/null &
lpid=$!
sleep 1
[ "$("$CHECK" push 51)" = vault_down ] && ok || bad "a push on a locked table did not time out"
wait "$lpid"
[ "$("$CHECK" push 51)" = ok ] && ok || bad "the push after the lock"

# --- laufmappe trust publish --------------------------------------------
PG_RIG_DB=postgres pg_rig_psql a -qc "CREATE DATABASE trustdb"
tadmin="host=$PG_RIG_DIR/a port=$(pg_rig_port a) dbname=trustdb user=lm_admin"
tcity="host=127.0.0.1 port=$(pg_rig_port a) dbname=trustdb user=city"
toffice="host=127.0.0.1 port=$(pg_rig_port a) dbname=trustdb user=office_a"
expect 0 "$L" vault init "$tadmin"
cp "$VEC/root.pem" "$VEC/root.pub" "$VEC/rogue.pub" "$VEC/vhs.pub" .
chmod 600 root.pem
expect 0 "$L" trust create --root root.pem --out t1.cose --next-update-days 30
expect 0 "$L" trust create --root root.pem --out t1b.cose --next-update-days 31
cp t1.cose t2.cose
expect 0 "$L" trust add t2.cose --root root.pem --pub vhs.pub --name VHS --role course_provider --types IK
cp t2.cose t3.cose
expect 0 "$L" trust add t3.cose --root root.pem --pub rogue.pub --name Other --role course_provider --types IK
cmp -s t1.cose t1b.cose && bad "t1 and t1b are the same bytes" || ok
expect 3 "$L" trust publish t1.cose --root rogue.pub --vault "$tcity" --password-file city.pw
[ "$(PG_RIG_DB=trustdb pg_rig_psql a -tAc "SELECT count(*) FROM lm_vault.trust")" = 0 ] && ok ||
	bad "a list that did not verify reached the vault"
expect 3 "$L" trust publish t1.cose --root root.pub --vault "$toffice" --password-file office_a.pw
grep -q "refused" err.txt && ok || bad "office publish message: $(cat err.txt)"
expect 0 "$L" trust publish t1.cose --root root.pub --vault "$tcity" --password-file city.pw
expect 0 "$L" trust publish t1.cose --root root.pub --vault "$tcity" --password-file city.pw
expect 3 "$L" trust publish t1b.cose --root root.pub --vault "$tcity" --password-file city.pw
expect 0 "$L" trust publish t3.cose --root root.pub --vault "$tcity" --password-file city.pw
expect 3 "$L" trust publish t2.cose --root root.pub --vault "$tcity" --password-file city.pw # older
grep -q "older" err.txt && ok || bad "rollback message: $(cat err.txt)"
got=$(PG_RIG_DB=trustdb pg_rig_psql a -tAc "SELECT string_agg(version::text, ',' ORDER BY version) FROM lm_vault.trust")
[ "$got" = "1,3" ] && ok || bad "trust versions in the vault: $got"
[ "$(PG_RIG_DB=trustdb pg_rig_psql a -tAc "SELECT encode(bytes, 'hex') FROM lm_vault.trust WHERE version = 3")" = \
	"$(xxd -p t3.cose | tr -d '\n')" ] && ok || bad "the vault holds t3's bytes"
expect 2 "$L" trust publish t1.cose --root root.pub

# --- a restart under an open connection --------------------------------
fifo="$PG_RIG_DIR/go"
mkfifo "$fifo"
"$CHECK" reconnect <"$fifo" >reconnect.txt 2>&1 &
rpid=$!
exec 3>"$fifo"
for _ in $(seq 1 100); do
	grep -q ready reconnect.txt && break
	sleep 0.1
done
pg_rig_stop a
pg_rig_restart a
echo go >&3
exec 3>&-
wait "$rpid" && ok || bad "reconnect: $(cat reconnect.txt)"

# --- TLS: a vault named by a host that is not local gets verify-full ----
# (vault.test resolves nowhere: hostaddr takes the connection to 127.0.0.1,
# the name is what the certificate must carry)
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
openssl req -x509 $ec -days 2 -subj /CN=lm-test-ca -keyout ca.key -out ca.pem 2>/dev/null
openssl req -x509 $ec -days 2 -subj /CN=lm-other-ca -keyout other.key -out other.pem 2>/dev/null
openssl req $ec -subj /CN=vault.test -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=DNS:vault.test\n' >san.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
	-extfile san.ext -out server.pem 2>/dev/null
cp server.pem server.key "$PG_RIG_DIR/a/"
chmod 600 "$PG_RIG_DIR/a/server.key"
[ "$(id -u)" = 0 ] && chown nobody:nogroup "$PG_RIG_DIR/a/server.pem" "$PG_RIG_DIR/a/server.key"
pg_rig_stop a
pg_rig_restart a -c ssl=on -c ssl_cert_file="$PG_RIG_DIR/a/server.pem" \
	-c ssl_key_file="$PG_RIG_DIR/a/server.key"
tls="host=vault.test hostaddr=127.0.0.1 port=$(pg_rig_port a) dbname=vault user=office_a"
VA="$tls sslrootcert=$PWD/other.pem"
[ "$("$CHECK" push 40)" = vault_down ] && ok || bad "a certificate from another CA was accepted"
VA="$tls sslrootcert=$PWD/ca.pem"
[ "$("$CHECK" push 41)" = ok ] && ok || bad "TLS with the right CA"
VA="$tls sslmode=require" # (no root file: libpq encrypts but does not verify)
[ "$("$CHECK" push 42)" = ok ] && ok || bad "the conninfo's own sslmode"
VA="host=127.0.0.1 port=$(pg_rig_port a) dbname=vault user=office_a sslrootcert=$PWD/other.pem"
[ "$("$CHECK" push 43)" = ok ] && ok || bad "loopback needs no certificate"
# a name that merely starts like a loopback address is a name: verified
# (the certificate says vault.test, so the check fails)
VA="host=127.0.0.1.vault.test hostaddr=127.0.0.1 port=$(pg_rig_port a) dbname=vault user=office_a sslrootcert=$PWD/ca.pem"
[ "$("$CHECK" push 44)" = vault_down ] && ok || bad "127.0.0.1.vault.test taken for loopback"

# --- failover: a primary and a streaming standby, libpq's multi-host ------
# conninfo with target_session_attrs=read-write (docs/vault.md, "Running it
# highly available"): the standby is listed first and passed by; with the
# primary gone the push is DOWN; once the standby is promoted it lands there
pg_rig_standby b a
count_on() { pg_rig_psql "$1" -tAc "SELECT count(*) FROM lm_vault.records"; }
# wait_same: until the standby has replayed what the primary holds
wait_same() {
	local i
	for i in $(seq 1 100); do
		[ "$(count_on b)" = "$(count_on a)" ] && return 0
		sleep 0.1
	done
	return 1
}
[ "$(pg_rig_psql b -tAc "SELECT pg_is_in_recovery()")" = t ] && ok || bad "b is a standby"
wait_same && ok || bad "the standby did not catch up"
VA="host=127.0.0.1,127.0.0.1 port=$(pg_rig_port b),$(pg_rig_port a) dbname=vault user=office_a target_session_attrs=read-write connect_timeout=2"
before=$(count_on a)
[ "$("$CHECK" push 30)" = ok ] && ok || bad "push through the multi-host conninfo"
[ "$(count_on a)" = $((before + 1)) ] && ok || bad "the push went to the primary a"
wait_same && ok || bad "the push reached the standby"
pg_rig_stop a
[ "$("$CHECK" push 31)" = vault_down ] && ok || bad "primary gone, standby read-only: DOWN"
pg_rig_psql b -qc "SELECT pg_promote()" >/dev/null || bad "pg_promote"
[ "$("$CHECK" push 32)" = ok ] && ok || bad "push after the failover"
[ "$(count_on b)" = $((before + 2)) ] && ok || bad "the promoted standby has both pushes"
pg_rig_stop b
VA=$(pg_rig_tcp b office_a)
run_check down

echo "vault: $pass passed, $fail failed"
[ "$fail" = 0 ]
