/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_NFT_RENDER_H
#define REDIRECT_NFT_RENDER_H

#include <stddef.h>
#include <stdio.h>

#include "lib/spec.h"
#include "nft/plan.h"

/*
 * The table @spec installs, in nft syntax: what --dry-run prints. `nft -f`
 * loads it into the same objects enable installs through netlink (a netns
 * test holds the two side by side).
 */
void render_table(const struct spec *spec, FILE *f);

/* One planned rule in nft syntax, as `nft list` prints it. */
void rule_text(const struct spec *spec, const struct planned_rule *rule, char *buf, size_t len);

#endif
