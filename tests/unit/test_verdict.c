// SPDX-License-Identifier: GPL-2.0-or-later
/* When the old host can go, with the clock as an argument: no sleeps. */
#include "unit.h"

#include "dns/survey.h"
#include "core/verdict.h"

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

/* ---- the sentences check prints and cron mails ---- */

static struct snapshot snap;
static struct errmsg e_unused;

/* Enabled at T0 for smtp and imap, the clock at @now, nothing seen yet. */
static struct snapshot *enabled_at(int64_t now)
{
	struct errmsg e;

	memset(&snap, 0, sizeof(snap));
	state_init(&snap.state);
	assert_int_equal(spec_add_target(&snap.state.spec, "198.51.100.2", &e), 0);
	assert_int_equal(spec_add_services(&snap.state.spec, "smtp,imap", &e), 0);
	assert_int_equal(spec_finalize(&snap.state.spec, &e), 0);
	snap.state.enabled = true;
	snap.state.since = T0;
	snap.installed = true;
	snap.now = now;
	stats_init(&snap.st, &snap.state.spec);
	return &snap;
}

/* A connection from @client to @port, @ago seconds before the snapshot. */
static void seen(struct snapshot *s, const char *client, uint16_t port, int64_t ago)
{
	struct address a;
	struct errmsg e;

	assert_int_equal(parse_address(client, &a, &e), 0);
	assert_int_equal(stats_add_source(&s->st, &a, port, 1, ago), 0);
	if (!s->state.history.last_seen || s->now - ago > s->state.history.last_seen)
		s->state.history.last_seen = s->now - ago;
}

static const char *judged(struct snapshot *s, struct finding *f)
{
	stats_finish(&s->st);
	s->st.last_seen = s->state.history.last_seen ? s->now - s->state.history.last_seen : NEVER;
	verdict_judge(s, 7 * DAY, f);
	stats_free(&s->st);
	return f->why;
}

static void says_ready(void **state)
{
	struct snapshot *s = enabled_at(T0 + 10 * DAY);
	struct finding f;

	seen(s, "203.0.113.10", 25, 8 * DAY);
	assert_string_equal(judged(s, &f),
			    "ready to retire this host: nothing redirected for 8d (7d required)");
	assert_int_equal(f.v.status, VERDICT_READY);
	assert_int_equal(f.sources, 0);
}

static void says_who_and_when(void **state)
{
	struct snapshot *s = enabled_at(T0 + 10 * DAY);
	struct finding f;

	seen(s, "203.0.113.10", 143, 3600);
	seen(s, "203.0.113.11", 25, 42);
	seen(s, "203.0.113.12", 25, 9 * DAY);	/* outside the window: not counted */
	assert_string_equal(judged(s, &f),
			    "still in use: the last redirected connection came 42s ago, from 2 sources "
			    "(smtp, imap); ready in 6d23h at the earliest if nothing more arrives");
	assert_int_equal(f.v.status, VERDICT_IN_USE);
	assert_int_equal(f.sources, 2);
	assert_string_equal(f.services, "smtp, imap");
}

static void says_too_early(void **state)
{
	struct snapshot *s = enabled_at(T0 + 3600);
	struct finding f;

	assert_string_equal(judged(s, &f),
			    "still in use: nothing redirected yet, but enabled only 1h ago (7d required); "
			    "ready in 6d23h at the earliest if nothing more arrives");
}

static void says_open_sessions(void **state)
{
	struct snapshot *s = enabled_at(T0 + 30 * DAY);
	struct finding f;

	seen(s, "203.0.113.10", 143, 20 * DAY);
	stats_add_active(&s->st, 143);
	assert_string_equal(judged(s, &f),
			    "still in use: nothing redirected for 20d; 1 redirected session is open now; "
			    "ready once it has closed");
}

static void says_the_clock_jumped(void **state)
{
	struct snapshot *s = enabled_at(T0 - 2 * 3600);	/* now is 2h before enable */
	struct finding f;

	assert_string_equal(judged(s, &f),
			    "still in use: this host's clock is 2h behind the time enable recorded "
			    "(it jumped back?); no quiet counts until it has caught up (7d "
			    "required); ready in 7d at the earliest if nothing more arrives");
}

static void says_unknown(void **state)
{
	struct snapshot *s = enabled_at(T0 + DAY);
	struct finding f;

	s->installed = false;
	assert_non_null(strstr(judged(s, &f), "the table is gone from the kernel"));
	assert_true(f.trouble);
	assert_int_equal(f.v.status, VERDICT_UNKNOWN);
	s = enabled_at(T0 + DAY);
	s->state.enabled = false;
	s->state.draining = true;
	assert_string_equal(judged(s, &f), "nothing is enabled (a disabled redirect is draining)");
	assert_false(f.trouble);
}

/* ---- a redirect in place that does not work ---- */

/* A SYN from @client to @port, waiting @waiting seconds for NEW's answer. */
static void waiting(struct snapshot *s, const char *client, uint16_t port, uint32_t waiting)
{
	struct address a;
	struct errmsg e;

	assert_int_equal(parse_address(client, &a, &e), 0);
	stats_add_unanswered(&s->st, &a, port, waiting);
}

static void says_broken_when_unanswered(void **state)
{
	struct snapshot *s = enabled_at(T0 + 10 * DAY);
	struct finding f;

	seen(s, "203.0.113.10", 25, 8 * DAY);
	waiting(s, "203.0.113.10", 25, 5);
	waiting(s, "203.0.113.11", 25, 7);
	waiting(s, "203.0.113.11", 25, 3);
	judged(s, &f);
	assert_true(f.broken);
	assert_int_equal(f.v.status, VERDICT_IN_USE);	/* quiet for 8d, yet not ready */
	assert_string_equal(f.why, "broken: 3 recent connection attempts, from 2 clients, got no "
			    "answer from the new server 198.51.100.2: the redirect does not work. "
			    "Likely: a firewall drops them (here, on the way, or on the new server), "
			    "no route to it, the new server is down, or --no-masquerade while the "
			    "new server does not route its replies back through this host");
	/* NEW answered since those SYNs were sent: alive, and dropping them on purpose */
	s = enabled_at(T0 + 10 * DAY);
	waiting(s, "203.0.113.10", 25, 5);
	waiting(s, "203.0.113.11", 25, 7);
	stats_add_service_time(&s->st, 25, EVENT_ANSWER, 1500);
	judged(s, &f);
	assert_false(f.broken);
	assert_null(strstr(f.why, "no answer"));
	/* ... but an answer on another service says nothing of this one */
	s = enabled_at(T0 + 10 * DAY);
	waiting(s, "203.0.113.10", 25, 5);
	waiting(s, "203.0.113.11", 25, 7);
	stats_add_service_time(&s->st, 143, EVENT_ANSWER, 1500);
	judged(s, &f);
	assert_true(f.broken);
}

static void warns_of_one_client_unanswered(void **state)
{
	struct snapshot *s = enabled_at(T0 + 10 * DAY);
	struct finding f;

	seen(s, "203.0.113.10", 25, 8 * DAY);
	waiting(s, "203.0.113.66", 25, 4);
	waiting(s, "203.0.113.66", 25, 9);
	judged(s, &f);
	assert_false(f.broken);
	assert_int_equal(f.v.status, VERDICT_READY);
	assert_string_equal(f.why, "ready to retire this host: nothing redirected for 8d (7d "
			    "required); 2 recent connection attempts from 203.0.113.66 got no answer "
			    "from the new server 198.51.100.2: it may be dropping that client "
			    "(fail2ban?), or it is down and no other client tried");
}

/*
 * One client alone, on a service NEW has never answered since enable: no
 * ban explains that (NEW drops port 587 at a firewall): broken, not ready.
 */
static void says_broken_when_never_answered(void **state)
{
	struct snapshot *s = enabled_at(T0 + 10 * DAY);
	struct finding f;

	assert_int_equal(spec_add_services(&s->state.spec, "submission", &e_unused), 0);
	assert_int_equal(spec_finalize(&s->state.spec, &e_unused), 0);
	stats_init(&s->st, &s->state.spec);
	seen(s, "203.0.113.10", 25, 8 * DAY);		/* smtp works */
	waiting(s, "203.0.113.1", 587, 3);
	waiting(s, "203.0.113.1", 587, 5);
	waiting(s, "203.0.113.1", 587, 9);
	judged(s, &f);
	assert_true(f.broken);
	assert_int_equal(f.v.status, VERDICT_IN_USE);	/* quiet for 8d, yet not ready */
	assert_string_equal(f.why, "broken: 3 recent connection attempts from 203.0.113.1 got no "
			    "answer from the new server 198.51.100.2, which has not answered a "
			    "single connection to submission (587) since enable: no client it "
			    "drops on purpose, the redirect does not work there. Likely: a firewall "
			    "drops them (here, on the way, or on the new server), or the new server "
			    "does not offer that service");
	/* once NEW has answered anyone there, one client alone is a warning again */
	s = enabled_at(T0 + 10 * DAY);
	seen(s, "203.0.113.10", 25, 8 * DAY);
	waiting(s, "203.0.113.1", 25, 3);
	judged(s, &f);
	assert_false(f.broken);
	assert_int_equal(f.v.status, VERDICT_READY);
	s = enabled_at(T0 + 10 * DAY);
	waiting(s, "203.0.113.1", 143, 3);
	stats_add_service_time(&s->st, 143, EVENT_ANSWER, 3 * DAY * 1000LL);	/* days ago */
	judged(s, &f);
	assert_false(f.broken);
}

/* The same with a tunnel: on OLD (--keep-client-address) or on NEW (accept --from OLD). */
static struct snapshot *tunnel_at(int64_t now, enum spec_role role)
{
	struct snapshot *s = enabled_at(now);
	struct spec *spec = &s->state.spec;
	struct errmsg e;

	spec->keep_client_address = role == ROLE_OLD;
	spec->tunnel_id = 4242;
	spec->tunnel_mtu = 1450;
	if (role == ROLE_NEW) {
		spec_init(spec);
		spec->role = ROLE_NEW;
		spec->tunnel_id = 4242;
		assert_int_equal(spec_add_from(spec, "198.51.100.1", &e), 0);
	}
	assert_int_equal(spec_finalize(spec, &e), 0);
	stats_init(&s->st, spec);
	return s;
}

/*
 * NEW's end of the tunnel gone (its host refused the tunnel's UDP since it
 * last answered): OLD's redirect is broken, whatever the single client
 * that tried since would suggest.
 */
static void says_broken_when_far_end_gone(void **state)
{
	struct snapshot *s = tunnel_at(T0 + 10 * DAY, ROLE_OLD);
	struct finding f;

	seen(s, "203.0.113.10", 25, 60);
	stats_add_service_time(&s->st, 25, EVENT_ANSWER, 60 * 1000);
	waiting(s, "203.0.113.66", 25, 4);
	stats_add_refused(&s->st, 2000);
	stats_judge_far_end(&s->st);
	judged(s, &f);
	assert_true(f.broken);
	assert_non_null(strstr(f.why, "the new server's end of the tunnel is gone: its host "
			    "198.51.100.2 refused the tunnel's packets 2s ago"));
	assert_null(strstr(f.why, "fail2ban"));
	/* it answered since: there again */
	s = tunnel_at(T0 + 10 * DAY, ROLE_OLD);
	stats_add_service_time(&s->st, 25, EVENT_ANSWER, 1000);
	stats_add_refused(&s->st, 2000);
	stats_judge_far_end(&s->st);
	judged(s, &f);
	assert_false(f.broken);
	/* on NEW, OLD's end gone is the end of the migration, no trouble */
	s = tunnel_at(T0 + 10 * DAY, ROLE_NEW);
	stats_add_refused(&s->st, 2000);
	stats_judge_far_end(&s->st);
	judged(s, &f);
	assert_false(f.broken);
	assert_non_null(strstr(f.why, "the old server's end of the tunnel is gone"));
}

/* The tunnel's packets from another address than --from's, lately, nothing through since: NAT. */
static void says_where_tunnel_packets_came_from(void **state)
{
	struct snapshot *s = tunnel_at(T0 + DAY, ROLE_NEW);
	struct address a;
	struct errmsg e;
	struct finding f;

	assert_int_equal(parse_address("203.0.113.7", &a, &e), 0);
	stats_add_stranger(&s->st, &a, 9, 30);
	judged(s, &f);
	assert_true(f.broken);
	assert_string_equal(f.why, "broken: tunnel packets from 203.0.113.7 dropped (9, the last "
			    "30s ago): not --from 198.51.100.1; behind NAT, accept --from 203.0.113.7");
	/* a connection came through since: the tunnel works, whoever that was */
	s = tunnel_at(T0 + DAY, ROLE_NEW);
	stats_add_stranger(&s->st, &a, 9, 30);
	stats_add_service_time(&s->st, 25, EVENT_ATTEMPT, 10 * 1000);
	stats_judge_far_end(&s->st);	/* what observe does once the last events are in */
	judged(s, &f);
	assert_false(f.broken);
	/* long ago: no trouble now */
	s = tunnel_at(T0 + DAY, ROLE_NEW);
	stats_add_stranger(&s->st, &a, 9, STRANGER_RECENT + 1);
	judged(s, &f);
	assert_false(f.broken);
}

static void says_forwarding_off(void **state)
{
	struct snapshot *s = enabled_at(T0 + DAY);
	struct finding f;

	s->forwarding_off = 1;
	waiting(s, "203.0.113.10", 25, 5);	/* the consequence, not said twice */
	waiting(s, "203.0.113.11", 25, 5);
	judged(s, &f);
	assert_true(f.broken);
	assert_string_equal(f.why, "broken: IPv4 forwarding is off here (net.ipv4.ip_forward = 0), "
			    "switched off since enable (sysctl --system? configuration management?): "
			    "the redirected connections go nowhere; `redirect restore` switches it "
			    "back on");
}

static void warns_of_a_full_set(void **state)
{
	struct snapshot *s = enabled_at(T0 + 10 * DAY);
	struct finding f;

	seen(s, "203.0.113.10", 25, 8 * DAY);
	s->st.set_size[0] = 1024;
	s->st.set_elements[0] = 1000;
	judged(s, &f);
	assert_false(f.broken);
	assert_int_equal(f.v.status, VERDICT_READY);
	assert_string_equal(f.why, "ready to retire this host: nothing redirected for 8d (7d "
			    "required); the IPv4 stale-source set is 97% full: new clients will go "
			    "unrecorded; `redirect enable` with a larger --max-sources (or a shorter "
			    "--remember) makes room");
	s = enabled_at(T0 + 10 * DAY);
	s->st.set_size[1] = 1024;
	s->st.set_elements[1] = 800;	/* 78%: not yet */
	judged(s, &f);
	assert_null(strstr(f.why, "full"));
}

/* A conntrack table over 80% full drops new connections once full: said, never silent. */
static void warns_of_a_full_conntrack_table(void **state)
{
	struct snapshot *s = enabled_at(T0 + 10 * DAY);
	struct finding f;

	seen(s, "203.0.113.10", 25, 8 * DAY);
	s->conntrack_count = 260000;
	s->conntrack_max = 262144;
	judged(s, &f);
	assert_false(f.broken);
	assert_true(f.health.conntrack_nearly_full);
	assert_int_equal(f.v.status, VERDICT_READY);
	assert_string_equal(f.why, "ready to retire this host: nothing redirected for 8d (7d "
			    "required); the conntrack table is 99% full (260000 of 262144 "
			    "entries): when it is full, new connections (redirected ones too) are "
			    "dropped; raise net.netfilter.nf_conntrack_max");
	s = enabled_at(T0 + 10 * DAY);
	s->conntrack_count = 209715;	/* 80% exactly: not over it */
	s->conntrack_max = 262144;
	judged(s, &f);
	assert_false(f.health.conntrack_nearly_full);
	assert_null(strstr(f.why, "conntrack"));
	s = enabled_at(T0 + 10 * DAY);
	s->conntrack_count = -1;	/* unknown: nothing said */
	s->conntrack_max = 262144;
	judged(s, &f);
	assert_false(f.health.conntrack_nearly_full);
}

/* ---- the resolvers' clock (check --domain) ---- */

static struct dns_look look_of(int status, uint32_t old_ttl, uint32_t answer_ttl)
{
	struct dns_look l = { .status = status, .old_ttl = old_ttl, .answer_ttl = answer_ttl };

	snprintf(l.problem, sizeof(l.problem), "%s", status == DNS_STATUS_OLD ?
		 "ns2.example.org (192.0.2.54, serial 1) still answers mail.example.org A "
		 "203.0.113.1" : "");
	return l;
}

static void dns_clock(void **state)
{
	struct dns_clock c = { .ndomains = 1 };
	struct dns_look l;

	l = look_of(DNS_STATUS_OLD, 3600, 3600);
	dns_clock_note(&c, &l, T0);
	assert_int_equal(dns_clock_ready_at(&c), 0);		/* not clean: no end in sight */
	l = look_of(DNS_STATUS_OLD, 600, 600);			/* a lower TTL later ... */
	dns_clock_note(&c, &l, T0 + 100);
	assert_int_equal(c.ttl, 3600);				/* ... the 1h answer may live on */
	l = look_of(DNS_STATUS_NEW, 0, 300);
	dns_clock_note(&c, &l, T0 + 200);
	assert_int_equal(c.clean_since, T0 + 200);
	assert_int_equal(dns_clock_ready_at(&c), T0 + 200 + 3600);
	dns_clock_note(&c, &l, T0 + 900);			/* still clean: the clock keeps its start */
	assert_int_equal(c.clean_since, T0 + 200);
	l = look_of(DNS_STATUS_UNKNOWN, 0, 0);			/* a server silent: changes nothing */
	dns_clock_note(&c, &l, T0 + 1000);
	assert_int_equal(c.clean_since, T0 + 200);
	assert_string_equal(c.status, "unknown");
	l = look_of(DNS_STATUS_OLD, 60, 60);			/* old again: start over */
	dns_clock_note(&c, &l, T0 + 2000);
	assert_int_equal(c.clean_since, 0);
	/* never seen old: the answers' own TTL stands in */
	memset(&c, 0, sizeof(c));
	l = look_of(DNS_STATUS_NEW, 0, 300);
	dns_clock_note(&c, &l, T0);
	assert_int_equal(dns_clock_ready_at(&c), T0 + 300);
}

static void says_dns_holds_it_back(void **state)
{
	struct snapshot *s = enabled_at(T0 + 10 * DAY);
	struct dns_clock c = { .ndomains = 1 };
	struct dns_look l = look_of(DNS_STATUS_OLD, 600, 600);
	struct finding f;

	seen(s, "203.0.113.10", 25, 8 * DAY);
	judged(s, &f);
	dns_clock_note(&c, &l, s->now);
	verdict_with_dns(&f, &c, &l, s->now);
	assert_int_equal(f.v.status, VERDICT_IN_USE);
	assert_string_equal(f.why, "still in use: nothing redirected for 8d (7d required); DNS "
			    "still names this host: ns2.example.org (192.0.2.54, serial 1) still "
			    "answers mail.example.org A 203.0.113.1");
	/* clean for 4 minutes of a 10-minute TTL */
	l = look_of(DNS_STATUS_NEW, 0, 600);
	dns_clock_note(&c, &l, s->now - 240);
	judged(s, &f);
	verdict_with_dns(&f, &c, &l, s->now);
	assert_int_equal(f.v.status, VERDICT_IN_USE);
	assert_int_equal(f.v.ready_in, 360);
	assert_non_null(strstr(f.why, "resolvers may keep an old answer for its TTL (10m): ready "
				      "for DNS in 6m"));
	/* counters ready, DNS not to be asked: cannot tell */
	l = look_of(DNS_STATUS_UNKNOWN, 0, 0);
	judged(s, &f);
	verdict_with_dns(&f, &c, &l, s->now);
	assert_int_equal(f.v.status, VERDICT_UNKNOWN);
}

/* On NEW (redirect accept) the quiet says the other host can go, never this one. */
static void says_which_host_on_the_new_server(void **state)
{
	struct snapshot *s = enabled_at(T0 + 10 * DAY);
	struct dns_clock c = { .ndomains = 1 };
	struct dns_look l = look_of(DNS_STATUS_OLD, 600, 600);
	struct finding f;

	s->state.spec.role = ROLE_NEW;
	seen(s, "203.0.113.10", 25, 8 * DAY);
	assert_string_equal(judged(s, &f), "ready to retire the old host: nothing has come "
			    "through the tunnel for 8d (7d required)");
	assert_int_equal(f.v.status, VERDICT_READY);
	dns_clock_note(&c, &l, s->now);
	verdict_with_dns(&f, &c, &l, s->now);
	assert_int_equal(f.v.status, VERDICT_IN_USE);
	assert_string_equal(f.why, "still in use: nothing has come through the tunnel for 8d (7d "
			    "required); DNS still names the old host: ns2.example.org (192.0.2.54, "
			    "serial 1) still answers mail.example.org A 203.0.113.1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(never_used),
		cmocka_unit_test(recent_connection),
		cmocka_unit_test(open_session),
		cmocka_unit_test(clock_oddities),
		cmocka_unit_test(says_ready),
		cmocka_unit_test(says_who_and_when),
		cmocka_unit_test(says_too_early),
		cmocka_unit_test(says_open_sessions),
		cmocka_unit_test(says_unknown),
		cmocka_unit_test(says_the_clock_jumped),
		cmocka_unit_test(says_broken_when_unanswered),
		cmocka_unit_test(warns_of_one_client_unanswered),
		cmocka_unit_test(says_broken_when_never_answered),
		cmocka_unit_test(says_broken_when_far_end_gone),
		cmocka_unit_test(says_where_tunnel_packets_came_from),
		cmocka_unit_test(says_forwarding_off),
		cmocka_unit_test(warns_of_a_full_set),
		cmocka_unit_test(warns_of_a_full_conntrack_table),
		cmocka_unit_test(dns_clock),
		cmocka_unit_test(says_dns_holds_it_back),
		cmocka_unit_test(says_which_host_on_the_new_server),
	};

	return RUN_TAP(tests);
}
