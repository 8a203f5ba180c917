// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Privileges: redirect needs CAP_NET_ADMIN for netlink and runs as uid 0
 * (the owner of /proc/sys and the state directory), so every other
 * capability goes before it touches anything. `dns` only asks DNS servers
 * and reads the state: it needs none, and keeps none.
 */
#include <errno.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cap-ng.h>

#include "kernel/caps.h"

int caps_keep_net_admin(struct errmsg *e)
{
	if (capng_get_caps_process() < 0)
		return errmsg_set(e, -EPERM, "cannot read this process's capabilities");
	if (!capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_ADMIN))
		return errmsg_set(e, -EPERM,
				  "this needs the CAP_NET_ADMIN capability: run it as root (e.g. "
				  "with sudo)");
	capng_clear(CAPNG_SELECT_ALL);
	capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
		     CAP_NET_ADMIN);
	/*
	 * Bounding and ambient sets need CAP_SETPCAP, which a binary given only
	 * cap_net_admin by setcap lacks; then the capability sets must do.
	 */
	if (capng_apply(CAPNG_SELECT_ALL) < 0 && capng_apply(CAPNG_SELECT_CAPS) < 0)
		return errmsg_set(e, -EPERM, "cannot drop capabilities other than CAP_NET_ADMIN");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return errmsg_set(e, -errno, "cannot set no_new_privs");
	return 0;
}

int caps_drop_all(struct errmsg *e)
{
	if (capng_get_caps_process() < 0)
		return errmsg_set(e, -EPERM, "cannot read this process's capabilities");
	capng_clear(CAPNG_SELECT_ALL);
	/* the bounding set needs CAP_SETPCAP; without it there is nothing to bound */
	if (capng_apply(CAPNG_SELECT_ALL) < 0 && capng_apply(CAPNG_SELECT_CAPS) < 0)
		return errmsg_set(e, -EPERM, "cannot drop this process's capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return errmsg_set(e, -errno, "cannot set no_new_privs");
	return 0;
}
