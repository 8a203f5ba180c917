// SPDX-License-Identifier: GPL-2.0-or-later
/* redirect restore: put back what the state says is enabled. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "core/install.h"

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
		"Does nothing when the redirect is in place or nothing is enabled. On the new\n"
		"server it brings back what `redirect accept` made: the tunnel's end, its\n"
		"return path and its table.",
	.options = restore_options,
};

static int cmd_restore(int argc, char **argv)
{
	struct install_report report;
	struct errmsg e = { "" };
	struct session ss;
	struct spec spec;
	int rc = cli_parse(&command_restore, argc, argv, cli_no_option, NULL, &e);

	if (rc)
		return cli_parse_status(&command_restore, rc, &e);
	if (session_begin(&ss, globals.state_dir, SESSION_LOCK, cli_say_waiting, &command_restore,
			  &e))
		return cli_fail(&command_restore, EXIT_FAILED, &e);
	spec = ss.state.spec;
	if (!ss.state.enabled) {
		printf("redirect: nothing is enabled; nothing to restore.\n");
	} else if (install_adopt(&ss, &spec, &e)) {	/* a previous tunnel unused goes */
		rc = cli_fail(&command_restore, EXIT_FAILED, &e);
	} else if (install_in_place(&ss, &spec)) {
		printf("redirect: the redirect is in place; nothing changed.\n");
	} else {
		ss.state.restored |= !ss.view.exists;	/* its flows outlive its counters */
		if (install_spec(&ss, &spec, &report, &e)) {
			rc = cli_fail(&command_restore, EXIT_FAILED, &e);
		} else {
			printf("redirect: restored the %s%s.\n", ss.state.spec.role == ROLE_NEW ?
			       "tunnel's end and its table" : "redirect",
			       report.forwarding_on ? " and switched forwarding back on" : "");
			cli_report_mended(&report);
		}
	}
	session_close(&ss);
	return rc;
}
