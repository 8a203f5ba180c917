// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Aggregation for `stats` and `check`: pure, fed one kernel item at a time.
 * Stale sources are merged per address with a small open-addressing hash
 * table, so a dump of 100k elements costs 100k lookups, not 100k^2.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nft/table.h"
#include "core/aggregate.h"

void stats_init(struct stats *st, const struct spec *spec)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	st->spec = *spec;
	st->nservices = spec->nservices;
	for (i = 0; i < spec->nservices; i++) {
		st->services[i].svc = spec->services[i];
		st->services[i].last_seen = NEVER;
		st->services[i].last_attempt_ms = NEVER;
		st->services[i].last_answer_ms = NEVER;
	}
	st->last_seen = NEVER;
	st->refused_ms = st->alive_ms = NEVER;
}

void stats_free(struct stats *st)
{
	free(st->sources);
	st->sources = NULL;
	st->nsources = st->sources_cap = 0;
}

int stats_service_index(const struct stats *st, uint16_t port)
{
	unsigned int i;

	for (i = 0; i < st->nservices; i++)
		if (st->services[i].svc.port == port)
			return (int)i;
	return -1;
}

/* Where the count of counter_maps[m] goes. */
static uint64_t *counted(struct service_stats *s, enum set_id map)
{
	switch (map) {
	case SET_ATTEMPTS: return &s->attempts;
	case SET_ANSWERED: return &s->answered;
	case SET_TRAFFIC: return &s->bytes;
	default: return &s->connections;
	}
}

void stats_add_counter(struct stats *st, const char *name, uint64_t packets, uint64_t bytes)
{
	char mine[COUNTER_NAME_MAX];
	unsigned int i, m;

	if (!strcmp(name, TUNNEL_DROPPED)) {
		st->tunnel_dropped = packets;
		return;
	}
	for (i = 0; i < st->nservices; i++) {
		struct service_stats *s = &st->services[i];

		for (m = 0; m < COUNTER_MAPS; m++) {
			counter_name(&s->svc, counter_maps[m], mine, sizeof(mine));
			if (!strcmp(name, mine))
				*counted(s, counter_maps[m]) =
					counter_maps[m] == SET_TRAFFIC ? bytes : packets;
		}
	}
}

static uint64_t hash_address(const struct address *a)
{
	const uint8_t *p = (const uint8_t *)&a->in;
	size_t len = a->family == AF_INET ? 4 : 16, i;
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h ^ (uint64_t)a->family;
}

/* Slots are kept at most half full; the table doubles as sources arrive. */
static int grow(struct stats *st)
{
	unsigned int cap = st->sources_cap ? st->sources_cap * 2 : 256, i;
	struct source_stats *old = st->sources, *table = calloc(cap, sizeof(*table));

	if (!table)
		return -ENOMEM;
	for (i = 0; i < st->sources_cap; i++) {
		uint64_t h;

		if (!old[i].addr.family)
			continue;
		for (h = hash_address(&old[i].addr) & (cap - 1); table[h].addr.family;
		     h = (h + 1) & (cap - 1))
			;
		table[h] = old[i];
	}
	free(old);
	st->sources = table;
	st->sources_cap = cap;
	return 0;
}

static void note_seen(int64_t *last, int64_t ago)
{
	if (*last == NEVER || ago < *last)
		*last = ago;
}

static struct source_stats *find_or_add(struct stats *st, const struct address *a)
{
	uint64_t h;

	if ((st->nsources + 1) * 2 > st->sources_cap && grow(st))
		return NULL;
	for (h = hash_address(a) & (st->sources_cap - 1); st->sources[h].addr.family;
	     h = (h + 1) & (st->sources_cap - 1))
		if (address_equal(&st->sources[h].addr, a))
			return &st->sources[h];
	st->sources[h].addr = *a;
	st->sources[h].last_seen = NEVER;
	st->nsources++;
	return &st->sources[h];
}


int stats_add_source(struct stats *st, const struct address *client, uint16_t port,
		     uint64_t connections, int64_t seconds_ago)
{
	int svc = stats_service_index(st, port);
	struct source_stats *src;

	if (seconds_ago < 0)
		seconds_ago = 0;
	st->elements++;
	st->set_elements[client->family == AF_INET ? 0 : 1]++;
	src = find_or_add(st, client);
	if (!src)
		return -ENOMEM;
	src->connections += connections;
	note_seen(&src->last_seen, seconds_ago);
	if (svc >= 0) {
		src->services |= 1U << svc;
		note_seen(&st->services[svc].last_seen, seconds_ago);
	}
	return 0;
}

void stats_add_active(struct stats *st, uint16_t port)
{
	int svc = stats_service_index(st, port);
	struct service_stats *s;

	if (svc < 0 && st->nservices == SPEC_MAX_SERVICES) {
		st->active_elsewhere++;
		return;
	}
	if (svc < 0) {
		s = &st->services[st->nservices++];
		memset(s, 0, sizeof(*s));
		service_for_port(port, &s->svc);
		s->former = true;
		s->last_seen = NEVER;
		s->last_attempt_ms = s->last_answer_ms = NEVER;
		svc = (int)(s - st->services);
	}
	st->services[svc].active++;
}

void stats_add_stranger(struct stats *st, const struct address *addr, uint64_t packets,
			int64_t seconds_ago)
{
	unsigned int i, slot = st->nstrangers;

	if (slot == STRANGERS_KEPT) {	/* the oldest makes room */
		for (i = slot = 0; i < STRANGERS_KEPT; i++)
			if (st->strangers[i].last_seen > st->strangers[slot].last_seen)
				slot = i;
		if (st->strangers[slot].last_seen <= seconds_ago)
			return;
	} else {
		st->nstrangers++;
	}
	st->strangers[slot] = (struct stranger){ *addr, packets, seconds_ago < 0 ? 0 : seconds_ago };
}

void stats_add_refused(struct stats *st, int64_t ms_ago)
{
	note_seen(&st->refused_ms, ms_ago < 0 ? 0 : ms_ago);
}

void stats_judge_far_end(struct stats *st)
{
	unsigned int i;

	st->alive_ms = NEVER;
	for (i = 0; i < st->nservices; i++) {
		int64_t ms = st->spec.role == ROLE_NEW ? st->services[i].last_attempt_ms :
			     st->services[i].last_answer_ms;

		if (ms != NEVER)
			note_seen(&st->alive_ms, ms);
	}
	st->far_end_gone = spec_tunnel(&st->spec) && st->refused_ms != NEVER &&
			   (st->alive_ms == NEVER || st->refused_ms < st->alive_ms);
}

void stats_add_service_time(struct stats *st, uint16_t port, enum service_event which,
			    int64_t ms_ago)
{
	int svc = stats_service_index(st, port);
	struct service_stats *s;

	if (svc < 0)
		return;
	s = &st->services[svc];
	if (ms_ago < 0)
		ms_ago = 0;
	switch (which) {
	case EVENT_CONNECTION: note_seen(&s->last_seen, ms_ago / 1000); break;
	case EVENT_ATTEMPT: note_seen(&s->last_attempt_ms, ms_ago); break;
	case EVENT_ANSWER: note_seen(&s->last_answer_ms, ms_ago); break;
	}
}

void stats_add_unanswered(struct stats *st, const struct address *client, uint16_t port,
			  uint32_t waiting)
{
	st->unanswered_now++;
	if (st->nunanswered < UNANSWERED_KEPT)
		st->unanswered[st->nunanswered++] = (struct unanswered){ *client, port, waiting };
}

static int most_recent_first(const void *a, const void *b)
{
	const struct source_stats *x = a, *y = b;

	if (x->last_seen != y->last_seen)
		return x->last_seen < y->last_seen ? -1 : 1;
	if (x->connections != y->connections)
		return x->connections > y->connections ? -1 : 1;
	if (x->addr.family != y->addr.family)
		return x->addr.family < y->addr.family ? -1 : 1;
	return memcmp(&x->addr.in, &y->addr.in, x->addr.family == AF_INET ? 4 : 16);
}

static int newest_first(const void *a, const void *b)
{
	const struct stranger *x = a, *y = b;

	return x->last_seen < y->last_seen ? -1 : x->last_seen > y->last_seen;
}

/* Packs the hash table into a plain array, most recent first. */
static void sort_sources(struct stats *st)
{
	unsigned int i, n = 0;

	for (i = 0; i < st->sources_cap; i++)
		if (st->sources[i].addr.family)
			st->sources[n++] = st->sources[i];
	st->nsources = n;
	if (n)
		qsort(st->sources, n, sizeof(*st->sources), most_recent_first);
}

void stats_finish(struct stats *st)
{
	unsigned int i;

	for (i = 0; i < st->nservices; i++) {
		const struct service_stats *s = &st->services[i];

		st->attempts += s->attempts;
		st->answered += s->answered;
		st->connections += s->connections;
		st->active += s->active;
		st->bytes += s->bytes;
		if (s->last_seen != NEVER)
			note_seen(&st->last_seen, s->last_seen);
	}
	st->active += st->active_elsewhere;
	if (st->nstrangers)
		qsort(st->strangers, st->nstrangers, sizeof(st->strangers[0]), newest_first);
	sort_sources(st);
}
