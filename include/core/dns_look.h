/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_DNS_LOOK_H
#define REDIRECT_CORE_DNS_LOOK_H

#include "dns/survey.h"
#include "lib/spec.h"
#include "core/verdict.h"

/*
 * One look at DNS for check: the servers of @domains asked what they
 * answer, this host's addresses as old and @spec's targets as new, summed
 * up in @look. Returns -errno with @e only when DNS cannot be asked at all.
 */
int dns_look_at(const char *const *domains, unsigned int n, const struct spec *spec,
		struct dns_look *look, struct errmsg *e);

/* The same summary from a report the caller has (redirect dns). */
void dns_look_from(const struct dns_report *r, struct dns_look *look);

#endif
