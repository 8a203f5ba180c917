// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What redirect remembers between runs, as "key value" lines: one table of
 * keys that the parser and the writer both walk. Each value is read
 * strictly (a damaged file is named, not guessed at) and fuzzed. The
 * file's framing is state_text.c's; the directory, its lock and its files
 * are state_dir.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "lib/owned.h"
#include "dns/codec.h"
#include "core/state.h"

#define SINCE_MAX (1ULL << 40)	/* seconds: year 36812, well past any clock */

void state_init(struct state *st)
{
	memset(st, 0, sizeof(*st));
	spec_init(&st->spec);
}

bool state_records_anything(const struct state *st)
{
	return st->enabled || st->draining || st->pending || st->sysctls.n || st->tunnel;
}

/* ---- the keys, each read and written as the table below says ---- */

int state_put(struct state_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->used >= t->len)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->len - t->used)
		return -ENOSPC;
	t->used += (size_t)n;
	return 0;
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "yes"))
		*out = true;
	else if (!strcmp(v, "no"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_time(const char *v, int64_t *out)
{
	uint64_t n;

	if (parse_u64(v, SINCE_MAX, &n))
		return -EINVAL;
	*out = (int64_t)n;
	return 0;
}

/*
 * A key whose value is more than one yes/no or number: a reader of one
 * line's value, and a writer of all its lines (one per item, or none).
 */
typedef int (*key_read)(struct state *st, const char *value, struct errmsg *e);
typedef int (*key_write)(const struct state *st, const char *key, struct state_text *t);

static int read_role(struct state *st, const char *v, struct errmsg *e)
{
	if (strcmp(v, "accept"))
		return -EINVAL;
	st->spec.role = ROLE_NEW;
	return 0;
}

static int write_role(const struct state *st, const char *key, struct state_text *t)
{
	return st->spec.role == ROLE_NEW ? state_put(t, "%s accept\n", key) : 0;
}

static int read_target(struct state *st, const char *v, struct errmsg *e)
{
	return spec_add_target(&st->spec, v, e);
}

/* One line per address of a pair (IPv4 first): --to, --from. */
static int write_pair(const char *key, bool has4, const struct address *a4, bool has6,
		      const struct address *a6, struct state_text *t)
{
	char addr[ADDRESS_STRLEN];
	int err = 0;

	if (has4)
		err = state_put(t, "%s %s\n", key, address_str(a4, addr));
	if (!err && has6)
		err = state_put(t, "%s %s\n", key, address_str(a6, addr));
	return err;
}

static int write_target(const struct state *st, const char *key, struct state_text *t)
{
	const struct spec *s = &st->spec;

	return write_pair(key, s->has_to4, &s->to4, s->has_to6, &s->to6, t);
}

static int read_from(struct state *st, const char *v, struct errmsg *e)
{
	return spec_add_from(&st->spec, v, e);
}

static int write_from(const struct state *st, const char *key, struct state_text *t)
{
	const struct spec *s = &st->spec;

	return write_pair(key, s->has_from4, &s->from4, s->has_from6, &s->from6, t);
}

/* A port, not a name: the file says what was redirected, whatever names mean later. */
static int read_service(struct state *st, const char *v, struct errmsg *e)
{
	uint16_t port;

	return parse_port(v, &port, e) ? -EINVAL : spec_add_services(&st->spec, v, e);
}

static int write_service(const struct state *st, const char *key, struct state_text *t)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < st->spec.nservices; i++)
		err = state_put(t, "%s %u\n", key, st->spec.services[i].port);
	return err;
}

static int read_exclude(struct state *st, const char *v, struct errmsg *e)
{
	return spec_add_exclude(&st->spec, v, e);
}

static int write_exclude(const struct state *st, const char *key, struct state_text *t)
{
	char text[ADDRESS_STRLEN];
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < st->spec.nexcludes; i++)
		err = state_put(t, "%s %s\n", key, prefix_str(&st->spec.excludes[i], text));
	return err;
}

/* Written in seconds; read as any duration, as --remember takes it. */
static int read_remember(struct state *st, const char *v, struct errmsg *e)
{
	return parse_duration(v, &st->spec.remember, e);
}

static int write_remember(const struct state *st, const char *key, struct state_text *t)
{
	return state_put(t, "%s %" PRIu64 "\n", key, st->spec.remember);
}

/* One of the names redirect gives its links; nothing else is ever deleted by name. */
static int read_tunnel_link(struct state *st, const char *v, struct errmsg *e)
{
	if (!tunnel_ifname(v))
		return -EINVAL;
	snprintf(st->spec.tunnel_link, sizeof(st->spec.tunnel_link), "%s", v);
	return 0;
}

static int write_tunnel_link(const struct state *st, const char *key, struct state_text *t)
{
	return st->spec.tunnel_link[0] ? state_put(t, "%s %s\n", key, st->spec.tunnel_link) : 0;
}

/* "previous_tunnel ID PEER LINK": the tunnel a switch left for its sessions */
static int read_previous(struct state *st, const char *v, struct errmsg *e)
{
	struct spec_tunnel *p = &st->spec.previous;
	char id[16], peer[ADDRESS_STRLEN], link[LINK_NAME_MAX + 1], extra;
	struct errmsg ignored;
	uint64_t n;

	if (sscanf(v, "%15s %45s %16s %c", id, peer, link, &extra) != 3 ||
	    parse_u64(id, TUNNEL_ID_MAX, &n) || !n || parse_address(peer, &p->peer, &ignored) ||
	    !tunnel_ifname(link))
		return -EINVAL;
	p->id = (uint32_t)n;
	snprintf(p->link, sizeof(p->link), "%.15s", link);
	st->spec.has_previous = true;
	return 0;
}

static int write_previous(const struct state *st, const char *key, struct state_text *t)
{
	const struct spec_tunnel *p = &st->spec.previous;
	char peer[ADDRESS_STRLEN];

	if (!st->spec.has_previous)
		return 0;
	return state_put(t, "%s %u %s %s\n", key, p->id, address_str(&p->peer, peer), p->link);
}

/* "seen PORT TIME": the newest connection per service */
static int read_seen(struct state *st, const char *v, struct errmsg *e)
{
	struct history *h = &st->history;
	char port[8], at[24], extra;
	struct errmsg ignored;
	uint16_t p;

	if (sscanf(v, "%7s %23s %c", port, at, &extra) != 2 || parse_port(port, &p, &ignored) ||
	    h->nseen == SPEC_MAX_SERVICES)
		return -EINVAL;
	h->seen[h->nseen].port = p;
	return parse_time(at, &h->seen[h->nseen++].at);
}

static int write_seen(const struct state *st, const char *key, struct state_text *t)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < st->history.nseen; i++)
		err = state_put(t, "%s %u %" PRId64 "\n", key, st->history.seen[i].port,
			  st->history.seen[i].at);
	return err;
}

/* "observed TIME CONNECTIONS": the last observation, and the counters' total then */
static int read_observed(struct state *st, const char *v, struct errmsg *e)
{
	struct history *h = &st->history;
	char at[24], count[24], extra;

	if (sscanf(v, "%23s %23s %c", at, count, &extra) != 2 ||
	    parse_u64(count, UINT64_MAX, &h->observed_connections))
		return -EINVAL;
	return parse_time(at, &h->observed_at);
}

static int write_observed(const struct state *st, const char *key, struct state_text *t)
{
	const struct history *h = &st->history;

	if (!h->observed_at)
		return 0;
	return state_put(t, "%s %" PRId64 " %" PRIu64 "\n", key, h->observed_at,
		   h->observed_connections);
}

/* What `check --quiet` last spoke of: a verdict, or "disabled". */
static int read_reported(struct state *st, const char *v, struct errmsg *e)
{
	if (strcmp(v, "ready") && strcmp(v, "in-use") && strcmp(v, "unknown") &&
	    strcmp(v, "disabled"))
		return -EINVAL;
	snprintf(st->reported, sizeof(st->reported), "%s", v);
	return 0;
}

static int write_reported(const struct state *st, const char *key, struct state_text *t)
{
	return st->reported[0] ? state_put(t, "%s %s\n", key, st->reported) : 0;
}

static int read_public(struct state *st, const char *v, struct errmsg *e)
{
	return public_add(&st->public, v, e) ? -EINVAL : 0;
}

static int write_public(const struct state *st, const char *key, struct state_text *t)
{
	char addr[ADDRESS_STRLEN];
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < st->public.n; i++)
		err = state_put(t, "%s %s\n", key, address_str(&st->public.a[i], addr));
	return err;
}

static int read_domain(struct state *st, const char *v, struct errmsg *e)
{
	return dns_clock_add_domain(&st->dns, v, e) ? -EINVAL : 0;
}

static int write_domain(const struct state *st, const char *key, struct state_text *t)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < st->dns.ndomains; i++)
		err = state_put(t, "%s %s\n", key, st->dns.domains[i]);
	return err;
}

/* "dns_checked TIME STATUS": the last run that asked, and what it found */
static int read_dns_checked(struct state *st, const char *v, struct errmsg *e)
{
	struct dns_clock *d = &st->dns;
	char at[24], status[8], extra;

	if (sscanf(v, "%23s %7s %c", at, status, &extra) != 2 ||
	    (strcmp(status, "new") && strcmp(status, "old") && strcmp(status, "unknown")))
		return -EINVAL;
	snprintf(d->status, sizeof(d->status), "%s", status);
	return parse_time(at, &d->checked_at);
}

static int write_dns_checked(const struct state *st, const char *key, struct state_text *t)
{
	const struct dns_clock *d = &st->dns;

	if (!d->checked_at)
		return 0;
	return state_put(t, "%s %" PRId64 " %s\n", key, d->checked_at,
		   d->status[0] ? d->status : "unknown");
}

/* Printable text on one line: what stats shows of the last DNS check. */
static int read_dns_summary(struct state *st, const char *v, struct errmsg *e)
{
	struct dns_clock *d = &st->dns;
	size_t i, n = strlen(v);

	if (n >= sizeof(d->summary))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < ' ' || v[i] == 0x7f)
			return -EINVAL;
	memcpy(d->summary, v, n + 1);
	return 0;
}

static int write_dns_summary(const struct state *st, const char *key, struct state_text *t)
{
	return st->dns.summary[0] ? state_put(t, "%s %s\n", key, st->dns.summary) : 0;
}

/* "sysctl PATH BEFORE AFTER": a setting enable changed, to put back */
static int read_sysctl(struct state *st, const char *v, struct errmsg *e)
{
	char path[SYSCTL_PATH_MAX + 1], before[8], after[8], extra;
	struct sysctl_log *log = &st->sysctls;
	struct sysctl_record *r;
	uint64_t b, a;

	if (sscanf(v, "%64s %7s %7s %c", path, before, after, &extra) != 3 ||
	    !sysctl_path_valid(path) || parse_u64(before, 1000, &b) || parse_u64(after, 1000, &a))
		return errmsg_set(e, -EINVAL, "not a setting this tool records");
	if (log->n == SYSCTL_LOG_MAX)
		return errmsg_set(e, -E2BIG, "too many settings");
	r = &log->r[log->n++];
	snprintf(r->path, sizeof(r->path), "%.*s", SYSCTL_PATH_MAX - 1, path);
	r->before = (int)b;
	r->after = (int)a;
	return 0;
}

static int write_sysctl(const struct state *st, const char *key, struct state_text *t)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < st->sysctls.n; i++)
		err = state_put(t, "%s %s %d %d\n", key, st->sysctls.r[i].path,
			  st->sysctls.r[i].before, st->sysctls.r[i].after);
	return err;
}

/* ---- the TLS identity (identity.c has the shapes of its lines) ---- */

static int read_name(struct state *st, const char *v, struct errmsg *e)
{
	struct id_memory *m = &st->tls;

	if (m->nnames == ID_NAMES_MAX || identity_name_parse(v, m->names[m->nnames]))
		return -EINVAL;
	m->nnames++;
	return 0;
}

static int write_name(const struct state *st, const char *key, struct state_text *t)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < st->tls.nnames; i++)
		err = state_put(t, "%s %s\n", key, st->tls.names[i]);
	return err;
}

/* "tls_old PORT SPKI NAME,NAME": what the old server presented on a port */
static int read_tls_old(struct state *st, const char *v, struct errmsg *e)
{
	struct id_old *o = &st->tls.old;

	if (o->n == ID_OLD_PORTS_MAX || identity_old_port_parse(v, &o->ports[o->n]))
		return -EINVAL;
	o->n++;
	return 0;
}

static int write_tls_old(const struct state *st, const char *key, struct state_text *t)
{
	char line[STATE_LINE_MAX];
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < st->tls.old.n; i++)
		if (st->tls.old.ports[i].tls &&
		    identity_old_port_format(&st->tls.old.ports[i], line, sizeof(line)) > 0)
			err = state_put(t, "%s %s\n", key, line);
	return err;
}

/* "tls_result PORT NAME yes|no EXPIRY": what the last check of NEW found */
static int read_tls_result(struct state *st, const char *v, struct errmsg *e)
{
	struct id_memory *m = &st->tls;

	if (m->nresults == ID_SERVICES_MAX || identity_result_parse(v, &m->results[m->nresults]))
		return -EINVAL;
	m->nresults++;
	return 0;
}

static int write_tls_result(const struct state *st, const char *key, struct state_text *t)
{
	const struct id_result *r = st->tls.results;
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < st->tls.nresults; i++)
		err = state_put(t, "%s %u %s %s %" PRId64 "\n", key, r[i].port, r[i].name,
			  yes_no(r[i].ok), r[i].expiry);
	return err;
}

/*
 * Every key of the file, once, in the order it is written: the parser and
 * the writer both walk this table, so they cannot disagree. A new key is
 * one line here, and its field in struct state: a yes/no (BOOL) or a
 * number (NUMBER: unsigned, or a time since the epoch) needs nothing else;
 * a value of another shape (OWN) brings its reader and its writer.
 */
enum key_type { KEY_BOOL, KEY_NUMBER, KEY_OWN };

struct key {
	const char *name;
	enum key_type type;
	size_t offset, size;		/* BOOL, NUMBER: the field in struct state */
	bool always;			/* written even when no, or when it holds @unset */
	uint64_t min, max;		/* NUMBER: what a file may say */
	uint64_t unset;			/* NUMBER: the value that is not written */
	key_read read;			/* OWN */
	key_write write;
};

#define FIELD(f) offsetof(struct state, f), sizeof(((struct state *)0)->f)
#define BOOL(name, f, always) { name, KEY_BOOL, FIELD(f), always, 0, 0, 0, NULL, NULL }
#define NUMBER(name, f, always, min, max, unset) \
	{ name, KEY_NUMBER, FIELD(f), always, min, max, unset, NULL, NULL }
#define TIME(name, f, always) NUMBER(name, f, always, 0, SINCE_MAX, 0)
#define OWN(name, what) { name, KEY_OWN, 0, 0, false, 0, 0, 0, read_##what, write_##what }
#define ALWAYS true
#define IF_SET false

static const struct key keys[] = {
	NUMBER("generation", generation, ALWAYS, 0, UINT64_MAX / 2, 0),
	BOOL("enabled", enabled, ALWAYS),
	BOOL("pending", pending, ALWAYS),
	BOOL("draining", draining, ALWAYS),
	TIME("since", since, ALWAYS),
	OWN("role", role),
	OWN("to", target),
	OWN("from", from),
	OWN("service", service),
	OWN("exclude", exclude),
	OWN("remember", remember),
	BOOL("masquerade", spec.masquerade, ALWAYS),
	NUMBER("max_sources", spec.max_sources, IF_SET, 1, MAX_SOURCES_LIMIT, MAX_SOURCES_DEFAULT),
	BOOL("keep_client_address", spec.keep_client_address, IF_SET),
	NUMBER("tunnel_mtu", spec.tunnel_mtu, IF_SET, TUNNEL_MTU_MIN, 65535, 0),
	NUMBER("tunnel_id", spec.tunnel_id, IF_SET, 1, TUNNEL_ID_MAX, 0),
	OWN("tunnel_link", tunnel_link),
	OWN("previous_tunnel", previous),
	TIME("last_seen", history.last_seen, IF_SET),
	OWN("seen", seen),
	OWN("observed", observed),
	BOOL("tunnel", tunnel, IF_SET),
	BOOL("restored", restored, IF_SET),
	OWN("reported", reported),
	OWN("domain", domain),
	TIME("dns_clean_since", dns.clean_since, IF_SET),
	NUMBER("dns_ttl", dns.ttl, IF_SET, 0, UINT32_MAX, 0),
	OWN("dns_checked", dns_checked),
	OWN("dns_summary", dns_summary),
	OWN("name", name),
	OWN("tls_old", tls_old),
	TIME("tls_checked", tls.checked_at, IF_SET),
	OWN("tls_result", tls_result),
	OWN("sysctl", sysctl),
	OWN("public_address", public),
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* A number field of 4 or 8 bytes (a time is an int64_t, never negative here). */
static uint64_t get_number(const struct state *st, const struct key *k)
{
	const char *p = (const char *)st + k->offset;
	uint32_t v32;
	uint64_t v64;

	if (k->size == sizeof(v32)) {
		memcpy(&v32, p, sizeof(v32));
		return v32;
	}
	memcpy(&v64, p, sizeof(v64));
	return v64;
}

static void set_number(struct state *st, const struct key *k, uint64_t v)
{
	char *p = (char *)st + k->offset;
	uint32_t v32 = (uint32_t)v;

	if (k->size == sizeof(v32))
		memcpy(p, &v32, sizeof(v32));
	else
		memcpy(p, &v, sizeof(v));
}

static int write_key(const struct state *st, const struct key *k, struct state_text *t)
{
	bool b;
	uint64_t n;

	switch (k->type) {
	case KEY_BOOL:
		memcpy(&b, (const char *)st + k->offset, sizeof(b));
		return k->always || b ? state_put(t, "%s %s\n", k->name, yes_no(b)) : 0;
	case KEY_NUMBER:
		n = get_number(st, k);
		return k->always || n != k->unset ? state_put(t, "%s %" PRIu64 "\n", k->name, n) : 0;
	default:
		return k->write(st, k->name, t);
	}
}

static int read_key(struct state *st, const struct key *k, const char *v, struct errmsg *e)
{
	uint64_t n;
	bool b;

	switch (k->type) {
	case KEY_BOOL:
		if (parse_bool(v, &b))
			return -EINVAL;
		memcpy((char *)st + k->offset, &b, sizeof(b));
		return 0;
	case KEY_NUMBER:
		if (parse_u64(v, k->max, &n) || n < k->min)
			return -EINVAL;
		set_number(st, k, n);
		return 0;
	default:
		return k->read(st, v, e);
	}
}

int state_write_keys(const struct state *st, struct state_text *t)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < NKEYS; i++)
		err = write_key(st, &keys[i], t);
	return err;
}

int state_read_key(struct state *st, const char *key, const char *value, struct errmsg *e)
{
	unsigned int i;

	for (i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].name, key))
			return read_key(st, &keys[i], value, e);
	return errmsg_set(e, -EINVAL, "unknown key '%.40s'", key);
}
