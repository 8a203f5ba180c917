/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CLI_H
#define REDIRECT_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "errmsg.h"

/* Exit statuses: the contract outside tests rely on. */
enum {
	EXIT_DONE = 0,		/* done (check: ready to retire) */
	EXIT_FAILED = 1,	/* failed, nothing changed (check: still in use) */
	EXIT_USAGE = 2,		/* bad input, nothing changed */
	EXIT_UNKNOWN = 3,	/* check: cannot tell */
};

struct option_def {
	const char *name;	/* without the leading "--" */
	const char *arg;	/* what it takes, e.g. "ADDRESS"; NULL for a flag */
	const char *help;
	bool repeatable;
};

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *synopsis;		/* after "redirect NAME " */
	const char *summary;		/* one line, for `redirect --help` */
	const char *description;	/* a few lines, for `redirect help NAME` */
	const struct option_def *options;	/* ends with { NULL } */
};

/* Options every command takes. */
struct globals {
	const char *state_dir;
};
extern struct globals globals;

/*
 * Walks argv[1..] against the command's table, exact names only ("--dry"
 * is not "--dry-run"). Calls @on_option with the index of each option and
 * its value. Returns 0, or 1 after printing --help, or -EINVAL with @e
 * naming the argument.
 */
typedef int (*option_cb)(int index, const char *value, void *data, struct errmsg *e);
int cli_parse(const struct command *cmd, int argc, char **argv, option_cb on_option,
	      void *data, struct errmsg *e);

void cli_usage(const struct command *cmd, FILE *f);

/* Prints "redirect NAME: message" to stderr and returns @status. */
int cli_fail(const struct command *cmd, int status, const struct errmsg *e);

extern const struct command command_enable, command_disable, command_restore,
	command_stats, command_check;
extern const struct command *const commands[];

#endif
