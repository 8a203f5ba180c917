// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the administrator gives that the state remembers: the mail domains
 * whose DNS check waits for, and this host's public addresses (behind a
 * cloud's 1:1 NAT). Each value is checked as given, and the same value
 * given twice, in any spelling, counts once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/parse.h"
#include "dns/codec.h"
#include "core/state.h"

int dns_clock_add_domain(struct dns_clock *c, const char *name, struct errmsg *e)
{
	char q[QUOTE_BUF], checked[DNS_NAME_BUF];
	unsigned int i;

	quote(name, q, sizeof(q));
	if (strlen(name) >= STATE_DOMAIN_LEN || dns_name_check(name, checked, e))
		return errmsg_set(e, -EINVAL, "%s is no domain name", q);
	for (i = 0; i < c->ndomains; i++)
		if (dns_name_equal(c->domains[i], checked))
			return 0;	/* the same domain twice is one */
	if (c->ndomains == STATE_DOMAINS_MAX)
		return errmsg_set(e, -E2BIG, "%s: more than %d domains", q, STATE_DOMAINS_MAX);
	snprintf(c->domains[c->ndomains++], STATE_DOMAIN_LEN, "%s", checked);
	return 0;
}

int public_add(struct public_addresses *p, const char *arg, struct errmsg *e)
{
	char q[QUOTE_BUF];
	struct address a;
	const char *why;
	unsigned int i;

	quote(arg, q, sizeof(q));
	if (parse_address(arg, &a, e))
		return errmsg_set(e, -EINVAL, "%s is not an IP address; give the address others "
				  "reach this host at (behind NAT, its public one)", q);
	why = address_unusable(&a);
	if (why)
		return errmsg_set(e, -EINVAL, "%s is %s; give the address others reach this host "
				  "at (behind NAT, its public one)", q, why);
	for (i = 0; i < p->n; i++)
		if (address_equal(&p->a[i], &a))
			return 0;	/* the same address twice is one */
	if (p->n == PUBLIC_MAX)
		return errmsg_set(e, -E2BIG, "%s: more than %d public addresses", q, PUBLIC_MAX);
	p->a[p->n++] = a;
	return 0;
}

int public_not_other(const struct public_addresses *p, const struct spec *spec,
		     struct errmsg *e)
{
	const bool new_ = spec->role == ROLE_NEW;
	const bool has4 = new_ ? spec->has_from4 : spec->has_to4;
	const bool has6 = new_ ? spec->has_from6 : spec->has_to6;
	const struct address *other[2] = {
		has4 ? (new_ ? &spec->from4 : &spec->to4) : NULL,
		has6 ? (new_ ? &spec->from6 : &spec->to6) : NULL,
	};
	char addr[ADDRESS_STRLEN];
	unsigned int i, k;

	for (i = 0; i < p->n; i++)
		for (k = 0; k < 2; k++)
			if (other[k] && address_equal(&p->a[i], other[k]))
				return errmsg_set(e, -EINVAL, "--public-address '%s' is also the "
						  "%s, the %s server's address; give this host's "
						  "own public address (others reach it at that one "
						  "behind NAT)", address_str(&p->a[i], addr),
						  new_ ? "--from" : "--to", new_ ? "old" : "new");
	return 0;
}

const struct address *public_of(const struct public_addresses *p, int family)
{
	unsigned int i;

	for (i = 0; i < p->n; i++)
		if (p->a[i].family == family)
			return &p->a[i];
	return NULL;
}
