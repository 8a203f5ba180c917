#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# redirect stats tells the truth about leftover traffic: exact counts per
# service and per source, live sessions, never-used services, every output
# format parsed by a real parser, watch mode, and a flushed table.
. "$(dirname "$0")/lib.sh"
lab_up
command -v jq >/dev/null || bail "jq is missing"
command -v promtool >/dev/null || bail "promtool is missing (Debian package prometheus)"
serve "$NS_NEW" new 25 110 143 587
CLIENT4B=203.0.113.11
ip -n "$NS_CLIENT" addr add $CLIENT4B/24 dev "${P}c0"

out=$(redirect stats 2>&1)
is "stats with nothing enabled exits 0" "$?" 0
like "... and says so" "$out" "not enabled"
is "stats --json with nothing enabled" "$(redirect stats --json)" '{"enabled": false}'

redirect enable --to $NEW4 --to $NEW6 --no-probe >/dev/null
connect() {	# connect ADDRESS PORT [BIND]
	local target
	case $1 in *:*) target="TCP6:[$1]:$2" ;; *) target="TCP4:$1:$2" ;; esac
	[ -n "${3:-}" ] && target="$target,bind=$3"
	in_client timeout 5 socat -T 3 - "$target" </dev/null >/dev/null 2>&1
}
for i in 1 2 3; do connect $OLD4 25; done
connect $OLD4 143
connect $OLD4 25 $CLIENT4B
connect $OLD4 110 $CLIENT4B
connect $OLD6 143
connect $OLD6 143

json=$(redirect stats --json)
is "stats --json exits 0" "$?" 0
check "stats --json is JSON" jq -e . <<<"$json"
check "it has every key of the contract" jq -e '
	(.enabled == true) and (.to == ["198.51.100.2", "2001:db8:2::2"]) and (.since | type == "number")
	and (.services | type == "array") and (.sources | type == "array")
	and all(.services[]; has("name") and has("port") and has("connections") and has("active")
		and has("bytes") and has("last_seen_seconds"))
	and all(.sources[]; has("address") and has("connections") and has("last_seen_seconds")
		and has("services"))' <<<"$json"
svc() { jq -r --arg n "$1" ".services[] | select(.name == \$n) | .$2" <<<"$json"; }
src() { jq -r --arg a "$1" ".sources[] | select(.address == \$a) | .$2" <<<"$json"; }
is "smtp: 4 connections" "$(svc smtp connections)" 4
is "imap: 3 connections" "$(svc imap connections)" 3
is "pop3: 1 connection" "$(svc pop3 connections)" 1
is "submission: none" "$(svc submission connections)" 0
is "an unused service was last seen never (null)" "$(svc submissions last_seen_seconds)" null
like "smtp was seen moments ago" "$(svc smtp last_seen_seconds)" '^[0-9]$'
is "smtp carried bytes" "$(jq '.services[] | select(.name == "smtp") | .bytes > 0' <<<"$json")" true
is "three stale sources" "$(jq '.sources | length' <<<"$json")" 3
is "$CLIENT4: 4 connections" "$(src $CLIENT4 connections)" 4
is "$CLIENT4: smtp and imap" "$(src $CLIENT4 'services | join(",")')" "smtp,imap"
is "$CLIENT4B: 2 connections" "$(src $CLIENT4B connections)" 2
is "$CLIENT4B: smtp and pop3" "$(src $CLIENT4B 'services | join(",")')" "smtp,pop3"
is "$CLIENT6: 2 connections, imap" "$(src $CLIENT6 'connections|tostring') $(src $CLIENT6 'services|join(",")')" "2 imap"
is "nothing is open now" "$(jq .active <<<"$json")" 0

text=$(redirect stats)
like "the header names OLD's addresses the redirect catches" "$text" \
	"for connections to this host's $OLD4, $OLDN4, $OLD6, $OLDN6"
is "... and so does the JSON" "$(jq -r '.addresses | join(" ")' <<<"$json")" "$OLD4 $OLDN4 $OLD6 $OLDN6"
like "the text shows smtp's count" "$text" "smtp +25 +4 "
like "the text shows never for an unused service" "$text" "imaps +993 +0 +0 +0 +0 +0 B +never"
like "the text lists the IPv6 client" "$text" "$CLIENT6 +2 .*imap"
unlike "no colour without a terminal" "$text" $'\033'

# A session held open is live; once closed it is not.
session_open held $OLD4 587
session_hear held >/dev/null
json=$(redirect stats --json)
is "a held-open session is active" "$(svc submission active)" 1
session_close held
closed() { json=$(redirect stats --json) && [ "$(svc submission active)" = 0 ]; }
wait_until 10 closed
json=$(redirect stats --json)
is "once closed it is not" "$(svc submission active)" 0
is "... and it was counted" "$(svc submission connections)" 1

# Sources beyond the limit are summed up.
text=$(redirect stats --sources 1)
like "--sources 1 says how many more" "$text" "and 2 more"
is "--sources 1 limits JSON too" "$(redirect stats --json --sources 1 | jq '.sources | length')" 1

# Prometheus, checked by promtool, written atomically with --output.
redirect stats --prometheus >"$WORK/metrics.prom"
is "stats --prometheus exits 0" "$?" 0
check "promtool accepts the exposition" promtool check metrics <"$WORK/metrics.prom"
like "connections per service" "$(cat "$WORK/metrics.prom")" \
	'redirect_connections_total\{service="smtp",port="25"\} 4'
like "the number of stale sources" "$(cat "$WORK/metrics.prom")" "redirect_stale_sources 3"
unlike "never a label per client address" "$(cat "$WORK/metrics.prom")" "203\.0\.113"
# the alert rules and the dashboard read the names contrib/prometheus/metrics.txt lists
written=$(redirect stats --prometheus --quiet-for 1d | awk '!/^#/ { sub(/[{ ].*/, ""); print }' | sort -u)
missing=$(grep -v -e '^#' -e '^redirect_tunnel_up$' -e '^redirect_tls_' -e '^redirect_accounts$' \
	-e '^redirect_mail_log_skipped_lines_total$' "$(dirname "$0")/../../contrib/prometheus/metrics.txt" |
	sort -u | comm -23 - <(printf '%s\n' "$written"))
is "every metric the alert rules read is written (the tunnel's in tunnel.sh, TLS's in tls.sh, NEW's accounts in accounts.sh)" \
	"$missing" ""
redirect stats --prometheus --output "$WORK/node.prom"
check "--output writes the file" test -s "$WORK/node.prom"
is "--output leaves no temporary file" "$(ls "$WORK" | grep -c 'node.prom.tmp')" 0

# Watch mode: lines without a terminal, frames on one, ends on SIGINT.
background "$WORK/watch.out" ip netns exec "$NS_OLD" "$REDIRECT" --state-dir "$STATE" stats --watch 1
watch_pid=$BACKGROUND_PID
twice_in() { [ "$(grep -o -- "$2" "$1" | wc -l)" -ge 2 ]; }	# twice_in FILE PATTERN
wait_until 10 twice_in "$WORK/watch.out" 'enabled=yes'
kill -INT "$watch_pid"
wait "$watch_pid"
is "watch ends cleanly on SIGINT" "$?" 0
lines=$(grep -c 'enabled=yes' "$WORK/watch.out")
[ "$lines" -ge 2 ] && ok "watch without a terminal printed $lines lines" ||
	not_ok "watch printed more than one line" "$(cat "$WORK/watch.out")"
# script(1) runs the command with $SHELL -c, or /bin/sh when SHELL is not
# set (as under CI): dash forks the command where bash execs it. "exec"
# makes the program on the terminal script's own child with either.
SHELL=/bin/sh script -qfec "exec ip netns exec $NS_OLD $REDIRECT --state-dir $STATE stats --watch 1" \
	"$WORK/tty.out" >/dev/null 2>&1 &
script_pid=$!
PIDS+=("$script_pid")
wait_until 10 twice_in "$WORK/tty.out" $'\033\\[2J'
# Ctrl-C: SIGINT to the program on the terminal (script itself, sent one,
# would stop it with SIGTERM and take two seconds about it)
kill -INT "$(pgrep -P "$script_pid")"
wait_until 10 not_running "$script_pid" || kill -TERM "$script_pid"	# a failure, not a hang
is "watch on a terminal ends cleanly on Ctrl-C" "$(wait "$script_pid" 2>/dev/null; echo $?)" 0
frames=$(grep -o $'\033\\[2J' "$WORK/tty.out" | wc -l)
[ "$frames" -ge 2 ] && ok "watch on a terminal redrew $frames frames" ||
	not_ok "watch on a terminal redrew more than once" "$(cat -v "$WORK/tty.out" | head)"
like "watch on a terminal shows rates and history" "$(cat "$WORK/tty.out")" "PER MIN +HISTORY"

# The flushed-table case.
in_old nft flush ruleset
out=$(redirect stats 2>&1)
is "stats after a flush exits 1" "$?" 1
like "... and points to restore" "$out" "redirect restore"
json=$(redirect stats --json)
is "stats --json after a flush exits 1" "$?" 1
is "... with enabled true and installed false" "$(jq -c '[.enabled, .installed]' <<<"$json")" "[true,false]"
is "... and the last connection still known" "$(jq '.last_seen_seconds | type' <<<"$json")" '"number"'
redirect restore >/dev/null
is "after restore the last-seen time carries on" \
	"$(redirect stats --json | jq '.services[] | select(.name == "smtp") | .last_seen_seconds | type')" '"number"'

# No permission.
out=$(in_old setpriv --inh-caps=-all --bounding-set=-net_admin \
	"$REDIRECT" --state-dir "$STATE" stats 2>&1)
is "stats without CAP_NET_ADMIN exits 1" "$?" 1
like "... naming the capability" "$out" "CAP_NET_ADMIN"
redirect disable --now >/dev/null
