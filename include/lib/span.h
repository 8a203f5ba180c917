/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_LIB_SPAN_H
#define REDIRECT_LIB_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/*
 * A run of bytes inside a text the caller owns: [p, p + len). What the
 * parsers of outside text (HTTP responses, MTA-STS records and policies)
 * cut their input into, without copying it.
 */
struct span {
	const char *p;
	size_t len;
};

/* Linear white space: a space or a tab (RFC 5234's WSP). */
static inline bool span_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* @s without the white space at either end. */
static inline struct span span_trim(struct span s)
{
	while (s.len && span_wsp(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && span_wsp(s.p[s.len - 1]))
		s.len--;
	return s;
}

/* Whether @s is exactly @word. */
static inline bool span_is(struct span s, const char *word)
{
	return s.len == strlen(word) && !memcmp(s.p, word, s.len);
}

#endif
