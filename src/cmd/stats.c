// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * redirect stats: who still uses the old address, for which service, and
 * when the last one came. Counters give totals, the stale-source sets give
 * who and when, conntrack (filtered by our mark in the kernel) gives what
 * is open now; the state file keeps last-seen times the kernel forgot.
 * On NEW it also reads the mail log for the accounts that came through.
 * This file holds the options, one look, --watch's loop and --output; the
 * printers are stats_text.c, stats_prom.c and stats_watch.c (and
 * cli/print_accounts.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/atomic_file.h"
#include "dns/ptr_cache.h"
#include "core/account_feed.h"
#include "core/observe.h"
#include "core/session.h"
#include "cli/cli.h"
#include "cli/print.h"
#include "cli/report.h"
#include "cmd/stats_prom.h"
#include "cmd/stats_text.h"
#include "cmd/stats_watch.h"

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
		"list at most N stale sources", false },
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

static const char *default_of(int index, char *buf, size_t len)
{
	if (index != OPT_SOURCES)
		return NULL;
	snprintf(buf, len, "%d in text, all in JSON", SOURCES_TEXT_DEFAULT);
	return buf;
}

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
	.default_of = default_of,
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

struct stats_run {
	struct stats_args args;
	struct accounts accounts;		/* on NEW: who came through */
	struct account_read accounts_read;	/* ... and what this look read */
	struct accounts_look look;		/* both, for the printers; NULL on OLD */
	const struct accounts_look *shown;
	bool source_unread_said;		/* the note that --mail-log is not read here */
	struct name_cache names;
	struct session ss;
	struct snapshot snap;
	struct watch watch;
	bool tty;
};

/* How many stale sources a look lists: all of them in JSON, unless --sources. */
static uint64_t sources_shown(const struct stats_args *a)
{
	if (a->sources_given)
		return a->sources;
	return a->json ? UINT64_MAX : SOURCES_TEXT_DEFAULT;
}

/* One look rendered to @f; returns the exit status that look deserves. */
static int render_to(struct stats_run *r, FILE *f)
{
	bool terminal = r->tty && !r->args.json && !r->args.output;
	struct printer p;
	int rc;

	if (r->args.prometheus) {
		rc = stats_render_prometheus(f, &r->snap, r->args.quiet_for,
					     r->shown ? r->shown->accounts : NULL);
	} else if (r->args.watch && !terminal && !r->args.json && !r->args.output) {
		watch_line(f, &r->snap);
		rc = EXIT_DONE;
	} else {
		if (r->args.watch && terminal)
			fputs("\033[H\033[2J", f);
		printer_init(&p, f, r->args.json, terminal && !getenv("NO_COLOR"));
		rc = stats_render(&p, &r->snap, sources_shown(&r->args), r->args.names,
				  r->args.watch ? &r->watch.rates : NULL, r->shown);
	}
	fflush(f);
	return rc;
}

/*
 * --output: rendered in memory, then the file replaced whole, so that a
 * collector never reads half of it. Sets *@status as render_to returns it.
 * JSON on NEW names accounts, addresses and mail programs, which are for
 * root's eyes only: that file is 0600; every other one 0644 (Prometheus
 * only counts the accounts).
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
	err = atomic_file_write(AT_FDCWD, path, tmp, buf, len,
				r->args.json && r->shown ? 0600 : 0644, false);
	free(buf);
	if (err)
		return errmsg_set(e, err, "cannot write %s: %s", path, strerror(-err));
	return 0;
}

/* The names of the sources this look shows, a few at a time; the cache keeps them. */
static void look_up_names(struct stats_run *r)
{
	struct address addrs[NAMES_PER_LOOK];
	const struct stats *st = &r->snap.st;
	uint64_t limit = r->args.sources_given ? r->args.sources :
			 r->args.json ? NAMES_PER_LOOK : SOURCES_TEXT_DEFAULT;
	unsigned int i, n = 0;

	for (i = 0; i < st->nsources && i < limit && n < NAMES_PER_LOOK; i++)
		addrs[n++] = st->sources[i].addr;
	names_resolve(&r->names, addrs, n, r->snap.now);
	names_save(r->ss.dir.fd, &r->names);
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

/* A log named on a host that lists no accounts is not read: say so, not nothing. */
static void warn_unread_source(struct stats_run *r)
{
	const char *option = r->args.mail.mail_log ? "--mail-log" :
			     r->args.mail.journal_dir ? "--journal-dir" : NULL;

	if (!option || r->source_unread_said)
		return;
	r->source_unread_said = true;	/* once, not at every --watch refresh */
	fprintf(stderr, "redirect stats: note: %s is not read here: the accounts are "
		"listed on the new server, after `redirect accept` (this host has not "
		"run it).\n", option);
}

/*
 * On NEW: what is new in the mail log, into the accounts, under the state
 * lock the snapshot took (see accounts_update); without it (another run
 * has it) the accounts known are shown and the log is left for the next
 * run. A log that cannot be read is said in the section; an accounts file
 * that cannot be written is a warning, as a state that cannot be saved is.
 */
static void read_accounts(struct stats_run *r)
{
	const struct snapshot *s = &r->snap;
	struct address *stale = calloc(s->st.nsources + 1, sizeof(*stale));
	struct errmsg e = { "" };
	unsigned int i;
	int err;

	r->shown = NULL;
	if (!stale || !s->state.enabled || s->state.spec.role != ROLE_NEW || !s->installed) {
		warn_unread_source(r);
		free(stale);
		return;
	}
	for (i = 0; i < s->st.nsources; i++)
		stale[i] = s->st.sources[i].addr;
	if (s->locked)
		err = accounts_update(&r->ss.dir, &r->accounts, &r->args.mail, stale,
				      s->st.nsources, s->state.spec.tunnel_id, s->now,
				      s->state.spec.remember, &r->accounts_read, &e);
	else
		err = accounts_known(&r->ss.dir, &r->accounts, s->now, s->state.spec.remember,
				     CLI_LOG_NOT_READ, &r->accounts_read, &e);
	if (err)
		fprintf(stderr, "redirect stats: warning: %s\n", e.text);
	free(stale);
	r->look.accounts = &r->accounts;
	r->look.read = &r->accounts_read;
	r->shown = &r->look;
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
	if (!rc)
		read_accounts(r);	/* under the lock the snapshot took */
	snapshot_release(&r->ss.dir, &r->snap);
	if (rc)
		return cli_fail(&command_stats, EXIT_FAILED, &e);
	cli_warn_unsaved(&command_stats, &r->snap);
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
	struct timespec pause = { (time_t)r->args.watch, 0 };
	int rc = EXIT_DONE;

	watch_catch_signals();
	while (!watch_stopped()) {
		rc = look(r);
		if (rc == EXIT_FAILED && !r->snap.state.enabled && r->snap.installed)
			break;
		while (!watch_stopped() && nanosleep(&pause, &pause) && errno == EINTR)
			;
		pause.tv_sec = (time_t)r->args.watch;
	}
	if (r->tty && !r->args.json)
		fputc('\n', stdout);
	return watch_stopped() ? EXIT_DONE : rc;
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

static int run(struct stats_run *r)
{
	struct errmsg e = { "" };
	int rc;

	if (session_begin_readonly(&r->ss, globals.state_dir, &e))
		return cli_fail(&command_stats, EXIT_FAILED, &e);
	r->tty = isatty(STDOUT_FILENO);
	if (!r->args.numeric) {
		const char *kind = "";

		/* one that is no regular file: the look's state_read refuses it, named */
		names_load(r->ss.dir.fd, &r->names, (int64_t)time(NULL), &kind);
		r->args.names = &r->names;
	}
	rc = r->args.watch ? watch_loop(r) : look(r);
	accounts_free(&r->accounts);
	snapshot_free(&r->snap);
	session_close(&r->ss);
	return rc;
}

static int cmd_stats(int argc, char **argv)
{
	struct stats_run *r = calloc(1, sizeof(*r));	/* large: off the stack */
	struct errmsg e = { "" };
	int rc;

	if (!r) {
		errmsg_set(&e, -ENOMEM, "out of memory");
		return cli_fail(&command_stats, EXIT_FAILED, &e);
	}
	rc = cli_parse(&command_stats, argc, argv, on_option, &r->args, &e);
	if (rc)
		rc = cli_parse_status(&command_stats, rc, &e);
	else if (check_args(&r->args, &e))
		rc = cli_fail(&command_stats, EXIT_USAGE, &e);
	else
		rc = run(r);
	free(r);
	return rc;
}
