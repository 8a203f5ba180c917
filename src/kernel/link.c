// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rtnetlink through libmnl: the socket, one request and its answer, and
 * the tunnel's VXLAN link, its addresses and its neighbours. Requests are
 * built attribute by attribute as iproute2 builds them for `ip link add
 * ... type vxlan`, `ip addr add` and `ip neigh replace` (route.c has the
 * rules and routes).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <libmnl/libmnl.h>

#include "lib/owned.h"
#include "kernel/link.h"
#include "kernel/netlink.h"

#define RECV_BUF (RTNL_BUF * 4)

int rtnl_open(struct rtnl_sock *s, struct errmsg *e)
{
	const struct timeval timeout = { .tv_sec = 10 };
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->buf = malloc(RECV_BUF);
	if (!s->buf)
		return errmsg_set(e, -ENOMEM, "out of memory");
	s->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!s->nl) {
		int err = -errno;

		rtnl_close(s);
		return errmsg_set(e, err, "cannot open a routing netlink socket: %s",
				  strerror(-err));
	}
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		rtnl_close(s);
		return errmsg_set(e, err, "cannot bind the routing netlink socket: %s",
				  strerror(-err));
	}
	mnl_socket_setsockopt(s->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	s->seq = (uint32_t)time(NULL);
	return 0;
}

void rtnl_close(struct rtnl_sock *s)
{
	if (s->nl)
		mnl_socket_close(s->nl);
	s->nl = NULL;
	free(s->buf);
	s->buf = NULL;
}

/* ---- one request, its replies until the ACK (or a dump's DONE) ---- */

struct reply {
	int error;			/* the kernel's, negative errno */
	struct nl_ext_ack ext;
	bool done;
};

static void handle_error(const struct nlmsghdr *nlh, struct reply *r)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

	r->done = true;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		r->error = -EBADMSG;
		return;
	}
	r->error = err->error > 0 || err->error < -4095 ? -EPROTO : err->error;
	if (r->error)
		nl_parse_ext_ack(nlh, &r->ext);
}

static int handle_batch(const char *buf, int len, uint32_t seq, rtnl_reply_cb cb, void *data,
			struct reply *r)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int err;

	for (; nlmsg_whole(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_seq != seq)
			continue;	/* a late reply to something earlier */
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			handle_error(nlh, r);
		} else if (nlh->nlmsg_type == NLMSG_DONE) {
			r->done = true;
		} else if (cb && (err = cb(nlh, data))) {
			return err;
		}
	}
	return 0;
}

static int request(struct rtnl_sock *s, struct nlmsghdr *nlh, rtnl_reply_cb cb, void *data,
		   struct reply *r)
{
	ssize_t n;
	int err;

	memset(r, 0, sizeof(*r));
	nlh->nlmsg_seq = ++s->seq;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while (!r->done) {
		n = mnl_socket_recvfrom(s->nl, s->buf, RECV_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		err = handle_batch(s->buf, (int)n, nlh->nlmsg_seq, cb, data, r);
		if (err)
			return err;
	}
	return 0;
}

int rtnl_request(struct rtnl_sock *s, struct nlmsghdr *nlh, rtnl_reply_cb cb, void *data,
		 int *error)
{
	struct reply r;
	int err = request(s, nlh, cb, data, &r);

	*error = r.error;
	return err;
}

/* A request of its own, or the kernel's answer to it, in words. */
int rtnl_talk(struct rtnl_sock *s, struct nlmsghdr *nlh, rtnl_reply_cb cb, void *data,
		int ok_error, const char *what, struct errmsg *e)
{
	struct reply r;
	int err = request(s, nlh, cb, data, &r);

	if (err)
		return errmsg_set(e, err, "cannot %s: talking to the kernel failed: %s", what,
				  strerror(-err));
	if (!r.error || r.error == ok_error)
		return 0;
	if (r.ext.msg[0])
		return errmsg_set(e, r.error, "cannot %s: %s (kernel says: %s)", what,
				  strerror(-r.error), r.ext.msg);
	return errmsg_set(e, r.error, "cannot %s: %s", what, strerror(-r.error));
}

struct nlmsghdr *rtnl_start(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, RTNL_BUF);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	return nlh;
}

size_t rtnl_addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* ---- links ---- */

struct link_ctx {
	struct vxlan_link *out;
};

static int vxlan_data_cb(const struct nlattr *a, void *data)
{
	struct vxlan_link *l = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_VXLAN_ID:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			l->vni = mnl_attr_get_u32(a);
		break;
	case IFLA_VXLAN_PORT:
		if (mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			l->port = ntohs(mnl_attr_get_u16(a));
		break;
	case IFLA_VXLAN_LEARNING:
		if (mnl_attr_validate(a, MNL_TYPE_U8) == 0)
			l->learning = mnl_attr_get_u8(a) != 0;
		break;
	case IFLA_VXLAN_GROUP:
	case IFLA_VXLAN_LOCAL:
	case IFLA_VXLAN_GROUP6:
	case IFLA_VXLAN_LOCAL6: {
		bool v6 = mnl_attr_get_type(a) == IFLA_VXLAN_GROUP6 ||
			  mnl_attr_get_type(a) == IFLA_VXLAN_LOCAL6;
		bool local = mnl_attr_get_type(a) == IFLA_VXLAN_LOCAL ||
			     mnl_attr_get_type(a) == IFLA_VXLAN_LOCAL6;
		struct address *addr = local ? &l->local : &l->remote;

		if (mnl_attr_get_payload_len(a) != (v6 ? 16 : 4))
			break;
		addr->family = v6 ? AF_INET6 : AF_INET;
		memcpy(&addr->in, mnl_attr_get_payload(a), v6 ? 16 : 4);
		break;
	}
	}
	return MNL_CB_OK;
}

static int linkinfo_cb(const struct nlattr *a, void *data)
{
	struct vxlan_link *l = data;

	if (mnl_attr_get_type(a) == IFLA_INFO_KIND && mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
		l->is_vxlan = !strcmp(mnl_attr_get_str(a), "vxlan");
	else if (mnl_attr_get_type(a) == IFLA_INFO_DATA &&
		 mnl_attr_validate(a, MNL_TYPE_NESTED) == 0)
		mnl_attr_parse_nested(a, vxlan_data_cb, l);
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *a, void *data)
{
	struct vxlan_link *l = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_MTU:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			l->mtu = mnl_attr_get_u32(a);
		break;
	case IFLA_ADDRESS:
		if (mnl_attr_get_payload_len(a) == sizeof(l->mac))
			memcpy(l->mac, mnl_attr_get_payload(a), sizeof(l->mac));
		break;
	case IFLA_IFALIAS:
		if (mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
			snprintf(l->alias, sizeof(l->alias), "%.*s",
				 (int)mnl_attr_get_payload_len(a), mnl_attr_get_str(a));
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) == 0)
			mnl_attr_parse_nested(a, linkinfo_cb, l);
		break;
	}
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_ctx *ctx = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return 0;
	ctx->out->exists = true;
	ctx->out->ifindex = ifi->ifi_index;
	ctx->out->up = (ifi->ifi_flags & IFF_UP) != 0;
	ctx->out->noarp = (ifi->ifi_flags & IFF_NOARP) != 0;
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, ctx->out);
	return 0;
}

int link_get(struct rtnl_sock *s, const char *name, struct vxlan_link *out, struct errmsg *e)
{
	char buf[RTNL_BUF], what[64];
	struct nlmsghdr *nlh = rtnl_start(buf, RTM_GETLINK, 0);
	struct link_ctx ctx = { out };
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	memset(out, 0, sizeof(*out));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	snprintf(what, sizeof(what), "look up link %s", name);
	return rtnl_talk(s, nlh, link_cb, &ctx, -ENODEV, what, e);
}

static void put_addr(struct nlmsghdr *nlh, uint16_t v4_type, uint16_t v6_type,
		     const struct address *a)
{
	mnl_attr_put(nlh, a->family == AF_INET ? v4_type : v6_type, rtnl_addr_len(a->family), &a->in);
}

/* What `ip link add NAME type vxlan id VNI local L remote R dstport P nolearning` sends. */
static void put_vxlan(struct nlmsghdr *nlh, const struct vxlan_params *p)
{
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO), *data;

	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vxlan");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_VXLAN_ID, p->vni);
	put_addr(nlh, IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6, &p->remote);
	put_addr(nlh, IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6, &p->local);
	mnl_attr_put_u16(nlh, IFLA_VXLAN_PORT, htons(p->port));
	mnl_attr_put_u8(nlh, IFLA_VXLAN_LEARNING, 0);
	if (p->remote.family == AF_INET6)	/* IPv6 needs a UDP checksum */
		mnl_attr_put_u8(nlh, IFLA_VXLAN_UDP_CSUM, 1);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
}

/*
 * addrgenmode none: no fe80:: address, so no router solicitation into the
 * tunnel (the kernel takes it of a link that exists, not at creation).
 */
static void put_no_link_local(struct nlmsghdr *nlh)
{
	struct nlattr *spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC), *inet6;

	inet6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, inet6);
	mnl_attr_nest_end(nlh, spec);
}

int link_create_vxlan(struct rtnl_sock *s, const struct vxlan_params *p, int *ifindex,
		      struct errmsg *e)
{
	char buf[RTNL_BUF], what[64];
	struct nlmsghdr *nlh = rtnl_start(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct vxlan_link made;
	int err;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = IFF_NOARP;	/* neighbours are permanent: no ARP, no ND */
	ifi->ifi_change = IFF_NOARP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, p->name);
	if (p->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, p->mtu);
	mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(p->mac), p->mac);
	put_vxlan(nlh, p);
	snprintf(what, sizeof(what), "create the tunnel link %s", p->name);
	err = rtnl_talk(s, nlh, NULL, NULL, 0, what, e);
	if (!err)
		err = link_get(s, p->name, &made, e);
	if (!err && !made.exists)
		err = errmsg_set(e, -ENODEV, "the tunnel link %s vanished once made", p->name);
	*ifindex = made.ifindex;
	/* a new link takes no alias: that is a change of the link made */
	return err ? err : link_set_alias(s, made.ifindex, p->alias, e);
}

int link_set_alias(struct rtnl_sock *s, int ifindex, const char *alias, struct errmsg *e)
{
	char buf[RTNL_BUF];
	struct nlmsghdr *nlh = rtnl_start(buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	mnl_attr_put_strz(nlh, IFLA_IFALIAS, alias);
	put_no_link_local(nlh);
	return rtnl_talk(s, nlh, NULL, NULL, 0, "name the tunnel link's owner in its alias", e);
}

int link_set_up(struct rtnl_sock *s, int ifindex, struct errmsg *e)
{
	char buf[RTNL_BUF];
	struct nlmsghdr *nlh = rtnl_start(buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return rtnl_talk(s, nlh, NULL, NULL, 0, "bring the tunnel link up", e);
}

int link_delete(struct rtnl_sock *s, const char *name, struct errmsg *e)
{
	char buf[RTNL_BUF], what[64];
	struct nlmsghdr *nlh = rtnl_start(buf, RTM_DELLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	snprintf(what, sizeof(what), "delete the tunnel link %s", name);
	return rtnl_talk(s, nlh, NULL, NULL, -ENODEV, what, e);
}

struct mtu_ctx {
	unsigned int mtu;
};

static int mtu_attr_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == IFLA_MTU && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		((struct mtu_ctx *)data)->mtu = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int mtu_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWLINK &&
	    mnl_nlmsg_get_payload_len(nlh) >= sizeof(struct ifinfomsg))
		mnl_attr_parse(nlh, sizeof(struct ifinfomsg), mtu_attr_cb, data);
	return 0;
}

unsigned int link_mtu(struct rtnl_sock *s, int ifindex)
{
	char buf[RTNL_BUF];
	struct nlmsghdr *nlh = rtnl_start(buf, RTM_GETLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct mtu_ctx ctx = { 0 };
	struct reply r;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (request(s, nlh, mtu_cb, &ctx, &r) || r.error)
		return 0;
	return ctx.mtu;
}

/* ---- addresses and neighbours ---- */

int addr_add(struct rtnl_sock *s, int ifindex, const struct prefix *p, struct errmsg *e)
{
	char buf[RTNL_BUF], what[96], text[ADDRESS_STRLEN];
	struct nlmsghdr *nlh = rtnl_start(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = (uint8_t)p->addr.family;
	ifa->ifa_prefixlen = p->len;
	ifa->ifa_index = (uint32_t)ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	if (p->addr.family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;	/* a point-to-point link: no one to clash with */
	mnl_attr_put(nlh, IFA_LOCAL, rtnl_addr_len(p->addr.family), &p->addr.in);
	mnl_attr_put(nlh, IFA_ADDRESS, rtnl_addr_len(p->addr.family), &p->addr.in);
	snprintf(what, sizeof(what), "add the tunnel address %s", prefix_str(p, text));
	return rtnl_talk(s, nlh, NULL, NULL, -EEXIST, what, e);
}


int neigh_add_permanent(struct rtnl_sock *s, int ifindex, const struct address *a,
			const uint8_t mac[6], struct errmsg *e)
{
	char buf[RTNL_BUF], what[96], text[ADDRESS_STRLEN];
	struct nlmsghdr *nlh = rtnl_start(buf, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE);
	struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));

	ndm->ndm_family = (uint8_t)a->family;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_PERMANENT;
	mnl_attr_put(nlh, NDA_DST, rtnl_addr_len(a->family), &a->in);
	mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	snprintf(what, sizeof(what), "add the neighbour %s to the tunnel link", address_str(a, text));
	return rtnl_talk(s, nlh, NULL, NULL, 0, what, e);
}
