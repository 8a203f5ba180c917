// SPDX-License-Identifier: GPL-2.0-or-later
/* The known ways a redirect fails silently, checked before it is made. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/inet_diag.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "preflight.h"
#include "probe.h"
#include "ruleset.h"

static void add(struct preflight *pf, enum preflight_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add(struct preflight *pf, enum preflight_level level, const char *fmt, ...)
{
	va_list ap;

	if (pf->n == PREFLIGHT_MAX)
		return;
	pf->items[pf->n].level = level;
	va_start(ap, fmt);
	vsnprintf(pf->items[pf->n].text, sizeof(pf->items[pf->n].text), fmt, ap);
	va_end(ap);
	pf->n++;
	if (level == PF_REFUSE)
		pf->refused = true;
}

/* ---- NEW's mail ports ---- */

static void check_probe(const struct spec *spec, struct preflight *pf)
{
	static struct probe probes[PROBE_MAX];
	unsigned int i, n = probe_plan(spec, probes), good = 0;
	char addr[ADDRESS_STRLEN];

	probe_run(probes, n, PROBE_TIMEOUT_MS);
	for (i = 0; i < n; i++) {
		if (probes[i].ok) {
			good++;
			continue;
		}
		add(pf, PF_REFUSE, "the new server %s, port %u (%s): %s",
		    address_str(&probes[i].target, addr), probes[i].svc.port,
		    probes[i].svc.name, probes[i].got);
	}
	if (good == n && n == 1)
		add(pf, PF_INFO, "the new server answers like a mail server on the port probed");
	else if (good == n)
		add(pf, PF_INFO, "the new server answers like a mail server on all %u ports probed",
		    n);
}

/* ---- the route to NEW ---- */

static const char *route_problem(unsigned char type)
{
	switch (type) {
	case RTN_LOCAL: return "routes back to this host itself (a loop)";
	case RTN_UNREACHABLE: return "is unreachable from here (an unreachable route)";
	case RTN_BLACKHOLE: return "is routed into a blackhole here";
	case RTN_PROHIBIT: return "is routed to a prohibit route here";
	default: return NULL;
	}
}

/* Asks the kernel for its route to @a, as `ip route get` does. */
static int route_type(const struct address *a, unsigned char *type)
{
	char buf[8192];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	ssize_t n;
	int err = 0;

	if (!nl)
		return -errno;
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)a->family;
	rtm->rtm_dst_len = a->family == AF_INET ? 32 : 128;
	mnl_attr_put(nlh, RTA_DST, a->family == AF_INET ? 4 : 16, &a->in);
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ||
	    (n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) < 0) {
		err = -errno;
	} else if (nlh->nlmsg_type == NLMSG_ERROR) {
		err = ((struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error;
	} else {
		*type = ((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_type;
	}
	mnl_socket_close(nl);
	return err;
}

static void check_route(const struct address *to, struct preflight *pf)
{
	char addr[ADDRESS_STRLEN];
	unsigned char type = RTN_UNSPEC;
	const char *problem;
	int err = route_type(to, &type);

	address_str(to, addr);
	if (err == -ENETUNREACH || err == -EHOSTUNREACH)
		add(pf, PF_REFUSE,
		    "the new server %s is unreachable from this host (no usable route)",
		    addr);
	else if (err)
		add(pf, PF_WARN, "cannot look up the route to %s: %s", addr, strerror(-err));
	else if ((problem = route_problem(type)))
		add(pf, PF_REFUSE, "the new server %s %s", addr, problem);
}

/* ---- forward chains of other tables ---- */

struct chains_ctx {
	struct nft_sock *nft;
	int families;			/* 1 IPv4, 2 IPv6 */
	struct {
		uint32_t family;
		char table[64], chain[64];
		bool policy_drop;
	} forward[16];
	unsigned int n;
};

static bool family_relevant(uint32_t family, int families)
{
	return family == NFPROTO_INET || (family == NFPROTO_IPV4 && (families & 1)) ||
	       (family == NFPROTO_IPV6 && (families & 2));
}

static void note_chain(struct nftnl_chain *c, void *data)
{
	struct chains_ctx *ctx = data;
	uint32_t family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);

	if (!nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) ||
	    nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) != NF_INET_FORWARD ||
	    !family_relevant(family, ctx->families) || ctx->n == 16 ||
	    (family == NFPROTO_INET &&
	     !strcmp(NFT_STR(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE)), TABLE_NAME)))
		return;
	ctx->forward[ctx->n].family = family;
	snprintf(ctx->forward[ctx->n].table, 64, "%s",
		 NFT_STR(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE)));
	snprintf(ctx->forward[ctx->n].chain, 64, "%s",
		 NFT_STR(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME)));
	ctx->forward[ctx->n].policy_drop = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) &&
					   nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_DROP;
	ctx->n++;
}

/* What one rule of a forward chain does, as far as this check cares. */
struct rule_shape {
	bool ct_mark, ct_dnat, accept, drops;
	unsigned int exprs, others;
};

static int look_at_expr(struct nftnl_expr *e, void *data)
{
	struct rule_shape *r = data;
	const char *name = NFT_STR(nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
	uint32_t len;

	r->exprs++;
	if (!strcmp(name, "ct") && nftnl_expr_is_set(e, NFTNL_EXPR_CT_DREG)) {
		uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY);

		r->ct_mark |= key == NFT_CT_MARK;
		r->ct_dnat |= key == NFT_CT_STATUS;
		r->others += key != NFT_CT_MARK && key != NFT_CT_STATUS;
	} else if (!strcmp(name, "bitwise") && (r->ct_mark || r->ct_dnat)) {
		const uint32_t *mask = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &len);

		if (len != 4 || !mask)
			r->ct_mark = r->ct_dnat = false;
		else {
			r->ct_mark &= (*mask & CT_MARK_BIT) != 0;
			r->ct_dnat &= (*mask & IPS_DST_NAT) != 0;
		}
	} else if (!strcmp(name, "immediate") && nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT)) {
		int32_t v = (int32_t)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);

		r->accept = v == NF_ACCEPT;
		r->drops = v == NF_DROP;
	} else if (!strcmp(name, "reject")) {
		r->drops = true;
	} else if (strcmp(name, "counter") && strcmp(name, "log") && strcmp(name, "cmp")) {
		r->others++;
	}
	return 0;
}

struct rules_ctx {
	bool lets_through;	/* an accept of our mark, or of DNATed flows */
	bool drops_at_end;	/* the last rule drops or rejects everything */
};

/* Rules come in order; the last one seen decides drops_at_end. */
static int look_at_rule(const struct nlmsghdr *nlh, void *data)
{
	struct rules_ctx *ctx = data;
	struct rule_shape shape = { false };
	struct nftnl_rule *r;

	if (!nft_is_reply(nlh, NFT_MSG_NEWRULE))
		return 0;
	r = nftnl_rule_alloc();
	if (!r)
		return -ENOMEM;
	if (nftnl_rule_nlmsg_parse(nlh, r) == 0) {
		nftnl_expr_foreach(r, look_at_expr, &shape);
		if (shape.accept && (shape.ct_mark || shape.ct_dnat))
			ctx->lets_through = true;
		/* unconditional: nothing but counter, log and the verdict */
		ctx->drops_at_end = shape.drops && shape.others == 0 &&
				    shape.exprs <= 3 && !shape.ct_mark && !shape.ct_dnat;
	}
	nftnl_rule_free(r);
	return 0;
}

static const char *family_name(uint32_t family)
{
	return family == NFPROTO_IPV4 ? "ip" : family == NFPROTO_IPV6 ? "ip6" : "inet";
}

static void report_forward_drop(struct preflight *pf, const char *fam, const char *table,
				const char *chain, bool policy_drop)
{
	char iptables[160] = "";

	/* iptables-nft keeps its FORWARD chain in table filter */
	if (!strcmp(table, "filter") && !strcmp(chain, "FORWARD"))
		snprintf(iptables, sizeof(iptables),
			 "\n  (iptables: %s -I FORWARD -m connmark --mark 0x%x/0x%x -j ACCEPT)",
			 strcmp(fam, "ip6") ? "iptables" : "ip6tables", CT_MARK_BIT, CT_MARK_BIT);
	add(pf, PF_REFUSE,
	    "table %s %s, chain %s %s: the redirected connections would be dropped there "
	    "(an accept in our table cannot override it). Let them through with\n"
	    "    nft insert rule %s %s %s ct mark and 0x%08x == 0x%08x accept%s\n"
	    "where whatever manages that table (firewalld, Docker, your nftables.conf) keeps it, "
	    "then enable again",
	    fam, table, chain, policy_drop ? "drops by default" : "ends in a drop or reject",
	    fam, table, chain, CT_MARK_BIT, CT_MARK_BIT, iptables);
}

static int check_forward(const struct spec *spec, struct nft_sock *nft, struct preflight *pf,
			 struct errmsg *e)
{
	static struct chains_ctx ctx;
	unsigned int i;
	int err;

	memset(&ctx, 0, sizeof(ctx));
	ctx.families = (spec->has_to4 ? 1 : 0) | (spec->has_to6 ? 2 : 0);
	err = nft_dump_chains(nft, note_chain, &ctx, e);
	for (i = 0; !err && i < ctx.n; i++) {
		struct rules_ctx rules = { false, false };
		const char *fam = family_name(ctx.forward[i].family);

		err = nft_dump_rules(nft, ctx.forward[i].family, ctx.forward[i].table,
				     ctx.forward[i].chain, look_at_rule, &rules, e);
		if (err || rules.lets_through ||
		    (!ctx.forward[i].policy_drop && !rules.drops_at_end))
			continue;
		report_forward_drop(pf, fam, ctx.forward[i].table, ctx.forward[i].chain,
				    ctx.forward[i].policy_drop);
	}
	return err;
}

/* ---- what netlink cannot see, and what /proc says ---- */

static bool file_has_words(const char *path, char *words, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t used = 0;
	char line[64];

	words[0] = '\0';
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f) && used + 2 < len) {
		line[strcspn(line, "\n")] = '\0';
		used += (size_t)snprintf(words + used, len - used, "%s%s", used ? ", " : "", line);
	}
	fclose(f);
	return used > 0;
}

static void check_legacy(const struct spec *spec, struct preflight *pf)
{
	char tables[128];

	if (spec->has_to4 && file_has_words("/proc/net/ip_tables_names", tables, sizeof(tables)))
		add(pf, PF_WARN, "iptables-legacy tables are loaded here (%s); "
		    "netlink cannot see them: "
		    "check `iptables-legacy -S FORWARD` for a DROP policy", tables);
	if (spec->has_to6 && file_has_words("/proc/net/ip6_tables_names", tables, sizeof(tables)))
		add(pf, PF_WARN, "ip6tables-legacy tables are loaded here (%s); "
		    "netlink cannot see them: "
		    "check `ip6tables-legacy -S FORWARD` for a DROP policy", tables);
}

static long read_number(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void check_conntrack_fill(struct preflight *pf)
{
	long count = read_number("/proc/sys/net/netfilter/nf_conntrack_count");
	long max = read_number("/proc/sys/net/netfilter/nf_conntrack_max");

	if (count >= 0 && max > 0 && count * 100 > max * 80)
		add(pf, PF_WARN, "the conntrack table is %ld%% full (%ld of %ld): new connections, "
		    "redirected ones too, are dropped when it is full; raise "
		    "net.netfilter.nf_conntrack_max",
		    count * 100 / max, count, max);
}

static bool loopback(const struct address *a)
{
	return a->family == AF_INET ? (ntohl(a->in.v4.s_addr) >> 24) == 127 :
				      IN6_IS_ADDR_LOOPBACK(&a->in.v6);
}

struct listeners {
	const struct spec *spec;
	int family;
	char *out;
	size_t len;
};

static int listener_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct listeners *l = data;
	struct address a = { .family = l->family };
	uint16_t port;
	size_t used = strlen(l->out);
	unsigned int i;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_OK;
	memcpy(&a.in, m->id.idiag_src, l->family == AF_INET ? 4 : 16);
	port = ntohs(m->id.idiag_sport);
	if (loopback(&a))	/* bound to loopback only: not reachable from outside anyway */
		return MNL_CB_OK;
	for (i = 0; i < l->spec->nservices; i++)
		if (l->spec->services[i].port == port && used + 24 < l->len &&
		    !strstr(l->out, l->spec->services[i].name))
			used += (size_t)snprintf(l->out + used, l->len - used, "%s%s %u",
						 used ? ", " : "", l->spec->services[i].name, port);
	return MNL_CB_OK;
}

/*
 * Sockets listening on a redirected port on a non-loopback address, from
 * sock_diag as ss asks for them: only the listening hash is walked, where
 * /proc/net/tcp walks every socket of every namespace.
 */
static void listening_ports(const struct spec *spec, int family, char *out, size_t len)
{
	struct listeners l = { spec, family, out, len };
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	char buf[16384];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *req;
	uint32_t seq = (uint32_t)time(NULL);
	ssize_t n;
	int rc = MNL_CB_OK;

	if (!nl)
		return;
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (uint8_t)family;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_states = 1U << TCP_LISTEN;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0 &&
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) >= 0)
		while (rc > MNL_CB_STOP && (n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0)
			rc = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl),
					listener_cb, &l);
	mnl_socket_close(nl);
}

static void check_local_daemons(const struct spec *spec, struct preflight *pf)
{
	char ports[256] = "";

	listening_ports(spec, AF_INET, ports, sizeof(ports));
	listening_ports(spec, AF_INET6, ports, sizeof(ports));
	if (ports[0])
		add(pf, PF_INFO, "something on this host still listens on %s: once enabled "
		    "it gets no new connections from outside (stop the old daemons after the "
		    "final sync)", ports);
}

static void explain_masquerade(const struct spec *spec, struct preflight *pf)
{
	if (!spec->masquerade) {
		add(pf, PF_INFO, "masquerade is off: the new server sees the real clients, and "
		    "must send its replies back through this host (its route to the clients must "
		    "point here)");
		return;
	}
	add(pf, PF_WARN, "masquerade is on: the new server sees every redirected client as "
	    "this host. This host's address must not be in the new server's mynetworks or any "
	    "other trust list, or it relays mail for anyone (an open relay); fail2ban, "
	    "postscreen, RBL and SPF checks there see this host, not the client (fail2ban may "
	    "ban it). --no-masquerade keeps the client's address; --exclude keeps chosen "
	    "sources off the redirect");
}

int preflight_run(const struct spec *spec, struct nft_sock *nft, bool probe,
		  struct preflight *out, struct errmsg *e)
{
	memset(out, 0, sizeof(*out));
	if (spec->has_to4)
		check_route(&spec->to4, out);
	if (spec->has_to6)
		check_route(&spec->to6, out);
	if (probe)
		check_probe(spec, out);
	check_legacy(spec, out);
	check_conntrack_fill(out);
	check_local_daemons(spec, out);
	explain_masquerade(spec, out);
	return check_forward(spec, nft, out, e);
}
