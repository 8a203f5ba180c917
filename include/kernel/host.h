/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_KERNEL_HOST_H
#define REDIRECT_KERNEL_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/parse.h"

/*
 * Which of @n addresses is one of this host's (in this network
 * namespace): its index, or -1. One look at the interfaces for all.
 */
int host_local_address(const struct address *const *addrs, unsigned int n, int *which);

/*
 * Whether IPv4 @a is the network or the broadcast address of a subnet of
 * this host's (prefixes /30 and wider): no host answers there. @subnet
 * then names it ("198.51.100.0/24 on eth0").
 */
int host_subnet_edge(const struct address *a, bool *edge, bool *broadcast, char *subnet,
		     size_t len);

/* A list of addresses that grows as it is filled. */
struct address_list {
	struct address *v;
	unsigned int n, cap;
};

/*
 * This host's addresses a client can reach it at (not loopback, not
 * link-local, not the tunnel's), IPv4 if @v4, IPv6 if @v6: what `fib
 * daddr type local` matches. All of them, each once, into @out (which
 * starts as { 0 }, or as the list of an earlier call: it is emptied
 * first). Returns 0 or -errno (@out then empty).
 */
int host_addresses(bool v4, bool v6, struct address_list *out);

/* @a added to @l unless it is there already: 0 or -ENOMEM. */
int address_list_add(struct address_list *l, const struct address *a);

void address_list_free(struct address_list *l);

#endif
