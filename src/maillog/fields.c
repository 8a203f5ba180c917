// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The values of a log line, checked before they are kept: an address must
 * parse, a user name must be UTF-8 without spaces or control characters, a
 * session id base64, and a program name (what a client chose to send) is
 * cleaned of anything a terminal or JSON should not get. Control
 * characters are C0 and DEL, C1 too (U+009B is a one-character CSI to a
 * terminal that reads 8-bit controls), and the bidirectional controls,
 * which turn the text after them around on screen (CVE-2021-42574).
 */
#include <errno.h>
#include <string.h>

#include "maillog/fields.h"

/*
 * The length of the valid UTF-8 sequence at @s (at most @n bytes), its code
 * point in *@cp; 0 when it is no UTF-8.
 */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned int *cp)
{
	size_t len, i;
	unsigned int c = s[0];

	*cp = c;
	if (c < 0x80)
		return 1;
	len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
	if (!len || len > n || c > 0xf4)
		return 0;
	*cp = c & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and past U+10FFFF are not UTF-8 */
	if ((len == 3 && *cp < 0x800) || (len == 4 && (*cp < 0x10000 || *cp > 0x10ffff)) ||
	    (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

/* What a terminal acts on rather than shows: C0, DEL, C1, the bidi controls. */
static bool control(unsigned int cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
	       cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The length of the shown character at @s, or 0 (no UTF-8, or a control character). */
static size_t shown_len(const unsigned char *s, size_t n)
{
	unsigned int cp;
	size_t len = utf8_decode(s, n, &cp);

	return len && !control(cp) ? len : 0;
}

bool maillog_text_ok(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < len) {
		k = shown_len(u + i, len - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

/* A user name as kept: UTF-8, no spaces or control characters, not empty. */
int maillog_take_account(const struct span *v, char *out)
{
	if (!v->len || v->len >= MAIL_ACCOUNT_MAX || memchr(v->p, ' ', v->len) ||
	    !maillog_text_ok(v->p, v->len))
		return -EINVAL;
	memcpy(out, v->p, v->len);
	out[v->len] = '\0';
	return 0;
}

int maillog_take_address(const struct span *v, struct address *out)
{
	char buf[64];
	struct errmsg ignored;

	if (!v->len || v->len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, v->p, v->len);
	buf[v->len] = '\0';
	return parse_address(buf, out, &ignored) ? -EINVAL : 0;
}

static bool base64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=';
}

/* Dovecot's session id: base64, in angle brackets already removed. */
int maillog_take_session(const struct span *v, char *out)
{
	size_t i;

	if (!v->len || v->len >= MAIL_SESSION_MAX)
		return -EINVAL;
	for (i = 0; i < v->len; i++)
		if (!base64_char(v->p[i]))
			return -EINVAL;
	memcpy(out, v->p, v->len);
	out[v->len] = '\0';
	return 0;
}

/*
 * Appends @v to the program name, anything a terminal or JSON should not
 * get as one '?' (a byte that is no UTF-8, or a whole control character).
 */
void maillog_append_clean(char *out, size_t *used, const struct span *v)
{
	const unsigned char *u = (const unsigned char *)v->p;
	size_t i = 0, len, k;
	unsigned int cp;

	while (i < v->len) {
		len = utf8_decode(u + i, v->len - i, &cp);
		k = len && !control(cp) ? len : 0;
		if (*used + (k ? k : 1) >= MAIL_PROGRAM_MAX)
			break;		/* cut at a character, never inside one */
		if (k)
			memcpy(out + *used, u + i, k);
		else
			out[*used] = '?';
		*used += k ? k : 1;
		i += len ? len : 1;
	}
	out[*used] = '\0';
}

int maillog_word(const struct maillog_word *words, const char *p, size_t n)
{
	for (; words->name; words++)
		if (n == strlen(words->name) && !memcmp(p, words->name, n))
			return (int)words->svc;
	return -1;
}
