#!/usr/bin/env bash
# Reading and verifying a full NTAG216 through libnfc (pn532_uart) and
# lm-pn532sim: the target commands sent and bytes moved against the minimum
# (a FAST_READ of the committed length), and, with the simulator's 106 kbit/s
# timing model, the time against the radio floor for those bytes; then how
# many typical entries fit each tag.  Prints figures, asserts nothing.
# Usage: BUILD=build bash bench/bench_nfc.sh
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$src/${BUILD:-build}" && pwd)
L=$build/tools/laufmappe SIM=$build/tools/pn532sim/lm-pn532sim
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
export LIBNFC_AUTO_SCAN=false LIBNFC_INTRUSIVE_SCAN=false XDG_CONFIG_HOME=$work HOME=$work
start() { "$SIM" "$@" >sim.out 2>sim.err & pid=$!; sleep 0.3; NFC="pn532_uart:$(head -1 sim.out)"; }
stop() { kill $pid; wait $pid 2>/dev/null; pid=; }

"$L" key generate root.pem >/dev/null && "$L" key generate vhs.pem >/dev/null
"$L" trust create --root root.pem --out trust.cose 2>/dev/null
"$L" trust add trust.cose --root root.pem --pub vhs.pem.pub --name VHS --role course_provider --types IK 2>/dev/null
H=$("$L" holder new)
"$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=700 --date 2026-11-24 --out ik.cose

for tag in ntag213 ntag215 ntag216; do
	start --tag $tag --memory $tag.bin
	"$L" card format --holder "$H" --nfc "$NFC" >/dev/null 2>&1
	n=0
	while "$L" card append ik.cose --nfc "$NFC" 2>/dev/null; do n=$((n + 1)); done
	echo "$tag: $n typical entries (98 bytes, 100 on the card)"
	stop
done

start --tag ntag216 --memory ntag216.bin --verbose
"$L" card read --trust trust.cose --root root.pem.pub --nfc "$NFC" >/dev/null 2>&1
stop
# Target commands: InDataExchange (40) and InCommunicateThru (42); bytes:
# the data of their answers (frame LEN minus TFI, command code and status).
read -r cmds bytes < <(awk '
	function hex(s,   i, v) { v = 0; for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789ABCDEF", substr(s, i, 1)) - 1; return v }
	/<- D4 (40|42)/ { tc = 1; cmds++; next }
	/^pn532sim -> / && tc { bytes += hex($6) - 3; tc = 0 }
	END { print cmds + 0, bytes + 0 }' sim.err)
committed=$((24 + 8 * 100))
min_cmds=$(( (4 + 8 + committed + 239) / 240 ))
echo "full NTAG216 read: $cmds target commands, $bytes bytes from the tag"
echo "minimum: FAST_READs of the CC page, the TLV prefix and the committed $committed bytes," \
	"at most 60 pages (240 bytes: one PN532 frame) = $min_cmds command(s)" \
	"(ours: pages 3-11 first, public on a protected tag too, then the log)"

# The simulator's timing model: the radio at 106 kbit/s and the PN532's UART at
# 115,200 baud (8N1), the frames both ways (docs/pn532sim.md).  The floor is
# the same model's time for the minimum: FAST_READs of the committed bytes,
# each an InDataExchange frame, its ACK and its answer frame on the UART
# (bench_air ntag); the open, the select and GET_VERSION come on top.
floor=$("$build/bench/bench_air" ntag 106 "$committed" 115200)
radio=$(awk -v b="$committed" 'BEGIN { printf "%.1f", b * 9 * 9.44 / 1000 }')
start --tag ntag216 --memory ntag216.bin --timing
t0=$(date +%s%N)
"$L" card read --trust trust.cose --root root.pem.pub --nfc "$NFC" >/dev/null 2>&1
t1=$(date +%s%N)
t2=$(date +%s%N)
"$L" card list-readers --nfc "$NFC" >/dev/null 2>&1
t3=$(date +%s%N)
stop
echo "with the timing model (106 kbit/s, UART 115200): card read --trust $(( (t1 - t0) / 1000000 )) ms end to end" \
	"(process start, libnfc's open, select, read, verify); the open alone (card list-readers) $(( (t3 - t2) / 1000000 )) ms"
echo "floor for $committed bytes: $floor ms (radio $radio ms of it, the UART the rest)"

# The daemon opens the reader once; a tap is select, identify, read, verify, store.
D=$build/daemon/laufmapped
if [ -x "$D" ]; then
	start --tag ntag216 --memory ntag216.bin --timing
	kill -USR1 $pid # out of the field until the daemon runs
	echo "bench-token-0123456789abcdef" >token && chmod 600 token
	cat >d.conf <<CONF
readers = nfc:$NFC
root_key = $work/root.pem.pub
trust_list = $work/trust.cose
trust_state = $work/d.state
role = city
database = $work/d.db
listen = 127.0.0.1:18310
token_file = $work/token
web_root = $src/daemon/web
poll_ms = 50
CONF
	"$D" -d -c d.conf 2>d.log &
	dpid=$!
	for _ in $(seq 50); do curl -sf http://127.0.0.1:18310/api/status >/dev/null && break; sleep 0.1; done
	curl -sN http://127.0.0.1:18310/api/events >events.txt &
	cpid=$!
	for i in 1 2 3; do
		sleep 0.5
		kill -USR2 $pid
		for _ in $(seq 100); do [ "$(grep -c '^event: tap' events.txt)" -ge "$i" ] && break; sleep 0.1; done
		kill -USR1 $pid
	done
	kill $cpid $dpid 2>/dev/null
	wait $dpid 2>/dev/null
	stop
	grep -o '"ms":[0-9.]*,"read_ms":[0-9.]*,"after_read_ms":[0-9.]*' events.txt | head -3 | awk -F'[:,]' -v f="$floor" '
		{ printf "daemon tap %d (reader open since start): %.1f ms (read %.1f, after the last byte %.1f), %.2fx the floor%s\n",
			NR, $2, $4, $6, $2 / f, NR == 1 ? " (cold: verified)" : " (warm)" }'
fi
