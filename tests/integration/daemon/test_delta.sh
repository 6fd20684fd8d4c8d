#!/usr/bin/env bash
# Delta reads of a known card through the real daemon (docs/transport.md
# "Delta reads of a known card"), with our applet as the card: through a
# private pcscd with lm-vcard (CASE pcsc), or through libnfc's pn532_uart
# driver with lm-pn532sim playing the PN532 and the applet card (CASE nfc).
#   1. a cold tap reads the card whole and the office remembers it;
#   2. an entry appended elsewhere: the next tap reads only its bytes;
#   3. after a daemon restart: nothing new, no log byte read;
#   4. the card wiped and rewritten elsewhere with the same holder and the
#      same length, other entries: read whole, shows exactly those;
#   5. an entry deleted: read whole, shows exactly what is left;
#   6. a different card with a copied header (same holder, same length,
#      other entries): read whole, shows exactly its entries.
# Then a protected card (format version 2) of the same holder, unlocked at
# the desk with its access code each tap:
#   a. the first tap: read whole (the office's row for the holder is the
#      version 1 card's, whose chain it does not continue);
#   b. an entry appended elsewhere: only its bytes, every entry valid;
#   c. a new access code (the card rewritten under a new salt, the same
#      entries): read whole; the next tap a delta of nothing;
#   d. an entry deleted and another appended (the same length): read
#      whole, the deleted entry not shown;
#   e. wiped and protected again, the same holder, as many entries of the
#      same length: read whole.
# Then card B again:
#   7. a desk whose role may not show IK, with a vault: no IK entry kept,
#      nor the card's log that holds them.
# Last (pcsc: lm-vcard --decoy), a two-faced card:
#   8. a known card that got an entry of an issuer the trust list does not
#      know; the tap's first log read answers a valid entry of the same
#      length in its place, whose chain fails; the card is read whole and
#      that entry is not shown valid (the check made of the decoy's bytes
#      while the digest was compared is not taken for the card's).
# "Shows exactly": the entry ids of GET /api/card are those `laufmappe card
# read --json` finds on the card, in order.
# Usage (meson sets the environment): LAUFMAPPE=... LAUFMAPPED=... LM_VCARD=...
# LM_PN532SIM=... test_delta.sh pcsc|nfc
set -uo pipefail
[ -n "${LM_TRACE:-}" ] && set -x
CASE=${1:-pcsc}
. "$(dirname "$0")/../pcsc/rig.sh"
rig_enter "$@"
L=${LAUFMAPPE:?} D=${LAUFMAPPED:?}
cd "$RIG_DIR"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
DPID= CPID= SIM_PID=
stop_daemon() {
	[ -n "$CPID" ] && kill "$CPID" 2>/dev/null && wait "$CPID" 2>/dev/null
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	DPID= CPID=
}
stop_sim() { [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null; SIM_PID=; }
trap 'rc=$?; stop_daemon; stop_sim; (exit "$rc"); rig_cleanup' EXIT
export LIBNFC_AUTO_SCAN=false LIBNFC_INTRUSIVE_SCAN=false XDG_CONFIG_HOME=$RIG_DIR HOME=$RIG_DIR
unset LIBNFC_LOG_LEVEL LIBNFC_DEVICE
echo "delta-test-token-0123456789" >token && chmod 600 token

"$L" key generate root.pem >/dev/null && "$L" key generate vhs.pem >/dev/null
"$L" trust create --root root.pem --out trust.cose 2>/dev/null
"$L" trust add trust.cose --root root.pem --pub vhs.pem.pub --name VHS --role course_provider --types IK 2>/dev/null
H=$("$L" holder new)
# entry N: distinct, all of one length (attended 600..699: the same CBOR size)
entry() { "$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=$((600 + $1)) --date 2026-11-24 --out "e$1.cose"; }
for i in $(seq 1 20); do entry "$i"; done

# --- the card on the reader, per transport ---------------------------------
# card_on MEM: the card with memory MEM in the field; card_off; card CMD...:
# the CLI on the card (pcsc: beside the daemon; nfc: the daemon stopped, as
# a libnfc device has one user at a time).
if [ "$CASE" = pcsc ]; then
	rig_start_pcscd
	READER=pcsc
	card_on() {
		MEM=$1
		rig_start_card --memory "$1" --as applet --capacity 2048 ${DECOY:+--decoy "$DECOY"}
		rig_wait_card present
	}
	card_off() { rig_stop_card >/dev/null; }
	field_out() { card_off; }
	field_in() { card_on "$MEM"; }
	card() { "$L" card "$@"; }
else
	SIM=${LM_PN532SIM:?}
	card_on() {
		"$SIM" --tag applet --memory "$1" >sim.out 2>>sim.err &
		SIM_PID=$!
		local pty=
		for _ in $(seq 100); do pty=$(head -n 1 sim.out 2>/dev/null); [ -n "$pty" ] && break; sleep 0.05; done
		[ -n "$pty" ] || { bad "simulator printed no pty"; exit 1; }
		READER=nfc:pn532_uart:$pty
	}
	card_off() { stop_sim; }
	field_out() { kill -USR1 "$SIM_PID"; }
	field_in() { kill -USR2 "$SIM_PID"; }
	card() { "$L" card "$@" --nfc "${READER#nfc:}"; }
fi

# start_daemon: the card leaves the field, the daemon starts and its event
# stream is read, then the card comes back: one tap, seen.
start_daemon() {
	field_out
	cat >d.conf <<EOF
readers = $READER
root_key = $RIG_DIR/root.pem.pub
trust_list = $RIG_DIR/trust.cose
trust_state = $RIG_DIR/d.state
role = ${ROLE:-city}
database = $RIG_DIR/d.db
listen = 127.0.0.1:18420
token_file = $RIG_DIR/token
web_root = ${LM_WEB:-/nonexistent}
poll_ms = 100
${EXTRA_CONF:-}
EOF
	"$D" -d -c d.conf >>d.log 2>&1 &
	DPID=$!
	for _ in $(seq 50); do curl -sf http://127.0.0.1:18420/api/status >/dev/null && break; sleep 0.1; done
	curl -sN http://127.0.0.1:18420/api/events >events.txt &
	CPID=$!
	TAPS=0 LOCKS=0
	sleep 0.3
	field_in
}
# next_tap: wait for the next tap event; sets DELTA (true/false) and LOGREAD.
next_tap() {
	TAPS=$((TAPS + 1))
	for _ in $(seq 100); do [ "$(grep -c '^event: tap' events.txt)" -ge "$TAPS" ] && break; sleep 0.1; done
	local data
	data=$(grep -A1 '^event: tap' events.txt | grep '^data:' | sed -n "${TAPS}p")
	DELTA=$(echo "$data" | grep -o '"delta":[a-z]*' | cut -d: -f2)
	LOGREAD=$(echo "$data" | grep -o '"log_read":[0-9]*' | cut -d: -f2)
	[ -n "$DELTA" ] || bad "no tap $TAPS: $(tail -3 d.log)"
}
ids() { node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{
	console.log((JSON.parse(s).entries||[]).map((e)=>e.id).join(","))})'; }
shown() { curl -s http://127.0.0.1:18420/api/card | ids; }
held() { card read --json 2>/dev/null | ids; }
# expect WHAT DELTA: the tap was (not) a delta read and the desk shows exactly the card.
expect() {
	local what=$1 want=$2 on_card=$3 desk
	desk=$(shown)
	[ "$DELTA" = "$want" ] && ok || bad "$what: delta $DELTA, want $want (log bytes read: $LOGREAD)"
	[ -n "$on_card" ] && [ "$desk" = "$on_card" ] && ok || bad "$what: the desk shows [$desk], the card holds [$on_card]"
}

# format: a PN532 just started may miss the first open's wake-up on a
# loaded host (nfc.c tries twice): a few tries.
format() {
	for _ in 1 2 3; do card format --holder "$H" >format.out 2>&1 && return 0; sleep 0.5; done
	bad "format: $(cat format.out)"
}
# A: format for H with e1..e3.
card_on a.mem
format
for i in 1 2 3; do card append "e$i.cose" >/dev/null 2>&1 || bad "append e$i"; done
held_now=$(held)
[ "$(echo "$held_now" | tr ',' '\n' | wc -l)" = 3 ] && ok || bad "setup: $held_now"

# 1. cold
start_daemon
next_tap
expect "cold tap" false "$held_now"
[ "$LOGREAD" -ge 300 ] && ok || bad "cold tap read $LOGREAD log bytes"

# 2. an entry appended elsewhere: only its bytes (an entry of ~100 bytes)
stop_daemon
used() { card read 2>/dev/null | grep -o '[0-9]* of [0-9]* bytes used' | cut -d' ' -f1; }
u0=$(used)
card append e4.cose >/dev/null 2>&1 || bad "append e4"
held_now=$(held)
size4=$(($(used) - u0)) # on the card: without the holder hint, padded
start_daemon
next_tap
expect "one new entry" true "$held_now"
[ "$size4" -gt 0 ] && [ "$LOGREAD" = "$size4" ] && ok ||
	bad "one new entry of $size4 bytes: $LOGREAD log bytes read"

# 3. a restart, nothing new
stop_daemon
start_daemon
next_tap
expect "after a restart" true "$held_now"
[ "$LOGREAD" = 0 ] && ok || bad "nothing new: $LOGREAD log bytes read"

# 4. wiped and rewritten with the same holder and the same length
stop_daemon
len_before=$(card read 2>/dev/null | grep -o '[0-9]* of [0-9]* bytes used')
card wipe --yes >/dev/null 2>&1 && card format --holder "$H" >/dev/null 2>&1 || bad "wipe, format"
for i in 5 6 7 8; do card append "e$i.cose" >/dev/null 2>&1 || bad "append e$i"; done
[ "$(card read 2>/dev/null | grep -o '[0-9]* of [0-9]* bytes used')" = "$len_before" ] && ok ||
	bad "not the same length: $len_before"
held_now=$(held)
start_daemon
next_tap
expect "wiped and rewritten" false "$held_now"

# 5. an entry deleted
stop_daemon
second=$(echo "$held_now" | cut -d, -f2)
card delete "$second" >/dev/null 2>&1 || bad "card delete"
held_now=$(held)
[ "$(echo "$held_now" | tr ',' '\n' | wc -l)" = 3 ] && ok || bad "after delete: $held_now"
start_daemon
next_tap
expect "an entry deleted" false "$held_now"
# and the next tap of that card is a delta again
stop_daemon
start_daemon
next_tap
expect "the same card again" true "$held_now"

# 6. another card, the header copied: same holder, same length, other entries
stop_daemon
card_off
card_on b.mem
format
for i in 9 10 11; do card append "e$i.cose" >/dev/null 2>&1 || bad "append e$i on B"; done
card_off
dd if=a.mem of=hdr.bin bs=1 skip=1024 count=24 2>/dev/null
dd if=hdr.bin of=b.mem bs=1 seek=1024 conv=notrunc 2>/dev/null
card_on b.mem
held_now=$(held)
[ "$(echo "$held_now" | tr ',' '\n' | wc -l)" = 3 ] && ok || bad "card B: $held_now"
start_daemon
next_tap
expect "another card, header copied" false "$held_now"

# --- a protected card (format version 2), unlocked at the desk -------------
# The office keeps the card's ciphertext; the chain is over it (the applet
# chains the log as stored).  The same holder H: the office holds card B's
# (version 1) log for H, whose chain this card's digest does not continue.
stop_daemon
card_off
card_on c.mem
pformat() {
	for _ in 1 2 3; do
		card format --protect --kdf-iterations 16384 --holder "$H" >pfmt.out 2>&1 && break
		sleep 0.5
	done
	sed -n 's/^access code: //p' pfmt.out >code.txt
	[ -s code.txt ] || bad "format --protect: $(cat pfmt.out)"
}
pformat
for i in 12 13 14; do card append --access-code-file code.txt "e$i.cose" >/dev/null 2>&1 || bad "append e$i on C"; done
pheld() { card read --json --access-code-file code.txt 2>/dev/null | ids; }
pused() { card read --json --access-code-file code.txt 2>/dev/null |
	node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).used))'; }
# punlock: the locked card seen, the code given at the desk a moment later,
# as a person types it: the libnfc reader's watch has activated the card anew
# meanwhile (poll_ms), which ends the applet's selection; the backend
# selects it again before the VERIFY.  One tap.
punlock() {
	LOCKS=$((LOCKS + 1))
	for _ in $(seq 100); do [ "$(grep -c '^event: locked' events.txt)" -ge "$LOCKS" ] && break; sleep 0.1; done
	sleep 0.5
	local st
	st=$(curl -s -o unlock.json -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat token)" \
		http://127.0.0.1:18420/api/card/unlock -d "{\"code\":\"$(cat code.txt)\"}")
	[ "$st" = 200 ] || bad "unlock: $st $(cat unlock.json)"
}
# every entry the desk shows is verified valid
all_valid() { curl -s http://127.0.0.1:18420/api/card | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{
	const e=JSON.parse(s).entries||[];console.log(e.length>0&&e.every((x)=>x.verdict==="valid")?"yes":"no")})'; }
held_now=$(pheld)
[ "$(echo "$held_now" | tr ',' '\n' | wc -l)" = 3 ] && ok || bad "card C: $held_now"

# a. the first unlocked tap: read whole (the office's row for H is card B's)
start_daemon
punlock
next_tap
expect "protected, first tap" false "$held_now"
[ "$(all_valid)" = yes ] && ok || bad "protected, first tap: not all valid"

# b. an entry appended elsewhere: only its bytes, after authentication
stop_daemon
u0=$(pused)
card append --access-code-file code.txt e15.cose >/dev/null 2>&1 || bad "append e15 on C"
held_now=$(pheld)
size15=$(($(pused) - u0))
start_daemon
punlock
next_tap
expect "protected, one new entry" true "$held_now"
[ "$size15" -gt 0 ] && [ "$LOGREAD" = "$size15" ] && ok ||
	bad "protected, one new entry of $size15 bytes: $LOGREAD log bytes read"
[ "$(all_valid)" = yes ] && ok || bad "protected, one new entry: not all valid"

# c. a new access code elsewhere: the card rewritten under a new salt, the
# same entries at the same length: read whole
stop_daemon
card change-code --kdf-iterations 16384 --access-code-file code.txt >cc.out 2>&1 || bad "change-code: $(cat cc.out)"
sed -n 's/^access code: //p' cc.out >code2.txt && [ -s code2.txt ] && mv code2.txt code.txt
[ "$(pheld)" = "$held_now" ] && ok || bad "change-code changed the entries: $(pheld)"
start_daemon
punlock
next_tap
expect "protected, new code" false "$held_now"
# and the next tap of that card is a delta again, nothing new
stop_daemon
start_daemon
punlock
next_tap
expect "protected, the same card again" true "$held_now"
[ "$LOGREAD" = 0 ] && ok || bad "protected, nothing new: $LOGREAD log bytes read"

# d. an entry deleted elsewhere and another appended (the same length: only
# the chain tells): read whole, the deleted entry not shown
stop_daemon
second=$(echo "$held_now" | cut -d, -f2)
len_before=$(pused)
card delete --access-code-file code.txt "$second" >/dev/null 2>&1 || bad "card delete (protected)"
card append --access-code-file code.txt e19.cose >/dev/null 2>&1 || bad "append e19 on C"
held_now=$(pheld)
[ "$(echo "$held_now" | tr ',' '\n' | wc -l)" = 4 ] && [ "$(pused)" = "$len_before" ] && ok ||
	bad "protected, after delete and append: $held_now ($len_before, $(pused))"
start_daemon
punlock
next_tap
expect "protected, an entry deleted" false "$held_now"
case ",$(shown)," in *",$second,"*) bad "protected: the deleted entry is shown" ;; *) ok ;; esac

# e. wiped and protected again, the same holder, as many entries of the same
# length (other ones): read whole
stop_daemon
len_before=$(pused)
card wipe --yes --access-code-file code.txt >/dev/null 2>&1 || bad "wipe (protected)"
pformat
for i in 16 17 18 20; do card append --access-code-file code.txt "e$i.cose" >/dev/null 2>&1 || bad "append e$i on C"; done
[ "$(pused)" = "$len_before" ] && ok || bad "protected, not the same length: $len_before, $(pused)"
held_now=$(pheld)
start_daemon
punlock
next_tap
expect "protected, wiped and protected again" false "$held_now"
[ "$(all_valid)" = yes ] && ok || bad "protected, wiped: not all valid"

# 7. an employer's desk with a vault keeps no entry of a type its role may
# not show (docs/vault.md; IK here): nor the card's log, which holds them.
# (The vault: nothing listens on that loopback port.)
stop_daemon
card_off
card_on b.mem
rm -f d.db d.db-wal d.db-shm
ROLE=employer EXTRA_CONF="vault = host=127.0.0.1 port=9 dbname=vault user=office connect_timeout=1" start_daemon
next_tap
[ "$(sqlite3 d.db 'SELECT count(*) FROM entries')" = 0 ] && ok || bad "the employer's desk kept IK entries"
[ "$(sqlite3 d.db 'SELECT count(*) FROM card_logs')" = 0 ] && ok ||
	bad "the employer's desk with a vault remembered the card's log (its IK entries)"

# 8. a two-faced card (pcsc: lm-vcard's --decoy)
if [ "$CASE" = pcsc ]; then
	stop_daemon
	card_off
	rm -f d.db d.db-wal d.db-shm
	card_on t.mem
	format
	for i in 1 2 3; do card append "e$i.cose" >/dev/null 2>&1 || bad "append e$i on T"; done
	held_now=$(held)
	start_daemon
	next_tap
	expect "two-faced card, first tap" false "$held_now"
	stop_daemon
	u0=$(used)
	cp t.mem t0.mem
	card append e4.cose >/dev/null 2>&1 || bad "append e4 on T"
	size4=$(($(used) - u0))
	card_off
	dd if=t.mem of=decoy.img bs=1024 skip=1 2>/dev/null # the image with e4
	cp t0.mem t.mem
	card_on t.mem
	"$L" key generate stranger.pem >/dev/null
	"$L" issue --key stranger.pem --holder "$H" --type IK --set planned=700 --set attended=604 \
		--date 2026-11-24 --out x.cose
	card append x.cose >/dev/null 2>&1 || bad "append the stranger's entry on T"
	[ "$(($(used) - u0))" = "$size4" ] && ok || bad "the stranger's entry is not as long as e4"
	held_now=$(held)
	card_off
	DECOY=$RIG_DIR/decoy.img
	start_daemon
	next_tap
	DECOY=
	expect "two-faced card" false "$held_now"
	grep -q "decoy: $size4 bytes" "$RIG_DIR/card.log" && ok || bad "the card showed no decoy"
	last=$(curl -s http://127.0.0.1:18420/api/card | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{
		const e=JSON.parse(s).entries||[];console.log(e.length?e[e.length-1].verdict:"none")})')
	[ "$last" = unknown_issuer ] && ok || bad "two-faced card: the stranger's entry shown $last"

	# 9. a lying card first, then an honest card of the same holder: the
	#    office must not remember bytes with a digest that is not their
	#    chain.  T9 holds the stranger's entry first (four entries: the
	#    first log read, all but the last 240 bytes, covers it whole); the decoy image holds
	#    e1 (as long) in its place, which the cold tap's first log read
	#    answers.  Then the card is honest (no --decoy): its digest is the
	#    one the office stored with the decoy's bytes, so a delta of
	#    nothing would show e1 valid where the card holds the stranger's.
	stop_daemon
	card_off
	rm -f d.db d.db-wal d.db-shm
	"$L" issue --key stranger.pem --holder "$H" --type IK --set planned=700 --set attended=601 \
		--date 2026-11-24 --out y.cose
	card_on t9d.mem
	format
	for f in e1 e2 e3 e5; do card append "$f.cose" >/dev/null 2>&1 || bad "append $f on the decoy"; done
	card_off
	dd if=t9d.mem of=decoy9.img bs=1024 skip=1 2>/dev/null
	card_on t9.mem
	format
	for f in y e2 e3 e5; do card append "$f.cose" >/dev/null 2>&1 || bad "append $f on T9"; done
	held_now=$(held)
	card_off
	: >"$RIG_DIR/card.log"
	DECOY=$RIG_DIR/decoy9.img
	start_daemon
	next_tap
	DECOY=
	grep -q "decoy:" "$RIG_DIR/card.log" && ok || bad "lying card: no decoy shown"
	stop_daemon
	card_off
	card_on t9.mem
	start_daemon
	next_tap
	expect "an honest card after a lying one of its holder" false "$held_now"
	first=$(curl -s http://127.0.0.1:18420/api/card | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{
		const e=JSON.parse(s).entries||[];console.log(e.length?e[0].verdict:"none")})')
	[ "$first" = unknown_issuer ] && ok || bad "honest card after a lying one: its stranger's entry shown $first"
fi

stop_daemon
card_off
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
