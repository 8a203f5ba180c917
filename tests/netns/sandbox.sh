#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What the units' sandbox leaves redirect is enough: restore, check and
# stats run as the units run them, with CAP_NET_ADMIN alone in the bounding
# set, no_new_privs, the whole filesystem read-only but the state directory
# (ProtectSystem=strict, ReadWritePaths=), /proc/sys read-only but
# /proc/sys/net for restore (ProtectKernelTunables=, ReadWritePaths=).
# (PrivateTmp= does not matter: redirect writes nothing there. The system call filter needs systemd to apply it; its
# lists are the systemd-analyze rated ones, and capset, which redirect
# calls, is kept.)
. "$(dirname "$0")/lib.sh"
lab_up
command -v setpriv >/dev/null && command -v unshare >/dev/null || bail "util-linux is missing"
serve "$NS_NEW" new 25

# sandboxed RW-PROC-NET ARGS...: redirect in OLD's namespace, sandboxed as a unit
sandboxed() {
	local net=$1
	shift
	ip netns exec "$NS_OLD" unshare -m --propagation private sh -eu -c '
		state=$1 net=$2 redirect=$3
		shift 3
		for m in $(awk "{ print \$2 }" /proc/self/mounts | sort -u); do
			case $m in /proc*|/sys*|/dev*) continue ;; esac
			mount -o remount,bind,ro "$m" 2>/dev/null ||
				{ mount --bind "$m" "$m" && mount -o remount,bind,ro "$m"; }
		done
		mount --bind "$state" "$state" && mount -o remount,bind,rw "$state"
		mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys
		if [ "$net" = rw ]; then
			mount --bind /proc/sys/net /proc/sys/net && mount -o remount,bind,rw /proc/sys/net
		fi
		exec setpriv --bounding-set=-all,+net_admin --inh-caps=-all --no-new-privs \
			"$redirect" --state-dir "$state" "$@"
	' sandbox "$STATE" "$net" "$REDIRECT" "$@"
}

check "the sandbox itself holds: nothing else is writable" \
	sh -c "! ip netns exec $NS_OLD unshare -m sh -c 'mount -o remount,bind,ro / && touch /x-sandbox-probe' 2>/dev/null"
redirect enable --to $NEW4 --service smtp --no-probe >/dev/null 2>&1 || bail "enable failed"
banner $OLD4 25 >/dev/null

# restore, as redirect-restore.service: after a flush, with forwarding off
in_old nft delete table inet mail_redirect
in_old sysctl -qw net.ipv4.ip_forward=0
out=$(sandboxed rw restore 2>&1)
is "restore in the unit's sandbox: exit 0" "$?" 0
like "... brings the redirect back and switches forwarding on" "$out" \
	"restored the redirect and switched forwarding back on"
is "... it is on" "$(in_old sysctl -n net.ipv4.ip_forward)" 1
is "... and the client reaches NEW" "$(banner $OLD4 25)" "220 new $OLDN4"

# without /proc/sys/net writable, restore would say why (not fail silently)
in_old sysctl -qw net.ipv4.ip_forward=0
out=$(sandboxed ro restore 2>&1)
is "restore without /proc/sys/net writable fails (exit 1)" "$?" 1
like "... naming the setting it could not write" "$out" "cannot write /proc/sys/net/ipv4/ip_forward"
redirect restore >/dev/null 2>&1

# check and stats, as redirect-check.service and redirect-metrics.service
out=$(sandboxed ro check --quiet-for 1s 2>&1)
rc=$?
[ $rc = 0 ] || [ $rc = 1 ]
is "check in the sandbox gives a verdict (exit 0 or 1, not 3)" "$?" 0
unlike "... with no complaint" "$out" "cannot|warning"
out=$(sandboxed ro stats --prometheus 2>&1)
is "stats --prometheus in the sandbox: exit 0" "$?" 0
like "... with its figures" "$out" '^redirect_connections_total\{service="smtp",port="25"\} 1$'
unlike "... and the last-seen time saved (no warning)" "$out" "warning"
redirect disable --now >/dev/null
