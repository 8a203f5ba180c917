#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/demo, the README's first command: it runs through, and leaves
# this host's ruleset, settings and namespaces as they were, also when it
# is interrupted halfway.
set -u
. "$(dirname "$0")/../tap.sh"
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }

top=${TESTS_SRCDIR:-$(dirname "$0")/..}/..
# The demo's namespaces get a prefix of their own: other tests may be
# making and removing theirs at the same time.
export LAB_PREFIX=rdemo$$
host() {	# what the demo must not change on this host
	nft list ruleset 2>&1
	ip netns list | grep -- "$LAB_PREFIX"
	ls /etc/netns 2>/dev/null | grep -- "$LAB_PREFIX"
	sysctl net.ipv4.ip_forward net.ipv6.conf.all.forwarding 2>&1
}
before=$(host)
out=$(REDIRECT=${REDIRECT:-$top/src/redirect} timeout 300 "$top/scripts/demo" 2>&1)
is "the demo runs through" "$?" 0
grep -q "IMAP at OLD's address now reads NEW's mailbox" <<<"$out" &&
	grep -q "during-2@example.net" <<<"$out" && ok "... and shows the mail moving to NEW" ||
	not_ok "... and shows the mail moving to NEW" "$out"
grep -q "550 5.7.23" <<<"$out" && ok "... the mail masquerade loses (SPF 550 5.7.23)" ||
	not_ok "... the mail masquerade loses (SPF 550 5.7.23)" "$out"
grep -q "Received-SPF: Pass" <<<"$out" && ok "... and SPF passing through the tunnel" ||
	not_ok "... and SPF passing through the tunnel" "$out"
is "... and leaves the host as it was" "$(host)" "$before"

# A real Ctrl-C, typed into the terminal the demo runs on, while the mail
# servers run (step 4). (A script's background jobs ignore SIGINT, so a
# plain kill -INT would not be one.)
log=$(mktemp)
{
	for i in $(seq 600); do
		grep -q '\[4/13\]' "$log" && break
		sleep 0.05
	done
	printf '\003'
	for i in $(seq 400); do		# stdin stays open until the demo has cleaned up
		grep -q 'this host is as it was' "$log" && break
		sleep 0.05
	done
} | REDIRECT=${REDIRECT:-$top/src/redirect} SHELL=/bin/sh timeout 60 script -qfec "exec $top/scripts/demo" "$log" >/dev/null 2>&1
rc=${PIPESTATUS[1]}
is "Ctrl-C ends the demo" "$rc" 130
grep -q '\[5/13\]' "$log" && not_ok "... before its end" "$(cat "$log")" || ok "... before its end"
is "... and it removed everything it made" "$(host)" "$before"
rm -f "$log"
tap_end
