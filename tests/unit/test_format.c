// SPDX-License-Identifier: GPL-2.0-or-later
/* Human units. */
#include "unit.h"

#include "lib/format.h"

static void durations(void **state)
{
	char b[FORMAT_BUF];

	assert_string_equal(format_duration(0, b, sizeof(b)), "0s");
	assert_string_equal(format_duration(42, b, sizeof(b)), "42s");
	assert_string_equal(format_duration(60, b, sizeof(b)), "1m");
	assert_string_equal(format_duration(61, b, sizeof(b)), "1m1s");
	assert_string_equal(format_duration(3600 + 120 + 5, b, sizeof(b)), "1h2m");
	assert_string_equal(format_duration(2 * 86400 + 4 * 3600 + 59, b, sizeof(b)), "2d4h");
	/* the rounded form never skips a unit: 1d0h5m reads as 1d */
	assert_string_equal(format_duration(86400 + 300, b, sizeof(b)), "1d");
	assert_string_equal(format_duration_exact(86400 + 300, b, sizeof(b)), "1d5m");
	assert_string_equal(format_duration_exact(7 * 86400, b, sizeof(b)), "7d");
	assert_string_equal(format_duration_exact(93784, b, sizeof(b)), "1d2h3m4s");
}

static void sizes(void **state)
{
	char b[FORMAT_BUF];

	assert_string_equal(format_bytes(0, b, sizeof(b)), "0 B");
	assert_string_equal(format_bytes(1023, b, sizeof(b)), "1023 B");
	assert_string_equal(format_bytes(1024, b, sizeof(b)), "1.0 KiB");
	assert_string_equal(format_bytes(1536, b, sizeof(b)), "1.5 KiB");
	assert_string_equal(format_bytes(48211, b, sizeof(b)), "47 KiB");
	assert_string_equal(format_bytes(5 * 1024 * 1024, b, sizeof(b)), "5.0 MiB");
	assert_string_equal(format_bytes(UINT64_MAX, b, sizeof(b)), "16 EiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(durations),
		cmocka_unit_test(sizes),
	};

	return RUN_TAP(tests);
}
