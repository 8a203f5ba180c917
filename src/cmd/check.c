// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * redirect check: can the old host go? For cron, systemd timers and
 * monitoring. Exit 0 ready, 1 still in use, 2 usage error, 3 unknown.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "dns/codec.h"
#include "core/dns_look.h"
#include "core/identity_dns.h"
#include "core/tunnel.h"
#include "lib/format.h"
#include "core/observe.h"
#include "cli/print.h"
#include "core/account_feed.h"
#include "core/session.h"
#include "core/verdict.h"

#define QUIET_FOR_DEFAULT (7 * 86400)
/* The TLS identity is checked again after this: daily, with room for a timer's jitter. */
#define TLS_RECHECK (23 * 3600)

/* On NEW: the accounts that logged in through the redirect (check_accounts). */
static unsigned int f_accounts;

enum { OPT_QUIET_FOR, OPT_DOMAIN, OPT_JSON, OPT_NAGIOS, OPT_QUIET };

static const struct option_def check_options[] = {
	[OPT_QUIET_FOR] = { "quiet-for", "DURATION",
		"how long nothing must have been redirected", false },
	[OPT_DOMAIN] = { "domain", "DOMAIN",
		"also wait until no authoritative server of DOMAIN names this host, and its old "
		"answers' TTL has passed (besides those enable --domain remembers); repeatable",
		true },
	[OPT_JSON] = { "json", NULL, "print one JSON object", false },
	[OPT_NAGIOS] = { "nagios", NULL,
		"print one line in the Nagios plugin format (OK ready, WARNING in use)", false },
	[OPT_QUIET] = { "quiet", NULL,
		"print only when the verdict changed since the last --quiet run, or on trouble",
		false },
	{ NULL, NULL, NULL, false },
};

static int cmd_check(int argc, char **argv);

static const char *default_of(int index, char *buf, size_t len)
{
	return index == OPT_QUIET_FOR ? cli_default_duration(QUIET_FOR_DEFAULT, buf, len) : NULL;
}

const struct command command_check = {
	.name = "check",
	.run = cmd_check,
	.synopsis = "[--quiet-for DURATION] [--domain DOMAIN]... [--json | --nagios] [--quiet]",
	.summary = "say whether the old host can be retired (for cron and monitoring)",
	.description =
		"Ready (exit 0) when no connection has been redirected for --quiet-for, the\n"
		"redirect has been on at least that long, and no redirected session is open.\n"
		"Otherwise in use (exit 1), with when the last connection came, from how many\n"
		"sources, for which services, and the earliest it can be ready. Unknown (exit 3)\n"
		"when nothing is enabled, the table is gone, or the kernel cannot be asked.\n"
		"With domains (--domain, enable --domain), also not ready while an\n"
		"authoritative server names this host, nor until the TTL of its old answers\n"
		"has passed since DNS was first seen clean; unknown when DNS cannot be asked.",
	.options = check_options,
	.default_of = default_of,
};

struct check_args {
	uint64_t quiet_for;
	bool json, nagios, quiet;
	struct dns_clock dns;	/* --domain: only its domains */
};

static int on_option(int index, const char *value, void *data, struct errmsg *e)
{
	struct check_args *a = data;
	int err = 0;

	switch (index) {
	case OPT_QUIET_FOR:
		if ((err = parse_duration(value, &a->quiet_for, e)))
			errmsg_prefix(e, "--quiet-for");
		break;
	case OPT_DOMAIN:
		if ((err = dns_clock_add_domain(&a->dns, value, e)))
			errmsg_prefix(e, "--domain");
		break;
	case OPT_JSON: a->json = true; break;
	case OPT_NAGIOS: a->nagios = true; break;
	case OPT_QUIET: a->quiet = true; break;
	}
	return err;
}

/* ---- output ---- */

static void print_dns_json(struct printer *p, const struct finding *f, int64_t now)
{
	static const char *const names[] = { "new", "old", "unknown" };

	print_object_begin(p, "dns");
	print_str(p, "status", NULL, names[f->dns.status]);
	print_u64(p, "old_answers", NULL, f->dns.old_answers);
	print_u64(p, "ttl_seconds", NULL, f->dns_ttl);
	if (f->dns_clean_since)
		print_u64(p, "clean_since", NULL, (uint64_t)f->dns_clean_since);
	else
		print_null(p, "clean_since", NULL);
	print_u64(p, "ready_in_seconds", NULL, f->dns_ready_at > now ?
		  (uint64_t)(f->dns_ready_at - now) : 0);
	if (f->dns.problem[0])
		print_str(p, "problem", NULL, f->dns.problem);
	else
		print_null(p, "problem", NULL);
	print_object_end(p);
}

static void print_tls_json(struct printer *p, const struct finding *f,
			   const struct findings *tls)
{
	unsigned int i;

	print_object_begin(p, "tls");
	print_bool(p, "ok", NULL, !f->tls_broken && !f->tls_unknown);
	if (f->tls_checked_at)
		print_u64(p, "checked_at", NULL, (uint64_t)f->tls_checked_at);
	else
		print_null(p, "checked_at", NULL);
	print_array_begin(p, "problems");
	for (i = 0; i < tls->n; i++)
		if (tls->items[i].level != FINDING_INFO)
			print_str(p, NULL, PRINT_ARRAY_MEMBER, tls->items[i].text);
	print_array_end(p);
	print_object_end(p);
}

static void print_json(const struct finding *f, const struct snapshot *s,
		       const struct findings *tls)
{
	struct printer p;

	printer_init(&p, stdout, true, false);
	print_object_begin(&p, NULL);
	print_str(&p, "status", NULL, verdict_name(f->v.status));
	print_u64(&p, "quiet_seconds", NULL, (uint64_t)f->v.quiet);
	print_u64(&p, "required_seconds", NULL, (uint64_t)f->v.required);
	if (f->v.status != VERDICT_UNKNOWN) {
		print_u64(&p, "ready_in_seconds", NULL, (uint64_t)f->v.ready_in);
		print_ago(&p, "last_seen_seconds", NULL, f->last_seen);
		print_u64(&p, "since", NULL, (uint64_t)s->state.since);
		print_u64(&p, "sources", NULL, f->sources);
		print_u64(&p, "open", NULL, f->v.open);
		print_u64(&p, "connections", NULL, f->connections);
		print_u64(&p, "attempts", NULL, s->st.attempts);
		print_u64(&p, "answered", NULL, s->st.answered);
		print_bool(&p, "broken", NULL, f->broken);
		cli_print_conntrack(&p, &f->health);
		if (f->role_new)
			print_u64(&p, "accounts", NULL, f_accounts);
	}
	if (f->dns_checked)
		print_dns_json(&p, f, s->now);
	if (f->tls_checked)
		print_tls_json(&p, f, tls);
	print_str(&p, "message", NULL, f->why);
	print_object_end(&p);
}

/*
 * Ready, with a warning that matters to monitoring: a conntrack table that
 * nearly full drops new connections soon, mail among them.
 */
static bool warns(const struct finding *f)
{
	return f->v.status == VERDICT_READY && f->health.conntrack_nearly_full;
}

/*
 * Nagios: the exit statuses already mean OK, WARNING and UNKNOWN; a broken
 * redirect is CRITICAL (2), which only --nagios says (elsewhere 2 is a
 * usage error); ready with a warning is WARNING (1), which only --nagios
 * says (elsewhere ready is 0).
 */
static void print_nagios(const struct finding *f, const struct snapshot *s)
{
	static const char *const words[] = {
		[VERDICT_READY] = "OK", [VERDICT_IN_USE] = "WARNING", [VERDICT_UNKNOWN] = "UNKNOWN",
	};

	printf("REDIRECT %s - %s", f->broken ? "CRITICAL" : warns(f) ? "WARNING" :
	       words[f->v.status], f->why);
	if (f->v.status != VERDICT_UNKNOWN)
		printf(" | connections=%" PRIu64 ";; quiet_seconds=%" PRId64 ";%" PRId64 "; "
		       "sources=%u;; open=%" PRIu64 ";; attempts=%" PRIu64 ";; answered=%" PRIu64
		       ";;", f->connections, f->v.quiet, f->v.required, f->sources, f->v.open,
		       s->st.attempts, s->st.answered);
	if (f->v.status != VERDICT_UNKNOWN && f->tls_checked)
		printf(" tls_problems=%u;;", f->tls_problems);
	if (f->v.status != VERDICT_UNKNOWN && f->dns_checked)
		printf(" dns_old_answers=%u;;", f->dns.old_answers);
	if (f->v.status != VERDICT_UNKNOWN && f->role_new)
		printf(" accounts=%u;;", f_accounts);
	printf("\n");
}

enum { NAGIOS_WARNING = 1, NAGIOS_CRITICAL = 2 };

static int status_exit(const struct finding *f, bool nagios)
{
	if (f->broken)
		return nagios ? NAGIOS_CRITICAL : EXIT_FAILED;
	if (f->v.status == VERDICT_READY)
		return nagios && warns(f) ? NAGIOS_WARNING : EXIT_DONE;
	return f->v.status == VERDICT_IN_USE ? EXIT_FAILED : EXIT_UNKNOWN;
}

/*
 * --quiet: say it only when the verdict changed since the last --quiet run
 * (so cron mails the news, once), and always when something is wrong.
 */
static bool worth_saying(struct snapshot *s, struct state_dir *dir, const struct finding *f)
{
	/* finer than the status: "nothing enabled" is news after trouble */
	const char *now = f->v.status == VERDICT_UNKNOWN && !f->trouble ? "disabled" :
			  verdict_name(f->v.status);
	bool changed = strcmp(s->state.reported, now) != 0;

	if (changed && s->locked) {
		snprintf(s->state.reported, sizeof(s->state.reported), "%s", now);
		snapshot_save(dir, s);
	}
	return changed || f->trouble || f->broken || f->health.conntrack_nearly_full;
}

static int report(const struct check_args *a, struct finding *f, struct snapshot *s,
		  struct state_dir *dir, const struct findings *tls)
{
	if (a->json)
		print_json(f, s, tls);
	else if (a->nagios)
		print_nagios(f, s);
	else if (!a->quiet || worth_saying(s, dir, f))
		printf("redirect: %s.\n", f->why);
	return status_exit(f, a->nagios);
}

/* The state's domains and this run's, each once. */
static unsigned int all_domains(const struct check_args *a, const struct dns_clock *c,
				const char **out)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < c->ndomains; i++)
		out[n++] = c->domains[i];
	for (i = 0; i < a->dns.ndomains && n < 2 * STATE_DOMAINS_MAX; i++) {
		for (j = 0; j < n && !dns_name_equal(out[j], a->dns.domains[i]); j++)
			;
		if (j == n)
			out[n++] = a->dns.domains[i];
	}
	return n;
}

/*
 * DNS as well as the counters: the clock moves only with the lock (so cron
 * runs build it); a run without it judges on a copy.
 */
static void check_dns(const struct check_args *a, struct snapshot *s, struct state_dir *dir,
		      struct finding *f)
{
	const char *domains[2 * STATE_DOMAINS_MAX];
	struct dns_clock clock = s->state.dns;
	unsigned int n = all_domains(a, &s->state.dns, domains);
	struct errmsg e = { "" };
	struct dns_look look;

	if (!n || f->v.status == VERDICT_UNKNOWN)
		return;
	if (dns_look_at(domains, n > DNS_DOMAINS_MAX ? DNS_DOMAINS_MAX : n, &s->state, s->now,
			&look, &e)) {
		memset(&look, 0, sizeof(look));
		look.status = DNS_STATUS_UNKNOWN;
		snprintf(look.problem, sizeof(look.problem), "%s", e.text);
	}
	dns_clock_note(&clock, &look, s->now);
	if (s->locked) {
		s->state.dns = clock;
		snapshot_save(dir, s);
	}
	verdict_with_dns(f, &clock, &look, s->now);
}

/*
 * On NEW: how many accounts still come through OLD, read on from the mail
 * log that stats read last (or the journal), named in the sentence.
 */
static void check_accounts(struct snapshot *s, struct state_dir *dir, struct finding *f)
{
	const struct account_source none = { NULL, NULL };
	char window[FORMAT_BUF], *why = f->why;
	struct address *stale = calloc(s->st.nsources + 1, sizeof(*stale));
	struct account_read r;
	struct accounts acc;
	struct errmsg e = { "" };
	unsigned int i;

	if (!stale || !f->role_new || f->v.status == VERDICT_UNKNOWN || !s->installed) {
		free(stale);
		return;
	}
	for (i = 0; i < s->st.nsources; i++)
		stale[i] = s->st.sources[i].addr;
	accounts_init(&acc);
	/* written only under the lock (see accounts_update); else counted as they are */
	if (s->locked ? accounts_update(dir, &acc, &none, stale, s->st.nsources,
					s->state.spec.tunnel_id, s->now, s->state.spec.remember,
					&r, &e) :
	    accounts_known(dir, &acc, s->now, s->state.spec.remember, CLI_LOG_NOT_READ, &r, &e))
		fprintf(stderr, "redirect check: warning: %s\n", e.text);
	f_accounts = acc.n;
	format_duration_exact(s->state.spec.remember, window, sizeof(window));
	snprintf(why + strlen(why), sizeof(f->why) - strlen(why), "; %u account%s logged in "
		 "through it in the last %s (`redirect stats` names them)%s%s", acc.n,
		 acc.n == 1 ? "" : "s", window, r.problem[0] ? "; the mail log: " : "", r.problem);
	accounts_free(&acc);
	free(stale);
}

/*
 * The last check's results stand when they are under a day old and all
 * ok: cron runs check every few minutes, and each handshake is a
 * connection in NEW's logs (and its fail2ban's). A problem is looked at
 * again every run, so that its fix is seen at once.
 */
static bool tls_recent(const struct snapshot *s, int64_t window, struct finding *f,
		       struct findings *pf)
{
	const struct id_memory *mem = &s->state.tls;
	char age[FORMAT_BUF];

	if (s->now - mem->checked_at >= TLS_RECHECK || s->now < mem->checked_at ||
	    !identity_known_good(&s->state.spec, mem, s->now, window))
		return false;
	memset(pf, 0, sizeof(*pf));
	findings_add(pf, FINDING_INFO, "TLS identity verified %s ago on %u names and ports; "
		      "checked again a day after", format_duration((uint64_t)(s->now -
								   mem->checked_at),
								   age, sizeof(age)),
		      mem->nresults);
	f->tls_checked_at = mem->checked_at;
	verdict_with_tls(f, pf, NULL);
	return true;
}

/*
 * The new server's TLS identity, through the redirect's own path, every
 * day: a renewal that changed its key while TLSA pins the old one is the
 * classic outage. What it found is kept for stats --prometheus.
 */
static void check_tls(const struct check_args *a, struct snapshot *s, struct state_dir *dir,
		      struct finding *f, struct findings *pf)
{
	static struct identity id;
	const struct spec *spec = &s->state.spec;
	const char *domains[2 * STATE_DOMAINS_MAX];
	bool tunnel = spec->keep_client_address;
	struct id_request r = {
		.spec = spec, .mem = &s->state.tls, .domains = domains,
		.ndomains = all_domains(a, &s->state.dns, domains), .now = s->now,
		.window = (int64_t)a->quiet_for,
	};
	struct address t4 = tunnel_target(AF_INET, spec->tunnel_id),
		       t6 = tunnel_target(AF_INET6, spec->tunnel_id);
	struct errmsg e = { "" };
	char unread[TLS_NAME_BUF + sizeof(id.svc[0].tlsa_unread) + 64];
	struct id_dns d;
	int err;

	if (f->v.status == VERDICT_UNKNOWN || spec->role != ROLE_OLD || !s->state.enabled ||
	    tls_recent(s, (int64_t)a->quiet_for, f, pf))
		return;
	r.ndomains = r.ndomains > DNS_DOMAINS_MAX ? DNS_DOMAINS_MAX : r.ndomains;
	r.at4 = spec->has_to4 ? (tunnel ? &t4 : &spec->to4) : NULL;
	r.at6 = spec->has_to6 ? (tunnel ? &t6 : &spec->to6) : NULL;
	memset(pf, 0, sizeof(*pf));
	err = identity_check(&r, &id, &d, pf, &e);
	if (err) {
		/*
		 * The state keeps the last results for stats; they stand for
		 * no check (tls_recent did not take them): unknown, not ready.
		 */
		snprintf(unread, sizeof(unread), "cannot check the TLS identity: %s", e.text);
		findings_add(pf, FINDING_WARN, "%s", unread);
	} else if (id.nt) {
		identity_remember(&id, s->now, &s->state.tls);
	}
	if (!err && id.nt && s->locked)
		snapshot_save(dir, s);
	f->tls_checked_at = s->state.tls.checked_at;	/* this run's, or the last one */
	if (err)
		verdict_with_tls(f, pf, unread);
	else if (id.nt)
		verdict_with_tls(f, pf, identity_unread(&id, unread, sizeof(unread)));
	identity_free(&id);
	identity_dns_free(&d);
}

static int run(const struct check_args *a, struct finding *f, struct snapshot *s)
{
	static struct findings tls;
	struct errmsg e = { "" };
	struct session ss;
	int rc;

	if (session_begin_readonly(&ss, globals.state_dir, &e) ||
	    snapshot_take(&ss.dir, &ss.nft, &ss.rtnl, s, &e)) {
		verdict_unknown(f, e.text, true);
	} else {
		verdict_judge(s, (int64_t)a->quiet_for, f);
		check_dns(a, s, &ss.dir, f);
		check_tls(a, s, &ss.dir, f, &tls);
		check_accounts(s, &ss.dir, f);
	}
	f->v.required = (int64_t)a->quiet_for;
	rc = report(a, f, s, &ss.dir, &tls);
	cli_warn_unsaved(&command_check, s);
	snapshot_release(&ss.dir, s);
	snapshot_free(s);
	session_close(&ss);
	return rc;
}

static int cmd_check(int argc, char **argv)
{
	struct check_args a = { .quiet_for = QUIET_FOR_DEFAULT };
	struct errmsg e = { "" };
	struct snapshot *snap;
	struct finding *f;
	int rc = cli_parse(&command_check, argc, argv, on_option, &a, &e);

	if (rc)
		return cli_parse_status(&command_check, rc, &e);
	if (a.json && a.nagios) {
		errmsg_set(&e, -EINVAL, "--json and --nagios exclude each other");
		return cli_fail(&command_check, EXIT_USAGE, &e);
	}
	snap = calloc(1, sizeof(*snap));	/* large: off the stack */
	f = calloc(1, sizeof(*f));
	if (!snap || !f) {
		errmsg_set(&e, -ENOMEM, "out of memory");
		rc = cli_fail(&command_check, EXIT_UNKNOWN, &e);
	} else {
		rc = run(&a, f, snap);
	}
	free(snap);
	free(f);
	return rc;
}
