/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_SWITCH_SESSIONS_H
#define REDIRECT_CORE_SWITCH_SESSIONS_H

#include <stdint.h>

#include "core/state.h"
#include "lib/errmsg.h"

/*
 * The tunnels whose links are there now (@st's), against the one @spec
 * makes beside them (the current one is no clash with itself): refused
 * in @e when their addresses would be the same.
 */
int switch_check_clash(const struct state *st, const struct spec *spec, struct errmsg *e);

/* How many redirected sessions are open through the tunnel of @id (*@n). */
int switch_sessions_through(uint32_t id, unsigned int *n, struct errmsg *e);

/*
 * The sessions a switch to @spec ends (senders reconnect; nothing is
 * lost): in tunnel mode those masquerade opened (NEW sees them as this
 * host, and a sender that keeps its connection keeps failing SPF through
 * it); in masquerade mode those through a tunnel; and those through a
 * tunnel that is no longer there. Counted in *@masqueraded, *@tunnelled.
 */
int switch_end_sessions(const struct state *before, const struct spec *spec,
			unsigned int *masqueraded, unsigned int *tunnelled, struct errmsg *e);

#endif
