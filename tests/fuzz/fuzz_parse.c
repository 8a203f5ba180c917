// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Addresses, prefixes, ports, durations: whatever an admin can type.
 * What parses must print back to something that parses to the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/format.h"
#include "lib/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void address(const char *s)
{
	struct errmsg e;
	struct address a, b;
	char buf[ADDRESS_STRLEN];

	if (parse_address(s, &a, &e))
		return;
	address_unusable(&a);
	if (parse_address(address_str(&a, buf), &b, &e) || !address_equal(&a, &b))
		abort();
}

static void prefix(const char *s)
{
	struct errmsg e;
	struct prefix p, q;
	char buf[ADDRESS_STRLEN];

	if (parse_prefix(s, &p, &e))
		return;
	if (parse_prefix(prefix_str(&p, buf), &q, &e) || q.len != p.len ||
	    !address_equal(&p.addr, &q.addr) || !prefix_contains(&p, &p.addr))
		abort();
}

static void duration(const char *s)
{
	struct errmsg e;
	uint64_t a, b;
	char buf[FORMAT_BUF];

	if (parse_duration(s, &a, &e))
		return;
	format_duration(a, buf, sizeof(buf));
	if (parse_duration(format_duration_exact(a, buf, sizeof(buf)), &b, &e) || a != b)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	uint16_t port;
	struct errmsg e;

	if (size < 1)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0: address(s); break;
	case 1: prefix(s); break;
	case 2: duration(s); break;
	case 3: parse_port(s, &port, &e); break;
	}
	free(s);
	return 0;
}
