/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_NFT_VIEW_H
#define REDIRECT_NFT_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "lib/errmsg.h"
#include "nft/table.h"
#include "nft/transport.h"

/*
 * What of ours the kernel has, as a table_view: whether our table is there
 * and ours (its comment), which of our chains and sets are there in the
 * shape redirect gives them (anything else in it is foreign), the dynamic
 * sets' timeouts and sizes, and the counters. The shapes are judged here,
 * against the objects objects.c builds, so the transport stays a transport.
 */

/*
 * Reads the view, and the ruleset generation it was read at. One round
 * trip when the table is absent, four when it is there.
 */
int view_read(struct nft_sock *s, struct table_view *view, uint32_t *genid,
	      struct errmsg *e);

/* Kernel replies in @buf, read as view_read reads them: for the fuzzer. */
int view_from_replies(const void *buf, size_t len, struct table_view *view,
		      struct errmsg *e);

#endif
