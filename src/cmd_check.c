// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * redirect check: can the old host go? For cron, systemd timers and
 * monitoring. Exit 0 ready, 1 still in use, 2 usage error, 3 unknown.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "caps.h"
#include "cli.h"
#include "format.h"
#include "observe.h"
#include "print.h"
#include "verdict.h"

#define QUIET_FOR_DEFAULT (7 * 86400)

enum { OPT_QUIET_FOR, OPT_JSON, OPT_NAGIOS, OPT_QUIET };

static const struct option_def check_options[] = {
	[OPT_QUIET_FOR] = { "quiet-for", "DURATION",
		"how long nothing must have been redirected (default 7d)", false },
	[OPT_JSON] = { "json", NULL, "print one JSON object", false },
	[OPT_NAGIOS] = { "nagios", NULL,
		"print one line in the Nagios plugin format (OK ready, WARNING in use)", false },
	[OPT_QUIET] = { "quiet", NULL,
		"print only when the verdict changed since the last --quiet run, or on trouble", false },
	{ NULL, NULL, NULL, false },
};

static int cmd_check(int argc, char **argv);

const struct command command_check = {
	.name = "check",
	.run = cmd_check,
	.synopsis = "[--quiet-for DURATION] [--json | --nagios] [--quiet]",
	.summary = "say whether the old host can be retired (for cron and monitoring)",
	.description =
		"Ready (exit 0) when no connection has been redirected for --quiet-for, the\n"
		"redirect has been on at least that long, and no redirected session is open.\n"
		"Otherwise in use (exit 1), with when the last connection came, from how many\n"
		"sources, for which services, and the earliest it can be ready. Unknown (exit 3)\n"
		"when nothing is enabled, the table is gone, or the kernel cannot be asked.",
	.options = check_options,
};

struct check_args {
	uint64_t quiet_for;
	bool json, nagios, quiet;
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
	case OPT_JSON: a->json = true; break;
	case OPT_NAGIOS: a->nagios = true; break;
	case OPT_QUIET: a->quiet = true; break;
	}
	return err;
}

/* What check found: the verdict and the words for it. */
struct finding {
	struct verdict v;
	bool trouble;			/* unknown because something is wrong */
	char why[512];			/* one sentence */
	unsigned int sources;		/* seen within --quiet-for */
	char services[256];		/* seen within --quiet-for, most recent first */
	int64_t last_seen;		/* seconds ago, or NEVER */
	uint64_t connections;
};

static void unknown(struct finding *f, const char *why)
{
	memset(&f->v, 0, sizeof(f->v));
	f->v.status = VERDICT_UNKNOWN;
	f->last_seen = NEVER;
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

static void explain(struct finding *f, const struct snapshot *s)
{
	char quiet[FORMAT_BUF], req[FORMAT_BUF], ready[FORMAT_BUF], ago[FORMAT_BUF];
	size_t n;

	format_duration((uint64_t)f->v.quiet, quiet, sizeof(quiet));
	format_duration((uint64_t)f->v.required, req, sizeof(req));
	if (f->v.status == VERDICT_READY) {
		snprintf(f->why, sizeof(f->why),
			 "ready to retire this host: nothing redirected for %s (%s required)",
			 quiet, req);
		return;
	}
	if (f->last_seen != NEVER && f->last_seen < f->v.required)
		n = (size_t)snprintf(f->why, sizeof(f->why),
				     "still in use: the last redirected connection came %s ago, from %u source%s (%s)",
				     format_duration((uint64_t)f->last_seen, ago, sizeof(ago)),
				     f->sources, f->sources == 1 ? "" : "s",
				     f->services[0] ? f->services : "a service no longer redirected");
	else if (f->last_seen == NEVER)
		n = (size_t)snprintf(f->why, sizeof(f->why),
				     "still in use: nothing redirected yet, but enabled only %s ago (%s required)",
				     format_duration((uint64_t)(s->now - s->state.since), ago, sizeof(ago)), req);
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

static void decide(struct finding *f, const struct snapshot *s, int64_t required)
{
	const struct stats *st = &s->st;
	int64_t last_at = s->state.history.last_seen;

	if (!s->state.enabled) {
		unknown(f, s->state.draining ? "nothing is enabled (a disabled redirect is draining)" :
			"nothing is enabled");
		return;
	}
	if (!s->installed) {
		f->trouble = true;
		unknown(f, "enabled, but the table is gone from the kernel: a ruleset flush "
			"(nftables.service reload) or a reboot removed it; `redirect restore` puts it back");
		return;
	}
	verdict_decide(s->now, s->state.since, last_at, st->active, required, &f->v);
	f->last_seen = st->last_seen;
	f->connections = st->connections;
	f->sources = recent_sources(st, required);
	recent_services(st, required, f->services, sizeof(f->services));
	explain(f, s);
}

/* ---- output ---- */

static void print_json(const struct finding *f, const struct snapshot *s)
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
	}
	print_str(&p, "message", NULL, f->why);
	print_object_end(&p);
}

/* Nagios: the exit statuses already mean OK, WARNING and UNKNOWN. */
static void print_nagios(const struct finding *f)
{
	static const char *const words[] = {
		[VERDICT_READY] = "OK", [VERDICT_IN_USE] = "WARNING", [VERDICT_UNKNOWN] = "UNKNOWN",
	};

	printf("REDIRECT %s - %s", words[f->v.status], f->why);
	if (f->v.status != VERDICT_UNKNOWN)
		printf(" | connections=%" PRIu64 ";; quiet_seconds=%" PRId64 ";%" PRId64 "; sources=%u;; open=%" PRIu64 ";;",
		       f->connections, f->v.quiet, f->v.required, f->sources, f->v.open);
	printf("\n");
}

static int status_exit(enum verdict_status status)
{
	return status == VERDICT_READY ? EXIT_DONE : status == VERDICT_IN_USE ? EXIT_FAILED : EXIT_UNKNOWN;
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
	struct errmsg ignored;

	if (changed && s->locked) {
		snprintf(s->state.reported, sizeof(s->state.reported), "%s", now);
		state_write(dir, &s->state, &ignored);
	}
	return changed || f->trouble;
}

static int report(const struct check_args *a, struct finding *f, struct snapshot *s,
		  struct state_dir *dir)
{
	if (a->json)
		print_json(f, s);
	else if (a->nagios)
		print_nagios(f);
	else if (!a->quiet || worth_saying(s, dir, f))
		printf("redirect: %s.\n", f->why);
	return status_exit(f->v.status);
}

static int run(const struct check_args *a, struct finding *f, struct snapshot *s)
{
	struct state_dir dir = { .fd = -1, .lock_fd = -1 };
	struct errmsg e = { "" };
	struct nft_sock nft = { 0 };
	int rc;

	if (caps_keep_net_admin(&e) ||
	    state_dir_open(&dir, state_dir_path(globals.state_dir), false, &e) ||
	    nft_open(&nft, &e) || snapshot_take(&dir, &nft, s, &e)) {
		unknown(f, e.text);
		f->trouble = true;
	} else {
		decide(f, s, (int64_t)a->quiet_for);
	}
	f->v.required = (int64_t)a->quiet_for;
	rc = report(a, f, s, &dir);
	snapshot_release(&dir, s);
	stats_free(&s->st);
	nft_close(&nft);
	state_dir_close(&dir);
	return rc;
}

static int cmd_check(int argc, char **argv)
{
	static struct snapshot snap;
	static struct finding f;
	struct check_args a = { .quiet_for = QUIET_FOR_DEFAULT };
	struct errmsg e = { "" };
	int rc = cli_parse(&command_check, argc, argv, on_option, &a, &e);

	if (rc)
		return rc == 1 ? EXIT_DONE : cli_fail(&command_check, EXIT_USAGE, &e);
	if (a.json && a.nagios) {
		errmsg_set(&e, -EINVAL, "--json and --nagios exclude each other");
		return cli_fail(&command_check, EXIT_USAGE, &e);
	}
	return run(&a, &f, &snap);
}
