// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plan of our table for a spec: the chains and sets it needs, and its
 * rules in the order they run (see plan.h).
 */
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
	if (spec->keep_client_address)
		m |= 1U << CHAIN_INPUT;
	if (spec_tunnel(spec))
		m |= 1U << CHAIN_RAW_PREROUTING | 1U << CHAIN_RAW_OUTPUT;
	return m;
}

unsigned int sets_needed(const struct spec *spec)
{
	unsigned int m = 1U << SET_PORTS | 1U << SET_CONNECTIONS | 1U << SET_ATTEMPTS |
			 1U << SET_ANSWERED | 1U << SET_TRAFFIC | 1U << SET_LAST_SEEN |
			 1U << SET_LAST_ATTEMPT | 1U << SET_LAST_ANSWER, i;

	for (i = 0; i < 2; i++) {
		if (!spec_uses(spec, families[i]))
			continue;
		m |= 1U << sources_set(families[i]);
		if (spec->role == ROLE_OLD)
			m |= 1U << exclude_set(families[i]);
	}
	return m;
}

/*
 * ... dnat ip to NEW: its public address, or its tunnel address, which
 * OLD's connected route to the tunnel reaches.
 */
const struct address *dnat_target(const struct spec *spec, int family)
{
	return spec->keep_client_address ? tunnel_target(family) : spec_target(spec, family);
}

static void plan_push(struct planned_rule *out, unsigned int *n, enum chain_id chain,
		      enum rule_kind kind, int family)
{
	if (*n == PLAN_MAX)
		abort();	/* a plan longer than any spec makes: a bug here */
	out[*n].chain = chain;
	out[*n].kind = kind;
	out[*n].family = family;
	(*n)++;
}

/*
 * Counting that waits for the flow: NEW's SYN-ACK (in @replies), the
 * completed handshake (in @originals), then the bytes of both.
 */
static void plan_counting(const struct spec *spec, enum chain_id replies,
			  enum chain_id originals, struct planned_rule *out, unsigned int *n)
{
	unsigned int i;

	plan_push(out, n, replies, RULE_ANSWERED, 0);
	for (i = 0; i < 2; i++)
		if (spec_uses(spec, families[i]))
			plan_push(out, n, originals, RULE_ESTABLISHED, families[i]);
	plan_push(out, n, originals, RULE_TRAFFIC, 0);
	if (replies != originals)
		plan_push(out, n, replies, RULE_TRAFFIC, 0);
}

/* OLD: catch, redirect, (masquerade), count, guard the tunnel. */
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
	if (spec->keep_client_address) {
		plan_push(out, &n, CHAIN_FORWARD, RULE_TUNNEL_GUARD_IN, 0);
		plan_push(out, &n, CHAIN_FORWARD, RULE_TUNNEL_GUARD_OUT, 0);
		plan_push(out, &n, CHAIN_FORWARD, RULE_CLAMP_INTO, 0);
		for (i = 0; i < 2; i++)
			if (spec_uses(spec, families[i]))
				plan_push(out, &n, CHAIN_FORWARD, RULE_CLAMP_OUT, families[i]);
	}
	plan_counting(spec, CHAIN_FORWARD, CHAIN_FORWARD, out, &n);
	if (spec->keep_client_address) {
		plan_push(out, &n, CHAIN_INPUT, RULE_VXLAN_GUARD, 0);
		plan_push(out, &n, CHAIN_RAW_PREROUTING, RULE_NOTRACK_IN, 0);
		plan_push(out, &n, CHAIN_RAW_OUTPUT, RULE_NOTRACK_OUT, 0);
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

	plan_push(out, &n, CHAIN_INPUT, RULE_VXLAN_GUARD, 0);
	plan_push(out, &n, CHAIN_RAW_PREROUTING, RULE_NOTRACK_IN, 0);
	plan_push(out, &n, CHAIN_RAW_OUTPUT, RULE_NOTRACK_OUT, 0);
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
