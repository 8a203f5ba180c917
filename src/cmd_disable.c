// SPDX-License-Identifier: GPL-2.0-or-later
/* redirect disable: remove everything enable installed. */
#include <stdio.h>

#include "cmd_common.h"

static int cmd_disable(int argc, char **argv);

static const struct option_def disable_options[] = {
	{ NULL, NULL, NULL, false },
};

const struct command command_disable = {
	.name = "disable",
	.run = cmd_disable,
	.synopsis = "",
	.summary = "remove the redirect and put forwarding back",
	.description =
		"Deletes the table inet mail_redirect in one transaction and puts IP forwarding\n"
		"and the settings that came with it back as they were. Connections open now\n"
		"keep their NAT binding until they close; no mail session is cut.\n"
		"Nothing enabled is not an error.",
	.options = disable_options,
};

static int no_option(int index, const char *value, void *data, struct errmsg *e)
{
	return 0;
}

static int cmd_disable(int argc, char **argv)
{
	struct errmsg e = { "" };
	struct session ss;
	bool was_installed;
	int rc = cli_parse(&command_disable, argc, argv, no_option, NULL, &e);

	if (rc)
		return rc == 1 ? EXIT_DONE : cli_fail(&command_disable, EXIT_USAGE, &e);
	rc = begin_session(&command_disable, &ss, false, true);
	if (rc)
		return rc;
	if (uninstall(&ss, &was_installed, &e)) {
		session_close(&ss);
		return cli_fail(&command_disable, EXIT_FAILED, &e);
	}
	if (was_installed)
		printf("redirect: disabled. Connections already open keep going until they close.\n");
	else
		printf("redirect: nothing was enabled; nothing changed.\n");
	session_close(&ss);
	return EXIT_DONE;
}
