/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_NFT_RULESET_H
#define REDIRECT_NFT_RULESET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "nft/ops.h"
#include "lib/owned.h"
#include "lib/spec.h"

/* The one rule of a drained table (see ruleset_build_drain). */
#define DRAIN_COMMENT "keeps conntrack and NAT for the redirected sessions still open"

#define PORT_TIME_SET_SIZE 64	/* more than the services a spec can have */

enum chain_id {
	CHAIN_PREROUTING,
	CHAIN_REDIRECT_IPV4,	/* OLD: redirect; NEW: count what came */
	CHAIN_REDIRECT_IPV6,
	CHAIN_POSTROUTING,
	CHAIN_FORWARD,
	CHAIN_INPUT,		/* the tunnel's UDP guard; NEW: what comes through it */
	CHAIN_OUTPUT,		/* NEW: the bytes of replies */
	CHAIN_RAW_PREROUTING,	/* the tunnel: its UDP from the other end untracked */
	CHAIN_RAW_OUTPUT,	/* ... and to it */
	CHAIN_COUNT
};

enum set_id {
	SET_PORTS,
	SET_CONNECTIONS,	/* map port -> counter of completed connections */
	SET_ATTEMPTS,		/* map port -> counter of redirected SYNs */
	SET_ANSWERED,		/* map port -> counter of attempts NEW answered */
	SET_TRAFFIC,		/* map port -> byte counter */
	SET_LAST_SEEN,		/* port, refreshed at each connection: cannot fill up */
	SET_LAST_ATTEMPT,	/* port, refreshed at each redirected SYN */
	SET_LAST_ANSWER,	/* port, refreshed at each of NEW's answers */
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
#define VIEW_MAX_FOREIGN 16
#define OBJECT_NAME_MAX 256	/* NFT_NAME_MAXLEN */

/*
 * Something in our table that redirect does not make: a chain, set or
 * object of another name, or one of ours with another shape (a chain on
 * another hook, a set of another type). A reconcile deletes it (and makes
 * ours again); stats and check call it drift.
 */
struct foreign {
	enum op_object kind;	/* OP_CHAIN, OP_SET or OP_OBJ */
	uint32_t obj_type;	/* OP_OBJ: NFT_OBJECT_* */
	bool reshaped;		/* one of our names, another shape */
	char name[OBJECT_NAME_MAX];
};

/* What of ours is in the kernel now: the input for reconciling. */
struct table_view {
	bool exists;
	bool ours;			/* carries TABLE_MARKER */
	unsigned int chains;		/* 1 << enum chain_id */
	unsigned int sets;		/* 1 << enum set_id */
	struct {
		uint64_t timeout_ms;
		uint32_t size;
	} dynamic[SET_COUNT];		/* the dynamic sets: stale sources, last seen */
	unsigned int ncounters;
	char counters[VIEW_MAX_COUNTERS][COUNTER_NAME_MAX];
	unsigned int nforeign;
	struct foreign foreign[VIEW_MAX_FOREIGN];
	bool overflow;			/* more foreign objects than these: replace the table */
	uint64_t attempts;		/* what our attempt counters hold: 0, nothing redirected */
};

/* Our chains and sets as redirect makes them, for comparing their shapes (nft.c). */
struct nftnl_chain *ruleset_chain(enum chain_id id);
struct nftnl_set *ruleset_set_shape(enum set_id id);

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

/* Which chains and sets @spec needs, as bit masks. */
unsigned int chains_needed(const struct spec *spec);
unsigned int sets_needed(const struct spec *spec);

/* The maps that name a counter per service, and so the counters each service has. */
#define COUNTER_MAPS 4
extern const enum set_id counter_maps[COUNTER_MAPS];

/*
 * The counter of @svc that map @map (SET_CONNECTIONS, SET_ATTEMPTS,
 * SET_ANSWERED or SET_TRAFFIC) names ("smtp", "smtp_attempts", ...), and
 * its comment: one source for the netlink objects and the nft text.
 */
void counter_name(const struct service *svc, enum set_id map, char *buf, size_t len);
void counter_comment(const struct service *svc, enum set_id map, char *buf, size_t len);

#endif
