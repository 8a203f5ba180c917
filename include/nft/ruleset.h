/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_NFT_RULESET_H
#define REDIRECT_NFT_RULESET_H

#include "lib/spec.h"
#include "nft/ops.h"
#include "nft/table.h"

/*
 * The transactions on our table, as lists of libnftnl objects for
 * nft_commit(). Pure: no I/O. (The vocabulary is in table.h, the plan of
 * rules in plan.h, the rules themselves in rules.c and tunnel_rules.c.)
 */

/*
 * Builds the transaction that turns what @view says is installed into what
 * @spec asks for: counters and stale-source sets that already exist keep
 * their values, everything else is replaced.
 */
int ruleset_build(const struct spec *spec, const struct table_view *view,
		  struct ops *out);

/*
 * The transaction that stops new redirects but keeps open ones working,
 * and the guards of @spec's tunnel links while they exist.
 */
int ruleset_build_drain(const struct spec *spec, const struct table_view *view,
			struct ops *out);

/*
 * The guards of @spec's tunnel links and nothing else: the table before
 * a link comes up where none was, and before the links go at the end.
 */
int ruleset_build_guards(const struct spec *spec, const struct table_view *view,
			 struct ops *out);

/* The transaction that removes the table. */
int ruleset_build_delete(struct ops *out);

#endif
