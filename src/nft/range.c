// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Excluded sources as address ranges: prefixes turned into [start, end),
 * merged the way nft merges an interval set, and back into prefixes (or
 * a-b ranges) for the listing. Pure arithmetic on big-endian bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "nft/range.h"
#include "lib/owned.h"

static int compare_ranges(const void *a, const void *b)
{
	return memcmp(((const struct range *)a)->start, ((const struct range *)b)->start, 16);
}

/* [network, network + 2^(bits - len)), or to the top of the address space */
static void prefix_range(const struct address *addr, unsigned int len, unsigned int bits,
			 struct range *r)
{
	unsigned int bytes = bits / 8, byte;
	unsigned int carry;

	memset(r, 0, sizeof(*r));
	memcpy(r->start, &addr->in, bytes);
	memcpy(r->end, r->start, bytes);
	if (len == 0) {
		r->to_top = true;
		return;
	}
	byte = (len - 1) / 8;
	carry = 1U << (7 - (len - 1) % 8);
	for (;;) {
		unsigned int sum = r->end[byte] + carry;

		r->end[byte] = (uint8_t)sum;
		carry = sum >> 8;
		if (!carry)
			break;
		if (byte == 0) {
			r->to_top = true;
			break;
		}
		byte--;
	}
}

static unsigned int merge_ranges(struct range *r, unsigned int n)
{
	unsigned int i, out = 0;

	if (!n)
		return 0;
	qsort(r, n, sizeof(*r), compare_ranges);
	for (i = 1; i < n; i++) {
		struct range *cur = &r[out];

		/* overlapping or adjacent: one range, as nft would list it */
		if (cur->to_top || memcmp(r[i].start, cur->end, 16) <= 0) {
			if (r[i].to_top)
				cur->to_top = true;
			else if (!cur->to_top && memcmp(r[i].end, cur->end, 16) > 0)
				memcpy(cur->end, r[i].end, 16);
			continue;
		}
		r[++out] = r[i];
	}
	return out + 1;
}

unsigned int exclude_ranges(const struct spec *spec, int family, struct range *out)
{
	unsigned int bits = family == AF_INET ? 32 : 128, i, n = 0;
	const struct address *to = spec_target(spec, family);

	if (spec_uses(spec, family))
		prefix_range(to, bits, bits, &out[n++]);
	if (spec_links(spec)) {	/* nothing from a tunnel goes back into one */
		struct prefix p;

		tunnel_range(family, &p);
		prefix_range(&p.addr, p.len, bits, &out[n++]);
	}
	for (i = 0; i < spec->nexcludes; i++) {
		const struct prefix *p = &spec->excludes[i];

		if (p->addr.family == family)
			prefix_range(&p->addr, p->len, bits, &out[n++]);
	}
	return merge_ranges(out, n);
}

static bool host_bits_zero(const uint8_t *a, unsigned int len, unsigned int bits)
{
	unsigned int i;

	for (i = len; i < bits; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

bool range_prefix(const struct range *r, int family, struct prefix *out)
{
	unsigned int bits = family == AF_INET ? 32 : 128, len;
	struct range probe;

	memset(out, 0, sizeof(*out));
	out->addr.family = family;
	memcpy(&out->addr.in, r->start, bits / 8);
	for (len = 0; len <= bits; len++) {
		if (!host_bits_zero(r->start, len, bits))
			continue;
		prefix_range(&out->addr, len, bits, &probe);
		if (probe.to_top != r->to_top)
			continue;
		if (r->to_top || !memcmp(probe.end, r->end, 16)) {
			out->len = (uint8_t)len;
			return true;
		}
	}
	return false;
}

void range_last(const struct range *r, int family, struct address *out)
{
	unsigned int bytes = family == AF_INET ? 4 : 16;
	uint8_t *b = (uint8_t *)&out->in;
	int i;

	memset(out, 0, sizeof(*out));
	out->family = family;
	if (r->to_top) {
		memset(b, 0xff, bytes);
		return;
	}
	memcpy(b, r->end, bytes);
	for (i = (int)bytes - 1; i >= 0 && b[i]-- == 0; i--)
		;
}

