/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_TUNNEL_H
#define REDIRECT_CORE_TUNNEL_H

#include <stdbool.h>
#include <stdio.h>

#include "lib/errmsg.h"
#include "lib/owned.h"
#include "lib/spec.h"
#include "kernel/link.h"
#include "core/state.h"

/*
 * The tunnel that keeps the client's address, as this host builds it: its
 * plan (its id and link, the underlay's ends and the MTU), what of it the
 * kernel has, and the rtnetlink steps that make it and take it down. Its
 * names and numbers are in lib/owned.h. OLD DNATs to NEW's tunnel address,
 * so its main table routes the redirected packets into the tunnel by the
 * connected route: no marks, no rules on OLD. A switch of OLD to another
 * tunnel makes the new one's link beside the old one's, whose sessions go
 * on until they close.
 */

/* One end of the tunnel as this host builds it. */
struct tunnel {
	enum spec_role role;		/* which end this host is */
	uint32_t id;			/* its VNI, and its addresses' */
	char link[LINK_NAME_MAX];	/* this host's link of it */
	struct address local, remote;	/* the underlay: this host, the other end */
	unsigned int mtu;		/* of the tunnel link */
};

/*
 * The underlay for @spec: the other end is the first --to (OLD) or --from
 * (NEW), IPv4 where given; this end is the source address routing picks
 * for it, and the MTU is the route's less the VXLAN headroom.
 */
int tunnel_plan(struct rtnl_sock *s, const struct spec *spec, struct tunnel *t,
		struct errmsg *e);

/*
 * A new tunnel's id, at random (a blind attacker must guess it), never
 * the well-known TUNNEL_ID_DEFAULT: accept's.
 */
int tunnel_new_id(uint32_t *id, struct errmsg *e);

/*
 * The links of @spec, given what @st records: the same tunnel keeps its
 * link (and the one a switch left before); another tunnel gets a link of
 * its own beside the current one, which stays as @spec's previous while
 * its sessions last (the previous before it is cut).
 */
void tunnel_adopt(const struct state *st, struct spec *spec);

/* What of the tunnel the kernel has. */
struct tunnel_view {
	bool link;		/* a link of its name */
	bool ours;		/* ... that redirect made (its alias) */
	bool matches;		/* ... with the VNI, port, ends, MTU and address planned, up */
	bool rules;		/* NEW: the policy rules, ours, for its address */
	bool foreign_rule;	/* NEW: a rule of our priorities that is not ours */
};

int tunnel_read(struct rtnl_sock *s, const struct tunnel *t, struct tunnel_view *v,
		struct errmsg *e);

/* Whether @v is the tunnel @t in full. */
bool tunnel_in_place(const struct tunnel *t, const struct tunnel_view *v);

/* Whether the tunnel @spec needs (if any) is in place, as planned now. */
bool tunnel_ready_for(struct rtnl_sock *s, const struct spec *spec);

/*
 * Builds what is missing of @t, step by step, each step safe to repeat:
 * a link of ours that does not match is made again; a link of that name
 * that is not ours is refused. The link is NOARP, with the other end's
 * link address permanent for its tunnel addresses. On NEW, loose
 * rp_filter on the link (the clients' addresses are routed elsewhere), the
 * rules and the routes.
 */
int tunnel_up(struct rtnl_sock *s, const struct tunnel *t, struct errmsg *e);

/* Whether a link of ours of @t's name reaches where @t goes (its VNI, port, other end). */
bool tunnel_there(struct rtnl_sock *s, const struct tunnel *t);

/*
 * For the probe of enable: the link of @t as it is when it reaches the
 * other end of @t already (*@made false), else made now (*@made true:
 * tunnel_remove takes it again when enable stops).
 */
int tunnel_for_probe(struct rtnl_sock *s, const struct tunnel *t, bool *made,
		     struct errmsg *e);

/* Removes our link @name (its addresses, routes and neighbours go with it). */
int tunnel_remove(struct rtnl_sock *s, const char *name, struct errmsg *e);

/*
 * Removes the links of ours @spec does not name (NULL: all of them), and
 * on NEW its rules when it names none: what a killed run or a switch left.
 */
int tunnel_sweep(struct rtnl_sock *s, const struct spec *spec, struct errmsg *e);

/*
 * Removes the links of ours that neither @a nor @b names (each may be
 * NULL): what a killed run left, which no table of ours need guard.
 */
int tunnel_sweep_strays(struct rtnl_sock *s, const struct spec *a, const struct spec *b,
			struct errmsg *e);

/* Whether @spec names the link @link: its own, its previous, one it guards. */
bool tunnel_names(const struct spec *spec, const char *link);

/* Whether a link of ours is there that @spec does not name (for tunnel_sweep). */
bool tunnel_leftovers(struct rtnl_sock *s, const struct spec *spec);

/* Removes our rules (NEW) and all our links; what is gone already is fine. */
int tunnel_down(struct rtnl_sock *s, struct errmsg *e);

/*
 * Whether the other end of @t is gone: one VXLAN packet of the tunnel's id
 * that its end takes and drops (a frame for nobody, of no protocol), which
 * its host refuses (ICMP port unreachable) when no tunnel takes its UDP any
 * more. The refusal also lands in our table's tunnel_refused, for stats
 * and for what disable waits for. Silence (a firewall, a lost packet) is no
 * refusal. Waits at most a quarter of a second.
 */
int tunnel_knock(const struct tunnel *t, bool *refused);

/* @t as the `ip` commands that would build it, for --dry-run. */
void tunnel_render(const struct tunnel *t, FILE *f);

#endif
