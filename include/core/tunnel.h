/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_TUNNEL_H
#define REDIRECT_CORE_TUNNEL_H

#include <stdbool.h>
#include <stdio.h>

#include "lib/errmsg.h"
#include "lib/owned.h"
#include "lib/spec.h"
#include "kernel/link.h"

/*
 * The tunnel that keeps the client's address, as this host builds it: its
 * plan (the underlay's ends and the MTU), what of it the kernel has, and
 * the rtnetlink steps that make it and take it down. Its names and numbers
 * are in lib/owned.h. OLD DNATs to NEW's tunnel address, so its main table
 * routes the redirected packets into the tunnel by the connected route: no
 * marks, no rules on OLD.
 */

/* One end of the tunnel as this host builds it. */
struct tunnel {
	enum spec_role role;		/* which end this host is */
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

/* What of the tunnel the kernel has. */
struct tunnel_view {
	bool link;		/* a link named TUNNEL_IFNAME */
	bool ours;		/* ... that redirect made (its alias) */
	bool matches;		/* ... with the VNI, port, ends and MTU planned, up */
	bool rules;		/* NEW: both policy rules, ours */
	bool foreign_rule;	/* NEW: a rule of TUNNEL_PRIORITY that is not ours */
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
 * that is not ours is refused. On NEW, loose rp_filter on the link (the
 * clients' addresses are routed elsewhere), the rules and the routes.
 */
int tunnel_up(struct rtnl_sock *s, const struct tunnel *t, struct errmsg *e);

/* Removes our rules (NEW) and our link; what is gone already is fine. */
int tunnel_down(struct rtnl_sock *s, struct errmsg *e);

/* @t as the `ip` commands that would build it, for --dry-run. */
void tunnel_render(const struct tunnel *t, FILE *f);

#endif
