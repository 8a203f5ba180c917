/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_KERNEL_ROUTE_H
#define REDIRECT_KERNEL_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/errmsg.h"
#include "lib/parse.h"
#include "kernel/link.h"

/*
 * Rules and routes through rtnetlink: NEW's return path, and the route
 * lookups of the pre-flight and of the tunnel's plan (the socket is
 * link.h's).
 */

/*
 * The return path on NEW: "from @src lookup @table priority @prio", and
 * "default via @gw dev @ifindex table @table". Both carry RTPROT_TUNNEL
 * as their originator, so that they can be told from the admin's own.
 */
int rule_add(struct rtnl_sock *s, const struct address *src, uint32_t table, uint32_t prio,
	     struct errmsg *e);
/*
 * "from @src lookup main suppress_prefixlength 0 priority @prio": the main
 * table for @src, but for its default route. Before NEW's reply rule, it
 * makes a route back more specific than the default (a connected network,
 * a VPN) win over the tunnel, and NEW's `fib saddr . iif` check turn such
 * sources away when they come out of the tunnel (see tunnel_rules.c).
 */
int rule_add_main_first(struct rtnl_sock *s, const struct address *src, uint32_t prio,
			struct errmsg *e);
/* Deletes our rule of that priority and family; absent is success. */
int rule_delete(struct rtnl_sock *s, int family, uint32_t table, uint32_t prio,
		struct errmsg *e);
/* Whether a rule of @prio exists in @family, whether one is ours, and its source and table. */
struct rule_found {
	bool exists, ours;
	struct address src;	/* family 0: from all */
	uint32_t table;
};
int rule_find(struct rtnl_sock *s, int family, uint32_t prio, struct rule_found *out,
	      struct errmsg *e);
int route_add_default(struct rtnl_sock *s, const struct address *gw, int ifindex,
		      uint32_t table, struct errmsg *e);
/* How many routes not of ours table @table holds in @family (one dump). */
int route_count_foreign(struct rtnl_sock *s, int family, uint32_t table, unsigned int *n,
			struct errmsg *e);

/* The kernel's route to @dst, as `ip route get` asks: its type, device, source, MTU. */
struct route_info {
	unsigned char type;	/* RTN_UNICAST, RTN_LOCAL, ... */
	int oif;
	struct address prefsrc;	/* the source the kernel would choose (family 0: none) */
	unsigned int mtu;	/* of the route, else of the device; 0 unknown */
};
int route_get(struct rtnl_sock *s, const struct address *dst, struct route_info *out);

#endif
