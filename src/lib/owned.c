// SPDX-License-Identifier: GPL-2.0-or-later
/* The tunnel's addresses, as constants: see owned.h for what redirect owns. */
#include <string.h>

#include "lib/owned.h"

/*
 * 169.254.77.0/30 (clear of 169.254.169.0/24, the clouds' metadata) and
 * fd6d:6169:6c00::/64 ("mail" in a ULA), [OLD, NEW]. An IPv4 address is
 * written as the first four bytes of the union: network order, as
 * in_addr holds it.
 */
static const struct prefix tunnel_ends[2][2] = {
	[ROLE_OLD] = {
		{ { AF_INET, { .v6 = { { { 169, 254, 77, 1 } } } } }, 30 },
		{ { AF_INET6, { .v6 = { { { 0xfd, 0x6d, 0x61, 0x69, 0x6c, 0, 0, 0,
					    0, 0, 0, 0, 0, 0, 0, 1 } } } } }, 64 },
	},
	[ROLE_NEW] = {
		{ { AF_INET, { .v6 = { { { 169, 254, 77, 2 } } } } }, 30 },
		{ { AF_INET6, { .v6 = { { { 0xfd, 0x6d, 0x61, 0x69, 0x6c, 0, 0, 0,
					    0, 0, 0, 0, 0, 0, 0, 2 } } } } }, 64 },
	},
};

static const struct prefix *end_of(int family, enum spec_role end)
{
	return &tunnel_ends[end][family == AF_INET ? 0 : 1];
}

void tunnel_address(int family, enum spec_role end, struct prefix *out)
{
	*out = *end_of(family, end);
}

const struct address *tunnel_target(int family)
{
	return &end_of(family, ROLE_NEW)->addr;
}

unsigned int tunnel_mss(unsigned int mtu, int family)
{
	return mtu - (family == AF_INET ? 40 : 60);	/* IP and TCP headers */
}
