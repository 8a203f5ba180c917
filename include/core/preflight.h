/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_PREFLIGHT_H
#define REDIRECT_CORE_PREFLIGHT_H

#include <stdbool.h>

#include "kernel/link.h"
#include "nft/transport.h"
#include "lib/spec.h"

enum preflight_level {
	PF_INFO,	/* worth knowing */
	PF_WARN,	/* read this before going on */
	PF_REFUSE,	/* enable stops here unless --force */
};

#define PREFLIGHT_MAX 48
#define PREFLIGHT_TEXT_MAX 1024

struct preflight;
/* One finding: a refusal, a warning, a note (firewall.c adds them too). */
void preflight_add(struct preflight *pf, enum preflight_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct preflight {
	unsigned int n;
	struct {
		enum preflight_level level;
		char text[PREFLIGHT_TEXT_MAX];
	} items[PREFLIGHT_MAX];
	bool refused;
};

/*
 * Looks before enable leaps: the probe of NEW's ports (those of @probe, a
 * spec like @spec with the services to probe; NULL: none), the
 * route to NEW, forward chains of other tables that would drop the
 * redirected traffic, iptables-legacy tables netlink cannot see, a
 * conntrack table close to full, local daemons still listening, and what
 * masquerade means for NEW. Only reads; changes nothing.
 */
int preflight_run(const struct spec *spec, struct nft_sock *nft, struct rtnl_sock *rtnl,
		  const struct spec *probe, struct preflight *out, struct errmsg *e);

/*
 * The probe of NEW's mail ports (@spec's services) through the tunnel
 * (which must be up), from this host's tunnel address; @local is the
 * address the tunnel sends from, which NEW must accept. Adds what it
 * found to @pf.
 */
void preflight_probe_tunnel(const struct spec *spec, const struct address *local,
			    struct preflight *pf);

/* One listening TCP socket: its address and port. */
typedef void (*listener_cb)(const struct address *a, uint16_t port, void *data);

/* Every TCP socket of @family listening on this host (sock_diag, as ss asks). */
void preflight_each_listener(int family, listener_cb cb, void *data);

#endif
