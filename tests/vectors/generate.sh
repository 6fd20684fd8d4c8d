#!/usr/bin/env bash
# Regenerates the test vectors with the laufmappe CLI.  Run on demand only
# (the vectors are committed): bash tests/vectors/generate.sh BUILD_DIR
#
# Keys are kept (delete *.pem to make new ones).  Entries are deterministic
# (RFC 6979 ECDSA), so regenerating with the same keys gives the same bytes;
# the trust list carries its issue time and changes on every run.
set -euo pipefail
build=${1:-build}
L=$(realpath "$build/tools/laufmappe")
cd "$(dirname "$0")"
A=a1a2a3a4a5a6a7a8a9aaabacadaeafb0   # holder A
B=b1b2b3b4b5b6b7b8b9babbbcbdbebfc0   # holder B

for k in root city vhs exam revoked rogue; do
	if [ ! -f $k.pem ]; then
		rm -f $k.pem.pub
		"$L" key generate $k.pem >/dev/null
		mv $k.pem.pub $k.pub
	fi
done
rm -f trust.cose entries/*.cose images/*.img
mkdir -p entries images
# Long next-update so the vectors do not go stale (test-only).
"$L" trust create --root root.pem --out trust.cose --next-update-days 36500 2>/dev/null
add() { "$L" trust add trust.cose --root root.pem --next-update-days 36500 "$@" 2>/dev/null; }
add --pub city.pub --name "Stadt Krefeld, Integration" --role city \
	--types EOK,IK,DTZ,LID,ZIK,BSK,DTB,ANR,APQ,ZAB,SCH,MYS,KOMP,PRA,EQ,AUSB,ASA,MENT,BER,JOB,REG
add --pub vhs.pub --name "VHS Krefeld" --role course_provider --types EOK,IK,BSK
add --pub exam.pub --name "telc Pruefzentrum" --role exam_centre --types DTZ,LID,DTB
add --pub revoked.pub --name "Alter Traeger" --role course_provider --types IK --from 2020-01-01
"$L" trust revoke trust.cose --root root.pem --kid "$("$L" key kid revoked.pub)" \
	--at 2026-06-01 --next-update-days 36500 2>/dev/null

manifest=()
entry() { # name key holder expect type [fields...]
	local name=$1 key=$2 holder=$3 expect=$4 type=$5; shift 5
	local sets=()
	for f in "$@"; do sets+=(--set "$f"); done
	"$L" issue --key "$key.pem" --holder "$holder" --type "$type" --date "${DATE:-2026-11-24}" \
		"${sets[@]}" --out "entries/$name.cose"
	manifest+=("{\"file\":\"entries/$name.cose\",\"holder\":\"$A\",\"expect\":\"$expect\",\"issuer\":\"$key.pub\"}")
}
# One valid entry of every type, with typical fields.
entry ik_typical vhs $A valid IK subtype=general planned=700 attended=700 status=done
entry eok vhs $A valid EOK attended=300
entry ik_alpha vhs $A valid IK subtype=literacy planned=1300 attended=1212 status=running repeat=yes
entry dtz exam $A valid DTZ dtz=b1 listen_read=38 writing=16 speaking=81
entry lid exam $A valid LID score=27
entry zik city $A valid ZIK
entry bsk vhs $A valid BSK module=b2 attended=400 status=done
entry dtb exam $A valid DTB level=b2 exam=telc
entry anr city $A valid ANR occupation=29302 recognition=partial
entry apq city $A valid APQ occupation=29302 gaps_closed=yes deadline=2027-06-30 status=running
entry zab city $A valid ZAB degree=bachelor
entry sch city $A valid SCH school=mittlerer_abschluss
entry mys city $A valid MYS myskills=12 test_lang=ar ratings=03020301
entry komp city $A valid KOMP tool=profilpass
entry pra city $A valid PRA kind=vocational end=2026-12-19 hours=160 status=done
entry eq city $A valid EQ occupation=26212 months=9 status=running
entry ausb city $A valid AUSB occupation=26212 status=running
entry asa city $A valid ASA phase=during end=2027-08-31 status=running
entry ment city $A valid MENT programme="Ausbildungspaten Krefeld" end=2027-08-31 status=running
entry ber city $A valid BER service=migration_counselling next=2026-12-08
entry job city $A valid JOB occupation=62102 hours_band=15_to_30 status=running
entry reg city $A valid REG name="Amina Yousef" birth_year=1998 evidence=document_checked literacy=latin qualification=vocational work_experience=yes
# One entry for each failing verdict.
entry unknown_issuer rogue $A unknown_issuer IK subtype=general planned=700 attended=700
entry type_not_allowed vhs $A type_not_allowed DTZ dtz=a2
DATE=2026-07-01 entry key_revoked revoked $A key_not_valid IK planned=700 attended=600
DATE=2019-12-31 entry key_not_yet_valid revoked $A key_not_valid IK planned=700 attended=600
entry wrong_holder vhs $B wrong_holder IK subtype=general planned=700 attended=700
# bad_signature: the typical entry with one signature byte changed.
cp entries/ik_typical.cose entries/bad_signature.cose
printf '\x00' | dd of=entries/bad_signature.cose bs=1 seek=$(( $(stat -c %s entries/ik_typical.cose) - 1 )) conv=notrunc 2>/dev/null
manifest+=("{\"file\":\"entries/bad_signature.cose\",\"holder\":\"$A\",\"expect\":\"bad_signature\",\"issuer\":\"vhs.pub\"}")
# malformed: a non-shortest head (0x18 0x02 for the type) inside the payload.
# Built by hand: the typical payload with "01 02" replaced by "01 18 02" is
# not deterministic CBOR and must be refused before any signature check.
manifest+=("{\"file\":\"entries/malformed_noncanonical.cose\",\"holder\":\"$A\",\"expect\":\"malformed\",\"issuer\":\"vhs.pub\"}")
hex=$(xxd -p entries/ik_typical.cose | tr -d '\n')
# payload bstr "4f a4 01 02 ..." -> "50 a4 01 18 02 ..."
echo -n "${hex/4fa40102/50a4011802}" | xxd -r -p > entries/malformed_noncanonical.cose

# A card image with several entries for holder A, and a full NTAG213-size one.
"$L" image new --holder $A --capacity 860 --out images/ntag216_a.img   # an NTAG216 image (docs/nfc.md)
card= i=0
for e in reg:city ik_typical:vhs dtz:exam lid:exam zik:city bsk:vhs; do
	"$L" image append images/ntag216_a.img entries/${e%:*}.cose 2>/dev/null
	i=$((i + 1))
	card+="${card:+,}{\"file\":\"card/0$i.cose\",\"issuer\":\"${e#*:}.pub\"}"
done
rm -rf card && "$L" image entries images/ntag216_a.img card >/dev/null
"$L" image new --holder $A --capacity 132 --out images/ntag213_full.img   # an NTAG213 image
"$L" image append images/ntag213_full.img entries/ik_typical.cose 2>/dev/null

{
	echo '{"holder_a":"'$A'","holder_b":"'$B'","trust":"trust.cose","root":"root.pub","vectors":['
	(IFS=,; echo "${manifest[*]}") | sed 's/},{/},\n{/g'
	echo "],\"card_entries\":[$card],\"images\":[{\"file\":\"images/ntag216_a.img\",\"entries\":6,\"valid\":6},{\"file\":\"images/ntag213_full.img\",\"entries\":1,\"valid\":1}]}"
} > manifest.json
echo "vectors written: ${#manifest[@]} entries"
