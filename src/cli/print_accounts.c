// SPDX-License-Identifier: GPL-2.0-or-later
/* The accounts that came through the redirect, as stats on NEW shows them. */
#include <inttypes.h>
#include <string.h>

#include "lib/format.h"
#include "cli/print_accounts.h"

static void print_services(struct printer *p, uint32_t services)
{
	unsigned int i, shown = 0;
	char text[96] = "";
	size_t used = 0;

	print_array_begin(p, "services");
	for (i = 0; i < MAIL_SERVICES; i++) {
		if (!(services & 1U << i))
			continue;
		print_str(p, NULL, PRINT_ARRAY_MEMBER, mail_service_name(i));
		used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%s",
					 shown++ ? "," : "", mail_service_name(i));
	}
	print_array_end(p);
	print_text(p, "  %-17s", text);
}

static void print_addresses(struct printer *p, const struct account *acc,
			    const struct name_cache *names)
{
	char addr[ADDRESS_STRLEN];
	const char *name;
	unsigned int i;
	bool known;

	print_array_begin(p, "addresses");
	print_text(p, "    from ");
	for (i = 0; i < acc->naddrs; i++) {
		address_str(&acc->addrs[i], addr);
		print_str(p, NULL, PRINT_ARRAY_MEMBER, addr);
		name = names ? names_get(names, &acc->addrs[i], &known) : NULL;
		print_text(p, "%s%s", i ? ", " : "", addr);
		if (name)
			print_text(p, " (%s)", name);
	}
	print_array_end(p);
	print_text(p, "%s\n", acc->naddrs ? "" : "an address not logged");
}

static void print_account(struct printer *p, const struct account *acc, int64_t now,
			  const struct name_cache *names)
{
	int64_t ago = now > acc->last_seen ? now - acc->last_seen : 0;

	print_object_begin(p, NULL);
	print_str(p, "account", "%-34s", acc->name);
	print_u64(p, "count", " %6" PRIu64, acc->count);
	print_style(p, ago < 3600 ? STYLE_WARN : STYLE_NONE);
	print_ago(p, "last_seen_seconds", "  %-10s", ago);
	print_style(p, STYLE_NONE);
	print_services(p, acc->services);
	if (acc->program[0])
		print_str(p, "program", " %s", acc->program);
	else
		print_null(p, "program", " -");
	print_text(p, "\n");
	print_addresses(p, acc, names);
	print_object_end(p);
}

static const char *source_words(const struct account_read *r, char *buf, size_t len)
{
	if (r->source == SOURCE_FILE)
		snprintf(buf, len, "%s", r->path);
	else if (r->path[0])
		snprintf(buf, len, "the journal in %s", r->path);
	else
		snprintf(buf, len, "the journal");
	return buf;
}

/* Why this run read its source from the window's start, forgetting what was known. */
static void print_started_over(struct printer *p, const struct account_read *r)
{
	if (r->started_over == STARTED_NO) {
		print_null(p, "started_over", NULL);
		return;
	}
	print_str(p, "started_over", NULL, r->started_over == STARTED_DAMAGED ? "damaged" :
		  "other source");
	print_text(p, r->started_over == STARTED_DAMAGED ?
		   "; the accounts file was damaged: read afresh from the window's start" :
		   "; another log than last time: read afresh from the window's start");
}

/* What this run read, and what it could not. */
static void print_read(struct printer *p, const struct accounts *a, const struct account_read *r)
{
	char where[PATH_MAX + 32];

	print_object_begin(p, "accounts_log");
	print_str(p, "source", NULL, r->source == SOURCE_FILE ? "file" : "journal");
	if (r->path[0])
		print_str(p, "path", NULL, r->path);
	else
		print_null(p, "path", NULL);
	print_text(p, "  read from %s: ", source_words(r, where, sizeof(where)));
	print_u64(p, "lines", "%" PRIu64 " new lines of the mail servers", r->lines);
	print_u64(p, "logins", ", %" PRIu64 " logins through the redirect", r->logins);
	if (r->source == SOURCE_FILE) {
		print_u64(p, "bytes", NULL, r->bytes);
		print_bool(p, "rotated", NULL, r->rotated);
	}
	print_u64(p, "skipped", NULL, r->unreadable);
	print_u64(p, "skipped_total", NULL, a->skipped);
	print_started_over(p, r);
	if (r->unreadable)
		print_text(p, "; %" PRIu64 " could not be read and were skipped", r->unreadable);
	if (r->source == SOURCE_JOURNAL)
		print_u64(p, "untrusted", NULL, r->untrusted);
	if (r->untrusted)
		print_text(p, "; %" PRIu64 " not sent by the mail servers (their user and unit, "
			   "as the journal records them) were left out", r->untrusted);
	print_text(p, "%s\n", r->rotated ? (r->old_finished ? " (rotated: the old file finished)" :
			      " (rotated: the old file's rest not found)") :
		   r->truncated ? " (truncated: read again from its start)" :
		   r->cursor_lost ? " (the journal lost the last entry read: read on from the "
				    "nearest)" : "");
	if (r->problem[0]) {
		print_str(p, "problem", NULL, r->problem);
		print_style(p, STYLE_WARN);
		print_text(p, "  Warning: %s; the accounts above are those known before.\n",
			   r->problem);
		print_style(p, STYLE_NONE);
	} else {
		print_null(p, "problem", NULL);
	}
	print_object_end(p);
}

void print_accounts(struct printer *p, const struct accounts_look *look, int64_t now,
		    uint64_t window, uint64_t limit, const struct name_cache *names)
{
	const struct accounts *a = look->accounts;
	const struct account_read *r = look->read;
	char remember[FORMAT_BUF];
	unsigned int i, shown = a->n < limit ? a->n : (unsigned int)limit;

	print_style(p, STYLE_BOLD);
	print_text(p, "\nACCOUNTS logged in through the redirect (in the last %s, most recent "
		      "first)\n", format_duration_exact(window, remember, sizeof(remember)));
	print_style(p, STYLE_NONE);
	if (!a->n)
		print_text(p, "none\n");
	else
		print_text(p, "%-34s  COUNT  LAST SEEN   SERVICES          PROGRAM\n", "ACCOUNT");
	print_array_begin(p, "accounts");
	for (i = 0; i < shown; i++)
		print_account(p, &a->a[i], now, names);
	print_array_end(p);
	if (shown < a->n)
		print_text(p, "... and %u more (--json lists them all)\n", a->n - shown);
	print_read(p, a, r);
}

void prom_accounts(FILE *f, const struct accounts *a)
{
	fprintf(f, "# HELP redirect_accounts Accounts that logged in through the redirect within "
		   "the remember window.\n# TYPE redirect_accounts gauge\nredirect_accounts %u\n",
		a->n);
	fprintf(f, "# HELP redirect_mail_log_skipped_lines_total Lines of the mail servers' log "
		   "that could not be read.\n# TYPE redirect_mail_log_skipped_lines_total counter\n"
		   "redirect_mail_log_skipped_lines_total %" PRIu64 "\n", a->skipped);
}
