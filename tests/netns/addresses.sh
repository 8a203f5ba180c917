#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A host with many addresses, as a mail server with one per hosted domain
# has: stats names every address the redirect catches connections to, in
# text and in JSON (it once stopped at 16 without a word), and the last of
# them is redirected like the first.
. "$(dirname "$0")/lib.sh"
lab_up

EXTRA4=40 EXTRA6=8
for ((i = 100; i < 100 + EXTRA4; i++)); do
	addr "$NS_OLD" "${P}o0" "203.0.113.$i/24"
done
for ((i = 1; i <= EXTRA6; i++)); do
	addr "$NS_OLD" "${P}o0" "2001:db8:1::a$i/64"
done
LAST4=203.0.113.$((100 + EXTRA4 - 1)) LAST6=2001:db8:1::a$EXTRA6
serve "$NS_NEW" new 25

out=$(redirect enable --to $NEW4 --to $NEW6 --service smtp --no-probe 2>&1)
is "enable succeeds on a host with $((EXTRA4 + EXTRA6 + 4)) addresses" "$?" 0

json=$(redirect stats --json)
# OLD4, OLDN4, OLD6, OLDN6 and the extra ones; loopback and link-local are no client's
is "stats --json lists every address of this host" \
	"$(jq '.addresses | length' <<<"$json")" "$((EXTRA4 + EXTRA6 + 4))"
is "... the last IPv4 one among them" \
	"$(jq --arg a "$LAST4" '[.addresses[] | select(. == $a)] | length' <<<"$json")" 1
is "... and the last IPv6 one" \
	"$(jq --arg a "$LAST6" '[.addresses[] | select(. == $a)] | length' <<<"$json")" 1
text=$(redirect stats | grep "for connections to this host's")
is "stats names as many in text" "$(($(tr -cd , <<<"$text" | wc -c) + 1))" \
	"$((EXTRA4 + EXTRA6 + 4))"
like "... the last of them too" "$text" " $LAST6(,|$)"

is "a connection to the last IPv4 address lands on NEW" "$(banner "$LAST4" 25)" \
	"220 new $OLDN4"
is "a connection to the last IPv6 address lands on NEW" "$(banner "$LAST6" 25)" \
	"220 new [$(full6 $OLDN6)]"
