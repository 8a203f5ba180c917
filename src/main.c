// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * redirect: forward the mail connections that still reach an old server
 * to the new one, in the kernel, and tell when the old one can go.
 *
 * main() only finds the command (commands.c); each command parses its own
 * options, prints, and picks the exit status (see cli.h).
 */
#include <stdio.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
	const struct command *cmd;
	struct errmsg e = { "" };
	char q[QUOTE_BUF];
	int i, rc;

	/*
	 * Messages are written a word at a time (wrapped to the terminal);
	 * unbuffered, each word was a system call of its own. A line at a
	 * time reads the same.
	 */
	setvbuf(stderr, NULL, _IOLBF, BUFSIZ);
	rc = cli_parse_leading(argc, argv, &i, &e);
	if (rc < 0) {
		fprintf(stderr, "redirect: %s\n", e.text);
		return EXIT_USAGE;
	}
	if (rc)
		return EXIT_DONE;
	if (i >= argc) {
		cli_main_usage(stderr);
		return EXIT_USAGE;
	}
	cmd = cli_find_command(argv[i]);
	if (!cmd) {
		fprintf(stderr, "redirect: unknown command %s; see redirect --help\n",
			quote(argv[i], q, sizeof(q)));
		return EXIT_USAGE;
	}
	return cmd->run(argc - i, argv + i);
}
