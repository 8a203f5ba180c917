#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real connections through the redirect: every default port, both families;
# what must not be redirected is not; open sessions are never cut.
. "$(dirname "$0")/lib.sh"
lab_up

serve "$NS_NEW" new $MAIL_PORTS 2525
serve "$NS_OLD" old $MAIL_PORTS 2525
OLDN6_SEEN="[$(full6 $OLDN6)]" CLIENT6_SEEN="[$(full6 $CLIENT6)]"

is "before enable, OLD answers on its own address" "$(banner $OLD4 25)" "220 old $CLIENT4"

# A session opened before enable stays with OLD, before and after. OLD runs
# no other ruleset, so conntrack starts with enable and meets this session
# in the middle: it must not be redirected then.
session_open early $OLD4 143
is "a session opened before enable is with OLD" "$(session_hear early)" "220 old $CLIENT4"

out=$(redirect enable --to $NEW4 --to $NEW6 --no-probe 2>&1)
is "enable succeeds" "$?" 0
like "enable says what it did" "$out" "now go to $NEW4 and $NEW6"

for port in $MAIL_PORTS; do
	is "IPv4 port $port lands on NEW, masqueraded" "$(banner $OLD4 $port)" "220 new $OLDN4"
	is "IPv6 port $port lands on NEW, masqueraded" "$(banner $OLD6 $port)" "220 new $OLDN6_SEEN"
done
is "a port not selected stays with OLD (IPv4)" "$(banner $OLD4 2525)" "220 old $CLIENT4"
is "a port not selected stays with OLD (IPv6)" "$(banner $OLD6 2525)" "220 old $CLIENT6_SEEN"

session_say early ping
is "the session opened before enable still talks to OLD" "$(session_hear early)" ping

# NEW talking to OLD (the final sync, fetchmail) is never redirected.
new_to_old=$(in_new timeout 5 socat -T 3 - "TCP4:$OLDN4:25" </dev/null | head -n 1)
is "NEW reaches OLD itself over IPv4" "$new_to_old" "220 old $NEW4"
new_to_old=$(in_new timeout 5 socat -T 3 - "TCP6:[$OLD6]:25" </dev/null | head -n 1)
is "NEW reaches OLD itself over IPv6, even at OLD's client-side address" "$new_to_old" \
	"220 old [$(full6 $NEW6)]"

# A session open across disable completes; disable waits for it.
session_open late $OLD4 587
is "a redirected session is open" "$(session_hear late)" "220 new $OLDN4"
background "$WORK/disable.out" redirect disable --wait 20
disable_pid=$BACKGROUND_PID
wait_until 10 grep -q "no longer redirected" "$WORK/disable.out"
is "while it is open, new connections already go to OLD" "$(banner $OLD4 25)" "220 old $CLIENT4"
session_say late "still here"
is "the session open across disable keeps going" "$(session_hear late)" "still here"
session_close late
wait "$disable_pid"
is "disable finishes once the session has closed" "$?" 0
like "disable said it waited" "$(cat "$WORK/disable.out")" "1 redirected session is still open"
is "after disable, the table is gone" "$(in_old nft list tables)" ""
session_close early

# A session still open when --wait runs out: disable is not finished, and
# says so with a status a script cannot mistake for done.
redirect enable --to $NEW4 --no-probe >/dev/null 2>&1
session_open held $OLD4 587
session_hear held >/dev/null
out=$(redirect disable --wait 1 2>&1)
is "disable --wait with a session still open: exit 4, not 0" "$?" 4
like "... says it is not finished, and how it finishes" "$(flat <<<"$out")" \
	"not finished: 1 session is still open and keeps working; new connections are no longer redirected. The redirect is gone once .redirect disable. runs again after they have closed"
session_close held
wait_until 10 no_open_session 587
out=$(redirect disable 2>&1)
is "once it has closed, disable finishes: exit 0" "$?" 0

# A session older than the table's counters (a flush, then restore): disable
# still sees it and waits, though the counters say nothing was redirected.
redirect enable --to $NEW4 --no-probe >/dev/null 2>&1
session_open older $OLD4 587
session_hear older >/dev/null
in_old nft delete table inet mail_redirect
redirect restore >/dev/null
out=$(redirect disable --wait 1 2>&1)
is "after a flush and restore, disable still waits for the older session (exit 4)" "$?" 4
like "... naming it" "$out" "1 session is still open"
session_close older
redirect disable --now >/dev/null

# Without masquerade NEW sees the client itself (and routes back via OLD).
redirect enable --to $NEW4 --to $NEW6 --no-masquerade --no-probe >/dev/null
is "--no-masquerade: NEW sees the IPv4 client" "$(banner $OLD4 25)" "220 new $CLIENT4"
is "--no-masquerade: NEW sees the IPv6 client" "$(banner $OLD6 25)" "220 new $CLIENT6_SEEN"

# Excluded sources keep reaching OLD.
redirect enable --to $NEW4 --exclude 203.0.113.0/28 --no-probe >/dev/null
is "an excluded source still reaches OLD" "$(banner $OLD4 25)" "220 old $CLIENT4"
is "an IPv6 client is not redirected without an IPv6 target" "$(banner $OLD6 25)" \
	"220 old $CLIENT6_SEEN"

# --now cuts what is open.
redirect enable --to $NEW4 --no-probe >/dev/null
session_open cut $OLD4 25
session_hear cut >/dev/null
out=$(redirect disable --now 2>&1)
like "disable --now removes everything" "$out" "disabled"
is "after disable --now, the table is gone" "$(in_old nft list tables)" ""
session_close cut
