#!/usr/bin/env bash
# The Quick start demo: installs what is missing, builds, and runs a whole
# round on the embedded default, with no hardware: a demo city root key and
# trust list, issuers (VHS, exam centre, city), a holder's card image, a
# class of entries signed at once, a forged entry, and the verification a
# desk terminal does.  Everything lands in ./demo/ (removed and made anew).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
meson compile -C build >/dev/null
L=$PWD/build/tools/laufmappe
rm -rf demo && mkdir demo && cd demo

echo "== keys: the city's root, and three institutions"
$L key generate root.pem >/dev/null
for k in city vhs exam; do $L key generate $k.pem >/dev/null; done
echo "== the city's trust list"
$L trust create --root root.pem --out trust.cose 2>/dev/null
$L trust add trust.cose --root root.pem --pub city.pem.pub --name "Stadt Krefeld, Integration" \
	--role city --types REG,MENT,BER 2>/dev/null
$L trust add trust.cose --root root.pem --pub vhs.pem.pub --name "VHS Krefeld" \
	--role course_provider --types EOK,IK,BSK 2>/dev/null
$L trust add trust.cose --root root.pem --pub exam.pem.pub --name "telc Pruefzentrum Krefeld" \
	--role exam_centre --types DTZ,LID,DTB 2>/dev/null
$L trust show trust.cose --root root.pem.pub

echo "== a new card for a holder (random id), registered by the city"
H=$($L holder new)
$L image new --holder "$H" --capacity 888 --out card.img    # NTAG216 user memory
$L issue --key city.pem --holder "$H" --type REG --set name="Amina Yousef" --set birth_year=1998 \
	--set evidence=document_checked --set qualification=vocational --out reg.cose
$L image append card.img reg.cose

echo "== the VHS signs the integration course for the whole class at its last lesson"
{
	echo "holder,type,date,subtype,planned,attended,status"
	echo "$H,IK,2026-11-24,general,700,700,done"
	for i in 1 2 3; do echo "$($L holder new),IK,2026-11-24,general,700,6${i}0,done"; done
} > class.csv
$L issue --key vhs.pem --batch class.csv --out-dir class
$L image append card.img class/"$H"-IK-1.cose
$L issue --key exam.pem --holder "$H" --type DTZ --date 2026-11-20 --set dtz=b1 \
	--set listen_read=38 --set writing=16 --set speaking=81 --out dtz.cose
$L image append card.img dtz.cose

echo "== a forged entry (signed by a key the city does not trust) is added too"
$L key generate forger.pem >/dev/null
$L issue --key forger.pem --holder "$H" --type DTB --set level=c1 --out forged.cose
$L image append card.img forged.cose

echo "== the desk terminal verifies the card offline"
$L show card.img
$L verify --trust trust.cose --root root.pem.pub card.img || true
echo
echo "Demo files are in $PWD.  Try: $L verify --trust trust.cose --root root.pem.pub --json card.img"
