/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CMD_STATS_TEXT_H
#define REDIRECT_CMD_STATS_TEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/spec.h"
#include "dns/ptr_cache.h"
#include "core/observe.h"
#include "cli/print.h"
#include "cli/print_accounts.h"

#define SOURCES_TEXT_DEFAULT 10	/* stale sources listed in text, unless --sources */
#define SPARK_LEN 24		/* intervals in watch mode's history */

/* Each service's rate and history, in watch mode on a terminal. */
struct rates {
	bool show;
	double per_minute[SPEC_MAX_SERVICES];
	const char *spark[SPEC_MAX_SERVICES];
	unsigned int spark_glyphs;	/* UTF-8: glyphs, not bytes, for padding */
};

/*
 * One look at the redirect as text or JSON (the same calls; @p says
 * which): what is enabled, its health, DNS, the services and at most
 * @sources stale sources, with their PTR names from @names (NULL:
 * --numeric). @r (may be NULL) adds the rates of watch mode; @accounts
 * (NULL but on NEW) the accounts that came through. Returns the exit
 * status the look deserves.
 */
int stats_render(struct printer *p, const struct snapshot *s, uint64_t sources,
		 const struct name_cache *names, const struct rates *r,
		 const struct accounts_look *accounts);

#endif
