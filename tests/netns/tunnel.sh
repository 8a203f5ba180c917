#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Keeping the client's address: `accept` on NEW, `enable
# --keep-client-address` on OLD, in the lab of a real migration (lib.sh's
# lab4_up: NEW elsewhere on the internet, not routing through OLD; the
# router drops spoofed client sources and path-MTU ICMP; strict rp_filter).
# NEW sees each client's own address on every port, both families; large
# transfers go through both ways; the pre-flight says what is missing;
# a foreign tunnel packet is turned away; both hosts are as before after
# both disables; restore brings both ends back.
. "$(dirname "$0")/lib.sh"
TUNNEL_PORT=4789
lab4_up
serve_mail "$NS_NEW" new $MAIL_PORTS
CLIENT6_SEEN="[$(full6 $CLIENT6)]"
old_before=$(host_state "$NS_OLD")
new_before=$(host_state "$NS_NEW")

# ---- what is missing, said exactly ----
out=$(redirect enable --to $NEW4 --to $NEW6 --keep-client-address --service smtp 2>&1)
is "enable --keep-client-address (no id: the well-known one) before NEW accepts is refused" "$?" 1
like "... saying nothing answered through the tunnel of id 2587" "$(flat <<<"$out")" \
	"nothing answered through the tunnel at the new server's tunnel address [0-9.]+ \(tunnel id 2587\)"
is "... and leaving OLD as it was" "$(host_state "$NS_OLD")" "$old_before"
like "... as it says, once its probe link is gone" "$(flat <<<"$out")" \
	"redirect enable: nothing was changed\. Mend the above"
out=$(redirect enable --to $NEW4 --to $NEW6 --keep-client-address --tunnel-id 4711 \
	--service smtp 2>&1)
is "enable --keep-client-address before NEW accepts is refused" "$?" 1
like "... saying what is known: nothing answered through the tunnel" "$(flat <<<"$out")" \
	"nothing answered through the tunnel at the new server's tunnel address [0-9.]+ \(tunnel id 4711\)"
like "... and what NEW must have run, if it sees this host's own address" "$(flat <<<"$out")" \
	"If it sees them coming from $OLD4 \(the address this host sends from\), it has not run .redirect accept --from $OLD4. with that id"
like "... and where NEW says what it saw instead (behind NAT)" "$(flat <<<"$out")" \
	"its .redirect stats. names"
is "... and leaving OLD as it was" "$(host_state "$NS_OLD")" "$old_before"

out=$(redirect_new accept --from $NEW4 2>&1)
is "accept --from an address of NEW itself is bad input" "$?" 2
like "... naming it" "$out" "'$NEW4' is an address of this host"
out=$(redirect_new accept --from 198.51.100.300 2>&1)
is "accept --from a bad address is bad input" "$?" 2
out=$(redirect_new accept 2>&1)
is "accept without --from is bad input" "$?" 2
like "... saying what it needs" "$out" "give its address with --from"
is "... and NEW is as it was" "$(host_state "$NS_NEW")" "$new_before"

out=$(redirect_new accept --from $OLD4 --from $OLD6 --dry-run 2>&1)
is "accept --dry-run succeeds" "$?" 0
like "... printing the table" "$out" "table inet mail_redirect \{"
like "... and the tunnel, NOARP with the other end's link address known" "$out" \
	"ip link add mail_redirect address 02:00:a9:fe:[0-9a-f:]+ type vxlan id [0-9]+ local $NEW4 remote $OLD4"
like "... with the well-known id when given none, as enable uses then" "$out" "type vxlan id 2587 "
ids=$(for i in 1 2 3; do redirect_new accept --from $OLD4 --tunnel-id random --dry-run 2>&1 |
	grep -o 'type vxlan id [0-9]*'; done | sort -u | wc -l)
is "... and with --tunnel-id random, drawn at random (three dry runs, three ids)" "$ids" 3
out=$(redirect_new accept --from $OLD4 --tunnel-id 0 2>&1)
is "accept --tunnel-id 0 is bad input" "$?" 2
like "... naming it" "$out" "'0' is not a tunnel id"
is "... and changes nothing" "$(host_state "$NS_NEW")" "$new_before"

# A server bound to NEW's public address only would not answer in the tunnel.
spawn "$NS_NEW" socat TCP4-LISTEN:4190,bind=$NEW4,reuseaddr,fork SYSTEM:'echo OK'
wait_listening "$NS_NEW" 4190
out=$(redirect_new accept --from $OLD4 --service sieve 2>&1)
is "accept refuses when the server listens on the public address only" "$?" 1
like "... naming the server and the setting" "$(flat <<<"$out")" \
	"port 4190 \(sieve\) listens on $NEW4 only.*inet_interfaces = all"

out=$(redirect_new accept --from $OLD4 --from $OLD6 --tunnel-id random 2>&1)
is "accept succeeds" "$?" 0
like "... telling what to run on OLD, with the tunnel's id" "$out" \
	"redirect enable --to $NEW4 --keep-client-address --tunnel-id [0-9]+"
ID=$(sed -n 's/.*--tunnel-id \([0-9]*\).*/\1/p' <<<"$out")
T_NEW4=$(ip -n "$NS_NEW" -4 addr show dev mail_redirect | awk '/inet / { sub("/.*", "", $2); print $2 }')
T_OLD4=${T_NEW4%.*}.$((${T_NEW4##*.} - 1))
T_NEW6=$(ip -n "$NS_NEW" -6 addr show dev mail_redirect | awk '/inet6 / { sub("/.*", "", $2); print $2 }')
out=$(redirect_new accept --from $OLD4 --from $OLD6 2>&1)
is "accept again changes nothing" "$out" \
	"redirect: already accepting with these settings; nothing changed."
like "NEW's link is a VXLAN to OLD of that id, without learning" \
	"$(ip -n "$NS_NEW" -d link show mail_redirect)" \
	"vxlan id $ID remote $OLD4 local $NEW4 .*dstport 4789 nolearning"
like "NEW's replies from its tunnel address go back into the tunnel" \
	"$(ip -n "$NS_NEW" rule show)" "from $T_NEW4 lookup 2587 proto 77"
like "... unless NEW routes them elsewhere than by its default route" \
	"$(ip -n "$NS_NEW" rule show)" "from $T_NEW4 lookup main suppress_prefixlength 0 proto 77"
is "NEW's rp_filter is loose on the tunnel" \
	"$(in_new cat /proc/sys/net/ipv4/conf/mail_redirect/rp_filter)" 2
is "NEW's own traffic keeps its route" "$(ip -n "$NS_NEW" route get $CLIENT4 | head -n 1 |
	awk '{ print $3 }')" "$ROUTER_N4"

# OLD sending from an address NEW does not accept: the probe says which.
ip -n "$NS_OLD" addr add 198.51.100.3/24 dev "${P}o0"
ip -n "$NS_OLD" route replace default via $ROUTER_O4 src 198.51.100.3
out=$(redirect enable --to $NEW4 --keep-client-address --tunnel-id $ID --service smtp 2>&1)
is "enable from an address NEW does not accept is refused" "$?" 1
like "... naming the address NEW must accept" "$(flat <<<"$out")" \
	"redirect accept --from 198.51.100.3"
ip -n "$NS_OLD" route replace default via $ROUTER_O4
ip -n "$NS_OLD" addr del 198.51.100.3/24 dev "${P}o0"

# ---- the dry-run text is what is installed, at both ends ----
scratch_ns nft
# (counters zeroed; the elements of dynamic sets, what came already, left out)
zero_counters() { sed -e 's/packets [0-9]* bytes [0-9]*/packets 0 bytes 0/' -e '/expires/d'; }
same_as_nft() {	# same_as_nft DESCRIPTION NS STATE-DIR ARGS...
	local what=$1 ns=$2 dir=$3 text ours theirs
	shift 3
	text=$(ip netns exec "$ns" "$REDIRECT" --state-dir "$dir" "$@" --dry-run 2>/dev/null)
	ours=$(ip netns exec "$ns" nft list table inet mail_redirect | zero_counters)
	ip netns exec "$SCRATCH" nft flush ruleset
	if ! ip netns exec "$SCRATCH" nft -f - <<<"$text" 2>"$WORK/nft.err"; then
		not_ok "$what: nft loads the dry-run text" "$(cat "$WORK/nft.err")"
		return
	fi
	theirs=$(ip netns exec "$SCRATCH" nft list table inet mail_redirect | zero_counters)
	is "$what: what is installed is what nft makes of the dry-run text" "$ours" "$theirs"
}
same_as_nft "accept" "$NS_NEW" "$STATE_NEW" accept --from $OLD4 --from $OLD6

# ---- the redirect through the tunnel ----
out=$(redirect enable --to $NEW4 --to $NEW6 --keep-client-address --tunnel-id $ID \
	--service smtp,imap --dry-run 2>&1)
is "enable --keep-client-address --dry-run succeeds" "$?" 0
like "... printing the DNAT to NEW's tunnel address" "$out" "dnat ip to $T_NEW4"
is "... and changes nothing" "$(host_state "$NS_OLD")" "$old_before"

out=$(redirect enable --to $NEW4 --to $NEW6 --keep-client-address --tunnel-id $ID 2>&1)
is "enable --keep-client-address succeeds once NEW accepts" "$?" 0 || echo "$out" | sed 's/^/#   /' 
like "... the probe went through the tunnel" "$(flat <<<"$out")" \
	"answers like a mail server through the tunnel on all 14 ports"
like "... and it says so" "$out" "travel through the tunnel mail_redirect"
unlike "no masquerade on OLD" "$(in_old nft list ruleset)" "masquerade"
same_as_nft "enable --keep-client-address" "$NS_OLD" "$STATE" enable --to $NEW4 --to $NEW6 \
	--keep-client-address --tunnel-id $ID
for port in $MAIL_PORTS; do
	g=$(greeting $port)
	is "port $port: NEW sees the IPv4 client itself" "$(banner $OLD4 $port)" "$g new $CLIENT4"
	is "port $port: NEW sees the IPv6 client itself" "$(banner $OLD6 $port)" \
		"$g new $CLIENT6_SEEN"
done
out=$(redirect enable --to $NEW4 --to $NEW6 --keep-client-address --tunnel-id $ID 2>&1)
is "enable again changes nothing" "$out" \
	"redirect: already enabled with these settings; nothing changed."

# Large transfers both ways, with PMTU's ICMP dropped on the way.
spawn "$NS_NEW" socat TCP6-LISTEN:2500,ipv6only=0,reuseaddr,fork SYSTEM:'wc -c'
spawn "$NS_NEW" socat TCP6-LISTEN:2501,ipv6only=0,reuseaddr,fork \
	SYSTEM:'head -c 4000000 /dev/urandom'
wait_listening "$NS_NEW" 2500
wait_listening "$NS_NEW" 2501
# NEW takes through the tunnel only the services it accepts
redirect_new accept --from $OLD4 --from $OLD6 \
	--service smtp,submissions,submission,pop3,pop3s,imap,imaps,2500,2501 >/dev/null ||
	bail "accept with the transfer ports"
redirect enable --to $NEW4 --to $NEW6 --keep-client-address --tunnel-id $ID \
	--service smtp,2500,2501 --no-probe >/dev/null || bail "enable with the transfer ports"
# (what the tunnel's last packets of the probe may have left while the
# first enable's transaction started conntrack, before its notrack rules
# were in force: the check below is of the connections from here on)
in_old conntrack -D -p udp --dport $TUNNEL_PORT >/dev/null 2>&1
for a in $OLD4 "[$OLD6]"; do
	got=$(head -c 4000000 /dev/urandom | in_client timeout 30 socat -t 10 - "TCP:$a:2500" | tail -n 1)
	is "4 MB from the client to NEW through $a" "$got" 4000000
	got=$(in_client timeout 30 socat -u "TCP:$a:2501" - | wc -c)
	is "4 MB from NEW to the client through $a" "$got" 4000000
done
like "the router did drop path-MTU ICMP on the way" \
	"$(in_router nft list chain inet internet forward)" "counter packets [0-9]+ bytes [0-9]+ drop comment \"pmtu\""

# Counted where it arrives: on NEW, per service, with the client's address.
json=$(redirect_new stats --json)
is "NEW's stats count what came through the tunnel, not OLD's probe" \
	"$(jq '.services[] | select(.name == "smtp") | .connections' <<<"$json")" 2
is "... from the client's own addresses" \
	"$(jq -r '[.sources[].address] | sort | join(" ")' <<<"$json")" "$CLIENT6 $CLIENT4"
json=$(redirect stats --json)
is "OLD's stats say the client's address is kept" "$(jq '.keep_client_address' <<<"$json")" true
is "... and the tunnel is up" "$(jq '.tunnel' <<<"$json")" true
is "both tables are as redirect installs them (no drift)" \
	"$(jq .drift <<<"$json") $(redirect_new stats --json | jq .drift)" "false false"
is "the tunnel's UDP of all these connections leaves no conntrack entry on OLD (notrack)" \
	"$(in_old conntrack -L -p udp --dport 4789 2>/dev/null | wc -l)" 0
is "... nor on NEW" "$(in_new conntrack -L -p udp --dport 4789 2>/dev/null | wc -l)" 0
# NEW is where the mail goes now: its quiet means the old host can go, never NEW
like "NEW's metrics say it is the new server" "$(redirect_new stats --prometheus)" \
	"redirect_accepting 1"
like "... OLD's that it is not" "$(redirect stats --prometheus)" "redirect_accepting 0"
wait_until 10 redirect_new check --quiet-for 1s
like "NEW's check, once quiet, says the old host can go, not this one" \
	"$(redirect_new check --quiet-for 1s 2>&1)" \
	"ready to retire the old host: nothing has come through the tunnel for"

# ---- nothing else gets in through the tunnel ----
# A VXLAN link of the client's own (who learnt the id), claiming OLD's tunnel address.
ip -n "$NS_CLIENT" link add evil type vxlan id $ID remote $NEW4 local $CLIENT4 \
	dstport 4789 nolearning
ip -n "$NS_CLIENT" addr add $T_OLD4/30 dev evil
ip -n "$NS_CLIENT" link set evil up
in_client timeout 3 socat -T 2 - TCP4:$T_NEW4:2525 </dev/null >/dev/null 2>&1
like "NEW turns a foreign tunnel packet away" "$(in_new nft list chain inet mail_redirect input)" \
	"ip saddr != $OLD4 counter packets [1-9][0-9]* bytes [0-9]+ drop"
unlike "... and nothing of it reaches NEW's connection tracking" \
	"$(in_new conntrack -L -p tcp --dport 2525 2>/dev/null)" "dport=2525"
ip -n "$NS_CLIENT" link del evil
# Out of the tunnel on OLD: only the flows OLD redirected.
dropped=$(redirect stats --json | jq .tunnel_dropped)
ip -n "$NS_NEW" route add 203.0.113.0/24 via $T_OLD4 table 2587 2>/dev/null
in_new timeout 3 socat -T 2 - TCP4:$CLIENT4:22,bind=$T_NEW4 </dev/null >/dev/null 2>&1
like "OLD drops what comes out of the tunnel and is no redirected flow" \
	"$(in_old nft list chain inet mail_redirect forward)" \
	"iifname \"mail_redirect\*\" ct mark & 0x10000000 != 0x10000000 counter name \"tunnel_dropped\" drop"
is "... and OLD's stats count it" "$(( $(redirect stats --json | jq .tunnel_dropped) > dropped ))" 1

# ---- switching, both ways ----
out=$(redirect enable --to $NEW4 --to $NEW6 --service smtp --no-probe 2>&1)
is "switching to masquerade succeeds" "$?" 0
is "... and smtp lands on NEW, masqueraded" "$(banner $OLD4 25)" "220 new $OLD4"
out=$(redirect enable --to $NEW4 --to $NEW6 --service smtp --keep-client-address --tunnel-id $ID 2>&1)
is "switching back to the tunnel succeeds" "$?" 0
is "... and NEW sees the client again" "$(banner $OLD4 25)" "220 new $CLIENT4"

# ---- gone and back: a flush, a reboot ----
in_old nft flush ruleset
in_new nft flush ruleset
like "OLD's stats notice the table is gone" "$(redirect stats 2>&1)" "table is gone"
# the flush took the guards, not the links: what comes in through them is unchecked
is "... and call it broken: the tunnel's link is up without its guards" \
	"$(redirect stats --json | jq -c '[.installed, .broken]')" "[false,true]"
out=$(redirect check --nagios 2>&1)
is "... check --nagios: CRITICAL" "$?" 2
like "... saying why" "$out" "^REDIRECT CRITICAL - broken: .*link is up: without its guards"
is "NEW's stats call it broken too" "$(redirect_new stats --json | jq .broken)" true
check "restore on OLD" redirect restore
check "restore on NEW" redirect_new restore
is "after a flush and restore on both, NEW sees the client" "$(banner $OLD4 25)" "220 new $CLIENT4"
# what a reboot leaves: no link, no rule, no ruleset
for ns in "$NS_OLD" "$NS_NEW"; do
	ip netns exec "$ns" nft flush ruleset
	ip -n "$ns" link del mail_redirect
done
ip -n "$NS_NEW" rule del priority 2587
ip -n "$NS_NEW" -6 rule del priority 2587
ip -n "$NS_NEW" rule del priority 2586
ip -n "$NS_NEW" -6 rule del priority 2586
like "NEW's check notices the tunnel is gone" "$(redirect_new check 2>&1)" "tunnel|table"
is "... no link left unguarded: unknown, not broken" "$(redirect_new check --json | jq -r .status)" \
	unknown
check "restore on NEW after a reboot" redirect_new restore
check "restore on OLD after a reboot" redirect restore
is "after a reboot and restore on both, NEW sees the client" "$(banner $OLD4 25)" "220 new $CLIENT4"
is "... over IPv6 too" "$(banner $OLD6 25)" "220 new $CLIENT6_SEEN"

# ---- both disables: the hosts are as they were ----
check "disable on OLD" redirect disable
check "disable on NEW" redirect_new disable
is "OLD is exactly as before (ruleset, links, addresses, rules, routes, settings)" \
	"$(host_state "$NS_OLD")" "$old_before"
is "NEW is exactly as before (ruleset, links, addresses, rules, routes, settings)" \
	"$(host_state "$NS_NEW")" "$new_before"
