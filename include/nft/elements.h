/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_NFT_ELEMENTS_H
#define REDIRECT_NFT_ELEMENTS_H

#include "lib/spec.h"
#include "nft/ops.h"

/*
 * The elements of the fixed sets, as @spec has them: the ports, the
 * counter of each service in each counter map, the excluded ranges of each
 * family redirected. Appended to @ops; pure.
 */
void fill_sets(struct ops *ops, const struct spec *spec);

#endif
