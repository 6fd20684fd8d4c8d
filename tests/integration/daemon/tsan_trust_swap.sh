#!/usr/bin/env bash
# Not in the suite: needs a ThreadSanitizer build of the daemon.  Taps of a
# 60-entry image file while SIGHUP reloads the trust list every few
# milliseconds; fails when ThreadSanitizer reports a race between a list
# being freed (lm_trust_free) and a tap still reading it (the issuer's name
# in desk_check_json once read after the trust lock was let go), or when
# the daemon dies.  On loopback; ends only what it started, by PID.
#   meson setup build-tsan -Db_sanitize=thread && meson compile -C build-tsan
#   LAUFMAPPE=build/tools/laufmappe LAUFMAPPED=build-tsan/daemon/laufmapped \
#     bash tests/integration/daemon/tsan_trust_swap.sh [SECONDS]
set -uo pipefail
L=${LAUFMAPPE:?} D=${LAUFMAPPED:?} SECS=${1:-30}
W=$(mktemp -d "${TMPDIR:-/tmp}/lm-tsan.XXXXXX")
DPID= HPID=
trap '[ -n "$HPID" ] && kill "$HPID" 2>/dev/null; [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID"; rm -rf "$W"' EXIT
cd "$W"
"$L" key generate root.pem >/dev/null && "$L" key generate vhs.pem >/dev/null
"$L" trust create --root root.pem --out trust.cose 2>/dev/null
"$L" trust add trust.cose --root root.pem --pub vhs.pem.pub --name VHS --role course_provider --types IK 2>/dev/null
echo "tsan-test-token-0123456789" >token && chmod 600 token
H=$("$L" holder new)
"$L" image new --holder "$H" --capacity 8000 --out a.img >/dev/null
for n in $(seq 1 60); do
	"$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=$((600 + n)) \
		--date 2026-11-24 --out e.cose && "$L" image append a.img e.cose 2>/dev/null
done
cat >d.conf <<EOC
readers = fake:$W/card.img
root_key = $W/root.pem.pub
trust_list = $W/trust.cose
trust_state = $W/d.state
role = city
database = $W/d.db
listen = 127.0.0.1:18433
token_file = $W/token
web_root = /nonexistent
poll_ms = 20
verify_threads = 2
EOC
TSAN_OPTIONS="log_path=$W/tsan report_signal_unsafe=0" "$D" -d -c d.conf >>d.log 2>&1 &
DPID=$!
sleep 1
# The same list again: accepted, and swapped for a new copy every time.
(end=$((SECONDS + SECS)); while [ $SECONDS -lt $end ]; do kill -HUP "$DPID" 2>/dev/null || break; sleep 0.003; done) &
HPID=$!
taps=0 end=$((SECONDS + SECS))
while [ $SECONDS -lt $end ] && kill -0 "$DPID" 2>/dev/null; do
	cp a.img card.img.new && mv card.img.new card.img
	sleep 0.1
	rm -f card.img
	sleep 0.05
	taps=$((taps + 1))
done
wait "$HPID"
HPID=
alive=1
kill -0 "$DPID" 2>/dev/null || alive=0
kill "$DPID" 2>/dev/null
wait "$DPID"
DPID=
reloads=$(grep -c 'trust list version' d.log)
races=$(cat tsan.* 2>/dev/null | grep -c 'lm_trust_free\|lm_trust_clear')
echo "$taps taps, $reloads reloads, daemon alive: $alive, races on a freed list: $races"
[ "$alive" = 1 ] && [ "$races" = 0 ] && [ "$taps" -gt 10 ] && [ "$reloads" -gt 100 ]
