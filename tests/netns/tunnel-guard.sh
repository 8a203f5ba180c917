#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The tunnel is a trust boundary, and VXLAN authenticates nothing. In the
# lab of a real migration (lib.sh's lab4_up), from the client's side of
# the internet, forged VXLAN packets (tests/helpers/vxlan.py), blind and
# with the tunnel's id as an attacker on the path would know it:
#   NEW takes out of the tunnel only TCP to a mail port at its tunnel
#   address from an address it routes back into the tunnel; OLD only
#   replies of redirected flows; the rest is dropped and stats counts it.
#   Forged ARP and neighbour solicitations change no neighbour entry (the
#   links are NOARP, the entries permanent).
#   While disable drains, the guards stay as long as the link does.
#   When NEW accepts another address than the one OLD's packets come from
#   (OLD behind NAT), NEW's stats names the address they come from, and
#   calls the redirect broken; OLD's refusal says only what it knows.
. "$(dirname "$0")/lib.sh"
lab4_up
trap '' PIPE
VXLAN_PY=$(dirname "$0")/../helpers/vxlan.py
serve_mail "$NS_NEW" new 25 143
spawn "$NS_OLD" socat TCP4-LISTEN:2222,reuseaddr,fork SYSTEM:'echo old-ssh'
for ns in "$NS_NEW" "$NS_OLD"; do	# a UDP service that writes down what reaches it
	spawn "$ns" socat -u UDP4-RECV:5353,reuseaddr OPEN:"$WORK/udp-$ns",creat,append
	spawn "$ns" socat -u UDP6-RECV:5353,reuseaddr,ipv6only=1 OPEN:"$WORK/udp-$ns",creat,append
done
wait_listening "$NS_OLD" 2222
forge() { in_client python3 "$VXLAN_PY" "$@"; }
reached() { sleep 0.3; grep -c "$2" "$WORK/udp-$1"; }	# reached NS WORD: how often WORD came

out=$(redirect_new accept --from $OLD4 --from $OLD6 --service smtp,imap --tunnel-id random 2>&1) ||
	bail "accept: $out"
VNI=$(tunnel_id_of <<<"$out")
[ -n "$VNI" ] || bail "accept --tunnel-id random printed no id: $out"
redirect enable --to $NEW4 --to $NEW6 --keep-client-address --tunnel-id "$VNI" --service smtp,imap \
	>/dev/null 2>&1 || bail "enable --keep-client-address"
link_addr() { ip -n "$1" "$2" addr show dev mail_redirect | awk '/inet/ { sub("/.*", "", $2); print $2; exit }'; }
T_NEW4=$(link_addr "$NS_NEW" -4) T_NEW6=$(link_addr "$NS_NEW" -6)
T_OLD4=$(link_addr "$NS_OLD" -4) T_OLD6=$(link_addr "$NS_OLD" -6)
is "the tunnel works: NEW sees the client" "$(banner $OLD4 25)" "220 new $CLIENT4"
is "nothing honest was dropped on either end (no kernel chatter, no late reply of the probe)" \
	"$(redirect_new stats --json | jq .tunnel_dropped) $(redirect stats --json | jq .tunnel_dropped)" "0 0"
errs=$(for ns in "$NS_OLD" "$NS_NEW"; do ip netns exec "$ns" nft list ruleset 2>&1 >/dev/null; done)
is "nft ($(nft --version | awk '{ print $2 }')) lists both ends' tables cleanly" "$errs" ""
for ns in "$NS_OLD" "$NS_NEW"; do
	ip netns exec "$ns" nft list ruleset >"$WORK/saved.nft"
	ip netns exec "$ns" nft flush ruleset
	ip netns exec "$ns" nft -f "$WORK/saved.nft" || bail "nft -f of the saved ruleset"
done
is "nft list ruleset > f; nft flush ruleset; nft -f f on both ends: no drift" \
	"$(redirect stats --json | jq .drift) $(redirect_new stats --json | jq .drift)" "false false"
dropped() { redirect_new stats --json | jq .tunnel_dropped; }

# ---- forged packets out of the tunnel, on NEW ----
# A SYN from a client address NEW routes back into the tunnel: what the
# inner guards let through. With the tunnel's id it opens a connection
# (what an attacker on the path can do); a blind guess of the id (the
# well-known one, another) reaches nothing, and is no stranger either.
# What is no client's, guessed id or not, goes no further than the drop.
ct_from() { in_new conntrack -L "${@:2}" -p tcp --orig-src "$1" 2>/dev/null | grep -c .; }
OTHER=$((VNI % 16777215 + 1))
[ "$VNI" = 2587 ] && bail "--tunnel-id random drew the well-known id"
d0=$(dropped)
forge $OLD4 $NEW4 "$VNI" syn 203.0.113.98 "$T_NEW4" 25
forge $OLD4 $NEW4 2587 syn 203.0.113.97 "$T_NEW4" 25
forge $OLD4 $NEW4 "$OTHER" syn 203.0.113.96 "$T_NEW4" 25
forge $OLD4 $NEW4 2587 udp 192.0.2.50 "$T_NEW4" 5353 blind-legacy-id
forge $OLD4 $NEW4 "$OTHER" udp 192.0.2.50 "$T_NEW4" 5353 blind-other-id
forge $OLD4 $NEW4 "$VNI" udp 192.0.2.50 "$T_NEW4" 5353 guessed-id
sleep 0.3
is "with the tunnel's id, a SYN from a client's address gets through the guards (the control)" \
	"$(ct_from 203.0.113.98)" 1
is "a blind guess of the id (the well-known 2587, another) opens no connection" \
	"$(ct_from 203.0.113.97)$(ct_from 203.0.113.96)" 00
is "... and a forged UDP packet reaches no service, whatever its id" \
	"$(reached "$NS_NEW" 'blind-legacy-id\|blind-other-id\|guessed-id')" 0
is "... the one of the right id dropped by NEW's guards and counted, the guesses never reach them" \
	"$(($(dropped) - d0))" 1
is "... and no guess is a stranger of the tunnel's" \
	"$(redirect_new stats --json | jq '[.tunnel_strangers[]?] | length')" 0
# VXLAN of another id from OLD's own address is not the tunnel's: conntrack
# sees it as any other UDP (the notrack rules match the tunnel's id too)
in_new conntrack -D -p udp --orig-src $OLD4 >/dev/null 2>&1
forge $OLD4 $NEW4 "$VNI" udp 192.0.2.50 "$T_NEW4" 5353 guessed-id
sleep 0.3
is "NEW does not track the tunnel's own UDP" \
	"$(in_new conntrack -L -p udp --orig-src $OLD4 --orig-port-dst 4789 2>/dev/null | grep -c .)" 0
forge $OLD4 $NEW4 "$OTHER" udp 192.0.2.50 "$T_NEW4" 5353 blind-other-id
sleep 0.3
is "... but tracks VXLAN of another id from the same address" \
	"$(in_new conntrack -L -p udp --orig-src $OLD4 --orig-port-dst 4789 2>/dev/null | grep -c .)" 1
in_new conntrack -D -p tcp --orig-src 203.0.113.98 >/dev/null 2>&1
# Sources no client has: link-local, the tunnels' own, nowhere, IPv4 in
# IPv6; and OLD itself, which NEW may trust (mynetworks) during a migration.
# NEW's link has loose rp_filter (clients are routed elsewhere): the
# kernel's check drops none of them, NEW's table must.
is "NEW's tunnel link has loose rp_filter: what follows tests NEW's rules, not the kernel's" \
	"$(in_new sysctl -n net.ipv4.conf.mail_redirect.rp_filter)" 2
for src in 169.254.1.1 0.1.2.3 $OLD4; do
	forge $OLD4 $NEW4 "$VNI" syn $src "$T_NEW4" 25
done
for src in fe80::1 fd6d:6169:6c00::99 ::ffff:192.0.2.50 $OLD6; do
	forge $OLD4 $NEW4 "$VNI" syn $src "$T_NEW6" 25
done
sleep 0.3
is "a SYN out of the tunnel from link-local, nowhere, or OLD's own address opens nothing on NEW" \
	"$(ct_from 169.254.1.1)$(ct_from 0.1.2.3)$(ct_from $OLD4 --orig-dst "$T_NEW4")" 000
is "... nor (IPv6) from link-local, the tunnels' range, IPv4-mapped, or OLD's own address" \
	"$(ct_from fe80::1 -f ipv6)$(ct_from fd6d:6169:6c00::99 -f ipv6)$(ct_from ::ffff:192.0.2.50 -f ipv6)$(ct_from $OLD6 -f ipv6)" \
	0000
for src in 192.0.2.50 10.1.2.3 203.0.113.99; do
	forge $OLD4 $NEW4 "$VNI" udp $src "$T_NEW4" 5353 "onpath-$src"
	forge $OLD4 $NEW4 "$VNI" udp $src $NEW4 5353 "onpath-public-$src"
done
forge $OLD4 $NEW4 "$VNI" udp $NEW6 "$T_NEW6" 5353 onpath-own6
forge $OLD4 $NEW4 "$VNI" udp "$T_NEW6" "$T_NEW6" 5353 onpath-tunnel6
is "with the id: UDP out of the tunnel reaches no service of NEW (its own network, private, any source, either family)" \
	"$(cat "$WORK/udp-$NS_NEW" 2>/dev/null | grep -c onpath)" 0
forge $OLD4 $NEW4 "$VNI" syn 192.0.2.50 "$T_NEW4" 25
forge $OLD4 $NEW4 "$VNI" syn $NEW6 "$T_NEW6" 25
forge $OLD4 $NEW4 "$VNI" syn ::1 "$T_NEW6" 25
sleep 0.3
unlike "a SYN to NEW's mail port as a host of NEW's own network makes no connection there" \
	"$(in_new conntrack -L -p tcp --dport 25 2>/dev/null)" "src=192.0.2.50 "
unlike "... nor as NEW's own address, nor as loopback (IPv6)" \
	"$(in_new conntrack -L -f ipv6 -p tcp --dport 25 2>/dev/null)" "src=(2001:db8:3::2|::1) "
n=$(dropped)
like "NEW's stats count what its guard dropped (the 10 forged packets that got past the kernel)" "$n" "^(1[0-9]|[2-9][0-9])$"
like "... and say it in words" "$(redirect_new stats)" "the tunnel's guards dropped $n packets out of it"
redirect_new stats --prometheus >"$WORK/new.prom"
like "... and in the metrics" "$(cat "$WORK/new.prom")" "redirect_tunnel_dropped_packets_total $n"
check "... which promtool accepts" promtool check metrics <"$WORK/new.prom"
is "the redirect still works" "$(banner $OLD6 143)" "* OK new [$(full6 $CLIENT6)]"

# ---- forged packets out of the tunnel, on OLD ----
# loose rp_filter, Debian's default: the kernel's check no longer drops
# what comes out of the tunnel from elsewhere, OLD's guards must
rp=$(in_old sysctl -n net.ipv4.conf.all.rp_filter)
in_old sysctl -qw net.ipv4.conf.all.rp_filter=2
forge $NEW4 $OLD4 "$VNI" syn 169.254.1.1 $OLD4 2222
forge $NEW4 $OLD4 "$VNI" syn 169.254.1.1 $CLIENT4 25
forge $NEW4 $OLD4 "$VNI" syn 0.1.2.3 $CLIENT4 25
forge $NEW4 $OLD4 "$VNI" syn fe80::1 $OLD6 2222
sleep 0.3
unlike "on OLD (loose rp_filter), a SYN out of the tunnel from link-local or nowhere opens nothing, to it or through it" \
	"$(in_old conntrack -L 2>/dev/null; in_old conntrack -L -f ipv6 2>/dev/null)" "src=(169.254.1.1|0.1.2.3|fe80::1) "
in_old sysctl -qw net.ipv4.conf.all.rp_filter="$rp"
forge $NEW4 $OLD4 "$VNI" udp $OLD6 $OLD6 5353 onpath-old-own6
forge $NEW4 $OLD4 "$VNI" udp "$T_NEW4" $OLD4 5353 onpath-old-from-new
forge $NEW4 $OLD4 "$VNI" syn "$T_NEW4" $OLD4 2222
forge $NEW4 $OLD4 "$VNI" syn $OLD4 $OLD4 2222
is "on OLD, UDP out of the tunnel reaches no service (from OLD's own address, from NEW's tunnel address)" \
	"$(reached "$NS_OLD" onpath-old)" 0
unlike "... and no SYN opens a connection to it" \
	"$(in_old conntrack -L -p tcp --dport 2222 2>/dev/null)" "dport=2222"
like "OLD's stats count what its guard dropped" "$(redirect stats --json | jq .tunnel_dropped)" \
	"^[4-9]$|^[1-9][0-9]+$"

# ---- ARP and neighbour solicitations through the tunnel ----
neighbour() { ip -n "$1" neigh show "$2" dev mail_redirect; }
before_new=$(neighbour "$NS_NEW" "$T_OLD4")$(neighbour "$NS_NEW" "$T_OLD6")
before_old=$(neighbour "$NS_OLD" "$T_NEW4")$(neighbour "$NS_OLD" "$T_NEW6")
like "NEW knows OLD's link address for good (permanent)" "$before_new" "PERMANENT"
EVIL=02:66:6f:72:67:65
for i in 1 2 3; do
	forge $OLD4 $NEW4 "$VNI" arp "$T_OLD4" $EVIL
	forge $OLD4 $NEW4 "$VNI" ns "$T_OLD6" "$T_NEW6" $EVIL
	forge $NEW4 $OLD4 "$VNI" arp "$T_NEW4" $EVIL
	forge $NEW4 $OLD4 "$VNI" ns "$T_NEW6" "$T_OLD6" $EVIL
done
sleep 0.3
is "forged ARP and solicitations leave NEW's neighbour entries as they were" \
	"$(neighbour "$NS_NEW" "$T_OLD4")$(neighbour "$NS_NEW" "$T_OLD6")" "$before_new"
is "... and OLD's" "$(neighbour "$NS_OLD" "$T_NEW4")$(neighbour "$NS_OLD" "$T_NEW6")" "$before_old"
good=0
for i in $(seq 10); do
	[ "$(banner $OLD4 25)" = "220 new $CLIENT4" ] && good=$((good + 1))
done
is "... and every redirected connection after them works (10 of 10)" "$good" 10

# ---- forged refusals: only one quoting a packet of this tunnel's counts ----
session_open held $OLD4 143
session_hear held >/dev/null
forge $NEW4 $OLD4 "$OTHER" refused	# "NEW's host refuses a tunnel", of another id
forge $NEW6 $OLD6 "$OTHER" refused
sleep 0.3
is "a refusal quoting another tunnel's id is not taken for NEW's end gone" \
	"$(in_old nft -j list set inet mail_redirect tunnel_refused | jq '[.nftables[].set.elem // empty] | length')" 0
is "... OLD's stats count the open session, not broken" \
	"$(redirect stats --json | jq -c '[([.services[].active] | add), .broken]')" "[1,false]"
# One on the path knows the id: its forgery lands in the table, but
# disable believes only its own knock, which the other end ignores as ever.
forge $NEW4 $OLD4 "$VNI" refused	# "NEW's host refuses the tunnel", to OLD
forge $OLD4 $NEW4 "$VNI" refused	# "OLD's host refuses it", to NEW
sleep 0.3
is "... one quoting this tunnel's id is, on either end (the control)" \
	"$(in_old nft -j list set inet mail_redirect tunnel_refused | jq '[.nftables[].set.elem // empty] | length') $(in_new nft -j list set inet mail_redirect tunnel_refused | jq '[.nftables[].set.elem // empty] | length')" \
	"1 1"
out=$(redirect_new disable 2>&1)
is "NEW's disable, a forged refusal saying OLD's end is gone, still refuses while the old server uses the tunnel" \
	"$?" 1
like "... saying why" "$(flat <<<"$out")" "sent a connection through the tunnel"
is "... and its table is still there" \
	"$(in_new nft list table inet mail_redirect >/dev/null 2>&1; echo $?)" 0

# ---- disable drains: the guards stay with the link ----
# (OLD's table has the forged refusal: the open session still counts)
redirect disable --wait 1 >/dev/null 2>&1
is "disable with a session open drains (exit 4)" "$?" 4
# (sources OLD's strict rp_filter lets in from the tunnel: NEW's tunnel address, IPv6)
forge $NEW4 $OLD4 "$VNI" udp "$T_NEW4" $OLD4 5353 drained-onpath
forge $CLIENT4 $OLD4 "$VNI" udp $CLIENT6 $OLD6 5353 drained-internet
is "while it drains, nothing out of the tunnel reaches OLD's services (forged, or the internet's own VXLAN)" \
	"$(reached "$NS_OLD" drained)" 0
like "... its guards are in the drained table" "$(in_old nft list table inet mail_redirect)" \
	"iifname \"mail_redirect\\*\" jump from_tunnel"
like "... and it remembers where the internet's tunnel packets came from" \
	"$(redirect stats --json 2>/dev/null; in_old nft list set inet mail_redirect strangers_ipv4)" \
	"$CLIENT4"
session_say held still-there
is "... while the open session keeps working" "$(session_hear held)" still-there
session_close held
redirect disable >/dev/null 2>&1 || bail "disable after the session closed"

# ---- OLD behind NAT: NEW accepts another address than its packets come from ----
redirect_new disable --force >/dev/null 2>&1 || redirect_new disable >/dev/null 2>&1 ||
	bail "disable on NEW"
redirect_new accept --from 192.0.2.130 --service smtp >/dev/null 2>&1 || bail "accept"
out=$(redirect_new accept --from 192.0.2.130 --service smtp --tunnel-id random 2>&1) ||
	bail "accept --tunnel-id random: $out"
ID=$(tunnel_id_of <<<"$out")
like "accept --tunnel-id random where the well-known id is in use draws one" "$ID:$(flat <<<"$out")" \
	"^[0-9]+:.*accepting, with new settings"
is "... not the well-known one, and the link is of it" \
	"$([ "$ID" != 2587 ] && ip -d -n "$NS_NEW" link show mail_redirect | grep -o " id [0-9]*")" " id $ID"
out=$(redirect_new accept --from 192.0.2.130 --service smtp --tunnel-id random 2>&1)
like "... and random again keeps the id drawn" "$(flat <<<"$out")" \
	"already accepting with these settings \(tunnel id $ID\); nothing changed"
TID=(--tunnel-id "$ID")
old_before=$(host_state "$NS_OLD")
out=$(redirect enable --to $NEW4 --keep-client-address "${TID[@]}" --service smtp 2>&1)
is "enable whose packets NEW does not take is refused" "$?" 1
like "... saying what is known: nothing answered through the tunnel" "$(flat <<<"$out")" \
	"nothing answered through the tunnel"
unlike "... not that NEW has not run accept, which it has" "$(flat <<<"$out")" "has not run .redirect accept --from $OLD4. \\("
like "... and that NEW's stats name what it saw" "$(flat <<<"$out")" "its .redirect stats. names"
is "... and OLD is as it was" "$(host_state "$NS_OLD")" "$old_before"
text=$(redirect_new stats 2>&1)
like "NEW's stats say where the tunnel's packets came from, and what to do" "$(flat <<<"$text")" \
	"tunnel packets from $OLD4 dropped \([0-9]+, the last [0-9]+s ago\): not --from 192.0.2.130; behind NAT, accept --from $OLD4"
json=$(redirect_new stats --json)
is "... stats --json calls it broken" "$(jq .broken <<<"$json")" true
is "... and names the address" "$(jq -r '.tunnel_strangers[0].address' <<<"$json")" "$OLD4"
redirect_new disable --force >/dev/null 2>&1
