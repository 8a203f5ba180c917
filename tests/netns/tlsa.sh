#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# TLSA records of mail services at real authoritative servers (NSD), read
# through the library (tests/helpers/tls-data: dns_survey, then
# dns_tlsa_survey), from OLD:
#
#   old  192.0.2.1
#    |  veth
#   dns  ns1  192.0.2.53   example.org (DNSSEC-signed), example.net (unsigned),
#                          and OLD's resolver
#        ns2  192.0.2.54   example.org, signed, one serial behind ns1;
#                          DNS over TCP dropped here, as some firewalls do
#
# example.org: MX mail.example.org; _submission._tcp SRV to mail:587 (a
# name without TLSA), _imaps._tcp SRV to imap:993, _submissions._tcp SRV
# to big:465, whose TLSA RRset is too large for UDP. ns1 pins the keys of
# OLD and NEW for mail:25, ns2 still only OLD's (the rollover under way).
# example.net: MX mx.example.net with TLSA in an unsigned zone. Asked
# besides: a name that does not exist, a CNAME to mail's records, a name
# in a zone delegated to a server that does not serve it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns.sh"
. "$(dirname "$0")/pki.sh"
lab_up
dns_require
dns_sign_require
TLS_DATA=${TLS_DATA:-$(dirname "$0")/../helpers/tls-data}
[ -x "$TLS_DATA" ] || bail "no helper at $TLS_DATA; run make check"

NS1=192.0.2.53 NS2=192.0.2.54

scratch_ns dns
NS_DNS=$SCRATCH
ip -n "$NS_DNS" link set lo up
link "$NS_OLD" "${P}o2" "$NS_DNS" "${P}d0"
addr "$NS_OLD" "${P}o2" 192.0.2.1/24
addr "$NS_DNS" "${P}d0" $NS1/24 $NS2/24
ip netns exec "$NS_DNS" nft -f - <<EOF || bail "cannot block TCP to ns2"
table inet firewall {
	chain input {
		type filter hook input priority filter; policy accept;
		ip daddr $NS2 tcp dport 53 drop
	}
}
EOF
dns_resolver "$NS_OLD" $NS1

# The keys: OLD's and NEW's certificates, a CA's, and data for the rest.
pki_cert old mail.example.org
pki_cert new mail.example.org
pki_cert imap imap.example.org
pki_cert mx mx.example.net
OLD_TLSA=$(dns_tlsa "$PKI_DIR/old.pem")
NEW_TLSA=$(dns_tlsa "$PKI_DIR/new.pem")
IMAP_TLSA=$(dns_tlsa "$PKI_DIR/imap.pem")
MX_TLSA=$(dns_tlsa "$PKI_DIR/mx.pem")
CA_SHA256=$(openssl x509 -in "$PKI_DIR/ca.pem" -outform DER | openssl dgst -sha256 -hex |
	sed 's/.*= *//')
blob() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
BIG1=$(blob 400) BIG2=$(blob 400) BIG3=$(blob 400) BIG4=$(blob 400)
SHORT=$(blob 16) ODD=$(blob 32)

# example.org at SERIAL, with the TLSA records of mail:25 given.
zone_org() {	# zone_org SERIAL TLSA-DATA...
	local serial=$1 t
	shift
	cat <<-EOF
	\$TTL 300
	@ SOA ns1.example.org. hostmaster.example.org. $serial 3600 600 86400 300
	@ NS ns1.example.org.
	@ NS ns2.example.org.
	@ MX 10 mail.example.org.
	ns1 A $NS1
	ns2 A $NS2
	mail A 192.0.2.25
	imap A 192.0.2.25
	big A 192.0.2.25
	_submission._tcp SRV 0 1 587 mail.example.org.
	_imaps._tcp SRV 0 1 993 imap.example.org.
	_submissions._tcp SRV 0 1 465 big.example.org.
	_587._tcp.mail TXT "no TLSA here"
	_25._tcp.alias CNAME _25._tcp.mail
	deleg NS ns1.example.org.
	_993._tcp.imap 600 TLSA $IMAP_TLSA
	_465._tcp.big TLSA 3 0 0 $BIG1
	_465._tcp.big TLSA 3 0 0 $BIG2
	_465._tcp.big TLSA 3 0 0 $BIG3
	_465._tcp.big TLSA 3 0 0 $BIG4
	EOF
	for t in "$@"; do
		echo "_25._tcp.mail TLSA $t"
	done
}

dns_server ns1 "$NS_DNS" $NS1
dns_server ns2 "$NS_DNS" $NS2
dns_sign example.org
zone_org 2 "$OLD_TLSA" "$NEW_TLSA" "2 0 1 $CA_SHA256" "0 0 1 $CA_SHA256" "3 1 9 $ODD" \
	"3 1 1 $SHORT" | dns_zone ns1 example.org
zone_org 1 "$OLD_TLSA" | dns_zone ns2 example.org
dns_zone ns1 example.net <<EOF
\$TTL 300
@ SOA ns1.example.org. hostmaster.example.org. 1 3600 600 86400 300
@ NS ns1.example.org.
@ MX 10 mx.example.net.
mx A 192.0.2.26
_25._tcp.mx 120 TLSA $MX_TLSA
EOF
dns_start ns1
dns_start ns2

tls_data() { in_old "$TLS_DATA" "$@"; }
OUT=$(tls_data tlsa example.org example.net --service nohost.example.org:25 \
	--service alias.example.org:25 --service mail.deleg.example.org:25 2>&1)
is "tls-data tlsa exits 0" "$?" 0
echo "$OUT" >"$WORK/tlsa.out"

# the line about OWNER from SERVER ("ns1", "ns2", "the")
answer() { grep "^answer _$1 $2[. ]" <<<"$OUT"; }
records() { grep "^tlsa _$1 $2[. ]" <<<"$OUT" | awk '{ print $4, $5, $6, $7, $8 }' | sort; }

# ---- the MX host on port 25, signed, during a rollover ----
like "mail:25 at ns1: signed, every record, three usable" "$(answer 25._tcp.mail.example.org ns1)" \
	"found signed ttl=300 records=6 usable=3 zone-signed"
is "mail:25 at ns1: OLD's and NEW's keys, the CA's digest" \
	"$(records 25._tcp.mail.example.org ns1 | grep ' usable' | awk '{ print $1, $2, $3, $4 }')" \
	"$(printf '%s\n' "2 0 1 $CA_SHA256" "$OLD_TLSA" "$NEW_TLSA" | sort)"
like "mail:25: a PKIX usage is unusable for SMTP" "$(records 25._tcp.mail.example.org ns1)" \
	"0 0 1 $CA_SHA256 unusable"
like "mail:25: the unknown matching type is unusable, not an error" \
	"$(grep "3 1 9 $ODD" <<<"$OUT")" "unusable: an unknown matching type"
like "mail:25: a SHA2-256 of 16 bytes is unusable" "$(grep "3 1 1 $SHORT" <<<"$OUT")" \
	"unusable: data of the wrong length"
like "mail:25 at ns2, one serial behind: OLD's key only" "$(answer 25._tcp.mail.example.org ns2)" \
	"found signed ttl=300 records=1 usable=1"
is "mail:25 at ns2: the record is OLD's" "$(records 25._tcp.mail.example.org ns2)" \
	"$OLD_TLSA usable"
like "mail:25: the servers differ" "$(grep '^owner _25._tcp.mail.example.org' <<<"$OUT")" \
	"mail.example.org 25 MX differ$"

# ---- SRV targets on their ports ----
like "imap:993 from _imaps._tcp" "$(grep '^owner _993._tcp.imap' <<<"$OUT")" \
	"imap.example.org 993 _imaps._tcp$"
like "imap:993 at ns1: signed, its own TTL" "$(answer 993._tcp.imap.example.org ns1)" \
	"found signed ttl=600 records=1 usable=1"
is "imap:993: imap's key" "$(records 993._tcp.imap.example.org ns2)" "$IMAP_TLSA usable"
like "mail:587 from _submission._tcp: a name without TLSA is no data, in a signed zone" \
	"$(answer 587._tcp.mail.example.org ns1)" "no TLSA zone-signed$"

# ---- too large for UDP: TCP ----
like "big:465 at ns1: four full records, over TCP" "$(answer 465._tcp.big.example.org ns1)" \
	"found signed ttl=300 records=4 usable=4 zone-signed tcp$"
is "big:465: the records whole" "$(records 465._tcp.big.example.org ns1 | awk '{ print $4 }')" \
	"$(printf '%s\n' "$BIG1" "$BIG2" "$BIG3" "$BIG4" | sort)"
like "big:465 at ns2, which drops TCP: failed, timed out" "$(answer 465._tcp.big.example.org ns2)" \
	"failed fault=2 code=110 tcp$"
unlike "big:465: no difference claimed from a failure" "$(grep '^owner _465' <<<"$OUT")" differ

# ---- unsigned, missing, aliased, delegated ----
like "mx.example.net:25: found in an unsigned zone" "$(answer 25._tcp.mx.example.net ns1)" \
	"found unsigned ttl=120 records=1 usable=1$"
is "mx.example.net:25: its key" "$(records 25._tcp.mx.example.net ns1)" "$MX_TLSA usable"
like "a name that does not exist: NXDOMAIN, not an error" \
	"$(answer 25._tcp.nohost.example.org ns2)" "no such name zone-signed$"
like "a CNAME: mail's records, and where the chain ends" "$(answer 25._tcp.alias.example.org ns1)" \
	"found signed ttl=300 records=6 usable=3 zone-signed cname=_25._tcp.mail.example.org$"
like "a delegated name: the zone's server refers it on" \
	"$(answer 25._tcp.mail.deleg.example.org ns1)" "delegated"
like "... then the resolver is asked; one that does not recurse is lame" \
	"$(grep '^answer _25._tcp.mail.deleg.example.org the system resolver' <<<"$OUT")" \
	"failed fault=4"

# ---- no domain: every service from the resolver ----
OUT=$(tls_data tlsa --service mx.example.net:25 --service mail.example.org:25 2>&1)
like "without a survey, the resolver answers" \
	"$(grep '^answer _25._tcp.mx.example.net the system resolver' <<<"$OUT")" \
	"found unsigned ttl=120 records=1 usable=1"
long=$(printf 'abcdefghi.%.0s' {1..24})example.org
OUT=$(tls_data tlsa --service "$long:25" 2>&1)
like "a name too long for an owner: refused, naming it" "$OUT" \
	"no TLSA owner for $long port 25: the name is too long"
