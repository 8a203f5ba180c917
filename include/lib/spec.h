/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_LIB_SPEC_H
#define REDIRECT_LIB_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/parse.h"

#define SPEC_MAX_SERVICES 32
#define SPEC_MAX_EXCLUDES 64
#define SERVICE_NAME_MAX 16		/* "port-65535" and every known name fit */
#define REMEMBER_DEFAULT (7 * 86400)
#define MAX_SOURCES_DEFAULT 65536
#define MAX_SOURCES_LIMIT (16U << 20)

/* A TCP port we redirect, with the name shown in stats and counters. */
struct service {
	char name[SERVICE_NAME_MAX];
	uint16_t port;
};

/*
 * Which end of a migration this host is: OLD runs `enable` and sends the
 * connections on, NEW runs `accept` and takes them through the tunnel.
 */
enum spec_role { ROLE_OLD, ROLE_NEW };

#define LINK_NAME_MAX 16			/* IFNAMSIZ */
#define TUNNEL_ID_MAX 0xffffff			/* 24 bits of VNI */
#define TUNNEL_ID_DEFAULT 2587		/* the well-known VNI: both ends given no --tunnel-id */
#define SPEC_GUARDED_MAX 2		/* links guarded beside a spec's own (see struct spec) */

/*
 * A tunnel of OLD's besides the spec's own: the one a switch of --to (or
 * to masquerade) left behind for the sessions it still carries, until the
 * last of them has closed. Its rules stay in the table as long as its
 * link: nothing may come through a link unguarded.
 */
struct spec_tunnel {
	uint32_t id;			/* its VNI; its addresses derive from it */
	struct address peer;		/* the other end's underlay address */
	char link[LINK_NAME_MAX];	/* this host's link of it */
};

/*
 * What the administrator asked for: the whole input of `enable` (or of
 * `accept`), and what the state file records. Normalised by
 * spec_finalize() so that two specs asking for the same thing compare
 * equal.
 */
struct spec {
	enum spec_role role;
	bool has_to4, has_to6;		/* OLD: the new server */
	struct address to4, to6;
	bool has_from4, has_from6;	/* NEW: the old server's addresses */
	struct address from4, from6;
	unsigned int nservices;
	struct service services[SPEC_MAX_SERVICES];	/* sorted by port */
	unsigned int nexcludes;
	struct prefix excludes[SPEC_MAX_EXCLUDES];	/* in the given order */
	uint64_t remember;				/* seconds */
	uint32_t max_sources;		/* stale-source set size, per family */
	bool masquerade;
	bool keep_client_address;	/* OLD: through the tunnel, no masquerade */
	unsigned int tunnel_mtu;	/* OLD: of the tunnel as enable made it (for MSS) */
	uint32_t tunnel_id;		/* OLD: --tunnel-id; NEW: drawn by accept; 0 none */
	char tunnel_link[LINK_NAME_MAX];	/* the link of the tunnel (OLD's alternates) */
	bool has_previous;		/* OLD: a tunnel before this one still carries sessions */
	struct spec_tunnel previous;
	/*
	 * Not recorded, not compared: links of ours that a table guards for a
	 * moment although no connection goes through them (the probe's before
	 * enable decides, those a switch removes right after its commit).
	 */
	unsigned int nguarded;
	struct spec_tunnel guarded[SPEC_GUARDED_MAX];
};

void spec_init(struct spec *s);

/*
 * Whether @s redirects @family (AF_INET, AF_INET6), and to where. NEW
 * takes both families through the tunnel: OLD's --to decides which come.
 */
static inline bool spec_uses(const struct spec *s, int family)
{
	if (s->role == ROLE_NEW)
		return true;
	return family == AF_INET ? s->has_to4 : s->has_to6;
}

static inline const struct address *spec_target(const struct spec *s, int family)
{
	return family == AF_INET ? &s->to4 : &s->to6;
}

/* --to: an IP literal a mail server can be; at most one per family. */
int spec_add_target(struct spec *s, const char *arg, struct errmsg *e);

/* --max-sources: 1024 to MAX_SOURCES_LIMIT entries per stale-source set. */
int spec_set_max_sources(struct spec *s, const char *arg, struct errmsg *e);

/* --tunnel-id: 1 to TUNNEL_ID_MAX, the number accept printed on NEW. */
int spec_set_tunnel_id(struct spec *s, const char *arg, struct errmsg *e);

/* accept --from: an address of OLD; at most one per family. */
int spec_add_from(struct spec *s, const char *arg, struct errmsg *e);

/* Whether connections travel through the tunnel: on OLD with --keep-client-address, on NEW. */
static inline bool spec_tunnel(const struct spec *s)
{
	return s->role == ROLE_NEW || s->keep_client_address;
}

/* Whether a link of a tunnel of @s exists: its own, one a switch left, one guarded. */
static inline bool spec_links(const struct spec *s)
{
	return spec_tunnel(s) || s->has_previous || s->nguarded;
}

/*
 * The other end of the migration, whose address the tunnel's packets
 * carry: on OLD the first --to (IPv4 where given), on NEW the first --from.
 */
const struct address *spec_peer(const struct spec *s);

/* --service: a known name, an alias, or a port; a comma list of those. */
int spec_add_services(struct spec *s, const char *arg, struct errmsg *e);

/* --exclude: a prefix whose sources are never redirected. */
int spec_add_exclude(struct spec *s, const char *arg, struct errmsg *e);

/* Checks what only the whole spec can tell and fills in the defaults. */
int spec_finalize(struct spec *s, struct errmsg *e);

bool spec_equal(const struct spec *a, const struct spec *b);

/* The known services, for --help and the man page. */
struct known_service {
	const char *name;
	uint16_t port;
	bool is_default;
	bool tls;		/* implicit TLS: the probe only connects */
	const char *alias;
	const char *greeting;	/* how a line of the server's greeting starts */
	const char *goodbye;	/* what the probe says before it leaves */
};
extern const struct known_service known_services[];
extern const unsigned int known_services_count;

/* Whether @spec redirects @port. */
bool spec_has_port(const struct spec *spec, uint16_t port);

/* The known service on @port, or NULL. */
const struct known_service *known_service_by_port(uint16_t port);

/* "smtp, pop3, ...": every known name, in the table's order. */
const char *known_service_names(char *buf, size_t len);

/* Fills @svc for @port: its known name or "port-N". */
void service_for_port(uint16_t port, struct service *svc);

#endif
