#!/bin/bash
# test_vcard_ntagpwd.sh - a password-protected NTAG216 behind a PC/SC part-3
# reader (lm-vcard --as ntag216), driven with opensc-tool through a private
# pcscd: the v2.02 transparent session (FF C2 00 00 81 00 / 82 00) and
# transparent exchange (FF C2 00 01 95 LEN CMD) carry the tag's own WRITE,
# PWD_AUTH, READ and FAST_READ.  Protection is set up in the datasheet's
# order (PWD, PACK, ACCESS, AUTH0 last); without PWD_AUTH the protected
# pages refuse READ BINARY (69 82) and the tag NAKs READ (97 01 00); the
# right password answers PACK, a wrong one NAK 0, and after AUTHLIM (3)
# wrong ones even the right one NAK 4, across a restart of the card.
# Needs LM_VCARD; runs as root in its own namespaces (rig.sh), else skips.
set -euo pipefail
. "$(dirname "$0")/rig.sh"
rig_enter "$@"

PWD=12345678 PACK=ABCD SECRET=5345435245542121 # "SECRET!!" on pages 0x10-0x11
START=FFC2000002810000 END=FFC2000002820000    # manage session: start / end (Le 00)
OK=C003009000                                  # C0 03 00 90 00: the generic status, no error
# xchg CMD: the transparent exchange APDU (with Le 00) that transceives the tag command CMD.
xchg() {
	local n=$((${#1} / 2))
	printf 'FFC20001%02X95%02X%s00' $((n + 2)) "$n" "$1"
}
# answer HEX / ack X: what the reader returns for a tag answer of bytes / a 4-bit ACK (A) or NAK.
answer() { printf '%s9201009602000097%02X%s 9000' $OK $((${#1} / 2)) "$1"; }
ack() { printf '%s920104960200009701%02X 9000' $OK "0x$1"; }
# start_card: lm-vcard as the NTAG216 on its memory file, a fresh power-up.
start_card() {
	rig_start_card --as ntag216 --memory "$RIG_DIR/ntag.mem"
	rig_wait_card present
}
stop_card() {
	rig_stop_card || rig_fail "lm-vcard exit status $RIG_CARD_STATUS"
}

rig_start_pcscd
start_card
rig_apdu "$(xchg 3004)" $START FFC2000002800000 "$(xchg 3004)" \
	FFD6001004${SECRET:0:8} FFD6001104${SECRET:8:8} FFC200010395051B \
	"$(xchg A2E5$PWD)" "$(xchg A2E6${PACK}0000)" "$(xchg A2E483050000)" "$(xchg A2E304000004)" \
	FFB0001010 FFB0000010 "$(xchg 1B12345600)" "$(xchg 1B$PWD)" FFB0001008 $END |
	rig_expect "setup in the datasheet's order, then PWD_AUTH in a transparent session" \
		"C003006986 6986" \
		"$OK 9000" \
		"${OK}8003010000 9000" \
		"$(answer 0300FE00000000000000000000000000)" \
		9000 9000 \
		"C003016700 6700" \
		"$(ack A)" "$(ack A)" "$(ack A)" "$(ack A)" \
		6982 \
		"044C4D8D53494D0156480000E1106D00 9000" \
		"$(ack 0)" \
		"$(answer $PACK)" \
		"$SECRET 9000" \
		"$OK 9000"
stop_card

# A power-up: no PWD_AUTH any more, nothing from AUTH0 (page 4) on; then opened.
start_card
rig_apdu FFB0001010 FFB000E310 $START "$(xchg 3010)" "$(xchg 3A0011)" "$(xchg 3003)" \
	"$(xchg A2100000000000)" "$(xchg 1B$PWD)" "$(xchg 3A1011)" "$(xchg 30E3)" $END |
	rig_expect "protected pages only after PWD_AUTH" \
		6982 6982 "$OK 9000" "$(ack 0)" "$(ack 0)" \
		"$(answer E1106D00044C4D8D53494D0156480000)" \
		"$(ack 0)" \
		"$(answer $PACK)" "$(answer $SECRET)" \
		"$(answer 04000004830500000000000000000000)" \
		"$OK 9000"
stop_card

# AUTHLIM 3: three wrong passwords, then even the right one NAKs 4, after a restart too.
start_card
rig_apdu $START "$(xchg 1B00000000)" "$(xchg 1B00000001)" "$(xchg 1B00000002)" "$(xchg 1B$PWD)" |
	rig_expect "AUTHLIM reached" "$OK 9000" "$(ack 0)" "$(ack 0)" "$(ack 0)" "$(ack 4)"
stop_card
start_card
rig_apdu $START "$(xchg 1B$PWD)" "$(xchg 3010)" FFB0001010 "$(xchg 3000)" |
	rig_expect "locked for ever" "$OK 9000" "$(ack 4)" "$(ack 0)" 6982 \
		"$(answer 044C4D8D53494D0156480000E1106D00)"
stop_card
[ "$(stat -c %s "$RIG_DIR/ntag.mem")" = $((231 * 4 + 4)) ] || rig_fail "memory file: pages + state record"
[ "$(od -An -tx1 -j$((231 * 4)) -N1 "$RIG_DIR/ntag.mem" | tr -d ' ')" = 03 ] ||
	rig_fail "memory file: wrong-password count is not 3"
[ "$(od -An -tx1 -j64 -N8 "$RIG_DIR/ntag.mem" | tr -d ' ')" = "${SECRET,,}" ] ||
	rig_fail "memory file: the secret pages"
# --as ntag213 / ntag215: their own sizes and configuration pages (CFG0 29 / 83).
for kind in "ntag213 12 29 2D" "ntag215 3E 83 87"; do
	set -- $kind
	rig_start_card --as "$1" --memory "$RIG_DIR/$1.mem"
	rig_wait_card present
	rig_apdu FFB0000304 $START "$(xchg 30$3)" "$(xchg 30$4)" |
		rig_expect "$1" "E110${2}00 9000" "$OK 9000" \
			"$(answer 040000FF000500000000000000000000)" "$(ack 0)"
	stop_card
done
rig_log "PASS"
