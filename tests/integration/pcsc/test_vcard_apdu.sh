#!/bin/bash
# test_vcard_apdu.sh - lm-vcard through a private pcscd (vpcd driver), with
# opensc-tool as the independent PC/SC client: the applet's APDUs (SELECT,
# GET DATA, staged UPDATE + COMMIT that formats the image, READ BINARY),
# memory that survives a restart, and the ntag216 mode's part-3 APDUs.
# Needs LM_VCARD; runs as root in its own namespaces (rig.sh), else skips.
set -euo pipefail
. "$(dirname "$0")/rig.sh"
rig_enter "$@"

SELECT=00A404000AF04C4155464D41505045
HOLDER=000102030405060708090A0B0C0D0E0F
HEADER=4C4D01000000FFFF$HOLDER

rig_start_pcscd

# --- the applet ---
rig_start_card --memory "$RIG_DIR/applet.mem" --capacity 2048
rig_wait_card present
[ "$(stat -c %s "$RIG_DIR/applet.mem")" = $((1024 + 2048)) ] || rig_fail "memory file size"

rig_apdu 00B0000010 $SELECT 00A404000AF04C4155464D4150504F 00B0000010 |
	rig_expect "select" 6986 9000 6A82 6986

rig_apdu $SELECT 00CA000100 00CA000200 00CA000300 00CA000900 00B0000008 00B0080001 |
	rig_expect "get data, read unformatted" 9000 \
		"010102 9000" "00000800 9000" "000007E8 9000" 6A88 "0000000000000000 9000" 6B00

rig_apdu $SELECT 80D6000018$HEADER 00B0000008 80DA0000 00B0000018 00CA000300 |
	rig_expect "format: staged, then committed" \
		9000 9000 "0000000000000000 9000" 9000 "$HEADER 9000" "000007E8 9000"

rig_apdu $SELECT 80D6001808AABBCCDD11223344 80D6000404 80D60004040008FFF7 80DA0000 \
	00B0000030 00CA000300 80D6001801FF 00B007FE00 |
	rig_expect "append, commit, append-only" \
		9000 9000 6700 9000 9000 \
		"4C4D01000008FFF7${HOLDER}AABBCCDD1122334400000000000000000000000000000000 9000" \
		"000007E0 9000" 6985 "0000 6282"

# an open transaction does not survive the end of the card session
rig_apdu $SELECT 80D600200401020304 | rig_expect "stage only" 9000 9000
rig_apdu $SELECT 80DA0000 00B0002004 | rig_expect "session end dropped it" 9000 9000 "00000000 9000"

# extended lengths through pcscd and vpcd (opensc-tool refuses them for a
# card without a driver; scriptor of pcsc-tools sends them as they are):
# the last response as "data-bytes SW1SW2"
if command -v scriptor >/dev/null; then
	printf '%s\n' "00 A4 04 00 0A F0 4C 41 55 46 4D 41 50 50 45" "80 D6 00 20 00 00 02 AB CD" \
		"80 DA 00 00" "00 B0 00 00 00 00 00" |
		scriptor -r "Virtual PCD 00 00" 2>&1 | awk '
			/^< / { n = 0; sub(/^< /, "") }
			{ for (i = 1; i <= NF && $i != ":"; i++) if ($i ~ /^[0-9A-F][0-9A-F]$/) b[n++] = $i }
			END { print n - 2, b[n - 2] b[n - 1], b[32] b[33] }' |
		rig_expect "extended UPDATE and READ BINARY" "2048 6282 ABCD"
fi

# the memory file is the NVM: restart the card program
rig_stop_card || rig_fail "lm-vcard exit status $RIG_CARD_STATUS on SIGTERM, want 0"
rig_wait_card absent
rig_start_card --memory "$RIG_DIR/applet.mem"
rig_wait_card present
rig_apdu $SELECT 00B0000020 00CA000200 |
	rig_expect "memory survives a restart" 9000 \
		"4C4D01000008FFF7${HOLDER}AABBCCDD11223344 9000" \
		"00000800 9000"

# pulled away: SIGUSR1 closes the connection at once, exit status 3
rig_pull_card && rig_fail "lm-vcard exited 0 after SIGUSR1"
[ "$RIG_CARD_STATUS" = 3 ] || rig_fail "SIGUSR1: exit status $RIG_CARD_STATUS, want 3"
rig_wait_card absent
rig_log "ok: pull-away"

# --- NTAG216 behind a PC/SC part-3 reader ---
rig_start_card --as ntag216 --memory "$RIG_DIR/ntag.mem"
rig_wait_card present
opensc-tool -r 0 -a | grep -qi "3b:8f:80:01:80:4f:0c:a0:00:00:03:06:03:00:03:00:00:00:00:68" ||
	rig_fail "ntag216 ATR: $(opensc-tool -r 0 -a 2>&1)"
rig_apdu FFCA000000 FFB0000010 FFB0000310 FFD6000404DEADBEEF FFB0000404 FFD6000004DEADBEEF \
	FFD600E604DEADBEEF FFD600E704DEADBEEF FFB000E710 00B0000010 |
	rig_expect "ntag216 part-3 APDUs" \
		"044C4D53494D01 9000" \
		"044C4D8D53494D0156480000E1106D00 9000" \
		"E1106D000300FE000000000000000000 9000" \
		9000 "DEADBEEF 9000" 6981 6981 6A82 6A82 6E00
[ "$(stat -c %s "$RIG_DIR/ntag.mem")" = $((231 * 4)) ] || rig_fail "ntag memory file size"
[ "$(od -An -tx1 -j16 -N4 "$RIG_DIR/ntag.mem" | tr -d ' ')" = deadbeef ] ||
	rig_fail "page 4 not in the memory file"
rig_stop_card || rig_fail "ntag216: exit status $RIG_CARD_STATUS on SIGTERM"
rig_log "PASS"
