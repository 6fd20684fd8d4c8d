#!/bin/bash
# test_vcard_faults.sh - lm-vcard's fault options through a private pcscd:
# --pull-after-apdus (exit 3, card gone), pcscd stopped and restarted (the
# card reconnects), and --tear-after-writes at every NVM write of an append
# (exit 4; after a restart the image reads exactly as before or after), for
# the applet and for the ntag216 page writes.
# Needs LM_VCARD; runs as root in its own namespaces (rig.sh), else skips.
set -euo pipefail
. "$(dirname "$0")/rig.sh"
rig_enter "$@"

SELECT=00A404000AF04C4155464D41505045
HEADER=4C4D01000000FFFF000102030405060708090A0B0C0D0E0F
ENTRY=0102030405060708090A0B0C0D0E0F10

# Wait up to $1 seconds for lm-vcard to exit by itself; 0 when it did
# (RIG_CARD_STATUS holds its status), 1 when it is still running.
card_exits_within() {
	local i
	for i in $(seq $(($1 * 10))); do
		if ! kill -0 "$RIG_CARD_PID" 2>/dev/null; then
			rig_wait_card_exit || true
			return 0
		fi
		sleep 0.1
	done
	return 1
}

rig_start_pcscd

# --- pulled after N APDUs ---
rig_start_card --memory "$RIG_DIR/a.mem" --pull-after-apdus 2
rig_wait_card present
out=$(rig_apdu $SELECT 00CA000100 00CA000200 || true)
rig_wait_card_exit && rig_fail "--pull-after-apdus: exit status 0"
[ "$RIG_CARD_STATUS" = 3 ] || rig_fail "--pull-after-apdus: exit status $RIG_CARD_STATUS, want 3"
[ "$(echo "$out" | head -2 | tr '\n' '|')" = "9000|010102 9000|" ] || rig_fail "before the pull: $out"
rig_wait_card absent
rig_log "ok: pulled after 2 APDUs"

# --- pcscd stops and comes back: the card program reconnects ---
rig_start_card --memory "$RIG_DIR/a.mem"
rig_wait_card present
rig_stop_pcscd
sleep 0.5
kill -0 "$RIG_CARD_PID" || rig_fail "lm-vcard exited when pcscd stopped"
rig_start_pcscd
rig_wait_card present
[ "$(rig_apdu $SELECT | tr '\n' '|')" = "9000|" ] || rig_fail "no answer after pcscd restart"
rig_stop_card || rig_fail "SIGTERM: exit status $RIG_CARD_STATUS"
rig_log "ok: reconnect after pcscd restart"

# --- tear at every NVM write of an append (applet) ---
# the old image: formatted, empty log
rig_start_card --memory "$RIG_DIR/t.mem" --capacity 256
rig_wait_card present
rig_apdu $SELECT 80D6000018$HEADER 80DA0000 >/dev/null
rig_stop_card
cp "$RIG_DIR/t.mem" "$RIG_DIR/t.old"
OLD="4C4D01000000FFFF000102030405060708090A0B0C0D0E0F00000000000000000000000000000000 9000"
NEW="4C4D01000010FFEF000102030405060708090A0B0C0D0E0F${ENTRY} 9000"
APPEND=(80D6001810$ENTRY 80D600040400100000 80D6000404 80D60004040010FFEF 80DA0000)
seen_old=0 seen_new=0 n=0
while :; do
	cp "$RIG_DIR/t.old" "$RIG_DIR/t.mem"
	rig_start_card --memory "$RIG_DIR/t.mem" --tear-after-writes $n
	rig_wait_card present
	rig_apdu $SELECT "${APPEND[@]}" >/dev/null || true
	if ! card_exits_within 3; then
		# the append made only n writes: nothing was torn
		rig_stop_card || rig_fail "untorn card: exit status $RIG_CARD_STATUS"
		break
	fi
	[ "$RIG_CARD_STATUS" = 4 ] || rig_fail "tear $n: exit status $RIG_CARD_STATUS, want 4"
	rig_wait_card absent
	rig_start_card --memory "$RIG_DIR/t.mem"
	rig_wait_card present
	img=$(rig_apdu $SELECT 00B0000028 | tail -1)
	rig_stop_card
	if [ "$img" = "$OLD" ]; then
		seen_old=$((seen_old + 1))
	elif [ "$img" = "$NEW" ]; then
		seen_new=$((seen_new + 1))
	else
		rig_fail "tear at write $((n + 1)): image is neither old nor new: $img"
	fi
	n=$((n + 1))
	[ "$n" -le 50 ] || rig_fail "the append never finished untorn"
done
[ "$seen_old" -gt 0 ] && [ "$seen_new" -gt 0 ] || rig_fail "old $seen_old, new $seen_new"
rig_wait_card absent
rig_start_card --memory "$RIG_DIR/t.mem"
rig_wait_card present
img=$(rig_apdu $SELECT 00B0000028 | tail -1)
rig_stop_card
[ "$img" = "$NEW" ] || rig_fail "untorn append: $img"
rig_log "ok: applet torn at each of its $n NVM writes: $seen_old old, $seen_new new"

# --- tear an NTAG216 page write: the page is not written at all ---
rig_start_card --as ntag216 --memory "$RIG_DIR/n.mem" --tear-after-writes 1
rig_wait_card present
out=$(rig_apdu FFD600040411111111 FFD600050422222222 || true)
card_exits_within 3 || rig_fail "ntag216 did not tear"
[ "$RIG_CARD_STATUS" = 4 ] || rig_fail "ntag216 tear: exit status $RIG_CARD_STATUS, want 4"
rig_wait_card absent
rig_start_card --as ntag216 --memory "$RIG_DIR/n.mem"
rig_wait_card present
out=$(rig_apdu FFB0000408 | tail -1)
rig_stop_card
[ "$out" = "1111111100000000 9000" ] || rig_fail "ntag216 after the tear: $out"
rig_log "ok: ntag216 page write torn"
rig_log "PASS"
