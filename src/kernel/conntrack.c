// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Conntrack: the redirected flows open now. libnetfilter_conntrack builds
 * the request and parses the replies, libmnl does the I/O (as
 * conntrack-tools does); the dump is filtered by our mark in the kernel.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>

#include "kernel/conntrack.h"
#include "kernel/sysctl.h"
#include "lib/owned.h"

#define CT_RECV_SIZE (64 * 1024)

struct timeouts {
	uint32_t established;	/* what an established flow gets back at each packet */
	uint32_t unacknowledged; /* what it gets while data is in flight */
	uint32_t syn_sent;	/* what a SYN gets while no answer comes */
};

struct dump_ctx {
	struct timeouts timeouts;
	ct_flow_cb cb;
	void *data;
};

/* Half-open (SYN_SENT, SYN_RECV) or closed down (TIME_WAIT, CLOSE): not in use. */
static bool state_open(uint8_t state)
{
	return state == TCP_CONNTRACK_ESTABLISHED || state == TCP_CONNTRACK_FIN_WAIT ||
	       state == TCP_CONNTRACK_CLOSE_WAIT || state == TCP_CONNTRACK_LAST_ACK;
}

static uint32_t read_timeout(const char *name, uint32_t fallback)
{
	char path[128];
	unsigned int v = fallback;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_%s", name);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = fallback;
		fclose(f);
	}
	return v;
}

static struct timeouts read_timeouts(void)
{
	struct timeouts t = {
		.established = read_timeout("established", 432000),
		.unacknowledged = read_timeout("unacknowledged", 300),
		.syn_sent = read_timeout("syn_sent", 120),
	};

	return t;
}

/*
 * How long an established flow has been silent, from the timeout it has
 * left: each packet resets it to the established timeout. While data is
 * in flight the kernel uses the short unacknowledged timeout instead:
 * that flow is busy right now, not idle for days.
 */
static uint32_t idle_seconds(uint32_t left, const struct timeouts *t)
{
	if (left <= t->unacknowledged || left >= t->established)
		return 0;
	return t->established - left;
}

/*
 * The replies are parsed here with libmnl's checked attribute walk, not
 * with nfct_nlmsg_parse(): that one exit()s the process on an attribute it
 * finds malformed ("ctnetlink kernel ABI is broken"), which a tool that
 * may be in the middle of a change must not do. Only what stats needs is
 * read: the original tuple, the TCP state, the timeout, the byte counters.
 */
struct attrs {
	const struct nlattr *tb[CTA_MAX + 1];
	unsigned int max;
};

static int keep_attr(const struct nlattr *attr, void *data)
{
	struct attrs *a = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type <= a->max)
		a->tb[type] = attr;
	return MNL_CB_OK;
}

static bool nested(const struct nlattr *attr, unsigned int max, struct attrs *out)
{
	memset(out, 0, sizeof(*out));
	out->max = max;
	return attr && mnl_attr_validate(attr, MNL_TYPE_NESTED) == 0 &&
	       mnl_attr_parse_nested(attr, keep_attr, out) == MNL_CB_OK;
}

static bool fixed(const struct nlattr *attr, size_t len)
{
	return attr && mnl_attr_validate2(attr, MNL_TYPE_UNSPEC, len) == 0;
}

/* One address of a tuple: @v4 and @v6 are its attribute types (source or destination). */
static bool tuple_addr(const struct attrs *ip, int family, unsigned int v4, unsigned int v6,
		       struct address *out)
{
	out->family = family;
	if (family == AF_INET && fixed(ip->tb[v4], 4))
		memcpy(&out->in.v4, mnl_attr_get_payload(ip->tb[v4]), 4);
	else if (family == AF_INET6 && fixed(ip->tb[v6], 16))
		memcpy(&out->in.v6, mnl_attr_get_payload(ip->tb[v6]), 16);
	else
		return false;
	return true;
}

static bool parse_tuple(const struct nlattr *tuple, int family, struct ct_flow *f, uint8_t *proto)
{
	struct attrs t, ip, pr;

	if (!nested(tuple, CTA_TUPLE_MAX, &t) || !nested(t.tb[CTA_TUPLE_IP], CTA_IP_MAX, &ip) ||
	    !nested(t.tb[CTA_TUPLE_PROTO], CTA_PROTO_MAX, &pr) || !fixed(pr.tb[CTA_PROTO_NUM], 1))
		return false;
	*proto = mnl_attr_get_u8(pr.tb[CTA_PROTO_NUM]);
	if (!tuple_addr(&ip, family, CTA_IP_V4_SRC, CTA_IP_V6_SRC, &f->client) ||
	    !tuple_addr(&ip, family, CTA_IP_V4_DST, CTA_IP_V6_DST, &f->dest) ||
	    !fixed(pr.tb[CTA_PROTO_DST_PORT], 2) || !fixed(pr.tb[CTA_PROTO_SRC_PORT], 2))
		return false;
	f->port = ntohs(mnl_attr_get_u16(pr.tb[CTA_PROTO_DST_PORT]));
	f->sport = ntohs(mnl_attr_get_u16(pr.tb[CTA_PROTO_SRC_PORT]));
	return true;
}

/* The reply's source: where the flow was redirected to; its destination: the client, unless masqueraded. */
static void parse_target(const struct nlattr *tuple, int family, struct ct_flow *f)
{
	struct address to = { .family = 0 };
	struct attrs t, ip;

	if (!nested(tuple, CTA_TUPLE_MAX, &t) || !nested(t.tb[CTA_TUPLE_IP], CTA_IP_MAX, &ip) ||
	    !tuple_addr(&ip, family, CTA_IP_V4_SRC, CTA_IP_V6_SRC, &f->target) ||
	    !tuple_addr(&ip, family, CTA_IP_V4_DST, CTA_IP_V6_DST, &to))
		memset(&f->target, 0, sizeof(f->target));
	f->masqueraded = to.family && !address_equal(&to, &f->client);
}

static uint8_t tcp_state(const struct nlattr *protoinfo)
{
	struct attrs info, tcp;

	if (!nested(protoinfo, CTA_PROTOINFO_MAX, &info) ||
	    !nested(info.tb[CTA_PROTOINFO_TCP], CTA_PROTOINFO_TCP_MAX, &tcp) ||
	    !fixed(tcp.tb[CTA_PROTOINFO_TCP_STATE], 1))
		return TCP_CONNTRACK_NONE;
	return mnl_attr_get_u8(tcp.tb[CTA_PROTOINFO_TCP_STATE]);
}

static uint64_t counter_bytes(const struct nlattr *counters)
{
	struct attrs c;

	if (!nested(counters, CTA_COUNTERS_MAX, &c) || !fixed(c.tb[CTA_COUNTERS_BYTES], 8))
		return 0;
	return be64toh(mnl_attr_get_u64(c.tb[CTA_COUNTERS_BYTES]));
}

/* A SYN NEW has not answered: each (re)sent SYN gives it the syn_sent timeout again. */
static void note_waiting(struct ct_flow *f, uint32_t left, const struct timeouts *timeouts)
{
	f->waiting = left < timeouts->syn_sent ? timeouts->syn_sent - left : 0;
	f->unanswered = f->waiting >= UNANSWERED_AFTER;
}

static bool parse_entry(const struct nlmsghdr *nlh, const struct timeouts *timeouts,
			struct ct_flow *f)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	struct attrs a = { .max = CTA_MAX };
	uint8_t proto = 0;

	memset(f, 0, sizeof(*f));
	if (nlh->nlmsg_type != (NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW) ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*nfg) ||
	    mnl_attr_parse(nlh, sizeof(*nfg), keep_attr, &a) != MNL_CB_OK ||
	    !parse_tuple(a.tb[CTA_TUPLE_ORIG], nfg->nfgen_family, f, &proto) ||
	    proto != IPPROTO_TCP)
		return false;
	parse_target(a.tb[CTA_TUPLE_REPLY], nfg->nfgen_family, f);
	f->tcp_state = tcp_state(a.tb[CTA_PROTOINFO]);
	f->closed = f->tcp_state == TCP_CONNTRACK_TIME_WAIT || f->tcp_state == TCP_CONNTRACK_CLOSE;
	if (fixed(a.tb[CTA_MARK], 4))
		f->mark = ntohl(mnl_attr_get_u32(a.tb[CTA_MARK]));
	if (f->tcp_state == TCP_CONNTRACK_ESTABLISHED && fixed(a.tb[CTA_TIMEOUT], 4))
		f->idle = idle_seconds(ntohl(mnl_attr_get_u32(a.tb[CTA_TIMEOUT])), timeouts);
	f->open = (f->mark & CT_MARK_ESTABLISHED) && state_open(f->tcp_state) &&
		  f->idle < IDLE_LIMIT;
	if (f->tcp_state == TCP_CONNTRACK_SYN_SENT && !(f->mark & CT_MARK_ANSWERED) &&
	    fixed(a.tb[CTA_TIMEOUT], 4))
		note_waiting(f, ntohl(mnl_attr_get_u32(a.tb[CTA_TIMEOUT])), timeouts);
	f->bytes = counter_bytes(a.tb[CTA_COUNTERS_ORIG]) + counter_bytes(a.tb[CTA_COUNTERS_REPLY]);
	return true;
}

static int entry_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *ctx = data;
	struct ct_flow flow;

	if (parse_entry(nlh, &ctx->timeouts, &flow))
		ctx->cb(&flow, ctx->data);
	return MNL_CB_OK;
}

int ct_flow_from_msg(const struct nlmsghdr *nlh, struct ct_flow *flow)
{
	const struct timeouts defaults = { 432000, 300, 120 };

	return parse_entry(nlh, &defaults, flow) ? 0 : -EINVAL;
}

static struct nlmsghdr *dump_request(char *buf, uint32_t seq)
{
	struct nfct_filter_dump_mark mark = { .val = CT_MARK_BIT, .mask = CT_MARK_BIT };
	struct nfct_filter_dump *filter = nfct_filter_dump_create();
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	if (!filter)
		return NULL;
	nfct_filter_dump_set_attr(filter, NFCT_FILTER_DUMP_MARK, &mark);
	nfct_nlmsg_build_filter(nlh, filter);
	nfct_filter_dump_destroy(filter);
	return nlh;
}

/* The replies to @nlh, into @buf (CT_RECV_SIZE), each entry through @ctx. */
static int receive(struct mnl_socket *nl, char *buf, const struct nlmsghdr *nlh,
		   struct dump_ctx *ctx)
{
	uint32_t seq = nlh->nlmsg_seq, portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int rc;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, CT_RECV_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		rc = mnl_cb_run(buf, (size_t)n, seq, portid, entry_cb, ctx);
	} while (rc > MNL_CB_STOP);
	return rc < 0 ? -errno : 0;
}

static int run_dump(struct mnl_socket *nl, struct dump_ctx *ctx)
{
	char *buf = calloc(1, CT_RECV_SIZE);
	struct nlmsghdr *nlh = buf ? dump_request(buf, (uint32_t)time(NULL)) : NULL;
	int err = nlh ? receive(nl, buf, nlh, ctx) : -ENOMEM;

	free(buf);
	return err;
}

static struct mnl_socket *ct_open(int *err)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);

	*err = nl ? 0 : -errno;
	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		*err = -errno;
		mnl_socket_close(nl);
		nl = NULL;
	}
	return nl;
}

int ct_dump_redirected(ct_flow_cb cb, void *data, struct errmsg *e)
{
	struct dump_ctx ctx = { .cb = cb, .data = data, .timeouts = read_timeouts() };
	int err;
	struct mnl_socket *nl = ct_open(&err);

	if (nl) {
		err = run_dump(nl, &ctx);
		mnl_socket_close(nl);
	}
	/* no conntrack in this namespace yet: nothing has been tracked */
	if (err == -ENOENT || err == -EAFNOSUPPORT)
		err = 0;
	if (err)
		return errmsg_set(e, err, "cannot read the conntrack table: %s",
				  err == -EPERM ? "permission denied (needs CAP_NET_ADMIN)" :
				  strerror(-err));
	return 0;
}

void ct_table_usage(int *count, int *max)
{
	if (sysctl_read("net/netfilter/nf_conntrack_count", count))
		*count = -1;
	if (sysctl_read("net/netfilter/nf_conntrack_max", max))
		*max = -1;
}

static void count_open(const struct ct_flow *flow, void *data)
{
	if (flow->open)
		(*(unsigned int *)data)++;
}

int ct_count_open(unsigned int *open, struct errmsg *e)
{
	*open = 0;
	return ct_dump_redirected(count_open, open, e);
}

/* ---- ending flows ---- */

struct pick_ctx {
	ct_flow_pick end;
	void *data;
	struct ct_flow *v;
	unsigned int n, cap;
	bool nomem;
};

static void collect(const struct ct_flow *flow, void *data)
{
	struct pick_ctx *c = data;
	struct ct_flow *v;

	if (!c->end(flow, c->data))
		return;
	if (c->n == c->cap) {
		v = realloc(c->v, (c->cap ? c->cap * 2 : 16) * sizeof(*v));
		if (!v) {
			c->nomem = true;
			return;
		}
		c->v = v;
		c->cap = c->cap ? c->cap * 2 : 16;
	}
	c->v[c->n++] = *flow;
}

/* The original tuple of @f, as conntrack -D takes it. */
static struct nf_conntrack *tuple_of(const struct ct_flow *f)
{
	struct nf_conntrack *ct = nfct_new();
	bool v4 = f->client.family == AF_INET;

	if (!ct)
		return NULL;
	nfct_set_attr_u8(ct, ATTR_ORIG_L3PROTO, (uint8_t)f->client.family);
	nfct_set_attr(ct, v4 ? ATTR_ORIG_IPV4_SRC : ATTR_ORIG_IPV6_SRC, &f->client.in);
	nfct_set_attr(ct, v4 ? ATTR_ORIG_IPV4_DST : ATTR_ORIG_IPV6_DST, &f->dest.in);
	nfct_set_attr_u8(ct, ATTR_ORIG_L4PROTO, IPPROTO_TCP);
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, htons(f->sport));
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, htons(f->port));
	return ct;
}

/* One entry deleted; gone meanwhile is as good. */
static int delete_one(struct mnl_socket *nl, char *buf, const struct ct_flow *f, uint32_t seq)
{
	struct nf_conntrack *ct = tuple_of(f);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	int rc;

	if (!ct)
		return -ENOMEM;
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)f->client.family;
	nfg->version = NFNETLINK_V0;
	nfct_nlmsg_build(nlh, ct);
	nfct_destroy(ct);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	rc = (int)mnl_socket_recvfrom(nl, buf, CT_RECV_SIZE);
	if (rc < 0)
		return -errno;
	rc = mnl_cb_run(buf, (size_t)rc, seq, mnl_socket_get_portid(nl), NULL, NULL);
	return rc < 0 && errno != ENOENT ? -errno : 0;
}

static int delete_all(const struct pick_ctx *c, unsigned int *ended)
{
	char *buf = calloc(1, CT_RECV_SIZE);
	int err = buf ? 0 : -ENOMEM;
	struct mnl_socket *nl = buf ? ct_open(&err) : NULL;
	unsigned int i;

	for (i = 0; nl && !err && i < c->n; i++)
		if (!(err = delete_one(nl, buf, &c->v[i], (uint32_t)time(NULL) + i)))
			(*ended)++;
	if (nl)
		mnl_socket_close(nl);
	free(buf);
	return err;
}

int ct_end_flows(ct_flow_pick end, void *data, unsigned int *ended, struct errmsg *e)
{
	struct pick_ctx c = { .end = end, .data = data };
	int err = ct_dump_redirected(collect, &c, e);

	*ended = 0;
	if (!err && c.nomem)
		err = errmsg_set(e, -ENOMEM, "out of memory for the sessions to end");
	if (!err && c.n && (err = delete_all(&c, ended)))
		errmsg_set(e, err, "cannot end the redirected sessions in conntrack: %s",
			   strerror(-err));
	free(c.v);
	return err;
}
