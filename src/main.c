// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * redirect: forward the mail connections that still reach an old server
 * to the new one, in the kernel, and tell when the old one can go.
 *
 * main() only finds the command; each command parses its own options,
 * prints, and picks the exit status (see cli.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"

const struct command *const commands[] = {
	&command_enable,
	&command_disable,
	&command_restore,
	&command_stats,
	&command_check,
	NULL,
};

static const struct command *find_command(const char *name)
{
	unsigned int i;

	for (i = 0; commands[i]; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static void usage(FILE *f)
{
	unsigned int i;

	fprintf(f, "Usage: redirect [--state-dir DIR] COMMAND [OPTIONS]\n\n"
		"Forwards the mail connections that still reach this (old) server to the\n"
		"new one, in the kernel, and tells when this server can be retired.\n\n"
		"Commands:\n");
	for (i = 0; commands[i]; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "  %-10s %s\n\n", "help", "show the help of a command: redirect help enable");
	fprintf(f, "Options:\n  --state-dir DIR  where redirect keeps its state (default /var/lib/redirect)\n"
		"  --version        print the version\n  --help           show this help\n\n"
		"See redirect(8) for the whole story.\n");
}

static int help(int argc, char **argv)
{
	const struct command *cmd;
	char q[QUOTE_BUF];

	if (argc < 2) {
		usage(stdout);
		return EXIT_DONE;
	}
	cmd = find_command(argv[1]);
	if (!cmd || argc > 2) {
		fprintf(stderr, "redirect help: no command %s; commands are listed by redirect --help\n",
			quote(argv[1], q, sizeof(q)));
		return EXIT_USAGE;
	}
	cli_usage(cmd, stdout);
	return EXIT_DONE;
}

/* --state-dir may also come before the command. */
static int leading_options(int argc, char **argv, int *i)
{
	char q[QUOTE_BUF];

	for (*i = 1; *i < argc; (*i)++) {
		const char *a = argv[*i];

		if (!strcmp(a, "--state-dir") || !strcmp(a, "--state-dir=")) {
			if (*i + 1 >= argc || !argv[*i + 1][0] || a[11] == '=') {
				fprintf(stderr, "redirect: --state-dir needs a directory\n");
				return EXIT_USAGE;
			}
			globals.state_dir = argv[++*i];
		} else if (!strncmp(a, "--state-dir=", 12) && a[12]) {
			globals.state_dir = a + 12;
		} else if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
			printf("redirect %s\n", PACKAGE_VERSION);
			return EXIT_DONE;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return EXIT_DONE;
		} else if (a[0] == '-') {
			fprintf(stderr, "redirect: unknown option %s; see redirect --help\n",
				quote(a, q, sizeof(q)));
			return EXIT_USAGE;
		} else {
			return -1;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	char q[QUOTE_BUF];
	int i, rc = leading_options(argc, argv, &i);

	if (rc >= 0)
		return rc;
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help"))
		return help(argc - i, argv + i);
	cmd = find_command(argv[i]);
	if (!cmd) {
		fprintf(stderr, "redirect: unknown command %s; see redirect --help\n",
			quote(argv[i], q, sizeof(q)));
		return EXIT_USAGE;
	}
	return cmd->run(argc - i, argv + i);
}
