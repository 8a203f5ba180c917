#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What an internet-facing MX meets, in the lab where NEW is elsewhere on
# the internet: SYN scans and spoofed SYNs are attempts, never use; a
# redirect NEW does not answer, or whose forwarding was switched off
# behind its back, says so (stats, check, Nagios), and restore mends it.
. "$(dirname "$0")/lib.sh"
lab4_up
command -v jq >/dev/null || bail "jq is missing"
SYN="$(cd "$(dirname "$0")/.." && pwd)/helpers/syn.py"
serve_mail "$NS_NEW" new 25 143
redirect enable --to $NEW4 --to $NEW6 --service smtp,imap >/dev/null 2>&1 ||
	bail "enable failed"
enabled_at=$(date +%s)

# ---- scans: 30 spoofed IPv4 and 10 spoofed IPv6 SYNs ----
spoofed4=() spoofed6=()
for i in $(seq 100 129); do spoofed4+=(203.0.113.$i); done
for i in $(seq 100 109); do spoofed6+=(2001:db8:1::$i); done
in_client "$SYN" $OLD4 25 "${spoofed4[@]}" || bail "cannot send raw SYNs"
in_client "$SYN" $OLD6 25 "${spoofed6[@]}" || bail "cannot send raw IPv6 SYNs"
svc() { jq -r --arg n "$1" ".services[] | select(.name == \$n) | .$2" <<<"$json"; }
counted() {	# counted ATTEMPTS ANSWERED: smtp's counters have come to that
	json=$(redirect stats --json)
	[ "$(svc smtp attempts) $(svc smtp answered)" = "$1 $2" ]
}
wait_until 10 counted 40 40
json=$(redirect stats --json)
is "40 spoofed SYNs: 40 attempts" "$(svc smtp attempts)" 40
is "... NEW answered each (its SYN-ACK went back through OLD)" "$(svc smtp answered)" 40
is "... and not one connection" "$(svc smtp connections)" 0
is "... nor an active session" "$(jq .active <<<"$json")" 0
is "... nor a stale source" "$(jq '.sources | length' <<<"$json")" 0
is "... nor a last-seen time" "$(svc smtp last_seen_seconds)" null
is "... and the redirect is not called broken" "$(jq .broken <<<"$json")" false
# quiet for 1s (the shortest --quiet-for) since enable: the scans came since
wait_since $((enabled_at * 1000)) 1000
out=$(redirect check --quiet-for 1s)
is "scans do not keep the old host in use: check is ready" "$?" 0
like "... and says so" "$out" "ready to retire this host"
out=$(timeout 20 ip netns exec "$NS_OLD" "$REDIRECT" --state-dir "$STATE" disable --wait 30s 2>&1)
is "disable --wait does not wait for half-open scans" "$?" 0
unlike "... nor says it waits" "$out" "wait|drain"
redirect enable --to $NEW4 --to $NEW6 --service smtp,imap --no-probe >/dev/null 2>&1 ||
	bail "enable failed"

# ---- a real client, among the scans ----
in_client "$SYN" $OLD4 143 "${spoofed4[@]:0:5}"
is "a real client gets NEW's greeting" "$(banner $OLD4 143)" "* OK new $OLD4"
json=$(redirect stats --json)
is "imap: 6 attempts" "$(svc imap attempts)" 6
is "... one connection" "$(svc imap connections)" 1
is "... from the one real client" "$(jq -r '[.sources[].address] | join(" ")' <<<"$json")" $CLIENT4
like "... seen moments ago" "$(svc imap last_seen_seconds)" '^[0-9]$'

# ---- NEW does not answer: a firewall on NEW drops the SYNs ----
in_new nft -f - <<-'NFT' || bail "cannot set up NEW's firewall"
table inet test_firewall {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 25 drop
	}
}
NFT
CLIENT4B=203.0.113.11
ip -n "$NS_CLIENT" addr add $CLIENT4B/24 dev "${P}c0"
# four SYNs at once, which NEW never answers; they are "recent attempts
# without an answer" once they have waited 3 s (UNANSWERED_AFTER)
tries=()
for from in $CLIENT4 $CLIENT4 $CLIENT4B $CLIENT4B; do
	in_client timeout 1 socat -T 1 - TCP4:$OLD4:25,bind=$from </dev/null >/dev/null 2>&1 &
	tries+=("$!")
done
wait "${tries[@]}"
broken_by() { redirect stats 2>/dev/null | flat | grep -q "BROKEN: $1 recent connection attempts"; }
wait_until 15 broken_by 4
out=$(redirect stats)
is "stats with NEW not answering: exit 1" "$?" 1
like "... says it is broken, and why" "$(flat <<<"$out")" \
	"BROKEN: 4 recent connection attempts, from 2 clients, got no answer from the new server $NEW4: the redirect does not work. Likely: a firewall drops them"
json=$(redirect stats --json)
is "... --json: broken" "$(jq .broken <<<"$json")" true
is "... smtp: 4 more attempts, none answered" "$(svc smtp attempts) $(svc smtp answered)" "4 0"
out=$(redirect check --quiet-for 1s)
is "check: in use (exit 1), however quiet" "$?" 1
like "... names the problem" "$(flat <<<"$out")" "broken: 4 recent connection attempts, from 2 clients, got no answer"
out=$(redirect check --quiet-for 1s --nagios)
is "check --nagios: CRITICAL (exit 2)" "$?" 2
like "... in the plugin's words" "$out" '^REDIRECT CRITICAL - broken: .* attempts=10;; answered=6;;$'
prom=$(redirect stats --prometheus)
like "Prometheus: redirect_broken 1" "$prom" '^redirect_broken 1$'
like "... the attempts per service" "$prom" '^redirect_attempts_total\{service="smtp",port="25"\} 4$'
like "... and those answered" "$prom" '^redirect_answered_total\{service="smtp",port="25"\} 0$'
in_new nft delete table inet test_firewall
is "NEW answers again" "$(banner $OLD4 25)" "220 new $OLD4"
out=$(redirect stats)
is "... and stats no longer calls the redirect broken" "$?" 0
unlike "... nor says so" "$out" BROKEN

# ---- forwarding switched off behind the redirect's back ----
in_old sysctl -qw net.ipv4.ip_forward=0
# (2 s without a word: through a working redirect NEW greets in milliseconds)
is "forwarding off: the client gets nothing" \
	"$(in_client timeout 2 socat -T 2 - TCP4:$OLD4:25 </dev/null 2>/dev/null | head -n 1)" ""
out=$(redirect stats)
is "stats: exit 1" "$?" 1
like "... says forwarding is off" "$(flat <<<"$out")" \
	"BROKEN: IPv4 forwarding is off here \(net.ipv4.ip_forward = 0\), switched off since enable"
json=$(redirect stats --json)
is "... --json: IPv4 forwarding false, IPv6 true" "$(jq -c .forwarding <<<"$json")" \
	'{"ipv4":false,"ipv6":true}'
out=$(redirect check --quiet-for 1s --nagios)
is "check --nagios: CRITICAL" "$?" 2
like "... because forwarding is off" "$out" "^REDIRECT CRITICAL - broken: IPv4 forwarding is off"
out=$(redirect restore)
is "restore with the table in place but forwarding off: exit 0" "$?" 0
like "... switches forwarding back on" "$out" "switched forwarding back on"
is "... it is on" "$(in_old sysctl -n net.ipv4.ip_forward)" 1
is "... and the client reaches NEW" "$(banner $OLD4 25)" "220 new $OLD4"
in_old sysctl -qw net.ipv4.ip_forward=0
out=$(redirect enable --to $NEW4 --to $NEW6 --service smtp,imap --no-probe 2>/dev/null)
is "enable again with the same arguments switches it back on too" \
	"$(in_old sysctl -n net.ipv4.ip_forward)" 1
unlike "... rather than saying nothing changed" "$out" "nothing changed"
out=$(redirect restore)
like "with everything in place, restore changes nothing" "$out" "nothing changed"

# ---- a stale-source list that fills up ----
# NEW completes handshakes in its kernel (a listener with a large backlog
# that never accepts), so a thousand connections cost a few seconds.
FILL_PORTS="110 465 587 993 995"
spawn "$NS_NEW" python3 -c '
import socket, sys, time
socks = []
for port in sys.argv[1:]:
    for family, host in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, int(port)))
        s.listen(4096)
        socks.append(s)
time.sleep(3600)' $FILL_PORTS
for port in $FILL_PORTS; do wait_listening "$NS_NEW" $port; done
fillers=()
for i in $(seq 20 229); do fillers+=(203.0.113.$i); done
for a in "${fillers[@]}"; do echo "address add $a/24 dev ${P}c0"; done | ip -n "$NS_CLIENT" -b - ||
	bail "cannot add the clients' addresses"
connect_many() {	# connect_many PORT ADDRESS...: one connection from each, closed at once
	in_client python3 -c '
import socket, sys
target, port = sys.argv[1], int(sys.argv[2])
for source in sys.argv[3:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(3)
    s.bind((source, 0))
    s.connect((target, port))
    s.close()' $OLD4 "$@" || bail "connections to port $1 failed"
}
redirect enable --to $NEW4 --service smtp,imap,pop3,submissions,submission,imaps,pop3s \
	--max-sources 1024 --no-probe >/dev/null 2>&1 || bail "enable --max-sources failed"
for port in 110 465 587 993; do connect_many $port "${fillers[@]}"; done
json=$(redirect stats --json)
is "840 sources recorded" "$(jq .stale_source_sets.ipv4.entries <<<"$json")" 840
is "... of 1024" "$(jq .stale_source_sets.ipv4.size <<<"$json")" 1024
is "82% full is not broken" "$(jq .broken <<<"$json")" false
out=$(redirect stats)
is "... stats exits 0" "$?" 0
like "... but warns, with the remedy" "$(flat <<<"$out")" \
	"Warning: the IPv4 stale-source set is 82% full: new clients will go unrecorded; .redirect enable. with a larger --max-sources"
like "check warns too" "$(redirect check --quiet-for 1s | flat)" "the IPv4 stale-source set is 82% full"
out=$(redirect enable --to $NEW4 --service smtp,imap,pop3,submissions,submission,imaps,pop3s \
	--max-sources 1024 --no-probe 2>&1)
like "enable again warns too" "$(flat <<<"$out")" \
	"warning: the IPv4 stale-source list is 82% full \(840 of 1024\)"
connect_many 995 "${fillers[@]}"
json=$(redirect stats --json)
is "a full list: 1024 sources, no more" "$(jq .stale_source_sets.ipv4.entries <<<"$json")" 1024
is "... yet pop3s counts all 210 connections" "$(svc pop3s connections)" 210
like "... and knows when its last one came" "$(svc pop3s last_seen_seconds)" '^[0-9]$'
is "... and they all reached NEW" "$(in_new ss -Htn "sport = :995" | wc -l)" 210
# A connection from a new client when the list is full: no entry of its
# own there; counted all the same, and its service's last use kept in the
# set of ports instead.
before=$(svc smtp connections)
unlike "smtp's last use not kept apart before" \
	"$(in_old nft list set inet mail_redirect last_seen | flat)" "[{,] 25 expires"
connect_many 25 "${fillers[0]}"
json=$(redirect stats --json)
is "a connection to smtp when the list is full is counted" "$(svc smtp connections)" $((before + 1))
like "... its port's last use kept apart" \
	"$(in_old nft list set inet mail_redirect last_seen | flat)" "[{,] 25 expires"
like "... and smtp's last use is known" "$(svc smtp last_seen_seconds)" '^[0-9]$'
is "... while the list holds no more" "$(jq .stale_source_sets.ipv4.entries <<<"$json")" 1024

redirect disable --now >/dev/null
is "disable puts forwarding back as it was before the first enable" \
	"$(in_old sysctl -n net.ipv4.ip_forward)" 0
