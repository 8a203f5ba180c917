// SPDX-License-Identifier: GPL-2.0-or-later
/* Text and JSON from the same printing calls. */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "lib/format.h"
#include "cli/print.h"

/*
 * The formats below come from the callers' string literals, one per value,
 * as in iproute2's print_*() helpers; the compiler cannot see them here.
 */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void printer_init(struct printer *p, FILE *f, bool json, bool color)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->json = json;
	p->color = color && !json;
	p->first[0] = true;
}

void json_string(FILE *f, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u00%c%c", hex[c >> 4], hex[c & 0xf]);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* The comma and the key before a JSON value. */
static void json_key(struct printer *p, const char *key)
{
	if (!p->first[p->depth])
		fputs(", ", p->f);
	p->first[p->depth] = false;
	if (key) {
		json_string(p->f, key);
		fputs(": ", p->f);
	}
}

static void open_level(struct printer *p, const char *key, char bracket)
{
	if (!p->json)
		return;
	if (p->depth > 0 || !p->first[0])
		json_key(p, key);
	fputc(bracket, p->f);
	if (p->depth + 1 < sizeof(p->first))
		p->depth++;
	p->first[p->depth] = true;
}

static void close_level(struct printer *p, char bracket)
{
	if (!p->json)
		return;
	fputc(bracket, p->f);
	if (p->depth)
		p->depth--;
	if (!p->depth)
		fputc('\n', p->f);
}

void print_object_begin(struct printer *p, const char *key)
{
	open_level(p, key, '{');
}

void print_object_end(struct printer *p)
{
	close_level(p, '}');
}

void print_array_begin(struct printer *p, const char *key)
{
	open_level(p, key, '[');
}

void print_array_end(struct printer *p)
{
	close_level(p, ']');
}

/*
 * Whether this call prints. In JSON mode a NULL key means an array member
 * when @fmt is the special ARRAY_MEMBER, and text-only otherwise.
 */
static bool begin_value(struct printer *p, const char *key, const char *fmt)
{
	if (!p->json)
		return fmt != NULL && fmt != PRINT_ARRAY_MEMBER;
	if (!key && fmt != PRINT_ARRAY_MEMBER)
		return false;
	json_key(p, key);
	return true;
}

void print_str(struct printer *p, const char *key, const char *fmt, const char *value)
{
	if (!begin_value(p, key, fmt))
		return;
	if (p->json)
		json_string(p->f, value);
	else
		fprintf(p->f, fmt, value);
}

void print_u64(struct printer *p, const char *key, const char *fmt, uint64_t value)
{
	if (!begin_value(p, key, fmt))
		return;
	if (p->json)
		fprintf(p->f, "%" PRIu64, value);
	else
		fprintf(p->f, fmt, value);
}

void print_bool(struct printer *p, const char *key, const char *fmt, bool value)
{
	if (!begin_value(p, key, fmt))
		return;
	if (p->json)
		fputs(value ? "true" : "false", p->f);
	else
		fprintf(p->f, fmt, value ? "yes" : "no");
}

void print_null(struct printer *p, const char *key, const char *fmt)
{
	if (!begin_value(p, key, fmt))
		return;
	fputs(p->json ? "null" : fmt, p->f);
}

void print_ago(struct printer *p, const char *key, const char *fmt, int64_t seconds)
{
	char buf[FORMAT_BUF + 8], d[FORMAT_BUF];

	if (!begin_value(p, key, fmt))
		return;
	if (p->json) {
		if (seconds < 0)
			fputs("null", p->f);
		else
			fprintf(p->f, "%" PRId64, seconds);
		return;
	}
	if (seconds < 0)
		snprintf(buf, sizeof(buf), "never");
	else
		snprintf(buf, sizeof(buf), "%s ago",
			 format_duration((uint64_t)seconds, d, sizeof(d)));
	fprintf(p->f, fmt, buf);
}

void print_text(struct printer *p, const char *fmt, ...)
{
	va_list ap;

	if (p->json)
		return;
	va_start(ap, fmt);
	vfprintf(p->f, fmt, ap);
	va_end(ap);
}

void print_style(struct printer *p, enum print_style style)
{
	static const char *const codes[] = {
		[STYLE_NONE] = "\033[0m", [STYLE_BOLD] = "\033[1m", [STYLE_DIM] = "\033[2m",
		[STYLE_WARN] = "\033[33m", [STYLE_BAD] = "\033[1;31m",
	};

	if (p->color)
		fputs(codes[style], p->f);
}
