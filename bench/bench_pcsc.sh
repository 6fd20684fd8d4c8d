#!/usr/bin/env bash
# Reading and verifying a full applet card through pcscd with our CLI,
# against opensc-tool sending the same SELECT and READ BINARY APDUs to the
# same card (the transport floor), and the firmware's flash and RAM.
# Needs root (a private pcscd in its own namespaces, tests/integration/pcsc/rig.sh).
# Usage: BUILD=build bash bench/bench_pcsc.sh   (prints figures, asserts nothing)
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$src/${BUILD:-build}" && pwd)
export LM_VCARD=$build/firmware/lm-vcard
L=$build/tools/laufmappe
. "$src/tests/integration/pcsc/rig.sh"
rig_enter "$@"
cd "$RIG_DIR"
rig_start_pcscd
"$L" key generate root.pem >/dev/null && "$L" key generate vhs.pem >/dev/null
"$L" trust create --root root.pem --out trust.cose 2>/dev/null
"$L" trust add trust.cose --root root.pem --pub vhs.pem.pub --name VHS --role course_provider \
	--types IK 2>/dev/null
H=$("$L" holder new)
"$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=700 \
	--date 2026-11-24 --out ik.cose
rig_start_card --memory card.mem --as applet --capacity 8192
rig_wait_card present
"$L" card format --holder "$H" >/dev/null 2>&1
n=0
while "$L" card append ik.cose 2>/dev/null; do n=$((n + 1)); done
used=$((24 + n * 100))
echo "full 8 KB applet card: $n typical entries, $used bytes committed"

runs=20
now() { date +%s%N; }
t0=$(now)
for _ in $(seq $runs); do "$L" card read --trust trust.cose --root root.pem.pub >/dev/null 2>&1; done
ours=$(( ($(now) - t0) / runs / 1000 ))

# The same APDUs: SELECT, then READ BINARY in 240-byte chunks up to $used.
apdus=(-s "00:A4:04:00:0A:F0:4C:41:55:46:4D:41:50:50:45")
for ((off = 0; off < used; off += 240)); do
	len=$(( used - off < 240 ? used - off : 240 ))
	apdus+=(-s "$(printf '00:B0:%02X:%02X:%02X' $((off >> 8)) $((off & 255)) "$len")")
done
t0=$(now)
for _ in $(seq $runs); do opensc-tool -r 0 -c default "${apdus[@]}" >/dev/null 2>&1; done
raw=$(( ($(now) - t0) / runs / 1000 ))
napdu=${#apdus[@]}; napdu=$((napdu / 2))
echo "laufmappe card read --trust (read + verify $n entries): $((ours / 1000)).$(( (ours % 1000) / 100 )) ms"
echo "opensc-tool, the same $napdu APDUs (raw read):          $((raw / 1000)).$(( (raw % 1000) / 100 )) ms"
echo "ratio ours / raw: $(awk -v a="$ours" -v b="$raw" 'BEGIN { printf "%.2f", a / b }')"
echo "transport floor: $(awk -v a="$raw" -v b="$napdu" 'BEGIN { printf "%.0f", a / b }') us per APDU (process start included)"
rig_stop_card

# The same card on a modelled field (lm-vcard --timing, firmware/include/lm_air.h):
# what a desk feels.  Floor: SELECT and one READ BINARY of the committed bytes
# as one chained extended APDU, by the same model (bench_air).
for rate in 106 424; do
	rig_start_card --memory card.mem --as applet --timing $rate
	rig_wait_card present
	t0=$(now)
	for _ in 1 2 3; do "$L" card read --trust trust.cose --root root.pem.pub >/dev/null 2>&1; done
	ours=$(( ($(now) - t0) / 3 / 1000 ))
	floor=$("$build/bench/bench_air" applet $rate $used)
	echo "$rate kbit/s: card read --trust of $used bytes: $((ours / 1000)).$(( (ours % 1000) / 100 )) ms;" \
		"air floor $floor ms; ratio $(awk -v a="$ours" -v f="$floor" 'BEGIN { printf "%.2f", a / 1000 / f }')" \
		"(process start, identify and verify included)"
	rig_stop_card
done
echo "firmware (Cortex-M4, -Os): $(bash "$src/firmware/size.sh" 2>/dev/null | tail -1)"
