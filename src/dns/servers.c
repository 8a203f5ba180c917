// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The survey's first rounds (see survey.c): who each domain's servers are,
 * from the resolver's NS records and their hosts' addresses (or the
 * --server list), then what each server says of the domain: its SOA
 * serial, its MX hosts and SRV targets, which become the names to check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/servers.h"

static enum dns_domain_fault domain_fault_of(int err)
{
	switch (err) {
	case -ENOENT: return DNS_DOMAIN_NXDOMAIN;
	case -ENODATA: return DNS_DOMAIN_NO_NS;
	case -EIO: return DNS_DOMAIN_REFUSED;
	}
	return DNS_DOMAIN_NO_ANSWER;
}

static int by_name(const void *a, const void *b)
{
	return strcasecmp(((const struct ns_host *)a)->name, ((const struct ns_host *)b)->name);
}

/* The NS hosts, sorted (resolvers rotate them), each asked for its addresses. */
static void ask_ns_hosts(struct survey *s, unsigned int d)
{
	struct domain_work *w = &s->w[d];
	unsigned int i, j;

	for (i = 0; i < s->ans.n && w->nns < NS_HOSTS_MAX; i++) {
		const char *name = s->ans.items[i].target;

		for (j = 0; j < w->nns && !dns_name_equal(w->ns[j].name, name); j++)
			;
		if (j == w->nns && name[0])
			snprintf(w->ns[w->nns++].name, DNS_NAME_BUF, "%s", name);
	}
	qsort(w->ns, w->nns, sizeof(w->ns[0]), by_name);
	for (i = 0; i < w->nns; i++) {
		w->ns[i].q4 = survey_ask(s, w->ns[i].name, DNS_T_A, &s->sys.resolvers, -1);
		w->ns[i].q6 = survey_ask(s, w->ns[i].name, DNS_T_AAAA, &s->sys.resolvers, -1);
	}
	if (!w->nns)
		s->r->domains[d].fault = DNS_DOMAIN_NO_SERVERS;
}

static void find_ns(struct survey *s, unsigned int d)
{
	struct dns_domain *dom = &s->r->domains[d];
	int len = dns_system_query(&s->sys, dom->name, DNS_T_NS, s->reply, sizeof(s->reply));

	if (len < 0) {
		dom->fault = domain_fault_of(len);
		return;
	}
	if (dns_parse(s->reply, (size_t)len, dom->name, DNS_T_NS, &s->ans)) {
		dom->fault = DNS_DOMAIN_NO_ANSWER;
		return;
	}
	if (!s->ans.n) {
		dom->fault = s->ans.rcode == DNS_RCODE_NXDOMAIN ? DNS_DOMAIN_NXDOMAIN :
			     DNS_DOMAIN_NO_NS;
		return;
	}
	ask_ns_hosts(s, d);
}

static struct dns_server *add_server(struct dns_domain *dom, const char *name,
				     const struct address *a)
{
	struct dns_server *srv;
	unsigned int i;

	for (i = 0; a && i < dom->nservers; i++)
		if (dom->servers[i].has_addr && address_equal(&dom->servers[i].addr, a))
			return NULL;	/* two names for one server: asked once */
	if (dom->nservers >= DNS_SERVERS_MAX)
		return NULL;
	srv = &dom->servers[dom->nservers++];
	snprintf(srv->name, sizeof(srv->name), "%s", name);
	srv->has_addr = a != NULL;
	if (a)
		srv->addr = *a;
	return srv;
}

/* The addresses in the reply to @idx; how many were usable, or -1 for no reply. */
static int host_addresses_of(struct survey *s, unsigned int d, const char *name, int idx,
			     struct dns_server *none)
{
	struct dns_domain *dom = &s->r->domains[d];
	unsigned int i;

	if (!survey_read_reply(s, none, idx, RECURSIVE))
		return -1;
	for (i = 0; i < s->ans.n; i++)
		add_server(dom, name, &s->ans.items[i].addr);
	return (int)s->ans.n;
}

/* An NS host that gave no address is a server nobody can ask: it is shown as one. */
static void servers_of_host(struct survey *s, unsigned int d, const struct ns_host *h)
{
	struct dns_server why = { .fault = DNS_FAULT_NONE };
	int n4 = host_addresses_of(s, d, h->name, h->q4, &why);
	int n6 = host_addresses_of(s, d, h->name, h->q6, &why);
	struct dns_server *srv;

	if (n4 > 0 || n6 > 0)
		return;
	srv = add_server(&s->r->domains[d], h->name, NULL);
	if (!srv)
		return;
	srv->fault = why.fault ? why.fault : DNS_FAULT_NO_ADDRESS;
	srv->fault_code = why.fault_code;
	memcpy(srv->fault_query, why.fault_query, sizeof(srv->fault_query));
}

static void servers_given(struct survey *s, unsigned int d)
{
	char text[ADDRESS_STRLEN];
	unsigned int i;

	for (i = 0; i < s->opt->nservers; i++)
		add_server(&s->r->domains[d], address_str(&s->opt->servers[i], text),
			   &s->opt->servers[i]);
}

static void ask_server(struct survey *s, unsigned int d, unsigned int i)
{
	const struct dns_domain *dom = &s->r->domains[d];
	struct asked *a = &s->w[d].servers[i];
	int group = survey_group(s, d, i);
	char name[DNS_NAME_BUF + 32];
	unsigned int k;

	dns_target_of(&dom->servers[i].addr, &a->to);
	a->soa = survey_ask(s, dom->name, DNS_T_SOA, &a->to, group);
	a->mx = survey_ask(s, dom->name, DNS_T_MX, &a->to, group);
	for (k = 0; k < NSRV; k++) {
		snprintf(name, sizeof(name), "%s.%s", srv_names[k], dom->name);
		a->srv[k] = strlen(name) <= DNS_NAME_MAX ? survey_ask(s, name, DNS_T_SRV, &a->to, group) :
			    -1;
	}
	for (k = 0; k < s->opt->nnames; k++)
		if (survey_domain_of(s, s->opt->names[k]) == (int)d)
			survey_add_target_to(s, a, s->opt->names[k], via_name);
}

static void read_soa(struct survey *s, unsigned int d, unsigned int i)
{
	struct dns_server *srv = &s->r->domains[d].servers[i];

	if (!survey_read_reply(s, srv, s->w[d].servers[i].soa, NEED_AA))
		return;
	if (s->ans.rcode == DNS_RCODE_NXDOMAIN) {
		survey_fault(srv, DNS_FAULT_NXDOMAIN, 0, dns_engine_query(&s->en, s->w[d].servers[i].soa));
		return;
	}
	srv->has_serial = s->ans.has_serial;
	srv->serial = s->ans.serial;
}

/* A service the server names, once per name and port (a few per server). */
static void add_service(struct survey *s, struct dns_server *srv, const char *name,
			uint16_t port, const char *via)
{
	struct dns_service *svc;
	unsigned int i;

	for (i = 0; i < srv->nservices; i++)
		if (srv->services[i].port == port && dns_name_equal(srv->services[i].name, name))
			return;
	svc = realloc(srv->services, (srv->nservices + 1) * sizeof(*svc));
	if (!svc) {
		s->err = -ENOMEM;
		return;
	}
	srv->services = svc;
	svc = &svc[srv->nservices++];
	snprintf(svc->name, sizeof(svc->name), "%s", name);
	svc->port = port;
	svc->via = via;
}

/* A mail host: its addresses are checked, and it is a service on @port. */
static void add_host(struct survey *s, unsigned int d, unsigned int i, const char *name,
		     uint16_t port, const char *via)
{
	survey_add_target(s, d, &s->w[d].servers[i], name, via);
	add_service(s, &s->r->domains[d].servers[i], name, port, via);
}

/* MX hosts; without any MX, mail goes to the domain's own address (RFC 5321, 5). */
static void read_mx(struct survey *s, unsigned int d, unsigned int i)
{
	struct dns_server *srv = &s->r->domains[d].servers[i];
	struct asked *a = &s->w[d].servers[i];
	unsigned int k;

	if (!survey_read_reply(s, srv, a->mx, NEED_AA))
		return;
	for (k = 0; k < s->ans.n; k++)
		if (s->ans.items[k].target[0])	/* "." is a null MX: no mail at all */
			add_host(s, d, i, s->ans.items[k].target, 25, via_mx);
	if (!s->ans.n && !s->ans.skipped && s->ans.rcode == DNS_RCODE_NOERROR)
		add_host(s, d, i, s->r->domains[d].name, 25, via_implicit);
}

static void read_srv(struct survey *s, unsigned int d, unsigned int i)
{
	struct dns_server *srv = &s->r->domains[d].servers[i];
	struct asked *a = &s->w[d].servers[i];
	unsigned int k, j;

	for (k = 0; k < NSRV; k++) {
		if (!survey_read_reply(s, srv, a->srv[k], NEED_AA))
			continue;
		for (j = 0; j < s->ans.n; j++)
			if (s->ans.items[j].target[0])	/* "." : not offered */
				add_host(s, d, i, s->ans.items[j].target, s->ans.items[j].port,
					 srv_names[k]);
	}
}

int survey_discover(struct survey *s, struct errmsg *e)
{
	unsigned int d, i;
	int err;

	for (d = 0; d < s->r->ndomains; d++)
		if (s->opt->nservers)
			servers_given(s, d);
		else
			find_ns(s, d);
	err = survey_run(s, e);
	for (d = 0; !err && !s->opt->nservers && d < s->r->ndomains; d++) {
		for (i = 0; i < s->w[d].nns; i++)
			servers_of_host(s, d, &s->w[d].ns[i]);
		if (s->w[d].nns && !s->r->domains[d].nservers)
			s->r->domains[d].fault = DNS_DOMAIN_NO_SERVERS;
	}
	return err;
}

int survey_first_round(struct survey *s, struct errmsg *e)
{
	unsigned int d, i;
	int err;

	for (d = 0; d < s->r->ndomains; d++)
		for (i = 0; i < s->r->domains[d].nservers; i++)
			if (s->r->domains[d].servers[i].has_addr)
				ask_server(s, d, i);
	err = survey_run(s, e);
	for (d = 0; !err && d < s->r->ndomains; d++)
		for (i = 0; i < s->r->domains[d].nservers; i++) {
			if (!s->r->domains[d].servers[i].has_addr)
				continue;
			read_soa(s, d, i);
			read_mx(s, d, i);
			read_srv(s, d, i);
		}
	return err;
}
