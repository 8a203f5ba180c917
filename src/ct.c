// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Conntrack: the redirected flows open now. libnetfilter_conntrack builds
 * the request and parses the replies, libmnl does the I/O (as
 * conntrack-tools does); the dump is filtered by our mark in the kernel.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>

#include "ct.h"
#include "ruleset.h"

#define CT_RECV_SIZE (64 * 1024)

struct dump_ctx {
	struct nf_conntrack *ct;
	uint32_t established_timeout;
	ct_flow_cb cb;
	void *data;
};

static bool state_open(uint8_t state)
{
	return state != TCP_CONNTRACK_TIME_WAIT && state != TCP_CONNTRACK_CLOSE;
}

/* The timeout an established flow gets back at each packet. */
static uint32_t read_established_timeout(void)
{
	FILE *f = fopen("/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established", "re");
	unsigned int v = 432000;

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 432000;
		fclose(f);
	}
	return v;
}

static void flow_from_ct(const struct nf_conntrack *ct, uint32_t established_timeout,
			 struct ct_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->client.family = nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO);
	if (f->client.family == AF_INET)
		f->client.in.v4.s_addr = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC);
	else
		memcpy(&f->client.in.v6, nfct_get_attr(ct, ATTR_ORIG_IPV6_SRC), 16);
	f->port = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
	f->tcp_state = nfct_get_attr_u8(ct, ATTR_TCP_STATE);
	if (f->tcp_state == TCP_CONNTRACK_ESTABLISHED && nfct_attr_is_set(ct, ATTR_TIMEOUT)) {
		uint32_t left = nfct_get_attr_u32(ct, ATTR_TIMEOUT);

		f->idle = left < established_timeout ? established_timeout - left : 0;
	}
	f->open = state_open(f->tcp_state) && f->idle < IDLE_LIMIT;
	if (nfct_attr_is_set(ct, ATTR_ORIG_COUNTER_BYTES))
		f->bytes = nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_BYTES) +
			   nfct_get_attr_u64(ct, ATTR_REPL_COUNTER_BYTES);
}

static int entry_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *ctx = data;
	struct ct_flow flow;

	if (nfct_nlmsg_parse(nlh, ctx->ct) < 0)
		return MNL_CB_OK;	/* not ours to judge: skip it */
	if (nfct_get_attr_u8(ctx->ct, ATTR_ORIG_L4PROTO) == IPPROTO_TCP) {
		flow_from_ct(ctx->ct, ctx->established_timeout, &flow);
		ctx->cb(&flow, ctx->data);
	}
	return MNL_CB_OK;
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

static int run_dump(struct mnl_socket *nl, struct dump_ctx *ctx)
{
	static char buf[CT_RECV_SIZE];
	uint32_t seq = (uint32_t)time(NULL), portid = mnl_socket_get_portid(nl);
	struct nlmsghdr *nlh = dump_request(buf, seq);
	ssize_t n;
	int rc;

	if (!nlh)
		return -ENOMEM;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		rc = mnl_cb_run(buf, (size_t)n, seq, portid, entry_cb, ctx);
	} while (rc > MNL_CB_STOP);
	return rc < 0 ? -errno : 0;
}

int ct_dump_redirected(ct_flow_cb cb, void *data, struct errmsg *e)
{
	struct dump_ctx ctx = { .cb = cb, .data = data,
				.established_timeout = read_established_timeout() };
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	int err = -ENOMEM;

	if (!nl)
		return errmsg_set(e, -errno, "cannot open a conntrack socket: %s", strerror(errno));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	ctx.ct = nfct_new();
	if (ctx.ct)
		err = run_dump(nl, &ctx);
out:
	if (ctx.ct)
		nfct_destroy(ctx.ct);
	mnl_socket_close(nl);
	/* no conntrack in this namespace yet: nothing has been tracked */
	if (err == -ENOENT || err == -EAFNOSUPPORT)
		err = 0;
	if (err)
		return errmsg_set(e, err, "cannot read the conntrack table: %s",
				  err == -EPERM ? "permission denied (needs CAP_NET_ADMIN)" : strerror(-err));
	return 0;
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
