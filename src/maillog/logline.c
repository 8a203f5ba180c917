// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The mail servers' login lines, parsed: Dovecot's "Login:" and "ID sent:"
 * and Postfix's "sasl_username=" (see logline.h for the shapes). Every
 * value is checked before it is kept: an address must parse, a user name
 * must be UTF-8 without spaces or control characters, a program name is
 * cleaned (it is what a client chose to send).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "maillog/logline.h"


static const char *const service_names[MAIL_SERVICES] = {
	[MAIL_IMAP] = "imap", [MAIL_POP3] = "pop3", [MAIL_SUBMISSION] = "submission",
	[MAIL_SUBMISSIONS] = "submissions", [MAIL_SMTP] = "smtp", [MAIL_SIEVE] = "sieve",
};

static const char *const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* ---- finding the lines of interest ---- */

/* Whether a needle starts at (or, for '_', around) the rare byte at @c. */
static const char *needle_at(const char *c, const char *start, const char *end)
{
	size_t room = (size_t)(end - c);

	if (*c == 'L')
		return room >= 7 && !memcmp(c, "Login: ", 7) ? c : NULL;
	if (*c == 'I')
		return room >= 9 && !memcmp(c, "ID sent: ", 9) ? c : NULL;
	return c - start >= 4 && room >= 10 && !memcmp(c - 4, "sasl_username=", 14) ? c - 4 :
	       NULL;
}

typedef unsigned char bytes16 __attribute__((vector_size(16)));

/* The next 'L', 'I' or '_' at or after @p, or @end. */
static const char *next_rare(const char *p, const char *end)
{
	bytes16 v, hit;
	uint64_t half[2];
	unsigned int i;

	for (; end - p >= 16; p += 16) {
		memcpy(&v, p, sizeof(v));	/* an unaligned load */
		hit = (bytes16)((v == 'L') | (v == 'I') | (v == '_'));
		memcpy(half, &hit, sizeof(half));
		if (!(half[0] | half[1]))
			continue;
		for (i = 0; i < 16; i++)
			if (hit[i])
				return p + i;
	}
	while (p < end && *p != 'L' && *p != 'I' && *p != '_')
		p++;
	return p;
}

const char *maillog_find_needle(const char *p, const char *end)
{
	const char *start = p, *c, *n;

	for (c = next_rare(p, end); c < end; c = next_rare(c + 1, end))
		if ((n = needle_at(c, start, end)))
			return n;
	return NULL;
}

const char *mail_service_name(unsigned int service)
{
	return service < MAIL_SERVICES ? service_names[service] : NULL;
}

/* A piece of the line: never NUL-terminated, never copied until kept. */
struct span {
	const char *p;
	size_t n;
};

static bool starts(const struct span *s, const char *lit)
{
	size_t n = strlen(lit);

	return s->n >= n && !memcmp(s->p, lit, n);
}

/* Drops @lit from the front of @s when it is there. */
static bool skip(struct span *s, const char *lit)
{
	size_t n = strlen(lit);

	if (!starts(s, lit))
		return false;
	s->p += n;
	s->n -= n;
	return true;
}

/* memchr for the first byte, then the rest: faster than memmem for ", " and ": " */
static const char *find(const struct span *s, const char *lit)
{
	const char *p = s->p, *end = s->p + s->n;
	size_t n = strlen(lit);

	while (n && (p = memchr(p, lit[0], (size_t)(end - p)))) {
		if ((size_t)(end - p) < n)
			return NULL;
		if (!memcmp(p + 1, lit + 1, n - 1))
			return p;
		p++;
	}
	return NULL;
}

static const char *find_last(const struct span *s, const char *lit)
{
	struct span rest = *s;
	const char *hit, *last = NULL;

	while ((hit = find(&rest, lit))) {
		last = hit;
		rest.n -= (size_t)(hit + 1 - rest.p);
		rest.p = hit + 1;
	}
	return last;
}

/* The length of the valid UTF-8 sequence at @s (at most @n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned int c = s[0];
	unsigned int cp;

	if (c < 0x80)
		return 1;
	len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
	if (!len || len > n || c > 0xf4)
		return 0;
	cp = c & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and past U+10FFFF are not UTF-8 */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool maillog_text_ok(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < len) {
		if (u[i] < 0x20 || u[i] == 0x7f)
			return false;
		k = utf8_len(u + i, len - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

/* A user name as kept: UTF-8, no spaces or control characters, not empty. */
static int take_account(const struct span *v, char *out)
{
	if (!v->n || v->n >= MAIL_ACCOUNT_MAX || memchr(v->p, ' ', v->n) ||
	    !maillog_text_ok(v->p, v->n))
		return -EINVAL;
	memcpy(out, v->p, v->n);
	out[v->n] = '\0';
	return 0;
}

static int take_address(const struct span *v, struct address *out)
{
	char buf[64];
	struct errmsg ignored;

	if (!v->n || v->n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, v->p, v->n);
	buf[v->n] = '\0';
	return parse_address(buf, out, &ignored) ? -EINVAL : 0;
}

static bool base64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=';
}

/* Dovecot's session id: base64, in angle brackets already removed. */
static int take_session(const struct span *v, char *out)
{
	size_t i;

	if (!v->n || v->n >= MAIL_SESSION_MAX)
		return -EINVAL;
	for (i = 0; i < v->n; i++)
		if (!base64_char(v->p[i]))
			return -EINVAL;
	memcpy(out, v->p, v->n);
	out[v->n] = '\0';
	return 0;
}

/* Appends @v to the program name, anything a terminal or JSON should not get as '?'. */
static void append_clean(char *out, size_t *used, const struct span *v)
{
	const unsigned char *u = (const unsigned char *)v->p;
	size_t i = 0, k;

	while (i < v->n) {
		k = u[i] < 0x20 || u[i] == 0x7f ? 0 : utf8_len(u + i, v->n - i);
		if (*used + (k ? k : 1) >= MAIL_PROGRAM_MAX)
			break;		/* cut at a character, never inside one */
		if (k)
			memcpy(out + *used, u + i, k);
		else
			out[*used] = '?';
		*used += k ? k : 1;
		i += k ? k : 1;
	}
	out[*used] = '\0';
}

/* ---- times ---- */

static bool digits(const char *p, size_t n, int *out)
{
	size_t i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*out = *out * 10 + (p[i] - '0');
	}
	return true;
}

static bool clock_ok(const char *p, struct tm *tm)
{
	return p[2] == ':' && p[5] == ':' && digits(p, 2, &tm->tm_hour) &&
	       digits(p + 3, 2, &tm->tm_min) && digits(p + 6, 2, &tm->tm_sec) &&
	       tm->tm_hour < 24 && tm->tm_min < 60 && tm->tm_sec < 61;
}

/* "2026-12-03T12:14:49.123456+01:00 " (rsyslog's RFC 3339 form). */
static bool time_rfc3339(struct span *s, int64_t *out)
{
	struct tm tm = { 0 };
	int off_h = 0, off_m = 0, sign = 0;
	size_t i = 19;

	if (s->n < 21 || s->p[4] != '-' || s->p[7] != '-' || s->p[10] != 'T' ||
	    !digits(s->p, 4, &tm.tm_year) || !digits(s->p + 5, 2, &tm.tm_mon) ||
	    !digits(s->p + 8, 2, &tm.tm_mday) || !clock_ok(s->p + 11, &tm))
		return false;
	if (s->p[i] == '.')
		while (++i < s->n && s->p[i] >= '0' && s->p[i] <= '9')
			;
	if (i < s->n && s->p[i] == 'Z') {
		i++;
	} else if (i + 6 <= s->n && (s->p[i] == '+' || s->p[i] == '-') && s->p[i + 3] == ':' &&
		   digits(s->p + i + 1, 2, &off_h) && digits(s->p + i + 4, 2, &off_m)) {
		sign = s->p[i] == '+' ? 1 : -1;
		i += 6;
	} else {
		return false;
	}
	if (i >= s->n || s->p[i] != ' ' || tm.tm_mon < 1 || tm.tm_mon > 12 || !tm.tm_mday)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon--;
	*out = (int64_t)timegm(&tm) - sign * (off_h * 3600 + off_m * 60);
	s->p += i + 1;
	s->n -= i + 1;
	return true;
}

void maillog_clock_init(struct maillog_clock *c, int64_t now)
{
	time_t t = (time_t)now;
	struct tm local;

	localtime_r(&t, &local);
	c->now = now;
	c->year = local.tm_year;
	c->key = -1;
	c->base = 0;
}

/* The start of the hour @tm names (local time), in the year of @c or the one before. */
static int64_t hour_start(struct maillog_clock *c, struct tm *tm)
{
	int key = (tm->tm_mon * 32 + tm->tm_mday) * 24 + tm->tm_hour;

	if (key == c->key)
		return c->base;
	tm->tm_year = c->year;
	tm->tm_isdst = -1;
	c->base = (int64_t)mktime(tm);
	if (c->base > c->now + 86400) {	/* December's lines read in January */
		tm->tm_year = c->year - 1;
		tm->tm_isdst = -1;
		c->base = (int64_t)mktime(tm);
	}
	c->key = key;
	return c->base;
}

/* "Dec  3 12:14:49 " (syslog) or "Dec 03 12:14:49 " (Dovecot's log_path). */
static bool time_traditional(struct span *s, struct maillog_clock *c, int64_t *out)
{
	struct tm tm = { 0 };
	int mon, day, min, sec;

	if (s->n < 16 || s->p[3] != ' ' || s->p[6] != ' ' || s->p[15] != ' ')
		return false;
	for (mon = 0; mon < 12 && memcmp(s->p, months[mon], 3); mon++)
		;
	if (mon == 12 || !clock_ok(s->p + 7, &tm) ||
	    !digits(s->p + 4 + (s->p[4] == ' '), s->p[4] == ' ' ? 1 : 2, &day) || !day || day > 31)
		return false;
	min = tm.tm_min;
	sec = tm.tm_sec;
	tm.tm_min = tm.tm_sec = 0;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	*out = hour_start(c, &tm) + min * 60 + sec;
	s->p += 16;
	s->n -= 16;
	return true;
}

/* ---- Dovecot ---- */

struct service_word {
	const char *name;
	enum mail_service svc;
};

/* Dovecot's protocols, as its processes are named (imap-login, imap). */
static const struct service_word dovecot_protocols[] = {
	{ "imap", MAIL_IMAP }, { "pop3", MAIL_POP3 },
	{ "submission", MAIL_SUBMISSION }, { "managesieve", MAIL_SIEVE }, { NULL, 0 },
};

/* Postfix: the master.cf service name in syslog_name, as Debian's and ours are. */
static const struct service_word postfix_services[] = {
	{ "submission", MAIL_SUBMISSION }, { "587", MAIL_SUBMISSION },
	{ "submissions", MAIL_SUBMISSIONS }, { "smtps", MAIL_SUBMISSIONS },
	{ "465", MAIL_SUBMISSIONS }, { NULL, 0 },
};

static int word_service(const struct service_word *words, const char *p, size_t n)
{
	for (; words->name; words++)
		if (n == strlen(words->name) && !memcmp(p, words->name, n))
			return (int)words->svc;
	return -1;
}

static int service_of(const struct span *proto)
{
	return word_service(dovecot_protocols, proto->p, proto->n);
}

/* The next ", "-separated field of @s, which drops it. */
static bool next_field(struct span *s, struct span *field)
{
	const char *comma;

	if (!s->n)
		return false;
	comma = find(s, ", ");
	field->p = s->p;
	field->n = comma ? (size_t)(comma - s->p) : s->n;
	s->p += field->n + (comma ? 2 : 0);
	s->n -= field->n + (comma ? 2 : 0);
	return true;
}

/* "<value>" of a field "key=<value>"; false when it is not that key. */
static bool bracketed(const struct span *f, const char *key, struct span *v)
{
	struct span rest = *f;

	if (!skip(&rest, key) || !skip(&rest, "<") || !rest.n || rest.p[rest.n - 1] != '>')
		return false;
	v->p = rest.p;
	v->n = rest.n - 1;
	return true;
}

/* rip=, lip= and session=<> of Dovecot's login fields (user=<> taken before). */
static int dovecot_fields(struct span s, struct mail_event *ev)
{
	struct span f, v;

	while (next_field(&s, &f)) {
		v = f;
		if (skip(&v, "rip=")) {
			if (take_address(&v, &ev->client))
				return -EINVAL;
			ev->has_client = true;
		} else if (skip(&v, "lip=")) {
			if (take_address(&v, &ev->local))
				return -EINVAL;
			ev->has_local = true;
		} else if (bracketed(&f, "session=", &v) && take_session(&v, ev->session)) {
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

	if (!skip(s, "user=<"))
		return -EINVAL;
	end = find(s, ">, ");
	v.p = s->p;
	v.n = end ? (size_t)(end - s->p) : s->n;
	if (!end && (!v.n || v.p[v.n - 1] != '>'))
		return -EINVAL;
	if (!end)
		v.n--;
	s->p += v.n + (end ? 3 : 1);
	s->n -= v.n + (end ? 3 : 1);
	if (!v.n && empty_ok)
		return 0;
	return take_account(&v, ev->account);
}

/* "name=Thunderbird, version=128.0, os=Linux": a value ends where ", KEY=" starts. */
static bool id_value(const struct span *id, const char *key, struct span *v)
{
	const char *p = id->p, *end = id->p + id->n, *next;
	size_t kl = strlen(key);
	struct span rest;

	while (p < end) {
		rest.p = p;
		rest.n = (size_t)(end - p);
		next = find(&rest, ", ");
		while (next) {	/* ", " inside a value: the next key follows only a real one */
			const char *k = next + 2;

			while (k < end && (*k == '-' || *k == '_' || (*k >= 'a' && *k <= 'z') ||
					   (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9')))
				k++;
			if (k < end && *k == '=' && k > next + 2)
				break;
			rest.p = next + 2;
			rest.n = (size_t)(end - rest.p);
			next = find(&rest, ", ");
		}
		if ((size_t)(end - p) > kl && !memcmp(p, key, kl) && p[kl] == '=') {
			v->p = p + kl + 1;
			v->n = (size_t)((next ? next : end) - v->p);
			return !(v->n == 3 && !memcmp(v->p, "NIL", 3));
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
	if (!id_value(id, "name", &name) || !name.n)
		return;
	append_clean(out, &used, &name);
	if (id_value(id, "version", &version) && version.n && used + 1 < MAIL_PROGRAM_MAX) {
		out[used++] = ' ';
		append_clean(out, &used, &version);
	}
}

/* "imap-login: [Info: ]Login: ..." or "... ID sent: K=V, ...: user=<>, ..." */
static int dovecot_login(int svc, struct span rest, struct mail_event *ev)
{
	const char *fields;
	struct span id;

	ev->service = (enum mail_service)svc;
	if (skip(&rest, "Login: ")) {
		ev->kind = MAIL_LOGIN;
		return dovecot_user(&rest, ev, false) ? -EINVAL : dovecot_fields(rest, ev) ? -EINVAL : 1;
	}
	if (!skip(&rest, "ID sent: "))
		return 0;
	ev->kind = MAIL_ID;
	fields = find_last(&rest, ": user=<");	/* the ID's values are not escaped */
	if (!fields)
		return -EINVAL;
	id.p = rest.p;
	id.n = (size_t)(fields - rest.p);
	id_program(&id, ev->program);
	rest.n -= (size_t)(fields + 2 - rest.p);
	rest.p = fields + 2;
	if (dovecot_user(&rest, ev, true) || dovecot_fields(rest, ev))
		return -EINVAL;
	return 1;
}

/* "imap(alice@example.org)<7><SESSION>: [Info: ]ID sent: name=..., version=..." */
static int dovecot_mail_id(struct span head, struct span rest, struct mail_event *ev)
{
	struct span proto, user, session;
	const char *open = memchr(head.p, '(', head.n), *close;
	int svc;

	if (!open || !skip(&rest, "ID sent: "))
		return 0;
	proto.p = head.p;
	proto.n = (size_t)(open - head.p);
	svc = service_of(&proto);
	close = head.p[head.n - 1] == '>' ? memmem(open, (size_t)(head.p + head.n - open), ")<", 2) :
		NULL;
	if (svc < 0)
		return 0;
	ev->kind = MAIL_ID;
	ev->service = (enum mail_service)svc;
	if (!close)
		return -EINVAL;
	user.p = open + 1;
	user.n = (size_t)(close - user.p);
	session.p = memrchr(head.p, '<', head.n);
	session.p++;
	session.n = (size_t)(head.p + head.n - 1 - session.p);
	if (take_account(&user, ev->account) || take_session(&session, ev->session))
		return -EINVAL;
	id_program(&rest, ev->program);
	return 1;
}

static int parse_dovecot(struct span msg, struct mail_event *ev)
{
	const char *colon = find(&msg, ": ");
	struct span head, rest, proto;
	int svc;

	if (!colon || colon == msg.p)
		return 0;
	head.p = msg.p;
	head.n = (size_t)(colon - msg.p);
	rest.p = colon + 2;
	rest.n = msg.n - head.n - 2;
	skip(&rest, "Info: ");
	if (head.n > 6 && !memcmp(head.p + head.n - 6, "-login", 6)) {
		proto.p = head.p;
		proto.n = head.n - 6;
		svc = service_of(&proto);
		return svc < 0 ? 0 : dovecot_login(svc, rest, ev);
	}
	return dovecot_mail_id(head, rest, ev);
}

/* ---- Postfix ---- */

/* postfix/submission/smtpd: the master.cf service (its syslog_name) says which. */
static enum mail_service postfix_service(const struct span *ident)
{
	const char *last = memrchr(ident->p, '/', ident->n), *mid;
	int svc;

	if (!last)
		return MAIL_SMTP;
	mid = memrchr(ident->p, '/', (size_t)(last - ident->p));
	mid = mid ? mid + 1 : ident->p;
	svc = word_service(postfix_services, mid, (size_t)(last - mid));
	return svc < 0 ? MAIL_SMTP : (enum mail_service)svc;
}

/* "4ABCD: client=host[203.0.113.10]:1234, sasl_method=PLAIN, sasl_username=bob" */
static int parse_postfix(const struct span *ident, struct span msg, struct mail_event *ev)
{
	const char *user = find(&msg, "sasl_username="), *client = find(&msg, " client=");
	struct span f, v, addr;
	const char *open, *close;

	if (!user)
		return 0;
	ev->kind = MAIL_SASL;
	ev->service = postfix_service(ident);
	f.p = user + 14;
	f.n = (size_t)(msg.p + msg.n - f.p);
	if (!client || !next_field(&f, &v) || take_account(&v, ev->account))
		return -EINVAL;
	f.p = client + 8;
	f.n = (size_t)(msg.p + msg.n - f.p);
	if (!next_field(&f, &v))
		return -EINVAL;
	open = memchr(v.p, '[', v.n);
	close = open ? memchr(open, ']', (size_t)(v.p + v.n - open)) : NULL;
	if (!close)
		return -EINVAL;
	addr.p = open + 1;
	addr.n = (size_t)(close - addr.p);
	skip(&addr, "ipv6:");
	skip(&addr, "IPv6:");
	if (take_address(&addr, &ev->client))
		return -EINVAL;
	ev->has_client = true;
	return 1;
}

/* ---- lines and messages ---- */

static bool ident_is(const struct span *ident, const char *prefix)
{
	return starts(ident, prefix);
}

static bool ident_smtpd(const struct span *ident)
{
	return (ident->n == 5 && !memcmp(ident->p, "smtpd", 5)) ||
	       (ident->n > 6 && !memcmp(ident->p + ident->n - 6, "/smtpd", 6));
}

int maillog_parse_message(const char *ident, size_t ilen, const char *msg, size_t mlen,
			  struct mail_event *ev)
{
	struct span id = { ident, ilen }, m = { msg, mlen };

	memset(ev, 0, sizeof(*ev));
	if (ident_is(&id, "dovecot"))
		return parse_dovecot(m, ev);
	if (ident_smtpd(&id))
		return parse_postfix(&id, m, ev);
	return 0;
}

/* "HOST IDENT[PID]: MESSAGE" after the time, or Dovecot's "PROCESS: ..." */
int maillog_parse_line(const char *line, size_t len, struct maillog_clock *clock,
		       struct mail_event *ev)
{
	struct span s = { line, len }, ident, msg;
	const char *sp, *colon;
	int64_t t = 0;
	int rc;

	memset(ev, 0, sizeof(*ev));
	if (s.n && s.p[s.n - 1] == '\r')
		s.n--;
	if (!time_rfc3339(&s, &t))
		time_traditional(&s, clock, &t);
	sp = memchr(s.p, ' ', s.n);
	if (sp && sp > s.p && sp[-1] == ':') {	/* Dovecot's log_path: no host, no ident */
		ident.p = "dovecot";
		ident.n = 7;
		msg = s;
	} else {
		if (!sp)
			return 0;
		ident.p = sp + 1;
		ident.n = (size_t)(s.p + s.n - ident.p);
		colon = find(&ident, ": ");
		if (!colon)
			return 0;
		msg.p = colon + 2;
		msg.n = (size_t)(s.p + s.n - msg.p);
		ident.n = (size_t)(colon - ident.p);
		if (ident.n && ident.p[ident.n - 1] == ']' && (sp = memrchr(ident.p, '[', ident.n)))
			ident.n = (size_t)(sp - ident.p);
	}
	rc = maillog_parse_message(ident.p, ident.n, msg.p, msg.n, ev);
	if (rc == 1)
		ev->time = t;
	return rc;
}
