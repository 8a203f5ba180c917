#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# accept --name checks NEW's own servers at loopback, in the address
# families something listens in: an IMAPS server on every IPv4 address and
# none on IPv6 (a Dovecot with listen = *) is checked at 127.0.0.1, not
# refused for ::1, where nothing could answer. With nothing listening at
# all, both families are tried and the refusal says so.
#
#   old  198.51.100.1 --- new  198.51.100.2, IMAPS on 0.0.0.0:993
#                              (tests/helpers/tls-servers.py, kind slow)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pki.sh"
lab_up
SERVERS=$(dirname "$0")/../helpers/tls-servers.py
command -v python3 >/dev/null || bail "python3 is missing (scripts/test installs it)"
STATE_NEW=$WORK/state-new
mkdir -p "$STATE_NEW"
pki_cert srv mail.example.org
pki_trust "$NS_NEW"
accept() { redirect_new accept --from $OLDN4 --service imaps --name mail.example.org --dry-run; }

out=$(accept 2>&1)
is "nothing listening on 993: accept --name refuses" "$?" 1
like "... for each family, at loopback" "$(flat <<<"$out")" "127\.0\.0\.1.*::1|::1.*127\.0\.0\.1"

LOG=$WORK/servers.log
setsid ip netns exec "$NS_NEW" python3 "$SERVERS" "$PKI_DIR/srv.pem" "$PKI_DIR/srv.key" \
	slow,0.0.0.0,993 >"$LOG" 2>&1 </dev/null &
PIDS+=("$!")
wait_until 5 grep -q listening "$LOG" || bail "the server does not start: $(cat "$LOG")"
out=$(accept 2>&1)
is "IMAPS on IPv4 only: accept --name goes on" "$?" 0 || echo "$out" | sed 's/^/#   /'
unlike "... no refusal for ::1, where nothing listens" \
	"$(sed '/^# redirect accept --dry-run/,$d' <<<"$out")" "refused:|::1"
wait_until 2 grep -q "^slow " "$LOG"
is "... one handshake, at 127.0.0.1, and its LOGOUT" "$(grep -c '^slow .* logout$' "$LOG")" 1
