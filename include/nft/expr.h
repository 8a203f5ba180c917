/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_NFT_EXPR_H
#define REDIRECT_NFT_EXPR_H

#include <stdint.h>

#include "lib/parse.h"

struct nftnl_rule;
struct nftnl_expr;

/* A new expression of kind @name at the end of @r. */
struct nftnl_expr *expr_add(struct nftnl_rule *r, const char *name);

/* One expression each; registers as nft uses them (NFT_REG_1 unless said). */
void e_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg);
void e_cmp(struct nftnl_rule *r, const void *data, uint32_t len);	/* == */
void e_cmp_op(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len);
void e_cmp_u8(struct nftnl_rule *r, uint8_t v);
void e_cmp_u32(struct nftnl_rule *r, uint32_t v);
void e_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len,
	       uint32_t dreg);
void e_lookup(struct nftnl_rule *r, const char *set, uint32_t set_id);
void e_objref_map(struct nftnl_rule *r, const char *map, uint32_t map_id);
void e_verdict(struct nftnl_rule *r, int verdict, const char *chain);
void e_ct_load(struct nftnl_rule *r, uint32_t key, int dir);	/* @dir < 0: none */
void e_ct_load_reg(struct nftnl_rule *r, uint32_t key, int dir, uint32_t dreg);
void e_bitwise(struct nftnl_rule *r, const void *mask, const void *xor, uint32_t len);
void e_bitwise_u32(struct nftnl_rule *r, uint32_t mask, uint32_t xor);

/* Matches and actions made of them, each named by its nft syntax. */
void match_nfproto(struct nftnl_rule *r, int family);	/* meta nfproto ipv4|ipv6 */
void match_tcp(struct nftnl_rule *r);			/* meta l4proto tcp */
void match_syn(struct nftnl_rule *r);			/* tcp flags syn / fin,syn,rst,ack */
void match_ct_mark(struct nftnl_rule *r, uint32_t bit);	/* ct mark & BIT == BIT */
void load_tcp_dport(struct nftnl_rule *r, uint32_t dreg);
void load_saddr(struct nftnl_rule *r, int family);		/* ip saddr / ip6 saddr */
void set_ct_mark(struct nftnl_rule *r, uint32_t bit);	/* ct mark set ct mark | BIT */
void dnat_to(struct nftnl_rule *r, const struct address *to);
void match_ifname(struct nftnl_rule *r, uint32_t key, const char *name);	/* iifname "X" */
void match_syn_or_synack(struct nftnl_rule *r);		/* tcp flags syn / syn,rst */
void match_no_ct_mark(struct nftnl_rule *r, uint32_t bit);	/* ct mark & BIT != BIT */
void set_mss_route(struct nftnl_rule *r);	/* tcp option maxseg size set rt mtu */
void set_mss(struct nftnl_rule *r, uint16_t mss);	/* tcp option maxseg size set MSS */
void match_ifname_prefix(struct nftnl_rule *r, uint32_t key, const char *prefix); /* "X*" */
void e_counter_named(struct nftnl_rule *r, const char *name);	/* counter name "X" */
void e_dynset_update(struct nftnl_rule *r, const char *set, uint32_t set_id);
void match_fib_saddr_iif(struct nftnl_rule *r);		/* fib saddr . iif oif exists */
void match_saddr_not_in(struct nftnl_rule *r, const struct prefix *p);	/* ip saddr != P */

#endif
