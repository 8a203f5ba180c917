# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Real authoritative DNS servers (NSD) in the lab's namespaces (source this
# after lib.sh). Each server has its own directory under $WORK/dns/NAME
# with its configuration, zone files, pid and log; NSD runs in the
# foreground (-d), spawned by lib.sh so that its PID is recorded and it is
# stopped with the lab. Nothing of the host's /etc/nsd is read or written,
# and no nsd.service is started.
#
#   dns_server NAME NS ADDRESS...   a server listening on those addresses
#   dns_zone NAME ZONE <<EOF ... EOF  a zone it serves (the zone file on stdin)
#   dns_start NAME                  start it; returns once it answers
#   dns_reload NAME ZONE SERIAL     reread changed zone files (SIGHUP)
#   dns_serial NAME ZONE            the serial it answers for ZONE
#   dns_resolver NS ADDRESS...      the resolv.conf of namespace NS
#   dns_sign ZONE                   DNSSEC: ZONE is signed wherever it is served
#   dns_anchor ZONE                 the file with ZONE's trust anchor (its KSK's DS)
#   dns_tlsa PEM                    "3 1 1 <SHA-256 of the key>" of a certificate
#
# A signed zone is signed again at each dns_zone of it (then dns_reload),
# with the same keys on every server: a lagging server serves an older,
# validly signed copy, as in the world. Validating resolvers (unbound's
# trust-anchor-file) take the anchor file as it is.
#
# The packages: scripts/deps.sh's DNS_PACKAGES.

DNS_DIR=$WORK/dns
declare -gA DNS_NS DNS_PID DNS_ADDR

dns_require() {
	command -v nsd >/dev/null || bail "nsd is missing (scripts/test installs it)"
	command -v dig >/dev/null || bail "dig is missing (scripts/test installs dnsutils)"
}

dns_sign_require() {
	local tool
	for tool in dnssec-keygen dnssec-signzone dnssec-dsfromkey; do
		command -v $tool >/dev/null ||
			bail "$tool is missing (scripts/test installs bind9-utils)"
	done
}

dns_server() {		# dns_server NAME NS ADDRESS...
	local name=$1 ns=$2 d=$DNS_DIR/$1 a
	shift 2
	dns_require
	mkdir -p "$d"
	: >"$d/zones"
	DNS_NS[$name]=$ns
	DNS_ADDR[$name]=$1
	{
		echo "server:"
		for a in "$@"; do
			echo "  ip-address: $a"
		done
		cat <<-EOF
		  port: 53
		  server-count: 1
		  username: ""
		  chroot: ""
		  zonesdir: "$d"
		  database: ""
		  zonelistfile: "$d/zone.list"
		  xfrdfile: "$d/xfrd.state"
		  xfrdir: "$d"
		  pidfile: "$d/nsd.pid"
		  logfile: "$d/nsd.log"
		  verbosity: 1
		  hide-version: yes
		remote-control:
		  control-enable: no
		EOF
	} >"$d/nsd.conf.head"
}

# The file NSD serves is ZONE.served: the zone as given, or signed.
dns_zone() {		# dns_zone NAME ZONE: the zone file on stdin
	local d=$DNS_DIR/$1
	cat >"$d/$2.zone"
	grep -q "^$2 " "$d/zones" || echo "$2 $2.served" >>"$d/zones"
	_dns_serve "$d" "$2"
}

_dns_serve() {		# _dns_serve DIR ZONE: DIR/ZONE.served from DIR/ZONE.zone
	local d=$1 zone=$2 keys=$DNS_DIR/keys/$2
	if [ ! -d "$keys" ]; then
		cp "$d/$zone.zone" "$d/$zone.served.new"
	elif ! dnssec-signzone -q -K "$keys" -d "$keys" -S -o "$zone" \
		-f "$d/$zone.served.new" "$d/$zone.zone" >"$d/$zone.sign.log" 2>&1; then
		bail "cannot sign $zone: $(cat "$d/$zone.sign.log")"
	fi
	mv "$d/$zone.served.new" "$d/$zone.served"
}

# DNSSEC for ZONE: a key-signing and a zone-signing key (ECDSA P-256, as
# most signed zones use), made once; every server's copy signed now and at
# each later dns_zone. The trust anchor is then in $(dns_anchor ZONE).
dns_sign() {		# dns_sign ZONE
	local zone=$1 keys=$DNS_DIR/keys/$1 ksk z
	dns_sign_require
	if [ ! -d "$keys" ]; then
		mkdir -p "$keys"
		ksk=$(dnssec-keygen -q -K "$keys" -a ECDSAP256SHA256 -f KSK "$zone" 2>&1) &&
			dnssec-keygen -q -K "$keys" -a ECDSAP256SHA256 "$zone" >/dev/null 2>&1 ||
			bail "cannot make keys for $zone: $ksk"
		dnssec-dsfromkey -2 "$keys/$ksk.key" >"$keys/anchor.ds" ||
			bail "cannot make the DS of $zone"
		grep -v '^;' "$keys/$ksk.key" >"$keys/anchor.dnskey"
	fi
	for z in "$DNS_DIR"/*/"$zone.zone"; do
		[ -e "$z" ] && _dns_serve "$(dirname "$z")" "$zone"
	done
	return 0
}

# The trust anchor of a signed ZONE, as unbound's trust-anchor-file reads
# it: "ZONE. IN DS TAG 13 2 DIGEST". Its KSK's DNSKEY is beside it, in
# anchor.dnskey.
dns_anchor() {		# dns_anchor ZONE
	echo "$DNS_DIR/keys/$1/anchor.ds"
}

# The data of a TLSA record that pins PEM's key as DANE does: DANE-EE(3),
# the SubjectPublicKeyInfo (1), SHA-256 (1). "OWNER TLSA $(dns_tlsa PEM)"
# in a zone.
dns_tlsa() {		# dns_tlsa PEM
	local hex
	hex=$(openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -hex | sed 's/.*= *//') || bail "cannot read the key of $1"
	[ ${#hex} = 64 ] || bail "cannot read the key of $1"
	echo "3 1 1 $hex"
}

_dns_conf() {
	local d=$DNS_DIR/$1 zone file
	cp "$d/nsd.conf.head" "$d/nsd.conf"
	while read -r zone file; do
		printf 'zone:\n  name: %s\n  zonefile: "%s"\n' "$zone" "$file" >>"$d/nsd.conf"
	done <"$d/zones"
}

# The serial a server answers for ZONE, asked without recursion ("" if none).
dns_serial() {		# dns_serial NAME ZONE
	ip netns exec "${DNS_NS[$1]}" dig +norec +short +time=1 +tries=1 \
		@"${DNS_ADDR[$1]}" "$2" SOA 2>/dev/null | awk '{ print $3 }'
}

dns_start() {		# dns_start NAME
	local name=$1 d=$DNS_DIR/$1 zone file i
	_dns_conf "$name"
	spawn "${DNS_NS[$name]}" nsd -d -c "$d/nsd.conf"
	DNS_PID[$name]=${PIDS[-1]}
	read -r zone file <"$d/zones"
	for i in $(seq 50); do
		[ -n "$(dns_serial "$name" "$zone")" ] && return 0
		kill -0 "${DNS_PID[$name]}" 2>/dev/null ||
			bail "nsd $name exited: $(tail -n 5 "$d/nsd.log" "$WORK/spawned.log" 2>&1)"
		sleep 0.1
	done
	bail "nsd $name does not answer for $zone: $(tail -n 5 "$d/nsd.log" 2>&1)"
}

# NSD rereads the zone files whose time changed; returns once ZONE's new
# SERIAL is served.
dns_reload() {		# dns_reload NAME ZONE SERIAL
	local i pid
	read -r pid <"$DNS_DIR/$1/nsd.pid"
	kill -HUP "$pid"
	for i in $(seq 50); do
		[ "$(dns_serial "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	bail "nsd $1 did not take serial $3 of $2"
}

# The system resolver of a namespace: /etc/netns/NS/resolv.conf, which
# `ip netns exec` puts over /etc/resolv.conf. Put back as it was (or
# removed, with /etc/netns if it was made for it) when the lab goes.
DNS_RESOLV=()			# "NS made|kept" for each resolv.conf written
DNS_HAD_NETNS_DIR=0
[ -d /etc/netns ] && DNS_HAD_NETNS_DIR=1

dns_resolver() {	# dns_resolver NS ADDRESS...: resolv.conf naming those nameservers
	local ns=$1 d=/etc/netns/$1 a how=kept
	shift
	mkdir -p "$DNS_DIR"
	if [ ! -d "$d" ]; then
		mkdir -p "$d" || bail "cannot create $d"
		how=made
	elif [ -e "$d/resolv.conf" ]; then
		cp -p "$d/resolv.conf" "$DNS_DIR/resolv.conf.$ns" ||
			bail "cannot keep $d/resolv.conf"
	fi
	DNS_RESOLV+=("$ns $how")
	{
		for a in "$@"; do
			echo "nameserver $a"
		done
		echo "options timeout:1 attempts:1"
	} >"$d/resolv.conf"
}

dns_cleanup() {
	local entry ns how
	for entry in "${DNS_RESOLV[@]}"; do
		read -r ns how <<<"$entry"
		if [ "$how" = made ]; then
			rm -rf "/etc/netns/$ns"
		elif [ -e "$DNS_DIR/resolv.conf.$ns" ]; then
			cp -p "$DNS_DIR/resolv.conf.$ns" "/etc/netns/$ns/resolv.conf"
		else
			rm -f "/etc/netns/$ns/resolv.conf"
		fi
	done
	DNS_RESOLV=()
	[ "$DNS_HAD_NETNS_DIR" = 0 ] && rmdir /etc/netns 2>/dev/null
	return 0
}
LAB_CLEANUP+=(dns_cleanup)
