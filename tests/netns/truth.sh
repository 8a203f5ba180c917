#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What stats and check say must be true, and options must mean the same
# thing however often they are given:
#  - NEW never answered a service and one client tried it: broken, not
#    "ready to retire" (one client alone is a warning only where NEW does
#    answer others: then it may be a client NEW bans on purpose);
#  - a conntrack table over 80% full is said by stats, check, check --json
#    and Nagios (WARNING), not by the metrics alone;
#  - an option given twice with the same value is given once: merged
#    first, then counted (5000 x the same --exclude as 5000 x --service 25).
. "$(dirname "$0")/lib.sh"
lab_up
command -v jq >/dev/null || bail "jq is missing"

# ---- duplicates: merged, then counted ----
args=()
for i in $(seq 5000); do args+=(--exclude 192.0.2.0/24); done
out=$(redirect enable --to $NEW4 "${args[@]}" --dry-run --no-probe 2>&1)
is "5000 x the same --exclude: accepted, as 5000 x --service 25 is" "$?" 0
is "... one prefix in the set" "$(grep -c '192.0.2.0/24' <<<"$out")" 1
args=()
for i in $(seq 5000); do args+=(--service 25); done
out=$(redirect enable --to $NEW4 "${args[@]}" --dry-run --no-probe 2>&1)
is "5000 x --service 25: accepted" "$?" 0
args=()
for i in $(seq 0 64); do args+=(--exclude "2001:db8:$((i + 100))::/48" --exclude "2001:db8:$((i + 100))::/48"); done
out=$(redirect enable --to $NEW4 --to $NEW6 "${args[@]}" --dry-run --no-probe 2>&1)
is "65 different prefixes, each twice: refused (exit 2)" "$?" 2
like "... as more than 64" "$out" "'2001:db8:164::/48': more than 64 excluded prefixes"
out=$(redirect enable --to $NEW4 --to $NEW4 --to $NEW6 --to 2001:db8:2:0::2 --dry-run --no-probe 2>&1)
is "the same --to twice (however written): one target" "$?" 0
out=$(redirect enable --to $NEW4 --to 198.51.100.3 --dry-run --no-probe 2>&1)
is "two different IPv4 --to: still refused" "$?" 2
args=()
for i in $(seq 40); do args+=(--domain example.org --domain EXAMPLE.org.); done
out=$(redirect enable --to $NEW4 "${args[@]}" --dry-run --no-probe 2>&1)
is "40 x the same --domain on enable: accepted" "$?" 0
out=$(redirect check "${args[@]}" 2>&1)
is "... on check: no usage error (exit 3: nothing enabled)" "$?" 3
unlike "... not counted as 80 domains" "$out" "more than"
out=$(redirect dns example.org "${args[@]/--domain/example.org}" --name mail.example.org \
	--name mail.example.org --server 192.0.2.99 2>&1)
is "... and 81 x the same domain, 2 x the same --name on dns: asked (exit 3: no server)" "$?" 3
unlike "... not counted" "$out" "at most"
out=$(ip netns exec "$NS_NEW" "$REDIRECT" --state-dir "$WORK/accept" accept --from $OLDN4 \
	--from $OLDN4 --dry-run 2>&1)
is "accept: the same --from twice is one" "$?" 0

# ---- a conntrack table nearly full ----
serve_mail "$NS_NEW" new 25 587
redirect enable --to $NEW4 --service smtp,submission >/dev/null 2>&1 || bail "enable"
is "a redirected connection reaches NEW" "$(banner $OLD4 25)" "220 new $OLDN4"
mark seen
wait_since "$seen" 1100		# quiet for --quiet-for 1s, from that connection
out=$(redirect check --quiet-for 1s --nagios)
is "quiet for a second: ready (Nagios OK)" "$? ${out%% - *}" "0 REDIRECT OK"
max=$(in_old cat /proc/sys/net/netfilter/nf_conntrack_max)
if [ -x "${CT_FILL:-}" ] && [ "$max" -le 300000 ]; then
	fill=$((max * 99 / 100))
	in_old "$CT_FILL" $fill 0 0 || bail "ct-fill"
	count=$(in_old cat /proc/sys/net/netfilter/nf_conntrack_count)
	out=$(redirect stats --numeric)	# no PTR lookup: it would add an entry
	is "conntrack $count of $max: stats still exits 0" "$?" 0
	like "... and warns, with the remedy" "$(flat <<<"$out")" \
		"Warning: the conntrack table is 99% full \($count of $max entries\): when it is full, new connections \(redirected ones too\) are dropped; raise net.netfilter.nf_conntrack_max"
	json=$(redirect stats --json --numeric)
	is "... stats --json: a conntrack field" "$(jq -c .conntrack <<<"$json")" \
		"{\"entries\":$count,\"max\":$max,\"nearly_full\":true}"
	out=$(redirect check --quiet-for 1s)
	is "... check: still ready (exit 0)" "$?" 0
	like "... with the warning on its line" "$(flat <<<"$out")" \
		"^redirect: ready to retire this host: .*; the conntrack table is 99% full \($count of $max entries\)"
	json=$(redirect check --quiet-for 1s --json)
	is "... check --json: the conntrack field" "$(jq -c '[.status, .conntrack]' <<<"$json")" \
		"[\"ready\",{\"entries\":$count,\"max\":$max,\"nearly_full\":true}]"
	like "... and its message says it" "$(jq -r .message <<<"$json")" "conntrack table is 99% full"
	out=$(redirect check --quiet-for 1s --nagios)
	is "... Nagios: WARNING (exit 1), not OK" "$?" 1
	like "... saying why" "$out" "^REDIRECT WARNING - ready to retire this host: .*conntrack table is 99% full"
	out=$(redirect check --quiet-for 1s --quiet)
	like "... check --quiet says it too (cron mails it)" "$out" "conntrack table is 99% full"
	in_old conntrack -F >/dev/null 2>&1
	json=$(redirect stats --json)
	is "emptied: nearly_full false" "$(jq .conntrack.nearly_full <<<"$json")" false
	unlike "... and stats says nothing of it" "$(redirect stats)" "conntrack"
	out=$(redirect check --quiet-for 1s --nagios)
	is "... Nagios OK again" "$? ${out%% - *}" "0 REDIRECT OK"
else
	bail "no ct-fill helper (CT_FILL), or nf_conntrack_max $max too large to fill"
fi

# ---- NEW never answers submission; one client tries it, three times ----
in_new nft -f - <<-'NFT' || bail "cannot set up NEW's firewall"
table inet test_firewall {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 587 drop
	}
}
NFT
for i in 1 2 3; do
	in_client timeout 1 socat -T 1 - TCP4:$OLD4:587 </dev/null >/dev/null 2>&1
done
stats_says() { redirect stats | flat | grep -q "$1"; }
# until the last SYN has waited UNANSWERED_AFTER
wait_until 10 stats_says "BROKEN: 3 recent"
out=$(redirect stats)
is "stats: exit 1" "$?" 1
like "... BROKEN, naming the client and the service NEW never answered" "$(flat <<<"$out")" \
	"BROKEN: 3 recent connection attempts from $CLIENT4 got no answer from the new server $NEW4, which has not answered a single connection to submission \(587\) since enable: no client it drops on purpose, the redirect does not work there"
is "... --json: broken" "$(redirect stats --json | jq .broken)" true
out=$(redirect check --quiet-for 1s)
is "check: in use (exit 1), however quiet" "$?" 1
like "... names the problem" "$(flat <<<"$out")" "^redirect: broken: 3 recent connection attempts from $CLIENT4"
out=$(redirect check --quiet-for 1s --nagios)
is "check --nagios: CRITICAL (exit 2), not OK" "$?" 2
like "... in the plugin's words" "$out" "^REDIRECT CRITICAL - broken: 3 recent connection attempts from $CLIENT4"
like "Prometheus: redirect_broken 1" "$(redirect stats --prometheus)" '^redirect_broken 1$'

# ---- NEW answers submission again: one client alone is no longer the verdict ----
in_new nft delete table inet test_firewall
is "NEW answers submission" "$(banner $OLD4 587)" "220 new $OLDN4"
mark answered
in_new nft -f - <<-'NFT' || bail "cannot set up NEW's firewall"
table inet test_firewall {
	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr 198.51.100.1 tcp dport 587 tcp flags syn drop
	}
}
NFT
# NEW's last answer and the SYN it does not answer are told apart to the
# second (conntrack's timeouts): a SYN sent with the answer might pass as
# older than it, and so as one NEW drops on purpose.
wait_since "$answered" 1500
in_client timeout 1 socat -T 1 - TCP4:$OLD4:587 </dev/null >/dev/null 2>&1
wait_until 10 stats_says "got no answer"
out=$(redirect stats)
is "a client NEW stops answering after answering others: stats exits 0" "$?" 0
like "... a warning: it may be a client NEW drops on purpose" "$(flat <<<"$out")" \
	"Warning: 1 recent connection attempt from $CLIENT4 got no answer from the new server $NEW4: it may be dropping that client"
in_new nft delete table inet test_firewall
redirect disable --now >/dev/null
