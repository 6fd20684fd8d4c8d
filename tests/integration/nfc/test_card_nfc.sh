#!/usr/bin/env bash
# The `laufmappe card` commands through libnfc's pn532_uart driver and
# lm-pn532sim on a pseudo-terminal: format, append until full, read and
# verify on NTAG213/215/216 and the applet over ISO-DEP, each tag dumped by
# nfc-mfultralight and its TLV chain read as a phone would; a tear after every
# page write of one append; the target removed mid-read and mid-write;
# malformed frames from the chip; protected cards (format version 2) on the
# applet and on an NTAG216 (PWD_AUTH), read with the access code; every
# protected write on an NTAG216 torn (protected-tear).
# Usage: test_card_nfc.sh LM-PN532SIM LAUFMAPPE CASE
set -uo pipefail
SIM=$(realpath "$1") L=$(realpath "$2") CASE=${3:-all}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
SIM_PID=
cleanup() {
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
# libnfc: only our device, no scanning of real ports, no user config.
export LIBNFC_AUTO_SCAN=false LIBNFC_INTRUSIVE_SCAN=false XDG_CONFIG_HOME=$WORK HOME=$WORK
unset LIBNFC_LOG_LEVEL LIBNFC_DEVICE
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# start_sim ARGS: start the simulator, set NFC to its connection string.
start_sim() {
	"$SIM" "$@" >sim.out 2>>sim.err &
	SIM_PID=$!
	local pty=
	for _ in $(seq 100); do
		pty=$(head -n 1 sim.out 2>/dev/null)
		[ -n "$pty" ] && break
		sleep 0.05
	done
	[ -n "$pty" ] || { bad "simulator printed no pty"; exit 1; }
	NFC=(--nfc "pn532_uart:$pty")
}
stop_sim() {
	kill "$SIM_PID" 2>/dev/null
	wait "$SIM_PID" 2>/dev/null
	SIM_PID=
}
card() { timeout 60 "$L" card "$@" "${NFC[@]}"; }

"$L" key generate root.pem >/dev/null && "$L" key generate vhs.pem >/dev/null
"$L" trust create --root root.pem --out trust.cose 2>/dev/null
"$L" trust add trust.cose --root root.pem --pub vhs.pem.pub --name VHS --role course_provider \
	--types IK 2>/dev/null
H=$("$L" holder new)
"$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=700 \
	--date 2026-11-24 --out ik.cose
V=(--trust trust.cose --root root.pem.pub)
valid_count() {
	card read "${V[@]}" --json 2>>vc.err | tr -d ' \n' | grep -o '"valid":[0-9]*' | tail -1 | cut -d: -f2
}

# fill TAG WANT [MAX]: format, append until full (or MAX appends), read, verify.
fill() {
	local tag=$1 want=$2 max=${3:-1000} n=0
	start_sim --tag "$tag" --memory "$tag.bin"
	card format --holder "$H" >/dev/null 2>err.txt && ok || bad "$tag format: $(cat err.txt)"
	while [ "$n" -lt "$max" ] && card append ik.cose 2>err.txt; do n=$((n + 1)); done
	[ "$n" -eq "$want" ] && ok || bad "$tag took $n entries, want $want: $(cat err.txt)"
	[ "$max" -lt 1000 ] || { grep -q "card is full" err.txt && ok || bad "$tag full: $(cat err.txt)"; }
	card read "${V[@]}" >read.txt 2>&1 && grep -q "$want of $want entries valid" read.txt && ok ||
		bad "$tag read: $(cat read.txt)"
	if [ "$tag" != applet ] && command -v nfc-mfultralight >/dev/null && command -v python3 >/dev/null; then
		# What a phone sees: libnfc's own nfc-mfultralight dumps the tag, and
		# an independent TLV walker reads the CC's data area: an empty NDEF
		# message, our proprietary TLV inside it, a terminator.
		local cap
		cap=$(card read --json 2>/dev/null | tr -d ' \n' | grep -o '"capacity":[0-9]*' | cut -d: -f2)
		LIBNFC_DEVICE=${NFC[1]} timeout 30 nfc-mfultralight r dump.bin >mfu.txt 2>&1 </dev/null ||
			bad "$tag: nfc-mfultralight r: $(tail -3 mfu.txt)"
		python3 "$HERE/t2t_view.py" dump.bin "$cap" >view.txt 2>&1 && grep -q "^ndef=0 " view.txt && ok ||
			bad "$tag as a phone reads it: $(cat view.txt)"
	fi
	stop_sim
}

case $CASE in all | fill)
	fill ntag213 1
	fill ntag215 4
	fill ntag216 8
	fill applet 3 3
	;;
esac
case $CASE in all | tear)
	n=0
	while [ "$n" -lt 40 ]; do
		rm -f tear.bin
		start_sim --tag ntag216 --memory tear.bin
		card format --holder "$H" >/dev/null 2>err.txt && card append ik.cose 2>>err.txt ||
			bad "tear setup: $(cat err.txt)"
		stop_sim
		start_sim --tag ntag216 --memory tear.bin --tear-after-writes "$n"
		card append ik.cose >/dev/null 2>&1; rc=$?
		stop_sim
		start_sim --tag ntag216 --memory tear.bin
		v=$(valid_count)
		why=
		[ "$v" = 1 ] || [ "$v" = 2 ] || why=$(card read 2>&1 | tail -1)
		stop_sim
		[ -z "$why" ] && ok || bad "torn after $n page writes: '$v' valid entries ($why; $(tail -1 vc.err))"
		[ "$rc" -ne 0 ] || break
		n=$((n + 1))
	done
	echo "ntag216: torn after each of $n page writes of one append, always old or new"
	[ "$n" -gt 0 ] && ok || bad "no tear happened"
	;;
esac
case $CASE in all | faults)
	start_sim --tag ntag216 --memory f.bin
	card format --holder "$H" >/dev/null 2>&1
	for i in 1 2 3; do card append ik.cose 2>/dev/null; done
	stop_sim
	# Removed mid-read and mid-write: a clear error, nothing committed lost.
	# Commands of a read: identify's FAST_READ (CC, prefix, header), then the
	# log's (240 + 60 bytes): gone after 1, or between the log's two.
	for k in 1 2; do
		start_sim --tag ntag216 --memory f.bin --remove-after-cmds "$k"
		card read "${V[@]}" >rm.txt 2>&1; rc=$?
		[ "$rc" -ne 0 ] && grep -q "taken away" rm.txt && ok || bad "removed after $k (read): rc=$rc $(cat rm.txt)"
		stop_sim
	done
	start_sim --tag ntag216 --memory f.bin --remove-after-cmds 8
	card append ik.cose >rm.txt 2>&1; rc=$?
	[ "$rc" -ne 0 ] && grep -q "taken away" rm.txt && ok || bad "removed mid-write: rc=$rc $(cat rm.txt)"
	stop_sim
	start_sim --tag ntag216 --memory f.bin
	v=$(valid_count)
	[ "$v" = 3 ] || [ "$v" = 4 ] && ok || bad "after removals: '$v' valid entries"
	stop_sim
	# Malformed frames from the chip: an error, no crash, no hang.
	for opt in --corrupt-checksum-after --corrupt-lcs-after --bad-frame-after; do
		for k in 1 5 9; do
			start_sim --tag ntag216 --memory f.bin "$opt" "$k"
			card read "${V[@]}" >mf.txt 2>&1; rc=$?
			[ "$rc" -ne 124 ] && [ "$rc" -lt 128 ] && ok || bad "$opt $k: rc=$rc (hang or crash)"
			kill -0 "$SIM_PID" 2>/dev/null && ok || bad "$opt $k: simulator died"
			stop_sim
		done
	done
	start_sim --tag ntag216 --memory f.bin
	v2=$(valid_count)
	[ "$v2" = "$v" ] && ok || bad "after malformed frames: '$v2' valid entries, want $v"
	# The office's configured reader, without --nfc: LAUFMAPPE_READER, and
	# "nfc" alone takes libnfc's own configured default device.
	dev=${NFC[1]}
	LAUFMAPPE_READER="nfc:$dev" timeout 60 "$L" card read "${V[@]}" >def.txt 2>&1 &&
		grep -q "$v2 of $v2 entries valid" def.txt && ok || bad "LAUFMAPPE_READER=nfc:CONN: $(cat def.txt)"
	LAUFMAPPE_READER=nfc LIBNFC_DEFAULT_DEVICE="$dev" timeout 60 "$L" card read "${V[@]}" >def.txt 2>&1 &&
		grep -q "$v2 of $v2 entries valid" def.txt && ok || bad "libnfc's default device: $(cat def.txt)"
	LAUFMAPPE_READER=bogus "$L" card read >def.txt 2>&1
	[ $? -eq 3 ] && grep -q "bogus is not a reader" def.txt && ok || bad "a bad LAUFMAPPE_READER: $(cat def.txt)"
	stop_sim
	# No tag in the field: a clear answer.
	start_sim --tag none
	card read >none.txt 2>&1; rc=$?
	[ "$rc" -eq 3 ] && grep -q "no card" none.txt && ok || bad "empty field: rc=$rc $(cat none.txt)"
	stop_sim
	;;
esac
case $CASE in all | protected)
	# A protected card (format version 2) on the applet over ISO-DEP: the
	# access code goes through libnfc as VERIFY; without it only
	# "protected" and the tries show.
	start_sim --tag applet --memory p.bin
	card format --protect --kdf-iterations 16384 --holder "$H" >fmt.txt 2>err.txt && ok ||
		bad "format --protect: $(cat err.txt)"
	sed -n 's/^access code: //p' fmt.txt >code.txt
	[ -s code.txt ] && ok || bad "no access code printed: $(cat fmt.txt)"
	card append --access-code-file code.txt ik.cose 2>err.txt && ok || bad "append: $(cat err.txt)"
	card read "${V[@]}" --access-code-file code.txt >read.txt 2>&1 &&
		grep -q "1 of 1 entries valid" read.txt && ok || bad "read with the code: $(cat read.txt)"
	card read "${V[@]}" </dev/null >nocode.txt 2>/dev/null && bad "read without the code succeeded"
	grep -q "applet card, protected (format version 2), 5 tries left" nocode.txt && ok ||
		bad "read without the code: $(cat nocode.txt)"
	grep -qi "$H" nocode.txt && bad "the holder id shows without the code" || ok
	card append ik.cose </dev/null 2>/dev/null && bad "append without the code succeeded" || ok
	stop_sim
	# A protected NTAG216, natively (PWD_AUTH through InDataExchange): the
	# pages from AUTH0 (12) on need the password; Debian's nfc-mfultralight
	# gets the 12 public pages only, and nothing of the holder or the entry.
	start_sim --tag ntag216 --memory pn.bin --log frames.log
	card format --protect --kdf-iterations 16384 --holder "$H" >fmt.txt 2>err.txt && ok ||
		bad "ntag216 format --protect: $(cat err.txt)"
	sed -n 's/^access code: //p' fmt.txt >ncode.txt
	card append --access-code-file ncode.txt ik.cose 2>err.txt && ok || bad "ntag216 append: $(cat err.txt)"
	card read "${V[@]}" --access-code-file ncode.txt >read.txt 2>&1 &&
		grep -q "1 of 1 entries valid" read.txt && ok || bad "ntag216 read with the code: $(cat read.txt)"
	card read </dev/null >nocode.txt 2>/dev/null
	grep -q "ntag216 card, protected (format version 2)" nocode.txt && ok ||
		bad "ntag216 read without the code: $(cat nocode.txt)"
	card read --access-code-file code.txt >/dev/null 2>wrong.txt && bad "ntag216 read with another card's code"
	grep -q "does not open this card" wrong.txt && ok || bad "ntag216 wrong code: $(cat wrong.txt)"
	if command -v nfc-mfultralight >/dev/null; then
		LIBNFC_DEVICE=${NFC[1]} timeout 30 nfc-mfultralight r pdump.bin >mfu.txt 2>&1 </dev/null
		grep -q "12 of 231 pages read" mfu.txt && ok || bad "nfc-mfultralight on a protected tag: $(tail -3 mfu.txt)"
		holder_bin=$(echo "$H" | xxd -r -p | xxd -p | tr -d '\n')
		dump_hex=$(xxd -p pdump.bin | tr -d '\n')
		entry_hex=$(xxd -p -s 20 -l 8 ik.cose | tr -d '\n')
		case $dump_hex in *"${holder_bin:0:16}"* | *"$entry_hex"*) bad "the dump holds plaintext" ;; *) ok ;; esac
	fi
	# The simulator's frame log of the whole session (format, append, read
	# with the code, a phone's dump): no 8 bytes of the holder id, the
	# recovery secret or the entry ever crossed the air in clear.
	python3 - frames.log "$H" ik.cose fmt.txt <<'PY' && ok || bad "plaintext in the frame log"
import base64, re, sys
log, holder, entry, fmt = sys.argv[1:5]
air = b''.join(bytes.fromhex(' '.join(re.findall(r'\b[0-9A-F]{2}\b', line)))
               for line in open(log).read().splitlines())
secrets = [bytes.fromhex(holder)]
rec = re.search(r'LMR1:[0-9a-f]{32}:([A-Za-z0-9_-]{22})', open(fmt).read())
secrets.append(base64.urlsafe_b64decode(rec.group(1) + '=='))
e = open(entry, 'rb').read()
hint = e.find(bytes.fromhex(holder))
secrets += [e[i:i + 8] for i in range(0, len(e) - 8) if not (hint >= 0 and hint - 8 < i < hint + 16)]
assert len(air) > 1000, 'the log holds %d bytes' % len(air)
hits = [s.hex() for s in secrets for i in range(0, len(s) - 7) if s[i:i + 8] in air]
sys.exit('in clear on the air: %s' % hits[:3] if hits else 0)
PY
	card wipe --yes --access-code-file ncode.txt 2>err.txt && ok || bad "ntag216 wipe: $(cat err.txt)"
	card read </dev/null >wiped.txt 2>&1
	grep -q "holds no Laufmappe" wiped.txt && ok || bad "ntag216 after the wipe: $(cat wiped.txt)"
	stop_sim
	# Wrong codes lock the tag: four wrong PWD_AUTHs (Debian's
	# nfc-mfultralight --pw, as any phone app may send them) reach AUTHLIM;
	# then the right code is refused as "blocked", for good, and the folder
	# goes from the office's copy onto a new tag.
	if command -v nfc-mfultralight >/dev/null; then
		start_sim --tag ntag216 --memory pb.bin
		card format --protect --kdf-iterations 16384 --holder "$H" >fmt.txt 2>err.txt
		sed -n 's/^access code: //p' fmt.txt >bcode.txt
		card append --access-code-file bcode.txt ik.cose 2>err.txt || bad "blocked setup: $(cat err.txt)"
		for pw in 00000000 00000001 00000002 00000003; do
			LIBNFC_DEVICE=${NFC[1]} timeout 30 nfc-mfultralight r wrong.mfd --pw $pw >mfu.txt 2>&1 </dev/null
		done
		card read "${V[@]}" --access-code-file bcode.txt >blk.txt 2>&1 && bad "a blocked tag read"
		grep -q "the tag is blocked after too many wrong access codes" blk.txt && ok ||
			bad "the right code on a blocked tag: $(cat blk.txt)"
		card append --access-code-file bcode.txt ik.cose >blk.txt 2>&1 && bad "a blocked tag took an append" || ok
		stop_sim
		"$L" image new --holder "$H" --capacity 860 --out office.img --protect --kdf-iterations 16384 >office.txt 2>/dev/null
		sed -n 's/^access code: //p' office.txt >ocode.txt
		"$L" image append --access-code-file ocode.txt office.img ik.cose 2>/dev/null || bad "office copy"
		start_sim --tag ntag216 --memory pnew.bin
		card restore --access-code-file ocode.txt office.img 2>err.txt && ok || bad "restore onto a new tag: $(cat err.txt)"
		card read "${V[@]}" --access-code-file ocode.txt >read.txt 2>&1 &&
			grep -q "1 of 1 entries valid" read.txt && ok || bad "the new tag: $(cat read.txt)"
		stop_sim
	fi
	;;
esac
case $CASE in all | protected-tear)
	# Every protected write on an NTAG216 natively through libnfc, the
	# simulated tag's power cut after n page writes (--tear-after-writes):
	# `card format --protect` (blank or new), a protected `card append`
	# (old or new), `card protect` of a version 1 card and `card change-code`
	# (old, new, or finished by `card restore` from the copy they kept);
	# never a tag that neither code opens.  The long wipes of the rewrites
	# are cut every 23rd page in their middle (the NTAG model's unit test,
	# test_ntag_rewrites_cut_on_model, cuts every page).
	for i in 1 2; do
		"$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=$((600 + i)) \
			--date 2026-11-2$i --out t$i.cose
	done
	code_of() { sed -n 's/^access code: //p' "$1"; }
	valid_with() {
		local out
		out=$(card read "${V[@]}" --json --access-code-file "$1" 2>/dev/null) || { echo error; return; }
		echo "$out" | tr -d ' \n' | grep -o '"valid":[0-9]*' | tail -1 | cut -d: -f2
	}
	# tear_setup WHAT: the tag before the write, in t.bin.orig
	tear_setup() {
		rm -f t.bin
		start_sim --tag ntag216 --memory t.bin
		case $1 in
		format) ;;
		protect)
			card format --holder "$H" >/dev/null 2>&1 && card append t1.cose 2>/dev/null &&
				card append t2.cose 2>/dev/null || bad "protect setup"
			;;
		*)
			card format --protect --kdf-iterations 16384 --holder "$H" >fmt.txt 2>&1 || bad "$1 setup: $(cat fmt.txt)"
			code_of fmt.txt >tcode.txt
			card append --access-code-file tcode.txt t1.cose 2>/dev/null || bad "$1 setup append"
			[ "$1" = append ] || card append --access-code-file tcode.txt t2.cose 2>/dev/null || bad "$1 setup append"
			;;
		esac
		stop_sim
		cp t.bin t.bin.orig
	}
	# tear_judge WHAT RC N: the tag after the cut (simulator running).
	tear_judge() {
		local what=$1 rc=$2 n=$3 v
		code_of cmd.txt >new.txt
		case $what in
		format)
			card read </dev/null >state.txt 2>&1
			if [ "$rc" -eq 0 ] || grep -q "protected (format version 2)" state.txt; then
				[ "$(valid_with new.txt)" = 0 ] && ok || bad "format torn at $n: the printed code does not open the new card"
				T_NEW=$((T_NEW + 1))
			else
				grep -q "holds no Laufmappe" state.txt && ok || bad "format torn at $n: $(cat state.txt)"
				T_OLD=$((T_OLD + 1))
			fi
			;;
		append)
			v=$(valid_with tcode.txt)
			case $v in 1) T_OLD=$((T_OLD + 1)); ok ;; 2) T_NEW=$((T_NEW + 1)); ok ;;
			*) bad "append torn at $n: '$v' valid" ;; esac
			[ "$rc" -ne 0 ] || [ "$v" = 2 ] || bad "append done at $n but '$v' valid"
			;;
		protect | change)
			local old=tcode.txt want=2
			if [ "$rc" -eq 0 ]; then
				[ "$(valid_with new.txt)" = $want ] && ok || bad "$what done at $n: not $want valid under the code printed"
				T_NEW=$((T_NEW + 1))
				return
			fi
			if [ "$what" = protect ]; then v=$(valid_count); else v=$(valid_with $old); fi
			if [ "$v" = $want ]; then
				T_OLD=$((T_OLD + 1)); ok
			elif grep -q "cut short" cmd.txt; then
				T_CUT=$((T_CUT + 1))
				timeout 60 "$L" card restore "${NFC[@]}" --access-code-file new.txt laufmappe-*.img >/dev/null 2>res.txt && ok ||
					bad "$what torn at $n: restore: $(cat res.txt)"
				[ "$(valid_with new.txt)" = $want ] && ok || bad "$what torn at $n: after restore not $want valid"
			else
				bad "$what torn at $n: neither the old card nor a cut it can finish: $(cat cmd.txt)"
			fi
			;;
		esac
	}
	tear_all() {
		local what=$1 n=0 rc
		shift
		T_OLD=0 T_NEW=0 T_CUT=0
		local tried=0
		tear_setup "$what"
		while [ "$n" -lt 400 ]; do
			cp t.bin.orig t.bin
			rm -f laufmappe-*.img
			start_sim --tag ntag216 --memory t.bin --tear-after-writes "$n"
			card "$@" >cmd.txt 2>&1; rc=$?
			stop_sim
			start_sim --tag ntag216 --memory t.bin
			tear_judge "$what" "$rc" "$n"
			stop_sim
			tried=$((tried + 1))
			[ "$rc" -ne 0 ] || break
			if [ "$what" = protect ] || [ "$what" = change ]; then
				if [ "$n" -ge 8 ] && [ "$n" -lt 216 ]; then n=$((n + 23)); else n=$((n + 1)); fi
			else
				n=$((n + 1))
			fi
		done
		echo "ntag216 $what: torn at $tried points up to $n page writes: $T_OLD old, $T_NEW new, $T_CUT cut short and restored"
		[ "$T_OLD" -gt 0 ] && ok || bad "$what: no tear left the old card"
		[ "$T_NEW" -gt 0 ] && ok || bad "$what: it never finished"
	}
	tear_all format format --protect --kdf-iterations 16384 --holder "$H"
	tear_all append append --access-code-file tcode.txt t2.cose
	tear_all protect protect --kdf-iterations 16384
	tear_all change change-code --access-code-file tcode.txt
	[ "$T_CUT" -gt 0 ] && ok || bad "change-code: no tear needed the restore"
	;;
esac
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
