// SPDX-License-Identifier: GPL-2.0-or-later
/* What check --domain needs of a DNS survey: the status, the TTLs, the first problem. */
#include <string.h>

#include "core/dns_look.h"
#include "kernel/host.h"

static void largest_ttls(const struct dns_report *r, struct dns_look *look)
{
	unsigned int d, s, i;

	for (d = 0; d < r->ndomains; d++)
		for (s = 0; s < r->domains[d].nservers; s++) {
			const struct dns_server *sv = &r->domains[d].servers[s];

			for (i = 0; i < sv->nrecords; i++) {
				if (sv->records[i].ttl > look->answer_ttl)
					look->answer_ttl = sv->records[i].ttl;
				look->old_answers += sv->records[i].points_to == DNS_POINTS_OLD;
			}
		}
}

void dns_look_from(const struct dns_report *r, struct dns_look *look)
{
	memset(look, 0, sizeof(*look));
	look->status = (int)r->status;
	look->old_ttl = dns_report_old_ttl(r, NULL, NULL);
	largest_ttls(r, look);
	dns_report_first_problem(r, look->problem, sizeof(look->problem));
}

static unsigned int family_bit(const struct address *a)
{
	return a->family == AF_INET6 ? DNS_NAT_V6 : DNS_NAT_V4;
}

/*
 * The families in which this host has addresses on its interfaces, all
 * routed nowhere on the internet. A family it has no address of at all is
 * not one: an IPv4-only host is not behind an IPv6 NAT, and the AAAA of
 * NEW or of a backup MX is another host's.
 */
static unsigned int nat_plausible(void)
{
	struct address_list l = { 0 };
	unsigned int i, some = 0, global = 0;

	if (host_addresses(true, true, &l))
		return DNS_NAT_V4 | DNS_NAT_V6;	/* not known: as before, NAT may be */
	for (i = 0; i < l.n; i++) {
		some |= family_bit(&l.v[i]);
		if (!address_not_global(&l.v[i]))
			global |= family_bit(&l.v[i]);
	}
	address_list_free(&l);
	return some & ~global;
}

unsigned int dns_public_unknown(const struct state *st, int64_t now)
{
	if (!st->enabled || st->spec.role != ROLE_OLD || st->public.n ||
	    !st->history.last_seen || now - st->history.last_seen >= DNS_TRAFFIC_RECENT)
		return 0;
	return nat_plausible();
}

/* This host's own addresses: its interfaces', and the public ones it was told. */
static void own_addresses(const struct state *st, struct address_list *here)
{
	unsigned int i;

	host_addresses(true, true, here);	/* none known: every answer counts as other */
	for (i = 0; i < st->public.n; i++)
		address_list_add(here, &st->public.a[i]);
}

int dns_look_at(const char *const *domains, unsigned int n, const struct state *st,
		int64_t now, struct dns_look *look, struct errmsg *e)
{
	const struct spec *spec = &st->spec;
	struct address_list here = { 0 };
	struct address other[2];
	unsigned int nother = 0;
	bool on_new = spec->role == ROLE_NEW;
	struct dns_options o;
	struct dns_report r;
	int err;

	own_addresses(st, &here);

	/* on OLD, answers naming this host are old; on NEW, those naming --from are */
	if (on_new ? spec->has_from4 : spec->has_to4)
		other[nother++] = on_new ? spec->from4 : spec->to4;
	if (on_new ? spec->has_from6 : spec->has_to6)
		other[nother++] = on_new ? spec->from6 : spec->to6;
	dns_options_init(&o);
	o.old = on_new ? other : here.v;
	o.nold = on_new ? nother : here.n;
	o.new_ = on_new ? here.v : other;
	o.nnew = on_new ? here.n : nother;
	o.public_unknown = dns_public_unknown(st, now);
	err = dns_survey(domains, n, &o, &r, e);
	if (!err)
		dns_look_from(&r, look);
	dns_report_free(&r);
	address_list_free(&here);
	return err;
}
