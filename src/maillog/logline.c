// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The mail servers' login lines (see logline.h for the shapes): the lines
 * of interest found, a line cut into its time, identifier and message, and
 * the message handed to Dovecot's parser or Postfix's (dovecot.c,
 * postfix.c), whose values fields.c checks.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "maillog/fields.h"
#include "maillog/logline.h"

static const char *const service_names[MAIL_SERVICES] = {
	[MAIL_IMAP] = "imap", [MAIL_POP3] = "pop3", [MAIL_SUBMISSION] = "submission",
	[MAIL_SUBMISSIONS] = "submissions", [MAIL_SMTP] = "smtp", [MAIL_SIEVE] = "sieve",
};

/* ---- finding the lines of interest ---- */

/* Whether a needle starts at (or, for '_', around) the rare byte at @c. */
static const char *needle_at(const char *c, const char *start, const char *end)
{
	size_t room = (size_t)(end - c);

	if (*c == 'L')
		return room >= 7 && !memcmp(c, "Login: ", 7) ? c : NULL;
	if (*c == 'I')
		return room >= 9 && !memcmp(c, "ID sent: ", 9) ? c : NULL;
	return c - start >= 4 && room >= 10 && !memcmp(c - 4, "sasl_username=", 14) ? c - 4 :
	       NULL;
}

typedef unsigned char bytes16 __attribute__((vector_size(16)));

/* The next 'L', 'I' or '_' at or after @p, or @end. */
static const char *next_rare(const char *p, const char *end)
{
	bytes16 v, hit;
	uint64_t half[2];
	unsigned int i;

	for (; end - p >= 16; p += 16) {
		memcpy(&v, p, sizeof(v));	/* an unaligned load */
		hit = (bytes16)((v == 'L') | (v == 'I') | (v == '_'));
		memcpy(half, &hit, sizeof(half));
		if (!(half[0] | half[1]))
			continue;
		for (i = 0; i < 16; i++)
			if (hit[i])
				return p + i;
	}
	while (p < end && *p != 'L' && *p != 'I' && *p != '_')
		p++;
	return p;
}

const char *maillog_find_needle(const char *p, const char *end)
{
	const char *start = p, *c, *n;

	for (c = next_rare(p, end); c < end; c = next_rare(c + 1, end))
		if ((n = needle_at(c, start, end)))
			return n;
	return NULL;
}

const char *mail_service_name(unsigned int service)
{
	return service < MAIL_SERVICES ? service_names[service] : NULL;
}

/* ---- lines and messages ---- */

static bool ident_is(const struct span *ident, const char *prefix)
{
	return span_starts(ident, prefix);
}

static bool ident_smtpd(const struct span *ident)
{
	return (ident->len == 5 && !memcmp(ident->p, "smtpd", 5)) ||
	       (ident->len > 6 && !memcmp(ident->p + ident->len - 6, "/smtpd", 6));
}

int maillog_parse_message(const char *ident, size_t ilen, const char *msg, size_t mlen,
			  struct mail_event *ev)
{
	struct span id = { ident, ilen }, m = { msg, mlen };

	memset(ev, 0, sizeof(*ev));
	if (ident_is(&id, "dovecot"))
		return maillog_dovecot(m, ev);
	if (ident_smtpd(&id))
		return maillog_postfix(&id, m, ev);
	return 0;
}

/* "HOST IDENT[PID]: MESSAGE" after the time, or Dovecot's "PROCESS: ..." */
int maillog_parse_line(const char *line, size_t len, struct maillog_clock *clock,
		       struct mail_event *ev)
{
	struct span s = { line, len }, ident, msg;
	const char *sp, *colon;
	int64_t t = 0;
	int rc;

	memset(ev, 0, sizeof(*ev));
	if (s.len && s.p[s.len - 1] == '\r')
		s.len--;
	maillog_take_time(&s, clock, &t);
	sp = memchr(s.p, ' ', s.len);
	if (sp && sp > s.p && sp[-1] == ':') {	/* Dovecot's log_path: no host, no ident */
		ident.p = "dovecot";
		ident.len = 7;
		msg = s;
	} else {
		if (!sp)
			return 0;
		ident.p = sp + 1;
		ident.len = (size_t)(s.p + s.len - ident.p);
		colon = span_find(&ident, ": ");
		if (!colon)
			return 0;
		msg.p = colon + 2;
		msg.len = (size_t)(s.p + s.len - msg.p);
		ident.len = (size_t)(colon - ident.p);
		sp = ident.len && ident.p[ident.len - 1] == ']' ?
		     memrchr(ident.p, '[', ident.len) : NULL;
		if (sp)		/* "smtpd[1234]": the identifier without its pid */
			ident.len = (size_t)(sp - ident.p);
	}
	rc = maillog_parse_message(ident.p, ident.len, msg.p, msg.len, ev);
	if (rc == 1)
		ev->time = t;
	return rc;
}
