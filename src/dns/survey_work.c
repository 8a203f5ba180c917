// SPDX-License-Identifier: GPL-2.0-or-later
/* The survey's queries and the names it checks (see survey_work.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/survey_work.h"

const char *const srv_names[NSRV] = {
	"_submission._tcp", "_submissions._tcp", "_imap._tcp", "_imaps._tcp", "_pop3._tcp",
	"_pop3s._tcp",
};

const char via_mx[] = "MX", via_implicit[] = "implicit MX", via_name[] = "--name";

/* A query into the engine; the first failure to add one is kept for the end. */
int survey_ask(struct survey *s, const char *name, uint16_t type, const struct dns_target *to,
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
int survey_group(struct survey *s, unsigned int d, unsigned int i)
{
	const struct address *a = &s->r->domains[d].servers[i].addr;
	unsigned int g;

	for (g = 0; g < s->ngroups; g++)
		if (address_equal(&s->groups[g], a))
			return (int)g;
	s->groups[s->ngroups] = *a;
	return (int)s->ngroups++;
}

void survey_fault(struct dns_server *srv, enum dns_fault f, int code, const struct dns_query *q)
{
	if (srv->fault)
		return;		/* the first one says it */
	srv->fault = f;
	srv->fault_code = code;
	if (q)
		snprintf(srv->fault_query, sizeof(srv->fault_query), "%s %s", q->name,
			 dns_type_name(q->type));
}

/*
 * The reply to query @idx, parsed into s->ans; false, with the server's
 * fault set, when there is none to use. An authoritative answer must say
 * so (AA); one that does not is a server that does not serve the zone.
 */
bool survey_read_reply(struct survey *s, struct dns_server *srv, int idx, enum reply_need need)
{
	const struct dns_query *q;

	if (idx < 0)
		return false;
	q = dns_engine_query(&s->en, (unsigned int)idx);
	if (q->err) {
		survey_fault(srv, dns_fault_of_errno(q->err), -q->err, q);
		return false;
	}
	if (dns_parse(q->answer, q->answer_len, q->name, q->type, &s->ans)) {
		survey_fault(srv, DNS_FAULT_MALFORMED, 0, q);
		return false;
	}
	if (s->ans.rcode != DNS_RCODE_NOERROR && s->ans.rcode != DNS_RCODE_NXDOMAIN) {
		survey_fault(srv, DNS_FAULT_RCODE, s->ans.rcode, q);
		return false;
	}
	if (need != RECURSIVE && !s->ans.aa && !(need == ALLOW_REFERRAL && s->ans.referral)) {
		survey_fault(srv, DNS_FAULT_LAME, 0, q);
		return false;
	}
	return true;
}

static struct target *find_target(struct asked *a, const char *name)
{
	unsigned int i;

	for (i = 0; i < a->ntargets; i++)
		if (dns_name_equal(a->targets[i].name, name))
			return &a->targets[i];
	return NULL;
}

void survey_add_target_to(struct survey *s, struct asked *a, const char *name, const char *via)
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
void survey_add_target(struct survey *s, unsigned int d, struct asked *a, const char *name,
		       const char *via)
{
	if (dns_name_under(name, s->r->domains[d].name))
		survey_add_target_to(s, a, name, via);
	else
		survey_add_target_to(s, &s->w[d].outside, name, via);
}

/* The domain a --name belongs to: the longest one it is under; -1 for none. */
int survey_domain_of(const struct survey *s, const char *name)
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

int survey_run(struct survey *s, struct errmsg *e)
{
	if (s->err)
		return errmsg_set(e, s->err, "cannot ask: %s", strerror(-s->err));
	return dns_engine_run(&s->en, e);
}
