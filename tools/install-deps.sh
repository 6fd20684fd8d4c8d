#!/usr/bin/env bash
# Installs what Laufmappe needs to build and test on Debian 12, from
# Debian's packages (and cose-js for the interop test from npm, pinned by
# tests/interop/package-lock.json).  Installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(
	build-essential meson ninja-build pkg-config clang libclang-rt-14-dev clang-format
	libmbedtls-dev libcbor-dev libcmocka-dev libsqlite3-dev libjson-c-dev libmicrohttpd-dev
	libpcsclite-dev pcscd pcsc-tools vsmartcard-vpcd opensc
	libnfc-dev libnfc-bin
	gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi
	nodejs npm xxd iproute2 util-linux curl sqlite3 postgresql libpq-dev python3-cryptography
	chromium zbar-tools libqrencode-dev gettext libfaketime
	debhelper dpkg-dev lintian mmdebstrap
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm may come from outside Debian's packages on some machines.
if command -v node >/dev/null && command -v npm >/dev/null; then
	missing=("${missing[@]/nodejs}")
	missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"
if [ ${#missing[@]} -gt 0 ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "installing: ${missing[*]}"
	$sudo apt-get update -q
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# pcscd must not be running as a system service during tests (they start
# their own, isolated); Debian starts it by socket activation on demand only.
# npm packages pinned by lock files: cose-js (interop), playwright-core (browser tests).
for d in tests/interop tests/browser; do
	if [ -f "$d/package-lock.json" ] && [ ! -d "$d/node_modules" ]; then
		(cd "$d" && npm ci --no-audit --no-fund --loglevel=error)
	fi
done
