/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_ACCOUNT_FEED_H
#define REDIRECT_CORE_ACCOUNT_FEED_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/accounts.h"

/*
 * What came through the redirect, told from the mail log on NEW. Dovecot
 * logs each login's local address: a login to NEW's tunnel address came
 * through OLD, exactly. Postfix logs no local address with sasl_username=:
 * an authenticated client counts when its address is one of the stale
 * sources (an address that came through the tunnel within the window),
 * so a client that also connects to NEW directly from that same address
 * is counted too (the man page says so).
 */
struct account_source {
	const char *mail_log;		/* --mail-log FILE, or NULL */
	const char *journal_dir;	/* --journal-dir DIR, or NULL */
};

/* What one run read, for stats to say. */
struct account_read {
	enum mail_source source;
	char path[PATH_MAX];		/* file or journal directory; "" the system's */
	uint64_t bytes;			/* of the file read this run */
	uint64_t lines;			/* lines or entries of the mail servers read */
	uint64_t unreadable;		/* ... skipped: not readable, too long */
	uint64_t untrusted;		/* journal entries another user sent: left out */
	uint64_t logins;		/* logins through the redirect among them */
	bool rotated, old_finished, truncated, cursor_lost;
	int journal_error;		/* a -errno that ended the journal early, or 0 */
	enum {
		STARTED_NO,
		STARTED_DAMAGED,	/* the accounts file was damaged: started afresh */
		STARTED_OTHER_SOURCE,	/* another log than last time: started afresh */
	} started_over;
	char problem[600];		/* the source could not be read (why), or "" */
};

/*
 * Loads STATE_DIR/accounts into @a, reads what is new in the mail log
 * (the file or journal named in @src; else the one read last time; else
 * the system journal; another one than last time starts afresh), keeps
 * the logins through the redirect (@stale: the stale sources' addresses,
 * for Postfix; Dovecot's logins to the address of tunnel @tunnel_id),
 * forgets what is older than @window, and writes the file back. A source that cannot be read is no
 * error: r->problem says why, and the accounts known stand. Returns
 * -errno only when the accounts file cannot be written (or no memory).
 *
 * The caller holds the state lock, and read the state under it: that
 * this host accepts (role NEW, enabled) is then still true when the file
 * is written, and a disable (which takes the lock, then removes the file)
 * comes before the whole update or after it, never between its reading
 * and its writing; one writer at a time also owns ACCOUNTS_TMP.
 */
int accounts_update(struct state_dir *d, struct accounts *a, const struct account_source *src,
		    const struct address *stale, unsigned int nstale, uint32_t tunnel_id,
		    int64_t now, uint64_t window, struct account_read *r, struct errmsg *e);

/*
 * For a run that does not hold the state lock: the accounts the file
 * holds within @window, read and never written, nothing read of the log;
 * r->problem is @why. -errno with @e when the file cannot be read.
 */
int accounts_known(struct state_dir *d, struct accounts *a, int64_t now, uint64_t window,
		   const char *why, struct account_read *r, struct errmsg *e);

/* The same from lines already in memory (tests, bench): no file, no state directory. */
struct account_feed;
struct account_feed *account_feed_new(struct accounts *a, const struct address *stale,
				      unsigned int nstale, uint32_t tunnel_id, int64_t now,
				      uint64_t window, struct account_read *r);
void account_feed_line(const char *line, size_t len, void *feed);
void account_feed_free(struct account_feed *f);

#endif
