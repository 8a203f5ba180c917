#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# redirect check with short periods: every verdict and exit status, the
# JSON and Nagios formats, the quiet clock across a flush and a restore,
# --quiet for cron, and the daily cron script itself.
. "$(dirname "$0")/lib.sh"
lab_up
command -v jq >/dev/null || bail "jq is missing"
serve "$NS_NEW" new 25 143

checks() {	# checks ARGS...: prints "EXIT<tab>OUTPUT"
	local out rc
	out=$(redirect check --quiet-for 3s "$@" 2>&1)
	rc=$?
	printf '%s\t%s' "$rc" "$out"
}
status_of() { printf '%s' "${1%%$'\t'*}"; }
text_of() { printf '%s' "${1#*$'\t'}"; }

r=$(checks)
is "nothing enabled: exit 3" "$(status_of "$r")" 3
like "... and says why" "$(text_of "$r")" "nothing is enabled"
r=$(checks --json)
is "... JSON status unknown" "$(text_of "$r" | jq -r .status)" unknown

redirect enable --to $NEW4 --to $NEW6 --no-probe >/dev/null
r=$(checks)
is "right after enable: exit 1" "$(status_of "$r")" 1
like "... enabled only just now" "$(text_of "$r")" "nothing redirected yet, but enabled only"
# 3 s of quiet on the tool's own clock: the whole second enable recorded
since=$(awk '$1 == "since" { print $2 }' "$STATE/state")
wait_since $((since * 1000)) 3000
r=$(checks)
is "after a quiet period: exit 0" "$(status_of "$r")" 0
like "... ready to retire" "$(text_of "$r")" "ready to retire this host"

banner $OLD4 25 >/dev/null
banner $OLD6 143 >/dev/null
r=$(checks)
is "after traffic: exit 1" "$(status_of "$r")" 1
like "... when, from how many, for what" "$(text_of "$r")" \
	"last redirected connection came [0-9]+s ago, from 2 sources \((imap, smtp|smtp, imap)\)"
like "... and when it can be ready" "$(text_of "$r")" "ready in [0-9]+s at the earliest"

json=$(text_of "$(checks --json)")
check "check --json is JSON with the contract's keys" jq -e \
	'(.status == "in-use") and (.quiet_seconds | type == "number")
	 and (.required_seconds == 3) and (.ready_in_seconds | type == "number")
	 and (.sources == 2)' <<<"$json"
r=$(checks --nagios)
is "check --nagios in use: exit 1" "$(status_of "$r")" 1
like "... one Nagios line, WARNING, with perfdata" "$(text_of "$r")" \
	'^REDIRECT WARNING - still in use: .* \| connections=2;; quiet_seconds=[0-9]+;3; sources=2;; open=0;; attempts=2;; answered=2;;$'
is "... exactly one line" "$(text_of "$r" | grep -c '')" 1

# A session held open keeps OLD in use, however quiet otherwise.
session_open idle $OLD4 143
session_hear idle >/dev/null
quiet_but_open() { text_of "$(checks)" | grep -q "ready once it has closed"; }
wait_until 10 quiet_but_open
r=$(checks)
is "an open redirected session: still in use" "$(status_of "$r")" 1
like "... and says so" "$(text_of "$r")" "1 redirected session is open now; ready once it has closed"
session_close idle
closed() { [ "$(status_of "$(checks)")" = 0 ]; }
wait_until 10 closed
r=$(checks --nagios)
is "once it closed: ready" "$(status_of "$r")" 0
like "... OK for Nagios" "$(text_of "$r")" "^REDIRECT OK - ready to retire"

# The quiet clock survives a flush and a restore: it runs from the last
# connection, not from the restore.
banner $OLD4 25 >/dev/null
mark last
redirect check --quiet-for 3s >/dev/null	# records the last-seen time
in_old nft flush ruleset
r=$(checks)
is "after a flush: exit 3" "$(status_of "$r")" 3
like "... pointing to restore" "$(text_of "$r")" "redirect restore"
r=$(checks --nagios)
like "... UNKNOWN for Nagios" "$(text_of "$r")" "^REDIRECT UNKNOWN - .*redirect restore"
wait_since "$last" 1000	# the restore comes a second after the last connection
redirect restore >/dev/null
is "restore succeeds" "$?" 0
is "the redirect is back" "$(banner $NEW4 25 | cut -d' ' -f1-2)" "220 new"
wait_since "$last" 3300
r=$(checks)
is "3s after the last connection, 2s after the restore: ready" "$(status_of "$r")" 0

# --quiet: speaks when the verdict changes, and on trouble, else silence.
out=$(redirect check --quiet-for 3s --quiet)
is "--quiet: first run exits 0" "$?" 0
like "--quiet: the first verdict is news" "$out" "ready to retire"
out=$(redirect check --quiet-for 3s --quiet)
is "--quiet: the same verdict again is silent" "$out" ""
banner $OLD4 25 >/dev/null
out=$(redirect check --quiet-for 3s --quiet)
is "--quiet: in use again: exit 1" "$?" 1
like "--quiet: a changed verdict is news" "$out" "still in use"
in_old nft flush ruleset
out=$(redirect check --quiet-for 3s --quiet)
like "--quiet: trouble is always news" "$out" "redirect restore"
out=$(redirect check --quiet-for 3s --quiet)
like "--quiet: trouble again is news again" "$out" "redirect restore"
redirect restore >/dev/null

# The daily cron script, as installed, run by cron's sh.
sed -e "s|@sbindir@|$(dirname "$REDIRECT")|g" -e "s|@statedir@|$STATE|g" \
	"$TESTS_SRCDIR/../scripts/redirect-check.cron.in" >"$WORK/cron"
out=$(in_old env REDIRECT_QUIET_FOR=3s REDIRECT_STATE_DIR="$STATE" sh "$WORK/cron" 2>&1)
is "the cron script exits 0 while in use" "$?" 0
out=$(in_old env REDIRECT_QUIET_FOR=3s REDIRECT_STATE_DIR="$STATE" sh "$WORK/cron" 2>&1)
is "... and is silent when nothing changed" "$out" ""
in_old nft flush ruleset
out=$(in_old env REDIRECT_QUIET_FOR=3s REDIRECT_STATE_DIR="$STATE" sh "$WORK/cron" 2>&1)
is "the cron script fails on trouble (so cron mails it)" "$?" 1
like "... saying what to do" "$out" "redirect restore"
redirect restore >/dev/null

redirect disable --now >/dev/null
r=$(checks)
is "after disable: exit 3" "$(status_of "$r")" 3
out=$(in_old env REDIRECT_QUIET_FOR=3s REDIRECT_STATE_DIR="$STATE" sh "$WORK/cron" 2>&1)
like "the cron script tells once that nothing is enabled any more" "$out" "nothing is enabled"
out=$(in_old env REDIRECT_QUIET_FOR=3s REDIRECT_STATE_DIR="$STATE" sh "$WORK/cron" 2>&1)
is "... and then keeps quiet" "$out" ""

r=$(checks --quiet-for 0)
is "a bad --quiet-for is a usage error (exit 2)" "$(status_of "$r")" 2
