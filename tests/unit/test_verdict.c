// SPDX-License-Identifier: GPL-2.0-or-later
/* When the old host can go, with the clock as an argument: no sleeps. */
#include "unit.h"

#include "verdict.h"

#define DAY 86400
static const int64_t T0 = 1795000000;	/* enable */

static struct verdict at(int64_t now, int64_t last_seen_at, uint64_t open)
{
	struct verdict v;

	verdict_decide(now, T0, last_seen_at, open, 7 * DAY, &v);
	return v;
}

static void never_used(void **state)
{
	struct verdict v = at(T0 + 3600, 0, 0);

	assert_int_equal(v.status, VERDICT_IN_USE);	/* enabled for too short */
	assert_int_equal(v.quiet, 3600);
	assert_int_equal(v.ready_in, 7 * DAY - 3600);
	v = at(T0 + 7 * DAY, 0, 0);
	assert_int_equal(v.status, VERDICT_READY);
	assert_int_equal(v.ready_in, 0);
}

static void recent_connection(void **state)
{
	struct verdict v = at(T0 + 8 * DAY, T0 + 8 * DAY - 42, 0);

	assert_int_equal(v.status, VERDICT_IN_USE);
	assert_int_equal(v.quiet, 42);
	assert_int_equal(v.ready_in, 7 * DAY - 42);
	v = at(T0 + 15 * DAY - 43, T0 + 8 * DAY - 42, 0);
	assert_int_equal(v.status, VERDICT_IN_USE);
	assert_int_equal(v.ready_in, 1);
	v = at(T0 + 15 * DAY - 42, T0 + 8 * DAY - 42, 0);
	assert_int_equal(v.status, VERDICT_READY);
	assert_string_equal(verdict_name(v.status), "ready");
}

static void open_session(void **state)
{
	struct verdict v = at(T0 + 30 * DAY, T0 + DAY, 1);

	assert_int_equal(v.status, VERDICT_IN_USE);
	assert_int_equal(v.ready_in, 0);	/* ready once it closes */
	assert_int_equal(v.open, 1);
}

static void clock_oddities(void **state)
{
	/* a last-seen before enable (an earlier migration) counts as enable */
	struct verdict v = at(T0 + DAY, T0 - 5 * DAY, 0);

	assert_int_equal(v.quiet, DAY);
	/* the clock stepped back below enable */
	v = at(T0 - 100, 0, 0);
	assert_int_equal(v.quiet, 0);
	assert_int_equal(v.status, VERDICT_IN_USE);
	/* a last-seen in the future (clock stepped back) */
	v = at(T0 + DAY, T0 + 2 * DAY, 0);
	assert_int_equal(v.quiet, 0);
	assert_string_equal(verdict_name(VERDICT_IN_USE), "in-use");
	assert_string_equal(verdict_name(VERDICT_UNKNOWN), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(never_used),
		cmocka_unit_test(recent_connection),
		cmocka_unit_test(open_session),
		cmocka_unit_test(clock_oddities),
	};

	return RUN_TAP(tests);
}
