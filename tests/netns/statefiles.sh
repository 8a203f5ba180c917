#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Only regular files in the state directory: a FIFO (or a directory, a
# symlink) where redirect keeps a file of its own is refused at once and
# named, never opened and waited on. A FIFO named `state` used to hang
# stats, one named `state.pending` hung enable, and `disable --now` hung
# holding the lock. Each run here is bounded by `timeout`: 124 is a hang.
. "$(dirname "$0")/lib.sh"
lab_up
T=${STATEFILES_TIMEOUT:-10}	# seconds: far more than any of these takes

bounded() {	# bounded COMMAND...: redirect in OLD, stopped after $T s
	timeout -k 1 $T ip netns exec "$NS_OLD" "$REDIRECT" --state-dir "$STATE" "$@" 2>&1
}

refused() {	# refused DESCRIPTION FILE KIND COMMAND...
	local what=$1 file=$2 kind=$3 out rc
	shift 3
	out=$(bounded "$@")
	rc=$?
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		not_ok "$what: refused at once" "it hung: stopped after $T s" "$out"
	elif [ $rc = 0 ]; then
		not_ok "$what: refused at once" "exit 0" "$out"
	else
		ok "$what: refused at once (exit $rc)"
	fi
	like "... naming $file as $kind" "$(flat <<<"$out")" \
		"$STATE/$file is $kind, not a regular file: redirect makes no such thing; move it away"
}

# ---- before anything is enabled ----
mkfifo "$STATE/state"
refused "stats with a FIFO named state" state "a FIFO" stats
refused "stats --json" state "a FIFO" stats --json
refused "check" state "a FIFO" check
refused "enable" state "a FIFO" enable --to $NEW4 --no-probe
is "... nothing was installed" "$(in_old nft list tables)" ""
refused "disable --now" state "a FIFO" disable --now
rm "$STATE/state"
mkdir "$STATE/state"
refused "stats with a directory named state" state "a directory" stats
rmdir "$STATE/state"
ln -s /etc/hostname "$STATE/state"
refused "stats with a symlink named state" state "a symlink" stats
rm "$STATE/state"

rm -f "$STATE/lock"
mkfifo "$STATE/lock"
refused "enable with a FIFO named lock" lock "a FIFO" enable --to $NEW4 --no-probe
refused "stats with a FIFO named lock" lock "a FIFO" stats
rm "$STATE/lock"

# ---- a redirect in place ----
redirect enable --to $NEW4 --no-probe >/dev/null 2>&1 || bail "enable"
table_before=$(our_table)
# enable's outcome, kept in state.pending until the next durable write: put
# aside for the FIFO, and back after it
mv "$STATE/state.pending" "$WORK/state.pending"
mkfifo "$STATE/state.pending"
refused "enable with a FIFO named state.pending" state.pending "a FIFO" \
	enable --to $NEW4 --service smtp --no-probe
is "... nothing changed in the kernel" "$(our_table)" "$table_before"
refused "stats" state.pending "a FIFO" stats
refused "disable --now" state.pending "a FIFO" disable --now
like "... the redirect is still in place" "$(in_old nft list tables)" "inet mail_redirect"
out=$(bounded restore)
is "... and the lock was not kept: the next run gets it (and refuses the same)" \
	"$(grep -c "state.pending is a FIFO" <<<"$out")" 1
rm "$STATE/state.pending"
mv "$WORK/state.pending" "$STATE/state.pending"

rm "$STATE/state.last-good"
mkfifo "$STATE/state.last-good"
refused "enable (a switch) with a FIFO named state.last-good" state.last-good "a FIFO" \
	enable --to $NEW4 --service smtp --no-probe
is "... nothing changed in the kernel" "$(our_table)" "$table_before"
rm "$STATE/state.last-good"

mkfifo "$STATE/names"
refused "stats with a FIFO named names (the PTR cache)" names "a FIFO" stats
is "... in one message, not a warning before it" "$(bounded stats | wc -l)" 1
refused "check" names "a FIFO" check
is "... the FIFO is left as it was" "$(stat -c %F "$STATE/names")" "fifo"
rm "$STATE/names"
mkdir "$STATE/names"
refused "stats with a directory named names" names "a directory" stats
is "... in one message" "$(bounded stats | wc -l)" 1
rmdir "$STATE/names"

# the accounts (kept on a new server): the same, whatever the host's role
mkfifo "$STATE/accounts"
refused "stats with a FIFO named accounts" accounts "a FIFO" stats
is "... in one message" "$(bounded stats | wc -l)" 1
refused "disable --now" accounts "a FIFO" disable --now
like "... the redirect is still in place" "$(in_old nft list tables)" "inet mail_redirect"
rm "$STATE/accounts"
mkdir "$STATE/accounts"
refused "check with a directory named accounts" accounts "a directory" check
rmdir "$STATE/accounts"

# ---- a damaged state is set aside: not over a FIFO ----
echo "garbage" >"$STATE/state"
mkfifo "$STATE/state.damaged"
refused "disable with a damaged state and a FIFO named state.damaged" state.damaged "a FIFO" \
	disable --now
rm "$STATE/state.damaged"
out=$(bounded disable --now)
is "... without it, disable sets the damaged state aside and removes the redirect" "$?" 0
is "... the table is gone" "$(in_old nft list tables)" ""
