// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The time at the front of a log line: rsyslog's RFC 3339 form, with its
 * offset, or syslog's traditional one (and Dovecot's log_path's), local
 * time without a year, the year taken from the clock of the run.
 */
#include <string.h>
#include <time.h>

#include "maillog/fields.h"

static const char *const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

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

	if (s->len < 21 || s->p[4] != '-' || s->p[7] != '-' || s->p[10] != 'T' ||
	    !digits(s->p, 4, &tm.tm_year) || !digits(s->p + 5, 2, &tm.tm_mon) ||
	    !digits(s->p + 8, 2, &tm.tm_mday) || !clock_ok(s->p + 11, &tm))
		return false;
	if (s->p[i] == '.')
		while (++i < s->len && s->p[i] >= '0' && s->p[i] <= '9')
			;
	if (i < s->len && s->p[i] == 'Z') {
		i++;
	} else if (i + 6 <= s->len && (s->p[i] == '+' || s->p[i] == '-') && s->p[i + 3] == ':' &&
		   digits(s->p + i + 1, 2, &off_h) && digits(s->p + i + 4, 2, &off_m)) {
		sign = s->p[i] == '+' ? 1 : -1;
		i += 6;
	} else {
		return false;
	}
	if (i >= s->len || s->p[i] != ' ' || tm.tm_mon < 1 || tm.tm_mon > 12 || !tm.tm_mday)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon--;
	*out = (int64_t)timegm(&tm) - sign * (off_h * 3600 + off_m * 60);
	s->p += i + 1;
	s->len -= i + 1;
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

	if (s->len < 16 || s->p[3] != ' ' || s->p[6] != ' ' || s->p[15] != ' ')
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
	s->len -= 16;
	return true;
}

bool maillog_take_time(struct span *s, struct maillog_clock *c, int64_t *out)
{
	return time_rfc3339(s, out) || time_traditional(s, c, out);
}
