// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * maillog-read STATEDIR FILE: what `redirect stats --mail-log FILE` does on
 * NEW to read the mail log, alone: accounts_update() with STATEDIR as the
 * state directory (its accounts file read, the new lines of FILE parsed and
 * judged, the accounts pruned and written back), without the netlink look
 * around it. The stale sources are 203.0.113.1-254, as bench/maillog-gen.py
 * writes them, so Postfix's lines are matched too. Prints "bytes lines
 * logins accounts skipped".
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "core/account_feed.h"

int main(int argc, char **argv)
{
	const struct account_source src = { argc > 2 ? argv[2] : NULL, NULL };
	struct address stale[254];
	struct account_read r;
	struct accounts a;
	struct state_dir d;
	struct errmsg e = { "" };
	char text[32];
	unsigned int i;

	if (argc != 3) {
		fprintf(stderr, "usage: maillog-read STATEDIR FILE\n");
		return 2;
	}
	for (i = 0; i < 254; i++) {
		snprintf(text, sizeof(text), "203.0.113.%u", i + 1);
		parse_address(text, &stale[i], &e);
	}
	accounts_init(&a);
	if (state_dir_open(&d, argv[1], true, &e) ||
	    accounts_update(&d, &a, &src, stale, 254, (int64_t)time(NULL), 366 * 86400, &r, &e)) {
		fprintf(stderr, "maillog-read: %s\n", e.text);
		return 1;
	}
	printf("%" PRIu64 " %" PRIu64 " %" PRIu64 " %u %" PRIu64 "%s%s\n", r.bytes, r.lines,
	       r.logins, a.n, r.unreadable, r.problem[0] ? " " : "", r.problem);
	accounts_free(&a);
	state_dir_close(&d);
	return r.problem[0] ? 1 : 0;
}
