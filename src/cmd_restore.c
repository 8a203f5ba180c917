// SPDX-License-Identifier: GPL-2.0-or-later
/* redirect restore: put back what the state says is enabled. */
#include <stdio.h>

#include "cmd_common.h"

static int cmd_restore(int argc, char **argv);

static const struct option_def restore_options[] = {
	{ NULL, NULL, NULL, false },
};

const struct command command_restore = {
	.name = "restore",
	.run = cmd_restore,
	.synopsis = "",
	.summary = "reinstall the redirect after a reboot or a flushed ruleset",
	.description =
		"Installs again exactly what the state directory says is enabled, and switches\n"
		"forwarding back on: after a reboot, or after `nft flush ruleset` (which\n"
		"nftables.service runs on reload) removed the table. Counters start again from\n"
		"zero; the time of the last redirected connection is kept in the state.\n"
		"Does nothing when the redirect is in place or nothing is enabled.",
	.options = restore_options,
};

static int no_option(int index, const char *value, void *data, struct errmsg *e)
{
	return 0;
}

static int cmd_restore(int argc, char **argv)
{
	struct install_report report;
	struct errmsg e = { "" };
	struct session ss;
	int rc = cli_parse(&command_restore, argc, argv, no_option, NULL, &e);

	if (rc)
		return rc == 1 ? EXIT_DONE : cli_fail(&command_restore, EXIT_USAGE, &e);
	rc = begin_session(&command_restore, &ss, false, true);
	if (rc)
		return rc;
	if (!ss.state.enabled) {
		printf("redirect: nothing is enabled; nothing to restore.\n");
	} else if (session_is_installed(&ss, &ss.state.spec)) {
		printf("redirect: the redirect is in place; nothing changed.\n");
	} else if (install_spec(&ss, &ss.state.spec, &report, &e)) {
		rc = cli_fail(&command_restore, EXIT_FAILED, &e);
	} else {
		printf("redirect: restored the redirect%s.\n",
		       report.forwarding_on ? " and switched forwarding back on" : "");
	}
	session_close(&ss);
	return rc;
}
