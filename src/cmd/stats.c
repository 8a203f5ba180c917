// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * redirect stats: who still uses the old address, for which service, and
 * when the last one came. Counters give totals, the stale-source sets give
 * who and when, conntrack (filtered by our mark in the kernel) gives what
 * is open now; the state file keeps last-seen times the kernel forgot.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/atomic_file.h"
#include "cli/cli.h"
#include "lib/format.h"
#include "kernel/host.h"
#include "dns/ptr_cache.h"
#include "core/observe.h"
#include "cli/print.h"
#include "cli/print_accounts.h"
#include "core/session.h"
#include "core/state.h"
#include "kernel/sysctl.h"
#include "core/tunnel.h"
#include "core/verdict.h"

#define SOURCES_TEXT_DEFAULT 10
#define ACCOUNTS_TEXT_DEFAULT 20
#define SPARK_LEN 24

enum { OPT_JSON, OPT_PROMETHEUS, OPT_WATCH, OPT_SOURCES, OPT_NUMERIC, OPT_OUTPUT, OPT_QUIET_FOR,
       OPT_MAIL_LOG, OPT_JOURNAL_DIR };

static const struct option_def stats_options[] = {
	[OPT_JSON] = { "json", NULL,
		"print one JSON object (see redirect(8) for the keys)", false },
	[OPT_PROMETHEUS] = { "prometheus", NULL,
		"print Prometheus text exposition (for node_exporter's textfile collector)",
		false },
	[OPT_WATCH] = { "watch", "SECONDS",
		"refresh every SECONDS (in place on a terminal, a line each time otherwise)",
		false },
	[OPT_SOURCES] = { "sources", "N",
		"list at most N stale sources (text default 10, JSON default all)", false },
	[OPT_NUMERIC] = { "numeric", NULL,
		"show the stale sources' addresses only, without their PTR names", false },
	[OPT_OUTPUT] = { "output", "FILE",
		"write to FILE through a temporary file and a rename, so readers never see half",
		false },
	[OPT_QUIET_FOR] = { "quiet-for", "DURATION",
		"with --prometheus: the quiet time check requires, written as "
		"redirect_required_quiet_seconds for alert rules", false },
	[OPT_MAIL_LOG] = { "mail-log", "FILE",
		"on NEW: read the logins from this log file (e.g. /var/log/mail.log) instead of "
		"the systemd journal; remembered for the next runs", false },
	[OPT_JOURNAL_DIR] = { "journal-dir", "DIR",
		"on NEW: read the logins from the journal files in DIR instead of the system's",
		false },
	{ NULL, NULL, NULL, false },
};

static int cmd_stats(int argc, char **argv);

const struct command command_stats = {
	.name = "stats",
	.run = cmd_stats,
	.synopsis = "[--json | --prometheus [--quiet-for DURATION]] [--watch SECONDS] [--sources N]\n"
		    "                       [--numeric] [--output FILE] [--mail-log FILE | --journal-dir DIR]",
	.summary = "show who still uses the old address, for what, and when last",
	.description =
		"Shows, per service, the connections redirected since enable, those open now,\n"
		"the bytes carried and when the last one came; then every client address seen\n"
		"within the --remember window, most recent first, with its services. On NEW\n"
		"(after accept), also the accounts that logged in through the redirect, from\n"
		"the mail servers' log (the systemd journal, or --mail-log).\n"
		"Exit status 1 when the state says enabled but the kernel has lost the table\n"
		"(run `redirect restore`).",
	.options = stats_options,
};

struct stats_args {
	bool json, prometheus;
	uint64_t watch;
	uint64_t sources;
	bool sources_given;
	const char *output;
	uint64_t quiet_for;
	bool numeric;
	const struct name_cache *names;	/* the sources' PTR names, unless --numeric */
	struct account_source mail;	/* --mail-log, --journal-dir */
	const struct accounts *accounts;	/* on NEW: who came through, or NULL */
	const struct account_read *accounts_read;	/* ... and what this look read */
};

/* A path kept in the accounts file, one line: absolute, no newline. */
static int mail_source_option(const char **out, const char *value, struct errmsg *e)
{
	char q[QUOTE_BUF];

	if (value[0] != '/' || strchr(value, '\n') || strlen(value) >= PATH_MAX - 8)
		return errmsg_set(e, -EINVAL, "%s is not an absolute path",
				  quote(value, q, sizeof(q)));
	*out = value;
	return 0;
}

static int on_option(int index, const char *value, void *data, struct errmsg *e)
{
	struct stats_args *a = data;
	char q[QUOTE_BUF];
	int err = 0;

	switch (index) {
	case OPT_JSON: a->json = true; break;
	case OPT_PROMETHEUS: a->prometheus = true; break;
	case OPT_WATCH:
		err = parse_duration(value, &a->watch, e);
		break;
	case OPT_NUMERIC: a->numeric = true; break;
	case OPT_SOURCES:
		if (parse_u64(value, 1000000, &a->sources))
			err = errmsg_set(e, -EINVAL, "%s is not a number from 0 to 1000000",
					 quote(value, q, sizeof(q)));
		a->sources_given = true;
		break;
	case OPT_QUIET_FOR:
		err = parse_duration(value, &a->quiet_for, e);
		break;
	case OPT_OUTPUT:
		if (!*value || strlen(value) >= 4000)
			err = errmsg_set(e, -EINVAL, "%s is not a usable file name",
					 quote(value, q, sizeof(q)));
		a->output = value;
		break;
	case OPT_MAIL_LOG:
	case OPT_JOURNAL_DIR:
		err = mail_source_option(index == OPT_MAIL_LOG ? &a->mail.mail_log :
					 &a->mail.journal_dir, value, e);
		break;
	}
	if (err)
		errmsg_prefix(e, "--%s", stats_options[index].name);
	return err;
}

/* ---- text and JSON ---- */

static unsigned int name_width(const struct stats *st)
{
	unsigned int i, w = 7;

	for (i = 0; i < st->nservices; i++)
		if (strlen(st->services[i].svc.name) > w)
			w = (unsigned int)strlen(st->services[i].svc.name);
	return w;
}

static void print_since(struct printer *p, const struct snapshot *s)
{
	char when[64], ago[FORMAT_BUF];
	time_t t = (time_t)s->state.since;
	struct tm tm;

	print_u64(p, "since", NULL, (uint64_t)s->state.since);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime_r(&t, &tm));
	if (s->now < s->state.since)	/* a clock that jumped back, not a huge age */
		print_text(p, "since %s (%s from now: the clock jumped back?)", when,
			   format_duration((uint64_t)(s->state.since - s->now), ago, sizeof(ago)));
	else
		print_text(p, "since %s (%s ago)", when,
			   format_duration((uint64_t)(s->now - s->state.since), ago, sizeof(ago)));
}

/* "KEY": [A4, A6], and in text "A4 and A6". */
static void print_pair(struct printer *p, const char *key, bool has4, const struct address *a4,
		       bool has6, const struct address *a6)
{
	char a[ADDRESS_STRLEN];

	print_array_begin(p, key);
	if (has4) {
		address_str(a4, a);
		print_str(p, NULL, PRINT_ARRAY_MEMBER, a);
		print_text(p, "%s", a);
	}
	if (has6) {
		address_str(a6, a);
		print_str(p, NULL, PRINT_ARRAY_MEMBER, a);
		print_text(p, "%s%s", has4 ? " and " : "", a);
	}
	print_array_end(p);
}

static void print_targets(struct printer *p, const struct spec *spec)
{
	print_text(p, "  to ");
	print_pair(p, "to", spec->has_to4, &spec->to4, spec->has_to6, &spec->to6);
	print_bool(p, "masquerade", NULL, spec->masquerade);
	print_bool(p, "keep_client_address", NULL, spec->keep_client_address);
	if (spec->keep_client_address)
		print_text(p, ", through the tunnel %s (the clients' addresses kept)",
			   TUNNEL_IFNAME);
	else
		print_text(p, ", masquerade %s", spec->masquerade ? "on" : "off");
	print_u64(p, "remember_seconds", NULL, spec->remember);
	print_text(p, "\n");
}

/* NEW: where the connections come from. */
static void print_sender(struct printer *p, const struct spec *spec)
{
	print_text(p, "  from the old server ");
	print_pair(p, "from", spec->has_from4, &spec->from4, spec->has_from6, &spec->from6);
	print_text(p, ", through the tunnel %s\n", TUNNEL_IFNAME);
	print_u64(p, "remember_seconds", NULL, spec->remember);
}

/* The addresses of this host the redirect catches connections to. */
static void print_matched(struct printer *p, const struct spec *spec)
{
	struct address addrs[16];
	char a[ADDRESS_STRLEN];
	unsigned int i, n = host_addresses(spec->has_to4, spec->has_to6, addrs, 16);

	print_array_begin(p, "addresses");
	print_text(p, "  for connections to this host's");
	for (i = 0; i < n; i++) {
		address_str(&addrs[i], a);
		print_str(p, NULL, PRINT_ARRAY_MEMBER, a);
		print_text(p, "%s %s", i ? "," : "", a);
	}
	print_array_end(p);
	print_text(p, "%s\n", n ? "" : " addresses");
}

static void print_header(struct printer *p, const struct snapshot *s)
{
	bool accepting = s->state.spec.role == ROLE_NEW;

	print_style(p, STYLE_BOLD);
	print_text(p, accepting ? "redirect: accepting " : "redirect: enabled ");
	print_style(p, STYLE_NONE);
	print_str(p, "role", NULL, accepting ? "new" : "old");
	print_since(p, s);
	print_text(p, "\n");
	if (accepting) {
		print_sender(p, &s->state.spec);
		return;
	}
	print_matched(p, &s->state.spec);
	print_targets(p, &s->state.spec);
}

static void print_last_seen(struct printer *p, const char *key, int64_t ago)
{
	print_style(p, ago < 0 ? STYLE_DIM : ago < 3600 ? STYLE_WARN : STYLE_NONE);
	print_ago(p, key, "  %-10s", ago);
	print_style(p, STYLE_NONE);
}

struct rates {			/* watch mode on a terminal */
	bool show;
	double per_minute[SPEC_MAX_SERVICES];
	const char *spark[SPEC_MAX_SERVICES];
	unsigned int spark_glyphs;	/* UTF-8: glyphs, not bytes, for padding */
};

static void print_service(struct printer *p, const struct service_stats *s, unsigned int w,
			  const struct rates *r, unsigned int i)
{
	char bytes[FORMAT_BUF];

	print_object_begin(p, NULL);
	print_text(p, "%-*s", (int)w, s->svc.name);
	print_str(p, "name", NULL, s->svc.name);
	print_u64(p, "port", " %5" PRIu64, s->svc.port);
	print_u64(p, "attempts", " %8" PRIu64, s->attempts);
	print_u64(p, "answered", " %8" PRIu64, s->answered);
	print_u64(p, "connections", " %11" PRIu64, s->connections);
	print_u64(p, "active", " %6" PRIu64, s->active);
	print_u64(p, "bytes", NULL, s->bytes);
	print_text(p, " %10s", format_bytes(s->bytes, bytes, sizeof(bytes)));
	if (r && r->show)
		print_text(p, " %7.1f  %s%*s", r->per_minute[i], r->spark[i],
			   (int)(SPARK_LEN - r->spark_glyphs), "");
	print_last_seen(p, "last_seen_seconds", s->last_seen);
	print_text(p, "\n");
	print_object_end(p);
}

static void print_services(struct printer *p, const struct stats *st, const struct rates *r)
{
	unsigned int i, w = name_width(st);
	char bytes[FORMAT_BUF];

	print_style(p, STYLE_BOLD);
	print_text(p, "\n%-*s  PORT ATTEMPTS ANSWERED CONNECTIONS ACTIVE      BYTES%s  LAST SEEN\n",
		   (int)w, "SERVICE",
		   r && r->show ? "  PER MIN  HISTORY                 " : "");
	print_style(p, STYLE_NONE);
	print_array_begin(p, "services");
	for (i = 0; i < st->nservices; i++)
		print_service(p, &st->services[i], w, r, i);
	print_array_end(p);
	print_text(p, "%-*s       %8" PRIu64 " %8" PRIu64 " %11" PRIu64 " %6" PRIu64 " %10s%s",
		   (int)w, "total", st->attempts, st->answered, st->connections, st->active,
		   format_bytes(st->bytes, bytes, sizeof(bytes)),
		   r && r->show ? "                                   " : "");
	print_last_seen(p, NULL, st->last_seen);
	print_text(p, "\n");
	print_u64(p, "attempts", NULL, st->attempts);
	print_u64(p, "answered", NULL, st->answered);
	print_u64(p, "connections", NULL, st->connections);
	print_u64(p, "active", NULL, st->active);
	print_u64(p, "bytes", NULL, st->bytes);
	print_ago(p, "last_seen_seconds", NULL, st->last_seen);
}

static void print_source_services(struct printer *p, const struct stats *st,
				  const struct source_stats *src)
{
	unsigned int i;
	bool first = true;

	print_array_begin(p, "services");
	print_text(p, "  ");
	for (i = 0; i < st->nservices; i++) {
		if (!(src->services & 1U << i))
			continue;
		print_str(p, NULL, PRINT_ARRAY_MEMBER, st->services[i].svc.name);
		print_text(p, "%s%s", first ? "" : ", ", st->services[i].svc.name);
		first = false;
	}
	print_array_end(p);
}

static void dns_words(const struct dns_clock *c, int64_t now, char *buf, size_t len)
{
	char left[FORMAT_BUF];
	int64_t at = dns_clock_ready_at(c);

	if (!c->checked_at)
		snprintf(buf, len, "not checked yet (`redirect check` checks it)");
	else if (!strcmp(c->status, "old"))
		snprintf(buf, len, "still names this host: %s", c->summary);
	else if (!strcmp(c->status, "unknown"))
		snprintf(buf, len, "could not be checked: %s", c->summary);
	else if (at > now)
		snprintf(buf, len, "clean; resolvers may keep an old answer for another %s",
			 format_duration((uint64_t)(at - now), left, sizeof(left)));
	else
		snprintf(buf, len, "clean");
}

/* What the last check --domain (or enable --domain's first) found: no query here. */
static void print_dns(struct printer *p, const struct snapshot *s)
{
	const struct dns_clock *c = &s->state.dns;
	char words[DNS_SUMMARY_MAX + 80], ago[FORMAT_BUF];
	unsigned int i;

	if (!c->ndomains)
		return;
	print_object_begin(p, "dns");
	print_array_begin(p, "domains");
	print_text(p, "\nDNS (");
	for (i = 0; i < c->ndomains; i++) {
		print_str(p, NULL, PRINT_ARRAY_MEMBER, c->domains[i]);
		print_text(p, i ? " %s" : "%s", c->domains[i]);
	}
	print_array_end(p);
	if (c->checked_at) {
		print_str(p, "status", NULL, c->status);
		print_u64(p, "checked_seconds_ago", NULL, (uint64_t)(s->now > c->checked_at ?
							     s->now - c->checked_at : 0));
	} else {
		print_null(p, "status", NULL);
	}
	if (c->clean_since)
		print_u64(p, "clean_since", NULL, (uint64_t)c->clean_since);
	dns_words(c, s->now, words, sizeof(words));
	if (c->checked_at)
		print_text(p, ", checked %s ago", format_duration((uint64_t)(s->now > c->checked_at ?
				   s->now - c->checked_at : 0), ago, sizeof(ago)));
	print_text(p, "): %s\n", words);
	print_object_end(p);
}

/* "name": its PTR name, or null; in text after the services, when it has one. */
static void print_source_name(struct printer *p, const struct name_cache *names,
			      const struct address *a)
{
	const char *name;
	bool known;

	if (!names)
		return;		/* --numeric */
	name = names_get(names, a, &known);
	if (name) {
		print_str(p, "name", NULL, name);
		print_text(p, "  %s", name);
	} else {
		print_null(p, "name", NULL);
	}
}

static void print_sources(struct printer *p, const struct stats *st, uint64_t limit,
			  const struct name_cache *names)
{
	char addr[ADDRESS_STRLEN], remember[FORMAT_BUF];
	unsigned int i, shown = st->nsources < limit ? st->nsources : (unsigned int)limit;

	print_u64(p, "stale_sources", NULL, st->nsources);
	print_style(p, STYLE_BOLD);
	print_text(p, "\nSTALE SOURCES (seen in the last %s, most recent first)\n",
		   format_duration_exact(st->spec.remember, remember, sizeof(remember)));
	print_style(p, STYLE_NONE);
	if (!st->nsources)
		print_text(p, "none\n");
	else
		print_text(p, "%-39s CONNECTIONS  LAST SEEN   SERVICES\n", "ADDRESS");
	print_array_begin(p, "sources");
	for (i = 0; i < shown; i++) {
		const struct source_stats *src = &st->sources[i];

		print_object_begin(p, NULL);
		print_str(p, "address", "%-39s", address_str(&src->addr, addr));
		print_u64(p, "connections", " %11" PRIu64, src->connections);
		print_last_seen(p, "last_seen_seconds", src->last_seen);
		print_source_services(p, st, src);
		print_source_name(p, names, &src->addr);
		print_text(p, "\n");
		print_object_end(p);
	}
	print_array_end(p);
	if (shown < st->nsources)
		print_text(p, "... and %u more (--sources N lists more)\n", st->nsources - shown);
}

/* What a text reader must know when things are not as they should be. */
static int print_abnormal(struct printer *p, const struct snapshot *s)
{
	if (!s->state.enabled && s->installed && !s->state.draining) {
		print_bool(p, "installed", NULL, true);
		print_text(p, "redirect: the kernel has table inet mail_redirect, but the state "
			      "directory\n"
			   "  says nothing is enabled (%s). `redirect disable` removes it.\n",
			   s->state.pending ? "a disable was interrupted" : "another --state-dir?");
		return EXIT_FAILED;
	}
	if (!s->state.enabled) {
		if (s->state.draining) {
			print_bool(p, "draining", NULL, true);
			print_u64(p, "active", NULL, s->draining);
			print_text(p, "redirect: disabled; %u redirected session%s still open "
				      "keep%s their NAT.\n"
				   "  `redirect disable` finishes once they have closed.\n",
				   s->draining,
				   s->draining == 1 ? "" : "s", s->draining == 1 ? "s" : "");
		} else {
			print_text(p, s->state.pending ?
				   "redirect: not enabled; a disable was interrupted, `redirect "
				   "disable`\n"
				   "  finishes it.\n" :
				   "redirect: not enabled.\n");
		}
		return EXIT_DONE;
	}
	return -1;
}

/* @text folded at spaces to 76 columns, each line after the first indented. */
static void print_folded(struct printer *p, const char *text)
{
	const int room = 76;

	while ((int)strlen(text) > room) {
		int cut = room;

		while (cut > 0 && text[cut] != ' ')
			cut--;
		if (!cut)
			break;
		print_text(p, "%.*s\n  ", cut, text);
		text += cut + 1;
	}
	print_text(p, "%s\n", text);
}

static void print_fill(struct printer *p, const struct stats *st)
{
	static const char *const keys[] = { "ipv4", "ipv6" };
	unsigned int i;

	print_object_begin(p, "stale_source_sets");
	for (i = 0; i < 2; i++) {
		if (!st->set_size[i])
			continue;
		print_object_begin(p, keys[i]);
		print_u64(p, "entries", NULL, st->set_elements[i]);
		print_u64(p, "size", NULL, st->set_size[i]);
		print_object_end(p);
	}
	print_object_end(p);
}

/* What is wrong with the redirect, in words; EXIT_FAILED when it does not work. */
static int print_health(struct printer *p, const struct snapshot *s)
{
	char words[1024];
	struct health h;

	verdict_health(s, &h);
	print_bool(p, "broken", NULL, health_broken(&h));
	print_bool(p, "drift", NULL, h.drift);
	if (s->state.spec.role == ROLE_OLD) {
		print_object_begin(p, "forwarding");
		if (s->state.spec.has_to4)
			print_bool(p, "ipv4", NULL, !(h.forwarding_off & 1));
		if (s->state.spec.has_to6)
			print_bool(p, "ipv6", NULL, !(h.forwarding_off & 2));
		print_object_end(p);
	}
	print_fill(p, &s->st);
	health_words(&h, s, words, sizeof(words));
	if (!words[0])
		return 0;
	print_style(p, health_broken(&h) ? STYLE_BAD : STYLE_WARN);
	print_text(p, "\n%s ", health_broken(&h) ? "BROKEN:" : "Warning:");
	print_folded(p, words);
	print_style(p, STYLE_NONE);
	return health_broken(&h) ? EXIT_FAILED : 0;
}

static int render(struct printer *p, const struct snapshot *s, const struct stats_args *a,
		  const struct rates *r)
{
	int rc;

	print_object_begin(p, NULL);
	print_bool(p, "enabled", NULL, s->state.enabled);
	rc = print_abnormal(p, s);
	if (rc >= 0) {
		print_object_end(p);
		return rc;
	}
	print_bool(p, "installed", NULL, s->installed);
	print_header(p, s);
	if (!s->installed) {
		print_style(p, STYLE_BAD);
		print_text(p, "\nThe redirect's table is gone from the kernel: a ruleset flush "
			      "(nftables.service\n"
			   "reload) or a reboot removed it. `redirect restore` puts it back.\n");
		print_style(p, STYLE_NONE);
		print_ago(p, "last_seen_seconds", NULL, s->st.last_seen);
		print_object_end(p);
		return EXIT_FAILED;
	}
	if (spec_tunnel(&s->state.spec))
		print_bool(p, "tunnel", NULL, !s->tunnel_gone);
	if (s->tunnel_gone) {
		print_style(p, STYLE_BAD);
		print_text(p, "\nThe tunnel %s is gone or changed (a reboot, or someone removed it):\n"
			   "the redirected connections go nowhere. `redirect restore` brings it back.\n",
			   TUNNEL_IFNAME);
		print_style(p, STYLE_NONE);
	}
	rc = print_health(p, s);
	print_dns(p, s);
	print_services(p, &s->st, r);
	print_sources(p, &s->st, a->sources_given ? a->sources :
		      p->json ? UINT64_MAX : SOURCES_TEXT_DEFAULT, a->names);
	if (a->accounts)
		print_accounts(p, a->accounts, a->accounts_read, s->now, s->state.spec.remember,
			       p->json ? UINT64_MAX : ACCOUNTS_TEXT_DEFAULT, a->names);
	print_object_end(p);
	return s->tunnel_gone || rc ? EXIT_FAILED : EXIT_DONE;
}

/* ---- Prometheus ---- */

static void prom_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One metric per service, labelled service and port. */
struct prom_metric {
	const char *name, *type, *help;
	size_t offset;		/* of its uint64_t in struct service_stats */
};

static const struct prom_metric service_metrics[] = {
	{ "redirect_attempts_total", "counter",
	  "Connection attempts (SYNs) redirected since enable (or the last restore).",
	  offsetof(struct service_stats, attempts) },
	{ "redirect_answered_total", "counter",
	  "Attempts the new server answered with a SYN-ACK.",
	  offsetof(struct service_stats, answered) },
	{ "redirect_connections_total", "counter",
	  "Redirected connections whose handshake with the new server completed.",
	  offsetof(struct service_stats, connections) },
	{ "redirect_active_connections", "gauge", "Redirected connections established now.",
	  offsetof(struct service_stats, active) },
	{ "redirect_bytes_total", "counter",
	  "Bytes carried by redirected connections, both directions.",
	  offsetof(struct service_stats, bytes) },
};

static void prom_services(FILE *f, const struct stats *st)
{
	unsigned int m, i;

	for (m = 0; m < sizeof(service_metrics) / sizeof(service_metrics[0]); m++) {
		const struct prom_metric *pm = &service_metrics[m];

		prom_family(f, pm->name, pm->type, pm->help);
		for (i = 0; i < st->nservices; i++)
			fprintf(f, "%s{service=\"%s\",port=\"%u\"} %" PRIu64 "\n", pm->name,
				st->services[i].svc.name, st->services[i].svc.port,
				*(const uint64_t *)((const char *)&st->services[i] + pm->offset));
	}
	prom_family(f, "redirect_last_seen_seconds", "gauge",
		    "Seconds since the last redirected connection (absent: never).");
	for (i = 0; i < st->nservices; i++)
		if (st->services[i].last_seen >= 0)
			fprintf(f, "redirect_last_seen_seconds{service=\"%s\",port=\"%u\"} %" PRId64
				"\n", st->services[i].svc.name, st->services[i].svc.port,
				st->services[i].last_seen);
}

static void prom_gauge(FILE *f, const char *name, const char *help, int64_t value)
{
	prom_family(f, name, "gauge", help);
	fprintf(f, "%s %" PRId64 "\n", name, value);
}

/* A gauge per family, for the families @present. */
static void prom_per_family(FILE *f, const char *name, const char *help, const bool present[2],
			    const uint64_t value[2])
{
	static const char *const fam[] = { "ipv4", "ipv6" };
	unsigned int i;

	prom_family(f, name, "gauge", help);
	for (i = 0; i < 2; i++)
		if (present[i])
			fprintf(f, "%s{family=\"%s\"} %" PRIu64 "\n", name, fam[i], value[i]);
}

/* The health of a redirect in place: what the alert rules watch. */
static void prom_health(FILE *f, const struct snapshot *s, const struct health *h)
{
	const bool use[2] = { s->state.spec.has_to4, s->state.spec.has_to6 };
	const bool sets[2] = { s->st.set_size[0] != 0, s->st.set_size[1] != 0 };
	const uint64_t forwarding[2] = { !(h->forwarding_off & 1), !(h->forwarding_off & 2) };
	const uint64_t entries[2] = { s->st.set_elements[0], s->st.set_elements[1] };
	const uint64_t capacity[2] = { s->st.set_size[0], s->st.set_size[1] };

	prom_gauge(f, "redirect_broken", "Whether recent attempts go unanswered, forwarding is "
		   "off, or the table was edited (1), or the redirect works (0).",
		   health_broken(h));
	prom_gauge(f, "redirect_drift", "Whether the table differs from what redirect installed.",
		   h->drift);
	if (s->state.spec.role == ROLE_OLD)
		prom_per_family(f, "redirect_forwarding", "Whether this host forwards a family it "
				"redirects (1) or not (0).", use, forwarding);
	prom_per_family(f, "redirect_stale_source_entries",
			"Entries in a stale-source set, per family.", sets, entries);
	prom_per_family(f, "redirect_stale_source_capacity",
			"How many entries a stale-source set holds, per family.", sets, capacity);
}

static void prom_conntrack(FILE *f)
{
	int count, max;

	if (sysctl_read("net/netfilter/nf_conntrack_count", &count) == 0)
		prom_gauge(f, "redirect_conntrack_entries", "Entries in the conntrack table now.",
			   count);
	if (sysctl_read("net/netfilter/nf_conntrack_max", &max) == 0)
		prom_gauge(f, "redirect_conntrack_max", "How many entries the conntrack table holds.",
			   max);
}

static int render_prometheus(FILE *f, const struct snapshot *s, uint64_t quiet_for,
			     const struct accounts *accounts)
{
	bool gone = s->state.enabled && !s->installed;
	struct health h;

	prom_gauge(f, "redirect_enabled", "Whether a redirect is enabled (1) or not (0).",
		   s->state.enabled);
	prom_gauge(f, "redirect_installed", "Whether its nftables table is in the kernel.",
		   s->installed);
	if (!s->state.enabled)
		return s->installed && !s->state.draining ? EXIT_FAILED : EXIT_DONE;
	prom_gauge(f, "redirect_enabled_since_seconds",
		   "When the redirect was enabled, as a Unix time.", s->state.since);
	prom_gauge(f, "redirect_accepting",
		   "Whether this is the new server, taking the tunnel (redirect accept): 1, "
		   "or the old one: 0.", s->state.spec.role == ROLE_NEW);
	if (s->st.last_seen >= 0)
		prom_gauge(f, "redirect_quiet_seconds",
			   "Seconds since the last redirected connection of any service.",
			   s->st.last_seen);
	if (quiet_for)
		prom_gauge(f, "redirect_required_quiet_seconds",
			   "The quiet time required before the old host can go (--quiet-for).",
			   (int64_t)quiet_for);
	prom_conntrack(f);
	if (gone)
		return EXIT_FAILED;
	if (spec_tunnel(&s->state.spec))
		prom_gauge(f, "redirect_tunnel_up",
			   "Whether the tunnel of --keep-client-address or accept is in place.",
			   !s->tunnel_gone);
	verdict_health(s, &h);
	prom_health(f, s, &h);
	prom_services(f, &s->st);
	prom_gauge(f, "redirect_stale_sources",
		   "Distinct client addresses seen within the remember window.", s->st.nsources);
	if (accounts)
		prom_accounts(f, accounts);
	return s->tunnel_gone || health_broken(&h) ? EXIT_FAILED : EXIT_DONE;
}

/* ---- watch ---- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

struct watch {
	bool have_prev;
	uint64_t prev[SPEC_MAX_SERVICES];
	uint64_t history[SPEC_MAX_SERVICES][SPARK_LEN];
	unsigned int filled;
	char spark[SPEC_MAX_SERVICES][SPARK_LEN * 3 + 1];
	struct rates rates;
};

/* A sparkline of the last intervals' new connections, in eighths. */
static void sparkline(const uint64_t *values, unsigned int n, char *out)
{
	static const char *const bars[] = {
		" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█",
	};
	uint64_t max = 0;
	unsigned int i;

	out[0] = '\0';
	for (i = 0; i < n; i++)
		if (values[i] > max)
			max = values[i];
	for (i = 0; i < n; i++)
		strcat(out, bars[max ? (values[i] * 8 + max - 1) / max : 0]);
}

static void watch_update(struct watch *w, const struct stats *st, uint64_t interval)
{
	unsigned int i, n;

	if (w->filled < SPARK_LEN && w->have_prev)
		w->filled++;
	n = w->filled;
	for (i = 0; i < st->nservices; i++) {
		uint64_t now = st->services[i].connections;
		uint64_t delta = w->have_prev && now >= w->prev[i] ? now - w->prev[i] : 0;

		memmove(&w->history[i][0], &w->history[i][1], (SPARK_LEN - 1) * sizeof(uint64_t));
		w->history[i][SPARK_LEN - 1] = delta;
		w->rates.per_minute[i] = (double)delta * 60.0 / (double)interval;
		sparkline(&w->history[i][SPARK_LEN - n], n, w->spark[i]);
		w->rates.spark[i] = w->spark[i];
		w->prev[i] = now;
	}
	w->rates.show = true;
	w->rates.spark_glyphs = n;
	w->have_prev = true;
}

/* Without a terminal, one line per look: easy to log and grep. */
static void watch_line(FILE *f, const struct snapshot *s)
{
	char when[32], ago[FORMAT_BUF];
	time_t t = (time_t)s->now;
	struct tm tm;
	unsigned int i;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", localtime_r(&t, &tm));
	if (!s->state.enabled) {
		fprintf(f, "%s enabled=no\n", when);
		return;
	}
	fprintf(f, "%s enabled=yes installed=%s connections=%" PRIu64 " active=%" PRIu64
		" sources=%u last_seen=%s", when, s->installed ? "yes" : "no", s->st.connections,
		s->st.active, s->st.nsources,
		s->st.last_seen < 0 ? "never" :
		format_duration((uint64_t)s->st.last_seen, ago, sizeof(ago)));
	for (i = 0; i < s->st.nservices; i++)
		fprintf(f, " %s=%" PRIu64, s->st.services[i].svc.name,
			s->st.services[i].connections);
	fputc('\n', f);
}

/* ---- the command ---- */

struct stats_run {
	struct stats_args args;
	struct accounts accounts;
	struct account_read accounts_read;
	struct name_cache names;
	struct session ss;
	struct snapshot snap;
	struct watch watch;
	bool tty;
};

/* One look rendered to @f; returns the exit status that look deserves. */
static int render_to(struct stats_run *r, FILE *f)
{
	bool terminal = r->tty && !r->args.json && !r->args.output;
	struct printer p;
	int rc;

	if (r->args.prometheus) {
		rc = render_prometheus(f, &r->snap, r->args.quiet_for, r->args.accounts);
	} else if (r->args.watch && !terminal && !r->args.json && !r->args.output) {
		watch_line(f, &r->snap);
		rc = EXIT_DONE;
	} else {
		if (r->args.watch && terminal)
			fputs("\033[H\033[2J", f);
		printer_init(&p, f, r->args.json, terminal && !getenv("NO_COLOR"));
		rc = render(&p, &r->snap, &r->args, r->args.watch ? &r->watch.rates : NULL);
	}
	fflush(f);
	return rc;
}

/*
 * --output: rendered in memory, then the file replaced whole, so that a
 * collector never reads half of it. Sets *@status as render_to returns it.
 */
static int write_output(struct stats_run *r, int *status, struct errmsg *e)
{
	const char *path = r->args.output;
	char *buf = NULL, tmp[4096 + 32];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f)
		return errmsg_set(e, -errno, "out of memory");
	*status = render_to(r, f);
	if (fclose(f)) {
		free(buf);
		return errmsg_set(e, -ENOMEM, "out of memory");
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	err = atomic_file_write(AT_FDCWD, path, tmp, buf, len, 0644, false);
	free(buf);
	if (err)
		return errmsg_set(e, err, "cannot write %s: %s", path, strerror(-err));
	return 0;
}

/* The names of the sources this look shows, a few at a time; the cache keeps them. */
static void look_up_names(struct stats_run *r)
{
	static struct address addrs[NAMES_PER_LOOK];
	const struct stats *st = &r->snap.st;
	uint64_t limit = r->args.sources_given ? r->args.sources :
			 r->args.json ? NAMES_PER_LOOK : SOURCES_TEXT_DEFAULT;
	unsigned int i, n = 0;

	for (i = 0; i < st->nsources && i < limit && n < NAMES_PER_LOOK; i++)
		addrs[n++] = st->sources[i].addr;
	names_resolve(&r->names, addrs, n, r->snap.now);
	names_save(&r->ss.dir, &r->names);
}

static int show(struct stats_run *r)
{
	struct errmsg e = { "" };
	int rc;

	if (!r->args.output)
		return render_to(r, stdout);
	if (write_output(r, &rc, &e))
		return cli_fail(&command_stats, EXIT_FAILED, &e);
	return rc;
}

/*
 * On NEW: what is new in the mail log, into the accounts. A log that cannot
 * be read is said in the section; an accounts file that cannot be written
 * is a warning, as a state that cannot be saved is.
 */
static void read_accounts(struct stats_run *r)
{
	const struct snapshot *s = &r->snap;
	struct address *stale = NULL;
	struct errmsg e = { "" };
	unsigned int i;

	r->args.accounts = NULL;
	if (!s->state.enabled || s->state.spec.role != ROLE_NEW || !s->installed)
		return;
	if (s->st.nsources && !(stale = calloc(s->st.nsources, sizeof(*stale))))
		return;
	for (i = 0; stale && i < s->st.nsources; i++)
		stale[i] = s->st.sources[i].addr;
	if (accounts_update(&r->ss.dir, &r->accounts, &r->args.mail, stale, s->st.nsources,
			    s->now, s->state.spec.remember, &r->accounts_read, &e))
		fprintf(stderr, "redirect stats: warning: %s\n", e.text);
	free(stale);
	r->args.accounts = &r->accounts;
	r->args.accounts_read = &r->accounts_read;
}

/*
 * Names before the one look of a plain run (within ~300 ms); in --watch,
 * after each look, for the next: a refresh never waits for DNS.
 */
static int look(struct stats_run *r)
{
	bool names = !r->args.numeric && !r->args.prometheus;
	struct errmsg e = { "" };
	int rc;

	rc = snapshot_take(&r->ss.dir, &r->ss.nft, &r->ss.rtnl, &r->snap, &e);
	snapshot_release(&r->ss.dir, &r->snap);
	if (rc)
		return cli_fail(&command_stats, EXIT_FAILED, &e);
	snapshot_warn_unsaved(&r->snap, "stats");
	read_accounts(r);
	if (r->args.watch)
		watch_update(&r->watch, &r->snap.st, r->args.watch);
	if (names && !r->args.watch)
		look_up_names(r);
	rc = show(r);
	if (names && r->args.watch)
		look_up_names(r);
	return rc;
}

static int watch_loop(struct stats_run *r)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART: sleeps end */
	struct timespec pause = { (time_t)r->args.watch, 0 };
	int rc = EXIT_DONE;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop) {
		rc = look(r);
		if (rc == EXIT_FAILED && !r->snap.state.enabled && r->snap.installed)
			break;
		while (!stop && nanosleep(&pause, &pause) && errno == EINTR)
			;
		pause.tv_sec = (time_t)r->args.watch;
	}
	if (r->tty && !r->args.json)
		fputc('\n', stdout);
	return stop ? EXIT_DONE : rc;
}

static int check_args(const struct stats_args *a, struct errmsg *e)
{
	if (a->json && a->prometheus)
		return errmsg_set(e, -EINVAL, "--json and --prometheus exclude each other");
	if (a->output && !a->json && !a->prometheus)
		return errmsg_set(e, -EINVAL, "--output goes with --json or --prometheus");
	if (a->mail.mail_log && a->mail.journal_dir)
		return errmsg_set(e, -EINVAL, "--mail-log and --journal-dir exclude each other");
	return 0;
}

static int cmd_stats(int argc, char **argv)
{
	static struct stats_run r;
	struct errmsg e = { "" };
	int rc = cli_parse(&command_stats, argc, argv, on_option, &r.args, &e);

	if (rc)
		return cli_parse_status(&command_stats, rc, &e);
	if (check_args(&r.args, &e))
		return cli_fail(&command_stats, EXIT_USAGE, &e);
	if (session_begin_readonly(&r.ss, globals.state_dir, &e))
		return cli_fail(&command_stats, EXIT_FAILED, &e);
	r.tty = isatty(STDOUT_FILENO);
	if (!r.args.numeric) {
		names_load(&r.ss.dir, &r.names, (int64_t)time(NULL));
		r.args.names = &r.names;
	}
	rc = r.args.watch ? watch_loop(&r) : look(&r);
	accounts_free(&r.accounts);
	stats_free(&r.snap.st);
	session_close(&r.ss);
	return rc;
}
