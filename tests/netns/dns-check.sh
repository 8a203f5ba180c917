#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# check waits for DNS as well as for quiet: not ready while an authoritative
# server names this host, nor until the old answers' TTL has passed since
# DNS was first seen clean (the clock kept in the state); unknown when DNS
# cannot be asked. stats shows what the last check found, and names the
# stale sources by their PTR records, from a cache.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
lab_up
dns_require
command -v jq >/dev/null || bail "jq is missing"
NS1=192.0.2.53 NS2=192.0.2.54
serve "$NS_NEW" new 25

scratch_ns dns
NS_DNS=$SCRATCH
ip -n "$NS_DNS" link set lo up
link "$NS_OLD" "${P}o2" "$NS_DNS" "${P}d0"
addr "$NS_OLD" "${P}o2" 192.0.2.1/24
addr "$NS_DNS" "${P}d0" $NS1/24 $NS2/24
dns_resolver "$NS_OLD" $NS1

zone_org() {	# zone_org SERIAL MAIL_A
	cat <<-EOF
	\$TTL 300
	@ SOA ns1.example.org. hostmaster.example.org. $1 3600 600 86400 300
	@ NS ns1.example.org.
	@ NS ns2.example.org.
	@ MX 10 mail.example.org.
	ns1 A $NS1
	ns2 A $NS2
	mail 3 A $2
	EOF
}
zone_rev() {
	cat <<-EOF
	\$TTL 300
	@ SOA ns1.example.org. hostmaster.example.org. 1 3600 600 86400 300
	@ NS ns1.example.org.
	10 PTR client.example.net.
	EOF
}
# MX hosts behind CNAME chains: one of 9 that ends at this host (resolvers
# follow it: still in use), one that loops (resolvers give up: unknown)
zone_chains() {	# zone_chains DOMAIN
	cat <<-EOF
	\$TTL 300
	@ SOA ns1.example.org. hostmaster.example.org. 1 3600 600 86400 300
	@ NS ns1.example.org.
	@ MX 10 mx.$1.
	EOF
	if [ "$1" = example.com ]; then
		echo "mx CNAME c1"
		for i in $(seq 1 8); do echo "c$i CNAME c$((i + 1))"; done
		echo "c9 A $OLD4"
	else
		echo "mx CNAME mx-b"
		echo "mx-b CNAME mx"
	fi
}
dns_server ns1 "$NS_DNS" $NS1
dns_server ns2 "$NS_DNS" $NS2
zone_org 1 $OLD4 | dns_zone ns1 example.org
zone_rev | dns_zone ns1 113.0.203.in-addr.arpa
zone_chains example.com | dns_zone ns1 example.com
zone_chains example.net | dns_zone ns1 example.net
zone_org 1 $OLD4 | dns_zone ns2 example.org
dns_start ns1
dns_start ns2

out=$(redirect enable --to $NEW4 --service smtp --no-probe --domain example.org 2>/dev/null)
like "enable --domain remembers the domain" "$out" "check also waits for the DNS of example.org"
check "... in the state" grep -q '^domain example.org$' "$STATE/state"
# quiet for 1s (the shortest --quiet-for) on the tool's own clock, so that
# only DNS holds the host back
since=$(awk '$1 == "since" { print $2 }' "$STATE/state")
wait_since $((since * 1000)) 1000

# ---- DNS still names this host ----
out=$(redirect check --quiet-for 1s)
is "quiet, but DNS names this host: in use (exit 1)" "$?" 1
like "... naming the server and the record" "$(flat <<<"$out")" \
	"DNS still names this host: ns[12].example.org \(192.0.2.5[34], serial 1\) still answers mail.example.org A $OLD4"
json=$(redirect check --quiet-for 1s --json)
is "... --json: the DNS part" "$(jq -c '.dns | {status, old_answers, clean_since}' <<<"$json")" \
	'{"status":"old","old_answers":2,"clean_since":null}'
like "... Nagios: WARNING, with the old answers in the perfdata" \
	"$(redirect check --quiet-for 1s --nagios)" '^REDIRECT WARNING - still in use: .* dns_old_answers=2;;$'
like "stats says so from the last check, asking nothing" "$(redirect stats --numeric | flat)" \
	"DNS \(example.org, checked [0-9]+s ago\): still names this host: ns[12].example.org"

# ---- fixed: the resolvers' clock runs ----
zone_org 2 $NEW4 | dns_zone ns1 example.org
zone_org 2 $NEW4 | dns_zone ns2 example.org
dns_reload ns1 example.org 2
dns_reload ns2 example.org 2
out=$(redirect check --quiet-for 1s)
is "DNS clean, its old TTL not yet passed: in use (exit 1)" "$?" 1
like "... saying resolvers may still hand out the old answer" "$(flat <<<"$out")" \
	"DNS is clean, but resolvers may keep an old answer for its TTL \(3s\): ready for DNS in [0-9]s"
json=$(redirect check --quiet-for 1s --json)
is "... --json: new, clean since a time" "$(jq -c '.dns | [.status, (.clean_since | type), .ttl_seconds]' <<<"$json")" \
	'["new","number",3]'
check "... the clock is in the state" grep -q '^dns_clean_since [0-9]' "$STATE/state"
# the old answers' TTL (3 s) on the tool's own clock: since DNS was first seen clean
clean=$(awk '$1 == "dns_clean_since" { print $2 }' "$STATE/state")
wait_since $((${clean:-0} * 1000)) 3000
out=$(redirect check --quiet-for 1s)
is "the TTL passed: ready (exit 0)" "$?" 0
like "... saying DNS has been clean past the TTL" "$(flat <<<"$out")" \
	"ready to retire this host: .*; DNS clean for [0-9]+s \(its TTL 3s\)"

# ---- DNS that cannot be asked ----
out=$(redirect check --quiet-for 1s --domain nosuch.example.org 2>&1)
is "a --domain that cannot be checked: unknown (exit 3), however quiet" "$?" 3
like "... saying why" "$(flat <<<"$out")" "DNS could not be checked"
out=$(redirect check --quiet-for 1s --domain example.com 2>&1)
is "an MX host 9 CNAMEs away from this host's address: in use (exit 1)" "$?" 1
like "... the chain followed to its end, as resolvers do" "$(flat <<<"$out")" \
	"DNS still names this host: ns1.example.org \($NS1, serial 1\) still answers mx.example.com A $OLD4 \(through CNAME c9.example.com\)"
out=$(redirect check --quiet-for 1s --domain example.net 2>&1)
is "an MX host whose CNAMEs loop: unknown (exit 3), not ready" "$?" 3
like "... saying DNS cannot tell" "$(flat <<<"$out")" \
	"DNS could not be checked: ns1.example.org \($NS1, serial 1\) answers mx.example.net \(MX\) with CNAME records that loop"
out=$(redirect check --domain "exa mple.org" 2>&1)
is "a bad --domain: exit 2" "$?" 2
like "... naming it" "$out" "'exa mple.org'"

# ---- the stale sources' names ----
banner $OLD4 25 >/dev/null
json=$(redirect stats --json)
is "a stale source is named by its PTR record" \
	"$(jq -r --arg a $CLIENT4 '.sources[] | select(.address == $a) | .name' <<<"$json")" \
	client.example.net
like "... in the text too" "$(redirect stats)" "$CLIENT4 .* client.example.net"
is "--numeric leaves names out" "$(redirect stats --json --numeric | jq '[.sources[] | has("name")] | any')" false
check "... the name is cached" grep -q "^$CLIENT4 [0-9]* client.example.net$" "$STATE/names"
kill -TERM "${DNS_PID[ns1]}" && wait "${DNS_PID[ns1]}" 2>/dev/null
is "with the DNS server gone the cache answers" \
	"$(redirect stats --json | jq -r '.sources[0].name')" client.example.net
redirect disable --now >/dev/null

# ---- redirect dns over the remembered domains moves the clock too ----
dns_start ns1
redirect enable --to $NEW4 --service smtp --no-probe --domain example.org >/dev/null 2>&1
zone_org 3 $OLD4 | dns_zone ns2 example.org
dns_reload ns2 example.org 3
redirect dns example.org >/dev/null 2>&1
like "a redirect dns run over the remembered domain is what stats shows" \
	"$(redirect stats --numeric | flat)" "DNS \(example.org, checked [0-9]+s ago\): still names this host: ns2.example.org"
redirect disable --now >/dev/null
