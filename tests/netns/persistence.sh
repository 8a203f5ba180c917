#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What we install is plain nft: the dry-run text loads into the same
# objects, a saved ruleset reloads, and after a flush or a reboot
# `restore` brings the redirect back from the state directory.
. "$(dirname "$0")/lib.sh"
lab_up
serve "$NS_NEW" new 25 110 2525
serve "$NS_OLD" old 25 110 2525

# ---- the dry-run text is what enable installs ----
same_as_nft() {	# same_as_nft DESCRIPTION ENABLE-ARGS...
	local what=$1 text ours theirs
	shift
	text=$(redirect enable "$@" --dry-run --no-probe | grep -v '^#')
	redirect enable "$@" --no-probe >/dev/null || bail "enable $*"
	ours=$(in_old nft list ruleset)
	redirect disable --now >/dev/null
	ip netns exec "$SCRATCH" nft flush ruleset
	if ! ip netns exec "$SCRATCH" nft -f - <<<"$text" 2>"$WORK/nft.err"; then
		not_ok "$what: nft loads the dry-run text" "$(cat "$WORK/nft.err")"
		return
	fi
	theirs=$(ip netns exec "$SCRATCH" nft list ruleset)
	is "$what: enable installs exactly what nft makes of the dry-run text" "$ours" "$theirs"
}
scratch_ns nft
same_as_nft "defaults, both families" --to $NEW4 --to $NEW6
same_as_nft "IPv4, own services, excludes, no masquerade" --to $NEW4 \
	--service smtp,2525,sieve --exclude 192.0.2.0/24 --exclude 198.51.100.0/25 \
	--exclude 203.0.113.64/26 --remember 1d12h --no-masquerade
same_as_nft "IPv6 only, a range that is no prefix" --to $NEW6 \
	--exclude 2001:db8:2::3 --exclude 2001:db8:2::4/126 --service imaps

# ---- save, flush, reload: the admin's way ----
sysctls_before=$(sysctls "$NS_OLD")
redirect enable --to $NEW4 --to $NEW6 --no-probe >/dev/null
banner $OLD4 25 >/dev/null
in_old nft list ruleset >"$WORK/saved.nft"
in_old nft flush ruleset
is "after a flush, OLD answers itself" "$(banner $OLD4 25)" "220 old $CLIENT4"
check "the saved ruleset loads back" in_old nft -f "$WORK/saved.nft"
is "after the reload, port 25 lands on NEW again" "$(banner $OLD4 25)" "220 new $OLDN4"
like "the reloaded counter carries on" "$(in_old nft list counter inet mail_redirect smtp)" "packets 2 "
out=$(redirect enable --to $NEW4 --to $NEW6 --no-probe 2>&1)
like "enable sees the reloaded table as its own" "$out" "already enabled"

# ---- flush, then restore ----
in_old nft flush ruleset
out=$(redirect restore 2>&1)
is "restore after a flush succeeds" "$?" 0
like "restore says it restored" "$out" "restored the redirect"
is "after restore, IPv4 lands on NEW" "$(banner $OLD4 110)" "220 new $OLDN4"
is "after restore, IPv6 lands on NEW" "$(banner $OLD6 110)" "220 new [$(full6 $OLDN6)]"
out=$(redirect restore 2>&1)
like "restore again changes nothing" "$out" "in place; nothing changed"

# ---- a reboot: no table, forwarding back to the boot defaults ----
reboot_old() {
	in_old nft flush ruleset
	in_old sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
	for f in default "${P}o0" "${P}o1"; do
		in_old sysctl -qw "net.ipv6.conf.$f.accept_ra=1"
	done
}
reboot_old
out=$(redirect restore 2>&1)
is "restore after a reboot succeeds" "$?" 0
like "... and says it switched forwarding back on" "$out" "switched forwarding back on"
is "forwarding is back on" "$(in_old sysctl -n net.ipv4.ip_forward)" 1
is "IPv6 keeps router advertisements" "$(in_old sysctl -n net.ipv6.conf.${P}o0.accept_ra)" 2
is "after the reboot, the redirect works" "$(banner $OLD6 25)" "220 new [$(full6 $OLDN6)]"
redirect disable >/dev/null
is "disable puts back the settings from before the first enable" "$(sysctls "$NS_OLD")" "$sysctls_before"

# ---- a power cut right after enable ----
# enable's intent is durable (state); its outcome (state.pending) is not
# synced: lost, the intent is what the reboot finds, and restore finishes it
redirect enable --to $NEW4 --to $NEW6 --no-probe >/dev/null
check "enable's intent is the durable state" grep -qx "pending yes" "$STATE/state"
check "... its outcome is the newer record beside it" grep -qx "pending no" "$STATE/state.pending"
rm "$STATE/state.pending"
reboot_old
out=$(redirect restore 2>&1)
is "restore after a power cut that lost enable's outcome succeeds" "$?" 0
is "... the redirect works" "$(banner $OLD4 25)" "220 new $OLDN4"
check "... and the outcome is recorded" grep -qx "pending no" "$STATE/state.pending"
redirect disable >/dev/null
is "... and disable puts back the settings from before" "$(sysctls "$NS_OLD")" "$sysctls_before"

out=$(redirect restore 2>&1)
is "restore with nothing enabled succeeds" "$?" 0
like "... and says there is nothing to restore" "$out" "nothing is enabled"

# ---- a damaged state file is named, and nothing is touched ----
redirect enable --to $NEW4 --no-probe >/dev/null
table=$(our_table)
cp "$STATE/state" "$WORK/state.good"
printf 'version 1\nenabled yes\nto 127.0.0.1\n' >"$STATE/state"
out=$(redirect stats 2>&1)
is "a damaged state file stops stats (exit 1)" "$?" 1
like "... with the file named and the line" "$out" "state file $STATE/state is damaged.*line 3"
out=$(redirect enable --to $NEW4 --no-probe 2>&1)
is "... and enable" "$?" 1
out=$(redirect restore 2>&1)
is "... and restore" "$?" 1
is "... and the table is untouched" "$(our_table)" "$table"
cp "$WORK/state.good" "$STATE/state"
redirect disable >/dev/null
is "with the state repaired, disable works (damage.sh: and without)" "$?" 0
