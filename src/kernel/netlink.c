// SPDX-License-Identifier: GPL-2.0-or-later
/* What nft/transport.c and kernel/link.c share of netlink: the kernel's extended ACK. */
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "kernel/netlink.h"

void nl_parse_ext_ack(const struct nlmsghdr *nlh, struct nl_ext_ack *out)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t skip = sizeof(*err), payload = mnl_nlmsg_get_payload_len(nlh);
	const struct nlattr *attr;

	memset(out, 0, sizeof(*out));
	if (payload < skip || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* without CAPPED the request comes back whole before the TLVs */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (err->msg.nlmsg_len < sizeof(err->msg) ||
		    err->msg.nlmsg_len - sizeof(err->msg) > payload - skip)
			return;
		skip += NLMSG_ALIGN(err->msg.nlmsg_len - sizeof(err->msg));
	}
	if (skip > payload)
		return;
	mnl_attr_for_each(attr, nlh, skip) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			snprintf(out->msg, sizeof(out->msg), "%s", mnl_attr_get_str(attr));
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_OFFS &&
		    mnl_attr_validate(attr, MNL_TYPE_U32) == 0) {
			out->offset = mnl_attr_get_u32(attr);
			out->has_offset = true;
		}
	}
}

