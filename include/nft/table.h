/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_NFT_TABLE_H
#define REDIRECT_NFT_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/owned.h"
#include "lib/spec.h"
#include "nft/ops.h"

/*
 * Our table's vocabulary: its chains, sets and counters by name, and what
 * of it the kernel has (the view), which the builder reconciles, drift
 * compares and stats reads. No libnftnl here: names and numbers only.
 */

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
	CHAIN_FROM_TUNNEL,	/* what may come out of the tunnel: the rest dropped */
	CHAIN_COUNT
};

enum set_id {
	SET_PORTS,
	SET_CONNECTIONS,	/* map port -> counter of completed connections */
	SET_ATTEMPTS,		/* map port -> counter of redirected SYNs */
	SET_ANSWERED,		/* map port -> counter of attempts NEW answered */
	SET_TRAFFIC,		/* map port -> byte counter */
	SET_LAST_SEEN,		/* port, refreshed at each connection the sources set
				   had no room for: cannot fill up */
	SET_LAST_ATTEMPT,	/* NEW: port, refreshed at each SYN through the tunnel
				   (OLD is there); OLD no longer makes it: nothing read it */
	SET_LAST_ANSWER,	/* port, refreshed at each of NEW's answers */
	SET_EXCLUDE_IPV4,
	SET_EXCLUDE_IPV6,
	SET_SOURCES_IPV4,
	SET_SOURCES_IPV6,
	SET_STRANGERS_IPV4,	/* underlay sources the tunnel's packets came from, turned away */
	SET_STRANGERS_IPV6,
	SET_TUNNEL_REFUSED,	/* the other end's host refused the tunnel's UDP: its end is gone */
	SET_COUNT
};

extern const char *const chain_names[CHAIN_COUNT];
extern const char *const set_names[SET_COUNT];

/* The index of @name in @names (chain_names, set_names), or -1. */
int name_index(const char *const *names, unsigned int n, const char *name);

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

#define STRANGERS_SET_SIZE 256
#define TUNNEL_SETS_TIMEOUT (24 * 3600)	/* seconds: what stats shows of the tunnel's troubles */

/* Packets out of the tunnel dropped by the guards: a counter of the table's own. */
#define TUNNEL_DROPPED "tunnel_dropped"
#define TUNNEL_DROPPED_COMMENT "packets out of the tunnel dropped: not a redirected flow"

static inline enum set_id strangers_set(int family)
{
	return family == AF_INET ? SET_STRANGERS_IPV4 : SET_STRANGERS_IPV6;
}

/* The sets whose elements expire (timeout): their elements are history. */
bool is_port_time_set(unsigned int id);
bool is_dynamic_set(unsigned int id);

/* The dynamic sets of the tunnel: a fixed timeout and size, whatever the spec. */
bool is_tunnel_set(unsigned int id);

/* The maps that name a counter per service, and so the counters each service has. */
#define COUNTER_MAPS 4
extern const enum set_id counter_maps[COUNTER_MAPS];

/*
 * The counter of @svc that map @map (SET_CONNECTIONS, SET_ATTEMPTS,
 * SET_ANSWERED or SET_TRAFFIC) names ("smtp", "smtp_attempts", ...), and
 * its comment: one source for the netlink objects and the nft text.
 */
#define COUNTER_NAME_MAX 32
void counter_name(const struct service *svc, enum set_id map, char *buf, size_t len);
void counter_comment(const struct service *svc, enum set_id map, char *buf, size_t len);

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

/* What of ours is in the kernel now (nft/view.c reads it): the input for reconciling. */
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

/* Whether @view holds a counter of that name. */
bool view_has_counter(const struct table_view *view, const char *name);

#endif
