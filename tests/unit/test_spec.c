// SPDX-License-Identifier: GPL-2.0-or-later
/* What enable is asked for: targets, services, excludes, as a whole. */
#include "unit.h"

#include <arpa/inet.h>

#include "lib/owned.h"
#include "lib/spec.h"

static void targets(void **state)
{
	struct errmsg e = { "" };
	struct spec s;

	spec_init(&s);
	assert_int_equal(spec_add_target(&s, "198.51.100.2", &e), 0);
	assert_int_equal(spec_add_target(&s, "2001:db8:2::2", &e), 0);
	assert_true(s.has_to4 && s.has_to6);
	assert_int_not_equal(spec_add_target(&s, "198.51.100.3", &e), 0);
	assert_non_null(strstr(e.text, "second IPv4 target"));
	assert_non_null(strstr(e.text, "'198.51.100.3'"));
	assert_int_not_equal(spec_add_target(&s, "2001:db8:2::3", &e), 0);
	assert_non_null(strstr(e.text, "second IPv6 target"));

	spec_init(&s);
	assert_int_not_equal(spec_add_target(&s, "127.0.0.1", &e), 0);
	assert_non_null(strstr(e.text, "'127.0.0.1' is a loopback address"));
	assert_int_not_equal(spec_add_target(&s, "0.0.0.0", &e), 0);
	assert_int_not_equal(spec_add_target(&s, "::", &e), 0);
	assert_int_not_equal(spec_add_target(&s, "255.255.255.255", &e), 0);
	assert_int_not_equal(spec_add_target(&s, "224.0.0.5", &e), 0);
	assert_int_not_equal(spec_add_target(&s, "new.example.org", &e), 0);
	assert_false(s.has_to4 || s.has_to6);
}

/* accept's --from: the old server, one per family, never unusable. */
static void from_addresses(void **state)
{
	struct errmsg e = { "" };
	struct spec s;

	spec_init(&s);
	s.role = ROLE_NEW;
	assert_int_not_equal(spec_finalize(&s, &e), 0);
	assert_non_null(strstr(e.text, "give its address with --from"));
	assert_int_equal(spec_add_from(&s, "198.51.100.1", &e), 0);
	assert_int_not_equal(spec_add_from(&s, "198.51.100.3", &e), 0);
	assert_non_null(strstr(e.text, "'198.51.100.3' is a second IPv4 address"));
	assert_int_not_equal(spec_add_from(&s, "127.0.0.1", &e), 0);
	assert_non_null(strstr(e.text, "give the old mail server's address"));
	assert_int_equal(spec_finalize(&s, &e), 0);
	assert_false(s.masquerade);
	assert_true(spec_tunnel(&s));
	assert_true(spec_uses(&s, AF_INET6));	/* NEW takes both families in */
}

/*
 * --tunnel-id: accept's number; --keep-client-address without it takes the
 * well-known one, as accept does; useless without --keep-client-address.
 */
static void tunnel_ids(void **state)
{
	struct errmsg e = { "" };
	struct spec s;

	spec_init(&s);
	assert_int_equal(spec_add_target(&s, "192.0.2.2", &e), 0);
	s.keep_client_address = true;
	assert_int_equal(spec_finalize(&s, &e), 0);
	assert_int_equal(s.tunnel_id, TUNNEL_ID_DEFAULT);
	s.tunnel_id = 0;
	assert_int_not_equal(spec_set_tunnel_id(&s, "0", &e), 0);
	assert_non_null(strstr(e.text, "'0' is not a tunnel id"));
	assert_int_not_equal(spec_set_tunnel_id(&s, "16777216", &e), 0);
	assert_int_not_equal(spec_set_tunnel_id(&s, "12ab", &e), 0);
	assert_int_equal(spec_set_tunnel_id(&s, "16777215", &e), 0);
	assert_int_equal(spec_finalize(&s, &e), 0);
	s.keep_client_address = false;
	s.masquerade = true;
	assert_int_not_equal(spec_finalize(&s, &e), 0);
	assert_non_null(strstr(e.text, "--tunnel-id goes with --keep-client-address"));
}

/* Each tunnel's addresses and link addresses from its id: in their ranges, the same at both ends. */
static void tunnel_addresses(void **state)
{
	static const uint32_t ids[] = { 1, 2587, 4242, 4096 + 4242, TUNNEL_ID_MAX };
	struct prefix old, new, range4, range6;
	char a[ADDRESS_STRLEN];
	uint8_t mac[6];
	unsigned int i;

	tunnel_range(AF_INET, &range4);
	tunnel_range(AF_INET6, &range6);
	assert_string_equal(prefix_str(&range4, a), "169.254.64.0/18");
	assert_string_equal(prefix_str(&range6, a), "fd6d:6169:6c00::/40");
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		tunnel_address(AF_INET, ROLE_OLD, ids[i], &old);
		tunnel_address(AF_INET, ROLE_NEW, ids[i], &new);
		assert_true(prefix_contains(&range4, &old.addr) && prefix_contains(&old, &new.addr));
		assert_int_equal(ntohl(new.addr.in.v4.s_addr), ntohl(old.addr.in.v4.s_addr) + 1);
		assert_int_equal(ntohl(old.addr.in.v4.s_addr) & 3, 1);
		tunnel_address(AF_INET6, ROLE_NEW, ids[i], &new);
		assert_true(prefix_contains(&range6, &new.addr));
		tunnel_mac(ROLE_NEW, ids[i], mac);
		tunnel_address(AF_INET, ROLE_NEW, ids[i], &new);
		assert_int_equal(mac[0], 0x02);
		assert_memory_equal(mac + 2, &new.addr.in.v4, 4);
	}
	/* 4096 /30s: ids 4096 apart share one (enable refuses them side by side), the IPv6 differs */
	tunnel_address(AF_INET, ROLE_OLD, 4242, &old);
	tunnel_address(AF_INET, ROLE_OLD, 4096 + 4242, &new);
	assert_true(address_equal(&old.addr, &new.addr));
	tunnel_address(AF_INET6, ROLE_OLD, 4242, &old);
	tunnel_address(AF_INET6, ROLE_OLD, 4096 + 4242, &new);
	assert_false(address_equal(&old.addr, &new.addr));
	assert_true(tunnel_ifname("mail_redirect3"));
	assert_false(tunnel_ifname("mail_redirect4"));
}

static void services(void **state)
{
	struct errmsg e = { "" };
	struct spec s;

	spec_init(&s);
	assert_int_equal(spec_add_services(&s, "smtp,imap", &e), 0);
	assert_int_equal(spec_add_services(&s, "smtps", &e), 0);
	assert_int_equal(spec_add_services(&s, "2525", &e), 0);
	assert_int_equal(spec_add_services(&s, "25", &e), 0);	/* same as smtp */
	assert_int_equal(spec_add_services(&s, "4190", &e), 0);	/* sieve */
	assert_int_equal(s.nservices, 5);
	assert_int_equal(spec_add_target(&s, "198.51.100.2", &e), 0);
	assert_int_equal(spec_finalize(&s, &e), 0);
	assert_int_equal(s.services[0].port, 25);
	assert_string_equal(s.services[0].name, "smtp");
	assert_int_equal(s.services[1].port, 143);
	assert_string_equal(s.services[2].name, "submissions");
	assert_int_equal(s.services[2].port, 465);
	assert_string_equal(s.services[3].name, "port-2525");
	assert_string_equal(s.services[4].name, "sieve");
}

static void services_refused(void **state)
{
	struct errmsg e = { "" };
	struct spec s;
	char name[16];
	unsigned int i;

	spec_init(&s);
	assert_int_not_equal(spec_add_services(&s, "http", &e), 0);
	assert_non_null(strstr(e.text, "'http' is not a service"));
	assert_int_not_equal(spec_add_services(&s, "0", &e), 0);
	assert_non_null(strstr(e.text, "'0' is not a port number"));
	assert_int_not_equal(spec_add_services(&s, "65536", &e), 0);
	assert_int_not_equal(spec_add_services(&s, "smtp,", &e), 0);
	assert_int_not_equal(spec_add_services(&s, ",smtp", &e), 0);
	assert_int_not_equal(spec_add_services(&s, "smtp,,imap", &e), 0);
	assert_int_not_equal(spec_add_services(&s, "", &e), 0);
	assert_int_not_equal(spec_add_services(&s, "SMTP", &e), 0);
	for (i = 0; i < SPEC_MAX_SERVICES; i++) {
		snprintf(name, sizeof(name), "%u", 10000 + i);
		assert_int_equal(spec_add_services(&s, name, &e), 0);
	}
	assert_int_not_equal(spec_add_services(&s, "20000", &e), 0);
	assert_non_null(strstr(e.text, "more than"));
}

static void excludes(void **state)
{
	char text[ADDRESS_STRLEN];
	struct errmsg e = { "" };
	struct spec s;

	spec_init(&s);
	assert_int_equal(spec_add_exclude(&s, "192.0.2.0/24", &e), 0);
	assert_int_equal(spec_add_exclude(&s, "2001:db8:99::/48", &e), 0);
	assert_int_not_equal(spec_add_exclude(&s, "0.0.0.0/0", &e), 0);
	assert_non_null(strstr(e.text, "every client"));
	assert_int_not_equal(spec_add_exclude(&s, "::/0", &e), 0);
	assert_int_not_equal(spec_add_exclude(&s, "192.0.2.1/24", &e), 0);
	assert_int_equal(s.nexcludes, 2);
	/* IPv4 written as IPv6 is IPv4: IPv4 clients never reach the IPv6 set */
	assert_int_equal(spec_add_exclude(&s, "::ffff:198.51.100.0/120", &e), 0);
	assert_int_equal(s.excludes[2].addr.family, AF_INET);
	assert_int_equal(s.excludes[2].len, 24);
	assert_string_equal(prefix_str(&s.excludes[2], text), "198.51.100.0/24");
	assert_int_not_equal(spec_add_exclude(&s, "::ffff:0:0/96", &e), 0);
	assert_non_null(strstr(e.text, "every IPv4 client"));
	assert_int_not_equal(spec_add_exclude(&s, "::ffff:198.51.100.1/120", &e), 0);	/* host bits */
}

static void finalize_and_equal(void **state)
{
	struct errmsg e = { "" };
	struct spec a, b;

	spec_init(&a);
	assert_int_not_equal(spec_finalize(&a, &e), 0);
	assert_non_null(strstr(e.text, "--to"));
	assert_int_equal(spec_add_target(&a, "198.51.100.2", &e), 0);
	assert_int_equal(spec_finalize(&a, &e), 0);
	assert_int_equal(a.nservices, 7);	/* the default mail ports */
	assert_int_equal(a.remember, 7 * 86400);
	assert_true(a.masquerade);

	spec_init(&b);
	assert_int_equal(spec_add_services(&b, "pop3s,imaps,submission,submissions,imap,pop3,smtp", &e), 0);
	assert_int_equal(spec_add_target(&b, "198.51.100.2", &e), 0);
	assert_int_equal(spec_finalize(&b, &e), 0);
	assert_true(spec_equal(&a, &b));
	b.masquerade = false;
	assert_false(spec_equal(&a, &b));
	b.masquerade = true;
	assert_int_equal(spec_add_target(&b, "2001:db8:2::2", &e), 0);
	assert_false(spec_equal(&a, &b));
}

/*
 * The same value twice asks for one thing: merged first, then counted,
 * for every repeatable option alike (as --service always did).
 */
static void duplicates_merged(void **state)
{
	char text[ADDRESS_STRLEN], prefix[64];
	struct errmsg e = { "" };
	struct spec s;
	unsigned int i;

	spec_init(&s);
	for (i = 0; i < 5000; i++)
		assert_int_equal(spec_add_exclude(&s, "192.0.2.0/24", &e), 0);
	assert_int_equal(spec_add_exclude(&s, "::ffff:192.0.2.0/120", &e), 0);	/* the same */
	assert_int_equal(s.nexcludes, 1);
	assert_string_equal(prefix_str(&s.excludes[0], text), "192.0.2.0/24");
	for (i = 1; i < SPEC_MAX_EXCLUDES; i++) {
		snprintf(prefix, sizeof(prefix), "2001:db8:%x::/48", i);
		assert_int_equal(spec_add_exclude(&s, prefix, &e), 0);
		assert_int_equal(spec_add_exclude(&s, prefix, &e), 0);
	}
	assert_int_equal(s.nexcludes, SPEC_MAX_EXCLUDES);
	assert_int_not_equal(spec_add_exclude(&s, "198.51.100.0/24", &e), 0);
	assert_non_null(strstr(e.text, "more than 64 excluded prefixes"));
	assert_int_equal(spec_add_exclude(&s, "2001:db8:1::/48", &e), 0);	/* had, still fine */

	spec_init(&s);
	for (i = 0; i < 5000; i++) {
		assert_int_equal(spec_add_target(&s, "198.51.100.2", &e), 0);
		assert_int_equal(spec_add_target(&s, "2001:db8:2::2", &e), 0);
	}
	assert_int_equal(spec_add_target(&s, "2001:db8:2:0::2", &e), 0);	/* another spelling */
	assert_int_not_equal(spec_add_target(&s, "198.51.100.3", &e), 0);
	assert_non_null(strstr(e.text, "second IPv4 target"));

	spec_init(&s);
	s.role = ROLE_NEW;
	assert_int_equal(spec_add_from(&s, "198.51.100.1", &e), 0);
	assert_int_equal(spec_add_from(&s, "198.51.100.1", &e), 0);
	assert_int_not_equal(spec_add_from(&s, "198.51.100.9", &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(targets),
		cmocka_unit_test(from_addresses),
		cmocka_unit_test(tunnel_ids),
		cmocka_unit_test(tunnel_addresses),
		cmocka_unit_test(services),
		cmocka_unit_test(services_refused),
		cmocka_unit_test(excludes),
		cmocka_unit_test(finalize_and_equal),
		cmocka_unit_test(duplicates_merged),
	};

	return RUN_TAP(tests);
}
