/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_NFT_DRIFT_H
#define REDIRECT_NFT_DRIFT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/spec.h"
#include "nft/table.h"
#include "nft/transport.h"

/*
 * Whether our table in the kernel is what redirect installs for @spec:
 * nothing others added (a chain, a set, an object), none of ours missing
 * or of another shape, each chain's rules exactly ours and in order, each
 * fixed set's elements exactly ours. @view is the table as view_read()
 * read it. Three dumps besides: the rules, and the fixed sets' elements.
 */
struct drift {
	bool found;
	char what[320];		/* the first difference, in words */
};

int drift_find(struct nft_sock *nft, const struct spec *spec, const struct table_view *view,
	       struct drift *d, struct errmsg *e);

/* A rule as libnftnl prints it, less what the kernel keeps changing (anonymous counters). */
struct nftnl_rule;
void drift_rule_text(const struct nftnl_rule *r, char *buf, size_t len);

#endif
