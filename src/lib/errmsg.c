// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/errmsg.h"

int errmsg_set(struct errmsg *e, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	return err;
}

void errmsg_prefix(struct errmsg *e, const char *fmt, ...)
{
	char head[sizeof(e->text)];
	size_t h, keep;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	h = strlen(head) + 2;
	if (h >= sizeof(e->text))
		h = sizeof(e->text) - 1;
	keep = strnlen(e->text, sizeof(e->text) - 1);
	if (keep > sizeof(e->text) - 1 - h)
		keep = sizeof(e->text) - 1 - h;
	memmove(e->text + h, e->text, keep);
	e->text[h + keep] = '\0';
	memcpy(e->text, head, h - 2);
	memcpy(e->text + h - 2, ": ", 2);
}

const char *quote(const char *value, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const size_t limit = 64;
	size_t in, out = 0;

	if (len < 8)
		return "";
	buf[out++] = '\'';
	for (in = 0; value[in] && out + 6 < len; in++) {
		unsigned char c = value[in];

		if (in == limit) {
			memcpy(buf + out, "...", 3);
			out += 3;
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\'') {
			buf[out++] = c;
		} else {
			buf[out++] = '\\';
			buf[out++] = 'x';
			buf[out++] = hex[c >> 4];
			buf[out++] = hex[c & 0xf];
		}
	}
	buf[out++] = '\'';
	buf[out] = '\0';
	return buf;
}
