/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_VERDICT_H
#define REDIRECT_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "observe.h"

enum verdict_status { VERDICT_READY, VERDICT_IN_USE, VERDICT_UNKNOWN };

struct verdict {
	enum verdict_status status;
	int64_t quiet;		/* since the last redirected connection, or since enable */
	int64_t required;	/* --quiet-for */
	int64_t ready_in;	/* at the earliest, if nothing more arrives; 0 when ready */
	uint64_t open;		/* redirected sessions open now */
};

/*
 * Ready to retire OLD when nothing has been redirected for @required
 * seconds, the redirect has been on at least that long, and no redirected
 * session is open (an IMAP client can sit on one for days). Pure: the
 * clock is an argument.
 */
void verdict_decide(int64_t now, int64_t since, int64_t last_seen_at, uint64_t open,
		    int64_t required, struct verdict *v);

const char *verdict_name(enum verdict_status status);

/*
 * What can be wrong with a redirect that is in place, as stats and check
 * say it: each makes the redirected connections go nowhere, or the figures
 * untrue.
 */
struct health {
	unsigned int forwarding_off;	/* 1 IPv4, 2 IPv6: redirected, not forwarded */
	bool unanswered;		/* recent attempts from several clients NEW did not answer */
	unsigned int unanswered_count;	/* ... how many */
	unsigned int unanswered_clients; /* ... from how many clients (1: a warning only) */
	struct address unanswered_client; /* ... the first of them */
	unsigned int nearly_full;	/* 1 IPv4, 2 IPv6: stale-source set over 80% */
	unsigned int fill[2];		/* its fill, percent */
	bool drift;			/* the table is not what redirect installed */
};

#define FILL_WARN_PERCENT 80

void verdict_health(const struct snapshot *s, struct health *h);

/* Whether @h makes the redirect not work (or its counts untrue): check is then CRITICAL. */
bool health_broken(const struct health *h);

/* The sentences for @h, "; "-joined, for stats and check: "" when all is well. */
void health_words(const struct health *h, const struct snapshot *s, char *buf, size_t len);

/* What check found: the verdict, the figures behind it, and the sentence cron mails. */
struct finding {
	struct verdict v;
	struct health health;
	bool broken;			/* in use, and the redirect does not work */
	bool trouble;			/* unknown because something is wrong */
	char why[1024];			/* one sentence, without the final full stop */
	unsigned int sources;		/* seen within the quiet window */
	char services[256];		/* seen within the quiet window, most recent first */
	int64_t last_seen;		/* seconds ago, or NEVER */
	uint64_t connections;
};

/*
 * The whole reasoning of `redirect check` over one look at state and
 * kernel (@s, its clock in s->now): pure, so its sentences are unit tested.
 */
void verdict_judge(const struct snapshot *s, int64_t required, struct finding *f);

/* Unknown: @why says what is missing; @trouble when something is wrong. */
void verdict_unknown(struct finding *f, const char *why, bool trouble);

#endif
