/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CLI_PRINT_H
#define REDIRECT_CLI_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * One call prints a value both ways: in text mode with its printf format
 * (a NULL format prints nothing), in JSON mode under its key (a NULL key
 * prints nothing). So text and JSON cannot drift apart.
 */
struct printer {
	FILE *f;
	bool json;
	bool color;		/* text on a terminal, and no NO_COLOR */
	unsigned int depth;
	bool first[16];		/* nothing printed yet at this depth */
};

void printer_init(struct printer *p, FILE *f, bool json, bool color);

void print_object_begin(struct printer *p, const char *key);
void print_object_end(struct printer *p);
void print_array_begin(struct printer *p, const char *key);
void print_array_end(struct printer *p);

/* As @fmt with a NULL key: a JSON array member, not printed as text. */
#define PRINT_ARRAY_MEMBER ((const char *)1)

void print_str(struct printer *p, const char *key, const char *fmt, const char *value);
void print_u64(struct printer *p, const char *key, const char *fmt, uint64_t value);
void print_bool(struct printer *p, const char *key, const char *fmt, bool value);
/* A value that is not there: JSON null; text @fmt as it is. */
void print_null(struct printer *p, const char *key, const char *fmt);
/* A time ago: JSON a number of seconds or null; text "42s ago" or "never". */
void print_ago(struct printer *p, const char *key, const char *fmt, int64_t seconds);

/* Text mode only. */
void print_text(struct printer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Colour on and off, in text mode on a terminal only. */
enum print_style { STYLE_NONE, STYLE_BOLD, STYLE_DIM, STYLE_WARN, STYLE_BAD };
void print_style(struct printer *p, enum print_style style);

/* A JSON string literal for @s: quotes and escapes, UTF-8 passed through. */
void json_string(FILE *f, const char *s);

#endif
