// SPDX-License-Identifier: GPL-2.0-or-later
/* Human units for durations and sizes, used by every text output. */
#include <inttypes.h>
#include <stdio.h>

#include "lib/format.h"

static const struct {
	char unit;
	uint64_t seconds;
} units[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 } };
#define NUNITS (sizeof(units) / sizeof(units[0]))

/*
 * Up to @max_terms units, largest first. A rounded form (max_terms 2) only
 * takes the unit right after the first one: "1d5m" would read oddly.
 */
static const char *duration(uint64_t seconds, unsigned int max_terms, char *buf, size_t len)
{
	unsigned int i, terms = 0, first = 0;
	size_t used = 0;

	buf[0] = '\0';
	for (i = 0; i < NUNITS && terms < max_terms && used < len; i++) {
		uint64_t n = seconds / units[i].seconds;

		if (terms && max_terms < NUNITS && i != first + 1)
			break;
		if (!n)
			continue;
		if (!terms)
			first = i;
		used += (size_t)snprintf(buf + used, len - used, "%" PRIu64 "%c", n, units[i].unit);
		seconds -= n * units[i].seconds;
		terms++;
	}
	if (!terms)
		snprintf(buf, len, "0s");
	return buf;
}

const char *format_duration(uint64_t seconds, char *buf, size_t len)
{
	return duration(seconds, 2, buf, len);
}

const char *format_duration_exact(uint64_t seconds, char *buf, size_t len)
{
	return duration(seconds, NUNITS, buf, len);
}

const char *format_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *const names[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	unsigned int i = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return buf;
	}
	v /= 1024;
	while (v >= 1024 && i + 1 < sizeof(names) / sizeof(names[0])) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, v < 10 ? "%.1f %s" : "%.0f %s", v, names[i]);
	return buf;
}
