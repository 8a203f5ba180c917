#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Behind a cloud's 1:1 NAT, where most servers live: each of OLD and NEW
# has a private address on its interface, and the router (the provider)
# maps a public one to it, which is on no interface anywhere:
#
#   client 203.0.113.10 ------------+
#   old    198.51.100.130 (private) -+- router: 198.51.100.1 <-> 198.51.100.130
#   new    192.0.2.130    (private) -+          192.0.2.2    <-> 192.0.2.130
#                                    +- ns1 192.0.2.53 (NSD, on the router)
#
# The lab has documentation addresses only, as every lab here. Like a
# provider's RFC 1918 addresses they are routed nowhere on the internet:
# the tool tells that a host may be behind NAT by such addresses on all
# of its interfaces of a family (lib/parse's address_not_global).
#
# --to and --from are the public addresses. What the tool says must know
# it: accept names the public address OLD needs (when it is given) and
# never passes the private one off as the answer; the refusals say which
# address to give; dns and check --domain count this host's public address
# as this host (--public-address), and while it is unknown and clients
# still come, an answer naming some other address is "cannot tell", not
# an all-clear. A host with a public address on its interfaces is not
# behind NAT: another address in DNS is then another host (a backup MX).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
lab4_up
dns_require
command -v jq >/dev/null || bail "jq is missing"
OLD_PUBLIC=$OLD4 NEW_PUBLIC=$NEW4		# 198.51.100.1, 192.0.2.2
OLD_PRIVATE=198.51.100.130 NEW_PRIVATE=192.0.2.130
NS1=192.0.2.53

# ---- the provider's 1:1 NAT ----
renumber() {	# renumber NS IF FROM TO ROUTER
	ip -n "$1" addr del "$3/24" dev "$2" || bail "cannot renumber $1"
	ip -n "$1" addr add "$4/24" dev "$2"
	ip -n "$1" route replace default via "$5"
}
renumber "$NS_OLD" "${P}o0" $OLD_PUBLIC $OLD_PRIVATE $ROUTER_O4
renumber "$NS_NEW" "${P}n0" $NEW_PUBLIC $NEW_PRIVATE $ROUTER_N4
in_router nft -f - <<-EOF || bail "cannot set up the router's NAT"
table ip cloud {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr $OLD_PUBLIC dnat to $OLD_PRIVATE
		ip daddr $NEW_PUBLIC dnat to $NEW_PRIVATE
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr $OLD_PRIVATE snat to $OLD_PUBLIC
		ip saddr $NEW_PRIVATE snat to $NEW_PUBLIC
	}
}
EOF
ip -n "$NS_ROUTER" addr add $NS1/32 dev lo
serve_mail "$NS_NEW" new 25
is "the lab: NEW's mail server answers at NEW's public address" \
	"$(banner $NEW_PUBLIC 25)" "220 new $CLIENT4"

# ---- the refusals say which address to give ----
out=$(redirect_new accept --from $NEW_PRIVATE 2>&1)
is "accept --from NEW's own (private) address: refused (exit 2)" "$?" 2
like "... saying to give the old server's public address behind NAT" "$(flat <<<"$out")" \
	"'$NEW_PRIVATE' is an address of this host; give the old server's address as this host sees its packets come \(behind a cloud's 1:1 NAT, its public one\)"
out=$(redirect enable --to $OLD_PRIVATE --keep-client-address 2>&1)
is "enable --to OLD's own (private) address: refused (exit 2)" "$?" 2
like "... saying to give the address OLD reaches NEW at" "$(flat <<<"$out")" \
	"'$OLD_PRIVATE' is an address of this host; give the address this host reaches the new server at \(behind a cloud's 1:1 NAT, its public one\)"
out=$(redirect enable --keep-client-address 2>&1)
like "enable without --to: the same" "$(flat <<<"$out")" "--to ADDRESS \(the address this host reaches it at: behind NAT, its public one\)"
out=$(redirect_new accept --from $OLD_PUBLIC --public-address 224.0.0.1 2>&1)
is "a --public-address that no host can have: refused (exit 2)" "$?" 2
like "... naming it" "$out" "'224.0.0.1' is a multicast address"
out=$(redirect_new accept --from $OLD_PUBLIC --public-address $OLD_PUBLIC 2>&1)
is "accept --public-address the same as --from (the old server's): refused (exit 2)" "$?" 2
like "... naming the value" "$(flat <<<"$out")" \
	"--public-address '$OLD_PUBLIC' is also the --from, the old server's address; give this host's own public address"
out=$(redirect enable --to $NEW_PUBLIC --keep-client-address --public-address $NEW_PUBLIC 2>&1)
is "enable --public-address the same as --to (the new server's): refused (exit 2)" "$?" 2
like "... naming the value" "$(flat <<<"$out")" \
	"--public-address '$NEW_PUBLIC' is also the --to, the new server's address; give this host's own public address"
is "... and nothing changed on either host" \
	"$(in_old nft list tables; in_new nft list tables; find "$STATE" "$STATE_NEW" -mindepth 1)" ""

# ---- accept: which --to OLD needs ----
out=$(redirect_new accept --from $OLD_PUBLIC 2>&1)
is "accept --from OLD's public address" "$?" 0
like "... it says --to is the address OLD reaches this host at, the public one behind NAT" \
	"$(flat <<<"$out")" \
	"--to is the address the old server reaches this host at: $NEW_PRIVATE \(this end sends from it\) unless this host is behind NAT \(a cloud's 1:1 NAT\); then its public one, which .accept --public-address. names here"
like "... and that UDP 4789 must be let in" "$(flat <<<"$out")" \
	"must admit UDP 4789 from $OLD_PUBLIC here, and from this host's public address there"
redirect_new disable >/dev/null 2>&1 || bail "disable on NEW"
out=$(redirect_new accept --from $OLD_PUBLIC --public-address $NEW_PUBLIC 2>&1)
rc=$?
is "accept --public-address" "$rc" 0
# NEW accepting either way, so that what follows is judged on its own
[ $rc = 0 ] || redirect_new accept --from $OLD_PUBLIC >/dev/null 2>&1
like "... names the public address as OLD's --to" "$out" \
	"On the old server: redirect enable --to $NEW_PUBLIC --keep-client-address"
check "... and remembers it" grep -q "^public_address $NEW_PUBLIC$" "$STATE_NEW/state"

# ---- the tunnel through both NATs, with the public addresses ----
out=$(redirect enable --to $NEW_PUBLIC --keep-client-address --service smtp --domain example.org 2>&1)
is "enable --to NEW's public address --keep-client-address" "$?" 0 ||
	echo "$out" | sed 's/^/#   /'
is "a client at OLD's public address reaches NEW, which sees the client's own address" \
	"$(banner $OLD_PUBLIC 25)" "220 new $CLIENT4"
redirect stats >/dev/null	# what check and dns know of the traffic

# ---- DNS: this host is its public address ----
dns_resolver "$NS_OLD" $NS1
zone_org() {	# zone_org SERIAL MAIL_A [BACKUP_A BACKUP_AAAA]
	cat <<-EOF
	\$TTL 300
	@ SOA ns1.example.org. hostmaster.example.org. $1 3600 600 86400 300
	@ NS ns1.example.org.
	@ MX 10 mail.example.org.
	ns1 A $NS1
	mail 1 A $2
	EOF
	[ $# -lt 4 ] || printf '@ MX 20 backup.example.org.\nbackup 1 A %s\nbackup 1 AAAA %s\n' "$3" "$4"
}
dns_server ns1 "$NS_ROUTER" $NS1
# a backup MX that is another host: no address of this host's
BACKUP4=203.0.113.25 BACKUP6=2001:db8:1::25
zone_org 1 $NEW_PUBLIC $BACKUP4 $BACKUP6 | dns_zone ns1 example.org
dns_start ns1

# (A host with a globally routed address on an interface of a family is
# not behind NAT there: the backup's records of that family are another
# host's. The lab has no such address to give: test_dns's
# report_public_unknown.)
out=$(redirect dns example.org 2>&1)
is "no globally routed address on an interface (behind NAT?): the backup's records may be this host (exit 3)" \
	"$?" 3
like "... naming its A record" "$(flat <<<"$out")" \
	"this host's public address is unknown: backup.example.org A $BACKUP4 "
like "... and its AAAA record" "$(flat <<<"$out")" "backup.example.org AAAA $BACKUP6 "
out=$(redirect dns example.org --public-address $OLD_PUBLIC 2>&1)
is "told its public address, a backup MX beside NEW: no answer names this host (exit 0)" "$?" 0
unlike "... and no word of an unknown public address" "$out" "public address is unknown"
zone_org 2 $OLD_PUBLIC | dns_zone ns1 example.org
dns_reload ns1 example.org 2

out=$(redirect dns example.org 2>&1)
is "DNS names OLD's public address, which is known nowhere: cannot tell (exit 3)" "$?" 3
# (its look at the TLS of mail.example.org came back through the provider's
# NAT to this host's port 25: the last redirected connection)
mark seen
like "... saying the public address is unknown, and how to give it" "$(flat <<<"$out")" \
	"this host's public address is unknown: mail.example.org A $OLD_PUBLIC \(from ns1.example.org\) is neither an address of this host's interfaces nor the new server's, and connections still come to the redirect.* --public-address"
unlike "... no all-clear" "$out" "no authoritative server names this host"
wait_since "$seen" 1100		# the --quiet-for 1s of the check, from the last connection
out=$(redirect check --quiet-for 1s 2>&1)
is "check --domain: unknown (exit 3), not ready" "$?" 3
like "... saying why" "$(flat <<<"$out")" "DNS could not be checked: this host's public address is unknown"

out=$(redirect dns example.org --public-address $OLD_PUBLIC 2>&1)
is "dns --public-address OLD's public address: it names this host (exit 1)" "$?" 1
like "... marked as this host" "$out" "mail.example.org +A +$OLD_PUBLIC .* old  <- this host"
out=$(redirect enable --to $NEW_PUBLIC --keep-client-address --service smtp --domain example.org \
	--public-address $OLD_PUBLIC 2>&1)
is "enable --public-address with the same redirect: exit 0" "$?" 0
like "... changes nothing in the kernel, remembers the address" "$(flat <<<"$out")" \
	"already enabled with these settings; nothing changed. This host's public address \(behind NAT\): $OLD_PUBLIC; dns and check count it as this host"
check "... in the state" grep -q "^public_address $OLD_PUBLIC$" "$STATE/state"
json=$(redirect dns example.org --json 2>&1)
is "dns then counts it as this host: old (exit 1)" "$? $(jq -c .status <<<"$json")" '1 "old"'
out=$(redirect check --quiet-for 1s 2>&1)
is "check --domain: in use (exit 1)" "$?" 1
like "... DNS still names this host" "$(flat <<<"$out")" \
	"DNS still names this host: ns1.example.org \($NS1, serial 2\) still answers mail.example.org A $OLD_PUBLIC"

zone_org 3 $NEW_PUBLIC | dns_zone ns1 example.org
dns_reload ns1 example.org 3
out=$(redirect dns example.org 2>&1)
is "DNS moved to NEW's public address (the --to): exit 0" "$?" 0
like "... and says so" "$out" "no authoritative server names this host any more"

redirect disable --now >/dev/null 2>&1
redirect_new disable --force >/dev/null 2>&1 || redirect_new disable >/dev/null 2>&1
is "OLD is clean" "$(in_old nft list tables)" ""
is "NEW is clean" "$(in_new nft list tables)" ""
