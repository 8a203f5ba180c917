#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Hostile timing and least privilege: only CAP_NET_ADMIN after start-up;
# kill -9 at random moments leaves the old table or the complete new one,
# never a part, and the next run makes everything consistent; concurrent
# runs wait for each other and say so; no leak under valgrind.
. "$(dirname "$0")/lib.sh"
lab_up
ruleset_before=$(ruleset "$NS_OLD")
sysctls_before=$(sysctls "$NS_OLD")

# ---- privileges ----
background "$WORK/watch.out" ip netns exec "$NS_OLD" "$REDIRECT" --state-dir "$STATE" stats --watch 5
watch_pid=$BACKGROUND_PID
wait_until 10 test -s "$WORK/watch.out"	# its first frame: past start-up
status=$(cat "/proc/$watch_pid/status")
field() { awk -v f="$1:" '$1 == f { print $2 }' <<<"$status"; }
is "after start-up: effective capabilities are CAP_NET_ADMIN only" "$(field CapEff)" 0000000000001000
is "... permitted too" "$(field CapPrm)" 0000000000001000
is "... the bounding set too" "$(field CapBnd)" 0000000000001000
is "... nothing inheritable" "$(field CapInh)" 0000000000000000
is "... nothing ambient" "$(field CapAmb)" 0000000000000000
is "... and no_new_privs is set" "$(field NoNewPrivs)" 1
kill -TERM "$watch_pid"
wait "$watch_pid"

# ---- kill -9 at any moment ----
A=(--to $NEW4 --service smtp,imap --no-probe)
B=(--to $NEW4 --to $NEW6 --service smtp,pop3,2525 --remember 2d --exclude 192.0.2.0/24 --no-probe)
# A table's content as sorted lines: the same objects whatever their order.
canonical() { sort; }
expected() {	# expected ARGS...: the table they install, as nft makes it
	local scratch=$1
	shift
	ip netns exec "$scratch" nft flush ruleset
	redirect enable "$@" --dry-run 2>/dev/null | grep -v '^#' | ip netns exec "$scratch" nft -f - ||
		bail "dry run"
	ip netns exec "$scratch" nft -s list ruleset | canonical
}
scratch_ns kill
want_a=$(expected "$SCRATCH" "${A[@]}")
want_b=$(expected "$SCRATCH" "${B[@]}")
whole() {	# the table OLD has now: none, A or B
	local now
	now=$(in_old nft -s list ruleset | canonical)
	if [ -z "$now" ]; then echo none
	elif [ "$now" = "$want_a" ]; then echo A
	elif [ "$now" = "$want_b" ]; then echo B
	else echo partial; printf '%s\n' "$now" >"$WORK/partial.nft"
	fi
}
seen=" "
partial=0
for round in $(seq 40); do
	case $((RANDOM % 3)) in
	0) args=(enable "${A[@]}") ;;
	1) args=(enable "${B[@]}") ;;
	2) args=(disable --now) ;;
	esac
	ip netns exec "$NS_OLD" "$REDIRECT" --state-dir "$STATE" "${args[@]}" >/dev/null 2>&1 &
	pid=$!
	sleep "0.00$((RANDOM % 10))$((RANDOM % 10))"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	state=$(whole)
	seen="$seen$state "
	[ "$state" = partial ] && partial=$((partial + 1))
done
is "40 kills at random moments never left a partial table" "$partial" 0
like "... and the kills landed both before and after commits" "$seen" "(none|A|B).*(none|A|B)"
out=$(redirect stats --json 2>&1)
unlike "the state file is never left damaged" "$out" "damaged"
redirect enable "${A[@]}" >/dev/null 2>&1
is "the next enable completes" "$?" 0
is "... and leaves table A, whole" "$(whole)" A
redirect enable "${A[@]}" >/dev/null 2>&1
like "... and a second one finds nothing to do" "$(redirect enable "${A[@]}" 2>&1)" "already enabled"
redirect disable --now >/dev/null
is "after disable the ruleset is as before the kills" "$(ruleset "$NS_OLD")" "$ruleset_before"
is "... and so are the forwarding settings" "$(sysctls "$NS_OLD")" "$sysctls_before"

# ---- kills at the worst moments, placed by strace's fault injection ----
killed_at() {	# killed_at STRACE_FILTER... -- ARGS...: redirect ARGS, killed where the filter says
	local filter=()
	while [ "$1" != -- ]; do filter+=("$1"); shift; done
	shift
	ip netns exec "$NS_OLD" strace -f -qq -o /dev/null "${filter[@]}" \
		"$REDIRECT" --state-dir "$STATE" "$@" >/dev/null 2>&1
}
# disable between the IPv6 switch and the settings that came with it
redirect enable "${B[@]}" >/dev/null
ra=/proc/sys/net/ipv6/conf/${P}o0/accept_ra
killed_at -P "$ra" -e trace=openat -e inject=openat:signal=KILL:when=1 -- disable --now
is "a disable killed between two settings is killed" "$?" 137
is "... leaving that setting ours" "$(in_old cat "$ra")" 2
like "... and stats says a disable was interrupted" "$(redirect stats 2>&1)" "disable was interrupted"
redirect restore >/dev/null 2>&1
is "... and restore does not bring the redirect back" "$(whole)" none
like "... and the next disable finishes it" "$(redirect disable 2>&1)" "back as before"
is "... putting every setting back" "$(sysctls "$NS_OLD")" "$sysctls_before"

# disable right after new connections stopped being redirected (the drain
# commit), before the state says so: the first fsync is of that state
serve "$NS_NEW" new 25
redirect enable "${A[@]}" >/dev/null
session_open held $OLD4 25
session_hear held >/dev/null
killed_at -e trace=fsync -e inject=fsync:signal=KILL:when=1 -- disable --wait 5
is "a disable killed after its drain commit is killed" "$?" 137
is "... leaving a table that no longer redirects" "$(whole)" partial
unlike "... and enable does not take it for installed" "$(redirect enable "${A[@]}" 2>&1)" "already enabled"
is "... but installs it whole" "$(whole)" A
session_close held
redirect disable --now >/dev/null
is "... and disable leaves the settings as before" "$(sysctls "$NS_OLD")" "$sysctls_before"

# ---- one at a time ----
exec {lock}>>"$STATE/lock"
flock "$lock"
background "$WORK/waiting.out" redirect enable "${A[@]}"
waiter=$BACKGROUND_PID
wait_until 10 grep -q "waiting for another redirect" "$WORK/waiting.out"
like "a run that finds the lock held says it waits" "$(cat "$WORK/waiting.out")" \
	"waiting for another redirect"
is "... and has changed nothing yet" "$(whole)" none
flock -u "$lock"
exec {lock}>&-
wait "$waiter"
is "... and goes on once the lock is free" "$?" 0
is "... to table A" "$(whole)" A
redirect disable --now >/dev/null

loop() {	# loop ARGS...: 12 enables and disables
	local i rc=0
	for i in $(seq 12); do
		ip netns exec "$NS_OLD" "$REDIRECT" --state-dir "$STATE" enable "$@" || rc=1
		ip netns exec "$NS_OLD" "$REDIRECT" --state-dir "$STATE" disable --now || rc=1
	done
	return $rc
}
loop "${A[@]}" >"$WORK/loop-a.out" 2>&1 &
pa=$!
loop "${B[@]}" >"$WORK/loop-b.out" 2>&1 &
pb=$!
PIDS+=("$pa" "$pb")
wait "$pa"
ra=$?
wait "$pb"
rb=$?
is "two concurrent loops of enable and disable all succeed" "$ra$rb" 00
is "... ending with no table" "$(whole)" none
is "... and the settings as before" "$(sysctls "$NS_OLD")" "$sysctls_before"
state=$(redirect stats --json)
is "... and the state agrees" "$state" '{"enabled": false}'

# ---- leaks and memory errors, under valgrind (lib.sh's valgrind_redirect) ----
vg_redirect=$(valgrind_redirect)
if [ -z "$vg_redirect" ]; then
	:	# a sanitizer build alone: its sanitizers watched every run above
elif ! command -v valgrind >/dev/null; then
	bail "valgrind is missing"
else
	vg() { in_old valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99 "$vg_redirect" --state-dir "$STATE" "$@" >/dev/null 2>"$WORK/vg.out"; }
	for cmd in "enable ${A[*]}" "stats --json" "check --quiet-for 3s" "enable ${B[*]}" \
		"stats" "disable --now"; do
		vg $cmd
		rc=$?
		if [ "$rc" != 99 ]; then ok "valgrind: no leak and no error in $cmd"
		else not_ok "valgrind: no leak and no error in $cmd" "$(cat "$WORK/vg.out")"; fi
	done
fi
