#!/usr/bin/env bash
# The Quick start demo: installs what is missing, builds, makes a demo folder
# with the CLI (a city root key and trust list, issuers, a holder's card with
# a class certificate, an exam and one forged entry), then runs the desk:
#
#   - as root: a private pcscd with the vpcd reader driver and lm-vcard
#     holding the demo folder, in their own network namespace (vpcd listens
#     on all interfaces: nothing of it reaches the host), inside a mount
#     namespace with a tmpfs on /run/pcscd (so a system pcscd is not
#     disturbed); laufmapped runs in that mount namespace but on the host's
#     loopback, so the page opens in the host's browser at
#     http://127.0.0.1:PORT/ (PORT = $LM_DEMO_PORT, default 8730).
#     Press Enter to take the card off the reader and to put it back;
#     Ctrl-C stops everything this script started (by PID) and cleans up.
#   - not root, or without laufmapped: only the offline round (verify the
#     card image with the CLI), and a hint.
#
# Everything lands in ./demo/ (removed and made anew).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PORT=${LM_DEMO_PORT:-8730}
VPCD_PORT=${LM_DEMO_VPCD_PORT:-35963}

if [ -z "${LM_DEMO_INSIDE:-}" ]; then
	bash tools/install-deps.sh
	[ -f build/build.ninja ] || meson setup build >/dev/null
	meson compile -C build >/dev/null
	L=$ROOT/build/tools/laufmappe
	rm -rf demo && mkdir demo && cd demo

	echo "== keys: the city's root, three institutions, and the desk terminal's"
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
	$L image new --holder "$H" --capacity 4096 --out card.img
	$L issue --key city.pem --holder "$H" --type REG --set name="Amina Yousef" --set birth_year=1998 \
		--set evidence=document_checked --set qualification=vocational --out reg.cose
	$L image append card.img reg.cose

	echo "== the VHS signs the integration course for the whole class at its last lesson"
	{
		echo "holder,type,date,subtype,planned,attended,status"
		echo "$H,IK,2026-11-24,general,700,700,done"
		for i in 1 2 3; do echo "$($L holder new),IK,2026-11-24,general,700,6${i}0,done"; done
	} >class.csv
	$L issue --key vhs.pem --batch class.csv --out-dir class
	$L image append card.img class/"$H"-IK-1.cose
	$L issue --key exam.pem --holder "$H" --type DTZ --date 2026-11-20 --set dtz=b1 \
		--set listen_read=38 --set writing=16 --set speaking=81 --out dtz.cose
	$L image append card.img dtz.cose
	$L issue --key exam.pem --holder "$H" --type LID --date 2026-11-21 --set score=27 --out lid.cose
	$L image append card.img lid.cose

	echo "== a forged entry (signed by a key the city does not trust) is added too"
	$L key generate forger.pem >/dev/null
	$L issue --key forger.pem --holder "$H" --type DTB --set level=c1 --out forged.cose
	$L image append card.img forged.cose

	echo "== the desk terminal verifies the card offline"
	$L verify --trust trust.cose --root root.pem.pub card.img || true
	echo

	D=$ROOT/build/daemon/laufmapped
	if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null || [ ! -x "$D" ]; then
		[ -x "$D" ] || echo "laufmapped is not built yet: the live desk needs it."
		[ "$(id -u)" = 0 ] || echo "The live desk (private pcscd + virtual card + laufmapped) needs root for its namespaces."
		echo "Demo files are in $PWD.  Try: $L verify --trust trust.cose --root root.pem.pub --json card.img"
		exit 0
	fi

	# The virtual card's memory: the applet's 1024-byte journal (idle), then
	# the card image (docs/applet.md, "NVM layout").
	{ head -c 1024 /dev/zero; cat card.img; } >card.mem
	head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >token
	chmod 600 token
	cat >laufmapped.conf <<CONF
# demo terminal: the city's integration office (docs/api.md, laufmapped.conf(5))
listen = 127.0.0.1:$PORT
web_root = $ROOT/daemon/web
institution = Stadt Krefeld, Integration
role = city
root_key = $PWD/root.pem.pub
trust_list = $PWD/trust.cose
signing_key = $PWD/city.pem
token_file = $PWD/token
database = $PWD/cache.db
readers = pcsc
CONF
	LM_DEMO_INSIDE=1 exec unshare -m --propagation private -- bash "$ROOT/tools/demo.sh"
fi

# ---- inside the private mount namespace (root) ----
cd "$ROOT/demo"
mkdir -p /run/pcscd
mount -t tmpfs tmpfs /run/pcscd
mkdir -p reader.conf.d
hex=$(printf '0x%X' "$VPCD_PORT")
printf 'FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:%s\nLIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID    %s\n' \
	"$hex" "$hex" >reader.conf.d/vpcd

pids=()
cleanup() {
	trap - EXIT INT TERM
	echo
	echo "== stopping the demo"
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	exit 0
}
trap cleanup EXIT INT TERM

# pcscd and the card share a network namespace of their own (only lo): the
# card program reaches vpcd there, and vpcd's listening port is invisible to
# the host.  pcscd's socket is in /run/pcscd, which the daemon sees.
# The helper below runs there; it starts the card when told "in" on its
# stdin and pulls it on "out".
mkfifo card.ctl
unshare -n -- bash -c '
	ip link set lo up
	pcscd -f -c "$PWD/reader.conf.d" >pcscd.log 2>&1 &
	pcscd_pid=$!
	card_pid=
	trap "[ -n \"\$card_pid\" ] && kill -TERM \$card_pid; kill -TERM \$pcscd_pid; wait" EXIT
	while read -r cmd; do
		case $cmd in
		in) "$0" --memory "$PWD/card.mem" --port '"$VPCD_PORT"' >>card.log 2>&1 & card_pid=$! ;;
		out) [ -n "$card_pid" ] && kill -TERM "$card_pid" && wait "$card_pid"; card_pid= ;;
		esac
	done
' "$ROOT/build/firmware/lm-vcard" <card.ctl &
pids+=($!)
exec 3>card.ctl
sleep 1

"$ROOT/build/daemon/laufmapped" -d -c laufmapped.conf >laufmapped.log 2>&1 &
pids+=($!)
for _ in $(seq 50); do
	curl -sf "http://127.0.0.1:$PORT/api/status" >/dev/null && break
	sleep 0.1
done
echo in >&3
# A demo staff member, and the one-time link that sets up the browser as
# this terminal (docs/desk.md, "Staff sign-in"): nothing long to type.
printf '1234\n' | "$ROOT/build/daemon/laufmapped" -c laufmapped.conf --staff-add demo --pin-file - >/dev/null
LINK=$("$ROOT/build/daemon/laufmapped" -c laufmapped.conf --setup-link 2>/dev/null)

cat <<MSG
== the desk is running
   Open   $LINK
          (once, within 10 minutes: it sets this browser up as the terminal;
          afterwards http://127.0.0.1:$PORT/; the card is on the reader)
   Sign in as "demo" with PIN 1234 to add or delete entries.
   Scripts write with the token in $PWD/token (Authorization: Bearer).
   Logs in $PWD: laufmapped.log, pcscd.log, card.log
   Enter: take the card off the reader / put it back.   Ctrl-C: stop.
MSG
on=1
while read -r _; do
	if [ $on = 1 ]; then echo out >&3; on=0; echo "card taken off the reader"
	else echo in >&3; on=1; echo "card put on the reader"; fi
done
# stdin closed (not a terminal): keep running until Ctrl-C.
while :; do sleep 3600; done
