// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The mail servers' entries of the systemd journal (see journal.h): the
 * journal's own index picks them by field, so a run touches only the
 * entries of Dovecot and Postfix's smtpd, and only those after its cursor.
 * libsystemd is loaded here, when the journal is first read, not when the
 * program starts: with the libraries it brings (libgcrypt, liblzma,
 * libzstd, liblz4...) it cost every run of every command half a
 * millisecond, and only stats on NEW reads the journal.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-journal.h>

#include "maillog/journal.h"
#include "maillog/logline.h"

#define LIBSYSTEMD "libsystemd.so.0"	/* the soname since systemd 209 */

/* The functions of sd-journal read here, with the types its header gives them. */
struct sdj {
	__typeof__(sd_journal_open) *open;
	__typeof__(sd_journal_open_directory) *open_directory;
	__typeof__(sd_journal_close) *close;
	__typeof__(sd_journal_add_match) *add_match;
	__typeof__(sd_journal_add_disjunction) *add_disjunction;
	__typeof__(sd_journal_seek_cursor) *seek_cursor;
	__typeof__(sd_journal_seek_realtime_usec) *seek_realtime_usec;
	__typeof__(sd_journal_test_cursor) *test_cursor;
	__typeof__(sd_journal_next) *next;
	__typeof__(sd_journal_get_data) *get_data;
	__typeof__(sd_journal_get_realtime_usec) *get_realtime_usec;
	__typeof__(sd_journal_get_cursor) *get_cursor;
};

static const struct {
	const char *name;
	size_t offset;
} sdj_symbols[] = {
#define SDJ(field, symbol) { #symbol, offsetof(struct sdj, field) }
	SDJ(open, sd_journal_open), SDJ(open_directory, sd_journal_open_directory),
	SDJ(close, sd_journal_close), SDJ(add_match, sd_journal_add_match),
	SDJ(add_disjunction, sd_journal_add_disjunction),
	SDJ(seek_cursor, sd_journal_seek_cursor),
	SDJ(seek_realtime_usec, sd_journal_seek_realtime_usec),
	SDJ(test_cursor, sd_journal_test_cursor), SDJ(next, sd_journal_next),
	SDJ(get_data, sd_journal_get_data), SDJ(get_realtime_usec, sd_journal_get_realtime_usec),
	SDJ(get_cursor, sd_journal_get_cursor),
#undef SDJ
};

/*
 * libsystemd, loaded (once a process: dlopen counts, and the library
 * stays) and its functions looked up. A system without it is told so.
 */
static int sdj_load(struct sdj *api, struct errmsg *e)
{
	void *lib = dlopen(LIBSYSTEMD, RTLD_NOW | RTLD_LOCAL), *fn;
	unsigned int i;

	if (!lib)
		return errmsg_set(e, -ENOENT, "cannot read the journal: %s (install libsystemd0, "
				  "or give --mail-log FILE)", dlerror());
	for (i = 0; i < sizeof(sdj_symbols) / sizeof(sdj_symbols[0]); i++) {
		fn = dlsym(lib, sdj_symbols[i].name);
		if (!fn)
			return errmsg_set(e, -ENOSYS, "cannot read the journal: %s has no %s",
					  LIBSYSTEMD, sdj_symbols[i].name);
		memcpy((char *)api + sdj_symbols[i].offset, &fn, sizeof(fn));
	}
	return 0;
}

/* The identifiers Dovecot and Postfix's smtpd log with, as Debian configures them. */
static const char *const mail_matches[] = {
	"SYSLOG_IDENTIFIER=dovecot",
	"SYSLOG_IDENTIFIER=postfix/smtpd",
	"SYSLOG_IDENTIFIER=postfix/submission/smtpd",
	"SYSLOG_IDENTIFIER=postfix/submissions/smtpd",
	"SYSLOG_IDENTIFIER=postfix/smtps/smtpd",
};

/* (SYSLOG_IDENTIFIER is one of those) OR (_COMM=smtpd): any syslog_name of smtpd. */
static int add_matches(const struct sdj *api, sd_journal *j)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < sizeof(mail_matches) / sizeof(mail_matches[0]); i++)
		err = api->add_match(j, mail_matches[i], 0);
	if (!err)
		err = api->add_disjunction(j);
	if (!err)
		err = api->add_match(j, "_COMM=smtpd", 0);
	return err;
}

static int journal_open(const struct sdj *api, sd_journal **j, const char *dir,
			struct errmsg *e)
{
	int err = dir ? api->open_directory(j, dir, 0) :
		  api->open(j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);

	if (err < 0)
		return errmsg_set(e, err, "cannot open the journal%s%s: %s", dir ? " in " : "",
				  dir ? dir : "", strerror(-err));
	err = add_matches(api, *j);
	if (err < 0) {
		api->close(*j);
		return errmsg_set(e, err, "cannot filter the journal: %s", strerror(-err));
	}
	return 0;
}

/* A field's value: after "NAME=" in what sd_journal_get_data gives. */
static bool field(const struct sdj *api, sd_journal *j, const char *name, const char **v,
		  size_t *n)
{
	size_t len = strlen(name);
	const void *d;
	size_t l;

	if (api->get_data(j, name, &d, &l) < 0 || l <= len)
		return false;
	*v = (const char *)d + len + 1;
	*n = l - len - 1;
	return true;
}

/*
 * SYSLOG_IDENTIFIER (and _COMM) is what the sender says it is: any local
 * user can `logger -t dovecot` a login line of their making. The fields
 * journald adds itself, from the kernel, cannot be forged by a client: an
 * entry counts only when its _UID is root (Dovecot's log process, Postfix's
 * master) or a user the mail servers run as (Postfix's smtpd), and, where
 * systemd runs the host, its _SYSTEMD_UNIT is Dovecot's or Postfix's
 * (dovecot.service, postfix@-.service): the unit alone is not enough, as a
 * user's .forward or Sieve program runs in the mail servers' unit too.
 */
static const char *const mail_users[] = { "dovecot", "dovenull", "postfix" };
static const char *const mail_units[] = { "dovecot", "postfix" };
static const char unit_suffix[] = ".service";

struct senders {
	uid_t uid[1 + sizeof(mail_users) / sizeof(mail_users[0])];
	unsigned int n;
};

static void senders_init(struct senders *s)
{
	const struct passwd *pw;
	unsigned int i;

	s->uid[0] = 0;
	s->n = 1;
	for (i = 0; i < sizeof(mail_users) / sizeof(mail_users[0]); i++)
		if ((pw = getpwnam(mail_users[i])) && pw->pw_uid)
			s->uid[s->n++] = pw->pw_uid;
}

static bool uid_trusted(const struct senders *s, const char *uid, size_t len)
{
	unsigned long v = 0;
	unsigned int i;
	size_t k;

	if (!len || len > 10)
		return false;
	for (k = 0; k < len; k++) {
		if (uid[k] < '0' || uid[k] > '9')
			return false;
		v = v * 10 + (unsigned long)(uid[k] - '0');
	}
	for (i = 0; i < s->n; i++)
		if (s->uid[i] == v)
			return true;
	return false;
}

/* dovecot.service, postfix.service, postfix@-.service, postfix@out.service... */
static bool unit_trusted(const char *unit, size_t len)
{
	const size_t slen = sizeof(unit_suffix) - 1;
	unsigned int i;
	size_t n;

	if (len <= slen || memcmp(unit + len - slen, unit_suffix, slen))
		return false;
	for (i = 0; i < sizeof(mail_units) / sizeof(mail_units[0]); i++) {
		n = strlen(mail_units[i]);
		if (len - slen >= n && !memcmp(unit, mail_units[i], n) &&
		    (len - slen == n || unit[n] == '@'))
			return true;
	}
	return false;
}

/* The entry's trusted fields say a mail server sent it (see above). */
static bool sender_trusted(const struct sdj *api, sd_journal *j, const struct senders *s)
{
	const char *v;
	size_t n;

	if (!field(api, j, "_UID", &v, &n) || !uid_trusted(s, v, n))
		return false;
	return !field(api, j, "_SYSTEMD_UNIT", &v, &n) || unit_trusted(v, n);
}

/*
 * Where to start: after the cursor's entry, or at @since. A cursor whose
 * entry is gone puts the journal at the nearest entry, which is then read.
 * Returns sd_journal_next's answer for the first entry (1: there is one).
 */
static int start(const struct sdj *api, sd_journal *j, const char *cursor, int64_t since,
		 struct journal_report *r)
{
	int rc;

	if (!cursor[0] || api->seek_cursor(j, cursor) < 0) {
		r->cursor_lost = cursor[0] != '\0';
		rc = api->seek_realtime_usec(j, since > 0 ? (uint64_t)since * 1000000 : 0);
		return rc < 0 ? rc : api->next(j);
	}
	rc = api->next(j);
	if (rc > 0 && api->test_cursor(j, cursor) > 0)
		return api->next(j);
	r->cursor_lost = rc > 0;
	return rc;
}

static void one_entry(const struct sdj *api, sd_journal *j, const struct senders *senders,
		      journal_entry_cb cb, void *data, struct journal_report *r)
{
	const char *ident, *msg;
	size_t ilen, mlen;
	uint64_t usec = 0;

	r->entries++;
	if (!sender_trusted(api, j, senders)) {
		r->untrusted++;
		return;
	}
	if (!field(api, j, "SYSLOG_IDENTIFIER", &ident, &ilen) &&
	    !field(api, j, "_COMM", &ident, &ilen)) {
		r->unreadable++;
		return;
	}
	if (!field(api, j, "MESSAGE", &msg, &mlen)) {
		r->unreadable++;
		return;
	}
	api->get_realtime_usec(j, &usec);
	cb((int64_t)(usec / 1000000), ident, ilen, msg, mlen, data);
}

int journal_read(const char *dir, char *cursor, int64_t since, journal_entry_cb cb, void *data,
		 struct journal_report *r, struct errmsg *e)
{
	struct senders senders;
	struct sdj api;
	sd_journal *j;
	char *last = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	senders_init(&senders);
	rc = sdj_load(&api, e);
	if (!rc)
		rc = journal_open(&api, &j, dir, e);
	if (rc)
		return rc;
	for (rc = start(&api, j, cursor, since, r); rc > 0; rc = api.next(j))
		one_entry(&api, j, &senders, cb, data, r);
	if (rc < 0)
		r->error = rc;	/* a corrupt file: what was read stands */
	/* at the end (or an error) the journal stays on the last entry read */
	if (r->entries && api.get_cursor(j, &last) < 0)
		last = NULL;
	if (last && strlen(last) < JOURNAL_CURSOR_MAX)
		snprintf(cursor, JOURNAL_CURSOR_MAX, "%s", last);
	free(last);
	api.close(j);
	return 0;
}
