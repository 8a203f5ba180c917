/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CLI_REPORT_H
#define REDIRECT_CLI_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "lib/findings.h"
#include "cli/cli.h"
#include "core/install.h"
#include "core/observe.h"

/*
 * Prints what a pre-flight found (notes to @info, warnings and refusals to
 * stderr), each wrapped at 78 columns; false when the command must stop
 * there (refused, no @force).
 */
bool cli_report_findings(const struct command *cmd, const struct findings *pf, bool force,
			 FILE *info);

/* After an install that mended a table changed by hand: what was wrong, what was kept. */
void cli_report_mended(const struct install_report *r);

/* What a look could not save in the state, as a warning; nothing when all was. */
void cli_warn_unsaved(const struct command *cmd, const struct snapshot *s);

#endif
