/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_INSTALL_H
#define REDIRECT_CORE_INSTALL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/session.h"

struct install_report {
	bool replaced;			/* a different redirect was there before */
	unsigned int forwarding_on;	/* 1 << 0 IPv4, 1 << 1 IPv6: switched on now */
	unsigned int forwarding_off;	/* put back: family no longer redirected */
	char ra_kept[160];		/* interfaces moved from accept_ra 1 to 2 */
	char mended[320];		/* the table had been changed thus: now as ours */
	bool reset_counters;		/* ... beyond repair: counters start from zero */
	bool reset_sources;		/* ... a stale-source set of another shape went */
	unsigned int ended_masquerade;	/* sessions opened masqueraded, ended: now the tunnel */
	unsigned int ended_tunnel;	/* sessions through a tunnel ended (masquerade now, or cut) */
	bool kept_previous;		/* the tunnel before stays for its open sessions */
};

/*
 * The links of @spec as the state has them (see tunnel_adopt): the tunnel
 * a switch leaves stays @spec's previous while sessions use it, and is
 * dropped once none does (or at once when @spec masquerades: its sessions
 * are ended then). One conntrack dump when there is a previous tunnel.
 */
int install_adopt(struct session *ss, struct spec *spec, struct errmsg *e);

/*
 * A link of ours never exists without its guards in our table. Before the
 * link of @spec's own tunnel comes up where none reaches it yet (enable's
 * probe, a first enable or accept), the table as the state has it, with
 * that link's guards beside (they alone when the state has no table);
 * the links of ours neither names go first (a killed run's). @g says what
 * to put back when the link goes again (install_unguard).
 */
struct link_guard {
	bool committed;		/* the table holds the link's guards now */
	int before;		/* how the table was (see install.c) */
};
int install_guard_link(struct session *ss, const struct spec *spec, struct link_guard *g,
		       struct errmsg *e);

/* After the link went again: the table as it was before install_guard_link (or none). */
int install_unguard(struct session *ss, const struct link_guard *g, struct errmsg *e);

/*
 * Whether @spec is in place exactly: the table as the state says and as
 * redirect installs it (no drift), forwarding on for its families, its
 * tunnel up, and no link of ours it does not name (a killed probe's).
 * Anything less, and enable or restore installs it again (a drifted
 * table's difference is left in ss->drift for the report).
 */
bool install_in_place(struct session *ss, const struct spec *spec);

/*
 * Installs @spec: the intent goes to the state file first, then forwarding,
 * its own link guarded (install_guard_link) and up, then one nftables
 * transaction that still guards the links @spec no longer names, which go
 * after it (their guards with a second), then the sessions of the mode it
 * leaves (and of a tunnel no longer there) are ended, then the state is
 * marked done. If the transaction fails, links, table, forwarding and
 * state are put back as they were.
 */
int install_spec(struct session *ss, const struct spec *spec, struct install_report *r,
		 struct errmsg *e);

/*
 * Stops redirecting new connections while the redirected ones still open
 * keep their NAT (one transaction); forwarding stays on for them.
 */
int drain(struct session *ss, struct errmsg *e);

/*
 * Takes the table down to the guards of the links (one transaction), puts
 * forwarding back, removes the links, then deletes the table.
 */
int uninstall(struct session *ss, bool *was_installed, struct errmsg *e);

/* The transaction enable would send, checked by the kernel and discarded. */
int install_dry_run(struct session *ss, const struct spec *spec, struct errmsg *e);

#endif
