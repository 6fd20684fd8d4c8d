#!/usr/bin/env bash
# What one tap costs in work, not time: laufmapped runs under callgrind
# (instruction-exact, repeatable) with an image-file reader; a full 8 KB
# card of 81 distinct entries is tapped cold (a new cache), then warm (every
# verdict cached), and the call counts of the functions that hash, decode,
# verify and store are printed per entry, with the cache transactions per
# tap.  The signatures are checked in the daemon's verifier processes
# (forked, not followed here): verifier_send counts the entries sent to
# them, each checked once there (lm_trust_prepare and lm_trust_check again,
# in the child); lm_trust_check counts the checks in the daemon itself.
# Prints, asserts nothing.
# Usage: BUILD=build bash bench/bench_tap_cost.sh
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$src/${BUILD:-build}" && pwd)
L=$build/tools/laufmappe D=$build/daemon/laufmapped
command -v valgrind >/dev/null || { echo "bench_tap_cost: valgrind missing"; exit 0; }
work=$(mktemp -d)
dpid=
trap '[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid"; rm -rf "$work"' EXIT
cd "$work"
. "$src/bench/full_card.sh"
full_card "$L"
echo "token-for-the-benchmark-0123" >token
chmod 600 token # the daemon refuses a token others may read
cat >d.conf <<CONF
readers = fake:$work/card.img
root_key = $work/root.pem.pub
trust_list = $work/trust.cose
role = city
database = $work/d.db
listen = 127.0.0.1:18310
token_file = $work/token
web_root = $src/daemon/web
poll_ms = 100
CONF
# taps N: run the daemon under callgrind for N taps of the card, print counts.
taps() {
	rm -f d.db* trust.state cg.out card.img
	valgrind --tool=callgrind --callgrind-out-file=cg.out "$D" -d -c d.conf 2>d.log &
	dpid=$!
	for _ in $(seq 300); do curl -sf http://127.0.0.1:18310/api/status >/dev/null && break; sleep 0.1; done
	for i in $(seq "$1"); do
		cp full.img card.img
		for _ in $(seq 600); do [ "$(grep -c 'read$' d.log)" -ge "$i" ] && break; sleep 0.1; done
		rm card.img
		sleep 1
	done
	kill "$dpid"; wait "$dpid"; dpid=
	# Call counts from callgrind's own file: "calls=N" follows each
	# "cfn=" (callee); names are compressed to "(id)" after their first use
	# in an fn= or cfn= line.
	for f in lm_sha256 lm_entry_decode lm_cose_verify lm_trust_check verifier_send lm_cache_put_entry lm_cache_get_verdict lm_cache_put_verdict lm_cache_begin; do
		c=$(awk -v f="$f" '
			/^c?fn=\(/ { id = $0; sub(/^c?fn=/, "", id); name = id; sub(/ .*/, "", id)
				      if (sub(/^\([0-9]+\) /, "", name)) nm[id] = name
				      if ($0 ~ /^cfn=/) cur = nm[id] }
			/^calls=/ { split($0, a, /[= ]/); if (cur == f) s += a[2] }
			END { print s + 0 }' cg.out)
		printf '%s=%s ' "$f" "$c"
	done
	echo
}
echo "card: $n entries"
echo "one cold tap: $(taps 1)"
echo "one cold + one warm tap: $(taps 2)"
