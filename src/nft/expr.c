// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libnftnl expressions, one helper per kind, and the matches built of
 * them, in the register layout nft 1.0.6 itself generates: then `nft list
 * ruleset` prints them as plain nft syntax. (libnftnl keeps one expression
 * per file in src/expr/; these are the few we use, so one file.)
 */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "nft/expr.h"
#include "nft/ops.h"

struct nftnl_expr *expr_add(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = must(nftnl_expr_alloc(name));

	nftnl_rule_add_expr(r, e);
	return e;
}

void e_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = expr_add(r, "meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

void e_cmp_op(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = expr_add(r, "cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set_data(e, NFTNL_EXPR_CMP_DATA, data, len);
}

void e_cmp(struct nftnl_rule *r, const void *data, uint32_t len)
{
	e_cmp_op(r, NFT_CMP_EQ, data, len);
}

void e_cmp_u8(struct nftnl_rule *r, uint8_t v)
{
	e_cmp(r, &v, sizeof(v));
}

void e_cmp_u32(struct nftnl_rule *r, uint32_t v)
{
	e_cmp(r, &v, sizeof(v));
}

/* meta nfproto ipv4|ipv6 */
void match_nfproto(struct nftnl_rule *r, int family)
{
	e_meta(r, NFT_META_NFPROTO, NFT_REG_1);
	e_cmp_u8(r, family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6);
}

/* meta l4proto tcp */
void match_tcp(struct nftnl_rule *r)
{
	e_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	e_cmp_u8(r, IPPROTO_TCP);
}

void e_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset,
		      uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = expr_add(r, "payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
}

void load_tcp_dport(struct nftnl_rule *r, uint32_t dreg)
{
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, dreg);
}

void load_saddr(struct nftnl_rule *r, int family)
{
	if (family == AF_INET)
		e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1);
	else
		e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 8, 16, NFT_REG_1);
}

void e_lookup(struct nftnl_rule *r, const char *set, uint32_t set_id)
{
	struct nftnl_expr *e = expr_add(r, "lookup");

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, 0);	/* as the kernel reports it */
}

void e_objref_map(struct nftnl_rule *r, const char *map, uint32_t map_id)
{
	struct nftnl_expr *e = expr_add(r, "objref");

	nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_SET_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_SET_NAME, map);
	nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_SET_ID, map_id);
}

void e_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = expr_add(r, "immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
}

void e_ct_load_reg(struct nftnl_rule *r, uint32_t key, int dir, uint32_t dreg)
{
	struct nftnl_expr *e = expr_add(r, "ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
	if (dir >= 0)
		nftnl_expr_set_u8(e, NFTNL_EXPR_CT_DIR, (uint8_t)dir);
}

void e_ct_load(struct nftnl_rule *r, uint32_t key, int dir)
{
	e_ct_load_reg(r, key, dir, NFT_REG_1);
}

void e_bitwise(struct nftnl_rule *r, const void *mask, const void *xor, uint32_t len)
{
	struct nftnl_expr *e = expr_add(r, "bitwise");

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set_data(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set_data(e, NFTNL_EXPR_BITWISE_XOR, xor, len);
}

void e_bitwise_u32(struct nftnl_rule *r, uint32_t mask, uint32_t xor)
{
	e_bitwise(r, &mask, &xor, sizeof(uint32_t));
}

/*
 * tcp flags syn / fin,syn,rst,ack: only a connection's opening SYN. When
 * conntrack starts with enable, it picks up sessions already open from
 * their next packet, as new; that packet must not be redirected, or the
 * session breaks.
 */
void match_syn(struct nftnl_rule *r)
{
	const uint8_t mask = TH_FIN | TH_SYN | TH_RST | TH_ACK, zero = 0;

	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);
	e_bitwise(r, &mask, &zero, 1);
	e_cmp_u8(r, TH_SYN);
}

/* ct mark & BIT == BIT */
void match_ct_mark(struct nftnl_rule *r, uint32_t bit)
{
	e_ct_load(r, NFT_CT_MARK, -1);
	e_bitwise_u32(r, bit, 0);
	e_cmp_u32(r, bit);
}

/* ct mark set ct mark | BIT: other bits of the mark are left alone */
void set_ct_mark(struct nftnl_rule *r, uint32_t bit)
{
	struct nftnl_expr *e;

	e_ct_load(r, NFT_CT_MARK, -1);
	e_bitwise_u32(r, ~bit, bit);
	e = expr_add(r, "ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
}

void dnat_to(struct nftnl_rule *r, const struct address *to)
{
	struct nftnl_expr *e = expr_add(r, "immediate");
	uint32_t len = to->family == AF_INET ? 4 : 16;

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
	nftnl_expr_set_data(e, NFTNL_EXPR_IMM_DATA, &to->in, len);
	e = expr_add(r, "nat");
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY,
			   to->family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6);
	/* a range of one, spelt out as the kernel reports it back (drift.c compares) */
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_MAP_IPS);
}

/* iifname / oifname "NAME": the name padded to IFNAMSIZ, as nft compares it. */
void match_ifname(struct nftnl_rule *r, uint32_t key, const char *name)
{
	char padded[IFNAMSIZ] = "";

	snprintf(padded, sizeof(padded), "%s", name);
	e_meta(r, key, NFT_REG_1);
	e_cmp(r, padded, sizeof(padded));
}

/* tcp flags syn / syn,rst: a SYN or a SYN-ACK */
void match_syn_or_synack(struct nftnl_rule *r)
{
	const uint8_t mask = TH_SYN | TH_RST, zero = 0;

	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);
	e_bitwise(r, &mask, &zero, 1);
	e_cmp_u8(r, TH_SYN);
}

/* ct mark & BIT != BIT */
void match_no_ct_mark(struct nftnl_rule *r, uint32_t bit)
{
	e_ct_load(r, NFT_CT_MARK, -1);
	e_bitwise_u32(r, bit, 0);
	e_cmp_op(r, NFT_CMP_NEQ, &bit, sizeof(bit));
}

/* The MSS option of a TCP header, written from register 1 (2 bytes). */
static void write_maxseg(struct nftnl_rule *r)
{
	struct nftnl_expr *e = expr_add(r, "exthdr");

	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_SREG, NFT_REG_1);
	nftnl_expr_set_u8(e, NFTNL_EXPR_EXTHDR_TYPE, TCPOPT_MAXSEG);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OFFSET, 2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_LEN, 2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OP, NFT_EXTHDR_OP_TCPOPT);
}

/* tcp option maxseg size set rt mtu: the kernel only ever lowers an MSS */
void set_mss_route(struct nftnl_rule *r)
{
	struct nftnl_expr *e = expr_add(r, "rt");

	nftnl_expr_set_u32(e, NFTNL_EXPR_RT_KEY, NFT_RT_TCPMSS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_RT_DREG, NFT_REG_1);
	e = expr_add(r, "byteorder");
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, 2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, 2);
	write_maxseg(r);
}

/* tcp option maxseg size set MSS */
void set_mss(struct nftnl_rule *r, uint16_t mss)
{
	struct nftnl_expr *e = expr_add(r, "immediate");
	uint16_t be = htons(mss);

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
	nftnl_expr_set_data(e, NFTNL_EXPR_IMM_DATA, &be, sizeof(be));
	write_maxseg(r);
}

/* iifname / oifname "PREFIX*": the name's first bytes, as nft compares a wildcard. */
void match_ifname_prefix(struct nftnl_rule *r, uint32_t key, const char *prefix)
{
	e_meta(r, key, NFT_REG_1);
	e_cmp(r, prefix, (uint32_t)strlen(prefix));
}

/* counter name "NAME" */
void e_counter_named(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = expr_add(r, "objref");

	nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
	nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, name);
}

/* update @SET { KEY } with the key in register 1 and the set's own timeout, as nft says it */
void e_dynset_update(struct nftnl_rule *r, const char *set, uint32_t set_id)
{
	struct nftnl_expr *e = expr_add(r, "dynset");

	nftnl_expr_set_u64(e, NFTNL_EXPR_DYNSET_TIMEOUT, 0);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, set);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SET_ID, set_id);
}

/*
 * fib saddr . iif oif exists: the route back to the source leaves by the
 * interface the packet came in on (strict reverse path), as a bool.
 */
void match_fib_saddr_iif(struct nftnl_rule *r)
{
	struct nftnl_expr *e = expr_add(r, "fib");
	const uint32_t yes = 1;

	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS,
			   NFTA_FIB_F_SADDR | NFTA_FIB_F_IIF | NFTA_FIB_F_PRESENT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_OIF);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	e_cmp(r, &yes, sizeof(yes));
}

/*
 * ip saddr != PREFIX (ip6 too): a byte-aligned prefix as its bytes alone,
 * another as the whole address under a mask, as nft 1.0.6 generates them.
 */
void match_saddr_not_in(struct nftnl_rule *r, const struct prefix *p)
{
	uint32_t off = p->addr.family == AF_INET ? 12 : 8, full = p->addr.family == AF_INET ? 4 : 16;
	uint8_t mask[16] = { 0 }, zero[16] = { 0 };
	unsigned int i;

	if (p->len % 8 == 0) {
		e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, p->len / 8u, NFT_REG_1);
		e_cmp_op(r, NFT_CMP_NEQ, &p->addr.in, p->len / 8u);
		return;
	}
	for (i = 0; i < p->len; i++)
		mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, full, NFT_REG_1);
	e_bitwise(r, mask, zero, full);
	e_cmp_op(r, NFT_CMP_NEQ, &p->addr.in, full);
}
