/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_NFT_RULES_H
#define REDIRECT_NFT_RULES_H

#include "lib/spec.h"
#include "nft/plan.h"

/*
 * One planned rule as the libnftnl object enable sends: the catch, the
 * redirect, the counting that waits for the flow (the tunnel's own rules
 * are in tunnel_rules.c). Pure.
 */
struct nftnl_rule;
struct nftnl_rule *rule_build(const struct spec *spec, const struct planned_rule *p);

#endif
