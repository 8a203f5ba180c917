// SPDX-License-Identifier: GPL-2.0-or-later
/* The memory of when redirected connections were last seen. */
#include <string.h>

#include "core/history.h"

static int64_t *seen_slot(struct history *h, uint16_t port, bool add)
{
	unsigned int i;

	for (i = 0; i < h->nseen; i++)
		if (h->seen[i].port == port)
			return &h->seen[i].at;
	if (!add || h->nseen == SPEC_MAX_SERVICES)
		return NULL;
	h->seen[h->nseen].port = port;
	h->seen[h->nseen].at = 0;
	return &h->seen[h->nseen++].at;
}

/* Newer wins; returns true if @slot moved. */
static bool remember(int64_t *slot, int64_t at)
{
	if (at <= *slot)
		return false;
	*slot = at;
	return true;
}

static int64_t ago(int64_t now, int64_t at)
{
	return at ? (now > at ? now - at : 0) : NEVER;
}

/* Last-seen from the kernel goes into the history, and back out where older. */
static bool merge_services(struct history *h, struct stats *st, int64_t now)
{
	bool changed = false;
	unsigned int i;

	for (i = 0; i < st->nservices; i++) {
		struct service_stats *s = &st->services[i];
		int64_t *slot = seen_slot(h, s->svc.port, s->last_seen != NEVER);

		if (s->last_seen != NEVER)
			changed |= remember(&h->last_seen, now - s->last_seen);
		if (!slot)
			continue;
		if (s->last_seen != NEVER)
			changed |= remember(slot, now - s->last_seen);
		if (*slot)
			s->last_seen = ago(now, *slot);
	}
	return changed;
}

/*
 * The counters grew since the last observation, yet nothing the sets show
 * is that recent: a source went unrecorded. It came at some moment since
 * then; now is the safe guess.
 */
static bool unexplained_growth(const struct history *h, const struct stats *st, int64_t now)
{
	return h->observed_at && st->connections > h->observed_connections &&
	       (st->last_seen == NEVER || now - st->last_seen < h->observed_at);
}

bool history_observe(struct history *h, struct stats *st, int64_t now)
{
	bool changed = false;

	if (unexplained_growth(h, st, now))
		changed |= remember(&h->last_seen, now);
	changed |= merge_services(h, st, now);
	st->last_seen = ago(now, h->last_seen);
	/* a restored table counts from zero: that is the new baseline */
	if (st->connections != h->observed_connections || !h->observed_at) {
		h->observed_connections = st->connections;
		h->observed_at = now;
		changed = true;
	}
	return changed;
}

void history_keep_services(struct history *h, const struct spec *spec)
{
	unsigned int i, j, out = 0;

	for (i = 0; i < h->nseen; i++)
		for (j = 0; j < spec->nservices; j++)
			if (h->seen[i].port == spec->services[j].port) {
				h->seen[out++] = h->seen[i];
				break;
			}
	h->nseen = out;
}
