// SPDX-License-Identifier: GPL-2.0-or-later
/* What the commands share on their way to the kernel. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "cmd_common.h"

static int take_lock(const struct command *cmd, struct session *ss, struct errmsg *e)
{
	long holder = 0;
	int err = state_lock(&ss->dir, false, &holder, e);

	if (err != -EWOULDBLOCK)
		return err;
	fprintf(stderr, "redirect %s: waiting for another redirect (pid %ld) to finish...\n",
		cmd->name, holder);
	return state_lock(&ss->dir, true, &holder, e);
}

int begin_session(const struct command *cmd, struct session *ss, bool create, bool lock)
{
	struct errmsg e = { "" };
	int err;

	memset(ss, 0, sizeof(*ss));
	ss->dir.fd = ss->dir.lock_fd = -1;
	err = caps_keep_net_admin(&e);
	if (!err)
		err = session_open(ss, state_dir_path(globals.state_dir), create, &e);
	if (!err && lock)
		err = take_lock(cmd, ss, &e);
	if (!err)
		err = session_read(ss, &e);
	if (!err)
		err = session_check_table(ss, &e);
	if (err) {
		session_close(ss);
		return cli_fail(cmd, EXIT_FAILED, &e);
	}
	return EXIT_DONE;
}
