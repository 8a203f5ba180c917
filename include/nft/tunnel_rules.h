/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_NFT_TUNNEL_RULES_H
#define REDIRECT_NFT_TUNNEL_RULES_H

#include <stdint.h>

#include "lib/spec.h"
#include "nft/table.h"

/*
 * The rules of the tunnel, which only --keep-client-address (OLD) and
 * accept (NEW) have: its UDP let in from the other end only and left out
 * of conntrack, only redirected flows into and out of it, and the MSS
 * clamped to its MTU. Pure: libnftnl objects, no I/O.
 */
struct nftnl_rule;

/* input: udp dport 4789 @th,96,24 VNI ip saddr != PEER counter drop */
struct nftnl_rule *vxlan_guard_rule(const struct spec *spec);

/* raw_prerouting (saddr PEER) and raw_output (daddr PEER): udp dport 4789 ... notrack */
struct nftnl_rule *notrack_rule(const struct spec *spec, enum chain_id chain);

/* OLD, forward: iifname|oifname "TUNNEL" ct mark & BIT != BIT counter drop */
struct nftnl_rule *tunnel_guard_rule(uint32_t ifname_key);

/* OLD, forward: the MSS of SYNs into the tunnel (the route's MTU) and out of it (a number) */
struct nftnl_rule *clamp_into_rule(void);
struct nftnl_rule *clamp_out_rule(const struct spec *spec, int family);

#endif
