/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_KERNEL_CAPS_H
#define REDIRECT_KERNEL_CAPS_H

#include "lib/errmsg.h"

/*
 * Keeps CAP_NET_ADMIN and nothing else (effective, permitted, bounding
 * set), and sets no_new_privs. Returns -EPERM with a one-line message when
 * CAP_NET_ADMIN is not there to keep.
 */
int caps_keep_net_admin(struct errmsg *e);

/*
 * For commands that need no privilege (dns): every capability goes, and
 * no_new_privs. Succeeds for an unprivileged user too, who has none.
 */
int caps_drop_all(struct errmsg *e);

#endif
