#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Who, not just where from: `stats` on NEW names the accounts that logged in
# through the redirect, from the real mail servers' log. The lab of a real
# migration (lib.sh's lab4_up: NEW elsewhere on the internet), `accept` on
# NEW, `enable --keep-client-address` on OLD; NEW's Postfix (SASL through
# Dovecot) and Dovecot (imap_id_log = *) log into one mail.log.
#   through OLD: alice IMAP (an IMAP ID: Thunderbird 128.0), bob IMAP over
#                IPv6, carol POP3, erin an authenticated submission
#   straight to NEW: dave IMAP (and an ID): not listed
# Then: a second stats reads nothing; a rotated log is finished and the new
# one read; a symlink in its place is refused by name; the same lines as a
# journal file (made from export format by systemd-journal-remote) read
# through --journal-dir; another log than last time starts afresh; the
# accounts are written only under the state lock; check counts them;
# Prometheus only counts; the file (and --json --output) is root's only;
# disable removes it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mail.sh"
MAIL_MORE_USERS="bob carol dave erin frank gina"
MAIL_SASL=1
MAIL_ONE_LOG=1
MAIL_TLS=0
LOGIN="$(cd "$(dirname "$0")/.." && pwd)/helpers/mail-login.py"
JOURNAL_REMOTE=/lib/systemd/systemd-journal-remote
command -v jq >/dev/null || bail "jq is missing (scripts/deps.sh installs it)"
[ -x "$JOURNAL_REMOTE" ] ||
	bail "$JOURNAL_REMOTE is missing (scripts/deps.sh installs systemd-journal-remote)"
lab4_up
mail_require
mail_new_start
LOG=$MAIL_DIR/new/postfix.log
SERVICES=(--service imap --service pop3 --service submission)
redirect_new accept --from $OLD4 --from $OLD6 "${SERVICES[@]}" >/dev/null || bail "accept"
redirect enable --to $NEW4 --to $NEW6 --keep-client-address "${SERVICES[@]}" >/dev/null ||
	bail "enable --keep-client-address"

login() { in_client python3 "$LOGIN" "$@"; }
wait_lines() {	# wait_lines PATTERN N: until the log has N lines matching
	mail_wait 20 bash -c "[ \"\$(grep -c -E '$1' '$LOG')\" -ge $2 ]" ||
		bail "the mail log did not get $2 lines matching $1: $(tail -n 20 "$LOG")"
}
stats_new() { redirect_new stats "$@" 2>&1; }

check "alice logs in over IMAP at OLD's address, sending an IMAP ID" \
	login imap $OLD4 143 alice@example.org "$MAIL_PASS" Thunderbird 128.0
check "bob over IMAP at OLD's IPv6 address" login imap $OLD6 143 bob@example.org "$MAIL_PASS"
check "carol over POP3 at OLD's address" login pop3 $OLD4 110 carol@example.org "$MAIL_PASS"
check "dave over IMAP straight to NEW" \
	login imap $NEW4 143 dave@example.org "$MAIL_PASS" Outlook 16.0
printf 'From: erin@example.org\r\nTo: alice@example.org\r\nSubject: hi\r\n\r\nhi\r\n' >"$WORK/msg"
check "erin submits a message with AUTH at OLD's port 587" \
	in_client curl -sS --max-time 10 "smtp://$OLD4:587" --mail-from erin@example.org \
	--mail-rcpt alice@example.org --user "erin@example.org:$MAIL_PASS" --upload-file "$WORK/msg"
wait_lines 'Login: user=' 4
wait_lines 'sasl_username=erin' 1

# ---- who came through OLD ----
json=$(redirect_new stats --json --mail-log "$LOG")
is "stats --json on NEW lists exactly the accounts that came through OLD" \
	"$(jq -r '[.accounts[].account] | sort | join(" ")' <<<"$json")" \
	"alice@example.org bob@example.org carol@example.org erin@example.org"
acct() { jq -c --arg a "$1" '.accounts[] | select(.account == $a) |
	{services, addresses, program, count}' <<<"$json"; }
is "alice: IMAP, from the client's own address, Thunderbird 128.0 as its ID said" "$(acct alice@example.org)" \
	"{\"services\":[\"imap\"],\"addresses\":[\"$CLIENT4\"],\"program\":\"Thunderbird 128.0\",\"count\":1}"
is "bob: IMAP from the client's IPv6 address, no program (it sent no ID)" "$(acct bob@example.org)" \
	"{\"services\":[\"imap\"],\"addresses\":[\"$CLIENT6\"],\"program\":null,\"count\":1}"
is "carol: POP3" "$(acct carol@example.org)" \
	"{\"services\":[\"pop3\"],\"addresses\":[\"$CLIENT4\"],\"program\":null,\"count\":1}"
is "erin: submission, matched by the stale sources" "$(acct erin@example.org)" \
	"{\"services\":[\"submission\"],\"addresses\":[\"$CLIENT4\"],\"program\":null,\"count\":1}"
like "... each seen seconds ago" "$(jq -c '[.accounts[].last_seen_seconds] | max' <<<"$json")" \
	'^[0-9]$|^[1-5][0-9]$'
is "... read from the file, nothing skipped" \
	"$(jq -c '.accounts_log | {source, path, skipped, problem}' <<<"$json")" \
	"{\"source\":\"file\",\"path\":\"$LOG\",\"skipped\":0,\"problem\":null}"

json=$(redirect_new stats --json)
is "a second stats reads nothing new (the file remembered, its offset kept)" \
	"$(jq -c '.accounts_log | {path, bytes, lines}' <<<"$json")" \
	"{\"path\":\"$LOG\",\"bytes\":0,\"lines\":0}"
is "... and the accounts stand" "$(jq '.accounts | length' <<<"$json")" 4
out=$(stats_new)
like "text: an ACCOUNTS section" "$out" "ACCOUNTS logged in through the redirect"
like "... alice's line with its program" "$out" \
	"alice@example.org +1 +[0-9]+s ago +imap +Thunderbird 128.0"
like "... and where from" "$out" "from $CLIENT4"
unlike "... never dave" "$out" "dave"

# ---- rotation: the old file finished, the new one read ----
mv "$LOG" "$LOG.1"
check "frank logs in while Dovecot still writes the renamed file" \
	login imap $OLD4 143 frank@example.org "$MAIL_PASS"
mail_wait 20 grep -q 'user=<frank@example.org>' "$LOG.1" || bail "frank's login not logged"
kill -USR1 "${MAIL_PID[new/dovecot]}"	# Dovecot reopens its log: a new mail.log
mail_wait 20 test -e "$LOG" || bail "Dovecot did not reopen its log"
check "alice logs in again, now with K-9 Mail" \
	login imap $OLD4 143 alice@example.org "$MAIL_PASS" "K-9 Mail" 6.8
mail_wait 20 grep -q 'user=<alice@example.org>' "$LOG" || bail "alice's login not in the new log"
json=$(redirect_new stats --json)
is "after rotation: the rest of the old file and the new one are read" \
	"$(jq -c '[.accounts_log.rotated, (.accounts[] | select(.account == "frank@example.org") | .count),
		(.accounts[] | select(.account == "alice@example.org") | .count, .program)]' <<<"$json")" \
	'[true,1,2,"K-9 Mail 6.8"]'
is "... five accounts now, most recent first" \
	"$(jq -r '[.accounts[].account] | .[0]' <<<"$json")" "alice@example.org"

# ---- what cannot be read: said, never fatal ----
mv "$LOG" "$WORK/real.log"
ln -s "$WORK/real.log" "$LOG"
out=$(stats_new)
like "a log replaced by a symbolic link is refused, by name" "$out" \
	"Warning: $LOG is a symbolic link, which is not followed"
like "... and the accounts known stand" "$out" "frank@example.org"
rm "$LOG"
mv "$WORK/real.log" "$LOG"

# ---- the journal, without systemd as PID 1 ----
# The lines of the log as journald would have them: SYSLOG_IDENTIFIER dovecot
# (no "Info: ": syslog has priorities) from Dovecot's log process (root, in
# dovecot.service) or postfix/587/smtpd, whose _COMM smtpd is what picks it
# (user postfix, in postfix@-.service); one entry that cannot be read; and
# forged ones a local user or a mail user's program could send (`logger -t
# dovecot`): mallory's login line with another _UID, or another _SYSTEMD_UNIT.
POSTFIX_UID=$(id -u postfix) || bail "no postfix user"
export_entries() {	# export_entries LOG...: journal export format on stdout
	local boot now
	boot=$(cat /proc/sys/kernel/random/uuid | tr -d -)
	# now, each entry a microsecond later: later than any entry exported before
	# (a double holds these exactly; mawk's %d would cut them to 32 bits)
	now=$(date +%s%6N)
	cat "$@" | awk -v boot="$boot" -v now="$now" -v pfuid="$POSTFIX_UID" \
		-v forge="${FORGE:-0}" -v client="$CLIENT4" '
	function entry(ident, comm, uid, unit, msg) {
		n++
		printf "__REALTIME_TIMESTAMP=%.0f\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=%s\n", now + n, n, boot
		printf "SYSLOG_IDENTIFIER=%s\n_COMM=%s\n_UID=%s\n", ident, comm, uid
		if (unit != "")
			printf "_SYSTEMD_UNIT=%s\n", unit
		printf "MESSAGE=%s\n\n", msg
	}
	/ (imap|pop3)-login: Info: (Login|ID sent): / {
		msg = substr($0, 17); sub(/: Info: /, ": ", msg)
		entry("dovecot", "log", 0, "dovecot.service", msg); next
	}
	/ postfix\/587\/smtpd\[/ {
		msg = $0; sub(/^[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]+ [^ ]+ [^ ]+: /, "", msg)
		entry("postfix/587/smtpd", "smtpd", pfuid, "postfix@-.service", msg); next
	}
	END {
		entry("dovecot", "log", 0, "", "imap-login: Login: user=<not a name>, method=PLAIN, rip=203.0.113.10, lip=169.254.77.2")
		if (!forge)
			exit
		mallory = "imap-login: Login: user=<mallory@example.org>, method=PLAIN, rip=" client ", lip=169.254.77.2, mpid=1, session=<forged>"
		entry("dovecot", "logger", 1000, "session-2.scope", mallory)
		entry("dovecot", "log", 1000, "dovecot.service", mallory)
		entry("dovecot", "logger", 0, "cron.service", mallory)
		entry("postfix/submission/smtpd", "smtpd", 1000, "postfix@-.service", "4ABCD: client=x[" client "], sasl_method=PLAIN, sasl_username=mallory@example.org")
	}'
}
mkdir -p "$WORK/journal"
FORGE=1 export_entries "$LOG.1" "$LOG" >"$WORK/export"
"$JOURNAL_REMOTE" -o "$WORK/journal/remote.journal" "$WORK/export" 2>"$WORK/remote.log" ||
	bail "systemd-journal-remote: $(cat "$WORK/remote.log")"
rm "$STATE_NEW/accounts"	# afresh: the journal alone tells
out=$(stats_new --journal-dir "$WORK/journal")
like "--journal-dir: entries the mail servers did not send are left out, and said" "$out" \
	"; 4 not sent by the mail servers \\(their user and unit, as the journal records them\\) were left out"
rm "$STATE_NEW/accounts"	# afresh again, for the JSON
json=$(redirect_new stats --json --journal-dir "$WORK/journal")
is "--journal-dir: the journal's entries give the same accounts" \
	"$(jq -r '[.accounts[] | "\(.account)=\(.services | join(","))/\(.count)/\(.program)"] | sort | join(" ")' <<<"$json")" \
	"alice@example.org=imap/2/K-9 Mail 6.8 bob@example.org=imap/1/null carol@example.org=pop3/1/null erin@example.org=submission/1/null frank@example.org=imap/1/null"
is "... the entry that cannot be read skipped, and counted; the forged ones left out" \
	"$(jq -c '.accounts_log | {source, path, skipped, untrusted}' <<<"$json")" \
	"{\"source\":\"journal\",\"path\":\"$WORK/journal\",\"skipped\":1,\"untrusted\":4}"
unlike "... never mallory, whose login lines another user sent as dovecot and postfix/smtpd" \
	"$json" "mallory"
is "... and the next run reads on from its cursor: nothing new" \
	"$(redirect_new stats --json | jq -c '.accounts_log | {source, lines}')" \
	'{"source":"journal","lines":0}'

# A journal vacuumed and rotated under the cursor: its entry is gone, the
# run reads on from the nearest, and a damaged file ends a run, never it all.
check "gina logs in over POP3 at OLD's IPv6 address" login pop3 $OLD6 110 gina@example.org "$MAIL_PASS"
mail_wait 20 grep -q "Login: user=<gina@example.org>" "$LOG" || bail "gina's login not logged"
grep "Login: user=<gina@example.org>" "$LOG" >"$WORK/gina.log"
export_entries "$WORK/gina.log" >"$WORK/export2"
rm "$WORK/journal/remote.journal"	# vacuumed: the cursor's file is gone
"$JOURNAL_REMOTE" -o "$WORK/journal/remote2.journal" "$WORK/export2" 2>"$WORK/remote.log" ||
	bail "systemd-journal-remote: $(cat "$WORK/remote.log")"
json=$(redirect_new stats --json)
is "a journal vacuumed under the cursor: read on from the nearest entry" \
	"$(jq -c '[(.accounts[] | select(.account == "gina@example.org") | .services[0]),
		.accounts_log.problem]' <<<"$json")" '["pop3",null]'
size=$(stat -c %s "$WORK/journal/remote2.journal")
dd if=/dev/urandom of="$WORK/journal/remote2.journal" bs=1 seek=$((size / 3)) count=4096 \
	conv=notrunc status=none
rm "$STATE_NEW/accounts"
out=$(timeout 30 ip netns exec "$NS_NEW" "$REDIRECT" --state-dir "$STATE_NEW" stats 2>&1)
rc=$?
like "a damaged journal file: stats ends (no crash, no hang)" "$rc" '^[01]$'
like "... and still prints its ACCOUNTS section" "$out" "ACCOUNTS logged in through the redirect"

# ---- another log than last time: afresh, never the same lines counted twice ----
redirect_new stats --json --mail-log "$LOG" >/dev/null
redirect_new stats --json --journal-dir "$WORK/journal" >/dev/null
alice=$(grep -c 'Login: user=<alice@example.org>' "$LOG")
json=$(redirect_new stats --json --mail-log "$MAIL_DIR/new//postfix.log")
is "from the journal back to the file: read afresh from it, not added to what was known" \
	"$(jq -c '[.accounts_log.started_over, .accounts_log.path,
		(.accounts[] | select(.account == "alice@example.org") | .count)]' <<<"$json")" \
	"[\"other source\",\"$LOG\",$alice]"
json=$(redirect_new stats --json --mail-log "$LOG")
is "... the same file spelled another way is the same log: nothing read again" \
	"$(jq -c '[.accounts_log.started_over, .accounts_log.lines,
		(.accounts[] | select(.account == "alice@example.org") | .count)]' <<<"$json")" \
	"[null,0,$alice]"

# ---- the accounts are written only under the state lock ----
# (a disable takes it, then removes them: a run that read the log without
# it wrote them back afterwards)
cp "$STATE_NEW/accounts" "$WORK/accounts.kept"
rm "$STATE_NEW/accounts"
exec {lock}<"$STATE_NEW/lock"
flock -x "$lock" || bail "cannot take the state lock"
json=$(redirect_new stats --json)
check_fails "with the state lock held by another run, stats writes no accounts" \
	test -e "$STATE_NEW/accounts"
like "... and says the log was not read this time" "$(jq -r .accounts_log.problem <<<"$json")" \
	"another redirect run holds the state lock, so the mail log was not read this time"
redirect_new check --quiet-for 1s >/dev/null 2>&1
check_fails "... nor does check" test -e "$STATE_NEW/accounts"
flock -u "$lock"
exec {lock}<&-
redirect_new stats --json --mail-log "$LOG" >/dev/null
check "with the lock free again, stats writes them" test -e "$STATE_NEW/accounts"

# ---- check, Prometheus, privacy ----
n=$(jq '.accounts | length' <<<"$(redirect_new stats --json)")
out=$(redirect_new check --quiet-for 1s 2>&1)
like "check on NEW says how many accounts still come through OLD (as many as stats lists)" \
	"$out" "[^0-9]$n accounts logged in through it in the last 7d"
is "... as many as stats lists (check --json)" "$(redirect_new check --json | jq .accounts)" "$n"
prom=$(redirect_new stats --prometheus)
like "Prometheus: a count of the accounts" "$prom" "redirect_accounts $n"
like "... and of the lines skipped" "$prom" "redirect_mail_log_skipped_lines_total [0-9]+"
unlike "... and no user names" "$prom" "example.org"
is "the accounts file is root's alone (0600)" "$(stat -c %a "$STATE_NEW/accounts")" 600
# the file's own mode, tried where nothing above it stands in the way: a
# copy (same owner and mode) in a directory open to all, below $WORK opened
# to a passer-by for the while
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
mkdir -m 0755 "$WORK/open"
chmod 0711 "$WORK"
cp -p "$STATE_NEW/accounts" "$WORK/open/accounts"
check_fails "... another user cannot read it" nobody cat "$WORK/open/accounts"
chmod 0644 "$WORK/open/accounts"
check "... (where the same file at 0644 is read by that user)" nobody cat "$WORK/open/accounts"
redirect_new stats --json --output "$WORK/open/stats.json" >/dev/null
is "stats --json --output on NEW: the file, with its user names, is 0600" \
	"$(stat -c %a "$WORK/open/stats.json")" 600
check_fails "... another user cannot read it" nobody cat "$WORK/open/stats.json"
echo kept >"$WORK/open/target"
chmod 0644 "$WORK/open/target"
ln -s "$WORK/open/target" "$WORK/open/link.json"
redirect_new stats --json --output "$WORK/open/link.json" >/dev/null
is "... a symbolic link at --output is replaced, never followed: its target kept" \
	"$(cat "$WORK/open/target") $(stat -c %a "$WORK/open/target")" "kept 644"
is "... and the file written in its place is 0600" \
	"$(stat -c '%F %a' "$WORK/open/link.json")" "regular file 600"
redirect_new stats --prometheus --output "$WORK/open/stats.prom" >/dev/null
is "... --prometheus --output (a count, no names): 0644" "$(stat -c %a "$WORK/open/stats.prom")" 644
redirect stats --json --output "$WORK/open/old.json" >/dev/null
is "... --json --output on OLD (no accounts): 0644" "$(stat -c %a "$WORK/open/old.json")" 644
chmod 0700 "$WORK"

out=$(redirect stats --mail-log "$WORK/mail.log" 2>&1)
like "stats on OLD with --mail-log says it is not read there" "$out" \
	"note: --mail-log is not read here: the accounts are listed on the new server"

# ---- the end ----
check "disable on OLD" redirect disable
check "disable on NEW" redirect_new disable
check_fails "disable on NEW removed the accounts" test -e "$STATE_NEW/accounts"
cp "$WORK/accounts.kept" "$STATE_NEW/accounts"
out=$(redirect_new disable 2>&1)
like "accounts left behind with nothing enabled: disable removes them, and says so" "$out" \
	"nothing was enabled; removed the accounts a run left in $STATE_NEW/accounts"
check_fails "... gone" test -e "$STATE_NEW/accounts"
