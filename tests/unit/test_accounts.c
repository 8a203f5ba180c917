// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Who came through the redirect: the mail log's line parser (real lines of
 * Dovecot 2.3.19 and Postfix 3.7), the accounts aggregate (merging, the
 * window, the file's text form), and the incremental reader of a log file
 * through rotation, truncation, long lines and things that are no file.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/owned.h"
#include "core/account_feed.h"
#include "core/accounts.h"
#include "maillog/logfile.h"
#include "maillog/logline.h"

#define NOW 1796300089	/* 2026-12-03 */

static int parse(const char *line, struct mail_event *ev)
{
	struct maillog_clock c;

	maillog_clock_init(&c, NOW);
	return maillog_parse_line(line, strlen(line), &c, ev);
}

static const char *addr_text(const struct address *a)
{
	static char buf[ADDRESS_STRLEN];	/* a test helper, not the tool */

	return address_str(a, buf);
}

static void dovecot_login_syslog(void **state)
{
	struct mail_event ev;

	assert_int_equal(parse("2026-12-03T12:14:49.123456+01:00 new dovecot: imap-login: Login: "
			       "user=<alice@example.org>, method=PLAIN, rip=203.0.113.10, "
			       "lip=169.254.77.2, mpid=7, TLS, session=<wiG3tLlhLpB/AAAB>", &ev), 1);
	assert_int_equal(ev.kind, MAIL_LOGIN);
	assert_int_equal(ev.service, MAIL_IMAP);
	assert_string_equal(ev.account, "alice@example.org");
	assert_string_equal(addr_text(&ev.client), "203.0.113.10");
	assert_string_equal(addr_text(&ev.local), "169.254.77.2");
	assert_string_equal(ev.session, "wiG3tLlhLpB/AAAB");
	assert_int_equal(ev.time, NOW - 3600);
}

/* Dovecot's own log_path, as 2.3.19 wrote it in the lab, pop3 and IPv6 */
static void dovecot_login_log_path(void **state)
{
	struct mail_event ev;

	assert_int_equal(parse("Dec 03 12:14:49 pop3-login: Info: Login: user=<bob@example.org>, "
			       "method=PLAIN, rip=2001:db8:1::10, lip=fd6d:6169:6c00::2, "
			       "mpid=20560, secured, session=<Pne3tLlhcOh/AAAB>", &ev), 1);
	assert_int_equal(ev.service, MAIL_POP3);
	assert_string_equal(addr_text(&ev.client), "2001:db8:1::10");
	assert_string_equal(addr_text(&ev.local), "fd6d:6169:6c00::2");
	assert_int_equal(parse("Dec  3 12:00:01 new dovecot: managesieve-login: Login: user=<c>, "
			       "method=PLAIN, rip=192.0.2.7, lip=192.0.2.2, session=<x>", &ev), 1);
	assert_int_equal(ev.service, MAIL_SIEVE);
}

static void dovecot_id(void **state)
{
	struct mail_event ev;

	/* before login: the values unescaped, the addresses after them */
	assert_int_equal(parse("Dec 03 12:14:49 imap-login: Info: ID sent: name=Thunderbird, "
			       "version=128.0, os=Linux: user=<>, rip=203.0.113.10, "
			       "lip=169.254.77.2, secured, session=<xwoxtLlh+uV/AAAB>", &ev), 1);
	assert_int_equal(ev.kind, MAIL_ID);
	assert_string_equal(ev.account, "");
	assert_string_equal(ev.program, "Thunderbird 128.0");
	assert_string_equal(ev.session, "xwoxtLlh+uV/AAAB");
	assert_true(ev.has_local);
	/* after login: the account and session in the process's prefix */
	assert_int_equal(parse("Dec 03 12:14:49 imap(alice@example.org)<20552><wiG3tLlhLpB/AAAB>: "
			       "Info: ID sent: name=K-9 Mail, version=6.8", &ev), 1);
	assert_string_equal(ev.account, "alice@example.org");
	assert_string_equal(ev.program, "K-9 Mail 6.8");
	assert_string_equal(ev.session, "wiG3tLlhLpB/AAAB");
	/* NIL and control characters (Dovecot wrote '?'; a raw one is cleaned) */
	assert_int_equal(parse("Dec 03 12:14:49 imap-login: ID sent: name=Evil\x01\xff, version=NIL: "
			       "user=<>, rip=203.0.113.10, lip=192.0.2.2, session=<a>", &ev), 1);
	assert_string_equal(ev.program, "Evil??");
}

/*
 * What a terminal acts on never reaches it: C1 (U+009B is a one-character
 * CSI) and the bidirectional controls, in a user name (refused) or a
 * program name (one '?' each).
 */
static void terminal_controls(void **state)
{
	static const char *const names[] = {
		"a\xc2\x9b" "2J", "a\xc2\x85", "a\xc2\x80", "a\xc2\x9f", "a\xe2\x80\xae" "gro",
		"a\xe2\x80\xaa", "a\xe2\x81\xa6", "a\xe2\x81\xa9", "a\xe2\x80\x8f",
		"a\xd8\x9c",
	};
	char line[256];
	struct mail_event ev;
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(line, sizeof(line), "Dec  3 12:00:01 new dovecot: imap-login: Login: "
			 "user=<%s>, rip=192.0.2.9, lip=169.254.77.2, session=<s>", names[i]);
		assert_int_equal(parse(line, &ev), -EINVAL);
		assert_false(maillog_text_ok(names[i], strlen(names[i])));
	}
	/* what is shown stays: Latin-1 letters, a no-break space, CJK, emoji */
	assert_true(maillog_text_ok("J\xc3\xbcrgen\xc2\xa0\xe5\xb1\xb1\xf0\x9f\x93\xa7", 16));
	assert_int_equal(parse("Dec 03 12:14:49 imap-login: ID sent: name=Evil\xc2\x9b" "2J\xe2\x80\xae"
			       "x, version=1\xc2\xa0\xc3\xa9: user=<>, rip=203.0.113.10, "
			       "lip=192.0.2.2, session=<a>", &ev), 1);
	assert_string_equal(ev.program, "Evil?2J?x 1\xc2\xa0\xc3\xa9");
}

static void postfix_sasl(void **state)
{
	const char *journal_msg = "4X: client=h[192.0.2.9], sasl_method=PLAIN, sasl_username=f";
	struct mail_event ev;

	assert_int_equal(parse("Dec  3 12:00:01 new postfix/submission/smtpd[1234]: 4ABCD: "
			       "client=unknown[203.0.113.10], sasl_method=PLAIN, "
			       "sasl_username=bob@example.org", &ev), 1);
	assert_int_equal(ev.kind, MAIL_SASL);
	assert_int_equal(ev.service, MAIL_SUBMISSION);
	assert_string_equal(ev.account, "bob@example.org");
	assert_string_equal(addr_text(&ev.client), "203.0.113.10");
	/* the lab's syslog_name postfix/587, a port logged, a sender after */
	assert_int_equal(parse("Dec  3 12:00:01 new postfix/587/smtpd[9]: 4X: client=a.example"
			       "[2001:db8:1::10]:4567, sasl_method=LOGIN, sasl_username=c@d, "
			       "sasl_sender=x@y", &ev), 1);
	assert_int_equal(ev.service, MAIL_SUBMISSION);
	assert_string_equal(ev.account, "c@d");
	assert_int_equal(parse("Dec  3 12:00:01 new postfix/smtpd[9]: 4X: client=a[192.0.2.9], "
			       "sasl_method=LOGIN, sasl_username=e", &ev), 1);
	assert_int_equal(ev.service, MAIL_SMTP);
	/* the journal: identifier and message apart */
	assert_int_equal(maillog_parse_message("postfix/smtps/smtpd", 19, journal_msg,
					       strlen(journal_msg), &ev), 1);
	assert_int_equal(ev.service, MAIL_SUBMISSIONS);
	assert_string_equal(ev.account, "f");
}

static void not_ours_and_unreadable(void **state)
{
	struct mail_event ev;

	assert_int_equal(parse("Dec  3 12:00:01 new postfix/smtpd[9]: connect from a[192.0.2.9]",
			       &ev), 0);
	assert_int_equal(parse("Dec  3 12:00:01 new dovecot: imap(a)<1><s>: Disconnected: Logged "
			       "out in=1 out=2", &ev), 0);
	assert_int_equal(parse("Dec  3 12:00:01 new sshd[1]: Login: user=<root>, rip=1.2.3.4", &ev),
			 0);
	assert_int_equal(parse("", &ev), 0);
	/* ours, but not to be read: kept out, counted by the caller */
	assert_int_equal(parse("Dec  3 12:00:01 new dovecot: imap-login: Login: user=<bad user>, "
			       "rip=1.2.3.4, lip=1.2.3.4", &ev), -EINVAL);
	assert_int_equal(parse("Dec  3 12:00:01 new dovecot: pop3-login: Login: user=<ok>, "
			       "rip=1.2.3.999, lip=1.2.3.4", &ev), -EINVAL);
	assert_int_equal(parse("Dec  3 12:00:01 new dovecot: imap-login: Login: user=<\xc3\x28>, "
			       "rip=1.2.3.4", &ev), -EINVAL);
	assert_int_equal(parse("Dec  3 12:00:01 new dovecot: imap-login: Login: user=<ok", &ev),
			 -EINVAL);
	assert_int_equal(parse("Dec  3 12:00:01 new postfix/smtpd[9]: 4X: sasl_username=x", &ev),
			 -EINVAL);
	assert_int_equal(parse("Dec  3 12:00:01 new postfix/smtpd[9]: 4X: client=a[nope], "
			       "sasl_username=x", &ev), -EINVAL);
}

static void clock_year(void **state)
{
	struct maillog_clock c;
	struct mail_event ev;
	const char *dec = "Dec 31 23:00:00 imap-login: Login: user=<a>, rip=192.0.2.1";
	struct tm tm = { .tm_year = 127, .tm_mon = 0, .tm_mday = 1, .tm_hour = 12, .tm_isdst = -1 };
	int64_t jan = (int64_t)mktime(&tm);

	/* read on 1 January 2027: December's line is of 2026 */
	maillog_clock_init(&c, jan);
	assert_int_equal(maillog_parse_line(dec, strlen(dec), &c, &ev), 1);
	assert_true(ev.time < jan && ev.time > jan - 2 * 86400);
}

/* The one-pass search, at every offset within and across 16-byte blocks. */
static void needles(void **state)
{
	static const char *const words[] = { "Login: ", "ID sent: ", "sasl_username=" };
	const char *misses = "Logi ID se sasl_user LIL_ _sasl_username";
	char buf[112];
	unsigned int w, at;
	size_t len;

	memset(buf, 'x', sizeof(buf));
	memcpy(buf + 64, misses, strlen(misses));	/* near misses only */
	assert_null(maillog_find_needle(buf, buf + sizeof(buf)));
	for (w = 0; w < 3; w++) {
		len = strlen(words[w]);
		for (at = 0; at + len <= 64; at++) {
			memset(buf, 'x', 64);
			memcpy(buf + at, words[w], len);
			assert_ptr_equal(maillog_find_needle(buf, buf + sizeof(buf)), buf + at);
			assert_null(maillog_find_needle(buf, buf + at + len - 1));	/* cut short */
		}
	}
	assert_null(maillog_find_needle("_", "_" + 1));
}

/* ---- the aggregate ---- */

static struct address addr(const char *text)
{
	struct errmsg e;
	struct address a;

	assert_int_equal(parse_address(text, &a, &e), 0);
	return a;
}

static void merge_and_prune(void **state)
{
	struct address a = addr("203.0.113.10"), b = addr("2001:db8:1::10");
	struct accounts acc;
	unsigned int i;

	accounts_init(&acc);
	assert_int_equal(accounts_note(&acc, "alice", MAIL_IMAP, &a, NOW - 100), 0);
	assert_int_equal(accounts_note(&acc, "alice", MAIL_POP3, &b, NOW - 50), 0);
	assert_int_equal(accounts_note(&acc, "alice", MAIL_IMAP, &a, NOW - 70), 0);
	assert_int_equal(accounts_note(&acc, "old", MAIL_SMTP, &a, NOW - 8 * 86400), 0);
	for (i = 0; i < 1000; i++) {	/* many: the index grows */
		char name[32];

		snprintf(name, sizeof(name), "u%u", i);
		assert_int_equal(accounts_note(&acc, name, MAIL_IMAP, &a, NOW - 1000 - i), 0);
	}
	accounts_set_program(&acc, "alice", "Thunderbird 128.0");
	accounts_prune(&acc, NOW, 7 * 86400);
	assert_int_equal(acc.n, 1001);
	assert_null(accounts_find(&acc, "old"));
	assert_string_equal(acc.a[0].name, "alice");
	assert_int_equal(acc.a[0].count, 3);
	assert_int_equal(acc.a[0].last_seen, NOW - 50);
	assert_int_equal(acc.a[0].services, 1U << MAIL_IMAP | 1U << MAIL_POP3);
	assert_int_equal(acc.a[0].naddrs, 2);
	assert_string_equal(addr_text(&acc.a[0].addrs[0]), "203.0.113.10");	/* the latest */
	assert_string_equal(acc.a[0].program, "Thunderbird 128.0");
	assert_non_null(accounts_find(&acc, "u999"));
	assert_string_equal(acc.a[1000].name, "u999");
	accounts_prune(&acc, NOW + 7 * 86400 - 60, 7 * 86400);	/* a week on: alice's last left */
	assert_int_equal(acc.n, 1);
	assert_string_equal(acc.a[0].name, "alice");
	accounts_prune(&acc, NOW + 7 * 86400, 7 * 86400);
	assert_int_equal(acc.n, 0);
	accounts_free(&acc);
}

static void addresses_bounded(void **state)
{
	struct accounts acc;
	struct address a;
	unsigned int i;
	char text[32];

	accounts_init(&acc);
	for (i = 1; i <= ACCOUNT_ADDRS_MAX + 3; i++) {
		snprintf(text, sizeof(text), "192.0.2.%u", i);
		a = addr(text);
		assert_int_equal(accounts_note(&acc, "a", MAIL_IMAP, &a, NOW), 0);
	}
	assert_int_equal(acc.a[0].naddrs, ACCOUNT_ADDRS_MAX);
	snprintf(text, sizeof(text), "192.0.2.%u", ACCOUNT_ADDRS_MAX + 3);
	assert_string_equal(addr_text(&acc.a[0].addrs[0]), text);
	accounts_free(&acc);
}

static void text_round_trip(void **state)
{
	struct address a = addr("203.0.113.10"), b = addr("2001:db8:1::10");
	struct accounts acc, back;
	struct errmsg e = { "" };
	char *text = NULL, *again = NULL;
	size_t len, len2;

	accounts_init(&acc);
	accounts_init(&back);
	accounts_note(&acc, "alice@example.org", MAIL_IMAP, &a, NOW);
	accounts_note(&acc, "alice@example.org", MAIL_POP3, &b, NOW);
	accounts_note(&acc, "bob", MAIL_SUBMISSION, NULL, NOW - 5);
	accounts_set_program(&acc, "alice@example.org", "Thunder bird 1.0");
	acc.source = SOURCE_FILE;
	snprintf(acc.path, sizeof(acc.path), "/var/log/mail log");
	acc.pos = (struct logfile_pos){ 2049, 1234, 5678 };
	acc.skipped = 3;
	accounts_session_put(acc.ids, &acc.nids, "S1", NOW, "Apple Mail 16");
	accounts_session_put(acc.logins, &acc.nlogins, "S2", NOW, "bob");
	accounts_sort(&acc);
	assert_int_equal(accounts_format(&acc, &text, &len), 0);
	assert_golden("accounts", text);
	assert_int_equal(accounts_parse(text, len, &back, &e), 0);
	assert_int_equal(accounts_format(&back, &again, &len2), 0);
	assert_string_equal(text, again);
	assert_string_equal(accounts_session_get(back.ids, back.nids, "S1"), "Apple Mail 16");
	assert_null(accounts_session_get(back.ids, back.nids, "S9"));
	free(text);
	free(again);
	accounts_free(&acc);
	accounts_free(&back);
}

static void damaged_text(void **state)
{
	static const char *const bad[] = {
		"account 1 1 imap - a\n",
		"version 2\n",
		"version 1\naccount x 1 imap - a\n",
		"version 1\naccount 1 1 telnet - a\n",
		"version 1\naccount 1 1 imap 1.2.3.999 a\n",
		"version 1\naccount 1 1 imap - a\naccount 2 1 imap - a\n",
		"version 1\naccount 1 1 imap - \xff\n",
		"version 1\nsource file 1 2\n",
		"version 1\nwhat 1\n",
	};
	struct accounts acc;
	struct errmsg e = { "" };
	unsigned int i;

	accounts_init(&acc);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(accounts_parse(bad[i], strlen(bad[i]), &acc, &e), -EBADMSG);
		assert_int_equal(acc.n, 0);
	}
	assert_int_equal(accounts_parse("a\0b", 3, &acc, &e), -EBADMSG);
	accounts_free(&acc);
}

static void session_ring(void **state)
{
	struct dovecot_session ring[ACCOUNTS_PENDING];
	unsigned int n = 0, i;
	char s[16];

	for (i = 0; i < 5 * ACCOUNTS_PENDING; i++) {
		snprintf(s, sizeof(s), "s%u", i);
		accounts_session_put(ring, &n, s, NOW, s);
	}
	assert_null(accounts_session_get(ring, n, "s0"));
	snprintf(s, sizeof(s), "s%u", 5 * ACCOUNTS_PENDING - 1);
	assert_string_equal(accounts_session_get(ring, n, s), s);
	snprintf(s, sizeof(s), "s%u", 4 * ACCOUNTS_PENDING);
	assert_string_equal(accounts_session_get(ring, n, s), s);
	assert_null(accounts_session_get(ring, n, ""));
}

/* The rings name accounts and programs too: kept for the window only, in order. */
static void sessions_pruned(void **state)
{
	struct accounts acc;
	char *text = NULL, s[16], v[16];
	unsigned int i;
	size_t len;

	accounts_init(&acc);
	accounts_session_put(acc.logins, &acc.nlogins, "S1", NOW - 8 * 86400, "mallory@example.org");
	accounts_session_put(acc.ids, &acc.nids, "S2", NOW - 8 * 86400, "Old Mail 1.0");
	for (i = 0; i < ACCOUNTS_PENDING + 5; i++) {	/* past the ring: the oldest go */
		snprintf(s, sizeof(s), "T%u", i);
		snprintf(v, sizeof(v), "u%u", i);
		accounts_session_put(acc.logins, &acc.nlogins, s, NOW - 8 * 86400 + i * 3600, v);
	}
	accounts_session_put(acc.ids, &acc.nids, "S3", NOW - 60, "New Mail 2.0");
	accounts_prune(&acc, NOW, 7 * 86400);
	assert_null(accounts_session_get(acc.ids, acc.nids, "S2"));
	assert_string_equal(accounts_session_get(acc.ids, acc.nids, "S3"), "New Mail 2.0");
	assert_int_equal(acc.nlogins, ACCOUNTS_PENDING + 5 - 24);	/* T24.. are in the window */
	assert_null(accounts_session_get(acc.logins, acc.nlogins, "T23"));
	assert_string_equal(accounts_session_get(acc.logins, acc.nlogins, "T24"), "u24");
	assert_int_equal(accounts_format(&acc, &text, &len), 0);
	assert_null(strstr(text, "mallory"));
	assert_null(strstr(text, "Old Mail"));
	assert_null(strstr(text, "u23"));
	assert_non_null(strstr(text, "login T24 "));	/* the oldest kept first */
	assert_true(strstr(text, "login T24 ") < strstr(text, "login T36 "));
	free(text);
	accounts_free(&acc);
}

/* ---- the feed: which logins came through the redirect ---- */

static void feed(struct accounts *acc, const char *const *lines, unsigned int n,
		 struct account_read *r)
{
	struct address stale = addr("203.0.113.20");
	struct account_feed *f = account_feed_new(acc, &stale, 1, TUNNEL_ID_DEFAULT, NOW, 7 * 86400, r);
	unsigned int i;

	assert_non_null(f);
	for (i = 0; i < n; i++)
		account_feed_line(lines[i], strlen(lines[i]), f);
	account_feed_free(f);
	accounts_sort(acc);
}

static void through_the_tunnel(void **state)
{
	static const char *const lines[] = {
		/* an ID before login, through the tunnel: waits for its login */
		"Dec 03 12:14:49 imap-login: ID sent: name=Thunderbird, version=128.0: user=<>, "
		"rip=203.0.113.10, lip=169.254.77.2, secured, session=<S1>",
		"Dec 03 12:14:49 imap-login: Login: user=<alice>, method=PLAIN, rip=203.0.113.10, "
		"lip=169.254.77.2, mpid=1, secured, session=<S1>",
		/* straight to NEW: not counted, its ID neither */
		"Dec 03 12:14:50 imap-login: Login: user=<carol>, method=PLAIN, rip=203.0.113.10, "
		"lip=192.0.2.2, mpid=2, session=<S2>",
		"Dec 03 12:14:50 imap(carol)<2><S2>: ID sent: name=Outlook, version=16",
		/* after login, IPv6 through the tunnel */
		"Dec 03 12:14:51 imap-login: Login: user=<dave>, method=PLAIN, rip=2001:db8:1::10, "
		"lip=fd6d:6169:6c00::2, mpid=3, session=<S3>",
		"Dec 03 12:14:51 imap(dave)<3><S3>: ID sent: name=K-9 Mail, version=6.8",
		"Dec 03 12:14:52 pop3-login: Login: user=<erin>, method=PLAIN, rip=203.0.113.10, "
		"lip=169.254.77.2, mpid=4, session=<S4>",
		/* Postfix: a stale source counts, another address does not */
		"Dec  3 12:14:53 new postfix/587/smtpd[9]: 4A: client=unknown[203.0.113.20], "
		"sasl_method=PLAIN, sasl_username=bob",
		"Dec  3 12:14:53 new postfix/587/smtpd[9]: 4B: client=unknown[203.0.113.99], "
		"sasl_method=PLAIN, sasl_username=frank",
		/* older than the window */
		"Nov 01 12:00:00 imap-login: Login: user=<gone>, method=PLAIN, rip=203.0.113.10, "
		"lip=169.254.77.2, session=<S5>",
		"Dec 03 12:14:54 imap-login: Login: user=<bad name>, rip=203.0.113.10, "
		"lip=169.254.77.2",
	};
	struct account_read r = { 0 };
	struct accounts acc;
	struct account *a;

	accounts_init(&acc);
	feed(&acc, lines, sizeof(lines) / sizeof(lines[0]), &r);
	assert_int_equal(acc.n, 4);
	assert_int_equal(r.unreadable, 1);
	assert_int_equal(r.logins, 4);
	assert_null(accounts_find(&acc, "carol"));
	assert_null(accounts_find(&acc, "frank"));
	assert_null(accounts_find(&acc, "gone"));
	assert_non_null(a = accounts_find(&acc, "alice"));
	assert_string_equal(a->program, "Thunderbird 128.0");
	assert_non_null(a = accounts_find(&acc, "dave"));
	assert_string_equal(a->program, "K-9 Mail 6.8");
	assert_non_null(a = accounts_find(&acc, "erin"));
	assert_int_equal(a->services, 1U << MAIL_POP3);
	assert_string_equal(a->program, "");
	assert_non_null(a = accounts_find(&acc, "bob"));
	assert_int_equal(a->services, 1U << MAIL_SUBMISSION);
	assert_string_equal(addr_text(&a->addrs[0]), "203.0.113.20");
	assert_string_equal(acc.a[0].name, "bob");	/* the most recent first */
	accounts_free(&acc);
}

/* ---- the file reader ---- */

struct collected {
	char text[8192];
	unsigned int n;
};

static void collect(const char *line, size_t len, void *data)
{
	struct collected *c = data;
	size_t used = strlen(c->text);

	snprintf(c->text + used, sizeof(c->text) - used, "%.*s|", (int)len, line);
	c->n++;
}

static char dir[64], path[128], rotated[128], kept[128];

static void put(const char *file, const char *text, bool append)
{
	int fd = open(file, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int reader_setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/redirect-test-accounts-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/mail.log", dir);
	snprintf(rotated, sizeof(rotated), "%s/mail.log.1", dir);
	snprintf(kept, sizeof(kept), "%s/mail.log.2", dir);
	return 0;
}

static int reader_teardown(void **state)
{
	char accounts[128];

	snprintf(accounts, sizeof(accounts), "%s/%s", dir, ACCOUNTS_FILE);
	unlink(accounts);
	unlink(path);
	unlink(rotated);
	unlink(kept);
	rmdir(dir);
	return 0;
}

static int read_log(struct logfile_pos *pos, struct collected *c, struct logfile_report *r,
		    struct errmsg *e)
{
	char *buf = malloc(LOGFILE_BUF);
	int err;

	memset(c, 0, sizeof(*c));
	err = logfile_read(path, pos, buf, collect, c, r, e);
	free(buf);
	return err;
}

static void incremental_and_rotation(void **state)
{
	struct logfile_pos pos = { 0 };
	struct logfile_report r;
	struct collected c;
	struct errmsg e = { "" };

	put(path, "a Login: 1\nnothing\nb Login: 2\nc Login: part", false);
	assert_int_equal(read_log(&pos, &c, &r, &e), 0);
	assert_string_equal(c.text, "a Login: 1|b Login: 2|");	/* the half line waits */
	assert_int_equal(read_log(&pos, &c, &r, &e), 0);
	assert_int_equal(c.n, 0);
	put(path, "ial\nd sasl_username=x\n", true);
	assert_int_equal(read_log(&pos, &c, &r, &e), 0);
	assert_string_equal(c.text, "c Login: partial|d sasl_username=x|");
	assert_int_equal(read_log(&pos, &c, &r, &e), 0);	/* nothing new: nothing read */
	assert_int_equal(r.bytes, 0);
	/* rotation: more written to the old file, renamed, a new one made */
	put(path, "e ID sent: late\n", true);
	assert_int_equal(rename(path, rotated), 0);
	put(path, "f Login: new\n", false);
	assert_int_equal(read_log(&pos, &c, &r, &e), 0);
	assert_true(r.rotated && r.old_finished);
	assert_string_equal(c.text, "e ID sent: late|f Login: new|");
	/* copytruncate: shorter than where the last run stopped */
	put(path, "g Login: t\n", false);
	assert_int_equal(read_log(&pos, &c, &r, &e), 0);
	assert_true(r.truncated);
	assert_string_equal(c.text, "g Login: t|");
	/* rotated, and FILE.1 is not the old file any more: the new one from its start */
	assert_int_equal(rename(path, kept), 0);	/* kept: its inode is not reused */
	unlink(rotated);
	put(rotated, "h Login: other\n", false);
	put(path, "i Login: fresh\n", false);
	assert_int_equal(read_log(&pos, &c, &r, &e), 0);
	assert_true(r.rotated && !r.old_finished);
	assert_string_equal(c.text, "i Login: fresh|");
}

static void long_lines(void **state)
{
	size_t big = 3 * LOGFILE_BUF;
	char *text = malloc(big + 64);
	struct logfile_pos pos = { 0 };
	struct logfile_report r;
	struct collected c;
	struct errmsg e = { "" };

	/* one line longer than a line may be, one longer than the buffer */
	memset(text, 'x', big);
	memcpy(text, "Login: ", 7);
	text[MAILLOG_LINE_MAX + 10] = '\n';
	strcpy(text + big, "\nj Login: after\n");
	put(path, text, false);
	assert_int_equal(read_log(&pos, &c, &r, &e), 0);
	assert_int_equal(r.too_long, 2);
	assert_string_equal(c.text, "j Login: after|");
	free(text);
}

static void not_a_file(void **state)
{
	struct logfile_pos pos = { 0 };
	struct logfile_report r;
	struct collected c;
	struct errmsg e = { "" };

	put(rotated, "k Login: x\n", false);
	unlink(path);
	assert_int_equal(symlink(rotated, path), 0);
	assert_int_equal(read_log(&pos, &c, &r, &e), -ELOOP);
	assert_non_null(strstr(e.text, "symbolic link"));
	assert_non_null(strstr(e.text, path));
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);	/* no writer: opening it would block */
	assert_int_equal(read_log(&pos, &c, &r, &e), -EINVAL);
	assert_non_null(strstr(e.text, "FIFO"));
	unlink(path);
	assert_int_equal(read_log(&pos, &c, &r, &e), -ENOENT);
	assert_int_equal(pos.ino, 0);	/* unchanged */
}

/* One run of stats on NEW over @log (a file) or the journal in @journal. */
static void update(struct state_dir *d, const char *log, const char *journal,
		   struct account_read *r)
{
	struct account_source src = { log, journal };
	struct accounts acc;
	struct errmsg e = { "" };

	accounts_init(&acc);
	assert_int_equal(accounts_update(d, &acc, &src, NULL, 0, TUNNEL_ID_DEFAULT, NOW,
					 7 * 86400, r, &e), 0);
	accounts_free(&acc);
}

static uint64_t count_of(struct state_dir *d, const char *name)
{
	struct accounts acc;
	struct errmsg e = { "" };
	struct account *a;
	uint64_t n;

	accounts_init(&acc);
	assert_int_equal(accounts_load(d, &acc, &e), 0);
	a = accounts_find(&acc, name);
	n = a ? a->count : 0;
	accounts_free(&acc);
	return n;
}

/*
 * Another source starts afresh, and a source spelled another way is the
 * same one: never a log read twice from its start into the same counts.
 */
static void source_switch(void **state)
{
	struct state_dir d = { .fd = open(dir, O_RDONLY | O_DIRECTORY), .lock_fd = -1 };
	char twisted[160];
	struct account_read r;

	snprintf(d.path, sizeof(d.path), "%s", dir);
	snprintf(twisted, sizeof(twisted), "%s/.//mail.log", dir);
	put(path, "Dec 03 12:14:49 imap-login: Login: user=<alice>, method=PLAIN, "
	    "rip=203.0.113.10, lip=169.254.77.2, mpid=1, session=<S1>\n", false);
	put(rotated, "Dec 03 12:14:50 imap-login: Login: user=<bob>, method=PLAIN, "
	    "rip=203.0.113.10, lip=169.254.77.2, mpid=2, session=<S2>\n", false);
	update(&d, path, NULL, &r);
	assert_int_equal(count_of(&d, "alice"), 1);
	assert_int_equal(r.started_over, STARTED_NO);
	update(&d, twisted, NULL, &r);		/* the same file: nothing new */
	assert_int_equal(r.lines, 0);
	assert_int_equal(r.started_over, STARTED_NO);
	assert_string_equal(r.path, path);
	update(&d, rotated, NULL, &r);		/* another file: its accounts alone */
	assert_int_equal(r.started_over, STARTED_OTHER_SOURCE);
	assert_int_equal(count_of(&d, "alice"), 0);
	assert_int_equal(count_of(&d, "bob"), 1);
	update(&d, path, NULL, &r);		/* and back: read afresh, not added again */
	assert_int_equal(r.started_over, STARTED_OTHER_SOURCE);
	assert_int_equal(count_of(&d, "alice"), 1);
	assert_int_equal(count_of(&d, "bob"), 0);
	update(&d, NULL, NULL, &r);		/* no option: the one read last */
	assert_int_equal(r.lines, 0);
	assert_int_equal(count_of(&d, "alice"), 1);
	close(d.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dovecot_login_syslog),
		cmocka_unit_test(dovecot_login_log_path),
		cmocka_unit_test(dovecot_id),
		cmocka_unit_test(terminal_controls),
		cmocka_unit_test(postfix_sasl),
		cmocka_unit_test(not_ours_and_unreadable),
		cmocka_unit_test(clock_year),
		cmocka_unit_test(needles),
		cmocka_unit_test(merge_and_prune),
		cmocka_unit_test(addresses_bounded),
		cmocka_unit_test(text_round_trip),
		cmocka_unit_test(damaged_text),
		cmocka_unit_test(session_ring),
		cmocka_unit_test(sessions_pruned),
		cmocka_unit_test(through_the_tunnel),
		cmocka_unit_test_setup_teardown(incremental_and_rotation, reader_setup,
						reader_teardown),
		cmocka_unit_test_setup_teardown(long_lines, reader_setup, reader_teardown),
		cmocka_unit_test_setup_teardown(not_a_file, reader_setup, reader_teardown),
		cmocka_unit_test_setup_teardown(source_switch, reader_setup, reader_teardown),
	};

	setenv("TZ", "UTC", 1);	/* the lines' local times, read the same anywhere */
	tzset();
	return RUN_TAP(tests);
}
