#!/usr/bin/env bash
# The folder vault as the desk feels it: laufmapped with an image-file
# reader and a protected card of about 81 entries (8 KB), against one local
# PostgreSQL this script starts (tests/integration/vault/pg_rig.sh).
#   - unlock and desk write (POST /api/card/unlock, /api/card/append) times
#     with no vault line, with the vault up, and with it stopped: the tap
#     seals into the local outbox and never waits for the vault;
#   - from the write's answer to its record in the vault (the outbox
#     drained, seen in /api/status polled every 10 ms);
#   - the restore of the whole folder at a second office with an empty
#     cache, from the recovery line onto a blank card (fetch, unseal,
#     verify every entry, format protected, write them all, read back).
# Prints, asserts nothing.  Usage: BUILD=build bash bench/bench_daemon_vault.sh
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$src/${BUILD:-build}" && pwd)
L=$build/tools/laufmappe D=$build/daemon/laufmapped
grep -q LM_HAVE_VAULT "$build/build.ninja" 2>/dev/null || { echo "bench_daemon_vault: no vault client in this build"; exit 0; }
. "$src/tests/integration/vault/pg_rig.sh"
pg_rig_enter
W=$PG_RIG_DIR
cd "$W" || exit 1
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; pg_rig_cleanup' EXIT
pg_rig_start v
"$L" vault init "$(pg_rig_conninfo v)" --retention-days 30 >/dev/null 2>&1 || exit 1
for o in a b; do
	echo "pw-$o-$RANDOM$RANDOM" >$o.pw
	chmod 600 $o.pw
	"$L" vault add-office "$(pg_rig_conninfo v)" office_$o --login-password-file $o.pw >/dev/null 2>&1 || exit 1
done
"$L" key generate root.pem >/dev/null && "$L" key generate vhs.pem >/dev/null && "$L" key generate city.pem >/dev/null
"$L" trust create --root root.pem --out trust.cose 2>/dev/null
"$L" trust add trust.cose --root root.pem --pub vhs.pem.pub --name VHS --role course_provider --types IK 2>/dev/null
"$L" trust add trust.cose --root root.pem --pub city.pem.pub --name Stadt --role city --types BER,MENT,REG 2>/dev/null
echo "token-for-the-benchmark-0123" >token
chmod 600 token
H=$("$L" holder new)
"$L" image new --holder "$H" --capacity 8192 --out full.img --protect --kdf-iterations 16384 >new.txt 2>/dev/null
CODE=$(sed -n 's/^access code: //p' new.txt)
REC=$(sed -n 's/^recovery: //p' new.txt)
printf '%s\n' "$CODE" >code.txt
n=0
while [ $n -lt 78 ] && "$L" issue --key vhs.pem --holder "$H" --type IK --set planned=700 --set attended=$((600 + n)) \
	--date 2026-11-24 --out e.cose && "$L" image append --access-code-file code.txt full.img e.cose 2>/dev/null; do
	n=$((n + 1))
done
auth=(-H "Authorization: Bearer token-for-the-benchmark-0123")
k=0

# office NAME PORT VAULT(yes|no): a daemon; sets URL.
office() {
	rm -f "$1".db* "$1".state*
	cat >"$1.conf" <<CONF
readers = fake:$W/$1.img
root_key = $W/root.pem.pub
trust_list = $W/trust.cose
trust_state = $W/$1.state
role = city
signing_key = $W/city.pem
database = $W/$1.db
listen = 127.0.0.1:$2
token_file = $W/token
web_root = $src/daemon/web
poll_ms = 50
CONF
	[ "$3" = yes ] && printf 'vault = %s\nvault_password_file = %s\nvault_sync_s = 300\nvault_timeout_s = 2\n' \
		"$(pg_rig_tcp v office_"$1")" "$W/$1.pw" >>"$1.conf"
	"$D" -d -c "$1.conf" >>"$1.log" 2>&1 &
	PIDS+=($!)
	URL=http://127.0.0.1:$2
	for _ in $(seq 100); do curl -sf "$URL/api/status" >/dev/null && return 0; sleep 0.05; done
	echo "office $1 did not start"; exit 1
}
state() { curl -s "$URL/api/readers" | grep -o '"state":"[a-z]*"' | head -1 | cut -d'"' -f4; }
until_state() { for _ in $(seq 400); do [ "$(state)" = "$1" ] && return 0; sleep 0.02; done; return 1; }
outbox() { curl -s "$URL/api/status" | grep -o '"outbox":[0-9]*' | cut -d: -f2; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ms() { awk '{printf "%.1f\n", $1 * 1000}'; }

# run MODE: 5 rounds of tap, unlock, append on a fresh copy of the card.
run() {
	local mode=$1 u=() w=() dr=()
	for i in 1 2 3 4 5; do
		rm -f a.img
		until_state empty
		cp full.img a.img
		until_state locked || { echo "no locked state"; return; }
		u+=("$(curl -s -o /dev/null -w '%{time_total}' -X POST "${auth[@]}" "$URL/api/card/unlock" -d "{\"code\":\"$CODE\"}" | ms)")
		until_state card
		# a new entry each time (the same bytes would be one record)
		k=$((k + 1))
		w+=("$(curl -s -o /dev/null -w '%{time_total}' -X POST "${auth[@]}" "$URL/api/card/append" \
			-d "{\"entry\":{\"type\":\"BER\",\"date\":\"2026-10-$((10 + k))\",\"fields\":{\"service\":\"other\"}}}" | ms)")
		if [ "$mode" = "vault up" ]; then
			t0=$(date +%s%N)
			for _ in $(seq 500); do [ "$(outbox)" = 0 ] && break; sleep 0.01; done
			dr+=("$((($(date +%s%N) - t0) / 1000000))")
		fi
	done
	printf '%-14s unlock (tap, decrypt, verify, store%s) median %s ms; desk write (sign, append, read back, store%s) median %s ms\n' \
		"$mode:" "$([ "$mode" = "no vault" ] || echo ', seal')" "$(printf '%s\n' "${u[@]}" | median)" \
		"$([ "$mode" = "no vault" ] || echo ', seal')" "$(printf '%s\n' "${w[@]}" | median)"
	[ ${#dr[@]} -gt 0 ] && echo "               from the write's answer to its record in the vault: median $(printf '%s\n' "${dr[@]}" | median) ms (outbox polled every 10 ms)"
}

echo "a protected card of $n entries ($(stat -c %s full.img) bytes), PBKDF2 16384 rounds"
office a 18341 no
run "no vault"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null
office a 18341 yes
for _ in $(seq 100); do curl -s "$URL/api/status" | grep -q '"reachable":true' && break; sleep 0.05; done
run "vault up"
pg_rig_stop v
run "vault stopped"
echo "               outbox while stopped: $(outbox) rows"
pg_rig_restart v
t0=$(date +%s%N)
for _ in $(seq 3000); do [ "$(outbox)" = 0 ] && break; sleep 0.01; done
echo "               drained $((($(date +%s%N) - t0) / 1000000)) ms after the vault came back (the thread's backoff included)"
echo "vault: $(pg_rig_psql v -tAc 'SELECT count(*) FROM lm_vault.records') records under $(pg_rig_psql v -tAc 'SELECT count(DISTINCT tag) FROM lm_vault.records') tag"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null
# Office B, empty cache: the holder brings the recovery line.
office b 18342 yes
r=()
for i in 1 2 3; do
	rm -f b.img b.db* && :
	head -c 16384 /dev/zero >b.img # room for the desk writes above too
	until_state error
	out=$(curl -s -w ' %{time_total}' -X POST "${auth[@]}" "$URL/api/holders/$H/restore" -d "{\"recovery\":\"$REC\"}")
	r+=("$(echo "$out" | awk '{print $NF}' | ms)")
	[ -n "${LM_BENCH_DEBUG:-}" ] && echo "$out"
	written=$(echo "$out" | grep -o '"written":[0-9]*' | cut -d: -f2)
	fromv=$(echo "$out" | grep -o '"from_vault":[0-9]*' | cut -d: -f2)
	rm -f b.img
	until_state empty
done
echo "restore at an office that never saw the holder: $written entries written ($fromv from the vault), median $(printf '%s\n' "${r[@]}" | median) ms per restore (fetch, unseal, verify all, format protected with a calibrated ~100 ms key derivation, write, read back)"
