#!/usr/bin/env bash
# The folder vault's figures against one local PostgreSQL that this script
# starts (tests/integration/vault/pg_rig.sh: as nobody, socket + 127.0.0.1,
# stopped by PID): push latency, an 81-entry restore fetch, and a load run
# of 50 offices x 10 records/s (bench/bench_vault.c says what each means).
#   BUILD=build [LM_BENCH_VAULT_SECONDS=60] [LM_BENCH_VAULT_OFFICES=50]
#   [LM_BENCH_VAULT_RATE=10] [LM_BENCH_VAULT_SIZES=0] bash bench/bench_vault.sh
# Offices connect over TCP with SCRAM, as a daemon would.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
build=${BUILD:-build}
[ -x "$build/bench/bench_vault" ] || { echo "bench_vault: not built (no libpq)"; exit 0; }
. tests/integration/vault/pg_rig.sh
pg_rig_enter
# durable, unlike the tests: every push waits for its WAL flush
pg_rig_start bench -c max_connections=120 -c fsync=on -c synchronous_commit=on -c full_page_writes=on
L="$build/tools/laufmappe"
"$L" vault init "$(pg_rig_conninfo bench)" --retention-days 180 >/dev/null 2>&1 || exit 1
pw="$PG_RIG_DIR/office.pw"
echo "bench-$RANDOM$RANDOM" >"$pw"
chmod 600 "$pw"
"$L" vault add-office "$(pg_rig_conninfo bench)" office --login-password-file "$pw" >/dev/null 2>&1 || exit 1
"$build/bench/bench_vault" "$(pg_rig_tcp bench office)" "$pw" "$(pg_rig_pid bench)" \
	"${LM_BENCH_VAULT_SECONDS:-60}" "${LM_BENCH_VAULT_OFFICES:-50}" "${LM_BENCH_VAULT_RATE:-10}"
rc=$?
echo "vault tables after the run: $(pg_rig_psql bench -tAc "SELECT count(*) || ' records, ' ||
	pg_size_pretty(pg_total_relation_size('lm_vault.records')) || ' with indexes' FROM lm_vault.records")"
# the tables for 10,000 holders x 40 entries, in a database of their own
# (LM_BENCH_VAULT_SIZES=0 leaves them out: the smoke test)
[ "${LM_BENCH_VAULT_SIZES:-1}" = 0 ] && exit $rc
PG_RIG_DB=postgres pg_rig_psql bench -qc "CREATE DATABASE sizes"
"$L" vault init "host=$PG_RIG_DIR/bench port=$(pg_rig_port bench) dbname=sizes user=lm_admin" >/dev/null 2>&1 || exit 1
echo "vault tables for 10,000 holders x 40 entries (bench/vault_sizes.sql):"
PG_RIG_DB=sizes pg_rig_psql bench -q -f bench/vault_sizes.sql || rc=1
exit $rc
