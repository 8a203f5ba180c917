// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * redirect disable: remove everything enable installed, without cutting
 * the sessions it redirected. While some are open, new connections stop
 * being redirected at once but the open ones keep their NAT; the table
 * goes when they have closed (waiting up to --wait), or with --now.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "install.h"
#include "ct.h"

#define WAIT_DEFAULT 30
#define POLL_MS 200

enum { OPT_WAIT, OPT_NOW };

static const struct option_def disable_options[] = {
	[OPT_WAIT] = { "wait", "DURATION",
		"how long to wait for redirected sessions to close (default 30s)", false },
	[OPT_NOW] = { "now", NULL,
		"remove everything at once, cutting redirected sessions still open", false },
	{ NULL, NULL, NULL, false },
};

static int cmd_disable(int argc, char **argv);

const struct command command_disable = {
	.name = "disable",
	.run = cmd_disable,
	.synopsis = "[--wait DURATION | --now]",
	.summary = "remove the redirect and put forwarding back",
	.description =
		"Deletes the table inet mail_redirect in one transaction and puts IP forwarding\n"
		"and the settings that came with it back as they were. Redirected sessions\n"
		"still open are not cut: new connections stop being redirected at once, the\n"
		"open ones keep their NAT until they close (up to --wait), then the table goes.\n"
		"Nothing enabled is not an error.",
	.options = disable_options,
};

struct disable_args {
	uint64_t wait;
	bool wait_given, now;
};

static int on_option(int index, const char *value, void *data, struct errmsg *e)
{
	struct disable_args *a = data;
	int err = 0;

	if (index == OPT_NOW)
		a->now = true;
	else if ((err = parse_duration(value, &a->wait, e)))
		errmsg_prefix(e, "--wait");
	else
		a->wait_given = true;
	return err;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Polls conntrack until no redirected flow is open or @seconds pass. */
static int wait_for_close(uint64_t seconds, unsigned int *open, struct errmsg *e)
{
	const struct timespec pause = { 0, POLL_MS * 1000000L };
	double deadline = now_seconds() + (double)seconds;
	int err;

	while (!(err = ct_count_open(open, e)) && *open && now_seconds() < deadline)
		nanosleep(&pause, NULL);
	return err;
}

static int finish(struct session *ss)
{
	bool recorded = state_records_anything(&ss->state);
	struct errmsg e = { "" };
	bool was_installed;

	if (uninstall(ss, &was_installed, &e))
		return cli_fail(&command_disable, EXIT_FAILED, &e);
	if (was_installed)
		printf("redirect: disabled; the table and the forwarding settings are back as "
		       "before.\n");
	else if (recorded)	/* a flushed ruleset, or a disable that was killed */
		printf("redirect: disabled; the table was gone already, the forwarding settings "
		       "are back as before.\n");
	else
		printf("redirect: nothing was enabled; nothing changed.\n");
	return EXIT_DONE;
}

static int disable(struct session *ss, const struct disable_args *a)
{
	struct errmsg e = { "" };
	unsigned int open = 0;

	if (!a->now && ss->view.exists && ct_count_open(&open, &e))
		return cli_fail(&command_disable, EXIT_FAILED, &e);
	if (!open)
		return finish(ss);
	if (ss->state.spec.role == ROLE_NEW) {	/* NEW: nothing to drain, the tunnel stays */
		printf("redirect: %u session%s through the tunnel still open;\n"
		       "  waiting up to %llus for %s to close (--now cuts them)...\n",
		       open, open == 1 ? " is" : "s are", (unsigned long long)a->wait,
		       open == 1 ? "it" : "them");
	} else {
		if (!ss->state.draining && drain(ss, &e))
			return cli_fail(&command_disable, EXIT_FAILED, &e);
		printf("redirect: new connections are no longer redirected. %u redirected "
		       "session%s still open;\n"
		       "  waiting up to %llus for %s to close (--now cuts them)...\n",
		       open, open == 1 ? " is" : "s are", (unsigned long long)a->wait,
		       open == 1 ? "it" : "them");
	}
	fflush(stdout);
	if (wait_for_close(a->wait, &open, &e))
		return cli_fail(&command_disable, EXIT_FAILED, &e);
	if (!open)
		return finish(ss);
	printf("redirect: %u session%s still open and keep%s working. Run `redirect disable` "
	       "again\n"
	       "  to finish once they have closed, or `redirect disable --now` to cut them.\n",
	       open, open == 1 ? " is" : "s are", open == 1 ? "s" : "");
	return EXIT_DONE;
}

static int cmd_disable(int argc, char **argv)
{
	struct disable_args a = { .wait = WAIT_DEFAULT };
	struct errmsg e = { "" };
	struct session ss;
	int rc = cli_parse(&command_disable, argc, argv, on_option, &a, &e);

	if (rc)
		return cli_parse_status(&command_disable, rc, &e);
	if (a.now && a.wait_given) {
		errmsg_set(&e, -EINVAL, "--wait and --now exclude each other");
		return cli_fail(&command_disable, EXIT_USAGE, &e);
	}
	if (session_begin(&ss, globals.state_dir, SESSION_LOCK, cli_say_waiting, &command_disable,
			  &e))
		return cli_fail(&command_disable, EXIT_FAILED, &e);
	rc = disable(&ss, &a);
	session_close(&ss);
	return rc;
}
