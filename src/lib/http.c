// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An HTTP/1.x response read from the bytes that came: the status line,
 * the headers a client of a small text resource needs, and the body by
 * Content-Length, chunks or the connection's end. Pure; see lib/http.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lib/http.h"
#include "lib/span.h"

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
static int status_line(struct span l, struct http_response *out)
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
	return name_is(span_trim(v), "text/plain");
}

static int header_line(struct span l, struct head *h, struct http_response *out)
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
	value = span_trim((struct span){ colon + 1, l.len - name.len - 1 });
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
		     struct http_response *out)
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
	if (err == -EAGAIN && (len > HTTP_HEAD_MAX || off > HTTP_HEAD_MAX))
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
	if (!i || (i < l.len && l.p[i] != ';' && !span_wsp(l.p[i])))
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
		     size_t cap, struct http_response *out)
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

int http_response_parse(const char *buf, size_t len, bool eof, char *body, size_t body_cap,
		       struct http_response *out)
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
