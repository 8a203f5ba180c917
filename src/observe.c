// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One look at the kernel for stats and check: our table (one round trip),
 * its sets' timeouts, its counters, each stale-source set, and conntrack
 * filtered by our mark. Six round trips however much traffic there was.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libnftnl/expr.h>
#include <libnftnl/set.h>

#include <time.h>

#include "ct.h"
#include "history.h"
#include "observe.h"
#include "tunnel.h"

struct elem_ctx {
	struct stats *st;
	int family;
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

/*
 * An element's key is (address . port), each field in a 32-bit register;
 * its expiry counts down from the timeout, refreshed at every connection:
 * timeout - expiration is how long ago the last one came.
 */
static void add_element_to(struct nftnl_set_elem *el, struct elem_ctx *ctx)
{
	uint32_t key_len = 0, alen = ctx->family == AF_INET ? 4 : 16;
	const uint8_t *key = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &key_len);
	uint64_t timeout = ctx->set_timeout_ms, expiration = 0, packets = 0;
	struct address client = { .family = ctx->family };
	uint16_t port;

	if (!key || key_len < alen + 2)
		return;
	memcpy(&client.in, key, alen);
	memcpy(&port, key + alen, sizeof(port));
	if (nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_TIMEOUT))
		timeout = nftnl_set_elem_get_u64(el, NFTNL_SET_ELEM_TIMEOUT);
	if (nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_EXPIRATION))
		expiration = nftnl_set_elem_get_u64(el, NFTNL_SET_ELEM_EXPIRATION);
	nftnl_set_elem_expr_foreach(el, counter_expr, &packets);
	if (stats_add_source(ctx->st, &client, ntohs(port), packets,
			     expiration < timeout ? (int64_t)((timeout - expiration) / 1000) : 0))
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

static void add_flow(const struct ct_flow *flow, void *data)
{
	if (flow->open)
		stats_add_active(data, flow->port);
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
			.set_timeout_ms = view->sources_timeout_ms[i],
		};

		if (!(view->sets & 1U << sets[i]))
			continue;
		err = nft_dump_elems(nft, set_names[sets[i]], add_element, &ctx, e);
		if (!err && ctx.err)
			err = errmsg_set(e, ctx.err, "out of memory for the stale sources");
		if (err)
			return err;
	}
	return 0;
}

int observe(struct nft_sock *nft, struct stats *st, bool *installed, struct errmsg *e)
{
	struct table_view view;
	uint32_t genid;
	int err = nft_read_table(nft, &view, &genid, e);

	*installed = view.exists && view.ours;
	if (err || !*installed)
		return err;
	err = nft_read_sets(nft, &view, e);
	if (!err)
		err = nft_dump_counters(nft, add_counter, st, e);
	if (!err)
		err = read_sources(nft, &view, st, e);
	if (!err)
		err = ct_dump_redirected(add_flow, st, e);
	return err;
}

int snapshot_take(struct state_dir *dir, struct nft_sock *nft, struct rtnl_sock *rtnl,
		  struct snapshot *s, struct errmsg *e)
{
	long holder;
	int err;

	stats_free(&s->st);
	s->locked = dir->fd >= 0 && state_lock(dir, false, &holder, e) == 0;
	err = state_read(dir, &s->state, e);
	s->now = (int64_t)time(NULL);
	s->draining = 0;
	stats_init(&s->st, &s->state.spec);
	if (!err)
		err = observe(nft, &s->st, &s->installed, e);
	if (!err)
		stats_finish(&s->st);
	s->tunnel_gone = !err && s->installed && s->state.enabled &&
			 !tunnel_ready_for(rtnl, &s->state.spec);
	if (!err && s->state.draining)
		err = ct_count_open(&s->draining, e);
	if (!err && s->state.enabled &&
	    history_observe(&s->state.history, &s->st, s->now) && s->installed && s->locked)
		err = state_write(dir, &s->state, e);
	return err;
}

void snapshot_release(struct state_dir *dir, struct snapshot *s)
{
	if (s->locked)
		state_unlock(dir);
	s->locked = false;
}
