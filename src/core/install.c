// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The order of enable and restore, chosen so that a run killed at any
 * moment leaves something the next run can finish or undo: the ruleset
 * changes in one transaction (all or nothing); the state file says what
 * is about to happen before it happens ("pending"), including the
 * settings to put back, and is marked done after.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/history.h"
#include "core/install.h"
#include "core/switch_sessions.h"
#include "nft/ruleset.h"
#include "nft/view.h"
#include "core/tunnel.h"
#include "kernel/conntrack.h"

#ifndef ERESTART
#define ERESTART 85
#endif
#define COMMIT_TRIES 3

static const int families[] = { AF_INET, AF_INET6 };

/*
 * OLD forwards the families it redirects, and both while a tunnel a switch
 * left carries sessions (of either family); NEW forwards nothing.
 */
static bool forwards(const struct spec *spec, int family)
{
	return spec->role == ROLE_OLD && (spec_uses(spec, family) || spec->has_previous);
}

static unsigned int bit(int family)
{
	return family == AF_INET ? 1U : 2U;
}

/* How our table is built: as a spec has it, drained, its guards alone, or none. */
enum table_kind { TABLE_NONE, TABLE_FULL, TABLE_DRAIN, TABLE_GUARDS };

static int build(const struct session *ss, const struct spec *spec, enum table_kind kind,
		 struct ops *ops)
{
	switch (kind) {
	case TABLE_FULL: return ruleset_build(spec, &ss->view, ops);
	case TABLE_DRAIN: return ruleset_build_drain(spec, &ss->view, ops);
	case TABLE_GUARDS: return ruleset_build_guards(spec, &ss->view, ops);
	default: return ruleset_build_delete(ops);
	}
}

/*
 * One transaction making the table @kind of @spec (none: deleting it,
 * which is done when it is gone already). Another commit follows when
 * @again: the view is read anew for it.
 */
static int commit_as(struct session *ss, const struct spec *spec, enum table_kind kind,
		     bool dry_run, bool again, struct errmsg *e)
{
	struct ops ops;
	int err = 0, tries;

	for (tries = 0; tries < COMMIT_TRIES; tries++) {
		build(ss, spec, kind, &ops);
		err = nft_commit(&ss->nft, &ops, kind == TABLE_NONE ? 0 : ss->genid, dry_run, e);
		ops_free(&ops);
		if (kind == TABLE_NONE && err == -ENOENT)
			err = 0;
		if (err != -ERESTART)
			break;
		/* someone changed the ruleset since we read it: read again */
		err = view_read(&ss->nft, &ss->view, &ss->genid, e);
		if (err)
			break;
		err = -ERESTART;
	}
	if (!err && again && !dry_run)
		err = view_read(&ss->nft, &ss->view, &ss->genid, e);
	return err;
}

static int commit(struct session *ss, const struct spec *spec, bool dry_run, struct errmsg *e)
{
	return commit_as(ss, spec, TABLE_FULL, dry_run, false, e);
}

int install_dry_run(struct session *ss, const struct spec *spec, struct errmsg *e)
{
	return commit(ss, spec, true, e);
}

static void note_ra(const struct sysctl_log *log, unsigned int from, struct install_report *r)
{
	unsigned int i;
	size_t used = strlen(r->ra_kept);

	for (i = from; i < log->n && used + 20 < sizeof(r->ra_kept); i++) {
		const char *p = log->r[i].path, *slash;

		if (strncmp(p, "net/ipv6/conf/", 14) || log->r[i].after != 2)
			continue;
		slash = strchr(p + 14, '/');
		if (!slash || strcmp(slash, "/accept_ra"))
			continue;
		used += (size_t)snprintf(r->ra_kept + used, sizeof(r->ra_kept) - used, "%s%.*s",
					 used ? ", " : "", (int)(slash - (p + 14)), p + 14);
	}
}

static int plan_forwarding(const struct spec *spec, struct state *next, unsigned int *newly,
			   struct install_report *r, struct errmsg *e)
{
	unsigned int i;
	int err;

	*newly = 0;
	for (i = 0; i < 2; i++) {
		unsigned int before = next->sysctls.n;

		if (!forwards(spec, families[i]) ||
		    forwarding_recorded(&next->sysctls, families[i]))
			continue;
		err = forwarding_plan(families[i], &next->sysctls, e);
		if (err)
			return err;
		if (forwarding_recorded(&next->sysctls, families[i])) {
			*newly |= bit(families[i]);
			note_ra(&next->sysctls, before, r);
		}
	}
	return 0;
}

/* Forwarding on for the families in use; @switched says where it was off. */
static int apply_forwarding(const struct spec *spec, const struct state *next,
			    unsigned int *switched, struct errmsg *e)
{
	unsigned int i;
	int rc;

	*switched = 0;
	for (i = 0; i < 2; i++) {
		if (!forwards(spec, families[i]))
			continue;
		rc = forwarding_apply(families[i], &next->sysctls, e);
		if (rc < 0)
			return rc;
		if (rc > 0)
			*switched |= bit(families[i]);
	}
	return 0;
}

static int own_link_up(struct session *ss, const struct spec *spec, struct errmsg *e);

/*
 * The links as the state names them again: those it does not name gone,
 * its own as it has it (on NEW, where the link keeps its name, this run
 * may have remade it with another tunnel id).
 */
static int links_as_recorded(struct session *ss, struct errmsg *e)
{
	int err = tunnel_sweep(&ss->rtnl, &ss->state.spec, e);

	return err ? err : own_link_up(ss, &ss->state.spec, e);
}

/*
 * Undo what this run switched on (@families) and the tunnel it built (one
 * the state did not know of before), then the table as it was (@g), and
 * put the old state file back.
 */
static void roll_back(struct session *ss, struct state *next, unsigned int switched_on,
		      const struct link_guard *g)
{
	struct errmsg ignored;
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (switched_on & bit(families[i]))
			forwarding_restore(families[i], &next->sysctls, true, &ignored);
	if (next->tunnel && !ss->state.tunnel && tunnel_down(&ss->rtnl, &ignored))
		ss->state.tunnel = true;	/* still there: disable must know of it */
	else if (!ss->state.tunnel || !links_as_recorded(ss, &ignored))
		install_unguard(ss, g, &ignored);	/* a link still there keeps its guards */
	state_write(&ss->dir, &ss->state, &ignored);
}

/* @resume: the previous run stopped half-way (see forwarding_restore). */
static int restore_unused(const struct spec *spec, struct state *next, bool resume,
			  struct install_report *r, struct errmsg *e)
{
	unsigned int i;
	int err;

	for (i = 0; i < 2; i++) {
		if (forwards(spec, families[i]) ||
		    !forwarding_recorded(&next->sysctls, families[i]))
			continue;
		err = forwarding_restore(families[i], &next->sysctls, resume, e);
		if (err)
			return err;
		r->forwarding_off |= bit(families[i]);
	}
	return 0;
}

/* ---- the tunnel (--keep-client-address on OLD, accept on NEW) ---- */

int install_adopt(struct session *ss, struct spec *spec, struct errmsg *e)
{
	unsigned int n = 0;
	int err = switch_check_clash(&ss->state, spec, e);

	if (err)
		return err;
	tunnel_adopt(&ss->state, spec);
	if (!spec->has_previous)
		return 0;
	if (!spec->masquerade && (err = switch_sessions_through(spec->previous.id, &n, e)))
		return err;
	spec->has_previous = !spec->masquerade && n;	/* no session left: it goes */
	return 0;
}

static int end_sessions(const struct state *before, const struct spec *spec,
			struct install_report *r, struct errmsg *e)
{
	return switch_end_sessions(before, spec, &r->ended_masquerade, &r->ended_tunnel, e);
}

/* ---- the links, never up without their guards ---- */

/* The links the state says may be there, by the spec that names them; NULL: none. */
static const struct spec *recorded_links(const struct state *st)
{
	return st->tunnel ? &st->spec : NULL;
}

/* The table as the state has it (view: whether there is one at all). */
static enum table_kind recorded_table(const struct session *ss)
{
	const struct state *st = &ss->state;

	if (!ss->view.exists)
		return TABLE_NONE;
	if (st->enabled)
		return TABLE_FULL;
	if (st->draining)
		return TABLE_DRAIN;
	return st->pending && spec_links(&st->spec) ? TABLE_GUARDS : TABLE_NONE;
}

/* @spec with the tunnel @id to @peer over @link guarded beside its own. */
static void guard_also(struct spec *spec, uint32_t id, const struct address *peer,
		       const char *link)
{
	struct spec_tunnel *g = &spec->guarded[spec->nguarded++];

	g->id = id;
	g->peer = *peer;
	snprintf(g->link, sizeof(g->link), "%s", link);
}

int install_guard_link(struct session *ss, const struct spec *spec, struct link_guard *g,
		       struct errmsg *e)
{
	const struct spec *recorded = recorded_links(&ss->state);
	struct spec *with;
	struct tunnel t;
	int err = tunnel_sweep_strays(&ss->rtnl, recorded, spec, e);

	memset(g, 0, sizeof(*g));
	if (err || !spec_tunnel(spec))
		return err;
	err = tunnel_plan(&ss->rtnl, spec, &t, e);
	if (err || tunnel_there(&ss->rtnl, &t))
		return err;
	/*
	 * A link of ours of that name going elsewhere (another id: a killed
	 * probe's, or on NEW the tunnel this accept replaces) goes first,
	 * while the table still guards it: the commit below guards only
	 * what is to come up.
	 */
	err = tunnel_remove(&ss->rtnl, t.link, e);
	if (err)
		return err;
	with = malloc(sizeof(*with));	/* large: off the stack */
	if (!with)
		return errmsg_set(e, -ENOMEM, "out of memory");
	g->before = recorded_table(ss);
	*with = g->before == TABLE_NONE ? *spec : ss->state.spec;
	if (g->before != TABLE_NONE)
		guard_also(with, spec->tunnel_id, spec_peer(spec), t.link);
	err = commit_as(ss, with, g->before == TABLE_NONE ? TABLE_GUARDS : g->before, false,
			true, e);
	g->committed = !err;
	free(with);
	return err;
}

int install_unguard(struct session *ss, const struct link_guard *g, struct errmsg *e)
{
	if (!g->committed)
		return 0;
	return commit_as(ss, &ss->state.spec, (enum table_kind)g->before, false, true, e);
}

/* The own link of @spec up (or completed): its guards are in the table already. */
static int own_link_up(struct session *ss, const struct spec *spec, struct errmsg *e)
{
	struct tunnel t;
	int err;

	if (!spec_tunnel(spec))
		return 0;
	err = tunnel_plan(&ss->rtnl, spec, &t, e);
	return err ? err : tunnel_up(&ss->rtnl, &t, e);
}

/*
 * The links the state names that @spec does not (the tunnel a switch cut,
 * the previous one no session uses any more), as guarded tunnels of @with.
 */
static void outgoing(const struct state *st, const struct spec *spec, struct spec *with)
{
	const struct spec *old = recorded_links(st);

	*with = *spec;
	if (!old)
		return;
	if (spec_tunnel(old) && !tunnel_names(spec, old->tunnel_link))
		guard_also(with, old->tunnel_id, spec_peer(old), old->tunnel_link);
	if (old->has_previous && !tunnel_names(spec, old->previous.link))
		guard_also(with, old->previous.id, &old->previous.peer, old->previous.link);
}

/*
 * The table of @spec, with the guards of the links it no longer names:
 * those go only after it (a commit that fails leaves them as the state
 * names them), and keep their guards until they are gone.
 */
static int commit_keeping_guards(struct session *ss, const struct spec *spec, bool *dropping,
				 struct errmsg *e)
{
	struct spec *with = malloc(sizeof(*with));	/* large: off the stack */
	int err;

	if (!with)
		return errmsg_set(e, -ENOMEM, "out of memory");
	outgoing(&ss->state, spec, with);
	*dropping = with->nguarded > 0;
	err = commit_as(ss, with, TABLE_FULL, false, *dropping, e);
	free(with);
	return err;
}

/* Those links go, then their guards (a second commit). */
static int drop_outgoing(struct session *ss, const struct spec *spec, struct errmsg *e)
{
	struct spec *with = malloc(sizeof(*with));
	unsigned int i;
	int err = 0;

	if (!with)
		return errmsg_set(e, -ENOMEM, "out of memory");
	outgoing(&ss->state, spec, with);
	for (i = 0; !err && i < with->nguarded; i++)
		err = tunnel_remove(&ss->rtnl, with->guarded[i].link, e);
	free(with);
	return err ? err : commit(ss, spec, false, e);
}

/* Forwarding is on for every family @spec forwards (config management may switch it off). */
static bool forwarding_in_place(const struct spec *spec)
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (forwards(spec, families[i]) && !forwarding_is_on(families[i]))
			return false;
	return true;
}

/* The table as redirect installs it; a kernel that cannot be read is no proof. */
static bool table_in_place(struct session *ss, const struct spec *spec)
{
	struct errmsg ignored;

	return drift_find(&ss->nft, spec, &ss->view, &ss->drift, &ignored) == 0 &&
	       !ss->drift.found;
}

bool install_in_place(struct session *ss, const struct spec *spec)
{
	memset(&ss->drift, 0, sizeof(ss->drift));
	return session_is_installed(ss, spec) && forwarding_in_place(spec) &&
	       tunnel_ready_for(&ss->rtnl, spec) && !tunnel_leftovers(&ss->rtnl, spec) &&
	       table_in_place(ss, spec);
}

/* A dynamic set whose shape others changed goes, and its history with it. */
static bool resets_sources(const struct table_view *view)
{
	unsigned int i;

	for (i = 0; i < view->nforeign; i++)
		if (view->foreign[i].kind == OP_SET && view->foreign[i].reshaped &&
		    (!strncmp(view->foreign[i].name, "sources_", 8) ||
		     !strncmp(view->foreign[i].name, "last_", 5)))
			return true;
	return view->overflow;
}

static void report_mended(const struct session *ss, struct install_report *r)
{
	if (!ss->drift.found)
		return;
	snprintf(r->mended, sizeof(r->mended), "%s", ss->drift.what);
	r->reset_counters = ss->view.overflow;
	r->reset_sources = resets_sources(&ss->view);
}

/* The state @spec will have: the same migration going on, or a new one. */
static void next_state(const struct session *ss, const struct spec *spec, struct state *next)
{
	*next = ss->state;
	next->enabled = next->pending = true;
	next->draining = false;
	next->spec = *spec;
	next->tunnel |= spec_links(spec);	/* until the links it does not name are gone */
	if (!ss->state.enabled || !next->since) {
		next->since = (int64_t)time(NULL);
		memset(&next->history, 0, sizeof(next->history));	/* a new migration */
		next->dns.clean_since = next->dns.checked_at = 0;	/* its own DNS clock */
		next->dns.ttl = 0;
		next->dns.status[0] = next->dns.summary[0] = '\0';
	}
	history_keep_services(&next->history, spec);
}

/*
 * The order of install_spec(), with the state it leads to in @next. The
 * intent is made durable while the kernel changes (a write-ahead record:
 * state_write_intent_behind); the outcome, newer, needs no wait for the disk.
 */
static int install_next(struct session *ss, const struct spec *spec, struct state *next,
			struct install_report *r, struct errmsg *e)
{
	struct link_guard g = { false, TABLE_NONE };
	unsigned int newly, switched;
	bool dropping = false;
	int err = plan_forwarding(spec, next, &newly, r, e);

	if (!err)
		err = state_write_intent_behind(&ss->dir, next, e);
	if (err)
		return err;
	err = apply_forwarding(spec, next, &switched, e);
	if (!err)
		err = install_guard_link(ss, spec, &g, e);
	if (!err)
		err = own_link_up(ss, spec, e);
	if (!err)
		err = commit_keeping_guards(ss, spec, &dropping, e);
	if (err) {
		/* switched: recorded by an interrupted run, switched on by this one */
		roll_back(ss, next, newly | switched, &g);	/* its durable write waits */
		return err;
	}
	/* failing from here, the state says pending: the next run finishes it */
	if (dropping && (err = drop_outgoing(ss, spec, e)))
		return err;
	r->forwarding_on = newly | switched;
	r->kept_previous = spec->has_previous;
	err = end_sessions(&ss->state, spec, r, e);	/* ss->state: still the one before */
	if (!err)
		err = restore_unused(spec, next, ss->state.pending, r, e);
	next->pending = false;
	next->tunnel = spec_links(spec);
	if (!err)
		err = state_write_outcome(&ss->dir, next, e);
	if (!err)
		ss->state = *next;
	return err;
}

int install_spec(struct session *ss, const struct spec *spec, struct install_report *r,
		 struct errmsg *e)
{
	struct state *next = malloc(sizeof(*next));	/* large: off the stack */
	int err;

	memset(r, 0, sizeof(*r));
	if (!next)
		return errmsg_set(e, -ENOMEM, "out of memory");
	report_mended(ss, r);
	r->replaced = ss->state.enabled && !spec_equal(&ss->state.spec, spec);
	next_state(ss, spec, next);
	err = install_next(ss, spec, next, r, e);
	free(next);
	return err;
}

/*
 * The state says "draining" before the commit: killed after it, a state
 * still saying "enabled" would call the drained table installed, and
 * enable and restore would find nothing to do. "pending" is left as it
 * was: an interrupted change is still for the final uninstall to finish.
 */
int drain(struct session *ss, struct errmsg *e)
{
	bool stateful = ss->dir.fd >= 0;
	struct errmsg ignored;
	struct ops ops;
	int err;

	ss->state.enabled = false;
	ss->state.draining = true;
	if (stateful && (err = state_write_intent(&ss->dir, &ss->state, e)))
		return err;
	/* a killed run's link, whose guards the drained table has not */
	if ((err = tunnel_sweep_strays(&ss->rtnl, recorded_links(&ss->state), NULL, e)))
		return err;
	ruleset_build_drain(&ss->state.spec, &ss->view, &ops);
	err = nft_commit(&ss->nft, &ops, ss->genid, false, e);
	ops_free(&ops);
	if (!err)
		return stateful ? state_write(&ss->dir, &ss->state, e) : 0;
	ss->state.enabled = true;	/* the table is as it was: so is the state */
	ss->state.draining = false;
	if (stateful)
		state_write(&ss->dir, &ss->state, &ignored);
	return err;
}

/*
 * The state says "being removed" (not enabled, pending) before anything
 * goes: killed half-way, restore must not bring the redirect back, and
 * the next disable finishes the job, resuming where settings went back
 * one write at a time (@resume: an earlier run was interrupted too).
 */
static int mark_removing(struct session *ss, bool *resume, struct errmsg *e)
{
	struct state *st = &ss->state;

	*resume = st->pending;
	if (ss->dir.fd < 0 || !state_records_anything(st))
		return 0;
	st->enabled = st->draining = false;
	st->pending = true;
	return state_write_intent(&ss->dir, st, e);
}

/* Each family's settings, the state saying after each which are left. */
static int restore_forwarding(struct session *ss, bool resume, struct errmsg *e)
{
	unsigned int i;
	int err;

	for (i = 0; i < 2; i++) {
		if (!forwarding_recorded(&ss->state.sysctls, families[i]))
			continue;
		err = forwarding_restore(families[i], &ss->state.sysctls, resume, e);
		if (!err && ss->dir.fd >= 0)
			err = state_write_intent(&ss->dir, &ss->state, e);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Our links and rules as the state knows of them, and in any case a link
 * of ours a killed enable made for its probe before it wrote the state.
 */
static int links_down(struct session *ss, struct errmsg *e)
{
	struct spec none;

	if (ss->state.tunnel)
		return tunnel_down(&ss->rtnl, e);
	spec_init(&none);	/* names no link */
	return tunnel_sweep(&ss->rtnl, &none, e);
}

/* What mark_removing changes, to put back when the table cannot go. */
struct state_flags {
	bool enabled, draining, pending;
};

/* The table could not change: the state is put back as it was (@before). */
static void keep_state(struct session *ss, const struct state_flags *before)
{
	struct errmsg ignored;

	if (ss->dir.fd < 0)
		return;
	ss->state.enabled = before->enabled;
	ss->state.draining = before->draining;
	ss->state.pending = before->pending;
	state_write(&ss->dir, &ss->state, &ignored);
}

/* One transaction deleting the table; on failure the state is as it was. */
static int delete_table(struct session *ss, const struct state_flags *before,
			struct errmsg *e)
{
	int err = commit_as(ss, NULL, TABLE_NONE, false, false, e);

	if (err)
		keep_state(ss, before);
	return err;
}

/*
 * First the links no state names go (a killed run's). Then, while links
 * the state names are there, the table down to their guards (*@guarded),
 * which redirects nothing into them any more; without such links the
 * table goes at once.
 */
static int take_table_down(struct session *ss, const struct state_flags *before,
			   bool *guarded, struct errmsg *e)
{
	const struct spec *named = recorded_links(&ss->state);
	int err = tunnel_sweep_strays(&ss->rtnl, named, NULL, e);

	*guarded = false;
	if (err || !ss->view.exists)
		return err;
	if (!named || !spec_links(named))
		return delete_table(ss, before, e);
	err = commit_as(ss, named, TABLE_GUARDS, false, false, e);
	if (err)
		keep_state(ss, before);
	*guarded = !err;
	return err;
}

int uninstall(struct session *ss, bool *was_installed, struct errmsg *e)
{
	const struct state_flags before = { ss->state.enabled, ss->state.draining,
					    ss->state.pending };
	bool resume, guarded;
	int err;

	*was_installed = ss->view.exists;
	err = mark_removing(ss, &resume, e);
	if (!err)
		err = take_table_down(ss, &before, &guarded, e);
	if (!err)
		err = restore_forwarding(ss, resume, e);
	if (!err)	/* the links before their guards */
		err = links_down(ss, e);
	/*
	 * Forwarding and the links are gone already: a table that will not
	 * go now leaves the state marked for removal (mark_removing), which
	 * the next disable finishes; the flags from before would have
	 * restore bring the redirect back.
	 */
	if (!err && guarded)
		err = commit_as(ss, NULL, TABLE_NONE, false, false, e);
	if (err || ss->dir.fd < 0)
		return err;
	ss->state.enabled = ss->state.pending = ss->state.draining = ss->state.tunnel = false;
	ss->state.restored = false;
	ss->state.since = 0;
	return state_write(&ss->dir, &ss->state, e);
}
