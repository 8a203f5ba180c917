#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The files that run redirect at boot and every day: the systemd units pass
# `systemd-analyze verify` (where systemd is there), the cron script is sh.
set -u
. "$(dirname "$0")/tap.sh"

src=${TESTS_SRCDIR:-$(dirname "$0")}/..
bin=$(dirname "${REDIRECT:-$src/src/redirect}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for f in redirect-restore.service redirect-check.service redirect-check.cron; do
	sed -e "s|@sbindir@|$bin|g" -e "s|@statedir@|$work|g" "$src/scripts/$f.in" >"$work/$f"
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
if command -v systemd-analyze >/dev/null && systemd-analyze condition 'ConditionPathExists=/' >/dev/null 2>&1; then
	for unit in redirect-restore.service redirect-check.service; do
		mapfile -t conditions < <(grep '^Condition' "$work/$unit")
		got=$(statefiles_cases systemd-analyze condition "${conditions[@]}" 2>/dev/null)
		[ "$got" = "state state.pending " ] &&
			ok "$unit runs once something was enabled, and only then" ||
			not_ok "$unit runs once something was enabled, and only then" "ran with: $got"
	done
else
	skip "redirect-restore.service runs once something was enabled" "no systemd-analyze here"
	skip "redirect-check.service runs once something was enabled" "no systemd-analyze here"
fi
# the cron script with a stand-in for redirect that says it was called
mkdir "$work/stub"
printf '#!/bin/sh\necho called\n' >"$work/stub/redirect"
chmod +x "$work/stub/redirect"
sed -e "s|@sbindir@|$work/stub|g" -e "s|@statedir@|$work|g" "$src/scripts/redirect-check.cron.in" \
	>"$work/stub/cron"
cron_calls() { [ "$(REDIRECT_STATE_DIR='' sh "$work/stub/cron")" = called ]; }
got=$(statefiles_cases cron_calls)
[ "$got" = "state state.pending " ] &&
	ok "the cron script runs check once something was enabled, and only then" ||
	not_ok "the cron script runs check once something was enabled, and only then" "ran with: $got"
tap_end
