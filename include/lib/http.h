/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_LIB_HTTP_H
#define REDIRECT_LIB_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * An HTTP/1.x response, read as it comes (RFC 9112): what a client that
 * fetches one small text resource with "Connection: close" needs to know
 * of it (MTA-STS policies). Pure: the bytes are the caller's, and so is
 * the buffer the body is copied into; fuzzed by tests/fuzz/fuzz_mta_sts.c.
 */

#define HTTP_HEAD_MAX 8192		/* the status line and headers */

struct http_response {
	int status;			/* 100 to 599 */
	char content_type[128];		/* as sent, "" without one */
	bool text_plain;		/* its media type is text/plain (parameters aside) */
	char location[256];		/* a redirect's target, cut to fit; "" without */
	size_t body_len;		/* the body, de-chunked, in the caller's buffer */
};

/*
 * Reads the response of @len bytes in @buf: the status line, the headers
 * (Content-Type, Location, Content-Length, Transfer-Encoding: chunked;
 * CRLF or LF), and for status 200 the body into @body (@body_cap bytes;
 * any other status is whole with its head). Returns 0 when it is whole
 * (the Content-Length reached, the last chunk read, or with @eof the
 * connection's end for a body without either), -EAGAIN when more is to
 * come, -EFBIG when the head is over HTTP_HEAD_MAX or the body over
 * @body_cap, -EBADMSG when it is not HTTP (a bad status line, header,
 * length or chunk; cut short at @eof), -EPROTONOSUPPORT for a transfer
 * coding other than chunked.
 */
int http_response_parse(const char *buf, size_t len, bool eof, char *body, size_t body_cap,
			struct http_response *out);

#endif
