/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CMD_COMMON_H
#define REDIRECT_CMD_COMMON_H

#include <stdbool.h>

#include "cli.h"
#include "install.h"

/*
 * The start every kernel-facing command shares: keep CAP_NET_ADMIN only,
 * open the state directory (made if @create) and the netlink socket, take
 * the lock if @lock (saying so when another run has it), read state and
 * kernel. Prints what went wrong; returns EXIT_DONE to go on.
 */
int begin_session(const struct command *cmd, struct session *ss, bool create, bool lock);

#endif
