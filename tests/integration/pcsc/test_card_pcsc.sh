#!/usr/bin/env bash
# The `laufmappe card` commands through a real pcscd (vpcd driver) with
# lm-vcard as the card, for the applet and for an NTAG216 behind a PC/SC
# part-3 reader: format, append until full, read and verify; a tear at every
# NVM write (applet) and page write (NTAG) of one append; the card pulled
# during a read and during an append; pcscd stopped and restarted; `card
# delete` at the holder's request, cut at its writes and put right with
# `card restore`.
# Usage (meson sets the environment): LM_VCARD=... LAUFMAPPE=... test_card_pcsc.sh [CASE]
set -uo pipefail
. "$(dirname "$0")/rig.sh"
rig_enter "$@"
L=${LAUFMAPPE:?LAUFMAPPE must name the laufmappe binary}
cd "$RIG_DIR"
rig_start_pcscd
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# Keys, a trust list and entries, made with the CLI.
"$L" key generate root.pem >/dev/null && "$L" key generate vhs.pem >/dev/null
"$L" trust create --root root.pem --out trust.cose 2>/dev/null
"$L" trust add trust.cose --root root.pem --pub vhs.pem.pub --name VHS --role course_provider \
	--types IK,EOK 2>/dev/null
H=$("$L" holder new)
"$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=700 \
	--date 2026-11-24 --out ik.cose
"$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=600 \
	--date 2026-11-25 --out ik2.cose
"$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=500 \
	--date 2026-11-26 --out ik3.cose
V=(--trust trust.cose --root root.pem.pub)

# count_valid: the number of valid entries the card reads with, or "error".
count_valid() {
	local out
	out=$("$L" card read "${V[@]}" --json 2>/dev/null) || { echo error; return; }
	echo "$out" | tr -d ' \n' | grep -o '"valid":[0-9]*' | tail -1 | cut -d: -f2
}

# fill KIND WANT: format a fresh card and append until full; WANT entries fit.
fill() {
	local kind=$1 want=$2 n=0
	rig_start_card --memory "$kind.mem" --as "${kind%-small}" ${3:-}
	rig_wait_card present
	"$L" card list-readers --json | tr -d ' \n' | grep -q '"card":"present"' && ok ||
		bad "$kind: list-readers shows no card"
	"$L" card format --holder "$H" >/dev/null 2>format.err && ok || bad "$kind format: $(cat format.err)"
	while "$L" card append ik.cose 2>append.err; do n=$((n + 1)); done
	grep -q "card is full" append.err && ok || bad "$kind full message: $(cat append.err)"
	[ "$n" -eq "$want" ] && ok || bad "$kind took $n typical entries, want $want"
	"$L" card read "${V[@]}" >read.out 2>&1 && ok || bad "$kind read: $(cat read.out)"
	grep -q "$want of $want entries valid" read.out && ok || bad "$kind verify: $(cat read.out)"
	"$L" card format --holder "$H" >/dev/null 2>&1 && bad "$kind: formatted over a Laufmappe" || ok
	rig_stop_card
}

# tear KIND: cut power at every write of one append (the second entry).
tear() {
	local kind=$1 n=0 status
	while [ "$n" -lt 60 ]; do
		rm -f "$kind-tear.mem"
		rig_start_card --memory "$kind-tear.mem" --as "$kind"
		rig_wait_card present
		"$L" card format --holder "$H" >/dev/null 2>&1 && "$L" card append ik.cose 2>/dev/null ||
			{ bad "$kind tear setup"; return; }
		rig_stop_card
		rig_start_card --memory "$kind-tear.mem" --as "$kind" --tear-after-writes "$n"
		rig_wait_card present
		"$L" card append ik.cose >/dev/null 2>&1
		rig_stop_card; status=$RIG_CARD_STATUS
		rig_start_card --memory "$kind-tear.mem" --as "$kind"
		rig_wait_card present
		local valid
		valid=$(count_valid)
		rig_stop_card
		if [ "$valid" != 1 ] && [ "$valid" != 2 ]; then
			bad "$kind torn after $n writes: the card reads '$valid' valid entries, want 1 or 2"
		else
			ok
		fi
		[ "$status" = 4 ] || break # the append finished before the tear point
		n=$((n + 1))
	done
	echo "$kind: torn at each of $n writes of one append, always old or new"
	[ "$n" -gt 0 ] && ok || bad "$kind: no tear happened"
}

# ids ON THE CARD: the entry ids (hex) the card lists, in order.
card_ids() {
	"$L" card read --json 2>/dev/null | tr -d ' \n' | grep -o '"id":"[0-9a-f]*"' | cut -d'"' -f4
}

# delete KIND STRIDE: a card of three entries; delete the middle one by an id
# prefix; then cut the power at every STRIDE-th write of the delete: the card
# reads as before, or the CLI says the rewrite was cut short and `card
# restore` with the copy it kept gives exactly the two entries that stay.
delete() {
	local kind=$1 stride=$2 n=0 status mid want rc
	rm -f "$kind-del.mem"
	rig_start_card --memory "$kind-del.mem" --as "$kind" --capacity 2048
	rig_wait_card present
	"$L" card format --holder "$H" >/dev/null 2>&1 &&
		"$L" card append ik.cose 2>/dev/null && "$L" card append ik2.cose 2>/dev/null &&
		"$L" card append ik3.cose 2>/dev/null || { bad "$kind delete setup"; return; }
	cp "$kind-del.mem" "$kind-del.orig"
	mapfile -t ids < <(card_ids)
	[ "${#ids[@]}" -eq 3 ] && ok || bad "$kind: card lists ${#ids[@]} ids"
	mid=${ids[1]}
	want="${ids[0]} ${ids[2]}"
	"$L" card delete "${mid:0:10}" >del.out 2>del.err && ok || bad "$kind delete: $(cat del.err)"
	[ "$(cat del.out)" = "$mid" ] && ok || bad "$kind delete printed '$(cat del.out)', want $mid"
	[ "$(card_ids | tr '\n' ' ')" = "$want " ] && ok || bad "$kind after delete: $(card_ids | tr '\n' ' ')"
	[ "$(count_valid)" = 2 ] && ok || bad "$kind after delete: not 2 valid entries"
	ls laufmappe-*.img >/dev/null 2>&1 && bad "$kind: the copy outlived a good delete" || ok
	"$L" card delete "$mid" >/dev/null 2>del.err && bad "$kind: deleted twice" ||
		grep -q "no entry whose id begins" del.err && ok || bad "$kind second delete: $(cat del.err)"
	rig_stop_card
	while [ "$n" -lt 2000 ]; do
		cp "$kind-del.orig" "$kind-del.mem"
		rm -f laufmappe-*.img
		rig_start_card --memory "$kind-del.mem" --as "$kind" --tear-after-writes "$n"
		rig_wait_card present
		"$L" card delete "$mid" >/dev/null 2>del.err; rc=$?
		rig_stop_card; status=$RIG_CARD_STATUS
		rig_start_card --memory "$kind-del.mem" --as "$kind"
		rig_wait_card present
		local now
		now=$(card_ids | tr '\n' ' ')
		if [ "$rc" -eq 0 ]; then
			[ "$now" = "$want " ] && ok || bad "$kind cut at $n: delete said done, card has $now"
		elif grep -q "cut short" del.err; then
			"$L" card restore laufmappe-*.img >/dev/null 2>res.err && ok ||
				bad "$kind cut at $n: restore: $(cat res.err)"
			now=$(card_ids | tr '\n' ' ')
			# As before (cut before the wipe's first write) or as asked.
			[ "$now" = "$want " ] || [ "$now" = "${ids[*]} " ] && ok ||
				bad "$kind cut at $n: after restore the card has '$now'"
			[ "$(count_valid)" -ge 2 ] && ok || bad "$kind cut at $n: entries do not verify"
		else
			[ "$now" = "${ids[*]} " ] && ok || bad "$kind cut at $n (untouched: $(cat del.err)): card has '$now'"
		fi
		rig_stop_card
		[ "$status" = 4 ] || break # the delete finished before the tear point
		n=$((n + stride))
	done
	echo "$kind: delete cut at every ${stride}th of $n writes, restored each time"
	[ "$n" -gt 0 ] && ok || bad "$kind: no tear happened"
}

case ${1:-all} in all | fill)
	# Both vpcd readers are listed; a card shows on the first once inserted.
	"$L" card list-readers >readers.txt 2>&1
	grep -c "Virtual PCD" readers.txt | grep -q 2 && grep -q "card: none" readers.txt && ok ||
		bad "list-readers: $(cat readers.txt)"
	fill applet 10 "--capacity 1024"   # (1024 - 24) / 100
	fill ntag216 8                     # (860 - 24) / 100: the image inside the CC area
	;;
esac
case ${1:-all} in all | tear)
	tear applet
	tear ntag216
	;;
esac
case ${1:-all} in all | faults)
	# The card pulled away during a read, then during an append.
	rig_start_card --memory pull.mem --as applet --capacity 2048
	rig_wait_card present
	"$L" card format --holder "$H" >/dev/null 2>&1
	for i in 1 2 3 4 5; do "$L" card append ik.cose 2>/dev/null; done
	rig_stop_card
	# A read is SELECT, GET DATA 0004 (capacity, header, digest) and one
	# extended READ BINARY; an append then stages the entry and the commit
	# word and COMMITs: pulled before the READ, and before the COMMIT.
	rig_start_card --memory pull.mem --as applet --pull-after-apdus 2
	rig_wait_card present
	"$L" card read "${V[@]}" >pull.out 2>&1; rc=$?
	[ "$rc" -ne 0 ] && grep -q "taken away" pull.out && ok || bad "pull during read: rc=$rc $(cat pull.out)"
	rig_wait_card_exit
	rig_start_card --memory pull.mem --as applet --pull-after-apdus 5
	rig_wait_card present
	"$L" card append ik.cose >pull.out 2>&1; rc=$?
	[ "$rc" -ne 0 ] && grep -q "taken away" pull.out && ok || bad "pull during append: rc=$rc $(cat pull.out)"
	rig_wait_card_exit
	rig_start_card --memory pull.mem --as applet
	rig_wait_card present
	v=$(count_valid)
	[ "$v" = 5 ] || [ "$v" = 6 ] && ok || bad "after the pulls the card reads '$v' valid entries"

	# pcscd stopped: a clear message; started again: works (the card reconnects).
	rig_stop_pcscd
	"$L" card read "${V[@]}" >nopcscd.out 2>&1; rc=$?
	[ "$rc" -eq 3 ] && grep -q "pcscd is not running" nopcscd.out && ok ||
		bad "no pcscd: rc=$rc $(cat nopcscd.out)"
	rig_start_pcscd
	rig_wait_card present
	v2=$(count_valid)
	[ "$v2" = "$v" ] && ok || bad "after the pcscd restart: '$v2' valid entries, want $v"
	rig_stop_card
	;;
esac
case ${1:-all} in all | delete)
	delete applet 2
	delete ntag216 11
	;;
esac
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
