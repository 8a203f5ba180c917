/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_NFT_FIREWALL_H
#define REDIRECT_NFT_FIREWALL_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/findings.h"
#include "lib/spec.h"
#include "nft/transport.h"

/*
 * Base chains of other tables on @hook (NF_INET_FORWARD: the redirected
 * flows; NF_INET_LOCAL_IN: the tunnel's UDP) that would drop what the
 * redirect needs, the chains they jump to followed: each is a refusal in
 * @pf with the remedy that fits whoever owns the table (nft for native
 * tables; iptables for iptables-nft's, ufw's lasting place, Docker's
 * DOCKER-USER). Native and xt (iptables-nft) expressions are both read.
 */
int firewall_check(const struct spec *spec, struct nft_sock *nft, uint32_t hook,
		   struct findings *pf, struct errmsg *e);

/*
 * Rules of other tables that write the conntrack mark's bit redirect uses
 * (a native `ct mark set` whose value does not keep it, iptables' CONNMARK
 * with a mask over it): their flows would be masqueraded and counted as
 * redirected. Each is a warning in @pf.
 */
int firewall_mark_writers(struct nft_sock *nft, struct findings *pf, struct errmsg *e);

/* A rule in another table that lets our redirected flows through: an admin's remedy. */
struct remedy {
	uint32_t family;	/* NFPROTO_* */
	char table[64], chain[64];
	uint64_t handle;
	bool iptables;		/* in a table iptables-nft owns (an xt connmark match) */
};

/* Each remedy still in the ruleset, for disable to remind the admin of. */
typedef void (*remedy_cb)(const struct remedy *r, void *data);
int firewall_remedies(struct nft_sock *nft, remedy_cb cb, void *data, struct errmsg *e);

#endif
