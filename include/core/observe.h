/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_OBSERVE_H
#define REDIRECT_CORE_OBSERVE_H

#include <stdbool.h>

#include "nft/table.h"
#include "nft/transport.h"
#include "core/state_dir.h"
#include "core/aggregate.h"
#include "kernel/host.h"

/*
 * Reads what the kernel knows about the redirect into @st (initialised
 * with stats_init): counters, stale sources, open flows; and our table
 * into @view. Without our table there (view->exists and ->ours) @st stays
 * empty.
 */
int observe(struct nft_sock *nft, struct stats *st, struct table_view *view, struct errmsg *e);

/*
 * How many redirected sessions of @spec live now: open in conntrack, and
 * not through a tunnel whose other end is gone, which only @gone says (the
 * caller's own knock was refused: tunnel_knock). *@claimed: our table has
 * the other end's host refusing the tunnel since its last sign of life
 * (see stats_judge_far_end), which one on the path may forge. What
 * disable waits for.
 */
int observe_open(struct nft_sock *nft, const struct spec *spec, bool gone, unsigned int *open,
		 bool *claimed, struct errmsg *e);

/*
 * NEW: whether the old server still uses the tunnel: when it last sent a
 * connection (or an attempt) through it, seconds ago or NEVER, the state's
 * record included; and who the last client was.
 * Within TUNNEL_IN_USE_WITHIN (a week, check's default quiet), disable
 * refuses without --force.
 */
#define TUNNEL_IN_USE_WITHIN (7 * 86400)
struct tunnel_use {
	int64_t last_ago;
	struct address client;		/* family 0: not known */
	char service[SERVICE_NAME_MAX];
};
int observe_tunnel_use(struct nft_sock *nft, const struct state *state, struct tunnel_use *u,
		       struct errmsg *e);

/*
 * How many elements each stale-source set holds now: [0] IPv4, [1] IPv6,
 * 0 for a family @spec does not redirect.
 */
int observe_sources_count(struct nft_sock *nft, const struct spec *spec, unsigned int count[2],
			  struct errmsg *e);

/* One stale-source element into @st (for the fuzzer). */
struct nftnl_set_elem;
void observe_element(struct nftnl_set_elem *el, int family, uint64_t set_timeout_ms,
		     struct stats *st);

/* One look at state and kernel, as stats and check take it. */
/* Why snapshot.unguarded is trouble, and what to do (stats and check). */
#define UNGUARDED_WHY "the table is gone from the kernel (a ruleset flush, a reload of " \
	"nftables.service) while the tunnel's link is up: without its guards, whoever sends " \
	"VXLAN to this host reaches it through the link; `redirect restore` puts them back, " \
	"or `redirect disable` takes the link away"

struct snapshot {
	struct state state;
	bool installed;
	bool tunnel_gone;	/* the table is there, the tunnel it needs is not */
	bool unguarded;		/* a link of ours is up, the table with its guards gone */
	unsigned int forwarding_off;	/* 1 IPv4, 2 IPv6: a family redirected, not forwarded */
	bool drift;		/* our table is not what redirect installs */
	char drift_what[320];	/* ... the first difference, in words */
	struct stats st;	/* totals and sources sorted, last-seen filled in */
	int64_t now;
	unsigned int draining;	/* open flows of a disabled redirect */
	bool locked;		/* the state lock is held: the caller may write, then unlock */
	char unsaved[512];	/* why the state could not be written (a full disk), or "" */
	struct address_list here;	/* this host's addresses of the families redirected */
	int conntrack_count;	/* entries in the conntrack table now; -1 unknown */
	int conntrack_max;	/* ... how many it holds; -1 unknown */
};

/*
 * Reads state and kernel and records last-seen times in the state file
 * when the lock is free (a waiting disable may hold it: then this look
 * records nothing). Leaves the lock held when it got it. @s starts zeroed,
 * or as an earlier snapshot_take left it (watch mode takes one a round).
 */
struct rtnl_sock;
int snapshot_take(struct state_dir *dir, struct nft_sock *nft, struct rtnl_sock *rtnl,
		  struct snapshot *s, struct errmsg *e);
void snapshot_release(struct state_dir *dir, struct snapshot *s);

/* Writes the snapshot's state; a failure goes to s->unsaved, not to the caller. */
void snapshot_save(struct state_dir *dir, struct snapshot *s);

/* What the snapshot holds on the heap (it may be taken again after). */
void snapshot_free(struct snapshot *s);

#endif
