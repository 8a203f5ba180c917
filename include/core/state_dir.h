/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_STATE_DIR_H
#define REDIRECT_CORE_STATE_DIR_H

#include <stdbool.h>

#include "lib/atomic_file.h"
#include "lib/errmsg.h"
#include "core/state.h"

/* The state directory and its files (what they hold is core/state.h's). */
#define STATE_DIR_DEFAULT "/var/lib/redirect"
#define STATE_FILE "state"
#define STATE_PENDING_FILE "state.pending"
#define STATE_LAST_GOOD_FILE "state.last-good"	/* a copy of the last durable write */
#define STATE_DAMAGED_FILE "state.damaged"	/* a damaged state, kept for a look */
#define STATE_LOCK "lock"
#define ACCOUNTS_FILE "accounts"	/* on NEW: core/accounts.h's */

struct state_dir {
	int fd;			/* the directory, or -1 when it does not exist */
	int lock_fd;
	struct atomic_file_job behind;	/* state_write_intent_behind()'s */
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

/*
 * For a change that is over only once the state is durable (enable,
 * restore, accept), a write-ahead record: the intent as state_write_intent()
 * writes it, and the same record, same generation, made STATE_FILE
 * (fsynced, renamed, the directory fsynced; then the pending copy, the
 * same generation, removed) on a thread of its own while the caller changes
 * the kernel, so that the waits for the disk overlap the kernel's. Nothing
 * may write the state until state_write_outcome(); every state_write(),
 * state_unlock() and state_dir_close() waits for it first.
 */
int state_write_intent_behind(struct state_dir *d, struct state *st, struct errmsg *e);

/*
 * The outcome of that change, once the intent is durable (its write's error
 * otherwise, said once): STATE_PENDING_FILE (the next generation) and its
 * copy in STATE_LAST_GOOD_FILE, without a wait for the disk. A power cut
 * that loses it leaves the durable intent, which the next run finishes (as
 * after a run killed half-way); the next durable write takes its place.
 */
int state_write_outcome(struct state_dir *d, struct state *st, struct errmsg *e);

#endif
