/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_NFT_RANGE_H
#define REDIRECT_NFT_RANGE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/spec.h"

/* Address ranges never redirected, per family, merged and sorted. */
#define RANGES_MAX (SPEC_MAX_EXCLUDES + 2)
struct range {
	uint8_t start[16];
	uint8_t end[16];	/* first address after the range */
	bool to_top;		/* runs to the last address; end is unused */
};

/* The target itself and every --exclude of @family, as merged ranges. */
unsigned int exclude_ranges(const struct spec *spec, int family, struct range *out);

/* The prefix @r covers exactly, if any; @out->addr is the start either way. */
bool range_prefix(const struct range *r, int family, struct prefix *out);

/* The last address inside @r. */
void range_last(const struct range *r, int family, struct address *out);

#endif
