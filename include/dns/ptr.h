/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_DNS_PTR_H
#define REDIRECT_DNS_PTR_H

#include "lib/errmsg.h"
#include "lib/parse.h"

/*
 * The PTR name of each of @n addresses into @names[i] (malloc'd; NULL when
 * it has none, or no answer came), asking the resolvers of resolv.conf,
 * all at once, within @timeout_ms per try and @retries. Never blocks
 * longer. Returns 0, or -errno with @e when it cannot ask at all.
 */
int dns_ptr_lookup(const struct address *addrs, unsigned int n, char **names,
		   unsigned int timeout_ms, unsigned int retries, struct errmsg *e);

void dns_names_free(char **names, unsigned int n);

#endif
