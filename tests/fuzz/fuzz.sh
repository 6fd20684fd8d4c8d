#!/usr/bin/env bash
# Short libFuzzer runs with a coverage check: each target in
# tests/fuzz/coverage-floor.txt fuzzes for SECONDS from its seed corpus
# (tests/fuzz/corpus/TARGET, read-only: new inputs go to a temporary
# directory), and fails on a crash, a leak, UB, or a final coverage (cov:,
# the edges libFuzzer saw) below the target's floor: a build that fuzzes
# without instrumenting the code under test reaches a few dozen edges and
# says "no crash" about nothing.
#
#   bash tests/fuzz/fuzz.sh FUZZ_BUILD_DIR [SECONDS] [TARGET ...]
#
# One line per target; the last line is "fuzz: N passed, N failed"; the exit
# status is 0 when nothing failed.  Every tests/fuzz/fuzz_*.c needs a floor.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
fb=${1:?usage: fuzz.sh FUZZ_BUILD_DIR [SECONDS] [TARGET ...]}
secs=${2:-10}
shift $(($# < 2 ? $# : 2))
floors=tests/fuzz/coverage-floor.txt
ok=0 fail=0

floor_of() { awk -v t="$1" '$1 == t {print $2}' "$floors"; }

for src in tests/fuzz/fuzz_*.c; do
	t=${src#tests/fuzz/fuzz_}
	t=${t%.c}
	[ -n "$(floor_of "$t")" ] || { echo "fuzz $t: no floor in $floors"; fail=$((fail + 1)); }
done

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(awk '!/^#/ && NF {print $1}' "$floors")
for t in "${targets[@]}"; do
	exe="$fb/tests/fuzz/fuzz_$t"
	floor=$(floor_of "$t")
	[ -x "$exe" ] || { echo "fuzz $t: not built ($exe)"; fail=$((fail + 1)); continue; }
	work=$(mktemp -d)
	seeds=()
	[ -d "tests/fuzz/corpus/$t" ] && seeds=("tests/fuzz/corpus/$t")
	if "$exe" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$fb/" \
		"$work" "${seeds[@]}" >"$work.log" 2>&1; then
		# The final status line: "#N DONE cov: C ft: F corp: ..."
		cov=$(grep -E '^#[0-9]+' "$work.log" | grep -o 'cov: [0-9]*' | tail -1 | cut -d' ' -f2)
		runs=$(grep -o 'number_of_executed_units: [0-9]*' "$work.log" | cut -d' ' -f2)
		if [ -z "$cov" ] || [ -z "$floor" ] || [ "$cov" -lt "$floor" ]; then
			echo "fuzz $t: FAILED: cov ${cov:-?} below the floor ${floor:-?} in ${secs}s" \
				"(is the code under test instrumented? see $floors)"
			fail=$((fail + 1))
		else
			echo "fuzz $t: $runs runs in ${secs}s, cov $cov (floor $floor), no crash"
			ok=$((ok + 1))
		fi
	else
		echo "fuzz $t: FAILED (the input is kept in $fb/)"
		tail -30 "$work.log"
		fail=$((fail + 1))
	fi
	rm -rf "$work" "$work.log"
done
echo "fuzz: $ok passed, $fail failed"
[ "$fail" -eq 0 ]
