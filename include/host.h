/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_HOST_H
#define REDIRECT_HOST_H

#include <stdbool.h>

#include "parse.h"

/* Whether @a is an address of this host (in this network namespace). */
int host_has_address(const struct address *a, bool *local);

#endif
