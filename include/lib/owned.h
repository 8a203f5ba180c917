/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_LIB_OWNED_H
#define REDIRECT_LIB_OWNED_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/parse.h"
#include "lib/spec.h"

/*
 * What redirect owns in the kernel, by name and number: its nftables
 * table, its bits of the conntrack mark, and its tunnel (the link, its
 * VNI and port, the addresses at each end, NEW's route table and rule).
 * Every layer meets them (conntrack's dump filters by the mark, the
 * forwarding settings and the host's addresses leave the tunnel's link
 * out, the builder writes them all), so they are said here, once, below
 * all of them. Pure: no I/O.
 */

/*
 * Everything redirect installs lives in this one table. ("redirect" itself
 * is an nft keyword, so the table cannot carry the tool's bare name.)
 */
#define TABLE_NAME	"mail_redirect"
#define TABLE_MARKER	"managed by redirect(8)"
#define TABLE_COMMENT	TABLE_MARKER "; remove with: redirect disable"

/*
 * The conntrack mark bits of a redirected flow, under a mask, so other
 * users of ct mark keep theirs. The first SYN gets REDIRECTED (postrouting
 * masquerades on it, stats asks conntrack for it); NEW's first SYN-ACK
 * adds ANSWERED; the client's ACK that completes the handshake with NEW
 * (conntrack's "assured") adds ESTABLISHED. Only then is it a connection:
 * a scanner's or a spoofed SYN is an attempt, no more.
 */
#define CT_MARK_BIT		0x10000000U	/* redirected */
#define CT_MARK_ESTABLISHED	0x20000000U	/* its handshake with NEW completed */
#define CT_MARK_ANSWERED	0x40000000U	/* NEW answered the SYN */
#define CT_MARK_ALL		(CT_MARK_BIT | CT_MARK_ESTABLISHED | CT_MARK_ANSWERED)

/*
 * The tunnel that keeps the client's address: a VXLAN link between OLD and
 * NEW, a private address at each end, and on NEW two policy rules that
 * send replies from its tunnel address back into the tunnel (a route table
 * of its own) unless NEW's main table has a route more specific than its
 * default for them. The rules and routes carry RTPROT_TUNNEL as their
 * originator (`ip rule` shows "proto 77"), so they can be told from the
 * admin's own.
 *
 * Each tunnel has an id, its VNI, drawn at random by `accept` on NEW and
 * given to `enable --tunnel-id` on OLD: a blind attacker must guess it
 * (VXLAN authenticates nothing). The ends' addresses and link addresses
 * are derived from the id, so that two tunnels of OLD (the one a switch of
 * --to left for its open sessions, and the new one) never share them.
 * NEW has one link, TUNNEL_IFNAME; OLD names its current link, a retiring
 * one and one being probed by the three names of tunnel_link_name().
 */
#define TUNNEL_IFNAME	"mail_redirect"
#define TUNNEL_IFNAMES	"mail_redirect*"	/* as nft matches them all (iifname "...*") */
#define TUNNEL_LINKS	3		/* mail_redirect, mail_redirect2, mail_redirect3 */
#define TUNNEL_PORT	4789		/* IANA's VXLAN port */
#define TUNNEL_TABLE	2587		/* NEW: the route table of replies */
#define TUNNEL_PRIORITY	2587		/* NEW: the policy rule that picks it */
#define TUNNEL_PRIORITY_MAIN 2586	/* NEW: main first, but for its default route */
#define TUNNEL_ALIAS	"managed by redirect(8); remove with: redirect disable"
#define RTPROT_TUNNEL	77

/* Outer IPv4 + UDP + VXLAN + inner Ethernet; outer IPv6 is 20 bytes more. */
#define VXLAN_HEADROOM4 50
#define VXLAN_HEADROOM6 70
#define TUNNEL_MTU_MIN 1280		/* what IPv6 inside it needs */

/*
 * The tunnel address of one end of tunnel @id: a /30 in 169.254.64.0/18
 * (clear of 169.254.169.0/24, the clouds' metadata) and a /64 in
 * fd6d:6169:6c00::/40 ("mail" in a ULA); OLD has the first host address,
 * NEW the second. The legacy id gives 169.254.77.0/30 and
 * fd6d:6169:6c00::/64, the fixed addresses of before.
 */
void tunnel_address(int family, enum spec_role end, uint32_t id, struct prefix *out);

/* Where OLD sends a redirected connection of @family: NEW's tunnel address. */
struct address tunnel_target(int family, uint32_t id);

/* The range every tunnel's addresses of @family come from. */
void tunnel_range(int family, struct prefix *out);

/*
 * The link address of one end of tunnel @id: 02:00 and the end's IPv4
 * tunnel address (locally administered), so each end knows the other's
 * without asking: the link is NOARP with the other's entry permanent.
 */
void tunnel_mac(enum spec_role end, uint32_t id, uint8_t mac[6]);

/* Whether @name is one of the link names redirect gives its tunnels. */
bool tunnel_ifname(const char *name);

/* The @i-th of them (0 to TUNNEL_LINKS - 1): mail_redirect, mail_redirect2, ... */
const char *tunnel_link_name(unsigned int i);

/* The largest MSS a redirected SYN may carry through a tunnel of @mtu. */
unsigned int tunnel_mss(unsigned int mtu, int family);

#endif
