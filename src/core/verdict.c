// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * When the old host can go, and the words for it: what check prints and
 * cron mails. Pure: every input, the clock included, is an argument.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/format.h"
#include "core/tunnel.h"
#include "dns/survey.h"
#include "core/preflight.h"
#include "core/verdict.h"

static int64_t at_least_zero(int64_t v)
{
	return v > 0 ? v : 0;
}

void verdict_decide(int64_t now, int64_t since, int64_t last_seen_at, uint64_t open,
		    int64_t required, struct verdict *v)
{
	int64_t enabled_for = at_least_zero(now - since);

	v->required = required;
	v->open = open;
	v->quiet = last_seen_at ? at_least_zero(now - last_seen_at) : enabled_for;
	if (v->quiet > enabled_for)
		v->quiet = enabled_for;	/* a connection before enable does not count */
	v->ready_in = at_least_zero(required - v->quiet);
	v->status = v->ready_in == 0 && open == 0 ? VERDICT_READY : VERDICT_IN_USE;
}

const char *verdict_name(enum verdict_status status)
{
	switch (status) {
	case VERDICT_READY: return "ready";
	case VERDICT_IN_USE: return "in-use";
	default: return "unknown";
	}
}

void verdict_unknown(struct finding *f, const char *why, bool trouble)
{
	memset(&f->v, 0, sizeof(f->v));
	f->v.status = VERDICT_UNKNOWN;
	f->last_seen = NEVER;
	f->trouble = trouble;
	snprintf(f->why, sizeof(f->why), "%s", why);
}

/* The services seen within the quiet window, most recent first. */
static void recent_services(const struct stats *st, int64_t window, char *out, size_t len)
{
	bool used[SPEC_MAX_SERVICES] = { false };
	size_t n = 0;

	out[0] = '\0';
	for (;;) {
		int best = -1;
		unsigned int i;

		for (i = 0; i < st->nservices; i++) {
			int64_t ago = st->services[i].last_seen;

			if (!used[i] && ago != NEVER && ago < window &&
			    (best < 0 || ago < st->services[best].last_seen))
				best = (int)i;
		}
		if (best < 0 || n >= len)
			return;
		used[best] = true;
		n += (size_t)snprintf(out + n, len - n, "%s%s", n ? ", " : "",
				      st->services[best].svc.name);
	}
}

static unsigned int recent_sources(const struct stats *st, int64_t window)
{
	unsigned int i, n = 0;

	for (i = 0; i < st->nsources; i++)
		n += st->sources[i].last_seen < window;
	return n;
}

/* The words of a ready verdict: on OLD it is this host that can go, on NEW the other one. */
#define READY_HERE "ready to retire this host: "
#define READY_OLD "ready to retire the old host: "

static void explain(struct finding *f, const struct snapshot *s)
{
	char quiet[FORMAT_BUF], req[FORMAT_BUF], ready[FORMAT_BUF], ago[FORMAT_BUF];
	size_t n;

	format_duration((uint64_t)f->v.quiet, quiet, sizeof(quiet));
	format_duration((uint64_t)f->v.required, req, sizeof(req));
	if (f->v.status == VERDICT_READY && f->role_new) {
		/* never "this host": here is where the mail now goes */
		snprintf(f->why, sizeof(f->why),
			 "%snothing has come through the tunnel for %s (%s required)",
			 READY_OLD, quiet, req);
		return;
	}
	if (f->v.status == VERDICT_READY) {
		snprintf(f->why, sizeof(f->why), "%snothing redirected for %s (%s required)",
			 READY_HERE, quiet, req);
		return;
	}
	if (f->last_seen != NEVER && f->last_seen < f->v.required)
		n = (size_t)snprintf(f->why, sizeof(f->why),
				     "still in use: the last redirected connection came %s ago, "
				     "from %u source%s (%s)",
				     format_duration((uint64_t)f->last_seen, ago, sizeof(ago)),
				     f->sources, f->sources == 1 ? "" : "s",
				     f->services[0] ? f->services :
				     "a service no longer redirected");
	else if (f->last_seen == NEVER && s->now < s->state.since)
		n = (size_t)snprintf(f->why, sizeof(f->why),
				     "still in use: this host's clock is %s behind the time enable "
				     "recorded (it jumped back?); no quiet counts until it has caught "
				     "up (%s required)",
				     format_duration((uint64_t)(s->state.since - s->now), ago,
						     sizeof(ago)), req);
	else if (f->last_seen == NEVER)
		n = (size_t)snprintf(f->why, sizeof(f->why),
				     "still in use: nothing redirected yet, but enabled only %s "
				     "ago (%s required)",
				     format_duration((uint64_t)(s->now - s->state.since), ago,
						     sizeof(ago)), req);
	else
		n = (size_t)snprintf(f->why, sizeof(f->why),
				     "still in use: nothing redirected for %s", quiet);
	if (f->v.open && n < sizeof(f->why))
		n += (size_t)snprintf(f->why + n, sizeof(f->why) - n,
				      "; %" PRIu64 " redirected session%s open now",
				      f->v.open, f->v.open == 1 ? " is" : "s are");
	if (n >= sizeof(f->why))
		return;
	if (f->v.ready_in)
		snprintf(f->why + n, sizeof(f->why) - n,
			 "; ready in %s at the earliest if nothing more arrives",
			 format_duration((uint64_t)f->v.ready_in, ready, sizeof(ready)));
	else
		snprintf(f->why + n, sizeof(f->why) - n, "; ready once %s closed",
			 f->v.open == 1 ? "it has" : "they have");
}

/* Not ready, whatever the quiet: the redirect does not work, and says why. */
static void broken(struct finding *f, const struct snapshot *s)
{
	size_t n;

	f->broken = true;
	f->v.status = VERDICT_IN_USE;
	n = (size_t)snprintf(f->why, sizeof(f->why), "broken: ");
	health_words(&f->health, s, f->why + n, sizeof(f->why) - n);
}

/* A redirect that works, but whose figures will soon go short. */
static void add_warnings(struct finding *f, const struct snapshot *s)
{
	size_t n = strlen(f->why);

	if ((!f->health.nearly_full && !f->health.unanswered_clients &&
	     !f->health.conntrack_nearly_full && !f->health.far_end_gone) || n + 3 >= sizeof(f->why))
		return;
	n += (size_t)snprintf(f->why + n, sizeof(f->why) - n, "; ");
	health_words(&f->health, s, f->why + n, sizeof(f->why) - n);
}

/* ---- is it working ---- */

/*
 * NEW answers a SYN within milliseconds, scanners' too. A SYN waiting
 * since before NEW's last answer on its service says nothing: NEW is
 * alive and drops that client on purpose (fail2ban). One waiting since
 * NEW last answered anyone there does.
 */
static bool waits_since_last_answer(const struct stats *st, const struct unanswered *u)
{
	int svc = stats_service_index(st, u->port);
	int64_t answer_ms;

	if (svc < 0)
		return false;
	answer_ms = st->services[svc].last_answer_ms;
	return answer_ms == NEVER || answer_ms > (int64_t)u->waiting * 1000;
}

static bool among(const struct address *a, const struct unanswered *u, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (address_equal(a, &u[i].client))
			return true;
	return false;
}

/*
 * Whether NEW has never answered anyone on @port since enable: no SYN-ACK
 * counted or remembered, and no connection ever completed there (the
 * state's history keeps those past a restore).
 */
static bool never_answered(const struct stats *st, uint16_t port)
{
	int i = stats_service_index(st, port);
	const struct service_stats *svc;

	if (i < 0)
		return false;
	svc = &st->services[i];
	return !svc->answered && svc->last_answer_ms == NEVER && !svc->connections &&
	       svc->last_seen == NEVER;
}

/*
 * Broken when SYNs from two clients or more wait in vain. One client
 * alone may be one NEW drops on purpose (fail2ban): a warning, unless NEW
 * has never answered that service at all, which no ban explains.
 */
static void judge_unanswered(const struct stats *st, struct health *h)
{
	const struct unanswered *seen[UNANSWERED_KEPT];
	struct unanswered first[UNANSWERED_KEPT];
	unsigned int i, n = 0, clients = 0;

	for (i = 0; i < st->nunanswered; i++) {
		const struct unanswered *u = &st->unanswered[i];

		if (!waits_since_last_answer(st, u))
			continue;
		seen[n++] = u;
		if (!among(&u->client, first, clients))
			first[clients++] = *u;
		if (!h->never_answered_port && never_answered(st, u->port))
			h->never_answered_port = u->port;
	}
	if (!n)
		return;
	/* more waiting than kept: all of them, when every kept one counts */
	h->unanswered_count = n == st->nunanswered ? st->unanswered_now : n;
	h->unanswered_clients = clients;
	h->unanswered_client = seen[0]->client;
	h->unanswered = clients >= 2 || h->never_answered_port;
}

/*
 * The tunnel's troubles. Its other end gone: its host refused the tunnel's
 * UDP since it last showed it was there. A stranger: the tunnel's packets
 * (its id: no blind guess) came from another address than the other end's
 * lately, and nothing came through since: most likely the other end behind
 * NAT, its packets arriving as its public address.
 */
static void judge_tunnel(const struct stats *st, struct health *h)
{
	const struct stranger *x = st->nstrangers ? &st->strangers[0] : NULL;
	int64_t alive = st->alive_ms == NEVER ? NEVER : st->alive_ms / 1000;

	h->far_end_gone = st->far_end_gone;
	h->refused_ago = st->refused_ms == NEVER ? NEVER : st->refused_ms / 1000;
	if (!x || x->last_seen > STRANGER_RECENT || (alive != NEVER && alive <= x->last_seen))
		return;
	h->stranger = true;
	h->stranger_addr = x->addr;
	h->stranger_packets = x->packets;
	h->stranger_ago = x->last_seen;
}

void verdict_health(const struct snapshot *s, struct health *h)
{
	const struct stats *st = &s->st;
	unsigned int i;

	memset(h, 0, sizeof(*h));
	h->forwarding_off = s->forwarding_off;
	h->conntrack_count = s->conntrack_count;
	h->conntrack_max = s->conntrack_max;
	h->conntrack_nearly_full = conntrack_nearly_full(s->conntrack_count, s->conntrack_max);
	judge_unanswered(st, h);
	judge_tunnel(st, h);
	/* NEW's end gone is no trouble of NEW's: the old server stopped redirecting */
	h->far_end_broken = h->far_end_gone && s->state.spec.role == ROLE_OLD;
	for (i = 0; i < 2; i++) {
		if (!st->set_size[i])
			continue;
		h->fill[i] = (unsigned int)((uint64_t)st->set_elements[i] * 100 / st->set_size[i]);
		if (h->fill[i] > FILL_WARN_PERCENT)
			h->nearly_full |= 1U << i;
	}
	h->drift = s->drift;
}

bool health_broken(const struct health *h)
{
	return h->forwarding_off || h->unanswered || h->drift || h->stranger ||
	       h->far_end_broken;
}

static size_t join(char *buf, size_t len, size_t used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t join(char *buf, size_t len, size_t used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (used >= len)
		return used;
	if (used)
		used += (size_t)snprintf(buf + used, len - used, "; ");
	if (used >= len)
		return used;
	va_start(ap, fmt);
	n = vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
	return n > 0 ? used + (size_t)n : used;
}

static const char *family_switch_name(unsigned int bit)
{
	return bit == 1 ? "IPv4 forwarding is off here (net.ipv4.ip_forward = 0)" :
			  "IPv6 forwarding is off here (net.ipv6.conf.all.forwarding = 0)";
}

static const char *new_server(const struct spec *spec, char *buf)
{
	if (spec->role == ROLE_NEW)
		return "(here)";
	return address_str(spec->has_to4 ? &spec->to4 : &spec->to6, buf);
}

/* "submission (587)": the service on @port as stats names it. */
static const char *service_words(const struct snapshot *s, uint16_t port, char *buf,
				 size_t len)
{
	int i = stats_service_index(&s->st, port);

	snprintf(buf, len, "%s (%u)", i >= 0 ? s->st.services[i].svc.name : "port", port);
	return buf;
}

/* The unanswered attempts, in words (forwarding off says it already). */
static size_t unanswered_words(const struct health *h, const struct snapshot *s, char *buf,
			       size_t len, size_t used)
{
	char target[ADDRESS_STRLEN], client[ADDRESS_STRLEN], svc[SERVICE_NAME_MAX + 16];
	const char *new = new_server(&s->state.spec, target);
	unsigned int n = h->unanswered_count;

	address_str(&h->unanswered_client, client);
	if (h->forwarding_off || !h->unanswered_clients)
		return used;
	if (h->unanswered && h->unanswered_clients == 1)
		return join(buf, len, used, "%u recent connection attempt%s from %s got no answer "
			    "from the new server %s, which has not answered a single connection "
			    "to %s since enable: no client it drops on purpose, the redirect does "
			    "not work there. Likely: a firewall drops them (here, on the way, or on "
			    "the new server), or the new server does not offer that service",
			    n, n == 1 ? "" : "s", client, new,
			    service_words(s, h->never_answered_port, svc, sizeof(svc)));
	if (h->unanswered)
		return join(buf, len, used, "%u recent connection attempts, from %u clients, got "
			    "no answer from the new server %s: the redirect does not work. Likely: "
			    "a firewall drops them (here, on the way, or on the new server), no "
			    "route to it, the new server is down, or --no-masquerade while the new "
			    "server does not route its replies back through this host",
			    n, h->unanswered_clients, new);
	return join(buf, len, used, "%u recent connection attempt%s from %s got no answer from "
		    "the new server %s: it may be dropping that client (fail2ban?), or it is "
		    "down and no other client tried", n, n == 1 ? "" : "s", client, new);
}

/* The tunnel's troubles in words (see judge_tunnel). */
static size_t tunnel_words(const struct health *h, const struct snapshot *s, char *buf,
			   size_t len, size_t used)
{
	const struct spec *spec = &s->state.spec;
	char a[ADDRESS_STRLEN], peer[ADDRESS_STRLEN], ago[FORMAT_BUF];
	bool new = spec->role == ROLE_NEW;

	address_str(spec_peer(spec), peer);
	if (h->far_end_gone)
		used = join(buf, len, used, new ?
			    "the old server's end of the tunnel is gone: its host %s refused the "
			    "tunnel's packets %s ago, and nothing came through since (its redirect "
			    "is off?); the sessions through it are over" :
			    "the new server's end of the tunnel is gone: its host %s refused the "
			    "tunnel's packets %s ago, and has answered no connection since; every "
			    "redirected connection fails. `redirect accept` (or `redirect restore`) "
			    "there brings it back", peer,
			    format_duration((uint64_t)h->refused_ago, ago, sizeof(ago)));
	if (!h->stranger)
		return used;
	address_str(&h->stranger_addr, a);
	format_duration((uint64_t)h->stranger_ago, ago, sizeof(ago));
	return join(buf, len, used, new ?
		    "tunnel packets from %s dropped (%" PRIu64 ", the last %s ago): not --from %s; "
		    "behind NAT, accept --from %s" :
		    "tunnel packets from %s dropped (%" PRIu64 ", the last %s ago): not --to %s; "
		    "behind NAT, enable --to %s", a, h->stranger_packets, ago, peer, a);
}

void health_words(const struct health *h, const struct snapshot *s, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int bit;

	buf[0] = '\0';
	for (bit = 1; bit <= 2; bit <<= 1)
		if (h->forwarding_off & bit)
			used = join(buf, len, used, "%s, switched off since enable (sysctl "
				    "--system? configuration management?): the redirected "
				    "connections go nowhere; `redirect restore` switches it back on",
				    family_switch_name(bit));
	used = tunnel_words(h, s, buf, len, used);
	if (!h->far_end_gone)
		used = unanswered_words(h, s, buf, len, used);
	if (h->drift)
		used = join(buf, len, used, "the table inet mail_redirect is not what redirect "
			    "installed (%s): what it does and counts cannot be trusted; `redirect "
			    "restore` puts it back", s->drift_what[0] ? s->drift_what : "edited");
	if (h->conntrack_nearly_full)
		used = join(buf, len, used, "the conntrack table is %u%% full (%d of %d entries): "
			    "when it is full, new connections (redirected ones too) are dropped; "
			    "raise net.netfilter.nf_conntrack_max",
			    (unsigned int)((int64_t)h->conntrack_count * 100 / h->conntrack_max),
			    h->conntrack_count, h->conntrack_max);
	for (bit = 0; bit < 2; bit++)
		if (h->nearly_full & 1U << bit)
			used = join(buf, len, used, "the %s stale-source set is %u%% full: new "
				    "clients will go unrecorded; `redirect enable` with a larger "
				    "--max-sources (or a shorter --remember) makes room",
				    bit ? "IPv6" : "IPv4", h->fill[bit]);
}

/* ---- the verdict ---- */

void verdict_judge(const struct snapshot *s, int64_t required, struct finding *f)
{
	const struct stats *st = &s->st;
	int64_t last_at = s->state.history.last_seen;

	memset(f, 0, sizeof(*f));
	f->role_new = s->state.spec.role == ROLE_NEW;
	if (s->unguarded) {
		verdict_unknown(f, "broken: " UNGUARDED_WHY, true);
		f->broken = true;
		f->v.status = VERDICT_IN_USE;
		return;
	}
	if (!s->state.enabled) {
		verdict_unknown(f, s->state.draining ?
				"nothing is enabled (a disabled redirect is draining)" :
				"nothing is enabled", false);
		return;
	}
	if (!s->installed) {
		verdict_unknown(f, "enabled, but the table is gone from the kernel: a ruleset "
				   "flush "
				"(nftables.service reload) or a reboot removed it; "
				"`redirect restore` puts it back", true);
		return;
	}
	if (s->tunnel_gone) {
		verdict_unknown(f, "enabled, but the tunnel " TUNNEL_IFNAME " is gone or changed: "
				"the redirected connections go nowhere; `redirect restore` brings "
				"it back", true);
		return;
	}
	verdict_decide(s->now, s->state.since, last_at, st->active, required, &f->v);
	f->last_seen = st->last_seen;
	f->connections = st->connections;
	f->sources = recent_sources(st, required);
	recent_services(st, required, f->services, sizeof(f->services));
	verdict_health(s, &f->health);
	if (health_broken(&f->health)) {
		broken(f, s);
		return;
	}
	explain(f, s);
	add_warnings(f, s);
}

/* ---- DNS ---- */

void dns_clock_note(struct dns_clock *c, const struct dns_look *look, int64_t now)
{
	static const char *const names[] = { "new", "old", "unknown" };

	c->checked_at = now;
	snprintf(c->status, sizeof(c->status), "%s", names[look->status]);
	snprintf(c->summary, sizeof(c->summary), "%s", look->problem);
	if (look->status == DNS_STATUS_OLD) {
		c->clean_since = 0;
		if (look->old_ttl > c->ttl)
			c->ttl = look->old_ttl;
	} else if (look->status == DNS_STATUS_NEW && !c->clean_since) {
		c->clean_since = now;
		if (!c->ttl)
			c->ttl = look->answer_ttl;
	}
}

int64_t dns_clock_ready_at(const struct dns_clock *c)
{
	return c->clean_since ? c->clean_since + (int64_t)c->ttl : 0;
}

static void append(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void append(struct finding *f, const char *fmt, ...)
{
	size_t n = strlen(f->why);
	va_list ap;

	if (n + 1 >= sizeof(f->why))
		return;
	va_start(ap, fmt);
	vsnprintf(f->why + n, sizeof(f->why) - n, fmt, ap);
	va_end(ap);
}

/* "ready to retire ...: X" becomes "still in use: X", when @prefix starts @why */
static void unready_words(char *why, const char *prefix)
{
	static const char in_use[] = "still in use: ";
	size_t len = strlen(prefix);

	if (strncmp(why, prefix, len))
		return;
	memmove(why + sizeof(in_use) - 1, why + len, strlen(why) - len + 1);
	memcpy(why, in_use, sizeof(in_use) - 1);
}

static void not_ready(struct finding *f)
{
	if (f->v.status != VERDICT_READY)
		return;
	f->v.status = VERDICT_IN_USE;
	unready_words(f->why, f->role_new ? READY_OLD : READY_HERE);
}

void verdict_with_dns(struct finding *f, const struct dns_clock *c, const struct dns_look *look,
		      int64_t now)
{
	char ttl[FORMAT_BUF], left[FORMAT_BUF];
	int64_t at = dns_clock_ready_at(c);

	f->dns_checked = true;
	f->dns = *look;
	f->dns_ready_at = at;
	f->dns_clean_since = c->clean_since;
	f->dns_ttl = c->ttl;
	if (f->v.status == VERDICT_UNKNOWN)
		return;
	if (look->status == DNS_STATUS_OLD) {
		not_ready(f);
		append(f, "; DNS still names %s: %s",
		       f->role_new ? "the old host" : "this host", look->problem);
	} else if (look->status == DNS_STATUS_UNKNOWN) {
		if (f->v.status == VERDICT_READY) {
			f->v.status = VERDICT_UNKNOWN;
			f->trouble = true;
		}
		append(f, "; DNS could not be checked: %s", look->problem);
	} else if (now < at) {
		not_ready(f);
		if (f->v.ready_in < at - now)
			f->v.ready_in = at - now;
		append(f, "; DNS is clean, but resolvers may keep an old answer for its TTL (%s): "
		       "ready for DNS in %s", format_duration(c->ttl, ttl, sizeof(ttl)),
		       format_duration((uint64_t)(at - now), left, sizeof(left)));
	} else {
		append(f, "; DNS clean for %s (its TTL %s)",
		       format_duration((uint64_t)(now - c->clean_since), left, sizeof(left)),
		       format_duration(c->ttl, ttl, sizeof(ttl)));
	}
}

void verdict_with_tls(struct finding *f, const struct findings *pf, const char *unknown)
{
	const char *first = NULL, *warning = NULL;
	unsigned int i;

	f->tls_checked = true;
	for (i = 0; i < pf->n; i++) {
		if (pf->items[i].level == FINDING_REFUSE && !first)
			first = pf->items[i].text;
		if (pf->items[i].level == FINDING_WARN && !warning)
			warning = pf->items[i].text;
		f->tls_problems += pf->items[i].level != FINDING_INFO;
	}
	f->tls_unknown = unknown != NULL;
	if (f->v.status == VERDICT_UNKNOWN)
		return;
	if (first) {
		f->tls_broken = f->broken = true;
		not_ready(f);
		append(f, "; TLS: %s", first);
	} else if (unknown) {
		not_ready(f);
		append(f, "; TLS: %s", unknown);
	} else if (warning) {
		append(f, "; TLS: %s", warning);
	}
}
