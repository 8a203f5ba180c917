// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * From the mail log to the accounts (see account_feed.h): each event the
 * line parser finds is judged, came it through the redirect or not, and
 * the ones that did are added up. Dovecot's sessions tie an IMAP ID to
 * its login across lines (and across runs, through the accounts file).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/account_feed.h"
#include "core/tunnel.h"

struct account_feed {
	struct accounts *a;
	struct address tunnel[2];	/* NEW's tunnel addresses: IPv4, IPv6 */
	struct address *stale;		/* sorted, for bsearch */
	unsigned int nstale;
	struct maillog_clock clock;
	int64_t now, oldest;
	struct account_read *r;
	int err;			/* the first -ENOMEM */
};

static int address_cmp(const void *x, const void *y)
{
	const struct address *a = x, *b = y;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(&a->in, &b->in, a->family == AF_INET ? sizeof(a->in.v4) :
		      sizeof(a->in.v6));
}

static bool is_stale(const struct account_feed *f, const struct address *client)
{
	return f->nstale && bsearch(client, f->stale, f->nstale, sizeof(*f->stale), address_cmp);
}

static bool to_tunnel(const struct account_feed *f, const struct mail_event *ev)
{
	return ev->has_local && (address_equal(&ev->local, &f->tunnel[0]) ||
				 address_equal(&ev->local, &f->tunnel[1]));
}

struct account_feed *account_feed_new(struct accounts *a, const struct address *stale,
				      unsigned int nstale, uint32_t tunnel_id, int64_t now,
				      uint64_t window, struct account_read *r)
{
	struct account_feed *f = calloc(1, sizeof(*f));
	struct prefix p;

	if (!f || (nstale && !(f->stale = malloc(nstale * sizeof(*stale))))) {
		free(f);
		return NULL;
	}
	if (nstale) {
		memcpy(f->stale, stale, nstale * sizeof(*stale));
		qsort(f->stale, nstale, sizeof(*stale), address_cmp);
	}
	f->nstale = nstale;
	tunnel_address(AF_INET, ROLE_NEW, tunnel_id, &p);
	f->tunnel[0] = p.addr;
	tunnel_address(AF_INET6, ROLE_NEW, tunnel_id, &p);
	f->tunnel[1] = p.addr;
	maillog_clock_init(&f->clock, now);
	f->now = now;
	f->oldest = now - (int64_t)window;
	f->a = a;
	f->r = r;
	return f;
}

void account_feed_free(struct account_feed *f)
{
	if (f)
		free(f->stale);
	free(f);
}

static void login(struct account_feed *f, const struct mail_event *ev)
{
	const char *program = accounts_session_get(f->a->ids, f->a->nids, ev->session);

	if (accounts_note(f->a, ev->account, ev->service, ev->has_client ? &ev->client : NULL,
			  ev->time) && !f->err)
		f->err = -ENOMEM;
	f->r->logins++;
	if (program)
		accounts_set_program(f->a, ev->account, program);
	if (ev->session[0])
		accounts_session_put(f->a->logins, &f->a->nlogins, ev->session, ev->time,
				     ev->account);
}

/* Before its login an ID waits in the ring; after it, it names the account's program. */
static void id(struct account_feed *f, const struct mail_event *ev)
{
	const char *account;

	if (!ev->program[0] || !ev->session[0])
		return;
	if (!ev->account[0]) {
		if (to_tunnel(f, ev))
			accounts_session_put(f->a->ids, &f->a->nids, ev->session, ev->time,
					     ev->program);
		return;
	}
	account = accounts_session_get(f->a->logins, f->a->nlogins, ev->session);
	if (account && !strcmp(account, ev->account))
		accounts_set_program(f->a, ev->account, ev->program);
}

/* One parsed line (@rc as the parser returned it). */
static void judge(struct account_feed *f, int rc, struct mail_event *ev)
{
	if (rc < 0)
		f->r->unreadable++;
	if (rc <= 0)
		return;
	if (!ev->time)
		ev->time = f->now;
	if (ev->time < f->oldest)
		return;
	switch (ev->kind) {
	case MAIL_LOGIN:
		if (to_tunnel(f, ev))
			login(f, ev);
		break;
	case MAIL_SASL:
		if (is_stale(f, &ev->client))
			login(f, ev);
		break;
	case MAIL_ID:
		id(f, ev);
		break;
	case MAIL_NONE:
		break;
	}
}

void account_feed_line(const char *line, size_t len, void *feed)
{
	struct account_feed *f = feed;
	struct mail_event ev;

	f->r->lines++;
	judge(f, maillog_parse_line(line, len, &f->clock, &ev), &ev);
}

static void feed_entry(int64_t time, const char *ident, size_t ilen, const char *msg,
		       size_t mlen, void *feed)
{
	struct account_feed *f = feed;
	struct mail_event ev;
	int rc;

	f->r->lines++;
	rc = maillog_parse_message(ident, ilen, msg, mlen, &ev);
	ev.time = time;
	judge(f, rc, &ev);
}

/* ---- the sources ---- */

/*
 * @path in one spelling, so that /var/log//mail.log is /var/log/mail.log:
 * its directory resolved, its last part as given (a log replaced by a
 * symbolic link is still refused by name). A directory that cannot be
 * resolved leaves the path as given: reading it then says why.
 */
static void canonical(const char *path, bool dir, char *out, size_t len)
{
	char *copy = strdup(path), *slash, *real;
	const char *base = "";

	snprintf(out, len, "%s", path);
	if (!copy || !*path)
		goto done;
	slash = strrchr(copy, '/');
	if (!dir && slash && slash[1]) {
		base = path + (slash - copy) + 1;
		slash[slash == copy ? 1 : 0] = '\0';	/* "/mail.log": the directory is "/" */
	}
	real = realpath(copy, NULL);
	if (real && strlen(real) + 1 + strlen(base) < len) {
		size_t n = strlen(real);

		memcpy(out, real, n + 1);
		if (*base && strcmp(real, "/"))
			out[n++] = '/';
		memcpy(out + n, base, strlen(base) + 1);
	}
	free(real);
done:
	free(copy);
}

/*
 * Which source this run reads. Another one than last time (another file,
 * the journal instead of a file) starts afresh: the accounts are what that
 * source says within the window, not what two sources said, each read from
 * its start, counted twice.
 */
static void choose(struct accounts *a, const struct account_source *src, struct account_read *r)
{
	enum mail_source kind = src->mail_log ? SOURCE_FILE :
				src->journal_dir ? SOURCE_JOURNAL :
				a->source != SOURCE_NONE ? a->source : SOURCE_JOURNAL;
	char path[PATH_MAX];

	if (src->mail_log || src->journal_dir)
		canonical(src->mail_log ? src->mail_log : src->journal_dir, !src->mail_log, path,
			  sizeof(path));
	else
		snprintf(path, sizeof(path), "%s", kind == a->source ? a->path : "");
	if (kind != a->source || strcmp(path, a->path)) {
		if (a->source != SOURCE_NONE && !r->started_over)
			r->started_over = STARTED_OTHER_SOURCE;
		accounts_free(a);
		snprintf(a->path, sizeof(a->path), "%s", path);
	}
	a->source = kind;
	r->source = kind;
	snprintf(r->path, sizeof(r->path), "%s", a->path);
}

static void read_file(struct accounts *a, struct account_feed *f, struct account_read *r)
{
	struct logfile_report lr;
	struct errmsg e = { "" };
	char *buf = malloc(LOGFILE_BUF);

	if (!buf) {
		snprintf(r->problem, sizeof(r->problem), "out of memory");
		return;
	}
	if (logfile_read(a->path, &a->pos, buf, account_feed_line, f, &lr, &e))
		snprintf(r->problem, sizeof(r->problem), "%s", e.text);
	free(buf);
	r->bytes = lr.bytes;
	r->unreadable += lr.too_long;
	r->rotated = lr.rotated;
	r->old_finished = lr.old_finished;
	r->truncated = lr.truncated;
}

static void read_journal(struct accounts *a, struct account_feed *f, struct account_read *r)
{
	struct journal_report jr;
	struct errmsg e = { "" };

	if (journal_read(a->path[0] ? a->path : NULL, a->cursor, f->oldest, feed_entry, f, &jr,
			 &e))
		snprintf(r->problem, sizeof(r->problem), "%s", e.text);
	r->unreadable += jr.unreadable;
	r->untrusted = jr.untrusted;
	r->cursor_lost = jr.cursor_lost;
	r->journal_error = jr.error;
}

int accounts_update(struct state_dir *d, struct accounts *a, const struct account_source *src,
		    const struct address *stale, unsigned int nstale, uint32_t tunnel_id,
		    int64_t now, uint64_t window, struct account_read *r, struct errmsg *e)
{
	struct account_feed *f;
	int err;

	memset(r, 0, sizeof(*r));
	err = accounts_load(d, a, e);
	if (err == -ENOMEM)
		return err;
	if (err)	/* derived data: read again from the window's start */
		r->started_over = STARTED_DAMAGED;
	choose(a, src, r);
	f = account_feed_new(a, stale, nstale, tunnel_id, now, window, r);
	if (!f)
		return errmsg_set(e, -ENOMEM, "out of memory");
	if (a->source == SOURCE_FILE)
		read_file(a, f, r);
	else
		read_journal(a, f, r);
	err = f->err;
	account_feed_free(f);
	if (err)
		return errmsg_set(e, err, "out of memory");
	a->skipped += r->unreadable;
	accounts_prune(a, now, window);
	return accounts_save(d, a, e);
}

int accounts_known(struct state_dir *d, struct accounts *a, int64_t now, uint64_t window,
		   const char *why, struct account_read *r, struct errmsg *e)
{
	int err;

	memset(r, 0, sizeof(*r));
	err = accounts_load(d, a, e);
	if (err)
		return err;
	r->source = a->source == SOURCE_FILE ? SOURCE_FILE : SOURCE_JOURNAL;
	snprintf(r->path, sizeof(r->path), "%s", a->path);
	snprintf(r->problem, sizeof(r->problem), "%s", why);
	accounts_prune(a, now, window);		/* in memory: nothing is written */
	return 0;
}
