// SPDX-License-Identifier: GPL-2.0-or-later
/* The PTR names of addresses, all asked at once of the system's resolvers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/ptr.h"
#include "dns/query.h"

static void read_ptr(const struct dns_query *q, struct dns_answer *ans, char **name)
{
	*name = NULL;
	if (q->err || dns_parse(q->answer, q->answer_len, q->name, DNS_T_PTR, ans))
		return;
	if (ans->rcode == DNS_RCODE_NOERROR && ans->n && ans->items[0].target[0])
		*name = strdup(ans->items[0].target);
}

static int ask_ptrs(struct dns_engine *en, const struct dns_system *sys,
		    const struct address *addrs, unsigned int n, struct errmsg *e)
{
	char name[DNS_NAME_BUF];
	unsigned int i;
	int idx;

	for (i = 0; i < n; i++) {
		dns_ptr_name(&addrs[i], name, sizeof(name));
		idx = dns_engine_add(en, name, DNS_T_PTR, true, &sys->resolvers, -1);
		if (idx < 0)
			return errmsg_set(e, idx, "cannot ask for %u names: %s", n, strerror(-idx));
	}
	return dns_engine_run(en, e);
}

int dns_ptr_lookup(const struct address *addrs, unsigned int n, char **names,
		   unsigned int timeout_ms, unsigned int retries, struct errmsg *e)
{
	struct dns_answer *ans = malloc(sizeof(*ans));
	struct dns_system sys;
	struct dns_engine en;
	unsigned int i;
	int err;

	for (i = 0; i < n; i++)
		names[i] = NULL;
	if (!ans)
		return errmsg_set(e, -ENOMEM, "out of memory");
	err = dns_system_open(&sys, timeout_ms, retries, e);
	if (err) {
		free(ans);
		return err;
	}
	dns_engine_init(&en, timeout_ms, retries);
	err = ask_ptrs(&en, &sys, addrs, n, e);
	for (i = 0; !err && i < n; i++)
		read_ptr(dns_engine_query(&en, i), ans, &names[i]);
	dns_engine_free(&en);
	dns_system_close(&sys);
	free(ans);
	return err;
}

void dns_names_free(char **names, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		free(names[i]);
		names[i] = NULL;
	}
}
