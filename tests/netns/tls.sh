#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The TLS identity follows the redirect, on the lab of a real migration
# (lib.sh's lab4_up):
#
#   client  a sending Postfix doing DANE (smtp_tls_security_level = dane,
#           smtp_dns_support_level = dnssec), unbound validating with
#           example.org's key as trust anchor; curl checking names
#   router  NSD at 192.0.2.53 serving example.org, DNSSEC-signed: MX
#           mail.example.org, its A, and _25._tcp.mail TLSA records;
#           the MTA-STS policy at 192.0.2.80 (openssl s_server -WWW)
#   old     its own Postfix and Dovecot with OLD's key (until the switch)
#   new     Postfix (25 and 587 STARTTLS, 465) and Dovecot with NEW's key
#
# Certificates come from a lab CA, trusted in the namespaces through
# /etc/netns/NS/ssl. First the fixture bites: through a redirect made
# with --force while the TLSA pins OLD's key only, the DANE sender defers
# (4.7.5). Then enable refuses exactly that, changing nothing; with both
# keys published the message lands once. The same for names (curl), dns
# (TLSA pinning OLD's key while the A record names NEW) and check (NEW's
# key changed by a renewal).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mail.sh"
. "$(dirname "$0")/dns.sh"
lab4_up
mail_require
dns_require
dns_sign_require
command -v unbound >/dev/null || bail "unbound is missing (scripts/test installs it)"
NS_ADDR=192.0.2.53 STS_ADDR=192.0.2.80
in_router ip addr add $NS_ADDR/32 dev lo || bail "cannot add $NS_ADDR"
in_router ip addr add $STS_ADDR/32 dev lo || bail "cannot add $STS_ADDR"

# ---- certificates: a lab CA, OLD's key, NEW's key ----
CA=$WORK/ca
mkdir -p "$CA"
cert() {	# cert DIR KEY SAN...: DIR/key.pem (KEY's, or a new one for -), DIR/cert.pem
	local d=$CA/$1 key=$2 san
	shift 2
	san=$(printf 'DNS:%s,' "$@")
	mkdir -p "$d"
	if [ "$key" = - ]; then
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/key.pem" \
			2>/dev/null || bail "key for $d"
	else
		cp "$CA/$key/key.pem" "$d/key.pem"
	fi
	openssl req -new -x509 -key "$d/key.pem" -CA "$CA/ca.pem" -CAkey "$CA/ca.key" -days 30 \
		-subj "/CN=$1" -addext "subjectAltName=${san%,}" -out "$d/leaf.pem" 2>/dev/null ||
		bail "certificate $1"
	cat "$d/leaf.pem" "$CA/ca.pem" >"$d/cert.pem"
	chmod 644 "$d/key.pem"
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$CA/ca.key" \
	-out "$CA/ca.pem" -days 30 -subj "/CN=Lab CA" \
	-addext "basicConstraints=critical,CA:TRUE" 2>/dev/null || bail "lab CA"
cert old - mail.example.org			# OLD's own key
cert new - mail.example.org new.example.org	# NEW's key, the right names
cert new-short new new.example.org		# NEW's key, without OLD's name
cert new-renewed - mail.example.org new.example.org	# a renewal with a new key
cert mta-sts - mta-sts.example.org
TLSA_OLD=$(dns_tlsa "$CA/old/leaf.pem")
TLSA_NEW=$(dns_tlsa "$CA/new/leaf.pem")

# The lab CA is what the system trusts in these namespaces.
trust_lab_ca() {	# trust_lab_ca NS
	local d=/etc/netns/$1/ssl
	mkdir -p "$d/certs"
	cp /etc/ssl/openssl.cnf "$d/" 2>/dev/null
	cp "$CA/ca.pem" "$d/certs/ca-certificates.crt"
}

# ---- DNS: example.org signed, at the router; unbound at the client ----
zone() {	# zone SERIAL MAIL_A TLSA...: example.org
	local serial=$1 a=$2 t
	shift 2
	echo "\$TTL 1"
	echo "@ SOA ns.example.org. hostmaster.example.org. $serial 3600 600 86400 1"
	echo "@ NS ns.example.org."
	echo "ns A $NS_ADDR"
	echo "@ MX 10 mail.example.org."
	echo "mail A $a"
	echo "_imaps._tcp SRV 0 1 993 mail.example.org."
	echo "_mta-sts TXT \"v=STSv1; id=1\""
	echo "mta-sts A $STS_ADDR"
	for t in "$@"; do
		echo "_25._tcp.mail TLSA $t"
	done
}
SERIAL=1
publish() {	# publish MAIL_A TLSA...: a new serial of example.org, served
	SERIAL=$((SERIAL + 1))
	zone $SERIAL "$@" | dns_zone auth example.org
	dns_reload auth example.org $SERIAL
}
dns_server auth "$NS_ROUTER" $NS_ADDR
zone 1 $OLD4 "$TLSA_OLD" | dns_zone auth example.org
dns_sign example.org
dns_start auth
for ns in "$NS_OLD" "$NS_NEW"; do
	dns_resolver "$ns" $NS_ADDR
	trust_lab_ca "$ns"
done
dns_resolver "$NS_CLIENT" 127.0.0.1
echo "options trust-ad" >>"/etc/netns/$NS_CLIENT/resolv.conf"
trust_lab_ca "$NS_CLIENT"

UB=$WORK/unbound
mkdir -p "$UB"
cat >"$UB/unbound.conf" <<EOF
server:
  interface: 127.0.0.1
  port: 53
  do-ip6: no
  username: ""
  chroot: ""
  directory: "$UB"
  pidfile: "$UB/unbound.pid"
  use-syslog: no
  logfile: "$UB/unbound.log"
  verbosity: 1
  val-log-level: 2
  module-config: "validator iterator"
  trust-anchor-file: "$(dns_anchor example.org)"
  cache-max-ttl: 1
  cache-max-negative-ttl: 1
  prefetch: no
remote-control:
  control-enable: no
# every query goes to the lab's server, never to the root's addresses
stub-zone:
  name: "."
  stub-addr: $NS_ADDR
stub-zone:
  name: "example.org"
  stub-addr: $NS_ADDR
EOF
spawn "$NS_CLIENT" unbound -d -c "$UB/unbound.conf"
validated() { in_client dig +time=1 +tries=1 @127.0.0.1 example.org SOA | grep -q 'flags:.* ad'; }
mail_wait 10 validated || bail "unbound does not validate example.org: $(tail -n 5 "$UB/unbound.log")"

# The MTA-STS policy of example.org, over HTTPS with the lab CA's certificate.
STS=$WORK/sts
mkdir -p "$STS/.well-known"
sts_policy() {	# sts_policy MX: mode enforce, that one mx pattern
	printf 'version: STSv1\r\nmode: enforce\r\nmx: %s\r\nmax_age: 86400\r\n' "$1" \
		>"$STS/.well-known/mta-sts.txt"
}
sts_policy mail.example.org
spawn "$NS_ROUTER" sh -c "cd '$STS' && exec openssl s_server -quiet -WWW \
	-accept $STS_ADDR:443 -cert '$CA/mta-sts/cert.pem' -key '$CA/mta-sts/key.pem'"

# ---- mail servers ----
MAIL_TLS_DIRS[old]=$CA/old
MAIL_TLS_DIRS[new]=$CA/new
MAIL_CF[old]="smtpd_tls_security_level = may
smtpd_tls_chain_files = $CA/old/key.pem, $CA/old/cert.pem"
new_cf() {	# new_cf DIR: NEW's Postfix offers STARTTLS with DIR's key
	MAIL_TLS_DIRS[new]=$CA/$1
	MAIL_CF[new]="smtpd_tls_security_level = may
smtpd_tls_chain_files = $CA/$1/key.pem, $CA/$1/cert.pem"
}
new_cf new
MAIL_CF[client]="relayhost =
smtp_host_lookup = dns
smtp_dns_support_level = dnssec
smtp_tls_security_level = dane
smtp_tls_loglevel = 1
inet_protocols = ipv4"
mail_old_start
mail_old_dovecot_start
mail_new_start
mail_client_start
new_with() {	# new_with DIR: NEW's servers again, with DIR's certificate
	mail_new_stop
	new_cf "$1"
	mail_new_start
}
client_log() { cat "$MAIL_DIR/client/postfix.log"; }

# ---- while OLD's own servers run: a refused enable records nothing ----
state_now() { if [ -e "$STATE/state" ]; then sha256sum <"$STATE/state"; else echo none; fi; }
state_before=$(state_now)
out=$(redirect enable --to $NEW4 --to $NEW6 2>&1)
is "enable while the TLSA pins OLD's key only, OLD's servers still running: refused" "$?" 1 ||
	echo "$out" | sed 's/^/#   /'
like "... it learned what OLD's own servers present" "$(flat <<<"$out")" \
	"learned \(recorded when the redirect is made\) what this host's own servers present on 5 TLS ports"
is "... and left the state file as it was, byte for byte" "$(state_now)" "$state_before"

# ---- ... the dry run records what they present ----
out=$(redirect enable --to $NEW4 --to $NEW6 --dry-run 2>&1)
is "dry run with the right names and the TLSA pinning OLD's key only: refused" "$?" 1 ||
	echo "$out" | sed 's/^/#   /'
like "... it recorded what OLD's own servers present" "$(flat <<<"$out")" "recorded what this host's own servers present on 5 TLS ports"
like "... the state keeps OLD's key and names" "$(cat "$STATE/state")" \
	"tls_old 25 ${TLSA_OLD#3 1 1 } mail.example.org"
mail_old_stop		# the final sync done, OLD's daemons stop
old_before=$(host_state "$NS_OLD")

# ---- the fixture bites: DANE senders defer through a redirect to NEW ----
out=$(redirect enable --to $NEW4 --to $NEW6 --force 2>&1) || bail "enable --force: $out"
like "enable --force goes on, and still prints the finding" "$(flat <<<"$out")" \
	"warning \(--force goes on\): the TLSA records of _25._tcp.mail.example.org"
mail_send dane-1@example.org
mail_wait 20 grep -q "dane-1@example.org" "$MAIL_DIR/client/postfix.log"
mail_wait 20 grep -q "no matching DANE TLSA records" "$MAIL_DIR/client/postfix.log"
like "through the redirect the DANE sender finds no TLSA record matching NEW's key" \
	"$(client_log)" "mail.example.org\\[$OLD4\\]:25: num=.*:no matching DANE TLSA records"
like "... and defers the message: 4.7.5" "$(client_log)" "dsn=4.7.5, status=deferred"
unlike "... which is not in NEW's mailbox" "$(mail_ids new)" "dane-1@example.org"
redirect disable >/dev/null 2>&1 || bail "disable"
is "disable puts OLD back as it was" "$(host_state "$NS_OLD")" "$old_before"

# ---- enable refuses exactly that ----
out=$(redirect enable --to $NEW4 --to $NEW6 2>&1)
is "enable refuses while the signed TLSA pins OLD's key only" "$?" 1
[ -n "${TLS_SHOW:-}" ] && echo "$out" >"$TLS_SHOW/refusal.txt"
like "... naming the TLSA records and what DANE senders do" "$(flat <<<"$out")" \
	"refused: the TLSA records of _25._tcp.mail.example.org \\(signed: DANE senders act on them\\) match nothing the new server presents at $NEW4 and $NEW6"
like "... with the fix: NEW's record beside OLD's, two TTLs" "$(flat <<<"$out")" \
	"Publish the new server's key beside the old one, _25._tcp.mail.example.org. IN TLSA $TLSA_NEW, and wait two TTLs"
unlike "... and no other TLS finding (the names are right)" "$out" "does not cover|not for mail"
is "... nothing changed on OLD" "$(host_state "$NS_OLD")" "$old_before"

# ---- both keys published: enable goes on, the message lands once ----
publish $OLD4 "$TLSA_OLD" "$TLSA_NEW"
out=$(redirect enable --to $NEW4 --to $NEW6 2>&1)
is "with NEW's key published beside OLD's, enable succeeds" "$?" 0 || echo "$out" | sed 's/^/#   /'
like "... saying in one line what it verified" "$(flat <<<"$out")" \
	"note: TLS identity verified in [0-9]+ handshakes with the new server"
unlike "... and no TLS finding" "$out" "refused|match nothing|, not for |expire"
like "... the banner probe left to the ports no TLS check covers (465, 587: 4 connections)" \
	"$(flat <<<"$out")" "answers like a mail server on all 4 ports probed"
# retried now, not at the end of a backoff a loaded machine stretches
delivered() { mail_client_flush >/dev/null 2>&1; mail_wait 2 mail_has new dane-1@example.org; }
if mail_wait 30 delivered; then
	ok "the deferred message lands in NEW's mailbox"
else
	not_ok "the deferred message lands in NEW's mailbox" "$(client_log | tail -n 5)"
fi
is "... once" "$(mail_ids new | grep -c '^dane-1@')" 1
like "... over a DANE-verified TLS session" "$(client_log)" \
	"Verified TLS connection established to mail.example.org\\[$OLD4\\]:25"

# ---- names: IMAP clients dial mail.example.org ----
imaps() { in_client curl -sS --max-time 5 --resolve "mail.example.org:993:$OLD4" \
	-u "$MAIL_USER:$MAIL_PASS" "imaps://mail.example.org/" 2>&1; }
like "IMAPS to mail.example.org through the redirect: NEW's certificate passes curl" \
	"$(imaps)" "INBOX"
redirect disable >/dev/null 2>&1 || bail "disable"
new_with new-short
redirect enable --to $NEW4 --to $NEW6 --force >/dev/null 2>&1 || bail "enable --force"
like "with a certificate without mail.example.org, curl refuses it (the fixture bites)" \
	"$(imaps)" "no alternative certificate subject name matches target host name 'mail.example.org'"
redirect disable >/dev/null 2>&1 || bail "disable"
out=$(redirect enable --to $NEW4 --to $NEW6 2>&1)
is "enable refuses a certificate without a name clients use" "$?" 1
like "... naming the name, the port and the fix" "$(flat <<<"$out")" \
	"refused: the certificate the new server presents at $NEW4 and $NEW6, port 993, is for new.example.org, not for mail.example.org, .* Put mail.example.org on the new server's certificate"
unlike "... not a TLSA finding (DANE-EE ignores names)" "$out" "TLSA records"
is "... nothing changed on OLD" "$(host_state "$NS_OLD")" "$old_before"

# ---- MTA-STS: an enforce policy without the MX host ----
new_with new
sts_policy mx.example.net
out=$(redirect enable --to $NEW4 --to $NEW6 --domain example.org 2>&1)
is "enable --domain refuses an MTA-STS enforce policy whose mx patterns miss the MX host" "$?" 1
like "... saying which and how to fix it" "$(flat <<<"$out")" \
	"refused: the MTA-STS policy of example.org \(mode enforce\) has no mx pattern matching mail.example.org, .* Add \"mx: mail.example.org\""
sts_policy mail.example.org
out=$(redirect enable --to $NEW4 --to $NEW6 --domain example.org 2>&1)
is "with the MX host in the policy, enable --domain succeeds" "$?" 0 || echo "$out" | sed 's/^/#   /'
like "... reporting the policy's mode and max_age" "$(flat <<<"$out")" \
	"MTA-STS policy of example.org: mode enforce, max_age 86400s"
unlike "... the TLS probes leave Postfix no client that vanished" \
	"$(cat "$MAIL_DIR/new/postfix.log")" "lost connection after (STARTTLS|EHLO)"
like "... every probe said QUIT over TLS" "$(cat "$MAIL_DIR/new/postfix.log")" \
	"disconnect from .* ehlo=1 starttls=1 quit=1 commands=3"
redirect disable >/dev/null 2>&1 || bail "disable"

# ---- dns: TLSA pinning OLD's key only while the A record names NEW ----
publish $NEW4 "$TLSA_OLD"
out=$(redirect dns example.org 2>&1)
is "dns: the A record names NEW, the TLSA pins OLD's key only: exit 1" "$?" 1
[ -n "${TLS_SHOW:-}" ] && echo "$out" >"$TLS_SHOW/dns.txt"
like "... the TLS section shows the mismatch at NEW's address" "$out" \
	"$NEW4 +other +NO TLSA RECORD MATCHES"
like "... and says what to publish" "$(flat <<<"$out")" \
	"_25._tcp.mail.example.org. IN TLSA $TLSA_NEW beside the old record"
SILENT=192.0.2.99	# nothing there: a server that does not answer
json=$(redirect dns example.org --server $NS_ADDR --server $SILENT --json 2>/dev/null)
is "... with a server that does not answer besides: still exit 1 (certain: 1 outweighs 3)" "$?" 1
is "... JSON: status old, as the exit status says; that server unknown" \
	"$(jq -r '[.status, (.domains[0].servers[] | .address + " " + .status)] | join("|")' \
		<<<"$json")" "old|$NS_ADDR new|$SILENT unknown"
redirect dns example.org --no-tls >/dev/null 2>&1
is "... dns --no-tls leaves the TLS section out: the addresses alone are clean" "$?" 0
mkdir -p "$WORK/nossl" && : >"$WORK/nossl/libssl.so.3"	# a libssl that cannot be loaded
out=$(LD_LIBRARY_PATH=$WORK/nossl redirect dns example.org 2>&1)
is "... without a libssl to look at TLS with: unknown (exit 3), not the addresses' all-clear" "$?" 3
like "... saying so, and how to check DNS alone" "$(flat <<<"$out")" \
	"cannot check the TLS identity: .*--no-tls checks DNS alone"
json=$(redirect dns example.org --json 2>/dev/null)
is "... JSON has the tls key" "$(jq -r '.domains[0].tls | type' <<<"$json")" array
publish $NEW4 "$TLSA_OLD" "$TLSA_NEW"
out=$(redirect dns example.org 2>&1)
is "dns: with NEW's key beside OLD's, exit 0" "$?" 0 || echo "$out" | sed 's/^/#   /'

# ---- TLSA records that cannot be read: neither verified nor "no TLSA" ----
# The lab's server stops answering OLD's TLSA queries of _25._tcp.mail (27
# bytes of name: the query type at byte 47 of the UDP datagram), as
# middleboxes that drop unknown query types do; it answers every other.
tlsa_drop() {	# tlsa_drop on|off
	if [ "$1" = on ]; then
		in_router nft -f - <<-EOF || bail "cannot drop the TLSA queries"
		table inet tlsa_drop {
			chain input {
				type filter hook input priority filter; policy accept;
				ip saddr $OLD4 udp dport 53 @th,376,16 52 drop
			}
		}
		EOF
	else
		in_router nft delete table inet tlsa_drop || bail "cannot stop dropping TLSA queries"
	fi
}
tlsa_drop on
out=$(redirect dns example.org 2>&1)
is "dns: the TLSA records of mail:25 cannot be read: exit 3 (unknown)" "$?" 3 ||
	echo "$out" | sed 's/^/#   /'
like "... the TLS section names the name, the server and how it failed" "$(flat <<<"$out")" \
	"TLS mail.example.org port 25 \(MX\): TLSA RECORDS UNKNOWN: ns.example.org \($NS_ADDR\) did not answer"
unlike "... and never says there are none" "$out" "port 25 \(MX\): no TLSA records"
json=$(redirect dns example.org --json 2>/dev/null)
is "... JSON: status unknown; tlsa unknown, with the error" \
	"$(jq -r '[.status, (.domains[0].tls[] | select(.port == 25) | .tlsa, .tlsa_error)] |
		join("|")' <<<"$json")" "unknown|unknown|ns.example.org ($NS_ADDR) did not answer"
out=$(redirect enable --to $NEW4 --to $NEW6 --dry-run 2>&1)
like "enable --dry-run warns that the TLSA records cannot be read: which name, which server" \
	"$(flat <<<"$out")" \
	"warning: cannot read the TLSA records of _25._tcp.mail.example.org: ns.example.org \($NS_ADDR\) did not answer"
unlike "... and does not call the identity verified" "$out" "TLS identity verified"
tlsa_drop off

# ---- check: a renewal that changed NEW's key is the classic outage ----
redirect enable --to $NEW4 --to $NEW6 >/dev/null 2>&1 || bail "enable"
out=$(redirect check --quiet-for 1s --nagios)
unlike "check --nagios with NEW's key published: no TLS trouble" "$out" "CRITICAL"
prom=$(redirect stats --prometheus)
like "stats --prometheus: redirect_tls_ok 1 for port 25, mail.example.org" "$prom" \
	'redirect_tls_ok\{port="25",name="mail.example.org"\} 1'
like "... and the certificate's expiry" "$prom" \
	'redirect_tls_expiry_timestamp_seconds\{port="25",name="mail.example.org"\} [0-9]{10}'
written=$(awk '!/^#/ { sub(/[{ ].*/, ""); print }' <<<"$prom" | sort -u)
is "... every TLS metric of contrib/prometheus/metrics.txt is written" \
	"$(grep '^redirect_tls_' "$(dirname "$0")/../../contrib/prometheus/metrics.txt" | sort -u |
		comm -23 - <(printf '%s\n' "$written"))" ""
# cron runs check every few minutes: the TLS handshakes are made again only a
# day after the last ones (counted as SYNs arriving at NEW's mail ports: from
# OLD's tunnel address, and in all)
OLD_TUNNEL4=169.254.77.1	# the tunnel's legacy id, which accept and enable use given none
syn_count() {	# syn_count on|off
	if [ "$1" = on ]; then
		in_new nft -f - <<-EOF || bail "cannot count SYNs on NEW"
		table inet syn_count {
			set mail { type inet_service; elements = { 25, 110, 143, 465, 587, 993, 995 }; }
			chain input {
				type filter hook input priority filter; policy accept;
				tcp flags syn / syn,ack tcp dport @mail ip saddr $OLD_TUNNEL4 counter
				tcp flags syn / syn,ack tcp dport @mail counter
			}
		}
		EOF
	else
		in_new nft delete table inet syn_count || bail "cannot stop counting SYNs on NEW"
	fi
}
# "FROM-THE-TUNNEL ALL"
syns() { in_new nft list table inet syn_count | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' |
	paste -sd ' '; }
# the last TLS check made to look TIME old, in the newest record (enable
# leaves its outcome in state.pending until the next durable write)
age_tls_check() {	# age_tls_check TIME
	local f
	for f in "$STATE/state" "$STATE/state.pending"; do
		[ ! -f "$f" ] || sed -i "s/^tls_checked .*/tls_checked $1/" "$f"
	done
}
syn_count on
checked=$(sed -n 's/^tls_checked //p' "$STATE/state")
json=$(redirect check --quiet-for 1s --json)
is "check within a day of the last TLS check: no connection to NEW's mail ports" "$(syns)" "0 0"
is "... the last result stands: tls ok, checked_at its time, as the state keeps it" \
	"$(jq -r '[.tls.ok, .tls.checked_at] | join("|")' <<<"$json")|$(sed -n 's/^tls_checked //p' \
		"$STATE/state")" "true|$checked|$checked"
aged=$(($(date +%s) - 2 * 86400))	# a day old: check makes the handshakes again
age_tls_check "$aged"
json=$(redirect check --quiet-for 1s --json)
is "a day later, check makes the handshakes again: one per port, family and name" "$(syns)" \
	"0 10"
is "... and keeps their time (now, not a day ago)" \
	"$(($(jq -r .tls.checked_at <<<"$json") > aged + 86400))" 1
syn_count off

# a check that cannot check (a libssl that cannot be loaded) keeps the last good result
age_tls_check "$aged"
tls_kept=$(grep '^tls_' "$STATE/state")
mkdir -p "$WORK/nossl" && : >"$WORK/nossl/libssl.so.3"
out=$(LD_LIBRARY_PATH=$WORK/nossl redirect check --quiet-for 1s 2>&1)
like "check with a libssl that cannot be loaded: it says it cannot check the TLS identity" \
	"$out" "TLS: cannot check the TLS identity: cannot use TLS"
json=$(LD_LIBRARY_PATH=$WORK/nossl redirect check --quiet-for 1s --json 2>/dev/null)
is "... and is not ready, the day-old result standing for no check (exit 1)" \
	"$? $(jq -r '[.status, .tls.ok] | join("|")' <<<"$json")" "1 in-use|false"
is "... and the state keeps the last good result, its time too" \
	"$(grep '^tls_' "$STATE/state")" "$tls_kept"
# TLSA records that cannot be read: not ok, said, and a day-old result checked again
age_tls_check "$aged"
tlsa_drop on
json=$(redirect check --quiet-for 1s --json)
is "check while the TLSA records cannot be read: not ready (exit 1)" "$?" 1
is "... JSON: in use, tls not ok" "$(jq -r '[.status, .tls.ok] | join("|")' <<<"$json")" \
	"in-use|false"
like "... the message names the name and the server" "$(jq -r .message <<<"$json")" \
	"TLS: cannot read the TLSA records of _25._tcp.mail.example.org: ns.example.org \($NS_ADDR\) did not answer"
like "... stats --prometheus: redirect_tls_ok 0 for port 25" "$(redirect stats --prometheus)" \
	'redirect_tls_ok\{port="25",name="mail.example.org"\} 0'
tlsa_drop off
new_with new-renewed
age_tls_check "$aged"	# the daily check
out=$(redirect check --quiet-for 1s --nagios)
rc=$?
[ -n "${TLS_SHOW:-}" ] && { echo "$out"; redirect check --quiet-for 1s --json; } >"$TLS_SHOW/check.txt"
is "check --nagios after NEW's key changed with the TLSA pinning the old one: exit 2" "$rc" 2
like "... CRITICAL, naming the TLSA" "$out" "^REDIRECT CRITICAL - .*_25._tcp.mail.example.org"
redirect check --quiet-for 1s >/dev/null
is "... plain check: not ready (exit 1)" "$?" 1
like "... and stats --prometheus says redirect_tls_ok 0, without a handshake" \
	"$(redirect stats --prometheus)" 'redirect_tls_ok\{port="25",name="mail.example.org"\} 0'

check "disable" redirect disable
is "OLD is as it was" "$(host_state "$NS_OLD")" "$old_before"

# ---- accept on NEW checks its own servers; enable checks through the tunnel ----
publish $OLD4 "$TLSA_OLD" "$TLSA_NEW"
new_with new-short
new_before=$(host_state "$NS_NEW")
out=$(redirect_new accept --from $OLD4 --name mail.example.org 2>&1)
is "accept --name on NEW refuses when its own certificate lacks the name" "$?" 1
like "... saying which" "$(flat <<<"$out")" "is for new.example.org, not for mail.example.org"
is "... nothing changed on NEW" "$(host_state "$NS_NEW")" "$new_before"
new_with new
out=$(redirect_new accept --from $OLD4 --name mail.example.org 2>&1)
is "accept --name with the right certificate" "$?" 0 || echo "$out" | sed 's/^/#   /'
like "... says what it verified" "$(flat <<<"$out")" "TLS identity verified in [0-9]+ handshakes"
syn_count on
out=$(redirect enable --to $NEW4 --keep-client-address 2>&1)
is "enable --keep-client-address: the TLS check through the tunnel passes" "$?" 0 ||
	echo "$out" | sed 's/^/#   /'
like "... and says what it verified" "$(flat <<<"$out")" "TLS identity verified in [0-9]+ handshakes"
shakes=$(flat <<<"$out" | sed -n 's/.*TLS identity verified in \([0-9]*\) handshakes.*/\1/p')
like "... the banner probe through the tunnel left to the ports no TLS check covers (465, 587)" \
	"$(flat <<<"$out")" "answers like a mail server through the tunnel on all 2 ports probed"
is "... every probe came from OLD's tunnel address: the handshakes and the 2 banner probes" \
	"$(syns)" "$((shakes + 2)) $((shakes + 2))"
# check through the tunnel, a day later: the handshakes again, through it
age_tls_check $(($(date +%s) - 2 * 86400))
json=$(redirect check --quiet-for 1s --json)
is "check --json in tunnel mode: tls ok, no problem" \
	"$(jq -r '[.tls.ok, (.tls.problems | length), .broken] | join("|")' <<<"$json")" "true|0|false" ||
	echo "$json" | sed 's/^/#   /'
is "... its handshakes through the tunnel, from OLD's tunnel address" "$(syns)" \
	"$((2 * shakes + 2)) $((2 * shakes + 2))"
syn_count off
check "disable on OLD" redirect disable
check "disable on NEW" redirect_new disable
is "OLD is as it was again" "$(host_state "$NS_OLD")" "$old_before"
is "NEW is as it was" "$(host_state "$NS_NEW")" "$new_before"
