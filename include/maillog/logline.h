/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_MAILLOG_LOGLINE_H
#define REDIRECT_MAILLOG_LOGLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maillog/event.h"

/*
 * The mail servers' log lines that say who logged in: Dovecot's login
 * lines (imap, pop3, submission, managesieve), the IMAP ID it logs with
 * imap_id_log, and Postfix's smtpd lines with sasl_username=. Pure: text
 * in, an event out, nothing read or kept. As Dovecot 2.3.19 writes them:
 *
 *   imap-login: Login: user=<alice@example.org>, method=PLAIN,
 *       rip=203.0.113.10, lip=169.254.77.2, mpid=7, TLS, session=<S>
 *   imap-login: ID sent: name=Thunderbird, version=128.0: user=<>,
 *       rip=..., lip=..., TLS, session=<S>                 (before login)
 *   imap(alice@example.org)<7><S>: ID sent: name=K-9 Mail, version=6.8
 *                                                          (after login)
 *   postfix/submission/smtpd[9]: 4ABCD: client=host[203.0.113.10],
 *       sasl_method=PLAIN, sasl_username=bob@example.org
 */
/* A line no longer than this is read; a longer one is skipped and counted. */
#define MAILLOG_LINE_MAX 8192

/*
 * Every line that parses to an event holds one of "Login: ", "ID sent: "
 * or "sasl_username=": a reader may pass over lines that hold none without
 * parsing them. The first of them in [@p, @end), or NULL: one pass over
 * the bytes, 16 at a time, for what the three have that is rare in a mail
 * log ('L', 'I', '_'), as grep's search is one pass for its one string.
 */
const char *maillog_find_needle(const char *p, const char *end);

/* "imap", "pop3", "submission", "submissions", "smtp", "sieve"; NULL past the end. */
const char *mail_service_name(unsigned int service);

/*
 * One line of a log file: rsyslog's (a traditional or RFC 3339 time, the
 * host, "dovecot:" or "postfix/.../smtpd[PID]:") or Dovecot's own log_path
 * ("Dec 03 12:14:49 imap-login: Info: ..."). @clock gives the year that a
 * traditional time leaves out. Returns 1 with @ev filled, 0 for a line of
 * no interest, -EINVAL for one that looks like ours and cannot be read
 * (a bad address, a user name with spaces or invalid UTF-8, ...).
 */
int maillog_parse_line(const char *line, size_t len, struct maillog_clock *clock,
		       struct mail_event *ev);

/*
 * One journal entry: its SYSLOG_IDENTIFIER and MESSAGE (not NUL-terminated).
 * Returns as maillog_parse_line; ev->time is left 0 (the journal has it).
 */
int maillog_parse_message(const char *ident, size_t ilen, const char *msg, size_t mlen,
			  struct mail_event *ev);

#endif
