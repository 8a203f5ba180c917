/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CLI_PRINT_ACCOUNTS_H
#define REDIRECT_CLI_PRINT_ACCOUNTS_H

#include <stdint.h>
#include <stdio.h>

#include "cli/print.h"
#include "core/account_feed.h"
#include "dns/ptr_cache.h"

#define ACCOUNTS_TEXT_DEFAULT 20	/* accounts listed in text; JSON lists all */

/* What a look on NEW knows of the accounts, and what it read of the log. */
struct accounts_look {
	const struct accounts *accounts;
	const struct account_read *read;
};

/*
 * The ACCOUNTS section of stats on NEW, text and JSON from the same calls:
 * "accounts" (the list), "accounts_log" (what this run read). At most
 * @limit accounts in text; @names (NULL with --numeric) gives the PTR
 * names the stale sources have.
 */
void print_accounts(struct printer *p, const struct accounts_look *look, int64_t now,
		    uint64_t window, uint64_t limit, const struct name_cache *names);

/* Prometheus: how many accounts, never who (no user names as labels). */
void prom_accounts(FILE *f, const struct accounts *a);

#endif
