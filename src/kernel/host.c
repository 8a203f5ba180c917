// SPDX-License-Identifier: GPL-2.0-or-later
/* This host's addresses: the ones a client reaches it at, and facts enable checks. */
#include <errno.h>
#include <ifaddrs.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kernel/host.h"
#include "lib/owned.h"

static bool same(const struct sockaddr *sa, const struct address *a)
{
	if (!a || sa->sa_family != a->family)
		return false;
	if (a->family == AF_INET)
		return !memcmp(&((const struct sockaddr_in *)sa)->sin_addr, &a->in.v4, 4);
	return !memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr, &a->in.v6, 16);
}

int host_local_address(const struct address *const *addrs, unsigned int n, int *which)
{
	struct ifaddrs *list, *ifa;
	unsigned int i;

	*which = -1;
	if (getifaddrs(&list))
		return -errno;
	for (ifa = list; ifa && *which < 0; ifa = ifa->ifa_next)
		for (i = 0; ifa->ifa_addr && i < n && *which < 0; i++)
			if (same(ifa->ifa_addr, addrs[i]))
				*which = (int)i;
	freeifaddrs(list);
	return 0;
}

int host_subnet_edge(const struct address *a, bool *edge, bool *broadcast, char *subnet,
		     size_t len)
{
	struct ifaddrs *list, *ifa;
	char net[INET_ADDRSTRLEN];

	*edge = false;
	if (a->family != AF_INET)
		return 0;
	if (getifaddrs(&list))
		return -errno;
	for (ifa = list; ifa && !*edge; ifa = ifa->ifa_next) {
		const struct sockaddr_in *addr = (const void *)ifa->ifa_addr;
		const struct sockaddr_in *mask = (const void *)ifa->ifa_netmask;
		uint32_t m, n, t = ntohl(a->in.v4.s_addr);
		struct in_addr first;
		int bits;

		if (!addr || !mask || addr->sin_family != AF_INET)
			continue;
		m = ntohl(mask->sin_addr.s_addr);
		bits = __builtin_popcount(m);
		if (bits > 30)
			continue;	/* /31 and /32 have no network or broadcast address */
		n = ntohl(addr->sin_addr.s_addr) & m;
		if (t != n && t != (n | ~m))
			continue;
		*edge = true;
		*broadcast = t != n;
		first.s_addr = htonl(n);
		snprintf(subnet, len, "%s/%d on %s", inet_ntop(AF_INET, &first, net, sizeof(net)),
			 bits, ifa->ifa_name);
	}
	freeifaddrs(list);
	return 0;
}

static bool reachable(const struct address *a)
{
	if (a->family == AF_INET)
		return (ntohl(a->in.v4.s_addr) >> 24) != 127;
	return !IN6_IS_ADDR_LOOPBACK(&a->in.v6) && !IN6_IS_ADDR_LINKLOCAL(&a->in.v6);
}

static bool listed(const struct address_list *l, const struct address *a)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		if (address_equal(&l->v[i], a))
			return true;
	return false;
}

static int list_add(struct address_list *l, const struct address *a)
{
	struct address *v;

	if (l->n == l->cap) {
		v = realloc(l->v, (l->cap ? l->cap * 2 : 16) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = l->cap ? l->cap * 2 : 16;
	}
	l->v[l->n++] = *a;
	return 0;
}

/* The address of @sa, if it is of a family asked for and a client could reach it. */
static bool wanted(const struct ifaddrs *ifa, bool v4, bool v6, struct address *a)
{
	const struct sockaddr *sa = ifa->ifa_addr;

	if (!sa || !((sa->sa_family == AF_INET && v4) || (sa->sa_family == AF_INET6 && v6)))
		return false;
	if (tunnel_ifname(ifa->ifa_name))	/* our tunnels': no client's */
		return false;
	address_from_sockaddr(sa, a);
	return reachable(a);
}

int host_addresses(bool v4, bool v6, struct address_list *out)
{
	struct ifaddrs *list, *ifa;
	struct address a;
	int err = 0;

	address_list_free(out);
	if (getifaddrs(&list))
		return -errno;
	for (ifa = list; ifa && !err; ifa = ifa->ifa_next)
		if (wanted(ifa, v4, v6, &a) && !listed(out, &a))
			err = list_add(out, &a);
	freeifaddrs(list);
	if (err)
		address_list_free(out);
	return err;
}

int address_list_add(struct address_list *l, const struct address *a)
{
	return listed(l, a) ? 0 : list_add(l, a);
}

void address_list_free(struct address_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}
