/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CLI_REPORT_H
#define REDIRECT_CLI_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "lib/findings.h"
#include "cli/cli.h"
#include "core/install.h"
#include "core/observe.h"
#include "core/session.h"
#include "core/tunnel.h"
#include "core/verdict.h"

/*
 * Prints what a pre-flight found (notes to @info, warnings and refusals to
 * stderr), each wrapped at 78 columns; false when the command must stop
 * there (refused, no @force).
 */
bool cli_report_findings(const struct command *cmd, const struct findings *pf, bool force,
			 FILE *info);

/* After an install that mended a table changed by hand: what was wrong, what was kept. */
void cli_report_mended(const struct install_report *r);

/* What enable (or a switch) did: where connections now go, and every setting it changed. */
void cli_report_enabled(const struct spec *spec, const struct install_report *r,
			const struct tunnel *t);

/*
 * On NEW, when another run holds the state lock: why the accounts shown are
 * those known before (the mail log is read, and the accounts written, only
 * under the lock; see accounts_update).
 */
#define CLI_LOG_NOT_READ "another redirect run holds the state lock, so the mail log was " \
	"not read this time"

/* What a look could not save in the state, as a warning; nothing when all was. */
void cli_warn_unsaved(const struct command *cmd, const struct snapshot *s);

/*
 * JSON only: "conntrack": {"entries": N, "max": N, "nearly_full": bool},
 * the table every redirected connection needs a place in (entries and max
 * null when they cannot be read); the words are health_words()'.
 */
struct printer;
void cli_print_conntrack(struct printer *p, const struct health *h);

/*
 * --public-address given (enable, accept): the state keeps those
 * addresses, in place of the ones it had, and says so. Nothing when none
 * was given or they are the ones kept.
 */
int cli_remember_public(struct session *ss, const struct public_addresses *given,
			struct errmsg *e);

#endif
