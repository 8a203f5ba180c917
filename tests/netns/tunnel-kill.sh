#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The tunnel is built in steps (the state first, then the link, its name,
# its addresses, up, the return path, the table), which the kernel cannot
# make one transaction. So every step must leave something the next run
# finishes: accept, enable --keep-client-address and both disables are
# killed with SIGKILL at each netlink message they send, in turn (strace's
# fault injection places the kill exactly); each time the next run must
# succeed and leave the host as it should be. So are an enable refused
# (its probe's link made and taken away again, the state untouched) and a
# switch of --to to a second NEW, which must never cut the session open
# through the first; and a switch whose commit fails (strace injects the
# error) must leave the first link, the table and the state as they were.
. "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || bail "strace is missing (scripts/test installs it)"
lab4_up
lab4_new2_up
trap '' PIPE
serve "$NS_NEW" new 25
serve_mail "$NS_NEW2" new2 25

# A host's networking without what differs from one tunnel link to the
# next: its interface index, and its MAC address (derived from the tunnel id).
steady_state() { host_state "$1" | grep -v -e 'link/ether' | sed 's/^[0-9]*: /N: /'; }

# Whether every link of ours has its guards: what comes out of our links
# judged (from_tunnel), and the VXLAN of its id let in from its other end
# only. Names what lacks them, or nothing.
unguarded() {	# unguarded NS
	ip netns exec "$1" sh -c '
		ip -d -o link show type vxlan | awk "/mail_redirect/ {
			for (i = 1; i < NF; i++) if (\$i == \"id\") print \$(i + 1) }" |
		while read -r id; do
			rules=$(nft list table inet mail_redirect 2>/dev/null)
			vni=$(printf "%#x" "$id")
			echo "$rules" | grep -q "iifname \"mail_redirect\*\" jump from_tunnel" &&
				echo "$rules" | grep -q "@th,96,24 $vni ip6\? saddr != .* drop" ||
				echo "link of id $id"
		done'
}
old_before=$(steady_state "$NS_OLD")
new_before=$(steady_state "$NS_NEW")

# The number of netlink messages a command sends (each a step of it).
sends() {	# sends NS STATE-DIR ARGS...
	local ns=$1 dir=$2
	shift 2
	ip netns exec "$ns" strace -f -qq -e trace=sendto,sendmsg -o "$WORK/count.trace" \
		"$REDIRECT" --state-dir "$dir" "$@" >/dev/null 2>&1
	grep -cE '^[0-9]+ +send(to|msg)\(' "$WORK/count.trace"
}

# Runs the command, killed at its Nth netlink message.
killed_at() {	# killed_at N NS STATE-DIR ARGS...
	local n=$1 ns=$2 dir=$3
	shift 3
	# in a subshell: bash would report the kill on the test's output
	(ip netns exec "$ns" strace -f -qq -o /dev/null -e trace=sendto,sendmsg \
		-e inject=sendto,sendmsg:signal=KILL:when=$n \
		"$REDIRECT" --state-dir "$dir" "$@" >/dev/null 2>&1; true) 2>/dev/null
	return 0	# killed, or done before its Nth message
}

ACCEPT=(accept --from $OLD4 --from $OLD6 --service smtp --tunnel-id 4242)
ENABLE=(enable --to $NEW4 --to $NEW6 --keep-client-address --tunnel-id 4242 --service smtp
	--no-probe)

# ---- accept on NEW ----
n=$(sends "$NS_NEW" "$STATE_NEW" "${ACCEPT[@]}")
redirect_new disable >/dev/null || bail "disable after counting"
[ "$n" -gt 3 ] || bail "accept sends only $n netlink messages?"
redirect_new "${ACCEPT[@]}" >/dev/null && accepting=$(steady_state "$NS_NEW")
redirect_new disable >/dev/null
bad=""
for ((i = 1; i <= n; i++)); do
	killed_at $i "$NS_NEW" "$STATE_NEW" "${ACCEPT[@]}"
	[ -z "$(unguarded "$NS_NEW")" ] || bad+=" $i:unguarded"
	redirect_new "${ACCEPT[@]}" >/dev/null 2>&1 || bad+=" $i:accept-again"
	[ "$(steady_state "$NS_NEW")" = "$accepting" ] || bad+=" $i:not-accepting"
	redirect_new disable >/dev/null 2>&1 || bad+=" $i:disable"
	[ "$(steady_state "$NS_NEW")" = "$new_before" ] || bad+=" $i:not-as-before"
done
is "accept killed at each of its $n steps: the next accept finishes it, disable undoes it" \
	"$bad" ""

bad=""
for ((i = 1; ; i++)); do
	redirect_new "${ACCEPT[@]}" >/dev/null || bail "accept"
	m=$(sends "$NS_NEW" "$STATE_NEW" disable)
	redirect_new "${ACCEPT[@]}" >/dev/null || bail "accept"
	[ "$i" -gt "$m" ] && break
	killed_at $i "$NS_NEW" "$STATE_NEW" disable
	[ -z "$(unguarded "$NS_NEW")" ] || bad+=" $i:unguarded"
	redirect_new disable >/dev/null 2>&1 || bad+=" $i:disable-again"
	[ "$(steady_state "$NS_NEW")" = "$new_before" ] || bad+=" $i:not-as-before"
done
redirect_new disable >/dev/null
is "disable on NEW killed at each step: the next disable finishes it" "$bad" ""

# ---- enable --keep-client-address on OLD ----
redirect_new "${ACCEPT[@]}" >/dev/null || bail "accept for OLD's turn"
n=$(sends "$NS_OLD" "$STATE" "${ENABLE[@]}")
redirect disable >/dev/null || bail "disable after counting"
bad=""
for ((i = 1; i <= n; i++)); do
	killed_at $i "$NS_OLD" "$STATE" "${ENABLE[@]}"
	[ -z "$(unguarded "$NS_OLD")" ] || bad+=" $i:unguarded"
	redirect "${ENABLE[@]}" >/dev/null 2>&1 || bad+=" $i:enable-again"
	[ "$(banner $OLD4 25)" = "220 new $CLIENT4" ] || bad+=" $i:no-client-address"
	redirect disable >/dev/null 2>&1 || bad+=" $i:disable"
	[ "$(steady_state "$NS_OLD")" = "$old_before" ] || bad+=" $i:not-as-before"
done
is "enable --keep-client-address killed at each of its $n steps: finished by the next, undone by disable" \
	"$bad" ""

bad=""
for ((i = 1; ; i++)); do
	redirect "${ENABLE[@]}" >/dev/null || bail "enable"
	m=$(sends "$NS_OLD" "$STATE" disable --now)
	redirect "${ENABLE[@]}" >/dev/null || bail "enable"
	[ "$i" -gt "$m" ] && break
	killed_at $i "$NS_OLD" "$STATE" disable --now
	[ -z "$(unguarded "$NS_OLD")" ] || bad+=" $i:unguarded"
	redirect disable --now >/dev/null 2>&1 || bad+=" $i:disable-again"
	[ "$(steady_state "$NS_OLD")" = "$old_before" ] || bad+=" $i:not-as-before"
done
redirect disable --now >/dev/null
is "disable on OLD killed at each step: the next disable finishes it" "$bad" ""

# ---- an enable refused, and a switch of --to ----
redirect_new "${ACCEPT[@]}" >/dev/null || bail "accept for the switches"
redirect_new2 accept --from $OLD6 --service smtp --tunnel-id 4343 >/dev/null || bail "accept on NEW2"
redirect "${ENABLE[@]}" >/dev/null || bail "enable"
enabled=$(steady_state "$NS_OLD")
REFUSED=(enable --to 192.0.2.99 --keep-client-address --tunnel-id 4444 --service smtp)
n=$(sends "$NS_OLD" "$STATE" "${REFUSED[@]}")
[ "$(steady_state "$NS_OLD")" = "$enabled" ] || bail "a refused enable changed OLD"
bad=""
for ((i = 1; i <= n; i++)); do
	killed_at $i "$NS_OLD" "$STATE" "${REFUSED[@]}"
	[ -z "$(unguarded "$NS_OLD")" ] || bad+=" $i:unguarded"
	redirect "${ENABLE[@]}" >/dev/null 2>&1 || bad+=" $i:enable-again"
	[ "$(steady_state "$NS_OLD")" = "$enabled" ] || bad+=" $i:not-as-enabled"
done
is "a refused enable killed at each of its $n steps: the next enable leaves OLD as it was" "$bad" ""

# ... whose probe link will not go (the removal made to fail): it says so,
# and not that nothing was changed; the link keeps its guards, and the next
# enable removes it
refused_traced() {	# refused_traced STRACE-ARGS...
	(ip netns exec "$NS_OLD" env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=sendto,sendmsg "$@" \
		"$REDIRECT" --state-dir "$STATE" "${REFUSED[@]}" >"$WORK/refused.out" 2>&1); rc=$?
}
refused_traced -o "$WORK/refused.trace"
unlink_at=$(grep -E '^[0-9]+ +send(to|msg)\(' "$WORK/refused.trace" |
	awk '/RTM_DELLINK/ { print NR; exit }')
[ "${unlink_at:-0}" -gt 0 ] || bail "no link removal found in the refused enable's trace"
refused_traced -o /dev/null -e inject=sendto,sendmsg:error=EIO:when="$unlink_at"
out=$(flat <"$WORK/refused.out")
is "a refused enable whose probe link cannot be removed (step $unlink_at) is refused" "$rc" 1
like "... saying the link is left, under its guards" "$out" \
	"the probe's link mail_redirect[0-9a-z]* is left in place, under its guards"
unlike "... and not that nothing was changed" "$out" "nothing was changed"
like "... but that nothing else was" "$out" "nothing else was changed"
is "... the link left keeps its guards" "$(unguarded "$NS_OLD")" ""
redirect "${ENABLE[@]}" >/dev/null 2>&1
is "... and the next enable removes it: OLD as enabled" "$(steady_state "$NS_OLD")" "$enabled"

SWITCH=(enable --to $NEW2_6 --keep-client-address --tunnel-id 4343 --service smtp)
n=$(sends "$NS_OLD" "$STATE" "${SWITCH[@]}")
redirect disable --now >/dev/null || bail "disable after counting"
bad=""
for ((i = 1; i <= n; i++)); do
	redirect "${ENABLE[@]}" >/dev/null || bail "enable"
	session_open held$i $OLD4 25
	session_hear held$i >/dev/null
	killed_at $i "$NS_OLD" "$STATE" "${SWITCH[@]}"
	[ -z "$(unguarded "$NS_OLD")" ] || bad+=" $i:unguarded"
	redirect "${SWITCH[@]}" >/dev/null 2>&1 || bad+=" $i:switch-again"
	[ "$(banner $OLD6 25)" = "220 new2 [$(full6 $CLIENT6)]" ] || bad+=" $i:not-to-new2"
	session_say held$i "still $i"
	[ "$(session_hear held$i)" = "still $i" ] || bad+=" $i:session-cut"
	session_close held$i
	redirect disable --now >/dev/null 2>&1 || bad+=" $i:disable"
	[ "$(steady_state "$NS_OLD")" = "$old_before" ] || bad+=" $i:not-as-before"
done
is "a switch of --to killed at each of its $n steps: finished by the next, the first NEW's session never cut" \
	"$bad" ""

# ---- a switch whose commit fails: the first link, the table, the state as they were ----
# No session uses the first tunnel: the switch removes its link, only after
# the commit. The commit is the first nftables batch after the new link
# came up: found in a run that succeeds, then made to fail with ENOBUFS at
# the same step.
# (LeakSanitizer cannot run under ptrace, and would fail a run that
# succeeded in the sanitizers' build: the leak check is left to the runs
# without strace.)
switch_from_enabled() {	# switch_from_enabled STRACE-ARGS...
	redirect "${ENABLE[@]}" >/dev/null || bail "enable"
	before=$(steady_state "$NS_OLD")
	(ip netns exec "$NS_OLD" env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=sendto,sendmsg "$@" \
		"$REDIRECT" --state-dir "$STATE" "${SWITCH[@]}" >/dev/null 2>&1); rc=$?
}
switch_from_enabled -o "$WORK/switch.trace"
[ "$rc" = 0 ] || bail "the switch to trace"
commit_at=$(grep -E '^[0-9]+ +send(to|msg)\(' "$WORK/switch.trace" |
	awk '/RTM_NEWLINK/ { up = NR; at = 0 } /NFNL_MSG_BATCH_BEGIN/ && up && !at { at = NR }
	     END { print at }')
[ "${commit_at:-0}" -gt 0 ] || bail "no commit found in the switch's trace"
redirect disable --now >/dev/null || bail "disable after the traced switch"
switch_from_enabled -o /dev/null -e inject=sendto,sendmsg:error=ENOBUFS:when="$commit_at"
is "a switch whose commit fails (step $commit_at) is refused" "$rc" 1
is "... and leaves OLD as it was: the first link, its table, no second link" \
	"$(steady_state "$NS_OLD")" "$before"
is "... the redirect still works through the first" "$(banner $OLD4 25)" "220 new $CLIENT4"
is "... and the state is as it was: enable again changes nothing" \
	"$(redirect "${ENABLE[@]}" 2>&1)" "redirect: already enabled with these settings; nothing changed."
redirect disable --now >/dev/null

# ---- a disable whose last step fails: never a state restore brings back ----
# The table's deletion is the last nftables batch of NEW's disable, after
# forwarding and the link went: found in a run that succeeds, then made to
# fail (EIO).
traced_new_disable() {	# traced_new_disable STRACE-ARGS...
	redirect_new "${ACCEPT[@]}" >/dev/null || bail "accept"
	(ip netns exec "$NS_NEW" env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=sendto,sendmsg "$@" \
		"$REDIRECT" --state-dir "$STATE_NEW" disable >/dev/null 2>&1); rc=$?
}
traced_new_disable -o /dev/null	# (the first after the switches differs: their leftovers)
traced_new_disable -o "$WORK/disable.trace"
[ "$rc" = 0 ] || bail "the disable to trace"
last_batch=$(grep -E '^[0-9]+ +send(to|msg)\(' "$WORK/disable.trace" |
	awk '/NFNL_MSG_BATCH_BEGIN/ { at = NR } END { print at + 0 }')
[ "$last_batch" -gt 0 ] || bail "no nftables batch in the disable's trace"
traced_new_disable -o /dev/null -e inject=sendto,sendmsg:error=EIO:when="$last_batch"
is "NEW's disable whose last step (the table's deletion, step $last_batch) fails: exit 1" "$rc" 1
redirect_new restore >/dev/null 2>&1
is "... restore then does not bring the tunnel's end back" \
	"$(ip -n "$NS_NEW" -o link show | grep -c mail_redirect)" 0
redirect_new disable >/dev/null 2>&1
is "... and the next disable finishes: NEW as it was" "$(steady_state "$NS_NEW")" "$new_before"
redirect_new "${ACCEPT[@]}" >/dev/null || bail "accept again"

# ---- NEW: an accept with another tunnel id whose commit fails ----
# NEW's link keeps its name, so the accept remakes it with the new id
# before its commit: when that fails, the first id's link must be back,
# under the guards of the table as it was.
ACCEPT_OTHER=(accept --from $OLD4 --from $OLD6 --service smtp --tunnel-id 4343)
traced_new_accept() {	# traced_new_accept STRACE-ARGS...
	redirect_new disable --now --force >/dev/null 2>&1
	redirect_new "${ACCEPT[@]}" >/dev/null || bail "accept"
	accepting=$(steady_state "$NS_NEW")
	(ip netns exec "$NS_NEW" env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=sendto,sendmsg "$@" \
		"$REDIRECT" --state-dir "$STATE_NEW" "${ACCEPT_OTHER[@]}" >/dev/null 2>&1); rc=$?
}
traced_new_accept -o /dev/null
traced_new_accept -o "$WORK/accept.trace"
[ "$rc" = 0 ] || bail "the accept to trace"
commit_at=$(grep -E '^[0-9]+ +send(to|msg)\(' "$WORK/accept.trace" |
	awk '/RTM_NEWLINK/ { up = NR; at = 0 } /NFNL_MSG_BATCH_BEGIN/ && up && !at { at = NR }
	     END { print at + 0 }')
[ "$commit_at" -gt 0 ] || bail "no commit found in the accept's trace"
traced_new_accept -o /dev/null -e inject=sendto,sendmsg:error=EIO:when="$commit_at"
is "NEW: an accept with another tunnel id whose commit fails (step $commit_at) is refused" "$rc" 1
is "... and leaves NEW as it was: the first id's link, under its table's guards" \
	"$(steady_state "$NS_NEW")" "$accepting"
redirect_new disable --now --force >/dev/null 2>&1
redirect_new "${ACCEPT[@]}" >/dev/null || bail "accept again"

# ---- a first enable whose state cannot be written after its probe ----
# (install stops at the state's intent, before a rollback of its own: the
# probe's link and its guards are enable's to take away again)
PROBED=(enable --to $NEW4 --to $NEW6 --keep-client-address --tunnel-id 4242 --service smtp)
redirect disable --now >/dev/null 2>&1
before=$(steady_state "$NS_OLD")
(ip netns exec "$NS_OLD" env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -qq -o /dev/null -e trace=renameat -e inject=renameat:error=ENOSPC:when=1 \
	"$REDIRECT" --state-dir "$STATE" "${PROBED[@]}" >"$WORK/nospace.out" 2>&1); rc=$?
is "a first enable that cannot write its state after the probe is refused" "$rc" 1
like "... saying why" "$(cat "$WORK/nospace.out")" "No space left on device"
is "... and leaves OLD as it was: no probe link, no table" "$(steady_state "$NS_OLD")" "$before"

# ---- kills at random moments: whatever they leave, the next run finishes or undoes ----
bad=""
for round in $(seq 20); do
	case $((RANDOM % 4)) in
	0) args=("${ENABLE[@]}") ;;
	1) args=("${SWITCH[@]}") ;;
	2) args=("${REFUSED[@]}") ;;
	3) args=(disable --now) ;;
	esac
	ip netns exec "$NS_OLD" "$REDIRECT" --state-dir "$STATE" "${args[@]}" >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ -z "$(unguarded "$NS_OLD")" ] || bad+=" $round:unguarded"
	if ((round % 2)); then	# finished by the same command: it works
		[ "${args[0]}" = disable ] || [ "${args[2]}" = 192.0.2.99 ] && continue
		redirect "${args[@]}" >/dev/null 2>&1 || bad+=" $round:${args[2]}-again"
		[ -n "$(banner $OLD4 25)$(banner $OLD6 25)" ] || bad+=" $round:no-answer"
	else			# undone by disable: nothing left
		redirect disable --now >/dev/null 2>&1 || bad+=" $round:disable"
		[ "$(steady_state "$NS_OLD")" = "$old_before" ] || bad+=" $round:not-as-before"
	fi
done
redirect disable --now >/dev/null 2>&1
is "20 kills at random moments of enable, a switch, a refused enable, disable: the next run finishes or undoes each" \
	"$bad" ""

redirect_new2 disable --now >/dev/null
redirect_new disable --now >/dev/null
is "NEW is as it was at the end" "$(steady_state "$NS_NEW")" "$new_before"
is "OLD is as it was at the end" "$(steady_state "$NS_OLD")" "$old_before"
