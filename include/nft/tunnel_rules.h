/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_NFT_TUNNEL_RULES_H
#define REDIRECT_NFT_TUNNEL_RULES_H

#include "lib/spec.h"
#include "nft/plan.h"

/*
 * The rules of the tunnels, which only --keep-client-address (OLD, and
 * the tunnel a switch left) and accept (NEW) have: their UDP let in from
 * the other end only and left out of conntrack; what comes out of a
 * tunnel link checked against what may (the rest dropped and counted);
 * only redirected flows through OLD; the MSS clamped to the tunnel's MTU.
 * Pure: libnftnl objects, no I/O. What each costs a packet is said at
 * each.
 */
struct nftnl_rule;

/* The rule @p of a tunnel kind (RULE_NOTRACK_IN ... RULE_TUNNEL_GUARD_OUT, the clamps). */
struct nftnl_rule *tunnel_rule_build(const struct spec *spec, const struct planned_rule *p);

/* NEW: ip saddr OLD's-tunnel-address return (its probe is no client) */
struct nftnl_rule *skip_peer_rule(const struct spec *spec, int family);

/* NEW: iifname "TUNNEL" meta nfproto ipvX tcp flags syn / ... tcp dport @ports jump ... */
struct nftnl_rule *arrive_rule(int family);

#endif
