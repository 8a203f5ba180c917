# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The metric names that PromQL expressions read, for the tests of the
# alert rules and of the dashboard. Sourced.

# promql_names: expressions on stdin, one a line; prints each metric name
# once. What is not a metric name goes first: strings, label matchers,
# ranges, the label lists of by/without/on/ignoring/group_*, Grafana's
# variables, the names of functions and aggregations (a name before a
# parenthesis), then the keywords; label_values(METRIC, LABEL) of Grafana's
# variable queries keeps its metric.
promql_names() {
	sed -E \
		-e 's/label_values\(([^,()]*),[^()]*\)/ \1 /g' \
		-e 's/"([^"\\]|\\.)*"//g' -e "s/'([^'\\\\]|\\\\.)*'//g" \
		-e 's/\{[^}]*\}//g' -e 's/\[[^]]*\]//g' \
		-e 's/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?//g' \
		-e 's/(^|[^A-Za-z0-9_:])(by|without|on|ignoring|group_left|group_right)[[:space:]]*\([^()]*\)/\1 /g' \
		-e 's/[A-Za-z_][A-Za-z0-9_]*[[:space:]]*\(/ (/g' |
		grep -oE '(^|[^A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*' |
		sed -E 's/^[^A-Za-z_:]//' |
		grep -viwE 'and|or|unless|bool|offset|by|without|on|ignoring|group_left|group_right|inf|nan|atan2' |
		sort -u
}

# The names redirect emits: the list, one a line ('#' starts a comment).
metric_list() {	# metric_list FILE
	sed -e 's/#.*//' -e 's/[[:space:]]//g' "$1" | grep . | sort -u
}
