#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Hands in our table: a rule inserted, a chain added, renamed or changed,
# a set or an object added, a hand-made table under our name. stats and
# check say so (the first difference, with its handle); restore and enable
# put the table back as redirect installs it in one batch, keeping the
# counters and the stale sources; a switch removes what is not ours. What
# the admins' own save and reload (nft list > f; flush; nft -f f) gives
# back is no drift.
. "$(dirname "$0")/lib.sh"
lab_up
command -v jq >/dev/null || bail "jq is missing"
serve "$NS_NEW" new 25 143
A=(--to $NEW4 --to $NEW6 --service smtp,imap --no-probe)
redirect enable "${A[@]}" >/dev/null 2>&1 || bail "enable failed"
banner $OLD4 25 >/dev/null
banner $OLD4 143 >/dev/null
nft_old() { in_old nft "$@"; }
drift() { redirect stats --json | jq -r .drift; }
connections() { redirect stats --json | jq -r '[.services[].connections] | add'; }
sources() { redirect stats --json | jq -r '.sources | length'; }
installed=$(our_table)

is "as installed: no drift" "$(drift)" false
nft_old list ruleset >"$WORK/saved.nft"
nft_old flush ruleset
nft_old -f "$WORK/saved.nft"
is "nft list ruleset > f; nft flush ruleset; nft -f f: no drift either" "$(drift)" false
out=$(redirect restore)
like "... and restore finds nothing to do" "$out" "nothing changed"

# ---- a rule inserted: port 25 no longer redirected ----
nft_old insert rule inet mail_redirect prerouting tcp dport 25 accept
handle=$(nft_old -a list chain inet mail_redirect prerouting | awk '/dport 25 accept/ { print $NF }')
out=$(redirect stats)
is "a rule inserted by hand: stats exits 1" "$?" 1
like "... names the chain, the rule and its handle" "$(flat <<<"$out")" \
	"BROKEN: the table inet mail_redirect is not what redirect installed \(chain prerouting: its rule 1 \(handle $handle\) is not one redirect installs\)"
is "... --json: drift" "$(drift)" true
r=$(redirect check --quiet-for 1s --nagios)
is "check --nagios: CRITICAL" "$?" 2
like "... saying why" "$r" "^REDIRECT CRITICAL - broken: the table inet mail_redirect is not what redirect installed"
like "Prometheus: redirect_drift 1" "$(redirect stats --prometheus)" '^redirect_drift 1$'
before=$(connections)
out=$(redirect restore)
is "restore mends it: exit 0" "$?" 0
like "... says what it found" "$(flat <<<"$out")" "The table had been changed by hand \(chain prerouting: its rule 1 \(handle $handle\)"
like "... and that counters and sources were kept" "$(flat <<<"$out")" "its counters and stale sources kept"
is "... no drift now" "$(drift)" false
is "... the counters carried over" "$(connections)" "$before"
is "... the stale sources too" "$(sources)" 1
is "... and port 25 is redirected again" "$(banner $OLD4 25)" "220 new $OLDN4"

# ---- a chain added, a set, an object ----
nft_old add chain inet mail_redirect sneaky
nft_old add rule inet mail_redirect sneaky tcp dport 143 accept
nft_old add set inet mail_redirect extra '{ type ipv4_addr; }'
nft_old add quota inet mail_redirect q '{ over 100 mbytes; }'
like "an added chain is drift" "$(redirect check --quiet-for 1s | flat)" "chain sneaky is not redirect's"
out=$(redirect enable "${A[@]}" 2>/dev/null)
is "enable with the same arguments mends it" "$?" 0
unlike "... rather than saying nothing changed" "$out" "nothing changed"
like "... and says what it found" "$(flat <<<"$out")" "chain sneaky is not redirect's"
is "... the chain, the set and the quota are gone" \
	"$(nft_old list table inet mail_redirect | grep -cE 'sneaky|set extra|quota q')" 0
is "... no drift" "$(drift)" false

# ---- a chain renamed, a chain's policy changed ----
nft_old rename chain inet mail_redirect redirect_ipv4 elsewhere
like "a renamed chain is drift" "$(redirect stats | flat)" "chain elsewhere is not redirect's"
redirect restore >/dev/null
is "restore puts the chain back under its name" \
	"$(nft_old list table inet mail_redirect | grep -c 'chain redirect_ipv4 {')" 1
is "... and the other name is gone" "$(nft_old list table inet mail_redirect | grep -c elsewhere)" 0
nft_old add chain inet mail_redirect forward '{ type filter hook forward priority 0; policy drop; }'
like "a chain's policy changed: drift" "$(redirect stats | flat)" \
	"chain forward was changed by hand \(its type, hook, priority or policy\)"
redirect restore >/dev/null
like "restore makes the chain again, policy accept" \
	"$(nft_old list chain inet mail_redirect forward)" "policy accept"
is "... and the client gets through" "$(banner $OLD4 143)" "220 new $OLDN4"
is "... the counters still carried over" "$(( $(connections) >= before ))" 1

# ---- an element removed from a fixed set ----
nft_old delete element inet mail_redirect ports '{ 143 }'
like "an element taken out of a set: drift" "$(redirect stats | flat)" \
	"the elements of set ports are not the ones redirect installs"
redirect restore >/dev/null
is "restore puts it back" "$(drift)" false

# ---- a switch takes what is not ours with it ----
nft_old add chain inet mail_redirect sneaky
out=$(redirect enable --to $NEW4 --service smtp --no-probe 2>/dev/null)
is "a switch to other arguments: exit 0" "$?" 0
is "... and removes the chain that is not ours" \
	"$(nft_old list table inet mail_redirect | grep -c sneaky)" 0
is "... no drift" "$(drift)" false

# ---- a hand-made table under our name ----
redirect enable "${A[@]}" >/dev/null 2>&1
redirect enable "${A[@]}" --dry-run 2>/dev/null | grep -v '^#' |
	sed 's/tcp dport map @attempts/tcp dport map @connections/' >"$WORK/hand.nft"
nft_old delete table inet mail_redirect
nft_old -f "$WORK/hand.nft" || bail "cannot load the hand-made table"
like "a hand-made table with our comment, not quite ours: drift" "$(redirect stats | flat)" \
	"chain redirect_ipv4: its rule 2 \(handle [0-9]+\) is not one redirect installs"
redirect restore >/dev/null
is "restore makes it ours" "$(drift)" false

# ---- a table an older redirect made: its set of last attempts, which nobody read ----
redirect enable "${A[@]}" --dry-run 2>/dev/null | grep -v '^#' | awk '
	/^\tset last_answer \{/ {
		print "\tset last_attempt {\n\t\ttype inet_service\n\t\tsize 64"
		print "\t\tflags dynamic,timeout\n\t\ttimeout 7d\n\t}\n"
	}
	{ print }' | sed 's/map @attempts ct mark/map @attempts update @last_attempt { tcp dport } ct mark/' \
	>"$WORK/older.nft"
grep -q 'update @last_attempt' "$WORK/older.nft" || bail "cannot make an older table's text"
nft_old delete table inet mail_redirect
nft_old -f "$WORK/older.nft" || bail "cannot load an older redirect's table"
like "an older redirect's table is drift" "$(redirect stats | flat)" "is not one redirect installs"
out=$(redirect enable "${A[@]}" 2>/dev/null)
is "enable takes it over: exit 0" "$?" 0
is "... its set of last attempts is gone" \
	"$(nft_old list table inet mail_redirect | grep -c last_attempt)" 0
is "... no drift" "$(drift)" false

redirect disable --now >/dev/null
is "disable leaves no table" "$(nft_old list tables | grep -c mail_redirect)" 0
