// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tunnel's rules (see tunnel_rules.h), as nft 1.0.6 generates them for
 * the syntax render.c prints.
 */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>

#include <libnftnl/rule.h>

#include "lib/owned.h"
#include "nft/expr.h"
#include "nft/objects.h"
#include "nft/tunnel_rules.h"

/*
 * udp dport 4789 @th,96,24 VNI ip saddr != PEER drop: the VXLAN socket
 * takes our VNI from anyone, so this table lets it in only from the
 * other end. Other users of VXLAN (other VNIs) are not touched.
 */
struct nftnl_rule *vxlan_guard_rule(const struct spec *spec)
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
struct nftnl_rule *notrack_rule(const struct spec *spec, enum chain_id chain)
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
struct nftnl_rule *tunnel_guard_rule(uint32_t ifname_key)
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
struct nftnl_rule *clamp_into_rule(void)
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
struct nftnl_rule *clamp_out_rule(const struct spec *spec, int family)
{
	struct nftnl_rule *r = rule_new(CHAIN_FORWARD);

	match_ifname(r, NFT_META_IIFNAME, TUNNEL_IFNAME);
	match_nfproto(r, family);
	match_tcp(r);
	match_syn_or_synack(r);
	set_mss(r, (uint16_t)tunnel_mss(spec->tunnel_mtu, family));
	return r;
}
