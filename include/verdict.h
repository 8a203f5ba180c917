/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_VERDICT_H
#define REDIRECT_VERDICT_H

#include <stdint.h>

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

#endif
