// SPDX-License-Identifier: GPL-2.0-or-later
/* The elements of our fixed sets (see elements.h). */
#include <arpa/inet.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <string.h>

#include <libnftnl/set.h>

#include "nft/elements.h"
#include "nft/objects.h"
#include "nft/range.h"

static void add_elems(struct ops *ops, struct nftnl_set *s)
{
	struct op *op = ops_push(ops, OP_ELEMS, NFT_MSG_NEWSETELEM, NLM_F_CREATE, s);

	op_describe(op, "the elements of set %s", nftnl_set_get_str(s, NFTNL_SET_NAME));
}

static void add_port_elems(struct ops *ops, const struct spec *spec)
{
	struct nftnl_set *s = set_new(SET_PORTS);
	unsigned int i;

	for (i = 0; i < spec->nservices; i++) {
		uint16_t port = htons(spec->services[i].port);

		elem_add(s, &port, sizeof(port));
	}
	add_elems(ops, s);
}

static void add_counter_map_elems(struct ops *ops, const struct spec *spec, enum set_id id)
{
	struct nftnl_set *s = set_new(id);
	char name[COUNTER_NAME_MAX];
	unsigned int i;

	for (i = 0; i < spec->nservices; i++) {
		const struct service *svc = &spec->services[i];
		uint16_t port = htons(svc->port);
		struct nftnl_set_elem *el = elem_add(s, &port, sizeof(port));

		counter_name(svc, id, name, sizeof(name));
		nftnl_set_elem_set_str(el, NFTNL_SET_ELEM_OBJREF, name);
	}
	add_elems(ops, s);
}

/*
 * Interval sets hold pairs of (start, end-exclusive flagged INTERVAL_END),
 * preceded by an end marker at 0 when the first range starts above it:
 * the layout nft itself sends, so the listing reads as prefixes.
 */
static void add_exclude_elems(struct ops *ops, const struct spec *spec, int family)
{
	struct nftnl_set *s = set_new(exclude_set(family));
	struct range ranges[RANGES_MAX];
	static const uint8_t zero[16];
	uint32_t len = family == AF_INET ? 4 : 16;
	unsigned int i, n = exclude_ranges(spec, family, ranges);
	struct nftnl_set_elem *el;

	if (n && memcmp(ranges[0].start, zero, len)) {
		el = elem_add(s, zero, len);
		nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	}
	for (i = 0; i < n; i++) {
		elem_add(s, ranges[i].start, len);
		if (ranges[i].to_top)
			continue;
		el = elem_add(s, ranges[i].end, len);
		nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	}
	add_elems(ops, s);
}

void fill_sets(struct ops *ops, const struct spec *spec)
{
	unsigned int m;

	add_port_elems(ops, spec);
	for (m = 0; m < COUNTER_MAPS; m++)
		add_counter_map_elems(ops, spec, counter_maps[m]);
	if (spec->has_to4)
		add_exclude_elems(ops, spec, AF_INET);
	if (spec->has_to6)
		add_exclude_elems(ops, spec, AF_INET6);
}
