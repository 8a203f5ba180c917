// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * redirect disable: remove everything enable installed, without cutting
 * the sessions it redirected. While some are open, new connections stop
 * being redirected at once but the open ones keep their NAT; the table
 * goes when they have closed (waiting up to --wait), or with --now.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/accounts.h"
#include "nft/firewall.h"
#include "core/install.h"
#include "kernel/conntrack.h"
#include "core/observe.h"
#include "core/tunnel.h"
#include "lib/format.h"

#define WAIT_DEFAULT 30
#define POLL_MS 200

enum { OPT_WAIT, OPT_NOW, OPT_FORCE };

static const struct option_def disable_options[] = {
	[OPT_WAIT] = { "wait", "DURATION",
		"how long to wait for redirected sessions to close", false },
	[OPT_NOW] = { "now", NULL,
		"remove everything at once, cutting redirected sessions still open", false },
	[OPT_FORCE] = { "force", NULL,
		"on the new server: remove the tunnel's end even though the old server sent "
		"connections through it recently", false },
	{ NULL, NULL, NULL, false },
};

static int cmd_disable(int argc, char **argv);

static const char *default_of(int index, char *buf, size_t len)
{
	return index == OPT_WAIT ? cli_default_duration(WAIT_DEFAULT, buf, len) : NULL;
}

const struct command command_disable = {
	.name = "disable",
	.run = cmd_disable,
	.synopsis = "[--wait DURATION | --now] [--force]",
	.summary = "remove the redirect and put forwarding back",
	.description =
		"Deletes the table inet mail_redirect in one transaction and puts IP forwarding\n"
		"and the settings that came with it back as they were. Redirected sessions\n"
		"still open are not cut: new connections stop being redirected at once, the\n"
		"open ones keep their NAT until they close (up to --wait), then the table goes.\n"
		"On the new server it refuses while the old server still sends connections\n"
		"through the tunnel (the last within a week), unless --force.\n"
		"Nothing enabled is not an error.",
	.options = disable_options,
	.default_of = default_of,
};

struct disable_args {
	uint64_t wait;
	bool wait_given, now, force;
};

static int on_option(int index, const char *value, void *data, struct errmsg *e)
{
	struct disable_args *a = data;
	int err = 0;

	if (index == OPT_NOW)
		a->now = true;
	else if (index == OPT_FORCE)
		a->force = true;
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

static bool knock(struct session *ss);

/*
 * The redirected sessions open now, less those through a tunnel whose
 * other end is gone: when our table says its host refused the tunnel, our
 * own knock must be refused too (a forged refusal ends no session).
 */
static int count_open(struct session *ss, unsigned int *open, struct errmsg *e)
{
	bool claimed;
	int err = observe_open(&ss->nft, &ss->state.spec, false, open, &claimed, e);

	if (err || !*open || !claimed || !knock(ss))
		return err;
	return observe_open(&ss->nft, &ss->state.spec, true, open, &claimed, e);
}

/*
 * Polls until no redirected session lives or @seconds pass: open in
 * conntrack, and not through a tunnel whose other end is gone.
 */
static int wait_for_close(struct session *ss, uint64_t seconds, unsigned int *open,
			  struct errmsg *e)
{
	const struct timespec pause = { 0, POLL_MS * 1000000L };
	double deadline = now_seconds() + (double)seconds;
	int err;

	while (!(err = count_open(ss, open, e)) && *open && now_seconds() < deadline)
		nanosleep(&pause, NULL);
	return err;
}

/* Each setting of @left as "name = now", then the one sysctl(8) call that puts them back. */
static void print_settings(const struct sysctl_log *left)
{
	char name[SYSCTL_PATH_MAX];
	unsigned int i;

	for (i = 0; i < left->n; i++) {
		sysctl_name(left->r[i].path, name, sizeof(name));
		printf("    %s = %d\n", name, left->r[i].after);
	}
	printf("  This puts them back:\n    sysctl -w");
	for (i = 0; i < left->n; i++) {
		sysctl_name(left->r[i].path, name, sizeof(name));
		printf(" %s=%d", name, left->r[i].before);
	}
	printf("\n");
}

/* The settings enable recorded, and those of them not as before: large, off the stack. */
struct settings {
	struct sysctl_log recorded, left;
};

/* "As before" only when each setting reads what it did before enable. */
static void report_settings(const struct session *ss, struct settings *s, bool was_installed)
{
	const char *table = was_installed ? "the table is gone" : "the table was gone already";

	if (ss->salvaged == SALVAGE_BLIND) {
		sysctl_maybe_switched(&s->left);
		if (!s->left.n) {
			printf("redirect: disabled; %s, and no forwarding setting is on.\n", table);
			return;
		}
		printf("redirect: disabled; %s. With no record of the settings before enable,\n"
		       "  these are left as they are (enable may have switched them):\n", table);
		print_settings(&s->left);
		return;
	}
	sysctl_not_as_before(&s->recorded, &s->left);
	if (!s->left.n) {
		printf("redirect: disabled; %s, the forwarding settings are back as before.\n",
		       table);
		return;
	}
	printf("redirect: disabled; %s, but these settings are not as they were before\n"
	       "  enable (changed since by someone else, so left alone):\n", table);
	print_settings(&s->left);
}

/* Says what became of a damaged state before going on without it. */
static int set_damage_aside(struct session *ss, struct errmsg *e)
{
	int moved;

	if (ss->salvaged == SALVAGE_NONE)
		return 0;
	moved = state_set_aside(&ss->dir, e);
	if (moved < 0)
		return moved;
	fprintf(stderr, "redirect disable: %s\n", ss->damage);
	fprintf(stderr, "redirect disable: %s%s%s%s.\n",
		ss->salvaged == SALVAGE_LAST_GOOD ?
		"going on with the last good state, " STATE_LAST_GOOD_FILE :
		"there is no good copy either: removing the table and naming what is left",
		moved ? "; the damaged one is kept as " : "", moved ? ss->dir.path : "",
		moved ? "/" STATE_DAMAGED_FILE : "");
	if (ss->salvaged == SALVAGE_BLIND)
		ss->state.tunnel = true;	/* ours goes if it is there; nothing else does */
	return 0;
}

/* A rule the admin added so the redirect passes their firewall: nothing needs it now. */
static void remind_of(const struct remedy *r, void *data)
{
	const char *fam = r->family == NFPROTO_IPV4 ? "ip" : r->family == NFPROTO_IPV6 ? "ip6" :
			  r->family == NFPROTO_INET ? "inet" : "?";

	(void)data;
	printf("  The rule that let the redirect through table %s %s, chain %s, is still there;\n"
	       "  nothing needs it now. This removes it:\n", fam, r->table, r->chain);
	if (r->iptables)
		printf("    %s -D %s -m connmark --mark 0x%x/0x%x -j ACCEPT\n",
		       r->family == NFPROTO_IPV6 ? "ip6tables" : "iptables", r->chain, CT_MARK_BIT,
		       CT_MARK_BIT);
	else
		printf("    nft delete rule %s %s %s handle %" PRIu64 "\n", fam, r->table, r->chain,
		       r->handle);
	if (!strncmp(r->chain, "ufw", 3))
		printf("  and its line in /etc/ufw/before%s.rules.\n",
		       r->family == NFPROTO_IPV6 ? "6" : "");
}

static int finish_with(struct session *ss, struct settings *s)
{
	bool anything = state_records_anything(&ss->state) || ss->salvaged != SALVAGE_NONE;
	struct errmsg e = { "" };
	bool was_installed;
	int removed;

	if (set_damage_aside(ss, &e))
		return cli_fail(&command_disable, EXIT_FAILED, &e);
	s->recorded = ss->state.sysctls;
	if (uninstall(ss, &was_installed, &e))
		return cli_fail(&command_disable, EXIT_FAILED, &e);
	/* who came through the redirect: for the migration only, gone with it */
	removed = accounts_remove(&ss->dir, &e);
	if (removed < 0)
		fprintf(stderr, "redirect disable: warning: %s\n", e.text);
	if (!was_installed && !anything) {
		if (removed > 0)
			printf("redirect: nothing was enabled; removed the accounts a run left in "
			       "%s/%s.\n", ss->dir.path, ACCOUNTS_FILE);
		else
			printf("redirect: nothing was enabled; nothing changed.\n");
		return EXIT_DONE;
	}
	report_settings(ss, s, was_installed);
	firewall_remedies(&ss->nft, remind_of, NULL, &e);	/* a reminder: no failure */
	return EXIT_DONE;
}

static int finish(struct session *ss)
{
	struct settings *s = malloc(sizeof(*s));
	struct errmsg e = { "" };
	int rc;

	if (!s) {
		errmsg_set(&e, -ENOMEM, "out of memory");
		return cli_fail(&command_disable, EXIT_FAILED, &e);
	}
	rc = finish_with(ss, s);
	free(s);
	return rc;
}

/*
 * Whether the tunnel's other end is gone, asked once (a quarter of a
 * second at most), when the answer matters: its host refused our own
 * knock. Only that counts (a refusal in our table may be forged); silence
 * is no refusal.
 */
static bool knock(struct session *ss)
{
	struct errmsg ignored;
	struct tunnel t;
	bool refused = false;

	if (spec_tunnel(&ss->state.spec) && !tunnel_plan(&ss->rtnl, &ss->state.spec, &t, &ignored))
		tunnel_knock(&t, &refused);
	return refused;
}

/*
 * NEW: when the old server last sent a connection through the tunnel, and
 * from whom. Its end may still be redirecting: this end must not vanish
 * under it unasked (OLD would see every redirected connection fail).
 */
static int refuse_if_in_use(struct session *ss, const struct disable_args *a)
{
	char peer[ADDRESS_STRLEN], client[ADDRESS_STRLEN], ago[FORMAT_BUF];
	struct tunnel_use u;
	struct errmsg e = { "" };

	if (a->force || ss->state.spec.role != ROLE_NEW || !ss->view.exists ||
	    !ss->state.enabled)
		return 0;
	if (observe_tunnel_use(&ss->nft, &ss->state, &u, &e))
		return cli_fail(&command_disable, EXIT_FAILED, &e);
	if (u.last_ago == NEVER || u.last_ago >= TUNNEL_IN_USE_WITHIN)
		return 0;
	if (knock(ss))	/* its redirect off, its end gone */
		return 0;
	address_str(spec_peer(&ss->state.spec), peer);
	format_duration((uint64_t)u.last_ago, ago, sizeof(ago));
	if (u.client.family)
		errmsg_set(&e, -EBUSY, "the old server %s sent a connection through the tunnel %s "
			   "ago (from %s, %s): its redirect is on, and removing this end makes "
			   "every connection it redirects fail. Run `redirect disable` there "
			   "first, or give --force", peer, ago, address_str(&u.client, client),
			   u.service);
	else
		errmsg_set(&e, -EBUSY, "the old server %s sent a connection through the tunnel %s "
			   "ago: its redirect is on, and removing this end makes every connection "
			   "it redirects fail. Run `redirect disable` there first, or give --force",
			   peer, ago);
	return cli_fail(&command_disable, EXIT_FAILED, &e);
}

static int disable(struct session *ss, const struct disable_args *a)
{
	struct errmsg e = { "" };
	unsigned int open = 0;
	bool claimed;
	int rc = refuse_if_in_use(ss, a);

	if (rc)
		return rc;
	/* by the mark: counters of services switched away, or of a table put back, are gone */
	if (!a->now && ss->view.exists &&
	    observe_open(&ss->nft, &ss->state.spec, false, &open, &claimed, &e))
		return cli_fail(&command_disable, EXIT_FAILED, &e);
	/* open through a tunnel whose other end is gone (our knock refused): over */
	if (open && knock(ss) &&
	    observe_open(&ss->nft, &ss->state.spec, true, &open, &claimed, &e))
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
	if (wait_for_close(ss, a->wait, &open, &e))
		return cli_fail(&command_disable, EXIT_FAILED, &e);
	if (!open)
		return finish(ss);
	printf("redirect: not finished: %u session%s still open and keep%s working; new\n"
	       "  connections are no longer redirected. The redirect is gone once `redirect "
	       "disable`\n  runs again after they have closed, or `redirect disable --now` "
	       "cuts them.\n", open, open == 1 ? " is" : "s are", open == 1 ? "s" : "");
	return EXIT_DRAINING;
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
	if (session_begin(&ss, globals.state_dir, SESSION_LOCK | SESSION_SALVAGE, cli_say_waiting,
			  &command_disable, &e))
		return cli_fail(&command_disable, EXIT_FAILED, &e);
	rc = disable(&ss, &a);
	session_close(&ss);
	return rc;
}
