// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec -> the transaction that installs (or adjusts) our table: the plan
 * of rules, and the reconcile of what the kernel has (the view) with what
 * the spec asks for. Pure, so tests/unit checks it against golden output.
 *
 * The rules mirror what nft 1.0.6 generates for the same syntax, so `nft
 * list ruleset` shows them plainly and a saved ruleset loads back
 * unchanged. The dry-run text (render.c) is that syntax.
 */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "nft/expr.h"
#include "nft/objects.h"
#include "nft/range.h"
#include "nft/render.h"
#include "nft/ruleset.h"
#include "lib/owned.h"

static const int families[] = { AF_INET, AF_INET6 };

unsigned int chains_needed(const struct spec *spec)
{
	unsigned int m = 0, i;

	if (spec->role == ROLE_NEW)
		m |= 1U << CHAIN_INPUT | 1U << CHAIN_OUTPUT;
	else
		m |= 1U << CHAIN_PREROUTING | 1U << CHAIN_FORWARD;
	for (i = 0; i < 2; i++)
		if (spec_uses(spec, families[i]))
			m |= 1U << redirect_chain(families[i]);
	if (spec->masquerade)
		m |= 1U << CHAIN_POSTROUTING;
	if (spec->keep_client_address)
		m |= 1U << CHAIN_INPUT;
	if (spec_tunnel(spec))
		m |= 1U << CHAIN_RAW_PREROUTING | 1U << CHAIN_RAW_OUTPUT;
	return m;
}

unsigned int sets_needed(const struct spec *spec)
{
	unsigned int m = 1U << SET_PORTS | 1U << SET_CONNECTIONS | 1U << SET_ATTEMPTS |
			 1U << SET_ANSWERED | 1U << SET_TRAFFIC | 1U << SET_LAST_SEEN |
			 1U << SET_LAST_ATTEMPT | 1U << SET_LAST_ANSWER, i;

	for (i = 0; i < 2; i++) {
		if (!spec_uses(spec, families[i]))
			continue;
		m |= 1U << sources_set(families[i]);
		if (spec->role == ROLE_OLD)
			m |= 1U << exclude_set(families[i]);
	}
	return m;
}

static void add_table(struct ops *ops)
{
	struct nftnl_table *t = table_new();
	struct op *op;

	table_set_comment(t, TABLE_COMMENT);
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, 0);
	op = ops_push(ops, OP_TABLE, NFT_MSG_NEWTABLE, NLM_F_CREATE, t);
	op_describe(op, "table inet %s", TABLE_NAME);
}

struct nftnl_chain *ruleset_chain(enum chain_id id)
{
	struct nftnl_chain *c = chain_new(id);

	switch (id) {
	case CHAIN_PREROUTING:
		chain_hook(c, "nat", NF_INET_PRE_ROUTING, PRIO_DSTNAT);
		break;
	case CHAIN_POSTROUTING:
		chain_hook(c, "nat", NF_INET_POST_ROUTING, PRIO_SRCNAT);
		break;
	case CHAIN_FORWARD:
		chain_hook(c, "filter", NF_INET_FORWARD, PRIO_FILTER);
		break;
	case CHAIN_INPUT:
		chain_hook(c, "filter", NF_INET_LOCAL_IN, PRIO_FILTER);
		break;
	case CHAIN_OUTPUT:
		chain_hook(c, "filter", NF_INET_LOCAL_OUT, PRIO_FILTER);
		break;
	case CHAIN_RAW_PREROUTING:
		chain_hook(c, "filter", NF_INET_PRE_ROUTING, PRIO_RAW);
		break;
	case CHAIN_RAW_OUTPUT:
		chain_hook(c, "filter", NF_INET_LOCAL_OUT, PRIO_RAW);
		break;
	default:
		break;
	}
	return c;
}

static void add_chain(struct ops *ops, enum chain_id id)
{
	struct op *op = ops_push(ops, OP_CHAIN, NFT_MSG_NEWCHAIN, NLM_F_CREATE, ruleset_chain(id));

	op_describe(op, "chain %s", chain_names[id]);
}

static void flush_chain(struct ops *ops, enum chain_id id)
{
	struct op *op = ops_push(ops, OP_RULE, NFT_MSG_DELRULE, 0, rule_new(id));

	op_describe(op, "the rules of chain %s", chain_names[id]);
}

static void delete_chain(struct ops *ops, enum chain_id id)
{
	struct op *op = ops_push(ops, OP_CHAIN, NFT_MSG_DELCHAIN, 0, chain_new(id));

	op_describe(op, "chain %s", chain_names[id]);
}

static void add_set(struct ops *ops, struct nftnl_set *s)
{
	struct op *op = ops_push(ops, OP_SET, NFT_MSG_NEWSET, NLM_F_CREATE, s);

	op_describe(op, "set %s", nftnl_set_get_str(s, NFTNL_SET_NAME));
}

static void delete_set(struct ops *ops, enum set_id id)
{
	struct op *op = ops_push(ops, OP_SET, NFT_MSG_DELSET, 0, set_new(id));

	op_describe(op, "set %s", set_names[id]);
}

static void flush_set(struct ops *ops, enum set_id id)
{
	struct op *op = ops_push(ops, OP_ELEMS, NFT_MSG_DELSETELEM, 0, set_new(id));

	op_describe(op, "the elements of set %s", set_names[id]);
}

static void add_elems(struct ops *ops, struct nftnl_set *s)
{
	struct op *op = ops_push(ops, OP_ELEMS, NFT_MSG_NEWSETELEM, NLM_F_CREATE, s);

	op_describe(op, "the elements of set %s", nftnl_set_get_str(s, NFTNL_SET_NAME));
}

static void add_port_elems(struct ops *ops, const struct spec *spec)
{
	struct nftnl_set *s = set_new(SET_PORTS);
	unsigned int i;

	for (i = 0; i < spec->nservices; i++) {
		uint16_t port = htons(spec->services[i].port);

		elem_add(s, &port, sizeof(port));
	}
	add_elems(ops, s);
}

static void add_counter_map_elems(struct ops *ops, const struct spec *spec, enum set_id id)
{
	struct nftnl_set *s = set_new(id);
	char name[COUNTER_NAME_MAX];
	unsigned int i;

	for (i = 0; i < spec->nservices; i++) {
		const struct service *svc = &spec->services[i];
		uint16_t port = htons(svc->port);
		struct nftnl_set_elem *el = elem_add(s, &port, sizeof(port));

		counter_name(svc, id, name, sizeof(name));
		nftnl_set_elem_set_str(el, NFTNL_SET_ELEM_OBJREF, name);
	}
	add_elems(ops, s);
}

/*
 * Interval sets hold pairs of (start, end-exclusive flagged INTERVAL_END),
 * preceded by an end marker at 0 when the first range starts above it:
 * the layout nft itself sends, so the listing reads as prefixes.
 */
static void add_exclude_elems(struct ops *ops, const struct spec *spec, int family)
{
	struct nftnl_set *s = set_new(exclude_set(family));
	struct range ranges[RANGES_MAX];
	static const uint8_t zero[16];
	uint32_t len = family == AF_INET ? 4 : 16;
	unsigned int i, n = exclude_ranges(spec, family, ranges);
	struct nftnl_set_elem *el;

	if (n && memcmp(ranges[0].start, zero, len)) {
		el = elem_add(s, zero, len);
		nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	}
	for (i = 0; i < n; i++) {
		elem_add(s, ranges[i].start, len);
		if (ranges[i].to_top)
			continue;
		el = elem_add(s, ranges[i].end, len);
		nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	}
	add_elems(ops, s);
}

static bool view_has_counter(const struct table_view *view, const char *name)
{
	unsigned int i;

	for (i = 0; i < view->ncounters; i++)
		if (!strcmp(view->counters[i], name))
			return true;
	return false;
}

static bool spec_has_counter(const struct spec *spec, const char *name)
{
	char mine[COUNTER_NAME_MAX];
	unsigned int i, m;

	for (i = 0; i < spec->nservices; i++)
		for (m = 0; m < COUNTER_MAPS; m++) {
			counter_name(&spec->services[i], counter_maps[m], mine, sizeof(mine));
			if (!strcmp(mine, name))
				return true;
		}
	return false;
}

static void add_counter(struct ops *ops, const char *name, const char *comment)
{
	struct nftnl_obj *o = counter_new(name);
	struct op *op;

	obj_set_comment(o, comment);
	op = ops_push(ops, OP_OBJ, NFT_MSG_NEWOBJ, NLM_F_CREATE, o);
	op_describe(op, "counter %s", name);
}

/* Counters that exist keep their values: NEWOBJ without EXCL leaves them be. */
static void add_counters(struct ops *ops, const struct spec *spec, const struct table_view *view)
{
	char name[COUNTER_NAME_MAX], comment[64];
	unsigned int i, m;

	for (i = 0; i < spec->nservices; i++) {
		for (m = 0; m < COUNTER_MAPS; m++) {
			counter_name(&spec->services[i], counter_maps[m], name, sizeof(name));
			if (view_has_counter(view, name))
				continue;
			counter_comment(&spec->services[i], counter_maps[m], comment, sizeof(comment));
			add_counter(ops, name, comment);
		}
	}
}

static void delete_stale_counters(struct ops *ops, const struct spec *spec,
				  const struct table_view *view)
{
	unsigned int i;
	struct op *op;

	for (i = 0; i < view->ncounters; i++) {
		if (spec_has_counter(spec, view->counters[i]))
			continue;
		op = ops_push(ops, OP_OBJ, NFT_MSG_DELOBJ, 0, counter_new(view->counters[i]));
		op_describe(op, "counter %s", view->counters[i]);
	}
}

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
	struct nftnl_expr *e = expr_add(r, "dynset");

	nftnl_expr_set_u64(e, NFTNL_EXPR_DYNSET_TIMEOUT, 0);

	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, set_names[set]);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SET_ID, SET_ID(set));
}

/* counter name tcp dport map @attempts ct mark set ct mark | BIT: an attempt, no more */
static struct nftnl_rule *count_rule(int family)
{
	struct nftnl_rule *r = rule_new(redirect_chain(family));

	match_tcp(r);
	load_tcp_dport(r, NFT_REG_1);
	e_objref_map(r, set_names[SET_ATTEMPTS], SET_ID(SET_ATTEMPTS));
	/* loaded again, as nft does: the rule is then what `nft -f` of its text makes */
	load_tcp_dport(r, NFT_REG_1);
	update_set(r, SET_LAST_ATTEMPT);
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
 * meta l4proto tcp ct mark & ALL == ALL counter name ct original proto-dst
 * map @traffic accept: nearly every packet of a redirected flow is one
 * already counted, and leaves the chain here at the cost of the old byte
 * counter alone.
 */
static struct nftnl_rule *fast_rule(enum chain_id chain)
{
	struct nftnl_rule *r = rule_new(chain);
	uint32_t all = CT_MARK_ALL;

	match_tcp(r);
	e_ct_load(r, NFT_CT_MARK, -1);
	e_bitwise_u32(r, CT_MARK_ALL, 0);
	e_cmp(r, &all, sizeof(all));
	count_by_service(r, SET_TRAFFIC);
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

/*
 * meta nfproto ipvX meta l4proto tcp ct direction original ct mark &
 * 0x30000000 == 0x10000000 ct status assured ct mark set ct mark |
 * ESTABLISHED counter name ct original proto-dst map @connections update
 * @last_seen { ct original proto-dst } update @sources_ipvX { ip saddr . ct
 * original proto-dst }: the client's ACK that completes the handshake with
 * NEW (conntrack calls it assured; a blind or out-of-window ACK is not),
 * once per flow. The stale-source update comes last: a full set fails it
 * and ends the rule, after the count, the mark and the service's last use.
 */
static struct nftnl_rule *established_rule(enum chain_id chain, int family)
{
	struct nftnl_rule *r = rule_new(chain);
	uint32_t assured = IPS_ASSURED, zero = 0;

	match_nfproto(r, family);
	match_tcp(r);
	e_ct_load(r, NFT_CT_DIRECTION, -1);
	e_cmp_u8(r, IP_CT_DIR_ORIGINAL);
	match_not_yet(r, CT_MARK_ESTABLISHED);
	e_ct_load(r, NFT_CT_STATUS, -1);
	e_bitwise_u32(r, assured, 0);
	e_cmp_op(r, NFT_CMP_NEQ, &zero, sizeof(zero));
	set_ct_mark(r, CT_MARK_ESTABLISHED);
	count_by_service(r, SET_CONNECTIONS);
	e_ct_load(r, NFT_CT_PROTO_DST, IP_CT_DIR_ORIGINAL);
	update_set(r, SET_LAST_SEEN);
	load_saddr(r, family);
	/* the port goes right after the address, in the next 32-bit register */
	e_ct_load_reg(r, NFT_CT_PROTO_DST, IP_CT_DIR_ORIGINAL,
		      family == AF_INET ? NFT_REG32_01 : NFT_REG_2);
	update_set(r, sources_set(family));
	return r;
}

/*
 * ... dnat ip to NEW: its public address, or its tunnel address, which
 * OLD's connected route to the tunnel reaches.
 */
const struct address *dnat_target(const struct spec *spec, int family)
{
	return spec->keep_client_address ? tunnel_target(family) : spec_target(spec, family);
}

static struct nftnl_rule *dnat_rule(const struct spec *spec, int family)
{
	struct nftnl_rule *r = count_rule(family);

	dnat_to(r, dnat_target(spec, family));
	return r;
}

/*
 * udp dport 4789 @th,96,24 VNI ip saddr != PEER drop: the VXLAN socket
 * takes our VNI from anyone, so this table lets it in only from the
 * other end. Other users of VXLAN (other VNIs) are not touched.
 */
static struct nftnl_rule *vxlan_guard_rule(const struct spec *spec)
{
	const struct address *peer = spec_peer(spec);
	const uint16_t port = htons(TUNNEL_PORT);
	const uint8_t vni[3] = { TUNNEL_VNI >> 16, (TUNNEL_VNI >> 8) & 0xff, TUNNEL_VNI & 0xff };
	struct nftnl_rule *r = rule_new(CHAIN_INPUT);

	e_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	e_cmp_u8(r, IPPROTO_UDP);
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	e_cmp(r, &port, sizeof(port));
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 12, 3, NFT_REG_1);	/* after UDP's 8 bytes */
	e_cmp(r, vni, sizeof(vni));
	match_nfproto(r, peer->family);
	load_saddr(r, peer->family);
	e_cmp_op(r, NFT_CMP_NEQ, &peer->in, peer->family == AF_INET ? 4 : 16);
	expr_add(r, "counter");		/* stats shows what was turned away */
	e_verdict(r, NF_DROP, NULL);
	return r;
}

/*
 * udp dport 4789 ip saddr PEER notrack (raw prerouting), ip daddr PEER
 * (raw output): each redirected connection's outer UDP would make two
 * conntrack entries, one per direction (each its own source port), never
 * answered; the guard in input is stateless.
 */
static struct nftnl_rule *notrack_rule(const struct spec *spec, enum chain_id chain)
{
	const struct address *peer = spec_peer(spec);
	const uint16_t port = htons(TUNNEL_PORT);
	struct nftnl_rule *r = rule_new(chain);

	e_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	e_cmp_u8(r, IPPROTO_UDP);
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	e_cmp(r, &port, sizeof(port));
	match_nfproto(r, peer->family);
	if (chain == CHAIN_RAW_PREROUTING)
		load_saddr(r, peer->family);
	else
		e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, peer->family == AF_INET ? 16 : 24,
			  peer->family == AF_INET ? 4 : 16, NFT_REG_1);
	e_cmp(r, &peer->in, peer->family == AF_INET ? 4 : 16);
	expr_add(r, "notrack");
	return r;
}

/* iifname|oifname "TUNNEL" ct mark & BIT != BIT drop */
static struct nftnl_rule *tunnel_guard_rule(uint32_t ifname_key)
{
	struct nftnl_rule *r = rule_new(CHAIN_FORWARD);

	match_ifname(r, ifname_key, TUNNEL_IFNAME);
	match_no_ct_mark(r, CT_MARK_BIT);
	expr_add(r, "counter");
	e_verdict(r, NF_DROP, NULL);
	return r;
}

/*
 * oifname "TUNNEL" tcp flags syn / syn,rst tcp option maxseg size set rt mtu
 * PMTU's ICMP is often lost on the way, and the tunnel is 50 bytes
 * narrower than the path: each end must learn a fitting MSS from the
 * other's SYN. Into the tunnel the route's MTU is the tunnel's.
 */
static struct nftnl_rule *clamp_into_rule(void)
{
	struct nftnl_rule *r = rule_new(CHAIN_FORWARD);

	match_ifname(r, NFT_META_OIFNAME, TUNNEL_IFNAME);
	match_tcp(r);
	match_syn_or_synack(r);
	set_mss_route(r);
	return r;
}

/*
 * iifname "TUNNEL" meta nfproto ipvX tcp flags syn / syn,rst tcp option
 * maxseg size set MSS: out of the tunnel the route is the client's, so the
 * tunnel's MSS is written as a number.
 */
static struct nftnl_rule *clamp_out_rule(const struct spec *spec, int family)
{
	struct nftnl_rule *r = rule_new(CHAIN_FORWARD);

	match_ifname(r, NFT_META_IIFNAME, TUNNEL_IFNAME);
	match_nfproto(r, family);
	match_tcp(r);
	match_syn_or_synack(r);
	set_mss(r, (uint16_t)tunnel_mss(spec->tunnel_mtu, family));
	return r;
}

/* NEW: ip saddr 169.254.77.1 return */
static struct nftnl_rule *skip_peer_rule(int family)
{
	struct nftnl_rule *r = rule_new(redirect_chain(family));
	struct prefix old;

	tunnel_address(family, ROLE_OLD, &old);
	match_nfproto(r, family);
	load_saddr(r, family);
	e_cmp(r, &old.addr.in, family == AF_INET ? 4 : 16);
	e_verdict(r, NFT_RETURN, NULL);
	return r;
}

/*
 * NEW: iifname "TUNNEL" meta nfproto ipvX tcp flags syn / fin,syn,rst,ack
 * tcp dport @ports jump redirect_ipvX
 */
static struct nftnl_rule *arrive_rule(int family)
{
	struct nftnl_rule *r = rule_new(CHAIN_INPUT);

	match_ifname(r, NFT_META_IIFNAME, TUNNEL_IFNAME);
	match_nfproto(r, family);
	match_tcp(r);
	match_syn(r);
	load_tcp_dport(r, NFT_REG_1);
	e_lookup(r, set_names[SET_PORTS], SET_ID(SET_PORTS));
	e_verdict(r, NFT_JUMP, chain_names[redirect_chain(family)]);
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

/* meta l4proto tcp ct mark & BIT == BIT counter name ct original proto-dst map @traffic */
static struct nftnl_rule *traffic_rule(enum chain_id chain)
{
	struct nftnl_rule *r = rule_new(chain);

	match_tcp(r);
	match_ct_mark(r, CT_MARK_BIT);
	e_ct_load(r, NFT_CT_PROTO_DST, IP_CT_DIR_ORIGINAL);
	e_objref_map(r, set_names[SET_TRAFFIC], SET_ID(SET_TRAFFIC));
	return r;
}

static struct nftnl_rule *rule_build(const struct spec *spec, const struct planned_rule *p)
{
	switch (p->kind) {
	case RULE_DISPATCH: return dispatch_rule(p->family);
	case RULE_EXCLUDE: return exclude_rule(p->family);
	case RULE_DNAT: return dnat_rule(spec, p->family);
	case RULE_MASQUERADE: return masquerade_rule();
	case RULE_TRAFFIC: return traffic_rule(p->chain);
	case RULE_VXLAN_GUARD: return vxlan_guard_rule(spec);
	case RULE_NOTRACK_IN: return notrack_rule(spec, CHAIN_RAW_PREROUTING);
	case RULE_NOTRACK_OUT: return notrack_rule(spec, CHAIN_RAW_OUTPUT);
	case RULE_TUNNEL_GUARD_IN: return tunnel_guard_rule(NFT_META_IIFNAME);
	case RULE_TUNNEL_GUARD_OUT: return tunnel_guard_rule(NFT_META_OIFNAME);
	case RULE_CLAMP_INTO: return clamp_into_rule();
	case RULE_CLAMP_OUT: return clamp_out_rule(spec, p->family);
	case RULE_ARRIVE: return arrive_rule(p->family);
	case RULE_COUNT: return count_rule(p->family);
	case RULE_FAST: return fast_rule(p->chain);
	case RULE_ANSWERED: return answered_rule(p->chain);
	case RULE_ESTABLISHED: return established_rule(p->chain, p->family);
	case RULE_SKIP_PEER: return skip_peer_rule(p->family);
	}
	abort();
}

static void plan_push(struct planned_rule *out, unsigned int *n, enum chain_id chain,
		      enum rule_kind kind, int family)
{
	if (*n == PLAN_MAX)
		abort();	/* a plan longer than any spec makes: a bug here */
	out[*n].chain = chain;
	out[*n].kind = kind;
	out[*n].family = family;
	(*n)++;
}

/*
 * Counting that waits for the flow: NEW's SYN-ACK (in @replies), the
 * completed handshake (in @originals), then the bytes of both.
 */
static void plan_counting(const struct spec *spec, enum chain_id replies,
			  enum chain_id originals, struct planned_rule *out, unsigned int *n)
{
	unsigned int i;

	plan_push(out, n, replies, RULE_ANSWERED, 0);
	for (i = 0; i < 2; i++)
		if (spec_uses(spec, families[i]))
			plan_push(out, n, originals, RULE_ESTABLISHED, families[i]);
	plan_push(out, n, originals, RULE_TRAFFIC, 0);
	if (replies != originals)
		plan_push(out, n, replies, RULE_TRAFFIC, 0);
}

/* OLD: catch, redirect, (masquerade), count, guard the tunnel. */
static unsigned int plan_old(const struct spec *spec, struct planned_rule *out)
{
	unsigned int i, n = 0;

	for (i = 0; i < 2; i++)
		if (spec_uses(spec, families[i]))
			plan_push(out, &n, CHAIN_PREROUTING, RULE_DISPATCH, families[i]);
	for (i = 0; i < 2; i++) {
		enum chain_id chain = redirect_chain(families[i]);

		if (!spec_uses(spec, families[i]))
			continue;
		plan_push(out, &n, chain, RULE_EXCLUDE, families[i]);
		plan_push(out, &n, chain, RULE_DNAT, families[i]);
	}
	if (spec->masquerade)
		plan_push(out, &n, CHAIN_POSTROUTING, RULE_MASQUERADE, 0);
	plan_push(out, &n, CHAIN_FORWARD, RULE_FAST, 0);
	if (spec->keep_client_address) {
		plan_push(out, &n, CHAIN_FORWARD, RULE_TUNNEL_GUARD_IN, 0);
		plan_push(out, &n, CHAIN_FORWARD, RULE_TUNNEL_GUARD_OUT, 0);
		plan_push(out, &n, CHAIN_FORWARD, RULE_CLAMP_INTO, 0);
		for (i = 0; i < 2; i++)
			if (spec_uses(spec, families[i]))
				plan_push(out, &n, CHAIN_FORWARD, RULE_CLAMP_OUT, families[i]);
	}
	plan_counting(spec, CHAIN_FORWARD, CHAIN_FORWARD, out, &n);
	if (spec->keep_client_address) {
		plan_push(out, &n, CHAIN_INPUT, RULE_VXLAN_GUARD, 0);
		plan_push(out, &n, CHAIN_RAW_PREROUTING, RULE_NOTRACK_IN, 0);
		plan_push(out, &n, CHAIN_RAW_OUTPUT, RULE_NOTRACK_OUT, 0);
	}
	return n;
}

/*
 * NEW: guard the tunnel; what comes through it is an attempt, a connection
 * once its handshake completes (in input), answered at its SYN-ACK (in
 * output); its bytes both ways.
 */
static unsigned int plan_new(const struct spec *spec, struct planned_rule *out)
{
	unsigned int i, n = 0;

	plan_push(out, &n, CHAIN_INPUT, RULE_VXLAN_GUARD, 0);
	plan_push(out, &n, CHAIN_RAW_PREROUTING, RULE_NOTRACK_IN, 0);
	plan_push(out, &n, CHAIN_RAW_OUTPUT, RULE_NOTRACK_OUT, 0);
	plan_push(out, &n, CHAIN_INPUT, RULE_FAST, 0);
	for (i = 0; i < 2; i++)
		plan_push(out, &n, CHAIN_INPUT, RULE_ARRIVE, families[i]);
	for (i = 0; i < 2; i++) {
		plan_push(out, &n, redirect_chain(families[i]), RULE_SKIP_PEER, families[i]);
		plan_push(out, &n, redirect_chain(families[i]), RULE_COUNT, families[i]);
	}
	plan_push(out, &n, CHAIN_OUTPUT, RULE_FAST, 0);
	plan_counting(spec, CHAIN_OUTPUT, CHAIN_INPUT, out, &n);
	return n;
}

unsigned int ruleset_plan(const struct spec *spec, struct planned_rule *out)
{
	return spec->role == ROLE_NEW ? plan_new(spec, out) : plan_old(spec, out);
}

static void add_rules(struct ops *ops, const struct spec *spec)
{
	struct planned_rule plan[PLAN_MAX];
	unsigned int i, n = ruleset_plan(spec, plan);
	char text[512];
	struct op *op;

	for (i = 0; i < n; i++) {
		op = ops_push(ops, OP_RULE, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
			      rule_build(spec, &plan[i]));
		rule_text(spec, &plan[i], text, sizeof(text));
		op_describe(op, "the rule \"%s\" in chain %s", text, chain_names[plan[i].chain]);
	}
}

/* ---- what others put in our table ---- */

static const char *foreign_kind(const struct foreign *f)
{
	return f->kind == OP_CHAIN ? "chain" : f->kind == OP_SET ? "set" : "object";
}

/* Chains, sets and objects by name alone: what deleting them takes. */
static void *foreign_object(const struct foreign *f)
{
	struct nftnl_chain *c;
	struct nftnl_set *s;
	struct nftnl_obj *o;

	switch (f->kind) {
	case OP_CHAIN:
		c = chain_new(CHAIN_PREROUTING);
		nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, f->name);
		return c;
	case OP_SET:
		s = set_new(SET_PORTS);
		nftnl_set_set_str(s, NFTNL_SET_NAME, f->name);
		nftnl_set_unset(s, NFTNL_SET_ID);
		return s;
	default:
		o = counter_new(f->name);
		nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, f->obj_type);
		return o;
	}
}

/* Empties the chains others added (or changed): they go once nothing refers to them. */
static void flush_foreign_chains(struct ops *ops, const struct table_view *view)
{
	struct nftnl_rule *r;
	struct op *op;
	unsigned int i;

	for (i = 0; i < view->nforeign; i++) {
		if (view->foreign[i].kind != OP_CHAIN)
			continue;
		r = rule_new(CHAIN_PREROUTING);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, view->foreign[i].name);
		op = ops_push(ops, OP_RULE, NFT_MSG_DELRULE, 0, r);
		op_describe(op, "the rules of chain %s", view->foreign[i].name);
	}
}

static void delete_foreign(struct ops *ops, const struct table_view *view, enum op_object kind)
{
	static const uint16_t del[] = {
		[OP_CHAIN] = NFT_MSG_DELCHAIN, [OP_SET] = NFT_MSG_DELSET, [OP_OBJ] = NFT_MSG_DELOBJ,
	};
	const struct foreign *f;
	struct op *op;
	unsigned int i;

	for (i = 0; i < view->nforeign; i++) {
		f = &view->foreign[i];
		if (f->kind != kind)
			continue;
		op = ops_push(ops, kind, del[kind], 0, foreign_object(f));
		op_describe(op, "%s %s (%s)", foreign_kind(f), f->name,
			    f->reshaped ? "changed by hand" : "not redirect's");
	}
}

/* Step 1 of a reconcile: empty our chains and drop the ones not needed. */
static void clear_chains(struct ops *ops, const struct table_view *view, unsigned int needed)
{
	unsigned int id;

	for (id = 0; id < CHAIN_COUNT; id++)
		if (view->chains & 1U << id)
			flush_chain(ops, id);
	flush_foreign_chains(ops, view);
	for (id = 0; id < CHAIN_COUNT; id++)
		if ((view->chains & 1U << id) && !(needed & 1U << id))
			delete_chain(ops, id);
	delete_foreign(ops, view, OP_CHAIN);
}

static bool is_port_time_set(unsigned int id)
{
	return id == SET_LAST_SEEN || id == SET_LAST_ATTEMPT || id == SET_LAST_ANSWER;
}

static bool is_dynamic_set(unsigned int id)
{
	return id == SET_SOURCES_IPV4 || id == SET_SOURCES_IPV6 || is_port_time_set(id);
}

/* A dynamic set whose timeout or size the spec changed: the kernel of Debian 12 changes neither in place. */
static bool dynamic_set_differs(const struct spec *spec, const struct table_view *view,
				unsigned int id)
{
	if (view->dynamic[id].timeout_ms != spec->remember * 1000)
		return true;
	return !is_port_time_set(id) && view->dynamic[id].size != spec->max_sources;
}

/*
 * Step 2: sets that stay are emptied and refilled; a dynamic set stays
 * whole (its elements are the history stats shows) unless --remember or
 * --max-sources changed it.
 */
static unsigned int clear_sets(struct ops *ops, const struct spec *spec,
			       const struct table_view *view, unsigned int needed)
{
	unsigned int id, kept = 0;

	for (id = 0; id < SET_COUNT; id++) {
		if (!(view->sets & 1U << id))
			continue;
		if (!(needed & 1U << id) ||
		    (is_dynamic_set(id) && dynamic_set_differs(spec, view, id))) {
			delete_set(ops, id);
			continue;
		}
		if (!is_dynamic_set(id))
			flush_set(ops, id);
		kept |= 1U << id;
	}
	return kept;
}

static struct nftnl_set *set_build(const struct spec *spec, enum set_id id)
{
	switch (id) {
	case SET_PORTS: return ports_set();
	case SET_CONNECTIONS:
	case SET_ATTEMPTS:
	case SET_ANSWERED:
	case SET_TRAFFIC: return counter_map(id);
	case SET_LAST_SEEN:
	case SET_LAST_ATTEMPT:
	case SET_LAST_ANSWER: return port_time_set_new(id, spec->remember * 1000);
	case SET_EXCLUDE_IPV4: return exclude_set_new(AF_INET);
	case SET_EXCLUDE_IPV6: return exclude_set_new(AF_INET6);
	case SET_SOURCES_IPV4:
		return sources_set_new(AF_INET, spec->remember * 1000, spec->max_sources);
	case SET_SOURCES_IPV6:
		return sources_set_new(AF_INET6, spec->remember * 1000, spec->max_sources);
	case SET_COUNT: break;
	}
	abort();
}

struct nftnl_set *ruleset_set_shape(enum set_id id)
{
	static struct spec defaults;

	if (!defaults.remember)
		spec_init(&defaults);
	return set_build(&defaults, id);
}

static void fill_sets(struct ops *ops, const struct spec *spec)
{
	unsigned int m;

	add_port_elems(ops, spec);
	for (m = 0; m < COUNTER_MAPS; m++)
		add_counter_map_elems(ops, spec, counter_maps[m]);
	if (spec->has_to4)
		add_exclude_elems(ops, spec, AF_INET);
	if (spec->has_to6)
		add_exclude_elems(ops, spec, AF_INET6);
}

/*
 * Order matters within the transaction: rules go before the chains and
 * sets they reference can be deleted, maps are emptied before the counters
 * they name can go, and new objects exist before anything refers to them.
 */
int ruleset_build(const struct spec *spec, const struct table_view *installed,
		  struct ops *out)
{
	unsigned int chains = chains_needed(spec), sets = sets_needed(spec), kept, id;
	const struct table_view none = { .exists = false };
	const struct table_view *view = installed;
	struct op *op;

	memset(out, 0, sizeof(*out));
	if (installed->overflow) {
		/* too much that is not ours to take apart: the whole table goes, in this batch */
		op = ops_push(out, OP_TABLE, NFT_MSG_DELTABLE, 0, table_new());
		op_describe(op, "table inet %s (changed by hand beyond repair)", TABLE_NAME);
		view = &none;
	}
	add_table(out);
	clear_chains(out, view, chains);
	kept = clear_sets(out, spec, view, sets);
	delete_foreign(out, view, OP_SET);
	delete_stale_counters(out, spec, view);
	delete_foreign(out, view, OP_OBJ);
	add_counters(out, spec, view);
	for (id = 0; id < SET_COUNT; id++)
		if ((sets & 1U << id) && !(kept & 1U << id))
			add_set(out, set_build(spec, id));
	fill_sets(out, spec);
	for (id = 0; id < CHAIN_COUNT; id++)
		if ((chains & 1U << id) && !(view->chains & 1U << id))
			add_chain(out, id);
	add_rules(out, spec);
	return 0;
}

/*
 * Conntrack runs in a namespace while some rule needs it. Disable must not
 * take that away from the redirected sessions still open (their NAT lives
 * in conntrack), so the drained table keeps one rule that reads the mark.
 * It never matches: the nat chain only sees new connections, and nothing
 * marks those any more.
 */
static void add_keep_conntrack_rule(struct ops *ops)
{
	struct nftnl_rule *r = rule_new(CHAIN_PREROUTING);
	struct op *op;

	match_ct_mark(r, CT_MARK_BIT);
	rule_set_comment(r, DRAIN_COMMENT);
	op = ops_push(ops, OP_RULE, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, r);
	op_describe(op, "the rule that keeps conntrack for open sessions in chain %s",
		    chain_names[CHAIN_PREROUTING]);
}

/*
 * Disable with redirected sessions still open: a nat chain on each NAT
 * hook and conntrack keep the kernel translating the flows it already
 * redirected (without them those sessions break); all the rest goes, so
 * nothing new is redirected.
 */
int ruleset_build_drain(const struct table_view *view, struct ops *out)
{
	const unsigned int keep = 1U << CHAIN_PREROUTING | 1U << CHAIN_POSTROUTING;
	unsigned int id;
	struct op *op;

	memset(out, 0, sizeof(*out));
	add_table(out);
	clear_chains(out, view, keep);
	for (id = 0; id < SET_COUNT; id++)
		if (view->sets & 1U << id)
			delete_set(out, id);
	delete_foreign(out, view, OP_SET);
	for (id = 0; id < view->ncounters; id++) {
		op = ops_push(out, OP_OBJ, NFT_MSG_DELOBJ, 0, counter_new(view->counters[id]));
		op_describe(op, "counter %s", view->counters[id]);
	}
	delete_foreign(out, view, OP_OBJ);
	for (id = 0; id < CHAIN_COUNT; id++)
		if ((keep & 1U << id) && !(view->chains & 1U << id))
			add_chain(out, id);
	add_keep_conntrack_rule(out);
	return 0;
}

int ruleset_build_delete(struct ops *out)
{
	struct op *op;

	memset(out, 0, sizeof(*out));
	op = ops_push(out, OP_TABLE, NFT_MSG_DELTABLE, 0, table_new());
	op_describe(op, "table inet %s", TABLE_NAME);
	return 0;
}

