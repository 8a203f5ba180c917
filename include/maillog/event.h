/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_MAILLOG_EVENT_H
#define REDIRECT_MAILLOG_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/parse.h"

/*
 * What a mail server's log line says (see logline.h for the lines): who
 * logged in, to which service, from where, with which program; the clock
 * that dates the lines; and what a value must be to be kept.
 */
#define MAIL_ACCOUNT_MAX 256	/* bytes of a user name, with its NUL */
#define MAIL_PROGRAM_MAX 96	/* "name version" of an IMAP ID, cut to fit */
#define MAIL_SESSION_MAX 48	/* Dovecot's session id (22 base64 characters) */

enum mail_service {
	MAIL_IMAP, MAIL_POP3, MAIL_SUBMISSION, MAIL_SUBMISSIONS, MAIL_SMTP, MAIL_SIEVE,
	MAIL_SERVICES
};

enum mail_event_kind {
	MAIL_NONE,	/* a line of no interest */
	MAIL_LOGIN,	/* Dovecot: a login (account, client, local address, session) */
	MAIL_ID,	/* Dovecot: an IMAP ID (program, session; before login: addresses) */
	MAIL_SASL,	/* Postfix: an authenticated client (account, client) */
};

struct mail_event {
	enum mail_event_kind kind;
	int64_t time;			/* Unix time from the line; 0: it has none */
	enum mail_service service;
	char account[MAIL_ACCOUNT_MAX];	/* "" for an ID before login */
	bool has_client, has_local;
	struct address client;		/* rip=, client=name[ADDRESS] */
	struct address local;		/* lip= */
	char session[MAIL_SESSION_MAX];	/* Dovecot's session=<...>, or "" */
	char program[MAIL_PROGRAM_MAX];	/* an ID's name and version; "" for none */
};

/*
 * What a traditional time ("Dec  3 12:14:49", no year, local) needs: the
 * year of @now, and mktime() once an hour of the log rather than per line.
 */
struct maillog_clock {
	int64_t now;
	int year;		/* of @now, less 1900 */
	int key;		/* month, day, hour of @base; -1: none yet */
	int64_t base;		/* that hour's start */
};

void maillog_clock_init(struct maillog_clock *c, int64_t now);

/*
 * Whether @s (@len bytes) is valid UTF-8 without control characters: C0,
 * DEL, C1 (U+0080-U+009F) and the bidirectional controls (U+061C,
 * U+200E-U+200F, U+202A-U+202E, U+2066-U+2069), which a terminal acts on.
 */
bool maillog_text_ok(const char *s, size_t len);

#endif
