# pg_rig.sh - throwaway PostgreSQL clusters for the vault's tests and bench.
# Source it from a bash script:
#
#   . "$(dirname "$0")/pg_rig.sh"
#   pg_rig_enter                   # skip (77) without PostgreSQL; temp dir, exit trap
#   pg_rig_start a                 # initdb + start cluster "a"; sets PG_a_PORT, PG_a_PID
#   pg_rig_standby b a             # b: a hot standby of a (pg_basebackup -R, streaming)
#   pg_rig_conninfo a [USER]       # "host=SOCKDIR port=N dbname=vault user=USER"
#   pg_rig_tcp a [USER]            # the same over 127.0.0.1
#   pg_rig_psql a [psql args]      # psql as the superuser lm_admin
#   pg_rig_stop a                  # SIGINT (fast shutdown) to its postmaster, wait
#   pg_rig_kill a                  # SIGKILL to its postmaster (a crash), wait
#
# The clusters run as an unprivileged user (initdb refuses root): the
# caller itself, or, when that is root, `nobody` through setpriv.  Each
# listens on a Unix socket in its own directory under PG_RIG_DIR and on
# 127.0.0.1 on a free port, with fsync off (throwaway data).  The superuser
# is lm_admin (trust on the socket, SCRAM over TCP with the password in
# $PG_RIG_DIR/admin.pw); every other role logs in over TCP with SCRAM, or
# on the socket without a password (the tests that need one use TCP).
# On exit every postmaster the rig started is stopped by its PID, never by
# name.  Environment: PG_BIN (default /usr/lib/postgresql/15/bin: the real
# binaries, not a wrapper on PATH), PG_RIG_KEEP=1 keeps PG_RIG_DIR.
# Set by the rig: PG_RIG_DIR, PG_RIG_NAMES.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_RIG_NAMES=

pg_rig_log() { echo "pg_rig: $*" >&2; }
pg_rig_fail() {
	pg_rig_log "FAIL: $*"
	exit 1
}

# Run a command as the clusters' user.
pg_rig_as() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env -- \
			env PATH=/usr/bin:/bin LC_ALL=C "$@"
	else
		env LC_ALL=C "$@"
	fi
}

pg_rig_enter() {
	for b in initdb postgres psql; do
		[ -x "$PG_BIN/$b" ] || {
			pg_rig_log "SKIP: no $PG_BIN/$b (apt-get install postgresql)"
			exit 77
		}
	done
	if [ "$(id -u)" = 0 ] && ! command -v setpriv >/dev/null; then
		pg_rig_log "SKIP: running as root without setpriv"
		exit 77
	fi
	PG_RIG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/lm-pg.XXXXXX")
	chmod 755 "$PG_RIG_DIR"
	echo "admin-$$-$RANDOM" >"$PG_RIG_DIR/admin.pw"
	chmod 600 "$PG_RIG_DIR/admin.pw"
	trap pg_rig_cleanup EXIT
	trap 'exit 130' INT TERM
}

pg_rig_cleanup() {
	local rc=$? n
	for n in $PG_RIG_NAMES; do
		pg_rig_stop "$n" >/dev/null 2>&1 || true
	done
	if [ "$rc" != 0 ] && [ -n "${PG_RIG_DIR:-}" ]; then
		for f in "$PG_RIG_DIR"/*/log; do
			[ -s "$f" ] || continue
			echo "--- $f (last 30 lines)" >&2
			tail -n 30 "$f" >&2
		done
	fi
	[ -n "${PG_RIG_DIR:-}" ] && [ -z "${PG_RIG_KEEP:-}" ] && rm -rf "$PG_RIG_DIR"
	return "$rc"
}

# A TCP port nobody listens on now (a race with other tests is possible
# but unlikely; pg_rig_start fails clearly then).
pg_rig_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# pg_rig_start NAME [postgres -c options...]
pg_rig_start() {
	local n=$1 d="$PG_RIG_DIR/$1" port
	shift
	mkdir -p "$d"
	cp "$PG_RIG_DIR/admin.pw" "$d/admin.pw"
	[ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$d"
	if [ ! -e "$d/data/PG_VERSION" ]; then
		pg_rig_as "$PG_BIN/initdb" -D "$d/data" -U lm_admin --pwfile="$d/admin.pw" \
			--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-sync \
			>"$d/initdb.log" 2>&1 || {
			cat "$d/initdb.log" >&2
			pg_rig_fail "initdb $n"
		}
	fi
	port=$(pg_rig_free_port)
	pg_rig_launch "$n" "$port" "$@"
	eval "PG_${n}_PORT=$port"
	case " $PG_RIG_NAMES " in *" $n "*) ;; *) PG_RIG_NAMES="$PG_RIG_NAMES $n" ;; esac
	PG_RIG_DB=postgres pg_rig_psql "$n" -q -c "SELECT 1" >/dev/null || pg_rig_fail "psql to $n"
	PG_RIG_DB=postgres pg_rig_psql "$n" -q -c "CREATE DATABASE vault" >/dev/null 2>&1 || true
}

# pg_rig_standby NAME PRIMARY: a streaming-replication hot standby of a
# running cluster (pg_basebackup -R over PRIMARY's socket as lm_admin, whom
# initdb's pg_hba lets replicate locally), started on a port of its own.
pg_rig_standby() {
	local n=$1 d="$PG_RIG_DIR/$1" port
	mkdir -p "$d"
	[ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$d"
	pg_rig_as "$PG_BIN/pg_basebackup" -h "$PG_RIG_DIR/$2" -p "$(pg_rig_port "$2")" -U lm_admin \
		-D "$d/data" -R -X stream --no-sync >"$d/basebackup.log" 2>&1 || {
		cat "$d/basebackup.log" >&2
		pg_rig_fail "pg_basebackup $n from $2"
	}
	port=$(pg_rig_free_port)
	pg_rig_launch "$n" "$port"
	eval "PG_${n}_PORT=$port"
	case " $PG_RIG_NAMES " in *" $n "*) ;; *) PG_RIG_NAMES="$PG_RIG_NAMES $n" ;; esac
}

pg_rig_port() { eval "echo \$PG_$1_PORT"; }
pg_rig_pid() { eval "echo \$PG_$1_PID"; }

pg_rig_conninfo() {
	echo "host=$PG_RIG_DIR/$1 port=$(pg_rig_port "$1") dbname=vault user=${2:-lm_admin}"
}

pg_rig_tcp() {
	echo "host=127.0.0.1 port=$(pg_rig_port "$1") dbname=vault user=${2:-lm_admin}"
}

# psql as lm_admin on the socket, stopping at the first error.
pg_rig_psql() {
	local n=$1
	shift
	"$PG_BIN/psql" -X -v ON_ERROR_STOP=1 -h "$PG_RIG_DIR/$n" -p "$(pg_rig_port "$n")" \
		-U lm_admin -d "${PG_RIG_DB:-vault}" "$@"
}

# Wait until process $1 is gone (it is not our child: poll).
pg_rig_wait_gone() {
	local i
	for i in $(seq 1 300); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# pg_rig_signal NAME SIGNAL: signal the postmaster (INT: fast shutdown;
# KILL: a crash, and then its children too, found by their parent PID, so
# that a restart does not meet their shared memory) and wait until gone.
pg_rig_signal() {
	local pid kids p
	pid=$(pg_rig_pid "$1")
	[ -n "$pid" ] || return 0
	kids=$(ps -o pid= --ppid "$pid" 2>/dev/null)
	kill -"$2" "$pid" 2>/dev/null || true
	pg_rig_wait_gone "$pid" || pg_rig_fail "cluster $1 (PID $pid) did not stop"
	if [ "$2" = KILL ]; then
		for p in $kids; do
			kill -KILL "$p" 2>/dev/null || true
		done
		for p in $kids; do
			pg_rig_wait_gone "$p" || true
		done
	fi
	eval "PG_$1_PID="
}

pg_rig_stop() { pg_rig_signal "$1" INT; }
pg_rig_kill() { pg_rig_signal "$1" KILL; }

# pg_rig_launch NAME PORT [options]: the postmaster in the background, as
# the clusters' user, until it accepts connections; its PID comes from
# postmaster.pid.
pg_rig_launch() {
	local n=$1 d="$PG_RIG_DIR/$1" port=$2 i
	shift 2
	pg_rig_as "$PG_BIN/postgres" -D "$d/data" -k "$d" -h 127.0.0.1 -p "$port" \
		-c fsync=off -c full_page_writes=off -c synchronous_commit=off \
		-c lc_messages=C -c log_min_messages=warning "$@" >>"$d/log" 2>&1 &
	for i in $(seq 1 100); do
		[ -s "$d/data/postmaster.pid" ] &&
			"$PG_BIN/pg_isready" -q -h "$d" -p "$port" -U lm_admin -d postgres 2>/dev/null && break
		sleep 0.1
	done
	"$PG_BIN/pg_isready" -q -h "$d" -p "$port" -U lm_admin -d postgres || pg_rig_fail "cluster $n did not start"
	eval "PG_${n}_PID=$(head -n 1 "$d/data/postmaster.pid")"
}

# pg_rig_restart NAME [options]: start a stopped cluster again on its port.
pg_rig_restart() {
	local n=$1
	shift
	pg_rig_launch "$n" "$(pg_rig_port "$n")" "$@"
}
