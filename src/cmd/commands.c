// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The command table: main() dispatches through it, `redirect --help` lists
 * it, `help` reads it, and a unit test holds every synopsis to its command's
 * option table.
 */
#include <errno.h>
#include <stdio.h>

#include "cli/cli.h"

static int cmd_help(int argc, char **argv);

enum { OPT_OPTIONS };

static const struct option_def help_options[] = {
	[OPT_OPTIONS] = { "options", "COMMAND",
		"list COMMAND's options one a line, each with the value it takes (for completion)",
		false },
	{ NULL, NULL, NULL, false },
};

const struct command command_help = {
	.name = "help",
	.run = cmd_help,
	.synopsis = "[COMMAND | --options COMMAND]",
	.summary = "show the help of a command: redirect help enable",
	.description = "Shows what COMMAND does and the options it takes; without one, the list "
		       "of\n"
		       "commands.",
	.options = help_options,
};

const struct command *const commands[] = {
	&command_enable,
	&command_disable,
	&command_restore,
	&command_stats,
	&command_check,
	&command_accept,
	&command_dns,
	&command_help,
	NULL,
};

/* The command a word names, or a usage error that says so. */
static const struct command *command_named(const char *word, struct errmsg *e)
{
	const struct command *cmd = cli_find_command(word);
	char q[QUOTE_BUF];

	if (!cmd)
		errmsg_set(e, -EINVAL, "no command %s; commands are listed by redirect --help",
			   quote(word, q, sizeof(q)));
	return cmd;
}

/* --options COMMAND: the command named, to list its options. */
static int on_option(int index, const char *value, void *data, struct errmsg *e)
{
	const struct command **listed = data;

	if (index == OPT_OPTIONS)
		*listed = command_named(value, e);
	return *listed ? 0 : -EINVAL;
}

/* "help COMMAND": the only word it takes is a command's name. */
static int cmd_help(int argc, char **argv)
{
	const struct command *cmd, *listed = NULL;
	struct errmsg e = { "" };
	char q[QUOTE_BUF];
	int i;

	for (i = 1; i < argc && argv[i][0] != '-'; i++)
		;
	if (i < argc) {	/* options after the words: --options, --help, --state-dir */
		int rc = cli_parse(&command_help, argc - i + 1, argv + i - 1, on_option, &listed,
				   &e);

		if (rc)
			return cli_parse_status(&command_help, rc, &e);
		argc = i;
	}
	if (listed && argc > 1) {
		errmsg_set(&e, -EINVAL, "--options takes the command itself (got %s besides)",
			   quote(argv[1], q, sizeof(q)));
		return cli_fail(&command_help, EXIT_USAGE, &e);
	}
	if (listed) {
		cli_list_options(listed, stdout);
		return EXIT_DONE;
	}
	if (argc < 2) {
		cli_main_usage(stdout);
		return EXIT_DONE;
	}
	if (argc > 2) {
		errmsg_set(&e, -EINVAL, "takes one command name (got %s after %s)",
			   quote(argv[2], q, sizeof(q)), argv[1]);
		return cli_fail(&command_help, EXIT_USAGE, &e);
	}
	cmd = command_named(argv[1], &e);
	if (!cmd)
		return cli_fail(&command_help, EXIT_USAGE, &e);
	cli_usage(cmd, stdout);
	return EXIT_DONE;
}
