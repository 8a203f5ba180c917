// SPDX-License-Identifier: GPL-2.0-or-later
/* redirect enable: send new mail connections to the new server. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "dns/codec.h"
#include "core/identity_dns.h"
#include "core/install.h"
#include "kernel/host.h"
#include "core/preflight.h"
#include "core/observe.h"
#include "nft/render.h"
#include "core/tunnel.h"
#include "core/verdict.h"

enum {
	OPT_TO, OPT_SERVICE, OPT_EXCLUDE, OPT_REMEMBER, OPT_MAX_SOURCES, OPT_KEEP_CLIENT_ADDRESS,
	OPT_NO_MASQUERADE, OPT_NO_PROBE, OPT_FORCE, OPT_DRY_RUN, OPT_DOMAIN, OPT_NAME,
	OPT_PUBLIC_ADDRESS, OPT_TUNNEL_ID,
};

static const struct option_def enable_options[] = {
	[OPT_TO] = { "to", "ADDRESS",
		"the new mail server, the IP address this host reaches it at (behind a cloud's "
		"1:1 NAT, its public one); at most one IPv4 and one IPv6", true },
	[OPT_SERVICE] = { "service", "NAME|PORT",
		"redirect this service instead of the default set; repeatable, or a comma list",
		true },
	[OPT_EXCLUDE] = { "exclude", "PREFIX",
		"never redirect connections from these sources; repeatable", true },
	[OPT_REMEMBER] = { "remember", "DURATION",
		"how long a client stays in the list of stale sources", false },
	[OPT_MAX_SOURCES] = { "max-sources", "N",
		"how many (client, port) pairs the stale-source list holds, per family", false },
	[OPT_KEEP_CLIENT_ADDRESS] = { "keep-client-address", NULL,
		"send the connections through a tunnel, so NEW sees the client's own address "
		"(NEW must run `redirect accept --from` this host first)", false },
	[OPT_NO_MASQUERADE] = { "no-masquerade", NULL,
		"keep the client's address without a tunnel: works only when NEW routes its "
		"replies back through this host", false },
	[OPT_NO_PROBE] = { "no-probe", NULL,
		"do not check the new server's mail ports before enabling", false },
	[OPT_FORCE] = { "force", NULL,
		"enable even when the pre-flight checks fail (every warning is still printed)",
		false },
	[OPT_DRY_RUN] = { "dry-run", NULL,
		"have the kernel check everything, print the ruleset, change nothing", false },
	[OPT_DOMAIN] = { "domain", "DOMAIN",
		"the mail domain moving: check then also waits for its DNS (see `redirect dns`); "
		"repeatable", true },
	[OPT_NAME] = { "name", "HOST",
		"a name clients and senders use for this host: the new server's certificate "
		"must cover it on every port, checked with TLS before enabling; repeatable, "
		"remembered", true },
	[OPT_PUBLIC_ADDRESS] = { "public-address", "ADDRESS",
		"this host's public address, where a cloud's 1:1 NAT puts it on no interface: "
		"dns and check then count it as this host; repeatable, remembered", true },
	[OPT_TUNNEL_ID] = { "tunnel-id", "N",
		"with --keep-client-address: the tunnel's id, which `redirect accept` printed on "
		"the new server (default: the well-known 2587, as accept uses given none)", false },
	{ NULL, NULL, NULL, false },
};

static int cmd_enable(int argc, char **argv);
static void services_help(FILE *f);

static const char *default_of(int index, char *buf, size_t len)
{
	if (index == OPT_REMEMBER)
		return cli_default_duration(REMEMBER_DEFAULT, buf, len);
	if (index != OPT_MAX_SOURCES)
		return NULL;
	snprintf(buf, len, "%u", MAX_SOURCES_DEFAULT);
	return buf;
}

const struct command command_enable = {
	.name = "enable",
	.run = cmd_enable,
	.synopsis = "--to ADDRESS [--to ADDRESS] [--service NAME|PORT]... [--exclude PREFIX]...\n"
		    "                       [--remember DURATION] [--max-sources N] [--no-probe] [--force]\n"
		    "                       [--dry-run] [--keep-client-address [--tunnel-id N] |\n"
		    "                       --no-masquerade]\n"
		    "                       [--domain DOMAIN]... [--name HOST]... [--public-address ADDRESS]...",
	.summary = "forward new mail connections to the new server",
	.description =
		"Forwards every new connection to this host's mail ports (the services below)\n"
		"to the new server, in the kernel, in one atomic change. Running it again\n"
		"with the same options changes nothing; with other options it switches\n"
		"atomically, keeping the counters and stale sources. Before it does, it checks\n"
		"that the new server presents, on every redirected TLS port, a certificate\n"
		"for each name clients use (--name, the old server's own certificate) that\n"
		"the published TLSA records match.",
	.options = enable_options,
	.more_help = services_help,
	.default_of = default_of,
};

/* From the table lib/spec.c matches names against: bash completion reads it too. */
static void services_help(FILE *f)
{
	unsigned int i;

	fprintf(f, "\nServices (--service NAME; the default set unless it is given):\n");
	for (i = 0; i < known_services_count; i++) {
		const struct known_service *k = &known_services[i];

		fprintf(f, "  %-12s %5u%s", k->name, k->port,
			k->is_default ? "" : "  not by default");
		if (k->alias)
			fprintf(f, "  (also %s)", k->alias);
		fputc('\n', f);
	}
}

struct enable_args {
	struct spec spec;
	bool dry_run, no_probe, force, no_masquerade;
	struct dns_clock dns;	/* --domain: only its domains */
	unsigned int nnames;	/* --name */
	char names[ID_NAMES_MAX][TLS_NAME_BUF];
	struct public_addresses pub;	/* --public-address */
};

/* A --name given twice (in any case, with or without the final dot) counts once. */
static int add_name(struct enable_args *a, const char *value, struct errmsg *e)
{
	char name[DNS_NAME_BUF];
	unsigned int i;

	if (dns_name_check(value, name, e))
		return errmsg_set(e, -EINVAL, "'%.60s' is no host name", value);
	for (i = 0; i < a->nnames; i++)
		if (dns_name_equal(a->names[i], name))
			return 0;
	if (a->nnames == ID_NAMES_MAX)
		return errmsg_set(e, -E2BIG, "more than %d names", ID_NAMES_MAX);
	snprintf(a->names[a->nnames++], TLS_NAME_BUF, "%s", name);
	return 0;
}

static bool same_domains(const struct dns_clock *a, const struct dns_clock *b)
{
	unsigned int i, j;

	if (a->ndomains != b->ndomains)
		return false;
	for (i = 0; i < a->ndomains; i++) {
		for (j = 0; j < b->ndomains && !dns_name_equal(a->domains[i], b->domains[j]); j++)
			;
		if (j == b->ndomains)
			return false;
	}
	return true;
}

/* --domain given: the state keeps those domains, with a new clock when they changed. */
static int remember_domains(struct session *ss, const struct enable_args *a, struct errmsg *e)
{
	unsigned int i;

	if (!a->dns.ndomains || same_domains(&a->dns, &ss->state.dns))
		return 0;
	ss->state.dns = a->dns;
	printf("  check also waits for the DNS of");
	for (i = 0; i < a->dns.ndomains; i++)
		printf(" %s", a->dns.domains[i]);
	printf(".\n");
	return state_write(&ss->dir, &ss->state, e);
}

/* What enable remembers beside the redirect itself: --domain, --public-address. */
static int remember_given(struct session *ss, const struct enable_args *a, struct errmsg *e)
{
	int err = remember_domains(ss, a, e);

	return err ? err : cli_remember_public(ss, &a->pub, e);
}

static int on_option(int index, const char *value, void *data, struct errmsg *e)
{
	struct enable_args *a = data;
	int err = 0;

	switch (index) {
	case OPT_TO: err = spec_add_target(&a->spec, value, e); break;
	case OPT_SERVICE: err = spec_add_services(&a->spec, value, e); break;
	case OPT_EXCLUDE: err = spec_add_exclude(&a->spec, value, e); break;
	case OPT_REMEMBER: err = parse_duration(value, &a->spec.remember, e); break;
	case OPT_MAX_SOURCES: err = spec_set_max_sources(&a->spec, value, e); break;
	case OPT_NO_MASQUERADE: a->spec.masquerade = false; a->no_masquerade = true; break;
	case OPT_KEEP_CLIENT_ADDRESS: a->spec.keep_client_address = true; break;
	case OPT_NO_PROBE: a->no_probe = true; break;
	case OPT_DOMAIN: err = dns_clock_add_domain(&a->dns, value, e); break;
	case OPT_NAME: err = add_name(a, value, e); break;
	case OPT_PUBLIC_ADDRESS: err = public_add(&a->pub, value, e); break;
	case OPT_TUNNEL_ID: err = spec_set_tunnel_id(&a->spec, value, e); break;
	case OPT_FORCE: a->force = true; break;
	case OPT_DRY_RUN: a->dry_run = true; break;
	}
	if (err)
		errmsg_prefix(e, "--%s", enable_options[index].name);
	return err;
}

/* Redirecting to ourselves would loop: refuse it as bad input. */
/* A directed broadcast (or a subnet's network address) of this host's is no server. */
static int check_not_subnet_edge(const struct address *to4, struct errmsg *e)
{
	char addr[ADDRESS_STRLEN], subnet[64];
	bool edge, broadcast;
	int err;

	if (!to4)
		return 0;
	err = host_subnet_edge(to4, &edge, &broadcast, subnet, sizeof(subnet));
	if (err)
		return errmsg_set(e, err, "cannot list this host's addresses: %s", strerror(-err));
	if (edge)
		return errmsg_set(e, -EINVAL, "--to '%s' is the %s address of this host's subnet "
				  "%s; give the new server's address", address_str(to4, addr),
				  broadcast ? "broadcast" : "network", subnet);
	return 0;
}

static int check_not_local(const struct spec *spec, struct errmsg *e)
{
	const struct address *targets[2] = {
		spec->has_to4 ? &spec->to4 : NULL, spec->has_to6 ? &spec->to6 : NULL,
	};
	char addr[ADDRESS_STRLEN];
	int which, err = host_local_address(targets, 2, &which);

	if (err)
		return errmsg_set(e, err, "cannot list this host's addresses: %s", strerror(-err));
	if (which >= 0)
		return errmsg_set(e, -EINVAL,
				  "--to '%s' is an address of this host; give the address this host "
				  "reaches the new server at (behind a cloud's 1:1 NAT, its public "
				  "one)",
				  address_str(targets[which], addr));
	return check_not_subnet_edge(spec->has_to4 ? &spec->to4 : NULL, e);
}

/*
 * A stale-source list kept from before, over FILL_WARN_PERCENT full: new
 * clients would go unrecorded. Only a table that was there already can be
 * (a new one starts empty), so a first enable pays nothing for this.
 */
static void warn_of_full_sources(struct session *ss, const struct spec *spec, bool existed)
{
	struct errmsg ignored;
	unsigned int i, n[2];

	if (!existed || observe_sources_count(&ss->nft, spec, n, &ignored))
		return;
	for (i = 0; i < 2; i++) {
		if ((uint64_t)n[i] * 100 <= (uint64_t)spec->max_sources * FILL_WARN_PERCENT)
			continue;
		fprintf(stderr, "redirect enable: warning: the %s stale-source list is %u%% full "
			"(%u of %u): new clients will go unrecorded; a larger --max-sources (or "
			"a shorter --remember) makes room.\n", i ? "IPv6" : "IPv4",
			(unsigned int)((uint64_t)n[i] * 100 / spec->max_sources), n[i],
			spec->max_sources);
	}
}

/* ---- the TLS identity ---- */

#define TLS_WINDOW (7 * 86400)	/* check's default --quiet-for: OLD stays that long */

/*
 * While the old server's daemons still run here, what they present is
 * learned: those names must go on with the new server. It is kept in the
 * state only by a dry run (which exists to learn it before OLD's daemons
 * stop) or an enable that succeeds: a refusal changes nothing. Returns how
 * many ports it learned (0: none, or nothing new).
 */
static int learn_old_identity(struct session *ss, const struct enable_args *a,
			      struct errmsg *e)
{
	struct id_memory *mem = &ss->state.tls;
	struct id_old old;
	int n = identity_probe_old(&a->spec, a->nnames ? a->names[0] :
				   mem->nnames ? mem->names[0] : "", &old, e);

	if (n <= 0 || !memcmp(&old, &mem->old, sizeof(old)))
		return 0;
	mem->old = old;
	return n;
}

/* One look at the new server's identity, in two halves around the banner probe. */
struct tls_look {
	struct identity id;
	struct id_dns d;
	struct id_memory mem;
	const char *domains[STATE_DOMAINS_MAX];
	struct id_request r;
	int err;
	struct errmsg e;
};

/* The plan (names, DNS, TLSA) of a check at @at4, @at6 (the redirect's own path). */
static void tls_prepare(struct session *ss, const struct enable_args *a, struct tls_look *l,
			const struct address *at4, const struct address *at6)
{
	const struct dns_clock *dns = a->dns.ndomains ? &a->dns : &ss->state.dns;
	unsigned int i;

	l->mem = ss->state.tls;
	if (a->nnames) {
		l->mem.nnames = a->nnames;
		memcpy(l->mem.names, a->names, sizeof(a->names));
	}
	for (i = 0; i < dns->ndomains; i++)
		l->domains[i] = dns->domains[i];
	l->r = (struct id_request){
		.spec = &a->spec, .mem = &l->mem, .domains = l->domains,
		.ndomains = dns->ndomains, .at4 = at4, .at6 = at6, .now = time(NULL),
		.window = TLS_WINDOW,
	};
	l->err = identity_prepare(&l->r, &l->id, &l->d, &l->e);
}

/* The handshakes and what they found, into @pf. */
static void tls_finish(struct session *ss, const struct enable_args *a, struct tls_look *l,
		       struct findings *pf)
{
	if (!l->err)
		l->err = identity_finish(&l->r, &l->id, &l->d, pf, &l->e);
	if (l->err)
		findings_add(pf, FINDING_WARN, "cannot check the TLS identity: %s", l->e.text);
	else if (l->id.nt)
		identity_remember(&l->id, l->r.now, &l->mem);
	if (!a->dry_run)
		ss->state.tls = l->mem;	/* with the names; written with the rest */
	identity_free(&l->id);
	identity_dns_free(&l->d);
}

/*
 * The ports the banner probe still needs: those the TLS check covers are
 * greeted there already (one connection fewer per port and family). With
 * @keep_one, at least the first stays: through the tunnel, the probe's
 * silence on every port is what says the tunnel carries nothing.
 */
static const struct spec *probe_spec(const struct spec *spec, const struct identity *id,
				     bool keep_one)
{
	static struct spec probe;
	unsigned int i;

	probe = *spec;
	probe.nservices = 0;
	for (i = 0; i < spec->nservices; i++)
		if (!identity_covers_port(id, spec->services[i].port))
			probe.services[probe.nservices++] = spec->services[i];
	if (keep_one && !probe.nservices && spec->nservices)
		probe.services[probe.nservices++] = spec->services[0];
	return &probe;
}

/*
 * The local pre-flight (and the public probe); false when enable must stop.
 * @learned: how many ports of the old server's identity it learned.
 */
static bool look_before_leaping(struct session *ss, const struct enable_args *a, FILE *info,
				int *learned)
{
	struct findings pf;
	static struct tls_look look;
	struct errmsg e = { "" };
	bool tls_now = !a->no_probe && !(a->spec.keep_client_address && !a->dry_run);

	*learned = a->no_probe ? 0 : learn_old_identity(ss, a, &e);

	memset(&look, 0, sizeof(look));
	if (tls_now)
		tls_prepare(ss, a, &look, a->spec.has_to4 ? &a->spec.to4 : NULL,
			    a->spec.has_to6 ? &a->spec.to6 : NULL);
	if (preflight_run(&a->spec, &ss->nft, &ss->rtnl, a->no_probe ? NULL :
			  probe_spec(&a->spec, &look.id, false), &pf, &e)) {
		cli_fail(&command_enable, EXIT_FAILED, &e);
		return false;
	}
	if (*learned > 0)
		findings_add(&pf, FINDING_INFO, "%s what this host's own servers present on %d "
			      "TLS port%s (names and keys): the new server must present the same "
			      "names", a->dry_run ? "recorded" : "learned (recorded when the "
			      "redirect is made)", *learned, *learned == 1 ? "" : "s");
	if (tls_now)
		tls_finish(ss, a, &look, &pf);
	return cli_report_findings(&command_enable, &pf, a->force, info);
}

/*
 * The probe's link gone again if this run made it, then its guards (@g); a
 * link still there keeps them. False when something stays, said in @left
 * (FINDING_TEXT_MAX).
 */
static bool unprobe(struct session *ss, const struct tunnel *t, bool made,
		    const struct link_guard *g, char *left)
{
	struct errmsg e = { "" };

	if (made && tunnel_remove(&ss->rtnl, t->link, &e)) {
		snprintf(left, FINDING_TEXT_MAX, "the probe's link %s is left in place, under its "
			 "guards (%s); the next enable or disable removes it", t->link, e.text);
		return false;
	}
	if (install_unguard(ss, g, &e)) {
		snprintf(left, FINDING_TEXT_MAX, "the probe's guards are left in table inet %s "
			 "(%s); the next enable or disable removes them", TABLE_NAME, e.text);
		return false;
	}
	return true;
}

/* unprobe() after a failure already said: what stays, said too. */
static void unprobe_after_failure(struct session *ss, const struct tunnel *t, bool made,
				  const struct link_guard *g)
{
	char left[FINDING_TEXT_MAX];

	if (!unprobe(ss, t, made, g, left))
		fprintf(stderr, "redirect enable: %s.\n", left);
}

/*
 * --keep-client-address: the tunnel's link comes up first (beside the
 * current one when the tunnel is another), its guards in our table before
 * it (@g), and NEW is probed through it, which says what is missing at
 * NEW's end. When enable stops here the link goes again if this run made
 * it, then its guards: nothing else was changed, not even the state (a
 * run killed meanwhile leaves a guarded link the next run sweeps away).
 */
static bool probe_through_tunnel(struct session *ss, const struct enable_args *a,
				 const struct tunnel *t, struct link_guard *g, bool *made_out)
{
	struct findings pf;
	static struct tls_look look;
	struct address t4 = tunnel_target(AF_INET, t->id), t6 = tunnel_target(AF_INET6, t->id);
	struct errmsg e = { "" };
	bool go, made = false;

	if (install_guard_link(ss, &a->spec, g, &e)) {
		cli_fail(&command_enable, EXIT_FAILED, &e);
		return false;
	}
	if (tunnel_for_probe(&ss->rtnl, t, &made, &e)) {
		cli_fail(&command_enable, EXIT_FAILED, &e);
		unprobe_after_failure(ss, t, made, g);
		return false;
	}
	memset(&pf, 0, sizeof(pf));
	memset(&look, 0, sizeof(look));
	/* the plan first (DNS only): the probe leaves out the ports it covers */
	tls_prepare(ss, a, &look, a->spec.has_to4 ? &t4 : NULL, a->spec.has_to6 ? &t6 : NULL);
	preflight_probe_tunnel(probe_spec(&a->spec, &look.id, true), &t->local, &pf);
	tls_finish(ss, a, &look, &pf);
	if (pf.refused && !a->force)	/* undone before the refusal says what was changed */
		unprobe(ss, t, made, g, pf.left_behind);
	go = cli_report_findings(&command_enable, &pf, a->force, stdout);
	*made_out = made;
	return go;
}

static int dry_run(struct session *ss, const struct enable_args *a, const struct tunnel *t)
{
	struct errmsg e = { "" };
	int learned, err;
	bool go = look_before_leaping(ss, a, stderr, &learned);

	/* what the old server presents is kept, whatever the checks decided */
	if (learned > 0 && state_write(&ss->dir, &ss->state, &e))
		fprintf(stderr, "redirect enable: warning: what this host's own servers present "
			"was not recorded: %s\n", e.text);
	err = install_dry_run(ss, &a->spec, &e);
	if (err)
		return cli_fail(&command_enable, EXIT_FAILED, &e);
	printf("# redirect enable --dry-run: the kernel accepted this; nothing was changed.\n");
	if (!go)
		printf("# The pre-flight checks refused it (see above): "
		       "enable would stop there.\n");
	if (a->spec.keep_client_address)
		printf("# The probe of the new server through the tunnel runs at enable: a dry run\n"
		       "# makes no tunnel.\n");
	render_table(&a->spec, stdout);
	if (a->spec.keep_client_address)
		tunnel_render(t, stdout);
	return go ? EXIT_DONE : EXIT_FAILED;
}

/* --name given: the state keeps those names (written with the rest, or now). */
static bool remember_names(struct session *ss, const struct enable_args *a)
{
	struct id_memory *mem = &ss->state.tls;
	bool same = mem->nnames == a->nnames;
	unsigned int i;

	for (i = 0; same && i < a->nnames; i++)
		same = !strcmp(mem->names[i], a->names[i]);
	if (!a->nnames || same)
		return false;
	mem->nnames = a->nnames;
	memcpy(mem->names, a->names, sizeof(a->names));
	return true;
}

static int enable(struct session *ss, const struct enable_args *a, const struct tunnel *t)
{
	struct link_guard g = { false, 0 };
	bool probe_made = false;
	struct install_report report;
	struct errmsg e = { "" };
	bool existed = ss->view.exists;
	int learned;

	if (install_in_place(ss, &a->spec)) {
		printf("redirect: already enabled with these settings; nothing changed.\n");
		warn_of_full_sources(ss, &a->spec, existed);
		if (remember_names(ss, a) && state_write(&ss->dir, &ss->state, &e))
			return cli_fail(&command_enable, EXIT_FAILED, &e);
		return remember_given(ss, a, &e) ? cli_fail(&command_enable, EXIT_FAILED, &e) :
		       EXIT_DONE;
	}
	/* a refusal writes nothing: what was learned is kept by install_spec */
	if (!look_before_leaping(ss, a, stdout, &learned))
		return EXIT_FAILED;
	if (a->spec.keep_client_address && !a->no_probe &&
	    !probe_through_tunnel(ss, a, t, &g, &probe_made))
		return EXIT_FAILED;
	remember_names(ss, a);
	if (install_spec(ss, &a->spec, &report, &e)) {
		/*
		 * The probe's link, if this run made it, and its guards go
		 * (install_spec may have stopped before its own rollback,
		 * at the state's intent, say); a link still there keeps them.
		 */
		cli_fail(&command_enable, EXIT_FAILED, &e);
		if (g.committed)
			unprobe_after_failure(ss, t, probe_made && tunnel_there(&ss->rtnl, t), &g);
		return EXIT_FAILED;
	}
	cli_report_enabled(&a->spec, &report, t);
	warn_of_full_sources(ss, &a->spec, existed);
	if (remember_given(ss, a, &e))
		return cli_fail(&command_enable, EXIT_FAILED, &e);
	return EXIT_DONE;
}

/* One end per host: the new server, which accepts, does not also redirect. */
static int check_role(const struct session *ss, struct errmsg *e)
{
	if (ss->state.enabled && ss->state.spec.role == ROLE_NEW)
		return errmsg_set(e, -EBUSY, "this host accepts redirected connections (`redirect "
				  "accept`): it is the new server. Run `redirect disable` here first "
				  "if it is now the old one");
	return 0;
}

/*
 * The tunnel's link (and the one a switch leaves), its ends and MTU, which
 * the ruleset's MSS clamp needs.
 */
static int plan_tunnel(struct session *ss, struct enable_args *a, struct tunnel *t,
		       struct errmsg *e)
{
	int err = install_adopt(ss, &a->spec, e);

	memset(t, 0, sizeof(*t));
	if (err || !a->spec.keep_client_address)
		return err;
	err = tunnel_plan(&ss->rtnl, &a->spec, t, e);
	a->spec.tunnel_mtu = t->mtu;
	return err;
}

/* An exclude of a family that is not redirected does nothing: a typo, or a --to missing. */
static void note_idle_excludes(const struct spec *spec)
{
	char text[ADDRESS_STRLEN];
	unsigned int i;

	for (i = 0; i < spec->nexcludes; i++) {
		const struct prefix *p = &spec->excludes[i];
		bool v6 = p->addr.family == AF_INET6;

		if (v6 ? spec->has_to6 : spec->has_to4)
			continue;
		fprintf(stderr, "redirect enable: note: --exclude %s does nothing: %s clients are "
			"not redirected (no %s --to).\n", prefix_str(p, text), v6 ? "IPv6" : "IPv4",
			v6 ? "IPv6" : "IPv4");
	}
}

static int cmd_enable(int argc, char **argv)
{
	struct enable_args a = { .dry_run = false };
	struct errmsg e = { "" };
	struct session ss;
	struct tunnel t;
	int rc;

	spec_init(&a.spec);
	rc = cli_parse(&command_enable, argc, argv, on_option, &a, &e);
	if (rc)
		return cli_parse_status(&command_enable, rc, &e);
	if (a.spec.keep_client_address && a.no_masquerade) {
		errmsg_set(&e, -EINVAL, "--keep-client-address and --no-masquerade exclude each "
			   "other (the tunnel keeps the client's address; --no-masquerade is for a "
			   "new server that routes through this host)");
		return cli_fail(&command_enable, EXIT_USAGE, &e);
	}
	if (spec_finalize(&a.spec, &e))
		return cli_fail(&command_enable, EXIT_USAGE, &e);
	if (a.spec.role == ROLE_OLD)
		note_idle_excludes(&a.spec);
	if (public_not_other(&a.pub, &a.spec, &e))
		return cli_fail(&command_enable, EXIT_USAGE, &e);
	rc = check_not_local(&a.spec, &e);
	if (rc)	/* a target of this host is bad input; failing to look is not */
		return cli_fail(&command_enable, rc == -EINVAL ? EXIT_USAGE : EXIT_FAILED, &e);
	/* a dry run that probes may record what the old server presents */
	if (session_begin(&ss, globals.state_dir, a.dry_run && a.no_probe ? 0 :
			  SESSION_CREATE | SESSION_LOCK,
			  cli_say_waiting, &command_enable, &e))
		return cli_fail(&command_enable, EXIT_FAILED, &e);
	if (check_role(&ss, &e) || plan_tunnel(&ss, &a, &t, &e))
		rc = cli_fail(&command_enable, EXIT_FAILED, &e);
	else
		rc = a.dry_run ? dry_run(&ss, &a, &t) : enable(&ss, &a, &t);
	session_close(&ss);
	return rc;
}
