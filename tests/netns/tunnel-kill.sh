#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The tunnel is built in steps (the state first, then the link, its name,
# its addresses, up, the return path, the table), which the kernel cannot
# make one transaction. So every step must leave something the next run
# finishes: accept, enable --keep-client-address and both disables are
# killed with SIGKILL at each netlink message they send, in turn (strace's
# fault injection places the kill exactly); each time the next run must
# succeed and leave the host as it should be.
. "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || bail "strace is missing (scripts/test installs it)"
lab4_up
serve "$NS_NEW" new 25

# A host's networking without what differs from one tunnel link to the
# next: its random MAC address and its interface index.
steady_state() { host_state "$1" | grep -v -e 'link/ether' | sed 's/^[0-9]*: /N: /'; }
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

ACCEPT=(accept --from $OLD4 --from $OLD6 --service smtp)
ENABLE=(enable --to $NEW4 --to $NEW6 --keep-client-address --service smtp --no-probe)

# ---- accept on NEW ----
n=$(sends "$NS_NEW" "$STATE_NEW" "${ACCEPT[@]}")
redirect_new disable >/dev/null || bail "disable after counting"
[ "$n" -gt 3 ] || bail "accept sends only $n netlink messages?"
redirect_new "${ACCEPT[@]}" >/dev/null && accepting=$(steady_state "$NS_NEW")
redirect_new disable >/dev/null
bad=""
for ((i = 1; i <= n; i++)); do
	killed_at $i "$NS_NEW" "$STATE_NEW" "${ACCEPT[@]}"
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
	redirect disable --now >/dev/null 2>&1 || bad+=" $i:disable-again"
	[ "$(steady_state "$NS_OLD")" = "$old_before" ] || bad+=" $i:not-as-before"
done
redirect disable --now >/dev/null
is "disable on OLD killed at each step: the next disable finishes it" "$bad" ""

redirect_new disable >/dev/null
is "NEW is as it was at the end" "$(steady_state "$NS_NEW")" "$new_before"
is "OLD is as it was at the end" "$(steady_state "$NS_OLD")" "$old_before"
