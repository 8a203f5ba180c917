// SPDX-License-Identifier: GPL-2.0-or-later
/* The TLS identity's names and TLSA records, as the authoritative servers publish them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/identity_dns.h"
#include "kernel/host.h"

/* On OLD, answers naming this host are old, the targets new; on NEW the other way. */
static void survey_options(const struct spec *spec, struct address *here, unsigned int nhere,
			   struct address *other, struct dns_options *o)
{
	bool on_new = spec->role == ROLE_NEW;
	unsigned int nother = 0;

	if (on_new ? spec->has_from4 : spec->has_to4)
		other[nother++] = on_new ? spec->from4 : spec->to4;
	if (on_new ? spec->has_from6 : spec->has_to6)
		other[nother++] = on_new ? spec->from6 : spec->to6;
	dns_options_init(o);
	o->old = on_new ? other : here;
	o->nold = on_new ? nother : nhere;
	o->new_ = on_new ? here : other;
	o->nnew = on_new ? nhere : nother;
}

int identity_dns_names(struct identity *id, const struct spec *spec, const char *const *domains,
		       unsigned int n, struct id_dns *d, struct errmsg *e)
{
	struct address_list here = { 0 };
	struct dns_service *svc = NULL;
	struct address other[2];
	struct dns_options o;
	unsigned int i, nsvc = 0;
	int err;

	memset(d, 0, sizeof(*d));
	host_addresses(true, true, &here);	/* none known: every answer counts as other */
	survey_options(spec, here.v, here.n, other, &o);
	err = dns_survey(domains, n, &o, &d->report, e);
	if (!err && (err = dns_report_services(&d->report, &svc, &nsvc)))
		errmsg_set(e, err, "out of memory");
	for (i = 0; !err && i < nsvc; i++)
		if (identity_add(id, svc[i].name, svc[i].port, svc[i].via) == -E2BIG)
			break;	/* the plan is full: the first names are checked */
	free(svc);
	address_list_free(&here);
	return err;
}

/*
 * Points @s at the records of @o senders get: the first server's that gave
 * some. When none did and a server failed, they are unknown, not absent:
 * @s says which server and how, and its name is neither "verified" nor
 * "without TLSA".
 */
static void first_found(const struct dns_tlsa_owner *o, struct id_service *s)
{
	const struct dns_tlsa_answer *a = dns_tlsa_answer_of(o);

	s->tlsa = a && a->status == DNS_TLSA_FOUND ? &a->set : NULL;
	s->tlsa_unread[0] = '\0';
	if (a && a->status == DNS_TLSA_FAILED)
		dns_tlsa_failure(a, s->tlsa_unread, sizeof(s->tlsa_unread));
}

int identity_dns_tlsa(struct identity *id, struct id_dns *d, struct errmsg *e)
{
	struct dns_service *svc = calloc(id->nsvc ? id->nsvc : 1, sizeof(*svc));
	unsigned int i, j;
	int err;

	if (!svc)
		return errmsg_set(e, -ENOMEM, "out of memory");
	for (i = 0; i < id->nsvc; i++) {
		snprintf(svc[i].name, sizeof(svc[i].name), "%s", id->svc[i].name);
		svc[i].port = id->svc[i].port;
		svc[i].via = id->svc[i].via;
	}
	err = id->nsvc ? dns_tlsa_survey(&d->report, svc, id->nsvc, DNS_TIMEOUT_MS, DNS_RETRIES,
					 &d->tlsa, e) : 0;
	for (i = 0; !err && i < d->tlsa.n; i++) {
		const struct dns_tlsa_owner *o = &d->tlsa.owners[i];

		d->differ += o->differ;
		for (j = 0; j < id->nsvc; j++)
			if (id->svc[j].port == o->svc.port && !strcasecmp(id->svc[j].name,
									  o->svc.name))
				first_found(o, &id->svc[j]);
	}
	free(svc);
	return err;
}

void identity_dns_free(struct id_dns *d)
{
	dns_tlsa_report_free(&d->tlsa);
	dns_report_free(&d->report);
}

/* ---- MTA-STS ---- */

/* Why the new server's certificate is not publicly valid for MX host @s, or NULL. */
static const char *not_valid(const struct identity *id, unsigned int s)
{
	unsigned int i;

	for (i = 0; i < id->nt; i++) {
		const struct tls_target *t = &id->t[i];

		if (id->svc_of[i] != s)
			continue;
		if (t->outcome != TLS_HANDSHAKEN)
			return "it gives no TLS";
		if (!t->covers)
			return "its certificate does not name it";
		if (!t->cert.trusted)
			return t->cert.trust_error[0] ? t->cert.trust_error :
							"its certificate is not trusted";
	}
	return NULL;
}

static void judge_mx(const struct identity *id, unsigned int s, const struct sts_look *l,
		     struct findings *pf)
{
	const struct mta_sts_policy *p = &l->fetch.policy;
	bool enforce = p->mode == MTA_STS_MODE_ENFORCE;
	enum finding_level level = enforce ? FINDING_REFUSE : FINDING_WARN;
	const char *name = id->svc[s].name, *why;

	if (!mta_sts_mx_match(p, name))
		findings_add(pf, level, "the MTA-STS policy of %s (mode %s) has no mx pattern "
			      "matching %s, an MX host the new server answers for: senders %s "
			      "deliver there. Add \"mx: %s\" to https://%s/.well-known/mta-sts.txt "
			      "and a new id to _mta-sts.%s TXT", l->domain, mta_sts_mode_name(p->mode),
			      name, enforce ? "enforcing it refuse to" : "testing it report they would not",
			      name, l->fetch.host, l->domain);
	else if ((why = not_valid(id, s)))
		findings_add(pf, level, "the MTA-STS policy of %s is in mode %s: senders check "
			      "that the new server's certificate is publicly valid for %s, and it "
			      "is not (%s); they %s. Give the new server a certificate for %s from "
			      "a public CA", l->domain, mta_sts_mode_name(p->mode), name, why,
			      enforce ? "refuse to deliver" : "report the failure", name);
}

/* The plan's service of @name on port 25, or -1. */
static int mx_service(const struct identity *id, const char *name)
{
	unsigned int s;

	for (s = 0; s < id->nsvc; s++)
		if (id->svc[s].port == 25 && !strcasecmp(id->svc[s].name, name))
			return (int)s;
	return -1;
}

/* Each MX host that @domain's servers name, once, against the policy @l. */
static void judge_domain_mx(const struct identity *id, const struct dns_domain *dom,
			    const struct sts_look *l, struct findings *pf)
{
	bool *done = calloc(id->nsvc ? id->nsvc : 1, sizeof(*done));
	unsigned int v, k;
	int s;

	for (v = 0; done && v < dom->nservers; v++)
		for (k = 0; k < dom->servers[v].nservices; k++) {
			const struct dns_service *m = &dom->servers[v].services[k];

			if (m->port != 25 || strcmp(m->via, "MX") ||
			    (s = mx_service(id, m->name)) < 0 || done[s])
				continue;
			done[s] = true;
			judge_mx(id, (unsigned int)s, l, pf);
		}
	free(done);
}

void identity_judge_sts(const struct identity *id, const struct id_dns *d,
			const struct sts_look *looks, unsigned int n, struct findings *pf)
{
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		const struct sts_look *l = &looks[i];

		if (l->dns != DNS_STS_TXT_FOUND || l->txt != MTA_STS_TXT_OK || !l->fetched)
			continue;
		if (l->fetch.fault != MTA_STS_OK) {
			findings_add(pf, FINDING_WARN, "_mta-sts.%s announces an MTA-STS policy, but "
				      "%s cannot be fetched (%s: %s): senders that cached it go on "
				      "enforcing it", l->domain, l->fetch.host,
				      mta_sts_fault_name(l->fetch.fault), l->fetch.detail);
			continue;
		}
		findings_add(pf, FINDING_INFO, "MTA-STS policy of %s: mode %s, max_age %us", l->domain,
			      mta_sts_mode_name(l->fetch.policy.mode), l->fetch.policy.max_age);
		if (l->fetch.policy.mode == MTA_STS_MODE_NONE)
			continue;
		for (j = 0; j < d->report.ndomains; j++)
			if (!strcasecmp(d->report.domains[j].name, l->domain))
				judge_domain_mx(id, &d->report.domains[j], l, pf);
	}
}

/* ---- the whole check ---- */

static bool spec_has_tls(const struct spec *spec)
{
	unsigned int i;

	for (i = 0; i < spec->nservices; i++)
		if (identity_port_checked(spec->services[i].port))
			return true;
	return false;
}

static void check_sts(const struct id_request *r, const struct identity *id,
		      const struct id_dns *d, struct findings *pf)
{
	struct sts_look *looks = calloc(r->ndomains, sizeof(*looks));
	struct errmsg e = { "" };

	if (looks && !sts_look_at(r->domains, r->ndomains, DNS_TIMEOUT_MS, DNS_RETRIES,
				  MTA_STS_TIMEOUT_MS, looks, &e))
		identity_judge_sts(id, d, looks, r->ndomains, pf);
	else
		findings_add(pf, FINDING_WARN, "cannot look for MTA-STS policies: %s",
			      looks ? e.text : "out of memory");
	free(looks);
}

int identity_prepare(const struct id_request *r, struct identity *id, struct id_dns *d,
		     struct errmsg *e)
{
	int err;

	memset(id, 0, sizeof(*id));
	memset(d, 0, sizeof(*d));
	id->full = identity_plan(id, r->spec, r->mem) < 0;
	if (r->ndomains && (err = identity_dns_names(id, r->spec, r->domains, r->ndomains, d, e)))
		return err;
	return id->nsvc ? identity_dns_tlsa(id, d, e) : 0;
}

int identity_finish(const struct id_request *r, struct identity *id, struct id_dns *d,
		    struct findings *pf, struct errmsg *e)
{
	struct tls_options o;
	int err;

	if (id->full)
		findings_add(pf, FINDING_WARN, "more than %d names and ports to check with TLS: only "
			      "the first are checked", ID_SERVICES_MAX);
	if (!id->nsvc) {
		if (spec_has_tls(r->spec))
			findings_add(pf, FINDING_INFO, "TLS identity not checked: no name that clients "
				      "use for this host is known (give --name or --domain, or run "
				      "enable --dry-run while this host's own mail servers still run)");
		return 0;
	}
	tls_options_init(&o);
	if ((err = identity_run(id, r->at4, r->at6, &o, e)))
		return err;
	identity_judge(id, &r->mem->old, r->now, r->window, pf);
	if (r->ndomains)
		check_sts(r, id, d, pf);
	if (d->differ)
		findings_add(pf, FINDING_WARN, "the authoritative servers give different TLSA records "
			      "for %u name%s (one lags behind): senders may get either; the first "
			      "server's were checked", d->differ, d->differ == 1 ? "" : "s");
	return 0;
}

int identity_check(const struct id_request *r, struct identity *id, struct id_dns *d,
		   struct findings *pf, struct errmsg *e)
{
	int err = identity_prepare(r, id, d, e);

	return err ? err : identity_finish(r, id, d, pf, e);
}

bool identity_covers_port(const struct identity *id, uint16_t port)
{
	unsigned int s;

	for (s = 0; s < id->nsvc; s++)
		if (id->svc[s].port == port)
			return true;
	return false;
}

/* ---- redirect dns: every published address ---- */

static bool planned(const struct identity *id, unsigned int s, const struct address *a)
{
	unsigned int i;

	for (i = 0; i < id->nt; i++)
		if (id->svc_of[i] == s && address_equal(&id->t[i].addr, a))
			return true;
	return false;
}

static void plan_at(struct identity *id, unsigned int s, const struct address *a, int points)
{
	struct tls_target *t = &id->t[id->nt];

	if (planned(id, s, a))
		return;
	memset(t, 0, sizeof(*t));
	t->addr = *a;
	t->port = id->svc[s].port;
	snprintf(t->name, sizeof(t->name), "%s", id->svc[s].name);
	t->tlsa = id->svc[s].tlsa;
	id->svc_of[id->nt] = s;
	id->points[id->nt++] = points;
}

static void plan_published(struct identity *id, unsigned int s, const struct dns_report *r)
{
	unsigned int d, v, k;

	for (d = 0; d < r->ndomains; d++)
		for (v = 0; v < r->domains[d].nservers; v++) {
			const struct dns_server *srv = &r->domains[d].servers[v];

			for (k = 0; k < srv->nrecords; k++)
				if (!strcasecmp(srv->records[k].name, id->svc[s].name))
					plan_at(id, s, &srv->records[k].addr,
						(int)srv->records[k].points_to);
		}
}

static unsigned int record_count(const struct dns_report *r)
{
	unsigned int d, v, n = 0;

	for (d = 0; d < r->ndomains; d++)
		for (v = 0; v < r->domains[d].nservers; v++)
			n += r->domains[d].servers[v].nrecords;
	return n;
}

int identity_run_published(struct identity *id, const struct dns_report *r,
			   const struct address *targets, unsigned int ntargets, struct errmsg *e)
{
	unsigned int s, i, max = id->nsvc * (record_count(r) + ntargets);
	struct tls_options o;

	identity_free(id);
	id->t = calloc(max ? max : 1, sizeof(*id->t));
	id->svc_of = calloc(max ? max : 1, sizeof(*id->svc_of));
	id->points = calloc(max ? max : 1, sizeof(*id->points));
	if (!id->t || !id->svc_of || !id->points) {
		identity_free(id);
		return errmsg_set(e, -ENOMEM, "out of memory");
	}
	for (s = 0; s < id->nsvc; s++) {
		plan_published(id, s, r);
		for (i = 0; i < ntargets; i++)
			plan_at(id, s, &targets[i], DNS_POINTS_NEW);
	}
	tls_options_init(&o);
	return tls_run(id->t, id->nt, &o, e);
}

bool identity_dane_broken(const struct identity *id, unsigned int s)
{
	unsigned int i;

	for (i = 0; i < id->nt; i++)
		if (id->svc_of[i] == s && id->svc[s].tlsa && id->svc[s].tlsa->is_signed &&
		    (!id->points || id->points[i] != DNS_POINTS_OLD) &&
		    id->t[i].outcome == TLS_HANDSHAKEN && id->t[i].dane == TLS_DANE_NO_MATCH)
			return true;
	return false;
}
