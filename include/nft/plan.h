/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_NFT_PLAN_H
#define REDIRECT_NFT_PLAN_H

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
	RULE_ESTABLISHED,	/* the ACK that completes it: count, remember the source */
	RULE_VXLAN_GUARD,	/* the tunnel's packets only from the other end */
	RULE_TUNNEL_GUARD_IN,	/* OLD: out of the tunnel only redirected flows */
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
};

#define PLAN_MAX 32
unsigned int ruleset_plan(const struct spec *spec, struct planned_rule *out);

/* Where enable DNATs @family to: NEW's public or tunnel address. */
const struct address *dnat_target(const struct spec *spec, int family);

#endif
