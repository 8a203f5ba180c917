#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The whole migration, rehearsed with real mail servers: not one mail
# lost. Mail flows to OLD; OLD's MTA stops and the senders queue; the final
# sync copies OLD's mailbox to NEW; redirect enable; the queues drain
# through OLD's address into NEW. Every message must be in NEW's mailbox
# exactly once, IMAP and POP3 at OLD's address must read NEW's mailbox,
# stats must have counted it all, and an SMTP session open across disable
# must complete.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mail.sh"
lab_up
mail_require
mail_new_start
mail_old_start
mail_client_start
ruleset_before=$(ruleset "$NS_OLD")
sysctls_before=$(sysctls "$NS_OLD")

exactly_once() {	# exactly_once ID...: each ID once in NEW's Maildir, nothing else twice
	local ids id
	ids=$(mail_ids new)
	for id in "$@"; do
		[ "$(grep -cxF -- "$id" <<<"$ids")" = 1 ] || { echo "$id: $(grep -cxF -- "$id" <<<"$ids") times"; return 1; }
	done
	[ -z "$(uniq -d <<<"$ids")" ] || { echo "twice: $(uniq -d <<<"$ids")"; return 1; }
}

# 1. Before the switch: mail to OLD lands in OLD's mailbox.
for i in 1 2 3; do mail_send "before-$i@example.net"; done
mail_client_flush
check "before the switch, mail to OLD lands on OLD" \
	mail_wait 30 mail_has old before-1@example.net before-2@example.net before-3@example.net

# 2. The old daemons stop: senders keep their mail and retry.
mail_old_stop
for i in 1 2 3; do mail_send "during-$i@example.net"; done
check "with OLD's MTA stopped, the sender retries" \
	mail_wait 30 test "$(mail_client_tries during-1@example.net)" -ge 1
is "... and keeps all three messages queued" "$(mail_client_queued)" 3

# 3. The final sync of the mailboxes (what rsync -a does between hosts).
cp -a "$MAIL_DIR/old/mail/$MAIL_USER/Maildir/." "$MAIL_DIR/new/mail/$MAIL_USER/Maildir/"
check "the final sync brought OLD's mail to NEW" \
	mail_has new before-1@example.net before-2@example.net before-3@example.net

# 4. The switch, with the pre-flight probe of every NEW port.
out=$(redirect enable --to $NEW4 --to $NEW6 2>&1 | tr '\n' ' ' | sed 's/  */ /g'; exit "${PIPESTATUS[0]}")
is "redirect enable succeeds" "$?" 0
like "... after NEW answered like a mail server on every port" "$out" \
	"answers like a mail server on all 14 ports probed"

# 5. The queue drains through OLD's address into NEW.
mail_client_flush
check "the queued mail arrives on NEW through OLD's address" \
	mail_wait 30 mail_has new during-1@example.net during-2@example.net during-3@example.net
check "the sender's queue is empty" mail_wait 10 test "$(mail_client_queued)" = 0
mail_send after-1@example.net
mail_client_flush
check "mail sent to OLD after the switch lands on NEW" mail_wait 30 mail_has new after-1@example.net
check "submission on OLD's port 587 reaches NEW" mail_smtp $OLD4 587 submitted-1@example.net
check "... and lands there" mail_wait 30 mail_has new submitted-1@example.net
all="after-1@example.net before-1@example.net before-2@example.net before-3@example.net
during-1@example.net during-2@example.net during-3@example.net submitted-1@example.net"
check "every message is in NEW's mailbox exactly once" exactly_once $all
is "... and nothing is left in OLD's but what came before" "$(mail_ids old | tr '\n' ' ')" \
	"before-1@example.net before-2@example.net before-3@example.net "

# 6. Users with OLD's address in their clients read NEW's mailbox.
is "IMAP at OLD's IPv4 address reads NEW's mailbox" "$(mail_imap_ids $OLD4 | tr '\n' ' ')" \
	"$(tr '\n' ' ' <<<"$all" | tr ' ' '\n' | sort | tr '\n' ' ')"
is "POP3 at OLD's IPv6 address reads NEW's mailbox" "$(mail_pop3_ids $OLD6 | wc -l)" 8
is "IMAP over TLS (993) at OLD's address too" "$(mail_imap_ids $OLD4 993 | wc -l)" 8

# 7. stats counted the sessions.
json=$(redirect stats --json)
svc() { jq -r --arg n "$1" ".services[] | select(.name == \$n) | .$2" <<<"$json"; }
check "stats counted SMTP on port 25" test "$(svc smtp connections)" -ge 2
is "... one submission" "$(svc submission connections)" 1
check "... IMAP" test "$(svc imap connections)" -ge 1
check "... POP3" test "$(svc pop3 connections)" -ge 1
check "... IMAP over TLS" test "$(svc imaps connections)" -ge 1
check "... and the bytes they carried" test "$(jq .bytes <<<"$json")" -gt 1000
is "the client's two addresses are the stale sources" \
	"$(jq -r '[.sources[].address] | sort | join(" ")' <<<"$json")" "$CLIENT6 $CLIENT4"
redirect check >/dev/null
is "check: the old host is still in use" "$?" 1

# 8. An SMTP session open across disable completes.
smtp_until() {	# smtp_until CODE: reads the session's lines up to "CODE "
	local line
	while line=$(session_hear late) && [ -n "$line" ]; do
		case $line in "$1 "*) return 0 ;; esac
	done
	return 1
}
session_open late $OLD4 25
check "a session to OLD's port 25 is greeted by NEW" smtp_until 220
session_say late "EHLO client.example.net"
smtp_until 250
session_say late "MAIL FROM:<$MAIL_FROM>"
smtp_until 250
background "$WORK/disable.out" redirect disable --wait 30
disable_pid=$BACKGROUND_PID
wait_until 10 grep -q "no longer redirected" "$WORK/disable.out"
is "during disable, new connections no longer reach NEW" "$(banner $OLD4 25)" ""
session_say late "RCPT TO:<$MAIL_RCPT>"
check "the open session goes on: RCPT accepted" smtp_until 250
session_say late "DATA"
smtp_until 354
for line in "From: $MAIL_FROM" "To: $MAIL_RCPT" "Subject: across disable" \
	"Message-Id: <across-disable@example.net>" "" "Sent while the redirect was being disabled." "."; do
	session_say late "$line"
done
check "... and the message is accepted" smtp_until 250
session_say late QUIT
smtp_until 221
session_close late
wait "$disable_pid"
is "disable finishes once the session is done" "$?" 0
check "the message sent across disable is in NEW's mailbox" \
	mail_wait 30 mail_has new across-disable@example.net
is "the ruleset after disable is the ruleset before enable" "$(ruleset "$NS_OLD")" "$ruleset_before"
is "the settings after disable are the settings before enable" "$(sysctls "$NS_OLD")" "$sysctls_before"
