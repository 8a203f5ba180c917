// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The mail servers' entries of the systemd journal (see journal.h): the
 * journal's own index picks them by field, so a run touches only the
 * entries of Dovecot and Postfix's smtpd, and only those after its cursor.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-journal.h>

#include "maillog/journal.h"
#include "maillog/logline.h"

/* The identifiers Dovecot and Postfix's smtpd log with, as Debian configures them. */
static const char *const mail_matches[] = {
	"SYSLOG_IDENTIFIER=dovecot",
	"SYSLOG_IDENTIFIER=postfix/smtpd",
	"SYSLOG_IDENTIFIER=postfix/submission/smtpd",
	"SYSLOG_IDENTIFIER=postfix/submissions/smtpd",
	"SYSLOG_IDENTIFIER=postfix/smtps/smtpd",
};

/* (SYSLOG_IDENTIFIER is one of those) OR (_COMM=smtpd): any syslog_name of smtpd. */
static int add_matches(sd_journal *j)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < sizeof(mail_matches) / sizeof(mail_matches[0]); i++)
		err = sd_journal_add_match(j, mail_matches[i], 0);
	if (!err)
		err = sd_journal_add_disjunction(j);
	if (!err)
		err = sd_journal_add_match(j, "_COMM=smtpd", 0);
	return err;
}

static int journal_open(sd_journal **j, const char *dir, struct errmsg *e)
{
	int err = dir ? sd_journal_open_directory(j, dir, 0) :
		  sd_journal_open(j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);

	if (err < 0)
		return errmsg_set(e, err, "cannot open the journal%s%s: %s", dir ? " in " : "",
				  dir ? dir : "", strerror(-err));
	err = add_matches(*j);
	if (err < 0) {
		sd_journal_close(*j);
		return errmsg_set(e, err, "cannot filter the journal: %s", strerror(-err));
	}
	return 0;
}

/* A field's value: after "NAME=" in what sd_journal_get_data gives. */
static bool field(sd_journal *j, const char *name, const char **v, size_t *n)
{
	size_t len = strlen(name);
	const void *d;
	size_t l;

	if (sd_journal_get_data(j, name, &d, &l) < 0 || l <= len)
		return false;
	*v = (const char *)d + len + 1;
	*n = l - len - 1;
	return true;
}

/*
 * Where to start: after the cursor's entry, or at @since. A cursor whose
 * entry is gone puts the journal at the nearest entry, which is then read.
 * Returns sd_journal_next's answer for the first entry (1: there is one).
 */
static int start(sd_journal *j, const char *cursor, int64_t since, struct journal_report *r)
{
	int rc;

	if (!cursor[0] || sd_journal_seek_cursor(j, cursor) < 0) {
		r->cursor_lost = cursor[0] != '\0';
		rc = sd_journal_seek_realtime_usec(j, since > 0 ? (uint64_t)since * 1000000 : 0);
		return rc < 0 ? rc : sd_journal_next(j);
	}
	rc = sd_journal_next(j);
	if (rc > 0 && sd_journal_test_cursor(j, cursor) > 0)
		return sd_journal_next(j);
	r->cursor_lost = rc > 0;
	return rc;
}

static void one_entry(sd_journal *j, journal_entry_cb cb, void *data, struct journal_report *r)
{
	const char *ident, *msg;
	size_t ilen, mlen;
	uint64_t usec = 0;

	r->entries++;
	if (!field(j, "SYSLOG_IDENTIFIER", &ident, &ilen) && !field(j, "_COMM", &ident, &ilen)) {
		r->unreadable++;
		return;
	}
	if (!field(j, "MESSAGE", &msg, &mlen)) {
		r->unreadable++;
		return;
	}
	sd_journal_get_realtime_usec(j, &usec);
	cb((int64_t)(usec / 1000000), ident, ilen, msg, mlen, data);
}

int journal_read(const char *dir, char *cursor, int64_t since, journal_entry_cb cb, void *data,
		 struct journal_report *r, struct errmsg *e)
{
	sd_journal *j;
	char *last = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = journal_open(&j, dir, e);
	if (rc)
		return rc;
	for (rc = start(j, cursor, since, r); rc > 0; rc = sd_journal_next(j))
		one_entry(j, cb, data, r);
	if (rc < 0)
		r->error = rc;	/* a corrupt file: what was read stands */
	/* at the end (or an error) the journal stays on the last entry read */
	if (r->entries && sd_journal_get_cursor(j, &last) < 0)
		last = NULL;
	if (last && strlen(last) < JOURNAL_CURSOR_MAX)
		snprintf(cursor, JOURNAL_CURSOR_MAX, "%s", last);
	free(last);
	sd_journal_close(j);
	return 0;
}
