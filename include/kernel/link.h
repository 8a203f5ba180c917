/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_KERNEL_LINK_H
#define REDIRECT_KERNEL_LINK_H

#include <stdbool.h>
#include <stddef.h>
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
	bool noarp;
	uint8_t mac[6];			/* IFLA_ADDRESS */
	char alias[128];		/* IFLA_IFALIAS: who made it */
};

/*
 * What to create: the link is made down, then addressed, then brought up.
 * It is made NOARP with @mac (the other end knows it), without IPv6
 * link-local address (nothing of its own goes through the tunnel).
 */
struct vxlan_params {
	const char *name;
	uint32_t vni;
	uint16_t port;
	struct address local, remote;
	unsigned int mtu;
	uint8_t mac[6];
	const char *alias;
};

int link_get(struct rtnl_sock *s, const char *name, struct vxlan_link *out, struct errmsg *e);
int link_create_vxlan(struct rtnl_sock *s, const struct vxlan_params *p, int *ifindex,
		      struct errmsg *e);
int link_set_up(struct rtnl_sock *s, int ifindex, struct errmsg *e);
/* The alias that says who made the link, and no IPv6 link-local address on it. */
int link_set_alias(struct rtnl_sock *s, int ifindex, const char *alias, struct errmsg *e);
/* Gone already is success. */
int link_delete(struct rtnl_sock *s, const char *name, struct errmsg *e);

/* An address on @ifindex (IPv6 without duplicate address detection); there already is success. */
int addr_add(struct rtnl_sock *s, int ifindex, const struct prefix *p, struct errmsg *e);

/*
 * Permanent neighbour entries on the NOARP tunnel link: the other end's
 * tunnel addresses with its link address. Nothing learnt, nothing to
 * poison; there already is success (replaced).
 */
int neigh_add_permanent(struct rtnl_sock *s, int ifindex, const struct address *a,
			const uint8_t mac[6], struct errmsg *e);

/* The MTU of the device @ifindex, or 0. */
unsigned int link_mtu(struct rtnl_sock *s, int ifindex);

/*
 * One request of route.c's (or this file's), the kernel's answer in words:
 * @ok_error (an errno, negative) is success too; @what names the request.
 */
#define RTNL_BUF 8192
struct nlmsghdr;
typedef int (*rtnl_reply_cb)(const struct nlmsghdr *nlh, void *data);
struct nlmsghdr *rtnl_start(char *buf, uint16_t type, uint16_t flags);
int rtnl_talk(struct rtnl_sock *s, struct nlmsghdr *nlh, rtnl_reply_cb cb, void *data,
	      int ok_error, const char *what, struct errmsg *e);
/* The same with the kernel's error in *@error, unsaid: for lookups that may fail. */
int rtnl_request(struct rtnl_sock *s, struct nlmsghdr *nlh, rtnl_reply_cb cb, void *data,
		 int *error);
size_t rtnl_addr_len(int family);

#endif
