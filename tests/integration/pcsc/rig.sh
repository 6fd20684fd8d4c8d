# rig.sh - a private pcscd with the vpcd reader driver, and lm-vcard as the
# card, for integration tests.  Source it from a bash test script:
#
#   . "$(dirname "$0")/rig.sh"
#   rig_enter "$@"                 # re-runs the script in its own namespaces
#   rig_start_pcscd                # pcscd -f with one vpcd reader on RIG_PORT
#   rig_start_card --memory "$RIG_DIR/card.mem" [lm-vcard options]
#   rig_wait_card present          # until opensc-tool -l shows the card
#   rig_apdu 00A404000A...          # one APDU through pcscd: prints "DATA SW"
#   rig_apdu ... | rig_expect "what" "DATA SW" ...   # fail unless the lines match
#   rig_stop_card                  # SIGTERM; returns lm-vcard's exit status
#                                  # once pcscd shows the card gone
#   rig_stop_pcscd
#
# rig_enter runs the script under `unshare -mn` (as root): a network
# namespace with only lo (vpcd listens on all interfaces; nothing leaks) and
# a mount namespace with a tmpfs on /run/pcscd (pcscd 1.9.9 runs only once
# per /run/pcscd/pcscd.comm).  Every PC/SC client started by the script sees
# only this pcscd.  Without root or unshare the script exits 77 (skipped).
# On exit the rig kills only the processes it started and waits for them.
#
# Environment: LM_VCARD (path of lm-vcard, required by rig_start_card),
# RIG_PORT (vpcd port, default 35963), RIG_KEEP=1 keeps RIG_DIR.
# Set by the rig: RIG_DIR (a private temp dir: logs, reader file, memories),
# RIG_PCSCD_PID, RIG_CARD_PID, RIG_CARD_STATUS (after rig_stop_card).

RIG_PORT=${RIG_PORT:-35963}
RIG_VPCD_DRIVER=${RIG_VPCD_DRIVER:-/usr/lib/pcsc/drivers/serial/libifdvpcd.so}
RIG_PCSCD_PID=
RIG_CARD_PID=
RIG_CARD_STATUS=

# Print a message to stderr.
rig_log() {
	echo "rig: $*" >&2
}

# Fail the test with a message.
rig_fail() {
	rig_log "FAIL: $*"
	exit 1
}

# Re-run the calling script inside new mount and network namespaces, unless
# already inside; set up lo, /run/pcscd, RIG_DIR and the exit trap there.
rig_enter() {
	if [ -z "${RIG_INSIDE:-}" ]; then
		if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
			rig_log "SKIP: needs root and unshare"
			exit 77
		fi
		for tool in pcscd opensc-tool ip; do
			command -v "$tool" >/dev/null || { rig_log "SKIP: $tool missing"; exit 77; }
		done
		[ -e "$RIG_VPCD_DRIVER" ] || { rig_log "SKIP: no $RIG_VPCD_DRIVER"; exit 77; }
		RIG_INSIDE=1 exec unshare -mn --propagation private -- bash "$0" "$@"
	fi
	ip link set lo up || rig_fail "ip link set lo up"
	mkdir -p /run/pcscd
	mount -t tmpfs tmpfs /run/pcscd || rig_fail "mount tmpfs on /run/pcscd"
	RIG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/lm-rig.XXXXXX")
	trap rig_cleanup EXIT
	trap 'exit 130' INT TERM
}

# Kill what the rig started (by PID only), wait for it, remove RIG_DIR.
rig_cleanup() {
	local rc=$?
	rig_stop_card >/dev/null 2>&1 || true
	rig_stop_pcscd >/dev/null 2>&1 || true
	if [ "$rc" != 0 ] && [ -n "${RIG_DIR:-}" ]; then
		for f in "$RIG_DIR"/*.log; do
			[ -s "$f" ] || continue
			echo "--- $f (last 30 lines)" >&2
			tail -n 30 "$f" >&2
		done
	fi
	if [ -n "${RIG_DIR:-}" ] && [ -z "${RIG_KEEP:-}" ]; then
		rm -rf "$RIG_DIR"
	fi
	exit "$rc"
}

# Start pcscd in the foreground with one vpcd reader file for RIG_PORT
# (vpcd then listens on RIG_PORT and RIG_PORT+1), and wait until the
# reader is listed.
rig_start_pcscd() {
	local hex
	hex=$(printf '0x%X' "$RIG_PORT")
	mkdir -p "$RIG_DIR/reader.conf.d"
	cat >"$RIG_DIR/reader.conf.d/vpcd" <<EOF
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:$hex
LIBPATH      $RIG_VPCD_DRIVER
CHANNELID    $hex
EOF
	pcscd -f -c "$RIG_DIR/reader.conf.d" >>"$RIG_DIR/pcscd.log" 2>&1 &
	RIG_PCSCD_PID=$!
	rig_wait_reader || rig_fail "pcscd did not list the vpcd reader"
}

# Stop pcscd (SIGTERM) and wait for it to exit (it takes a second or two).
rig_stop_pcscd() {
	[ -n "$RIG_PCSCD_PID" ] || return 0
	kill -TERM "$RIG_PCSCD_PID" 2>/dev/null || true
	wait "$RIG_PCSCD_PID" 2>/dev/null || true
	RIG_PCSCD_PID=
}

# Wait up to ${1:-10} seconds until opensc-tool lists the reader.
rig_wait_reader() {
	local i
	for i in $(seq $((${1:-10} * 10))); do
		opensc-tool -l 2>/dev/null | grep -q "Virtual PCD" && return 0
		sleep 0.1
	done
	return 1
}

# Start lm-vcard with the given options plus --port RIG_PORT in the background.
rig_start_card() {
	[ -n "${LM_VCARD:-}" ] && [ -x "$LM_VCARD" ] || rig_fail "LM_VCARD is not set to lm-vcard"
	[ -z "$RIG_CARD_PID" ] || rig_fail "a card is already running"
	"$LM_VCARD" --port "$RIG_PORT" "$@" >>"$RIG_DIR/card.log" 2>&1 &
	RIG_CARD_PID=$!
	RIG_CARD_STATUS=
}

# Wait for lm-vcard to exit by itself, then (with pcscd running) until pcscd
# shows the card gone, so that a next rig_start_card cannot be mistaken for
# the old card; sets and returns RIG_CARD_STATUS.
rig_wait_card_exit() {
	[ -n "$RIG_CARD_PID" ] || return "${RIG_CARD_STATUS:-0}"
	RIG_CARD_STATUS=0
	wait "$RIG_CARD_PID" || RIG_CARD_STATUS=$?
	RIG_CARD_PID=
	if [ -n "$RIG_PCSCD_PID" ]; then
		rig_poll_card absent || rig_log "warning: pcscd still shows a card"
	fi
	return "$RIG_CARD_STATUS"
}

# Send lm-vcard a signal (default TERM) and wait; returns its exit status.
rig_stop_card() {
	[ -n "$RIG_CARD_PID" ] || return "${RIG_CARD_STATUS:-0}"
	kill "-${1:-TERM}" "$RIG_CARD_PID" 2>/dev/null || true
	rig_wait_card_exit
}

# Pull the card away (SIGUSR1: lm-vcard closes the socket and exits 3).
rig_pull_card() {
	rig_stop_card USR1
}

# Poll up to ${2:-10} s until reader 0 shows a card ($1 = present) or none
# ($1 = absent); 0 when it did, 1 on timeout.
rig_poll_card() {
	local want=$1 i state
	for i in $(seq $((${2:-10} * 10))); do
		state=$(opensc-tool -l 2>/dev/null | awk '$1 == "0" { print $2 }')
		[ "$want" = present ] && [ "$state" = Yes ] && return 0
		[ "$want" = absent ] && [ "$state" = No ] && return 0
		sleep 0.1
	done
	return 1
}

# Like rig_poll_card, but fail the test on timeout.
rig_wait_card() {
	rig_poll_card "$@" ||
		rig_fail "card not $1 on reader 0 (opensc-tool -l: $(opensc-tool -l 2>&1 | tr '\n' '|'))"
}

# Send APDUs (hex, spaces allowed) in one card session through pcscd with
# opensc-tool (-c default: no card detection, so only these APDUs reach the
# card), and print one line per APDU: the response data in upper-case
# hex without spaces, a space, and SW1SW2 (e.g. "010102 9000", or "6986").
# opensc-tool dumps up to 16 data bytes per line as "XX " per byte, then one
# ASCII character per byte (which may be a space); a short last line after
# full lines is padded to column 48, a single short line is not.
rig_apdu() {
	local args=() a
	for a in "$@"; do
		args+=(-s "$(echo "$a" | tr -d ' ' | sed 's/../&:/g; s/:$//')")
	done
	opensc-tool -r 0 -c default "${args[@]}" 2>&1 | awk '
		function hexval(s,   i, v) {
			v = 0
			for (i = 1; i <= length(s); i++)
				v = v * 16 + index("0123456789ABCDEF", toupper(substr(s, i, 1))) - 1
			return v
		}
		function flush() { if (have) print (data == "" ? sw : data " " sw); have = 0; data = "" }
		/^Received \(SW1=0x/ {
			flush()
			match($0, /SW1=0x[0-9A-Fa-f]+/); s1 = substr($0, RSTART + 6, RLENGTH - 6)
			match($0, /SW2=0x[0-9A-Fa-f]+/); s2 = substr($0, RSTART + 6, RLENGTH - 6)
			sw = sprintf("%02X%02X", hexval(s1), hexval(s2))
			have = 1; next
		}
		/^Sending:/ { flush(); next }
		have && /^[0-9A-Fa-f][0-9A-Fa-f] / {
			k = length($0) - 48
			pad = k >= 0 && k < 16 ? substr($0, 3 * k + 1, 48 - 3 * k) : "x"
			if (k != 16 && pad !~ /^ +$/)
				k = int(length($0) / 4)
			for (i = 0; i < k; i++)
				data = data toupper(substr($0, 3 * i + 1, 2))
		}
		END { flush() }'
}

# rig_apdu ... | rig_expect "what" "line1" "line2" ...: rig_apdu's output
# must be exactly these lines; else print both and fail the test.
rig_expect() {
	local what=$1 got want
	shift
	got=$(cat)
	want=$(printf '%s\n' "$@")
	if [ "$got" != "$want" ]; then
		rig_log "$what: want"
		printf '  %s\n' "$@" >&2
		rig_log "$what: got"
		printf '  %s\n' $got >&2
		exit 1
	fi
	rig_log "ok: $what"
}
