# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The lab every netns test builds for itself and removes again:
#
#   client   203.0.113.10   2001:db8:1::10
#      |  veth
#   old      203.0.113.1    2001:db8:1::1     (runs redirect; forwards)
#            198.51.100.1   2001:db8:2::1
#      |  veth
#   new      198.51.100.2   2001:db8:2::2     (the new mail server)
#
# Documentation addresses only (RFC 5737, RFC 3849); traffic never leaves
# these namespaces. Every process a test starts is recorded by PID and
# stopped by PID on exit, however the test ends.
#
# Output is TAP: one "ok N - what" line per check.
#
# How a test stays fast. scripts/test runs these tests once, two per core
# at a time, in the order of Makefile.am's netns_tests, slowest first:
# time a new test alone (`time make check TESTS=tests/netns/NEW.sh`) and
# list it by its time.
#  - Never sleep for something to happen: wait_until SECONDS COMMAND for it
#    (a port: wait_listening; a log or output line: grep -q; a counter:
#    stats --json; a closed session: no_open_session PORT; a daemon's
#    queue: mail_client_queued).
#  - Where time itself is the subject (a quiet period, a TTL), take the
#    shortest the tool allows (--quiet-for 1s) and count it from the event,
#    on the tool's own clock where it has one (mark/wait_since; since and
#    dns_clean_since in the state file), not as a sleep after other steps.
#  - A connection that must get no answer: 1-2 s is plenty, or start it in
#    the background and wait for the counter of the rule that drops it.
#    Background work that has shown what is checked: stop it, rather than
#    waiting out its timeout.
#  - One lab and one set of servers per test (a lab costs ~0.2 s, Postfix
#    and Dovecot ~0.5 s, NSD ~0.1 s): add checks that do not interfere to
#    the test whose lab they fit, rather than a new test building the same.
#  - Few processes in loops: one `ip netns exec NS sh -c '...'` for a batch
#    of reads (host_state), one awk for many files, no `$(cat FILE)` each.

set -u

OLD4=203.0.113.1 OLD6=2001:db8:1::1
OLDN4=198.51.100.1 OLDN6=2001:db8:2::1
NEW4=198.51.100.2 NEW6=2001:db8:2::2
CLIENT4=203.0.113.10 CLIENT6=2001:db8:1::10
MAIL_PORTS="25 110 143 465 587 993 995"

REDIRECT=${REDIRECT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/src/redirect}
P=${LAB_PREFIX:-rt$$}
NS_CLIENT=$P-client NS_OLD=$P-old NS_NEW=$P-new
WORK=$(mktemp -d /tmp/redirect-test.XXXXXX)
STATE=$WORK/state
PIDS=()
EXTRA_NS=()
LAB_CLEANUP=()	# functions lab_down runs first, the last added first (mail.sh)
LAB_ETC=()	# the /etc/netns/NS directories lab_netns made
LAB_HAD_NETNS_DIR=0
[ -d /etc/netns ] && LAB_HAD_NETNS_DIR=1

# ---- TAP ----

. "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"

skip_all() {
	echo "1..0 # SKIP $*"
	TAP_SKIPPED=1
	exit 0
}

bail() {
	echo "Bail out! $*"
	exit 1
}

flat() { tr '\n' ' ' | sed 's/  */ /g'; }	# a message wrapped over lines, as one

# ---- waiting: on a condition, never for a fixed time ----
# A sleep "long enough" is too long on an idle machine and too short on a
# busy one. Wait for what the next check needs: a port listening, a log
# line, a counter, a conntrack entry gone. Where time itself is the subject
# (a quiet period, a TTL), count it from the event with mark/wait_since.

# Runs COMMAND every 0.1 s until it succeeds. After SECONDS it gives up,
# says on the TAP output what it waited for, and fails: the check that
# follows then fails with what it got.
wait_until() {	# wait_until SECONDS COMMAND...
	local end=$((${EPOCHREALTIME//[^0-9]/} + $1 * 1000000))
	shift
	until "$@" >/dev/null 2>&1; do
		if [ "${EPOCHREALTIME//[^0-9]/}" -ge "$end" ]; then
			echo "# gave up waiting for: $*"
			return 1
		fi
		sleep 0.1
	done
}

# Whether process PID has ended (a child not yet waited for counts:
# kill -0 would still find it).
not_running() {	# not_running PID
	case $(ps -o stat= -p "$1" 2>/dev/null) in "" | Z*) return 0 ;; esac
	return 1
}

mark() {	# mark NAME: the time now, in milliseconds, into the variable NAME
	local t=${EPOCHREALTIME//[^0-9]/}
	printf -v "$1" %s "$((t / 1000))"
}

wait_since() {	# wait_since MARK MILLISECONDS: sleeps until they have passed since MARK
	local t=${EPOCHREALTIME//[^0-9]/} left
	left=$(($1 + $2 - t / 1000))
	[ "$left" -le 0 ] || sleep "$((left / 1000)).$(printf %03d $((left % 1000)))"
}

# Whether OLD's conntrack holds a TCP session to PORT in a state redirect
# counts as open (what disable waits for): none once the session is closed.
no_open_session() {	# no_open_session PORT
	! ip netns exec "$NS_OLD" conntrack -L -p tcp --dport "$1" 2>/dev/null |
		grep -qE 'ESTABLISHED|FIN_WAIT|CLOSE_WAIT|LAST_ACK'
}

# ---- the lab ----

# Each spawned process leads its own process group (setsid), so stopping
# it by its PID also stops what it forked (a server's per-connection
# children), which would otherwise hold the test's output open.
lab_down() {
	local pid ns i d
	for ((i = ${#LAB_CLEANUP[@]} - 1; i >= 0; i--)); do
		"${LAB_CLEANUP[i]}"
	done
	for pid in "${PIDS[@]}"; do
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	for ns in "$NS_CLIENT" "$NS_OLD" "$NS_NEW" "${EXTRA_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	for d in "${LAB_ETC[@]}"; do
		rm -rf "$d"
	done
	[ "$LAB_HAD_NETNS_DIR" = 0 ] && rmdir /etc/netns 2>/dev/null
	rm -rf "$WORK"
}

# On any exit: the lab goes, the plan is printed, and the exit status says
# whether every check passed (an EXIT trap's own return would not).
finish() {
	local status=$?
	trap - EXIT
	lab_down
	[ "$TAP_SKIPPED" = 1 ] && exit 0
	echo "1..$TAP_N"
	[ "$TAP_FAILED" = 0 ] && [ "$status" = 0 ] && exit 0
	exit 1
}
TAP_SKIPPED=0
trap finish EXIT

lab_require() {
	[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
	local tool
	for tool in ip nft socat conntrack setpriv timeout; do
		command -v "$tool" >/dev/null || bail "$tool is missing (scripts/test installs it)"
	done
	[ -x "$REDIRECT" ] || bail "no binary at $REDIRECT; run make first"
}

# The lab's own wires skip IPv6 duplicate address detection: until a fresh
# link-local address has passed it (a second or two), the kernel sends no
# neighbour solicitation from that link, and the first IPv6 packet forwarded
# there waits. A real host's links passed it long ago. Links that redirect
# makes itself (the tunnel) keep the kernel's defaults.
link() {	# link NS_A IF_A NS_B IF_B
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || bail "veth $2"
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.accept_dad=0"
	ip netns exec "$3" sysctl -qw "net.ipv6.conf.$4.accept_dad=0"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

addr() {	# addr NS IF ADDRESS/LEN...
	local ns=$1 dev=$2 a
	shift 2
	for a in "$@"; do
		case $a in
		*:*) ip -n "$ns" addr add "$a" dev "$dev" nodad ;;
		*) ip -n "$ns" addr add "$a" dev "$dev" ;;
		esac
	done
}

# A namespace of the lab, up, with a resolv.conf of its own: a name lookup
# (stats' PTR names) goes to its loopback, never to the host's resolver's
# address. mail.sh and dns.sh write their own over it where they need DNS.
lab_netns() {	# lab_netns NS
	local d=/etc/netns/$1
	ip netns add "$1" || bail "cannot add namespace $1"
	ip -n "$1" link set lo up
	[ -e "$d" ] && return 0
	mkdir -p "$d" || bail "cannot create $d"
	LAB_ETC+=("$d")
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$d/resolv.conf"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$d/hosts"
}

lab_up() {
	lab_require
	trap 'exit 130' INT TERM
	local ns
	for ns in "$NS_CLIENT" "$NS_OLD" "$NS_NEW"; do
		lab_netns "$ns"
	done
	# A new namespace copies its IPv4 settings from the host (a Docker host
	# forwards): OLD starts as a freshly booted server would, forwarding off.
	ip netns exec "$NS_OLD" sysctl -qw net.ipv4.ip_forward=0 ||
		bail "cannot reset forwarding in $NS_OLD"
	link "$NS_CLIENT" "${P}c0" "$NS_OLD" "${P}o0"
	link "$NS_OLD" "${P}o1" "$NS_NEW" "${P}n0"
	addr "$NS_CLIENT" "${P}c0" "$CLIENT4/24" "$CLIENT6/64"
	addr "$NS_OLD" "${P}o0" "$OLD4/24" "$OLD6/64"
	addr "$NS_OLD" "${P}o1" "$OLDN4/24" "$OLDN6/64"
	addr "$NS_NEW" "${P}n0" "$NEW4/24" "$NEW6/64"
	ip -n "$NS_CLIENT" route add default via "$OLD4"
	ip -n "$NS_CLIENT" -6 route add default via "$OLD6"
	ip -n "$NS_NEW" route add default via "$OLDN4"
	ip -n "$NS_NEW" -6 route add default via "$OLDN6"
	mkdir -p "$STATE"
}

# The lab of a real migration, where NEW is elsewhere on the internet:
#
#   client 203.0.113.10   2001:db8:1::10  --+
#   old    198.51.100.1   2001:db8:2::1   --+-- router (the internet)
#   new    192.0.2.2      2001:db8:3::2   --+
#
# Each host has one interface and its default route to the router; NEW
# does not route through OLD. The router drops packets with the client's
# source addresses from anywhere but the client's side (no spoofing), and
# the ICMP that path-MTU discovery needs (as many networks do). OLD and NEW
# have strict rp_filter, as RHEL ships.
ROUTER_C4=203.0.113.254 ROUTER_C6=2001:db8:1::fe
ROUTER_O4=198.51.100.254 ROUTER_O6=2001:db8:2::fe
ROUTER_N4=192.0.2.254 ROUTER_N6=2001:db8:3::fe
lab4_up() {
	lab_require
	trap 'exit 130' INT TERM
	local ns
	NS_ROUTER=$P-router
	EXTRA_NS+=("$NS_ROUTER")
	OLD4=198.51.100.1 OLD6=2001:db8:2::1 NEW4=192.0.2.2 NEW6=2001:db8:3::2
	for ns in "$NS_CLIENT" "$NS_OLD" "$NS_NEW" "$NS_ROUTER"; do
		lab_netns "$ns"
	done
	for ns in "$NS_OLD" "$NS_NEW"; do	# strict, before any interface exists
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=1 \
			net.ipv4.conf.default.rp_filter=1 net.ipv4.ip_forward=0 ||
			bail "cannot set up $ns"
	done
	ip netns exec "$NS_ROUTER" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 >/dev/null
	link "$NS_CLIENT" "${P}c0" "$NS_ROUTER" "${P}rc"
	link "$NS_OLD" "${P}o0" "$NS_ROUTER" "${P}ro"
	link "$NS_NEW" "${P}n0" "$NS_ROUTER" "${P}rn"
	addr "$NS_ROUTER" "${P}rc" "$ROUTER_C4/24" "$ROUTER_C6/64"
	addr "$NS_ROUTER" "${P}ro" "$ROUTER_O4/24" "$ROUTER_O6/64"
	addr "$NS_ROUTER" "${P}rn" "$ROUTER_N4/24" "$ROUTER_N6/64"
	addr "$NS_CLIENT" "${P}c0" "$CLIENT4/24" "$CLIENT6/64"
	addr "$NS_OLD" "${P}o0" "$OLD4/24" "$OLD6/64"
	addr "$NS_NEW" "${P}n0" "$NEW4/24" "$NEW6/64"
	ip -n "$NS_CLIENT" route add default via "$ROUTER_C4"
	ip -n "$NS_CLIENT" -6 route add default via "$ROUTER_C6"
	ip -n "$NS_OLD" route add default via "$ROUTER_O4"
	ip -n "$NS_OLD" -6 route add default via "$ROUTER_O6"
	ip -n "$NS_NEW" route add default via "$ROUTER_N4"
	ip -n "$NS_NEW" -6 route add default via "$ROUTER_N6"
	ip netns exec "$NS_ROUTER" nft -f - <<-EOF || bail "cannot set up the router's filter"
	table inet internet {
		chain forward {
			type filter hook forward priority filter; policy accept;
			iifname != "${P}rc" ip saddr 203.0.113.0/24 counter drop comment "spoofed client"
			iifname != "${P}rc" ip6 saddr 2001:db8:1::/64 counter drop comment "spoofed client"
			icmp type destination-unreachable icmp code frag-needed counter drop comment "pmtu"
			icmpv6 type packet-too-big counter drop comment "pmtu"
		}
	}
	EOF
	mkdir -p "$STATE"
	# each end of the tunnel keeps its own state
	STATE_NEW=$WORK/state-new
	mkdir -p "$STATE_NEW"
}

# A second new server on the internet (a switch of --to), IPv6 only: the
# lab's IPv4 documentation ranges are taken. Call after lab4_up.
NEW2_6=2001:db8:4::2 ROUTER_N2_6=2001:db8:4::fe
lab4_new2_up() {
	NS_NEW2=$P-new2
	EXTRA_NS+=("$NS_NEW2")
	lab_netns "$NS_NEW2"
	ip netns exec "$NS_NEW2" sysctl -qw net.ipv4.conf.all.rp_filter=1 \
		net.ipv4.conf.default.rp_filter=1 || bail "cannot set up $NS_NEW2"
	link "$NS_NEW2" "${P}m0" "$NS_ROUTER" "${P}rm"
	addr "$NS_ROUTER" "${P}rm" "$ROUTER_N2_6/64"
	addr "$NS_NEW2" "${P}m0" "$NEW2_6/64"
	ip -n "$NS_NEW2" -6 route add default via "$ROUTER_N2_6"
	STATE_NEW2=$WORK/state-new2
	mkdir -p "$STATE_NEW2"
}
redirect_new2() { ip netns exec "$NS_NEW2" "$REDIRECT" --state-dir "$STATE_NEW2" "$@"; }

# redirect in NEW's namespace, with NEW's own state.
redirect_new() { ip netns exec "$NS_NEW" "$REDIRECT" --state-dir "$STATE_NEW" "$@"; }

# The tunnel id accept's output names, for enable --tunnel-id ("" when none).
tunnel_id_of() { sed -n 's/.*--tunnel-id \([0-9][0-9]*\).*/\1/p' | head -n 1; }
in_router() { ip netns exec "$NS_ROUTER" "$@"; }

# What a host's networking is, for before/after comparisons: the ruleset,
# links, addresses, rules, every routing table, the settings we touch.
# Link-local addresses are left out: the kernel's duplicate address
# detection changes them on its own clock.
host_state() {	# host_state NS
	# one shell in NS for all of it: tests compare hosts in loops
	ip netns exec "$1" sh -c '
		{
			nft list ruleset
			ip -d link show | sed "s/ promiscuity [0-9]*//"
			ip addr show | grep -v valid_lft
			ip rule show
			ip -6 rule show
			ip route show table all
			ip -6 route show table all
		} | grep -v -e fe80:: -e tentative
		exec awk "{ print FILENAME \"=\" \$0 }" '"$FORWARDING_SYSCTLS"' \
			/proc/sys/net/ipv4/conf/*/rp_filter'
}

# An empty namespace of the test's own, removed with the lab. Not to be
# called in $(...): the subshell would keep the record of it to itself.
scratch_ns() {	# scratch_ns NAME: sets SCRATCH to the namespace's name
	SCRATCH=$P-$1
	lab_netns "$SCRATCH"
	EXTRA_NS+=("$SCRATCH")
}

in_client() { ip netns exec "$NS_CLIENT" "$@"; }
in_old() { ip netns exec "$NS_OLD" "$@"; }
in_new() { ip netns exec "$NS_NEW" "$@"; }

# The redirect valgrind checks: this build's; but valgrind cannot run a
# build with sanitizers (whose LeakSanitizer and AddressSanitizer find
# leaks and bad accesses, though not reads of uninitialised memory), so
# there the build without them that scripts/test keeps for this
# (VALGRIND_REDIRECT), or "" when there is none.
valgrind_redirect() {
	if [ "${SANITIZERS:-no}" != yes ]; then
		echo "$REDIRECT"
	elif [ -n "${VALGRIND_REDIRECT:-}" ]; then
		[ -x "$VALGRIND_REDIRECT" ] || bail "no program at VALGRIND_REDIRECT=$VALGRIND_REDIRECT"
		echo "$VALGRIND_REDIRECT"
	fi
}

# redirect, always inside OLD's namespace and with the test's own state.
redirect() { ip netns exec "$NS_OLD" "$REDIRECT" --state-dir "$STATE" "$@"; }

# Runs COMMAND in the background in NS, in a process group of its own,
# output to the work directory, and records its PID.
spawn() {	# spawn NS COMMAND...
	local ns=$1
	shift
	setsid ip netns exec "$ns" "$@" >>"$WORK/spawned.log" 2>&1 </dev/null &
	PIDS+=("$!")
}

# A mail-ish server on each PORT in NS: a banner naming NAME and the peer
# it saw, then an echo of whatever comes in.
serve() {	# serve NS NAME PORT...
	local ns=$1 name=$2 port
	shift 2
	for port in "$@"; do
		spawn "$ns" socat "TCP4-LISTEN:$port,reuseaddr,fork" \
			"SYSTEM:echo 220 $name \$SOCAT_PEERADDR; exec cat"
		spawn "$ns" socat "TCP6-LISTEN:$port,ipv6only=1,reuseaddr,fork" \
			"SYSTEM:echo 220 $name \$SOCAT_PEERADDR; exec cat"
	done
	for port in "$@"; do
		wait_listening "$ns" "$port"
	done
}

# How a mail server of PORT's protocol greets: what the pre-flight probe
# expects ("220" SMTP, "+OK" POP3, "* OK" IMAP).
greeting() {	# greeting PORT
	case $1 in
	110 | 995) echo "+OK" ;;
	143 | 993) echo "* OK" ;;
	*) echo "220" ;;
	esac
}

# As serve, greeting as each port's protocol does, so the probe passes.
serve_mail() {	# serve_mail NS NAME PORT...
	local ns=$1 name=$2 port g
	shift 2
	for port in "$@"; do
		g=$(greeting "$port")
		spawn "$ns" socat "TCP4-LISTEN:$port,reuseaddr,fork" \
			"SYSTEM:set -f; echo $g $name \$SOCAT_PEERADDR; exec cat"
		spawn "$ns" socat "TCP6-LISTEN:$port,ipv6only=1,reuseaddr,fork" \
			"SYSTEM:set -f; echo $g $name \$SOCAT_PEERADDR; exec cat"
	done
	for port in "$@"; do
		wait_listening "$ns" "$port"
	done
}

wait_listening() {	# wait_listening NS PORT
	local i
	for i in $(seq 50); do
		ip netns exec "$1" ss -Htln "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	bail "nothing listens on port $2 in $1"
}

# The first line a client gets from ADDRESS:PORT ("" when nothing answers).
banner() {	# banner ADDRESS PORT
	local target
	case $1 in *:*) target="TCP6:[$1]:$2" ;; *) target="TCP4:$1:$2" ;; esac
	in_client timeout 5 socat -T 3 - "$target" </dev/null 2>/dev/null | head -n 1
}

# An IPv6 address written out in full, as socat reports peers.
full6() {	# full6 ADDRESS
	local head=${1%%::*} tail= h t x out=() i n
	[[ $1 == *::* ]] && tail=${1##*::}
	IFS=: read -ra h <<<"$head"
	IFS=: read -ra t <<<"$tail"
	n=$((8 - ${#h[@]} - ${#t[@]}))
	for x in "${h[@]}"; do out+=("$(printf %04x "0x$x")"); done
	for ((i = 0; i < n; i++)); do out+=(0000); done
	for x in "${t[@]}"; do out+=("$(printf %04x "0x$x")"); done
	(IFS=:; echo "${out[*]}")
}

# Long-lived client sessions through FIFOs: open, say a line, hear a line.
declare -A SESSION_IN SESSION_OUT
session_open() {	# session_open NAME ADDRESS PORT
	local name=$1 target fd_in fd_out
	case $2 in *:*) target="TCP6:[$2]:$3" ;; *) target="TCP4:$2:$3" ;; esac
	mkfifo "$WORK/$name.in" "$WORK/$name.out"
	setsid ip netns exec "$NS_CLIENT" socat -T 60 - "$target" \
		<"$WORK/$name.in" >"$WORK/$name.out" 2>/dev/null &
	PIDS+=("$!")
	exec {fd_in}>"$WORK/$name.in"
	exec {fd_out}<"$WORK/$name.out"
	SESSION_IN[$name]=$fd_in
	SESSION_OUT[$name]=$fd_out
}

session_say() {	# session_say NAME TEXT
	echo "$2" >&"${SESSION_IN[$1]}" 2>/dev/null
}

session_hear() {	# session_hear NAME: the next line, or "" after 5s
	local line=
	read -r -t 5 line <&"${SESSION_OUT[$1]}"
	echo "$line"
}

session_close() {	# session_close NAME
	exec {SESSION_IN[$1]}>&- {SESSION_OUT[$1]}<&-
	unset "SESSION_IN[$1]" "SESSION_OUT[$1]"
}

# Runs COMMAND in the background without the sessions' pipes (an inherited
# write end would keep a session from ever seeing its end), output to FILE.
# A program (not a shell function) is exec'd, so BACKGROUND_PID is its own
# and a signal sent there reaches it.
background() {	# background FILE COMMAND...
	local out=$1
	shift
	(
		for fd in "${SESSION_IN[@]}" "${SESSION_OUT[@]}"; do
			eval "exec $fd>&-"
		done
		if declare -F "$1" >/dev/null; then "$@"; else exec "$@"; fi
	) >"$out" 2>&1 &
	PIDS+=("$!")
	BACKGROUND_PID=$!
}

# The ruleset of a namespace, with handles, for before/after comparisons.
ruleset() { ip netns exec "$1" nft -a list ruleset; }

# Our table with handles, minus the expiry countdown of stale sources
# (which moves with the clock, not with anything we do).
our_table() {
	ip netns exec "$NS_OLD" nft -a list table inet mail_redirect | sed 's/ expires [0-9a-z]*//g'
}

# The forwarding-related settings: globs for a shell in the namespace.
FORWARDING_SYSCTLS='/proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/*/forwarding \
	/proc/sys/net/ipv4/conf/all/accept_redirects /proc/sys/net/ipv6/conf/*/forwarding \
	/proc/sys/net/ipv6/conf/*/accept_ra'
# (One awk for all the files: a process for each would cost the tests that
# compare hosts in a loop seconds.)
sysctls() {	# the forwarding-related settings of NS, one "FILE=VALUE" per line
	ip netns exec "$1" sh -c 'exec awk "{ print FILENAME \"=\" \$0 }" '"$FORWARDING_SYSCTLS"
}
