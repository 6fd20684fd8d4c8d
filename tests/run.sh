#!/usr/bin/env bash
# The whole test suite, as CI runs it: install what is missing, build, run
# every meson test (unit, fuzz corpus replay, interop, integration through
# pcscd and libnfc), a short libFuzzer run of each target, and the firmware
# size check.  Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh || exit 1

build=${BUILD:-build}
[ -f "$build/build.ninja" ] || meson setup "$build" || exit 1
meson compile -C "$build" || exit 1
meson test -C "$build" --print-errorlogs --num-processes 2 --timeout-multiplier 2 | tee "$build/test-summary.txt"
ok=$(awk '/^Ok:/ {print $2}' "$build/test-summary.txt")
fail=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {s += $3 ? $3 : $2} END {print s + 0}' "$build/test-summary.txt")
ok=${ok:-0}
# In CI (.ci/run sets LM_CI=1) everything is installed, so a skipped test
# means a dependency went missing: count it as a failure, not as silence.
skipped=$(awk '/^Skipped:/ {print $2}' "$build/test-summary.txt")
if [ "${LM_CI:-0}" = 1 ] && [ "${skipped:-0}" -gt 0 ]; then
	echo "$skipped test(s) skipped: in CI that is a failure"
	fail=$((fail + skipped))
fi

# Short fuzz runs (clang + libFuzzer, the library instrumented); FUZZ_SECONDS=600
# for a longer one.  Each target fails on a crash or on a final coverage below
# its floor in tests/fuzz/coverage-floor.txt (which also lists the targets).
secs=${FUZZ_SECONDS:-10}
fb=${build}-fuzz
if [ -f "$fb/build.ninja" ] || CC=clang meson setup "$fb" -Dfuzz=true -Db_lundef=false >/dev/null; then
	meson compile -C "$fb" >/dev/null || fail=$((fail + 1))
	bash tests/fuzz/fuzz.sh "$fb" "$secs" | tee "$fb/fuzz-summary.txt"
	read -r fok ffail < <(awk '/^fuzz: [0-9]+ passed/ {print $2, $4}' "$fb/fuzz-summary.txt")
	ok=$((ok + ${fok:-0}))
	fail=$((fail + ${ffail:-1}))
else
	echo "fuzz: could not configure a clang build"; fail=$((fail + 1))
fi
echo "$ok passed, $fail failed"
[ "$fail" -eq 0 ]
