#!/usr/bin/env bash
# laufmapped figures: a warm tap (every entry verified before) end to end
# through pcscd against opensc-tool's raw read of the same bytes; cold-tap
# verification of a full 8 KB applet card on one and two cores; looking a
# holder up in a cache of 1,000,000 entries / 100,000 holders; the daemon's
# idle RSS and CPU.  Needs root (private pcscd).  Prints, asserts nothing.
# Usage: BUILD=build bash bench/bench_daemon.sh
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$src/${BUILD:-build}" && pwd)
export LM_VCARD=$build/firmware/lm-vcard
L=$build/tools/laufmappe D=$build/daemon/laufmapped
. "$src/tests/integration/pcsc/rig.sh"
. "$src/bench/tap_event.sh"
rig_enter "$@"
cd "$RIG_DIR"
dpid=
trap 'rc=$?; [ -n "$dpid" ] && kill $dpid && wait $dpid; (exit "$rc"); rig_cleanup' EXIT
rig_start_pcscd
"$L" key generate root.pem >/dev/null && "$L" key generate vhs.pem >/dev/null
"$L" trust create --root root.pem --out trust.cose 2>/dev/null
"$L" trust add trust.cose --root root.pem --pub vhs.pem.pub --name VHS --role course_provider --types IK 2>/dev/null
H=$("$L" holder new)
"$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=700 --date 2026-11-24 --out ik.cose
"$L" image new --holder "$H" --capacity 8192 --out full.img >/dev/null
while "$L" image append full.img ik.cose 2>/dev/null; do :; done
# LM_BENCH_QUICK=1 skips the 1,000,000-entry cache (a minute of building).
if [ -n "${LM_BENCH_QUICK:-}" ]; then
	"$build/bench/bench_verify" full.img trust.cose root.pem.pub
else
	"$build/bench/bench_verify" full.img trust.cose root.pem.pub cache.db 1000000 100000
fi

rig_start_card --memory warm.mem --as applet --capacity 8192
rig_wait_card present
"$L" card format --holder "$("$L" holder new)" >/dev/null 2>&1
rig_stop_card
rig_start_card --memory card.mem --as applet --capacity 8192
rig_wait_card present
"$L" card format --holder "$H" >/dev/null 2>&1
# Distinct entries (a repeated entry would be verified once and cached).
n=0
while "$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=$((600 + n)) \
	--date 2026-11-24 --out e.cose && "$L" card append e.cose 2>/dev/null; do n=$((n + 1)); done
echo "token-for-the-benchmark-0123" >token && chmod 600 token
rig_stop_card
# run_taps NAME TAPS DAEMON_CONF_LINE [lm-vcard options]: a daemon with a fresh
# cache taps the card TAPS times; prints the tap events' "ms" (identify, read,
# verify, store), "read_ms" (until the last byte) and "after_read_ms", one tap a line.
# Each daemon taps an empty card of another holder first, not counted: a
# database's first write creates its write-ahead log (two fsyncs), a cost of
# a new database, not of the card.
run_taps() {
	local name=$1 count=$2 extra=$3
	shift 3
	[ -n "${KEEP_DB:-}" ] || rm -f "$name".db*
	cat >"$name.conf" <<CONF
readers = pcsc
root_key = $RIG_DIR/root.pem.pub
trust_list = $RIG_DIR/trust.cose
trust_state = $RIG_DIR/$name.state
role = city
database = $RIG_DIR/$name.db
listen = 127.0.0.1:18300
token_file = $RIG_DIR/token
web_root = $src/daemon/web
$extra
CONF
	"$D" -d -c "$name.conf" 2>"$name.log" &
	dpid=$!
	for _ in $(seq 50); do curl -sf http://127.0.0.1:18300/api/status >/dev/null && break; sleep 0.1; done
	: >"$name.events"
	local i
	for i in $(seq 0 "$count"); do
		# Not rig_wait_card: its opensc-tool asks pcscd during the tap.
		tap_watch 18300 "$name.events"
		if [ "$i" = 0 ]; then
			rig_start_card --memory warm.mem --as applet
		else
			rig_start_card --memory "${MEMFILE:-card.mem}" --as applet "$@"
		fi
		tap_wait
		rig_stop_card
		sleep 0.3
	done
	kill $dpid && wait $dpid
	dpid=
	grep '^data: .*"ms"' "$name.events" | tail -n +2 |
		sed 's/.*"ms":\([0-9.]*\),"read_ms":\([0-9.]*\),"after_read_ms":\([0-9.]*\),"delta":\([a-z]*\),"log_read":\([0-9]*\).*/\1 \2 \3 \4 \5/'
}
echo "token-for-the-benchmark-0123" >token && chmod 600 token
cold1=$(run_taps one 1 "verify_threads = 1" | head -1)
cold2=$(run_taps two 6 "verify_threads = 2")
first2=$(echo "$cold2" | head -1)
warm=$(echo "$cold2" | tail -n +2 | awk '{s+=$1} END {printf "%.1f", s/NR}')
echo "daemon cold tap of a full card ($n entries), verify_threads = 1: $(echo "$cold1" | awk '{printf "%.1f ms (read %.1f ms, after the last byte %.1f ms)", $1, $2, $3}')"
echo "daemon cold tap, verify_threads = 2: $(echo "$first2" | awk '{printf "%.1f ms (read %.1f ms, after the last byte %.1f ms)", $1, $2, $3}')"
# Both taps ran on both cores (the card and pcscd too): the daemon confined to
# one core against two is bench_cores.sh.
echo "daemon warm tap (verdicts cached): $warm ms average of 5"
for rate in 106 424; do
	t=$(run_taps "r$rate" 1 "" --timing $rate | head -1)
	floor=$("$build/bench/bench_air" applet $rate $((24 + n * 100)))
	echo "daemon cold tap at $rate kbit/s (lm-vcard --timing): $(echo "$t" | awk '{printf "%.1f ms (read %.1f, after the last byte %.1f)", $1, $2, $3}');" \
		"air floor $floor ms (SELECT + one chained READ BINARY of the committed bytes, bench_air);" \
		"ratio $(awk -v t="$t" -v f="$floor" 'BEGIN { split(t, x, " "); printf "%.2f", x[1] / f }')"
done
# A known card (the office read it before) that got one new entry elsewhere:
# a delta read (docs/transport.md), at 106 kbit/s.  Bytes over the air:
# lm-vcard's count of APDU bytes both ways (its --verbose summary).
rig_start_card --memory known.mem --as applet --capacity 8192
rig_wait_card present
"$L" card format --holder "$H" >/dev/null 2>&1
for ((i = 0; i < n - 1; i++)); do
	"$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=$((600 + i)) \
		--date 2026-11-24 --out e.cose && "$L" card append e.cose 2>/dev/null
done
rig_stop_card
MEMFILE=known.mem run_taps known 1 "verify_threads = 2" --timing 106 >/dev/null
rig_start_card --memory known.mem --as applet
rig_wait_card present
"$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=699 \
	--date 2026-11-24 --out new.cose && "$L" card append new.cose 2>/dev/null
rig_stop_card
: >"$RIG_DIR/card.log"
# Seven returns of the card, each to the office as it was after the first
# tap (its cache restored): medians of the whole tap, of the read (to the
# last byte) and of what came after it.  One return before them, not
# counted, with lm-vcard's --verbose for its count of bytes and air time
# (its log of every frame slows the card's answers).
cp known.db known.base.db
: >known.taps
for i in 0 1 2 3 4 5 6 7; do
	rm -f known.db known.db-wal known.db-shm
	cp known.base.db known.db
	t=$(KEEP_DB=1 MEMFILE=known.mem run_taps known 1 "verify_threads = 2" --timing 106 \
		$([ "$i" = 0 ] && echo --verbose) | head -1)
	[ "$i" = 0 ] || echo "$t" >>known.taps
done
med() { sort -n -k"$1" known.taps | awk -v c="$1" '{v[NR] = $c} END {printf "%.1f", v[int((NR + 1) / 2)]}'; }
tms=$(med 1) tread=$(med 2) tafter=$(med 3)
read -r _ _ _ tdelta tlog <<<"$(head -1 known.taps)"
air=$(grep -o 'connection closed: .*' "$RIG_DIR/card.log" | tail -1)
airms=$(echo "$air" | grep -o 'air [0-9.]*' | cut -d' ' -f2)
floor=$(awk -v a="$("$build/bench/bench_air" apdu 106 5 26)" -v b="$("$build/bench/bench_air" apdu 106 5 $((tlog + 2)))" \
	-v c="$("$build/bench/bench_air" apdu 106 5 38)" 'BEGIN { printf "%.2f", a + b + c }')
echo "repeat tap of a known full card with one new entry ($tlog log bytes) at 106 kbit/s, median of 7: delta $tdelta, $tms ms end to end (read $tread, after the last byte $tafter: the new entry's check, the view of every entry, the cache);" \
	"over the air: ${air#connection closed: };" \
	"floor (READ of the 24-byte header, READ of the $tlog new bytes, one GET DATA of 36): $floor ms;" \
	"ratio $(awk -v a="$tms" -v f="$floor" 'BEGIN { printf "%.2f", a / f }') (read only: $(awk -v a="$tread" -v f="$floor" 'BEGIN { printf "%.2f", a / f }'));" \
	"against the air of the APDUs exchanged (SELECT, GET DATA 0004, READ BINARY): $(awk -v a="$tms" -v f="$airms" 'BEGIN { printf "%.2f", a / f }') (read only: $(awk -v a="$tread" -v f="$airms" 'BEGIN { printf "%.2f", a / f }'));" \
	"bytes allowed: header + 2 x entry = $((24 + 2 * tlog))"
used=$((24 + n * 100))
"$D" -d -c two.conf 2>two.log &
dpid=$!
rig_start_card --memory card.mem --as applet
rig_wait_card present
apdus=(-s "00:A4:04:00:0A:F0:4C:41:55:46:4D:41:50:50:45")
for ((off = 0; off < used; off += 240)); do
	len=$(( used - off < 240 ? used - off : 240 ))
	apdus+=(-s "$(printf '00:B0:%02X:%02X:%02X' $((off >> 8)) $((off & 255)) "$len")")
done
t0=$(date +%s%N)
for _ in 1 2 3 4 5 6 7 8 9 10; do opensc-tool -r 0 -c default "${apdus[@]}" >/dev/null 2>&1; done
raw=$(( ($(date +%s%N) - t0) / 10000000 ))
echo "opensc-tool raw read of the same $used bytes: $raw ms (process start included)"
# The tap is timed inside the daemon (read + verify + store, no process
# start); the raw read includes opensc-tool's start: the ratio flatters us.
echo "ratio warm tap / raw read: $(awk -v w="$warm" -v r="$raw" 'BEGIN {printf "%.2f", w / r}')"
rig_stop_card
t0=$(awk '{print $14 + $15}' /proc/$dpid/stat)
sleep 10
t1=$(awk '{print $14 + $15}' /proc/$dpid/stat)
echo "idle daemon: RSS $(awk '/VmRSS/ {print $2, $3}' /proc/$dpid/status), CPU $(( (t1 - t0) * 1000 / $(getconf CLK_TCK) )) ms in 10 s"
