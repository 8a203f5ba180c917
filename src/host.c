// SPDX-License-Identifier: GPL-2.0-or-later
/* Facts about this host that enable checks before it changes anything. */
#include <errno.h>
#include <ifaddrs.h>
#include <string.h>
#include <sys/socket.h>

#include "host.h"

int host_has_address(const struct address *a, bool *local)
{
	struct ifaddrs *list, *ifa;

	*local = false;
	if (getifaddrs(&list))
		return -errno;
	for (ifa = list; ifa && !*local; ifa = ifa->ifa_next) {
		const struct sockaddr *sa = ifa->ifa_addr;

		if (!sa || sa->sa_family != a->family)
			continue;
		if (a->family == AF_INET)
			*local = !memcmp(&((const struct sockaddr_in *)sa)->sin_addr, &a->in.v4, 4);
		else
			*local = !memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr, &a->in.v6, 16);
	}
	freeifaddrs(list);
	return 0;
}
