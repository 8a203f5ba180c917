// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TLSA records of mail services at the authoritative servers: see
 * dns/dane.h. Two rounds of queries, each all in flight at once: every
 * owner at every server of its domain, then, for the owners a server
 * delegated or sent out of its zone, the system resolver.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/codec.h"
#include "dns/dane.h"
#include "dns/query.h"
#include "dns/rdata.h"

static const char resolver_name[] = "the system resolver";

/* One answer waiting for its query. */
struct pending {
	unsigned int owner, answer;
	int q;
};

struct tlsa_run {
	const struct dns_report *r;
	struct dns_tlsa_report *out;
	struct dns_engine en;
	struct dns_system sys;
	struct address groups[DNS_DOMAINS_MAX * DNS_SERVERS_MAX];
	unsigned int ngroups;
	struct pending *p;
	unsigned int np;
	int err;			/* the first local failure: no memory */
	struct dns_answer ans;
};

const char *dns_tlsa_status_name(enum dns_tlsa_status s)
{
	switch (s) {
	case DNS_TLSA_FOUND: return "found";
	case DNS_TLSA_NODATA: return "no TLSA";
	case DNS_TLSA_NXDOMAIN: return "no such name";
	case DNS_TLSA_ELSEWHERE: return "delegated";
	case DNS_TLSA_FAILED: return "failed";
	}
	return "?";
}

/*
 * The answer that counts: the first server's with records; else, when a
 * server failed, that one (what it holds is unknown: it may hold records
 * the others lack); else the first.
 */
const struct dns_tlsa_answer *dns_tlsa_answer_of(const struct dns_tlsa_owner *o)
{
	const struct dns_tlsa_answer *failed = NULL;
	unsigned int i;

	for (i = 0; i < o->nanswers; i++) {
		if (o->answers[i].status == DNS_TLSA_FOUND)
			return &o->answers[i];
		if (o->answers[i].status == DNS_TLSA_FAILED && !failed)
			failed = &o->answers[i];
	}
	return failed ? failed : o->nanswers ? &o->answers[0] : NULL;
}

static const char *fault_words(const struct dns_tlsa_answer *a, char *buf, size_t len)
{
	switch (a->fault) {
	case DNS_FAULT_NO_ADDRESS: return "has no address to ask";
	case DNS_FAULT_TIMEOUT: return "did not answer";
	case DNS_FAULT_LAME: return "does not serve the zone";
	case DNS_FAULT_NXDOMAIN: return "says the domain does not exist";
	case DNS_FAULT_MALFORMED: return "sent a reply that cannot be parsed";
	case DNS_FAULT_RCODE:
		snprintf(buf, len, "answered %s", dns_rcode_name(a->fault_code));
		return buf;
	case DNS_FAULT_UNREACHABLE:
	case DNS_FAULT_ERROR:
		snprintf(buf, len, "%s (%s)", a->fault == DNS_FAULT_ERROR ? "could not be asked" :
			 "cannot be reached", strerror(a->fault_code));
		return buf;
	default:
		return "failed";
	}
}

const char *dns_tlsa_failure(const struct dns_tlsa_answer *a, char *buf, size_t len)
{
	char addr[ADDRESS_STRLEN], words[96];

	if (a->has_addr)
		snprintf(buf, len, "%s (%s) %s", a->server, address_str(&a->addr, addr),
			 fault_words(a, words, sizeof(words)));
	else
		snprintf(buf, len, "%s %s", a->server, fault_words(a, words, sizeof(words)));
	return buf;
}

/* ---- the services ---- */

static bool has_service(const struct dns_service *list, unsigned int n, const char *name,
			uint16_t port)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (list[i].port == port && dns_name_equal(list[i].name, name))
			return true;
	return false;
}

static int add_services(const struct dns_server *srv, struct dns_service **out, unsigned int *n,
			unsigned int *cap)
{
	unsigned int i;

	for (i = 0; i < srv->nservices; i++) {
		const struct dns_service *svc = &srv->services[i];

		if (has_service(*out, *n, svc->name, svc->port))
			continue;
		if (*n == *cap) {
			struct dns_service *more = realloc(*out, (*cap ? *cap * 2 : 16) * sizeof(*more));

			if (!more)
				return -ENOMEM;
			*out = more;
			*cap = *cap ? *cap * 2 : 16;
		}
		(*out)[(*n)++] = *svc;
	}
	return 0;
}

int dns_report_services(const struct dns_report *r, struct dns_service **out, unsigned int *n)
{
	unsigned int d, i, cap = 0;
	int err = 0;

	*out = NULL;
	*n = 0;
	for (d = 0; !err && d < r->ndomains; d++)
		for (i = 0; !err && i < r->domains[d].nservers; i++)
			err = add_services(&r->domains[d].servers[i], out, n, &cap);
	if (err) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return err;
}

/* ---- the owners, and whom to ask ---- */

/* The domain of the report @name is in: the longest match; -1 for none. */
static int domain_of(const struct dns_report *r, const char *name)
{
	size_t best = 0;
	unsigned int d;
	int found = -1;

	for (d = 0; r && d < r->ndomains; d++) {
		size_t len = strlen(r->domains[d].name);

		if (dns_name_under(name, r->domains[d].name) && (found < 0 || len > best)) {
			found = (int)d;
			best = len;
		}
	}
	return found;
}

static struct dns_tlsa_answer *new_answer(struct tlsa_run *t, struct dns_tlsa_owner *o)
{
	struct dns_tlsa_answer *a;

	a = realloc(o->answers, (o->nanswers + 1) * sizeof(*a));
	if (!a) {
		t->err = -ENOMEM;
		return NULL;
	}
	o->answers = a;
	a = &a[o->nanswers++];
	memset(a, 0, sizeof(*a));
	return a;
}

/* The query index of each answer to ask, beside it. */
static void want(struct tlsa_run *t, unsigned int owner, unsigned int answer)
{
	struct pending *p = realloc(t->p, (t->np + 1) * sizeof(*p));

	if (!p) {
		t->err = -ENOMEM;
		return;
	}
	t->p = p;
	p[t->np].owner = owner;
	p[t->np].answer = answer;
	p[t->np++].q = -1;
}

static void add_resolver(struct tlsa_run *t, unsigned int o)
{
	struct dns_tlsa_answer *a = new_answer(t, &t->out->owners[o]);

	if (!a)
		return;
	snprintf(a->server, sizeof(a->server), "%s", resolver_name);
	a->resolver = true;
	a->has_addr = dns_system_first(&t->sys, &a->addr);	/* the one asked first */
	if (!t->sys.open) {
		a->status = DNS_TLSA_FAILED;
		a->fault = DNS_FAULT_ERROR;
		a->fault_code = ENOENT;	/* no resolv.conf to ask */
		return;
	}
	want(t, o, t->out->owners[o].nanswers - 1);
}

/* Each server of the owner's domain; one that failed the survey keeps its fault. */
static void add_servers(struct tlsa_run *t, unsigned int o)
{
	const struct dns_domain *dom = &t->r->domains[t->out->owners[o].domain];
	unsigned int i, asked = 0;

	for (i = 0; i < dom->nservers; i++) {
		const struct dns_server *srv = &dom->servers[i];
		struct dns_tlsa_answer *a;

		if (srv->skipped || !(a = new_answer(t, &t->out->owners[o])))
			continue;
		snprintf(a->server, sizeof(a->server), "%s", srv->name);
		a->has_addr = srv->has_addr;
		a->addr = srv->addr;
		if (!srv->has_addr || srv->fault) {
			a->status = DNS_TLSA_FAILED;
			a->fault = srv->has_addr ? srv->fault : DNS_FAULT_NO_ADDRESS;
			a->fault_code = srv->fault_code;
			continue;
		}
		want(t, o, t->out->owners[o].nanswers - 1);
		asked++;
	}
	if (!asked)
		add_resolver(t, o);	/* nobody of the zone to ask: what senders see, then */
}

static int add_owner(struct tlsa_run *t, const struct dns_service *svc, struct errmsg *e)
{
	struct dns_tlsa_report *out = t->out;
	struct dns_tlsa_owner *o;
	char name[DNS_NAME_BUF + 16];

	snprintf(name, sizeof(name), "_%u._tcp.%s", svc->port, svc->name);
	if (!svc->port || strlen(name) > DNS_NAME_MAX)
		return errmsg_set(e, -EINVAL, "no TLSA owner for %s port %u: %s", svc->name,
				  svc->port, svc->port ? "the name is too long" : "no port 0");
	o = &out->owners[out->n];
	memset(o, 0, sizeof(*o));
	o->svc = *svc;
	snprintf(o->owner, sizeof(o->owner), "%s", name);
	o->domain = domain_of(t->r, svc->name);
	out->n++;
	if (o->domain >= 0 && t->r->domains[o->domain].nservers)
		add_servers(t, out->n - 1);
	else
		add_resolver(t, out->n - 1);
	return 0;
}

static bool seen(const struct dns_tlsa_report *out, const struct dns_service *svc)
{
	unsigned int i;

	for (i = 0; i < out->n; i++)
		if (out->owners[i].svc.port == svc->port &&
		    dns_name_equal(out->owners[i].svc.name, svc->name))
			return true;
	return false;
}

/* ---- asking ---- */

static int group_of(struct tlsa_run *t, const struct address *a)
{
	unsigned int g;

	for (g = 0; g < t->ngroups; g++)
		if (address_equal(&t->groups[g], a))
			return (int)g;
	if (t->ngroups >= sizeof(t->groups) / sizeof(t->groups[0]))
		return -1;
	t->groups[t->ngroups] = *a;
	return (int)t->ngroups++;
}

static void ask(struct tlsa_run *t, struct pending *p)
{
	const struct dns_tlsa_owner *o = &t->out->owners[p->owner];
	const struct dns_tlsa_answer *a = &o->answers[p->answer];
	struct dns_target to;
	int group = -1;

	if (a->resolver) {
		to = t->sys.resolvers;
	} else {
		dns_target_of(&a->addr, &to);
		group = group_of(t, &a->addr);
	}
	p->q = dns_engine_add_dnssec(&t->en, o->owner, DNS_T_TLSA, a->resolver, &to, group);
	if (p->q < 0 && !t->err)
		t->err = p->q;
}

/* ---- reading ---- */

static void failed(struct dns_tlsa_answer *a, enum dns_fault f, int code)
{
	a->status = DNS_TLSA_FAILED;
	a->fault = f;
	a->fault_code = code;
}

/* Whether the reply, parsed into t->ans, can be used; else @a says why not. */
static bool usable(struct tlsa_run *t, struct dns_tlsa_answer *a, const struct dns_query *q)
{
	if (q->err) {
		failed(a, dns_fault_of_errno(q->err), -q->err);
		return false;
	}
	if (dns_parse(q->answer, q->answer_len, q->name, DNS_T_TLSA, &t->ans)) {
		failed(a, DNS_FAULT_MALFORMED, 0);
		return false;
	}
	if (t->ans.rcode != DNS_RCODE_NOERROR && t->ans.rcode != DNS_RCODE_NXDOMAIN) {
		failed(a, DNS_FAULT_RCODE, t->ans.rcode);
		return false;
	}
	if (a->resolver ? t->ans.referral : !t->ans.aa && !t->ans.referral) {
		failed(a, DNS_FAULT_LAME, 0);	/* a resolver that does not recurse, too */
		return false;
	}
	return true;
}

/* A server that sent the owner below or out of its zone: the resolver's turn. */
static bool elsewhere(const struct tlsa_run *t, const struct dns_tlsa_owner *o,
		      const struct dns_tlsa_answer *a)
{
	if (a->resolver)
		return false;
	if (t->ans.referral)
		return true;
	return t->ans.chain && !a->set.n && !a->set.skipped &&
	       !dns_name_under(t->ans.owner, t->r->domains[o->domain].name);
}

static void read_answer(struct tlsa_run *t, const struct pending *p)
{
	const struct dns_query *q = dns_engine_query(&t->en, (unsigned int)p->q);
	struct dns_tlsa_owner *o = &t->out->owners[p->owner];
	struct dns_tlsa_answer *a = &o->answers[p->answer];
	int err;

	a->tcp = q->tcp;
	if (!usable(t, a, q))
		return;
	if (t->ans.chain)
		snprintf(a->cname, sizeof(a->cname), "%s", t->ans.owner);
	a->zone_signed = dns_reply_signed(q->answer, q->answer_len);
	err = dns_read_tlsa(q->answer, q->answer_len, t->ans.owner, &a->set);
	if (err) {
		tlsa_free(&a->set);
		if (err == -ENOMEM)
			t->err = err;
		failed(a, err == -ENOMEM ? DNS_FAULT_ERROR : DNS_FAULT_MALFORMED, -err);
		return;
	}
	if (elsewhere(t, o, a))
		a->status = DNS_TLSA_ELSEWHERE;
	else if (a->set.n || a->set.skipped)
		a->status = DNS_TLSA_FOUND;
	else
		a->status = t->ans.rcode == DNS_RCODE_NXDOMAIN ? DNS_TLSA_NXDOMAIN : DNS_TLSA_NODATA;
}

/* Asks what is pending from @from on, waits, reads. */
static int round_of(struct tlsa_run *t, unsigned int from, struct errmsg *e)
{
	unsigned int i;
	int err;

	for (i = from; i < t->np; i++)
		ask(t, &t->p[i]);
	if (t->err)
		return errmsg_set(e, t->err, "cannot ask for TLSA records: %s", strerror(-t->err));
	err = dns_engine_run(&t->en, e);
	for (i = from; !err && i < t->np; i++)
		read_answer(t, &t->p[i]);
	return err;
}

/* The owners some server sent elsewhere, once each, to the resolver. */
static void resolver_round(struct tlsa_run *t)
{
	unsigned int o, i;

	for (o = 0; o < t->out->n; o++) {
		const struct dns_tlsa_owner *ow = &t->out->owners[o];

		for (i = 0; i < ow->nanswers; i++)
			if (ow->answers[i].status == DNS_TLSA_ELSEWHERE)
				break;
		if (i < ow->nanswers)
			add_resolver(t, o);
	}
}

/* Whether servers that answered disagree about the records. */
static void mark_differ(struct dns_tlsa_owner *o)
{
	const struct dns_tlsa_answer *first = NULL;
	unsigned int i;

	for (i = 0; i < o->nanswers; i++) {
		const struct dns_tlsa_answer *a = &o->answers[i];

		if (a->status == DNS_TLSA_FAILED || a->status == DNS_TLSA_ELSEWHERE)
			continue;
		if (!first)
			first = a;
		else if (!tlsa_same_records(&first->set, &a->set))
			o->differ = true;
	}
}

static int run_all(struct tlsa_run *t, struct errmsg *e)
{
	unsigned int from, i;
	int err = round_of(t, 0, e);

	if (!err) {
		from = t->np;
		resolver_round(t);
		err = round_of(t, from, e);
	}
	if (!err && t->err)
		err = errmsg_set(e, t->err, "out of memory for TLSA records");
	for (i = 0; i < t->out->n; i++)
		mark_differ(&t->out->owners[i]);
	return err;
}

static int setup(struct tlsa_run *t, const struct dns_service *svc, unsigned int n,
		 struct errmsg *e)
{
	unsigned int i;
	int err;

	t->out->owners = calloc(n ? n : 1, sizeof(*t->out->owners));
	if (!t->out->owners)
		return errmsg_set(e, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		if (seen(t->out, &svc[i]))
			continue;
		err = add_owner(t, &svc[i], e);
		if (err)
			return err;
	}
	return 0;
}

int dns_tlsa_survey(const struct dns_report *r, const struct dns_service *svc, unsigned int n,
		    unsigned int timeout_ms, unsigned int retries, struct dns_tlsa_report *out,
		    struct errmsg *e)
{
	struct tlsa_run *t = calloc(1, sizeof(*t));
	struct errmsg ignored;
	int err;

	memset(out, 0, sizeof(*out));
	if (!t)
		return errmsg_set(e, -ENOMEM, "out of memory");
	if (n > DNS_TLSA_OWNERS_MAX) {
		free(t);
		return errmsg_set(e, -E2BIG, "%u services: at most %d TLSA owners are asked at once",
				  n, DNS_TLSA_OWNERS_MAX);
	}
	t->r = r;
	t->out = out;
	dns_engine_init(&t->en, timeout_ms, retries);
	dns_system_open(&t->sys, timeout_ms, retries, &ignored);	/* needed only for some */
	err = setup(t, svc, n, e);
	if (!err)
		err = run_all(t, e);
	dns_engine_free(&t->en);
	dns_system_close(&t->sys);
	free(t->p);
	free(t);
	return err;
}

void dns_tlsa_report_free(struct dns_tlsa_report *t)
{
	unsigned int o, i;

	for (o = 0; t->owners && o < t->n; o++) {
		for (i = 0; i < t->owners[o].nanswers; i++)
			tlsa_free(&t->owners[o].answers[i].set);
		free(t->owners[o].answers);
	}
	free(t->owners);
	memset(t, 0, sizeof(*t));
}
