// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rules of the plan as libnftnl objects. They mirror what nft 1.0.6
 * generates for the same syntax (render.c prints it), so `nft list
 * ruleset` shows them plainly and a saved ruleset loads back unchanged.
 */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "lib/owned.h"
#include "nft/expr.h"
#include "nft/objects.h"
#include "nft/rules.h"
#include "nft/tunnel_rules.h"

/*
 * meta nfproto ipvX tcp flags syn / fin,syn,rst,ack tcp dport @ports
 * fib daddr type local jump redirect_ipvX
 */
static struct nftnl_rule *dispatch_rule(int family)
{
	struct nftnl_rule *r = rule_new(CHAIN_PREROUTING);
	struct nftnl_expr *e;

	match_nfproto(r, family);
	match_tcp(r);
	match_syn(r);
	load_tcp_dport(r, NFT_REG_1);
	e_lookup(r, set_names[SET_PORTS], SET_ID(SET_PORTS));
	e = expr_add(r, "fib");
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	e_cmp_u32(r, RTN_LOCAL);
	e_verdict(r, NFT_JUMP, chain_names[redirect_chain(family)]);
	return r;
}

/* ip saddr @exclude_ipv4 return */
static struct nftnl_rule *exclude_rule(int family)
{
	struct nftnl_rule *r = rule_new(redirect_chain(family));

	match_nfproto(r, family);
	load_saddr(r, family);
	e_lookup(r, set_names[exclude_set(family)], SET_ID(exclude_set(family)));
	e_verdict(r, NFT_RETURN, NULL);
	return r;
}

/* update @SET { KEY } with the key in register 1, the set's own timeout (0), as nft says it */
static void update_set(struct nftnl_rule *r, enum set_id set)
{
	e_dynset_update(r, set_names[set], SET_ID(set));
}

/*
 * counter name tcp dport map @attempts [update @last_attempt { tcp dport }]
 * ct mark set ct mark | BIT: an attempt, no more. When it came is a figure
 * on NEW only (OLD was there: disable and check ask); OLD's DNAT rule
 * refreshes no set for it.
 */
static struct nftnl_rule *count_rule(int family, bool when)
{
	struct nftnl_rule *r = rule_new(redirect_chain(family));

	match_tcp(r);
	load_tcp_dport(r, NFT_REG_1);
	e_objref_map(r, set_names[SET_ATTEMPTS], SET_ID(SET_ATTEMPTS));
	if (when) {
		/* loaded again, as nft does: the rule is then what `nft -f` of its text makes */
		load_tcp_dport(r, NFT_REG_1);
		update_set(r, SET_LAST_ATTEMPT);
	}
	set_ct_mark(r, CT_MARK_BIT);
	return r;
}

/* ... counter name ct original proto-dst map @MAP: the service is the port dialled */
static void count_by_service(struct nftnl_rule *r, enum set_id map)
{
	e_ct_load(r, NFT_CT_PROTO_DST, IP_CT_DIR_ORIGINAL);
	e_objref_map(r, set_names[map], SET_ID(map));
}

/* ct mark & (BIT | SEEN) == BIT: a redirected flow not yet seen to do SEEN */
static void match_not_yet(struct nftnl_rule *r, uint32_t seen)
{
	uint32_t bit = CT_MARK_BIT;

	e_ct_load(r, NFT_CT_MARK, -1);
	e_bitwise_u32(r, CT_MARK_BIT | seen, 0);
	e_cmp(r, &bit, sizeof(bit));
}

/*
 * ct mark & ALL == ALL meta l4proto tcp counter name ct original proto-dst
 * map @traffic accept: nearly every packet of a redirected flow is one
 * already counted, and leaves the chain here at the cost of the byte
 * counter alone. The mark comes first: it is what most packets that are
 * not ours fail on.
 */
static struct nftnl_rule *fast_rule(enum chain_id chain)
{
	struct nftnl_rule *r = rule_new(chain);
	uint32_t all = CT_MARK_ALL;

	e_ct_load(r, NFT_CT_MARK, -1);
	e_bitwise_u32(r, CT_MARK_ALL, 0);
	e_cmp(r, &all, sizeof(all));
	match_tcp(r);
	count_by_service(r, SET_TRAFFIC);
	e_verdict(r, NF_ACCEPT, NULL);
	return r;
}

/*
 * ct mark & BIT != BIT accept: a flow that is not redirected has nothing
 * to count, and no rule after this one to read. Placed after the
 * tunnel's guards, which are for exactly those flows.
 */
static struct nftnl_rule *not_ours_rule(enum chain_id chain)
{
	struct nftnl_rule *r = rule_new(chain);

	match_no_ct_mark(r, CT_MARK_BIT);
	e_verdict(r, NF_ACCEPT, NULL);
	return r;
}

/*
 * ct direction reply ct mark & 0x50000000 == 0x10000000 tcp flags syn,ack /
 * fin,syn,rst,ack ct mark set ct mark | ANSWERED counter name ct original
 * proto-dst map @answered: NEW's first SYN-ACK, once per flow (a
 * retransmitted one finds the bit set; a RST is no answer).
 */
static struct nftnl_rule *answered_rule(enum chain_id chain)
{
	struct nftnl_rule *r = rule_new(chain);
	const uint8_t mask = TH_FIN | TH_SYN | TH_RST | TH_ACK, zero = 0;

	e_ct_load(r, NFT_CT_DIRECTION, -1);
	e_cmp_u8(r, IP_CT_DIR_REPLY);
	match_not_yet(r, CT_MARK_ANSWERED);
	match_tcp(r);
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);
	e_bitwise(r, &mask, &zero, 1);
	e_cmp_u8(r, TH_SYN | TH_ACK);
	set_ct_mark(r, CT_MARK_ANSWERED);
	count_by_service(r, SET_ANSWERED);
	e_ct_load(r, NFT_CT_PROTO_DST, IP_CT_DIR_ORIGINAL);	/* again, as nft does */
	update_set(r, SET_LAST_ANSWER);
	return r;
}

/* ct status assured: conntrack saw the handshake complete */
static void match_assured(struct nftnl_rule *r)
{
	uint32_t assured = IPS_ASSURED, zero = 0;

	e_ct_load(r, NFT_CT_STATUS, -1);
	e_bitwise_u32(r, assured, 0);
	e_cmp_op(r, NFT_CMP_NEQ, &zero, sizeof(zero));
}

/* ct direction original */
static void match_original(struct nftnl_rule *r)
{
	e_ct_load(r, NFT_CT_DIRECTION, -1);
	e_cmp_u8(r, IP_CT_DIR_ORIGINAL);
}

/* ... ct mark set ct mark | ESTABLISHED counter name ct original proto-dst map @connections */
static void count_connection(struct nftnl_rule *r)
{
	set_ct_mark(r, CT_MARK_ESTABLISHED);
	count_by_service(r, SET_CONNECTIONS);
}

/*
 * ct status assured ct direction original ct mark & 0x30000000 ==
 * 0x10000000 meta l4proto tcp update @sources_ipvX { ip saddr . ct
 * original proto-dst } ct mark set ct mark | ESTABLISHED counter name ct
 * original proto-dst map @connections: the client's ACK that completes
 * the handshake with NEW (conntrack calls it assured; a blind or
 * out-of-window ACK is not), once per flow; the SYN and the SYN-ACK fail
 * at the first test. One set update per connection: the source's element
 * is also when the service was last used (stats reads the newest element
 * of each port). A full set fails the update and ends the rule before the
 * mark: the next rule then counts it. The family is checked where `ip
 * saddr` needs it, where nft puts it when it loads the rule's text (its
 * listing leaves the check implied).
 */
static struct nftnl_rule *established_rule(enum chain_id chain, int family)
{
	struct nftnl_rule *r = rule_new(chain);

	match_assured(r);
	match_original(r);
	match_not_yet(r, CT_MARK_ESTABLISHED);
	match_tcp(r);
	match_nfproto(r, family);
	load_saddr(r, family);
	/* the port goes right after the address, in the next 32-bit register */
	e_ct_load_reg(r, NFT_CT_PROTO_DST, IP_CT_DIR_ORIGINAL,
		      family == AF_INET ? NFT_REG32_01 : NFT_REG_2);
	update_set(r, sources_set(family));
	count_connection(r);
	return r;
}

/*
 * ct mark & 0x30000000 == 0x10000000 ct status assured ct direction
 * original meta l4proto tcp ct mark set ct mark | ESTABLISHED counter name
 * ct original proto-dst map @connections update @last_seen { ct original
 * proto-dst }: a connection whose source found no room in a full
 * stale-source set. It is counted all the same, and its service's last use
 * kept in a set of ports, which cannot fill up. The mark first: the ACK
 * the rule before counted fails there.
 */
static struct nftnl_rule *unlisted_rule(enum chain_id chain)
{
	struct nftnl_rule *r = rule_new(chain);

	match_not_yet(r, CT_MARK_ESTABLISHED);
	match_assured(r);
	match_original(r);
	match_tcp(r);
	count_connection(r);
	e_ct_load(r, NFT_CT_PROTO_DST, IP_CT_DIR_ORIGINAL);	/* again, as nft does */
	update_set(r, SET_LAST_SEEN);
	return r;
}

static struct nftnl_rule *dnat_rule(const struct spec *spec, int family)
{
	struct nftnl_rule *r = count_rule(family, false);
	struct address to = dnat_target(spec, family);

	dnat_to(r, &to);
	return r;
}

/* ct mark & BIT == BIT masquerade */
static struct nftnl_rule *masquerade_rule(void)
{
	struct nftnl_rule *r = rule_new(CHAIN_POSTROUTING);

	match_ct_mark(r, CT_MARK_BIT);
	expr_add(r, "masq");
	return r;
}

/*
 * meta l4proto tcp counter name ct original proto-dst map @traffic: the
 * bytes of a redirected flow not counted yet (what is not redirected left
 * at not_ours_rule).
 */
static struct nftnl_rule *traffic_rule(enum chain_id chain)
{
	struct nftnl_rule *r = rule_new(chain);

	match_tcp(r);
	count_by_service(r, SET_TRAFFIC);
	return r;
}

struct nftnl_rule *rule_build(const struct spec *spec, const struct planned_rule *p)
{
	switch (p->kind) {
	case RULE_DISPATCH: return dispatch_rule(p->family);
	case RULE_EXCLUDE: return exclude_rule(p->family);
	case RULE_DNAT: return dnat_rule(spec, p->family);
	case RULE_MASQUERADE: return masquerade_rule();
	case RULE_TRAFFIC: return traffic_rule(p->chain);
	case RULE_ARRIVE: return arrive_rule(p->family);
	case RULE_COUNT: return count_rule(p->family, true);
	case RULE_FAST: return fast_rule(p->chain);
	case RULE_ANSWERED: return answered_rule(p->chain);
	case RULE_ESTABLISHED: return established_rule(p->chain, p->family);
	case RULE_UNLISTED: return unlisted_rule(p->chain);
	case RULE_NOT_OURS: return not_ours_rule(p->chain);
	case RULE_SKIP_PEER: return skip_peer_rule(spec, p->family);
	default: return tunnel_rule_build(spec, p);
	}
}
