/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_KERNEL_NETLINK_H
#define REDIRECT_KERNEL_NETLINK_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What the netlink sockets of this tool (nftables in nft/transport.c,
 * rtnetlink in kernel/link.c) share: walking a receive buffer safely and
 * reading the kernel's extended ACK.
 */

/*
 * Whether the next message in a buffer with @left bytes is whole, padding
 * included. Unlike mnl_nlmsg_ok(), which casts the length to int, a length
 * near 2^32 is refused (its aligned size would wrap to 0 and a walk would
 * never advance); and libmnl's attribute walks end at the aligned length,
 * so the padding must be in the buffer too (the kernel always sends it).
 */
static inline bool nlmsg_whole(const struct nlmsghdr *nlh, int left)
{
	return left >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       NLMSG_ALIGN(nlh->nlmsg_len) >= nlh->nlmsg_len &&
	       NLMSG_ALIGN(nlh->nlmsg_len) <= (unsigned int)left;
}

/* The extended ACK of an NLMSG_ERROR message: the kernel's words, and where. */
struct nl_ext_ack {
	char msg[200];
	uint32_t offset;	/* into the request, when has_offset */
	bool has_offset;
};

/* Reads @nlh's extended ACK, if any, into @out (left empty when none). */
void nl_parse_ext_ack(const struct nlmsghdr *nlh, struct nl_ext_ack *out);

#endif
