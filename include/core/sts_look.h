/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_STS_LOOK_H
#define REDIRECT_CORE_STS_LOOK_H

#include <stdbool.h>

#include "dns/mta_sts_dns.h"
#include "tls/mta_sts.h"

/*
 * A domain's MTA-STS policy as a sender finds it: the TXT record of
 * _mta-sts.DOMAIN from the resolver (dns/), then, where it announces a
 * policy, the policy over HTTPS (tls/). The two halves joined here.
 */

struct sts_look {
	char domain[DNS_NAME_BUF];
	enum dns_sts_txt dns;		/* whether TXT records came (dns_err when FAILED) */
	int dns_err;
	enum mta_sts_txt txt;		/* what they say; MTA_STS_TXT_NONE without any */
	char id[MTA_STS_ID_MAX + 1];	/* TXT_OK: the policy's id */
	bool fetched;			/* TXT_OK: the policy was asked for; see fetch */
	struct mta_sts_result fetch;	/* fetch.fault == MTA_STS_OK: fetch.policy holds it */
};

/*
 * For each of @domains (at most 64, checked: -EINVAL with @e naming a bad
 * one), fills @out[i]: the TXT lookup within @dns_timeout_ms per try and
 * @retries, then the fetch of every announced policy at once within
 * @fetch_timeout_ms. A domain has a policy senders use when dns is FOUND,
 * txt is MTA_STS_TXT_OK and fetch.fault is MTA_STS_OK. Returns 0, or
 * -errno with @e when nothing could be asked (no resolv.conf, no TLS).
 */
int sts_look_at(const char *const *domains, unsigned int n, unsigned int dns_timeout_ms,
		unsigned int retries, unsigned int fetch_timeout_ms, struct sts_look *out,
		struct errmsg *e);

#endif
