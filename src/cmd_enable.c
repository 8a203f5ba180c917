// SPDX-License-Identifier: GPL-2.0-or-later
/* redirect enable: send new mail connections to the new server. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "install.h"
#include "host.h"
#include "preflight.h"
#include "render.h"
#include "ruleset.h"

enum {
	OPT_TO, OPT_SERVICE, OPT_EXCLUDE, OPT_REMEMBER, OPT_NO_MASQUERADE,
	OPT_NO_PROBE, OPT_FORCE, OPT_DRY_RUN,
};

static const struct option_def enable_options[] = {
	[OPT_TO] = { "to", "ADDRESS",
		"the new mail server, an IP address; at most one IPv4 and one IPv6", true },
	[OPT_SERVICE] = { "service", "NAME|PORT",
		"redirect this service instead of the default set; repeatable, or a comma list",
		true },
	[OPT_EXCLUDE] = { "exclude", "PREFIX",
		"never redirect connections from these sources; repeatable", true },
	[OPT_REMEMBER] = { "remember", "DURATION",
		"how long a client stays in the list of stale sources (default 7d)", false },
	[OPT_NO_MASQUERADE] = { "no-masquerade", NULL,
		"keep the client's address (NEW must route its replies back through this host)",
		false },
	[OPT_NO_PROBE] = { "no-probe", NULL,
		"do not check the new server's mail ports before enabling", false },
	[OPT_FORCE] = { "force", NULL,
		"enable even when the pre-flight checks fail (every warning is still printed)",
		false },
	[OPT_DRY_RUN] = { "dry-run", NULL,
		"have the kernel check everything, print the ruleset, change nothing", false },
	{ NULL, NULL, NULL, false },
};

static int cmd_enable(int argc, char **argv);
static void services_help(FILE *f);

const struct command command_enable = {
	.name = "enable",
	.run = cmd_enable,
	.synopsis = "--to ADDRESS [--to ADDRESS] [--service NAME|PORT]... [--exclude PREFIX]...\n"
		    "                       [--remember DURATION] [--no-masquerade] [--no-probe]\n"
		    "                       [--force] [--dry-run]",
	.summary = "forward new mail connections to the new server",
	.description =
		"Forwards every new connection to this host's mail ports (the services below)\n"
		"to the new server, in the kernel, in one atomic change. Running it again\n"
		"with the same options changes nothing; with other options it switches\n"
		"atomically, keeping the counters and stale sources.",
	.options = enable_options,
	.more_help = services_help,
};

/* From the table spec.c matches names against: bash completion reads it too. */
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
	bool dry_run, no_probe, force;
};

static int on_option(int index, const char *value, void *data, struct errmsg *e)
{
	struct enable_args *a = data;
	int err = 0;

	switch (index) {
	case OPT_TO: err = spec_add_target(&a->spec, value, e); break;
	case OPT_SERVICE: err = spec_add_services(&a->spec, value, e); break;
	case OPT_EXCLUDE: err = spec_add_exclude(&a->spec, value, e); break;
	case OPT_REMEMBER: err = parse_duration(value, &a->spec.remember, e); break;
	case OPT_NO_MASQUERADE: a->spec.masquerade = false; break;
	case OPT_NO_PROBE: a->no_probe = true; break;
	case OPT_FORCE: a->force = true; break;
	case OPT_DRY_RUN: a->dry_run = true; break;
	}
	if (err)
		errmsg_prefix(e, "--%s", enable_options[index].name);
	return err;
}

/* Redirecting to ourselves would loop: refuse it as bad input. */
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
				  "--to '%s' is an address of this host; give the new server's "
				  "address",
				  address_str(targets[which], addr));
	return 0;
}

static void print_services(const struct spec *spec, FILE *f)
{
	unsigned int i;

	for (i = 0; i < spec->nservices; i++)
		fprintf(f, "%s%s %u", i ? ", " : "", spec->services[i].name,
			spec->services[i].port);
}

static void print_targets(const struct spec *spec, FILE *f)
{
	char a[ADDRESS_STRLEN], b[ADDRESS_STRLEN];

	if (spec->has_to4 && spec->has_to6)
		fprintf(f, "%s and %s", address_str(&spec->to4, a), address_str(&spec->to6, b));
	else
		fprintf(f, "%s", address_str(spec->has_to4 ? &spec->to4 : &spec->to6, a));
}

static void print_enabled(const struct spec *spec, const struct install_report *r)
{
	printf("redirect: %s. New connections to this host's ",
	       r->replaced ? "switched" : "enabled");
	print_services(spec, stdout);
	printf("\n  now go to ");
	print_targets(spec, stdout);
	printf(".\n");
	if (!spec->has_to4 || !spec->has_to6)
		printf("  Only %s clients are redirected (no %s --to given).\n",
		       spec->has_to4 ? "IPv4" : "IPv6", spec->has_to4 ? "IPv6" : "IPv4");
	if (r->forwarding_on & 1)
		printf("  IPv4 forwarding switched on; disable puts it back.\n");
	if (r->forwarding_on & 2)
		printf("  IPv6 forwarding switched on; disable puts it back.\n");
	if (r->ra_kept[0])
		printf("  accept_ra 1 -> 2 on %s, so this host keeps taking router "
		       "advertisements.\n",
		       r->ra_kept);
	if (r->forwarding_off)
		printf("  Forwarding put back for the family no longer redirected.\n");
	printf("Watch it with `redirect stats`; `redirect check` says when this host can go.\n");
}

/*
 * "redirect enable: warning: " then @text wrapped at 78 columns, ending in
 * a full stop; lines of @text that start with spaces (commands to type)
 * are kept as they are.
 */
static void print_wrapped(FILE *f, const char *label, const char *text)
{
	const int width = 78;
	int col = fprintf(f, "redirect enable: %s", label);
	bool first = true;
	const char *p = text;

	while (*p) {
		size_t word = strcspn(p, " \n");

		if (*p == '\n') {
			p++;
			col = fprintf(f, "\n ");
			first = true;
			if (*p == ' ') {	/* a command line: as is */
				word = strcspn(p, "\n");
				col += fprintf(f, "%.*s", (int)word, p);
				p += word;
			}
			continue;
		}
		if (*p == ' ') {
			p++;
			continue;
		}
		if (!first && col + 1 + (int)word > width) {
			col = fprintf(f, "\n ");
			first = true;
		}
		col += fprintf(f, "%s%.*s", first ? "" : " ", (int)word, p);
		first = false;
		p += word;
	}
	fputs(text[0] && text[strlen(text) - 1] != '.' ? ".\n" : "\n", f);
}

/* Prints what the pre-flight found; false when enable must stop. */
static bool look_before_leaping(struct session *ss, const struct enable_args *a, FILE *info)
{
	static struct preflight pf;
	struct errmsg e = { "" };
	unsigned int i;

	if (preflight_run(&a->spec, &ss->nft, !a->no_probe, &pf, &e)) {
		cli_fail(&command_enable, EXIT_FAILED, &e);
		return false;
	}
	for (i = 0; i < pf.n; i++) {
		switch (pf.items[i].level) {
		case PF_INFO:
			print_wrapped(info, "note: ", pf.items[i].text);
			break;
		case PF_WARN:
			print_wrapped(stderr, "warning: ", pf.items[i].text);
			break;
		case PF_REFUSE:
			print_wrapped(stderr,
				      a->force ? "warning (--force goes on): " : "refused: ",
				      pf.items[i].text);
			break;
		}
	}
	if (pf.refused && !a->force) {
		fprintf(stderr, "redirect enable: nothing was changed. Mend the above and run it "
			"again, or add --force to enable all the same.\n");
		return false;
	}
	return true;
}

static int dry_run(struct session *ss, const struct enable_args *a)
{
	struct errmsg e = { "" };
	bool go = look_before_leaping(ss, a, stderr);
	int err = install_dry_run(ss, &a->spec, &e);

	if (err)
		return cli_fail(&command_enable, EXIT_FAILED, &e);
	printf("# redirect enable --dry-run: the kernel accepted this; nothing was changed.\n");
	if (!go)
		printf("# The pre-flight checks refused it (see above): "
		       "enable would stop there.\n");
	render_table(&a->spec, stdout);
	return go ? EXIT_DONE : EXIT_FAILED;
}

static int enable(struct session *ss, const struct enable_args *a)
{
	struct install_report report;
	struct errmsg e = { "" };

	if (session_is_installed(ss, &a->spec)) {
		printf("redirect: already enabled with these settings; nothing changed.\n");
		return EXIT_DONE;
	}
	if (!look_before_leaping(ss, a, stdout))
		return EXIT_FAILED;
	if (install_spec(ss, &a->spec, &report, &e))
		return cli_fail(&command_enable, EXIT_FAILED, &e);
	print_enabled(&a->spec, &report);
	return EXIT_DONE;
}

static int cmd_enable(int argc, char **argv)
{
	struct enable_args a = { .dry_run = false };
	struct errmsg e = { "" };
	struct session ss;
	int rc;

	spec_init(&a.spec);
	rc = cli_parse(&command_enable, argc, argv, on_option, &a, &e);
	if (rc)
		return cli_parse_status(&command_enable, rc, &e);
	if (spec_finalize(&a.spec, &e))
		return cli_fail(&command_enable, EXIT_USAGE, &e);
	rc = check_not_local(&a.spec, &e);
	if (rc)	/* a target of this host is bad input; failing to look is not */
		return cli_fail(&command_enable, rc == -EINVAL ? EXIT_USAGE : EXIT_FAILED, &e);
	if (session_begin(&ss, globals.state_dir, a.dry_run ? 0 : SESSION_CREATE | SESSION_LOCK,
			  cli_say_waiting, &command_enable, &e))
		return cli_fail(&command_enable, EXIT_FAILED, &e);
	rc = a.dry_run ? dry_run(&ss, &a) : enable(&ss, &a);
	session_close(&ss);
	return rc;
}
