// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tunnel of --keep-client-address (OLD) and `accept` (NEW): planned
 * from the spec and the routing table, read back, built step by step and
 * removed. Each step is safe to repeat, so a run killed between two of
 * them leaves something the next run finishes (the state says "pending"
 * before the first step).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "kernel/sysctl.h"
#include "core/tunnel.h"

/* ---- the plan ---- */

int tunnel_plan(struct rtnl_sock *s, const struct spec *spec, struct tunnel *t,
		struct errmsg *e)
{
	char addr[ADDRESS_STRLEN];
	struct route_info r;
	int err;

	memset(t, 0, sizeof(*t));
	t->role = spec->role;
	t->remote = *spec_peer(spec);
	address_str(&t->remote, addr);
	err = route_get(s, &t->remote, &r);
	if (err)
		return errmsg_set(e, err, "no route to %s for the tunnel: %s", addr,
				  strerror(-err));
	if (r.type != RTN_UNICAST || r.prefsrc.family != t->remote.family)
		return errmsg_set(e, -EHOSTUNREACH,
				  "the tunnel to %s has no usable route (or no source address) here",
				  addr);
	t->local = r.prefsrc;
	t->mtu = (r.mtu ? r.mtu : 1500) -
		 (t->remote.family == AF_INET ? VXLAN_HEADROOM4 : VXLAN_HEADROOM6);
	if (r.mtu && r.mtu < TUNNEL_MTU_MIN + VXLAN_HEADROOM6)
		return errmsg_set(e, -EMSGSIZE, "the path to %s is too narrow for the tunnel "
				  "(MTU %u; IPv6 inside needs %d)", addr, r.mtu,
				  TUNNEL_MTU_MIN + VXLAN_HEADROOM6);
	return 0;
}

/* ---- what is there ---- */

/*
 * Ours: the alias says so; or none yet (a run killed between creating the
 * link and naming it) on a VXLAN link of our name, VNI and port.
 */
static bool link_is_ours(const struct vxlan_link *l)
{
	if (!strcmp(l->alias, TUNNEL_ALIAS))
		return true;
	return !l->alias[0] && l->is_vxlan && l->vni == TUNNEL_VNI && l->port == TUNNEL_PORT;
}

static bool link_matches(const struct tunnel *t, const struct vxlan_link *l)
{
	return l->is_vxlan && l->vni == TUNNEL_VNI && l->port == TUNNEL_PORT && !l->learning &&
	       address_equal(&l->local, &t->local) && address_equal(&l->remote, &t->remote) &&
	       l->mtu == t->mtu;
}

static int read_rules(struct rtnl_sock *s, struct tunnel_view *v, struct errmsg *e)
{
	static const int families[] = { AF_INET, AF_INET6 };
	unsigned int i;
	bool exists, ours;
	int err;

	v->rules = true;
	for (i = 0; i < 2; i++) {
		err = rule_find(s, families[i], TUNNEL_PRIORITY, &exists, &ours, e);
		if (err)
			return err;
		v->rules &= exists && ours;
		v->foreign_rule |= exists && !ours;
	}
	return 0;
}

int tunnel_read(struct rtnl_sock *s, const struct tunnel *t, struct tunnel_view *v,
		struct errmsg *e)
{
	struct vxlan_link l;
	int err = link_get(s, TUNNEL_IFNAME, &l, e);

	memset(v, 0, sizeof(*v));
	if (err)
		return err;
	v->link = l.exists;
	v->ours = l.exists && link_is_ours(&l);
	v->matches = v->ours && link_matches(t, &l) && l.up && l.alias[0];
	return t->role == ROLE_NEW ? read_rules(s, v, e) : 0;
}

bool tunnel_in_place(const struct tunnel *t, const struct tunnel_view *v)
{
	return v->matches && (t->role == ROLE_OLD || v->rules);
}

bool tunnel_ready_for(struct rtnl_sock *s, const struct spec *spec)
{
	struct tunnel_view v;
	struct errmsg ignored;
	struct tunnel t;

	if (!spec_tunnel(spec))
		return true;
	return tunnel_plan(s, spec, &t, &ignored) == 0 &&
	       tunnel_read(s, &t, &v, &ignored) == 0 && tunnel_in_place(&t, &v);
}

/* ---- building it ---- */

static int make_link(struct rtnl_sock *s, const struct tunnel *t, int *ifindex,
		     struct errmsg *e)
{
	const struct vxlan_params p = {
		.name = TUNNEL_IFNAME, .vni = TUNNEL_VNI, .port = TUNNEL_PORT,
		.local = t->local, .remote = t->remote, .mtu = t->mtu, .alias = TUNNEL_ALIAS,
	};
	struct vxlan_link l;
	int err = link_get(s, TUNNEL_IFNAME, &l, e);

	if (err)
		return err;
	if (l.exists && !link_is_ours(&l))
		return errmsg_set(e, -EEXIST,
				  "a link named %s exists that redirect did not make; not touching it",
				  TUNNEL_IFNAME);
	if (l.exists && link_matches(t, &l)) {
		*ifindex = l.ifindex;
		return l.alias[0] ? 0 : link_set_alias(s, l.ifindex, TUNNEL_ALIAS, e);
	}
	/* ours, from an earlier run, with other ends: made again */
	if (l.exists && (err = link_delete(s, TUNNEL_IFNAME, e)))
		return err;
	err = link_create_vxlan(s, &p, ifindex, e);
	if (err == -EEXIST)
		errmsg_prefix(e, "another VXLAN link may use VNI %d on UDP port %d already",
			      TUNNEL_VNI, TUNNEL_PORT);
	return err;
}

static int address_both(struct rtnl_sock *s, const struct tunnel *t, int ifindex,
			struct errmsg *e)
{
	struct prefix p4, p6;
	int err;

	tunnel_address(AF_INET, t->role, &p4);
	tunnel_address(AF_INET6, t->role, &p6);
	err = addr_add(s, ifindex, &p4, e);
	if (!err)
		err = addr_add(s, ifindex, &p6, e);
	return err;
}

/*
 * NEW's return path: replies from its tunnel address go back through the
 * tunnel, everything else NEW sends keeps its own routes. The link is
 * NEW's only way to the clients' addresses for these flows, so rp_filter
 * must be loose on it (strict would drop every redirected packet).
 */
static int return_path(struct rtnl_sock *s, int ifindex, struct errmsg *e)
{
	static const int families[] = { AF_INET, AF_INET6 };
	char path[64];
	unsigned int i;
	int err;

	snprintf(path, sizeof(path), "net/ipv4/conf/%s/rp_filter", TUNNEL_IFNAME);
	err = sysctl_write(path, 2);
	if (err)
		return errmsg_set(e, err, "cannot set %s to 2 (loose): %s", path, strerror(-err));
	for (i = 0; i < 2; i++) {
		struct prefix mine, old;

		tunnel_address(families[i], ROLE_NEW, &mine);
		tunnel_address(families[i], ROLE_OLD, &old);
		err = rule_add(s, &mine.addr, TUNNEL_TABLE, TUNNEL_PRIORITY, e);
		if (!err)
			err = route_add_default(s, &old.addr, ifindex, TUNNEL_TABLE, e);
		if (err)
			return err;
	}
	return 0;
}

int tunnel_up(struct rtnl_sock *s, const struct tunnel *t, struct errmsg *e)
{
	int ifindex = 0, err = make_link(s, t, &ifindex, e);

	if (!err)
		err = address_both(s, t, ifindex, e);
	if (!err)
		err = link_set_up(s, ifindex, e);
	if (!err && t->role == ROLE_NEW)
		err = return_path(s, ifindex, e);
	return err;
}

int tunnel_down(struct rtnl_sock *s, struct errmsg *e)
{
	struct vxlan_link l;
	int err = rule_delete(s, AF_INET, TUNNEL_TABLE, TUNNEL_PRIORITY, e);

	if (!err)
		err = rule_delete(s, AF_INET6, TUNNEL_TABLE, TUNNEL_PRIORITY, e);
	if (!err)
		err = link_get(s, TUNNEL_IFNAME, &l, e);
	if (err || !l.exists)
		return err;
	if (!link_is_ours(&l))	/* someone else's since: theirs */
		return 0;
	return link_delete(s, TUNNEL_IFNAME, e);	/* its addresses and routes go with it */
}

/* ---- in words ---- */

void tunnel_render(const struct tunnel *t, FILE *f)
{
	char local[ADDRESS_STRLEN], remote[ADDRESS_STRLEN], a[ADDRESS_STRLEN];
	struct prefix p4, p6, o4, o6;

	tunnel_address(AF_INET, t->role, &p4);
	tunnel_address(AF_INET6, t->role, &p6);
	tunnel_address(AF_INET, ROLE_OLD, &o4);
	tunnel_address(AF_INET6, ROLE_OLD, &o6);
	fprintf(f, "# The tunnel, as ip(8) would make it (comments, so that nft -f takes the\n"
		"# rest):\n#   ip link add %s type vxlan id %d local %s remote %s dstport %d nolearning\n",
		TUNNEL_IFNAME, TUNNEL_VNI, address_str(&t->local, local),
		address_str(&t->remote, remote), TUNNEL_PORT);
	fprintf(f, "#   ip link set %s mtu %u alias \"%s\"\n", TUNNEL_IFNAME, t->mtu, TUNNEL_ALIAS);
	fprintf(f, "#   ip addr add %s dev %s\n", prefix_str(&p4, a), TUNNEL_IFNAME);
	fprintf(f, "#   ip addr add %s dev %s nodad\n", prefix_str(&p6, a), TUNNEL_IFNAME);
	fprintf(f, "#   ip link set %s up\n", TUNNEL_IFNAME);
	if (t->role == ROLE_OLD)
		return;
	fprintf(f, "#   sysctl -w net.ipv4.conf.%s.rp_filter=2\n", TUNNEL_IFNAME);
	fprintf(f, "#   ip rule add from %s lookup %d priority %d proto %d\n",
		address_str(&p4.addr, a), TUNNEL_TABLE, TUNNEL_PRIORITY, RTPROT_TUNNEL);
	fprintf(f, "#   ip route add default via %s dev %s table %d proto %d\n",
		address_str(&o4.addr, a), TUNNEL_IFNAME, TUNNEL_TABLE, RTPROT_TUNNEL);
	fprintf(f, "#   ip -6 rule add from %s lookup %d priority %d proto %d\n",
		address_str(&p6.addr, a), TUNNEL_TABLE, TUNNEL_PRIORITY, RTPROT_TUNNEL);
	fprintf(f, "#   ip -6 route add default via %s dev %s table %d proto %d\n",
		address_str(&o6.addr, a), TUNNEL_IFNAME, TUNNEL_TABLE, RTPROT_TUNNEL);
}
