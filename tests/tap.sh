# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# TAP for the shell tests: one "ok N - what" line per check, which the
# automake TAP driver counts. Sourced by every test script.

TAP_N=0
TAP_FAILED=0

ok() {		# ok DESCRIPTION: a passed check
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1"
}

not_ok() {	# not_ok DESCRIPTION [DETAIL...]
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"
	shift
	local line
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/#   /'
	done
}

skip() {	# skip DESCRIPTION REASON: a check that cannot run here
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}

check() {	# check DESCRIPTION COMMAND...: ok when the command succeeds
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$what"; else not_ok "$what" "command: $*" "$out"; fi
}

check_fails() {	# check_fails DESCRIPTION COMMAND...: ok when the command fails
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then not_ok "$what" "command succeeded: $*" "$out"; else ok "$what"; fi
}

is() {		# is DESCRIPTION GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:  $2" "want: $3"; fi
}

like() {	# like DESCRIPTION TEXT PATTERN (grep -E)
	if printf '%s' "$2" | grep -qE -- "$3"; then ok "$1"; else not_ok "$1" "text: $2" "does not match: $3"; fi
}

unlike() {	# unlike DESCRIPTION TEXT PATTERN
	if printf '%s' "$2" | grep -qE -- "$3"; then not_ok "$1" "text: $2" "matches: $3"; else ok "$1"; fi
}

tap_end() {	# the plan, and the status: failed when any check failed
	echo "1..$TAP_N"
	[ "$TAP_FAILED" = 0 ]
}
