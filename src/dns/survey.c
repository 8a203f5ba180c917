// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The survey: who a domain's servers are, then what each one answers, in
 * rounds of queries all in flight at once (dns_query.c), each reply read
 * by dns.c into the report:
 *   1. the NS records through the system's resolver, or the --server list;
 *   2. the NS hosts' A and AAAA, from the resolver;
 *   3. at every server: SOA, MX, the six SRV names, the --names;
 *   4. at every server that answered: its MX hosts and SRV targets; names
 *      outside the zone from the resolver instead (the zone's servers
 *      would refuse them);
 *   5. names a server delegated further down, from the resolver.
 * A server that failed a round is not asked again, so it costs one
 * timeout, and the slowest server sets the pace, not their sum.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/query.h"
#include "dns/survey.h"

#define NS_HOSTS_MAX 32
#define TARGETS_MAX 256		/* names checked per server */

/* RFC 6186 and RFC 8314: where mail clients look for their servers. */
static const char *const srv_names[] = {
	"_submission._tcp", "_submissions._tcp", "_imap._tcp", "_imaps._tcp", "_pop3._tcp",
	"_pop3s._tcp",
};
#define NSRV (sizeof(srv_names) / sizeof(srv_names[0]))

static const char via_mx[] = "MX", via_implicit[] = "implicit MX", via_name[] = "--name";

/* A name to check at one server, and its two queries (-1 until asked). */
struct target {
	char name[DNS_NAME_BUF];
	const char *via;
	int q4, q6;
};

/* One server's queries, beside its dns_server in the report. */
struct asked {
	struct dns_target to;
	int soa, mx, srv[NSRV];
	struct target *targets;
	unsigned int ntargets, cap;
	unsigned int nread;	/* targets whose answers are in the report */
};

struct ns_host {
	char name[DNS_NAME_BUF];
	int q4, q6;
};

struct domain_work {
	struct ns_host ns[NS_HOSTS_MAX];
	unsigned int nns;
	struct asked servers[DNS_SERVERS_MAX];
	struct asked outside;
};

struct survey {
	const struct dns_options *opt;
	struct dns_report *r;
	struct domain_work *w;
	struct dns_engine en;
	struct dns_system sys;
	struct address groups[DNS_DOMAINS_MAX * DNS_SERVERS_MAX];
	unsigned int ngroups;
	int err;			/* the first local failure: no memory */
	struct dns_answer ans;		/* one parsed reply at a time */
	uint8_t reply[DNS_MESSAGE_MAX];	/* res_nquery's */
};

void dns_options_init(struct dns_options *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = DNS_TIMEOUT_MS;
	o->retries = DNS_RETRIES;
}

/* ---- queries ---- */

/* A query into the engine; the first failure to add one is kept for the end. */
static int ask(struct survey *s, const char *name, uint16_t type, const struct dns_target *to,
	       int group)
{
	int i = dns_engine_add(&s->en, name, type, group < 0, to, group);

	if (i < 0 && !s->err)
		s->err = i;
	return i;
}

/*
 * The number of a server's queries in the engine: one per address, across
 * domains, for an ICMP error from an address is the same for every query.
 */
static int server_group(struct survey *s, unsigned int d, unsigned int i)
{
	const struct address *a = &s->r->domains[d].servers[i].addr;
	unsigned int g;

	for (g = 0; g < s->ngroups; g++)
		if (address_equal(&s->groups[g], a))
			return (int)g;
	s->groups[s->ngroups] = *a;
	return (int)s->ngroups++;
}

static void fault(struct dns_server *srv, enum dns_fault f, int code, const struct dns_query *q)
{
	if (srv->fault)
		return;		/* the first one says it */
	srv->fault = f;
	srv->fault_code = code;
	if (q)
		snprintf(srv->fault_query, sizeof(srv->fault_query), "%s %s", q->name,
			 dns_type_name(q->type));
}

enum dns_fault dns_fault_of_errno(int err)
{
	if (err == -ETIMEDOUT)
		return DNS_FAULT_TIMEOUT;
	if (err == -ECONNREFUSED || err == -EHOSTUNREACH || err == -ENETUNREACH)
		return DNS_FAULT_UNREACHABLE;
	return err == -EBADMSG ? DNS_FAULT_MALFORMED : DNS_FAULT_ERROR;
}

enum reply_need { NEED_AA, ALLOW_REFERRAL, RECURSIVE };

/*
 * The reply to query @idx, parsed into s->ans; false, with the server's
 * fault set, when there is none to use. An authoritative answer must say
 * so (AA); one that does not is a server that does not serve the zone.
 */
static bool read_reply(struct survey *s, struct dns_server *srv, int idx, enum reply_need need)
{
	const struct dns_query *q;

	if (idx < 0)
		return false;
	q = dns_engine_query(&s->en, (unsigned int)idx);
	if (q->err) {
		fault(srv, dns_fault_of_errno(q->err), -q->err, q);
		return false;
	}
	if (dns_parse(q->answer, q->answer_len, q->name, q->type, &s->ans)) {
		fault(srv, DNS_FAULT_MALFORMED, 0, q);
		return false;
	}
	if (s->ans.rcode != DNS_RCODE_NOERROR && s->ans.rcode != DNS_RCODE_NXDOMAIN) {
		fault(srv, DNS_FAULT_RCODE, s->ans.rcode, q);
		return false;
	}
	if (need != RECURSIVE && !s->ans.aa && !(need == ALLOW_REFERRAL && s->ans.referral)) {
		fault(srv, DNS_FAULT_LAME, 0, q);
		return false;
	}
	return true;
}

/* ---- the names to check ---- */

static struct target *find_target(struct asked *a, const char *name)
{
	unsigned int i;

	for (i = 0; i < a->ntargets; i++)
		if (dns_name_equal(a->targets[i].name, name))
			return &a->targets[i];
	return NULL;
}

static void add_target_to(struct survey *s, struct asked *a, const char *name, const char *via)
{
	struct target *t;

	if (find_target(a, name) || a->ntargets >= TARGETS_MAX)
		return;
	if (a->ntargets == a->cap) {
		unsigned int cap = a->cap ? a->cap * 2 : 16;

		t = realloc(a->targets, cap * sizeof(*t));
		if (!t) {
			s->err = -ENOMEM;
			return;
		}
		a->targets = t;
		a->cap = cap;
	}
	t = &a->targets[a->ntargets++];
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->via = via;
	t->q4 = t->q6 = -1;
}

/* At the server when the name is in the domain; from the resolver when not. */
static void add_target(struct survey *s, unsigned int d, struct asked *a, const char *name,
		       const char *via)
{
	if (dns_name_under(name, s->r->domains[d].name))
		add_target_to(s, a, name, via);
	else
		add_target_to(s, &s->w[d].outside, name, via);
}

/* The domain a --name belongs to: the longest one it is under; -1 for none. */
static int domain_of(const struct survey *s, const char *name)
{
	size_t best = 0;
	unsigned int d;
	int found = -1;

	for (d = 0; d < s->r->ndomains; d++) {
		size_t len = strlen(s->r->domains[d].name);

		if (dns_name_under(name, s->r->domains[d].name) && (found < 0 || len > best)) {
			found = (int)d;
			best = len;
		}
	}
	return found;
}

/* ---- 1, 2: the servers ---- */

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
		w->ns[i].q4 = ask(s, w->ns[i].name, DNS_T_A, &s->sys.resolvers, -1);
		w->ns[i].q6 = ask(s, w->ns[i].name, DNS_T_AAAA, &s->sys.resolvers, -1);
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

	if (!read_reply(s, none, idx, RECURSIVE))
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

/* ---- 3: what each server says of the domain ---- */

static void ask_server(struct survey *s, unsigned int d, unsigned int i)
{
	const struct dns_domain *dom = &s->r->domains[d];
	struct asked *a = &s->w[d].servers[i];
	int group = server_group(s, d, i);
	char name[DNS_NAME_BUF + 32];
	unsigned int k;

	dns_target_of(&dom->servers[i].addr, &a->to);
	a->soa = ask(s, dom->name, DNS_T_SOA, &a->to, group);
	a->mx = ask(s, dom->name, DNS_T_MX, &a->to, group);
	for (k = 0; k < NSRV; k++) {
		snprintf(name, sizeof(name), "%s.%s", srv_names[k], dom->name);
		a->srv[k] = strlen(name) <= DNS_NAME_MAX ? ask(s, name, DNS_T_SRV, &a->to, group) :
			    -1;
	}
	for (k = 0; k < s->opt->nnames; k++)
		if (domain_of(s, s->opt->names[k]) == (int)d)
			add_target_to(s, a, s->opt->names[k], via_name);
}

static void read_soa(struct survey *s, unsigned int d, unsigned int i)
{
	struct dns_server *srv = &s->r->domains[d].servers[i];

	if (!read_reply(s, srv, s->w[d].servers[i].soa, NEED_AA))
		return;
	if (s->ans.rcode == DNS_RCODE_NXDOMAIN) {
		fault(srv, DNS_FAULT_NXDOMAIN, 0, dns_engine_query(&s->en, s->w[d].servers[i].soa));
		return;
	}
	srv->has_serial = s->ans.has_serial;
	srv->serial = s->ans.serial;
}

/* Arrays grow to 8, 16, 32, ... entries: room is needed at 0 and at each power of two. */
static void *grow(void *array, unsigned int n, size_t size)
{
	if (n && (n < 8 || (n & (n - 1))))
		return array;
	return realloc(array, (n ? n * 2 : 8) * size);
}

/* A service the server names, once per name and port. */
static void add_service(struct survey *s, struct dns_server *srv, const char *name,
			uint16_t port, const char *via)
{
	struct dns_service *svc;
	unsigned int i;

	for (i = 0; i < srv->nservices; i++)
		if (srv->services[i].port == port && dns_name_equal(srv->services[i].name, name))
			return;
	svc = grow(srv->services, srv->nservices, sizeof(*svc));
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
	add_target(s, d, &s->w[d].servers[i], name, via);
	add_service(s, &s->r->domains[d].servers[i], name, port, via);
}

/* MX hosts; without any MX, mail goes to the domain's own address (RFC 5321, 5). */
static void read_mx(struct survey *s, unsigned int d, unsigned int i)
{
	struct dns_server *srv = &s->r->domains[d].servers[i];
	struct asked *a = &s->w[d].servers[i];
	unsigned int k;

	if (!read_reply(s, srv, a->mx, NEED_AA))
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
		if (!read_reply(s, srv, a->srv[k], NEED_AA))
			continue;
		for (j = 0; j < s->ans.n; j++)
			if (s->ans.items[j].target[0])	/* "." : not offered */
				add_host(s, d, i, s->ans.items[j].target, s->ans.items[j].port,
					 srv_names[k]);
	}
}

/* ---- 4, 5: the addresses of the names ---- */

static struct dns_record *new_record(struct survey *s, struct dns_server *srv)
{
	struct dns_record *rec = grow(srv->records, srv->nrecords, sizeof(*rec));

	if (!rec) {
		s->err = -ENOMEM;
		return NULL;
	}
	srv->records = rec;
	return &rec[srv->nrecords++];
}

static void add_records(struct survey *s, struct dns_server *srv, const struct target *t,
			uint16_t type)
{
	const struct dns_answer *ans = &s->ans;
	unsigned int i;

	for (i = 0; i < ans->n; i++) {
		struct dns_record *rec = new_record(s, srv);

		if (!rec)
			return;
		memset(rec, 0, sizeof(*rec));
		snprintf(rec->name, sizeof(rec->name), "%s", t->name);
		if (ans->chain)
			snprintf(rec->cname, sizeof(rec->cname), "%s", ans->owner);
		rec->via = t->via;
		rec->type = type;
		rec->addr = ans->items[i].addr;
		rec->ttl = ans->items[i].ttl > ans->chain_ttl ? ans->items[i].ttl : ans->chain_ttl;
		rec->points_to = dns_classify(&rec->addr, s->opt->old, s->opt->nold,
					      s->opt->new_, s->opt->nnew);
	}
}

static void add_missing(struct survey *s, struct dns_server *srv, const struct target *t,
			int rcode)
{
	struct dns_missing *m = grow(srv->missing, srv->nmissing, sizeof(*m));

	if (!m) {
		s->err = -ENOMEM;
		return;
	}
	srv->missing = m;
	m = &m[srv->nmissing++];
	snprintf(m->name, sizeof(m->name), "%s", t->name);
	m->via = t->via;
	m->rcode = rcode;
}

/* One of the name's two answers: 1 addresses, 0 none, -1 no answer or delegated. */
static int read_address(struct survey *s, unsigned int d, struct dns_server *srv,
			const struct target *t, int idx, uint16_t type)
{
	if (!read_reply(s, srv, idx, srv->resolver ? RECURSIVE : ALLOW_REFERRAL))
		return -1;
	if (s->ans.referral) {	/* a zone below, served elsewhere: ask the resolver */
		add_target_to(s, &s->w[d].outside, t->name, t->via);
		return -1;
	}
	if (!srv->resolver && !s->ans.n && s->ans.chain &&
	    !dns_name_under(s->ans.owner, s->r->domains[d].name)) {
		/* a CNAME out of the zone: the resolver follows it the whole way */
		add_target_to(s, &s->w[d].outside, t->name, t->via);
		return -1;
	}
	add_records(s, srv, t, type);
	return s->ans.n ? 1 : 0;
}

static void read_target(struct survey *s, unsigned int d, struct dns_server *srv,
			const struct target *t)
{
	int a = read_address(s, d, srv, t, t->q4, DNS_T_A);
	int rcode = s->ans.rcode;
	int aaaa = read_address(s, d, srv, t, t->q6, DNS_T_AAAA);

	if (a == 0 && aaaa == 0)
		add_missing(s, srv, t, rcode);
}

static void read_targets(struct survey *s, unsigned int d, struct dns_server *srv,
			 struct asked *a)
{
	for (; a->nread < a->ntargets && a->targets[a->nread].q4 >= 0; a->nread++)
		read_target(s, d, srv, &a->targets[a->nread]);
}

/* The names not asked yet; how many queries that made. */
static unsigned int ask_targets(struct survey *s, struct asked *a, int group)
{
	unsigned int i, n = 0;

	for (i = a->nread; i < a->ntargets; i++) {
		struct target *t = &a->targets[i];

		if (t->q4 >= 0)
			continue;
		t->q4 = ask(s, t->name, DNS_T_A, &a->to, group);
		t->q6 = ask(s, t->name, DNS_T_AAAA, &a->to, group);
		n += 2;
	}
	return n;
}

/* ---- the rounds ---- */

static unsigned int ask_all_targets(struct survey *s)
{
	unsigned int d, i, n = 0;

	for (d = 0; d < s->r->ndomains; d++) {
		struct dns_domain *dom = &s->r->domains[d];

		for (i = 0; i < dom->nservers; i++)
			if (dom->servers[i].has_addr && !dom->servers[i].fault)
				n += ask_targets(s, &s->w[d].servers[i],
						 server_group(s, d, i));
		if (s->sys.open)
			n += ask_targets(s, &s->w[d].outside, -1);
		else if (s->w[d].outside.ntargets)
			fault(&dom->outside, DNS_FAULT_ERROR, ENOENT, NULL);
	}
	return n;
}

static void read_all_targets(struct survey *s)
{
	unsigned int d, i;

	for (d = 0; d < s->r->ndomains; d++) {
		struct dns_domain *dom = &s->r->domains[d];

		for (i = 0; i < dom->nservers; i++)
			read_targets(s, d, &dom->servers[i], &s->w[d].servers[i]);
		read_targets(s, d, &dom->outside, &s->w[d].outside);
	}
}

static int run(struct survey *s, struct errmsg *e)
{
	if (s->err)
		return errmsg_set(e, s->err, "cannot ask: %s", strerror(-s->err));
	return dns_engine_run(&s->en, e);
}

static int discover(struct survey *s, struct errmsg *e)
{
	unsigned int d, i;
	int err;

	for (d = 0; d < s->r->ndomains; d++)
		if (s->opt->nservers)
			servers_given(s, d);
		else
			find_ns(s, d);
	err = run(s, e);
	for (d = 0; !err && !s->opt->nservers && d < s->r->ndomains; d++) {
		for (i = 0; i < s->w[d].nns; i++)
			servers_of_host(s, d, &s->w[d].ns[i]);
		if (s->w[d].nns && !s->r->domains[d].nservers)
			s->r->domains[d].fault = DNS_DOMAIN_NO_SERVERS;
	}
	return err;
}

static int first_round(struct survey *s, struct errmsg *e)
{
	unsigned int d, i;
	int err;

	for (d = 0; d < s->r->ndomains; d++)
		for (i = 0; i < s->r->domains[d].nservers; i++)
			if (s->r->domains[d].servers[i].has_addr)
				ask_server(s, d, i);
	err = run(s, e);
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

/* The --names under none of the domains: from the resolver, under the first. */
static void names_elsewhere(struct survey *s)
{
	unsigned int k;

	for (k = 0; k < s->opt->nnames; k++)
		if (domain_of(s, s->opt->names[k]) < 0)
			add_target_to(s, &s->w[0].outside, s->opt->names[k], via_name);
}

static int target_rounds(struct survey *s, struct errmsg *e)
{
	int round, err = 0;

	names_elsewhere(s);
	for (round = 0; !err && round < 2; round++) {
		if (!ask_all_targets(s))
			break;
		err = run(s, e);
		if (!err)
			read_all_targets(s);
	}
	return err ? err : s->err ? errmsg_set(e, s->err, "out of memory") : 0;
}

/* ---- set-up ---- */

static int add_domains(struct survey *s, const char *const *domains, unsigned int n,
		       struct errmsg *e)
{
	struct dns_report *r = s->r;
	char name[DNS_NAME_BUF];
	unsigned int i, j;
	int err;

	for (i = 0; i < n; i++) {
		if ((err = dns_name_check(domains[i], name, e)))
			return err;
		for (j = 0; j < r->ndomains && !dns_name_equal(r->domains[j].name, name); j++)
			;
		if (j < r->ndomains)
			continue;	/* given twice */
		snprintf(r->domains[r->ndomains].name, DNS_NAME_BUF, "%s", name);
		r->domains[r->ndomains].outside.resolver = true;
		snprintf(r->domains[r->ndomains].outside.name, DNS_NAME_BUF, "the system resolver");
		r->ndomains++;
	}
	return 0;
}

static int alloc_report(struct survey *s, unsigned int n, struct errmsg *e)
{
	unsigned int d;

	s->r->domains = calloc(n, sizeof(*s->r->domains));
	s->w = calloc(n, sizeof(*s->w));
	if (!s->r->domains || !s->w)
		return errmsg_set(e, -ENOMEM, "out of memory");
	for (d = 0; d < n; d++) {
		s->r->domains[d].servers = calloc(DNS_SERVERS_MAX, sizeof(struct dns_server));
		if (!s->r->domains[d].servers)
			return errmsg_set(e, -ENOMEM, "out of memory");
	}
	return 0;
}

/* The resolver: needed for the NS lookups, and for names outside the zones. */
static int open_resolver(struct survey *s, struct errmsg *e)
{
	struct errmsg ignored;
	unsigned int d;
	int err;

	err = dns_system_open(&s->sys, s->opt->timeout_ms, s->opt->retries,
			      s->opt->nservers ? &ignored : e);
	if (!err || !s->opt->nservers)
		return err;
	for (d = 0; d < s->r->ndomains; d++)
		s->r->domains[d].outside.has_addr = false;
	return 0;
}

static void note_resolver(struct survey *s)
{
	const struct sockaddr_storage *ss = &s->sys.resolvers.addr[0];
	struct address a = { .family = ss->ss_family };
	unsigned int d;

	if (!s->sys.open)
		return;
	if (a.family == AF_INET)
		a.in.v4 = ((const struct sockaddr_in *)ss)->sin_addr;
	else
		a.in.v6 = ((const struct sockaddr_in6 *)ss)->sin6_addr;
	for (d = 0; d < s->r->ndomains; d++) {
		s->r->domains[d].outside.has_addr = true;
		s->r->domains[d].outside.addr = a;
		s->w[d].outside.to = s->sys.resolvers;
	}
}

static int setup(struct survey *s, const char *const *domains, unsigned int n,
		 struct errmsg *e)
{
	int err;

	if (!n || n > DNS_DOMAINS_MAX)
		return errmsg_set(e, -EINVAL, "give from 1 to %d domains", DNS_DOMAINS_MAX);
	err = alloc_report(s, n, e);
	if (!err)
		err = add_domains(s, domains, n, e);
	if (!err)
		err = open_resolver(s, e);
	if (!err)
		note_resolver(s);
	dns_engine_init(&s->en, s->opt->timeout_ms, s->opt->retries);
	return err;
}

static void free_work(struct survey *s)
{
	unsigned int d, i;

	for (d = 0; s->w && d < s->r->ndomains; d++) {
		for (i = 0; i < DNS_SERVERS_MAX; i++)
			free(s->w[d].servers[i].targets);
		free(s->w[d].outside.targets);
	}
	free(s->w);
	dns_engine_free(&s->en);
	dns_system_close(&s->sys);
	free(s);
}

int dns_survey(const char *const *domains, unsigned int n, const struct dns_options *opt,
	       struct dns_report *out, struct errmsg *e)
{
	struct survey *s = calloc(1, sizeof(*s));
	int err;

	memset(out, 0, sizeof(*out));
	out->status = DNS_STATUS_UNKNOWN;
	if (!s)
		return errmsg_set(e, -ENOMEM, "out of memory");
	s->opt = opt;
	s->r = out;
	err = setup(s, domains, n, e);
	if (!err)
		err = discover(s, e);
	if (!err)
		err = first_round(s, e);
	if (!err)
		err = target_rounds(s, e);
	free_work(s);
	if (!err)
		dns_report_finish(out);
	return err;
}

static void free_server(struct dns_server *srv)
{
	free(srv->records);
	free(srv->missing);
	free(srv->services);
}

void dns_report_free(struct dns_report *r)
{
	unsigned int d, i;

	for (d = 0; r->domains && d < r->ndomains; d++) {
		for (i = 0; i < r->domains[d].nservers; i++)
			free_server(&r->domains[d].servers[i]);
		free_server(&r->domains[d].outside);
		free(r->domains[d].servers);
	}
	free(r->domains);
	memset(r, 0, sizeof(*r));
}

/* ---- names of addresses ---- */

static void read_ptr(const struct dns_query *q, struct dns_answer *ans, char **name)
{
	*name = NULL;
	if (q->err || dns_parse(q->answer, q->answer_len, q->name, DNS_T_PTR, ans))
		return;
	if (ans->rcode == DNS_RCODE_NOERROR && ans->n && ans->items[0].target[0])
		*name = strdup(ans->items[0].target);
}

static int ask_ptrs(struct dns_engine *en, const struct dns_system *sys,
		    const struct address *addrs, unsigned int n, struct errmsg *e)
{
	char name[DNS_NAME_BUF];
	unsigned int i;
	int idx;

	for (i = 0; i < n; i++) {
		dns_ptr_name(&addrs[i], name, sizeof(name));
		idx = dns_engine_add(en, name, DNS_T_PTR, true, &sys->resolvers, -1);
		if (idx < 0)
			return errmsg_set(e, idx, "cannot ask for %u names: %s", n, strerror(-idx));
	}
	return dns_engine_run(en, e);
}

int dns_ptr_lookup(const struct address *addrs, unsigned int n, char **names,
		   unsigned int timeout_ms, unsigned int retries, struct errmsg *e)
{
	struct dns_answer *ans = malloc(sizeof(*ans));
	struct dns_system sys;
	struct dns_engine en;
	unsigned int i;
	int err;

	for (i = 0; i < n; i++)
		names[i] = NULL;
	if (!ans)
		return errmsg_set(e, -ENOMEM, "out of memory");
	err = dns_system_open(&sys, timeout_ms, retries, e);
	if (err) {
		free(ans);
		return err;
	}
	dns_engine_init(&en, timeout_ms, retries);
	err = ask_ptrs(&en, &sys, addrs, n, e);
	for (i = 0; !err && i < n; i++)
		read_ptr(dns_engine_query(&en, i), ans, &names[i]);
	dns_engine_free(&en);
	dns_system_close(&sys);
	free(ans);
	return err;
}

void dns_names_free(char **names, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		free(names[i]);
		names[i] = NULL;
	}
}
