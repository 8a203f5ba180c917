// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tunnels' rules (see tunnel_rules.h), as nft 1.0.6 generates them for
 * the syntax render.c prints. A packet that is not the tunnel's pays one
 * comparison or two per rule (the protocol, the port, the link's name);
 * only what comes out of a tunnel link pays for more, and at most one
 * route lookup (fib) and one lookup in the set of mail ports.
 */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <stdlib.h>

#include <libnftnl/rule.h>

#include "lib/owned.h"
#include "nft/expr.h"
#include "nft/objects.h"
#include "nft/tunnel_rules.h"

static uint32_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* ... @th,OFFSET,24 VNI: a VXLAN header's id at byte @offset of the transport header */
static void match_vni_at(struct nftnl_rule *r, uint32_t offset, uint32_t id)
{
	const uint8_t vni[3] = { (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id };

	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, offset, 3, NFT_REG_1);
	e_cmp(r, vni, sizeof(vni));
}

/* udp dport 4789 @th,96,24 VNI: the VXLAN header's VNI, after UDP's 8 bytes */
static void match_vxlan(struct nftnl_rule *r, uint32_t id)
{
	const uint16_t port = htons(TUNNEL_PORT);

	e_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	e_cmp_u8(r, IPPROTO_UDP);
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	e_cmp(r, &port, sizeof(port));
	match_vni_at(r, 12, id);
}

/* ... ip saddr != PEER */
static void match_not_peer(struct nftnl_rule *r, const struct address *peer)
{
	match_nfproto(r, peer->family);
	load_saddr(r, peer->family);
	e_cmp_op(r, NFT_CMP_NEQ, &peer->in, addr_len(peer->family));
}

/*
 * udp dport 4789 @th,96,24 VNI ip saddr != PEER update @strangers_ipvX
 * { ip saddr }: where a tunnel's packets come from that are not the other
 * end's (behind NAT, the address the other end's packets come from).
 */
static struct nftnl_rule *stranger_rule(const struct spec *spec, const struct planned_rule *p)
{
	const struct address *peer = planned_peer(spec, p);
	struct nftnl_rule *r = rule_new(CHAIN_INPUT);
	enum set_id set = strangers_set(peer->family);

	match_vxlan(r, planned_tunnel_id(spec, p));
	match_not_peer(r, peer);
	load_saddr(r, peer->family);
	e_dynset_update(r, set_names[set], SET_ID(set));
	return r;
}

/*
 * udp dport 4789 @th,96,24 VNI ip saddr != PEER counter drop: the VXLAN
 * socket takes its VNI from anyone, so this table lets it in only from the
 * other end. Other users of VXLAN (other VNIs) are not touched. (A rule of
 * its own after the stranger's: a full set would end that one.)
 */
static struct nftnl_rule *vxlan_guard_rule(const struct spec *spec,
					   const struct planned_rule *p)
{
	struct nftnl_rule *r = rule_new(CHAIN_INPUT);

	match_vxlan(r, planned_tunnel_id(spec, p));
	match_not_peer(r, planned_peer(spec, p));
	expr_add(r, "counter");
	e_verdict(r, NF_DROP, NULL);
	return r;
}

/*
 * ip saddr PEER icmp type destination-unreachable icmp code
 * port-unreachable @th,192,32 PEER @th,240,16 0x12b5 @th,320,24 VNI update
 * @tunnel_refused { meta l4proto } (icmpv6, @th,256,128, @th,400,16 and
 * @th,480,24 over IPv6): the other end's host says no socket takes this
 * tunnel's UDP there, so its end of the tunnel may be gone. What is
 * quoted after ICMP's 8 bytes is a packet of this tunnel's to it: its
 * destination the other end, its UDP port the tunnel's, its VXLAN header
 * (after UDP's 8 bytes) this tunnel's id; an IP header without options
 * (VXLAN's have none). A blind forger must guess the id to be believed;
 * one on the path sees all of it and still can.
 */
static struct nftnl_rule *refused_rule(const struct spec *spec, const struct planned_rule *p)
{
	const struct address *peer = planned_peer(spec, p);
	bool v4 = peer->family == AF_INET;
	const uint8_t unreach[2] = { v4 ? ICMP_DEST_UNREACH : 1, v4 ? ICMP_PORT_UNREACH : 4 };
	const uint16_t port = htons(TUNNEL_PORT);
	struct nftnl_rule *r = rule_new(CHAIN_INPUT);

	match_nfproto(r, peer->family);
	load_saddr(r, peer->family);
	e_cmp(r, &peer->in, addr_len(peer->family));
	e_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	e_cmp_u8(r, v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, NFT_REG_1);
	e_cmp(r, unreach, sizeof(unreach));
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, v4 ? 24 : 32, addr_len(peer->family),
		  NFT_REG_1);
	e_cmp(r, &peer->in, addr_len(peer->family));
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, v4 ? 30 : 50, 2, NFT_REG_1);
	e_cmp(r, &port, sizeof(port));
	match_vni_at(r, v4 ? 40 : 60, planned_tunnel_id(spec, p));
	e_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	e_dynset_update(r, set_names[SET_TUNNEL_REFUSED], SET_ID(SET_TUNNEL_REFUSED));
	return r;
}

/*
 * udp dport 4789 @th,96,24 VNI ip saddr PEER notrack (raw prerouting), ip
 * daddr PEER (raw output): each redirected connection's outer UDP would
 * make two conntrack entries, one per direction (each its own source
 * port), never answered; the guard in input is stateless. Only this
 * tunnel's: other VXLAN to or from the same host keeps its conntrack.
 */
static struct nftnl_rule *notrack_rule(const struct spec *spec, const struct planned_rule *p)
{
	const struct address *peer = planned_peer(spec, p);
	struct nftnl_rule *r = rule_new(p->chain);

	match_vxlan(r, planned_tunnel_id(spec, p));
	match_nfproto(r, peer->family);
	if (p->chain == CHAIN_RAW_PREROUTING)
		load_saddr(r, peer->family);
	else
		e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, peer->family == AF_INET ? 16 : 24,
			  addr_len(peer->family), NFT_REG_1);
	e_cmp(r, &peer->in, addr_len(peer->family));
	expr_add(r, "notrack");
	return r;
}

/*
 * udp dport 4789 @th,96,24 VNI ip saddr PEER accept (input): a tunnel's
 * own packets, every one of them, read this rule and no other of the
 * chain. The rules after it are for ICMP from the other end, for a
 * tunnel's UDP from elsewhere (another tunnel's peer too: hence the VNI
 * here), and the counting for TCP: none of them acts on these, and each
 * read them in vain (24 expressions a packet on OLD, 29 on NEW, where
 * every ACK of a redirected stream comes back this way).
 */
static struct nftnl_rule *peer_in_rule(const struct spec *spec, const struct planned_rule *p)
{
	const struct address *peer = planned_peer(spec, p);
	struct nftnl_rule *r = rule_new(CHAIN_INPUT);

	match_vxlan(r, planned_tunnel_id(spec, p));
	match_nfproto(r, peer->family);
	load_saddr(r, peer->family);
	e_cmp(r, &peer->in, addr_len(peer->family));
	e_verdict(r, NF_ACCEPT, NULL);
	return r;
}

/*
 * iifname "mail_redirect*" jump from_tunnel: the one comparison every
 * packet pays (raw prerouting, before conntrack: a forged packet never
 * makes an entry); what comes out of a tunnel link is judged there.
 */
static struct nftnl_rule *tunnel_in_rule(void)
{
	struct nftnl_rule *r = rule_new(CHAIN_RAW_PREROUTING);

	match_ifname_prefix(r, NFT_META_IIFNAME, TUNNEL_IFNAME);
	e_verdict(r, NFT_JUMP, chain_names[CHAIN_FROM_TUNNEL]);
	return r;
}

/* ... ip daddr NEW's-tunnel-address */
static void match_daddr(struct nftnl_rule *r, const struct address *a)
{
	e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, a->family == AF_INET ? 16 : 24,
		  addr_len(a->family), NFT_REG_1);
	e_cmp(r, &a->in, addr_len(a->family));
}

/* ... tcp dport @ports */
static void match_mail_port(struct nftnl_rule *r)
{
	match_tcp(r);
	load_tcp_dport(r, NFT_REG_1);
	e_lookup(r, set_names[SET_PORTS], SET_ID(SET_PORTS));
}

/*
 * NEW: ip saddr OLD's ip daddr NEW's tcp dport @ports return: OLD's
 * pre-flight probe through the tunnel (its tunnel address is no client,
 * and is not counted; nothing may trust it either).
 */
static struct nftnl_rule *probe_in_rule(const struct spec *spec, int family)
{
	struct nftnl_rule *r = rule_new(CHAIN_FROM_TUNNEL);
	struct prefix old;
	struct address new = tunnel_target(family, spec->tunnel_id);

	tunnel_address(family, ROLE_OLD, spec->tunnel_id, &old);
	match_nfproto(r, family);
	load_saddr(r, family);
	e_cmp(r, &old.addr.in, addr_len(family));
	match_daddr(r, &new);
	match_mail_port(r);
	e_verdict(r, NFT_RETURN, NULL);
	return r;
}

/* The sources no client has: nowhere, loopback, link-local (and the tunnels'). */
static unsigned int bogons(int family, struct prefix *out)
{
	static const struct { int family; const char *addr; uint8_t len; } list[] = {
		{ AF_INET, "0.0.0.0", 8 }, { AF_INET, "127.0.0.0", 8 },
		{ AF_INET, "169.254.0.0", 16 },
		{ AF_INET6, "::", 8 }, { AF_INET6, "fe80::", 10 },
	};
	unsigned int i, n = 0;

	for (i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
		if (list[i].family != family)
			continue;
		out[n].addr.family = family;
		inet_pton(family, list[i].addr, &out[n].addr.in);
		out[n++].len = list[i].len;
	}
	if (family == AF_INET6)
		tunnel_range(AF_INET6, &out[n++]);	/* in 169.254/16 for IPv4 */
	return n;
}

/*
 * NEW: ip daddr NEW's tcp dport @ports ip saddr != 0.0.0.0/8 ip saddr !=
 * 127.0.0.0/8 ip saddr != 169.254.0.0/16 ip saddr != OLD fib saddr . iif
 * oif exists return (ip6: ::/8, fe80::/10, the tunnels' /40, OLD's): a
 * client of a mail port, from an address NEW routes back into the tunnel.
 * This host's own addresses route to lo, its connected networks (and any
 * route more specific than its default) to their interfaces: the rule
 * before NEW's reply rule sees to that (see rule_add_main_first). OLD's
 * own address (--from) routes by the default as any client's would, and
 * NEW often trusts it while the mail moves (mynetworks): it is no client
 * either. Forged, they end at the drop: no mynetworks, no trust by
 * address, reached through the tunnel.
 */
static struct nftnl_rule *client_in_rule(const struct spec *spec, int family)
{
	struct nftnl_rule *r = rule_new(CHAIN_FROM_TUNNEL);
	struct address new = tunnel_target(family, spec->tunnel_id);
	bool has_old = family == AF_INET ? spec->has_from4 : spec->has_from6;
	struct prefix bad[5];
	unsigned int i, n = bogons(family, bad);

	if (has_old) {
		bad[n].addr = family == AF_INET ? spec->from4 : spec->from6;
		bad[n++].len = family == AF_INET ? 32 : 128;
	}
	match_nfproto(r, family);
	match_daddr(r, &new);
	match_mail_port(r);
	for (i = 0; i < n; i++)
		match_saddr_not_in(r, &bad[i]);
	match_fib_saddr_iif(r);
	e_verdict(r, NFT_RETURN, NULL);
	return r;
}

/*
 * OLD: meta l4proto tcp fib saddr . iif oif exists return: TCP from an
 * address routed into the link it came out of, which is only the other
 * end's tunnel address (never this host's own: those route to lo). Whether
 * it belongs to a redirected flow, forward and input judge.
 */
static struct nftnl_rule *reply_in_rule(void)
{
	struct nftnl_rule *r = rule_new(CHAIN_FROM_TUNNEL);

	match_tcp(r);
	match_fib_saddr_iif(r);
	e_verdict(r, NFT_RETURN, NULL);
	return r;
}

/* counter name "tunnel_dropped" drop: the rest of what came out of a tunnel */
static struct nftnl_rule *tunnel_drop_rule(void)
{
	struct nftnl_rule *r = rule_new(CHAIN_FROM_TUNNEL);

	e_counter_named(r, TUNNEL_DROPPED);
	e_verdict(r, NF_DROP, NULL);
	return r;
}

/*
 * OLD: iifname "mail_redirect*" tcp flags syn / syn,ack counter name
 * "tunnel_dropped" drop: to this host out of a tunnel come only the
 * replies to its own probe; nothing may open a connection to it there.
 * (Stateless: the probe's last packets may come after conntrack started
 * with the table, and look to it like new flows.)
 */
static struct nftnl_rule *local_guard_rule(void)
{
	struct nftnl_rule *r = rule_new(CHAIN_INPUT);
	const uint8_t mask = TH_SYN | TH_ACK, zero = 0;

	match_ifname_prefix(r, NFT_META_IIFNAME, TUNNEL_IFNAME);
	match_tcp(r);
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);
	e_bitwise(r, &mask, &zero, 1);
	e_cmp_u8(r, TH_SYN);
	e_counter_named(r, TUNNEL_DROPPED);
	e_verdict(r, NF_DROP, NULL);
	return r;
}

/*
 * OLD: iifname "mail_redirect*" ct mark & BIT != BIT counter name
 * "tunnel_dropped" drop (out of a tunnel), oifname ... counter drop (into
 * one): through a tunnel only the flows redirected into it.
 */
static struct nftnl_rule *tunnel_guard_rule(uint32_t ifname_key)
{
	struct nftnl_rule *r = rule_new(CHAIN_FORWARD);

	match_ifname_prefix(r, ifname_key, TUNNEL_IFNAME);
	match_no_ct_mark(r, CT_MARK_BIT);
	if (ifname_key == NFT_META_IIFNAME)
		e_counter_named(r, TUNNEL_DROPPED);
	else
		expr_add(r, "counter");
	e_verdict(r, NF_DROP, NULL);
	return r;
}

/*
 * oifname "mail_redirect*" meta l4proto != tcp drop: into a tunnel TCP
 * only, whose other end takes nothing else. Forwarded (OLD): an ICMP
 * error of a redirected flow stays out (the MSS clamp stands in for
 * path-MTU discovery); from this host (raw output): its kernel's own
 * multicast listener reports and the like.
 */
static struct nftnl_rule *tcp_only_out_rule(enum chain_id chain)
{
	struct nftnl_rule *r = rule_new(chain);
	const uint8_t tcp = IPPROTO_TCP;

	match_ifname_prefix(r, NFT_META_OIFNAME, TUNNEL_IFNAME);
	e_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	e_cmp_op(r, NFT_CMP_NEQ, &tcp, sizeof(tcp));
	e_verdict(r, NF_DROP, NULL);
	return r;
}

/*
 * oifname "mail_redirect*" tcp flags syn / syn,rst tcp option maxseg size
 * set rt mtu: PMTU's ICMP is often lost on the way, and the tunnel is 50
 * bytes narrower than the path: each end must learn a fitting MSS from the
 * other's SYN. Into the tunnel the route's MTU is the tunnel's.
 */
static struct nftnl_rule *clamp_into_rule(void)
{
	struct nftnl_rule *r = rule_new(CHAIN_FORWARD);

	match_ifname_prefix(r, NFT_META_OIFNAME, TUNNEL_IFNAME);
	match_tcp(r);
	match_syn_or_synack(r);
	set_mss_route(r);
	return r;
}

/*
 * iifname "mail_redirect*" meta nfproto ipvX tcp flags syn / syn,rst tcp
 * option maxseg size set MSS: out of the tunnel the route is the client's,
 * so the tunnel's MSS is written as a number.
 */
static struct nftnl_rule *clamp_out_rule(const struct spec *spec, int family)
{
	struct nftnl_rule *r = rule_new(CHAIN_FORWARD);

	match_ifname_prefix(r, NFT_META_IIFNAME, TUNNEL_IFNAME);
	match_nfproto(r, family);
	match_tcp(r);
	match_syn_or_synack(r);
	set_mss(r, (uint16_t)tunnel_mss(spec->tunnel_mtu, family));
	return r;
}

/* NEW: ip saddr 169.254.x.1 return */
struct nftnl_rule *skip_peer_rule(const struct spec *spec, int family)
{
	struct nftnl_rule *r = rule_new(redirect_chain(family));
	struct prefix old;

	tunnel_address(family, ROLE_OLD, spec->tunnel_id, &old);
	match_nfproto(r, family);
	load_saddr(r, family);
	e_cmp(r, &old.addr.in, addr_len(family));
	e_verdict(r, NFT_RETURN, NULL);
	return r;
}

struct nftnl_rule *arrive_rule(int family)
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

struct nftnl_rule *tunnel_rule_build(const struct spec *spec, const struct planned_rule *p)
{
	switch (p->kind) {
	case RULE_STRANGER: return stranger_rule(spec, p);
	case RULE_VXLAN_GUARD: return vxlan_guard_rule(spec, p);
	case RULE_REFUSED: return refused_rule(spec, p);
	case RULE_NOTRACK_IN:
	case RULE_NOTRACK_OUT: return notrack_rule(spec, p);
	case RULE_PEER_IN: return peer_in_rule(spec, p);
	case RULE_TUNNEL_IN: return tunnel_in_rule();
	case RULE_PROBE_IN: return probe_in_rule(spec, p->family);
	case RULE_CLIENT_IN: return client_in_rule(spec, p->family);
	case RULE_REPLY_IN: return reply_in_rule();
	case RULE_TUNNEL_DROP: return tunnel_drop_rule();
	case RULE_LOCAL_GUARD: return local_guard_rule();
	case RULE_TUNNEL_GUARD_IN: return tunnel_guard_rule(NFT_META_IIFNAME);
	case RULE_TUNNEL_GUARD_OUT: return tunnel_guard_rule(NFT_META_OIFNAME);
	case RULE_TCP_ONLY_OUT: return tcp_only_out_rule(CHAIN_FORWARD);
	case RULE_TCP_ONLY_LOCAL: return tcp_only_out_rule(CHAIN_RAW_OUTPUT);
	case RULE_CLAMP_INTO: return clamp_into_rule();
	case RULE_CLAMP_OUT: return clamp_out_rule(spec, p->family);
	default: break;
	}
	abort();	/* assert-like: not a tunnel rule, a bug in the plan */
}
