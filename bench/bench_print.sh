#!/usr/bin/env bash
# The print view's size figures: for folders of N entries (a registration,
# then integration courses and DTZ results taking turns), the A4 pages one
# language's sheet takes in Chromium's print to PDF, the QR codes on it and
# the entries per code.  Real daemon (the image-file transport, no pcscd),
# real QR codes.  Prints, asserts nothing.
# Usage: BUILD=build bash bench/bench_print.sh [N,N,...]
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$src/${BUILD:-build}" && pwd)
L=$build/tools/laufmappe D=$build/daemon/laufmapped
sizes=${1:-8,9,20,40,55,60,81}
[ -d "$src/tests/browser/node_modules/playwright-core" ] && [ -x /usr/bin/chromium ] ||
	{ echo "bench_print: needs chromium and tests/browser/node_modules (tools/install-deps.sh)"; exit 0; }
work=$(mktemp -d)
dpid=
trap '[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid"; rm -rf "$work"' EXIT
cd "$work"
for k in root city vhs exam; do "$L" key generate $k.pem >/dev/null; done
"$L" trust create --root root.pem --out trust.cose 2>/dev/null
"$L" trust add trust.cose --root root.pem --pub city.pem.pub --name "Stadt Krefeld, Integration" --role city --types REG 2>/dev/null
"$L" trust add trust.cose --root root.pem --pub vhs.pem.pub --name "VHS Krefeld" --role course_provider --types IK 2>/dev/null
"$L" trust add trust.cose --root root.pem --pub exam.pem.pub --name "telc Pruefzentrum Krefeld" --role exam_centre --types DTZ 2>/dev/null
echo "token-for-the-benchmark-0123" >token && chmod 600 token
port=18390
for n in ${sizes//,/ }; do
	H=$("$L" holder new)
	rm -f card.img
	"$L" image new --holder "$H" --capacity 8192 --out card.img >/dev/null
	"$L" issue --key city.pem --holder "$H" --type REG --date 2026-01-05 --set "name=Amina Yousef" \
		--set birth_year=1998 --set evidence=document_checked --out reg.cose
	"$L" image append card.img reg.cose >/dev/null 2>&1
	rm -rf ik dtz
	{ echo "holder,type,date,subtype,planned,attended,status"
	  for ((i = 1; i < n; i += 2)); do echo "$H,IK,2026-03-01,general,700,$((600 + i)),done"; done; } >ik.csv
	{ echo "holder,type,date,dtz,listen_read,writing,speaking"
	  for ((i = 2; i < n; i += 2)); do echo "$H,DTZ,2026-06-01,b1,$((i % 45)),16,81"; done; } >dtz.csv
	"$L" issue --key vhs.pem --batch ik.csv --out-dir ik 2>/dev/null
	[ "$n" -gt 2 ] && "$L" issue --key exam.pem --batch dtz.csv --out-dir dtz 2>/dev/null
	for ((i = 1; i < n; i++)); do
		if ((i % 2)); then f=$(ls ik | sed -n "$(((i + 1) / 2))p"); f=ik/$f
		else f=$(ls dtz | sed -n "$((i / 2))p"); f=dtz/$f; fi
		"$L" image append card.img "$f" >/dev/null 2>&1 || break
	done
	port=$((port + 1))
	cat >d.conf <<CONF
readers = fake:$work/card.img
root_key = $work/root.pem.pub
trust_list = $work/trust.cose
role = city
institution = Stadt Krefeld
database = $work/d$n.db
listen = 127.0.0.1:$port
token_file = $work/token
web_root = $src/daemon/web
CONF
	"$D" -d -c d.conf 2>d.log &
	dpid=$!
	for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/api/status" >/dev/null && break; sleep 0.1; done
	NODE_PATH=$src/tests/browser/node_modules node "$src/bench/print_pages.mjs" "http://127.0.0.1:$port" "$n" "$work/p$n.pdf"
	kill "$dpid"; wait "$dpid" 2>/dev/null; dpid=
done
