/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_PREFLIGHT_H
#define REDIRECT_CORE_PREFLIGHT_H

#include <stdbool.h>

#include "lib/findings.h"
#include "lib/spec.h"
#include "kernel/link.h"
#include "kernel/route.h"
#include "nft/transport.h"

/*
 * Looks before enable leaps: the probe of NEW's ports (those of @probe, a
 * spec like @spec with the services to probe; NULL: none), the
 * route to NEW, forward chains of other tables that would drop the
 * redirected traffic, iptables-legacy tables netlink cannot see, a
 * conntrack table close to full, local daemons still listening, and what
 * masquerade means for NEW. Only reads; changes nothing.
 */
int preflight_run(const struct spec *spec, struct nft_sock *nft, struct rtnl_sock *rtnl,
		  const struct spec *probe, struct findings *out, struct errmsg *e);

/*
 * The probe of NEW's mail ports (@spec's services) through the tunnel
 * (which must be up), from this host's tunnel address; @local is the
 * address the tunnel sends from, which NEW must accept. Adds what it
 * found to @pf.
 */
void preflight_probe_tunnel(const struct spec *spec, const struct address *local,
			    struct findings *pf);

#endif
