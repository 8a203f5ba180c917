#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The handshake engine (tls/handshake.c) against servers that misbehave,
# through tests/helpers/tls-data (tls_run, as enable and check call it),
# all in one namespace with tests/helpers/tls-servers.py:
#
#   192.0.2.11:25   trickle   SMTP, every byte of the dialogue alone, STARTTLS
#   192.0.2.12:25   endless   "220-" lines forever
#   192.0.2.13:25   silent    takes the connection, says nothing
#   192.0.2.14:993  garbage   answers the ClientHello in plain text, 300 ms late
#   192.0.2.15:993  slow      TLS after 300 ms, its greeting 300 ms later
#   192.0.2.16:25   nothing listens
#   192.0.2.17:993  split     TLS at once; 600 ms later its greeting, the TLS
#                             record cut in two, 100 ms apart
#
# All at once within the timeout; the slow ones still get their goodbye
# while others fail beside them (a failed handshake must leave nothing in
# OpenSSL's error queue: the next connection that wants to read more would
# take it for its own error and leave without its goodbye); and DANE with a
# record OpenSSL refuses beside usable ones.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pki.sh"
lab_require
TLS_DATA=${TLS_DATA:-$(dirname "$0")/../helpers/tls-data}
SERVERS=$(dirname "$0")/../helpers/tls-servers.py
[ -x "$TLS_DATA" ] || bail "no helper at $TLS_DATA; run make check"
command -v python3 >/dev/null || bail "python3 is missing (scripts/test installs it)"

scratch_ns tls
NS=$SCRATCH
for i in 11 12 13 14 15 16 17; do
	ip -n "$NS" addr add 192.0.2.$i/32 dev lo || bail "cannot add 192.0.2.$i"
done
pki_cert srv mail.example.org
pki_trust "$NS"
LOG=$WORK/servers.log
setsid ip netns exec "$NS" python3 "$SERVERS" "$PKI_DIR/srv.pem" "$PKI_DIR/srv.key" \
	trickle,192.0.2.11,25 endless,192.0.2.12,25 silent,192.0.2.13,25 \
	garbage,192.0.2.14,993 slow,192.0.2.15,993 split,192.0.2.17,993 >"$LOG" 2>&1 </dev/null &
PIDS+=("$!")
wait_until 5 grep -q listening "$LOG" || bail "the servers do not start: $(cat "$LOG")"
tls_data() { ip netns exec "$NS" "$TLS_DATA" handshake "$@"; }
target() { grep "^target $1 " <<<"$OUT"; }
KEY=$(openssl x509 -in "$PKI_DIR/srv.pem" -noout -pubkey | openssl pkey -pubin -outform DER |
	openssl dgst -sha256 -hex | sed 's/.*= *//')

# ---- everything at once, 2 s for all ----
OUT=$(tls_data --timeout 2000 192.0.2.11,25,mail.example.org 192.0.2.12,25,mail.example.org \
	192.0.2.13,25,mail.example.org 192.0.2.14,993,mail.example.org \
	192.0.2.15,993,mail.example.org 192.0.2.16,25,mail.example.org 2>&1)
is "tls-data handshake exits 0" "$?" 0 || echo "$OUT" | sed 's/^/#   /'
like "a greeting and EHLO reply trickled byte by byte: STARTTLS, the handshake" \
	"$(target 192.0.2.11)" "outcome=handshaken connected=yes greeted=yes polite=yes covers=yes"
like "an endless 220- greeting: given up at the timeout, saying so" "$(target 192.0.2.12)" \
	"outcome=no-starttls connected=yes greeted=no .*why=the dialogue before STARTTLS did not finish within 2s"
like "a server that says nothing: the same" "$(target 192.0.2.13)" \
	"outcome=no-starttls connected=yes greeted=no .*did not finish within 2s"
like "plain text for a ClientHello: the handshake failed, in OpenSSL's words" \
	"$(target 192.0.2.14)" "outcome=failed connected=yes .*why=.*(wrong version number|packet length)"
like "a slow TLS server beside that failure: handshaken, and the goodbye answered" \
	"$(target 192.0.2.15)" "outcome=handshaken connected=yes greeted=yes polite=yes"
like "nothing listening: no connection" "$(target 192.0.2.16)" \
	"outcome=no-connection connected=no .*why=Connection refused"
elapsed=$(awk '/^elapsed/ { print $2 }' <<<"$OUT")
ok_if() { if eval "$2"; then ok "$1"; else not_ok "$1" "$3"; fi; }
ok_if "... all of it within the timeout, not one after another (${elapsed}ms)" \
	'[ "${elapsed:-9999}" -ge 1900 ] && [ "${elapsed:-9999}" -lt 2500 ]' "elapsed $elapsed"
wait_until 2 grep -q "^slow 192.0.2.15 " "$LOG"
like "the servers heard QUIT and LOGOUT, not clients that vanished" \
	"$(grep -E '^(trickle|slow) ' "$LOG" | sort | tr '\n' ' ')" \
	"^slow 192.0.2.15 logout trickle 192.0.2.11 quit $"

# ---- a failed handshake, then a connection that reads half a record ----
OUT=$(tls_data --timeout 2000 192.0.2.14,993,mail.example.org 192.0.2.17,993,mail.example.org)
like "the plain-text server fails its handshake (300 ms in)" "$(target 192.0.2.14)" "outcome=failed"
like "... and the connection beside it, reading half a TLS record later, still says goodbye" \
	"$(target 192.0.2.17)" "outcome=handshaken connected=yes greeted=yes polite=yes"
wait_until 2 grep -q "^split 192.0.2.17 " "$LOG"
is "... which the server heard: LOGOUT" "$(grep '^split ' "$LOG")" "split 192.0.2.17 logout"

# ---- DANE: a record OpenSSL refuses does not turn the others off ----
dane() { tls_data --timeout 2000 --tlsa "3 1 0 deadbeef" --tlsa "$1" 192.0.2.15,993,mail.example.org; }
OUT=$(dane "3 1 1 $(printf '0%.0s' {1..64})")
like "3 1 0 deadbeef and a 3 1 1 of another key: no match (the refused one counted)" \
	"$(target 192.0.2.15)" "outcome=handshaken .*dane=no-match usage=-1 depth=-1 refused=1 "
OUT=$(dane "3 1 1 $KEY")
like "3 1 0 deadbeef and a 3 1 1 of this key: matched by DANE-EE at the leaf" \
	"$(target 192.0.2.15)" "outcome=handshaken .*dane=match usage=3 depth=0 refused=1 "
