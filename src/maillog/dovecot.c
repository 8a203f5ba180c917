// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Dovecot's lines, as 2.3.19 writes them (see logline.h): a login with the
 * client's and the local address and the session, and the IMAP ID that
 * imap_id_log = * logs, before the login (unescaped values, then the
 * addresses) or after it (in the mail process's prefix).
 */
#include <errno.h>
#include <string.h>

#include "maillog/fields.h"

/* Dovecot's protocols, as its processes are named (imap-login, imap). */
static const struct maillog_word dovecot_protocols[] = {
	{ "imap", MAIL_IMAP }, { "pop3", MAIL_POP3 },
	{ "submission", MAIL_SUBMISSION }, { "managesieve", MAIL_SIEVE }, { NULL, 0 },
};

static int service_of(const struct span *proto)
{
	return maillog_word(dovecot_protocols, proto->p, proto->len);
}

/* "<value>" of a field "key=<value>"; false when it is not that key. */
static bool bracketed(const struct span *f, const char *key, struct span *v)
{
	struct span rest = *f;

	if (!span_skip(&rest, key) || !span_skip(&rest, "<") || !rest.len ||
	    rest.p[rest.len - 1] != '>')
		return false;
	v->p = rest.p;
	v->len = rest.len - 1;
	return true;
}

/* rip=, lip= and session=<> of Dovecot's login fields (user=<> taken before). */
static int dovecot_fields(struct span s, struct mail_event *ev)
{
	struct span f, v;

	while (span_field(&s, &f)) {
		v = f;
		if (span_skip(&v, "rip=")) {
			if (maillog_take_address(&v, &ev->client))
				return -EINVAL;
			ev->has_client = true;
		} else if (span_skip(&v, "lip=")) {
			if (maillog_take_address(&v, &ev->local))
				return -EINVAL;
			ev->has_local = true;
		} else if (bracketed(&f, "session=", &v) && maillog_take_session(&v, ev->session)) {
			return -EINVAL;
		}
	}
	return ev->has_client ? 0 : -EINVAL;
}

/*
 * user=<NAME> first: a name may hold ", " (then it has a space and is
 * refused), so it ends at the first '>' followed by ", " or the end.
 */
static int dovecot_user(struct span *s, struct mail_event *ev, bool empty_ok)
{
	struct span v;
	const char *end;

	if (!span_skip(s, "user=<"))
		return -EINVAL;
	end = span_find(s, ">, ");
	v.p = s->p;
	v.len = end ? (size_t)(end - s->p) : s->len;
	if (!end && (!v.len || v.p[v.len - 1] != '>'))
		return -EINVAL;
	if (!end)
		v.len--;
	s->p += v.len + (end ? 3 : 1);
	s->len -= v.len + (end ? 3 : 1);
	if (!v.len && empty_ok)
		return 0;
	return maillog_take_account(&v, ev->account);
}

/* "name=Thunderbird, version=128.0, os=Linux": a value ends where ", KEY=" starts. */
static bool id_value(const struct span *id, const char *key, struct span *v)
{
	const char *p = id->p, *end = id->p + id->len, *next;
	size_t kl = strlen(key);
	struct span rest;

	while (p < end) {
		rest.p = p;
		rest.len = (size_t)(end - p);
		next = span_find(&rest, ", ");
		while (next) {	/* ", " in a value: only a real one has a key after it */
			const char *k = next + 2;

			while (k < end && (*k == '-' || *k == '_' || (*k >= 'a' && *k <= 'z') ||
					   (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9')))
				k++;
			if (k < end && *k == '=' && k > next + 2)
				break;
			rest.p = next + 2;
			rest.len = (size_t)(end - rest.p);
			next = span_find(&rest, ", ");
		}
		if ((size_t)(end - p) > kl && !memcmp(p, key, kl) && p[kl] == '=') {
			v->p = p + kl + 1;
			v->len = (size_t)((next ? next : end) - v->p);
			return !(v->len == 3 && !memcmp(v->p, "NIL", 3));
		}
		p = next ? next + 2 : end;
	}
	return false;
}

static void id_program(const struct span *id, char *out)
{
	struct span name, version;
	size_t used = 0;

	out[0] = '\0';
	if (!id_value(id, "name", &name) || !name.len)
		return;
	maillog_append_clean(out, &used, &name);
	if (id_value(id, "version", &version) && version.len && used + 1 < MAIL_PROGRAM_MAX) {
		out[used++] = ' ';
		maillog_append_clean(out, &used, &version);
	}
}

/* "imap-login: [Info: ]Login: ..." or "... ID sent: K=V, ...: user=<>, ..." */
static int dovecot_login(int svc, struct span rest, struct mail_event *ev)
{
	const char *fields;
	struct span id;

	ev->service = (enum mail_service)svc;
	if (span_skip(&rest, "Login: ")) {
		ev->kind = MAIL_LOGIN;
		if (dovecot_user(&rest, ev, false) || dovecot_fields(rest, ev))
			return -EINVAL;
		return 1;
	}
	if (!span_skip(&rest, "ID sent: "))
		return 0;
	ev->kind = MAIL_ID;
	fields = span_find_last(&rest, ": user=<");	/* the ID's values are not escaped */
	if (!fields)
		return -EINVAL;
	id.p = rest.p;
	id.len = (size_t)(fields - rest.p);
	id_program(&id, ev->program);
	rest.len -= (size_t)(fields + 2 - rest.p);
	rest.p = fields + 2;
	if (dovecot_user(&rest, ev, true) || dovecot_fields(rest, ev))
		return -EINVAL;
	return 1;
}

/* "imap(alice@example.org)<7><SESSION>: [Info: ]ID sent: name=..., version=..." */
static int dovecot_mail_id(struct span head, struct span rest, struct mail_event *ev)
{
	struct span proto, user, session;
	const char *open = memchr(head.p, '(', head.len), *close;
	int svc;

	if (!open || !span_skip(&rest, "ID sent: "))
		return 0;
	proto.p = head.p;
	proto.len = (size_t)(open - head.p);
	svc = service_of(&proto);
	close = head.p[head.len - 1] != '>' ? NULL :
		memmem(open, (size_t)(head.p + head.len - open), ")<", 2);
	if (svc < 0)
		return 0;
	ev->kind = MAIL_ID;
	ev->service = (enum mail_service)svc;
	if (!close)
		return -EINVAL;
	user.p = open + 1;
	user.len = (size_t)(close - user.p);
	session.p = memrchr(head.p, '<', head.len);
	session.p++;
	session.len = (size_t)(head.p + head.len - 1 - session.p);
	if (maillog_take_account(&user, ev->account) || maillog_take_session(&session, ev->session))
		return -EINVAL;
	id_program(&rest, ev->program);
	return 1;
}

int maillog_dovecot(struct span msg, struct mail_event *ev)
{
	const char *colon = span_find(&msg, ": ");
	struct span head, rest, proto;
	int svc;

	if (!colon || colon == msg.p)
		return 0;
	head.p = msg.p;
	head.len = (size_t)(colon - msg.p);
	rest.p = colon + 2;
	rest.len = msg.len - head.len - 2;
	span_skip(&rest, "Info: ");
	if (head.len > 6 && !memcmp(head.p + head.len - 6, "-login", 6)) {
		proto.p = head.p;
		proto.len = head.len - 6;
		svc = service_of(&proto);
		return svc < 0 ? 0 : dovecot_login(svc, rest, ev);
	}
	return dovecot_mail_id(head, rest, ev);
}
