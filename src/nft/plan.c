// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plan of our table for a spec: the chains and sets it needs, and its
 * rules in the order they run (see plan.h).
 */
#include <stdbool.h>
#include <stdlib.h>

#include "lib/owned.h"
#include "nft/plan.h"

static const int families[] = { AF_INET, AF_INET6 };

unsigned int chains_needed(const struct spec *spec)
{
	unsigned int m = 0, i;

	if (spec->role == ROLE_NEW)
		m |= 1U << CHAIN_INPUT | 1U << CHAIN_OUTPUT;
	else
		m |= 1U << CHAIN_PREROUTING | 1U << CHAIN_FORWARD;
	for (i = 0; i < 2; i++)
		if (spec_uses(spec, families[i]))
			m |= 1U << redirect_chain(families[i]);
	if (spec->masquerade)
		m |= 1U << CHAIN_POSTROUTING;
	if (spec_links(spec))
		m |= 1U << CHAIN_INPUT | 1U << CHAIN_RAW_PREROUTING | 1U << CHAIN_RAW_OUTPUT |
		     1U << CHAIN_FROM_TUNNEL;
	return m;
}

unsigned int sets_needed(const struct spec *spec)
{
	unsigned int m = 1U << SET_PORTS | 1U << SET_CONNECTIONS | 1U << SET_ATTEMPTS |
			 1U << SET_ANSWERED | 1U << SET_TRAFFIC | 1U << SET_LAST_SEEN |
			 1U << SET_LAST_ANSWER, i;

	if (spec->role == ROLE_NEW)	/* OLD was there: disable and check on NEW read it */
		m |= 1U << SET_LAST_ATTEMPT;

	for (i = 0; i < 2; i++) {
		if (!spec_uses(spec, families[i]))
			continue;
		m |= 1U << sources_set(families[i]);
		if (spec->role == ROLE_OLD)
			m |= 1U << exclude_set(families[i]);
	}
	if (spec_links(spec))
		m |= 1U << SET_STRANGERS_IPV4 | 1U << SET_STRANGERS_IPV6 | 1U << SET_TUNNEL_REFUSED;
	return m;
}

/*
 * ... dnat ip to NEW: its public address, or its tunnel address, which
 * OLD's connected route to the tunnel reaches.
 */
struct address dnat_target(const struct spec *spec, int family)
{
	return spec->keep_client_address ? tunnel_target(family, spec->tunnel_id) :
					   *spec_target(spec, family);
}

uint32_t planned_tunnel_id(const struct spec *spec, const struct planned_rule *p)
{
	if (p->tunnel >= TUNNEL_GUARDED)
		return spec->guarded[p->tunnel - TUNNEL_GUARDED].id;
	return p->tunnel == TUNNEL_PREVIOUS ? spec->previous.id : spec->tunnel_id;
}

const struct address *planned_peer(const struct spec *spec, const struct planned_rule *p)
{
	if (p->tunnel >= TUNNEL_GUARDED)
		return &spec->guarded[p->tunnel - TUNNEL_GUARDED].peer;
	return p->tunnel == TUNNEL_PREVIOUS ? &spec->previous.peer : spec_peer(spec);
}

static void push_for(struct planned_rule *out, unsigned int *n, enum chain_id chain,
		     enum rule_kind kind, int family, unsigned int tunnel)
{
	if (*n == PLAN_MAX)
		abort();	/* assert-like: a plan longer than any spec makes, a bug here */
	out[*n].chain = chain;
	out[*n].kind = kind;
	out[*n].family = family;
	out[*n].tunnel = tunnel;
	(*n)++;
}

static void plan_push(struct planned_rule *out, unsigned int *n, enum chain_id chain,
		      enum rule_kind kind, int family)
{
	push_for(out, n, chain, kind, family, TUNNEL_OWN);
}

/*
 * Counting that waits for the flow: what is not redirected leaves first;
 * NEW's SYN-ACK (in @replies), the completed handshake (in @originals),
 * then the bytes of both.
 */
static void plan_counting(const struct spec *spec, enum chain_id replies,
			  enum chain_id originals, struct planned_rule *out, unsigned int *n)
{
	unsigned int i;

	plan_push(out, n, originals, RULE_NOT_OURS, 0);
	if (replies != originals)
		plan_push(out, n, replies, RULE_NOT_OURS, 0);
	plan_push(out, n, replies, RULE_ANSWERED, 0);
	for (i = 0; i < 2; i++)
		if (spec_uses(spec, families[i]))
			plan_push(out, n, originals, RULE_ESTABLISHED, families[i]);
	plan_push(out, n, originals, RULE_UNLISTED, 0);
	plan_push(out, n, originals, RULE_TRAFFIC, 0);
	if (replies != originals)
		plan_push(out, n, replies, RULE_TRAFFIC, 0);
}

/* Whether @spec has a tunnel at @t (TUNNEL_OWN, TUNNEL_PREVIOUS, TUNNEL_GUARDED + i). */
static bool has_tunnel(const struct spec *spec, unsigned int t)
{
	if (t == TUNNEL_OWN)
		return spec_tunnel(spec);
	return t == TUNNEL_PREVIOUS ? spec->has_previous : t - TUNNEL_GUARDED < spec->nguarded;
}

/*
 * The tunnels' own UDP: untracked both ways, let in from the other end
 * only (what comes from elsewhere remembered), and the other end's host
 * refusing it remembered (the spec's tunnel only: the one new connections
 * take). For the spec's tunnel, the one a switch left, and those guarded
 * for a moment; each rule with the tunnel's id, so that other VXLAN is
 * left alone (conntrack's too).
 */
static void plan_underlay(const struct spec *spec, struct planned_rule *out, unsigned int *n)
{
	unsigned int t;

	for (t = 0; t < TUNNEL_GUARDED + spec->nguarded; t++) {
		if (!has_tunnel(spec, t))
			continue;
		push_for(out, n, CHAIN_RAW_PREROUTING, RULE_NOTRACK_IN, 0, t);
		push_for(out, n, CHAIN_RAW_OUTPUT, RULE_NOTRACK_OUT, 0, t);
		push_for(out, n, CHAIN_INPUT, RULE_PEER_IN, 0, t);
		if (t == TUNNEL_OWN)	/* whose end is gone matters for new connections only */
			push_for(out, n, CHAIN_INPUT, RULE_REFUSED, 0, t);
		push_for(out, n, CHAIN_INPUT, RULE_STRANGER, 0, t);
		push_for(out, n, CHAIN_INPUT, RULE_VXLAN_GUARD, 0, t);
	}
}

/*
 * What comes out of a tunnel link: on NEW only TCP to a mail port at its
 * tunnel address, from OLD's tunnel address (the probe) or from a client
 * NEW routes back into the tunnel; on OLD only TCP from the other end's
 * tunnel address, and to this host no connection opening. The rest is
 * dropped. Into a link this host sends TCP only: the kernel's own
 * multicast listener reports would be dropped at the other end as forged.
 */
static void plan_from_tunnel(const struct spec *spec, struct planned_rule *out,
			     unsigned int *n)
{
	unsigned int i;

	plan_push(out, n, CHAIN_RAW_PREROUTING, RULE_TUNNEL_IN, 0);
	plan_push(out, n, CHAIN_RAW_OUTPUT, RULE_TCP_ONLY_LOCAL, 0);
	if (spec->role == ROLE_NEW) {
		for (i = 0; i < 2; i++) {
			plan_push(out, n, CHAIN_FROM_TUNNEL, RULE_PROBE_IN, families[i]);
			plan_push(out, n, CHAIN_FROM_TUNNEL, RULE_CLIENT_IN, families[i]);
		}
	} else {
		plan_push(out, n, CHAIN_FROM_TUNNEL, RULE_REPLY_IN, 0);
	}
	plan_push(out, n, CHAIN_FROM_TUNNEL, RULE_TUNNEL_DROP, 0);
	if (spec->role == ROLE_OLD)
		plan_push(out, n, CHAIN_INPUT, RULE_LOCAL_GUARD, 0);
}

/* OLD, forward: through a tunnel link only redirected flows, into it TCP only. */
static void plan_forward_guards(struct planned_rule *out, unsigned int *n)
{
	plan_push(out, n, CHAIN_FORWARD, RULE_TUNNEL_GUARD_IN, 0);
	plan_push(out, n, CHAIN_FORWARD, RULE_TCP_ONLY_OUT, 0);
	plan_push(out, n, CHAIN_FORWARD, RULE_TUNNEL_GUARD_OUT, 0);
}

/* OLD: catch, redirect, (masquerade), count, guard the tunnels. */
static unsigned int plan_old(const struct spec *spec, struct planned_rule *out)
{
	unsigned int i, n = 0;

	for (i = 0; i < 2; i++)
		if (spec_uses(spec, families[i]))
			plan_push(out, &n, CHAIN_PREROUTING, RULE_DISPATCH, families[i]);
	for (i = 0; i < 2; i++) {
		enum chain_id chain = redirect_chain(families[i]);

		if (!spec_uses(spec, families[i]))
			continue;
		plan_push(out, &n, chain, RULE_EXCLUDE, families[i]);
		plan_push(out, &n, chain, RULE_DNAT, families[i]);
	}
	if (spec->masquerade)
		plan_push(out, &n, CHAIN_POSTROUTING, RULE_MASQUERADE, 0);
	plan_push(out, &n, CHAIN_FORWARD, RULE_FAST, 0);
	if (spec_links(spec))
		plan_forward_guards(out, &n);
	if (spec->keep_client_address) {
		plan_push(out, &n, CHAIN_FORWARD, RULE_CLAMP_INTO, 0);
		for (i = 0; i < 2; i++)
			if (spec_uses(spec, families[i]))
				plan_push(out, &n, CHAIN_FORWARD, RULE_CLAMP_OUT, families[i]);
	}
	plan_counting(spec, CHAIN_FORWARD, CHAIN_FORWARD, out, &n);
	if (spec_links(spec)) {
		plan_underlay(spec, out, &n);
		plan_from_tunnel(spec, out, &n);
	}
	return n;
}

/*
 * NEW: guard the tunnel; what comes through it is an attempt, a connection
 * once its handshake completes (in input), answered at its SYN-ACK (in
 * output); its bytes both ways.
 */
static unsigned int plan_new(const struct spec *spec, struct planned_rule *out)
{
	unsigned int i, n = 0;

	plan_underlay(spec, out, &n);
	plan_from_tunnel(spec, out, &n);
	plan_push(out, &n, CHAIN_INPUT, RULE_FAST, 0);
	for (i = 0; i < 2; i++)
		plan_push(out, &n, CHAIN_INPUT, RULE_ARRIVE, families[i]);
	for (i = 0; i < 2; i++) {
		plan_push(out, &n, redirect_chain(families[i]), RULE_SKIP_PEER, families[i]);
		plan_push(out, &n, redirect_chain(families[i]), RULE_COUNT, families[i]);
	}
	plan_push(out, &n, CHAIN_OUTPUT, RULE_FAST, 0);
	plan_counting(spec, CHAIN_OUTPUT, CHAIN_INPUT, out, &n);
	return n;
}

unsigned int ruleset_plan(const struct spec *spec, struct planned_rule *out)
{
	return spec->role == ROLE_NEW ? plan_new(spec, out) : plan_old(spec, out);
}

static bool is_guard(enum rule_kind kind)
{
	switch (kind) {
	case RULE_NOTRACK_IN: case RULE_NOTRACK_OUT: case RULE_PEER_IN: case RULE_STRANGER:
	case RULE_VXLAN_GUARD: case RULE_REFUSED: case RULE_TUNNEL_IN: case RULE_PROBE_IN: case RULE_CLIENT_IN:
	case RULE_REPLY_IN: case RULE_TUNNEL_DROP: case RULE_LOCAL_GUARD: case RULE_TCP_ONLY_LOCAL:
	case RULE_TUNNEL_GUARD_IN: case RULE_TCP_ONLY_OUT: case RULE_TUNNEL_GUARD_OUT:
		return true;
	default:
		return false;
	}
}

unsigned int ruleset_plan_guards(const struct spec *spec, struct planned_rule *out)
{
	struct planned_rule all[PLAN_MAX];
	unsigned int i, n = ruleset_plan(spec, all), kept = 0;

	for (i = 0; i < n; i++)
		if (is_guard(all[i].kind))
			out[kept++] = all[i];
	return kept;
}
