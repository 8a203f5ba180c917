// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The transaction enable sends, against golden output: the libnftnl
 * objects as libnftnl prints them, and the nft text --dry-run prints.
 * A netns test checks the same text against the kernel.
 */
#include "unit.h"

#include <linux/netfilter/nf_tables.h>

#include "nft/plan.h"
#include "nft/range.h"
#include "nft/render.h"
#include "nft/ruleset.h"

/* "ID PEER LINK": the tunnel a switch left */
static void set_previous(struct spec *s, const char *arg)
{
	char peer[64], link[16];
	struct errmsg e = { "" };

	assert_int_equal(sscanf(arg, "%u %63s %15s", &s->previous.id, peer, link), 3);
	assert_int_equal(parse_address(peer, &s->previous.peer, &e), 0);
	snprintf(s->previous.link, sizeof(s->previous.link), "%s", link);
	s->has_previous = true;
}

static struct spec make_spec(const char *const *args)
{
	struct errmsg e = { "" };
	struct spec s;

	spec_init(&s);
	for (; *args; args += 2) {
		int err = 0;

		if (!strcmp(args[0], "to"))
			err = spec_add_target(&s, args[1], &e);
		else if (!strcmp(args[0], "service"))
			err = spec_add_services(&s, args[1], &e);
		else if (!strcmp(args[0], "exclude"))
			err = spec_add_exclude(&s, args[1], &e);
		else if (!strcmp(args[0], "remember"))
			err = parse_duration(args[1], &s.remember, &e);
		else if (!strcmp(args[0], "no-masquerade"))
			s.masquerade = false;
		else if (!strcmp(args[0], "keep-client-address"))
			s.keep_client_address = true, s.tunnel_mtu = 1450;
		else if (!strcmp(args[0], "from"))
			err = spec_add_from(&s, args[1], &e), s.role = ROLE_NEW;
		else if (!strcmp(args[0], "tunnel-id"))
			err = spec_set_tunnel_id(&s, args[1], &e);
		else if (!strcmp(args[0], "previous"))
			set_previous(&s, args[1]);
		if (err)
			fail_msg("%s %s: %s", args[0], args[1], e.text);
	}
	if (spec_tunnel(&s) && !s.tunnel_id)	/* the fixed addresses of before */
		s.tunnel_id = TUNNEL_ID_DEFAULT;
	if (spec_tunnel(&s) && !s.tunnel_link[0])
		snprintf(s.tunnel_link, sizeof(s.tunnel_link), "%s", TUNNEL_IFNAME);
	assert_int_equal(spec_finalize(&s, &e), 0);
	return s;
}

static char *ops_text(const struct spec *s, const struct table_view *view)
{
	struct ops ops;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_int_equal(ruleset_build(s, view, &ops), 0);
	ops_print(&ops, f);
	fclose(f);
	ops_free(&ops);
	return text;
}

static char *render_text(const struct spec *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	render_table(s, f);
	fclose(f);
	return text;
}

static const char *const dual[] = { "to", "198.51.100.2", "to", "2001:db8:2::2", NULL };
static const char *const v4_custom[] = {
	"to", "198.51.100.2", "service", "smtp,2525", "exclude", "192.0.2.0/24",
	"exclude", "198.51.100.0/25", "remember", "1d12h", "no-masquerade", "", NULL,
};

static const char *const tunnel_old[] = {
	"to", "192.0.2.2", "to", "2001:db8:3::2", "keep-client-address", "", NULL,
};
static const char *const tunnel_new[] = {
	"from", "198.51.100.1", "from", "2001:db8:2::1", "service", "smtp,imaps", NULL,
};

/* A switch of --to in tunnel mode: the new tunnel, and the one left for its sessions. */
static const char *const tunnel_switch[] = {
	"to", "203.0.113.7", "keep-client-address", "", "tunnel-id", "1234567",
	"previous", "2587 192.0.2.2 mail_redirect", "service", "smtp", NULL,
};

/* A fresh install of @args: the messages, and the text --dry-run prints. */
static void fresh(const char *const *args, const char *name)
{
	struct table_view none = { .exists = false };
	struct spec s = make_spec(args);
	char *text = ops_text(&s, &none), golden[64];

	snprintf(golden, sizeof(golden), "%s.ops", name);
	assert_golden(golden, text);
	free(text);
	text = render_text(&s);
	snprintf(golden, sizeof(golden), "%s.nft", name);
	assert_golden(golden, text);
	free(text);
}

static void fresh_dual_stack(void **state)
{
	fresh(dual, "fresh_dual");
}

/* --keep-client-address on OLD: DNAT to NEW's tunnel address, no masquerade, guards, MSS. */
static void fresh_tunnel_old(void **state)
{
	fresh(tunnel_old, "tunnel_old");
}

/* accept on NEW: the VXLAN guard, and what comes through the tunnel counted. */
static void fresh_tunnel_new(void **state)
{
	fresh(tunnel_new, "tunnel_new");
}

/*
 * The tunnel of a switch of --to beside the one it left: the guards of
 * both (VXLAN, notrack), the new one's addresses, derived from its id.
 */
static void fresh_tunnel_switch(void **state)
{
	struct spec s = make_spec(tunnel_switch);
	struct table_view none = { .exists = false };
	char *text;

	snprintf(s.tunnel_link, sizeof(s.tunnel_link), "mail_redirect2");
	text = ops_text(&s, &none);
	assert_golden("tunnel_switch.ops", text);
	free(text);
	text = render_text(&s);
	assert_golden("tunnel_switch.nft", text);
	free(text);
}

static void fresh_v4_custom(void **state)
{
	fresh(v4_custom, "fresh_v4_custom");
}

static struct table_view installed_dual(void)
{
	static const char *const counters[] = {
		"smtp", "smtp_attempts", "smtp_answered", "smtp_traffic",
		"imap", "imap_attempts", "imap_answered", "imap_traffic",
		"sieve", "sieve_attempts", "sieve_answered", "sieve_traffic",
	};
	struct table_view v = { .exists = true, .ours = true };
	unsigned int i;

	v.chains = (1U << CHAIN_COUNT) - 1;
	v.sets = (1U << SET_COUNT) - 1;
	for (i = 0; i < SET_COUNT; i++) {
		v.dynamic[i].timeout_ms = 7 * 86400 * 1000ULL;
		v.dynamic[i].size = MAX_SOURCES_DEFAULT;
	}
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		snprintf(v.counters[v.ncounters++], COUNTER_NAME_MAX, "%s", counters[i]);
	return v;
}

/* Position of the first line starting with @prefix, or fail. */
static long line_at(const char *text, const char *prefix)
{
	const char *p = text;

	for (;;) {
		if (!strncmp(p, prefix, strlen(prefix)))
			return p - text;
		p = strchr(p, '\n');
		if (!p)
			fail_msg("no line '%s' in:\n%s", prefix, text);
		p++;
	}
}

static void has_no_line(const char *text, const char *prefix)
{
	const char *p = text;

	for (; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, prefix, strlen(prefix)))
			fail_msg("unexpected line '%s'", prefix);
}

/* Switch from dual stack (smtp, imap, sieve) to IPv4 with smtp and pop3. */
/*
 * Each tunnel's own UDP leaves input at one rule, which names the tunnel's
 * VNI as well as its peer: beside another tunnel, a peer's packets with
 * the other tunnel's VNI must still meet that tunnel's guard (from a
 * stranger there).
 */
static void peer_shortcut_per_tunnel(void **state)
{
	struct spec s = make_spec(tunnel_switch);
	char *text, *line, *save = NULL;
	unsigned int shortcuts = 0;

	snprintf(s.tunnel_link, sizeof(s.tunnel_link), "mail_redirect2");
	text = render_text(&s);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strstr(line, "udp dport 4789") || !strstr(line, " accept"))
			continue;
		shortcuts++;
		assert_non_null(strstr(line, "@th,96,24 "));
	}
	assert_int_equal(shortcuts, 2);
	free(text);
}

static void reconcile_switch(void **state)
{
	static const char *const args[] = { "to", "198.51.100.3", "service", "smtp,pop3", NULL };
	struct table_view v = installed_dual();
	struct spec s = make_spec(args);
	char *text = ops_text(&s, &v);

	assert_golden("reconcile_switch.ops", text);
	/* rules that reference a chain or set go before it does */
	assert_true(line_at(text, "flush the rules of chain prerouting") <
		    line_at(text, "delete chain redirect_ipv6"));
	assert_true(line_at(text, "flush the rules of chain redirect_ipv6") <
		    line_at(text, "delete set sources_ipv6"));
	/* maps let go of counters before the counters go */
	assert_true(line_at(text, "flush the elements of set connections") <
		    line_at(text, "delete counter imap"));
	/* kept: counters and the IPv4 stale sources, with their values */
	has_no_line(text, "add counter smtp");
	has_no_line(text, "delete counter smtp");
	has_no_line(text, "delete set sources_ipv4");
	has_no_line(text, "add set sources_ipv4");
	line_at(text, "add counter pop3\n");
	line_at(text, "add counter pop3_traffic");
	line_at(text, "delete counter sieve_traffic");
	free(text);
}

/* --remember changes a set's timeout, which the kernel cannot do in place. */
static void reconcile_remember(void **state)
{
	static const char *const args[] = {
		"to", "198.51.100.2", "to", "2001:db8:2::2", "service", "smtp,imap,sieve",
		"remember", "3d", NULL,
	};
	struct table_view v = installed_dual();
	struct spec s = make_spec(args);
	char *text = ops_text(&s, &v);

	assert_true(line_at(text, "delete set sources_ipv4") < line_at(text, "add set sources_ipv4"));
	assert_true(line_at(text, "delete set sources_ipv6") < line_at(text, "add set sources_ipv6"));
	has_no_line(text, "add counter");
	has_no_line(text, "delete counter");
	has_no_line(text, "add chain");
	free(text);
}

static void add_foreign(struct table_view *v, enum op_object kind, uint32_t type,
			const char *name, bool reshaped)
{
	struct foreign *f = &v->foreign[v->nforeign++];

	f->kind = kind;
	f->obj_type = type;
	f->reshaped = reshaped;
	snprintf(f->name, sizeof(f->name), "%s", name);
}

/* What others put in our table goes, in an order the kernel accepts. */
static void reconcile_foreign(void **state)
{
	static const char *const args[] = {
		"to", "198.51.100.2", "to", "2001:db8:2::2", "service", "smtp,imap,sieve", NULL,
	};
	struct table_view v = installed_dual();
	struct spec s = make_spec(args);
	char *text;

	add_foreign(&v, OP_CHAIN, 0, "sneaky", false);
	add_foreign(&v, OP_CHAIN, 0, "forward", true);	/* policy drop, say */
	v.chains &= ~(1U << CHAIN_FORWARD);
	add_foreign(&v, OP_SET, 0, "extra", false);
	add_foreign(&v, OP_OBJ, NFT_OBJECT_QUOTA, "q", false);
	text = ops_text(&s, &v);
	/* emptied first: a chain of theirs may jump to ours, or use a set */
	assert_true(line_at(text, "flush the rules of chain sneaky") <
		    line_at(text, "delete chain sneaky (not redirect's)"));
	assert_true(line_at(text, "flush the rules of chain prerouting") <
		    line_at(text, "delete chain sneaky"));
	assert_true(line_at(text, "delete chain sneaky") < line_at(text, "delete set extra"));
	assert_true(line_at(text, "delete set extra") < line_at(text, "delete object q"));
	/* ours, reshaped: deleted and made again in the same batch */
	assert_true(line_at(text, "delete chain forward (changed by hand)") <
		    line_at(text, "add chain forward"));
	has_no_line(text, "delete table");
	free(text);
	/* more than can be listed: the whole table goes and comes back */
	v.overflow = true;
	text = ops_text(&s, &v);
	assert_int_equal(line_at(text, "delete table inet mail_redirect"), 0);
	has_no_line(text, "delete chain sneaky");
	line_at(text, "add chain forward");
	line_at(text, "add counter smtp\n");
	free(text);
}

/* Disable with sessions open: only the NAT hooks and conntrack stay. */
static void drain(void **state)
{
	static const char *const args[] = {
		"to", "198.51.100.2", "to", "2001:db8:2::2", "service", "smtp,imap,sieve", NULL,
	};
	struct table_view v = installed_dual();
	struct spec s = make_spec(args);
	struct ops ops;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_int_equal(ruleset_build_drain(&s, &v, &ops), 0);
	ops_print(&ops, f);
	fclose(f);
	ops_free(&ops);
	assert_golden("drain.ops", text);
	has_no_line(text, "delete chain prerouting");
	has_no_line(text, "delete chain postrouting");
	assert_true(line_at(text, "delete set connections") < line_at(text, "delete counter smtp"));
	assert_true(line_at(text, "delete chain forward") > line_at(text, "flush the rules of chain forward"));
	line_at(text, "add the rule that keeps conntrack for open sessions in chain prerouting");
	free(text);
}

/*
 * Disable with sessions open through the tunnel: its guards stay as long
 * as its link (nothing comes out of it unchecked), the rest goes.
 */
static void drain_tunnel(void **state)
{
	struct table_view v = installed_dual();
	struct spec s = make_spec(tunnel_old);
	struct ops ops;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	snprintf(v.counters[v.ncounters++], COUNTER_NAME_MAX, "%s", TUNNEL_DROPPED);
	assert_int_equal(ruleset_build_drain(&s, &v, &ops), 0);
	ops_print(&ops, f);
	fclose(f);
	ops_free(&ops);
	assert_golden("drain_tunnel.ops", text);
	has_no_line(text, "delete chain raw_prerouting");
	has_no_line(text, "delete chain from_tunnel");
	has_no_line(text, "delete set strangers_ipv4");
	has_no_line(text, "delete counter tunnel_dropped");
	line_at(text, "delete counter smtp\n");
	line_at(text, "add the rule \"iifname \"mail_redirect*\" jump from_tunnel\" in chain "
		"raw_prerouting");
	line_at(text, "add the rule \"meta l4proto tcp fib saddr . iif oif exists return\"");
	line_at(text, "add the rule \"iifname \"mail_redirect*\" ct mark & 0x10000000 != 0x10000000 "
		"counter name \"tunnel_dropped\" drop\" in chain forward");
	has_no_line(text, "add the rule \"meta nfproto ipv4 tcp flags syn");
	free(text);
}

static void delete_table(void **state)
{
	struct ops ops;

	assert_int_equal(ruleset_build_delete(&ops), 0);
	assert_int_equal(ops.n, 1);
	assert_int_equal(ops.v[0].msg, NFT_MSG_DELTABLE);
	ops_free(&ops);
}

static void ranges_text(const struct spec *s, int family, char *out, size_t len)
{
	struct range r[RANGES_MAX];
	unsigned int i, n = exclude_ranges(s, family, r);
	char a[ADDRESS_STRLEN], b[ADDRESS_STRLEN];
	size_t used = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		struct prefix p;
		struct address last;

		if (range_prefix(&r[i], family, &p)) {
			used += (size_t)snprintf(out + used, len - used, "%s ", prefix_str(&p, a));
		} else {
			range_last(&r[i], family, &last);
			used += (size_t)snprintf(out + used, len - used, "%s-%s ",
						 address_str(&p.addr, a), address_str(&last, b));
		}
	}
}

static void exclude_merging(void **state)
{
	static const char *const adjacent[] = {
		"to", "192.0.3.7", "exclude", "192.0.2.0/24", "exclude", "192.0.3.0/24",
		"exclude", "10.0.0.0/8", "exclude", "10.1.0.0/16", NULL,
	};
	static const char *const ragged[] = {
		"to", "198.51.100.2", "exclude", "198.51.100.3", "exclude", "198.51.100.4/30",
		"exclude", "255.255.255.0/24", NULL,
	};
	static const char *const v6[] = {
		"to", "2001:db8:2::2", "exclude", "2001:db8:2::/64", "exclude", "ffff::/16", NULL,
	};
	char text[512];
	struct spec s;

	s = make_spec(adjacent);
	ranges_text(&s, AF_INET, text, sizeof(text));
	assert_string_equal(text, "10.0.0.0/8 192.0.2.0/23 ");
	s = make_spec(ragged);
	ranges_text(&s, AF_INET, text, sizeof(text));
	assert_string_equal(text, "198.51.100.2-198.51.100.7 255.255.255.0/24 ");
	s = make_spec(v6);
	ranges_text(&s, AF_INET6, text, sizeof(text));
	assert_string_equal(text, "2001:db8:2::/64 ffff::/16 ");
	ranges_text(&s, AF_INET, text, sizeof(text));
	assert_string_equal(text, "");
}

static void plan_order(void **state)
{
	struct planned_rule plan[PLAN_MAX];
	struct spec s = make_spec(v4_custom);
	unsigned int n = ruleset_plan(&s, plan);

	/*
	 * no masquerade, no IPv6: dispatch, exclude, dnat (the attempt);
	 * then in forward the flows counted already, the flows not ours,
	 * NEW's answer, the completed handshake (its source listed, else
	 * its service's last use kept), the bytes
	 */
	assert_int_equal(n, 9);
	assert_int_equal(plan[0].kind, RULE_DISPATCH);
	assert_int_equal(plan[1].kind, RULE_EXCLUDE);
	assert_int_equal(plan[2].kind, RULE_DNAT);
	assert_int_equal(plan[3].kind, RULE_FAST);
	assert_int_equal(plan[4].kind, RULE_NOT_OURS);
	assert_int_equal(plan[4].chain, CHAIN_FORWARD);
	assert_int_equal(plan[5].kind, RULE_ANSWERED);
	assert_int_equal(plan[6].kind, RULE_ESTABLISHED);
	assert_int_equal(plan[6].chain, CHAIN_FORWARD);
	assert_int_equal(plan[7].kind, RULE_UNLISTED);
	assert_int_equal(plan[8].kind, RULE_TRAFFIC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fresh_dual_stack),
		cmocka_unit_test(fresh_tunnel_old),
		cmocka_unit_test(fresh_tunnel_new),
		cmocka_unit_test(fresh_tunnel_switch),
		cmocka_unit_test(peer_shortcut_per_tunnel),
		cmocka_unit_test(fresh_v4_custom),
		cmocka_unit_test(reconcile_switch),
		cmocka_unit_test(reconcile_remember),
		cmocka_unit_test(reconcile_foreign),
		cmocka_unit_test(drain),
		cmocka_unit_test(drain_tunnel),
		cmocka_unit_test(delete_table),
		cmocka_unit_test(exclude_merging),
		cmocka_unit_test(plan_order),
	};

	return RUN_TAP(tests);
}
