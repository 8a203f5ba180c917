// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a DNS survey means, pure: which servers lag, the statuses, the
 * longest TTL still naming this host, and one sentence per problem saying
 * what to fix. `redirect dns` prints these; `check --domain` waits on them.
 * And the report's memory, freed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/report.h"

const char *dns_status_name(enum dns_status s)
{
	return s == DNS_STATUS_NEW ? "new" : s == DNS_STATUS_OLD ? "old" : "unknown";
}

/* Old is certain, unknown is doubt, new is only what is left when neither. */
static enum dns_status worse(enum dns_status a, enum dns_status b)
{
	static const int rank[] = {
		[DNS_STATUS_NEW] = 0, [DNS_STATUS_UNKNOWN] = 1, [DNS_STATUS_OLD] = 2,
	};

	return rank[a] >= rank[b] ? a : b;
}

static bool names_old(const struct dns_server *srv)
{
	unsigned int i;

	for (i = 0; i < srv->nrecords; i++)
		if (srv->records[i].points_to == DNS_POINTS_OLD)
			return true;
	return false;
}

/* A name whose CNAME chain has no end: where it leads cannot be told. */
static bool endless_chain(const struct dns_server *srv)
{
	unsigned int i;

	for (i = 0; i < srv->nmissing; i++)
		if (srv->missing[i].chain_end != DNS_CHAIN_ENDS)
			return true;
	return false;
}

static enum dns_status server_status(const struct dns_server *srv)
{
	if (names_old(srv))
		return DNS_STATUS_OLD;
	return srv->fault || endless_chain(srv) ? DNS_STATUS_UNKNOWN : DNS_STATUS_NEW;
}

static void mark_lag(struct dns_domain *d)
{
	unsigned int i;

	d->has_serial = false;
	for (i = 0; i < d->nservers; i++) {
		const struct dns_server *srv = &d->servers[i];

		if (srv->has_serial && (!d->has_serial ||
					dns_serial_older(d->newest_serial, srv->serial))) {
			d->newest_serial = srv->serial;
			d->has_serial = true;
		}
	}
	for (i = 0; i < d->nservers; i++)
		d->servers[i].lagging = d->servers[i].has_serial &&
					dns_serial_older(d->servers[i].serial, d->newest_serial);
}

/*
 * A host without an IPv6 route cannot ask a server's IPv6 address; when
 * the same server answered at another address, that one speaks for it.
 */
static void mark_skipped(struct dns_domain *d)
{
	unsigned int i, j;

	for (i = 0; i < d->nservers; i++) {
		struct dns_server *srv = &d->servers[i];

		srv->skipped = false;
		if (srv->fault != DNS_FAULT_UNREACHABLE || srv->fault_code != ENETUNREACH)
			continue;
		for (j = 0; j < d->nservers && !srv->skipped; j++)
			srv->skipped = j != i && !d->servers[j].fault &&
				       !strcasecmp(d->servers[j].name, srv->name);
	}
}

/* The first answer that names neither this host nor NEW, and which server gave it. */
/* An answer naming neither old nor new, of the families in @nat (DNS_NAT_V4...). */
static const struct dns_record *first_other(const struct dns_domain *d, unsigned int nat,
					    const struct dns_server **where)
{
	unsigned int i, k;

	for (i = 0; i <= d->nservers; i++) {
		const struct dns_server *srv = i < d->nservers ? &d->servers[i] : &d->outside;

		for (k = 0; !srv->skipped && k < srv->nrecords; k++)
			if (srv->records[k].points_to == DNS_POINTS_OTHER &&
			    nat & (srv->records[k].addr.family == AF_INET6 ? DNS_NAT_V6 :
				   DNS_NAT_V4)) {
				*where = srv;
				return &srv->records[k];
			}
	}
	return NULL;
}

static void finish_domain(struct dns_domain *d, unsigned int public_unknown)
{
	const struct dns_server *where;
	unsigned int i;

	mark_lag(d);
	mark_skipped(d);
	d->outside.status = server_status(&d->outside);
	d->status = d->fault || !d->nservers ? DNS_STATUS_UNKNOWN : d->outside.status;
	for (i = 0; i < d->nservers; i++) {
		d->servers[i].status = server_status(&d->servers[i]);
		if (!d->servers[i].skipped)
			d->status = worse(d->status, d->servers[i].status);
	}
	if (d->fault)
		d->status = DNS_STATUS_UNKNOWN;
	d->public_unknown = d->status == DNS_STATUS_NEW && first_other(d, public_unknown, &where) ?
			    public_unknown : 0;
	if (d->public_unknown)
		d->status = DNS_STATUS_UNKNOWN;
}

void dns_report_finish(struct dns_report *r)
{
	unsigned int d;

	r->status = r->ndomains ? DNS_STATUS_NEW : DNS_STATUS_UNKNOWN;
	for (d = 0; d < r->ndomains; d++) {
		finish_domain(&r->domains[d], r->public_unknown);
		r->status = worse(r->status, r->domains[d].status);
	}
}

static void oldest_in(const struct dns_server *srv, uint32_t *best,
		      const struct dns_record **which, const struct dns_server **where)
{
	unsigned int i;

	for (i = 0; i < srv->nrecords; i++) {
		const struct dns_record *rec = &srv->records[i];

		if (rec->points_to != DNS_POINTS_OLD || (*which && rec->ttl <= *best))
			continue;
		*best = rec->ttl;
		*which = rec;
		*where = srv;
	}
}

uint32_t dns_report_old_ttl(const struct dns_report *r, const struct dns_record **which,
			    const struct dns_server **where)
{
	const struct dns_record *rec = NULL;
	const struct dns_server *srv = NULL;
	unsigned int d, i;
	uint32_t best = 0;

	for (d = 0; d < r->ndomains; d++) {
		for (i = 0; i < r->domains[d].nservers; i++)
			oldest_in(&r->domains[d].servers[i], &best, &rec, &srv);
		oldest_in(&r->domains[d].outside, &best, &rec, &srv);
	}
	if (which)
		*which = rec;
	if (where)
		*where = srv;
	return best;
}

/* ---- the sentences ---- */

struct teller {
	dns_problem_cb cb;
	void *data;
	unsigned int n;
};

static void say(struct teller *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct teller *t, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	t->n++;
	if (t->cb)
		t->cb(buf, t->data);
}

/* "ns2.example.org (192.0.2.54, serial 1)"; "192.0.2.54 (serial 1)" for --server. */
static const char *label(const struct dns_server *srv, char *buf, size_t len)
{
	char addr[ADDRESS_STRLEN], serial[32] = "";

	if (!srv->has_addr) {
		snprintf(buf, len, "%s", srv->name);
		return buf;
	}
	address_str(&srv->addr, addr);
	if (srv->has_serial)
		snprintf(serial, sizeof(serial), "serial %u", (unsigned int)srv->serial);
	if (strcmp(srv->name, addr))
		snprintf(buf, len, "%s (%s%s%s)", srv->name, addr, serial[0] ? ", " : "", serial);
	else if (serial[0])
		snprintf(buf, len, "%s (%s)", addr, serial);
	else
		snprintf(buf, len, "%s", addr);
	return buf;
}

/* " (through CNAME mail.example.org)" when the answer came along a chain. */
static const char *through(const struct dns_record *rec, char *buf, size_t len)
{
	if (rec->cname[0])
		snprintf(buf, len, " (through CNAME %s)", rec->cname);
	else
		buf[0] = '\0';
	return buf;
}

/* What the record is to the domain: "an MX host of example.org". */
static const char *role(const struct dns_record *rec, const char *domain, char *buf,
			size_t len)
{
	if (!strcmp(rec->via, "--name"))
		snprintf(buf, len, "given with --name");
	else if (rec->via[0] == '_')
		snprintf(buf, len, "the %s target of %s", rec->via, domain);
	else
		snprintf(buf, len, "an MX host of %s", domain);
	return buf;
}

static void tell_old_record(struct teller *t, const struct dns_domain *d,
			    const struct dns_server *srv, const struct dns_record *rec)
{
	char who[DNS_NAME_BUF + 64], addr[ADDRESS_STRLEN], via[DNS_NAME_BUF + 32];

	address_str(&rec->addr, addr);
	through(rec, via, sizeof(via));
	if (srv->lagging)
		say(t, "%s still answers %s %s %s%s; its serial is behind %u: it has not loaded "
		    "the zone's latest version (check its zone transfers, or reload it)",
		    label(srv, who, sizeof(who)), rec->name, dns_type_name(rec->type), addr, via,
		    (unsigned int)d->newest_serial);
	else
		say(t, "%s still answers %s %s %s%s: change %s %s to the new server's address, "
		    "or remove it, and raise the zone's serial",
		    label(srv, who, sizeof(who)), rec->name, dns_type_name(rec->type), addr, via,
		    rec->cname[0] ? rec->cname : rec->name, dns_type_name(rec->type));
}

static void tell_outside_record(struct teller *t, const struct dns_domain *d,
				const struct dns_record *rec)
{
	char addr[ADDRESS_STRLEN], via[DNS_NAME_BUF + 32], what[DNS_NAME_BUF + 64];

	say(t, "%s %s %s%s (%s, outside it; asked of the system resolver) still names this "
	    "host: change it in the zone %s belongs to",
	    rec->name, dns_type_name(rec->type), address_str(&rec->addr, addr),
	    through(rec, via, sizeof(via)), role(rec, d->name, what, sizeof(what)),
	    rec->cname[0] ? rec->cname : rec->name);
}

static const char *const check_port =
	"check that it runs and that port 53 (UDP and TCP) is open to this host";

static void tell_unanswered(struct teller *t, const struct dns_domain *d,
			    const struct dns_server *srv, const char *who)
{
	switch (srv->fault) {
	case DNS_FAULT_TIMEOUT:
		say(t, "%s did not answer %s: %s", who, srv->fault_query, check_port);
		return;
	case DNS_FAULT_UNREACHABLE:
		say(t, "%s cannot be reached (%s): %s", who, strerror(srv->fault_code), check_port);
		return;
	case DNS_FAULT_MALFORMED:
		say(t, "%s sent a reply to %s that cannot be parsed", who, srv->fault_query);
		return;
	case DNS_FAULT_ERROR:
		say(t, "cannot ask %s: %s", who, strerror(srv->fault_code));
		return;
	default:
		say(t, "%s answered %s with %s", who, srv->fault_query,
		    dns_rcode_name(srv->fault_code));
		return;
	}
}

static void tell_fault(struct teller *t, const struct dns_domain *d,
		       const struct dns_server *srv)
{
	char who[DNS_NAME_BUF + 64];

	label(srv, who, sizeof(who));
	if (!srv->has_addr && !srv->resolver && srv->fault == DNS_FAULT_NO_ADDRESS)
		say(t, "%s, a name server of %s, has no address (no A or AAAA record): add one, "
		    "or remove its NS record", who, d->name);
	else if (!srv->has_addr && !srv->resolver)
		say(t, "no address for %s, a name server of %s: the system resolver did not "
		    "tell it (%s)", who, d->name, srv->fault_query);
	else if (srv->fault == DNS_FAULT_LAME)
		say(t, "%s answered %s without authority: it does not serve %s (a lame "
		    "delegation); fix its zones or the NS records", who, srv->fault_query, d->name);
	else if (srv->fault == DNS_FAULT_NXDOMAIN)
		say(t, "%s says %s does not exist: it does not serve that zone; fix its zones or "
		    "the NS records", who, d->name);
	else if (srv->fault == DNS_FAULT_RCODE && srv->fault_code == DNS_RCODE_REFUSED)
		say(t, "%s refused %s: it does not serve %s; fix its zones or the NS records",
		    who, srv->fault_query, d->name);
	else
		tell_unanswered(t, d, srv, who);
}

/* The answers name no address of this host's, yet clients still come: behind NAT? */
static void tell_public_unknown(struct teller *t, const struct dns_domain *d)
{
	const struct dns_server *srv = NULL;
	const struct dns_record *rec = first_other(d, d->public_unknown, &srv);
	char addr[ADDRESS_STRLEN];

	say(t, "this host's public address is unknown: %s %s %s (from %s) is neither an address "
	    "of this host's interfaces nor the new server's, and connections still come to the "
	    "redirect; behind NAT (a cloud's 1:1 NAT) this host's public address is on no "
	    "interface, and this may be it. Give this host's public address with "
	    "--public-address (on enable, or on dns), or its own address if it has no other",
	    rec->name, dns_type_name(rec->type), address_str(&rec->addr, addr), srv->name);
}

static void tell_domain(struct teller *t, const struct dns_domain *d)
{
	static const char *const fix =
		"check /etc/resolv.conf, or name the servers with --server";

	switch (d->fault) {
	case DNS_DOMAIN_OK:
		if (!d->nservers)
			say(t, "%s has no servers to ask", d->name);
		if (d->public_unknown)
			tell_public_unknown(t, d);
		return;
	case DNS_DOMAIN_NXDOMAIN:
		say(t, "%s does not exist (NXDOMAIN): check its spelling", d->name);
		return;
	case DNS_DOMAIN_NO_NS:
		say(t, "%s has no NS records: give the name of the zone itself (the part after "
		    "the @ of the mail addresses)", d->name);
		return;
	case DNS_DOMAIN_NO_ANSWER:
		say(t, "the system resolver did not answer for the NS records of %s: %s",
		    d->name, fix);
		return;
	case DNS_DOMAIN_REFUSED:
		say(t, "the system resolver refused the NS records of %s: %s", d->name, fix);
		return;
	case DNS_DOMAIN_NO_SERVERS:
		say(t, "none of the NS records of %s names a server to ask", d->name);
		return;
	}
}

/* A name reached along a CNAME whose end the server was also asked for: told once. */
static bool told_elsewhere(const struct dns_server *srv, const struct dns_record *rec)
{
	unsigned int i;

	for (i = 0; rec->cname[0] && i < srv->nrecords; i++) {
		const struct dns_record *o = &srv->records[i];

		if (!o->cname[0] && o->type == rec->type && dns_name_equal(o->name, rec->cname) &&
		    address_equal(&o->addr, &rec->addr))
			return true;
	}
	return false;
}

/* A chain a resolver gives up on (SERVFAIL): the name's clients get no address from it. */
static void tell_endless(struct teller *t, const struct dns_server *srv,
			 const struct dns_missing *m)
{
	char who[DNS_NAME_BUF + 64];

	if (m->chain_end == DNS_CHAIN_LOOP)
		say(t, "%s answers %s (%s) with CNAME records that loop: where it leads cannot be "
		    "told, and resolvers give up on it (SERVFAIL); fix the CNAME records",
		    label(srv, who, sizeof(who)), m->name, m->via);
	else
		say(t, "%s answers %s (%s) with a chain of more than %d CNAME records: where it "
		    "ends cannot be told, and resolvers give up on it (SERVFAIL); point the name "
		    "at its host in fewer steps", label(srv, who, sizeof(who)), m->name, m->via,
		    DNS_CHAIN_MAX);
}

static void tell_server(struct teller *t, const struct dns_domain *d,
			const struct dns_server *srv)
{
	unsigned int i;

	if (srv->skipped)
		return;
	if (srv->fault)
		tell_fault(t, d, srv);
	for (i = 0; i < srv->nmissing; i++)
		if (srv->missing[i].chain_end != DNS_CHAIN_ENDS)
			tell_endless(t, srv, &srv->missing[i]);
	for (i = 0; i < srv->nrecords; i++) {
		if (srv->records[i].points_to != DNS_POINTS_OLD ||
		    told_elsewhere(srv, &srv->records[i]))
			continue;
		if (srv->resolver)
			tell_outside_record(t, d, &srv->records[i]);
		else
			tell_old_record(t, d, srv, &srv->records[i]);
	}
}

unsigned int dns_domain_problems(const struct dns_domain *d, dns_problem_cb cb, void *data)
{
	struct teller t = { cb, data, 0 };
	unsigned int i;

	tell_domain(&t, d);
	for (i = 0; i < d->nservers; i++)
		tell_server(&t, d, &d->servers[i]);
	tell_server(&t, d, &d->outside);
	return t.n;
}

unsigned int dns_report_problems(const struct dns_report *r, dns_problem_cb cb, void *data)
{
	unsigned int d, n = 0;

	for (d = 0; d < r->ndomains; d++)
		n += dns_domain_problems(&r->domains[d], cb, data);
	return n;
}

struct first {
	char *buf;
	size_t len;
	bool found;
};

static void keep_first(const char *sentence, void *data)
{
	struct first *f = data;

	if (!f->found)
		snprintf(f->buf, f->len, "%s", sentence);
	f->found = true;
}

bool dns_report_first_problem(const struct dns_report *r, char *buf, size_t len)
{
	struct first f = { buf, len, false };

	if (len)
		buf[0] = '\0';
	dns_report_problems(r, keep_first, &f);
	return f.found;
}

enum dns_fault dns_fault_of_errno(int err)
{
	if (err == -ETIMEDOUT)
		return DNS_FAULT_TIMEOUT;
	if (err == -ECONNREFUSED || err == -EHOSTUNREACH || err == -ENETUNREACH)
		return DNS_FAULT_UNREACHABLE;
	return err == -EBADMSG ? DNS_FAULT_MALFORMED : DNS_FAULT_ERROR;
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
