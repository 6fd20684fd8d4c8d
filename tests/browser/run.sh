#!/usr/bin/env bash
# run.sh - the desk page tests (issue 6): headless Chromium against the real
# laufmapped and lm-vcard behind a private pcscd (tests/integration/pcsc/
# rig.sh: its own mount and network namespace; needs root, else exit 77 =
# skipped).  desk.test.mjs starts the card and the daemon itself.
#
# Environment: LAUFMAPPE, LAUFMAPPED, LM_VCARD (from meson), SHOTS (the
# screenshot folder, default ./screenshots), CHROMIUM (default
# /usr/bin/chromium), DESK_TESTS (a pattern: run only the tests whose
# names match it, e.g. DESK_TESTS=protected).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

skip() { echo "SKIP: $*" >&2; exit 77; }
command -v node >/dev/null || skip "node missing"
command -v zbarimg >/dev/null || skip "zbarimg (zbar-tools) missing"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || skip "chromium missing"
# libfaketime runs the daemon's clock ahead for the stale trust list tests.
FAKETIME_LIB=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketime\.so\.1$' | head -1 || true)
[ -f "$FAKETIME_LIB" ] || skip "libfaketime missing"
export FAKETIME_LIB
for v in LAUFMAPPE LAUFMAPPED LM_VCARD; do
	[ -x "${!v:-}" ] || skip "$v is not set to an executable"
done

# npm needs the network, which the rig's namespace does not have: install
# (pinned by package-lock.json: playwright-core, axe-core) before entering
# it, and only when one is missing.
for dep in playwright-core axe-core; do
	if [ ! -d "$here/node_modules/$dep" ]; then
		(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) || skip "npm ci failed"
		break
	fi
done

. "$here/../integration/pcsc/rig.sh"
rig_enter "$@"
rig_start_pcscd

export WORK=$RIG_DIR
export SHOTS=${SHOTS:-$PWD/screenshots}
export LM_WEB=$here/../../daemon/web
export RIG_PORT
mkdir -p "$SHOTS"
node --test-reporter=spec ${DESK_TESTS:+"--test-name-pattern=$DESK_TESTS"} "$here/desk.test.mjs"
