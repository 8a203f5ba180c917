#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A damaged or lost state must not trap the admin: every command names
# the damage, disable still removes the table and puts the settings back
# from the last good copy, or names each setting it cannot know with the
# command that puts it back; "as before" only when it is so; a state of a
# newer redirect says so.
. "$(dirname "$0")/lib.sh"
lab_up
A=(--to $NEW4 --to $NEW6 --service smtp --no-probe)
before=$(sysctls "$NS_OLD")
enable() { redirect enable "${A[@]}" >/dev/null 2>&1 || bail "enable failed"; }
no_table() { in_old nft list tables | grep -c mail_redirect; }

# ---- a damaged state file ----
enable
echo "garbage here" >>"$STATE/state"
out=$(redirect stats 2>&1)
is "a damaged state: stats exits 1" "$?" 1
like "... naming the file, the line and the unknown key" "$(flat <<<"$out")" \
	"state file $STATE/state is damaged .*line [0-9]+: unknown key 'garbage'"
like "... and saying disable still works" "$(flat <<<"$out")" "\`redirect disable\` still removes the redirect"
out=$(redirect enable "${A[@]}" 2>&1)
is "enable refuses (exit 1)" "$?" 1
is "check is unknown (exit 3)" "$(redirect check >/dev/null 2>&1; echo $?)" 3
out=$(redirect disable 2>&1)
is "disable goes on: exit 0" "$?" 0
like "... with the last good state" "$(flat <<<"$out")" \
	"going on with the last good state, state.last-good; the damaged one is kept as $STATE/state.damaged"
like "... and says the settings are back" "$out" "the forwarding settings are back as before"
is "... they are" "$(sysctls "$NS_OLD")" "$before"
is "... the table is gone" "$(no_table)" 0
check "... the damaged file kept for a look" grep -q garbage "$STATE/state.damaged"
enable
redirect disable >/dev/null 2>&1
is "the next enable and disable work as ever" "$(sysctls "$NS_OLD")" "$before"

# ---- the state moved away ("move it away, with any state.pending, to start over") ----
# enable leaves its outcome in state.pending, beside the durable intent,
# until the next durable write: moved away alone, state leaves that record
enable
mv "$STATE/state" "$WORK/moved-state"
out=$(redirect disable 2>&1)
is "state moved away, state.pending left: disable exits 0" "$?" 0
like "... and removes the redirect that record names" "$(flat <<<"$out")" \
	"the table is gone, the forwarding settings are back as before"
is "... the table is gone" "$(no_table)" 0
enable
mv "$STATE/state" "$WORK/moved-state"
mv "$STATE/state.pending" "$WORK/moved-state.pending"
out=$(redirect disable 2>&1)
is "state moved away: disable exits 0" "$?" 0
like "... notices the table without a state" "$(flat <<<"$out")" "records nothing, yet the table inet mail_redirect is in the kernel"
is "... and puts the settings back from the last good copy" "$(sysctls "$NS_OLD")" "$before"

# ---- no record at all ----
enable
rm -f "$STATE"/state*
out=$(redirect disable 2>&1)
is "no state, no copy: disable exits 0" "$?" 0
is "... the table is gone" "$(no_table)" 0
like "... it does not claim \"as before\"" "$(flat <<<"$out")" \
	"With no record of the settings before enable, these are left as they are"
like "... names forwarding left on" "$out" "net.ipv4.ip_forward = 1"
cmd=$(grep -A1 'This puts them back' <<<"$out" | tail -n 1)
like "... and the command that puts it back" "$cmd" "sysctl -w .*net.ipv4.ip_forward=0"
in_old $cmd >/dev/null
is "... which does" "$(sysctls "$NS_OLD")" "$before"

# ---- settings someone else changed meanwhile ----
enable
ra=$(ip netns exec "$NS_OLD" sh -c 'for f in /proc/sys/net/ipv6/conf/*/accept_ra; do
	[ "$(cat "$f")" = 2 ] && { basename "$(dirname "$f")"; break; }; done')
[ -n "$ra" ] || bail "enable moved no accept_ra to 2"
in_old sysctl -qw "net.ipv6.conf.$ra.accept_ra=0"
out=$(redirect disable 2>&1)
unlike "a setting changed since enable: disable does not say \"as before\"" "$out" "as before"
like "... it names it" "$out" "net.ipv6.conf.$ra.accept_ra = 0"
like "... with the command" "$out" "sysctl -w net.ipv6.conf.$ra.accept_ra=1"
in_old sysctl -qw "net.ipv6.conf.$ra.accept_ra=1"

# ---- a state written by a newer redirect ----
enable
sed -i 's/^version 1$/version 2/' "$STATE/state"
out=$(redirect stats 2>&1)
like "a newer state: says so" "$(flat <<<"$out")" \
	"state file $STATE/state: written by a newer redirect \(state version 2; this one reads version 1\)"
out=$(redirect disable 2>&1)
is "... disable leaves it to that redirect (exit 1)" "$?" 1
is "... the table untouched" "$(no_table)" 1
sed -i 's/^version 2$/version 1/' "$STATE/state"
redirect disable >/dev/null 2>&1
is "back to version 1, disable puts everything back" "$(sysctls "$NS_OLD")" "$before"

# ---- the state directory's filesystem full ----
FULL=$WORK/full
mkdir -p "$FULL"
mount -t tmpfs -o size=256k,mode=0700 tmpfs "$FULL" || bail "cannot mount a tmpfs"
unmount_full() { umount "$FULL" 2>/dev/null; }
LAB_CLEANUP+=(unmount_full)
serve "$NS_NEW" new 25
full() { ip netns exec "$NS_OLD" "$REDIRECT" --state-dir "$FULL/state" "$@"; }
full enable "${A[@]}" >/dev/null 2>&1 || bail "enable on the tmpfs failed"
banner $OLD4 25 >/dev/null
dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null
out=$(full stats 2>"$WORK/err")
is "a full disk: stats still exits 0" "$?" 0
like "... prints the figures" "$out" "smtp +25 +1 +1 +1 "
like "... and warns that the last-seen time could not be saved" "$(flat <"$WORK/err")" \
	"warning: the time of the last redirected connection could not be saved \(cannot write .*No space left on device\)"
out=$(full stats --json 2>/dev/null)
is "... --json too" "$(jq '.services[] | select(.name == "smtp") | .connections' <<<"$out")" 1
out=$(full stats --prometheus 2>/dev/null)
like "... --prometheus too" "$out" '^redirect_connections_total\{service="smtp",port="25"\} 1$'
full check --quiet-for 1h >/dev/null 2>&1
is "check keeps its verdict (in use, exit 1), not unknown" "$?" 1
is "no empty state.tmp is left behind" "$(find "$FULL/state" -name '*.tmp*' | wc -l)" 0
rm -f "$FULL/filler"
full disable --now >/dev/null 2>&1
