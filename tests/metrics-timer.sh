#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# redirect-metrics.service and .timer: they pass `systemd-analyze verify`
# (where systemd is there); the service writes the textfile collector's
# file with the settings of /etc/default/redirect, and is skipped (not
# failed) until REDIRECT_TEXTFILE_DIR is set.
set -u
. "$(dirname "$0")/tap.sh"

src=${TESTS_SRCDIR:-$(dirname "$0")}/..
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A stand-in for redirect that records its arguments.
mkdir "$work/bin"
printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"%s/args"\n' "$work" >"$work/bin/redirect"
chmod +x "$work/bin/redirect"
sh "$src/scripts/expand-unit" "$src/scripts/redirect-metrics.service.in" "$work/bin" "$work/state" \
	>"$work/redirect-metrics.service"
cp "$src/scripts/redirect-metrics.timer" "$work/"
unit=$work/redirect-metrics.service

if command -v systemd-analyze >/dev/null && systemd-analyze --version >/dev/null 2>&1; then
	for u in redirect-metrics.service redirect-metrics.timer; do
		if out=$(cd "$work" && systemd-analyze verify --man=no "./$u" 2>&1) && [ -z "$out" ]; then
			ok "systemd-analyze verify $u"
		else
			not_ok "systemd-analyze verify $u" "$out"
		fi
	done
	check "the timer's calendar is one systemd knows" \
		systemd-analyze calendar "$(sed -n 's/^OnCalendar=//p' "$work/redirect-metrics.timer")"
else
	skip "systemd-analyze verify redirect-metrics.service" "no systemd-analyze here"
	skip "systemd-analyze verify redirect-metrics.timer" "no systemd-analyze here"
	skip "the timer's calendar is one systemd knows" "no systemd-analyze here"
fi
grep -q '^WantedBy=timers.target$' "$work/redirect-metrics.timer" &&
	ok "the timer can be enabled (WantedBy=timers.target)" || not_ok "the timer can be enabled"
grep -q '^\[Install\]' "$unit" && not_ok "the service is started by its timer only" ||
	ok "the service is started by its timer only"
grep -q '^EnvironmentFile=-/etc/default/redirect$' "$unit" &&
	ok "the service reads /etc/default/redirect, which may be missing" ||
	not_ok "the service reads /etc/default/redirect, which may be missing"

# The command lines as systemd runs them: $$ is a $, ${NAME} and $NAME are
# the environment's (systemd.service(5), "Command lines").
systemd_expand() {	# systemd_expand LINE: with the variables of the environment
	local line=${1//\$\$/$'\001'}
	line=$(perl -pe 's/\$\{(\w+)\}|\$(\w+)/$ENV{$1 \/\/ $2} \/\/ ""/ge' <<<"$line")
	printf '%s\n' "${line//$'\001'/\$}"
}
# Runs the service's ExecCondition=, then its ExecStart= when that says
# yes, with the unit's Environment= under what the file sets.
run_service() {	# run_service DEFAULTS-FILE: prints "skipped" or the arguments
	(
		set -a
		eval "$(sed -n 's/^Environment=//p' "$unit")"
		[ -r "$1" ] && . "$1"
		set +a
		rm -f "$work/args"
		eval "$(systemd_expand "$(sed -n 's/^ExecCondition=//p' "$unit")")" || { echo skipped; exit 0; }
		eval "$(systemd_expand "$(sed -n 's/^ExecStart=//p' "$unit")")"
		tr '\n' ' ' <"$work/args"
	)
}
if command -v perl >/dev/null; then
	is "without a textfile directory the run is skipped" "$(run_service /nonexistent)" skipped
	echo '#REDIRECT_TEXTFILE_DIR=/var/lib/prometheus/node-exporter' >"$work/default"
	is "with the setting commented out the run is skipped" "$(run_service "$work/default")" skipped
	printf 'REDIRECT_TEXTFILE_DIR=%s\n' "$work/tf" >"$work/default"
	is "with REDIRECT_TEXTFILE_DIR it writes redirect.prom there, judged by the default 7d" \
		"$(run_service "$work/default")" "stats --prometheus --quiet-for 7d --output $work/tf/redirect.prom "
	printf 'REDIRECT_TEXTFILE_DIR=%s\nREDIRECT_QUIET_FOR=36h\n' "$work/tf" >"$work/default"
	is "REDIRECT_QUIET_FOR is the quiet its metrics are written with" \
		"$(run_service "$work/default")" "stats --prometheus --quiet-for 36h --output $work/tf/redirect.prom "
else
	for what in "without a textfile directory the run is skipped" \
		"with the setting commented out the run is skipped" \
		"with REDIRECT_TEXTFILE_DIR it writes redirect.prom there" \
		"REDIRECT_QUIET_FOR is the quiet its metrics are written with"; do
		skip "$what" "no perl here"
	done
fi
tap_end
