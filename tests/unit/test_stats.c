// SPDX-License-Identifier: GPL-2.0-or-later
/* Aggregation, the last-seen history with an injected clock, and printing. */
#include "unit.h"

#include "core/history.h"
#include "cli/print.h"
#include "core/aggregate.h"

static struct spec two_services(void)
{
	struct errmsg e = { "" };
	struct spec s;

	spec_init(&s);
	assert_int_equal(spec_add_target(&s, "198.51.100.2", &e), 0);
	assert_int_equal(spec_add_services(&s, "smtp,imap", &e), 0);
	assert_int_equal(spec_finalize(&s, &e), 0);
	return s;
}

static struct address addr(const char *text)
{
	struct errmsg e;
	struct address a;

	assert_int_equal(parse_address(text, &a, &e), 0);
	return a;
}

static void aggregation(void **state)
{
	struct spec spec = two_services();
	struct address a = addr("203.0.113.10"), b = addr("2001:db8:1::10"), c = addr("203.0.113.11");
	struct stats st;

	stats_init(&st, &spec);
	stats_add_counter(&st, "smtp", 7, 420);
	stats_add_counter(&st, "smtp_traffic", 90, 48211);
	stats_add_counter(&st, "imap", 2, 120);
	stats_add_counter(&st, "unrelated", 99, 99);
	assert_int_equal(stats_add_source(&st, &a, 25, 5, 300), 0);
	assert_int_equal(stats_add_source(&st, &a, 143, 1, 42), 0);
	assert_int_equal(stats_add_source(&st, &b, 25, 2, 600), 0);
	assert_int_equal(stats_add_source(&st, &c, 143, 1, 42), 0);
	assert_int_equal(stats_add_source(&st, &c, 4190, 1, 1), 0);	/* not a service now */
	stats_add_active(&st, 25);
	stats_add_active(&st, 9);	/* a session of a service a switch took out: open still */
	stats_finish(&st);

	assert_int_equal(st.services[0].connections, 7);
	assert_int_equal(st.services[0].bytes, 48211);
	assert_int_equal(st.services[0].active, 1);
	assert_int_equal(st.services[0].last_seen, 300);
	assert_int_equal(st.services[1].last_seen, 42);
	assert_int_equal(st.connections, 9);
	assert_int_equal(st.active, 2);	/* stats and check must see it: disable waits for it */
	assert_int_equal(st.nservices, 3);
	assert_true(st.services[2].former);
	assert_int_equal(st.services[2].svc.port, 9);
	assert_int_equal(st.services[2].active, 1);
	assert_false(st.services[0].former);
	assert_int_equal(st.last_seen, 42);
	assert_int_equal(st.nsources, 3);
	/* most recent first; on a tie, more connections first */
	assert_true(address_equal(&st.sources[0].addr, &c));
	assert_int_equal(st.sources[0].last_seen, 1);
	assert_true(address_equal(&st.sources[1].addr, &a));
	assert_int_equal(st.sources[1].connections, 6);
	assert_int_equal(st.sources[1].services, 3);
	assert_true(address_equal(&st.sources[2].addr, &b));
	stats_free(&st);
}

static void many_sources(void **state)
{
	struct spec spec = two_services();
	struct address a = addr("2001:db8::");
	struct stats st;
	unsigned int i;

	stats_init(&st, &spec);
	for (i = 0; i < 100000; i++) {
		a.in.v6.s6_addr[14] = (uint8_t)(i >> 8);
		a.in.v6.s6_addr[15] = (uint8_t)i;
		a.in.v6.s6_addr[13] = (uint8_t)(i >> 16);
		assert_int_equal(stats_add_source(&st, &a, 25, 1, (int64_t)(i % 1000)), 0);
		assert_int_equal(stats_add_source(&st, &a, 143, 1, 5000), 0);
	}
	stats_finish(&st);
	assert_int_equal(st.nsources, 100000);
	assert_int_equal(st.sources[0].last_seen, 0);
	assert_int_equal(st.sources[0].connections, 2);
	assert_int_equal(st.sources[99999].last_seen, 999);
	stats_free(&st);
}

/* A look at the kernel at @now with smtp last seen @smtp_ago (NEVER: gone). */
static void look(struct stats *st, const struct spec *spec, uint64_t connections,
		 int64_t smtp_ago)
{
	struct address a = addr("203.0.113.10");

	stats_free(st);
	stats_init(st, spec);
	stats_add_counter(st, "smtp", connections, 0);
	if (smtp_ago != NEVER)
		assert_int_equal(stats_add_source(st, &a, 25, connections, smtp_ago), 0);
	stats_finish(st);
}

static void history_clock(void **state)
{
	struct spec spec = two_services();
	struct history h = { 0 };
	struct stats st = { 0 };
	const int64_t t0 = 1795000000;

	/* first look: smtp 42s ago */
	look(&st, &spec, 3, 42);
	assert_true(history_observe(&h, &st, t0));
	assert_int_equal(h.last_seen, t0 - 42);
	assert_int_equal(st.last_seen, 42);
	assert_int_equal(h.observed_connections, 3);
	/* the same again: nothing to record */
	look(&st, &spec, 3, 42 + 10);
	assert_false(history_observe(&h, &st, t0 + 10));
	/* the sources expired: the history still knows */
	look(&st, &spec, 3, NEVER);
	history_observe(&h, &st, t0 + 1000);
	assert_int_equal(st.services[0].last_seen, 1042);
	assert_int_equal(st.last_seen, 1042);
	assert_int_equal(st.services[1].last_seen, NEVER);
	/* the counter grew, but no source is that recent (a full set): now */
	look(&st, &spec, 5, NEVER);
	assert_true(history_observe(&h, &st, t0 + 2000));
	assert_int_equal(st.last_seen, 0);
	assert_int_equal(h.last_seen, t0 + 2000);
	/* a restore: counters from zero, the history holds */
	look(&st, &spec, 0, NEVER);
	assert_true(history_observe(&h, &st, t0 + 2500));
	assert_int_equal(h.observed_connections, 0);
	assert_int_equal(st.last_seen, 500);
	/* the next connection after the restore */
	look(&st, &spec, 1, 3);
	assert_true(history_observe(&h, &st, t0 + 3000));
	assert_int_equal(h.last_seen, t0 + 2997);
	assert_int_equal(st.services[0].last_seen, 3);
	stats_free(&st);
}

static void history_switch(void **state)
{
	struct errmsg e = { "" };
	struct history h = { 0 };
	struct spec spec;

	h.nseen = 2;
	h.seen[0].port = 25;
	h.seen[1].port = 143;
	spec_init(&spec);
	assert_int_equal(spec_add_target(&spec, "198.51.100.2", &e), 0);
	assert_int_equal(spec_add_services(&spec, "imap", &e), 0);
	assert_int_equal(spec_finalize(&spec, &e), 0);
	history_keep_services(&h, &spec);
	assert_int_equal(h.nseen, 1);
	assert_int_equal(h.seen[0].port, 143);
}

static char *printed(bool json, void (*body)(struct printer *))
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct printer p;

	printer_init(&p, f, json, false);
	body(&p);
	fclose(f);
	return text;
}

static void body(struct printer *p)
{
	print_object_begin(p, NULL);
	print_bool(p, "enabled", "enabled %s\n", true);
	print_array_begin(p, "to");
	print_str(p, NULL, PRINT_ARRAY_MEMBER, "198.51.100.2");
	print_array_end(p);
	print_array_begin(p, "services");
	print_object_begin(p, NULL);
	print_str(p, "name", "%-6s", "smtp");
	print_u64(p, "port", "%5lu", 25);
	print_ago(p, "last_seen_seconds", " %s\n", 42);
	print_object_end(p);
	print_object_begin(p, NULL);
	print_str(p, "name", "%-6s", "imap");
	print_u64(p, "port", "%5lu", 143);
	print_ago(p, "last_seen_seconds", " %s\n", NEVER);
	print_object_end(p);
	print_array_end(p);
	print_text(p, "text only\n");
	print_object_end(p);
}

static void same_calls_both_ways(void **state)
{
	char *json = printed(true, body), *text = printed(false, body);

	assert_string_equal(json, "{\"enabled\": true, \"to\": [\"198.51.100.2\"], \"services\": "
			    "[{\"name\": \"smtp\", \"port\": 25, \"last_seen_seconds\": 42}, "
			    "{\"name\": \"imap\", \"port\": 143, \"last_seen_seconds\": null}]}\n");
	assert_string_equal(text, "enabled yes\nsmtp     25 42s ago\nimap    143 never\ntext only\n");
	free(json);
	free(text);
}

static void json_escaping(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	json_string(f, "a\"b\\c\nd\te\x01\x1f\x7f" "é");
	fclose(f);
	assert_string_equal(text, "\"a\\\"b\\\\c\\nd\\te\\u0001\\u001f\\u007f" "é\"");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(aggregation),
		cmocka_unit_test(many_sources),
		cmocka_unit_test(history_clock),
		cmocka_unit_test(history_switch),
		cmocka_unit_test(same_calls_both_ways),
		cmocka_unit_test(json_escaping),
	};

	return RUN_TAP(tests);
}
