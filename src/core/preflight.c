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

#include "nft/firewall.h"
#include "core/preflight.h"
#include "core/probe.h"
#include "nft/ruleset.h"
#include "core/tunnel.h"

void preflight_add(struct preflight *pf, enum preflight_level level, const char *fmt, ...)
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
		preflight_add(pf, PF_REFUSE, "the new server %s, port %u (%s): %s",
		    address_str(&probes[i].target, addr), probes[i].svc.port,
		    probes[i].svc.name, probes[i].got);
	}
	if (good == n && n == 1)
		preflight_add(pf, PF_INFO, "the new server answers like a mail server on the port probed");
	else if (good == n)
		preflight_add(pf, PF_INFO, "the new server answers like a mail server on all %u ports probed",
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

static void check_route(struct rtnl_sock *rtnl, const struct address *to, const char *whose,
			struct preflight *pf)
{
	char addr[ADDRESS_STRLEN];
	struct route_info r;
	const char *problem;
	int err = route_get(rtnl, to, &r);

	address_str(to, addr);
	if (err == -ENETUNREACH || err == -EHOSTUNREACH)
		preflight_add(pf, PF_REFUSE, "the %s server %s is unreachable from this host (no usable "
		    "route)", whose, addr);
	else if (err)
		preflight_add(pf, PF_WARN, "cannot look up the route to %s: %s", addr, strerror(-err));
	else if ((problem = route_problem(r.type)))
		preflight_add(pf, PF_REFUSE, "the %s server %s %s", whose, addr, problem);
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
		preflight_add(pf, PF_WARN, "iptables-legacy tables are loaded here (%s); "
		    "netlink cannot see them: "
		    "check `iptables-legacy -S FORWARD` for a DROP policy", tables);
	if (spec->has_to6 && file_has_words("/proc/net/ip6_tables_names", tables, sizeof(tables)))
		preflight_add(pf, PF_WARN, "ip6tables-legacy tables are loaded here (%s); "
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
		preflight_add(pf, PF_WARN, "the conntrack table is %ld%% full (%ld of %ld): new connections, "
		    "redirected ones too, are dropped when it is full; raise "
		    "net.netfilter.nf_conntrack_max",
		    count * 100 / max, count, max);
}

static bool loopback(const struct address *a)
{
	return a->family == AF_INET ? (ntohl(a->in.v4.s_addr) >> 24) == 127 :
				      IN6_IS_ADDR_LOOPBACK(&a->in.v6);
}

/* One listening TCP socket: its address and port. */
typedef void (*listener_cb)(const struct address *a, uint16_t port, void *data);

struct listen_walk {
	int family;
	listener_cb cb;
	void *data;
};

static int listener_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct listen_walk *w = data;
	struct address a = { .family = w->family };

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_OK;
	memcpy(&a.in, m->id.idiag_src, w->family == AF_INET ? 4 : 16);
	w->cb(&a, ntohs(m->id.idiag_sport), w->data);
	return MNL_CB_OK;
}

/*
 * Every TCP socket listening in @family, from sock_diag as ss asks for
 * them: only the listening hash is walked, where /proc/net/tcp walks every
 * socket of every namespace.
 */
static void for_each_listener(int family, listener_cb cb, void *data)
{
	struct listen_walk w = { family, cb, data };
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
					listener_msg, &w);
	mnl_socket_close(nl);
}

/* OLD: a redirected port something here still listens on, outside loopback. */
struct still_listening {
	const struct spec *spec;
	char out[256];
};

static void note_old_listener(const struct address *a, uint16_t port, void *data)
{
	struct still_listening *l = data;
	size_t used = strlen(l->out);
	unsigned int i;

	if (loopback(a))	/* bound to loopback only: not reachable from outside anyway */
		return;
	for (i = 0; i < l->spec->nservices; i++)
		if (l->spec->services[i].port == port && used + 24 < sizeof(l->out) &&
		    !strstr(l->out, l->spec->services[i].name))
			used += (size_t)snprintf(l->out + used, sizeof(l->out) - used, "%s%s %u",
						 used ? ", " : "", l->spec->services[i].name, port);
}

static void check_local_daemons(const struct spec *spec, struct preflight *pf)
{
	struct still_listening l = { spec, "" };

	for_each_listener(AF_INET, note_old_listener, &l);
	for_each_listener(AF_INET6, note_old_listener, &l);
	if (l.out[0])
		preflight_add(pf, PF_INFO, "something on this host still listens on %s: once enabled "
		    "it gets no new connections from outside (stop the old daemons after the "
		    "final sync)", l.out);
}

/*
 * NEW: whether each service has a server that answers at the tunnel
 * address (listening on all addresses, or on that one), and where one
 * listens that would not.
 */
struct tunnel_listeners {
	const struct spec *spec;
	bool answers[SPEC_MAX_SERVICES];
	struct address elsewhere[SPEC_MAX_SERVICES];
};

static bool unspecified(const struct address *a)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	return a->family == AF_INET ? a->in.v4.s_addr == htonl(INADDR_ANY) :
				      !memcmp(&a->in.v6, &any6, sizeof(any6));
}

static void note_new_listener(const struct address *a, uint16_t port, void *data)
{
	struct tunnel_listeners *l = data;
	unsigned int i;

	for (i = 0; i < l->spec->nservices; i++) {
		if (l->spec->services[i].port != port)
			continue;
		if (unspecified(a) || address_equal(a, tunnel_target(a->family)))
			l->answers[i] = true;
		else if (!loopback(a))
			l->elsewhere[i] = *a;
	}
}

static void check_new_listeners(const struct spec *spec, struct preflight *pf)
{
	struct tunnel_listeners l = { .spec = spec };
	char addr[ADDRESS_STRLEN], tunnel[ADDRESS_STRLEN];
	unsigned int i;

	for_each_listener(AF_INET, note_new_listener, &l);
	for_each_listener(AF_INET6, note_new_listener, &l);
	for (i = 0; i < spec->nservices; i++) {
		const struct service *svc = &spec->services[i];

		if (l.answers[i])
			continue;
		if (l.elsewhere[i].family)
			preflight_add(pf, PF_REFUSE, "the server on port %u (%s) listens on %s only: it "
			    "would not answer the redirected connections at the tunnel address %s. "
			    "Make it listen on all addresses (Postfix: inet_interfaces = all; "
			    "Dovecot: listen = *, ::)", svc->port, svc->name,
			    address_str(&l.elsewhere[i], addr),
			    address_str(tunnel_target(l.elsewhere[i].family), tunnel));
		else
			preflight_add(pf, PF_WARN, "nothing listens on port %u (%s) here yet: the redirected "
			    "connections would be refused", svc->port, svc->name);
	}
}

/* ---- what NEW is told, what it risks ---- */

static void explain_masquerade(const struct spec *spec, struct preflight *pf)
{
	if (spec->keep_client_address) {
		preflight_add(pf, PF_INFO, "the client's address is kept: redirected connections travel "
		    "to the new server through the tunnel, and its SPF, postscreen, RBL and "
		    "fail2ban see the real client");
		return;
	}
	if (!spec->masquerade) {
		preflight_add(pf, PF_WARN, "--no-masquerade works only when the new server routes its "
		    "replies to every client back through this host (the same LAN, this host "
		    "its gateway); elsewhere on the internet every redirected connection hangs "
		    "unanswered. --keep-client-address keeps the client's address wherever the "
		    "new server is");
		return;
	}
	preflight_add(pf, PF_WARN, "masquerade is on: the new server sees every redirected client as "
	    "this host. Its SPF checks then reject mail from domains whose SPF record ends in "
	    "-all (Debian's policyd-spf answers 550 5.7.23, and the mail bounces); fail2ban "
	    "there may ban this host, and so every redirected client; postscreen and RBLs "
	    "judge this host; and if this host is in its mynetworks it relays mail for anyone "
	    "(an open relay). --keep-client-address keeps the client's address (run "
	    "`redirect accept --from` this host's address on the new server first); "
	    "--exclude keeps chosen sources off the redirect");
}

/* NEW: the table for the tunnel's replies must be free (we add its only route). */
static void check_route_table(struct rtnl_sock *rtnl, struct preflight *pf)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct errmsg e;
	unsigned int i, n;

	for (i = 0; i < 2; i++) {
		if (route_count_foreign(rtnl, families[i], TUNNEL_TABLE, &n, &e)) {
			preflight_add(pf, PF_WARN, "%s", e.text);
			continue;
		}
		if (n)
			preflight_add(pf, PF_REFUSE, "route table %d (%s) already holds routes here; the "
			    "tunnel's replies need it to themselves (ip %sroute show table %d)",
			    TUNNEL_TABLE, families[i] == AF_INET ? "IPv4" : "IPv6",
			    families[i] == AF_INET ? "" : "-6 ", TUNNEL_TABLE);
	}
}

/* ---- the probe through the tunnel ---- */

/*
 * What the probe of NEW's tunnel address says is missing. Silence on
 * every port: the tunnel does not reach NEW's end (NEW has not run
 * accept for the address this host sends from, or UDP 4789 is dropped);
 * a refusal: the tunnel works, the server does not listen there.
 */
static void explain_tunnel_probe(const struct probe *probes, unsigned int n,
				 const struct address *local, struct preflight *pf)
{
	char addr[ADDRESS_STRLEN], from[ADDRESS_STRLEN];
	unsigned int i, silent = 0;

	address_str(local, from);
	for (i = 0; i < n; i++)
		silent += probes[i].outcome == PROBE_SILENT;
	if (n && silent == n) {
		preflight_add(pf, PF_REFUSE, "nothing answers at the new server's tunnel address %s: the "
		    "new server has not run `redirect accept --from %s` (the address this host "
		    "sends from), or UDP port %d between the two is dropped (by a firewall on "
		    "either host, or on the way)", address_str(&probes[0].target, addr), from,
		    TUNNEL_PORT);
		return;
	}
	for (i = 0; i < n; i++) {
		if (probes[i].ok)
			continue;
		address_str(&probes[i].target, addr);
		if (probes[i].outcome == PROBE_REFUSED)
			preflight_add(pf, PF_REFUSE, "the new server's end of the tunnel answers, but nothing "
			    "listens on %s port %u (%s): its server listens on its public address "
			    "only (Postfix: inet_interfaces = all; Dovecot: listen = *, ::)", addr,
			    probes[i].svc.port, probes[i].svc.name);
		else
			preflight_add(pf, PF_REFUSE, "the new server, through the tunnel at %s, port %u (%s): %s",
			    addr, probes[i].svc.port, probes[i].svc.name, probes[i].got);
	}
	if (!pf->refused)
		preflight_add(pf, PF_INFO, "the new server answers like a mail server through the tunnel "
		    "on all %u ports probed", n);
}

void preflight_probe_tunnel(const struct spec *spec, const struct address *local,
			    struct preflight *pf)
{
	static struct probe probes[PROBE_MAX];
	unsigned int n = probe_plan_at(spec, spec->has_to4 ? tunnel_target(AF_INET) : NULL,
				       spec->has_to6 ? tunnel_target(AF_INET6) : NULL, probes);

	probe_run(probes, n, PROBE_TIMEOUT_MS);
	explain_tunnel_probe(probes, n, local, pf);
}

/* ---- all of it ---- */

static void check_old(const struct spec *spec, struct rtnl_sock *rtnl, bool probe,
		      struct preflight *out)
{
	if (spec->has_to4)
		check_route(rtnl, &spec->to4, "new", out);
	if (spec->has_to6)
		check_route(rtnl, &spec->to6, "new", out);
	if (probe && !spec->keep_client_address)	/* that one goes through the tunnel */
		check_probe(spec, out);
	check_local_daemons(spec, out);
	explain_masquerade(spec, out);
}

static void check_new(const struct spec *spec, struct rtnl_sock *rtnl, struct preflight *out)
{
	check_route(rtnl, spec_peer(spec), "old", out);
	check_route_table(rtnl, out);
	check_new_listeners(spec, out);
}

int preflight_run(const struct spec *spec, struct nft_sock *nft, struct rtnl_sock *rtnl,
		  bool probe, struct preflight *out, struct errmsg *e)
{
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (spec->role == ROLE_OLD)
		check_old(spec, rtnl, probe, out);
	else
		check_new(spec, rtnl, out);
	check_legacy(spec, out);
	check_conntrack_fill(out);
	if (spec->role == ROLE_OLD)
		err = firewall_check(spec, nft, NF_INET_FORWARD, out, e);
	if (!err && spec_tunnel(spec))
		err = firewall_check(spec, nft, NF_INET_LOCAL_IN, out, e);
	if (!err && spec->role == ROLE_OLD)
		err = firewall_mark_writers(nft, out, e);
	return err;
}
