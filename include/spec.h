/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_SPEC_H
#define REDIRECT_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"

#define SPEC_MAX_SERVICES 32
#define SPEC_MAX_EXCLUDES 64
#define SERVICE_NAME_MAX 16		/* "port-65535" and every known name fit */
#define REMEMBER_DEFAULT (7 * 86400)

/* A TCP port we redirect, with the name shown in stats and counters. */
struct service {
	char name[SERVICE_NAME_MAX];
	uint16_t port;
};

/*
 * What the administrator asked for: the whole input of `enable`, and what
 * the state file records. Normalised by spec_finalize() so that two specs
 * asking for the same thing compare equal.
 */
struct spec {
	bool has_to4, has_to6;
	struct address to4, to6;
	unsigned int nservices;
	struct service services[SPEC_MAX_SERVICES];	/* sorted by port */
	unsigned int nexcludes;
	struct prefix excludes[SPEC_MAX_EXCLUDES];	/* in the given order */
	uint64_t remember;				/* seconds */
	bool masquerade;
};

void spec_init(struct spec *s);

/* Whether @s redirects @family (AF_INET, AF_INET6), and to where. */
static inline bool spec_uses(const struct spec *s, int family)
{
	return family == AF_INET ? s->has_to4 : s->has_to6;
}

static inline const struct address *spec_target(const struct spec *s, int family)
{
	return family == AF_INET ? &s->to4 : &s->to6;
}

/* --to: an IP literal a mail server can be; at most one per family. */
int spec_add_target(struct spec *s, const char *arg, struct errmsg *e);

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

/* The known service on @port, or NULL. */
const struct known_service *known_service_by_port(uint16_t port);

/* "smtp, pop3, ...": every known name, in the table's order. */
const char *known_service_names(char *buf, size_t len);

/* Fills @svc for @port: its known name or "port-N". */
void service_for_port(uint16_t port, struct service *svc);

#endif
