// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the administrator asked `enable` for, checked as a whole and
 * normalised. Pure: no system calls, so it can be unit tested and fuzzed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/spec.h"

/* ManageSieve lists its capabilities before the "OK" that ends its greeting. */
const struct known_service known_services[] = {
	{ "smtp",        25,   true,  false, NULL,          "220",  "QUIT\r\n" },
	{ "pop3",        110,  true,  false, NULL,          "+OK",  "QUIT\r\n" },
	{ "imap",        143,  true,  false, NULL,          "* OK", "a LOGOUT\r\n" },
	{ "submissions", 465,  true,  true,  "smtps",       NULL,   NULL },
	{ "submission",  587,  true,  false, NULL,          "220",  "QUIT\r\n" },
	{ "imaps",       993,  true,  true,  NULL,          NULL,   NULL },
	{ "pop3s",       995,  true,  true,  NULL,          NULL,   NULL },
	{ "sieve",       4190, false, false, "managesieve", "OK",   "LOGOUT\r\n" },
};
const unsigned int known_services_count =
	sizeof(known_services) / sizeof(known_services[0]);

void spec_init(struct spec *s)
{
	memset(s, 0, sizeof(*s));
	s->remember = REMEMBER_DEFAULT;
	s->max_sources = MAX_SOURCES_DEFAULT;
	s->masquerade = true;
}

bool spec_has_port(const struct spec *spec, uint16_t port)
{
	unsigned int i;

	for (i = 0; i < spec->nservices; i++)
		if (spec->services[i].port == port)
			return true;
	return false;
}

const struct known_service *known_service_by_port(uint16_t port)
{
	unsigned int i;

	for (i = 0; i < known_services_count; i++)
		if (known_services[i].port == port)
			return &known_services[i];
	return NULL;
}

const char *known_service_names(char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < known_services_count && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
					 known_services[i].name);
	return buf;
}

void service_for_port(uint16_t port, struct service *svc)
{
	const struct known_service *k = known_service_by_port(port);

	svc->port = port;
	if (k)
		snprintf(svc->name, sizeof(svc->name), "%s", k->name);
	else
		snprintf(svc->name, sizeof(svc->name), "port-%u", port);
}

/*
 * One address per family into *@has4/@a4 or *@has6/@a6: the --to of
 * enable and the --from of accept. @what names them in messages.
 */
static int add_host_address(const char *arg, bool *has4, struct address *a4, bool *has6,
			    struct address *a6, const char *what, const char *whose,
			    struct errmsg *e)
{
	char q[QUOTE_BUF], other[ADDRESS_STRLEN];
	bool v4, *has;
	struct address a;
	const char *why;
	int err = parse_address(arg, &a, e);

	if (err)
		return err;
	quote(arg, q, sizeof(q));
	why = address_unusable(&a);
	if (why)
		return errmsg_set(e, -EINVAL, "%s is %s; give the %s mail server's address (behind "
				  "a cloud's 1:1 NAT, its public one)", q, why, whose);
	v4 = a.family == AF_INET;
	has = v4 ? has4 : has6;
	if (*has && address_equal(&a, v4 ? a4 : a6))
		return 0;	/* given twice, asked once */
	if (*has)
		return errmsg_set(e, -EINVAL,
				  "%s is a second IPv%c %s (already %s); give at most one "
				  "IPv4 and one IPv6 address",
				  q, v4 ? '4' : '6', what, address_str(v4 ? a4 : a6, other));
	*(v4 ? a4 : a6) = a;
	*has = true;
	return 0;
}

int spec_set_max_sources(struct spec *s, const char *arg, struct errmsg *e)
{
	char q[QUOTE_BUF];
	uint64_t n;

	if (parse_u64(arg, MAX_SOURCES_LIMIT, &n) || n < 1024)
		return errmsg_set(e, -EINVAL, "%s is not a number from 1024 to %u",
				  quote(arg, q, sizeof(q)), MAX_SOURCES_LIMIT);
	s->max_sources = (uint32_t)n;
	return 0;
}

int spec_set_tunnel_id(struct spec *s, const char *arg, struct errmsg *e)
{
	char q[QUOTE_BUF];
	uint64_t n;

	if (parse_u64(arg, TUNNEL_ID_MAX, &n) || n < 1)
		return errmsg_set(e, -EINVAL, "%s is not a tunnel id (a number from 1 to %u: the "
				  "one `redirect accept` printed on the new server)",
				  quote(arg, q, sizeof(q)), TUNNEL_ID_MAX);
	s->tunnel_id = (uint32_t)n;
	return 0;
}

int spec_add_target(struct spec *s, const char *arg, struct errmsg *e)
{
	return add_host_address(arg, &s->has_to4, &s->to4, &s->has_to6, &s->to6, "target", "new",
				e);
}

int spec_add_from(struct spec *s, const char *arg, struct errmsg *e)
{
	return add_host_address(arg, &s->has_from4, &s->from4, &s->has_from6, &s->from6,
				"address", "old", e);
}

const struct address *spec_peer(const struct spec *s)
{
	if (s->role == ROLE_OLD)
		return s->has_to4 ? &s->to4 : &s->to6;
	return s->has_from4 ? &s->from4 : &s->from6;
}

static int lookup_service(const char *word, uint16_t *port)
{
	unsigned int i;

	for (i = 0; i < known_services_count; i++) {
		const struct known_service *k = &known_services[i];

		if (!strcmp(word, k->name) || (k->alias && !strcmp(word, k->alias))) {
			*port = k->port;
			return 0;
		}
	}
	return -ENOENT;
}

static int add_service(struct spec *s, const char *word, struct errmsg *e)
{
	char q[QUOTE_BUF];
	struct service svc;
	uint16_t port;
	unsigned int i;

	quote(word, q, sizeof(q));
	if (word[0] >= '0' && word[0] <= '9') {
		if (parse_port(word, &port, e))
			return -EINVAL;
	} else if (lookup_service(word, &port)) {
		char names[128];

		return errmsg_set(e, -EINVAL,
				  "%s is not a service this tool knows (%s) or a port number",
				  q, known_service_names(names, sizeof(names)));
	}
	for (i = 0; i < s->nservices; i++)
		if (s->services[i].port == port)
			return 0;	/* "smtp,25" asks for one thing */
	if (s->nservices == SPEC_MAX_SERVICES)
		return errmsg_set(e, -E2BIG, "%s: more than %d services", q, SPEC_MAX_SERVICES);
	service_for_port(port, &svc);
	s->services[s->nservices++] = svc;
	return 0;
}

int spec_add_services(struct spec *s, const char *arg, struct errmsg *e)
{
	char buf[PARSE_VALUE_MAX + 1], q[QUOTE_BUF], *word, *save = NULL;
	int err;

	if (strnlen(arg, sizeof(buf)) >= sizeof(buf))
		return errmsg_set(e, -E2BIG, "%s is too long", quote(arg, q, sizeof(q)));
	if (!*arg || arg[0] == ',' || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,"))
		return errmsg_set(e, -EINVAL, "%s is not a service list (like smtp,imap or 2525)",
				  quote(arg, q, sizeof(q)));
	strcpy(buf, arg);
	for (word = strtok_r(buf, ",", &save); word; word = strtok_r(NULL, ",", &save)) {
		err = add_service(s, word, e);
		if (err)
			return err;
	}
	return 0;
}

/*
 * ::ffff:a.b.c.d/N (N >= 96) is IPv4 a.b.c.d/(N - 96) written as IPv6: IPv4
 * clients reach the IPv4 rules, never the IPv6 set, so that is where it goes.
 */
static bool v4_mapped(struct prefix *p)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct in_addr v4;

	if (p->addr.family != AF_INET6 || p->len < 96 ||
	    memcmp(p->addr.in.v6.s6_addr, mapped, sizeof(mapped)))
		return false;
	memcpy(&v4, p->addr.in.v6.s6_addr + 12, sizeof(v4));
	p->addr.family = AF_INET;
	p->addr.in.v4 = v4;
	p->len -= 96;
	return true;
}

int spec_add_exclude(struct spec *s, const char *arg, struct errmsg *e)
{
	char q[QUOTE_BUF];
	struct prefix p;
	int err = parse_prefix(arg, &p, e);
	unsigned int i;
	bool mapped;

	if (err)
		return err;
	quote(arg, q, sizeof(q));
	mapped = v4_mapped(&p);
	if (p.len == 0)
		return errmsg_set(e, -EINVAL,
				  "%s would exclude every%s client; use `redirect disable` "
				  "instead", q, mapped ? " IPv4" : "");
	for (i = 0; i < s->nexcludes; i++)
		if (s->excludes[i].len == p.len && address_equal(&s->excludes[i].addr, &p.addr))
			return 0;	/* as --service does: the same twice is one */
	if (s->nexcludes == SPEC_MAX_EXCLUDES)
		return errmsg_set(e, -E2BIG, "%s: more than %d excluded prefixes",
				  q, SPEC_MAX_EXCLUDES);
	s->excludes[s->nexcludes++] = p;
	return 0;
}

static int by_port(const void *a, const void *b)
{
	const struct service *x = a, *y = b;

	return (int)x->port - (int)y->port;
}

static void add_default_services(struct spec *s)
{
	unsigned int i;

	for (i = 0; i < known_services_count; i++) {
		if (!known_services[i].is_default)
			continue;
		service_for_port(known_services[i].port, &s->services[s->nservices++]);
	}
}

int spec_finalize(struct spec *s, struct errmsg *e)
{
	if (s->role == ROLE_OLD && !s->has_to4 && !s->has_to6)
		return errmsg_set(e, -EINVAL,
				  "no target: give the new mail server with --to ADDRESS (the "
				  "address this host reaches it at: behind NAT, its public one)");
	if (s->role == ROLE_NEW && !s->has_from4 && !s->has_from6)
		return errmsg_set(e, -EINVAL,
				  "no old server: give its address with --from ADDRESS (the address "
				  "its packets come from: behind NAT, its public one)");
	if (s->role == ROLE_OLD && !s->keep_client_address && s->tunnel_id)
		return errmsg_set(e, -EINVAL, "--tunnel-id goes with --keep-client-address");
	if (s->role == ROLE_OLD && s->keep_client_address && !s->tunnel_id)
		s->tunnel_id = TUNNEL_ID_DEFAULT;	/* what accept uses when given none */
	if (s->keep_client_address || s->role == ROLE_NEW)
		s->masquerade = false;
	if (s->nservices == 0)
		add_default_services(s);
	qsort(s->services, s->nservices, sizeof(s->services[0]), by_port);
	return 0;
}

static bool prefixes_equal(const struct prefix *a, const struct prefix *b, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (a[i].len != b[i].len || !address_equal(&a[i].addr, &b[i].addr))
			return false;
	return true;
}

/* The tunnels of two specs: their ids, links, and the one a switch left. */
static bool tunnels_equal(const struct spec *a, const struct spec *b)
{
	if (a->tunnel_id != b->tunnel_id || strcmp(a->tunnel_link, b->tunnel_link) ||
	    a->has_previous != b->has_previous)
		return false;
	return !a->has_previous || (a->previous.id == b->previous.id &&
				    address_equal(&a->previous.peer, &b->previous.peer) &&
				    !strcmp(a->previous.link, b->previous.link));
}

bool spec_equal(const struct spec *a, const struct spec *b)
{
	unsigned int i;

	if (a->role != b->role || a->has_to4 != b->has_to4 || a->has_to6 != b->has_to6 ||
	    a->has_from4 != b->has_from4 || a->has_from6 != b->has_from6 ||
	    a->nservices != b->nservices || a->nexcludes != b->nexcludes ||
	    a->remember != b->remember || a->masquerade != b->masquerade ||
	    a->max_sources != b->max_sources ||
	    a->keep_client_address != b->keep_client_address || a->tunnel_mtu != b->tunnel_mtu)
		return false;
	if ((a->has_to4 && !address_equal(&a->to4, &b->to4)) ||
	    (a->has_to6 && !address_equal(&a->to6, &b->to6)) ||
	    (a->has_from4 && !address_equal(&a->from4, &b->from4)) ||
	    (a->has_from6 && !address_equal(&a->from6, &b->from6)))
		return false;
	for (i = 0; i < a->nservices; i++)
		if (a->services[i].port != b->services[i].port)
			return false;
	return prefixes_equal(a->excludes, b->excludes, a->nexcludes) && tunnels_equal(a, b);
}
