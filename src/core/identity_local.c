// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TLS identity of this host's own servers: what the old server's
 * daemons present while they still run here (recorded, so that the new
 * server is held to the same names), and in which address families
 * something listens at all (accept checks NEW's servers at loopback).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "kernel/sock_diag.h"

static struct id_old_port *old_port(struct id_old *out, uint16_t port)
{
	unsigned int i;

	for (i = 0; i < out->n; i++)
		if (out->ports[i].port == port)
			return &out->ports[i];
	if (out->n == ID_OLD_PORTS_MAX)
		return NULL;
	memset(&out->ports[out->n], 0, sizeof(out->ports[0]));
	out->ports[out->n].port = port;
	return &out->ports[out->n++];
}

/*
 * A name a client can dial: labels of letters, digits and hyphens, at least
 * two of them, or a leading "*." wildcard. A CN like "Dovecot mail server"
 * or an address is no such name (and could not be kept in the state).
 */
static bool host_name(const char *name)
{
	const char *p = name[0] == '*' && name[1] == '.' ? name + 2 : name;
	size_t label = 0;
	bool dot = false;

	for (; *p; p++) {
		if (*p == '.') {
			if (!label)
				return false;
			label = 0;
			dot = true;
		} else if (isalnum((unsigned char)*p) || *p == '-' || *p == '_') {
			label++;
		} else {
			return false;
		}
	}
	return dot && label && !isdigit((unsigned char)p[-1]);
}

void identity_old_from(const struct tls_target *targets, unsigned int n, struct id_old *out)
{
	unsigned int i, j;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		const struct tls_target *t = &targets[i];
		struct id_old_port *p;

		if (t->outcome != TLS_HANDSHAKEN || !t->cert.present ||
		    !(p = old_port(out, t->port)) || p->tls)
			continue;
		p->tls = true;
		memcpy(p->spki, t->cert.spki, sizeof(p->spki));
		for (j = 0; j < t->cert.nnames && p->nnames < ID_OLD_NAMES_MAX; j++)
			if (host_name(t->cert.names[j]))
				snprintf(p->names[p->nnames++], TLS_NAME_BUF, "%s",
					 t->cert.names[j]);
	}
}

/* ---- the old server's own daemons ---- */

struct old_listeners {
	const struct spec *spec;
	unsigned int n;
	struct tls_target *t;		/* one per port, SPEC_MAX_SERVICES of them */
	const char *sni;
};

static void note_listener(const struct address *a, uint16_t port, void *data)
{
	struct old_listeners *l = data;
	struct tls_target *t;
	unsigned int i;

	if (!spec_has_port(l->spec, port) || !identity_port_checked(port))
		return;
	for (i = 0; i < l->n; i++)
		if (l->t[i].port == port)
			return;		/* IPv4 is walked first: one connection per port */
	t = &l->t[l->n++];
	memset(t, 0, sizeof(*t));
	t->port = port;
	t->addr = *a;
	if (address_unspecified(a) && a->family == AF_INET)
		t->addr.in.v4.s_addr = htonl(INADDR_LOOPBACK);
	else if (address_unspecified(a))
		t->addr.in.v6 = in6addr_loopback;
	snprintf(t->name, sizeof(t->name), "%s", l->sni);
}

/* ---- this host's own listeners, by family ---- */

struct families_seen {
	const struct spec *spec;
	unsigned int mask;
};

static void note_family(const struct address *a, uint16_t port, void *data)
{
	struct families_seen *f = data;

	if (spec_has_port(f->spec, port) && identity_port_checked(port) &&
	    (address_unspecified(a) || address_loopback(a)))
		f->mask |= a->family == AF_INET ? ID_FAMILY_4 : ID_FAMILY_6;
}

unsigned int identity_loopback_families(const struct spec *spec)
{
	struct families_seen f = { .spec = spec };

	tcp_listeners(AF_INET, note_family, &f);
	tcp_listeners(AF_INET6, note_family, &f);
	return f.mask;
}

int identity_probe_old(const struct spec *spec, const char *sni, struct id_old *out,
		       struct errmsg *e)
{
	struct old_listeners l = { .spec = spec, .sni = sni };
	struct tls_options o;
	int err;

	memset(out, 0, sizeof(*out));
	l.t = calloc(SPEC_MAX_SERVICES, sizeof(*l.t));
	if (!l.t)
		return errmsg_set(e, -ENOMEM, "out of memory");
	tcp_listeners(AF_INET, note_listener, &l);
	tcp_listeners(AF_INET6, note_listener, &l);
	tls_options_init(&o);
	err = l.n ? tls_run(l.t, l.n, &o, e) : 0;
	if (!err)
		identity_old_from(l.t, l.n, out);
	free(l.t);
	return err ? err : (int)out->n;
}
