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

static int commit(struct session *ss, const struct spec *spec, bool dry_run, struct errmsg *e)
{
	struct ops ops;
	int err = 0, tries;

	for (tries = 0; tries < COMMIT_TRIES; tries++) {
		ruleset_build(spec, &ss->view, &ops);
		err = nft_commit(&ss->nft, &ops, ss->genid, dry_run, e);
		ops_free(&ops);
		if (err != -ERESTART)
			break;
		/* someone changed the ruleset since we read it: read again */
		err = view_read(&ss->nft, &ss->view, &ss->genid, e);
		if (err)
			break;
		err = -ERESTART;
	}
	return err;
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

/*
 * Undo what this run switched on (@families) and the tunnel it built (one
 * the state did not know of before), and put the old state file back.
 */
static void roll_back(struct session *ss, struct state *next, unsigned int switched_on)
{
	struct errmsg ignored;
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (switched_on & bit(families[i]))
			forwarding_restore(families[i], &next->sysctls, true, &ignored);
	if (next->tunnel && !ss->state.tunnel && tunnel_down(&ss->rtnl, &ignored))
		ss->state.tunnel = true;	/* still there: disable must know of it */
	else if (ss->state.tunnel)
		tunnel_sweep(&ss->rtnl, &ss->state.spec, &ignored);	/* what the old state names */
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

static bool to_tunnel(const struct ct_flow *f, uint32_t id)
{
	struct address to = tunnel_target(f->target.family, id);

	return f->target.family && address_equal(&f->target, &to);
}

static bool through_a_tunnel(const struct ct_flow *f)
{
	struct prefix range;

	if (!f->target.family)
		return false;
	tunnel_range(f->target.family, &range);
	return prefix_contains(&range, &f->target);
}

struct in_use {
	uint32_t id;
	unsigned int n;
};

static void count_in_use(const struct ct_flow *f, void *data)
{
	struct in_use *u = data;

	u->n += !f->closed && to_tunnel(f, u->id);
}

/* Two tunnels whose addresses are the same (one id twice, or 1 in 4096): not side by side. */
static bool clash(uint32_t a, uint32_t b)
{
	struct prefix x, y;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		tunnel_address(families[i], ROLE_OLD, a, &x);
		tunnel_address(families[i], ROLE_OLD, b, &y);
		if (address_equal(&x.addr, &y.addr))
			return true;
	}
	return false;
}

/*
 * The tunnels whose links are there now, against the one @spec makes
 * beside them (the current one is no clash with itself).
 */
static int check_clash(const struct state *st, const struct spec *spec, struct errmsg *e)
{
	const struct spec *old = &st->spec;
	const struct address *peers[2] = { spec_peer(old), &old->previous.peer };
	char there_at[ADDRESS_STRLEN], to[ADDRESS_STRLEN];
	uint32_t there[2] = { 0, 0 };
	unsigned int i;

	if (spec->role != ROLE_OLD || !spec_tunnel(spec) || !st->tunnel)
		return 0;
	if (spec_tunnel(old) && !(old->tunnel_id == spec->tunnel_id &&
				  address_equal(spec_peer(old), spec_peer(spec))))
		there[0] = old->tunnel_id;
	if (old->has_previous)
		there[1] = old->previous.id;
	for (i = 0; i < 2; i++) {
		if (!there[i] || !clash(spec->tunnel_id, there[i]))
			continue;
		address_str(peers[i], there_at);
		address_str(spec_peer(spec), to);
		if (there[i] == spec->tunnel_id)
			return errmsg_set(e, -EADDRINUSE, "tunnel %u goes to %s already, and --to %s "
					  "is another server: a tunnel to it needs another id (or is --to "
					  "mistyped?); run `redirect accept --tunnel-id random` on that "
					  "server and give here the --tunnel-id it prints",
					  there[i], there_at, to);
		return errmsg_set(e, -EADDRINUSE, "tunnel id %u has the tunnel addresses of tunnel "
				  "%u (to %s), whose link is still here%s: on the new server, run "
				  "`redirect disable` and `redirect accept` again for another id",
				  spec->tunnel_id, there[i], there_at,
				  i ? " for the sessions open through it" : "");
	}
	return 0;
}

int install_adopt(struct session *ss, struct spec *spec, struct errmsg *e)
{
	struct in_use u = { 0, 0 };
	int err = check_clash(&ss->state, spec, e);

	if (err)
		return err;
	tunnel_adopt(&ss->state, spec);
	if (!spec->has_previous)
		return 0;
	u.id = spec->previous.id;
	if (!spec->masquerade && (err = ct_dump_redirected(count_in_use, &u, e)))
		return err;
	spec->has_previous = !spec->masquerade && u.n;	/* no session left: it goes */
	return 0;
}

/*
 * The sessions a switch ends (senders reconnect; nothing is lost): in
 * tunnel mode those masquerade opened (NEW sees them as this host, and a
 * sender that keeps its connection keeps failing SPF through it); in
 * masquerade mode those through a tunnel; and those through a tunnel that
 * is no longer there.
 */
struct ending {
	const struct spec *spec;
	unsigned int masqueraded, tunnelled;
};

static bool ends(const struct ct_flow *f, void *data)
{
	struct ending *g = data;
	const struct spec *spec = g->spec;
	bool end;

	if (f->closed)		/* closed down already: no session */
		return false;
	if (!through_a_tunnel(f)) {
		end = spec->keep_client_address && f->masqueraded;
		g->masqueraded += end;
		return end;
	}
	end = spec->masquerade || !((spec_tunnel(spec) && to_tunnel(f, spec->tunnel_id)) ||
				    (spec->has_previous && to_tunnel(f, spec->previous.id)));
	g->tunnelled += end;
	return end;
}

/*
 * Whether a session this enable would end can be open, by the state before
 * it: masqueraded ones only after a redirect that masqueraded (enabled,
 * draining, or removed with its sessions left to close), tunnelled ones
 * only while a tunnel link of ours may be there (without it their packets
 * go nowhere). Asking conntrack costs a walk of the kernel's whole table
 * (4 of enable's 10 ms here, more on a busy host): not when the answer is
 * known to be none.
 */
static bool may_end_any(const struct state *before, const struct spec *spec)
{
	return (spec->keep_client_address && before->spec.masquerade) || before->tunnel;
}

static int end_sessions(const struct state *before, const struct spec *spec,
			struct install_report *r, struct errmsg *e)
{
	struct ending g = { spec, 0, 0 };
	unsigned int ended;
	int err;

	if (spec->role != ROLE_OLD || !may_end_any(before, spec))
		return 0;
	err = ct_end_flows(ends, &g, &ended, e);
	r->ended_masquerade = g.masqueraded;
	r->ended_tunnel = g.tunnelled;
	return err;
}

/*
 * The links @spec names, and no other: the one a switch cut, the previous
 * one no session uses any more, the leftover of a killed probe go (before
 * the table loses their guards), the spec's own comes up. Sessions open
 * through the tunnel when an enable switches to masquerade are ended after.
 */
static int links_for(struct session *ss, const struct spec *spec, struct errmsg *e)
{
	struct tunnel t;
	int err = tunnel_sweep(&ss->rtnl, spec, e);

	if (err || !spec_tunnel(spec))
		return err;
	err = tunnel_plan(&ss->rtnl, spec, &t, e);
	return err ? err : tunnel_up(&ss->rtnl, &t, e);
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

/* The order of install_spec(), with the state it leads to in @next. */
static int install_next(struct session *ss, const struct spec *spec, struct state *next,
			struct install_report *r, struct errmsg *e)
{
	unsigned int newly, switched;
	int err = plan_forwarding(spec, next, &newly, r, e);

	if (!err)
		err = state_write_intent(&ss->dir, next, e);
	if (err)
		return err;
	err = apply_forwarding(spec, next, &switched, e);
	if (!err)
		err = links_for(ss, spec, e);
	if (!err)
		err = commit(ss, spec, false, e);
	if (err) {
		/* switched: recorded by an interrupted run, switched on by this one */
		roll_back(ss, next, newly | switched);
		return err;
	}
	r->forwarding_on = newly | switched;
	r->kept_previous = spec->has_previous;
	err = end_sessions(&ss->state, spec, r, e);	/* ss->state: still the one before */
	if (!err)
		err = restore_unused(spec, next, ss->state.pending, r, e);
	next->pending = false;
	next->tunnel = spec_links(spec);
	if (!err)
		err = state_write(&ss->dir, next, e);
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

/* One transaction deleting the table; on failure the state is as it was. */
static int delete_table(struct session *ss, const struct state_flags *before,
			struct errmsg *e)
{
	struct errmsg ignored;
	struct ops ops;
	int err;

	ruleset_build_delete(&ops);
	err = nft_commit(&ss->nft, &ops, 0, false, e);
	ops_free(&ops);
	if (err == -ENOENT)	/* gone meanwhile: what we wanted */
		return 0;
	if (err && ss->dir.fd >= 0) {
		ss->state.enabled = before->enabled;
		ss->state.draining = before->draining;
		ss->state.pending = before->pending;
		state_write(&ss->dir, &ss->state, &ignored);
	}
	return err;
}

int uninstall(struct session *ss, bool *was_installed, struct errmsg *e)
{
	const struct state_flags before = { ss->state.enabled, ss->state.draining,
					    ss->state.pending };
	bool resume;
	int err;

	*was_installed = ss->view.exists;
	err = mark_removing(ss, &resume, e);
	if (!err && ss->view.exists)
		err = delete_table(ss, &before, e);
	if (!err)
		err = restore_forwarding(ss, resume, e);
	if (!err)	/* after the table: nothing routes into it any more */
		err = links_down(ss, e);
	if (err || ss->dir.fd < 0)
		return err;
	ss->state.enabled = ss->state.pending = ss->state.draining = ss->state.tunnel = false;
	ss->state.restored = false;
	ss->state.since = 0;
	return state_write(&ss->dir, &ss->state, e);
}
