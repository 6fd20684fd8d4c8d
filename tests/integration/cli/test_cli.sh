#!/usr/bin/env bash
# The `laufmappe` command line end to end on files: keys, trust list
# editing, issuing (one and a class), verification outcomes and exit codes,
# card images until full, rollback refusal.  Usage: test_cli.sh LAUFMAPPE
set -uo pipefail
L=$(realpath "$1")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# expect CODE CMD...: run, compare the exit status
expect() {
	local want=$1; shift
	"$@" >out.txt 2>err.txt
	local got=$?
	if [ "$got" -eq "$want" ]; then ok; else bad "$* -> exit $got, want $want: $(cat err.txt)"; fi
}

expect 0 "$L" key generate root.pem
expect 0 "$L" key generate vhs.pem
expect 0 "$L" key generate exam.pem
[ "$(stat -c %a root.pem)" = 600 ] && ok || bad "private key mode $(stat -c %a root.pem)"
expect 3 "$L" key generate root.pem                      # never overwritten
kid=$("$L" key kid vhs.pem.pub)
[ "$kid" = "$("$L" key kid vhs.pem)" ] && [ ${#kid} -eq 16 ] && ok || bad "kid $kid"

expect 0 "$L" trust create --root root.pem --out trust.cose
expect 0 "$L" trust add trust.cose --root root.pem --pub vhs.pem.pub --name "VHS Krefeld" --role course_provider --types IK,EOK
expect 0 "$L" trust add trust.cose --root root.pem --pub exam.pem.pub --name "telc" --role exam_centre --types DTZ
expect 3 "$L" trust add trust.cose --root root.pem --pub vhs.pem.pub --name "again" --role course_provider --types IK
expect 2 "$L" trust add trust.cose --root root.pem --pub vhs.pem.pub --name x --role pope --types IK
expect 3 "$L" trust add trust.cose --root vhs.pem --pub exam.pem.pub --name x --role employer --types JOB  # wrong root
expect 0 "$L" trust show trust.cose --root root.pem.pub --json
grep -q '"version":3' <(tr -d ' \n' <out.txt) && ok || bad "trust version after two adds"
expect 3 "$L" trust show trust.cose --root vhs.pem.pub   # not signed by that root
cp trust.cose trust-v3.cose

H=$("$L" holder new)
[ ${#H} -eq 32 ] && ok || bad "holder id $H"
expect 0 "$L" issue --key vhs.pem --holder "$H" --type IK --set subtype=general --set planned=700 \
	--set attended=700 --set status=done --date 2026-11-24 --out ik.cose
expect 2 "$L" issue --key vhs.pem --holder "$H" --type IK --set nationality=x --out x.cose
expect 2 "$L" issue --key vhs.pem --holder "$H" --type IK --set planned=9999 --out x.cose
expect 2 "$L" issue --key vhs.pem --holder "$H" --type XYZ --out x.cose
expect 2 "$L" issue --key vhs.pem --holder 1234 --type IK --out x.cose
expect 0 "$L" verify --trust trust.cose --root root.pem.pub ik.cose
grep -q "^valid" out.txt && ok || bad "verify output: $(cat out.txt)"
expect 0 "$L" verify --trust trust.cose --root root.pem.pub --json ik.cose
grep -q '"verdict":"valid"' <(tr -d ' \n' <out.txt) && ok || bad "verify --json"
expect 1 "$L" verify --trust trust.cose --root root.pem.pub --holder "$("$L" holder new)" ik.cose
grep -q "^wrong_holder" out.txt && ok || bad "entry of another holder: $(cat out.txt)"
expect 0 "$L" issue --key vhs.pem --holder "$H" --type DTZ --set dtz=b1 --out dtz_by_vhs.cose
expect 1 "$L" verify --trust trust.cose --root root.pem.pub dtz_by_vhs.cose
grep -q "^type_not_allowed" out.txt && ok || bad "type not allowed: $(cat out.txt)"

# Revocation: entries dated from the day on fail, earlier ones stay valid.
expect 0 "$L" issue --key exam.pem --holder "$H" --type DTZ --set dtz=b1 --date 2026-05-01 --out dtz_old.cose
expect 0 "$L" issue --key exam.pem --holder "$H" --type DTZ --set dtz=b1 --date 2026-07-01 --out dtz_new.cose
expect 0 "$L" trust revoke trust.cose --root root.pem --kid "$("$L" key kid exam.pem.pub)" --at 2026-06-01
expect 0 "$L" verify --trust trust.cose --root root.pem.pub dtz_old.cose
expect 1 "$L" verify --trust trust.cose --root root.pem.pub dtz_new.cose
grep -q "^key_not_valid" out.txt && ok || bad "revoked: $(cat out.txt)"

# Rollback: a terminal that accepted version 4 refuses version 3.
expect 0 "$L" verify --trust trust.cose --root root.pem.pub --min-version 4 ik.cose
expect 3 "$L" verify --trust trust-v3.cose --root root.pem.pub --min-version 4 ik.cose
grep -qi "older" err.txt && ok || bad "rollback message: $(cat err.txt)"

# A class at once.
{
	echo "holder,type,date,subtype,planned,attended"
	echo "$H,IK,2026-11-24,general,700,700"
	echo "$("$L" holder new),IK,2026-11-24,youth,1000,900"
} > class.csv
expect 0 "$L" issue --key vhs.pem --batch class.csv --out-dir class
[ "$(ls class | wc -l)" -eq 2 ] && grep -q "\[2/2\]" err.txt && ok || bad "batch: $(ls class) $(cat err.txt)"
echo "$H,IK,2026-11-24,martian,700,700" >> class.csv
expect 3 "$L" issue --key vhs.pem --batch class.csv --out-dir class2

# Card image: append until full, refuse another holder's entry, verify.
expect 0 "$L" image new --holder "$H" --capacity 500 --out card.img
expect 3 "$L" image new --holder "$H" --capacity 500 --out card.img   # exists
n=0
while "$L" image append card.img ik.cose 2>/dev/null; do n=$((n + 1)); done
[ "$n" -eq 4 ] && ok || bad "NTAG215-size image took $n typical entries, want 4"
"$L" image append card.img ik.cose 2>err.txt
grep -q "no room" err.txt && ok || bad "full card message: $(cat err.txt)"
expect 0 "$L" verify --trust trust.cose --root root.pem.pub card.img
grep -q "4 of 4 entries valid" out.txt && ok || bad "image verify: $(cat out.txt)"
"$L" image new --holder "$("$L" holder new)" --capacity 500 --out other.img
expect 3 "$L" image append other.img ik.cose
grep -q "another holder" err.txt && ok || bad "other holder: $(cat err.txt)"
expect 0 "$L" image entries card.img entries
[ "$(ls entries | wc -l)" -eq 4 ] && [ "$(stat -c %s entries/01.cose)" -eq 98 ] && ok || bad "image entries"
expect 0 "$L" show --json card.img

# Delete at the holder's request (an image file as the card): by an id
# prefix as card read lists it; the copy it keeps is gone after a good
# delete; restore puts a folder (image file) onto a blank card, adds only
# what a card lacks, and never writes another holder's card.
expect 0 "$L" image new --holder "$H" --capacity 500 --out del.img
"$L" card append --transport "fake:$PWD/del.img" ik.cose 2>/dev/null
"$L" card append --transport "fake:$PWD/del.img" dtz_old.cose 2>/dev/null
"$L" card append --transport "fake:$PWD/del.img" dtz_new.cose 2>/dev/null
cp del.img del-orig.img
ids=($("$L" card read --transport "fake:$PWD/del.img" --json | tr -d ' \n' | grep -o '"id":"[0-9a-f]*"' | cut -d'"' -f4))
[ "${#ids[@]}" -eq 3 ] && ok || bad "card read --json ids: ${ids[*]}"
# show --json of the entry file (with its holder hint) gives the same id: the card form's.
[ "$("$L" show --json dtz_old.cose | tr -d ' \n' | grep -o '"id":"[0-9a-f]*"' | cut -d'"' -f4)" = "${ids[1]}" ] && ok ||
	bad "show --json id differs from the card's"
expect 0 "$L" card delete --transport "fake:$PWD/del.img" "${ids[1]:0:8}"
[ "$(cat out.txt)" = "${ids[1]}" ] && grep -q "2 entries stay" err.txt && ok || bad "delete: $(cat out.txt err.txt)"
"$L" card read --transport "fake:$PWD/del.img" >out.txt 2>&1
grep -q "${ids[0]:0:12}" out.txt && ! grep -q "${ids[1]:0:12}" out.txt && grep -q "${ids[2]:0:12}" out.txt && ok ||
	bad "after delete: $(cat out.txt)"
ls laufmappe-*.img >/dev/null 2>&1 && bad "the copy outlived a good delete" || ok
expect 3 "$L" card delete --transport "fake:$PWD/del.img" "${ids[1]}"
grep -q "no entry whose id begins" err.txt && ok || bad "deleted twice: $(cat err.txt)"
expect 2 "$L" card delete --transport "fake:$PWD/del.img" "${ids[0]:0:7}"
expect 2 "$L" card delete --transport "fake:$PWD/del.img" xyz0123456
head -c 500 /dev/zero >blank.img
expect 0 "$L" card restore --transport "fake:$PWD/blank.img" del-orig.img
grep -q "3 written" err.txt && cmp -s blank.img del-orig.img && ok || bad "restore onto blank: $(cat err.txt)"
expect 0 "$L" card restore --transport "fake:$PWD/del.img" del-orig.img
grep -q "1 written" err.txt && ok || bad "restore adds what the card lacks: $(cat err.txt)"
expect 3 "$L" card restore --transport "fake:$PWD/other.img" del-orig.img
grep -q "another holder" err.txt && ok || bad "restore onto another holder's card: $(cat err.txt)"

# A forged entry on the card: verify exits 1 and names it.
"$L" key generate forger.pem >/dev/null
"$L" image new --holder "$H" --capacity 860 --out mixed.img
"$L" image append mixed.img ik.cose 2>/dev/null
"$L" issue --key forger.pem --holder "$H" --type IK --out forged.cose
"$L" image append mixed.img forged.cose 2>/dev/null
expect 1 "$L" verify --trust trust.cose --root root.pem.pub mixed.img
grep -q "unknown_issuer" out.txt && grep -q "1 of 2 entries valid" out.txt && ok || bad "forged: $(cat out.txt)"

# The paper backup: QR text (as zbarimg prints it) back into a card image.
# One code may carry several entries ("."-separated); a code scanned twice
# (every language's sheet has the same codes) restores nothing twice.
b64() { basenc --base64url -w0 "$1" | tr -d =; }
"$L" image new --holder "$H" --capacity 500 --out paper.img
"$L" image append paper.img ik.cose && "$L" image append paper.img dtz_old.cose
"$L" image entries paper.img paper  # the card form: what the codes carry
{
	echo "QR-Code:LM1:$H:$(b64 paper/01.cose).$(b64 paper/02.cose)"
	echo "QR-Code:LM1:$H:$(b64 paper/02.cose)"
} > qr.txt
"$L" image new --holder "$H" --capacity 500 --out restored.img
expect 0 "$L" qr import --trust trust.cose --root root.pem.pub --image restored.img qr.txt
grep -q "3 of 3 entries valid" out.txt && grep -q "2 entries restored" out.txt && ok ||
	bad "qr import: $(cat out.txt)"
cmp -s restored.img paper.img && ok || bad "restored image differs from the card"
first=$(head -1 qr.txt)                                    # one changed character:
c=${first:60:1}; [ "$c" = A ] && c=B || c=A                 # inside the base64 text
{ echo "${first:0:60}$c${first:61}"; tail -n +2 qr.txt; } > qr-bad.txt
expect 1 "$L" qr import --trust trust.cose --root root.pem.pub qr-bad.txt
echo "no backup here" | "$L" qr import --trust trust.cose --root root.pem.pub - >/dev/null 2>&1
[ $? -eq 1 ] && ok || bad "qr import without LM1 lines"

# A stale trust list is reported, not silently accepted; past the grace
# period nothing verifies (the clock run ahead with libfaketime).
ft=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketime\.so\.1$' | head -1)
if [ -n "$ft" ]; then
	LD_PRELOAD=$ft FAKETIME=+40d "$L" verify --trust trust.cose --root root.pem.pub paper.img >out.txt 2>err.txt &&
		grep -q "was due for update" err.txt && grep -q "2 of 2 entries valid" out.txt && ok ||
		bad "stale trust list: $(cat err.txt out.txt)"
	LD_PRELOAD=$ft FAKETIME=+50d "$L" verify --trust trust.cose --root root.pem.pub paper.img >out.txt 2>err.txt
	[ $? -eq 1 ] && grep -q "past the grace period" err.txt && grep -q "0 of 2 entries valid" out.txt && ok ||
		bad "expired trust list: $(cat err.txt out.txt)"
else
	bad "libfaketime missing (tools/install-deps.sh installs it)"
fi

# Messages in the user's language, from the gettext catalogs (po/); JSON stays English.
if [ -n "${LAUFMAPPE_LOCALEDIR:-}" ]; then
	LANGUAGE=de "$L" verify --trust trust.cose --root root.pem.pub mixed.img >out.txt 2>&1
	grep -q "Aussteller steht nicht auf der Vertrauensliste" out.txt && ok || bad "German verdict: $(cat out.txt)"
	LANGUAGE=de "$L" image append card.img ik.cose 2>err.txt
	grep -q "$(sed -n '/msgctxt "cli.err.card_full"/{n;n;p}' "$LAUFMAPPE_PO/de.po" | sed 's/msgstr "\(.*\)"/\1/')" err.txt && ok ||
		bad "German error: $(cat err.txt)"
	# What to do, in words: the card commands' advice and a message with an argument.
	LANGUAGE=de "$L" card read --transport "fake:$PWD/no-such-card.img" 2>err.txt
	grep -q "keine Karte auf dem Lesegerät: Karte auflegen" err.txt && ok || bad "German advice: $(cat err.txt)"
	LANGUAGE=uk "$L" card delete --transport "fake:$PWD/del.img" 00000000 2>err.txt
	grep -q "на картці немає запису" err.txt && ok || bad "Ukrainian delete message: $(cat err.txt)"
	LANGUAGE=tr "$L" card read --transport nope 2>err.txt
	grep -q "nope bir okuyucu değil" err.txt && ok || bad "Turkish message: $(cat err.txt)"
	LANGUAGE=de "$L" verify --trust trust.cose --root root.pem.pub --json mixed.img >out.json
	grep -q "issuer is not on the trust list" out.json && ok || bad "JSON must stay English"
fi

# Protected images (format version 2): the code is printed once, read from a
# file (never the command line), a wrong code and a typo fail with exit 3,
# and the file holds neither the holder id nor an entry's bytes.
expect 0 "$L" image new --protect --kdf-iterations 16384 --holder "$H" --capacity 860 --out prot.img
code=$(sed -n 's/^access code: //p' out.txt)
rec=$(sed -n 's/^recovery: //p' out.txt)
[[ $code =~ ^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$ ]] && ok || bad "access code line: $(cat out.txt)"
[[ $rec =~ ^LMR1:$H:[A-Za-z0-9_-]{22}$ ]] && ok || bad "recovery line: $(cat out.txt)"
echo "$code" >code.txt
expect 0 "$L" image new --protect --holder "$H" --capacity 860 --out prot2.img   # calibrated
[ "$(sed -n 's/^access code: //p' out.txt)" != "$code" ] && ok || bad "the same code twice"
expect 2 "$L" image new --protect --holder "$H" --capacity 40 --out x.img
expect 0 "$L" image append --access-code-file code.txt prot.img ik.cose
expect 0 "$L" image append --access-code-file code.txt prot.img dtz_old.cose
expect 0 "$L" verify --trust trust.cose --root root.pem.pub --access-code-file code.txt prot.img
grep -q "^holder $H" out.txt && grep -q "2 of 2 entries valid" out.txt && ok || bad "protected verify: $(cat out.txt)"
expect 0 "$L" show --json --access-code-file code.txt prot.img
grep -q '"version":2' <(tr -d ' \n' <out.txt) && ok || bad "protected show: $(cat out.txt)"
grep -q "$H" prot.img && bad "holder id in clear in a protected image" || ok
"$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --out ikh.cose >/dev/null 2>&1
"$L" image new --holder "$H" --capacity 860 --out plain.img >/dev/null 2>&1
"$L" image append plain.img ikh.cose 2>/dev/null
"$L" image entries plain.img plainent >/dev/null 2>&1
# the entry's signature (its last 64 bytes) is on a plain image, not on a protected one
sig=$(tail -c 64 plainent/01.cose | xxd -p | tr -d '\n')
xxd -p plain.img | tr -d '\n' | grep -q "$sig" && ok || bad "control: signature not found in a plain image"
"$L" image append --access-code-file code.txt prot.img ikh.cose 2>/dev/null
xxd -p prot.img | tr -d '\n' | grep -q "$sig" && bad "an entry's bytes in clear in a protected image" || ok
echo 0000-0000-0000 >wrong.txt
expect 3 "$L" verify --trust trust.cose --root root.pem.pub --access-code-file wrong.txt prot.img
grep -q "does not open this card" err.txt && ok || bad "wrong code message: $(cat err.txt)"
expect 3 "$L" image append --access-code-file wrong.txt prot.img ik.cose
c=${code:0:13}; last=${code:13:1}; [ "$last" = 0 ] && last=1 || last=0
echo "$c$last" >typo.txt
expect 3 "$L" show --access-code-file typo.txt prot.img
grep -q "mistyped" err.txt && ok || bad "typo message: $(cat err.txt)"
expect 2 "$L" show prot.img </dev/null                      # no file, no terminal: usage
if command -v setsid >/dev/null; then
	setsid "$L" show prot.img </dev/null >out.txt 2>err.txt && bad "no terminal" || ok
fi
echo "$code" | tr 'A-Z' 'a-z' | tr -d '-' >lower.txt           # what people type
expect 0 "$L" show --access-code-file lower.txt prot.img
if [ -n "${LAUFMAPPE_LOCALEDIR:-}" ]; then
	LANGUAGE=de "$L" show --access-code-file wrong.txt prot.img 2>err.txt
	grep -q "Zugangscode" err.txt && ok || bad "German wrong-code message: $(cat err.txt)"
	LANGUAGE=ar "$L" show --access-code-file typo.txt prot.img 2>err.txt
	grep -q "رمز" err.txt && ok || bad "Arabic typo message: $(cat err.txt)"
fi

# Help and usage.
expect 0 "$L" --help
expect 0 "$L" verify --help
# A new access code for a protected card (an image file through the fake
# transport): printed once, the new code reads the folder, the old one no
# longer (the recovery secret carried over: test_transport); a version 1
# card is refused.
head -c 1024 /dev/zero >cc.img
expect 0 "$L" card format --protect --kdf-iterations 16384 --holder "$H" --transport "fake:$PWD/cc.img"
sed -n 's/^access code: //p' out.txt >cc-old.txt
sed -n 's/^recovery: //p' out.txt >cc-rec.txt
expect 0 "$L" card append --transport "fake:$PWD/cc.img" --access-code-file cc-old.txt ik.cose
expect 0 "$L" card change-code --transport "fake:$PWD/cc.img" --access-code-file cc-old.txt
sed -n 's/^access code: //p' out.txt >cc-new.txt
[ "$(grep -c '^access code: ' out.txt)" = 1 ] && ! grep -q '^recovery:' out.txt && ok ||
	bad "change-code prints: $(cat out.txt)"
cmp -s cc-old.txt cc-new.txt && bad "change-code kept the code" || ok
grep -q "old code opens it no more" err.txt && ok || bad "change-code message: $(cat err.txt)"
expect 0 "$L" card read --transport "fake:$PWD/cc.img" --access-code-file cc-new.txt --trust trust.cose --root root.pem.pub
grep -q "1 of 1 entries valid" out.txt && ok || bad "read with the new code: $(cat out.txt)"
expect 3 "$L" card read --transport "fake:$PWD/cc.img" --access-code-file cc-old.txt
grep -q "does not open this card" err.txt && ok || bad "the old code: $(cat err.txt)"
ls laufmappe-*.img >/dev/null 2>&1 && bad "the copy outlived a good change-code" || ok
expect 3 "$L" card change-code --transport "fake:$PWD/cc.img" --access-code-file cc-old.txt
expect 3 "$L" card change-code --transport "fake:$PWD/del.img" --access-code-file cc-new.txt
grep -q "not protected" err.txt && ok || bad "change-code of a version 1 card: $(cat err.txt)"
if [ -n "${LAUFMAPPE_LOCALEDIR:-}" ]; then
	LANGUAGE=de "$L" card change-code --transport "fake:$PWD/del.img" 2>err.txt
	grep -q "die Karte ist nicht geschützt" err.txt && ok || bad "German change-code message: $(cat err.txt)"
fi

expect 2 "$L" nonsense
expect 2 "$L" verify

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
