# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# A lab certificate authority, certificates it signs, and a namespace that
# trusts it (source this after lib.sh). Everything lives in $WORK/pki;
# nothing of the host's trust store is read or changed.
#
#   pki_ca                      make the lab CA ($PKI_DIR/ca.pem), once
#   pki_cert NAME DNSNAME...    NAME.key and NAME.pem for those names, from the CA
#   pki_self NAME DNSNAME...    the same, self-signed: a certificate nobody trusts
#   pki_trust NS                OpenSSL in namespace NS trusts the lab CA only
#
# pki_trust writes /etc/netns/NS/ssl, which `ip netns exec` mounts over
# /etc/ssl: OpenSSL's default store (/usr/lib/ssl/certs and cert.pem,
# Debian's links to /etc/ssl/certs) then holds the lab CA, for every
# program run in NS (curl, postfix, the tool). Removed with the lab.

PKI_DIR=$WORK/pki
PKI_NETNS=()			# "NS made|kept" for each namespace given a store
PKI_HAD_NETNS_DIR=0
[ -d /etc/netns ] && PKI_HAD_NETNS_DIR=1

pki_ca() {
	[ -s "$PKI_DIR/ca.pem" ] && return 0
	mkdir -p "$PKI_DIR"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$PKI_DIR/ca.key" -out "$PKI_DIR/ca.pem" -days 3 \
		-subj "/CN=redirect lab CA" -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign >"$PKI_DIR/ca.log" 2>&1 ||
		bail "cannot make the lab CA: $(cat "$PKI_DIR/ca.log")"
}

_pki_san() {		# _pki_san DNSNAME...: subjectAltName=DNS:a,DNS:b
	local n san=
	for n in "$@"; do
		san="${san:+$san,}DNS:$n"
	done
	echo "subjectAltName=$san"
}

pki_cert() {		# pki_cert NAME DNSNAME...
	local name=$1 d=$PKI_DIR
	shift
	pki_ca
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/$name.key" -out "$d/$name.csr" -subj "/CN=$1" >"$d/$name.log" 2>&1 &&
		openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
			-CAcreateserial -days 2 -out "$d/$name.pem" \
			-extfile <(_pki_san "$@"; echo "extendedKeyUsage=serverAuth") \
			>>"$d/$name.log" 2>&1 ||
		bail "cannot make a certificate for $*: $(cat "$d/$name.log")"
}

pki_self() {		# pki_self NAME DNSNAME...
	local name=$1 d=$PKI_DIR
	shift
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/$name.key" -out "$d/$name.pem" -days 2 -subj "/CN=$1" \
		-addext "$(_pki_san "$@")" >"$d/$name.log" 2>&1 ||
		bail "cannot make a certificate for $*: $(cat "$d/$name.log")"
}

pki_trust() {		# pki_trust NS
	local ns=$1 d=/etc/netns/$1 how=kept
	pki_ca
	[ -e "$d/ssl" ] && bail "$d/ssl exists already: not ours to replace"
	[ -d "$d" ] || how=made
	mkdir -p "$d/ssl/certs" || bail "cannot create $d/ssl"
	PKI_NETNS+=("$ns $how")
	cp "$PKI_DIR/ca.pem" "$d/ssl/certs/ca-certificates.crt"
	ln -s ca-certificates.crt "$d/ssl/certs/$(openssl x509 -hash -noout -in "$PKI_DIR/ca.pem").0"
	[ -e /etc/ssl/openssl.cnf ] && cp /etc/ssl/openssl.cnf "$d/ssl/"
	return 0
}

pki_cleanup() {
	local entry ns how
	for entry in "${PKI_NETNS[@]}"; do
		read -r ns how <<<"$entry"
		if [ "$how" = made ]; then
			rm -rf "/etc/netns/$ns"
		else
			rm -rf "/etc/netns/$ns/ssl"
		fi
	done
	PKI_NETNS=()
	[ "$PKI_HAD_NETNS_DIR" = 0 ] && rmdir /etc/netns 2>/dev/null
	return 0
}
LAB_CLEANUP+=(pki_cleanup)
