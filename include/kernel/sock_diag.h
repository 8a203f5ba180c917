/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_KERNEL_SOCK_DIAG_H
#define REDIRECT_KERNEL_SOCK_DIAG_H

#include <stdint.h>

#include "lib/parse.h"

/* One listening TCP socket: its address and port. */
typedef void (*listener_cb)(const struct address *a, uint16_t port, void *data);

/*
 * Every TCP socket listening in @family (AF_INET, AF_INET6) in this
 * network namespace, through sock_diag. A socket that cannot be opened or
 * asked lists nothing: the pre-flight's notes are hints, not refusals.
 */
void tcp_listeners(int family, listener_cb cb, void *data);

#endif
