#!/usr/bin/env bash
# laufmapped end to end: through a private pcscd with lm-vcard (tap, the
# verified folder over the API, append with and without the token, pcscd
# killed and restarted, the card pulled during a read and an append), and
# over image files (the fake transport) for the cache faults (database
# locked by another process, a full filesystem), the lost card (export at
# office A, import at office B, restore onto a new card) and the API's
# answers to bad requests; a flood of idle connections (flood); staff
# sign-in: accounts, the setup link, sessions, the Origin check and the
# write log (staff); protected
# cards: on image files (protected), protected at the desk with a cut at
# every APDU (protect), through libnfc and the PN532 simulator
# (protected-nfc, its frame log searched for plaintext) and through pcscd
# with the applet (protected-pcsc); the verifier processes (verifier), trust
# lists replaced twice during a tap (verifier-swap).
# Usage (meson sets the environment): LAUFMAPPE=... LAUFMAPPED=... LM_VCARD=... test_daemon.sh CASE
set -uo pipefail
[ -n "${LM_TRACE:-}" ] && set -x
. "$(dirname "$0")/../pcsc/rig.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
rig_enter "$@"
L=${LAUFMAPPE:?} D=${LAUFMAPPED:?} WEB=${LM_WEB:?}
cd "$RIG_DIR"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
TOKEN=daemon-test-token-0123456789
umask 022 # as run by hand: the daemon makes its own files private
echo "$TOKEN" >token
chmod 600 token
DPIDS=()
stop_daemons() { for p in "${DPIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; DPIDS=(); }
# rig_cleanup exits with the status it finds in $?: the script's, not stop_daemons'.
trap 'rc=$?; stop_daemons; (exit "$rc"); rig_cleanup' EXIT

"$L" key generate root.pem >/dev/null && "$L" key generate city.pem >/dev/null && "$L" key generate vhs.pem >/dev/null
"$L" trust create --root root.pem --out trust.cose 2>/dev/null
"$L" trust add trust.cose --root root.pem --pub city.pem.pub --name "Stadt Krefeld" --role city --types REG,BER,MENT 2>/dev/null
"$L" trust add trust.cose --root root.pem --pub vhs.pem.pub --name "VHS Krefeld" --role course_provider --types IK 2>/dev/null
H=$("$L" holder new)
"$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=700 --date 2026-11-24 --out ik.cose

# start_daemon NAME PORT READER [DB]: a daemon with its own config; sets URL.
start_daemon() {
	local name=$1 port=$2 reader=$3 db=${4:-$RIG_DIR/$1.db}
	cat >"$name.conf" <<EOF
readers = $reader
root_key = $RIG_DIR/root.pem.pub
trust_list = $RIG_DIR/trust.cose
institution = Stadt Krefeld
role = city
signing_key = $RIG_DIR/city.pem
database = $db
listen = 127.0.0.1:$port
token_file = $RIG_DIR/token
web_root = $WEB
poll_ms = 100
${EXTRA_CONF:-}
EOF
	"$D" -d -c "$name.conf" >>"$name.log" 2>&1 &
	DPIDS+=($!)
	URL=http://127.0.0.1:$port
	for _ in $(seq 50); do curl -sf "$URL/api/status" >/dev/null && return 0; sleep 0.1; done
	bad "$name did not start: $(tail -3 "$name.log")"
}
# wait_state STATE [SECONDS]: until the first reader reports STATE.
wait_state() {
	for _ in $(seq $((${2:-10} * 10))); do
		curl -s "$URL/api/readers" | grep -q "\"state\":\"$1\"" && return 0
		sleep 0.1
	done
	return 1
}
code() { curl -s -o resp.json -w '%{http_code}' "$@"; } # the HTTP status; the body in resp.json
entries() { curl -s "$URL/api/card" | grep -o '"verdict":"valid"' | wc -l; }
# After a card was pulled and put back, vpcd and pcscd may report it gone and
# back once more (a loaded machine widens that window): the reader is then
# "reading" for a moment and /api/card has no entries.  Wait for a settled read.
entries_settled() {
	local n=0
	for _ in $(seq 50); do
		n=$(entries)
		[ "$n" -gt 0 ] && break
		sleep 0.1
	done
	echo "$n"
}
append_ber() {
	curl -s -o resp.json -w '%{http_code}' -X POST "$@" "$URL/api/card/append" \
		-d '{"entry":{"type":"BER","date":"2026-11-25","fields":{"service":"job_counselling","next":"2026-12-08"}}}'
}
alive() { kill -0 "${DPIDS[0]}" 2>/dev/null && ok || bad "the daemon died: $*"; }
# put_card IMG: IMG on the image-file reader pcard.img, whole at once (a
# reader polling while cp writes would see a short card).
put_card() { cp "$1" pcard.img.new && mv pcard.img.new pcard.img; }
# protected_image: p.img, the holder's protected card with ik.cose; CODE
# (its access code, also in code.txt) and REC (the recovery line) set.
protected_image() {
	"$L" image new --holder "$H" --capacity 888 --out p.img --protect --kdf-iterations 16384 >new.txt 2>/dev/null
	CODE=$(sed -n 's/^access code: //p' new.txt)
	REC=$(sed -n 's/^recovery: //p' new.txt)
	printf '%s\n' "$CODE" >code.txt
	"$L" image append --access-code-file code.txt p.img ik.cose 2>/dev/null || bad "image append (protected)"
}
# protected_desk PORT: daemon p on PORT reading fake:pcard.img, the
# protected card (protected_image) on it, unlocked, and a BER written to it.
protected_desk() {
	protected_image
	put_card p.img
	start_daemon p "$1" "fake:$RIG_DIR/pcard.img"
	auth=(-H "Authorization: Bearer $TOKEN")
	wait_state locked && [ "$(code -X POST "${auth[@]}" "$URL/api/card/unlock" -d "{\"code\":\"$CODE\"}")" = 200 ] &&
		ok || bad "unlock: $(cat resp.json)"
	[ "$(append_ber "${auth[@]}")" = 200 ] && ok || bad "append: $(cat resp.json)"
}

case ${1:-pcsc} in
pcsc)
	rig_start_pcscd
	rig_start_card --memory card.mem --as applet --capacity 2048
	rig_wait_card present
	"$L" card format --holder "$H" >/dev/null 2>&1 && "$L" card append ik.cose 2>/dev/null || bad "card setup"
	start_daemon a 18181 pcsc
	wait_state card && ok || bad "no tap: $(curl -s "$URL/api/readers")"
	[ "$(entries)" = 1 ] && ok || bad "the API's folder: $(curl -s "$URL/api/card")"
	# Verified by the pool's workers (one per core), the fresh verdict stored
	# with the tap (verify_threads, vpool.c).
	grep -q "verification worker" a.log && ok || bad "no verification workers: $(head -5 a.log)"
	[ "$(sqlite3 a.db "SELECT count(*) FROM verdicts")" = 1 ] && ok ||
		bad "the pool's verdict was not stored: $(sqlite3 a.db "SELECT count(*) FROM verdicts")"
	[ "$(append_ber)" = 401 ] && ok || bad "append without the token: $(cat resp.json)"
	[ "$(append_ber -H "Authorization: Bearer wrong-token-xxxxxxxx")" = 401 ] && ok || bad "wrong token"
	[ "$(append_ber -H "Authorization: Bearer $TOKEN")" = 200 ] && ok || bad "append: $(cat resp.json)"
	[ "$(entries)" = 2 ] && ok || bad "after the append: $(curl -s "$URL/api/card")"
	"$L" card read --trust trust.cose --root root.pem.pub >read.txt 2>&1 && grep -q "2 of 2" read.txt && ok ||
		bad "the card after the append: $(cat read.txt)"
	# A pre-signed entry (with its holder hint), as base64.
	"$L" issue --key city.pem --holder "$H" --type MENT --set programme="Paten Krefeld" --out ment.cose
	code=$(curl -s -o resp.json -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
		"$URL/api/card/append" -d "{\"signed\":\"$(base64 -w0 ment.cose)\"}")
	[ "$code" = 200 ] && [ "$(entries)" = 3 ] && ok || bad "pre-signed append: $code $(cat resp.json)"
	# The card pulled during an append: 503, the card still valid.
	rig_stop_card
	wait_state empty && ok || bad "card removal not seen"
	rig_start_card --memory card.mem --as applet --pull-after-apdus 9
	wait_state card && ok || bad "no tap after reinsert: $(curl -s "$URL/api/readers")"
	code=$(append_ber -H "Authorization: Bearer $TOKEN")
	[ "$code" = 503 ] && ok || bad "append with the card pulled: $code $(cat resp.json)"
	rig_wait_card_exit
	alive "card pulled during an append"
	# pcscd killed and started again while the daemon runs.
	rig_start_card --memory card.mem --as applet
	wait_state card && ok || bad "no tap after the pull"
	v=$(entries_settled)
	[ "$v" = 3 ] || [ "$v" = 4 ] && ok || bad "after the pulled append: $v valid entries"
	rig_stop_pcscd
	wait_state error && ok || bad "pcscd gone not reported: $(curl -s "$URL/api/readers")"
	alive "pcscd killed"
	rig_start_pcscd
	wait_state card 20 && ok || bad "no tap after the pcscd restart: $(curl -s "$URL/api/readers")"
	[ "$(entries_settled)" = "$v" ] && ok || bad "after the pcscd restart"
	# The card pulled during the daemon's read: an error, then a good tap.
	# (After SELECT: a card this office knows takes only SELECT and one
	# GET DATA when nothing is new, docs/transport.md "Delta reads".)
	rig_stop_card
	wait_state empty || true
	rig_start_card --memory card.mem --as applet --pull-after-apdus 1
	rig_wait_card_exit
	alive "card pulled during a read"
	rig_start_card --memory card.mem --as applet
	wait_state card && [ "$(entries_settled)" = "$v" ] && ok || bad "tap after the pulled read"
	;;
cache)
	# Database locked by another process: the tap is shown, the cache reports
	# busy, the daemon lives, and nothing is lost once the lock is gone.
	"$L" image new --holder "$H" --capacity 888 --out img.new >/dev/null
	"$L" image append img.new ik.cose 2>/dev/null
	start_daemon a 18182 "fake:$RIG_DIR/card.img"
	(echo "BEGIN EXCLUSIVE; INSERT INTO meta VALUES ('lock', 1);"; sleep 6; echo "ROLLBACK;") | sqlite3 a.db &
	locker=$!
	sleep 0.5
	cp img.new card.img
	wait_state card && ok || bad "no tap while locked"
	curl -s "$URL/api/card" | grep -q '"cache_error":"db_busy"' && ok || bad "busy not reported: $(curl -s "$URL/api/card" | head -c 300)"
	alive "database locked"
	wait "$locker"
	rm card.img
	wait_state empty
	cp img.new card.img
	wait_state card
	curl -s "$URL/api/holders/$H" | grep -q '"verdict":"valid"' && ok || bad "not cached after the lock: $(curl -s "$URL/api/holders/$H")"
	stop_daemons
	# A full filesystem under the database.
	mkdir -p small && mount -t tmpfs -o size=400k tmpfs small
	start_daemon b 18183 "fake:$RIG_DIR/card2.img" "$RIG_DIR/small/b.db"
	dd if=/dev/zero of=small/filler bs=4k count=200 2>/dev/null
	"$L" image new --holder "$("$L" holder new)" --capacity 888 --out card2.img >/dev/null
	wait_state card && ok || bad "no tap on a full disk"
	curl -s "$URL/api/card" | grep -q '"cache_error":"db_' && ok || bad "full disk not reported: $(curl -s "$URL/api/card" | head -c 300)"
	alive "full filesystem"
	stop_daemons
	umount small
	# Retention: an entry not seen on any card for cache_days is deleted
	# (with its card and holder rows); one seen again is kept.
	cp img.new card4.img
	EXTRA_CONF="cache_days = 1" start_daemon r 18190 "fake:$RIG_DIR/card4.img"
	wait_state card
	curl -s "$URL/api/holders/$H" | grep -q '"verdict":"valid"' && ok || bad "retention: not cached"
	stop_daemons
	rm card4.img
	sqlite3 r.db "UPDATE entries SET last_seen = 0; UPDATE cards SET last_seen = 0;"
	EXTRA_CONF="cache_days = 1" start_daemon r 18190 "fake:$RIG_DIR/card4.img"
	sleep 0.5
	[ "$(sqlite3 r.db "SELECT count(*) FROM entries; SELECT count(*) FROM cards;" | paste -sd,)" = 0,0 ] && ok ||
		bad "entries past cache_days kept: $(sqlite3 r.db "SELECT count(*) FROM entries")"
	grep -q "cached entries not seen for 1 days deleted" r.log && ok || bad "retention not logged: $(cat r.log)"
	stop_daemons
	# A damaged database: the desk still reads and verifies cards, says the
	# cache is broken, leaves the file as it was, and stores again once the
	# file is moved aside.
	head -c 16384 /dev/urandom >c.db
	sum=$(sha256sum <c.db)
	start_daemon c 18188 "fake:$RIG_DIR/card3.img"
	curl -s "$URL/api/status" | grep -q '"cache":{"ok":false,"error":"db_corrupt"}' && ok ||
		bad "damaged cache not in the status: $(curl -s "$URL/api/status")"
	grep -q "running without the office cache" c.log && ok || bad "damaged cache not logged: $(cat c.log)"
	cp img.new card3.img
	wait_state card && [ "$(entries)" = 1 ] && ok || bad "no verified tap with a damaged cache: $(curl -s "$URL/api/card")"
	[ "$(sha256sum <c.db)" = "$sum" ] && ok || bad "the damaged database was changed"
	alive "damaged database"
	rm card3.img
	wait_state empty
	mv c.db c.db.damaged
	cp img.new card3.img
	wait_state card
	curl -s "$URL/api/holders/$H" | grep -q '"verdict":"valid"' && ok ||
		bad "not stored after the damaged file was moved aside: $(curl -s "$URL/api/holders/$H")"
	stop_daemons
	;;
verdicts)
	# The desk keeps the format's promises (issue 14), through the real daemon.
	verdict_of() { curl -s "$URL/api/card" | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{
		const e=JSON.parse(s).entries||[];console.log(e.map((x)=>x.verdict+(x.first_seen_after_revocation?"+revoked_later":"")).join(","))})'; }
	# show IMG: the card on the reader is IMG (taken away first).
	show() { rm -f card.img; wait_state empty; cp "$1" card.img; wait_state card; }
	"$L" image new --holder "$H" --capacity 888 --out a.img >/dev/null
	"$L" image append a.img ik.cose 2>/dev/null
	# 1. A's entry copied onto B's card: the image with B's holder id.
	B=$("$L" holder new)
	cp a.img b.img
	printf '%s' "$B" | xxd -r -p | dd of=b.img bs=1 seek=8 conv=notrunc 2>/dev/null
	start_daemon a 18191 "fake:$RIG_DIR/card.img"
	show a.img
	[ "$(verdict_of)" = valid ] && ok || bad "A's card: $(verdict_of)"
	show b.img
	[ "$(verdict_of)" = bad_signature ] && ok || bad "the copy on B's card after A's, at one desk: $(verdict_of)"
	stop_daemons
	start_daemon b 18192 "fake:$RIG_DIR/card.img"
	show b.img
	[ "$(verdict_of)" = bad_signature ] && ok || bad "the copy on B's card first: $(verdict_of)"
	show a.img
	[ "$(verdict_of)" = valid ] && ok || bad "A's genuine entry after the copy was seen: $(verdict_of)"
	# The genuine entry stays filed under A: restore and export have it.
	curl -s "$URL/api/holders/$H" | grep -q '"verdict":"valid"' && ok || bad "A's folder in the cache: $(curl -s "$URL/api/holders/$H")"
	stop_daemons

	# 2. A failure to compute is no verdict: ECDSA verify fails as on an
	# exhausted heap (preloaded shim) while fault.on exists.
	rm -f fault.on card.img
	LD_PRELOAD=${LM_CRYPTO_FAULT:?} LM_FAULT_FILE=$RIG_DIR/fault.on start_daemon c 18193 "fake:$RIG_DIR/card.img"
	touch fault.on
	show a.img
	[ "$(verdict_of)" = unchecked ] && ok || bad "under the fault: $(verdict_of)"
	[ "$(sqlite3 c.db "SELECT count(*) FROM verdicts")" = 0 ] && ok || bad "a failure was cached: $(sqlite3 c.db "SELECT * FROM verdicts")"
	grep -q "could not be checked: an allocation failed" c.log && ok || bad "the failure was not logged: $(tail -3 c.log)"
	rm fault.on
	show a.img
	[ "$(verdict_of)" = valid ] && ok || bad "tapped again without the fault: $(verdict_of)"
	stop_daemons
	LD_PRELOAD=$LM_CRYPTO_FAULT LM_FAULT_FILE=$RIG_DIR/fault.on start_daemon c 18193 "fake:$RIG_DIR/card.img"
	show a.img
	[ "$(verdict_of)" = valid ] && ok || bad "after a restart: $(verdict_of)"
	stop_daemons

	# 3. A trust list is its hash: two lists with one version.
	cp trust.cose t0.cose
	cp t0.cose ta.cose
	"$L" trust add ta.cose --root root.pem --pub root.pem.pub --name "Root as issuer" --role city --types REG 2>/dev/null
	vhs_kid=$("$L" trust show t0.cose --root root.pem.pub --json | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>
		console.log(JSON.parse(s).institutions.find((i)=>i.name==="VHS Krefeld").kid))')
	cp t0.cose tb.cose
	"$L" trust revoke tb.cose --root root.pem --kid "$vhs_kid" --at 2026-01-01 2>/dev/null
	va=$("$L" trust show ta.cose --root root.pem.pub --json | grep -o '"version":[0-9]*')
	vb=$("$L" trust show tb.cose --root root.pem.pub --json | grep -o '"version":[0-9]*')
	[ "$va" = "$vb" ] && ! cmp -s ta.cose tb.cose && ok || bad "two lists with one version: $va $vb"
	cp ta.cose trust.cose
	start_daemon d 18194 "fake:$RIG_DIR/card.img"
	show a.img
	[ "$(verdict_of)" = valid ] && ok || bad "under list A: $(verdict_of)"
	stat -c %a trust.state | grep -qx 600 && ok || bad "trust state mode: $(stat -c %a trust.state)"
	cp tb.cose trust.cose
	kill -HUP "${DPIDS[0]}"
	sleep 0.5
	curl -s "$URL/api/status" | grep -q '"refused":{"code":"trust_swapped"' && ok || bad "the swap is not in the status: $(curl -s "$URL/api/status")"
	grep -q "was accepted with other bytes" d.log && ok || bad "the swap was not logged: $(tail -3 d.log)"
	show a.img
	[ "$(verdict_of)" = valid ] && ok || bad "list A stays in force: $(verdict_of)"
	stop_daemons
	# Neither losing the cache nor a restart lowers the guard.
	rm -f d.db d.db-wal d.db-shm
	"$D" -n -c d.conf >d.check 2>&1 && bad "a swapped list was accepted at start without the cache" ||
		{ grep -q "was accepted with other bytes" d.check && ok || bad "swap at start: $(cat d.check)"; }
	cp t0.cose trust.cose
	"$D" -n -c d.conf >d.check 2>&1 && bad "an older list was accepted at start without the cache" ||
		{ grep -q "older than the accepted" d.check && ok || bad "rollback at start: $(cat d.check)"; }
	# A newer list that revokes the key: verdicts of list A are not reused.
	cp tb.cose trust.cose
	"$L" key generate new.pem >/dev/null
	"$L" trust add trust.cose --root root.pem --pub new.pem.pub --name "Stadt 2" --role city --types REG 2>/dev/null
	start_daemon d 18194 "fake:$RIG_DIR/card.img"
	show a.img
	[ "$(verdict_of)" = key_not_valid ] && ok || bad "under the newer list that revokes: $(verdict_of)"
	stop_daemons

	# 4. A key revoked from yesterday: an entry dated before, first seen here
	# after it, is valid but marked; one this office saw before is not.
	cp t0.cose trust.cose
	"$L" trust revoke trust.cose --root root.pem --kid "$vhs_kid" --at "$(date -u -d yesterday +%F)" 2>/dev/null
	EXTRA_CONF="trust_state = $RIG_DIR/e.state" start_daemon e 18195 "fake:$RIG_DIR/card.img"
	show a.img
	[ "$(verdict_of)" = valid+revoked_later ] && ok || bad "back-dated entry not marked: $(verdict_of)"
	sqlite3 e.db "UPDATE entries SET first_seen = 1700000000"
	show a.img
	[ "$(verdict_of)" = valid ] && ok || bad "an entry seen before the revocation was marked: $(verdict_of)"
	;;
lostcard)
	# Office A reads the card; the card is lost; office B imports A's export
	# and restores the folder onto a new card formatted for the holder.
	"$L" image new --holder "$H" --capacity 888 --out old.img >/dev/null
	"$L" image append old.img ik.cose 2>/dev/null
	"$L" issue --key city.pem --holder "$H" --type MENT --set programme="Paten Krefeld" --out ment.cose
	"$L" image append old.img ment.cose 2>/dev/null
	start_daemon a 18184 "fake:$RIG_DIR/a.img"
	cp old.img a.img
	wait_state card || bad "office A: no tap"
	rm a.img old.img
	curl -sf -H "Authorization: Bearer $TOKEN" "$URL/api/export" >export.json && ok || bad "export"
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/export")" = 401 ] && ok || bad "export without the token"
	stop_daemons
	start_daemon b 18185 "fake:$RIG_DIR/new.img"
	curl -s -H "Authorization: Bearer $TOKEN" -X POST "$URL/api/import" --data-binary @export.json >import.json
	grep -q '"imported":2' import.json && ok || bad "import: $(cat import.json)"
	curl -s -H "Authorization: Bearer $TOKEN" -X POST "$URL/api/import" --data-binary @export.json >import.json
	grep -q '"skipped":2' import.json && ok || bad "import twice: $(cat import.json)"
	# The paper backup's QR codes: several cached entries in one code.
	ids=$(curl -s "$URL/api/holders/$H" | grep -o '"id":"[0-9a-f]\{64\}"' | cut -d'"' -f4 | paste -sd,)
	[ "$(code "$URL/api/qr?holder=$H&id=$ids")" = 200 ] && [ ${#ids} -eq 129 ] && grep -q '<svg' resp.json &&
		ok || bad "QR code of two entries ($ids): $(head -c 200 resp.json)"
	[ "$(code "$URL/api/qr?holder=$H&id=${ids:0:64},")" = 400 ] && ok || bad "QR id list with a dangling comma"
	[ "$(code "$URL/api/qr?holder=$H&id=$(printf '%064d' 0)")" = 404 ] && ok || bad "QR code of an unknown entry"
	sed 's/"signed":"hE/"signed":"hF/' export.json >forged.json
	curl -s -H "Authorization: Bearer $TOKEN" -X POST "$URL/api/import" --data-binary @forged.json >import.json
	grep -q '"rejected":[12]' import.json && ok || bad "forged import: $(cat import.json)"
	"$L" image new --holder "$H" --capacity 888 --out new.img >/dev/null
	wait_state card || bad "office B: no tap of the new card"
	curl -s -H "Authorization: Bearer $TOKEN" -X POST "$URL/api/holders/$H/restore" -d '{}' >restore.json
	grep -q '"written":2' restore.json && ok || bad "restore: $(cat restore.json)"
	"$L" verify --trust trust.cose --root root.pem.pub new.img >verify.txt && grep -q "2 of 2" verify.txt && ok ||
		bad "the new card: $(cat verify.txt)"
	# The office's write log has the import and the restore, by the token.
	[ "$(sqlite3 "$RIG_DIR/b.db" "SELECT staff, action, holder, detail FROM audit WHERE action != 'import' OR detail LIKE '2 imported%'")" = \
		"token|import||2 imported, 0 skipped, 0 rejected
token|restore|$H|2 entries" ] && ok || bad "the write log of B: $(sqlite3 "$RIG_DIR/b.db" 'SELECT * FROM audit')"
	;;
delete)
	# The holder asks for an entry to be deleted: the card is rewritten
	# without it and the office cache forgets it.  Cut short at every APDU of
	# the rewrite, the card is afterwards (with a restore) as it was or as
	# asked, never less.
	rig_start_pcscd
	"$L" issue --key city.pem --holder "$H" --type MENT --set programme="Paten Krefeld" --out ment.cose
	"$L" issue --key city.pem --holder "$H" --type BER --set service=other --date 2026-11-26 --out ber.cose
	rig_start_card --memory card.mem --as applet --capacity 2048
	rig_wait_card present
	{ "$L" card format --holder "$H" && "$L" card append ik.cose && "$L" card append ment.cose &&
		"$L" card append ber.cose; } >/dev/null 2>&1 || bad "card setup"
	rig_stop_card
	cp card.mem card.orig
	ids_on_card() { curl -s "$URL/api/card" | grep -o '"id":"[0-9a-f]\{64\}"' | cut -d'"' -f4 | sort | paste -sd' '; }
	start_daemon a 18189 pcsc
	# How many APDUs a tap takes (lm-vcard --verbose logs each answer).
	before=$(grep -c "^lm-vcard: -> [0-9A-F]" card.log)
	rig_start_card --memory card.mem --as applet --verbose
	wait_state card && [ "$(entries)" = 3 ] && ok || bad "tap: $(curl -s "$URL/api/card" | head -c 300)"
	tap_apdus=$(($(grep -c "^lm-vcard: -> [0-9A-F]" card.log) - before))
	all=$(ids_on_card)
	del=$(curl -s "$URL/api/card" | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>
		console.log(JSON.parse(s).entries.find((e)=>e.type==="MENT").id))')
	kept=$(echo "$all" | tr ' ' '\n' | grep -v "$del" | paste -sd' ')
	del_req() { code -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/card/delete" -d "{\"id\":\"$1\"}"; }
	[ "$(code -X POST "$URL/api/card/delete" -d "{\"id\":\"$del\"}")" = 401 ] && ok || bad "delete without the token"
	[ "$(del_req "$(printf '%064d' 0)")" = 404 ] && ok || bad "delete of an entry the card lacks: $(cat resp.json)"
	rig_stop_card
	wait_state empty
	k=0 done_at=
	while [ "$k" -lt 80 ] && [ -z "$done_at" ]; do
		cp card.orig card.mem
		rig_start_card --memory card.mem --as applet --pull-after-apdus $((tap_apdus + k))
		wait_state card || bad "cut $k: no tap"
		rc=$(del_req "$del")
		if [ "$rc" = 200 ]; then
			done_at=$k
		else
			# Cut after the wipe, the answer names the holder to restore.
			grep -q '"restore"' resp.json || [ "$k" -lt 4 ] ||
				bad "cut after $k APDUs: no restore hint: $(cat resp.json)"
			rig_stop_card # pulled by now, or taken away here
			wait_state empty
			rig_start_card --memory card.mem --as applet
			wait_state card
			curl -s -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/holders/$H/restore" -d '{}' >/dev/null
			now=$(ids_on_card)
			[ "$now" = "$all" ] || [ "$now" = "$kept" ] && ok ||
				bad "cut after $k APDUs of the delete ($rc): the card holds [$now], want [$all] or [$kept]"
		fi
		rig_stop_card
		wait_state empty
		k=$((k + 1))
	done
	echo "delete: cut at each of $done_at APDUs, then done"
	[ -n "$done_at" ] && [ "$done_at" -gt 5 ] && ok || bad "the delete never completed ($k tries)"
	# Done: the card verifies without it, and the cache forgot it.
	rig_start_card --memory card.mem --as applet
	wait_state card
	[ "$(ids_on_card)" = "$kept" ] && [ "$(entries)" = 2 ] && ok || bad "after the delete: $(ids_on_card)"
	curl -s "$URL/api/holders/$H" | grep -q "$del" && bad "the cache still holds the deleted entry" || ok
	stop_daemons
	"$L" card read --trust trust.cose --root root.pem.pub >read.txt 2>&1 && grep -q "2 of 2" read.txt && ok ||
		bad "the card after the delete: $(cat read.txt)"
	;;
api)
	EXTRA_CONF="host_names = desk-3, desk-3.stadt.example:9000" start_daemon a 18186 "fake:$RIG_DIR/none.img"
	[ "$(code "$URL/nope")" = 404 ] && grep -q not_found resp.json && ok || bad "unknown path"
	[ "$(code "$URL/api/vocab")" = 200 ] && grep -q '"name":"BER","title":"counselling appointment"' resp.json &&
		grep -q '"service":{"key":38,"kind":"enum","values":\["migration_counselling"' resp.json && ok ||
		bad "GET /api/vocab: $(head -c 300 resp.json)"
	[ "$(code -X DELETE "$URL/api/status")" = 405 ] && ok || bad "wrong method"
	[ "$(code -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/card/append" -d '{not json')" = 400 ] &&
		grep -q bad_json resp.json && ok || bad "bad JSON: $(cat resp.json)"
	head -c 70000 /dev/zero | tr '\0' 'a' >big.txt
	[ "$(code -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/card/append" --data-binary @big.txt)" = 413 ] && ok ||
		bad "oversize body: $(cat resp.json)"
	[ "$(code -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/card/append" -d '{"entry":{"type":"XYZ"}}')" = 400 ] && ok ||
		bad "unknown type"
	[ "$(code -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/card/append" -d '{"entry":{"type":"IK"}}')" = 403 ] && ok ||
		bad "a type the institution may not sign: $(cat resp.json)"
	# A NUL in any JSON string is refused, not cut there; text after the
	# JSON value is refused.
	post() { code -X POST -H "Authorization: Bearer $TOKEN" "$URL$1" -d "$2"; }
	for b in '{"entry":{"type":"MENT","fields":{"programme":"a\u0000b"}}}' \
		'{"entry":{"type":"BER","date":"2026-11-25\u0000x","fields":{"service":"other"}}}' \
		'{"entry":{"type":"BER","fields":{"service\u0000x":"other"}}}' \
		'{"reader\u0000":"x","entry":{"type":"BER","fields":{"service":"other"}}}'; do
		[ "$(post /api/card/append "$b")" = 400 ] && grep -q '"bad_value"' resp.json && ok ||
			bad "a NUL in a JSON string ($b): $(cat resp.json)"
	done
	[ "$(post /api/card/delete "{\"id\":\"$(printf '%064d' 0)\u0000\"}")" = 400 ] && grep -q '"bad_value"' resp.json && ok ||
		bad "a NUL in the id to delete: $(cat resp.json)"
	[ "$(post /api/import '{"entries":[{"holder":"'"$H"'\u0000","signed":"hE"}]}')" = 400 ] && grep -q '"bad_value"' resp.json && ok ||
		bad "a NUL in an import: $(cat resp.json)"
	for r in /api/card/append /api/card/delete /api/import /api/holders/$H/restore; do
		for b in '{"entries":[]} x' '{"entries":[]}{}' '{"entries":[]}]'; do
			[ "$(post "$r" "$b")" = 400 ] && grep -q '"bad_json"' resp.json && ok ||
				bad "$r with text after the JSON ($b): $(cat resp.json)"
		done
	done
	[ "$(post /api/import $' {"entries":[]}\n ')" = 200 ] && ok || bad "whitespace around the JSON: $(cat resp.json)"
	[ "$(code "$URL/static/../../etc/passwd")" = 404 ] && ok || bad "path traversal"
	[ "$(code "$URL/api/holders/xyz")" = 400 ] && ok || bad "bad holder id"
	# DNS rebinding: a page elsewhere whose name now points at 127.0.0.1
	# sends its own name as Host; only our names are answered.
	for h in evil.example:18186 127.0.0.10:18186 localhost:18187 localhost; do
		[ "$(code -H "Host: $h" "$URL/api/card")" = 421 ] && grep -q bad_host resp.json && ok ||
			bad "Host $h was answered: $(cat resp.json)"
	done
	for h in 127.0.0.1:18186 localhost:18186 LOCALHOST:18186 "[::1]:18186" desk-3:18186 desk-3.stadt.example:9000; do
		[ "$(code -H "Host: $h" "$URL/api/status")" = 200 ] && ok || bad "Host $h was refused: $(cat resp.json)"
	done
	# Files the daemon makes are its own (0600), even under umask 022; a
	# token file others may read is refused, at start and by -n.
	for f in a.db a.db-wal a.db-shm; do
		[ "$(stat -c %a "$f")" = 600 ] && ok || bad "$f is mode $(stat -c %a "$f")"
	done
	# Its group may read it only when that is the daemon's own group (the
	# packaged root:_laufmapped 0640).
	chmod 640 token
	chgrp nogroup token
	"$D" -n -c a.conf >tok.txt 2>&1 && bad "-n accepted a token file readable by another group" ||
		{ grep -q "token file .*readable by group or others" tok.txt && ok || bad "-n on a 0640 token: $(cat tok.txt)"; }
	sed 's/^listen = .*/listen = 127.0.0.1:18193/' a.conf >tok.conf
	timeout 5 "$D" -d -c tok.conf >tok.txt 2>&1 && bad "a token file readable by another group was accepted" ||
		{ grep -q "token file .*readable by group or others" tok.txt && ok || bad "start with a 0640 token: $(cat tok.txt)"; }
	chmod 604 token
	chgrp "$(id -g)" token
	"$D" -n -c a.conf >tok.txt 2>&1 && bad "-n accepted a token file others may read" ||
		{ grep -q "token file .*readable by group or others" tok.txt && ok || bad "-n on a 0604 token: $(cat tok.txt)"; }
	chmod 640 token
	"$D" -n -c a.conf >tok.txt 2>&1 && ok || bad "-n refused a 0640 token of the daemon's own group: $(cat tok.txt)"
	chmod 600 token
	# Two Host headers: refused, whichever comes first.
	raw() { exec 3<>/dev/tcp/127.0.0.1/18186 && printf "$1" >&3 && head -1 <&3 | tr -d '\r'; exec 3<&-; }
	for hs in 'Host: 127.0.0.1:18186\r\nHost: evil.example' 'Host: evil.example\r\nHost: 127.0.0.1:18186' \
		'Host: 127.0.0.1:18186\r\nHOST: 127.0.0.1:18186'; do
		st=$(raw "GET /api/status HTTP/1.1\r\n$hs\r\nConnection: close\r\n\r\n")
		[ "$st" = "HTTP/1.1 400 Bad Request" ] && ok || bad "two Host headers ($hs): $st"
	done
	st=$(raw 'GET /api/status HTTP/1.1\r\nHost: 127.0.0.1:18186\r\nConnection: close\r\n\r\n')
	[ "$st" = "HTTP/1.1 200 OK" ] && ok || bad "one Host header over a raw connection: $st"
	# Loopback only unless allowed.
	sed 's/^listen = .*/listen = 0.0.0.0:18187/' a.conf >remote.conf
	"$D" -n -c remote.conf >remote.txt 2>&1 && bad "a non-loopback listen was accepted" ||
		{ grep -q "not loopback" remote.txt && ok || bad "remote refusal message: $(cat remote.txt)"; }
	# A rollback of the trust list is refused on SIGHUP; the daemon keeps the newer one.
	cp trust.cose trust-old.cose
	"$L" trust add trust.cose --root root.pem --pub root.pem.pub --name "Root as issuer" --role city --types REG 2>/dev/null
	kill -HUP "${DPIDS[0]}"
	sleep 0.5
	curl -s "$URL/api/status" | grep -q '"version":4' && ok || bad "SIGHUP reload: $(curl -s "$URL/api/status")"
	cp trust-old.cose trust.cose
	kill -HUP "${DPIDS[0]}"
	sleep 0.5
	curl -s "$URL/api/status" | grep -q '"version":4' && grep -q "older than the accepted" a.log && ok ||
		bad "rollback on SIGHUP: $(curl -s "$URL/api/status")"
	alive "after the reloads"
	;;
verifier)
	# The pool's verifier processes (daemon/verifier.h): children of the
	# daemon holding nothing of it but their socket; a child killed is
	# replaced and the tap is still verified; after a SIGHUP to a newer list
	# that adds an issuer, its entry is valid at once (a child forked under
	# the old list would call it unknown_issuer); children stopped are
	# given up, also when a newer list comes.
	verdicts() { curl -s -m 5 "$URL/api/card" | grep -o '"verdict":"[a-z_]*"' | cut -d'"' -f4 | sort | uniq -c | awk '{printf "%s %s;", $1, $2}'; }
	show() { rm -f card.img; wait_state empty; cp "$1" card.img; wait_state card; }
	# children PID: the processes the daemon's threads forked (/proc, no ps).
	children() { cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep . | sort -n; }
	"$L" image new --holder "$H" --capacity 2048 --out a.img >/dev/null
	for n in 1 2 3; do
		"$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=$((600 + n)) \
			--date 2026-11-24 --out e$n.cose && "$L" image append a.img e$n.cose 2>/dev/null
	done
	EXTRA_CONF="verify_threads = 2" start_daemon v 18196 "fake:$RIG_DIR/card.img"
	kids=$(children "${DPIDS[0]}")
	[ "$(echo "$kids" | grep -c .)" = 2 ] && ok || bad "two verifier processes expected: $kids"
	for k in $kids; do
		# Only stdio and the socket (fd 3): no card, cache or listening socket.
		extra=$(ls /proc/"$k"/fd | awk '$1 > 3')
		[ -z "$extra" ] && ok || bad "verifier $k holds descriptors: $extra ($(ls -l /proc/"$k"/fd))"
	done
	show a.img
	[ "$(verdicts)" = "3 valid;" ] && ok || bad "first tap: $(verdicts)"
	# Kill one child (a process of the daemon this test started, by its PID);
	# new entries (verdicts not cached) are checked all the same.
	victim=$(echo "$kids" | head -1)
	kill -9 "$victim"
	for n in 4 5 6 7; do
		"$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=$((600 + n)) \
			--date 2026-11-24 --out e$n.cose && "$L" image append a.img e$n.cose 2>/dev/null
	done
	show a.img
	[ "$(verdicts)" = "7 valid;" ] && ok || bad "after a verifier was killed: $(verdicts)"
	kids2=$(children "${DPIDS[0]}")
	[ "$(echo "$kids2" | grep -c .)" = 2 ] && ! echo "$kids2" | grep -qx "$victim" && ok ||
		bad "the killed verifier was not replaced: $kids -> $kids2"
	# A newer list adds the job centre; its entry on the card is valid.
	"$L" key generate jc.pem >/dev/null
	"$L" trust add trust.cose --root root.pem --pub jc.pem.pub --name "Jobcenter Krefeld" --role jobcenter --types BER >/dev/null ||
		bad "trust add"
	"$L" issue --key jc.pem --holder "$H" --type BER --set service=job_counselling --date 2026-11-25 --out ber.cose
	"$L" image append a.img ber.cose 2>/dev/null || bad "append the job centre's entry"
	kill -HUP "${DPIDS[0]}"
	for _ in $(seq 30); do curl -s "$URL/api/status" | grep -q '"version":4' && break; sleep 0.1; done
	curl -s "$URL/api/status" | grep -q '"version":4' && ok || bad "the newer list was not loaded: $(curl -s "$URL/api/status")"
	show a.img
	[ "$(verdicts)" = "8 valid;" ] && ok || bad "under the newer list: $(verdicts)"
	kids3=$(children "${DPIDS[0]}")
	[ "$(echo "$kids3" | grep -c .)" = 2 ] && [ -z "$(comm -12 <(echo "$kids2") <(echo "$kids3"))" ] && ok ||
		bad "verifiers not forked anew under the newer list: $kids2 -> $kids3"
	# Both children stopped (SIGSTOP: processes of the daemon this test
	# started, by PID), a new entry: each child is given up after its 5 s
	# and the entry checked in the daemon.
	new_entry() {
		"$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=$((600 + $1)) \
			--date 2026-11-24 --out e$1.cose && "$L" image append a.img e$1.cose 2>/dev/null || bad "entry $1"
	}
	# tap_within S: the card shown within S seconds (the API may hang
	# behind a hung tap: each request bounded).
	tap_within() {
		local end=$((SECONDS + $1))
		while [ $SECONDS -lt $end ]; do
			curl -s -m 1 "$URL/api/readers" | grep -q '"state":"card"' && return 0
			sleep 0.1
		done
		return 1
	}
	kill -STOP $kids3
	new_entry 9
	rm -f card.img
	wait_state empty
	cp a.img card.img
	tap_within 20 && [ "$(verdicts)" = "9 valid;" ] && ok || bad "children stopped: $(verdicts)"
	kill -CONT $kids3 2>/dev/null
	# Stopped again, and a newer list comes: the child of the older list is
	# ended without waiting on it to read its closed socket (a stopped one
	# never does: the workers, the tap and every later reload hung).
	kids4=$(children "${DPIDS[0]}")
	kill -STOP $kids4
	"$L" key generate ihk.pem >/dev/null
	"$L" trust add trust.cose --root root.pem --pub ihk.pem.pub --name "IHK" --role ihk --types IK >/dev/null || bad "trust add"
	kill -HUP "${DPIDS[0]}"
	for _ in $(seq 30); do curl -s -m 2 "$URL/api/status" | grep -q '"version":5' && break; sleep 0.1; done
	new_entry 10
	rm -f card.img
	wait_state empty
	cp a.img card.img
	tap_within 20 && [ "$(verdicts)" = "10 valid;" ] && ok || bad "children stopped, a newer list: $(verdicts)"
	curl -s -m 5 "$URL/api/status" | grep -q '"version":5' && ok || bad "the newer list: $(curl -s -m 5 "$URL/api/status")"
	kill -CONT $kids4 2>/dev/null # let a hung daemon end
	kids5=$(children "${DPIDS[0]}")
	[ -z "$(comm -12 <(echo "$kids4") <(echo "$kids5"))" ] && ok || bad "stopped children kept: $kids4 -> $kids5"
	alive "verifier processes"
	;;
verifier-swap)
	# Results a pool worker computed under one trust list are never taken
	# as another's (view.c take_result), even when the newer list was
	# loaded at the freed address of the one the worker used (two SIGHUPs
	# while the card is read; glibc hands a freed block back, so comparing
	# the lists' addresses took the old verdicts): the tap reads 40 entries
	# of a key the newest list revokes, the card stalled (SIGSTOP to
	# lm-vcard, the process this test started) after the first 2 KB piece
	# was verified under the old list; every entry must be key_not_valid,
	# and no "valid" verdict may be cached under the new list.
	verdicts() { curl -s "$URL/api/card" | grep -o '"verdict":"[a-z_]*"' | cut -d'"' -f4 | sort | uniq -c | awk '{printf "%s %s;", $1, $2}'; }
	version() { curl -s "$URL/api/status" | grep -o '"version":[0-9]*' | head -1 | cut -d: -f2; }
	reload() { # add institution $1 (or revoke vhs when $1 = revoke), SIGHUP, wait for the version
		local want=$(($(version) + 1))
		if [ "$1" = revoke ]; then
			"$L" trust revoke trust.cose --root root.pem --kid "$("$L" key kid vhs.pem.pub)" --at 2026-01-01 >/dev/null 2>&1
		else
			"$L" key generate "$1.pem" >/dev/null &&
				"$L" trust add trust.cose --root root.pem --pub "$1.pem.pub" --name "$1" --role city --types BER 2>/dev/null
		fi || bad "trust list $1"
		kill -HUP "${DPIDS[0]}"
		for _ in $(seq 50); do [ "$(version)" = "$want" ] && return 0; sleep 0.1; done
		bad "version $want not loaded: $(tail -2 s.log)"
	}
	"$L" image new --holder "$H" --capacity 8000 --out big.img >/dev/null
	for n in $(seq 1 40); do
		"$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=$((600 + n)) \
			--date 2026-11-24 --out e.cose && "$L" image append big.img e.cose 2>/dev/null || bad "entry $n"
	done
	rig_start_pcscd
	rig_start_card --memory card.mem --as applet --capacity 8192
	rig_wait_card present
	"$L" card restore big.img >/dev/null 2>&1 || bad "card restore"
	rig_stop_card >/dev/null
	# A list is a 132 KiB block: mapped and unmapped whole above this
	# threshold, and the kernel hands a freed range back to the next list.
	export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=65536
	EXTRA_CONF="verify_threads = 2" start_daemon s 18200 pcsc
	unset GLIBC_TUNABLES
	for k in k1 k2 k3; do reload $k; done
	: >card.log
	rig_start_card --memory card.mem --as applet --verbose --timing 106
	for _ in $(seq 500); do [ "$(grep -c '<- 00 B0' card.log)" -ge 2 ] && break; sleep 0.01; done
	kill -STOP "$RIG_CARD_PID"
	[ "$(grep -c '<- 00 B0' card.log)" -ge 2 ] && ok || bad "the card was not read: $(tail -3 card.log)"
	sleep 0.3 # the first piece's entries verified under the old list
	reload k4
	reload revoke
	kill -CONT "$RIG_CARD_PID"
	wait_state card && ok || bad "no tap: $(curl -s "$URL/api/readers")"
	[ "$(verdicts)" = "40 key_not_valid;" ] && ok || bad "after two reloads during the tap: $(verdicts)"
	hash=$(curl -s "$URL/api/status" | grep -o '"sha256":"[0-9a-f]*"' | cut -d'"' -f4)
	valid=$(sqlite3 s.db "SELECT count(*) FROM verdicts WHERE verdict = 0 AND hex(trust) = upper('$hash')")
	[ -n "$hash" ] && [ "$valid" = 0 ] && ok || bad "valid verdicts cached under the new list $hash: $valid"
	alive "trust reloads during a tap"
	;;
flood)
	# A local process opens 2,000 idle connections and holds them: the desk
	# page still loads and a tap still arrives on the event stream.
	"$L" image new --holder "$H" --capacity 888 --out img.new >/dev/null
	"$L" image append img.new ik.cose 2>/dev/null
	start_daemon a 18191 "fake:$RIG_DIR/card.img"
	curl -sN "$URL/api/events" >events.txt 2>/dev/null &
	sse=$!
	sleep 0.3
	coproc FLOOD { exec python3 "$HERE/flood.py" 18191 2000 60; }
	read -r -t 60 ready nopen <&"${FLOOD[0]}"
	echo "flood: $nopen connections open"
	[ "$ready" = ready ] && [ "${nopen:-0}" -ge 1900 ] && ok || bad "the flood did not open its connections ($ready $nopen)"
	[ "$(curl -s -m 5 -o page.html -w '%{http_code}' "$URL/")" = 200 ] && grep -q '<html' page.html && ok ||
		bad "GET / during the flood: $(head -c 200 page.html)"
	[ "$(code -m 5 "$URL/api/status")" = 200 ] && ok || bad "GET /api/status during the flood: $(cat resp.json)"
	curl -sN -m 20 "$URL/api/events" >events2.txt 2>/dev/null &
	sse2=$!
	sleep 0.5
	cp img.new card.img
	for _ in $(seq 50); do grep -q '^event: tap' events2.txt && break; sleep 0.1; done
	grep -q '^event: tap' events2.txt && ok || bad "no tap event on a stream opened during the flood: $(cat events2.txt)"
	grep -q '^event: tap' events.txt && ok || bad "no tap event on the stream opened before the flood: $(cat events.txt)"
	exec {FLOOD[1]}>&-
	wait "$FLOOD_PID" 2>/dev/null
	kill "$sse" "$sse2" 2>/dev/null
	wait "$sse" "$sse2" 2>/dev/null
	alive "the flood"
	stop_daemons
	# More idle connections than max_connections: those beyond it wait in
	# the kernel's listen queue and are served in turn, each closed after
	# connection_timeout, so that the page loads after at most about
	# (500 / 100) * 2 s; an event stream stays open longer than that
	# timeout and still carries the tap.
	rm -f card.img
	EXTRA_CONF=$'max_connections = 100\nconnection_timeout = 2' start_daemon b 18192 "fake:$RIG_DIR/card.img"
	curl -sN "$URL/api/events" >events3.txt 2>/dev/null &
	sse=$!
	coproc FLOOD { exec python3 "$HERE/flood.py" 18192 500 60; }
	read -r -t 60 ready nopen <&"${FLOOD[0]}"
	t0=$(date +%s)
	st=000
	for _ in $(seq 40); do st=$(code -m 1 "$URL/api/status") && [ "$st" = 200 ] && break; sleep 0.3; done
	echo "flood beyond the limit: status $st after $(($(date +%s) - t0)) s"
	[ "$st" = 200 ] && [ $(($(date +%s) - t0)) -le 14 ] && ok || bad "GET /api/status with the limit held by idle connections: $st"
	sleep 2
	cp img.new card.img
	for _ in $(seq 50); do grep -q '^event: tap' events3.txt && break; sleep 0.1; done
	grep -q '^event: tap' events3.txt && ok || bad "the event stream did not outlive connection_timeout: $(cat events3.txt)"
	exec {FLOOD[1]}>&-
	wait "$FLOOD_PID" 2>/dev/null
	kill "$sse" 2>/dev/null
	wait "$sse" 2>/dev/null
	alive "the flood beyond the limit"
	stop_daemons
	# A request whose handler takes longer than connection_timeout (here the
	# cache locked by another process: 2 s until busy) still gets its answer.
	EXTRA_CONF="connection_timeout = 1" start_daemon c 18194 "fake:$RIG_DIR/none.img"
	(echo "BEGIN EXCLUSIVE; INSERT INTO meta VALUES ('lock', 1);"; sleep 5; echo "ROLLBACK;") | sqlite3 c.db &
	locker=$!
	sleep 0.5
	t0=$(date +%s%N)
	st=$(code -m 10 -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/import" -d '{"entries":[]}')
	echo "slow answer: $st after $((($(date +%s%N) - t0) / 1000000)) ms: $(cat resp.json)"
	[ "$st" != 000 ] && grep -q '"error"' resp.json && ok || bad "a slow answer was lost to connection_timeout: $st $(cat resp.json)"
	wait "$locker"
	;;
novault)
	# No `vault` line: exactly the daemon without the vault (docs/vault.md).
	# An unlocked protected card is tapped and written to: nothing is sealed,
	# nothing queued, no vault in /api/status, no vault thread in the log; a
	# restricted role still caches every type it reads.  And the vault's
	# configuration lines are checked: no password in the main file (the
	# error does not repeat it), a password file others may read is refused.
	protected_desk 18197
	curl -s "$URL/api/status" >status.json
	! grep -q '"vault"' status.json && ok || bad "a vault in the status without a vault line: $(cat status.json)"
	[ "$(sqlite3 p.db 'SELECT count(*) FROM outbox')" = 0 ] &&
		[ "$(sqlite3 p.db 'SELECT count(*) FROM entries WHERE vault_at > 0')" = 0 ] &&
		[ "$(sqlite3 p.db 'SELECT count(*) FROM entries')" = 2 ] && ok ||
		bad "sealed without a vault line: $(sqlite3 p.db 'SELECT count(*), sum(vault_at > 0) FROM entries') outbox $(sqlite3 p.db 'SELECT count(*) FROM outbox')"
	! grep -qi vault p.log && ok || bad "the vault in the log: $(grep -i vault p.log)"
	stop_daemons
	# A restricted role (employer: no IK) caches the IK entry as before.
	rm -f pcard.img
	sed -i 's/^role = city/role = employer/' p.conf
	rm -f p.db p.db-wal p.db-shm
	"$D" -d -c p.conf >>p2.log 2>&1 &
	DPIDS+=($!)
	URL=http://127.0.0.1:18197
	for _ in $(seq 50); do curl -sf "$URL/api/status" >/dev/null && break; sleep 0.1; done
	"$L" image new --holder "$H" --capacity 888 --out v1.img >/dev/null && "$L" image append v1.img ik.cose 2>/dev/null
	put_card v1.img
	wait_state card && sleep 0.3 && [ "$(sqlite3 p.db 'SELECT count(*) FROM entries')" = 1 ] && ok ||
		bad "an employer terminal without a vault line no longer caches what it reads"
	stop_daemons
	# The configuration: a password in the vault line is refused, unrepeated.
	cp p.conf v.conf
	echo "vault = host=127.0.0.1 dbname=vault user=office password=s3cretpw" >>v.conf
	"$D" -n -c v.conf >v.txt 2>&1 && bad "a password in the vault line was accepted" ||
		{ grep -q "vault_password_file" v.txt && ! grep -q s3cretpw v.txt && ok || bad "the error: $(cat v.txt)"; }
	cp p.conf v.conf
	echo "vault = postgresql://office:s3cretpw@127.0.0.1/vault" >>v.conf
	"$D" -n -c v.conf >v.txt 2>&1 && bad "a password in the vault URI was accepted" ||
		{ ! grep -q s3cretpw v.txt && ok || bad "the error: $(cat v.txt)"; }
	echo s3cretpw >vault.pw
	chmod 644 vault.pw
	cp p.conf v.conf
	printf 'vault = host=127.0.0.1 dbname=vault user=office\nvault_password_file = %s/vault.pw\n' "$RIG_DIR" >>v.conf
	"$D" -n -c v.conf >v.txt 2>&1 && bad "a password file others may read was accepted" ||
		{ grep -q "chmod 600" v.txt && ok || bad "the error: $(cat v.txt)"; }
	;;
recovery)
	# A lost protected card restored from the holder's recovery line (no
	# vault: from this office's cache): onto a blank card only, as a protected
	# card of the same holder with a new access code, answered once; the
	# line of another holder, a malformed one, a card that holds a folder
	# and a terminal whose role does not see every type are refused.
	protected_desk 18198
	rm pcard.img
	wait_state empty
	head -c 888 /dev/zero >blank.img
	put_card blank.img
	sleep 0.5
	restore() { code -X POST "${auth[@]}" "$URL/api/holders/$H/restore" -d "$1"; }
	OTHER=$("$L" holder new)
	[ "$(restore "{\"recovery\":\"LMR1:$OTHER:${REC##*:}\"}")" = 400 ] && ok || bad "another holder's line: $(cat resp.json)"
	[ "$(restore '{"recovery":"LMR1:nonsense"}')" = 400 ] && ok || bad "a malformed line: $(cat resp.json)"
	[ "$(restore '{"recovery":7}')" = 400 ] && ok || bad "a number for a line: $(cat resp.json)"
	[ "$(restore "{\"recovery\":\"$REC\"}")" = 200 ] && grep -q '"written":2' resp.json && ok ||
		bad "restore from the recovery line: $(cat resp.json)"
	NEW=$(sed -n 's/.*"access_code":"\([0-9A-Z-]*\)".*/\1/p' resp.json)
	[ ${#NEW} = 14 ] && [ "$NEW" != "$CODE" ] && grep -q '"vault":"none"' resp.json && ok ||
		bad "the new access code: $(cat resp.json)"
	printf '%s\n' "$NEW" >newcode.txt
	"$L" verify --trust trust.cose --root root.pem.pub --access-code-file newcode.txt pcard.img >verify.txt 2>&1 &&
		grep -q "2 of 2" verify.txt && ok || bad "the restored card: $(cat verify.txt)"
	"$L" verify --trust trust.cose --root root.pem.pub --access-code-file code.txt pcard.img >/dev/null 2>&1 &&
		bad "the old code opens the new card" || ok
	wait_state card && [ "$(entries)" = 2 ] && curl -s "$URL/api/card" | grep -q '"protected":true' && ok ||
		bad "the restored card at the desk: $(curl -s "$URL/api/card" | head -c 300)"
	# An entry deleted from the protected card with its (new) access code:
	# rewritten under a new salt, the same code opens it, the cache forgets.
	del=$(curl -s "$URL/api/card" | grep -o '"id":"[0-9a-f]\{64\}"' | head -1 | cut -d'"' -f4)
	[ "$(code -X POST "${auth[@]}" "$URL/api/card/delete" -d "{\"id\":\"$del\",\"code\":\"$CODE\"}")" = 403 ] &&
		ok || bad "delete with the old code: $(cat resp.json)"
	[ "$(code -X POST "${auth[@]}" "$URL/api/card/delete" -d "{\"id\":\"$del\",\"code\":\"$NEW\"}")" = 200 ] &&
		grep -q '"kept":1' resp.json && ok || bad "delete with the new code: $(cat resp.json)"
	"$L" verify --trust trust.cose --root root.pem.pub --access-code-file newcode.txt pcard.img >verify.txt 2>&1 &&
		grep -q "1 of 1" verify.txt && [ "$(sqlite3 p.db "SELECT count(*) FROM entries WHERE id = '$del'")" = 0 ] &&
		ok || bad "after the delete: $(cat verify.txt)"
	wait_state card && [ "$(entries)" = 1 ] && ok || bad "the desk after the delete: $(curl -s "$URL/api/card" | head -c 300)"
	# Again onto the card that now holds the folder: not written over.
	cp pcard.img before.img
	[ "$(restore "{\"recovery\":\"$REC\"}")" = 409 ] && grep -q not_blank resp.json && cmp -s before.img pcard.img &&
		ok || bad "restore onto a card with a folder: $(cat resp.json)"
	for f in p.log p.db; do
		grep -qaF -e "$NEW" -e "${REC##*:}" "$f" && bad "the new code or the recovery secret is in $f" || ok
	done
	stop_daemons
	# A terminal whose role does not see every type does not restore.
	sed -i 's/^role = city/role = association/' p.conf
	"$D" -d -c p.conf >>p2.log 2>&1 &
	DPIDS+=($!)
	for _ in $(seq 50); do curl -sf "$URL/api/status" >/dev/null && break; sleep 0.1; done
	head -c 888 /dev/zero >blank.img
	put_card blank.img
	sleep 0.3
	[ "$(restore "{\"recovery\":\"$REC\"}")" = 403 ] && cmp -s pcard.img <(head -c 888 /dev/zero) && ok ||
		bad "restore at an association terminal: $(cat resp.json)"
	;;
protected)
	# A protected card (format version 2, docs/format.md 8.11): the tap
	# shows that it is locked and nothing of the folder; a typo, a wrong
	# code, the right code; an append goes on encrypted; the keys are
	# forgotten when the card leaves; the code is nowhere in the log, the
	# database or the event stream.
	"$L" image new --holder "$H" --capacity 888 --out p.img --protect --kdf-iterations 16384 >new.txt 2>/dev/null
	CODE=$(sed -n 's/^access code: //p' new.txt)
	CANON=$(echo "$CODE" | tr -d -)
	printf '%s\n' "$CODE" >code.txt
	"$L" image new --holder "$H" --capacity 888 --out other.img --protect --kdf-iterations 16384 >other.txt 2>/dev/null
	WRONG=$(sed -n 's/^access code: //p' other.txt)
	last=${CODE: -1}
	TYPO=${CODE:0:13}$([ "$last" = 7 ] && echo 8 || echo 7)
	[ ${#CODE} = 14 ] && [ "$WRONG" != "$CODE" ] && ok || bad "image new --protect: $(cat new.txt)"
	"$L" image append --access-code-file code.txt p.img ik.cose 2>/dev/null || bad "image append (protected)"
	start_daemon p 18196 "fake:$RIG_DIR/pcard.img"
	curl -sN "$URL/api/events" >events.txt &
	evpid=$!
	sleep 0.3
	cp p.img pcard.img
	wait_state locked && ok || bad "no locked state: $(curl -s "$URL/api/readers")"
	curl -s "$URL/api/card" >card.json
	grep -q '"protected":true' card.json && grep -q '"locked":true' card.json && grep -q '"entries":\[\]' card.json &&
		! grep -qi "$H" card.json && ! grep -q '"holder"' card.json && ok || bad "the locked card's view: $(cat card.json)"
	curl -s "$URL/api/readers" | grep -q '"state":"locked","error":null,"holder":null' && ok ||
		bad "the locked reader: $(curl -s "$URL/api/readers")"
	unlock() { code -X POST "$@" "$URL/api/card/unlock"; }
	auth=(-H "Authorization: Bearer $TOKEN")
	[ "$(unlock -d "{\"code\":\"$CODE\"}")" = 401 ] && ok || bad "unlock without the token: $(cat resp.json)"
	[ "$(unlock "${auth[@]}" -d "{\"code\":\"$TYPO\"}")" = 400 ] && grep -q '"code":"code_typo"' resp.json && ok ||
		bad "a typo: $(cat resp.json)"
	[ "$(unlock "${auth[@]}" -d '{"code":"12"}')" = 400 ] && grep -q '"code":"bad_value"' resp.json && ok ||
		bad "not a code: $(cat resp.json)"
	[ "$(unlock "${auth[@]}" -d "{\"code\":\"$WRONG\"}")" = 403 ] && grep -q '"code":"wrong_code"' resp.json &&
		grep -q '"tries_left":null' resp.json && ok || bad "a wrong code: $(cat resp.json)"
	[ "$(append_ber "${auth[@]}")" = 409 ] && grep -q '"code":"locked"' resp.json && ok || bad "append while locked: $(cat resp.json)"
	wait_state locked && ok || bad "not locked after the wrong code"
	# Rewrites of a protected card are not built: refused, nothing touched.
	[ "$(code -X POST "${auth[@]}" "$URL/api/holders/$H/restore" -d '{}')" = 409 ] && cmp -s p.img pcard.img && ok ||
		bad "restore onto a protected card: $(cat resp.json)"
	[ "$(unlock "${auth[@]}" -d "{\"code\":\"$(echo "$CODE" | tr A-Z a-z)\"}")" = 200 ] &&
		grep -q "\"holder\":\"$H\"" resp.json && grep -q '"verdict":"valid"' resp.json && ok ||
		bad "the right code (lower case): $(cat resp.json)"
	wait_state card && [ "$(entries)" = 1 ] && curl -s "$URL/api/card" | grep -q '"protected":true' && ok ||
		bad "the unlocked card: $(curl -s "$URL/api/card" | head -c 300)"
	# Once open, the same code again is answered alike (a late double click);
	# another code is still a wrong one.
	[ "$(unlock "${auth[@]}" -d "{\"code\":\"$CODE\"}")" = 200 ] && grep -q "\"holder\":\"$H\"" resp.json && ok ||
		bad "unlock an open card again: $(cat resp.json)"
	[ "$(unlock "${auth[@]}" -d "{\"code\":\"$WRONG\"}")" = 403 ] && ok || bad "a wrong code for an open card: $(cat resp.json)"
	[ "$(code -X POST "${auth[@]}" "$URL/api/card/delete" -d "{\"id\":\"$(printf '%064d' 0)\"}")" = 409 ] &&
		cmp -s p.img pcard.img && ok || bad "delete on a protected card: $(cat resp.json)"
	[ "$(append_ber "${auth[@]}")" = 200 ] && ok || bad "append to the unlocked card: $(cat resp.json)"
	[ "$(entries)" = 2 ] && ok || bad "after the append: $(curl -s "$URL/api/card" | head -c 300)"
	"$L" verify --trust trust.cose --root root.pem.pub --access-code-file code.txt pcard.img >verify.txt 2>&1 &&
		grep -q "2 of 2" verify.txt && ok || bad "the CLI reads the appended card: $(cat verify.txt)"
	# Nothing in clear on the card: no entry (any 16 bytes of one), no holder id.
	imghex=$(xxd -p pcard.img | tr -d '\n')
	n=0 leak=0
	for e in $(sqlite3 p.db "SELECT hex(bytes) FROM entries" | tr A-F a-f); do
		n=$((n + 1))
		for i in $(seq 0 16 $((${#e} - 32))); do
			case $imghex in *"${e:$i:32}"*) leak=1 ;; esac
		done
	done
	[ "$n" = 2 ] && [ "$leak" = 0 ] && case $imghex in *"$H"*) false ;; *) true ;; esac && ok ||
		bad "plaintext on the protected card ($n entries cached, leak $leak)"
	# The card leaves: its keys go; back on the reader it is locked again.
	cp pcard.img p2.img
	rm pcard.img
	wait_state empty && ok || bad "removal not seen"
	cp p2.img pcard.img
	wait_state locked && ! curl -s "$URL/api/card" | grep -q "$H" && ok ||
		bad "the keys outlived the card: $(curl -s "$URL/api/card" | head -c 300)"
	[ "$(append_ber "${auth[@]}")" = 409 ] && ok || bad "append after the card came back: $(cat resp.json)"
	# Two requests at once (a double click), naming the reader: both open it.
	body="{\"reader\":\"fake:$RIG_DIR/pcard.img\",\"code\":\"$CODE\"}"
	curl -s -o u1.json -w '%{http_code}' -X POST "${auth[@]}" "$URL/api/card/unlock" -d "$body" >u1.code &
	u1=$!
	curl -s -o u2.json -w '%{http_code}' -X POST "${auth[@]}" "$URL/api/card/unlock" -d "$body" >u2.code
	wait "$u1"
	[ "$(cat u1.code)" = 200 ] && [ "$(cat u2.code)" = 200 ] && grep -q "\"holder\":\"$H\"" u2.json && ok ||
		bad "two unlocks at once: $(cat u1.code u1.json u2.code u2.json)"
	grep -q "audit: unlock by \"token\" on fake:$RIG_DIR/pcard.img, holder ${H:0:8}" p.log && ok ||
		bad "the audit line of the unlock: $(grep audit p.log)"
	# Another card (version 1) on the same reader: no keys stay.
	"$L" image new --holder "$("$L" holder new)" --capacity 888 --out v1.img >/dev/null
	rm pcard.img; wait_state empty; cp v1.img pcard.img
	wait_state card && curl -s "$URL/api/card" | grep -q '"protected":false' && ok || bad "a version 1 card after it"
	[ "$(unlock "${auth[@]}" -d "{\"code\":\"$CODE\"}")" = 409 ] && ok || bad "unlock a version 1 card: $(cat resp.json)"
	kill "$evpid" 2>/dev/null
	grep -q '^event: locked' events.txt && grep -q '^event: tap' events.txt && ok || bad "events: $(cat events.txt)"
	sqlite3 p.db .dump >dump.sql
	for f in p.log dump.sql events.txt p.db; do
		grep -qiF -e "$CODE" -e "$CANON" "$f" && bad "the access code is in $f" || ok
	done
	stop_daemons
	# Nothing of it in the database's other files after the daemon closed it either.
	cat p.db* | grep -qiaF -e "$CODE" -e "$CANON" && bad "the access code is in the database files" || ok
	;;
staff)
	# Staff sign-in (docs/desk.md, "Staff sign-in"): accounts with a PIN in a
	# private file, the terminal's browser set up by a one-time link, sessions
	# that end when idle, the Origin check on writes, the write log naming who
	# wrote; the bearer token still works for scripts.
	"$L" image new --holder "$H" --capacity 888 --out s.img >/dev/null
	"$L" image append s.img ik.cose 2>/dev/null
	EXTRA_CONF="staff_idle = 3s" start_daemon s 18195 "fake:$RIG_DIR/s.img"
	wait_state card || bad "no tap: $(curl -s "$URL/api/readers")"
	S() { "$D" -c s.conf "$@"; }
	printf '2468\n' >pin.txt
	S --staff-add "Amira K" --pin-file pin.txt >/dev/null && ok || bad "--staff-add"
	printf '1357\n' | S --staff-add bo --pin-file - >/dev/null && ok || bad "--staff-add, the PIN on stdin"
	printf '12\n' | S --staff-add cy --pin-file - 2>/dev/null && bad "a 2-character PIN was accepted" || ok
	S --staff-add "a:b" --pin-file pin.txt 2>/dev/null && bad "a name with ':' was accepted" || ok
	[ "$(S --staff-list | paste -sd,)" = "Amira K,bo" ] && ok || bad "--staff-list: $(S --staff-list)"
	# A hand-edited file that ends without a newline keeps its last line.
	printf '%s' "$(cat staff)" >staff.tmp && cat staff.tmp >staff && rm staff.tmp
	S --staff-add cy --pin-file pin.txt >/dev/null && [ "$(S --staff-list | paste -sd,)" = "Amira K,bo,cy" ] &&
		S --staff-remove cy >/dev/null && ok || bad "a file without its last newline: $(S --staff-list)"
	[ "$(stat -c %a staff)" = 600 ] && ! grep -q 2468 staff && ok || bad "the staff file: $(stat -c %a staff) $(cat staff)"
	# The staff file is a secret: group- or world-readable, refused.
	chmod 640 staff && chgrp nogroup staff
	S -n >n.txt 2>&1 && bad "-n accepted a staff file another group may read" ||
		{ grep -q "staff file .*readable by group or others" n.txt && ok || bad "-n: $(cat n.txt)"; }
	chmod 600 staff && chgrp "$(id -g)" staff
	# The one-time setup link.
	LINK=$(S --setup-link 2>/dev/null)
	case $LINK in "$URL/setup?s="*) ok ;; *) bad "--setup-link printed: $LINK" ;; esac
	[ "$(stat -c %a setup-link)" = 600 ] && ok || bad "setup-link file mode"
	si() { code -X POST -H "Origin: $URL" "$@" "$URL/api/session"; } # sign in: si -b COOKIES -d BODY
	[ "$(si -d '{"name":"Amira K","pin":"2468"}')" = 403 ] && grep -q not_terminal resp.json && ok ||
		bad "sign-in from a browser not set up: $(cat resp.json)"
	[ "$(curl -s -I -o /dev/null -w '%{http_code}' "$LINK")" = 204 ] && ok || bad "HEAD on the setup link"
	curl -s -D setup.hdr -o /dev/null "$LINK"
	TC=$(grep -io 'lm_terminal=[0-9a-f]*' setup.hdr)
	grep -qi '^HTTP/1.1 303' setup.hdr && grep -qi '^Location: /\s*$' setup.hdr && [ ${#TC} = 76 ] &&
		grep -i '^Set-Cookie: lm_terminal' setup.hdr | grep -qi 'HttpOnly; SameSite=Strict; Path=/' &&
		! grep -qi 'Secure' setup.hdr && ok || bad "the setup link: $(cat setup.hdr)"
	curl -s -D setup2.hdr -o /dev/null "$LINK"
	grep -qi '^Location: /?setup=invalid' setup2.hdr && ! grep -qi 'Set-Cookie' setup2.hdr && ok ||
		bad "the setup link worked twice: $(cat setup2.hdr)"
	# An expired link (its file as --setup-link writes it, ten minutes old).
	sec=$(printf '%064d' 7)
	echo "$(printf '%s' "$sec" | sha256sum | cut -d' ' -f1) $(($(date +%s) - 1))" >setup-link
	chmod 600 setup-link
	curl -s -D setup3.hdr -o /dev/null "$URL/setup?s=$sec"
	grep -qi '^Location: /?setup=invalid' setup3.hdr && ! [ -e setup-link ] && ok || bad "an expired link: $(cat setup3.hdr)"
	# Sign in: the Origin is checked (login CSRF), then the PIN.
	[ "$(code -X POST -b "$TC" "$URL/api/session" -d '{"name":"Amira K","pin":"2468"}')" = 403 ] && ok ||
		bad "sign-in without Origin: $(cat resp.json)"
	[ "$(code -X POST -b "$TC" -H 'Origin: http://evil.example' "$URL/api/session" -d '{"name":"Amira K","pin":"2468"}')" = 403 ] &&
		ok || bad "sign-in from another site: $(cat resp.json)"
	[ "$(si -b "$TC" -d '{"name":"Amira K","pin":"1111"}')" = 401 ] && grep -q wrong_pin resp.json && ok ||
		bad "a wrong PIN: $(cat resp.json)"
	[ "$(si -b "$TC" -d '{"name":"nobody","pin":"2468"}')" = 401 ] && grep -q wrong_pin resp.json && ok ||
		bad "an unknown name: $(cat resp.json)"
	[ "$(si -b "$TC" -D si.hdr -d '{"name":"Amira K","pin":"2468"}')" = 200 ] && grep -q '"staff":"Amira K"' resp.json && ok ||
		bad "sign-in: $(cat resp.json)"
	SC=$(grep -io 'lm_session=[0-9a-f]*' si.hdr)
	grep -i '^Set-Cookie: lm_session' si.hdr | grep -qi 'HttpOnly; SameSite=Strict; Path=/' && ! grep -qi 'Secure' si.hdr &&
		ok || bad "the session cookie: $(cat si.hdr)"
	curl -s -b "$SC; $TC" "$URL/api/session" | grep -q '"terminal":true,"staff":"Amira K"' && ok ||
		bad "GET /api/session: $(curl -s -b "$SC; $TC" "$URL/api/session")"
	grep -q 2468 s.log && bad "the PIN is in the log" || ok
	# Writes with the session: only from this origin.
	[ "$(append_ber -b "$SC")" = 403 ] && grep -q no_origin resp.json && ok || bad "a cookie write without Origin: $(cat resp.json)"
	form=(-H 'Origin: http://evil.example' -H 'Content-Type: application/x-www-form-urlencoded')
	[ "$(code -X POST "${form[@]}" -b "$SC" "$URL/api/card/append" -d 'entry=x')" = 403 ] &&
		grep -q cross_origin resp.json && ok || bad "a cross-site form post with the cookie: $(cat resp.json)"
	[ "$(code -X POST "${form[@]}" "$URL/api/card/append" -d 'entry=x')" = 403 ] && ok ||
		bad "a cross-site form post: $(cat resp.json)"
	[ "$(code -X POST "${form[@]}" -H "Authorization: Bearer $TOKEN" "$URL/api/card/append" -d 'entry=x')" = 403 ] && ok ||
		bad "another site's page with the token: $(cat resp.json)"
	[ "$(append_ber -H "Origin: $URL")" = 401 ] && ok || bad "a signed-out page wrote: $(cat resp.json)"
	[ "$(append_ber -H "Origin: $URL" -b "$SC")" = 200 ] && ok || bad "append as Amira K: $(cat resp.json)"
	ID=$(grep -o '"id":"[0-9a-f]\{64\}"' resp.json | head -1 | cut -d'"' -f4)
	[ "$(append_ber -H "Authorization: Bearer $TOKEN")" = 200 ] && ok || bad "append with the token: $(cat resp.json)"
	[ "$(code -X POST -H "Origin: $URL" -b "$SC" "$URL/api/card/delete" -d "{\"id\":\"$ID\"}")" = 200 ] && ok ||
		bad "delete as Amira K: $(cat resp.json)"
	# The write log: a line and a row naming who wrote, for the office's admin.
	grep -q "audit: append by \"Amira K\" on fake:.*holder ${H:0:8}, entry ${ID:0:12}" s.log && ok || bad "the audit line: $(grep audit s.log)"
	grep -q 'audit: append by "token"' s.log && grep -q 'audit: delete by "Amira K"' s.log && ok || bad "audit lines: $(grep audit s.log)"
	[ "$(sqlite3 s.db "SELECT staff, action, holder, entry FROM audit ORDER BY rowid" | paste -sd' ')" = \
		"Amira K|append|$H|$ID token|append|$H|$ID Amira K|delete|$H|$ID" ] && ok ||
		bad "the audit table: $(sqlite3 s.db 'SELECT * FROM audit')"
	S --audit | grep -q "	Amira K	append	fake:$RIG_DIR/s.img	$H	$ID" && ok || bad "--audit: $(S --audit)"
	[ "$(code -H "Authorization: Bearer $TOKEN" "$URL/api/audit")" = 200 ] && grep -q '"staff":"Amira K","action":"append"' resp.json &&
		ok || bad "GET /api/audit: $(cat resp.json)"
	[ "$(code -b "$SC" "$URL/api/audit")" = 401 ] && ok || bad "the write log for a staff session: $(cat resp.json)"
	# Idle for longer than staff_idle: signed out.
	sleep 4
	[ "$(append_ber -H "Origin: $URL" -b "$SC")" = 401 ] && grep -q signed_out resp.json && ok ||
		bad "a write after the idle time: $(cat resp.json)"
	curl -s -b "$SC; $TC" "$URL/api/session" | grep -q '"staff":null' && ok || bad "the session after the idle time"
	# Sign out; a removed member's session ends.
	si -b "$TC" -D si.hdr -d '{"name":"Amira K","pin":"2468"}' >/dev/null
	SC=$(grep -io 'lm_session=[0-9a-f]*' si.hdr)
	[ "$(code -X DELETE -H "Origin: $URL" -b "$SC" "$URL/api/session")" = 200 ] && ok || bad "sign-out: $(cat resp.json)"
	[ "$(append_ber -H "Origin: $URL" -b "$SC")" = 401 ] && ok || bad "a write after sign-out: $(cat resp.json)"
	si -b "$TC" -D si.hdr -d '{"name":"bo","pin":"1357"}' >/dev/null
	SB=$(grep -io 'lm_session=[0-9a-f]*' si.hdr)
	S --staff-remove bo >/dev/null && ok || bad "--staff-remove"
	S --staff-remove bo 2>/dev/null && bad "removed twice" || ok
	[ "$(append_ber -H "Origin: $URL" -b "$SB")" = 401 ] && ok || bad "a removed member wrote: $(cat resp.json)"
	# Wrong PINs are rate-limited: after five, even the right one waits.
	for _ in 1 2 3 4 5; do si -b "$TC" -d '{"name":"Amira K","pin":"0000"}' >/dev/null; done
	[ "$(si -b "$TC" -D si.hdr -d '{"name":"Amira K","pin":"2468"}')" = 429 ] && grep -qi '^Retry-After: [1-9]' si.hdr &&
		grep -q too_many_tries resp.json && ok || bad "the sixth try: $(cat resp.json)"
	grep -q 'staff "Amira K": sign-in refused, too many wrong PINs' s.log && ok || bad "the log of the refusal"
	# Twenty wrong PINs within a minute, for any names: everyone waits.
	S --staff-add dee --pin-file pin.txt >/dev/null
	for i in $(seq 13); do si -b "$TC" -d "{\"name\":\"guess$i\",\"pin\":\"0000\"}" >/dev/null; done
	[ "$(si -b "$TC" -d '{"name":"dee","pin":"2468"}')" = 429 ] && ok || bad "after twenty wrong PINs: $(cat resp.json)"
	alive "staff sign-in"
	;;
protect)
	# Protecting a version 1 card at the desk (POST /api/card/protect), the
	# holder present: the answer carries the new code and recovery line
	# once; the office cache keeps every entry first; cut at every APDU of
	# the rewrite, the card ends as the old one, or (after the restore
	# route with the code and recovery line of the cut answer) as the
	# protected card with every entry, never less.
	rig_start_pcscd
	"$L" issue --key city.pem --holder "$H" --type MENT --set programme="Paten Krefeld" --out ment.cose
	rig_start_card --memory card.mem --as applet --capacity 2048
	rig_wait_card present
	{ "$L" card format --holder "$H" && "$L" card append ik.cose && "$L" card append ment.cose; } >/dev/null 2>&1 ||
		bad "card setup"
	rig_stop_card
	cp card.mem card.orig
	ids_on_card() { curl -s "$URL/api/card" | grep -o '"id":"[0-9a-f]\{64\}"' | cut -d'"' -f4 | sort | paste -sd' '; }
	field() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print("" if v is None else v)' "$@"; }
	auth=(-H "Authorization: Bearer $TOKEN")
	prot_req() { code -X POST "${auth[@]}" "$URL/api/card/protect" -d '{}'; }
	is_protected() { curl -s "$URL/api/card" | grep -q '"protected":true'; }
	start_daemon a 18197 pcsc
	before=$(grep -c "^lm-vcard: -> [0-9A-F]" card.log)
	rig_start_card --memory card.mem --as applet --verbose
	wait_state card && [ "$(entries)" = 2 ] && ok || bad "tap: $(curl -s "$URL/api/card" | head -c 300)"
	tap_apdus=$(($(grep -c "^lm-vcard: -> [0-9A-F]" card.log) - before))
	all=$(ids_on_card)
	[ "$(code -X POST "$URL/api/card/protect" -d '{}')" = 401 ] && ok || bad "protect without the token"
	rig_stop_card
	wait_state empty
	k=0 done_at= cuts=0
	: >codes.txt
	while [ "$k" -lt 120 ] && [ -z "$done_at" ]; do
		cp card.orig card.mem
		rig_start_card --memory card.mem --as applet --pull-after-apdus $((tap_apdus + k))
		wait_state card || bad "cut $k: no tap"
		rc=$(prot_req)
		if [ "$rc" = 200 ]; then
			done_at=$k
			cp resp.json done.json
		else
			cuts=$((cuts + 1))
			CODE=$(field resp.json code) REC=$(field resp.json recovery)
			[ -n "$CODE" ] && echo "$CODE $REC" >>codes.txt
			rig_stop_card # pulled by now, or taken away here
			wait_state empty
			rig_start_card --memory card.mem --as applet
			wait_state '\(card\|locked\|error\)' || bad "cut $k: no tap after it" # blank: an error
			if grep -q '"restore"' resp.json; then
				[ -n "$CODE" ] && [ -n "$REC" ] || bad "cut $k: a restore hint without the code: $(cat resp.json)"
				r=$(code -X POST "${auth[@]}" "$URL/api/holders/$H/restore" \
					-d "{\"code\":\"$CODE\",\"recovery\":\"$REC\"}")
				[ "$r" = 200 ] && [ "$(ids_on_card)" = "$all" ] && is_protected && ok ||
					bad "cut after $k APDUs of the protect ($rc), restored ($r $(cat resp.json)): [$(ids_on_card)]"
			else
				[ "$(ids_on_card)" = "$all" ] && ! is_protected && ok ||
					bad "cut after $k APDUs of the protect ($rc, untouched): [$(ids_on_card)] $(curl -s "$URL/api/card" | head -c 200)"
			fi
		fi
		rig_stop_card
		wait_state empty
		k=$((k + 1))
	done
	echo "protect: cut at each of $done_at APDUs ($cuts cuts), then done"
	[ -n "$done_at" ] && [ "$done_at" -gt 5 ] && ok || bad "the protect never completed ($k tries)"
	CODE=$(field done.json code) REC=$(field done.json recovery)
	[ "$(field done.json kept)" = 2 ] && [[ $CODE =~ ^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$ ]] &&
		[[ $REC =~ ^LMR1:$H:[A-Za-z0-9_-]{22}$ ]] && ok || bad "the protect's answer: $(cat done.json)"
	echo "$CODE $REC" >>codes.txt
	# Done: open at the desk while the card stays, locked once it comes back.
	rig_start_card --memory card.mem --as applet
	wait_state locked && ok || bad "the protected card is not locked: $(curl -s "$URL/api/readers")"
	[ "$(code -X POST "${auth[@]}" "$URL/api/card/unlock" -d "{\"code\":\"$CODE\"}")" = 200 ] &&
		[ "$(ids_on_card)" = "$all" ] && is_protected && ok || bad "unlock after the protect: $(cat resp.json)"
	[ "$(prot_req)" = 409 ] && grep -q '"code":"protected"' resp.json && ! grep -q '"recovery"' resp.json && ok ||
		bad "protect a protected card: $(cat resp.json)"
	# The recovery line must be the holder's: another holder's line is refused.
	[ "$(code -X POST "${auth[@]}" "$URL/api/holders/$("$L" holder new)/restore" \
		-d "{\"code\":\"$CODE\",\"recovery\":\"$REC\"}")" = 400 ] && grep -q '"code":"holder"' resp.json && ok ||
		bad "a recovery line of another holder: $(cat resp.json)"
	rest() { code -X POST "${auth[@]}" "$URL/api/holders/$H/restore" -d "$1"; }
	typo=${CODE:0:13}$([ "${CODE: -1}" = 7 ] && echo 8 || echo 7)
	[ "$(rest "{\"code\":\"$CODE\"}")" = 400 ] && grep -q '"code":"missing_field"' resp.json &&
		[ "$(rest "{\"code\":\"$typo\",\"recovery\":\"$REC\"}")" = 400 ] && grep -q '"code":"code_typo"' resp.json &&
		[ "$(rest "{\"code\":\"$CODE\",\"recovery\":\"LMR1:$H:short\"}")" = 400 ] && grep -q '"code":"bad_value"' resp.json &&
		ok || bad "a protected restore's bad requests: $(cat resp.json)"
	# No code and no recovery line in the log or the database (every one
	# the answers carried, the cut ones too).
	sqlite3 a.db .dump >dump.sql
	while read -r c rec; do
		canon=$(echo "$c" | tr -d -)
		secret=${rec##*:}
		for f in a.log dump.sql; do
			grep -qiF -e "$c" -e "$canon" -e "$secret" "$f" && bad "a code or recovery secret is in $f"
		done
	done <codes.txt
	[ "$(wc -l <codes.txt)" -gt 1 ] && ok || bad "no code collected: $(cat codes.txt)"
	stop_daemons
	while read -r c rec; do
		cat a.db* | grep -qiaF -e "$c" -e "$(echo "$c" | tr -d -)" -e "${rec##*:}" &&
			bad "a code or recovery secret is in the database files"
	done <codes.txt
	printf '%s\n' "$CODE" >code.txt
	"$L" card read --trust trust.cose --root root.pem.pub --access-code-file code.txt >read.txt 2>&1 &&
		grep -q "2 of 2" read.txt && ok || bad "the CLI reads the protected card: $(cat read.txt)"
	"$L" card read </dev/null >nocode.txt 2>&1
	grep -q "applet card, protected (format version 2), 5 tries left" nocode.txt && ! grep -q "$H" nocode.txt && ok ||
		bad "the CLI without the code: $(cat nocode.txt)"
	;;
protected-nfc)
	# A protected NTAG216 at the desk through a real libnfc reader path:
	# laufmapped's nfc reader (libnfc's pn532_uart driver) against the PN532
	# simulator.  A version 1 card is protected at the desk, taken away and
	# tapped again: locked; a wrong code, 403 (the key check: nothing goes to
	# the tag); the right code: the folder (PWD_AUTH on the air); an append;
	# taken away, back: locked again.  The simulator's frame log of that
	# whole desk read holds no 8 bytes of any entry, of the holder id
	# (binary, or as hex text) or of a text field; the same search finds
	# them in the log of the version 1 card read before (the control).
	[ -n "${LM_PN532SIM:-}" ] || { echo "SKIP: lm-pn532sim not built"; exit 77; }
	export LIBNFC_AUTO_SCAN=false LIBNFC_INTRUSIVE_SCAN=false XDG_CONFIG_HOME=$RIG_DIR HOME=$RIG_DIR
	unset LIBNFC_LOG_LEVEL LIBNFC_DEVICE
	"$L" issue --key city.pem --holder "$H" --type MENT --set programme="Paten Krefeld" --out ment.cose
	"$L" image new --holder "$H" --capacity 888 --out other.img --protect --kdf-iterations 16384 >other.txt 2>/dev/null
	WRONG=$(sed -n 's/^access code: //p' other.txt)
	"$LM_PN532SIM" --tag ntag216 --memory tag.bin --log frames.log >sim.out 2>sim.err &
	SIM=$!
	DPIDS+=("$SIM")
	for _ in $(seq 100); do [ -s sim.out ] && break; sleep 0.05; done
	NFC=pn532_uart:$(head -n 1 sim.out)
	{ "$L" card format --holder "$H" --nfc "$NFC" && "$L" card append ik.cose --nfc "$NFC" &&
		"$L" card append ment.cose --nfc "$NFC"; } >/dev/null 2>&1 || bad "card setup through libnfc"
	start_daemon n 18198 "nfc:$NFC"
	wait_state card && [ "$(entries)" = 2 ] && ok || bad "tap through libnfc: $(curl -s "$URL/api/card" | head -c 300)"
	auth=(-H "Authorization: Bearer $TOKEN")
	[ "$(code -X POST "${auth[@]}" "$URL/api/card/protect" -d '{}')" = 200 ] && ok || bad "protect through libnfc: $(cat resp.json)"
	CODE=$(python3 -c 'import json; print(json.load(open("resp.json"))["code"])')
	[ "$(entries)" = 2 ] && curl -s "$URL/api/card" | grep -q '"protected":true' && ok ||
		bad "the protected NTAG open at the desk: $(curl -s "$URL/api/card" | head -c 300)"
	kill -USR1 "$SIM" # the card leaves the field
	wait_state empty && ok || bad "removal not seen"
	cp frames.log frames-v1.log
	: >frames.log # the simulator appends (O_APPEND): the desk read's frames from here
	kill -USR2 "$SIM" # the desk read: tap, code, read, append
	wait_state locked && ok || bad "no locked state: $(curl -s "$URL/api/readers")"
	curl -s "$URL/api/card" >card.json
	grep -q '"kind":"ntag216"' card.json && ! grep -qi "$H" card.json && ok || bad "the locked tag: $(cat card.json)"
	unlock() { code -X POST "${auth[@]}" "$URL/api/card/unlock" "$@"; }
	[ "$(unlock -d "{\"code\":\"$WRONG\"}")" = 403 ] && grep -q '"code":"wrong_code"' resp.json &&
		grep -q '"tries_left":null' resp.json && ok || bad "a wrong code: $(cat resp.json)"
	# PWD_AUTH (1B) goes by InCommunicateThru (D4 42), as nfc-mfultralight sends it, or InDataExchange (D4 40 01).
	grep -Eq '<- D4 (40 01|42) 1B' frames.log && bad "a wrong code reached the tag" || ok
	[ "$(unlock -d "{\"code\":\"$CODE\"}")" = 200 ] && grep -q "\"holder\":\"$H\"" resp.json &&
		[ "$(grep -o '"verdict":"valid"' resp.json | wc -l)" = 2 ] && ok || bad "the right code: $(cat resp.json)"
	grep -Eq '<- D4 (40 01|42) 1B' frames.log && ok || bad "no PWD_AUTH on the air"
	[ "$(append_ber "${auth[@]}")" = 200 ] && [ "$(entries)" = 3 ] && ok || bad "append through libnfc: $(cat resp.json)"
	kill -USR1 "$SIM"
	wait_state empty && ok || bad "removal not seen"
	kill -USR2 "$SIM" # back: the keys went with the card
	wait_state locked && ok || bad "not locked after the card came back: $(curl -s "$URL/api/readers")"
	[ "$(append_ber "${auth[@]}")" = 409 ] && ok || bad "append after the card came back: $(cat resp.json)"
	kill -USR1 "$SIM"
	wait_state empty
	kill "${DPIDS[1]}" && wait "${DPIDS[1]}" # the daemon; the simulator stays
	cp frames.log frames-desk.log
	# What the desk read sent and got, searched for plaintext.
	needles=($(sqlite3 n.db "SELECT hex(bytes) FROM entries") "$H" "$(printf %s "$H" | xxd -p | tr -d '\n')"
		"$(printf %s "Paten Krefeld" | xxd -p)")
	[ "${#needles[@]}" = 6 ] && ok || bad "the cache's entries: ${#needles[@]} needles"
	python3 "$HERE/plain_search.py" frames-desk.log "${needles[@]}" >leak.txt 2>&1 && ok ||
		bad "plaintext in the frame log of the protected desk read: $(cat leak.txt)"
	python3 "$HERE/plain_search.py" frames-v1.log "${needles[@]:0:2}" "$H" >control.txt 2>&1 &&
		bad "the control: the version 1 read's log shows no entry: $(cat control.txt)" || ok
	[ "$(grep -c '^pn532sim <-' frames-desk.log)" -gt 20 ] && ok || bad "the frame log is short: $(wc -l <frames-desk.log)"
	printf '%s\n' "$CODE" >code.txt
	kill -USR2 "$SIM"
	# The tag itself: the CLI reads it with the code.
	"$L" card read --trust trust.cose --root root.pem.pub --access-code-file code.txt --nfc "$NFC" >read.txt 2>&1 &&
		grep -q "3 of 3" read.txt && ok || bad "the CLI reads the tag: $(cat read.txt)"
	grep -qiF -e "$CODE" -e "$(echo "$CODE" | tr -d -)" n.log && bad "the access code is in the daemon log" || ok
	;;
protected-pcsc)
	# A protected applet card at the desk through pcscd + vpcd: laufmapped's
	# pcsc reader; locked with the card's tries; a wrong code 403 with the
	# tries (the key check: no VERIFY sent, no try spent); the right code
	# (VERIFY on the card), the folder; an append; the card taken away and back:
	# locked again, no VERIFY sent by the desk, the append refused.
	rig_start_pcscd
	rig_start_card --memory card.mem --as applet --capacity 2048 --verbose
	rig_wait_card present
	"$L" card format --protect --kdf-iterations 16384 --holder "$H" >fmt.txt 2>/dev/null
	CODE=$(sed -n 's/^access code: //p' fmt.txt)
	printf '%s\n' "$CODE" >code.txt
	"$L" card append --access-code-file code.txt ik.cose 2>/dev/null || bad "card setup: $(cat fmt.txt)"
	"$L" image new --holder "$H" --capacity 888 --out other.img --protect --kdf-iterations 16384 >other.txt 2>/dev/null
	WRONG=$(sed -n 's/^access code: //p' other.txt)
	verifies() { grep -c '^lm-vcard: <- 00 20 00 81 10' card.log; }
	auth=(-H "Authorization: Bearer $TOKEN")
	unlock() { code -X POST "${auth[@]}" "$URL/api/card/unlock" "$@"; }
	start_daemon a 18199 pcsc
	wait_state locked && ok || bad "no locked state: $(curl -s "$URL/api/readers")"
	curl -s "$URL/api/card" >card.json
	grep -q '"kind":"applet"' card.json && grep -q '"tries_left":5' card.json && ! grep -qi "$H" card.json && ok ||
		bad "the locked applet: $(cat card.json)"
	v0=$(verifies)
	[ "$(unlock -d "{\"code\":\"$WRONG\"}")" = 403 ] && grep -q '"code":"wrong_code"' resp.json &&
		grep -q '"tries_left":5' resp.json && [ "$(verifies)" = "$v0" ] && ok || bad "a wrong code: $(cat resp.json)"
	[ "$(unlock -d "{\"code\":\"$CODE\"}")" = 200 ] && grep -q "\"holder\":\"$H\"" resp.json &&
		grep -q '"verdict":"valid"' resp.json && [ "$(verifies)" -gt "$v0" ] && ok ||
		bad "the right code: $(cat resp.json) ($(verifies) VERIFY)"
	[ "$(append_ber "${auth[@]}")" = 200 ] && [ "$(entries)" = 2 ] && ok || bad "append through pcscd: $(cat resp.json)"
	rig_stop_card
	wait_state empty && ok || bad "removal not seen"
	v1=$(verifies)
	rig_start_card --memory card.mem --as applet --verbose
	wait_state locked && ok || bad "not locked after the card came back: $(curl -s "$URL/api/readers")"
	! curl -s "$URL/api/card" | grep -qi "$H" && [ "$(append_ber "${auth[@]}")" = 409 ] && ok ||
		bad "the keys outlived the card: $(cat resp.json)"
	[ "$(verifies)" = "$v1" ] && ok || bad "the desk sent VERIFY to the card that came back"
	stop_daemons
	grep -qiF -e "$CODE" -e "$(echo "$CODE" | tr -d -)" a.log && bad "the access code is in the daemon log" || ok
	"$L" card read --trust trust.cose --root root.pem.pub --access-code-file code.txt >read.txt 2>&1 &&
		grep -q "2 of 2" read.txt && ok || bad "the CLI reads the card: $(cat read.txt)"
	;;
esac
stop_daemons
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
