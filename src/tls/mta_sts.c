// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MTA-STS (RFC 8461): the TXT record's grammar, the policy's parser and
 * matcher, an HTTP/1.1 response reader, and the policy fetch over
 * verified HTTPS with OpenSSL, every domain at once in one poll() loop.
 * See tls/mta_sts.h.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls/mta_sts.h"

#define FETCH_MAX 64			/* domains fetched at once */
#define RESPONSE_MAX (MTA_STS_HEAD_MAX + MTA_STS_BODY_MAX + 4096)	/* chunk framing too */
#define HTTPS_PORT 443

static bool wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ---- the TXT record ---- */

/* A span of the record: [p, p + len). */
struct span {
	const char *p;
	size_t len;
};

static bool span_is(struct span s, const char *word)
{
	return s.len == strlen(word) && !memcmp(s.p, word, s.len);
}

static struct span trim(struct span s)
{
	while (s.len && wsp(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && wsp(s.p[s.len - 1]))
		s.len--;
	return s;
}

/* The field up to the next ';' from *@at (the end of @all at most); moves *@at past it. */
static struct span next_field(struct span all, size_t *at, bool *delim)
{
	struct span f = { all.p + *at, 0 };

	while (*at < all.len && all.p[*at] != ';') {
		(*at)++;
		f.len++;
	}
	*delim = *at < all.len;
	if (*delim)
		(*at)++;
	return trim(f);
}

/* "v=STSv1", then *WSP ";": the records that senders keep. */
static bool sts_record(const char *text, size_t len)
{
	size_t i = 7;

	if (len < 8 || memcmp(text, "v=STSv1", 7))
		return false;
	while (i < len && wsp(text[i]))
		i++;
	return i < len && text[i] == ';';
}

static bool ext_name(struct span n)
{
	size_t i;

	if (!n.len || n.len > 32 || !alnum(n.p[0]))
		return false;
	for (i = 1; i < n.len; i++)
		if (!alnum(n.p[i]) && n.p[i] != '_' && n.p[i] != '-' && n.p[i] != '.')
			return false;
	return true;
}

static bool ext_value(struct span v)
{
	size_t i;

	for (i = 0; i < v.len; i++)
		if ((unsigned char)v.p[i] < 0x21 || (unsigned char)v.p[i] > 0x7e || v.p[i] == '=')
			return false;
	return v.len > 0;
}

/* One field after the version: "id=..." or an extension. */
static bool txt_field(struct span f, char *id, bool *has_id)
{
	const char *eq = memchr(f.p, '=', f.len);
	struct span name, value;
	size_t i;

	if (!eq)
		return false;
	name = (struct span){ f.p, (size_t)(eq - f.p) };
	value = (struct span){ eq + 1, f.len - name.len - 1 };
	if (!span_is(name, "id"))
		return ext_name(name) && ext_value(value);
	if (!value.len || value.len > MTA_STS_ID_MAX)
		return false;
	for (i = 0; i < value.len; i++)
		if (!alnum(value.p[i]))
			return false;
	if (!*has_id) {
		memcpy(id, value.p, value.len);
		id[value.len] = '\0';
		*has_id = true;
	}
	return true;
}

/* The grammar of 3.1: the version, then fields split by ';', an empty one only last. */
static bool txt_parse(const char *text, size_t len, char *id)
{
	struct span all = { text, len }, f;
	bool delim = true, has_id = false;
	size_t at = 0;

	f = next_field(all, &at, &delim);
	if (!span_is(f, "v=STSv1") || !delim)
		return false;
	while (at < len || delim) {
		f = next_field(all, &at, &delim);
		if (!f.len && !delim && at >= len)
			break;		/* the optional final ';' */
		if (!txt_field(f, id, &has_id))
			return false;
		if (!delim)
			break;
	}
	return has_id;
}

enum mta_sts_txt mta_sts_txt_read(const char *const *texts, const size_t *lens, unsigned int n,
				  char *id)
{
	unsigned int i, found = 0, which = 0;

	for (i = 0; i < n; i++)
		if (sts_record(texts[i], lens[i])) {
			found++;
			which = i;
		}
	if (!found)
		return MTA_STS_TXT_NONE;
	if (found > 1)
		return MTA_STS_TXT_SEVERAL;
	return txt_parse(texts[which], lens[which], id) ? MTA_STS_TXT_OK : MTA_STS_TXT_MALFORMED;
}

const char *mta_sts_txt_text(enum mta_sts_txt r)
{
	switch (r) {
	case MTA_STS_TXT_OK: return "a valid STSv1 record";
	case MTA_STS_TXT_NONE: return "no record starting with v=STSv1";
	case MTA_STS_TXT_SEVERAL: return "several STSv1 records, which senders read as none";
	case MTA_STS_TXT_MALFORMED: return "a malformed STSv1 record, which senders read as none";
	}
	return "?";
}

/* ---- the policy ---- */

const char *mta_sts_mode_name(enum mta_sts_mode m)
{
	return m == MTA_STS_MODE_ENFORCE ? "enforce" : m == MTA_STS_MODE_TESTING ? "testing" :
	       "none";
}

/* A label of a domain (RFC 5321's sub-domain): letters, digits, inner hyphens. */
static bool ldh_label(const char *p, size_t len)
{
	size_t i;

	if (!len || len > 63 || p[0] == '-' || p[len - 1] == '-')
		return false;
	for (i = 0; i < len; i++)
		if (!alnum(p[i]) && p[i] != '-')
			return false;
	return true;
}

/* ["*."] Domain, a final dot aside. */
static bool mx_pattern(struct span v)
{
	size_t start, i;

	if (v.len && v.p[v.len - 1] == '.')
		v.len--;
	if (v.len >= 2 && v.p[0] == '*' && v.p[1] == '.') {
		v.p += 2;
		v.len -= 2;
	}
	if (!v.len || v.len > 253)
		return false;
	for (start = 0, i = 0; i <= v.len; i++) {
		if (i < v.len && v.p[i] != '.')
			continue;
		if (!ldh_label(v.p + start, i - start))
			return false;
		start = i + 1;
	}
	return true;
}

static void add_mx(struct mta_sts_policy *p, struct span v)
{
	char raw[MTA_STS_NAME_BUF];

	if (!mx_pattern(v)) {
		if (!p->mx_bad++) {
			snprintf(raw, sizeof(raw), "%.*s", (int)(v.len < 200 ? v.len : 200), v.p);
			quote(raw, p->first_bad, sizeof(p->first_bad));
		}
		return;
	}
	if (p->nmx >= MTA_STS_MX_MAX) {
		p->mx_skipped++;
		return;
	}
	snprintf(p->mx[p->nmx++], MTA_STS_NAME_BUF, "%.*s", (int)v.len, v.p);
}

/* What the parser has seen so far. */
struct policy_seen {
	struct span version, mode, max_age;
	bool has_version, has_mode, has_max_age;
};

/* One "key: value" line; other lines are ignored. */
static void policy_line(struct span line, struct mta_sts_policy *p, struct policy_seen *s)
{
	const char *colon = memchr(line.p, ':', line.len);
	struct span key, value;

	if (!colon)
		return;
	key = (struct span){ line.p, (size_t)(colon - line.p) };
	value = trim((struct span){ colon + 1, line.len - key.len - 1 });
	if (span_is(key, "mx"))
		add_mx(p, value);
	else if (span_is(key, "version") && !s->has_version)
		s->version = value, s->has_version = true;
	else if (span_is(key, "mode") && !s->has_mode)
		s->mode = value, s->has_mode = true;
	else if (span_is(key, "max_age") && !s->has_max_age)
		s->max_age = value, s->has_max_age = true;
}

/* 1 to 10 digits, at most a year. */
static int read_max_age(struct span v, uint32_t *out)
{
	uint64_t n = 0;
	size_t i;

	if (!v.len || v.len > 10)
		return -EINVAL;
	for (i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -EINVAL;
		n = n * 10 + (uint64_t)(v.p[i] - '0');
	}
	if (n > MTA_STS_MAX_AGE_MAX)
		return -ERANGE;
	*out = (uint32_t)n;
	return 0;
}

static int read_mode(struct span v, enum mta_sts_mode *mode)
{
	if (span_is(v, "enforce"))
		*mode = MTA_STS_MODE_ENFORCE;
	else if (span_is(v, "testing"))
		*mode = MTA_STS_MODE_TESTING;
	else if (span_is(v, "none"))
		*mode = MTA_STS_MODE_NONE;
	else
		return -EINVAL;
	return 0;
}

static const char *quoted(struct span v, char *buf)
{
	char raw[80];

	snprintf(raw, sizeof(raw), "%.*s", (int)(v.len < 64 ? v.len : 64), v.p);
	return quote(raw, buf, QUOTE_BUF);
}

static int policy_check(const struct policy_seen *s, struct mta_sts_policy *p, struct errmsg *e)
{
	char q[QUOTE_BUF];
	int err;

	if (!s->has_version || !span_is(s->version, "STSv1"))
		return errmsg_set(e, -EINVAL, s->has_version ? "the version is %s, not STSv1" :
				  "it has no \"version: STSv1\" line%s", s->has_version ?
				  quoted(s->version, q) : "");
	if (!s->has_mode || read_mode(s->mode, &p->mode))
		return errmsg_set(e, -EINVAL, s->has_mode ? "its mode %s is none of enforce, "
				  "testing, none" : "it has no mode line%s", s->has_mode ?
				  quoted(s->mode, q) : "");
	if (!s->has_max_age)
		return errmsg_set(e, -EINVAL, "it has no max_age line");
	err = read_max_age(s->max_age, &p->max_age);
	if (err)
		return errmsg_set(e, -EINVAL, err == -ERANGE ? "its max_age %s is over a year "
				  "(31557600 seconds)" : "its max_age %s is not a number of seconds",
				  quoted(s->max_age, q));
	if (p->mode != MTA_STS_MODE_NONE && !p->nmx && !p->mx_skipped)
		return errmsg_set(e, -EINVAL, "mode %s needs mx lines, and it has %s",
				  mta_sts_mode_name(p->mode), p->mx_bad ? "only bad ones" : "none");
	return 0;
}

int mta_sts_policy_parse(const char *text, size_t len, struct mta_sts_policy *out,
			 struct errmsg *e)
{
	struct policy_seen seen = { .has_version = false };
	size_t start = 0, i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i <= len; i++) {
		struct span line;

		if (i < len && text[i] != '\n')
			continue;
		line = (struct span){ text + start, i - start };
		if (line.len && line.p[line.len - 1] == '\r')
			line.len--;
		policy_line(line, out, &seen);
		start = i + 1;
	}
	return policy_check(&seen, out, e);
}

/* The length of @s without one final dot. */
static size_t bare_len(const char *s)
{
	size_t n = strlen(s);

	return n && s[n - 1] == '.' ? n - 1 : n;
}

bool mta_sts_pattern_match(const char *pattern, const char *mx)
{
	size_t lp = bare_len(pattern), lm = bare_len(mx);
	const char *dot;

	if (lp >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		dot = memchr(mx, '.', lm);
		if (!dot || dot == mx)
			return false;	/* the wildcard stands for one label, not none */
		lm -= (size_t)(dot + 1 - mx);
		mx = dot + 1;
		pattern += 2;
		lp -= 2;
	}
	return lp == lm && lp && !strncasecmp(pattern, mx, lp);
}

bool mta_sts_mx_match(const struct mta_sts_policy *p, const char *mx)
{
	unsigned int i;

	for (i = 0; i < p->nmx; i++)
		if (mta_sts_pattern_match(p->mx[i], mx))
			return true;
	return false;
}

/* ---- the HTTP response ---- */

/* How the body ends. */
enum framing { BY_CLOSE, BY_LENGTH, CHUNKED };

struct head {
	enum framing framing;
	uint64_t length;
	bool has_length;
	size_t end;			/* where the body starts */
};

/*
 * The line at *@off (CRLF or LF): 0 with @line set and *@off past it;
 * -EAGAIN when its end has not come yet.
 */
static int get_line(const char *buf, size_t len, size_t *off, struct span *line)
{
	const char *lf = memchr(buf + *off, '\n', len - *off);

	if (!lf)
		return -EAGAIN;
	line->p = buf + *off;
	line->len = (size_t)(lf - line->p);
	if (line->len && line->p[line->len - 1] == '\r')
		line->len--;
	*off = (size_t)(lf - buf) + 1;
	return 0;
}

/* "HTTP/1.x NNN reason" */
static int status_line(struct span l, struct mta_sts_http *out)
{
	size_t i;

	if (l.len < 12 || memcmp(l.p, "HTTP/1.", 7) || l.p[7] < '0' || l.p[7] > '9' ||
	    l.p[8] != ' ')
		return -EBADMSG;
	for (i = 9; i < 12; i++)
		if (l.p[i] < '0' || l.p[i] > '9')
			return -EBADMSG;
	if (l.len > 12 && l.p[12] != ' ')
		return -EBADMSG;
	out->status = (l.p[9] - '0') * 100 + (l.p[10] - '0') * 10 + (l.p[11] - '0');
	return out->status >= 100 && out->status < 600 ? 0 : -EBADMSG;	/* RFC 9110, 15 */
}

static bool name_is(struct span n, const char *name)
{
	return n.len == strlen(name) && !strncasecmp(n.p, name, n.len);
}

static void copy_value(struct span v, char *to, size_t size)
{
	size_t n = v.len < size - 1 ? v.len : size - 1, i;

	for (i = 0; i < n; i++)
		to[i] = (v.p[i] >= 0x20 && v.p[i] < 0x7f) ? v.p[i] : '?';
	to[n] = '\0';
}

/* Content-Length: digits; a second one must say the same (RFC 9112, 6.3). */
static int content_length(struct span v, struct head *h)
{
	uint64_t n = 0;
	size_t i;

	if (!v.len || v.len > 15)
		return -EBADMSG;
	for (i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -EBADMSG;
		n = n * 10 + (uint64_t)(v.p[i] - '0');
	}
	if (h->has_length && h->length != n)
		return -EBADMSG;
	h->length = n;
	h->has_length = true;
	if (h->framing != CHUNKED)
		h->framing = BY_LENGTH;
	return 0;
}

/* Only "chunked" is a coding we read; it overrides a Content-Length. */
static int transfer_encoding(struct span v, struct head *h)
{
	if (!name_is(v, "chunked"))
		return -EPROTONOSUPPORT;
	h->framing = CHUNKED;
	return 0;
}

/* The media type without its parameters, compared without case. */
static bool is_text_plain(struct span v)
{
	const char *semi = memchr(v.p, ';', v.len);

	if (semi)
		v.len = (size_t)(semi - v.p);
	return name_is(trim(v), "text/plain");
}

static int header_line(struct span l, struct head *h, struct mta_sts_http *out)
{
	const char *colon = memchr(l.p, ':', l.len);
	struct span name, value;
	size_t i;

	if (!colon || colon == l.p)
		return -EBADMSG;
	name = (struct span){ l.p, (size_t)(colon - l.p) };
	for (i = 0; i < name.len; i++)
		if ((unsigned char)name.p[i] <= ' ' || name.p[i] == 0x7f)
			return -EBADMSG;	/* also a folded line, which starts with one */
	value = trim((struct span){ colon + 1, l.len - name.len - 1 });
	if (name_is(name, "content-length"))
		return content_length(value, h);
	if (name_is(name, "transfer-encoding"))
		return transfer_encoding(value, h);
	if (name_is(name, "content-type")) {
		copy_value(value, out->content_type, sizeof(out->content_type));
		out->text_plain = is_text_plain(value);
	} else if (name_is(name, "location")) {
		copy_value(value, out->location, sizeof(out->location));
	}
	return 0;
}

static int read_head(const char *buf, size_t len, bool eof, struct head *h,
		     struct mta_sts_http *out)
{
	struct span line;
	size_t off = 0;
	int err = get_line(buf, len, &off, &line);

	if (!err)
		err = status_line(line, out);
	while (!err) {
		err = get_line(buf, len, &off, &line);
		if (err || !line.len)
			break;
		err = header_line(line, h, out);
	}
	if (err == -EAGAIN && (len > MTA_STS_HEAD_MAX || off > MTA_STS_HEAD_MAX))
		return -EFBIG;
	if (err == -EAGAIN && eof)
		return -EBADMSG;
	h->end = off;
	return err;
}

/* A chunk's size line: hex digits, then maybe ";extensions". */
static int chunk_size(struct span l, size_t cap, size_t *size)
{
	size_t i, n = 0;

	for (i = 0; i < l.len && isxdigit((unsigned char)l.p[i]); i++) {
		n = n * 16 + (size_t)(l.p[i] <= '9' ? l.p[i] - '0' : (l.p[i] | 0x20) - 'a' + 10);
		if (n > cap)
			return -EFBIG;
	}
	if (!i || (i < l.len && l.p[i] != ';' && !wsp(l.p[i])))
		return -EBADMSG;
	*size = n;
	return 0;
}

/* The chunks from @off into @body; 0 after the last chunk and its trailers. */
static int read_chunks(const char *buf, size_t len, size_t off, char *body, size_t cap,
		       size_t *used)
{
	struct span line;
	size_t size;
	int err;

	for (;;) {
		if ((err = get_line(buf, len, &off, &line)) || (err = chunk_size(line, cap, &size)))
			return err;
		if (!size)
			break;
		if (size > cap - *used)
			return -EFBIG;
		if (len - off < size)
			return -EAGAIN;
		memcpy(body + *used, buf + off, size);
		*used += size;
		off += size;
		if ((err = get_line(buf, len, &off, &line)))
			return err;
		if (line.len)
			return -EBADMSG;	/* the data was longer than its size said */
	}
	do {	/* trailers, up to the empty line */
		if ((err = get_line(buf, len, &off, &line)))
			return err;
	} while (line.len);
	return 0;
}

static int read_body(const char *buf, size_t len, bool eof, const struct head *h, char *body,
		     size_t cap, struct mta_sts_http *out)
{
	size_t avail = len - h->end;
	int err;

	switch (h->framing) {
	case CHUNKED:
		out->body_len = 0;
		err = read_chunks(buf, len, h->end, body, cap, &out->body_len);
		return err == -EAGAIN && eof ? -EBADMSG : err;
	case BY_LENGTH:
		if (h->length > cap)
			return -EFBIG;
		if (avail < h->length)
			return eof ? -EBADMSG : -EAGAIN;
		avail = (size_t)h->length;
		break;
	case BY_CLOSE:
		if (avail > cap)
			return -EFBIG;
		if (!eof)
			return -EAGAIN;
		break;
	}
	memcpy(body, buf + h->end, avail);
	out->body_len = avail;
	return 0;
}

int mta_sts_http_parse(const char *buf, size_t len, bool eof, char *body, size_t body_cap,
		       struct mta_sts_http *out)
{
	struct head h = { .framing = BY_CLOSE };
	int err;

	memset(out, 0, sizeof(*out));
	err = read_head(buf, len, eof, &h, out);
	if (err)
		return err;
	if (out->status != 200)
		return 0;	/* its body is never read: the status says it all */
	return read_body(buf, len, eof, &h, body, body_cap, out);
}

/* ---- the fetch ---- */

enum phase { P_CONNECT, P_HANDSHAKE, P_SEND, P_RECV, P_DONE };

struct fetch {
	const struct mta_sts_request *req;
	struct mta_sts_result *res;
	enum phase phase;
	int fd;
	SSL *ssl;
	short events;			/* what the socket waits for */
	unsigned int next_addr;
	int64_t deadline, connect_deadline;	/* CLOCK_MONOTONIC, ms */
	char request[512];
	size_t request_len, sent;
	char *buf, *body;		/* the response as it came; its body */
	size_t used;
};

const char *mta_sts_fault_name(enum mta_sts_fault f)
{
	static const char *const names[] = {
		[MTA_STS_OK] = "ok",
		[MTA_STS_NO_ADDRESS] = "no address",
		[MTA_STS_CONNECT] = "cannot connect",
		[MTA_STS_TIMEOUT] = "timed out",
		[MTA_STS_TLS] = "TLS failed",
		[MTA_STS_REDIRECT] = "redirected",
		[MTA_STS_HTTP_STATUS] = "HTTP error",
		[MTA_STS_CONTENT_TYPE] = "not text/plain",
		[MTA_STS_TOO_LARGE] = "too large",
		[MTA_STS_BAD_HTTP] = "not HTTP",
		[MTA_STS_INVALID] = "invalid policy",
		[MTA_STS_ERROR] = "could not try",
	};

	return (unsigned int)f < sizeof(names) / sizeof(names[0]) ? names[f] : "?";
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_conn(struct fetch *f)
{
	if (f->ssl) {
		SSL_shutdown(f->ssl);	/* one polite close_notify, not waited for */
		SSL_free(f->ssl);
		ERR_clear_error();	/* what it left is no other connection's error */
		f->ssl = NULL;
	}
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

static void done(struct fetch *f, enum mta_sts_fault fault, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void done(struct fetch *f, enum mta_sts_fault fault, int err, const char *fmt, ...)
{
	va_list ap;

	close_conn(f);
	f->phase = P_DONE;
	f->res->fault = fault;
	f->res->err = err;
	va_start(ap, fmt);
	vsnprintf(f->res->detail, sizeof(f->res->detail), fmt, ap);
	va_end(ap);
}

static socklen_t sockaddr_of(const struct address *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(HTTPS_PORT);
		sin->sin_addr = a->in.v4;
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(HTTPS_PORT);
		sin6->sin6_addr = a->in.v6;
		return sizeof(*sin6);
	}
}

/* The next address, with an equal share of the time left; done when none is left. */
static void connect_next(struct fetch *f)
{
	struct sockaddr_storage ss;
	unsigned int left;
	socklen_t len;

	close_conn(f);
	while (f->next_addr < f->req->naddrs) {
		const struct address *a = &f->req->addrs[f->next_addr++];

		f->res->peer = *a;
		f->res->has_peer = true;
		len = sockaddr_of(a, &ss);
		f->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (f->fd < 0) {
			f->res->err = errno;
			continue;
		}
		if (!connect(f->fd, (struct sockaddr *)&ss, len) || errno == EINPROGRESS) {
			left = f->req->naddrs - f->next_addr + 1;
			f->connect_deadline = now_ms() + (f->deadline - now_ms()) / left;
			f->phase = P_CONNECT;
			f->events = POLLOUT;
			return;
		}
		f->res->err = errno;
		close_conn(f);
	}
	done(f, MTA_STS_CONNECT, f->res->err, "%s", strerror(f->res->err));
}

static int start_tls(struct fetch *f, SSL_CTX *ctx)
{
	f->ssl = SSL_new(ctx);
	if (!f->ssl || !SSL_set_fd(f->ssl, f->fd) ||
	    !SSL_set_tlsext_host_name(f->ssl, f->res->host) || !SSL_set1_host(f->ssl, f->res->host))
		return -ENOMEM;
	SSL_set_hostflags(f->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	f->phase = P_HANDSHAKE;
	return 0;
}

static void connected(struct fetch *f, SSL_CTX *ctx)
{
	socklen_t len = sizeof(int);
	int soerr = 0;

	if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) || soerr) {
		f->res->err = soerr ? soerr : errno;
		connect_next(f);
		return;
	}
	if (start_tls(f, ctx))
		done(f, MTA_STS_ERROR, ENOMEM, "cannot set up TLS");
}

/* Why the handshake failed, as the certificate check or OpenSSL's error queue says. */
static void tls_failed(struct fetch *f, int ret)
{
	long verify = SSL_get_verify_result(f->ssl);
	unsigned long err = ERR_peek_last_error();
	char text[160];

	if (verify != X509_V_OK) {
		done(f, MTA_STS_TLS, 0, "certificate for %s: %s", f->res->host,
		     X509_verify_cert_error_string(verify));
	} else if (err) {
		ERR_error_string_n(err, text, sizeof(text));
		done(f, MTA_STS_TLS, 0, "%s", text);
	} else {
		done(f, MTA_STS_TLS, 0, "the server closed the connection in the handshake%s",
		     ret < 0 ? " (a reset)" : "");
	}
	ERR_clear_error();
}

/* 1: go on; 0: waiting (events set); -1: an error other than waiting. */
static int ssl_wait(struct fetch *f, int ret)
{
	switch (SSL_get_error(f->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		f->events = POLLIN;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		f->events = POLLOUT;
		return 0;
	}
	return -1;
}

/*
 * OpenSSL's error queue is per thread and shared by every connection here:
 * empty before each call, so that SSL_get_error() and tls_failed() read
 * this connection's (SSL_get_error(3)).
 */
static void handshake(struct fetch *f)
{
	int ret;

	ERR_clear_error();
	ret = SSL_connect(f->ssl);

	if (ret == 1) {
		f->phase = P_SEND;
		f->events = POLLOUT;
		return;
	}
	if (ssl_wait(f, ret) < 0)
		tls_failed(f, ret);
}

static void send_request(struct fetch *f)
{
	int ret;

	while (f->sent < f->request_len) {
		ERR_clear_error();
		ret = SSL_write(f->ssl, f->request + f->sent, (int)(f->request_len - f->sent));
		if (ret <= 0) {
			if (ssl_wait(f, ret) < 0)
				done(f, MTA_STS_BAD_HTTP, 0, "the connection broke while sending");
			return;
		}
		f->sent += (size_t)ret;
	}
	f->phase = P_RECV;
	f->events = POLLIN;
}

/* The whole response is in: what it says, then the policy. */
static void judge(struct fetch *f, const struct mta_sts_http *h)
{
	struct errmsg e;

	f->res->http_status = h->status;
	if (h->status >= 300 && h->status < 400)
		done(f, MTA_STS_REDIRECT, 0, "HTTP %d to %s, which senders do not follow",
		     h->status, h->location[0] ? h->location : "(no Location)");
	else if (h->status != 200)
		done(f, MTA_STS_HTTP_STATUS, 0, "HTTP %d", h->status);
	else if (!h->text_plain)
		done(f, MTA_STS_CONTENT_TYPE, 0, "Content-Type %s",
		     h->content_type[0] ? h->content_type : "missing");
	else if (mta_sts_policy_parse(f->body, h->body_len, &f->res->policy, &e))
		done(f, MTA_STS_INVALID, 0, "%s", e.text);
	else
		done(f, MTA_STS_OK, 0, "%s", "");
}

/* What has come so far, read as a response: judged once whole. */
static void try_parse(struct fetch *f, bool eof)
{
	struct mta_sts_http h;
	int err = mta_sts_http_parse(f->buf, f->used, eof, f->body, MTA_STS_BODY_MAX, &h);

	if (!err)
		judge(f, &h);
	else if (err == -EFBIG)
		done(f, MTA_STS_TOO_LARGE, 0, "the response is over %d bytes", MTA_STS_BODY_MAX);
	else if (err == -EPROTONOSUPPORT)
		done(f, MTA_STS_BAD_HTTP, 0, "a transfer coding other than chunked");
	else if (err != -EAGAIN)
		done(f, MTA_STS_BAD_HTTP, 0, "%s", eof && f->used ? "the response is cut short "
		     "or malformed" : f->used ? "a malformed response" : "no response");
	else if (f->used == RESPONSE_MAX)
		done(f, MTA_STS_TOO_LARGE, 0, "the response is over %d bytes", MTA_STS_BODY_MAX);
}

static void receive(struct fetch *f)
{
	int ret;

	while (f->phase == P_RECV) {
		ERR_clear_error();
		ret = SSL_read(f->ssl, f->buf + f->used, (int)(RESPONSE_MAX - f->used));
		if (ret > 0) {
			f->used += (size_t)ret;
			try_parse(f, false);
			continue;
		}
		if (!ssl_wait(f, ret))
			return;
		ERR_clear_error();
		try_parse(f, true);	/* the end, polite or not: Connection: close */
		if (f->phase == P_RECV)
			done(f, MTA_STS_BAD_HTTP, 0, "no response");
	}
}

static void step(struct fetch *f, SSL_CTX *ctx)
{
	switch (f->phase) {
	case P_CONNECT:
		connected(f, ctx);
		if (f->phase == P_HANDSHAKE)
			handshake(f);
		return;
	case P_HANDSHAKE:
		handshake(f);
		return;
	case P_SEND:
		send_request(f);
		return;
	case P_RECV:
		receive(f);
		return;
	case P_DONE:
		return;
	}
}

static const char *phase_words(enum phase p)
{
	switch (p) {
	case P_CONNECT: return "connecting";
	case P_HANDSHAKE: return "in the TLS handshake";
	case P_SEND: return "sending the request";
	case P_RECV: return "waiting for the response";
	case P_DONE: break;
	}
	return "";
}

/* Past a deadline: the next address, or the end. */
static void expire(struct fetch *f, int64_t now)
{
	if (now >= f->deadline) {
		done(f, MTA_STS_TIMEOUT, ETIMEDOUT, "no answer within the time, %s",
		     phase_words(f->phase));
	} else if (f->phase == P_CONNECT && now >= f->connect_deadline) {
		f->res->err = ETIMEDOUT;
		connect_next(f);
	}
}

/* The sockets to wait on, and how long at most. */
static unsigned int gather(struct fetch *fs, unsigned int n, struct pollfd *pfd,
			   unsigned int *idx, int *wait)
{
	int64_t now = now_ms(), next = INT64_MAX;
	unsigned int i, k = 0;

	for (i = 0; i < n; i++) {
		struct fetch *f = &fs[i];

		if (f->phase != P_DONE)
			expire(f, now);
		if (f->phase == P_DONE)
			continue;
		if (f->deadline < next)
			next = f->deadline;
		if (f->phase == P_CONNECT && f->connect_deadline < next)
			next = f->connect_deadline;
		pfd[k].fd = f->fd;
		pfd[k].events = f->events;
		pfd[k].revents = 0;
		idx[k++] = i;
	}
	*wait = next == INT64_MAX ? 0 : (int)(next > now ? next - now : 0);
	return k;
}

static int loop(struct fetch *fs, unsigned int n, SSL_CTX *ctx, struct errmsg *e)
{
	struct pollfd pfd[FETCH_MAX];
	unsigned int idx[FETCH_MAX], k, i;
	int wait;

	for (;;) {
		k = gather(fs, n, pfd, idx, &wait);
		if (!k)
			return 0;
		if (poll(pfd, k, wait) < 0 && errno != EINTR)
			return errmsg_set(e, -errno, "poll: %s", strerror(errno));
		for (i = 0; i < k; i++)
			if (pfd[i].revents)
				step(&fs[idx[i]], ctx);
	}
}

static void begin(struct fetch *f, const struct mta_sts_request *req, struct mta_sts_result *res,
		  unsigned int timeout_ms)
{
	memset(res, 0, sizeof(*res));
	f->req = req;
	f->res = res;
	f->fd = -1;
	snprintf(res->host, sizeof(res->host), "mta-sts.%s", req->domain);
	f->request_len = (size_t)snprintf(f->request, sizeof(f->request),
		"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: %s\r\n"
		"User-Agent: redirect/%s\r\nAccept: text/plain\r\nConnection: close\r\n\r\n",
		res->host, PACKAGE_VERSION);
	f->deadline = now_ms() + timeout_ms;
	if (strlen(req->domain) > MTA_STS_NAME_BUF - 9 || f->request_len >= sizeof(f->request))
		done(f, MTA_STS_ERROR, EINVAL, "the name is too long");
	else if (!req->naddrs)
		done(f, MTA_STS_NO_ADDRESS, 0, "%s has no address", res->host);
	else if (!(f->buf = malloc(RESPONSE_MAX)) || !(f->body = malloc(MTA_STS_BODY_MAX)))
		done(f, MTA_STS_ERROR, ENOMEM, "out of memory");
	else
		connect_next(f);
}

/* A client context: TLS 1.2 or later, peers verified against the system's store. */
static SSL_CTX *client_ctx(struct errmsg *e)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx) {
		errmsg_set(e, -ENOMEM, "cannot set up TLS: %s",
			   ERR_error_string(ERR_get_error(), NULL));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* the end of the body is the connection's: a missing close_notify is no error */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (!SSL_CTX_set_default_verify_paths(ctx)) {
		SSL_CTX_free(ctx);
		errmsg_set(e, -EIO, "cannot read the system's trusted certificates (/etc/ssl/certs)");
		return NULL;
	}
	return ctx;
}

int mta_sts_fetch(const struct mta_sts_request *req, unsigned int n, unsigned int timeout_ms,
		  struct mta_sts_result *out, struct errmsg *e)
{
	struct fetch *fs;
	SSL_CTX *ctx;
	unsigned int i;
	int err;

	if (n > FETCH_MAX)
		return errmsg_set(e, -E2BIG, "%u domains: at most %d policies are fetched at once",
				  n, FETCH_MAX);
	ctx = client_ctx(e);
	if (!ctx)
		return -EIO;
	fs = calloc(n ? n : 1, sizeof(*fs));
	if (!fs) {
		SSL_CTX_free(ctx);
		return errmsg_set(e, -ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++)
		begin(&fs[i], &req[i], &out[i], timeout_ms);
	err = loop(fs, n, ctx, e);
	for (i = 0; i < n; i++) {
		close_conn(&fs[i]);
		free(fs[i].buf);
		free(fs[i].body);
	}
	free(fs);
	SSL_CTX_free(ctx);
	return err;
}
