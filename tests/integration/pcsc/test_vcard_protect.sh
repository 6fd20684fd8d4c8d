#!/bin/bash
# test_vcard_protect.sh - a protected card (format version 2) on lm-vcard
# through a private pcscd, with opensc-tool as the independent PC/SC client,
# sending the desk's APDU sequences of docs/applet.md ("Protected cards: what
# the desk sends"): protect a blank card (format + reference in one COMMIT),
# append, identify without the code (only the 24 public bytes come out:
# 69 82 for everything else), VERIFY with the value derived from the access
# code (applet_keys), read the whole image back and open it with the CLI,
# wrong values 63 C4 .. 63 C1 then 69 83, blocked across a power cycle, and
# the blocked card wiped to a blank, unprotected one.
# Needs LM_VCARD, LAUFMAPPE and APPLET_KEYS; runs as root in its own
# namespaces (rig.sh), else skips.
set -euo pipefail
. "$(dirname "$0")/rig.sh"
rig_enter "$@"
for v in LAUFMAPPE APPLET_KEYS; do
	[ -x "${!v:-}" ] || rig_fail "$v is not set to the program"
done
command -v xxd >/dev/null || { rig_log "SKIP: xxd missing"; exit 77; }

SELECT=00A404000AF04C4155464D41505045
STATUS=00200081          # VERIFY without data: tries left, no try spent
VERIFY=0020008110        # + the 16-byte value
CHANGE_REF=0024018110    # + the new 16-byte value (staged: lands with COMMIT)
COMMIT=80DA0000
WIPE=80DE0000
CAP=2048
cd "$RIG_DIR"

# hexof FILE OFF LEN: LEN bytes of FILE from OFF, upper-case hex.
hexof() {
	xxd -p -s "$2" -l "$3" "$1" | tr -d '\n' | tr a-f A-F
}

# update FILE OFF LEN: the UPDATE APDU that stages FILE's bytes [OFF, OFF+LEN).
update() {
	printf '80D6%04X%02X%s' "$2" "$3" "$(hexof "$1" "$2" "$3")"
}

# --- a protected image with one signed entry, made by the CLI ---
L=$LAUFMAPPE
"$L" key generate vhs.pem >/dev/null
H=$("$L" holder new)
"$L" issue --key vhs.pem --holder "$H" --type IK --set subtype=general --set planned=700 \
	--out ik.cose >/dev/null
"$L" image new --protect --kdf-iterations 16384 --holder "$H" --capacity $CAP --out prot.img \
	>new.txt 2>/dev/null
sed -n 's/^access code: //p' new.txt >code.txt
[ -s code.txt ] || rig_fail "no access code: $(cat new.txt)"
"$L" image append --access-code-file code.txt prot.img ik.cose >/dev/null
N=$((0x$(hexof prot.img 24 2)))        # committed log bytes
[ "$N" -gt 0 ] || rig_fail "the entry was not appended"
PUB=$(hexof prot.img 0 24)
VALUE=$("$APPLET_KEYS" "$PUB" code.txt) # what the desk derives
BAD=${VALUE:0:31}$(printf '%X' $(((0x${VALUE:31:1} + 1) % 16)))
"$L" image new --protect --kdf-iterations 16384 --holder "$H" --capacity $CAP --out other.img \
	>new2.txt 2>/dev/null
sed -n 's/^access code: //p' new2.txt >wrong.txt
rc=0
"$APPLET_KEYS" "$PUB" wrong.txt >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || rig_fail "a wrong code passed the key check (exit $rc): VERIFY would burn a try"

rig_start_pcscd
rig_start_card --memory "$RIG_DIR/applet.mem" --capacity $CAP
rig_wait_card present

# --- identify a blank card: version 1.1, capacity, no reference ---
rig_apdu $SELECT 00CA000100 00CA000200 $STATUS 00B0000018 |
	rig_expect "identify a blank card" 9000 "010102 9000" "00000800 9000" 6A88 \
		"$(printf '0%.0s' $(seq 48)) 9000"

# --- protect it: header, empty commit word and reference in one COMMIT ---
rig_apdu $SELECT "$(update prot.img 0 24)" "$(update prot.img 28 32)" 80D60018040000FFFF \
	"$CHANGE_REF$VALUE" $COMMIT $STATUS |
	rig_expect "protect a blank card" 9000 9000 9000 9000 9000 9000 9000

# the session that set the reference is verified: append the entry
rig_apdu $SELECT "$(update prot.img 28 32)" "$CHANGE_REF$VALUE" | rig_expect "new session" 9000 6982 6982
rig_apdu $SELECT "$VERIFY$VALUE" "$(update prot.img 60 "$N")" "$(update prot.img 24 4)" $COMMIT \
	00CA000300 |
	rig_expect "verify, append, commit" 9000 9000 9000 9000 9000 \
		"$(printf '%08X' $((CAP - 60 - N))) 9000"

# --- without the code: the public header and nothing else ---
rig_apdu $SELECT 00B0000018 $STATUS 00B0000019 00B0001804 00B0001C10 00B0000000 00CA000300 \
	00CA000200 80D6003C0401020304 $COMMIT $WIPE |
	rig_expect "not verified: 24 public bytes, 69 82 for the rest" \
		9000 "$PUB 9000" 63C5 6982 6982 6982 6982 6982 "00000800 9000" 6982 6982 6982

# --- the desk: public header from the card, derive, VERIFY, read it all ---
pub=$(rig_apdu $SELECT 00B0000018 | sed -n 2p)
[ "${pub% 9000}" = "$PUB" ] || rig_fail "public header: $pub"
value=$("$APPLET_KEYS" "${pub% 9000}" code.txt)
reads=()
for ((off = 0; off < CAP; off += 240)); do
	n=$((CAP - off < 240 ? CAP - off : 240))
	reads+=("$(printf '00B0%04X%02X' $off $n)")
done
rig_apdu $SELECT "$VERIFY$value" "${reads[@]}" >dump.txt
[ "$(sed -n 1,2p dump.txt | tr '\n' '|')" = "9000|9000|" ] || rig_fail "verify: $(head -2 dump.txt)"
tail -n +3 dump.txt | grep -v ' 9000$' && rig_fail "a read after VERIFY failed"
tail -n +3 dump.txt | sed 's/ 9000$//' | tr -d '\n' | xxd -r -p >card.img
cmp card.img prot.img || rig_fail "the image read after VERIFY is not the one written"
"$L" show --json --access-code-file code.txt card.img >show.txt ||
	rig_fail "the CLI cannot open the image read from the card"
grep -q "$H" show.txt || rig_fail "holder id not in the decrypted image: $(cat show.txt)"
rig_log "ok: verify, then the whole image (entry included) reads back and decrypts"

# --- the verified state ends with the session and with a power cycle ---
rig_apdu $SELECT "$VERIFY$VALUE" 00B0001804 $SELECT 00B0001804 |
	rig_expect "SELECT ends the verified state" 9000 9000 "$(hexof prot.img 24 4) 9000" 9000 6982
rig_stop_card || rig_fail "lm-vcard exit status $RIG_CARD_STATUS on SIGTERM"
rig_start_card --memory "$RIG_DIR/applet.mem"
rig_wait_card present

# --- wrong values: 63 C4 .. 63 C1; a right one restores the count ---
rig_apdu $SELECT 00B0001804 "$VERIFY$BAD" "$VERIFY$BAD" "$VERIFY$BAD" "$VERIFY$BAD" $STATUS \
	"$VERIFY$VALUE" $STATUS |
	rig_expect "four wrong values, then the right one" 9000 6982 63C4 63C3 63C2 63C1 63C1 9000 9000
rig_apdu $SELECT "$VERIFY$BAD" "$VERIFY$BAD" "$VERIFY$BAD" "$VERIFY$BAD" "$VERIFY$BAD" \
	"$VERIFY$VALUE" 00B0001804 |
	rig_expect "five wrong values block the card" 9000 63C4 63C3 63C2 63C1 6983 6983 6982

# the counter is in NVM: still blocked after a power cycle
rig_stop_card || rig_fail "lm-vcard exit status $RIG_CARD_STATUS on SIGTERM"
rig_start_card --memory "$RIG_DIR/applet.mem"
rig_wait_card present
rig_apdu $SELECT $STATUS "$VERIFY$VALUE" 00B0000018 00B0001804 |
	rig_expect "blocked after a power cycle" 9000 6983 6983 "$PUB 9000" 6982

# --- a blocked card can only be wiped: blank and unprotected ---
rig_apdu $SELECT $WIPE $STATUS 00B0000020 00CA000300 |
	rig_expect "wipe a blocked card" 9000 9000 6A88 "$(printf '0%.0s' $(seq 64)) 9000" \
		"$(printf '%08X' $((CAP - 24))) 9000"
rig_stop_card || rig_fail "lm-vcard exit status $RIG_CARD_STATUS on SIGTERM"
rig_log "PASS"
