// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a policy host and the DNS send for MTA-STS: the input is read as an
 * HTTP response (whole or not, at its end or not), as a policy body, and,
 * split at each newline, as the TXT records of _mta-sts. Oracles: what is
 * kept fits its bounds; a parsed policy is one RFC 8461 allows and each of
 * its mx patterns matches a name of its own shape; a TXT id is 1 to 32
 * letters and digits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/http.h"
#include "tls/mta_sts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RECORDS 8

static void check_http(const char *text, size_t size)
{
	static char body[MTA_STS_BODY_MAX];
	struct http_response h;
	int eof, err;

	for (eof = 0; eof < 2; eof++) {
		err = http_response_parse(text, size, eof, body, sizeof(body), &h);
		if (err)
			continue;
		if (h.status < 100 || h.status > 599 || h.body_len > sizeof(body) ||
		    h.body_len > size || strlen(h.content_type) >= sizeof(h.content_type) ||
		    strlen(h.location) >= sizeof(h.location))
			abort();
	}
}

/* Each pattern matches a name of its shape: itself, or one label before its rest. */
static void check_patterns(const struct mta_sts_policy *p)
{
	char name[MTA_STS_NAME_BUF + 2];
	unsigned int i;

	for (i = 0; i < p->nmx; i++) {
		const char *mx = p->mx[i];

		if (mx[0] == '*')
			snprintf(name, sizeof(name), "a%s", mx + 1);
		else
			snprintf(name, sizeof(name), "%s", mx);
		if (!mta_sts_mx_match(p, name))
			abort();
		if (mx[0] == '*' && mta_sts_pattern_match(mx, mx + 2))
			abort();	/* the wildcard stands for one label, not none */
	}
}

static void check_policy(const char *text, size_t size)
{
	static struct mta_sts_policy p;
	struct errmsg e;

	if (mta_sts_policy_parse(text, size, &p, &e)) {
		if (!e.text[0])
			abort();	/* an invalid policy says why */
		return;
	}
	if (p.mode > MTA_STS_MODE_ENFORCE || p.max_age > MTA_STS_MAX_AGE_MAX ||
	    p.nmx > MTA_STS_MX_MAX || (p.mode != MTA_STS_MODE_NONE && !p.nmx && !p.mx_skipped))
		abort();
	check_patterns(&p);
}

static void check_txt(const char *text, size_t size)
{
	const char *texts[RECORDS];
	size_t lens[RECORDS], i, n = 0, start = 0;
	char id[MTA_STS_ID_MAX + 1];

	for (i = 0; i <= size && n < RECORDS; i++)
		if (i == size || text[i] == '\n') {
			texts[n] = text + start;
			lens[n++] = i - start;
			start = i + 1;
		}
	if (mta_sts_txt_read(texts, lens, (unsigned int)n, id) != MTA_STS_TXT_OK)
		return;
	if (!id[0] || strlen(id) > MTA_STS_ID_MAX || strspn(id, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != strlen(id))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;

	check_http(text, size);
	check_policy(text, size);
	check_txt(text, size);
	return 0;
}
