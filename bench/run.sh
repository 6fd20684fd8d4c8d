#!/usr/bin/env bash
# Runs every benchmark and prints its figures (no assertions; on demand).
# Some need root (isolated pcscd): run as root for the full set.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
meson compile -C "$build" >/dev/null || exit 1
echo "== core (entries, signatures)"
"$build/bench/bench_core"
[ -x "$build/bench/bench_cbor" ] && "$build/bench/bench_cbor"
echo "== protect (format version 2: key derivation, protected read, capacity, guessing cost)"
"$build/bench/bench_protect"
for b in bench/bench_*.sh; do
	[ -f "$b" ] || continue
	echo "== $(basename "$b" .sh)"
	BUILD=$build bash "$b" || echo "($b failed)"
done
