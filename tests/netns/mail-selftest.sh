#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The mail servers of mail.sh on their own, without redirect: the client's
# Postfix relays to OLD's and queues what OLD doesn't take, NEW's Postfix
# delivers into the Maildir that NEW's Dovecot serves over IMAP and POP3,
# and nothing started is left behind.
# Message-Ids are single words, split on purpose:
# shellcheck disable=SC2046

# This test runs no redirect: it needs no build.
if [ -z "${REDIRECT:-}" ] && [ ! -x "$(dirname "$0")/../../src/redirect" ]; then
	REDIRECT=/bin/true
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mail.sh"
lab_up
mail_require

# Without redirect, OLD routes between its two sides so that the client can
# reach NEW's own address (as it can once redirect is enabled).
in_old sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

# Conditions for mail_wait, evaluated anew at each poll.
queued() { [ "$(mail_client_queued)" = "$1" ]; }
retried() { [ "$(mail_client_tries "$1")" -ge "$2" ]; }
ids() { local i; for i in "$@"; do echo "$i.$P@example.net"; done | sort; }
words() { echo "$*"; }

mail_new_start
mail_old_start
mail_client_start
like "NEW's Postfix answers on 25" "$(mail_banner $NEW4 25)" "^220 new\.example\.org ESMTP"
like "NEW's Postfix answers on 587 (IPv6)" "$(mail_banner $NEW6 587)" "^220 new\.example\.org ESMTP"
like "NEW's Dovecot answers IMAP on 143" "$(mail_banner $NEW4 143)" "^\* OK .*ready"
like "NEW's Dovecot answers POP3 on 110 (IPv6)" "$(mail_banner $NEW6 110)" "^\+OK .*ready"
like "OLD's Postfix answers on 25" "$(mail_banner $OLD4 25)" "^220 old\.example\.org ESMTP"

# Through the client's queue to OLD.
for id in $(ids old1 old2 old3); do
	mail_send "$id"
done
if mail_wait 15 mail_has old $(ids old1 old2 old3); then
	ok "3 messages sent on the client land in OLD's Maildir"
else
	not_ok "3 messages sent on the client land in OLD's Maildir" "$(mail_ids old)" "$(mail_logs)"
fi
is "OLD's Maildir holds exactly those" "$(words $(mail_ids old))" "$(words $(ids old1 old2 old3))"
mail_wait 5 queued 0
is "the client's queue is empty again" "$(mail_client_queued)" 0
is "nothing reached NEW" "$(mail_ids new)" ""

# OLD's MTA stopped: the client keeps its mail and keeps trying.
mail_old_stop
is "with OLD's MTA stopped, nothing answers on OLD:25" "$(mail_banner $OLD4 25)" ""
for id in $(ids queued1 queued2); do
	mail_send "$id"
done
for id in $(ids queued1 queued2); do
	if mail_wait 40 retried "$id" 2; then	# the retry comes later under load
		ok "the client tried $id, failed, and tried again by itself"
	else
		not_ok "the client tried $id, failed, and tried again by itself" \
			"tries: $(mail_client_tries "$id")" "$(mail_logs 60)"
	fi
done
is "both are still queued on the client" "$(mail_client_queued)" 2
t1=$(mail_client_tries "$(ids queued1)") t2=$(mail_client_tries "$(ids queued2)")
check "a flush of the client's queue is accepted" mail_client_flush
# each tried (and failed) once more since: look at the queue then
tried_again() { retried "$(ids queued1)" $((t1 + 1)) && retried "$(ids queued2)" $((t2 + 1)); }
mail_wait 10 tried_again
is "after the flush both are still queued" "$(mail_client_queued)" 2
is "and OLD's Maildir did not change" "$(words $(mail_ids old))" "$(words $(ids old1 old2 old3))"

# Straight from the client to NEW's address, on 25, 587 and 465, both
# families.
check "NEW accepts mail on 25 over IPv4" mail_smtp $NEW4 25 "$(ids new1)"
check "NEW accepts mail on 587 over IPv6" mail_smtp $NEW6 587 "$(ids new2)"
check "NEW accepts mail on 587 over IPv4" mail_smtp $NEW4 587 "$(ids new3)"
news=(new1 new2 new3)
if [ "$MAIL_TLS" = 1 ]; then
	check "NEW accepts mail on 465 (TLS) over IPv6" mail_smtp $NEW6 465 "$(ids new4)"
	news+=(new4)
fi
check_fails "NEW refuses mail for an unknown user" mail_smtp $NEW4 25 "$(ids x1)" "nobody@$MAIL_DOMAIN"
check_fails "NEW refuses to relay" mail_smtp $NEW4 25 "$(ids x2)" someone@example.com
want=$(words $(ids "${news[@]}"))
if mail_wait 10 mail_has new $(ids "${news[@]}"); then
	ok "they land in NEW's Maildir"
else
	not_ok "they land in NEW's Maildir" "$(mail_ids new)" "$(mail_logs)"
fi
is "NEW's Maildir holds exactly those" "$(words $(mail_ids new))" "$want"
is "IMAP at NEW's IPv4 address lists them" "$(words $(mail_imap_ids $NEW4))" "$want"
is "IMAP at NEW's IPv6 address lists them" "$(words $(mail_imap_ids $NEW6))" "$want"
is "POP3 at NEW's IPv4 address lists them" "$(words $(mail_pop3_ids $NEW4))" "$want"
is "POP3 at NEW's IPv6 address lists them" "$(words $(mail_pop3_ids $NEW6))" "$want"
if [ "$MAIL_TLS" = 1 ]; then
	is "IMAP over TLS (993) lists them" "$(words $(mail_imap_ids $NEW4 993))" "$want"
	is "POP3 over TLS (995) lists them" "$(words $(mail_pop3_ids $NEW6 995))" "$want"
fi
check_fails "IMAP refuses a wrong password" \
	in_client curl -sS -g --max-time 10 -u "$MAIL_USER:wrong" "imap://$NEW4/INBOX"
check_fails "POP3 refuses a wrong password" \
	in_client curl -sS -g --max-time 10 -u "$MAIL_USER:wrong" "pop3://$NEW4/"

# OLD's MTA back: the queued mail goes out on the client's own retry.
mail_old_start
if mail_wait 15 mail_has old $(ids queued1 queued2); then
	ok "once OLD's MTA is back, the queued mail reaches it without a flush"
else
	not_ok "once OLD's MTA is back, the queued mail reaches it without a flush" "$(mail_logs)"
fi
mail_wait 5 queued 0
is "the client's queue is empty again" "$(mail_client_queued)" 0

# Everything stops by PID, whole process groups, and leaves nothing behind.
masters=("${MAIL_PID[@]}")
is "4 daemons were started (3 Postfix, 1 Dovecot)" "${#masters[@]}" 4
mail_cleanup
left=$(ps -eo pid=,sid=,stat=,user=,args= | awk -v s=" ${masters[*]} " 'index(s, " " $2 " ") && $3 !~ /^Z/')
is "no process of any mail daemon's session is left" "$left" ""
left=$(pgrep -a -f -- "$WORK")
is "no process runs from the work directory" "$left" ""
is "the daemons' PIDs are no longer recorded" "${#MAIL_PID[@]}" 0
left=$(ls -d /etc/netns/"$P"-* 2>/dev/null | grep -vxF -f <(printf '%s\n' "${LAB_ETC[@]}"))
is "the /etc/netns directories the mail servers made are gone (the lab's go with it)" "$left" ""
