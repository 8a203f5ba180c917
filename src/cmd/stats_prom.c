// SPDX-License-Identifier: GPL-2.0-or-later
/* stats --prometheus: the metrics the alert rules and the dashboard read. */
#include <inttypes.h>
#include <stddef.h>

#include "cli/cli.h"
#include "core/verdict.h"
#include "cli/print_accounts.h"
#include "cmd/stats_prom.h"

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

static void prom_conntrack(FILE *f, const struct snapshot *s)
{
	if (s->conntrack_count >= 0)
		prom_gauge(f, "redirect_conntrack_entries", "Entries in the conntrack table now.",
			   s->conntrack_count);
	if (s->conntrack_max >= 0)
		prom_gauge(f, "redirect_conntrack_max", "How many entries the conntrack table holds.",
			   s->conntrack_max);
}

/*
 * What the last check found of the new server's TLS identity, from the
 * state: no handshake here (this runs every minute).
 */
static void prom_tls(FILE *f, const struct id_memory *t)
{
	unsigned int i;

	if (!t->checked_at)
		return;
	prom_gauge(f, "redirect_tls_checked_timestamp_seconds",
		   "When check last made the TLS handshakes with the new server, as a Unix time.",
		   t->checked_at);
	prom_family(f, "redirect_tls_ok", "gauge", "Whether the new server presents, for this "
		    "name on this port, a certificate covering it, not expired, that the signed "
		    "TLSA records match (1), or not (0); as the last check found it.");
	for (i = 0; i < t->nresults; i++)
		fprintf(f, "redirect_tls_ok{port=\"%u\",name=\"%s\"} %d\n", t->results[i].port,
			t->results[i].name, t->results[i].ok);
	prom_family(f, "redirect_tls_expiry_timestamp_seconds", "gauge", "When the certificate "
		    "the new server presents for this name on this port expires, as a Unix time.");
	for (i = 0; i < t->nresults; i++)
		if (t->results[i].expiry)
			fprintf(f, "redirect_tls_expiry_timestamp_seconds{port=\"%u\",name=\"%s\"} %"
				PRId64 "\n", t->results[i].port, t->results[i].name,
				t->results[i].expiry);
}

int stats_render_prometheus(FILE *f, const struct snapshot *s, uint64_t quiet_for,
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
	prom_conntrack(f, s);
	prom_tls(f, &s->state.tls);
	if (gone)
		return EXIT_FAILED;
	if (spec_tunnel(&s->state.spec))
		prom_gauge(f, "redirect_tunnel_up",
			   "Whether the tunnel of --keep-client-address or accept is in place.",
			   !s->tunnel_gone);
	if (spec_links(&s->state.spec)) {
		prom_family(f, "redirect_tunnel_dropped_packets_total", "counter",
			    "Packets out of the tunnel its guards dropped: forged, or of no "
			    "redirected flow.");
		fprintf(f, "redirect_tunnel_dropped_packets_total %" PRIu64 "\n",
			s->st.tunnel_dropped);
	}
	verdict_health(s, &h);
	prom_health(f, s, &h);
	prom_services(f, &s->st);
	prom_gauge(f, "redirect_stale_sources",
		   "Distinct client addresses seen within the remember window.", s->st.nsources);
	if (accounts)
		prom_accounts(f, accounts);
	return s->tunnel_gone || health_broken(&h) ? EXIT_FAILED : EXIT_DONE;
}
