// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The mail log as anyone may write it (a user name, an IMAP ID, a line of
 * any length): the first byte picks what reads the rest, a log line, a
 * journal entry (identifier, NUL, message) or the accounts file; and each
 * event found goes through the accounts feed, as stats takes it.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/owned.h"
#include "core/account_feed.h"
#include "core/accounts.h"
#include "maillog/logline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void journal_entry(const char *text, size_t len)
{
	const char *nul = memchr(text, '\0', len);
	struct mail_event ev;

	if (nul)
		maillog_parse_message(text, (size_t)(nul - text), nul + 1,
				      len - (size_t)(nul - text) - 1, &ev);
}

static void accounts_file(const char *text, size_t len)
{
	struct accounts a;
	struct errmsg e;
	char *out = NULL;
	size_t n;

	accounts_init(&a);
	if (!accounts_parse(text, len, &a, &e) && !accounts_format(&a, &out, &n)) {
		struct accounts back;

		accounts_init(&back);
		if (accounts_parse(out, n, &back, &e))
			abort();	/* what we write we must read */
		accounts_free(&back);
	}
	free(out);
	accounts_free(&a);
}

static void log_lines(const char *text, size_t len)
{
	struct account_read r = { 0 };
	struct accounts a;
	struct account_feed *f;
	const char *p = text, *nl;

	accounts_init(&a);
	f = account_feed_new(&a, NULL, 0, TUNNEL_ID_DEFAULT, 1796300089, 7 * 86400, &r);
	while (f && p < text + len) {
		nl = memchr(p, '\n', (size_t)(text + len - p));
		account_feed_line(p, nl ? (size_t)(nl - p) : (size_t)(text + len - p), f);
		p = nl ? nl + 1 : text + len;
	}
	account_feed_free(f);
	accounts_prune(&a, 1796300089, 7 * 86400);
	accounts_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1;

	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0: log_lines(text, size - 1); break;
	case 1: journal_entry(text, size - 1); break;
	case 2: accounts_file(text, size - 1); break;
	}
	return 0;
}
