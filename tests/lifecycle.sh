#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The files that run redirect at boot and every day: the systemd units pass
# `systemd-analyze verify` (where systemd is there), the cron script is sh.
set -u
. "$(dirname "$0")/tap.sh"

src=${TESTS_SRCDIR:-$(dirname "$0")}/..
bin=$(cd "$(dirname "${REDIRECT:-$src/src/redirect}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for f in redirect-restore.service redirect-check.service redirect-metrics.service \
	redirect-check.cron; do
	sh "$src/scripts/expand-unit" "$src/scripts/$f.in" "$bin" "$work" >"$work/$f"
done
cp "$src/scripts/redirect-check.timer" "$work/"

if command -v systemd-analyze >/dev/null && systemd-analyze --version >/dev/null 2>&1; then
	for unit in redirect-restore.service redirect-check.service redirect-check.timer; do
		if out=$(cd "$work" && systemd-analyze verify --man=no "./$unit" 2>&1) && [ -z "$out" ]; then
			ok "systemd-analyze verify $unit"
		else
			not_ok "systemd-analyze verify $unit" "$out"
		fi
	done
else
	for unit in redirect-restore.service redirect-check.service redirect-check.timer; do
		skip "systemd-analyze verify $unit" "no systemd-analyze here"
	done
fi
if out=$(sh -n "$work/redirect-check.cron" 2>&1); then ok "the cron script is valid sh"; else not_ok "the cron script is valid sh" "$out"; fi
grep -q '^SuccessExitStatus=1$' "$work/redirect-check.service" &&
	ok "in use (exit 1) is not a failed check service" ||
	not_ok "in use (exit 1) is not a failed check service"
grep -q '^ReloadPropagatedFrom=nftables.service$' "$work/redirect-restore.service" &&
	ok "a reload of nftables.service (which flushes the ruleset) restores the redirect" ||
	not_ok "restore follows nftables.service reloads"
# They run once something was enabled: the state, or only the record of a
# change under way (an enable killed before its final write).
statefiles_cases() {	# statefiles_cases CHECK-COMMAND...: none, state, state.pending
	local got=""
	rm -f "$work/state" "$work/state.pending"
	"$@" && got="${got}none "
	touch "$work/state"
	"$@" && got="${got}state "
	rm "$work/state" && touch "$work/state.pending"
	"$@" && got="${got}state.pending "
	rm -f "$work/state.pending"
	echo "$got"
}
# ExecCondition= as systemd runs it: $$ is a $, %N the unit's name.
condition_of() {	# condition_of UNIT: the shell line
	sed -n 's/^ExecCondition=\/bin\/sh -c //p' "$work/$1" | sed -e "s/^'//" -e "s/'$//" \
		-e 's/\$\$/$/g' -e "s/%N/${1%.service}/g"
}
runs_with() {	# runs_with UNIT [DEFAULTS-FILE]: the condition's exit, under the unit's environment
	(
		set -a
		eval "$(sed -n 's/^Environment=//p' "$work/$1")"
		[ -n "${2:-}" ] && . "$2"
		set +a
		sh -c "$(condition_of "$1")"
	)
}
for unit in redirect-restore.service redirect-check.service; do
	got=$(statefiles_cases runs_with "$unit" 2>/dev/null)
	[ "$got" = "state state.pending " ] &&
		ok "$unit runs once something was enabled, and only then" ||
		not_ok "$unit runs once something was enabled, and only then" "ran with: $got"
	mkdir -p "$work/elsewhere"
	echo "REDIRECT_STATE_DIR=$work/elsewhere" >"$work/default"
	touch "$work/elsewhere/state"
	runs_with "$unit" "$work/default" && ok "$unit follows REDIRECT_STATE_DIR of /etc/default/redirect" ||
		not_ok "$unit follows REDIRECT_STATE_DIR of /etc/default/redirect"
	rm "$work/elsewhere/state"
	runs_with "$unit" "$work/default"
	is "... and is skipped when nothing was enabled there" "$?" 1
done
# A state directory the unit cannot write (as the sandbox makes one outside
# ReadWritePaths=): a failure (255), saying what to add.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	mkdir -p "$work/locked" && touch "$work/locked/state" && chmod 755 "$work" "$work/locked"
	cp "$work/redirect-check.service" "$work/nobody.service"
	chmod 644 "$work/nobody.service" && echo "REDIRECT_STATE_DIR=$work/locked" >"$work/default"
	chmod 644 "$work/default"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups bash -c "$(declare -f condition_of runs_with)
		work=$work; runs_with nobody.service $work/default" 2>&1)
	is "a state directory the unit cannot write fails the condition (255)" "$?" 255
	like "... saying to add ReadWritePaths" "$out" "systemctl edit nobody and add \[Service\] ReadWritePaths=$work/locked"
else
	skip "a state directory the unit cannot write fails the condition" "needs root and setpriv"
fi

# Sandboxed: `systemd-analyze security` rates each unit 3.0 or better.
if command -v systemd-analyze >/dev/null && systemd-analyze security --help 2>&1 | grep -q offline; then
	for unit in redirect-restore.service redirect-check.service redirect-metrics.service; do
		level=$(cd "$work" && systemd-analyze security --offline=true "./$unit" 2>/dev/null |
			sed -n 's/^→ Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
		awk -v l="${level:-99}" 'BEGIN { exit !(l <= 3.0) }' &&
			ok "$unit is sandboxed: exposure $level (3.0 or better)" ||
			not_ok "$unit is sandboxed: exposure ${level:-?} (3.0 or better)"
	done
else
	skip "the units are sandboxed" "no systemd-analyze security --offline here"
fi

# the cron script with a stand-in for redirect that says how it was called
mkdir "$work/stub"
printf '#!/bin/sh\necho "called $* with ${REDIRECT_STATE_DIR:-}"\n' >"$work/stub/redirect"
chmod +x "$work/stub/redirect"
sh "$src/scripts/expand-unit" "$src/scripts/redirect-check.cron.in" "$work/stub" "$work" \
	>"$work/stub/cron"
cron_calls() { REDIRECT_STATE_DIR='' sh "$work/stub/cron" | grep -q '^called'; }
got=$(statefiles_cases cron_calls)
[ "$got" = "state state.pending " ] &&
	ok "the cron script runs check once something was enabled, and only then" ||
	not_ok "the cron script runs check once something was enabled, and only then" "ran with: $got"
# /etc/default/redirect is sourced, not exported: the cron script must hand
# the state directory on, or redirect looks in the default one
sed "s|/etc/default/redirect|$work/default|g" "$work/stub/cron" >"$work/stub/cron-default"
echo "REDIRECT_STATE_DIR=$work/elsewhere" >"$work/default"
touch "$work/elsewhere/state"
is "the cron script hands REDIRECT_STATE_DIR of /etc/default/redirect to redirect" \
	"$(sh "$work/stub/cron-default")" \
	"called --state-dir $work/elsewhere check --quiet --quiet-for 7d with $work/elsewhere"
rm "$work/elsewhere/state"
# with systemd's timer active the cron script leaves the news to it
grep -q 'systemctl -q is-active redirect-check.timer' "$work/stub/cron" &&
	ok "the cron script steps aside while redirect-check.timer is active" ||
	not_ok "the cron script steps aside while redirect-check.timer is active"
tap_end
