// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plain-text dialogues before and after a TLS handshake with a mail
 * server, one line of the server's at a time. Pure: the engine
 * (handshake.c) does the reading and writing.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tls/starttls.h"

enum phase { P_GREETING, P_EHLO, P_REPLY, P_HANDSHAKE, P_TLS_GREETING, P_BYE, P_DONE, P_FAILED };

enum tls_dialogue tls_dialogue_for_port(uint16_t port)
{
	switch (port) {
	case 25: case 587: return TLS_SMTP;
	case 110: return TLS_POP3;
	case 143: return TLS_IMAP;
	case 4190: return TLS_SIEVE;
	case 465: case 993: case 995: return TLS_IMPLICIT;
	default: return TLS_NONE;
	}
}

/* The protocol under the TLS: implicit TLS speaks that of its port. */
static enum tls_dialogue inner(const struct starttls *s)
{
	if (s->d != TLS_IMPLICIT)
		return s->d;
	return s->port == 465 ? TLS_SMTP : s->port == 993 ? TLS_IMAP : TLS_POP3;
}

const char *tls_dialogue_name(enum tls_dialogue d, uint16_t port)
{
	struct starttls s = { .d = d, .port = port };
	static const char *const names[] = {
		[TLS_NONE] = "TCP", [TLS_IMPLICIT] = "TLS", [TLS_SMTP] = "SMTP",
		[TLS_POP3] = "POP3", [TLS_IMAP] = "IMAP", [TLS_SIEVE] = "ManageSieve",
	};

	return names[inner(&s)];
}

static enum starttls_step say(struct starttls *s, enum phase next, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum starttls_step say(struct starttls *s, enum phase next, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->say, sizeof(s->say), fmt, ap);
	va_end(ap);
	if (s->phase == P_GREETING)	/* answered only a greeting that was one */
		s->greeted = true;
	s->phase = next;
	return STARTTLS_SAY;
}

/* The goodbye of the protocol spoken, plain or over TLS. */
static const char *goodbye(const struct starttls *s)
{
	switch (inner(s)) {
	case TLS_IMAP: return "a1 LOGOUT\r\n";
	case TLS_SIEVE: return "LOGOUT\r\n";
	default: return "QUIT\r\n";
	}
}

/* A refusal: what the server said, and a polite goodbye to write first. */
static enum starttls_step fail(struct starttls *s, bool bye, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum starttls_step fail(struct starttls *s, bool bye, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	snprintf(s->say, sizeof(s->say), "%s", bye ? goodbye(s) : "");
	s->phase = P_FAILED;
	return STARTTLS_FAILED;
}

enum starttls_step starttls_begin(struct starttls *s, uint16_t port, const char *ehlo)
{
	memset(s, 0, sizeof(*s));
	s->d = tls_dialogue_for_port(port);
	s->port = port;
	snprintf(s->ehlo, sizeof(s->ehlo), "%s", ehlo && *ehlo ? ehlo : "localhost");
	if (s->d == TLS_NONE)
		return fail(s, false, "port %u speaks no known mail protocol", port);
	if (s->d == TLS_IMPLICIT) {
		s->phase = P_HANDSHAKE;
		return STARTTLS_HANDSHAKE;
	}
	s->phase = P_GREETING;
	return STARTTLS_MORE;
}

/* ---- SMTP: "250-..." goes on, "250 ..." ends a reply ---- */

static bool smtp_final(const char *line)
{
	return isdigit((unsigned char)line[0]) && isdigit((unsigned char)line[1]) &&
	       isdigit((unsigned char)line[2]) && line[3] != '-';
}

static bool code_is(const char *line, const char *code)
{
	return !strncmp(line, code, 3);
}

static enum starttls_step smtp_line(struct starttls *s, const char *line)
{
	if (!isdigit((unsigned char)line[0]))
		return fail(s, true, "answered '%.120s', not SMTP", line);
	if (s->phase == P_EHLO && !strncasecmp(line + 4, "STARTTLS", 8) &&
	    (!line[12] || line[12] == ' '))
		s->offered = true;
	if (!smtp_final(line))
		return STARTTLS_MORE;
	switch (s->phase) {
	case P_GREETING:
		if (!code_is(line, "220"))
			return fail(s, true, "greeted '%.120s'", line);
		return say(s, P_EHLO, "EHLO %s\r\n", s->ehlo);
	case P_EHLO:
		if (!code_is(line, "250"))
			return fail(s, true, "answered EHLO with '%.120s'", line);
		if (!s->offered)
			return fail(s, true, "does not offer STARTTLS (its EHLO reply lists no "
				    "STARTTLS)");
		return say(s, P_REPLY, "STARTTLS\r\n");
	case P_REPLY:
		if (!code_is(line, "220"))
			return fail(s, true, "answered STARTTLS with '%.120s'", line);
		s->phase = P_HANDSHAKE;
		return STARTTLS_HANDSHAKE;
	case P_TLS_GREETING:
		if (!code_is(line, "220"))
			return fail(s, true, "greeted over TLS with '%.120s'", line);
		return say(s, P_BYE, "%s", goodbye(s));
	default:
		s->phase = P_DONE;
		return STARTTLS_DONE;
	}
}

/* ---- POP3: "+OK" or "-ERR", one line each ---- */

static enum starttls_step pop3_line(struct starttls *s, const char *line)
{
	bool ok = !strncmp(line, "+OK", 3);

	switch (s->phase) {
	case P_GREETING:
		if (!ok)
			return fail(s, false, "greeted '%.120s', not POP3", line);
		return say(s, P_REPLY, "STLS\r\n");
	case P_REPLY:
		if (!ok)
			return fail(s, true, "answered STLS with '%.120s' (no STARTTLS)", line);
		s->phase = P_HANDSHAKE;
		return STARTTLS_HANDSHAKE;
	case P_TLS_GREETING:
		if (!ok)
			return fail(s, true, "greeted over TLS with '%.120s'", line);
		return say(s, P_BYE, "%s", goodbye(s));
	default:
		s->phase = P_DONE;
		return STARTTLS_DONE;
	}
}

/* ---- IMAP: untagged "* ..." lines, then the tagged answer ---- */

static enum starttls_step imap_line(struct starttls *s, const char *line)
{
	switch (s->phase) {
	case P_GREETING:
	case P_TLS_GREETING:
		if (strncmp(line, "* OK", 4))
			return fail(s, false, "greeted '%.120s'%s", line,
				    strncmp(line, "* PREAUTH", 9) ? "" : " (PREAUTH: no STARTTLS)");
		if (s->phase == P_TLS_GREETING)
			return say(s, P_BYE, "%s", goodbye(s));
		return say(s, P_REPLY, "a0 STARTTLS\r\n");
	case P_REPLY:
		if (line[0] == '*')
			return STARTTLS_MORE;
		if (strncmp(line, "a0 OK", 5))
			return fail(s, true, "answered STARTTLS with '%.120s'", line);
		s->phase = P_HANDSHAKE;
		return STARTTLS_HANDSHAKE;
	default:
		if (strncmp(line, "a1 ", 3))
			return STARTTLS_MORE;	/* "* BYE" comes before the tagged OK */
		s->phase = P_DONE;
		return STARTTLS_DONE;
	}
}

/* ---- ManageSieve: capability lines, then OK (or NO, BYE) ---- */

static bool sieve_word(const char *line, const char *word)
{
	size_t n = strlen(word);

	return !strncasecmp(line, word, n) && (!line[n] || line[n] == ' ' || line[n] == '(');
}

static enum starttls_step sieve_line(struct starttls *s, const char *line)
{
	bool ok = sieve_word(line, "OK"), end = ok || sieve_word(line, "NO") ||
		  sieve_word(line, "BYE");

	if (s->phase == P_GREETING && !strcasecmp(line, "\"STARTTLS\""))
		s->offered = true;
	if (!end && line[0] != '"')
		return fail(s, false, "answered '%.120s', not ManageSieve", line);
	if (!end)
		return STARTTLS_MORE;
	switch (s->phase) {
	case P_GREETING:
		if (!ok)
			return fail(s, false, "greeted '%.120s'", line);
		if (!s->offered)
			return fail(s, true, "does not offer STARTTLS (its capabilities list no "
				    "\"STARTTLS\")");
		return say(s, P_REPLY, "STARTTLS\r\n");
	case P_REPLY:
		if (!ok)
			return fail(s, true, "answered STARTTLS with '%.120s'", line);
		s->phase = P_HANDSHAKE;
		return STARTTLS_HANDSHAKE;
	case P_TLS_GREETING:	/* the capabilities again, now over TLS */
		return say(s, P_BYE, "%s", goodbye(s));
	default:
		s->phase = P_DONE;
		return STARTTLS_DONE;
	}
}

/* ---- lines ---- */

/* Control characters and bytes past ASCII as '?': lines end up in messages. */
static void printable(char *line)
{
	for (; *line; line++)
		if ((unsigned char)*line < 0x20 || (unsigned char)*line > 0x7e)
			*line = '?';
}

static enum starttls_step one_line(struct starttls *s, char *line)
{
	line[strcspn(line, "\r")] = '\0';
	printable(line);
	switch (inner(s)) {
	case TLS_SMTP: return smtp_line(s, line);
	case TLS_POP3: return pop3_line(s, line);
	case TLS_IMAP: return imap_line(s, line);
	default: return sieve_line(s, line);
	}
}

/* Takes the first whole line out of the buffer into @line; false when there is none. */
static bool take_line(struct starttls *s, char *line)
{
	char *nl = memchr(s->buf, '\n', s->len);
	size_t taken;

	if (!nl)
		return false;
	taken = (size_t)(nl - s->buf) + 1;
	memcpy(line, s->buf, taken - 1);
	line[taken - 1] = '\0';
	s->len -= taken;
	memmove(s->buf, s->buf + taken, s->len);
	return true;
}

enum starttls_step starttls_feed(struct starttls *s, const char *data, size_t n)
{
	enum starttls_step step = STARTTLS_MORE;
	char line[STARTTLS_LINE_MAX];

	if (s->phase == P_FAILED || s->phase == P_DONE)
		return s->phase == P_DONE ? STARTTLS_DONE : STARTTLS_FAILED;
	if (s->phase == P_HANDSHAKE)
		return n ? fail(s, false, "sent more after its STARTTLS answer, before the "
				"handshake") : STARTTLS_HANDSHAKE;
	if (n > sizeof(s->buf) - s->len)
		n = sizeof(s->buf) - s->len;	/* the caller reads no more than there is room */
	if (n)
		memcpy(s->buf + s->len, data, n);
	s->len += n;
	while (step == STARTTLS_MORE && take_line(s, line))
		step = one_line(s, line);
	if (step == STARTTLS_MORE && s->len == sizeof(s->buf))
		return fail(s, false, "sent a line longer than %d bytes", STARTTLS_LINE_MAX);
	/* bytes before the handshake would be taken as TLS's (CVE-2011-0411) */
	if (step == STARTTLS_HANDSHAKE && s->len)
		return fail(s, false, "sent more after its STARTTLS answer, before the handshake");
	return step;
}

bool starttls_greeted(const struct starttls *s)
{
	return s->d == TLS_IMPLICIT || s->greeted;
}

enum starttls_step starttls_secured(struct starttls *s)
{
	s->secure = true;
	s->len = 0;
	if (s->d == TLS_IMPLICIT || s->d == TLS_SIEVE) {
		s->phase = P_TLS_GREETING;
		return STARTTLS_MORE;
	}
	return say(s, P_BYE, "%s", goodbye(s));
}
