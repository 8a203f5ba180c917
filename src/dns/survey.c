// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The survey: who a domain's servers are, then what each one answers, in
 * rounds of queries all in flight at once (query.c), each reply read by
 * codec.c into the report:
 *   1. the NS records through the system's resolver, or the --server list;
 *   2. the NS hosts' A and AAAA, from the resolver;
 *   3. at every server: SOA, MX, the six SRV names, the --names;
 *   4. at every server that answered: its MX hosts and SRV targets; names
 *      outside the zone from the resolver instead (the zone's servers
 *      would refuse them);
 *   5. names a server delegated further down, from the resolver.
 * A server that failed a round is not asked again, so it costs one
 * timeout, and the slowest server sets the pace, not their sum. Rounds 1
 * to 3 are in servers.c; 4 and 5, the set-up and the report here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/servers.h"
#include "dns/survey.h"
#include "dns/survey_work.h"

void dns_options_init(struct dns_options *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = DNS_TIMEOUT_MS;
	o->retries = DNS_RETRIES;
}

/* ---- 4, 5: the addresses of the names ---- */

/* Arrays grow to 8, 16, 32, ... entries: room is needed at 0 and at each power of two. */
static void *grow(void *array, unsigned int n, size_t size)
{
	if (n && (n < 8 || (n & (n - 1))))
		return array;
	return realloc(array, (n ? n * 2 : 8) * size);
}

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
			int rcode, enum dns_chain_end chain_end)
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
	m->chain_end = chain_end;
}

/*
 * One of the name's two answers: 1 addresses, 0 none, -1 no answer or
 * delegated; *@chain_end set when its CNAME chain has no end to read.
 */
static int read_address(struct survey *s, unsigned int d, struct dns_server *srv,
			const struct target *t, int idx, uint16_t type,
			enum dns_chain_end *chain_end)
{
	if (!survey_read_reply(s, srv, idx, srv->resolver ? RECURSIVE : ALLOW_REFERRAL))
		return -1;
	if (s->ans.chain_end != DNS_CHAIN_ENDS) {	/* no end: nowhere to ask on */
		*chain_end = s->ans.chain_end;
		return 0;
	}
	if (s->ans.referral) {	/* a zone below, served elsewhere: ask the resolver */
		survey_add_target_to(s, &s->w[d].outside, t->name, t->via);
		return -1;
	}
	if (!srv->resolver && !s->ans.n && s->ans.chain &&
	    !dns_name_under(s->ans.owner, s->r->domains[d].name)) {
		/* a CNAME out of the zone: the resolver follows it the whole way */
		survey_add_target_to(s, &s->w[d].outside, t->name, t->via);
		return -1;
	}
	add_records(s, srv, t, type);
	return s->ans.n ? 1 : 0;
}

static void read_target(struct survey *s, unsigned int d, struct dns_server *srv,
			const struct target *t)
{
	enum dns_chain_end chain_end = DNS_CHAIN_ENDS;
	int a = read_address(s, d, srv, t, t->q4, DNS_T_A, &chain_end);
	int rcode = s->ans.rcode;
	int aaaa = read_address(s, d, srv, t, t->q6, DNS_T_AAAA, &chain_end);

	if ((a == 0 && aaaa == 0) || chain_end != DNS_CHAIN_ENDS)
		add_missing(s, srv, t, rcode, chain_end);
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
		t->q4 = survey_ask(s, t->name, DNS_T_A, &a->to, group);
		t->q6 = survey_ask(s, t->name, DNS_T_AAAA, &a->to, group);
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
						 survey_group(s, d, i));
		if (s->sys.open)
			n += ask_targets(s, &s->w[d].outside, -1);
		else if (s->w[d].outside.ntargets)
			survey_fault(&dom->outside, DNS_FAULT_ERROR, ENOENT, NULL);
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

/* The --names under none of the domains: from the resolver, under the first. */
static void names_elsewhere(struct survey *s)
{
	unsigned int k;

	for (k = 0; k < s->opt->nnames; k++)
		if (survey_domain_of(s, s->opt->names[k]) < 0)
			survey_add_target_to(s, &s->w[0].outside, s->opt->names[k], via_name);
}

static int target_rounds(struct survey *s, struct errmsg *e)
{
	int round, err = 0;

	names_elsewhere(s);
	for (round = 0; !err && round < 2; round++) {
		if (!ask_all_targets(s))
			break;
		err = survey_run(s, e);
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
	struct address a;
	unsigned int d;

	if (!dns_system_first(&s->sys, &a))
		return;
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
	out->public_unknown = opt->public_unknown;
	if (!s)
		return errmsg_set(e, -ENOMEM, "out of memory");
	s->opt = opt;
	s->r = out;
	err = setup(s, domains, n, e);
	if (!err)
		err = survey_discover(s, e);
	if (!err)
		err = survey_first_round(s, e);
	if (!err)
		err = target_rounds(s, e);
	free_work(s);
	if (!err)
		dns_report_finish(out);
	return err;
}

