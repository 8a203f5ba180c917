#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# debian/ agrees with the tree, without building anything: its version is
# configure.ac's, it declares the libraries configure looks for, the
# default file names every setting the units and the cron script read, and
# the maintainer scripts refuse a removal that would leave a redirect
# nobody can remove (run here on a scratch state directory, with a stand-in
# for redirect).
set -u
. "$(dirname "$0")/tap.sh"
src=${TESTS_SRCDIR:-$(dirname "$0")}/..
deb=$src/debian
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- one version, configure.ac's ----
version=$(sed -n 's/^AC_INIT(\[redirect\], *\[\([^]]*\)\].*/\1/p' "$src/configure.ac")
[ -n "$version" ] && ok "configure.ac gives the version: $version" || not_ok "configure.ac gives the version"
changelog=$(sed -n '1s/^redirect (\([^)]*\)) .*/\1/p' "$deb/changelog")
is "debian/changelog's version is configure.ac's (a native package)" "$changelog" "$version"
if command -v dpkg-parsechangelog >/dev/null; then
	is "dpkg-parsechangelog reads the same version" \
		"$(dpkg-parsechangelog -l "$deb/changelog" -S Version)" "$version"
else
	skip "dpkg-parsechangelog reads the same version" "no dpkg-dev here"
fi
if [ -x "${REDIRECT:-}" ]; then
	is "the program says the same version" "$("$REDIRECT" --version)" "redirect $version"
else
	skip "the program says the same version" "no built redirect (REDIRECT)"
fi
is "debian/source/format: native, the version has no Debian revision" \
	"$(cat "$deb/source/format")" "3.0 (native)"

# ---- what configure looks for is declared ----
builddeps=$(awk '/^Build-Depends:/ { on = 1 } on && /^[A-Z][A-Za-z-]*:/ && !/^Build-Depends:/ { on = 0 } on' "$deb/control")
for module in $(sed -n 's/^PKG_CHECK_MODULES(\[[A-Z_]*\], *\[\([a-z_-]*\).*/\1/p' "$src/configure.ac"); do
	pkg=lib${module#lib}-dev
	pkg=${pkg//_/-}
	grep -qE "(^|[ ,])$pkg([ ,(<]|$)" <<<"$builddeps" &&
		ok "Build-Depends has $pkg (configure looks for $module)" ||
		not_ok "Build-Depends has $pkg (configure looks for $module)"
done
grep -q -- '--disable-netns-tests' "$deb/rules" &&
	ok "the package's make check runs without root (--disable-netns-tests)" ||
	not_ok "the package's make check runs without root (--disable-netns-tests)"
grep -qE 'dh_installsystemd .*--no-enable.*--no-start|dh_installsystemd .*--no-start.*--no-enable' "$deb/rules" &&
	ok "the package neither enables nor starts a unit" ||
	not_ok "the package neither enables nor starts a unit"

# ---- /etc/default/redirect names every setting that is read ----
settings=$(cat "$src"/scripts/*.in "$src"/scripts/*.timer | grep -oE '\bREDIRECT_[A-Z_]+' | sort -u)
for s in $settings; do
	grep -qw -- "$s" "$deb/redirect.default" &&
		ok "/etc/default/redirect says what $s is" ||
		not_ok "/etc/default/redirect says what $s is"
done
for s in REDIRECT_QUIET_FOR REDIRECT_TEXTFILE_DIR; do
	grep -qE "^#$s=" "$deb/redirect.default" && ok "/etc/default/redirect shows $s's default, commented out" ||
		not_ok "/etc/default/redirect shows $s's default, commented out"
done
check "/etc/default/redirect sets nothing: all of it is comments" \
	bash -c "! grep -vE '^(#|\$)' '$deb/redirect.default'"
check "/etc/default/redirect is valid sh" sh -n "$deb/redirect.default"

# ---- lintian's overrides, each with its reason ----
if [ -f "$deb/redirect.lintian-overrides" ]; then
	bad=$(awk '/^[[:space:]]*$/ { reason = 0; next } /^#/ { reason = 1; next }
		!reason { print } { reason = reason }' "$deb/redirect.lintian-overrides")
	is "every lintian override says why, in a comment above it" "$bad" ""
fi

# ---- the maintainer scripts ----
for s in postinst prerm postrm; do
	check "debian/redirect.$s is valid sh" sh -n "$deb/redirect.$s"
	grep -q '^#DEBHELPER#$' "$deb/redirect.$s" && ok "debian/redirect.$s leaves room for debhelper's snippets" ||
		not_ok "debian/redirect.$s leaves room for debhelper's snippets"
done
if command -v checkbashisms >/dev/null; then
	check "the maintainer scripts have no bashisms" checkbashisms "$deb/redirect.postinst" \
		"$deb/redirect.prerm" "$deb/redirect.postrm"
else
	skip "the maintainer scripts have no bashisms" "no checkbashisms here (devscripts)"
fi

# Copies that act on $work: its state directory, a stand-in redirect that
# prints $work/prom, its /etc/default/redirect, no systemd.
state=$work/state
mkdir "$work/bin"
printf '#!/bin/sh\ncat "%s/prom" 2>/dev/null\n' "$work" >"$work/bin/redirect"
chmod +x "$work/bin/redirect"
for s in prerm postrm; do
	sed -e "s|/var/lib/redirect|$state|g" -e "s|/usr/sbin/redirect|$work/bin/redirect|g" \
		-e "s|/etc/default/redirect|$work/default|g" -e "s|/run/systemd/system|$work/no-systemd|g" \
		"$deb/redirect.$s" >"$work/$s"
done
fresh() {	# fresh [STATE-LINE...]: the scratch state dir, with a state file of these lines
	rm -rf "$state" "$work/prom"
	mkdir -m 0700 "$state"
	[ $# = 0 ] || printf '%s\n' version 1 "$@" >"$state/state"
}
script() {	# script NAME ARG...: exit status and output (stdout and stderr)
	local out rc
	out=$(sh "$work/$1" "${@:2}" 2>&1)
	rc=$?
	printf '%s\n%s' "$rc" "$out"
}
status() { head -1 <<<"$1"; }

fresh
is "prerm remove: nothing was ever enabled" "$(status "$(script prerm remove)")" 0
fresh "enabled no" "pending no" "draining no"
is "prerm remove: nothing enabled any more" "$(status "$(script prerm remove)")" 0
fresh "enabled yes" "pending no" "draining no" "sysctl net/ipv4/ip_forward 0 1"
got=$(script prerm remove)
is "prerm remove refuses while a redirect is enabled" "$(status "$got")" 1
like "... and says to run redirect disable" "$got" '^ +redirect disable$'
like "... and how to force it" "$got" 'REDIRECT_FORCE_REMOVE=1 apt-get remove redirect'
got=$(REDIRECT_FORCE_REMOVE=1 script prerm remove)
is "prerm remove with REDIRECT_FORCE_REMOVE=1 goes ahead" "$(status "$got")" 0
like "... and says what it leaves behind" "$got" 'REDIRECT_FORCE_REMOVE=1: removing the package while a redirect is'
is "prerm upgrade never refuses: the new version takes over" "$(status "$(script prerm upgrade 0.2.0)")" 0
fresh "enabled no" "pending no" "draining yes"
is "prerm remove refuses while a disable drains" "$(status "$(script prerm remove)")" 1
fresh "enabled no" "pending no" "draining no" "sysctl net/ipv4/ip_forward 0 1"
is "prerm remove refuses while forwarding settings are still to be put back" \
	"$(status "$(script prerm remove)")" 1
fresh "enabled no" "pending no" "draining no" "tunnel yes"
is "prerm remove refuses while a tunnel is still recorded" "$(status "$(script prerm remove)")" 1
fresh
printf '%s\n' "version 1" "enabled yes" "pending yes" >"$state/state.pending"
is "prerm remove refuses while an enable is under way (state.pending)" \
	"$(status "$(script prerm remove)")" 1
fresh
printf '# HELP x\nredirect_enabled 0\nredirect_installed 1\n' >"$work/prom"
is "prerm remove refuses while the table is in the kernel, state or not" \
	"$(status "$(script prerm remove)")" 1
fresh "enabled yes"
chmod -x "$work/bin/redirect"
is "prerm remove refuses on the state alone when the program cannot answer" \
	"$(status "$(script prerm remove)")" 1
chmod +x "$work/bin/redirect"

fresh "enabled yes" "sysctl net/ipv4/ip_forward 0 1"
got=$(script postrm purge)
[ "$(status "$got")" = 0 ] && [ -f "$state/state" ] &&
	ok "postrm purge keeps the state of a redirect still enabled" ||
	not_ok "postrm purge keeps the state of a redirect still enabled" "$got"
like "... and says so" "$got" 'is kept'
fresh "enabled no" "pending no" "draining no"
touch "$state/lock"
got=$(script postrm purge)
[ "$(status "$got")" = 0 ] && [ ! -e "$state" ] &&
	ok "postrm purge removes the state directory when nothing is enabled" ||
	not_ok "postrm purge removes the state directory when nothing is enabled" "$got"
mkdir -p "$work/tf"
touch "$work/tf/redirect.prom" "$work/tf/other.prom"
printf 'REDIRECT_TEXTFILE_DIR=%s\n' "$work/tf" >"$work/default"
got=$(script postrm remove)
[ "$(status "$got")" = 0 ] && [ ! -e "$work/tf/redirect.prom" ] && [ -e "$work/tf/other.prom" ] &&
	ok "postrm remove takes redirect.prom out of the textfile directory, and nothing else" ||
	not_ok "postrm remove takes redirect.prom out of the textfile directory, and nothing else" "$got"
rm -f "$work/default"
is "postrm remove without /etc/default/redirect" "$(status "$(script postrm remove)")" 0
is "postrm upgrade touches nothing" "$(status "$(script postrm upgrade 0.1.0)")" 0
tap_end
