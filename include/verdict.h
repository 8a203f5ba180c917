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

/* What check found: the verdict, the figures behind it, and the sentence cron mails. */
struct finding {
	struct verdict v;
	bool trouble;			/* unknown because something is wrong */
	char why[512];			/* one sentence, without the final full stop */
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
