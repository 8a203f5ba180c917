#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package as an admin meets it: built by dpkg-buildpackage from
# a clean copy of the tree, checked by lintian, installed with apt-get and
# looked at (the program, its man page, its units, its state directory),
# refusing its removal while a redirect is enabled (in a network namespace
# of its own), then purged: every file it installed is gone and the
# machine's package list is as before. The build and lintian need no root;
# the rest does, and is skipped without it.
#
#   bash tests/package.sh           TAP on stdout; about 5 minutes
#   KEEP=1 bash tests/package.sh    keeps the build directory, and says where
set -u
tests=${TESTS_SRCDIR:-$(dirname "$0")}
tests=$(cd "$tests" && pwd)
. "$tests/tap.sh"
src=$(cd "$tests/.." && pwd)

missing=
for tool in dpkg-buildpackage dpkg-checkbuilddeps dh lintian; do
	command -v "$tool" >/dev/null || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	echo "1..0 # SKIP no$missing here (Debian packages dpkg-dev, debhelper, lintian)"
	exit 0
fi

version=$(sed -n 's/^AC_INIT(\[redirect\], *\[\([^]]*\)\].*/\1/p' "$src/configure.ac")
arch=$(dpkg --print-architecture)
work=$(mktemp -d /tmp/redirect-package.XXXXXX)
chmod 755 "$work"	# apt's sandbox user reads the .deb from here
deb=$work/redirect_${version}_$arch.deb
changes=$work/redirect_${version}_$arch.changes
ns=rt$$-pkg		# the labs' pattern: scripts/test sees one left behind
installed=0		# whether this test installed the package (and must purge it)
made_statedir=0		# whether /var/lib/redirect is this test's to remove
export DEBIAN_FRONTEND=noninteractive
unset REDIRECT_STATE_DIR REDIRECT_FORCE_REMOVE
apt=(apt-get -q -y -o DPkg::Lock::Timeout=600 --no-install-recommends)
# apt runs dpkg on a terminal of its own: its lines end in \r\n.
apt_run() {	# apt_run [VAR=VALUE...] COMMAND ARG...: apt's output, its exit status
	local out rc
	out=$(env "$@" 2>&1)
	rc=$?
	tr -d '\r' <<<"$out"
	return $rc
}

cleanup() {
	if ip netns list 2>/dev/null | grep -q "^$ns\b"; then
		[ -x /usr/sbin/redirect ] && ip netns exec "$ns" /usr/sbin/redirect disable --now >/dev/null 2>&1
		ip netns del "$ns"
	fi
	if [ $installed = 1 ] && dpkg-query -W -f='${db:Status-Status}' redirect 2>/dev/null | grep -qv not-installed; then
		REDIRECT_FORCE_REMOVE=1 "${apt[@]}" purge redirect >/dev/null 2>&1
	fi
	[ $made_statedir = 1 ] && rm -rf /var/lib/redirect
	if [ -n "${KEEP:-}" ]; then echo "# kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# ---- build, from a clean copy ----
copy=$work/redirect-$version
mkdir "$copy"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# the tree's files as they are now, committed or not, without build output
	(cd "$src" && git ls-files -z --cached --others --exclude-standard |
		tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -C "$copy" -xf -
else
	(cd "$src" && tar -cf - .) | tar -C "$copy" -xf -	# dpkg-buildpackage cleans first
fi
if out=$(cd "$copy" && dpkg-checkbuilddeps 2>&1); then
	ok "the build dependencies are installed"
else
	not_ok "the build dependencies are installed" "$out"
	exit 1
fi
# Run from `make check TESTS=tests/package.sh`, make's MAKEFLAGS would
# carry TESTS into the package's own make check, and so run this again.
if (cd "$copy" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 && [ -f "$deb" ]; then
	ok "dpkg-buildpackage -us -uc -b builds redirect_${version}_$arch.deb"
else
	not_ok "dpkg-buildpackage -us -uc -b builds redirect_${version}_$arch.deb" "$(tail -40 "$work/build.log")"
	exit 1
fi
like "the build ran the unit tests (dh_auto_test)" "$(cat "$work/build.log")" '^# PASS: +[1-9]'
unlike "... and none failed" "$(cat "$work/build.log")" '^# (FAIL|ERROR): +[1-9]'

# ---- lintian ----
# Not as root, which it advises against, where there is someone else to be.
# shellcheck disable=SC2054 # error,warning is one argument
lintian=(lintian --fail-on error,warning --display-info --show-overrides)
[ "$(id -u)" = 0 ] && command -v runuser >/dev/null && lintian=(runuser -u nobody -- "${lintian[@]}")
# from / : the tree may sit in a directory nobody may enter (mktemp -d's 0700)
if out=$(cd / && "${lintian[@]}" "$changes" "$deb" 2>&1); then
	ok "lintian: no error and no warning on the .changes and the .deb"
else
	not_ok "lintian: no error and no warning on the .changes and the .deb" "$out"
fi
[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# lintian: /'

# ---- what is in it ----
contents=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|')
files=$(grep -v '/$' <<<"$contents")
for f in /usr/sbin/redirect /usr/share/man/man8/redirect.8.gz \
	/usr/share/bash-completion/completions/redirect \
	/lib/systemd/system/redirect-restore.service /lib/systemd/system/redirect-check.service \
	/lib/systemd/system/redirect-check.timer /lib/systemd/system/redirect-metrics.service \
	/lib/systemd/system/redirect-metrics.timer /etc/cron.daily/redirect-check /etc/default/redirect \
	/usr/share/redirect/prometheus/redirect.rules.yml /usr/share/redirect/grafana/redirect.json; do
	grep -qx -- "$f" <<<"$files" && ok "the package has $f" || not_ok "the package has $f"
done
unlike "nothing under /usr/local" "$contents" '^/usr/local'
conffiles=$(dpkg-deb -I "$deb" conffiles 2>/dev/null)
for f in /etc/default/redirect /etc/cron.daily/redirect-check; do
	grep -qx -- "$f" <<<"$conffiles" && ok "$f is a conffile" || not_ok "$f is a conffile" "conffiles: $conffiles"
done
is "its /etc/default/redirect is debian/redirect.default" \
	"$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./etc/default/redirect | md5sum)" \
	"$(md5sum <"$src/debian/redirect.default")"
like "its units run /usr/sbin/redirect" \
	"$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./lib/systemd/system/redirect-restore.service)" \
	'^ExecStart=/usr/sbin/redirect restore$'

# ---- install, as root ----
if [ "$(id -u)" != 0 ]; then
	skip "apt-get install ./redirect_*.deb, and the rest" "needs root"
	tap_end
	exit
fi
if dpkg-query -W -f='${db:Status-Status}' redirect 2>/dev/null | grep -qv '^not-installed$'; then
	skip "apt-get install ./redirect_*.deb, and the rest" "a redirect package is on this machine already; not touched"
	tap_end
	exit
fi
if [ -e /var/lib/redirect ]; then
	skip "apt-get install ./redirect_*.deb, and the rest" "this machine has a /var/lib/redirect of its own; not touched"
	tap_end
	exit
fi
packages() { dpkg-query -W -f='${binary:Package} ${Version} ${db:Status-Abbrev}\n' | sort; }
before=$(packages)

installed=1 made_statedir=1
if out=$(cd "$work" && apt_run "${apt[@]}" install "./$(basename "$deb")"); then
	ok "apt-get install ./$(basename "$deb")"
else
	not_ok "apt-get install ./$(basename "$deb")" "$out"
	exit 1
fi
# Dependencies apt brought along go again at the end.
brought=$(comm -13 <(echo "$before") <(packages) | awk '$1 != "redirect" && $1 != "redirect:'"$arch"'" { print $1 }')
is "the package is installed, version $version" \
	"$(dpkg-query -W -f='${db:Status-Status} ${Version}' redirect)" "installed $version"
is "redirect --version" "$(/usr/sbin/redirect --version 2>&1)" "redirect $version"
like "man -w redirect finds redirect(8)" "$(man -aw redirect 2>&1)" '^/usr/share/man/man8/redirect\.8\.gz$'
if command -v systemd-analyze >/dev/null && systemd-analyze --version >/dev/null 2>&1; then
	for unit in redirect-restore.service redirect-check.service redirect-check.timer \
		redirect-metrics.service redirect-metrics.timer; do
		# with the man page installed, its Documentation= is checked too
		if out=$(systemd-analyze verify "/lib/systemd/system/$unit" 2>&1) && [ -z "$out" ]; then
			ok "systemd-analyze verify $unit, as installed"
		else
			not_ok "systemd-analyze verify $unit, as installed" "$out"
		fi
	done
else
	skip "systemd-analyze verify the installed units" "no systemd-analyze here"
fi
is "no unit is enabled: that is the admin's choice" \
	"$(find /etc/systemd/system -name 'redirect-*' 2>/dev/null)" ""
is "/var/lib/redirect is root's alone (0700)" "$(stat -c '%a %U:%G' /var/lib/redirect 2>&1)" "700 root:root"
got=$(dpkg-query -W -f='${Conffiles}' redirect)
for f in /etc/default/redirect /etc/cron.daily/redirect-check; do
	like "dpkg knows $f as a conffile" "$got" "^ $f [0-9a-f]{32}$"
done
is "redirect stats --json: nothing enabled" "$(/usr/sbin/redirect stats --json 2>&1)" '{"enabled": false}'
got=$(sh /etc/cron.daily/redirect-check 2>&1)
is "the daily cron script is silent while nothing was ever enabled" "$?:$got" "0:"
if [ -r /usr/share/bash-completion/bash_completion ]; then
	like "bash completion loads from where bash-completion looks" \
		"$(bash -c '. /usr/share/bash-completion/bash_completion; _completion_loader redirect; complete -p redirect' 2>&1)" \
		'-F _redirect redirect$'
else
	skip "bash completion loads from where bash-completion looks" "no bash-completion here"
fi

# ---- removal while a redirect is enabled ----
# OLD in a namespace of its own: the table and forwarding live there, the
# state in the package's /var/lib/redirect, as prerm sees it.
if ip netns add "$ns" 2>/dev/null &&
	ip -n "$ns" link set lo up &&
	ip -n "$ns" link add v0 type veth peer name v1 &&
	ip -n "$ns" link set v0 up && ip -n "$ns" link set v1 up &&
	ip -n "$ns" addr add 198.51.100.1/24 dev v0 &&
	out=$(ip netns exec "$ns" /usr/sbin/redirect enable --to 198.51.100.2 --no-probe 2>&1); then
	ok "a redirect is enabled (in namespace $ns)"
	out=$(apt_run "${apt[@]}" remove redirect)
	rc=$?
	is "apt-get remove refuses while it is enabled" "$([ $rc != 0 ] && echo refused)" refused
	like "... saying to run redirect disable" "$out" '^ +redirect disable$'
	like "... and how to remove it all the same" "$out" 'REDIRECT_FORCE_REMOVE=1 apt-get remove redirect'
	is "... and the package stays installed" "$(dpkg-query -W -f='${db:Status-Status}' redirect)" installed
	out=$(apt_run REDIRECT_FORCE_REMOVE=1 "${apt[@]}" purge redirect)
	rc=$?
	is "REDIRECT_FORCE_REMOVE=1 apt-get purge goes ahead" "$rc" 0
	like "... saying what it leaves" "$out" 'REDIRECT_FORCE_REMOVE=1: removing the package while a redirect is'
	[ -f /var/lib/redirect/state ] && [ ! -e /usr/sbin/redirect ] &&
		ok "... and keeps the state of the redirect still enabled, on purge too" ||
		not_ok "... and keeps the state of the redirect still enabled, on purge too"
	like "... and says so" "$out" '/var/lib/redirect is kept'
	out=$(cd "$work" && apt_run "${apt[@]}" install "./$(basename "$deb")")
	is "installed again" "$?" 0
	check "redirect disable, then" ip netns exec "$ns" /usr/sbin/redirect disable
	ip netns del "$ns"
else
	not_ok "a redirect is enabled (in namespace $ns)" "$out"
fi

# ---- purge ----
if out=$(apt_run "${apt[@]}" purge redirect); then
	ok "apt-get purge redirect"
else
	not_ok "apt-get purge redirect" "$out"
fi
left=
for f in $files /var/lib/redirect /usr/share/doc/redirect /usr/share/redirect; do
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done
is "every file it installed is gone, and its state directory" "$left" ""
is "nothing of it is left in systemd's enablement records" \
	"$(find /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
		-name 'redirect-*' 2>/dev/null)" ""
if [ -n "$brought" ]; then
	# shellcheck disable=SC2086 # one package a word
	"${apt[@]}" purge $brought >/dev/null 2>&1
	echo "# purged what the install brought along:" $brought
fi
installed=0 made_statedir=0
got=$(diff <(echo "$before") <(packages))
is "the machine's package list is as before" "$got" ""
tap_end
