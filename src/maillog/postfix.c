// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Postfix's smtpd line of an authenticated client, logged when a message is
 * queued: "QUEUEID: client=NAME[ADDRESS], sasl_method=M, sasl_username=U";
 * the service from the smtpd's syslog_name.
 */
#include <errno.h>
#include <string.h>

#include "maillog/fields.h"

/* Postfix: the master.cf service name in syslog_name, as Debian's and ours are. */
static const struct maillog_word postfix_services[] = {
	{ "submission", MAIL_SUBMISSION }, { "587", MAIL_SUBMISSION },
	{ "submissions", MAIL_SUBMISSIONS }, { "smtps", MAIL_SUBMISSIONS },
	{ "465", MAIL_SUBMISSIONS }, { NULL, 0 },
};

/* postfix/submission/smtpd: the master.cf service (its syslog_name) says which. */
static enum mail_service postfix_service(const struct span *ident)
{
	const char *last = memrchr(ident->p, '/', ident->len), *mid;
	int svc;

	if (!last)
		return MAIL_SMTP;
	mid = memrchr(ident->p, '/', (size_t)(last - ident->p));
	mid = mid ? mid + 1 : ident->p;
	svc = maillog_word(postfix_services, mid, (size_t)(last - mid));
	return svc < 0 ? MAIL_SMTP : (enum mail_service)svc;
}

/* "4ABCD: client=host[203.0.113.10]:1234, sasl_method=PLAIN, sasl_username=bob" */
int maillog_postfix(const struct span *ident, struct span msg, struct mail_event *ev)
{
	const char *user = span_find(&msg, "sasl_username="), *client = span_find(&msg, " client=");
	struct span f, v, addr;
	const char *open, *close;

	if (!user)
		return 0;
	ev->kind = MAIL_SASL;
	ev->service = postfix_service(ident);
	f.p = user + 14;
	f.len = (size_t)(msg.p + msg.len - f.p);
	if (!client || !span_field(&f, &v) || maillog_take_account(&v, ev->account))
		return -EINVAL;
	f.p = client + 8;
	f.len = (size_t)(msg.p + msg.len - f.p);
	if (!span_field(&f, &v))
		return -EINVAL;
	open = memchr(v.p, '[', v.len);
	close = open ? memchr(open, ']', (size_t)(v.p + v.len - open)) : NULL;
	if (!close)
		return -EINVAL;
	addr.p = open + 1;
	addr.len = (size_t)(close - addr.p);
	span_skip(&addr, "ipv6:");
	span_skip(&addr, "IPv6:");
	if (maillog_take_address(&addr, &ev->client))
		return -EINVAL;
	ev->has_client = true;
	return 1;
}
