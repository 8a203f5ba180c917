# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Installs the Debian packages the project's scripts need, only those
# missing. Services that come with a package (prometheus, postfix, ...)
# are not started: these are tools for the tests, not daemons for the host.

# The packages for building and for the whole test suite.
BUILD_PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	libnftnl-dev libmnl-dev libnetfilter-conntrack-dev libcap-ng-dev libcmocka-dev
)
TEST_PACKAGES=(
	nftables conntrack iproute2 socat util-linux procps coreutils jq prometheus systemd
)

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
	if [ ! -e "$guard" ]; then
		printf '#!/bin/sh\n# placed by redirect scripts/deps.sh during an install\nexit 101\n' >"$guard"
		chmod 755 "$guard"
		placed=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"
	rc=$?
	[ $placed = 1 ] && rm -f "$guard"
	return $rc
}
