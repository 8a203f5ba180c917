// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The DNS half of MTA-STS discovery: see dns/mta_sts_dns.h. Three queries
 * per domain (TXT, A, AAAA), every one in flight at once, to the system
 * resolver with recursion.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/mta_sts_dns.h"
#include "dns/query.h"

struct sts_run {
	struct dns_engine en;
	struct dns_system sys;
	struct dns_answer ans;
};

/* What an answer's rcode or error says, as dns_system_query() says it. */
static int answer_err(struct sts_run *t, const struct dns_query *q, uint16_t type)
{
	if (q->err)
		return q->err;
	if (dns_parse(q->answer, q->answer_len, q->name, type, &t->ans))
		return -EBADMSG;
	switch (t->ans.rcode) {
	case DNS_RCODE_NOERROR: return 0;
	case DNS_RCODE_NXDOMAIN: return -ENOENT;
	case DNS_RCODE_SERVFAIL: return -EAGAIN;
	}
	return -EIO;
}

static void read_txt(struct sts_run *t, struct dns_sts *s, const struct dns_query *q)
{
	int err = answer_err(t, q, DNS_T_TXT);

	if (err == -ENOENT) {
		s->txt_status = DNS_STS_TXT_NONE;
		return;
	}
	if (!err)
		err = dns_read_txt(q->answer, q->answer_len, t->ans.owner, &s->txt);
	if (err) {
		dns_txt_free(&s->txt);
		s->txt_status = DNS_STS_TXT_FAILED;
		s->txt_err = err;
		return;
	}
	s->txt_status = s->txt.n || s->txt.skipped ? DNS_STS_TXT_FOUND : DNS_STS_TXT_NONE;
}

static void read_addrs(struct sts_run *t, struct dns_sts *s, const struct dns_query *q,
		       uint16_t type)
{
	int err = answer_err(t, q, type);
	unsigned int i;

	if (err) {
		if (!s->naddrs && (!s->addr_err || s->addr_err == -ENODATA))
			s->addr_err = err;
		return;
	}
	for (i = 0; i < t->ans.n && s->naddrs < DNS_STS_ADDRS_MAX; i++)
		s->addrs[s->naddrs++] = t->ans.items[i].addr;
	s->addr_err = s->naddrs ? 0 : s->addr_err ? s->addr_err : -ENODATA;
}

static int ask_domain(struct sts_run *t, struct dns_sts *s, const char *domain,
		      struct errmsg *e)
{
	char name[DNS_NAME_BUF + 16];
	int err = dns_name_check(domain, s->domain, e);

	if (err)
		return err;
	snprintf(name, sizeof(name), "_mta-sts.%s", s->domain);
	if (strlen(name) > DNS_NAME_MAX)
		return errmsg_set(e, -EINVAL, "%s is too long for an MTA-STS policy", s->domain);
	memcpy(s->host, "mta-sts.", 8);
	memcpy(s->host + 8, s->domain, strlen(s->domain) + 1);	/* shorter than @name */
	if (dns_engine_add(&t->en, name, DNS_T_TXT, true, &t->sys.resolvers, -1) < 0 ||
	    dns_engine_add(&t->en, s->host, DNS_T_A, true, &t->sys.resolvers, -1) < 0 ||
	    dns_engine_add(&t->en, s->host, DNS_T_AAAA, true, &t->sys.resolvers, -1) < 0)
		return errmsg_set(e, -ENOMEM, "cannot ask about %s: out of memory", s->domain);
	return 0;
}

static int lookup(struct sts_run *t, const char *const *domains, unsigned int n,
		  struct dns_sts *out, struct errmsg *e)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < n; i++)
		err = ask_domain(t, &out[i], domains[i], e);
	if (!err)
		err = dns_engine_run(&t->en, e);
	for (i = 0; !err && i < n; i++) {
		read_txt(t, &out[i], dns_engine_query(&t->en, 3 * i));
		read_addrs(t, &out[i], dns_engine_query(&t->en, 3 * i + 1), DNS_T_A);
		read_addrs(t, &out[i], dns_engine_query(&t->en, 3 * i + 2), DNS_T_AAAA);
	}
	return err;
}

int dns_sts_lookup(const char *const *domains, unsigned int n, unsigned int timeout_ms,
		   unsigned int retries, struct dns_sts *out, struct errmsg *e)
{
	struct sts_run *t = calloc(1, sizeof(*t));
	int err;

	memset(out, 0, n * sizeof(*out));
	if (!t)
		return errmsg_set(e, -ENOMEM, "out of memory");
	err = dns_system_open(&t->sys, timeout_ms, retries, e);
	if (!err) {
		dns_engine_init(&t->en, timeout_ms, retries);
		err = lookup(t, domains, n, out, e);
		dns_engine_free(&t->en);
		dns_system_close(&t->sys);
	}
	free(t);
	return err;
}

void dns_sts_free(struct dns_sts *out, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		dns_txt_free(&out[i].txt);
}
