#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Look before leaping: enable refuses, naming the cause, when the redirect
# would silently fail, and changes nothing; --force goes on with warnings.
. "$(dirname "$0")/lib.sh"
lab_up

# Greeters that talk each protocol's first lines, on NEW.
greet() {	# greet PORT GREETING (printf format)
	printf "$2\r\n" >"$WORK/greeting.$1"
	spawn "$NS_NEW" socat "TCP6-LISTEN:$1,ipv6only=0,reuseaddr,fork" \
		"SYSTEM:cat $WORK/greeting.$1; sleep 1"
}
# Output with the word-wrapping undone, for matching.
greet 25 "220 new.example.org ESMTP"
greet 587 "220 new.example.org ESMTP"
greet 110 "+OK Dovecot ready."
greet 143 "* OK [CAPABILITY IMAP4rev1] Dovecot ready."
greet 4190 '"IMPLEMENTATION" "Dovecot"\r\n"SIEVE" "fileinto"\r\nOK "ready."'
for port in 993 995 465; do
	spawn "$NS_NEW" socat "TCP6-LISTEN:$port,ipv6only=0,reuseaddr,fork" "SYSTEM:sleep 1"
done
for port in 25 587 110 143 4190 465 993 995; do wait_listening "$NS_NEW" "$port"; done
ruleset_before=$(ruleset "$NS_OLD")

out=$(redirect enable --to $NEW4 --to $NEW6 --service smtp,submission,pop3,imap,sieve,smtps,imaps,pop3s 2>&1 | flat; exit "${PIPESTATUS[0]}")
is "every port answers like a mail server: enable succeeds" "$?" 0
like "... and says the probe passed" "$out" "answers like a mail server on all 16 ports probed"
like "the masquerade warning is printed, in plain words" "$out" "open relay"
like "... naming the SPF rejection that bounces mail" "$out" "550 5.7.23, and the mail bounces"
like "... and fail2ban" "$out" "fail2ban there may ban this host"
like "... and offering the way out first" "$out" "\. --keep-client-address keeps the client's address"
redirect disable --now >/dev/null

# A closed port and a web server where IMAP should be.
printf 'HTTP/1.1 400 Bad Request\r\n\r\n' >"$WORK/http"
spawn "$NS_NEW" socat TCP6-LISTEN:2143,ipv6only=0,reuseaddr,fork "SYSTEM:cat $WORK/http"
wait_listening "$NS_NEW" 2143
out=$(redirect enable --to $NEW4 --service smtp,pop3s,2525 2>&1 | flat; exit "${PIPESTATUS[0]}")
is "a closed port refuses enable (exit 1)" "$?" 1
like "... naming the port and what happened" "$out" "198.51.100.2, port 2525 \(port-2525\): Connection refused"
like "... and saying nothing changed" "$out" "nothing was changed"
is "... and nothing changed" "$(ruleset "$NS_OLD")" "$ruleset_before"

in_new nft -f - <<'NFT'
table inet remap {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 143 redirect to :2143
	}
}
NFT
out=$(redirect enable --to $NEW4 --service imap 2>&1 | flat; exit "${PIPESTATUS[0]}")
is "a non-mail answer refuses enable" "$?" 1
like "... quoting what came back" "$out" "port 143 \(imap\): answered 'HTTP/1.1 400 Bad Request', not a mail"
in_new nft delete table inet remap

out=$(redirect enable --to $NEW4 --service smtp,2525 --force 2>&1 | flat; exit "${PIPESTATUS[0]}")
is "--force enables all the same" "$?" 0
like "... printing every warning" "$out" "warning \(--force goes on\): the new server 198.51.100.2, port 2525"
is "... and the redirect works" "$(banner $OLD4 25 | cut -c1-14)" "220 new.exampl"
redirect disable --now >/dev/null

out=$(redirect enable --to $NEW4 --service 2525 --no-probe 2>&1 | flat; exit "${PIPESTATUS[0]}")
is "--no-probe skips the probe" "$?" 0
redirect disable --now >/dev/null

# Forward chains of other tables that would drop the redirected traffic.
in_old nft -f - <<'NFT'
table ip filter {
	chain FORWARD {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
	}
}
NFT
before=$(ruleset "$NS_OLD")
out=$(redirect enable --to $NEW4 --service smtp 2>&1 | flat; exit "${PIPESTATUS[0]}")
is "a forward chain with policy drop refuses enable" "$?" 1
like "... naming the chain" "$out" "table ip filter, chain FORWARD drops by default"
like "... and the rule that lets the traffic through" "$out" \
	"nft insert rule ip filter FORWARD ct mark and 0x10000000 == 0x10000000 accept"
like "... and the iptables way" "$out" "iptables -I FORWARD -m connmark --mark 0x10000000/0x10000000 -j ACCEPT"
is "... and nothing was installed" "$(ruleset "$NS_OLD")" "$before"
in_old nft insert rule ip filter FORWARD ct mark and 0x10000000 == 0x10000000 accept
out=$(redirect enable --to $NEW4 --service smtp 2>&1 | flat; exit "${PIPESTATUS[0]}")
is "with the suggested rule in place, enable succeeds" "$?" 0
is "... and the connection passes the forward chain" "$(banner $OLD4 25 | cut -c1-14)" "220 new.exampl"
redirect disable --now >/dev/null
in_old nft delete table ip filter

in_old nft -f - <<'NFT'
table inet firewalld {
	chain filter_FORWARD {
		type filter hook forward priority 10; policy accept;
		ct state established,related accept
		reject with icmpx admin-prohibited
	}
}
NFT
out=$(redirect enable --to $NEW4 --service smtp 2>&1 | flat; exit "${PIPESTATUS[0]}")
is "a forward chain ending in a reject refuses enable" "$?" 1
like "... naming it" "$out" "table inet firewalld, chain filter_FORWARD ends in a drop or reject"
in_old nft insert rule inet firewalld filter_FORWARD ct status dnat accept
out=$(redirect enable --to $NEW4 --service smtp 2>&1 | flat; exit "${PIPESTATUS[0]}")
is "firewalld's own 'ct status dnat accept' lets it through" "$?" 0
is "... and the connection passes" "$(banner $OLD4 25 | cut -c1-14)" "220 new.exampl"
redirect disable --now >/dev/null
in_old nft delete table inet firewalld

# Routes that go nowhere.
in_old ip route add local 198.51.100.77 dev lo table local
out=$(redirect enable --to 198.51.100.77 --service smtp --no-probe 2>&1 | flat; exit "${PIPESTATUS[0]}")
is "a target routed back to this host refuses enable (a loop)" "$?" 1
like "... saying so" "$out" "198.51.100.77 routes back to this host itself \(a loop\)"
in_old ip route add unreachable 192.0.2.99
out=$(redirect enable --to 192.0.2.99 --service smtp --no-probe 2>&1 | flat; exit "${PIPESTATUS[0]}")
is "an unreachable target refuses enable" "$?" 1
like "... saying so" "$out" "192.0.2.99 is unreachable from this host"

# Local daemons still listening.
serve "$NS_OLD" old 25
out=$(redirect enable --to $NEW4 --service smtp 2>&1 | flat; exit "${PIPESTATUS[0]}")
is "enable with the old daemon still running succeeds" "$?" 0
like "... and notes the daemon" "$out" "still listens on smtp 25: once enabled it gets no new connections from outside"
redirect disable --now >/dev/null
out=$(redirect enable --to $NEW4 --service smtp --no-masquerade --dry-run 2>&1 | flat; exit "${PIPESTATUS[0]}")
like "--no-masquerade: says plainly when it works" "$out" \
	"works only when the new server routes its replies to every client back through this host"
like "... and points to the tunnel" "$out" "--keep-client-address keeps the client's address wherever"
unlike "--no-masquerade: no relay warning" "$out" "open relay"
# A conntrack table over 80% full drops new connections when it fills up.
max=$(in_old cat /proc/sys/net/netfilter/nf_conntrack_max)
redirect enable --to $NEW4 --service smtp --no-probe >/dev/null 2>&1	# conntrack on
if [ -x "${CT_FILL:-}" ] && [ "$max" -le 300000 ]; then
	in_old "$CT_FILL" $((max * 81 / 100)) 0 0 || bail "ct-fill"
	out=$(redirect enable --to $NEW4 --service smtp,imap --no-probe 2>&1 | flat; exit "${PIPESTATUS[0]}")
	is "a conntrack table over 80% full does not stop enable" "$?" 0
	like "... but is warned about" "$out" "the conntrack table is 8[0-9]% full .* raise net.netfilter.nf_conntrack_max"
	in_old conntrack -F >/dev/null 2>&1
else
	bail "no ct-fill helper (CT_FILL), or nf_conntrack_max $max too large to fill"
fi
redirect disable --now >/dev/null
is "the ruleset at the end is the ruleset at the start" "$(ruleset "$NS_OLD")" "$ruleset_before"
