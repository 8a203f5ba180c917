/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_KERNEL_LINK_H
#define REDIRECT_KERNEL_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/errmsg.h"
#include "lib/parse.h"

/*
 * rtnetlink, as iproute2 speaks it: the tunnel's link, its addresses, the
 * policy rule and route of its return path, and route lookups. This file
 * owns its socket, as nft/transport.c owns the nftables one. Every request asks for
 * an ACK and turns the kernel's error (and its extended ACK text) into
 * words naming the object.
 */
struct rtnl_sock {
	struct mnl_socket *nl;
	uint32_t seq;
	char *buf;			/* where replies are received */
};

int rtnl_open(struct rtnl_sock *s, struct errmsg *e);
void rtnl_close(struct rtnl_sock *s);

/* A VXLAN link as the kernel has it (what `ip -d link show` prints). */
struct vxlan_link {
	bool exists;
	int ifindex;
	bool is_vxlan;
	uint32_t vni;
	uint16_t port;			/* UDP destination port, host order */
	struct address local, remote;	/* the underlay ends */
	bool learning;
	unsigned int mtu;
	bool up;
	char alias[128];		/* IFLA_IFALIAS: who made it */
};

/* What to create: the link is made down, then addressed, then brought up. */
struct vxlan_params {
	const char *name;
	uint32_t vni;
	uint16_t port;
	struct address local, remote;
	unsigned int mtu;
	const char *alias;
};

int link_get(struct rtnl_sock *s, const char *name, struct vxlan_link *out, struct errmsg *e);
int link_create_vxlan(struct rtnl_sock *s, const struct vxlan_params *p, int *ifindex,
		      struct errmsg *e);
int link_set_up(struct rtnl_sock *s, int ifindex, struct errmsg *e);
int link_set_alias(struct rtnl_sock *s, int ifindex, const char *alias, struct errmsg *e);
/* Gone already is success. */
int link_delete(struct rtnl_sock *s, const char *name, struct errmsg *e);

/* An address on @ifindex (IPv6 without duplicate address detection); there already is success. */
int addr_add(struct rtnl_sock *s, int ifindex, const struct prefix *p, struct errmsg *e);

/*
 * The return path on NEW: "from @src lookup @table priority @prio", and
 * "default via @gw dev @ifindex table @table". Both carry RTPROT_TUNNEL
 * as their originator, so that they can be told from the admin's own.
 */
int rule_add(struct rtnl_sock *s, const struct address *src, uint32_t table, uint32_t prio,
	     struct errmsg *e);
/* Deletes our rule of that priority and family; absent is success. */
int rule_delete(struct rtnl_sock *s, int family, uint32_t table, uint32_t prio,
		struct errmsg *e);
/* Whether a rule of @prio exists in @family, and whether it is ours (@ours). */
int rule_find(struct rtnl_sock *s, int family, uint32_t prio, bool *exists, bool *ours,
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

/* The MTU of the device @ifindex, or 0. */
unsigned int link_mtu(struct rtnl_sock *s, int ifindex);

#endif
