/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_LIB_ERRMSG_H
#define REDIRECT_LIB_ERRMSG_H

#include <stddef.h>

/*
 * A sentence for the administrator, filled in by the layer that knows what
 * went wrong (the parser knows the bad value, the netlink layer knows which
 * object the kernel refused). Lower layers fill it and return -errno; only
 * the command layer prints it.
 */
struct errmsg {
	char text[512];
};

/* Formats the message and returns @err (a negative errno) for tail calls. */
int errmsg_set(struct errmsg *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepends "@fmt: " to the message already there. */
void errmsg_prefix(struct errmsg *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Quotes a value from the command line or a file for a message: printable
 * ASCII as is, anything else escaped, long values cut with "...".
 */
/* Room for quote() of any value: 64 characters, each escaped to four. */
#define QUOTE_BUF 280

const char *quote(const char *value, char *buf, size_t len);

#endif
