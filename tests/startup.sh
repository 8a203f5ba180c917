#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What every run of every command pays before it does anything: the
# libraries loaded at start. libsystemd (and what it brings: libgcrypt,
# liblzma, libzstd, liblz4) is loaded only when the journal is read
# (src/maillog/journal.c), OpenSSL only when a TLS check runs
# (src/tls/ossl.c): linked, they cost each run 0.5 and 0.6 ms and 65 and
# 145 page faults (bench/RESULTS.md). No root needed.
set -u
. "$(dirname "$0")/tap.sh"
bin=${REDIRECT:-$(dirname "$0")/../src/redirect}

if ! command -v readelf >/dev/null; then
	skip "libsystemd is not loaded at start" "no readelf here"
	skip "OpenSSL is not loaded at start" "no readelf here"
	tap_end
	exit
fi
needed=$(readelf -d "$bin" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
if [ -z "$needed" ]; then
	not_ok "the binary's libraries can be read" "readelf -d $bin listed none"
elif grep -q '^libsystemd\.' <<<"$needed"; then
	not_ok "libsystemd is not loaded at start" "$(tr '\n' ' ' <<<"$needed")"
else
	ok "libsystemd is not loaded at start"
fi
if grep -qE '^lib(ssl|crypto)\.' <<<"$needed"; then
	not_ok "OpenSSL is not loaded at start" "$(tr '\n' ' ' <<<"$needed")"
else
	ok "OpenSSL is not loaded at start"
fi
if "$bin" --version >/dev/null 2>&1; then
	ok "... and the binary starts without it"
else
	not_ok "... and the binary starts without it"
fi
tap_end
