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
min_cmds=$(( (committed + 239) / 240 ))
echo "full NTAG216 read: $cmds target commands, $bytes bytes from the tag"
echo "minimum: FAST_READ of the committed $committed bytes = $min_cmds command(s) of <= 240 bytes (one PN532 frame)"

start --tag ntag216 --memory ntag216.bin --timing
t0=$(date +%s%N)
"$L" card read --trust trust.cose --root root.pem.pub --nfc "$NFC" >/dev/null 2>&1
t1=$(date +%s%N)
stop
floor=$(awk -v b="$committed" 'BEGIN { printf "%.1f", b * 9 * 9.44 / 1000 }')
echo "with the 106 kbit/s timing model: $(( (t1 - t0) / 1000000 )) ms end to end (open, read, verify);" \
	"radio floor for $committed bytes: $floor ms"
