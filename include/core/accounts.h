/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_ACCOUNTS_H
#define REDIRECT_CORE_ACCOUNTS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errmsg.h"
#include "lib/parse.h"
#include "maillog/journal.h"
#include "maillog/logfile.h"
#include "maillog/logline.h"
#include "core/state_dir.h"

/*
 * The accounts that logged in through the redirect (on NEW): per account
 * the services, the client addresses (most recent first), the mail
 * program it last named, how many logins and when the last. Kept in
 * STATE_DIR/accounts (ACCOUNTS_FILE, 0600: user names are for root's
 * eyes), with where the reading of the mail log stopped, for the
 * remembered window only.
 */
#define ACCOUNTS_TMP "accounts.tmp"
#define ACCOUNTS_MAX 20000		/* beyond that the least recent go */
#define ACCOUNT_ADDRS_MAX 8
#define ACCOUNTS_PENDING 32		/* Dovecot sessions kept between two lines */

struct account {
	char name[MAIL_ACCOUNT_MAX];
	uint32_t services;		/* bit i: enum mail_service i */
	struct address addrs[ACCOUNT_ADDRS_MAX];	/* most recent first */
	unsigned int naddrs;
	char program[MAIL_PROGRAM_MAX];	/* "" when it never said */
	uint64_t count;
	int64_t last_seen;		/* Unix time */
};

enum mail_source { SOURCE_NONE, SOURCE_JOURNAL, SOURCE_FILE };

/*
 * A Dovecot session between its lines: an IMAP ID sent before the login
 * (the program waits for its account), or a login through the tunnel (an
 * ID sent after it names the program of that account).
 */
struct dovecot_session {
	char session[MAIL_SESSION_MAX];
	int64_t at;
	char value[MAIL_ACCOUNT_MAX];	/* the program, or the account */
};

struct accounts {
	struct account *a;		/* after accounts_sort: most recent first */
	unsigned int n, cap;
	unsigned int *index;		/* open addressing on the name's hash */
	unsigned int index_size;	/* a power of two, at least 2n; 0: none */

	enum mail_source source;	/* what was read last, and where it stopped */
	char path[PATH_MAX];		/* file or journal directory ("" the system's) */
	struct logfile_pos pos;
	char cursor[JOURNAL_CURSOR_MAX];
	uint64_t skipped;		/* lines that could not be read, all runs */

	struct dovecot_session ids[ACCOUNTS_PENDING], logins[ACCOUNTS_PENDING];
	unsigned int nids, nlogins;	/* rings: the next slot is n % ACCOUNTS_PENDING */
};

void accounts_init(struct accounts *a);
void accounts_free(struct accounts *a);

/* One login of @name for @service from @client (NULL: unknown) at @at. */
int accounts_note(struct accounts *a, const char *name, enum mail_service service,
		  const struct address *client, int64_t at);

/* The program @name uses, as its client said at @at (a newer word wins). */
void accounts_set_program(struct accounts *a, const char *name, const char *program);

struct account *accounts_find(struct accounts *a, const char *name);

/*
 * Forgets accounts not seen within @window seconds before @now, and the
 * Dovecot sessions of the rings older than that; sorts the rest.
 */
void accounts_prune(struct accounts *a, int64_t now, uint64_t window);

/* Most recent first, and then by name. */
void accounts_sort(struct accounts *a);

/* Remembers a session in ring @ring (a->ids or a->logins). */
void accounts_session_put(struct dovecot_session *ring, unsigned int *n, const char *session,
			  int64_t at, const char *value);
/* The value kept for @session in @ring, or NULL. */
const char *accounts_session_get(const struct dovecot_session *ring, unsigned int n,
				 const char *session);

/* The text form, pure (tests, fuzzing): *@buf malloc'd. */
int accounts_format(const struct accounts *a, char **buf, size_t *len);
int accounts_parse(const char *text, size_t len, struct accounts *a, struct errmsg *e);

/*
 * STATE_DIR/accounts: read (a missing file is no accounts; a damaged one is
 * -EBADMSG with @e saying why, and @a then empty), written whole through a
 * temporary file (0600), removed (disable: 1 when there was one to remove).
 */
int accounts_load(struct state_dir *d, struct accounts *a, struct errmsg *e);
int accounts_save(struct state_dir *d, const struct accounts *a, struct errmsg *e);
int accounts_remove(struct state_dir *d, struct errmsg *e);

#endif
