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

#define STATE_DIR_DEFAULT "/var/lib/redirect"
#define STATE_FILE "state"
#define STATE_PENDING_FILE "state.pending"
#define STATE_LAST_GOOD_FILE "state.last-good"	/* a copy of the last durable write */
#define STATE_DAMAGED_FILE "state.damaged"	/* a damaged state, kept for a look */
#define STATE_LOCK "lock"
#define STATE_TEXT_MAX (64 * 1024)

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
};

struct state_dir {
	int fd;			/* the directory, or -1 when it does not exist */
	int lock_fd;
	char path[4096];
};

/* The directory to use: --state-dir, else $REDIRECT_STATE_DIR, else the default. */
const char *state_dir_path(const char *option);

/*
 * Opens the directory without following a symlink at its end; refuses one
 * that others can write to. With @create it is made (mode 0700) if missing;
 * without, a missing directory gives fd -1 and reads as nothing enabled.
 */
int state_dir_open(struct state_dir *d, const char *path, bool create, struct errmsg *e);
void state_dir_close(struct state_dir *d);

/*
 * One invocation at a time changes state. Returns -EWOULDBLOCK with @holder
 * set to the pid that has it when @wait is false; the lock dies with its
 * holder, so a killed run never blocks the next one.
 */
int state_lock(struct state_dir *d, bool wait, long *holder, struct errmsg *e);

/*
 * For a run that only reads, and writes the state only by the way (stats,
 * check): the lock when it is free, never creating the lock file (-ENOENT
 * when there is none: no writer ever used this directory).
 */
int state_lock_existing(struct state_dir *d, long *holder, struct errmsg *e);

void state_unlock(struct state_dir *d);

/*
 * Reads the state: STATE_PENDING_FILE when it is whole and newer than
 * STATE_FILE, else STATE_FILE; a missing file is a state with nothing
 * enabled.
 */
int state_read(struct state_dir *d, struct state *st, struct errmsg *e);

/* A damaged STATE_FILE moved to STATE_DAMAGED_FILE, before a fresh one is written: 1, or 0 when there was none. */
int state_set_aside(struct state_dir *d, struct errmsg *e);

/*
 * STATE_LAST_GOOD_FILE, for disable when STATE_FILE is damaged: -ENOENT
 * when there is none, an error when it is damaged too (@st then empty).
 */
int state_read_last_good(struct state_dir *d, struct state *st, struct errmsg *e);

/*
 * STATE_FILE: temporary file, fsync, rename, fsync of the directory, and a
 * copy in STATE_LAST_GOOD_FILE.
 * Both writes number @st with the next generation.
 */
int state_write(struct state_dir *d, struct state *st, struct errmsg *e);

/*
 * STATE_PENDING_FILE, without the fsyncs, for the record written before a
 * change: the rename alone makes it survive the process being killed. A
 * power cut may leave it empty (on a filesystem that does not flush data
 * before a rename): it is then ignored and the last durable state holds,
 * which is right, for after a reboot no ruleset is left for it to describe.
 */
int state_write_intent(struct state_dir *d, struct state *st, struct errmsg *e);

/* The text form, pure: for tests and the fuzzer. */
int state_parse(const char *text, size_t len, struct state *st, struct errmsg *e);
int state_format(const struct state *st, char *buf, size_t len);

void state_init(struct state *st);

/* Whether @st records anything: enabled, draining, a change under way, settings to put back. */
bool state_records_anything(const struct state *st);

#endif
