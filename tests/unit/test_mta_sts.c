// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MTA-STS without a network: the TXT record as senders read it, the
 * policy's parser (valid, invalid, lenient where RFC 8461 says so), MX
 * patterns, and HTTP responses whole, in pieces, chunked, too large and
 * malformed.
 */
#include "unit.h"

#include <errno.h>

#include "lib/http.h"
#include "tls/mta_sts.h"

/* ---- the TXT record ---- */

static enum mta_sts_txt txt1(const char *record, char *id)
{
	size_t len = strlen(record);

	return mta_sts_txt_read(&record, &len, 1, id);
}

static void txt_records(void **state)
{
	const char *two[] = { "v=spf1 -all", "v=STSv1; id=20261203T1200;" };
	const char *both[] = { "v=STSv1; id=1;", "v=STSv1; id=2;" };
	size_t lens[2];
	char id[MTA_STS_ID_MAX + 1];

	assert_int_equal(txt1("v=STSv1; id=abc123", id), MTA_STS_TXT_OK);
	assert_string_equal(id, "abc123");
	assert_int_equal(txt1("v=STSv1 ;id=x ; ext.1=v<v ;", id), MTA_STS_TXT_OK);
	assert_string_equal(id, "x");
	lens[0] = strlen(two[0]);
	lens[1] = strlen(two[1]);
	assert_int_equal(mta_sts_txt_read(two, lens, 2, id), MTA_STS_TXT_OK);
	assert_string_equal(id, "20261203T1200");
	lens[0] = lens[1] = strlen(both[0]);
	assert_int_equal(mta_sts_txt_read(both, lens, 2, id), MTA_STS_TXT_SEVERAL);
	assert_int_equal(mta_sts_txt_read(two, lens, 1, id), MTA_STS_TXT_NONE);
	assert_int_equal(mta_sts_txt_read(NULL, NULL, 0, id), MTA_STS_TXT_NONE);
	assert_int_equal(txt1("v=STSv1", id), MTA_STS_TXT_NONE);	/* no ';': discarded */
	assert_int_equal(txt1("v=STSv2; id=1", id), MTA_STS_TXT_NONE);
	assert_int_equal(txt1("v=STSv1;", id), MTA_STS_TXT_MALFORMED);	/* no id */
	assert_int_equal(txt1("v=STSv1; id=", id), MTA_STS_TXT_MALFORMED);
	assert_int_equal(txt1("v=STSv1; id=a-b", id), MTA_STS_TXT_MALFORMED);
	assert_int_equal(txt1("v=STSv1; id=123456789012345678901234567890123", id),
			 MTA_STS_TXT_MALFORMED);	/* 33 characters */
	assert_int_equal(txt1("v=STSv1;; id=1", id), MTA_STS_TXT_MALFORMED);
	assert_int_equal(txt1("v=STSv1; id=1; junk", id), MTA_STS_TXT_MALFORMED);
	assert_int_equal(txt1("v=STSv1; id=1; e=a=b", id), MTA_STS_TXT_MALFORMED);
}

/* ---- the policy ---- */

static int parse(const char *text, struct mta_sts_policy *p, struct errmsg *e)
{
	e->text[0] = '\0';
	return mta_sts_policy_parse(text, strlen(text), p, e);
}

static void policy_valid(void **state)
{
	static struct mta_sts_policy p;
	struct errmsg e;

	assert_int_equal(parse("version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\n"
			       "mx: *.example.net\r\nmax_age: 604800\r\n", &p, &e), 0);
	assert_int_equal(p.mode, MTA_STS_MODE_ENFORCE);
	assert_int_equal(p.max_age, 604800);
	assert_int_equal(p.nmx, 2);
	assert_string_equal(p.mx[1], "*.example.net");
	/* LF, no final newline, spaces, unknown keys, a line without a colon */
	assert_int_equal(parse("version:STSv1\nmode:   testing\t\nfoo: bar\njunk\n\n"
			       "mx: mx.example.org.\nmax_age: 0", &p, &e), 0);
	assert_int_equal(p.mode, MTA_STS_MODE_TESTING);
	assert_int_equal(p.max_age, 0);
	assert_string_equal(p.mx[0], "mx.example.org.");
	assert_int_equal(parse("version: STSv1\nmode: none\nmax_age: 31557600\n", &p, &e), 0);
	assert_int_equal(p.nmx, 0);
	/* the first of a key given twice */
	assert_int_equal(parse("version: STSv1\nmode: none\nmode: enforce\nmax_age: 1\n", &p,
			       &e), 0);
	assert_int_equal(p.mode, MTA_STS_MODE_NONE);
	/* bad mx values are skipped and counted; the good ones stand */
	assert_int_equal(parse("version: STSv1\nmode: enforce\nmx: a..b\nmx: -x.org\n"
			       "mx: **.org\nmx: ok.example.org\nmax_age: 5\n", &p, &e), 0);
	assert_int_equal(p.nmx, 1);
	assert_int_equal(p.mx_bad, 3);
	assert_string_equal(p.first_bad, "'a..b'");
}

static void invalid(const char *text, const char *why)
{
	static struct mta_sts_policy p;
	struct errmsg e;

	assert_int_equal(parse(text, &p, &e), -EINVAL);
	if (!strstr(e.text, why))
		fail_msg("%s: got \"%s\", wanted \"%s\"", text, e.text, why);
}

static void policy_invalid(void **state)
{
	invalid("mode: none\nmax_age: 1\n", "no \"version: STSv1\" line");
	invalid("version: STSv2\nmode: none\nmax_age: 1\n", "the version is 'STSv2'");
	invalid("Version: STSv1\nmode: none\nmax_age: 1\n", "no \"version");	/* %s: case counts */
	invalid("version: STSv1\nmax_age: 1\n", "no mode line");
	invalid("version: STSv1\nmode: Enforce\nmax_age: 1\n", "mode 'Enforce' is none of");
	invalid("version: STSv1\nmode: none\n", "no max_age line");
	invalid("version: STSv1\nmode: none\nmax_age: 31557601\n", "over a year");
	invalid("version: STSv1\nmode: none\nmax_age: 12345678901\n", "not a number");
	invalid("version: STSv1\nmode: none\nmax_age: -1\n", "not a number");
	invalid("version: STSv1\nmode: none\nmax_age:\n", "not a number");
	invalid("version: STSv1\nmode: enforce\nmax_age: 1\n", "needs mx lines, and it has none");
	invalid("version: STSv1\nmode: testing\nmx: *\nmax_age: 1\n", "it has only bad ones");
	invalid("", "no \"version");
}

static void patterns(void **state)
{
	static struct mta_sts_policy p;
	struct errmsg e;

	assert_true(mta_sts_pattern_match("mail.example.org", "MAIL.example.ORG."));
	assert_true(mta_sts_pattern_match("mail.example.org.", "mail.example.org"));
	assert_false(mta_sts_pattern_match("mail.example.org", "mail.example.org.uk"));
	assert_false(mta_sts_pattern_match("mail.example.org", "xmail.example.org"));
	assert_true(mta_sts_pattern_match("*.example.org", "mx1.example.org"));
	assert_false(mta_sts_pattern_match("*.example.org", "example.org"));
	assert_false(mta_sts_pattern_match("*.example.org", "a.b.example.org"));
	assert_false(mta_sts_pattern_match("*.example.org", ".example.org"));
	assert_false(mta_sts_pattern_match("*.example.org", "mx1example.org"));
	assert_false(mta_sts_pattern_match("", ""));
	assert_int_equal(parse("version: STSv1\nmode: enforce\nmx: mail.example.org\n"
			       "mx: *.mx.example.net\nmax_age: 5\n", &p, &e), 0);
	assert_true(mta_sts_mx_match(&p, "mail.example.org"));
	assert_true(mta_sts_mx_match(&p, "b.mx.example.net"));
	assert_false(mta_sts_mx_match(&p, "mx.example.net"));
	assert_false(mta_sts_mx_match(&p, "new.example.org"));
}

/* ---- HTTP ---- */

static char body[MTA_STS_BODY_MAX];

static int http(const char *resp, bool eof, struct http_response *h)
{
	return http_response_parse(resp, strlen(resp), eof, body, sizeof(body), h);
}

static void http_whole(void **state)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
				 "Content-Length: 5\r\n\r\nhello";
	struct http_response h;
	size_t i;

	assert_int_equal(http(ok, false, &h), 0);
	assert_int_equal(h.status, 200);
	assert_true(h.text_plain);
	assert_string_equal(h.content_type, "text/plain; charset=utf-8");
	assert_int_equal(h.body_len, 5);
	assert_memory_equal(body, "hello", 5);
	/* every prefix is "more to come", and cut short at the end */
	for (i = 0; i < strlen(ok); i++) {
		assert_int_equal(http_response_parse(ok, i, false, body, sizeof(body), &h), -EAGAIN);
		assert_int_equal(http_response_parse(ok, i, true, body, sizeof(body), &h), -EBADMSG);
	}
	/* LF only, no length: the body ends with the connection */
	assert_int_equal(http("HTTP/1.0 200\nContent-Type: TEXT/Plain\n\nab\ncd", false, &h),
			 -EAGAIN);
	assert_int_equal(http("HTTP/1.0 200\nContent-Type: TEXT/Plain\n\nab\ncd", true, &h), 0);
	assert_true(h.text_plain);
	assert_int_equal(h.body_len, 5);
	/* a redirect is whole with its head */
	assert_int_equal(http("HTTP/1.1 301 Moved\r\nLocation: https://x.example/\r\n\r\n", false,
			      &h), 0);
	assert_int_equal(h.status, 301);
	assert_string_equal(h.location, "https://x.example/");
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
			      "Content-Length: 0\r\n\r\n", false, &h), 0);
	assert_false(h.text_plain);
}

static void http_chunked(void **state)
{
	static const char c[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
				"Content-Length: 999\r\n\r\n"
				"5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n";
	struct http_response h;
	size_t i;

	assert_int_equal(http(c, false, &h), 0);
	assert_int_equal(h.body_len, 16);
	assert_memory_equal(body, "hello 0123456789", 16);
	for (i = 0; i < strlen(c); i++)
		assert_int_equal(http_response_parse(c, i, false, body, sizeof(body), &h), -EAGAIN);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			      "3\r\nabcd\r\n0\r\n\r\n", false, &h), -EBADMSG);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			      "zz\r\n", false, &h), -EBADMSG);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			      "FFFFFFFFFFFFFFFFFFFF\r\n", false, &h), -EFBIG);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false, &h),
			 -EPROTONOSUPPORT);
}

static void http_refused(void **state)
{
	static char big[HTTP_HEAD_MAX + 100];
	struct http_response h;

	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 65537\r\n\r\n", false, &h),
			 -EFBIG);
	assert_int_equal(http_response_parse("HTTP/1.1 200 OK\r\n\r\nabcdef", 25, true, body, 5,
					    &h), -EFBIG);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
			      false, &h), -EBADMSG);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", false, &h),
			 -EBADMSG);
	assert_int_equal(http("HTTP/1.1 200 OK\r\n folded: header\r\n\r\n", false, &h), -EBADMSG);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", false, &h), -EBADMSG);
	assert_int_equal(http("HTTP/2 200\r\n\r\n", false, &h), -EBADMSG);
	assert_int_equal(http("HTTP/1.1 2000 OK\r\n\r\n", false, &h), -EBADMSG);
	assert_int_equal(http("HTTP/1.1 013 OK\r\n\r\n", false, &h), -EBADMSG);
	assert_int_equal(http("HTTP/1.1 600 OK\r\n\r\n", false, &h), -EBADMSG);
	assert_int_equal(http("SSH-2.0-OpenSSH\r\n", false, &h), -EBADMSG);
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	memset(big + 20, 'a', sizeof(big) - 21);
	assert_int_equal(http(big, false, &h), -EFBIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(txt_records),
		cmocka_unit_test(policy_valid),
		cmocka_unit_test(policy_invalid),
		cmocka_unit_test(patterns),
		cmocka_unit_test(http_whole),
		cmocka_unit_test(http_chunked),
		cmocka_unit_test(http_refused),
	};

	return RUN_TAP(tests);
}
