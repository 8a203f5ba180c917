// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tunnel's addresses and link addresses, derived from its id: see
 * owned.h for what redirect owns. Pure arithmetic, the same at both ends.
 */
#include <string.h>

#include "lib/owned.h"

#define RANGE4_BASE	0xa9fe4000U	/* 169.254.64.0/18: 4096 /30s */
#define RANGE4_SLOTS	4096U
#define LEGACY_SLOT4	832U		/* 169.254.77.0/30 */

/* fd6d:6169:6c00::/40, then 24 bits of subnet: the id's */
static const uint8_t range6[5] = { 0xfd, 0x6d, 0x61, 0x69, 0x6c };

/* The /30 of @id: the legacy id's is where the fixed addresses were. */
static uint32_t subnet4(uint32_t id)
{
	uint32_t slot = (id + RANGE4_SLOTS - TUNNEL_ID_DEFAULT % RANGE4_SLOTS + LEGACY_SLOT4) %
			RANGE4_SLOTS;

	return RANGE4_BASE + 4 * slot;
}

void tunnel_address(int family, enum spec_role end, uint32_t id, struct prefix *out)
{
	uint8_t host = end == ROLE_OLD ? 1 : 2;
	uint32_t sub = id ^ TUNNEL_ID_DEFAULT;
	uint8_t *b = out->addr.in.v6.s6_addr;

	memset(out, 0, sizeof(*out));
	out->addr.family = family;
	if (family == AF_INET) {
		out->addr.in.v4.s_addr = htonl(subnet4(id) + host);
		out->len = 30;
		return;
	}
	memcpy(b, range6, sizeof(range6));
	b[5] = (uint8_t)(sub >> 16);
	b[6] = (uint8_t)(sub >> 8);
	b[7] = (uint8_t)sub;
	b[15] = host;
	out->len = 64;
}

struct address tunnel_target(int family, uint32_t id)
{
	struct prefix p;

	tunnel_address(family, ROLE_NEW, id, &p);
	return p.addr;
}

void tunnel_range(int family, struct prefix *out)
{
	memset(out, 0, sizeof(*out));
	out->addr.family = family;
	if (family == AF_INET) {
		out->addr.in.v4.s_addr = htonl(RANGE4_BASE);
		out->len = 18;
	} else {
		memcpy(out->addr.in.v6.s6_addr, range6, sizeof(range6));
		out->len = 40;
	}
}

void tunnel_mac(enum spec_role end, uint32_t id, uint8_t mac[6])
{
	struct prefix p;

	tunnel_address(AF_INET, end, id, &p);
	mac[0] = 0x02;
	mac[1] = 0x00;
	memcpy(mac + 2, &p.addr.in.v4.s_addr, 4);
}

static const char *const link_names[TUNNEL_LINKS] = {
	TUNNEL_IFNAME, TUNNEL_IFNAME "2", TUNNEL_IFNAME "3",
};

const char *tunnel_link_name(unsigned int i)
{
	return link_names[i % TUNNEL_LINKS];
}

bool tunnel_ifname(const char *name)
{
	unsigned int i;

	for (i = 0; i < TUNNEL_LINKS; i++)
		if (!strcmp(name, link_names[i]))
			return true;
	return false;
}

unsigned int tunnel_mss(unsigned int mtu, int family)
{
	return mtu - (family == AF_INET ? 40 : 60);	/* IP and TCP headers */
}
