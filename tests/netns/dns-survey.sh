#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# redirect dns against real authoritative servers (NSD), run on OLD, whose
# own address 203.0.113.1 (and 2001:db8:1::1) is "this host":
#
#   old  203.0.113.1 2001:db8:1::1 (this host), 192.0.2.1 2001:db8:53::1
#    |  veth
#   dns  ns1  192.0.2.53 2001:db8:53::53   example.org, and the resolver of
#                                           OLD's resolv.conf (example.net, .com too)
#        ns2  192.0.2.54                    example.org, lagging behind ns1
#        ns6  2001:db8:53::6                example.com: an IPv6-only NS
#             192.0.2.55                    silent: nft drops what comes to it
#             192.0.2.56                    closed: nothing listens (ICMP unreachable)
#
# While the migration is under way ns2 still serves the old zone, ns1 has a
# forgotten AAAA and an SRV target on the old address: each is named, and
# the exit status is 1. Once both zones are fixed (serial raised, NSD
# reloaded), it is 0. A server that does not answer gives 3 within the
# timeout; so do a lame server and a domain that does not exist.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
lab_up
dns_require
command -v jq >/dev/null || bail "jq is missing (scripts/test installs it)"

NS1=192.0.2.53 NS1_6=2001:db8:53::53 NS2=192.0.2.54 NS6=2001:db8:53::6 SILENT=192.0.2.55
CLOSED=192.0.2.56

# ---- bad input: exit 2, naming the value ----
bad() {	# bad DESCRIPTION PATTERN ARGS...
	local what=$1 pattern=$2 out rc
	shift 2
	out=$(redirect dns "$@" 2>&1)
	rc=$?
	if [ $rc = 2 ] && grep -qE -- "$pattern" <<<"$out"; then
		ok "$what: exit 2, naming it"
	else
		not_ok "$what: exit 2, naming it" "exit $rc" "$out"
	fi
}
bad "no domain" "give the domain to check"
bad "a domain with a space" "domain 'exa mple.org' has a space" "exa mple.org"
bad "an empty domain" "domain '' is empty" ""
bad "a label over 63 characters" "domain '$(printf 'a%.0s' {1..64})" "$(printf 'a%.0s' {1..64}).org"
long=$(printf 'abcdefghi.%.0s' {1..25})example.org
bad "a name over 253 characters" "is ${#long} characters long; a name has at most 253" "$long"
bad "a --name with a space" "--name 'mail example.org' has a space" \
	example.org --name "mail example.org"
bad "a --server that is a host name" "--server 'ns1.example.org' is not an IP address" \
	example.org --server ns1.example.org
bad "a --server that is a prefix" "--server '192.0.2.0/24' is not an IP address" \
	example.org --server 192.0.2.0/24
bad "an unknown flag" "unknown option '--bogus'" example.org --bogus

# ---- the lab ----
scratch_ns dns
NS_DNS=$SCRATCH
ip -n "$NS_DNS" link set lo up
link "$NS_OLD" "${P}o2" "$NS_DNS" "${P}d0"
addr "$NS_OLD" "${P}o2" 192.0.2.1/24 2001:db8:53::1/64
addr "$NS_DNS" "${P}d0" $NS1/24 $NS2/24 $SILENT/24 $CLOSED/24 $NS1_6/64 $NS6/64
# every port unreachable is sent, however many come at once
ip netns exec "$NS_DNS" sysctl -qw net.ipv4.icmp_ratelimit=0
ip netns exec "$NS_DNS" nft -f - <<-EOF || bail "cannot make $SILENT silent"
table inet silent {
	chain input {
		type filter hook input priority filter; policy accept;
		ip daddr $SILENT drop
	}
}
EOF
dns_resolver "$NS_OLD" $NS1

# example.org at SERIAL: mail's A and AAAA, the submission SRV target's A.
zone_org() {	# zone_org SERIAL MAIL_A MAIL_AAAA SUBMIT_A
	cat <<-EOF
	\$TTL 300
	@ SOA ns1.example.org. hostmaster.example.org. $1 3600 600 86400 300
	@ NS ns1.example.org.
	@ NS ns2.example.org.
	@ MX 10 mail.example.org.
	@ MX 20 mx2.example.net.
	ns1 A $NS1
	ns1 AAAA $NS1_6
	ns2 A $NS2
	mail 600 A $2
	mail 600 AAAA $3
	webmail 900 CNAME mail
	submit 1200 A $4
	_submission._tcp SRV 0 1 587 submit.example.org.
	_imaps._tcp SRV 0 1 993 webmail.example.org.
	_pop3._tcp SRV 0 0 0 .
	$(for i in $(seq 1 40); do echo "big A 198.51.100.$((100 + i))"; done)
	$(chain c 9 "A $OLD4")
	$(chain m 16 "A $NEW4")
	$(chain l 17 "A $NEW4")
	loopa CNAME loopb
	loopb CNAME loopa
	EOF
}
# PREFIX1 CNAME PREFIX2 ... PREFIX(N) CNAME PREFIX(N+1), which holds RECORD
chain() {	# chain PREFIX N RECORD
	local i
	for i in $(seq 1 "$2"); do echo "$1$i CNAME $1$((i + 1))"; done
	echo "$1$(($2 + 1)) $3"
}
zone_net() {
	cat <<-EOF
	\$TTL 300
	@ SOA ns1.example.org. hostmaster.example.org. 1 3600 600 86400 300
	@ NS ns1.example.org.
	mx2 A 198.51.100.7
	EOF
}
zone_com() {
	cat <<-EOF
	\$TTL 300
	@ SOA ns6.example.com. hostmaster.example.com. 1 3600 600 86400 300
	@ NS ns6.example.com.
	ns6 AAAA $NS6
	@ MX 10 mail.example.com.
	mail A $NEW4
	mail AAAA $NEW6
	EOF
}

# PTR names, one reached through an RFC 2317 CNAME
zone_rev() {	# zone_rev RECORD...
	echo "\$TTL 300"
	echo "@ SOA ns1.example.org. hostmaster.example.org. 1 3600 600 86400 300"
	echo "@ NS ns1.example.org."
	printf '%s\n' "$@"
}

dns_server ns1 "$NS_DNS" $NS1 $NS1_6
dns_server ns2 "$NS_DNS" $NS2
dns_server ns6 "$NS_DNS" $NS6
# during the migration: ns1 on serial 2 has forgotten mail's AAAA and the
# submission host; ns2 still serves serial 1, all of it on OLD
zone_org 2 $NEW4 $OLD6 $OLD4 | dns_zone ns1 example.org
zone_net | dns_zone ns1 example.net
zone_com | dns_zone ns1 example.com
zone_rev "10 PTR client.example.net." | dns_zone ns1 113.0.203.in-addr.arpa
zone_rev "7 CNAME 7.0-25" "7.0-25 PTR mx2.example.net." | dns_zone ns1 100.51.198.in-addr.arpa
zone_rev "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 PTR new.example.org." |
	dns_zone ns1 2.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa
zone_org 1 $OLD4 $OLD6 $OLD4 | dns_zone ns2 example.org
zone_com | dns_zone ns6 example.com
dns_start ns1
dns_start ns2
dns_start ns6

# NEW is the --to of the redirect: its addresses are "new"
redirect enable --to $NEW4 --to $NEW6 --no-probe >/dev/null 2>&1 || bail "enable"

# ---- during the migration ----
j() { jq -c "$1" <<<"$json"; }		# j FILTER: of the last --json
out=$(redirect dns example.org 2>&1)
is "while a server still names this host: exit 1" "$?" 1 || echo "$out" | sed 's/^/#   /'
text=$(flat <<<"$out")
like "... the lagging server is named with its serial and what to do" "$text" \
	"ns2.example.org \($NS2, serial 1\) still answers mail.example.org A $OLD4; \
its serial is behind 2"
like "... the forgotten AAAA is named" "$text" \
	"ns1.example.org \($NS1, serial 2\) still answers mail.example.org AAAA $OLD6: \
change mail.example.org AAAA"
like "... at each of the server's addresses" "$text" \
	"ns1.example.org \($NS1_6, serial 2\) still answers mail.example.org AAAA $OLD6"
like "... the SRV target still on the old address is named" "$text" \
	"ns1.example.org \($NS1, serial 2\) still answers submit.example.org A $OLD4"
like "... each record naming this host is marked" "$out" \
	"submit.example.org +A +$OLD4 +ttl 1200 +_submission._tcp +old  <- this host"
like "... also one reached through a CNAME" "$out" \
	"webmail.example.org +AAAA +$OLD6 +ttl 900 +_imaps._tcp +old  <- this host  \
\(CNAME mail.example.org\)"
unlike "... a record naming NEW is not" "$(grep "$NEW4" <<<"$out")" "this host"

json=$(redirect dns example.org --json 2>/dev/null)
is "--json: the status" "$(j .status)" '"old"'
is "... the domain" "$(j '.domains[0] | [.domain, .status]')" '["example.org","old"]'
is "... the NS lookup through resolv.conf found both servers, at each address" \
	"$(j '[.domains[0].servers[] | .name + " " + .address]')" \
	"[\"ns1.example.org $NS1\",\"ns1.example.org $NS1_6\",\"ns2.example.org $NS2\"]"
is "... each server's serial, status, lag" \
	"$(j '[.domains[0].servers[] | [.serial, .status, .lagging]]')" \
	'[[2,"old",false],[2,"old",false],[1,"old",true]]'
is "... a server's keys" "$(j '.domains[0].servers[0] | keys')" \
	'["address","lagging","name","records","serial","status","unresolved"]'
is "... a record's keys" "$(j '.domains[0].servers[0].records[0] | keys')" \
	'["name","points_to","ttl","type","value","via"]'
is "... ns1 answers mail A with NEW's address, new, with its TTL" \
	"$(j '[.domains[0].servers[0].records[] | select(.name == "mail.example.org")
		| select(.type == "A") | [.value, .ttl, .points_to, .via]]')" \
	"[[\"$NEW4\",600,\"new\",\"MX\"]]"
is "... the imaps target follows its CNAME, with the chain's largest TTL" \
	"$(j '[.domains[0].servers[0].records[] | select(.name == "webmail.example.org")
		| [.type, .value, .cname, .ttl, .points_to]]')" \
	"[[\"A\",\"$NEW4\",\"mail.example.org\",900,\"new\"],\
[\"AAAA\",\"$OLD6\",\"mail.example.org\",900,\"old\"]]"
is "... the MX host outside the zone comes from the resolver" \
	"$(j '.domains[0].outside.records | map([.name, .value, .points_to])')" \
	'[["mx2.example.net","198.51.100.7","other"]]'
is "... _pop3._tcp's \".\" (not offered) checks nothing" \
	"$(j '[.domains[0].servers[].records[] | select(.via == "_pop3._tcp")] | length')" 0
is "... the largest TTL among the old answers" "$(j .max_old_ttl)" 1200
is "... one problem per old answer (one for a CNAME and its end)" \
	"$(j '.domains[0].problems | length')" 7

json=$(redirect dns example.org --name big.example.org --json 2>&1)
is "a --name whose answer is truncated over UDP comes whole by TCP" \
	"$(j '[.domains[0].servers[0].records[] | select(.name == "big.example.org")] | length')" \
	40

# ---- an IPv6-only name server ----
json=$(redirect dns example.com --json 2>&1)
is "an IPv6-only NS is asked over IPv6: exit 0" "$?" 0
is "... it is the one server" "$(j '[.domains[0].servers[] | [.name, .address, .status]]')" \
	"[[\"ns6.example.com\",\"$NS6\",\"new\"]]"

# ---- no privilege needed, none kept ----
json=$(ip netns exec "$NS_OLD" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$REDIRECT" --state-dir "$STATE" dns example.org --json 2>"$WORK/nobody.err")
is "as an unprivileged user: the same answer" "$? $(j .status)" '1 "old"'
like "... saying the state cannot be read, so NEW's addresses show as other" \
	"$(cat "$WORK/nobody.err")" "note: .*new server's addresses show as \"other\""
background "$WORK/caps.out" ip netns exec "$NS_OLD" "$REDIRECT" --state-dir "$STATE" dns \
	example.org --server $SILENT
pid=$BACKGROUND_PID
# once started up it waits on the silent server: look at it then
started() { grep -q "^CapEff:[[:space:]]*0*$" "/proc/$pid/status"; }
wait_until 5 started
status=$(grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs)' "/proc/$pid/status" 2>/dev/null |
	tr '\t' ' ' | flat)
is "as root it keeps no capability" "$status" \
	"CapPrm: 0000000000000000 CapEff: 0000000000000000 CapBnd: 0000000000000000 NoNewPrivs: 1 "
kill "$pid" 2>/dev/null	# no need to wait out its timeout
wait "$pid"

# ---- servers that do not answer ----
start=$(date +%s%N)
out=$(redirect dns example.com --server $NS6 --server $SILENT 2>&1)
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
is "a server that does not answer: exit 3" "$rc" 3
like "... named, with what to check" "$(flat <<<"$out")" \
	"$SILENT did not answer example.com SOA: check that it runs and that port 53"
if [ $ms -lt 3500 ]; then
	ok "... within the timeout (1s, one retry): ${ms}ms"
else
	not_ok "... within the timeout (1s, one retry): ${ms}ms"
fi
like "... the server that answered is still shown" "$out" "mail.example.com +A +$NEW4 .* new"
out=$(redirect dns example.org --server $NS1 --server $SILENT 2>&1)
is "a server that names this host outweighs one that does not answer: exit 1" "$?" 1
like "... and both are told" "$(flat <<<"$out")" \
	"$NS1 \(serial 2\) still answers mail.example.org AAAA .*$SILENT did not answer example.org"

start=$(date +%s%N)
out=$(redirect dns example.com --server $NS6 --server $CLOSED 2>&1)
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
is "a server where nothing listens on port 53: exit 3" "$rc" 3
like "... named" "$(flat <<<"$out")" "$CLOSED cannot be reached \(Connection refused\)"
if [ $ms -lt 900 ]; then
	ok "... at once, not after the timeout: ${ms}ms"
else
	not_ok "... at once, not after the timeout: ${ms}ms"
fi

out=$(redirect dns example.org --server $NS6 2>&1)
is "a server that does not serve the zone (REFUSED, no AA): exit 3" "$?" 3
like "... saying so" "$(flat <<<"$out")" \
	"$NS6 refused example.org SOA: it does not serve example.org"

out=$(redirect dns nothing.example.org 2>&1)
is "a domain that does not exist: exit 3" "$?" 3
like "... saying so" "$out" "nothing.example.org does not exist \(NXDOMAIN\)"
out=$(redirect dns mail.example.org 2>&1)
is "a name that is no zone: exit 3" "$?" 3
like "... saying what to give instead" "$(flat <<<"$out")" \
	"mail.example.org has no NS records: give the name of the zone"

# ---- PTR names, for stats: all at once, through resolv.conf ----
DNS_PTR=${DNS_PTR:-$(dirname "$0")/../helpers/dns-ptr}
out=$(in_old "$DNS_PTR" $CLIENT4 $NEW6 198.51.100.7 203.0.113.99 2>&1)
is "PTR names of several addresses at once, or none" "$out" "$CLIENT4 client.example.net
$NEW6 new.example.org
198.51.100.7 mx2.example.net
203.0.113.99 -"
dns_resolver "$NS_DNS" $SILENT
start=$(date +%s%N)
out=$(ip netns exec "$NS_DNS" "$DNS_PTR" $CLIENT4 $NEW6 2>&1)
ms=$((($(date +%s%N) - start) / 1000000))
is "... with a resolver that does not answer: no names" "$out" "$CLIENT4 -
$NEW6 -"
if [ $ms -lt 3500 ]; then
	ok "... within the timeout: ${ms}ms"
else
	not_ok "... within the timeout: ${ms}ms"
fi

# ---- leaks and memory errors, under valgrind (lib.sh's valgrind_redirect) ----
vg_redirect=$(valgrind_redirect)
if [ -n "$vg_redirect" ] && command -v valgrind >/dev/null; then
	for cmd in "example.org --name big.example.org" "example.org --json" \
		"example.com --server $NS6 --server $SILENT" "nothing.example.org"; do
		in_old valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
			--error-exitcode=99 "$vg_redirect" --state-dir "$STATE" dns $cmd \
			>/dev/null 2>"$WORK/vg.out"
		if [ $? != 99 ]; then ok "valgrind: no leak and no error in dns $cmd"
		else not_ok "valgrind: no leak and no error in dns $cmd" "$(cat "$WORK/vg.out")"; fi
	done
elif [ -n "$vg_redirect" ]; then
	bail "valgrind is missing"
fi

# ---- fixed: every zone names NEW, serials raised, servers reloaded ----
zone_org 3 $NEW4 $NEW6 $NEW4 | dns_zone ns1 example.org
zone_org 3 $NEW4 $NEW6 $NEW4 | dns_zone ns2 example.org
dns_reload ns1 example.org 3
dns_reload ns2 example.org 3
out=$(redirect dns example.org example.com 2>&1)
is "once the zones are fixed: exit 0" "$?" 0 || echo "$out" | sed 's/^/#   /'
like "... saying so" "$out" "no authoritative server names this host any more"
json=$(redirect dns example.org example.com --json 2>&1)
is "... in JSON: new, no problems" \
	"$(j '[.status, [.domains[] | .domain, .status, (.problems | length)]]')" \
	'["new",["example.org","new",0,"example.com","new",0]]'
is "... every server on serial 3" "$(j '[.domains[0].servers[].serial]')" "[3,3,3]"

# ---- CNAME chains: followed as far as resolvers go, and no further ----
out=$(redirect dns example.org --name c1.example.org 2>&1)
is "a name 9 CNAMEs away from this host's address: exit 1, not an all-clear" "$?" 1
like "... followed to its end" "$out" \
	"c1.example.org +A +$OLD4 .* old  <- this host  \(CNAME c10.example.org\)"
json=$(redirect dns example.org --name m1.example.org --json 2>&1)
is "16 CNAMEs, as far as resolvers go: followed (exit 0)" "$?" 0
is "... to NEW's address" "$(j '[.domains[0].servers[0].records[] | select(.name == "m1.example.org")
	| [.value, .cname, .points_to]]')" "[[\"$NEW4\",\"m17.example.org\",\"new\"]]"
out=$(redirect dns example.org --name l1.example.org 2>&1)
is "17 CNAMEs, further than resolvers go: cannot tell (exit 3)" "$?" 3
like "... saying so" "$(flat <<<"$out")" \
	"l1.example.org +cannot tell: too many CNAMEs .*answers l1.example.org \(--name\) with a chain of more than 16 CNAME records: where it ends cannot be told"
like "... not that nothing names this host" "$(flat <<<"$out")" \
	"cannot tell whether DNS still names this host"
out=$(redirect dns example.org --name loopa.example.org 2>&1)
is "a CNAME loop: cannot tell (exit 3)" "$?" 3
like "... saying so" "$(flat <<<"$out")" \
	"loopa.example.org +cannot tell: a CNAME loop .*answers loopa.example.org \(--name\) with CNAME records that loop"
json=$(redirect dns example.org --name loopa.example.org --json 2>&1)
is "... --json: the servers unknown, the name unresolved" \
	"$(j '[.status, .domains[0].servers[0].status, .domains[0].servers[0].unresolved]')" \
	'["unknown","unknown",["loopa.example.org"]]'

check "disable" redirect disable --now
