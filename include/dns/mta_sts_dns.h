/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_DNS_MTA_STS_DNS_H
#define REDIRECT_DNS_MTA_STS_DNS_H

#include <stdint.h>

#include "dns/codec.h"
#include "dns/rdata.h"
#include "lib/errmsg.h"
#include "lib/parse.h"

/*
 * What a sender asks the DNS before it fetches a domain's MTA-STS policy
 * (RFC 8461, 3): the TXT records of _mta-sts.DOMAIN, and the addresses of
 * the policy host mta-sts.DOMAIN. Asked of the system resolver, as
 * senders ask theirs, all domains at once. What the TXT records mean is
 * tls/mta_sts.h's to say.
 */

#define DNS_STS_ADDRS_MAX 8

enum dns_sts_txt {
	DNS_STS_TXT_FOUND,	/* TXT records at _mta-sts.DOMAIN (maybe none of them STS) */
	DNS_STS_TXT_NONE,	/* no such name, or no TXT there: no policy */
	DNS_STS_TXT_FAILED,	/* no answer, or SERVFAIL: cannot tell (txt_err) */
};

struct dns_sts {
	char domain[DNS_NAME_BUF];
	char host[DNS_NAME_BUF];	/* mta-sts.DOMAIN: where the policy is */
	enum dns_sts_txt txt_status;
	int txt_err;			/* FAILED: -ETIMEDOUT, -EAGAIN (SERVFAIL), -EIO (refused), ... */
	struct dns_txt txt;		/* FOUND: the records, each one's strings joined */
	unsigned int naddrs;
	struct address addrs[DNS_STS_ADDRS_MAX];	/* the host's, AAAA after A */
	int addr_err;			/* without addresses: -ENOENT (no such name), -ENODATA,
					   -ETIMEDOUT, -EAGAIN; 0 with some */
};

/*
 * Asks the system resolver about each of @domains (checked: -EINVAL with
 * @e naming a bad one) and fills @out[i] for @domains[i] (dns_sts_free it
 * whatever this returns). What the resolver said or did not say is in
 * @out; the return is an error only when this host cannot ask at all (no
 * resolv.conf, no memory, poll failing): -errno with @e.
 */
int dns_sts_lookup(const char *const *domains, unsigned int n, unsigned int timeout_ms,
		   unsigned int retries, struct dns_sts *out, struct errmsg *e);

void dns_sts_free(struct dns_sts *out, unsigned int n);

#endif
