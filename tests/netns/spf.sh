#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The mail that masquerade loses, and the tunnel delivers. NEW runs Postfix
# with Debian's SPF policy at its defaults (postfix-policyd-spf-python,
# Mail_From_reject = Fail) and Dovecot; a real DNS server (NSD) in NEW's
# namespace publishes the sender domain's "-all" record, which allows the
# client's own addresses only. The client's Postfix queues and relays to
# OLD's address, in the lab of a real migration (lib.sh's lab4_up).
#   masquerade:             NEW sees OLD, SPF fails, 550 5.7.23, the mail bounces
#   --keep-client-address:  NEW sees the client, SPF passes, the mail lands once
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mail.sh"
. "$(dirname "$0")/dns.sh"
MAIL_SPF=1
lab4_up
mail_require
dns_require

# The sender's domain allows the client's addresses, and nothing else.
mail_new_start
dns_server spf "$NS_NEW" 127.0.0.1
dns_zone spf example.net <<-EOF
	\$TTL 60
	@ SOA ns.example.net. hostmaster.example.net. 1 3600 600 86400 60
	@ NS ns.example.net.
	ns A 127.0.0.1
	@ TXT "v=spf1 ip4:$CLIENT4 ip6:$CLIENT6 -all"
EOF
zone_org() {	# zone_org SERIAL MAIL_A: the migrating domain, its MX host at MAIL_A
	cat <<-EOF
	\$TTL 60
	@ SOA ns.example.org. hostmaster.example.org. $1 3600 600 86400 60
	@ NS ns.example.org.
	ns A 127.0.0.1
	@ MX 10 mail.example.org.
	mail A $2
	EOF
}
zone_org 1 $NEW4 | dns_zone spf example.org
dns_start spf
mail_client_start
old_before=$(host_state "$NS_OLD")
new_before=$(host_state "$NS_NEW")

# ---- through masquerade: rejected, bounced ----
redirect enable --to $NEW4 --to $NEW6 --service smtp --no-probe >/dev/null ||
	bail "enable with masquerade"
mail_send masq-1@example.net
mail_wait 30 grep -q "message-id=<masq-1@example.net>" "$MAIL_DIR/client/postfix.log"
mail_wait 30 grep -q "5.7.23" "$MAIL_DIR/client/postfix.log"
log=$(cat "$MAIL_DIR/client/postfix.log")
like "through masquerade NEW rejects the mail: 550 5.7.23, SPF fail" "$log" \
	"said: 550 5.7.23 .*SPF fail"
like "... because it sees OLD's address, not the client's" "$(cat "$MAIL_DIR/new/postfix.log")" \
	"NOQUEUE: reject: RCPT from [^ ]*\\[$OLD4\\]: 550 5.7.23"
is "... and the sender's MTA bounces it: the mail is lost" \
	"$(mail_client_status masq-1@example.net)" bounced
if mail_has new masq-1@example.net; then
	not_ok "... and it is not in NEW's mailbox"
else
	ok "... and it is not in NEW's mailbox"
fi

# ---- through the tunnel: delivered, once ----
# the documented two commands, as they stand: no tunnel id on either end
redirect_new accept --from $OLD4 --from $OLD6 >/dev/null || bail "accept"
out=$(redirect enable --to $NEW4 --to $NEW6 --keep-client-address 2>&1)
is "switching to --keep-client-address, the probe through the tunnel passing" "$?" 0 ||
	echo "$out" | sed 's/^/#   /'
for id in tunnel-1 tunnel-2 tunnel-3; do
	mail_send "$id@example.net"
done
if mail_wait 60 mail_has new tunnel-1@example.net tunnel-2@example.net tunnel-3@example.net; then
	ok "through the tunnel every message lands in NEW's mailbox"
else
	not_ok "through the tunnel every message lands in NEW's mailbox" "$(mail_logs)"
fi
is "... each exactly once" "$(mail_ids new | grep -c '^tunnel-')" 3
msg=$(grep -l "tunnel-1@example.net" -r "$MAIL_DIR/new/mail" | head -n 1)
like "... with SPF's pass in its header" "$(cat "$msg")" "Received-SPF: Pass .*client-ip=$CLIENT4"
like "... and the client's own address in its Received header" "$(cat "$msg")" \
	"Received: from client.example.net \\(unknown \\[$CLIENT4\\]\\)"
got=""
for id in tunnel-1 tunnel-2 tunnel-3; do
	got+="$(mail_client_status "$id@example.net") "
done
is "... and the sender's MTA logs each as sent" "$got" "sent sent sent "

# ---- IMAP and POP3 through the tunnel: Dovecot sees the client ----
ids=$(mail_imap_ids $OLD4)
like "IMAP at OLD's address reads NEW's mailbox" "$ids" "tunnel-1@example.net"
ids=$(mail_pop3_ids $OLD6)
like "POP3 at OLD's IPv6 address too" "$ids" "tunnel-2@example.net"
dlog=$(cat "$MAIL_DIR/new/dovecot/dovecot.log")
like "Dovecot logs the client's own IPv4 address" "$dlog" "imap-login: Info: Login: .*rip=$CLIENT4"
like "... and its own IPv6 address" "$dlog" "pop3-login: Info: Login: .*rip=$CLIENT6"
unlike "... no login ever from OLD's (only OLD's probe, which logs in to nothing)" \
	"$(grep 'Login:' <<<"$dlog")" "rip=($OLD4|$OLD6|169\\.254\\.|fd6d:)"

# ---- check --domain on NEW: the old answers are those naming OLD, not NEW ----
out=$(redirect_new check --quiet-for 1s --domain example.org 2>&1)
like "NEW's check --domain: an MX host on NEW's address is the new answer" "$out" \
	"DNS is clean"
unlike "... and DNS does not hold it back for naming NEW" "$out" "DNS still names"
zone_org 2 $OLD4 | dns_zone spf example.org
dns_reload spf example.org 2
like "an MX host still on OLD's address holds NEW's check back, named as the old host's" \
	"$(redirect_new check --quiet-for 1s --domain example.org 2>&1)" \
	"DNS still names the old host: .*mail.example.org A $OLD4"

# ---- the end: both hosts as before ----
check "disable on OLD" redirect disable
check "disable on NEW" redirect_new disable
is "OLD is as it was" "$(host_state "$NS_OLD")" "$old_before"
is "NEW is as it was" "$(host_state "$NS_NEW")" "$new_before"
