/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_RULESET_H
#define REDIRECT_RULESET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ops.h"
#include "spec.h"

/*
 * Everything redirect installs lives in this one table. ("redirect" itself
 * is an nft keyword, so the table cannot carry the tool's bare name.)
 */
#define TABLE_NAME	"mail_redirect"
#define TABLE_MARKER	"managed by redirect(8)"
#define TABLE_COMMENT	TABLE_MARKER "; remove with: redirect disable"

/*
 * The conntrack mark bit of a redirected flow. One bit under a mask, so
 * other users of ct mark keep theirs; postrouting masquerades on it and
 * stats asks conntrack for it.
 */
#define CT_MARK_BIT	0x10000000U

/* The one rule of a drained table (see ruleset_build_drain). */
#define DRAIN_COMMENT "keeps conntrack and NAT for the redirected sessions still open"

/* Stale-source sets hold this many (address, port) pairs per family. */
#define SOURCES_SET_SIZE 65536

enum chain_id {
	CHAIN_PREROUTING,
	CHAIN_REDIRECT_IPV4,	/* OLD: redirect; NEW: count what came */
	CHAIN_REDIRECT_IPV6,
	CHAIN_POSTROUTING,
	CHAIN_FORWARD,
	CHAIN_INPUT,		/* the tunnel's UDP guard; NEW: what comes through it */
	CHAIN_OUTPUT,		/* NEW: the bytes of replies */
	CHAIN_COUNT
};

enum set_id {
	SET_PORTS,
	SET_CONNECTIONS,	/* map port -> connection counter */
	SET_TRAFFIC,		/* map port -> byte counter */
	SET_EXCLUDE_IPV4,
	SET_EXCLUDE_IPV6,
	SET_SOURCES_IPV4,
	SET_SOURCES_IPV6,
	SET_COUNT
};

extern const char *const chain_names[CHAIN_COUNT];
extern const char *const set_names[SET_COUNT];

/* Set IDs tie rules to sets created in the same transaction. */
#define SET_ID(set) ((uint32_t)(set) + 1)

static inline enum chain_id redirect_chain(int family)
{
	return family == AF_INET ? CHAIN_REDIRECT_IPV4 : CHAIN_REDIRECT_IPV6;
}

static inline enum set_id exclude_set(int family)
{
	return family == AF_INET ? SET_EXCLUDE_IPV4 : SET_EXCLUDE_IPV6;
}

static inline enum set_id sources_set(int family)
{
	return family == AF_INET ? SET_SOURCES_IPV4 : SET_SOURCES_IPV6;
}

#define COUNTER_NAME_MAX 32
#define VIEW_MAX_COUNTERS 128

/* What of ours is in the kernel now: the input for reconciling. */
struct table_view {
	bool exists;
	bool ours;			/* carries TABLE_MARKER */
	unsigned int chains;		/* 1 << enum chain_id */
	unsigned int sets;		/* 1 << enum set_id */
	uint64_t sources_timeout_ms[2];	/* [0] IPv4, [1] IPv6 */
	unsigned int ncounters;
	char counters[VIEW_MAX_COUNTERS][COUNTER_NAME_MAX];
};

/*
 * Builds the transaction that turns what @view says is installed into what
 * @spec asks for: counters and stale-source sets that already exist keep
 * their values, everything else is replaced. Pure: no I/O.
 */
int ruleset_build(const struct spec *spec, const struct table_view *view,
		  struct ops *out);

/* The transaction that stops new redirects but keeps open ones working. */
int ruleset_build_drain(const struct table_view *view, struct ops *out);

/* The transaction that removes the table. */
int ruleset_build_delete(struct ops *out);

/*
 * The rules, in order: one plan read by both the netlink builder and the
 * nft-syntax renderer, so the two cannot disagree about what goes where.
 */
enum rule_kind {
	RULE_DISPATCH,		/* prerouting: mail port to a local address */
	RULE_EXCLUDE,		/* sources never redirected */
	RULE_REMEMBER,		/* stale-source bookkeeping */
	RULE_DNAT,		/* count, mark, redirect */
	RULE_MASQUERADE,
	RULE_TRAFFIC,		/* bytes of redirected flows */
	RULE_VXLAN_GUARD,	/* the tunnel's packets only from the other end */
	RULE_TUNNEL_GUARD_IN,	/* OLD: out of the tunnel only redirected flows */
	RULE_TUNNEL_GUARD_OUT,	/* OLD: into the tunnel only redirected flows */
	RULE_CLAMP_INTO,	/* OLD: a SYN into the tunnel gets the tunnel's MSS */
	RULE_CLAMP_OUT,		/* OLD: so does the SYN-ACK out of it, for the client */
	RULE_ARRIVE,		/* NEW: a new connection out of the tunnel */
	RULE_COUNT,		/* NEW: count and mark it */
	RULE_SKIP_PEER,		/* NEW: OLD's own probe through the tunnel is no client */
};

struct planned_rule {
	enum chain_id chain;
	enum rule_kind kind;
	int family;		/* AF_INET, AF_INET6, or 0 for both */
};

#define PLAN_MAX 16
unsigned int ruleset_plan(const struct spec *spec, struct planned_rule *out);

/* Where enable DNATs @family to: NEW's public or tunnel address. */
const struct address *dnat_target(const struct spec *spec, int family);

/* The address the tunnel's packets come from: NEW's (on OLD), OLD's (on NEW). */
const struct address *tunnel_peer(const struct spec *spec);

/* Which chains and sets @spec needs, as bit masks. */
unsigned int chains_needed(const struct spec *spec);
unsigned int sets_needed(const struct spec *spec);

/* Name of the byte counter that pairs with connection counter @svc. */
void traffic_counter_name(const struct service *svc, char *buf, size_t len);

/*
 * The counter of @svc that map @map (SET_CONNECTIONS or SET_TRAFFIC) names,
 * and its comment: one source for the netlink objects and the nft text.
 */
void counter_name(const struct service *svc, enum set_id map, char *buf, size_t len);
void counter_comment(const struct service *svc, enum set_id map, char *buf, size_t len);

#endif
