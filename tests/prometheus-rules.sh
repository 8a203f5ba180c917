#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Prometheus alert rules in contrib/prometheus: promtool accepts them
# and their tests pass; every alert is tested both firing and not firing,
# waits (for:), and names the host in its summary; every metric they read
# is one that redirect emits (contrib/prometheus/metrics.txt).
set -u
tests=${TESTS_SRCDIR:-$(dirname "$0")}
. "$tests/tap.sh"
. "$tests/promql.sh"
dir=$tests/../contrib/prometheus
rules=$dir/redirect.rules.yml
unit=$dir/redirect.rules.test.yml

if ! command -v promtool >/dev/null; then
	echo "1..0 # SKIP no promtool here (Debian package prometheus)"
	exit 0
fi

# Run from a copy: promtool finds the rule file beside its test.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$rules" "$unit" "$work/"

check "promtool check rules" promtool check rules "$work/redirect.rules.yml"
check "promtool test rules: every case passes" promtool test rules "$work/redirect.rules.test.yml"

# The alerts, and per alert name its cases: "firing" when exp_alerts lists
# some, "quiet" when it is [].
alerts=$(sed -n 's/^ *- alert: *//p' "$rules")
cases=$(awk '/^ *alertname:/ { name = $2; next }
	name && /^ *exp_alerts: *\[\] *$/ { print name, "quiet"; name = ""; next }
	name && /^ *exp_alerts: *$/ { print name, "firing"; name = ""; next }' "$unit" | sort -u)
[ -n "$alerts" ] && ok "the rules define alerts: $(echo $alerts)" || not_ok "the rules define alerts"
for a in $alerts; do
	for kind in firing quiet; do
		grep -qx "$a $kind" <<<"$cases" && ok "$a has a test where it is $kind" ||
			not_ok "$a has a test where it is $kind"
	done
done

# Per alert, its block of the rule file.
block() {	# block ALERT
	awk -v a="$1" '$1 == "-" && $2 == "alert:" { on = ($3 == a); next }
		/^ *- (alert|record):/ { on = 0 } on' "$rules"
}
for a in $alerts; do
	b=$(block "$a")
	like "$a waits before it fires (for:)" "$b" '^ +for: [0-9]+[smh]'
	like "$a has a severity" "$b" '^ +severity: (critical|warning|info)$'
	like "$a's summary names the host" "$b" 'summary: .*\{\{ \$labels\.instance \}\}'
	like "$a has a description" "$b" '^ +description:'
done
# An alert about one service says which.
for a in $alerts; do
	b=$(block "$a")
	if grep -qE 'redirect_(attempts|answered|connections|bytes)_total|redirect_active_connections' <<<"$(sed -n '/expr:/,/for:/p' <<<"$b")" &&
		! grep -q 'sum without (service, port)' <<<"$b"; then
		like "$a's summary names the service" "$b" 'summary: .*\{\{ \$labels\.service \}\}'
	fi
done

# The metrics the expressions read (block scalars joined into one line).
exprs=$(awk '
	blk && /^[[:space:]]*$/ { next }
	blk { match($0, /^ */); if (RLENGTH > ind) { buf = buf " " $0; next } print buf; blk = 0 }
	/^ *expr: *[|>][-+]? *$/ { blk = 1; buf = ""; match($0, /^ */); ind = RLENGTH; next }
	/^ *expr:/ { sub(/^ *expr: */, ""); print }
	END { if (blk) print buf }' "$rules")
is "every alert has its expression" "$(grep -c . <<<"$exprs")" "$(grep -c . <<<"$alerts")"
known=$(metric_list "$dir/metrics.txt")
for m in $(promql_names <<<"$exprs"); do
	if [ "$m" = node_textfile_mtime_seconds ]; then
		ok "the rules read $m: node_exporter's, the age of redirect.prom"
	elif grep -qx -- "$m" <<<"$known"; then
		ok "the rules read $m: redirect emits it"
	else
		not_ok "the rules read $m: redirect emits it" "not in contrib/prometheus/metrics.txt"
	fi
done
tap_end
