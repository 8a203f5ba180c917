#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Grafana dashboard in contrib/grafana: its JSON loads, its panels are
# whole, every metric its queries read is one that redirect emits
# (contrib/prometheus/metrics.txt), and every query is PromQL that
# promtool accepts.
set -u
tests=${TESTS_SRCDIR:-$(dirname "$0")}
. "$tests/tap.sh"
. "$tests/promql.sh"
dash=$tests/../contrib/grafana/redirect.json
list=$tests/../contrib/prometheus/metrics.txt

if ! command -v jq >/dev/null; then
	echo "1..0 # SKIP no jq here (Debian package jq)"
	exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

check "the dashboard's JSON loads" jq -e 'type == "object"' "$dash"
check "the dashboard has a uid, a title and a schema version" \
	jq -e '(.uid | type == "string") and (.title | type == "string") and (.schemaVersion | type == "number")' "$dash"
check "no panel id twice" jq -e '[.panels[].id] | length == (unique | length)' "$dash"
check "every panel has a place, a title and queries" \
	jq -e 'all(.panels[]; (.gridPos | has("x") and has("y") and has("w") and has("h")) and
		(.title | length > 0) and (.targets | length > 0))' "$dash"
check "every query asks the data source of the variable \$datasource" \
	jq -e 'all(.panels[].targets[]; .datasource.uid == "${datasource}") and
		any(.templating.list[]; .name == "datasource" and .type == "datasource")' "$dash"
check "every query has a refId unique in its panel" \
	jq -e 'all(.panels[]; [.targets[].refId] | length == (unique | length) and all(type == "string"))' "$dash"
# It shows what the issue asks for.
for want in redirect_attempts_total redirect_connections_total redirect_answered_total \
	redirect_stale_sources redirect_quiet_seconds redirect_required_quiet_seconds; do
	check "a panel shows $want" jq -e --arg m "$want" 'any(.panels[].targets[]; .expr | contains($m))' "$dash"
done
check "a panel lists the hosts ready to retire" \
	jq -e 'any(.panels[]; (.title | test("ready to retire"; "i")) and .type == "table")' "$dash"

# Every query: the panels' and the variables'.
queries() {
	jq -r '[.panels[].targets[].expr, (.templating.list[] | select(.type == "query") | .definition, .query.query)]
		| .[] | select(type == "string") | gsub("\n"; " ")' "$dash"
}
names=$(queries | promql_names)
known=$(metric_list "$list")
[ -n "$names" ] && ok "the queries read metrics: $(echo $names)" || not_ok "the queries read metrics"
for m in $names; do
	grep -qx -- "$m" <<<"$known" && ok "the dashboard reads $m: redirect emits it" ||
		not_ok "the dashboard reads $m: redirect emits it" "not in contrib/prometheus/metrics.txt"
done
# The name extraction itself, on a query with every kind of thing to skip.
got=$(echo 'sum without (service, port) (rate(redirect_a_total{instance=~"$instance",x="y z"}[$__rate_interval])) / on(instance) group_left redirect_b > bool 1e3 or label_values(redirect_c, instance)' |
	promql_names | tr '\n' ' ')
is "the metric names of a query are found, and only they" "$got" "redirect_a_total redirect_b redirect_c "

# As PromQL: each panel query as a recording rule, Grafana's variables
# given values.
if command -v promtool >/dev/null; then
	{
		echo "groups:"
		echo "  - name: dashboard"
		echo "    rules:"
		jq -r '.panels[].targets[].expr' "$dash" |
			sed -e 's/\$__rate_interval/5m/g' -e 's/\$__interval/1m/g' -e 's/\$instance/.*/g' |
			awk '{ gsub(/\x27/, "\x27\x27"); printf "      - record: dashboard:query%d\n        expr: \x27%s\x27\n", NR, $0 }'
	} >"$work/dashboard.rules.yml"
	n=$(grep -c 'record:' "$work/dashboard.rules.yml")
	if [ "$n" -gt 0 ] && out=$(promtool check rules "$work/dashboard.rules.yml" 2>&1); then
		ok "promtool accepts every query of the dashboard ($n)"
	else
		not_ok "promtool accepts every query of the dashboard" "$n queries" "$out"
	fi
else
	skip "promtool accepts every query of the dashboard" "no promtool here (Debian package prometheus)"
fi
like "the provisioning example provides the dashboard from files" \
	"$(cat "$tests/../contrib/grafana/provisioning.yml")" '^ +type: file$'
tap_end
