/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_OBSERVE_H
#define REDIRECT_OBSERVE_H

#include <stdbool.h>

#include "nft.h"
#include "stats.h"

/*
 * Reads what the kernel knows about the redirect into @st (initialised
 * with stats_init): counters, stale sources, open flows. @installed says
 * whether our table is there at all; without it @st stays empty.
 */
int observe(struct nft_sock *nft, struct stats *st, bool *installed, struct errmsg *e);

#endif
