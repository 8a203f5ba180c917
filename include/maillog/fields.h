/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_MAILLOG_FIELDS_H
#define REDIRECT_MAILLOG_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/span.h"
#include "maillog/event.h"

/*
 * What the line parsers of src/maillog/ share, and nothing else includes:
 * pieces of a line (never copied until kept), the checks a value passes
 * before it is kept, the times, and the two servers' parsers.
 */

/* struct span (lib/span.h): a piece of the line, never copied until kept. */

static inline bool span_starts(const struct span *s, const char *lit)
{
	size_t n = strlen(lit);

	return s->len >= n && !memcmp(s->p, lit, n);
}

/* Drops @lit from the front of @s when it is there. */
static inline bool span_skip(struct span *s, const char *lit)
{
	size_t n = strlen(lit);

	if (!span_starts(s, lit))
		return false;
	s->p += n;
	s->len -= n;
	return true;
}

/* memchr for the first byte, then the rest: faster than memmem for ", " and ": " */
static inline const char *span_find(const struct span *s, const char *lit)
{
	const char *p = s->p, *end = s->p + s->len;
	size_t n = strlen(lit);

	while (n && (p = memchr(p, lit[0], (size_t)(end - p)))) {
		if ((size_t)(end - p) < n)
			return NULL;
		if (!memcmp(p + 1, lit + 1, n - 1))
			return p;
		p++;
	}
	return NULL;
}

static inline const char *span_find_last(const struct span *s, const char *lit)
{
	struct span rest = *s;
	const char *hit, *last = NULL;

	while ((hit = span_find(&rest, lit))) {
		last = hit;
		rest.len -= (size_t)(hit + 1 - rest.p);
		rest.p = hit + 1;
	}
	return last;
}

/* The next ", "-separated field of @s, which drops it. */
static inline bool span_field(struct span *s, struct span *field)
{
	const char *comma;

	if (!s->len)
		return false;
	comma = span_find(s, ", ");
	field->p = s->p;
	field->len = comma ? (size_t)(comma - s->p) : s->len;
	s->p += field->len + (comma ? 2 : 0);
	s->len -= field->len + (comma ? 2 : 0);
	return true;
}

/* A user name as kept: UTF-8, no spaces or control characters, not empty. */
int maillog_take_account(const struct span *v, char *out);
int maillog_take_address(const struct span *v, struct address *out);
/* Dovecot's session id: base64, its angle brackets already removed. */
int maillog_take_session(const struct span *v, char *out);
/* Appends @v to a program name of MAIL_PROGRAM_MAX, '?' for what must not be shown. */
void maillog_append_clean(char *out, size_t *used, const struct span *v);

struct maillog_word {
	const char *name;
	enum mail_service svc;
};

/* The service of the word @p (@n bytes) in @words (ended by a NULL name), or -1. */
int maillog_word(const struct maillog_word *words, const char *p, size_t n);

/* A time at the front of @s (RFC 3339, or syslog's without a year), dropped from it. */
bool maillog_take_time(struct span *s, struct maillog_clock *c, int64_t *out);

/* A Dovecot message ("imap-login: Login: ...") and a Postfix smtpd's, as parse_message. */
int maillog_dovecot(struct span msg, struct mail_event *ev);
int maillog_postfix(const struct span *ident, struct span msg, struct mail_event *ev);

#endif
