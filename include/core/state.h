/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_STATE_H
#define REDIRECT_CORE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/identity.h"
#include "lib/errmsg.h"
#include "lib/spec.h"
#include "kernel/sysctl.h"

#define STATE_TEXT_MAX (64 * 1024)
#define STATE_LINE_MAX 512		/* the longest line of the file */

/*
 * When redirected connections were last seen, as stats and check observed
 * them: this outlives the kernel's counters and sets (a reboot, a flushed
 * ruleset, sources expiring), so the quiet clock never starts over.
 */
struct history {
	int64_t last_seen;			/* newest, unix time; 0: never */
	unsigned int nseen;
	struct {
		uint16_t port;
		int64_t at;
	} seen[SPEC_MAX_SERVICES];		/* newest per service */
	int64_t observed_at;			/* the last observation */
	uint64_t observed_connections;		/* the counters' total then */
};

/*
 * What check has seen of DNS (enable --domain): the domains, and the clock
 * of the resolvers' caches. Once every authoritative server is clean, a
 * resolver may still hand out an old answer for its TTL: the old host can
 * go only that long after the first run that saw DNS clean.
 */
#define STATE_DOMAINS_MAX 16
#define STATE_DOMAIN_LEN 254
#define DNS_SUMMARY_MAX 240
struct dns_clock {
	unsigned int ndomains;
	char domains[STATE_DOMAINS_MAX][STATE_DOMAIN_LEN];
	int64_t clean_since;	/* the first clean run since the last that was not; 0: none */
	uint32_t ttl;		/* the largest TTL of the old answers seen (see dns_clock_note) */
	int64_t checked_at;	/* the last run that asked; 0: never */
	char status[8];		/* ... what it found: "new", "old", "unknown" */
	char summary[DNS_SUMMARY_MAX];	/* ... its first problem, for stats; "" */
};

/*
 * A domain into @c's list (--domain of enable and check, the state file):
 * checked, and each once (the same domain again is no second one).
 * -EINVAL or -E2BIG with @e naming it.
 */
/* remembered.c */
int dns_clock_add_domain(struct dns_clock *c, const char *name, struct errmsg *e);

/*
 * This host's public addresses, as the admin gives them (--public-address):
 * behind a cloud's 1:1 NAT the address others reach it at is on no
 * interface, so only the admin can say it. dns and check --domain count
 * them as this host; accept names one as the --to for the old server.
 */
#define PUBLIC_MAX 8
struct public_addresses {
	unsigned int n;
	struct address a[PUBLIC_MAX];
};

/*
 * An address into @p: an IP literal a host can be reached at (checked as
 * --to is), each once. -EINVAL or -E2BIG with @e naming it.
 */
int public_add(struct public_addresses *p, const char *arg, struct errmsg *e);

/* The first of @p in @family, or NULL. */
const struct address *public_of(const struct public_addresses *p, int family);

/*
 * This host's public address is never the other server's: none of @p may
 * be a --to of @spec (OLD) or a --from (NEW). -EINVAL with @e naming the
 * value (a typo, or the options swapped), else 0.
 */
int public_not_other(const struct public_addresses *p, const struct spec *spec,
		     struct errmsg *e);

/* What redirect remembers between runs, in STATE_DIR/state. */
struct state {
	uint64_t generation;	/* one more at every write: the newer file wins */
	bool enabled;
	bool pending;		/* a change was under way and may not have finished */
	bool draining;		/* disabled, but redirected sessions still run */
	struct spec spec;
	int64_t since;		/* when the redirect was first enabled */
	struct sysctl_log sysctls;
	struct history history;
	char reported[12];	/* what `check --quiet` last spoke of: a verdict or "disabled" */
	bool tunnel;		/* a tunnel link of ours may exist: disable removes it */
	bool restored;		/* put back after a flush: flows may predate its counters */
	struct dns_clock dns;
	struct id_memory tls;		/* the TLS identity (identity.h) */
	struct public_addresses public;	/* enable/accept --public-address, remembered */
};

/* The text form, pure: for tests and the fuzzer. */
int state_parse(const char *text, size_t len, struct state *st, struct errmsg *e);
int state_format(const struct state *st, char *buf, size_t len);

/* For state_text.c, which frames the keys: state.c's table writes and reads them. */
struct state_text {
	char *buf;
	size_t len, used;
};
int state_put(struct state_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Every key @st holds, a line each, in the table's order. */
int state_write_keys(const struct state *st, struct state_text *t);
/* The line "@key @value" into @st; an unknown key is an error. */
int state_read_key(struct state *st, const char *key, const char *value, struct errmsg *e);

void state_init(struct state *st);

/* Whether @st records anything: enabled, draining, a change under way, settings to put back. */
bool state_records_anything(const struct state *st);

#endif
