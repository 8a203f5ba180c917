/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_DNS_SURVEY_H
#define REDIRECT_DNS_SURVEY_H

#include "lib/errmsg.h"
#include "dns/report.h"

/*
 * The survey of `redirect dns` and `check --domain`: each domain's
 * authoritative servers asked, all at once, what they answer (the report
 * and what it means are in report.h).
 */

#define DNS_TIMEOUT_MS 1000
#define DNS_RETRIES 1

void dns_options_init(struct dns_options *o);

/*
 * Asks the servers of each of @domains (checked here: -EINVAL naming a bad
 * one) what they answer, all in parallel, and fills @out (free it with
 * dns_report_free, whatever this returns). What the servers did or did
 * not answer is in the report; the return is an error only when this host
 * cannot ask at all (no resolv.conf, no memory): -errno with @e.
 */
int dns_survey(const char *const *domains, unsigned int n, const struct dns_options *opt,
	       struct dns_report *out, struct errmsg *e);

#endif
