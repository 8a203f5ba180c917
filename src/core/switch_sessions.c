// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sessions of a switch of the tunnel, judged from conntrack: whether
 * a new tunnel clashes with a link still there, which sessions still go
 * through the tunnel a switch leaves, and those a switch ends.
 */
#include <errno.h>
#include <sys/socket.h>

#include "core/switch_sessions.h"
#include "core/tunnel.h"
#include "kernel/conntrack.h"

static const int families[] = { AF_INET, AF_INET6 };

static bool to_tunnel(const struct ct_flow *f, uint32_t id)
{
	struct address to = tunnel_target(f->target.family, id);

	return f->target.family && address_equal(&f->target, &to);
}

static bool through_a_tunnel(const struct ct_flow *f)
{
	struct prefix range;

	if (!f->target.family)
		return false;
	tunnel_range(f->target.family, &range);
	return prefix_contains(&range, &f->target);
}

struct in_use {
	uint32_t id;
	unsigned int n;
};

static void count_in_use(const struct ct_flow *f, void *data)
{
	struct in_use *u = data;

	u->n += !f->closed && to_tunnel(f, u->id);
}

/* Two tunnels whose addresses are the same (one id twice, or 1 in 4096): not side by side. */
static bool clash(uint32_t a, uint32_t b)
{
	struct prefix x, y;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		tunnel_address(families[i], ROLE_OLD, a, &x);
		tunnel_address(families[i], ROLE_OLD, b, &y);
		if (address_equal(&x.addr, &y.addr))
			return true;
	}
	return false;
}

int switch_check_clash(const struct state *st, const struct spec *spec, struct errmsg *e)
{
	const struct spec *old = &st->spec;
	const struct address *peers[2] = { spec_peer(old), &old->previous.peer };
	char there_at[ADDRESS_STRLEN], to[ADDRESS_STRLEN];
	uint32_t there[2] = { 0, 0 };
	unsigned int i;

	if (spec->role != ROLE_OLD || !spec_tunnel(spec) || !st->tunnel)
		return 0;
	if (spec_tunnel(old) && !(old->tunnel_id == spec->tunnel_id &&
				  address_equal(spec_peer(old), spec_peer(spec))))
		there[0] = old->tunnel_id;
	if (old->has_previous)
		there[1] = old->previous.id;
	for (i = 0; i < 2; i++) {
		if (!there[i] || !clash(spec->tunnel_id, there[i]))
			continue;
		address_str(peers[i], there_at);
		address_str(spec_peer(spec), to);
		if (there[i] == spec->tunnel_id)
			return errmsg_set(e, -EADDRINUSE, "tunnel %u goes to %s already, and --to %s "
					  "is another server: a tunnel to it needs another id (or is --to "
					  "mistyped?); run `redirect accept --tunnel-id random` on that "
					  "server and give here the --tunnel-id it prints",
					  there[i], there_at, to);
		return errmsg_set(e, -EADDRINUSE, "tunnel id %u has the tunnel addresses of tunnel "
				  "%u (to %s), whose link is still here%s: on the new server, run "
				  "`redirect disable` and `redirect accept` again for another id",
				  spec->tunnel_id, there[i], there_at,
				  i ? " for the sessions open through it" : "");
	}
	return 0;
}

int switch_sessions_through(uint32_t id, unsigned int *n, struct errmsg *e)
{
	struct in_use u = { id, 0 };
	int err = ct_dump_redirected(count_in_use, &u, e);

	*n = u.n;
	return err;
}

struct ending {
	const struct spec *spec;
	unsigned int masqueraded, tunnelled;
};

static bool ends(const struct ct_flow *f, void *data)
{
	struct ending *g = data;
	const struct spec *spec = g->spec;
	bool end;

	if (f->closed)		/* closed down already: no session */
		return false;
	if (!through_a_tunnel(f)) {
		end = spec->keep_client_address && f->masqueraded;
		g->masqueraded += end;
		return end;
	}
	end = spec->masquerade || !((spec_tunnel(spec) && to_tunnel(f, spec->tunnel_id)) ||
				    (spec->has_previous && to_tunnel(f, spec->previous.id)));
	g->tunnelled += end;
	return end;
}

/*
 * Whether a session this enable would end can be open, by the state before
 * it: masqueraded ones only after a redirect that masqueraded (enabled,
 * draining, or removed with its sessions left to close), tunnelled ones
 * only while a tunnel link of ours may be there (without it their packets
 * go nowhere). Asking conntrack costs a walk of the kernel's whole table
 * (4 of enable's 10 ms here, more on a busy host): not when the answer is
 * known to be none.
 */
static bool may_end_any(const struct state *before, const struct spec *spec)
{
	return (spec->keep_client_address && before->spec.masquerade) || before->tunnel;
}

int switch_end_sessions(const struct state *before, const struct spec *spec,
			unsigned int *masqueraded, unsigned int *tunnelled, struct errmsg *e)
{
	struct ending g = { spec, 0, 0 };
	unsigned int ended;
	int err;

	*masqueraded = *tunnelled = 0;
	if (spec->role != ROLE_OLD || !may_end_any(before, spec))
		return 0;
	err = ct_end_flows(ends, &g, &ended, e);
	*masqueraded = g.masqueraded;
	*tunnelled = g.tunnelled;
	return err;
}
