#!/usr/bin/env bash
# What a protected tap costs at the desk over an unprotected one, through
# laufmapped and real reader paths: libnfc's pn532_uart driver against the
# PN532 simulator with its 106 kbit/s timing model (an NTAG216), and pcscd
# with vpcd and lm-vcard (the applet).  The same folder (8 typical
# entries, verdicts cached by a first tap) on a version 1 card and on the
# same card protected with `laufmappe card protect` (count calibrated on
# this machine): the daemon's own figures from its events, median of RUNS
# taps each: "tap" ms (read, verify, store) for version 1; "locked" ms
# (identify, the public header) plus the unlock (POST /api/card/unlock:
# PBKDF2, the key check, PWD_AUTH or VERIFY, read, decrypt, verify, store:
# the "tap" event's ms after it, and the request's wall time) for version 2.
# Needs root (the rig's namespaces).  Prints figures, asserts nothing.
# Usage: BUILD=build [RUNS=5] bash bench/bench_protected_tap.sh
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$src/${BUILD:-build}" && pwd)
export LM_VCARD=$build/firmware/lm-vcard
L=$build/tools/laufmappe D=$build/daemon/laufmapped SIM=$build/tools/pn532sim/lm-pn532sim
RUNS=${RUNS:-5}
. "$src/tests/integration/pcsc/rig.sh"
rig_enter "$@"
cd "$RIG_DIR"
export LIBNFC_AUTO_SCAN=false LIBNFC_INTRUSIVE_SCAN=false XDG_CONFIG_HOME=$RIG_DIR HOME=$RIG_DIR
unset LIBNFC_LOG_LEVEL LIBNFC_DEVICE
PIDS=()
trap 'rc=$?; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; (exit "$rc"); rig_cleanup' EXIT
stop_pids() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; PIDS=(); }

"$L" key generate root.pem >/dev/null && "$L" key generate vhs.pem >/dev/null
"$L" trust create --root root.pem --out trust.cose 2>/dev/null
"$L" trust add trust.cose --root root.pem --pub vhs.pem.pub --name VHS --role course_provider --types IK 2>/dev/null
H=$("$L" holder new)
for n in $(seq 8); do
	"$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=$((600 + n)) \
		--date 2026-11-24 --out "e$n.cose"
done
echo "bench-token-0123456789abcdef" >token
chmod 600 token
URL=http://127.0.0.1:18470
# fill ARGS...: format for H and append the 8 entries through ARGS (a reader).
fill() {
	"$L" card format --holder "$H" "$@" >/dev/null 2>&1
	for n in $(seq 8); do "$L" card append "$@" "e$n.cose" 2>/dev/null || echo "append $n failed"; done
}
protect() { "$L" card protect "$@" 2>/dev/null | sed -n 's/^access code: //p'; }
unprotect() { printf '%s\n' "$1" >c.txt; shift; "$L" card wipe --yes --access-code-file c.txt "$@" >/dev/null 2>&1; }
daemon() {
	cat >d.conf <<CONF
readers = $1
root_key = $RIG_DIR/root.pem.pub
trust_list = $RIG_DIR/trust.cose
institution = VHS
role = city
database = $RIG_DIR/bench.db
listen = 127.0.0.1:18470
token_file = $RIG_DIR/token
web_root = $src/daemon/web
poll_ms = 50
CONF
	"$D" -d -c d.conf >>d.log 2>&1 &
	PIDS+=($!)
	for _ in $(seq 50); do curl -sf "$URL/api/status" >/dev/null && break; sleep 0.1; done
	curl -sN "$URL/api/events" >events.txt &
	PIDS+=($!)
	sleep 0.2
}
wait_state() {
	for _ in $(seq 200); do curl -s "$URL/api/readers" | grep -q "\"state\":\"$1\"" && return 0; sleep 0.05; done
	echo "(no state $1)" >&2
	return 1
}
last_ms() { grep "^data:" events.txt | grep -o '"ms":[0-9.]*' | tail -1 | cut -d: -f2; }
# The last tap's read: a delta read of the card this office knows (only its
# new log bytes from the card: none here), or the whole log.
last_read() { grep "^data:" events.txt | grep -o '"delta":[a-z]*,"log_read":[0-9]*' | tail -1 | tr -d '"' | tr , ' '; }
median() { sort -g | awk '{ v[NR] = $1 } END { printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# measure KIND OUT [CODE]: RUNS taps (the card taken away and put back by
# away/back), the daemon's ms per tap into OUT (protected: locked ms, the
# unlock's tap ms and its wall time).
measure() {
	local code=${2:-} i
	: >"$1"
	for i in $(seq 0 "$RUNS"); do
		away
		wait_state empty
		back
		if [ -n "$code" ]; then
			wait_state locked
			sleep 0.1
			local locked wall
			locked=$(last_ms)
			wall=$(curl -s -o unlock.json -w '%{time_total}' -X POST -H "Authorization: Bearer $(cat token)" \
				"$URL/api/card/unlock" -d "{\"code\":\"$code\"}")
			grep -q '"holder"' unlock.json || echo "unlock failed: $(head -c 200 unlock.json)"
			sleep 0.1
			[ "$i" -gt 0 ] && echo "$locked $(last_ms) $(awk -v w="$wall" 'BEGIN { print w * 1000 }')" >>"$1"
		else
			wait_state card
			sleep 0.1
			[ "$i" -gt 0 ] && last_ms >>"$1" # tap 0 fills the verdict cache
		fi
	done
}
report() {
	local name=$1 v1 lk un wall m
	v1=$(median <"$name.v1")
	echo "$name: version 1 tap $v1 ms (median of $RUNS)"
	for m in v2 v2min; do
		lk=$(cut -d' ' -f1 "$name.$m" | median)
		un=$(cut -d' ' -f2 "$name.$m" | median)
		wall=$(cut -d' ' -f3 "$name.$m" | median)
		echo "$name: protected ($([ $m = v2 ] && echo "count calibrated here, about $ITER" || echo "least count 16384")):" \
			"locked tap $lk ms + unlock $un ms (request $wall ms) = $(awk -v a="$lk" -v b="$un" 'BEGIN { printf "%.1f", a + b }') ms;" \
			"extra $(awk -v a="$lk" -v b="$un" -v c="$v1" 'BEGIN { printf "%.1f", a + b - c }') ms"
	done
}

# ---- libnfc + PN532 simulator (radio timing), NTAG216
start_sim() {
	: >sim.out
	"$SIM" --tag ntag216 --memory "$1" --timing >sim.out 2>sim.err &
	SIMPID=$!
	PIDS+=($SIMPID)
	for _ in $(seq 100); do [ -s sim.out ] && break; sleep 0.05; done
	NFC=pn532_uart:$(head -1 sim.out)
}
ITER=$("$build/bench/bench_protect" 2>/dev/null | sed -n 's/.*(100 ms target): //p')
start_sim tag.bin
fill --nfc "$NFC"
cp tag.bin tag-v1.bin
CODE=$(protect --nfc "$NFC")
cp tag.bin tag-v2.bin
unprotect "$CODE" --nfc "$NFC"
fill --nfc "$NFC"
CODEMIN=$(protect --kdf-iterations 16384 --nfc "$NFC")
cp tag.bin tag-v2min.bin
stop_pids
away() { kill -USR1 "$SIMPID"; }
back() { kill -USR2 "$SIMPID"; }
code_of() { case $1 in v2) echo "$CODE" ;; v2min) echo "$CODEMIN" ;; esac; }
for v in v1 v2 v2min; do
	cp "tag-$v.bin" run.bin
	start_sim run.bin
	daemon "nfc:$NFC"
	measure "nfc.$v" "$(code_of $v)"
	echo "nfc.$v: last tap read: $(last_read)"
	stop_pids
done
report nfc

# ---- pcscd + vpcd + lm-vcard, the applet
rig_start_pcscd
rig_start_card --memory card.mem --as applet --capacity 8192
rig_wait_card present
fill
cp card.mem card-v1.mem
CODE=$(protect)
cp card.mem card-v2.mem
unprotect "$CODE"
fill
CODEMIN=$(protect --kdf-iterations 16384)
rig_stop_card
cp card.mem card-v2min.mem
away() { rig_stop_card >/dev/null 2>&1; }
back() { rig_start_card --memory run.mem --as applet; }
for v in v1 v2 v2min; do
	cp "card-$v.mem" run.mem
	rig_start_card --memory run.mem --as applet
	daemon pcsc
	measure "pcsc.$v" "$(code_of $v)"
	echo "pcsc.$v: last tap read: $(last_read)"
	stop_pids
	rig_stop_card >/dev/null 2>&1
done
report pcsc
echo "PBKDF2 at the calibrated count: $("$build/bench/bench_protect" 2>/dev/null | grep -m1 'derivations at')"
echo "load average while measuring: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
