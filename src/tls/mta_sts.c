// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MTA-STS (RFC 8461), pure: the TXT record's grammar, the policy's parser
 * and the MX matcher. The fetch is mta_sts_fetch.c's. See tls/mta_sts.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/span.h"
#include "tls/mta_sts.h"

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ---- the TXT record ---- */

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
	return span_trim(f);
}

/* "v=STSv1", then *WSP ";": the records that senders keep. */
static bool sts_record(const char *text, size_t len)
{
	size_t i = 7;

	if (len < 8 || memcmp(text, "v=STSv1", 7))
		return false;
	while (i < len && span_wsp(text[i]))
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
	value = span_trim((struct span){ colon + 1, line.len - key.len - 1 });
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
