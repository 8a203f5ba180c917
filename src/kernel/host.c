// SPDX-License-Identifier: GPL-2.0-or-later
/* Facts about this host that enable checks before it changes anything. */
#include <errno.h>
#include <ifaddrs.h>
#include <arpa/inet.h>
#include <stdio.h>
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

unsigned int host_addresses(bool v4, bool v6, struct address *out, unsigned int max)
{
	struct ifaddrs *list, *ifa;
	unsigned int n = 0, i;

	if (getifaddrs(&list))
		return 0;
	for (ifa = list; ifa && n < max; ifa = ifa->ifa_next) {
		const struct sockaddr *sa = ifa->ifa_addr;
		struct address a = { 0 };
		bool seen = false;

		if (!sa || !((sa->sa_family == AF_INET && v4) || (sa->sa_family == AF_INET6 && v6)))
			continue;
		if (!strcmp(ifa->ifa_name, TUNNEL_IFNAME))	/* our tunnel's: no client's */
			continue;
		a.family = sa->sa_family;
		if (a.family == AF_INET)
			a.in.v4 = ((const struct sockaddr_in *)sa)->sin_addr;
		else
			a.in.v6 = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		for (i = 0; i < n; i++)
			seen |= address_equal(&out[i], &a);
		if (!seen && reachable(&a))
			out[n++] = a;
	}
	freeifaddrs(list);
	return n;
}
