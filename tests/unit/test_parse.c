// SPDX-License-Identifier: GPL-2.0-or-later
/* Addresses, prefixes, ports and durations: every form, every refusal. */
#include "unit.h"

#include <errno.h>

#include "lib/parse.h"

static void expect_address_error(const char *in, const char *needle)
{
	struct errmsg e = { "" };
	struct address a;

	assert_int_not_equal(parse_address(in, &a, &e), 0);
	if (!strstr(e.text, needle))
		fail_msg("for %s: '%s' lacks '%s'", in, e.text, needle);
}

static void addresses_valid(void **state)
{
	struct errmsg e;
	struct address a;
	char buf[ADDRESS_STRLEN];

	assert_int_equal(parse_address("198.51.100.2", &a, &e), 0);
	assert_int_equal(a.family, AF_INET);
	assert_string_equal(address_str(&a, buf), "198.51.100.2");
	assert_int_equal(parse_address("2001:db8:2::2", &a, &e), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_string_equal(address_str(&a, buf), "2001:db8:2::2");
	assert_int_equal(parse_address("2001:DB8:2:0:0:0:0:2", &a, &e), 0);
	assert_string_equal(address_str(&a, buf), "2001:db8:2::2");
}

static void addresses_refused(void **state)
{
	expect_address_error("mail.example.com", "host name");
	expect_address_error("localhost", "host name");
	expect_address_error("198.51.100.0/24", "is a prefix");
	expect_address_error("fe80::1%eth0", "zone");
	expect_address_error("198.51.100", "not an IP address");
	expect_address_error("198.51.100.256", "not an IP address");
	expect_address_error("1.2.3.4.5", "not an IP address");
	expect_address_error(" 198.51.100.2", "not an IP address");
	expect_address_error("198.51.100.2 ", "not an IP address");
	expect_address_error("", "empty");
	expect_address_error("-1", "not an IP address");
}

static void address_too_long(void **state)
{
	char big[600];

	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	expect_address_error(big, "too long");
}

static void expect_unusable(const char *in, const char *needle)
{
	struct errmsg e;
	struct address a;
	const char *why;

	assert_int_equal(parse_address(in, &a, &e), 0);
	why = address_unusable(&a);
	assert_non_null(why);
	if (!strstr(why, needle))
		fail_msg("for %s: '%s' lacks '%s'", in, why, needle);
}

static void addresses_unusable(void **state)
{
	struct errmsg e;
	struct address a;

	expect_unusable("0.0.0.0", "unspecified");
	expect_unusable("::", "unspecified");
	expect_unusable("127.0.0.1", "loopback");
	expect_unusable("127.1.2.3", "loopback");
	expect_unusable("::1", "loopback");
	expect_unusable("224.0.0.1", "multicast");
	expect_unusable("239.255.255.250", "multicast");
	expect_unusable("ff02::1", "multicast");
	expect_unusable("255.255.255.255", "broadcast");
	expect_unusable("0.1.2.3", "this network");
	expect_unusable("240.0.0.1", "reserved");
	expect_unusable("fe80::1", "link-local");
	expect_unusable("169.254.5.2", "link-local");
	expect_unusable("::ffff:198.51.100.2", "IPv4-mapped");
	assert_int_equal(parse_address("203.0.113.10", &a, &e), 0);
	assert_null(address_unusable(&a));
	assert_int_equal(parse_address("2001:db8:1::10", &a, &e), 0);
	assert_null(address_unusable(&a));
}

/* The ranges never routed on the internet, and their edges, which are. */
static void addresses_not_global(void **state)
{
	static const char *const not_global[] = {
		"10.0.0.1", "10.255.255.254", "172.16.0.1", "172.31.255.1", "192.168.1.1",
		"100.64.0.1", "100.127.255.1", "169.254.77.1", "198.18.0.1", "198.19.255.1",
		"192.0.2.130", "198.51.100.130", "203.0.113.1", "fd6d:6169:6c00::1", "fc00::1",
		"fe80::1", "febf::1", "2001:db8::1", "2001:db8:ffff::1",
	};
	static const char *const global[] = {
		"9.255.255.255", "11.0.0.1", "172.15.255.1", "172.32.0.1", "192.167.1.1",
		"192.169.0.1", "100.63.255.1", "100.128.0.1", "169.253.0.1", "198.17.255.1",
		"198.20.0.1", "192.0.3.1", "198.51.101.1", "203.0.114.1", "2001:db9::1",
		"2001:db7:ffff::1", "2a00:1450::1", "fe00::1", "fec0::1",
	};
	struct errmsg e;
	struct address a;
	unsigned int i;

	for (i = 0; i < sizeof(not_global) / sizeof(not_global[0]); i++) {
		assert_int_equal(parse_address(not_global[i], &a, &e), 0);
		if (!address_not_global(&a))
			fail_msg("%s is not globally reachable", not_global[i]);
	}
	for (i = 0; i < sizeof(global) / sizeof(global[0]); i++) {
		assert_int_equal(parse_address(global[i], &a, &e), 0);
		if (address_not_global(&a))
			fail_msg("%s is globally reachable", global[i]);
	}
}

static void prefixes(void **state)
{
	struct errmsg e = { "" };
	struct prefix p;
	struct address a;
	char buf[ADDRESS_STRLEN];

	assert_int_equal(parse_prefix("192.0.2.0/24", &p, &e), 0);
	assert_int_equal(p.len, 24);
	assert_string_equal(prefix_str(&p, buf), "192.0.2.0/24");
	assert_int_equal(parse_prefix("192.0.2.7", &p, &e), 0);
	assert_int_equal(p.len, 32);
	assert_int_equal(parse_prefix("2001:db8::/32", &p, &e), 0);
	assert_int_equal(p.len, 32);
	assert_int_equal(parse_address("2001:db8:ffff::1", &a, &e), 0);
	assert_true(prefix_contains(&p, &a));
	assert_int_equal(parse_address("2001:db9::1", &a, &e), 0);
	assert_false(prefix_contains(&p, &a));

	assert_int_not_equal(parse_prefix("192.0.2.1/24", &p, &e), 0);
	assert_non_null(strstr(e.text, "did you mean 192.0.2.0/24?"));
	assert_int_not_equal(parse_prefix("192.0.2.0/33", &p, &e), 0);
	assert_non_null(strstr(e.text, "0 to 32"));
	assert_int_not_equal(parse_prefix("2001:db8::/129", &p, &e), 0);
	assert_int_not_equal(parse_prefix("192.0.2.0/", &p, &e), 0);
	assert_int_not_equal(parse_prefix("192.0.2.0/-1", &p, &e), 0);
	assert_int_not_equal(parse_prefix("192.0.2.0/24x", &p, &e), 0);
	assert_int_not_equal(parse_prefix("mail.example.com/24", &p, &e), 0);
	assert_non_null(strstr(e.text, "host name"));
}

static void ports(void **state)
{
	struct errmsg e = { "" };
	uint16_t port;

	assert_int_equal(parse_port("1", &port, &e), 0);
	assert_int_equal(port, 1);
	assert_int_equal(parse_port("65535", &port, &e), 0);
	assert_int_equal(port, 65535);
	assert_int_not_equal(parse_port("0", &port, &e), 0);
	assert_non_null(strstr(e.text, "'0' is not a port number"));
	assert_int_not_equal(parse_port("65536", &port, &e), 0);
	assert_int_not_equal(parse_port("-25", &port, &e), 0);
	assert_int_not_equal(parse_port("25x", &port, &e), 0);
	assert_int_not_equal(parse_port("+25", &port, &e), 0);
	assert_int_not_equal(parse_port("99999999999999999999999", &port, &e), 0);
}

static uint64_t duration_ok(const char *in)
{
	struct errmsg e = { "" };
	uint64_t s = 0;

	if (parse_duration(in, &s, &e))
		fail_msg("'%s' refused: %s", in, e.text);
	return s;
}

static void durations(void **state)
{
	struct errmsg e = { "" };
	uint64_t s;

	assert_int_equal(duration_ok("45s"), 45);
	assert_int_equal(duration_ok("90m"), 5400);
	assert_int_equal(duration_ok("36h"), 129600);
	assert_int_equal(duration_ok("7d"), 604800);
	assert_int_equal(duration_ok("1d12h"), 129600);
	assert_int_equal(duration_ok("1d2h3m4s"), 93784);
	assert_int_equal(duration_ok("120"), 120);
	assert_int_equal(duration_ok("366d"), 366 * 86400);

	assert_int_not_equal(parse_duration("0", &s, &e), 0);
	assert_non_null(strstr(e.text, "at least 1s"));
	assert_int_not_equal(parse_duration("0s", &s, &e), 0);
	assert_int_not_equal(parse_duration("367d", &s, &e), 0);
	assert_non_null(strstr(e.text, "366d"));
	assert_int_not_equal(parse_duration("99999999999999999999d", &s, &e), 0);
	assert_int_not_equal(parse_duration("12h1d", &s, &e), 0);
	assert_non_null(strstr(e.text, "not a duration"));
	assert_int_not_equal(parse_duration("1h1h", &s, &e), 0);
	assert_int_not_equal(parse_duration("7 d", &s, &e), 0);
	assert_int_not_equal(parse_duration("d", &s, &e), 0);
	assert_int_not_equal(parse_duration("1w", &s, &e), 0);
	assert_int_not_equal(parse_duration("1d5", &s, &e), 0);
	assert_int_not_equal(parse_duration("-5s", &s, &e), 0);
	assert_int_not_equal(parse_duration("", &s, &e), 0);
}

/* Found by the fuzzer: a refused value must leave the output as it was. */
static void refusals_change_nothing(void **state)
{
	struct errmsg e;
	struct address a = { .family = AF_INET6 };
	struct prefix p = { .len = 7 };
	uint64_t seconds = 42;
	uint16_t port = 25;

	assert_int_not_equal(parse_duration("3 19", &seconds, &e), 0);
	assert_int_not_equal(parse_duration("1h1h", &seconds, &e), 0);
	assert_int_equal(seconds, 42);
	assert_int_not_equal(parse_prefix("192.0.2.1/24", &p, &e), 0);
	assert_int_not_equal(parse_prefix("192.0.2.0/99", &p, &e), 0);
	assert_int_equal(p.len, 7);
	assert_int_not_equal(parse_address("mail.example.com", &a, &e), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_not_equal(parse_port("0", &port, &e), 0);
	assert_int_equal(port, 25);
}

static void quoting(void **state)
{
	char q[QUOTE_BUF], big[200];

	assert_string_equal(quote("abc", q, sizeof(q)), "'abc'");
	assert_string_equal(quote("a\nb'", q, sizeof(q)), "'a\\x0ab\\x27'");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	quote(big, q, sizeof(q));
	assert_int_equal(strlen(q), 64 + 5);
	assert_non_null(strstr(q, "...'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addresses_valid),
		cmocka_unit_test(addresses_refused),
		cmocka_unit_test(address_too_long),
		cmocka_unit_test(addresses_unusable),
		cmocka_unit_test(addresses_not_global),
		cmocka_unit_test(prefixes),
		cmocka_unit_test(ports),
		cmocka_unit_test(durations),
		cmocka_unit_test(refusals_change_nothing),
		cmocka_unit_test(quoting),
	};

	return RUN_TAP(tests);
}
