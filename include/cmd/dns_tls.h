/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CMD_DNS_TLS_H
#define REDIRECT_CMD_DNS_TLS_H

#include <stdbool.h>

#include "cli/print.h"
#include "core/identity_dns.h"

/* What the TLS section found. */
struct tls_view {
	struct identity id;
	struct id_dns d;		/* its report is the caller's, borrowed */
	bool broken;			/* a signed TLSA matches nothing outside this host */
	bool unknown;			/* the TLSA records of a name could not be read */
};

/*
 * The TLS section of @r: each MX host and SRV target, its TLSA records,
 * and a handshake at every address it has and at @targets (the
 * redirect's). NULL when it cannot be made (a note on stderr says why).
 */
struct tls_view *dns_look_at_tls(const struct dns_report *r, const struct address *targets,
				 unsigned int ntargets);

void dns_tls_free(struct tls_view *v);

/* The section of domain @d ("tls": [...]); @v may be NULL (an empty list). */
void dns_print_tls(struct printer *p, const struct tls_view *v, const struct dns_domain *d);

/* What must be fixed, after the report, in text. */
void dns_print_tls_summary(struct printer *p, const struct tls_view *v);

#endif
