// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stats as text or JSON, from the same printing calls: what is enabled,
 * its health, DNS, the services and the stale sources.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "lib/format.h"
#include "cli/cli.h"
#include "cli/report.h"
#include "core/verdict.h"
#include "cmd/stats_text.h"

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
			   spec->tunnel_link);
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

/* The addresses of this host the redirect catches connections to: every one. */
static void print_matched(struct printer *p, const struct address_list *here)
{
	char a[ADDRESS_STRLEN];
	unsigned int i;

	print_array_begin(p, "addresses");
	print_text(p, "  for connections to this host's");
	for (i = 0; i < here->n; i++) {
		address_str(&here->v[i], a);
		print_str(p, NULL, PRINT_ARRAY_MEMBER, a);
		print_text(p, "%s %s", i ? "," : "", a);
	}
	print_array_end(p);
	print_text(p, "%s\n", here->n ? "" : " addresses");
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
	print_matched(p, &s->here);
	print_targets(p, &s->state.spec);
}

static void print_last_seen(struct printer *p, const char *key, int64_t ago)
{
	print_style(p, ago < 0 ? STYLE_DIM : ago < 3600 ? STYLE_WARN : STYLE_NONE);
	print_ago(p, key, "  %-10s", ago);
	print_style(p, STYLE_NONE);
}

static void print_service(struct printer *p, const struct service_stats *s, unsigned int w,
			  const struct rates *r, unsigned int i)
{
	char bytes[FORMAT_BUF];

	print_object_begin(p, NULL);
	print_text(p, "%-*s", (int)w, s->svc.name);
	print_str(p, "name", NULL, s->svc.name);
	print_bool(p, "redirected", NULL, !s->former);
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

/* The rows of services a switch left with sessions open: why they are there. */
static void print_former(struct printer *p, const struct stats *st)
{
	unsigned int i;

	for (i = 0; i < st->nservices; i++)
		if (st->services[i].former)
			print_text(p, "  %s is no longer redirected: its %" PRIu64 " session%s opened "
				   "before the switch still open%s.\n", st->services[i].svc.name,
				   st->services[i].active, st->services[i].active == 1 ? "" : "s",
				   st->services[i].active == 1 ? "s" : "");
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
	print_former(p, st);
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

/* What a text reader must know when things are not as they should be. */
static int print_abnormal(struct printer *p, const struct snapshot *s)
{
	if (s->unguarded) {
		print_bool(p, "installed", NULL, false);
		print_bool(p, "broken", NULL, true);
		print_style(p, STYLE_BAD);
		print_text(p, "\nBROKEN: ");
		print_folded(p, UNGUARDED_WHY ".");
		print_style(p, STYLE_NONE);
		return EXIT_FAILED;
	}
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

/* What the tunnels' guards turned away, and from where the tunnel's packets came else. */
static void print_tunnel_guard(struct printer *p, const struct stats *st)
{
	char a[ADDRESS_STRLEN];
	unsigned int i;

	print_u64(p, "tunnel_dropped", NULL, st->tunnel_dropped);
	print_text(p, "  the tunnel's guards dropped %" PRIu64 " packet%s out of it (forged, or "
		   "of no redirected flow)\n", st->tunnel_dropped, st->tunnel_dropped == 1 ? "" : "s");
	print_array_begin(p, "tunnel_strangers");
	for (i = 0; i < st->nstrangers; i++) {
		const struct stranger *x = &st->strangers[i];

		print_object_begin(p, NULL);
		print_str(p, "address", "  tunnel packets from %s dropped (not the other end's):",
			  address_str(&x->addr, a));
		print_u64(p, "packets", " %" PRIu64, x->packets);
		print_u64(p, "last_seen_seconds", ", the last %" PRIu64 "s ago\n",
			  (uint64_t)x->last_seen);
		print_object_end(p);
	}
	print_array_end(p);
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
	cli_print_conntrack(p, &h);
	health_words(&h, s, words, sizeof(words));
	if (!words[0])
		return 0;
	print_style(p, health_broken(&h) ? STYLE_BAD : STYLE_WARN);
	print_text(p, "\n%s ", health_broken(&h) ? "BROKEN:" : "Warning:");
	print_folded(p, words);
	print_style(p, STYLE_NONE);
	return health_broken(&h) ? EXIT_FAILED : 0;
}

int stats_render(struct printer *p, const struct snapshot *s, uint64_t sources,
		 const struct name_cache *names, const struct rates *r,
		 const struct accounts_look *accounts)
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
	if (spec_links(&s->state.spec))
		print_tunnel_guard(p, &s->st);
	if (s->tunnel_gone) {
		print_style(p, STYLE_BAD);
		print_text(p, "\nThe tunnel %s is gone or changed (a reboot, or someone removed it):\n"
			   "the redirected connections go nowhere. `redirect restore` brings it back.\n",
			   s->state.spec.tunnel_link);
		print_style(p, STYLE_NONE);
	}
	rc = print_health(p, s);
	print_dns(p, s);
	print_services(p, &s->st, r);
	print_sources(p, &s->st, sources, names);
	if (accounts)
		print_accounts(p, accounts, s->now, s->state.spec.remember,
			       p->json ? UINT64_MAX : ACCOUNTS_TEXT_DEFAULT, names);
	print_object_end(p);
	return s->tunnel_gone || rc ? EXIT_FAILED : EXIT_DONE;
}
