#!/usr/bin/env bash
# The `laufmappe card` commands on a protected card (format version 2)
# through a real pcscd (vpcd driver) with lm-vcard playing the applet:
# `card format --protect` prints the access code and the recovery line once;
# `card append` and `card read` with --access-code-file (read verifies);
# without the code only "protected" shows; wrong codes count down 4..1 and
# then block (69 83), after which even the right code is refused; the blocked
# card and a new card get the folder back from a protected copy with `card
# restore`; `card protect` of a version 1 card pulled away after every APDU
# ends old, new, or (cut short) finished by `card restore` from the copy it
# kept; `card format --protect`, `card append` and `card change-code` pulled
# the same way: blank or new, old or new, old or finished by `card restore`;
# a protected NTAG216 behind a part 3 reader (ntag).
# Usage (meson sets the environment): LM_VCARD=... LAUFMAPPE=... test_card_protect_pcsc.sh [CASE]
set -uo pipefail
. "$(dirname "$0")/rig.sh"
rig_enter "$@"
L=${LAUFMAPPE:?LAUFMAPPE must name the laufmappe binary}
cd "$RIG_DIR"
rig_start_pcscd
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
ITER=(--kdf-iterations 16384) # the cheapest count a reader accepts: a fast test

"$L" key generate root.pem >/dev/null && "$L" key generate vhs.pem >/dev/null
"$L" trust create --root root.pem --out trust.cose 2>/dev/null
"$L" trust add trust.cose --root root.pem --pub vhs.pem.pub --name VHS --role course_provider \
	--types IK,EOK 2>/dev/null
H=$("$L" holder new)
for i in 1 2 3; do
	"$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=$((800 - 100 * i)) \
		--date 2026-11-2$i --out ik$i.cose
done
V=(--trust trust.cose --root root.pem.pub)

# code_of OUT: the access code a command printed ("access code: XXXX-XXXX-XXXX").
code_of() {
	sed -n 's/^access code: //p' "$1"
}

# valid CODEFILE: the number of valid entries the card reads with, or "error".
valid() {
	local out
	out=$("$L" card read "${V[@]}" --json --access-code-file "$1" 2>/dev/null) || { echo error; return; }
	echo "$out" | tr -d ' \n' | grep -o '"valid":[0-9]*' | tail -1 | cut -d: -f2
}

protected() {
	rig_start_card --memory p.mem --as applet --capacity 2048
	rig_wait_card present
	"$L" card format --protect "${ITER[@]}" --holder "$H" >fmt.out 2>fmt.err &&
		ok || bad "format --protect: $(cat fmt.err)"
	code_of fmt.out >code.txt
	[ "$(wc -c <code.txt)" -eq 15 ] && ok || bad "no access code printed: $(cat fmt.out)"
	grep -q "^recovery: LMR1:$H:" fmt.out && ok || bad "no recovery line: $(cat fmt.out)"
	"$L" card append --access-code-file code.txt ik1.cose 2>app.err && ok || bad "append: $(cat app.err)"
	"$L" card append --access-code-file code.txt ik2.cose 2>app.err && ok || bad "append: $(cat app.err)"
	"$L" card read "${V[@]}" --access-code-file code.txt >read.out 2>&1 && ok || bad "read: $(cat read.out)"
	grep -q "2 of 2 entries valid" read.out && ok || bad "verify: $(cat read.out)"
	# The next program on the reader (no reset, no SELECT) finds the
	# applet locked again: the CLI ended VERIFY's state as it let go.
	rig_apdu 00B0001804 | tail -1 | grep -q "9000" && bad "the card stayed verified for the next program" || ok
	# Without the code: only that the card is protected, with its tries.
	"$L" card read "${V[@]}" </dev/null >nocode.out 2>nocode.err && bad "read without the code succeeded" || ok
	grep -q "applet card, protected (format version 2), 5 tries left" nocode.out && ok ||
		bad "read without the code: $(cat nocode.out nocode.err)"
	grep -qi "$H" nocode.out nocode.err && bad "the holder id shows without the code" || ok
	"$L" card append ik3.cose </dev/null 2>/dev/null && bad "append without the code succeeded" || ok
	"$L" card read --json --access-code-file code.txt 2>/dev/null | grep -q '"format_version":2' && ok ||
		bad "read --json does not say format version 2"
	# Delete at the holder's request: rewritten with a new salt, the same code.
	"$L" card append --access-code-file code.txt ik3.cose 2>app.err && ok || bad "append: $(cat app.err)"
	mapfile -t ids < <("$L" card read --json --access-code-file code.txt 2>/dev/null | tr -d ' \n' |
		grep -o '"id":"[0-9a-f]*"' | cut -d'"' -f4)
	[ "${#ids[@]}" -eq 3 ] && ok || bad "the card lists ${#ids[@]} ids, want 3"
	rig_apdu 00A404000AF04C4155464D41505045 00B0000018 | tail -1 >pub1.out
	"$L" card delete --access-code-file code.txt "${ids[1]:0:10}" >del.out 2>del.err && ok ||
		bad "delete: $(cat del.err)"
	rig_apdu 00A404000AF04C4155464D41505045 00B0000018 | tail -1 >pub2.out
	cmp -s pub1.out pub2.out && bad "the rewrite kept the salt" || ok
	[ "$(valid code.txt)" = 2 ] && ok || bad "after delete: not 2 valid entries"
	ls laufmappe-*.img >/dev/null 2>&1 && bad "the copy outlived a good delete" || ok
	# A well-formed code that is not this card's: refused by the public key
	# check before the card sees anything, so it costs no try.
	"$L" image new --holder "$H" --capacity 1024 --out copy.img --protect "${ITER[@]}" >copy.out 2>/dev/null
	code_of copy.out >other.txt
	"$L" card read --access-code-file other.txt >/dev/null 2>wrong.err && bad "a wrong code read the card"
	grep -q "does not open this card" wrong.err && ok || bad "wrong code: $(cat wrong.err)"
	"$L" card read </dev/null >tries.out 2>/dev/null
	grep -q "5 tries left" tries.out && ok || bad "a wrong code cost a try: $(cat tries.out)"
	# Wrong VERIFY values (what a wrong code past the key check sends, one
	# in 65,536) count down; the CLI tells the tries left, then "blocked".
	for left in 4 3 2 1; do
		rig_apdu 00A404000AF04C4155464D41505045 0020008110$(printf '%032d' 0) | tail -1 >sw.out
		grep -q "63C$left" sw.out && ok || bad "wrong VERIFY: $(cat sw.out)"
		"$L" card read </dev/null >tries.out 2>/dev/null
		grep -q "$left tries left" tries.out && ok || bad "want $left tries left: $(cat tries.out)"
	done
	rig_apdu 00A404000AF04C4155464D41505045 0020008110$(printf '%032d' 0) | tail -1 >sw.out
	grep -q "6983" sw.out && ok || bad "fifth wrong VERIFY: $(cat sw.out)"
	"$L" card read --access-code-file code.txt >/dev/null 2>right.err && bad "a blocked card read"
	grep -q "blocked" right.err && ok || bad "right code on a blocked card: $(cat right.err)"
	"$L" card read </dev/null >blocked.out 2>/dev/null
	grep -q "applet card, blocked" blocked.out && ok || bad "blocked card shows: $(cat blocked.out)"
	# The office's protected copy of the folder goes onto the blocked card
	# (wiped as it is) and onto a new one.
	"$L" image append --access-code-file other.txt copy.img ik1.cose 2>/dev/null &&
		"$L" image append --access-code-file other.txt copy.img ik2.cose 2>/dev/null || bad "copy image"
	"$L" card restore --access-code-file other.txt copy.img 2>rest.err && ok || bad "restore onto the blocked card: $(cat rest.err)"
	[ "$(valid other.txt)" = 2 ] && ok || bad "restored blocked card: not 2 valid entries"
	rig_stop_card
	rig_start_card --memory new.mem --as applet --capacity 2048
	rig_wait_card present
	"$L" card restore --access-code-file other.txt copy.img 2>rest.err && ok || bad "restore onto a new card: $(cat rest.err)"
	[ "$(valid other.txt)" = 2 ] && ok || bad "new card: not 2 valid entries"
	"$L" card read </dev/null >new.out 2>/dev/null
	grep -q "protected (format version 2), 5 tries left" new.out && ok || bad "new card: $(cat new.out)"
	rig_stop_card
}

# protect: a version 1 card of two entries, pulled away after each APDU of
# `card protect`: old (version 1, both entries), new (protected, both), or
# cut short: `card restore` from the kept copy with the printed code.
protect() {
	local n=0 rc status olds=0 cuts=0
	rm -f v1.mem
	rig_start_card --memory v1.mem --as applet --capacity 2048
	rig_wait_card present
	"$L" card format --holder "$H" >/dev/null 2>&1 && "$L" card append ik1.cose 2>/dev/null &&
		"$L" card append ik2.cose 2>/dev/null || { bad "protect setup"; return; }
	rig_stop_card
	cp v1.mem v1.orig
	while [ "$n" -lt 200 ]; do
		cp v1.orig v1.mem
		rm -f laufmappe-*.img
		rig_start_card --memory v1.mem --as applet --pull-after-apdus "$n"
		rig_wait_card present
		"$L" card protect "${ITER[@]}" >prot.out 2>prot.err; rc=$?
		rig_stop_card; status=$RIG_CARD_STATUS
		code_of prot.out >pcode.txt
		rig_start_card --memory v1.mem --as applet
		rig_wait_card present
		if [ "$rc" -eq 0 ]; then
			[ "$(valid pcode.txt)" = 2 ] && ok || bad "protect done at $n: not 2 valid entries"
			ls laufmappe-*.img >/dev/null 2>&1 && bad "the copy outlived a good protect" || ok
		elif grep -q "cut short" prot.err; then
			cuts=$((cuts + 1))
			[ -s pcode.txt ] && ok || bad "cut at $n: no code printed for the copy"
			"$L" card restore --access-code-file pcode.txt laufmappe-*.img >/dev/null 2>res.err && ok ||
				bad "cut at $n: restore: $(cat res.err)"
			[ "$(valid pcode.txt)" = 2 ] && ok || bad "cut at $n: after restore not 2 valid entries"
		else
			olds=$((olds + 1))
			"$L" card read "${V[@]}" >old.out 2>&1
			grep -q "2 of 2 entries valid" old.out && ok || bad "cut at $n: not the old card: $(cat old.out)"
		fi
		rig_stop_card
		[ "$status" = 3 ] || break # protect finished before the pull
		n=$((n + 1))
	done
	echo "card protect: pulled after each of $n APDUs: $olds old, $cuts cut short and restored"
	[ "$cuts" -gt 0 ] && [ "$olds" -gt 0 ] && ok || bad "protect: no cut happened"
}

# pulled NAME MEM CMD...: run `laufmappe CMD...` on the applet whose memory
# starts as MEM.orig, pulled away after n APDUs for n = 0, 1, ... until the
# command finishes before the pull; after each run the card (put back, as
# MEM) is judged by judge_NAME RC N.  Prints the number of cut points.
pulled() {
	local name=$1 mem=$2 n=0 rc status
	shift 2
	while [ "$n" -lt 300 ]; do
		cp "$mem.orig" "$mem"
		rm -f laufmappe-*.img
		rig_start_card --memory "$mem" --as applet --pull-after-apdus "$n"
		rig_wait_card present
		"$L" "$@" >cmd.out 2>cmd.err; rc=$?
		rig_stop_card; status=$RIG_CARD_STATUS
		rig_start_card --memory "$mem" --as applet
		rig_wait_card present
		"judge_$name" "$rc" "$n"
		rig_stop_card
		[ "$status" = 3 ] || break # the command finished before the pull
		n=$((n + 1))
	done
	echo "$name: pulled after each of $n APDUs: $JUDGED"
}

# format: a blank card; a cut leaves it blank or protected with the code
# the command printed (the applet commits header and reference at once).
judge_format() {
	code_of cmd.out >fcode.txt
	if [ "$1" -eq 0 ]; then
		[ "$(valid fcode.txt)" = 0 ] && ok || bad "format done at $2: $(cat cmd.out cmd.err)"
		return
	fi
	"$L" card read </dev/null >state.out 2>&1
	if grep -q "holds no Laufmappe" state.out; then
		J_BLANK=$((J_BLANK + 1)); ok
	elif [ -s fcode.txt ] && [ "$(valid fcode.txt)" = 0 ]; then
		J_NEW=$((J_NEW + 1)); ok
	else
		bad "format cut at $2: neither blank nor the new card: $(cat state.out cmd.err)"
	fi
	JUDGED="$J_BLANK blank, $J_NEW new"
}

# append: a protected card of one entry; a cut leaves one or two.
judge_append() {
	local v
	v=$(valid code.txt)
	if [ "$1" -eq 0 ]; then
		[ "$v" = 2 ] && ok || bad "append done at $2: '$v' valid"
	elif [ "$v" = 1 ]; then
		J_OLD=$((J_OLD + 1)); ok
	elif [ "$v" = 2 ]; then
		J_NEW=$((J_NEW + 1)); ok
	else
		bad "append cut at $2: '$v' valid entries: $(cat cmd.err)"
	fi
	JUDGED="$J_OLD old, $J_NEW new"
}

# change: a protected card of two entries under code.txt; a cut leaves the
# old card (the old code opens it), or one that `card restore` with the
# copy and the NEW code (printed even so) finishes; never neither.
judge_change() {
	code_of cmd.out >ncode.txt
	if [ "$1" -eq 0 ]; then
		[ "$(valid ncode.txt)" = 2 ] && ok || bad "change-code done at $2: not 2 valid under the new code"
		[ "$(valid code.txt)" = error ] && ok || bad "change-code done at $2: the old code still opens"
		ls laufmappe-*.img >/dev/null 2>&1 && bad "the copy outlived a good change-code" || ok
	elif [ "$(valid code.txt)" = 2 ]; then
		J_OLD=$((J_OLD + 1)); ok
	elif grep -q "cut short" cmd.err; then
		J_CUT=$((J_CUT + 1))
		[ -s ncode.txt ] && ok || bad "change-code cut at $2: no new code printed"
		"$L" card restore --access-code-file ncode.txt laufmappe-*.img >/dev/null 2>res.err && ok ||
			bad "change-code cut at $2: restore: $(cat res.err)"
		[ "$(valid ncode.txt)" = 2 ] && ok || bad "change-code cut at $2: after restore not 2 valid"
	else
		bad "change-code cut at $2: the old code does not open the card: $(cat cmd.err)"
	fi
	JUDGED="$J_OLD old, $J_CUT cut short and restored"
}

# The protected writes through pcscd, the card pulled after every APDU.
cuts() {
	local what=$1
	J_OLD=0 J_NEW=0 J_BLANK=0 J_CUT=0 JUDGED=
	rm -f c.mem
	rig_start_card --memory c.mem --as applet --capacity 2048
	rig_wait_card present
	if [ "$what" != format ]; then
		"$L" card format --protect "${ITER[@]}" --holder "$H" >fmt.out 2>&1 || bad "$what setup: $(cat fmt.out)"
		code_of fmt.out >code.txt
		"$L" card append --access-code-file code.txt ik1.cose 2>/dev/null || bad "$what setup append"
		[ "$what" = change ] && { "$L" card append --access-code-file code.txt ik2.cose 2>/dev/null || bad "$what setup append"; }
	fi
	rig_stop_card
	cp c.mem c.mem.orig
	case $what in
	format) pulled format c.mem card format --protect "${ITER[@]}" --holder "$H" ;;
	append) pulled append c.mem card append --access-code-file code.txt ik2.cose ;;
	change) pulled change c.mem card change-code --access-code-file code.txt ;;
	esac
	case $what in
	format) [ "$J_BLANK" -gt 0 ] && ok || bad "format: no cut left a blank card" ;;
	append) [ "$J_OLD" -gt 0 ] && ok || bad "append: no cut left the old card" ;;
	change) [ "$J_OLD" -gt 0 ] && [ "$J_CUT" -gt 0 ] && ok || bad "change-code: no cut left the old or a cut card" ;;
	esac
}

# ntag: a protected NTAG216 behind a PC/SC part 3 reader (lm-vcard --as
# ntag216): PWD_AUTH in the transparent exchange (FF C2), the rest as
# pseudo-APDUs: format --protect, append, read with the code, only
# "protected" without it, a new code, then the old one refused.
ntag() {
	rm -f n.mem
	rig_start_card --memory n.mem --as ntag216
	rig_wait_card present
	"$L" card format --protect "${ITER[@]}" --holder "$H" >nfmt.out 2>nfmt.err && ok ||
		bad "ntag216 format --protect: $(cat nfmt.err)"
	code_of nfmt.out >ncode.txt
	"$L" card append --access-code-file ncode.txt ik1.cose 2>napp.err && ok || bad "ntag216 append: $(cat napp.err)"
	[ "$(valid ncode.txt)" = 1 ] && ok || bad "ntag216 read with the code"
	"$L" card read </dev/null >nno.out 2>/dev/null
	grep -q "ntag216 card, protected (format version 2)" nno.out && ok || bad "ntag216 without the code: $(cat nno.out)"
	# Page 12 on: 69 82 without PWD_AUTH, through pcscd.
	rig_apdu FFB0000C10 | tail -1 | grep -q "6982" && ok || bad "ntag216 page 12 readable without PWD_AUTH"
	"$L" card change-code --access-code-file ncode.txt >ncc.out 2>ncc.err && ok || bad "ntag216 change-code: $(cat ncc.err)"
	code_of ncc.out >ncode2.txt
	[ "$(valid ncode2.txt)" = 1 ] && ok || bad "ntag216 read with the new code"
	[ "$(valid ncode.txt)" = error ] && ok || bad "ntag216: the old code still opens"
	rig_stop_card
}

case ${1:-all} in all | protected) protected ;; esac
case ${1:-all} in all | protect) protect ;; esac
case ${1:-all} in all | format-cut) cuts format ;; esac
case ${1:-all} in all | append-cut) cuts append ;; esac
case ${1:-all} in all | change-code) cuts change ;; esac
case ${1:-all} in all | ntag) ntag ;; esac
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
