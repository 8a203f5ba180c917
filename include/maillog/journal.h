/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_MAILLOG_JOURNAL_H
#define REDIRECT_MAILLOG_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errmsg.h"

/*
 * The systemd journal read through libsystemd's sd-journal: only the
 * entries of Dovecot (SYSLOG_IDENTIFIER=dovecot) and of Postfix's smtpd
 * (SYSLOG_IDENTIFIER=postfix/.../smtpd, or _COMM=smtpd), and of those only
 * the ones the mail servers sent, by the fields journald sets itself (_UID
 * root, dovecot, dovenull or postfix; _SYSTEMD_UNIT dovecot or postfix's,
 * where there is one): the identifier is the sender's word. From the entry
 * after a cursor that the caller keeps, so each run reads only what is
 * new. Without a cursor, from @since (the remembered window's start).
 * A corrupt, rotated or vacuumed journal ends the run early or moves the
 * cursor on; it never crashes or hangs it.
 */
#define JOURNAL_CURSOR_MAX 512

struct journal_report {
	uint64_t entries;	/* mail entries seen this run */
	uint64_t unreadable;	/* ... without a MESSAGE or SYSLOG_IDENTIFIER */
	uint64_t untrusted;	/* ... sent by another user (`logger -t dovecot`): left out */
	bool cursor_lost;	/* the cursor's entry was gone (vacuumed, rotated away) */
	int error;		/* a -errno that ended the run early (corruption), or 0 */
};

/* One entry: its time (Unix seconds), identifier and message, not NUL-terminated. */
typedef void (*journal_entry_cb)(int64_t time, const char *ident, size_t ilen, const char *msg,
				 size_t mlen, void *data);

/*
 * Reads the system journal, or the journal files in @dir (a directory of
 * *.journal files, e.g. one made by systemd-journal-remote). @cursor
 * (JOURNAL_CURSOR_MAX bytes, "" for none) is where the last run stopped;
 * it is updated to the last entry read. Returns 0, or -errno with @e
 * saying what could not be opened.
 */
int journal_read(const char *dir, char *cursor, int64_t since, journal_entry_cb cb, void *data,
		 struct journal_report *r, struct errmsg *e);

#endif
