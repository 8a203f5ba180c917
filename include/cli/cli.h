/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CLI_CLI_H
#define REDIRECT_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/errmsg.h"

/* Exit statuses: the contract outside tests rely on. */
enum {
	EXIT_DONE = 0,		/* done (check: ready to retire) */
	EXIT_FAILED = 1,	/* failed, nothing changed (check: still in use) */
	EXIT_USAGE = 2,		/* bad input, nothing changed */
	EXIT_UNKNOWN = 3,	/* check: cannot tell */
	EXIT_DRAINING = 4,	/* disable: not finished, sessions still open (a scripted
				 * `disable && retire` must not go on) */
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
	const char *synopsis;		/* after "redirect NAME "; a test checks it */
	const char *summary;		/* one line, for `redirect --help` */
	const char *description;	/* a few lines, for `redirect help NAME` */
	const struct option_def *options;	/* ends with { NULL } */
	void (*more_help)(FILE *f);	/* optional: printed after the options */
	bool operands;			/* takes words that are not options (dns DOMAIN...) */
	/*
	 * Optional: what option @index takes when it is not given, in words
	 * (NULL: nothing to say), written from the constant the command uses:
	 * --help prints it after the option's help as "(default ...)".
	 */
	const char *(*default_of)(int index, char *buf, size_t len);
};

/* Options every command takes, before or after its name. */
struct globals {
	const char *state_dir;
};
extern struct globals globals;

/* What parsing asked for besides going on. */
enum { CLI_GO = 0, CLI_HELP = 1, CLI_VERSION = 2 };

/* The index on_option() gets for a word that is not an option (cmd->operands). */
#define CLI_OPERAND (-1)

/*
 * Walks argv[1..] against the command's table and the global options,
 * exact names only ("--dry" is not "--dry-run"). Calls @on_option with the
 * index of each option and its value, or CLI_OPERAND and the word. Returns 0; CLI_HELP after printing
 * the command's help; CLI_VERSION after printing the version; or -EINVAL
 * with @e naming the argument.
 */
typedef int (*option_cb)(int index, const char *value, void *data, struct errmsg *e);
int cli_parse(const struct command *cmd, int argc, char **argv, option_cb on_option,
	      void *data, struct errmsg *e);

/*
 * The global options before the command word, the same table and the same
 * messages as after it. Sets *@next to the index of the command word
 * (argc when there is none). Returns as cli_parse does, printing the
 * general usage for --help.
 */
int cli_parse_leading(int argc, char **argv, int *next, struct errmsg *e);

/* The general usage (the command table and the global options). */
void cli_main_usage(FILE *f);
void cli_usage(const struct command *cmd, FILE *f);

/*
 * @cmd's options and the global ones, one a line: the option, then the
 * word of the value it takes (none for a flag): "--to ADDRESS". What bash
 * completion asks for (`redirect help --options COMMAND`), so that it
 * offers nothing where a value is due, and never drifts from the tool.
 */
void cli_list_options(const struct command *cmd, FILE *f);

/* A duration default in words ("7d"), for a command's default_of. */
const char *cli_default_duration(uint64_t seconds, char *buf, size_t len);

/* The command of that exact name, or NULL. */
const struct command *cli_find_command(const char *name);

/* Prints "redirect NAME: message" to stderr and returns @status. */
int cli_fail(const struct command *cmd, int status, const struct errmsg *e);

/*
 * For session_begin(): "redirect NAME: waiting for another redirect (pid N)
 * to finish...", @command being the struct command that waits.
 */
void cli_say_waiting(long holder_pid, const void *command);

/* An option callback for commands that take none of their own. */
int cli_no_option(int index, const char *value, void *data, struct errmsg *e);

/*
 * The exit status of a command whose cli_parse() returned @rc (non-zero):
 * EXIT_DONE after help or the version, else EXIT_USAGE with @e printed.
 */
int cli_parse_status(const struct command *cmd, int rc, const struct errmsg *e);

/* Every command, `help` included, in the order --help lists them; ends with NULL. */
extern const struct command *const commands[];
extern const struct command command_enable, command_disable, command_restore,
	command_stats, command_check, command_accept, command_dns, command_help;

#endif
