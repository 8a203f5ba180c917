// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One look at the kernel for stats and check: our table (one round trip),
 * its sets' timeouts, its counters, each stale-source set, and conntrack
 * filtered by our mark. Six round trips however much traffic there was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/expr.h>
#include <libnftnl/set.h>

#include <time.h>

#include "kernel/conntrack.h"
#include "lib/regular_file.h"
#include "nft/drift.h"
#include "nft/view.h"
#include "core/history.h"
#include "core/observe.h"
#include "kernel/sysctl.h"
#include "core/tunnel.h"

struct elem_ctx {
	struct stats *st;
	int family;
	enum service_event event;
	uint64_t set_timeout_ms;
	int err;
};

static int counter_expr(struct nftnl_expr *expr, void *data)
{
	const char *name = NFT_STR(nftnl_expr_get_str(expr, NFTNL_EXPR_NAME));

	if (!strcmp(name, "counter"))
		*(uint64_t *)data = nftnl_expr_get_u64(expr, NFTNL_EXPR_CTR_PACKETS);
	return 0;
}

/* How long ago (milliseconds) an element of a set with @timeout_ms was last refreshed. */
static int64_t element_age_ms(struct nftnl_set_elem *el, uint64_t timeout_ms)
{
	uint64_t timeout = timeout_ms, expiration = 0;

	if (nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_TIMEOUT))
		timeout = nftnl_set_elem_get_u64(el, NFTNL_SET_ELEM_TIMEOUT);
	if (nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_EXPIRATION))
		expiration = nftnl_set_elem_get_u64(el, NFTNL_SET_ELEM_EXPIRATION);
	return expiration < timeout ? (int64_t)(timeout - expiration) : 0;
}

static int64_t element_age(struct nftnl_set_elem *el, uint64_t timeout_ms)
{
	return element_age_ms(el, timeout_ms) / 1000;
}

/*
 * An element's key is (address . port), each field in a 32-bit register;
 * its expiry counts down from the timeout, refreshed at every connection:
 * timeout - expiration is how long ago the last one came.
 */
static void add_element_to(struct nftnl_set_elem *el, struct elem_ctx *ctx)
{
	uint32_t key_len = 0, alen = ctx->family == AF_INET ? 4 : 16;
	const uint8_t *key = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &key_len);
	struct address client = { .family = ctx->family };
	uint64_t packets = 0;
	uint16_t port;

	if (!key || key_len < alen + 2)
		return;
	memcpy(&client.in, key, alen);
	memcpy(&port, key + alen, sizeof(port));
	nftnl_set_elem_expr_foreach(el, counter_expr, &packets);
	if (stats_add_source(ctx->st, &client, ntohs(port), packets,
			     element_age(el, ctx->set_timeout_ms)))
		ctx->err = -ENOMEM;
}

static void add_element(struct nftnl_set_elem *el, void *data)
{
	add_element_to(el, data);
}

void observe_element(struct nftnl_set_elem *el, int family, uint64_t set_timeout_ms,
		     struct stats *st)
{
	struct elem_ctx ctx = { .st = st, .family = family, .set_timeout_ms = set_timeout_ms };

	add_element_to(el, &ctx);
}

static void add_counter(const char *name, uint64_t packets, uint64_t bytes, void *data)
{
	stats_add_counter(data, name, packets, bytes);
}

/* A flow through the tunnel new connections take (on NEW every one is). */
static bool through_tunnel(const struct stats *st, const struct ct_flow *flow)
{
	struct address to;

	if (st->spec.role == ROLE_NEW)
		return true;
	if (!st->spec.keep_client_address || !flow->target.family)
		return false;
	to = tunnel_target(flow->target.family, st->spec.tunnel_id);
	return address_equal(&to, &flow->target);
}

/*
 * Open, unless its tunnel's other end is gone: then nothing of it lives,
 * however fresh conntrack's entry (the end's host refused what this end
 * sent, retransmissions of a session cut at the other end included).
 */
static bool lives(const struct stats *st, const struct ct_flow *flow)
{
	return flow->open && !(st->far_end_gone && through_tunnel(st, flow));
}

static void add_flow(const struct ct_flow *flow, void *data)
{
	struct stats *st = data;

	if (lives(st, flow))
		stats_add_active(st, flow->port);
	if (flow->unanswered)
		stats_add_unanswered(st, &flow->client, flow->port, flow->waiting);
}

/* An element of a port-time set: a service's port, refreshed at each event. */
static void add_service_time(struct nftnl_set_elem *el, void *data)
{
	struct elem_ctx *ctx = data;
	uint32_t len = 0;
	const uint8_t *key = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &len);
	uint16_t port;

	if (!key || len < 2)
		return;
	memcpy(&port, key, sizeof(port));
	stats_add_service_time(ctx->st, ntohs(port), ctx->event,
			       element_age_ms(el, ctx->set_timeout_ms));
}

/*
 * When each service last had an answer, an attempt (NEW: through the
 * tunnel, so OLD was there), and a connection from a source the full
 * stale-source set had no room for (the others' are the newest element of
 * each port there).
 */
static int read_port_times(struct nft_sock *nft, const struct table_view *view,
			   struct stats *st, struct errmsg *e)
{
	static const enum set_id sets[] = {
		[EVENT_CONNECTION] = SET_LAST_SEEN,
		[EVENT_ATTEMPT] = SET_LAST_ATTEMPT,
		[EVENT_ANSWER] = SET_LAST_ANSWER,
	};
	unsigned int i;
	int err = 0;

	for (i = 0; i < sizeof(sets) / sizeof(sets[0]) && !err; i++) {
		struct elem_ctx ctx = {
			.st = st, .event = (enum service_event)i,
			.set_timeout_ms = view->dynamic[sets[i]].timeout_ms,
		};

		if (view->sets & 1U << sets[i])
			err = nft_dump_elems(nft, TABLE_NAME, set_names[sets[i]], add_service_time,
					     &ctx, e);
	}
	return err;
}

static void add_stranger(struct nftnl_set_elem *el, void *data)
{
	struct elem_ctx *ctx = data;
	uint32_t len = 0, alen = ctx->family == AF_INET ? 4 : 16;
	const uint8_t *key = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &len);
	struct address a = { .family = ctx->family };
	uint64_t packets = 0;

	if (!key || len < alen)
		return;
	memcpy(&a.in, key, alen);
	nftnl_set_elem_expr_foreach(el, counter_expr, &packets);
	stats_add_stranger(ctx->st, &a, packets, element_age(el, ctx->set_timeout_ms));
}

static void add_refused(struct nftnl_set_elem *el, void *data)
{
	struct elem_ctx *ctx = data;

	stats_add_refused(ctx->st, element_age_ms(el, ctx->set_timeout_ms));
}

/* The tunnels' troubles: where their packets came from elsewhere, whether the far end is gone. */
static int read_tunnel_sets(struct nft_sock *nft, const struct table_view *view,
			    struct stats *st, struct errmsg *e)
{
	static const enum set_id sets[] = {
		SET_STRANGERS_IPV4, SET_STRANGERS_IPV6, SET_TUNNEL_REFUSED,
	};
	unsigned int i;
	int err = 0;

	for (i = 0; i < 3 && !err; i++) {
		struct elem_ctx ctx = {
			.st = st, .family = i == 1 ? AF_INET6 : AF_INET,
			.set_timeout_ms = view->dynamic[sets[i]].timeout_ms,
		};

		if (view->sets & 1U << sets[i])
			err = nft_dump_elems(nft, TABLE_NAME, set_names[sets[i]],
					     i == 2 ? add_refused : add_stranger, &ctx, e);
	}
	stats_judge_far_end(st);
	return err;
}

static int read_sources(struct nft_sock *nft, const struct table_view *view, struct stats *st,
			struct errmsg *e)
{
	static const enum set_id sets[] = { SET_SOURCES_IPV4, SET_SOURCES_IPV6 };
	unsigned int i;
	int err;

	for (i = 0; i < 2; i++) {
		struct elem_ctx ctx = {
			.st = st, .family = i ? AF_INET6 : AF_INET,
			.set_timeout_ms = view->dynamic[sets[i]].timeout_ms,
		};

		if (!(view->sets & 1U << sets[i]))
			continue;
		err = nft_dump_elems(nft, TABLE_NAME, set_names[sets[i]], add_element, &ctx, e);
		if (!err && ctx.err)
			err = errmsg_set(e, ctx.err, "out of memory for the stale sources");
		if (err)
			return err;
	}
	return 0;
}

static void count_element(struct nftnl_set_elem *el, void *data)
{
	(void)el;
	(*(unsigned int *)data)++;
}

int observe_sources_count(struct nft_sock *nft, const struct spec *spec, unsigned int count[2],
			  struct errmsg *e)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < 2; i++) {
		int family = i ? AF_INET6 : AF_INET;

		count[i] = 0;
		if (!err && spec_uses(spec, family))
			err = nft_dump_elems(nft, TABLE_NAME, set_names[sources_set(family)],
					     count_element, &count[i], e);
	}
	return err;
}

int observe(struct nft_sock *nft, struct stats *st, struct table_view *view, struct errmsg *e)
{
	uint32_t genid;
	int err = view_read(nft, view, &genid, e);

	if (err || !view->exists || !view->ours)
		return err;
	st->set_size[0] = view->dynamic[SET_SOURCES_IPV4].size;
	st->set_size[1] = view->dynamic[SET_SOURCES_IPV6].size;
	err = nft_dump_counters(nft, TABLE_NAME, add_counter, st, e);
	if (!err)
		err = read_sources(nft, view, st, e);
	if (!err)
		err = read_port_times(nft, view, st, e);
	if (!err)
		err = read_tunnel_sets(nft, view, st, e);
	if (!err)
		err = ct_dump_redirected(add_flow, st, e);
	return err;
}

static void count_live(const struct ct_flow *flow, void *data)
{
	struct stats *st = data;

	st->active += lives(st, flow);
}

int observe_open(struct nft_sock *nft, const struct spec *spec, bool gone, unsigned int *open,
		 bool *claimed, struct errmsg *e)
{
	struct table_view view;
	struct stats *st = malloc(sizeof(*st));	/* large: off the stack */
	uint32_t genid;
	int err = st ? view_read(nft, &view, &genid, e) : errmsg_set(e, -ENOMEM, "out of memory");

	if (st)
		stats_init(st, spec);
	if (!err && view.exists && view.ours)
		err = read_port_times(nft, &view, st, e);
	if (!err && view.exists && view.ours)
		err = read_tunnel_sets(nft, &view, st, e);
	*claimed = st && !err && st->far_end_gone;
	if (st)
		st->far_end_gone = gone;	/* the caller's knock, not what anyone may forge */
	if (!err)
		err = ct_dump_redirected(count_live, st, e);
	*open = st && !err ? (unsigned int)st->active : 0;
	free(st);
	return err;
}

/*
 * The families OLD redirects but does not forward: set behind our back
 * (sysctl --system, configuration management), every redirected
 * connection goes nowhere.
 */
static unsigned int forwarding_missing(const struct spec *spec)
{
	unsigned int off = 0;

	if (spec->role != ROLE_OLD)
		return 0;
	if (spec->has_to4 && !forwarding_is_on(AF_INET))
		off |= 1;
	if (spec->has_to6 && !forwarding_is_on(AF_INET6))
		off |= 2;
	return off;
}

/*
 * A full disk must not blind monitoring: the figures stand, and what could
 * not be saved is said (s->unsaved) for stats and check to warn of.
 */
void snapshot_save(struct state_dir *dir, struct snapshot *s)
{
	struct errmsg e = { "" };

	if (state_write(dir, &s->state, &e))
		snprintf(s->unsaved, sizeof(s->unsaved), "%s", e.text);
}

/* The table as the state says and as redirect installs it, or its first difference. */
static int look_for_drift(struct nft_sock *nft, const struct table_view *view,
			  struct snapshot *s, struct errmsg *e)
{
	struct drift drift = { .found = false };
	int err = 0;

	if (s->installed && s->state.enabled)
		err = drift_find(nft, &s->state.spec, view, &drift, e);
	if (!err && drift.found) {
		s->drift = true;
		snprintf(s->drift_what, sizeof(s->drift_what), "%s", drift.what);
	}
	return err;
}

/* What else the host says: its addresses, forwarding, the conntrack table. */
static void look_at_host(struct snapshot *s)
{
	const struct spec *spec = &s->state.spec;

	host_addresses(spec->has_to4, spec->has_to6, &s->here);
	s->forwarding_off = s->state.enabled ? forwarding_missing(spec) : 0;
	ct_table_usage(&s->conntrack_count, &s->conntrack_max);
}

int snapshot_take(struct state_dir *dir, struct nft_sock *nft, struct rtnl_sock *rtnl,
		  struct snapshot *s, struct errmsg *e)
{
	struct table_view view;
	long holder;
	int err;

	snapshot_free(s);
	s->drift = false;
	err = dir->fd >= 0 ? state_lock_existing(dir, &holder, e) : -ENOENT;
	if (err == REGULAR_FILE_NOT)	/* a FIFO for a lock: named, not waited on */
		return err;
	s->locked = err == 0;
	err = state_read(dir, &s->state, e);
	s->now = (int64_t)time(NULL);
	s->draining = 0;
	stats_init(&s->st, &s->state.spec);
	if (!err)
		err = observe(nft, &s->st, &view, e);
	s->installed = !err && view.exists && view.ours;
	if (!err)
		stats_finish(&s->st);
	if (!err)
		err = look_for_drift(nft, &view, s, e);
	/* a ruleset flush takes the guards, not the links: forged VXLAN goes in */
	s->unguarded = !err && !s->installed && tunnel_leftovers(rtnl, NULL);
	s->tunnel_gone = !err && s->installed && s->state.enabled &&
			 !tunnel_ready_for(rtnl, &s->state.spec);
	look_at_host(s);
	if (!err && s->state.draining)
		err = ct_count_open(&s->draining, e);
	s->unsaved[0] = '\0';
	if (!err && s->state.enabled &&
	    history_observe(&s->state.history, &s->st, s->now) && s->installed && s->locked)
		snapshot_save(dir, s);
	return err;
}

void snapshot_release(struct state_dir *dir, struct snapshot *s)
{
	if (s->locked)
		state_unlock(dir);
	s->locked = false;
}

void snapshot_free(struct snapshot *s)
{
	stats_free(&s->st);
	address_list_free(&s->here);
}

/* The newest of the connections and attempts stats has, seconds ago, or NEVER. */
static int64_t newest_use(const struct stats *st)
{
	int64_t last = st->last_seen;
	unsigned int i;

	for (i = 0; i < st->nservices; i++) {
		int64_t ms = st->services[i].last_attempt_ms;

		if (ms != NEVER && (last == NEVER || ms / 1000 < last))
			last = ms / 1000;
	}
	return last;
}

static void last_client(const struct stats *st, struct tunnel_use *u)
{
	const struct source_stats *src = st->nsources ? &st->sources[0] : NULL;
	unsigned int i;

	if (!src)
		return;
	u->client = src->addr;
	for (i = 0; i < st->nservices; i++)
		if (src->services & 1U << i) {
			snprintf(u->service, sizeof(u->service), "%s", st->services[i].svc.name);
			break;
		}
}

int observe_tunnel_use(struct nft_sock *nft, const struct state *state, struct tunnel_use *u,
		       struct errmsg *e)
{
	struct stats *st = malloc(sizeof(*st));	/* large: off the stack */
	int64_t now = (int64_t)time(NULL), kept = state->history.last_seen;
	struct table_view view;
	int err;

	memset(u, 0, sizeof(*u));
	u->last_ago = NEVER;
	if (!st)
		return errmsg_set(e, -ENOMEM, "out of memory");
	stats_init(st, &state->spec);
	err = observe(nft, st, &view, e);
	if (!err) {
		stats_finish(st);
		u->last_ago = newest_use(st);
		last_client(st, u);
		if (kept && now >= kept && (u->last_ago == NEVER || now - kept < u->last_ago))
			u->last_ago = now - kept;
	}
	stats_free(st);
	free(st);
	return err;
}
