// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tunnels of --keep-client-address (OLD) and `accept` (NEW): planned
 * from the spec and the routing table, read back, built step by step and
 * removed. Each step is safe to repeat, so a run killed between two of
 * them leaves something the next run finishes (the state says "pending"
 * before the first step; a link made before that, for the probe, is one
 * the state does not name, which the next run sweeps away).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/parse.h"
#include "kernel/route.h"
#include "kernel/sysctl.h"
#include "core/tunnel.h"

static const int families[] = { AF_INET, AF_INET6 };

/* ---- the plan ---- */

int tunnel_plan(struct rtnl_sock *s, const struct spec *spec, struct tunnel *t,
		struct errmsg *e)
{
	char addr[ADDRESS_STRLEN];
	struct route_info r;
	int err;

	memset(t, 0, sizeof(*t));
	t->role = spec->role;
	t->id = spec->tunnel_id;
	snprintf(t->link, sizeof(t->link), "%s",
		 spec->tunnel_link[0] ? spec->tunnel_link : TUNNEL_IFNAME);
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

/* ---- which id, which link ---- */

int tunnel_new_id(uint32_t *id, struct errmsg *e)
{
	uint32_t v = 0;

	do {
		if (getrandom(&v, sizeof(v), 0) != sizeof(v))
			return errmsg_set(e, -errno, "cannot draw a tunnel id: %s", strerror(errno));
		v &= TUNNEL_ID_MAX;
	} while (!v || v == TUNNEL_ID_DEFAULT);	/* the well-known one is no secret */
	*id = v;
	return 0;
}


static bool same_tunnel(const struct spec *a, const struct spec *b)
{
	return spec_tunnel(a) && spec_tunnel(b) && a->tunnel_id == b->tunnel_id &&
	       address_equal(spec_peer(a), spec_peer(b));
}

/* The first of our link names @old uses for neither its tunnel nor its previous one. */
static void free_name(const struct spec *old, char *out)
{
	unsigned int i;

	for (i = 0; i < TUNNEL_LINKS; i++) {
		const char *name = tunnel_link_name(i);

		if (old && spec_tunnel(old) && !strcmp(old->tunnel_link, name))
			continue;
		if (old && old->has_previous && !strcmp(old->previous.link, name))
			continue;
		break;
	}
	snprintf(out, LINK_NAME_MAX, "%s", tunnel_link_name(i));
}

void tunnel_adopt(const struct state *st, struct spec *spec)
{
	const struct spec *old = &st->spec;
	bool records = (st->enabled || st->draining || st->pending) && spec_links(old) &&
		       old->role == spec->role;

	spec->has_previous = false;
	spec->tunnel_link[0] = '\0';
	if (spec->role == ROLE_NEW) {	/* one link, made again for another tunnel */
		snprintf(spec->tunnel_link, sizeof(spec->tunnel_link), "%s", TUNNEL_IFNAME);
		return;
	}
	if (!records) {
		if (spec_tunnel(spec))
			free_name(NULL, spec->tunnel_link);
		return;
	}
	if (same_tunnel(spec, old)) {
		snprintf(spec->tunnel_link, sizeof(spec->tunnel_link), "%s", old->tunnel_link);
		spec->has_previous = old->has_previous;
		spec->previous = old->previous;
		return;
	}
	if (spec_tunnel(old)) {
		spec->has_previous = true;
		spec->previous.id = old->tunnel_id;
		spec->previous.peer = *spec_peer(old);
		snprintf(spec->previous.link, sizeof(spec->previous.link), "%s", old->tunnel_link);
	} else {
		spec->has_previous = old->has_previous;
		spec->previous = old->previous;
	}
	if (spec_tunnel(spec))
		free_name(old, spec->tunnel_link);
}

/* ---- what is there ---- */

/* Our link addresses: 02:00 and an address of the tunnels' IPv4 range. */
static bool our_mac(const uint8_t mac[6])
{
	struct prefix range;
	struct address a = { .family = AF_INET };

	memcpy(&a.in.v4, mac + 2, 4);
	tunnel_range(AF_INET, &range);
	return mac[0] == 0x02 && mac[1] == 0x00 && prefix_contains(&range, &a);
}

/*
 * Ours: the alias says so; or none yet (a run killed between creating the
 * link and naming it) on a VXLAN link of our name, port and link address.
 */
static bool link_is_ours(const struct vxlan_link *l)
{
	if (!strcmp(l->alias, TUNNEL_ALIAS))
		return true;
	return !l->alias[0] && l->is_vxlan && l->port == TUNNEL_PORT && our_mac(l->mac);
}

/* The link goes where @t goes: its VNI, port and other end. */
static bool link_reaches(const struct tunnel *t, const struct vxlan_link *l)
{
	return l->is_vxlan && l->vni == t->id && l->port == TUNNEL_PORT &&
	       address_equal(&l->remote, &t->remote);
}

static bool link_matches(const struct tunnel *t, const struct vxlan_link *l)
{
	uint8_t mac[6];

	tunnel_mac(t->role, t->id, mac);
	return link_reaches(t, l) && !l->learning && l->noarp &&
	       address_equal(&l->local, &t->local) && l->mtu == t->mtu &&
	       !memcmp(l->mac, mac, sizeof(mac));
}

/* Both rules of NEW's return path, ours, for its tunnel address of @t. */
static int read_rules(struct rtnl_sock *s, const struct tunnel *t, struct tunnel_view *v,
		      struct errmsg *e)
{
	static const uint32_t prios[] = { TUNNEL_PRIORITY_MAIN, TUNNEL_PRIORITY };
	struct rule_found r;
	unsigned int i, p;
	int err;

	v->rules = true;
	for (i = 0; i < 2; i++) {
		struct address mine = tunnel_target(families[i], t->id);

		for (p = 0; p < 2; p++) {
			err = rule_find(s, families[i], prios[p], &r, e);
			if (err)
				return err;
			v->rules &= r.exists && r.ours && address_equal(&r.src, &mine);
			v->foreign_rule |= r.exists && !r.ours;
		}
	}
	return 0;
}

int tunnel_read(struct rtnl_sock *s, const struct tunnel *t, struct tunnel_view *v,
		struct errmsg *e)
{
	struct vxlan_link l;
	int err = link_get(s, t->link, &l, e);

	memset(v, 0, sizeof(*v));
	if (err)
		return err;
	v->link = l.exists;
	v->ours = l.exists && link_is_ours(&l);
	v->matches = v->ours && link_matches(t, &l) && l.up && l.alias[0];
	return t->role == ROLE_NEW ? read_rules(s, t, v, e) : 0;
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

static int create_link(struct rtnl_sock *s, const struct tunnel *t, int *ifindex,
		       struct errmsg *e)
{
	struct vxlan_params p = {
		.name = t->link, .vni = t->id, .port = TUNNEL_PORT,
		.local = t->local, .remote = t->remote, .mtu = t->mtu, .alias = TUNNEL_ALIAS,
	};
	int err;

	tunnel_mac(t->role, t->id, p.mac);
	err = link_create_vxlan(s, &p, ifindex, e);
	if (err == -EEXIST)
		errmsg_prefix(e, "another VXLAN link may use VNI %u on UDP port %d already",
			      t->id, TUNNEL_PORT);
	return err;
}

static int make_link(struct rtnl_sock *s, const struct tunnel *t, int *ifindex,
		     struct errmsg *e)
{
	struct vxlan_link l;
	int err = link_get(s, t->link, &l, e);

	if (err)
		return err;
	if (l.exists && !link_is_ours(&l))
		return errmsg_set(e, -EEXIST,
				  "a link named %s exists that redirect did not make; not touching it",
				  t->link);
	if (l.exists && link_matches(t, &l)) {
		*ifindex = l.ifindex;
		return l.alias[0] ? 0 : link_set_alias(s, l.ifindex, TUNNEL_ALIAS, e);
	}
	/* ours, from an earlier run, with other ends: made again */
	if (l.exists && (err = link_delete(s, t->link, e)))
		return err;
	return create_link(s, t, ifindex, e);
}

/* This end's addresses, and the other end's link address for its own. */
static int address_both(struct rtnl_sock *s, const struct tunnel *t, int ifindex,
			struct errmsg *e)
{
	enum spec_role other = t->role == ROLE_OLD ? ROLE_NEW : ROLE_OLD;
	struct prefix mine, theirs;
	uint8_t mac[6];
	unsigned int i;
	int err = 0;

	tunnel_mac(other, t->id, mac);
	for (i = 0; !err && i < 2; i++) {
		tunnel_address(families[i], t->role, t->id, &mine);
		tunnel_address(families[i], other, t->id, &theirs);
		err = addr_add(s, ifindex, &mine, e);
		if (!err)
			err = neigh_add_permanent(s, ifindex, &theirs.addr, mac, e);
	}
	return err;
}

/* One rule of NEW's: what is there of ours for another address goes first. */
static int put_rule(struct rtnl_sock *s, const struct address *mine, uint32_t prio,
		    struct errmsg *e)
{
	struct rule_found r;
	int err = rule_find(s, mine->family, prio, &r, e);

	if (err || (r.ours && address_equal(&r.src, mine)))
		return err;
	if (r.ours && (err = rule_delete(s, mine->family, r.table, prio, e)))
		return err;
	return prio == TUNNEL_PRIORITY ? rule_add(s, mine, TUNNEL_TABLE, prio, e) :
					 rule_add_main_first(s, mine, prio, e);
}

/*
 * NEW's return path: replies from its tunnel address go back through the
 * tunnel unless its main table has a route more specific than the default
 * for them; everything else NEW sends keeps its own routes. The link is
 * NEW's only way to the clients' addresses for these flows, so rp_filter
 * must be loose on it (strict would drop every redirected packet).
 */
static int return_path(struct rtnl_sock *s, const struct tunnel *t, int ifindex,
		       struct errmsg *e)
{
	char path[64];
	unsigned int i;
	int err;

	snprintf(path, sizeof(path), "net/ipv4/conf/%s/rp_filter", t->link);
	err = sysctl_write(path, 2);
	if (err)
		return errmsg_set(e, err, "cannot set %s to 2 (loose): %s", path, strerror(-err));
	for (i = 0; i < 2; i++) {
		struct address mine = tunnel_target(families[i], t->id);
		struct prefix old;

		tunnel_address(families[i], ROLE_OLD, t->id, &old);
		err = put_rule(s, &mine, TUNNEL_PRIORITY_MAIN, e);
		if (!err)
			err = put_rule(s, &mine, TUNNEL_PRIORITY, e);
		if (!err)
			err = route_add_default(s, &old.addr, ifindex, TUNNEL_TABLE, e);
		if (err)
			return err;
	}
	return 0;
}

/* What a link of @t needs besides itself: each step changes nothing when done already. */
static int complete(struct rtnl_sock *s, const struct tunnel *t, int ifindex, struct errmsg *e)
{
	int err = address_both(s, t, ifindex, e);

	if (!err)
		err = link_set_up(s, ifindex, e);
	if (!err && t->role == ROLE_NEW)
		err = return_path(s, t, ifindex, e);
	return err;
}

int tunnel_up(struct rtnl_sock *s, const struct tunnel *t, struct errmsg *e)
{
	int ifindex = 0, err = make_link(s, t, &ifindex, e);

	return err ? err : complete(s, t, ifindex, e);
}

bool tunnel_there(struct rtnl_sock *s, const struct tunnel *t)
{
	struct errmsg ignored;
	struct vxlan_link l;

	return !link_get(s, t->link, &l, &ignored) && l.exists && link_is_ours(&l) &&
	       link_reaches(t, &l);
}

int tunnel_for_probe(struct rtnl_sock *s, const struct tunnel *t, bool *made,
		     struct errmsg *e)
{
	struct vxlan_link l;
	int err = link_get(s, t->link, &l, e);

	*made = false;
	if (err)
		return err;
	if (l.exists && link_is_ours(&l) && link_reaches(t, &l)) {	/* a killed run's, too */
		if (!l.alias[0] && (err = link_set_alias(s, l.ifindex, TUNNEL_ALIAS, e)))
			return err;
		return complete(s, t, l.ifindex, e);
	}
	if (l.exists && link_is_ours(&l) && (err = link_delete(s, t->link, e)))
		return err;	/* a leftover of a run killed before the state named it */
	*made = true;
	return tunnel_up(s, t, e);
}

/* ---- taking it down ---- */

int tunnel_remove(struct rtnl_sock *s, const char *name, struct errmsg *e)
{
	struct vxlan_link l;
	int err = link_get(s, name, &l, e);

	if (err || !l.exists || !link_is_ours(&l))	/* someone else's since: theirs */
		return err;
	return link_delete(s, name, e);
}

static bool names(const struct spec *spec, const char *link)
{
	unsigned int i;

	if (!spec)
		return false;
	if (spec_tunnel(spec) && !strcmp(spec->tunnel_link[0] ? spec->tunnel_link : TUNNEL_IFNAME,
					 link))
		return true;
	for (i = 0; i < spec->nguarded; i++)
		if (!strcmp(spec->guarded[i].link, link))
			return true;
	return spec->has_previous && !strcmp(spec->previous.link, link);
}

bool tunnel_names(const struct spec *spec, const char *link)
{
	return names(spec, link);
}

static int delete_rules(struct rtnl_sock *s, struct errmsg *e)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < 2; i++) {
		err = rule_delete(s, families[i], TUNNEL_TABLE, TUNNEL_PRIORITY, e);
		if (!err)
			err = rule_delete(s, families[i], RT_TABLE_MAIN, TUNNEL_PRIORITY_MAIN, e);
	}
	return err;
}

int tunnel_sweep(struct rtnl_sock *s, const struct spec *spec, struct errmsg *e)
{
	unsigned int i;
	int err = 0;

	if (!spec)	/* NEW's rules, with the last link */
		err = delete_rules(s, e);
	for (i = 0; !err && i < TUNNEL_LINKS; i++)
		if (!names(spec, tunnel_link_name(i)))
			err = tunnel_remove(s, tunnel_link_name(i), e);
	return err;
}

int tunnel_sweep_strays(struct rtnl_sock *s, const struct spec *a, const struct spec *b,
			struct errmsg *e)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < TUNNEL_LINKS; i++)
		if (!names(a, tunnel_link_name(i)) && !names(b, tunnel_link_name(i)))
			err = tunnel_remove(s, tunnel_link_name(i), e);
	return err;
}

bool tunnel_leftovers(struct rtnl_sock *s, const struct spec *spec)
{
	struct errmsg ignored;
	struct vxlan_link l;
	unsigned int i;

	for (i = 0; i < TUNNEL_LINKS; i++) {
		const char *name = tunnel_link_name(i);

		if (!names(spec, name) && !link_get(s, name, &l, &ignored) && l.exists &&
		    link_is_ours(&l))
			return true;
	}
	return false;
}

int tunnel_down(struct rtnl_sock *s, struct errmsg *e)
{
	return tunnel_sweep(s, NULL, e);
}

/* ---- is the other end there ---- */

#define KNOCK_WAIT_MS 250
#define ETHERTYPE_LOCAL 0x88b5		/* IEEE's local experimental: no one takes it */

/* A VXLAN packet of @t's id whose frame nothing at the other end takes: a no-op there. */
static size_t knock_packet(const struct tunnel *t, uint8_t *buf, size_t len)
{
	memset(buf, 0, len);
	buf[0] = 0x08;			/* the VNI is valid */
	buf[4] = (uint8_t)(t->id >> 16);
	buf[5] = (uint8_t)(t->id >> 8);
	buf[6] = (uint8_t)t->id;
	buf[8] = 0x02;			/* to 02:00:00:00:00:00, nobody's */
	tunnel_mac(t->role, t->id, buf + 14);
	buf[20] = ETHERTYPE_LOCAL >> 8;
	buf[21] = ETHERTYPE_LOCAL & 0xff;
	return 8 + 14 + 46;		/* VXLAN, Ethernet, the least payload */
}

int tunnel_knock(const struct tunnel *t, bool *refused)
{
	struct sockaddr_storage here, there;
	socklen_t hl = address_sockaddr(&t->local, 0, &here);
	socklen_t tl = address_sockaddr(&t->remote, TUNNEL_PORT, &there);
	uint8_t buf[80];
	size_t len = knock_packet(t, buf, sizeof(buf));
	struct pollfd p = { .events = POLLIN };
	int err = 0;

	*refused = false;
	p.fd = socket(t->remote.family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (p.fd < 0)
		return -errno;
	if (bind(p.fd, (struct sockaddr *)&here, hl) || connect(p.fd, (struct sockaddr *)&there, tl) ||
	    send(p.fd, buf, len, 0) < 0)
		err = -errno;
	if (!err && poll(&p, 1, KNOCK_WAIT_MS) > 0 && recv(p.fd, buf, sizeof(buf), 0) < 0)
		*refused = errno == ECONNREFUSED;
	close(p.fd);
	if (err == -ECONNREFUSED) {	/* an earlier knock's answer */
		*refused = true;
		err = 0;
	}
	return err;
}

/* ---- in words ---- */

static void render_ends(const struct tunnel *t, FILE *f)
{
	enum spec_role other = t->role == ROLE_OLD ? ROLE_NEW : ROLE_OLD;
	char a[ADDRESS_STRLEN], m[24];
	struct prefix p;
	uint8_t mac[6];
	unsigned int i;

	tunnel_mac(other, t->id, mac);
	snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	for (i = 0; i < 2; i++) {
		tunnel_address(families[i], t->role, t->id, &p);
		fprintf(f, "#   ip addr add %s dev %s%s\n", prefix_str(&p, a), t->link,
			i ? " nodad" : "");
		tunnel_address(families[i], other, t->id, &p);
		fprintf(f, "#   ip neigh replace %s lladdr %s dev %s nud permanent\n",
			address_str(&p.addr, a), m, t->link);
	}
}

static void render_return_path(const struct tunnel *t, FILE *f)
{
	char a[ADDRESS_STRLEN];
	unsigned int i;

	fprintf(f, "#   sysctl -w net.ipv4.conf.%s.rp_filter=2\n", t->link);
	for (i = 0; i < 2; i++) {
		const char *v = i ? " -6" : "";
		struct address mine = tunnel_target(families[i], t->id);
		struct prefix old;

		tunnel_address(families[i], ROLE_OLD, t->id, &old);
		fprintf(f, "#   ip%s rule add from %s lookup main suppress_prefixlength 0 "
			"priority %d proto %d\n", v, address_str(&mine, a), TUNNEL_PRIORITY_MAIN,
			RTPROT_TUNNEL);
		fprintf(f, "#   ip%s rule add from %s lookup %d priority %d proto %d\n", v, a,
			TUNNEL_TABLE, TUNNEL_PRIORITY, RTPROT_TUNNEL);
		fprintf(f, "#   ip%s route add default via %s dev %s table %d proto %d\n", v,
			address_str(&old.addr, a), t->link, TUNNEL_TABLE, RTPROT_TUNNEL);
	}
}

void tunnel_render(const struct tunnel *t, FILE *f)
{
	char local[ADDRESS_STRLEN], remote[ADDRESS_STRLEN];
	uint8_t mac[6];

	tunnel_mac(t->role, t->id, mac);
	fprintf(f, "# The tunnel, as ip(8) would make it (comments, so that nft -f takes the\n"
		"# rest):\n#   ip link add %s address %02x:%02x:%02x:%02x:%02x:%02x type vxlan "
		"id %u local %s remote %s dstport %d nolearning\n", t->link, mac[0], mac[1], mac[2],
		mac[3], mac[4], mac[5], t->id, address_str(&t->local, local),
		address_str(&t->remote, remote), TUNNEL_PORT);
	fprintf(f, "#   ip link set %s mtu %u arp off addrgenmode none alias \"%s\"\n", t->link,
		t->mtu, TUNNEL_ALIAS);
	render_ends(t, f);
	fprintf(f, "#   ip link set %s up\n", t->link);
	if (t->role == ROLE_NEW)
		render_return_path(t, f);
}
