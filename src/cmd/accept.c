// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * redirect accept, on NEW: its end of the tunnel that brings the
 * redirected connections with the clients' own addresses, the return path
 * of the replies, and a table that lets the tunnel in only from OLD and
 * counts what comes through it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "dns/codec.h"
#include "core/identity_dns.h"
#include "cli/report.h"
#include "kernel/host.h"
#include "core/install.h"
#include "core/preflight.h"
#include "nft/render.h"
#include "core/tunnel.h"

enum { OPT_FROM, OPT_SERVICE, OPT_REMEMBER, OPT_FORCE, OPT_DRY_RUN, OPT_NAME, OPT_DOMAIN,
	OPT_PUBLIC_ADDRESS, OPT_TUNNEL_ID };

static const struct option_def accept_options[] = {
	[OPT_FROM] = { "from", "ADDRESS",
		"the old mail server's address, as this host sees its packets come (behind a "
		"cloud's 1:1 NAT, its public one); at most one IPv4 and one IPv6", true },
	[OPT_SERVICE] = { "service", "NAME|PORT",
		"count these services instead of the default set (as enable has them)", true },
	[OPT_REMEMBER] = { "remember", "DURATION",
		"how long a client stays in the list of sources stats shows", false },
	[OPT_FORCE] = { "force", NULL,
		"go on even when the pre-flight checks fail (every warning is still printed)",
		false },
	[OPT_DRY_RUN] = { "dry-run", NULL,
		"have the kernel check the table, print it and the tunnel, change nothing",
		false },
	[OPT_NAME] = { "name", "HOST",
		"a name clients use for the old host: this host's own servers must present a "
		"certificate for it on every port, checked with TLS first; repeatable", true },
	[OPT_DOMAIN] = { "domain", "DOMAIN",
		"the mail domain moving: its MX hosts and SRV targets checked the same way, with "
		"their TLSA records and MTA-STS policy; repeatable", true },
	[OPT_PUBLIC_ADDRESS] = { "public-address", "ADDRESS",
		"this host's public address, where a cloud's 1:1 NAT puts it on no interface: "
		"the old server's --to; repeatable, remembered", true },
	[OPT_TUNNEL_ID] = { "tunnel-id", "N|random",
		"the tunnel's id (the VNI, 1 to 16777215), or \"random\" for one a blind attacker "
		"must guess, given to enable --tunnel-id on the old server (default: the "
		"well-known 2587, or the id this host accepts with already)", false },
	{ NULL, NULL, NULL, false },
};

static int cmd_accept(int argc, char **argv);

static const char *default_of(int index, char *buf, size_t len)
{
	return index == OPT_REMEMBER ? cli_default_duration(REMEMBER_DEFAULT, buf, len) : NULL;
}

const struct command command_accept = {
	.name = "accept",
	.run = cmd_accept,
	.synopsis = "--from ADDRESS [--from ADDRESS] [--service NAME|PORT]... [--remember DURATION]\n"
		    "                       [--name HOST]... [--domain DOMAIN]... [--public-address ADDRESS]...\n"
		    "                       [--tunnel-id N|random] [--force] [--dry-run]",
	.summary = "on the new server: take redirected connections with their clients' addresses",
	.description =
		"Run on the new server before `redirect enable --keep-client-address` on the\n"
		"old one. Makes this end of the tunnel (a VXLAN link to --from, UDP 4789), the\n"
		"route that sends the replies back through it, and a table that lets the\n"
		"tunnel in from --from only and counts what arrives per service. The mail\n"
		"servers here see each client's own address. Nothing else on this host\n"
		"changes its routes. `redirect disable` removes it all. With --name or\n"
		"--domain, this host's own servers are checked first with TLS for the names\n"
		"and keys clients and senders expect of the old host. Behind a cloud's\n"
		"1:1 NAT, --from is the old server's public address, and the firewalls (the\n"
		"security groups) of both must admit UDP 4789 from the other's public address.",
	.options = accept_options,
	.default_of = default_of,
};

struct accept_args {
	struct spec spec;
	bool dry_run, force;
	struct id_memory names;		/* --name */
	unsigned int ndomains;		/* --domain */
	char domains[DNS_DOMAINS_MAX][DNS_NAME_BUF];
	struct public_addresses pub;	/* --public-address */
	bool random_id;			/* --tunnel-id random */
};

/*
 * --name, --domain: names checked now, so that a bad one is a usage error.
 * A host name into @names (@n of them so far, rows of @size bytes, room
 * for @max): checked, and the same name given twice counts once.
 */
static int add_name(char *names, size_t size, unsigned int *n, unsigned int max,
		    const char *value, struct errmsg *e)
{
	char name[DNS_NAME_BUF];
	unsigned int i;

	if (dns_name_check(value, name, e))
		return errmsg_set(e, -EINVAL, "'%.60s' is no host name", value);
	for (i = 0; i < *n; i++)
		if (dns_name_equal(names + i * size, name))
			return 0;
	if (*n == max)
		return errmsg_set(e, -E2BIG, "at most %u", max);
	snprintf(names + (*n)++ * size, size, "%s", name);
	return 0;
}

/* --tunnel-id N, or "random": one drawn when accept runs (kept if accepting already). */
static int set_tunnel_id(struct accept_args *a, const char *value, struct errmsg *e)
{
	a->random_id = !strcmp(value, "random");
	return a->random_id ? 0 : spec_set_tunnel_id(&a->spec, value, e);
}

static int on_option(int index, const char *value, void *data, struct errmsg *e)
{
	struct accept_args *a = data;
	int err = 0;

	switch (index) {
	case OPT_FROM: err = spec_add_from(&a->spec, value, e); break;
	case OPT_SERVICE: err = spec_add_services(&a->spec, value, e); break;
	case OPT_REMEMBER: err = parse_duration(value, &a->spec.remember, e); break;
	case OPT_FORCE: a->force = true; break;
	case OPT_DRY_RUN: a->dry_run = true; break;
	case OPT_NAME:
		err = add_name(a->names.names[0], sizeof(a->names.names[0]), &a->names.nnames,
			       ID_NAMES_MAX, value, e);
		break;
	case OPT_DOMAIN:
		err = add_name(a->domains[0], sizeof(a->domains[0]), &a->ndomains,
			       DNS_DOMAINS_MAX, value, e);
		break;
	case OPT_PUBLIC_ADDRESS: err = public_add(&a->pub, value, e); break;
	case OPT_TUNNEL_ID: err = set_tunnel_id(a, value, e); break;
	}
	if (err)
		errmsg_prefix(e, "--%s", accept_options[index].name);
	return err;
}

/* --from names the other host: one of ours would be a loop. */
static int check_from_not_local(const struct spec *spec, struct errmsg *e)
{
	const struct address *from[2] = {
		spec->has_from4 ? &spec->from4 : NULL, spec->has_from6 ? &spec->from6 : NULL,
	};
	char addr[ADDRESS_STRLEN];
	int which, err = host_local_address(from, 2, &which);

	if (err)
		return errmsg_set(e, err, "cannot list this host's addresses: %s", strerror(-err));
	if (which >= 0)
		return errmsg_set(e, -EINVAL,
				  "--from '%s' is an address of this host; give the old server's "
				  "address as this host sees its packets come (behind a cloud's 1:1 "
				  "NAT, its public one), and run accept on the new server",
				  address_str(from[which], addr));
	return 0;
}

/* One end per host: a host that redirects is not also the end that accepts. */
static int check_role(const struct session *ss, struct errmsg *e)
{
	if (ss->state.enabled && ss->state.spec.role == ROLE_OLD)
		return errmsg_set(e, -EBUSY, "this host redirects its own mail connections "
				  "(`redirect enable`); accept is for the new server. Run "
				  "`redirect disable` here first if this host is now the new one");
	return 0;
}

/*
 * The --to the old server needs: the address it reaches this host at.
 * Behind a cloud's 1:1 NAT that is the public one, on no interface here:
 * named when the admin gave it, else said in words beside the address
 * the tunnel leaves from.
 */
static void print_next_step(const struct tunnel *t, const struct public_addresses *pub)
{
	const struct address *public = public_of(pub, t->local.family);
	char addr[ADDRESS_STRLEN], id[32] = "";

	if (t->id != TUNNEL_ID_DEFAULT)
		snprintf(id, sizeof(id), " --tunnel-id %u", t->id);
	if (public) {
		printf("On the old server: redirect enable --to %s --keep-client-address%s\n"
		       "  (%s: this host's public address, as --public-address gives it).\n",
		       address_str(public, addr), id, addr);
		return;
	}
	address_str(&t->local, addr);
	printf("On the old server: redirect enable --to %s --keep-client-address%s\n"
	       "  --to is the address the old server reaches this host at: %s (this end\n"
	       "  sends from it) unless this host is behind NAT (a cloud's 1:1 NAT); then\n"
	       "  its public one, which `accept --public-address` names here.\n", addr, id, addr);
}

static void print_accepting(const struct spec *spec, const struct install_report *r,
			    const struct tunnel *t, const struct public_addresses *pub)
{
	char remote[ADDRESS_STRLEN], a4[ADDRESS_STRLEN], a6[ADDRESS_STRLEN];
	struct address t4 = tunnel_target(AF_INET, t->id), t6 = tunnel_target(AF_INET6, t->id);

	printf("redirect: %s. The connections the old server %s redirects\n"
	       "  arrive through the tunnel %s at %s and %s,\n"
	       "  with each client's own address; the replies go back the same way.\n"
	       "  This host's other traffic keeps its routes.\n",
	       r->replaced ? "accepting, with new settings" : "accepting",
	       address_str(&t->remote, remote), TUNNEL_IFNAME,
	       address_str(&t4, a4), address_str(&t6, a6));
	printf("  Firewalls on the way (a cloud's security groups) must admit UDP 4789\n"
	       "  from %s here, and from this host's public address there.\n", remote);
	print_next_step(t, pub);
	cli_report_mended(r);
	printf("Watch what arrives with `redirect stats`; `redirect disable` removes it all.\n");
	(void)spec;
}

/*
 * This host's own servers, for the names the old host is known by, before
 * the tunnel brings them anyone: at loopback, where servers listening on
 * every address (as the tunnel needs them) answer as they do there. Only
 * in the families something listens in (both when nothing listens at all:
 * then each port's failure says so).
 */
static void check_identity(const struct accept_args *a, struct findings *pf)
{
	static struct identity id;
	struct address lo4 = { .family = AF_INET }, lo6 = { .family = AF_INET6 };
	const char *domains[DNS_DOMAINS_MAX];
	unsigned int families = identity_loopback_families(&a->spec);
	struct id_request r = {
		.spec = &a->spec, .mem = &a->names, .domains = domains, .ndomains = a->ndomains,
		.at4 = &lo4, .at6 = &lo6, .now = time(NULL), .window = 7 * 86400,
	};
	struct errmsg e = { "" };
	struct id_dns d;
	unsigned int i;

	lo4.in.v4.s_addr = htonl(INADDR_LOOPBACK);
	lo6.in.v6 = in6addr_loopback;
	if (families && !(families & ID_FAMILY_4))
		r.at4 = NULL;
	if (families && !(families & ID_FAMILY_6))
		r.at6 = NULL;
	for (i = 0; i < a->ndomains; i++)
		domains[i] = a->domains[i];
	if (identity_check(&r, &id, &d, pf, &e))
		findings_add(pf, FINDING_WARN, "cannot check the TLS identity: %s", e.text);
	identity_free(&id);
	identity_dns_free(&d);
}

static bool look_before_leaping(struct session *ss, const struct accept_args *a, FILE *info)
{
	struct findings pf;
	struct errmsg e = { "" };

	if (preflight_run(&a->spec, &ss->nft, &ss->rtnl, NULL, &pf, &e)) {
		cli_fail(&command_accept, EXIT_FAILED, &e);
		return false;
	}
	if (a->names.nnames || a->ndomains)
		check_identity(a, &pf);
	return cli_report_findings(&command_accept, &pf, a->force, info);
}

static int dry_run(struct session *ss, const struct accept_args *a, const struct tunnel *t)
{
	struct errmsg e = { "" };
	bool go = look_before_leaping(ss, a, stderr);

	if (install_dry_run(ss, &a->spec, &e))
		return cli_fail(&command_accept, EXIT_FAILED, &e);
	printf("# redirect accept --dry-run: the kernel accepted this; nothing was changed.\n");
	if (!go)
		printf("# The pre-flight checks refused it (see above): accept would stop there.\n");
	render_table(&a->spec, stdout);
	tunnel_render(t, stdout);
	return go ? EXIT_DONE : EXIT_FAILED;
}

static int accept_now(struct session *ss, const struct accept_args *a, const struct tunnel *t)
{
	struct install_report report;
	struct errmsg e = { "" };

	if (install_in_place(ss, &a->spec)) {
		if (a->random_id)	/* the id drawn before: which one it is */
			printf("redirect: already accepting with these settings (tunnel id %u); "
			       "nothing changed.\n", a->spec.tunnel_id);
		else
			printf("redirect: already accepting with these settings; nothing changed.\n");
		return cli_remember_public(ss, &a->pub, &e) ?
		       cli_fail(&command_accept, EXIT_FAILED, &e) : EXIT_DONE;
	}
	if (!look_before_leaping(ss, a, stdout))
		return EXIT_FAILED;
	if (install_spec(ss, &a->spec, &report, &e))
		return cli_fail(&command_accept, EXIT_FAILED, &e);
	if (cli_remember_public(ss, &a->pub, &e))
		return cli_fail(&command_accept, EXIT_FAILED, &e);
	print_accepting(&a->spec, &report, t, a->pub.n ? &a->pub : &ss->state.public);
	return EXIT_DONE;
}

/*
 * The tunnel's id: --tunnel-id N; else the one this host accepts with
 * already (accept again changes nothing), unless that is the well-known
 * one and random is asked for; else with --tunnel-id random a new one
 * drawn at random, or the well-known TUNNEL_ID_DEFAULT, which an old
 * server given no --tunnel-id uses too. And its link.
 */
static int choose_tunnel(struct session *ss, struct accept_args *a, struct errmsg *e)
{
	const struct state *st = &ss->state;
	int err = 0;

	/* random: never the well-known id, which any old server given none uses */
	if (!a->spec.tunnel_id && st->enabled && st->spec.role == ROLE_NEW &&
	    !(a->random_id && st->spec.tunnel_id == TUNNEL_ID_DEFAULT))
		a->spec.tunnel_id = st->spec.tunnel_id;
	if (!a->spec.tunnel_id && a->random_id)
		err = tunnel_new_id(&a->spec.tunnel_id, e);
	if (!a->spec.tunnel_id)
		a->spec.tunnel_id = TUNNEL_ID_DEFAULT;
	tunnel_adopt(st, &a->spec);
	return err;
}

static int run(struct session *ss, struct accept_args *a)
{
	struct errmsg e = { "" };
	struct tunnel t;

	if (check_role(ss, &e) || choose_tunnel(ss, a, &e) ||
	    tunnel_plan(&ss->rtnl, &a->spec, &t, &e))
		return cli_fail(&command_accept, EXIT_FAILED, &e);
	return a->dry_run ? dry_run(ss, a, &t) : accept_now(ss, a, &t);
}

static int cmd_accept(int argc, char **argv)
{
	struct accept_args a = { .dry_run = false };
	struct errmsg e = { "" };
	struct session ss;
	int rc;

	spec_init(&a.spec);
	a.spec.role = ROLE_NEW;
	rc = cli_parse(&command_accept, argc, argv, on_option, &a, &e);
	if (rc)
		return cli_parse_status(&command_accept, rc, &e);
	if (spec_finalize(&a.spec, &e))
		return cli_fail(&command_accept, EXIT_USAGE, &e);
	if (public_not_other(&a.pub, &a.spec, &e))
		return cli_fail(&command_accept, EXIT_USAGE, &e);
	rc = check_from_not_local(&a.spec, &e);
	if (rc)
		return cli_fail(&command_accept, rc == -EINVAL ? EXIT_USAGE : EXIT_FAILED, &e);
	if (session_begin(&ss, globals.state_dir, a.dry_run ? 0 : SESSION_CREATE | SESSION_LOCK,
			  cli_say_waiting, &command_accept, &e))
		return cli_fail(&command_accept, EXIT_FAILED, &e);
	rc = run(&ss, &a);
	session_close(&ss);
	return rc;
}
