// SPDX-License-Identifier: GPL-2.0-or-later
/* When the old host can go. */
#include "verdict.h"

static int64_t at_least_zero(int64_t v)
{
	return v > 0 ? v : 0;
}

void verdict_decide(int64_t now, int64_t since, int64_t last_seen_at, uint64_t open,
		    int64_t required, struct verdict *v)
{
	int64_t enabled_for = at_least_zero(now - since);

	v->required = required;
	v->open = open;
	v->quiet = last_seen_at ? at_least_zero(now - last_seen_at) : enabled_for;
	if (v->quiet > enabled_for)
		v->quiet = enabled_for;	/* a connection before enable does not count */
	v->ready_in = at_least_zero(required - v->quiet);
	v->status = v->ready_in == 0 && open == 0 ? VERDICT_READY : VERDICT_IN_USE;
}

const char *verdict_name(enum verdict_status status)
{
	switch (status) {
	case VERDICT_READY: return "ready";
	case VERDICT_IN_USE: return "in-use";
	default: return "unknown";
	}
}
