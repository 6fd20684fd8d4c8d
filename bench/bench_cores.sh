#!/usr/bin/env bash
# The daemon's cold verify of a full card on one core and on two: laufmapped
# confined by taskset to one CPU, then to two (verify_threads left at its
# default: the cores it may run on), taps a full 8 KB image (81 entries of
# distinct bytes, none cached) on the image-file reader, whose read costs
# well under a millisecond: the tap's "ms" is the daemon's work (identify,
# verify, store, view).  Runs alternate between the two settings; each is
# a fresh daemon with a fresh cache, which taps an empty card first (the
# database's first write, which creates its log, is not the card's cost).
# Prints medians, quartiles and minima,
# asserts nothing.  The floor of the ratio is 2.00 (the work split evenly,
# nothing serial).
# Usage: BUILD=build [LM_BENCH_RUNS=15] bash bench/bench_cores.sh
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$src/${BUILD:-build}" && pwd)
L=$build/tools/laufmappe D=$build/daemon/laufmapped
runs=${LM_BENCH_RUNS:-15}
cpus=$(taskset -pc $$ | sed 's/.*: //')
c0=$(echo "$cpus" | tr ',-' '  ' | awk '{print $1}')
two=$(python3 -c "import os; print(','.join(map(str, sorted(os.sched_getaffinity(0))[:2])))")
[ "$(echo "$two" | tr ',' '\n' | wc -l)" = 2 ] || { echo "bench_cores: needs two CPUs (have $cpus)"; exit 0; }
dir=$(mktemp -d)
dpid= TAP_CURL=
trap '[ -n "$TAP_CURL" ] && kill $TAP_CURL 2>/dev/null; [ -n "$dpid" ] && kill $dpid 2>/dev/null && wait $dpid 2>/dev/null; rm -rf "$dir"' EXIT
cd "$dir"
. "$src/bench/full_card.sh"
. "$src/bench/tap_event.sh"
full_card "$L"
"$L" image new --holder "$("$L" holder new)" --capacity 8192 --out warm.img >/dev/null
echo "token-for-the-benchmark-0123" >token && chmod 600 token
port=18310
# one_tap IMAGE: the card IMAGE put on the fake reader; prints its tap's "ms".
one_tap() {
	: >events
	tap_watch "$port" events
	cp "$1" card.img.new && mv card.img.new card.img
	tap_wait
	grep -o '"ms":[0-9.]*' events | head -1 | cut -d: -f2
}
# tap CPUS: a daemon confined to CPUS, with a new cache, taps an empty card
# of another holder first (so that the measured tap is not the database's
# first write: creating its write-ahead log costs fsyncs, a cost of a new
# database, not of a card), then the full card, cold; prints that tap's "ms".
tap() {
	rm -f card.img cache.db*
	cat >d.conf <<CONF
readers = fake:$dir/card.img
root_key = $dir/root.pem.pub
trust_list = $dir/trust.cose
trust_state = $dir/trust.state
role = city
database = $dir/cache.db
listen = 127.0.0.1:$port
token_file = $dir/token
web_root = $src/daemon/web
poll_ms = 20
CONF
	taskset -c "$1" "$D" -d -c d.conf 2>d.log &
	dpid=$!
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/status" >/dev/null && break; sleep 0.05; done
	one_tap warm.img >/dev/null
	rm -f card.img
	sleep 0.1
	one_tap full.img
	kill $dpid && wait $dpid
	dpid=
}
: >one.txt
: >two.txt
for _ in $(seq "$runs"); do
	tap "$c0" >>one.txt
	tap "$two" >>two.txt
done
# stats FILE: median q1 q3 min (ms)
stats() { sort -n "$1" | awk '{v[NR] = $1} END {printf "%.1f %.1f %.1f %.1f", v[int((NR + 1) / 2)], v[int((NR + 3) / 4)], v[int((3 * NR + 1) / 4)], v[1]}'; }
read -r m1 a1 b1 min1 <<<"$(stats one.txt)"
read -r m2 a2 b2 min2 <<<"$(stats two.txt)"
echo "daemon cold verify of a full card ($n entries), $runs taps each, fresh daemon and cache:"
echo "  1 core  (taskset -c $c0):  median $m1 ms (quartiles $a1-$b1, min $min1)"
echo "  2 cores (taskset -c $two): median $m2 ms (quartiles $a2-$b2, min $min2)"
echo "  2 cores vs 1: $(awk -v a="$m1" -v b="$m2" 'BEGIN {printf "%.2fx", a / b}') (medians), $(awk -v a="$min1" -v b="$min2" 'BEGIN {printf "%.2fx", a / b}') (minima); floor 2.00x"
