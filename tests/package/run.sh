#!/usr/bin/env bash
# The Debian packages on a clean Debian 12 (docs/packaging.md): builds them
# with dpkg-buildpackage (or takes them from --debs DIR), checks them with
# lintian, makes a clean bookworm root with mmdebstrap (the tarball is cached
# in the work directory, so a second run only unpacks it), installs them
# with apt, and checks inside it what an office gets: the command line, the
# man pages, pkg-config, a C program against the installed library
# verifying a vector of tests/vectors, the daemon (not enabled, its check
# naming the missing key, then started as its account on a test
# configuration with an image-file reader, its page fetched with curl), and
# what purge leaves (only /var/lib/laufmapped and the account).
#
#   bash tests/package/run.sh [--debs DIR]
#
# Root only (chroot, namespaces).  Work directory: $BUILD/package (BUILD
# defaults to build/ in the checkout).  The root's commands run in their own
# mount and PID namespace (so /proc and the binds vanish with it and no
# process outlives it) and, after apt, in their own network namespace (the
# daemon's loopback port clashes with nothing).  Ends with "N passed, N failed".
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
cd "$src"
debs=""
while [ $# -gt 0 ]; do
	case $1 in
	--debs) debs=$(realpath "$2"); shift 2 ;;
	*) echo "usage: $0 [--debs DIR]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "package test: needs root (chroot, namespaces)"; exit 77; }
for t in mmdebstrap dpkg-buildpackage lintian unshare ip; do
	command -v "$t" >/dev/null || { echo "package test: $t missing (tools/install-deps.sh)"; exit 1; }
done
work=$(realpath -m "${BUILD:-build}")/package
root=$work/root
mkdir -p "$work/apt-archives"
start=$SECONDS
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
cleanup() { rm -rf "$root"; }
trap cleanup EXIT

# 1. The packages: built from this working tree (tracked and untracked
# files git does not ignore), in a copy, so dpkg-buildpackage writes nothing
# here.
if [ -z "$debs" ]; then
	version=$(dpkg-parsechangelog -S Version)
	rm -rf "$work/src"
	mkdir -p "$work/src/laufmappe-$version"
	git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$work/src/laufmappe-$version"
	echo "building the packages (log: $work/build.log)"
	if (cd "$work/src/laufmappe-$version" && nice dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
		ok "dpkg-buildpackage -us -uc -b ($((SECONDS - start)) s)"
	else
		tail -40 "$work/build.log"; bad "dpkg-buildpackage"; echo "$pass passed, $fail failed"; exit 1
	fi
	debs=$work/src
	changes=$(ls "$debs"/laufmappe_*.changes)
	lintian "$changes" >"$work/lintian.txt" 2>&1 || true
	if grep -q '^[EW]:' "$work/lintian.txt"; then
		cat "$work/lintian.txt"; bad "lintian: $(grep -c '^[EW]:' "$work/lintian.txt") errors or warnings"
	else
		ok "lintian: no errors or warnings"
	fi
fi
shopt -s nullglob
pkgs=("$debs"/liblaufmappe0_*.deb "$debs"/liblaufmappe-dev_*.deb "$debs"/laufmappe_*.deb "$debs"/laufmapped_*.deb)
shopt -u nullglob
[ ${#pkgs[@]} -eq 4 ] || { echo "package test: 4 packages expected in $debs, found ${#pkgs[@]}"; exit 1; }

# 2. A clean bookworm root, from a tarball made once (a week at most) with
# what the checks need besides the packages: a compiler, pkg-config, man,
# curl.  apt's downloads are kept in $work/apt-archives for the next run.
base=$work/bookworm.tar
if [ ! -f "$base" ] || [ -n "$(find "$base" -mtime +7)" ]; then
	echo "mmdebstrap: a clean bookworm root (once; cached in $base)"
	mmdebstrap --variant=apt --format=tar --include=gcc,libc6-dev,pkgconf,man-db,curl,ca-certificates \
		bookworm "$base.tmp" \
		"deb http://deb.debian.org/debian bookworm main" \
		"deb http://deb.debian.org/debian bookworm-updates main" \
		"deb http://deb.debian.org/debian-security bookworm-security main" >"$work/mmdebstrap.log" 2>&1 ||
		{ tail -20 "$work/mmdebstrap.log"; echo "package test: mmdebstrap failed"; exit 1; }
	mv "$base.tmp" "$base"
fi
rm -rf "$root"
mkdir -p "$root"
tar -xf "$base" -C "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/root/debs" "$root/root/vectors"
cp "${pkgs[@]}" "$root/root/debs/"
cp -r tests/vectors/. "$root/root/vectors/"
cp tests/package/verify.c "$root/root/"
cp tests/package/inside.sh "$root/root/"

# in_root NET PHASE: run inside.sh PHASE in the root, in new mount and PID
# namespaces (and a new network namespace with only loopback when NET=1).
in_root() {
	local net=() lo=""
	if [ "$1" = 1 ]; then net=(--net); lo="ip link set lo up &&"; fi
	unshare --mount --pid --fork --mount-proc="$root/proc" "${net[@]}" bash -c "
		$lo mount --rbind /dev '$root/dev' &&
		mount --bind '$work/apt-archives' '$root/var/cache/apt/archives' &&
		chroot '$root' /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
			bash /root/inside.sh $2"
}

# 3. Install (with the network: apt fetches the dependencies), then the
# checks and purge (without it).
if in_root 0 install; then ok "apt-get install ./*.deb"; else bad "apt-get install ./*.deb"; fi
results=$(in_root 1 check 2>&1) || true
echo "$results"
pass=$((pass + $(grep -c '^ok: ' <<<"$results" || true)))
fail=$((fail + $(grep -c '^FAIL: ' <<<"$results" || true)))
echo "package test: $((SECONDS - start)) s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
