// SPDX-License-Identifier: GPL-2.0-or-later
/* The known ways a redirect fails silently, checked before it is made. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/owned.h"
#include "kernel/conntrack.h"
#include "kernel/sock_diag.h"
#include "nft/firewall.h"
#include "core/preflight.h"
#include "core/probe.h"

/* ---- NEW's mail ports ---- */

static void check_probe(const struct spec *spec, struct findings *pf)
{
	struct probe probes[PROBE_MAX];
	unsigned int i, n = probe_plan(spec, probes), good = 0;
	char addr[ADDRESS_STRLEN];

	if (!n)
		return;
	probe_run(probes, n, PROBE_TIMEOUT_MS);
	for (i = 0; i < n; i++) {
		if (probes[i].ok) {
			good++;
			continue;
		}
		findings_add(pf, FINDING_REFUSE, "the new server %s, port %u (%s): %s",
		    address_str(&probes[i].target, addr), probes[i].svc.port,
		    probes[i].svc.name, probes[i].got);
	}
	if (good == n && n == 1)
		findings_add(pf, FINDING_INFO, "the new server answers like a mail server on the port probed");
	else if (good == n)
		findings_add(pf, FINDING_INFO, "the new server answers like a mail server on all %u ports probed",
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
			struct findings *pf)
{
	char addr[ADDRESS_STRLEN];
	struct route_info r;
	const char *problem;
	int err = route_get(rtnl, to, &r);

	address_str(to, addr);
	if (err == -ENETUNREACH || err == -EHOSTUNREACH)
		findings_add(pf, FINDING_REFUSE, "the %s server %s is unreachable from this host (no usable "
		    "route)", whose, addr);
	else if (err)
		findings_add(pf, FINDING_WARN, "cannot look up the route to %s: %s", addr, strerror(-err));
	else if ((problem = route_problem(r.type)))
		findings_add(pf, FINDING_REFUSE, "the %s server %s %s", whose, addr, problem);
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

static void check_legacy(const struct spec *spec, struct findings *pf)
{
	char tables[128];

	if (spec->has_to4 && file_has_words("/proc/net/ip_tables_names", tables, sizeof(tables)))
		findings_add(pf, FINDING_WARN, "iptables-legacy tables are loaded here (%s); "
		    "netlink cannot see them: "
		    "check `iptables-legacy -S FORWARD` for a DROP policy", tables);
	if (spec->has_to6 && file_has_words("/proc/net/ip6_tables_names", tables, sizeof(tables)))
		findings_add(pf, FINDING_WARN, "ip6tables-legacy tables are loaded here (%s); "
		    "netlink cannot see them: "
		    "check `ip6tables-legacy -S FORWARD` for a DROP policy", tables);
}

static void check_conntrack_fill(struct findings *pf)
{
	int count, max;

	ct_table_usage(&count, &max);
	if (conntrack_nearly_full(count, max))
		findings_add(pf, FINDING_WARN, "the conntrack table is %ld%% full (%d of %d): new "
			     "connections, redirected ones too, are dropped when it is full; "
			     "raise net.netfilter.nf_conntrack_max",
			     (long)count * 100 / max, count, max);
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

	if (address_loopback(a))	/* bound to loopback only: not reachable from outside anyway */
		return;
	for (i = 0; i < l->spec->nservices; i++)
		if (l->spec->services[i].port == port && used + 24 < sizeof(l->out) &&
		    !strstr(l->out, l->spec->services[i].name))
			used += (size_t)snprintf(l->out + used, sizeof(l->out) - used, "%s%s %u",
						 used ? ", " : "", l->spec->services[i].name, port);
}

static void check_local_daemons(const struct spec *spec, struct findings *pf)
{
	struct still_listening l = { spec, "" };

	tcp_listeners(AF_INET, note_old_listener, &l);
	tcp_listeners(AF_INET6, note_old_listener, &l);
	if (l.out[0])
		findings_add(pf, FINDING_INFO, "something on this host still listens on %s: once enabled "
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

static void note_new_listener(const struct address *a, uint16_t port, void *data)
{
	struct tunnel_listeners *l = data;
	struct address mine = tunnel_target(a->family, l->spec->tunnel_id);
	unsigned int i;

	for (i = 0; i < l->spec->nservices; i++) {
		if (l->spec->services[i].port != port)
			continue;
		if (address_unspecified(a) || address_equal(a, &mine))
			l->answers[i] = true;
		else if (!address_loopback(a))
			l->elsewhere[i] = *a;
	}
}

static void check_new_listeners(const struct spec *spec, struct findings *pf)
{
	struct tunnel_listeners l = { .spec = spec };
	char addr[ADDRESS_STRLEN], tunnel[ADDRESS_STRLEN];
	struct address mine;
	unsigned int i;

	tcp_listeners(AF_INET, note_new_listener, &l);
	tcp_listeners(AF_INET6, note_new_listener, &l);
	for (i = 0; i < spec->nservices; i++) {
		const struct service *svc = &spec->services[i];

		if (l.answers[i])
			continue;
		mine = tunnel_target(l.elsewhere[i].family ? l.elsewhere[i].family : AF_INET,
				     spec->tunnel_id);
		if (l.elsewhere[i].family)
			findings_add(pf, FINDING_REFUSE, "the server on port %u (%s) listens on %s only: it "
			    "would not answer the redirected connections at the tunnel address %s. "
			    "Make it listen on all addresses (Postfix: inet_interfaces = all; "
			    "Dovecot: listen = *, ::)", svc->port, svc->name,
			    address_str(&l.elsewhere[i], addr),
			    address_str(&mine, tunnel));
		else
			findings_add(pf, FINDING_WARN, "nothing listens on port %u (%s) here yet: the redirected "
			    "connections would be refused", svc->port, svc->name);
	}
}

/* ---- what NEW is told, what it risks ---- */

static void explain_masquerade(const struct spec *spec, struct findings *pf)
{
	if (spec->keep_client_address) {
		findings_add(pf, FINDING_INFO, "the client's address is kept: redirected connections travel "
		    "to the new server through the tunnel, and its SPF, postscreen, RBL and "
		    "fail2ban see the real client");
		return;
	}
	if (!spec->masquerade) {
		findings_add(pf, FINDING_WARN, "--no-masquerade works only when the new server routes its "
		    "replies to every client back through this host (the same LAN, this host "
		    "its gateway); elsewhere on the internet every redirected connection hangs "
		    "unanswered. --keep-client-address keeps the client's address wherever the "
		    "new server is");
		return;
	}
	findings_add(pf, FINDING_WARN, "masquerade is on: the new server sees every redirected client as "
	    "this host. Its SPF checks then reject mail from domains whose SPF record ends in "
	    "-all (Debian's policyd-spf answers 550 5.7.23, and the mail bounces); fail2ban "
	    "there may ban this host, and so every redirected client; postscreen and RBLs "
	    "judge this host; and if this host is in its mynetworks it relays mail for anyone "
	    "(an open relay). --keep-client-address keeps the client's address (run "
	    "`redirect accept --from` this host's address on the new server first); "
	    "--exclude keeps chosen sources off the redirect");
}

/* NEW: the table for the tunnel's replies must be free (we add its only route). */
static void check_route_table(struct rtnl_sock *rtnl, struct findings *pf)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct errmsg e;
	unsigned int i, n;

	for (i = 0; i < 2; i++) {
		if (route_count_foreign(rtnl, families[i], TUNNEL_TABLE, &n, &e)) {
			findings_add(pf, FINDING_WARN, "%s", e.text);
			continue;
		}
		if (n)
			findings_add(pf, FINDING_REFUSE, "route table %d (%s) already holds routes here; the "
			    "tunnel's replies need it to themselves (ip %sroute show table %d)",
			    TUNNEL_TABLE, families[i] == AF_INET ? "IPv4" : "IPv6",
			    families[i] == AF_INET ? "" : "-6 ", TUNNEL_TABLE);
	}
}

/* ---- the probe through the tunnel ---- */

/*
 * What the probe of NEW's tunnel address says is missing. Silence on
 * every port: the tunnel does not reach NEW's end. What is known is only
 * that: NEW may not accept this host (or see its packets from another
 * address, behind NAT: its stats names it), UDP 4789 may be dropped on the
 * way, the id may be another. A refusal: the tunnel works, the server
 * does not listen there.
 */
static void explain_tunnel_probe(const struct spec *spec, const struct probe *probes,
				 unsigned int n, const struct address *local, struct findings *pf)
{
	char addr[ADDRESS_STRLEN], from[ADDRESS_STRLEN];
	unsigned int i, silent = 0;

	address_str(local, from);
	for (i = 0; i < n; i++)
		silent += probes[i].outcome == PROBE_SILENT;
	if (n && silent == n) {
		findings_add(pf, FINDING_REFUSE, "nothing answered through the tunnel at the new "
		    "server's tunnel address %s (tunnel id %u): its end did not take this host's "
		    "packets. If it sees them coming from %s (the address this host sends from), "
		    "it has not run `redirect accept --from %s` with that id; behind NAT it sees "
		    "them from another address, which its `redirect stats` names (\"tunnel packets "
		    "from ... dropped\"). Else UDP port %d between the two is dropped (by a "
		    "firewall on either host, or on the way), or --tunnel-id is not the one "
		    "`redirect accept` printed there", address_str(&probes[0].target, addr),
		    spec->tunnel_id, from, from, TUNNEL_PORT);
		return;
	}
	for (i = 0; i < n; i++) {
		if (probes[i].ok)
			continue;
		address_str(&probes[i].target, addr);
		if (probes[i].outcome == PROBE_REFUSED)
			findings_add(pf, FINDING_REFUSE, "the new server's end of the tunnel answers, but nothing "
			    "listens on %s port %u (%s): its server listens on its public address "
			    "only (Postfix: inet_interfaces = all; Dovecot: listen = *, ::)", addr,
			    probes[i].svc.port, probes[i].svc.name);
		else if (probes[i].outcome == PROBE_SILENT)
			findings_add(pf, FINDING_REFUSE, "the new server, through the tunnel at %s, port %u (%s): "
			    "no answer, while other ports answer: its end takes only the services its "
			    "`redirect accept --service` names (the default set unless given)", addr,
			    probes[i].svc.port, probes[i].svc.name);
		else
			findings_add(pf, FINDING_REFUSE, "the new server, through the tunnel at %s, port %u (%s): %s",
			    addr, probes[i].svc.port, probes[i].svc.name, probes[i].got);
	}
	if (!pf->refused && n)
		findings_add(pf, FINDING_INFO, "the new server answers like a mail server through the tunnel "
		    "on all %u ports probed", n);
}

void preflight_probe_tunnel(const struct spec *spec, const struct address *local,
			    struct findings *pf)
{
	struct probe probes[PROBE_MAX];
	struct address t4 = tunnel_target(AF_INET, spec->tunnel_id);
	struct address t6 = tunnel_target(AF_INET6, spec->tunnel_id);
	unsigned int n = probe_plan_at(spec, spec->has_to4 ? &t4 : NULL, spec->has_to6 ? &t6 : NULL,
				       probes);

	probe_run(probes, n, PROBE_TIMEOUT_MS);
	explain_tunnel_probe(spec, probes, n, local, pf);
}

/* ---- all of it ---- */

static void check_old(const struct spec *spec, struct rtnl_sock *rtnl, const struct spec *probe,
		      struct findings *out)
{
	if (spec->has_to4)
		check_route(rtnl, &spec->to4, "new", out);
	if (spec->has_to6)
		check_route(rtnl, &spec->to6, "new", out);
	if (probe && !spec->keep_client_address)	/* that one goes through the tunnel */
		check_probe(probe, out);
	check_local_daemons(spec, out);
	explain_masquerade(spec, out);
}

static void check_new(const struct spec *spec, struct rtnl_sock *rtnl, struct findings *out)
{
	check_route(rtnl, spec_peer(spec), "old", out);
	check_route_table(rtnl, out);
	check_new_listeners(spec, out);
}

int preflight_run(const struct spec *spec, struct nft_sock *nft, struct rtnl_sock *rtnl,
		  const struct spec *probe, struct findings *out, struct errmsg *e)
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
