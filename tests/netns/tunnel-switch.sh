#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Sessions through a switch, in the lab of a real migration (lib.sh's
# lab4_up) with a second new server (lab4_new2_up), real long-lived
# sessions (lib.sh's session_*):
#   a refused enable changes nothing, byte for byte (a --to typo in tunnel
#   mode); a switch of --to to another NEW that ran accept keeps the open
#   sessions of the first, through its link beside the new one, until they
#   have closed;
#   disable finds open sessions by the conntrack mark, also of a service a
#   switch took out, and after the table was deleted and put back;
#   a switch between masquerade and the tunnel ends the sessions of the
#   mode it leaves, and says how many;
#   NEW's disable refuses while the old server uses the tunnel; OLD then
#   sees NEW's end gone as broken;
#   after OLD's disable --now, NEW's disable does not wait for sessions
#   already dead.
. "$(dirname "$0")/lib.sh"
lab4_up
lab4_new2_up
trap '' PIPE
command -v jq >/dev/null || bail "jq is missing"
serve_mail "$NS_NEW" new 25 143
serve_mail "$NS_NEW2" new2 25 143

declare -A SESSION_PID
open_session() {	# open_session NAME ADDRESS PORT: its greeting heard
	session_open "$1" "$2" "$3"
	SESSION_PID[$1]=${PIDS[-1]}
	session_hear "$1" >/dev/null
}
works() {	# works NAME: a line said comes back
	session_say "$1" "ping-$1"
	[ "$(session_hear "$1")" = "ping-$1" ]
}
reset_soon() {	# reset_soon NAME: a line said, and the session's client has gone in 3s
	local i
	session_say "$1" "ping-$1"
	for i in $(seq 30); do
		kill -0 "${SESSION_PID[$1]}" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}
accept_id() {	# accept_id REDIRECT-COMMAND ARGS...: accept, and its tunnel id
	local out
	out=$("$@" 2>&1) || bail "accept: $out"
	tunnel_id_of <<<"$out"
}
tid() { [ -n "$1" ] && echo "--tunnel-id $1"; }	# (none for a redirect before ids)
tunnel_neigh() { ip -n "$NS_OLD" neigh show | grep mail_redirect; }
# (less the countdown of dynamic sets' elements, which moves with the clock)
everything() {
	{ host_state "$NS_OLD"; tunnel_neigh; cat "$STATE/state"; } | sed 's/ expires [0-9a-z]*//g'
}

# ---- a refused enable changes nothing ----
ID=$(accept_id redirect_new accept --from $OLD4 --from $OLD6 --service smtp,imap)
redirect enable --to $NEW4 --to $NEW6 --keep-client-address $(tid "$ID") \
	--service smtp,imap >/dev/null 2>&1 || bail "enable --keep-client-address"
open_session first $OLD4 143
before=$(everything)
out=$(redirect enable --to 192.0.2.99 --keep-client-address $(tid "$ID") --service smtp,imap 2>&1)
is "enable --to a typo in tunnel mode is refused" "$?" 1
is "... and changes nothing (links, addresses, neighbours, rules, routes, ruleset, settings, state)" \
	"$(everything)" "$before"
if [ -n "$ID" ]; then
	like "... saying the id goes to NEW already" "$(flat <<<"$out")" \
		"tunnel $ID goes to $NEW4 already, and --to 192.0.2.99 is another server"
fi
out=$(redirect enable --to 192.0.2.99 --keep-client-address --tunnel-id 4444 \
	--service smtp,imap 2>&1)
is "an enable to a server that does not answer through the tunnel is refused" "$?" 1
is "... after its probe, through a link of its own made and removed again: nothing changed" \
	"$(everything)" "$before"
if works first; then ok "... the open session goes on"; else not_ok "... the open session goes on"; fi
is "... and new connections still reach NEW" "$(banner $OLD4 25)" "220 new $CLIENT4"

# ---- a switch of --to to another NEW keeps the first one's sessions ----
before=$(everything)
out=$(redirect enable --to $NEW2_6 --keep-client-address $(tid "$ID") --service smtp,imap 2>&1)
is "a switch to another NEW with the first tunnel's id is refused (the same addresses twice)" \
	"$?" 1
like "... saying why" "$(flat <<<"$out")" "tunnel ${ID:-2587} goes to $NEW4 already, and --to $NEW2_6 is another server"
like "... and how to get another id" "$(flat <<<"$out")" "run .redirect accept --tunnel-id random. on that server"
is "... and changes nothing" "$(everything)" "$before"
ID2=$(accept_id redirect_new2 accept --from $OLD6 --service smtp,imap --tunnel-id random)
out=$(redirect enable --to $NEW2_6 --keep-client-address $(tid "$ID2") --service smtp,imap 2>&1)
is "a switch to a second NEW that ran accept passes its probe" "$?" 0
like "... keeping the first tunnel for the session open through it" "$(flat <<<"$out")" \
	"The tunnel mail_redirect to $NEW4 stays for the sessions still open through it"
is "... new connections go to the second NEW" "$(banner $OLD6 25)" "220 new2 [$(full6 $CLIENT6)]"
if works first; then ok "... while the session open through the first goes on"
else not_ok "... while the session open through the first goes on"; fi
is "... and stats counts it open" "$(redirect stats --json | jq .active)" 1
out=$(redirect enable --to $NEW2_6 --keep-client-address $(tid "$ID2") --service smtp,imap 2>&1)
like "... and as long as it is open, the first tunnel stays" "$out" "already enabled"
session_close first
sleep 0.3
redirect enable --to $NEW2_6 --keep-client-address $(tid "$ID2") --service smtp,imap >/dev/null 2>&1
is "once it has closed, the next enable removes the first tunnel's link" \
	"$(ip -n "$NS_OLD" -o link show | grep -c 'mail_redirect[:@]')" 0
is "... and keeps the second's" "$(ip -n "$NS_OLD" -o link show | grep -c 'mail_redirect[0-9]')" 1
redirect disable --now >/dev/null 2>&1
redirect_new2 disable --force >/dev/null 2>&1 || redirect_new2 disable >/dev/null 2>&1

# ---- disable finds the sessions of a service a switch took out ----
redirect enable --to $NEW4 --service imap >/dev/null 2>&1 || bail "enable imap"
open_session imap $OLD4 143
redirect enable --to $NEW4 --service smtp >/dev/null 2>&1 || bail "enable smtp"
json=$(redirect stats --json)
is "after a switch from imap to smtp, stats counts the imap session open" "$(jq .active <<<"$json")" 1
is "... in a row of its own, imap no longer redirected" \
	"$(jq -c '[.services[] | select(.redirected == false) | .name, .active]' <<<"$json")" '["imap",1]'
redirect disable --wait 1 >/dev/null 2>&1
is "disable waits for it (and says so: exit 4)" "$?" 4
is "... forwarding stays on for it" "$(in_old cat /proc/sys/net/ipv4/ip_forward)" 1
if works imap; then ok "... and the session goes on"; else not_ok "... and the session goes on"; fi
session_close imap
redirect disable >/dev/null 2>&1 || bail "disable"
redirect enable --to $NEW4 --service imap >/dev/null 2>&1 || bail "enable imap"
open_session put-back $OLD4 143
in_old nft delete table inet mail_redirect
redirect enable --to $NEW4 --service imap >/dev/null 2>&1 || bail "enable imap again"
redirect disable --wait 1 >/dev/null 2>&1
is "after the table was deleted and enable put it back, disable waits for the session" "$?" 4
if works put-back; then ok "... which goes on"; else not_ok "... which goes on"; fi
session_close put-back
redirect disable >/dev/null 2>&1 || bail "disable"

# ---- a switch between masquerade and the tunnel ends the other mode's sessions ----
redirect enable --to $NEW4 --to $NEW6 --service smtp >/dev/null 2>&1 || bail "enable masquerade"
open_session masq $OLD4 25
out=$(redirect enable --to $NEW4 --to $NEW6 --keep-client-address $(tid "$ID") --service smtp 2>&1)
is "the switch from masquerade to the tunnel succeeds" "$?" 0
like "... saying it ended the session opened masqueraded" "$(flat <<<"$out")" \
	"Ended 1 session opened masqueraded"
if reset_soon masq; then ok "... which its sender sees reset (and reconnects)"
else not_ok "... which its sender sees reset (and reconnects)"; fi
is "... when NEW sees the client's own address" "$(banner $OLD4 25)" "220 new $CLIENT4"
unlike "... and no masqueraded session is left on OLD" \
	"$(in_old conntrack -L -p tcp --dport 25 2>/dev/null | grep ESTABLISHED)" \
	"src=$NEW4 dst=$OLD4 sport=25 "
open_session tunnelled $OLD4 25
out=$(redirect enable --to $NEW4 --to $NEW6 --service smtp 2>&1)
like "the switch back to masquerade ends the session through the tunnel" "$(flat <<<"$out")" \
	"Ended 1 session through the tunnel"
if reset_soon tunnelled; then ok "... which its sender sees reset"
else not_ok "... which its sender sees reset"; fi
is "... and the tunnel's link goes with it" "$(ip -n "$NS_OLD" -o link show | grep -c mail_redirect)" 0
redirect disable --now >/dev/null 2>&1

# ---- NEW's disable while the old server uses the tunnel ----
redirect enable --to $NEW4 --to $NEW6 --keep-client-address $(tid "$ID") --service smtp,imap \
	>/dev/null 2>&1 || bail "enable --keep-client-address"
banner $OLD4 25 >/dev/null
out=$(redirect_new disable 2>&1)
is "disable on NEW right after a connection came through the tunnel is refused" "$?" 1
like "... naming the old server and the last connection" "$(flat <<<"$out")" \
	"the old server $OLD4 sent a connection through the tunnel [0-9]+s ago \(from $CLIENT4, smtp\)"
like "... and --force" "$out" "--force"
is "... leaving NEW's end in place" "$(ip -n "$NS_NEW" -o link show | grep -c mail_redirect)" 1
is "... its knock at OLD's end (is it there?) unseen there: nothing dropped, nothing refused" \
	"$(redirect stats --json | jq -c '[.tunnel_dropped, .broken]')" "[0,false]"
# (--now: a session ended at OLD by the switch above lingers in NEW's conntrack)
redirect_new disable --force --now >/dev/null 2>&1
is "disable --force on NEW removes it" "$(ip -n "$NS_NEW" -o link show | grep -c mail_redirect)" 0
banner $OLD4 25 >/dev/null
json=$(redirect stats --json)
is "OLD's stats then call the redirect broken" "$(jq .broken <<<"$json")" true
text=$(flat <<<"$(redirect stats 2>&1)")
like "... saying NEW's end of the tunnel is gone" "$text" "the new server's end of the tunnel is gone"
unlike "... not blaming fail2ban" "$text" "fail2ban"
like "check says CRITICAL" "$(redirect check --nagios 2>&1)" "^REDIRECT CRITICAL - broken"

# ---- after OLD's disable --now, NEW waits for no session already dead ----
ID=$(accept_id redirect_new accept --from $OLD4 --from $OLD6 --service smtp,imap)
redirect enable --to $NEW4 --to $NEW6 --keep-client-address $(tid "$ID") --service smtp,imap \
	>/dev/null 2>&1 || bail "enable --keep-client-address"
open_session cut $OLD4 143
open_session idle $OLD4 143
redirect disable --now >/dev/null 2>&1 || bail "disable --now"
session_say cut "after the cut"
sleep 1
start=$(date +%s)
redirect_new disable --wait 10 >/dev/null 2>&1
is "NEW's disable --wait does not wait for sessions OLD cut (reset, and idle)" "$?" 0
is "... at once" "$(( $(date +%s) - start < 3 ))" 1
