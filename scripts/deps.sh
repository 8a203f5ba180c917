# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Installs the Debian packages the project's scripts need, only those
# missing. Services that come with a package (prometheus, postfix, ...)
# are not started: these are tools for the tests, not daemons for the host.

# The packages for building and for the whole test suite.
BUILD_PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	libnftnl-dev libmnl-dev libnetfilter-conntrack-dev libcap-ng-dev libcmocka-dev libssl-dev
	libsystemd-dev
)
TEST_PACKAGES=(
	nftables conntrack iproute2 socat util-linux procps coreutils jq prometheus systemd
	bash-completion groff-base strace python3 iptables ufw
	systemd-journal-remote
)
# Real mail servers for the rehearsal (tests/netns/mail.sh and scripts/demo),
# Debian's SPF policy for NEW, a web server for MTA-STS policies
# (tests/netns/mta-sts.sh), and real DNS servers (tests/netns/dns.sh; bind9-utils
# signs zones; unbound validates for tests/netns/tls.sh).
MAIL_PACKAGES=(postfix dovecot-imapd dovecot-pop3d curl openssl postfix-policyd-spf-python nginx)
DNS_PACKAGES=(nsd dnsutils bind9-utils unbound)
# Building and checking the Debian package (tests/package.sh, tests/debian.sh).
PACKAGE_PACKAGES=(debhelper dpkg-dev lintian devscripts man-db)
# Fuzzing, sanitizers and the leak check.
CHECK_PACKAGES=(clang libclang-rt-14-dev valgrind)

missing_packages() {	# missing_packages PACKAGE...: prints those not installed
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			echo "$p"
	done
}

install_packages() {	# install_packages PACKAGE...
	local missing guard=/usr/sbin/policy-rc.d placed=0 rc
	mapfile -t missing < <(missing_packages "$@")
	[ ${#missing[@]} = 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "missing Debian packages: ${missing[*]} (run as root to install them)" >&2
		return 1
	fi
	echo "==> installing ${missing[*]}"
	# postfix would otherwise ask what kind of mail system this host is,
	# and write /etc/postfix/main.cf; the lab brings its own configuration
	echo "postfix postfix/main_mailer_type select No configuration" |
		debconf-set-selections 2>/dev/null
	if [ ! -e "$guard" ]; then
		printf '#!/bin/sh\n# placed by redirect scripts/deps.sh during an install\nexit 101\n' >"$guard"
		chmod 755 "$guard"
		placed=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"
	rc=$?
	[ $placed = 1 ] && rm -f "$guard"
	disable_services "${missing[@]}"
	return $rc
}

# The daemons that came with a package just installed here stay off at
# boot too: the tests and the demo run their own instances, never these.
disable_services() {	# disable_services PACKAGE...
	local p unit
	for p in "$@"; do
		case $p in
		postfix) unit=postfix ;;
		dovecot-*) unit=dovecot ;;
		prometheus) unit=prometheus ;;
		nsd) unit=nsd ;;
		unbound) unit=unbound ;;
		nginx) unit=nginx ;;
		haproxy) unit=haproxy ;;
		rinetd) unit=rinetd ;;
		*) continue ;;
		esac
		if command -v systemctl >/dev/null; then
			systemctl disable "$unit.service" >/dev/null 2>&1
		elif command -v update-rc.d >/dev/null; then
			update-rc.d "$unit" disable >/dev/null 2>&1
		fi
	done
	return 0
}
