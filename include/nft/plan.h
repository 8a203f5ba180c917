/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_NFT_PLAN_H
#define REDIRECT_NFT_PLAN_H

#include <stdbool.h>

#include "lib/spec.h"
#include "nft/table.h"

/*
 * What our table holds for a spec: which chains and sets, and the rules in
 * order. One plan read by both the netlink builder (rules.c) and the
 * nft-syntax renderer (render.c), so the two cannot disagree about what
 * goes where. Pure.
 */

/* Which chains and sets @spec needs, as bit masks (1 << enum chain_id, set_id). */
unsigned int chains_needed(const struct spec *spec);
unsigned int sets_needed(const struct spec *spec);

enum rule_kind {
	RULE_DISPATCH,		/* prerouting: mail port to a local address */
	RULE_EXCLUDE,		/* sources never redirected */
	RULE_DNAT,		/* count the attempt, mark, redirect */
	RULE_MASQUERADE,
	RULE_TRAFFIC,		/* bytes of redirected flows */
	RULE_FAST,		/* a flow counted already: its bytes, and done */
	RULE_ANSWERED,		/* NEW's first SYN-ACK of a flow */
	RULE_NOT_OURS,		/* a flow not redirected: nothing more to count */
	RULE_ESTABLISHED,	/* the ACK that completes it: count, remember the source */
	RULE_UNLISTED,		/* ... whose source a full set had no room for */
	RULE_PEER_IN,		/* the tunnel's UDP from the other end: nothing more to read */
	RULE_STRANGER,		/* a tunnel's packet from elsewhere: its source remembered */
	RULE_VXLAN_GUARD,	/* ... and dropped: the tunnel's packets only from the other end */
	RULE_REFUSED,		/* the other end's host refused the tunnel's UDP: remembered */
	RULE_TUNNEL_IN,		/* what comes out of a tunnel link goes through from_tunnel */
	RULE_PROBE_IN,		/* NEW: OLD's pre-flight probe, from its tunnel address */
	RULE_CLIENT_IN,		/* NEW: a client of a mail port, routed back into the tunnel */
	RULE_REPLY_IN,		/* OLD: TCP from the other end's tunnel address */
	RULE_TUNNEL_DROP,	/* from_tunnel: the rest, counted */
	RULE_LOCAL_GUARD,	/* OLD: to this host out of the tunnel no connection opens */
	RULE_TCP_ONLY_LOCAL,	/* into a tunnel from this host TCP only (no MLD chatter) */
	RULE_TUNNEL_GUARD_IN,	/* OLD: out of the tunnel only redirected flows */
	RULE_TCP_ONLY_OUT,	/* OLD: into the tunnel TCP only */
	RULE_TUNNEL_GUARD_OUT,	/* OLD: into the tunnel only redirected flows */
	RULE_CLAMP_INTO,	/* OLD: a SYN into the tunnel gets the tunnel's MSS */
	RULE_CLAMP_OUT,		/* OLD: so does the SYN-ACK out of it, for the client */
	RULE_ARRIVE,		/* NEW: a new connection out of the tunnel */
	RULE_COUNT,		/* NEW: count the attempt and mark it */
	RULE_SKIP_PEER,		/* NEW: OLD's own probe through the tunnel is no client */
	RULE_NOTRACK_IN,	/* the tunnel's UDP needs no conntrack entry (two per */
	RULE_NOTRACK_OUT,	/* redirected connection otherwise, each never answered) */
};

struct planned_rule {
	enum chain_id chain;
	enum rule_kind kind;
	int family;		/* AF_INET, AF_INET6, or 0 for both */
	unsigned int tunnel;	/* whose: TUNNEL_OWN, TUNNEL_PREVIOUS, TUNNEL_GUARDED + i */
};
enum { TUNNEL_OWN, TUNNEL_PREVIOUS, TUNNEL_GUARDED };

#define PLAN_MAX 64
unsigned int ruleset_plan(const struct spec *spec, struct planned_rule *out);

/*
 * The guards of the tunnel links in @spec's plan, in its order: what a
 * drained table keeps as long as the links exist (nothing may come through
 * them unguarded). None when @spec has no link.
 */
unsigned int ruleset_plan_guards(const struct spec *spec, struct planned_rule *out);

/* The tunnel a rule of @p is for: its id and the other end's underlay address. */
uint32_t planned_tunnel_id(const struct spec *spec, const struct planned_rule *p);
const struct address *planned_peer(const struct spec *spec, const struct planned_rule *p);

/* Where enable DNATs @family to: NEW's public or tunnel address. */
struct address dnat_target(const struct spec *spec, int family);

#endif
