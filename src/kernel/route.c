// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rtnetlink through libmnl, the routing side: NEW's policy rules and the
 * route of its return path, and the route lookups of the pre-flight and
 * the tunnel's plan. Requests are built as iproute2 builds them for `ip
 * rule add` and `ip route add|get`; link.c owns the socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>

#include "lib/owned.h"
#include "kernel/route.h"

/* ---- the return path: a policy rule and a route ---- */

static struct nlmsghdr *rule_msg(char *buf, uint16_t type, uint16_t flags, int family,
				 uint32_t table, uint32_t prio)
{
	struct nlmsghdr *nlh = rtnl_start(buf, type, flags);
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));

	frh->family = (uint8_t)family;
	frh->action = FR_ACT_TO_TBL;
	frh->table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, prio);
	return nlh;
}

static int add_rule(struct rtnl_sock *s, const struct address *src, uint32_t table,
		    uint32_t prio, bool but_default, struct errmsg *e)
{
	char buf[RTNL_BUF], what[128], text[ADDRESS_STRLEN];
	struct nlmsghdr *nlh = rule_msg(buf, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, src->family,
					table, prio);
	struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);

	frh->src_len = (uint8_t)(rtnl_addr_len(src->family) * 8);
	mnl_attr_put(nlh, FRA_SRC, rtnl_addr_len(src->family), &src->in);
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, RTPROT_TUNNEL);
	if (but_default)	/* a /0 route found there is passed over */
		mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN, 0);
	snprintf(what, sizeof(what), "add the rule \"from %s lookup %u%s\"",
		 address_str(src, text), table, but_default ? " suppress_prefixlength 0" : "");
	return rtnl_talk(s, nlh, NULL, NULL, -EEXIST, what, e);
}

int rule_add(struct rtnl_sock *s, const struct address *src, uint32_t table, uint32_t prio,
	     struct errmsg *e)
{
	return add_rule(s, src, table, prio, false, e);
}

int rule_add_main_first(struct rtnl_sock *s, const struct address *src, uint32_t prio,
			struct errmsg *e)
{
	return add_rule(s, src, RT_TABLE_MAIN, prio, true, e);
}

int rule_delete(struct rtnl_sock *s, int family, uint32_t table, uint32_t prio,
		struct errmsg *e)
{
	char buf[RTNL_BUF], what[64];
	struct nlmsghdr *nlh = rule_msg(buf, RTM_DELRULE, 0, family, table, prio);

	mnl_attr_put_u8(nlh, FRA_PROTOCOL, RTPROT_TUNNEL);
	snprintf(what, sizeof(what), "delete the rule of priority %u", prio);
	return rtnl_talk(s, nlh, NULL, NULL, -ENOENT, what, e);
}

struct rule_ctx {
	int family;
	uint32_t prio;
	struct rule_found *out;
};

struct rule_attrs {
	uint32_t prio, proto, table;
	struct address src;
};

static int rule_attr_cb(const struct nlattr *a, void *data)
{
	struct rule_attrs *r = data;
	size_t len = mnl_attr_get_payload_len(a);

	switch (mnl_attr_get_type(a)) {
	case FRA_PRIORITY:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			r->prio = mnl_attr_get_u32(a);
		break;
	case FRA_PROTOCOL:
		if (mnl_attr_validate(a, MNL_TYPE_U8) == 0)
			r->proto = mnl_attr_get_u8(a);
		break;
	case FRA_TABLE:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			r->table = mnl_attr_get_u32(a);
		break;
	case FRA_SRC:
		if (len == 4 || len == 16) {
			r->src.family = len == 4 ? AF_INET : AF_INET6;
			memcpy(&r->src.in, mnl_attr_get_payload(a), len);
		}
		break;
	}
	return MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rule_ctx *ctx = data;
	struct rule_attrs r;

	memset(&r, 0, sizeof(r));
	if (nlh->nlmsg_type != RTM_NEWRULE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct fib_rule_hdr))
		return 0;
	mnl_attr_parse(nlh, sizeof(struct fib_rule_hdr), rule_attr_cb, &r);
	if (r.prio != ctx->prio)
		return 0;
	if (!ctx->out->exists || r.proto == RTPROT_TUNNEL) {	/* ours, if one is */
		ctx->out->src = r.src;
		ctx->out->table = r.table;
	}
	ctx->out->exists = true;
	ctx->out->ours |= r.proto == RTPROT_TUNNEL;
	return 0;
}

int rule_find(struct rtnl_sock *s, int family, uint32_t prio, struct rule_found *out,
	      struct errmsg *e)
{
	char buf[RTNL_BUF];
	struct nlmsghdr *nlh = rtnl_start(buf, RTM_GETRULE, NLM_F_DUMP);
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	struct rule_ctx ctx = { family, prio, out };

	memset(out, 0, sizeof(*out));
	frh->family = (uint8_t)family;
	return rtnl_talk(s, nlh, rule_cb, &ctx, 0, "list the policy rules", e);
}

int route_add_default(struct rtnl_sock *s, const struct address *gw, int ifindex,
		      uint32_t table, struct errmsg *e)
{
	char buf[RTNL_BUF], what[96], text[ADDRESS_STRLEN];
	struct nlmsghdr *nlh = rtnl_start(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = (uint8_t)gw->family;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_TUNNEL;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	mnl_attr_put(nlh, RTA_GATEWAY, rtnl_addr_len(gw->family), &gw->in);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	snprintf(what, sizeof(what), "add the route \"default via %s table %u\"",
		 address_str(gw, text), table);
	return rtnl_talk(s, nlh, NULL, NULL, -EEXIST, what, e);
}

struct count_ctx {
	uint32_t table;
	unsigned int n;
};

static int route_table_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == RTA_TABLE && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		*(uint32_t *)data = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	struct count_ctx *ctx = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	uint32_t table;

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return 0;
	table = rtm->rtm_table;
	mnl_attr_parse(nlh, sizeof(*rtm), route_table_cb, &table);
	ctx->n += table == ctx->table && rtm->rtm_protocol != RTPROT_TUNNEL;
	return 0;
}

int route_count_foreign(struct rtnl_sock *s, int family, uint32_t table, unsigned int *n,
			struct errmsg *e)
{
	char buf[RTNL_BUF];
	struct nlmsghdr *nlh = rtnl_start(buf, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	struct count_ctx ctx = { table, 0 };
	int err;

	rtm->rtm_family = (uint8_t)family;
	err = rtnl_talk(s, nlh, count_cb, &ctx, 0, "list the routes", e);
	*n = ctx.n;
	return err;
}

/* ---- route lookups ---- */

struct get_ctx {
	struct route_info *out;
};

static int metrics_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == RTAX_MTU && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		*(unsigned int *)data = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int get_attr_cb(const struct nlattr *a, void *data)
{
	struct route_info *r = data;
	size_t len = mnl_attr_get_payload_len(a);

	switch (mnl_attr_get_type(a)) {
	case RTA_OIF:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			r->oif = (int)mnl_attr_get_u32(a);
		break;
	case RTA_PREFSRC:
		if (len == 4 || len == 16) {
			r->prefsrc.family = len == 4 ? AF_INET : AF_INET6;
			memcpy(&r->prefsrc.in, mnl_attr_get_payload(a), len);
		}
		break;
	case RTA_METRICS:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) == 0)
			mnl_attr_parse_nested(a, metrics_cb, &r->mtu);
		break;
	}
	return MNL_CB_OK;
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct get_ctx *ctx = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return 0;
	ctx->out->type = rtm->rtm_type;
	mnl_attr_parse(nlh, sizeof(*rtm), get_attr_cb, ctx->out);
	return 0;
}

int route_get(struct rtnl_sock *s, const struct address *dst, struct route_info *out)
{
	char buf[RTNL_BUF];
	struct nlmsghdr *nlh = rtnl_start(buf, RTM_GETROUTE, 0);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	struct get_ctx ctx = { out };
	int err, error;

	memset(out, 0, sizeof(*out));
	rtm->rtm_family = (uint8_t)dst->family;
	rtm->rtm_dst_len = (uint8_t)(rtnl_addr_len(dst->family) * 8);
	mnl_attr_put(nlh, RTA_DST, rtnl_addr_len(dst->family), &dst->in);
	err = rtnl_request(s, nlh, get_cb, &ctx, &error);
	if (err)
		return err;
	if (error)
		return error;
	if (!out->mtu && out->oif)
		out->mtu = link_mtu(s, out->oif);
	return 0;
}
