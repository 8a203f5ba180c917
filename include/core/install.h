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
};

/*
 * The tunnel of @spec up before the rest, for the pre-flight probe to go
 * through it: the state says first that a tunnel may exist (so a run
 * killed now leaves it for disable), then the tunnel is built.
 */
struct tunnel_undo {
	bool was_there;		/* the state knew of a tunnel before */
	bool pending;		/* ... and said this of a change under way */
};
int install_tunnel_first(struct session *ss, const struct spec *spec,
			 struct tunnel_undo *undo, struct errmsg *e);

/* Takes the tunnel down again when enable stops after the probe (unless it was there). */
void install_tunnel_abandon(struct session *ss, const struct tunnel_undo *undo);

/*
 * Whether @spec is in place exactly: the table as the state says and as
 * redirect installs it (no drift), forwarding on for its families, and its
 * tunnel up. Anything less, and enable or restore installs it again (a
 * drifted table's difference is left in ss->drift for the report).
 */
bool install_in_place(struct session *ss, const struct spec *spec);

/*
 * Installs @spec: the intent goes to the state file first, then forwarding,
 * then one nftables transaction, then the state is marked done. If the
 * transaction fails, forwarding and state are put back as they were.
 */
int install_spec(struct session *ss, const struct spec *spec, struct install_report *r,
		 struct errmsg *e);

/*
 * Stops redirecting new connections while the redirected ones still open
 * keep their NAT (one transaction); forwarding stays on for them.
 */
int drain(struct session *ss, struct errmsg *e);

/* Deletes the table (one transaction) and puts forwarding back. */
int uninstall(struct session *ss, bool *was_installed, struct errmsg *e);

/* The transaction enable would send, checked by the kernel and discarded. */
int install_dry_run(struct session *ss, const struct spec *spec, struct errmsg *e);

#endif
