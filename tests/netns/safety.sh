#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Never break the host: nothing outside our table is touched, enable twice
# changes nothing, dry runs change nothing, bad input changes nothing, and
# disable leaves the ruleset and settings exactly as they were.
. "$(dirname "$0")/lib.sh"
lab_up
serve "$NS_NEW" new 25 143
ip -n "$NS_NEW" addr add 198.51.100.3/24 dev "${P}n0"

# Somebody else's table, with a set, a base chain, a rule and a counter.
in_old nft -f - <<'NFT'
table inet foreign {
	set admins { type ipv4_addr; elements = { 192.0.2.7 } }
	chain input {
		type filter hook input priority 10; policy accept;
		ip saddr @admins tcp dport 22 accept
	}
}
table ip legacy_nat {
	chain post { type nat hook postrouting priority 50; policy accept; }
}
NFT
foreign_before=$(in_old nft -a list table inet foreign)
ruleset_before=$(ruleset "$NS_OLD")
sysctls_before=$(sysctls "$NS_OLD")

state_snapshot() { (cd "$STATE" && ls -la --time-style=full-iso . && cat state 2>/dev/null) 2>&1; }

# ---- dry run, with nothing installed ----
state_before=$(state_snapshot)
out=$(redirect enable --to $NEW4 --to $NEW6 --dry-run --no-probe 2>&1)
is "dry run succeeds" "$?" 0
like "dry run prints the table in nft syntax" "$out" "table inet mail_redirect \{"
like "dry run says the kernel checked it" "$out" "the kernel accepted this; nothing was changed"
is "dry run leaves the ruleset as it was" "$(ruleset "$NS_OLD")" "$ruleset_before"
is "dry run leaves the settings as they were" "$(sysctls "$NS_OLD")" "$sysctls_before"
is "dry run leaves the state directory as it was" "$(state_snapshot)" "$state_before"
out=$(redirect enable --to $NEW4 --service 9 --dry-run --no-probe 2>&1)
is "dry run of a port nobody would use still works" "$?" 0

# ---- enable, and again ----
redirect enable --to $NEW4 --service smtp --no-probe >/dev/null
is "enable succeeds" "$?" 0
is "enable leaves the foreign table alone" "$(in_old nft -a list table inet foreign)" "$foreign_before"
installed=$(our_table)
out=$(redirect enable --to $NEW4 --service 25 --no-probe 2>&1)
is "enable again with the same request succeeds" "$?" 0
like "enable again says nothing changed" "$out" "already enabled with these settings; nothing changed"
is "enable again changes nothing, not even a handle" "$(our_table)" "$installed"

# ---- dry run with something installed ----
state_before=$(state_snapshot)
out=$(redirect enable --to $NEW4 --to $NEW6 --dry-run --no-probe 2>&1)
is "dry run of a switch succeeds" "$?" 0
is "dry run of a switch changes nothing" "$(our_table)" "$installed"
is "dry run of a switch leaves the state as it was" "$(state_snapshot)" "$state_before"

# ---- switching ----
banner $OLD4 25 >/dev/null
banner $OLD4 25 >/dev/null
smtp_count() { in_old nft list counter inet mail_redirect smtp | awk '/packets/ { print $2 }'; }
is "two connections counted" "$(smtp_count)" 2
redirect enable --to 198.51.100.3 --to $NEW6 --service smtp,imap --no-probe >/dev/null
is "switching succeeds" "$?" 0
is "the switch keeps the connection counter" "$(smtp_count)" 2
is "after the switch, smtp still lands on NEW" "$(banner $OLD4 25)" "220 new $OLDN4"
like "... at the new target address" "$(in_old conntrack -L -p tcp --dport 25 2>/dev/null)" \
	"src=198.51.100.3"
is "after the switch, imap is redirected too" "$(banner $OLD4 143)" "220 new $OLDN4"
is "after the switch, IPv6 is redirected too" "$(banner $OLD6 25)" "220 new [$(full6 $OLDN6)]"
is "the counter goes on from where it was" "$(smtp_count)" 4
is "the switch leaves the foreign table alone" "$(in_old nft -a list table inet foreign)" "$foreign_before"

# ---- refusals: exit 2, a message naming the value, nothing changed ----
installed=$(our_table)
state_before=$(state_snapshot)
long=$(printf 'x%.0s' $(seq 5000))
refuse() {	# refuse "PATTERN" ARGS...: exit 2, message matching PATTERN
	local pattern=$1 out rc
	shift
	out=$(redirect "$@" 2>&1)
	rc=$?
	if [ "$rc" = 2 ] && printf '%s' "$out" | grep -qE -- "$pattern"; then
		ok "refused: $*"
	else
		not_ok "refused: ${*:0:80}" "exit $rc (want 2)" "$out" "want message: $pattern"
	fi
}
refuse "'mail.example.com' is a host name" enable --to mail.example.com
refuse "'198.51.100.0/24' is a prefix" enable --to 198.51.100.0/24
refuse "'0.0.0.0' is the unspecified address" enable --to 0.0.0.0
refuse "'::' is the unspecified address" enable --to ::
refuse "'127.0.0.1' is a loopback address" enable --to 127.0.0.1
refuse "'::1' is the loopback address" enable --to ::1
refuse "'224.0.0.1' is a multicast address" enable --to 224.0.0.1
refuse "'ff02::1' is a multicast address" enable --to ff02::1
refuse "'255.255.255.255' is the broadcast address" enable --to 255.255.255.255
refuse "'169.254.5.2' is a link-local address" enable --to 169.254.5.2
refuse "'198.51.100.255' is the broadcast address of this host's subnet 198.51.100.0/24 on " enable --to 198.51.100.255 --no-probe
refuse "'203.0.113.0' is the network address of this host's subnet 203.0.113.0/24" enable --to 203.0.113.0 --no-probe
refuse "'$OLD4' is an address of this host" enable --to $OLD4
refuse "'$OLDN6' is an address of this host" enable --to $OLDN6
refuse "'198.51.100.3' is a second IPv4 target" enable --to $NEW4 --to 198.51.100.3
refuse "'2001:db8:2::3' is a second IPv6 target" enable --to $NEW6 --to 2001:db8:2::3
refuse "'http' is not a service" enable --to $NEW4 --service http
refuse "'0' is not a port number" enable --to $NEW4 --service 0
refuse "'65536' is not a port number" enable --to $NEW4 --service 65536
refuse "'192.0.2.1/24' has host bits set" enable --to $NEW4 --exclude 192.0.2.1/24
refuse "'300.1.1.1' is not an address or prefix" enable --to $NEW4 --exclude 300.1.1.1
refuse "'0.0.0.0/0' would exclude every client" enable --to $NEW4 --exclude 0.0.0.0/0
refuse "'0': the duration must be at least 1s" enable --to $NEW4 --remember 0
refuse "'5x' is not a duration" enable --to $NEW4 --remember 5x
refuse "'999d' is longer than the limit" enable --to $NEW4 --remember 999d
refuse "too long" enable --to "$long"
refuse "unknown option '--bogus'" enable --to $NEW4 --bogus
refuse "unknown option '--dry'" enable --to $NEW4 --dry
refuse "unexpected argument 'now'" enable --to $NEW4 now
refuse "--remember is given twice" enable --to $NEW4 --remember 1d --remember 2d
refuse "--to needs a value" enable --to
refuse "no target" enable --service smtp
refuse "unknown command 'frobnicate'" frobnicate
refuse "unknown command 'enabl'" enabl
refuse "'forever' is not a duration" disable --wait forever
refuse "unexpected argument 'now'" restore now
refuse "--wait and --now exclude each other" disable --wait 5s --now
refuse "--json and --prometheus exclude each other" stats --json --prometheus
refuse "--output goes with --json or --prometheus" stats --output /tmp/x
refuse "--json and --nagios exclude each other" check --json --nagios
is "after all the refusals the table is as it was" "$(our_table)" "$installed"
is "after all the refusals the state is as it was" "$(state_snapshot)" "$state_before"

# ---- privileges ----
out=$(in_old setpriv --inh-caps=-all --bounding-set=-net_admin \
	"$REDIRECT" --state-dir "$STATE" enable --to $NEW4 2>&1)
is "root without CAP_NET_ADMIN is refused with exit 1" "$?" 1
like "... naming the capability" "$out" "CAP_NET_ADMIN"
bindir=$(mktemp -d /tmp/redirect-bin.XXXXXX)
chmod 755 "$bindir"
cp "$REDIRECT" "$bindir/redirect"
out=$(in_old setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$bindir/redirect" --state-dir "$WORK/nobody" disable 2>&1)
is "an unprivileged user is refused with exit 1" "$?" 1
like "... naming the capability" "$out" "CAP_NET_ADMIN"
rm -rf "$bindir"
is "refused runs changed nothing" "$(our_table)" "$installed"

# ---- disable puts everything back ----
redirect disable >/dev/null
is "disable succeeds" "$?" 0
is "the ruleset after disable is the ruleset before enable" "$(ruleset "$NS_OLD")" "$ruleset_before"
is "the settings after disable are the settings before enable" "$(sysctls "$NS_OLD")" "$sysctls_before"
out=$(redirect disable 2>&1)
is "disable with nothing enabled succeeds" "$?" 0
like "... and says so" "$out" "nothing was enabled"

# ---- excludes written in the other family ----
out=$(redirect enable --to $NEW4 --exclude ::ffff:203.0.113.0/120 --no-probe 2>&1)
is "an IPv4-mapped exclude is accepted" "$?" 0
like "... as the IPv4 prefix it is" "$(our_table)" "elements = \{ 198.51.100.2, 203.0.113.0/24 \}"
is "... and a client in it is not redirected" "$(banner $OLD4 25)" ""
out=$(redirect enable --to $NEW4 --exclude 2001:db8:1::/64 --no-probe 2>&1)
like "an IPv6 exclude with only an IPv4 --to gets a note" "$(flat <<<"$out")" \
	"note: --exclude 2001:db8:1::/64 does nothing: IPv6 clients are not redirected \(no IPv6 --to\)"
redirect disable --now >/dev/null

# ---- a table of our name that is not ours ----
in_old nft add table inet mail_redirect
in_old nft add chain inet mail_redirect theirs
theirs=$(our_table)
out=$(redirect enable --to $NEW4 --no-probe 2>&1)
is "enable refuses a table of our name it did not make (exit 1)" "$?" 1
like "... and says why" "$out" "redirect did not make"
out=$(redirect disable 2>&1)
is "disable refuses it too" "$?" 1
is "their table is untouched" "$(our_table)" "$theirs"
