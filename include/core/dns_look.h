/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_DNS_LOOK_H
#define REDIRECT_CORE_DNS_LOOK_H

#include "dns/survey.h"
#include "lib/spec.h"
#include "core/verdict.h"

/*
 * One look at DNS for check: the servers of @domains asked what they
 * answer, this host's addresses (its interfaces' and the public ones of
 * @st) as old and the redirect's targets as new, summed up in @look.
 * Returns -errno with @e only when DNS cannot be asked at all.
 */
int dns_look_at(const char *const *domains, unsigned int n, const struct state *st,
		int64_t now, struct dns_look *look, struct errmsg *e);

/*
 * How long after the last redirected connection a redirect still "sees
 * traffic": check's default --quiet-for.
 */
#define DNS_TRAFFIC_RECENT (7 * 86400)

/*
 * In which families (DNS_NAT_V4 | DNS_NAT_V6, or 0) an answer naming
 * neither this host nor NEW may still be this host: on OLD, no public
 * address known, clients still come (a connection within
 * DNS_TRAFFIC_RECENT of @now), and NAT is plausible: none of this host's
 * own addresses of that family is a public one (all are private, RFC 1918
 * or unique local). A host with a public address on its interfaces is not
 * behind NAT in that family: another address there is another host's (a
 * backup MX).
 */
unsigned int dns_public_unknown(const struct state *st, int64_t now);

/* The same summary from a report the caller has (redirect dns). */
void dns_look_from(const struct dns_report *r, struct dns_look *look);

#endif
