#!/bin/bash
# Runs inside the clean root that tests/package/run.sh made: "install"
# (apt, with the network), then "check" (without it): one "ok: " or
# "FAIL: " line per check.
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; }
# Paths of the packages, outside the office's data and this test's files.
ours() { find / -xdev \( -path /proc -o -path /root -o -path /tmp -o -path /var/lib/laufmapped \) -prune \
	-o -name '*laufmapp*' -print | grep -v '^/var/lib/dpkg/\|^/var/cache/' | sort; }

case $1 in
install)
	apt-get update -q >/tmp/apt-update.log 2>&1 || { cat /tmp/apt-update.log; exit 1; }
	[ -z "$(ours)" ] || { echo "the clean root has laufmappe files already"; exit 1; }
	apt-get install -y -q --no-install-recommends /root/debs/*.deb >/tmp/apt-install.log 2>&1 ||
		{ tail -30 /tmp/apt-install.log; exit 1; }
	;;
check)
	cd /root
	laufmappe --help >/tmp/help.txt 2>&1 && grep -q trust /tmp/help.txt && ok "laufmappe --help" ||
		bad "laufmappe --help: $(head -3 /tmp/help.txt)"
	mo=$(ls /usr/share/locale/*/LC_MESSAGES/laufmappe.mo 2>/dev/null | wc -l)
	[ "$mo" -ge 5 ] && ok "$mo message catalogs" || bad "message catalogs: $mo"
	for page in laufmappe laufmapped laufmapped.conf; do
		p=$(man -w "$page" 2>&1) && ok "man -w $page: $p" || bad "man -w $page: $p"
	done
	v=$(pkg-config --modversion laufmappe 2>&1) && ok "pkg-config --modversion laufmappe: $v" ||
		bad "pkg-config: $v"
	# shellcheck disable=SC2046
	if gcc -Wall -Werror -o /tmp/verify verify.c $(pkg-config --cflags --libs laufmappe) 2>/tmp/cc.txt; then
		out=$(cd vectors && /tmp/verify) && ok "a C program against the installed library: $out" ||
			bad "the C program: $out"
	else
		bad "compiling against the installed library: $(cat /tmp/cc.txt)"
	fi
	getent passwd _laufmapped >/dev/null && ok "account _laufmapped (systemd-sysusers)" ||
		bad "no account _laufmapped"
	dpkg-query -W -f='${Conffiles}\n' laufmapped | grep -q ' /etc/laufmapped/laufmapped.conf ' &&
		ok "/etc/laufmapped/laufmapped.conf is a conffile" || bad "the configuration is not a conffile"
	e=$(systemctl is-enabled laufmapped.service 2>&1)
	[ "$e" = disabled ] && ok "laufmapped.service installed, not enabled" || bad "laufmapped.service: $e"
	u=$(systemd-analyze verify /lib/systemd/system/laufmapped.service 2>&1)
	[ -z "$u" ] && ok "systemd-analyze verify laufmapped.service" || bad "systemd-analyze verify: $u"
	grep -q '^ExecStart=/usr/sbin/laufmapped -d -c /etc/laufmapped/laufmapped.conf$' \
		/lib/systemd/system/laufmapped.service && ok "the unit runs /usr/sbin/laufmapped" ||
		bad "the unit's ExecStart: $(grep ExecStart /lib/systemd/system/laufmapped.service)"
	m=$(laufmapped -n 2>&1) && bad "laufmapped -n accepts the shipped configuration" ||
		{ grep -q 'laufmapped.conf: readers is required' <<<"$m" &&
			ok "laufmapped -n on the shipped configuration: $m" || bad "laufmapped -n: $m"; }

	# The daemon as the service runs it: its account, state in
	# /var/lib/laufmapped (StateDirectory= makes it; here by hand), an image
	# file as its reader, loopback.
	install -d -o _laufmapped -g _laufmapped -m 0750 /var/lib/laufmapped
	mkdir -p /tmp/lmd && cp vectors/images/ntag216_a.img /tmp/lmd/card.img
	echo package-test-token-0123456789 >/tmp/lmd/token
	cat >/tmp/lmd/test.conf <<CONF
readers = fake:/tmp/lmd/card.img
root_key = /tmp/lmd/root.pub
trust_list = /tmp/lmd/trust.cose
token_file = /tmp/lmd/token
database = /var/lib/laufmapped/cache.db
listen = 127.0.0.1:8730
CONF
	cp vectors/trust.cose vectors/root.pub /tmp/lmd/
	chmod -R a+rX /tmp/lmd
	# The token as an office keeps it: root's, readable by the daemon's group only.
	chgrp _laufmapped /tmp/lmd/token && chmod 0640 /tmp/lmd/token
	chown _laufmapped /tmp/lmd/card.img # the fake reader writes to its image
	setpriv --reuid=_laufmapped --regid=_laufmapped --init-groups \
		laufmapped -d -c /tmp/lmd/test.conf >/tmp/lmd/log 2>&1 &
	pid=$!
	for _ in $(seq 50); do curl -sf http://127.0.0.1:8730/api/status >/dev/null && break; sleep 0.1; done
	page=$(curl -sf http://127.0.0.1:8730/ 2>&1)
	grep -qi '<html' <<<"$page" && ok "the installed daemon serves its desk page ($(wc -c <<<"$page") bytes)" ||
		bad "the desk page: $(tail -3 /tmp/lmd/log)"
	for _ in $(seq 50); do
		card=$(curl -sf http://127.0.0.1:8730/api/card) && grep -q '"verdict":"valid"' <<<"$card" && break
		sleep 0.1
	done
	n=$(grep -o '"verdict":"valid"' <<<"${card:-}" | wc -l)
	[ "$n" -gt 0 ] && ok "the daemon read the image: $n valid entries" || bad "/api/card: ${card:-}"
	kill "$pid" && wait "$pid"
	[ -s /var/lib/laufmapped/cache.db ] && ok "state in /var/lib/laufmapped" || bad "no cache.db"

	apt-get remove -y -q laufmapped >/tmp/remove.log 2>&1 && [ ! -e /usr/sbin/laufmapped ] &&
		[ -f /etc/laufmapped/laufmapped.conf ] && ok "apt-get remove keeps the configuration" ||
		bad "apt-get remove: $(tail -5 /tmp/remove.log)"
	apt-get purge -y -q liblaufmappe0 liblaufmappe-dev laufmappe laufmapped >/tmp/purge.log 2>&1 &&
		ok "apt-get purge" || bad "apt-get purge: $(tail -5 /tmp/purge.log)"
	left=$(ours)
	[ -z "$left" ] && ok "purge left no laufmappe files outside /var/lib/laufmapped" ||
		bad "purge left: $left"
	[ -f /var/lib/laufmapped/cache.db ] && ok "purge kept the office's data in /var/lib/laufmapped" ||
		bad "purge removed /var/lib/laufmapped"
	getent passwd _laufmapped >/dev/null && echo "note: the account _laufmapped stays (Debian removes no system accounts)"
	;;
esac
