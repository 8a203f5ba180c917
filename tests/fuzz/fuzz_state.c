// SPDX-License-Identifier: GPL-2.0-or-later
/* The state file: a damaged one is refused, an accepted one round-trips. */
#include <stdlib.h>
#include <string.h>

#include "core/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct state a, b;
	static char one[STATE_TEXT_MAX], two[STATE_TEXT_MAX];
	struct errmsg e;
	int n1, n2;

	if (state_parse((const char *)data, size, &a, &e))
		return 0;
	n1 = state_format(&a, one, sizeof(one));
	if (n1 < 0)
		return 0;	/* too many records to write back: refused on write */
	if (state_parse(one, (size_t)n1, &b, &e))
		abort();
	n2 = state_format(&b, two, sizeof(two));
	if (n1 != n2 || memcmp(one, two, (size_t)n1))
		abort();
	return 0;
}
