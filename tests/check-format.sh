#!/usr/bin/env bash
# The C style check (.clang-format): fails on any file under the listed
# paths that clang-format would change.  Usage: check-format.sh SRCROOT
set -euo pipefail
cd "$1"
files=$(ls lib/src/*.[ch] lib/transport/*.[ch] lib/include/laufmappe/*.h tools/*.[ch] daemon/*.[ch] 2>/dev/null)
bad=0
for f in $files; do
	if ! clang-format --dry-run -Werror "$f" 2>/dev/null; then
		echo "not formatted: $f (run clang-format -i $f)"
		bad=$((bad + 1))
	fi
done
echo "$(echo "$files" | wc -w) files checked, $bad not formatted"
[ "$bad" -eq 0 ]
