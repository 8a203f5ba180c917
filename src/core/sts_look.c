// SPDX-License-Identifier: GPL-2.0-or-later
/* MTA-STS discovery, DNS then HTTPS: see core/sts_look.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/sts_look.h"

#define STS_DOMAINS_MAX 64

/* What the TXT records say, as senders read them. */
static void read_txt(const struct dns_sts *d, struct sts_look *l)
{
	const char *texts[DNS_TXT_MAX];
	size_t lens[DNS_TXT_MAX];
	unsigned int i;

	l->dns = d->txt_status;
	l->dns_err = d->txt_err;
	l->txt = MTA_STS_TXT_NONE;
	if (d->txt_status != DNS_STS_TXT_FOUND)
		return;
	for (i = 0; i < d->txt.n; i++) {
		texts[i] = d->txt.rec[i].text;
		lens[i] = d->txt.rec[i].len;
	}
	l->txt = mta_sts_txt_read(texts, lens, d->txt.n, l->id);
}

static int fetch_announced(const struct dns_sts *d, unsigned int n, unsigned int timeout_ms,
			   struct sts_look *out, struct errmsg *e)
{
	struct mta_sts_request req[STS_DOMAINS_MAX];
	unsigned int i, k = 0, map[STS_DOMAINS_MAX];
	struct mta_sts_result *res;
	int err;

	for (i = 0; i < n; i++) {
		if (out[i].txt != MTA_STS_TXT_OK)
			continue;
		req[k] = (struct mta_sts_request){ d[i].domain, d[i].addrs, d[i].naddrs };
		map[k++] = i;
	}
	if (!k)
		return 0;
	res = calloc(k, sizeof(*res));	/* 16 KiB each: not for the stack */
	if (!res)
		return errmsg_set(e, -ENOMEM, "out of memory");
	err = mta_sts_fetch(req, k, timeout_ms, res, e);
	for (i = 0; !err && i < k; i++) {
		out[map[i]].fetched = true;
		out[map[i]].fetch = res[i];
	}
	free(res);
	return err;
}

int sts_look_at(const char *const *domains, unsigned int n, unsigned int dns_timeout_ms,
		unsigned int retries, unsigned int fetch_timeout_ms, struct sts_look *out,
		struct errmsg *e)
{
	struct dns_sts *d;
	unsigned int i;
	int err;

	memset(out, 0, n * sizeof(*out));
	if (n > STS_DOMAINS_MAX)
		return errmsg_set(e, -E2BIG, "%u domains: at most %d", n, STS_DOMAINS_MAX);
	d = calloc(n ? n : 1, sizeof(*d));
	if (!d)
		return errmsg_set(e, -ENOMEM, "out of memory");
	err = dns_sts_lookup(domains, n, dns_timeout_ms, retries, d, e);
	for (i = 0; !err && i < n; i++) {
		memcpy(out[i].domain, d[i].domain, sizeof(out[i].domain));
		read_txt(&d[i], &out[i]);
	}
	if (!err)
		err = fetch_announced(d, n, fetch_timeout_ms, out, e);
	dns_sts_free(d, n);
	free(d);
	return err;
}
