// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Netlink replies as the kernel could send them, through our own code:
 * the walk over a receive buffer, ACKs and errors with extended ACKs, the
 * ruleset generation, conntrack entries (parsed by us), and stale-source
 * elements into the statistics.
 *
 * nftables object messages are left out: libnftnl parses those and, by
 * design, exit()s on a malformed attribute ("kernel ABI is broken"); its
 * parsers are its own to fuzz. The elements we interpret are built here
 * from the input with libnftnl's setters instead.
 */
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/set.h>

#include "kernel/conntrack.h"
#include "nft/view.h"
#include "core/observe.h"
#include "core/aggregate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool parsed_by_libnftnl(const struct nlmsghdr *nlh)
{
	return NFNL_SUBSYS_ID(nlh->nlmsg_type) == NFNL_SUBSYS_NFTABLES &&
	       NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_NEWGEN;
}

/* The messages of @data that do not go to libnftnl, into @out. */
static size_t our_messages(const uint8_t *data, size_t size, uint8_t *out)
{
	const struct nlmsghdr *nlh = (const void *)data;
	int left = (int)size;
	size_t used = 0;

	for (; nlmsg_whole(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		if (parsed_by_libnftnl(nlh))
			continue;
		memcpy(out + used, nlh, nlh->nlmsg_len);
		used += NLMSG_ALIGN(nlh->nlmsg_len);
		if (NLMSG_ALIGN(nlh->nlmsg_len) > (unsigned int)left)
			break;
	}
	return used;
}

static uint64_t u64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* A stale-source element from the last 40 bytes: key, timeout, expiry, count. */
static void element(const uint8_t *data, size_t size, struct stats *st)
{
	struct nftnl_set_elem *el;
	struct nftnl_expr *counter;
	const uint8_t *p;
	int family;

	if (size < 41)
		return;
	p = data + size - 41;
	family = p[0] & 1 ? AF_INET6 : AF_INET;
	el = nftnl_set_elem_alloc();
	counter = nftnl_expr_alloc("counter");
	if (!el || !counter) {
		nftnl_set_elem_free(el);
		nftnl_expr_free(counter);
		return;
	}
	nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, p + 1, (p[0] >> 1) % 21);
	nftnl_set_elem_set_u64(el, NFTNL_SET_ELEM_TIMEOUT, u64_at(p + 21));
	nftnl_set_elem_set_u64(el, NFTNL_SET_ELEM_EXPIRATION, u64_at(p + 29));
	nftnl_expr_set_u64(counter, NFTNL_EXPR_CTR_PACKETS, (uint64_t)p[37] << 24 | p[38]);
	nftnl_set_elem_add_expr(el, counter);
	observe_element(el, family, u64_at(p + 21) ^ p[39], st);
	nftnl_set_elem_free(el);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct table_view view;
	uint8_t *buf = malloc(size ? size : 1);	/* aligned, as a receive buffer is */
	const struct nlmsghdr *nlh;
	struct ct_flow flow;
	struct errmsg e;
	struct stats st;
	struct spec spec;
	size_t len;
	int left;

	if (!buf)
		return 0;
	len = our_messages(data, size, buf);
	view_from_replies(buf, len, &view, &e);
	for (nlh = (const void *)buf, left = (int)len; nlmsg_whole(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left))
		ct_flow_from_msg(nlh, &flow);
	spec_init(&spec);
	spec_add_services(&spec, "smtp,imap", &e);
	stats_init(&st, &spec);
	element(data, size, &st);
	stats_finish(&st);
	stats_free(&st);
	free(buf);
	return 0;
}
