// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * When the old host can go, and the words for it: what check prints and
 * cron mails. Pure: every input, the clock included, is an argument.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "tunnel.h"
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

void verdict_unknown(struct finding *f, const char *why, bool trouble)
{
	memset(&f->v, 0, sizeof(f->v));
	f->v.status = VERDICT_UNKNOWN;
	f->last_seen = NEVER;
	f->trouble = trouble;
	snprintf(f->why, sizeof(f->why), "%s", why);
}

/* The services seen within the quiet window, most recent first. */
static void recent_services(const struct stats *st, int64_t window, char *out, size_t len)
{
	bool used[SPEC_MAX_SERVICES] = { false };
	size_t n = 0;

	out[0] = '\0';
	for (;;) {
		int best = -1;
		unsigned int i;

		for (i = 0; i < st->nservices; i++) {
			int64_t ago = st->services[i].last_seen;

			if (!used[i] && ago != NEVER && ago < window &&
			    (best < 0 || ago < st->services[best].last_seen))
				best = (int)i;
		}
		if (best < 0 || n >= len)
			return;
		used[best] = true;
		n += (size_t)snprintf(out + n, len - n, "%s%s", n ? ", " : "",
				      st->services[best].svc.name);
	}
}

static unsigned int recent_sources(const struct stats *st, int64_t window)
{
	unsigned int i, n = 0;

	for (i = 0; i < st->nsources; i++)
		n += st->sources[i].last_seen < window;
	return n;
}

static void explain(struct finding *f, const struct snapshot *s)
{
	char quiet[FORMAT_BUF], req[FORMAT_BUF], ready[FORMAT_BUF], ago[FORMAT_BUF];
	size_t n;

	format_duration((uint64_t)f->v.quiet, quiet, sizeof(quiet));
	format_duration((uint64_t)f->v.required, req, sizeof(req));
	if (f->v.status == VERDICT_READY) {
		snprintf(f->why, sizeof(f->why),
			 "ready to retire this host: nothing redirected for %s (%s required)",
			 quiet, req);
		return;
	}
	if (f->last_seen != NEVER && f->last_seen < f->v.required)
		n = (size_t)snprintf(f->why, sizeof(f->why),
				     "still in use: the last redirected connection came %s ago, "
				     "from %u source%s (%s)",
				     format_duration((uint64_t)f->last_seen, ago, sizeof(ago)),
				     f->sources, f->sources == 1 ? "" : "s",
				     f->services[0] ? f->services :
				     "a service no longer redirected");
	else if (f->last_seen == NEVER)
		n = (size_t)snprintf(f->why, sizeof(f->why),
				     "still in use: nothing redirected yet, but enabled only %s "
				     "ago (%s required)",
				     format_duration((uint64_t)(s->now - s->state.since), ago,
						     sizeof(ago)), req);
	else
		n = (size_t)snprintf(f->why, sizeof(f->why),
				     "still in use: nothing redirected for %s", quiet);
	if (f->v.open && n < sizeof(f->why))
		n += (size_t)snprintf(f->why + n, sizeof(f->why) - n,
				      "; %" PRIu64 " redirected session%s open now",
				      f->v.open, f->v.open == 1 ? " is" : "s are");
	if (n >= sizeof(f->why))
		return;
	if (f->v.ready_in)
		snprintf(f->why + n, sizeof(f->why) - n,
			 "; ready in %s at the earliest if nothing more arrives",
			 format_duration((uint64_t)f->v.ready_in, ready, sizeof(ready)));
	else
		snprintf(f->why + n, sizeof(f->why) - n, "; ready once %s closed",
			 f->v.open == 1 ? "it has" : "they have");
}

void verdict_judge(const struct snapshot *s, int64_t required, struct finding *f)
{
	const struct stats *st = &s->st;
	int64_t last_at = s->state.history.last_seen;

	if (!s->state.enabled) {
		verdict_unknown(f, s->state.draining ?
				"nothing is enabled (a disabled redirect is draining)" :
				"nothing is enabled", false);
		return;
	}
	if (!s->installed) {
		verdict_unknown(f, "enabled, but the table is gone from the kernel: a ruleset "
				   "flush "
				"(nftables.service reload) or a reboot removed it; "
				"`redirect restore` puts it back", true);
		return;
	}
	if (s->tunnel_gone) {
		verdict_unknown(f, "enabled, but the tunnel " TUNNEL_IFNAME " is gone or changed: "
				"the redirected connections go nowhere; `redirect restore` brings "
				"it back", true);
		return;
	}
	verdict_decide(s->now, s->state.since, last_at, st->active, required, &f->v);
	f->last_seen = st->last_seen;
	f->connections = st->connections;
	f->sources = recent_sources(st, required);
	recent_services(st, required, f->services, sizeof(f->services));
	explain(f, s);
}
