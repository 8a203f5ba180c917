// SPDX-License-Identifier: GPL-2.0-or-later
/* One invocation's state directory, lock and netlink socket. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/caps.h"
#include "lib/regular_file.h"
#include "core/session.h"
#include "nft/view.h"

static void session_reset(struct session *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->dir.fd = ss->dir.lock_fd = -1;
}

static int session_open(struct session *ss, const char *state_dir, bool create,
			struct errmsg *e)
{
	int err = caps_keep_net_admin(e);

	if (!err)
		err = state_dir_open(&ss->dir, state_dir_path(state_dir), create, e);
	if (!err)
		err = nft_open(&ss->nft, e);
	if (!err)
		err = rtnl_open(&ss->rtnl, e);
	return err;
}

static int take_lock(struct session *ss, session_wait_cb waiting, const void *data,
		     struct errmsg *e)
{
	long holder = 0;
	int err = state_lock(&ss->dir, false, &holder, e);

	if (err != -EWOULDBLOCK)
		return err;
	if (waiting)
		waiting(holder, data);
	return state_lock(&ss->dir, true, &holder, e);
}

/*
 * A damaged state must not trap the admin: disable goes on with the last
 * good copy, or with nothing (and then names what it cannot know). A state
 * from a newer redirect is not damaged, and not ours to overrule; a FIFO
 * (or another thing that is no file) in its place is not either: someone
 * put it there, and it is named for them to move away.
 */
static void salvage(struct session *ss, const char *damage)
{
	struct errmsg ignored;

	snprintf(ss->damage, sizeof(ss->damage), "%s", damage);
	ss->salvaged = state_read_last_good(&ss->dir, &ss->state, &ignored) ||
		       !state_records_anything(&ss->state) ? SALVAGE_BLIND : SALVAGE_LAST_GOOD;
}

static int salvage_damaged(struct session *ss, int err, struct errmsg *e)
{
	if (err == -EPROTONOSUPPORT || err == -ENOMEM || err == REGULAR_FILE_NOT)
		return err;
	salvage(ss, e->text);
	e->text[0] = '\0';
	return 0;
}

/* The state moved away (or lost) while our table is in the kernel. */
static void salvage_missing(struct session *ss)
{
	char damage[sizeof(ss->damage)];

	if (ss->salvaged != SALVAGE_NONE || state_records_anything(&ss->state) ||
	    !ss->view.exists || !ss->view.ours)
		return;
	snprintf(damage, sizeof(damage), "the state in %.300s records nothing, yet the table inet "
		 "%s is in the kernel (the state file moved away?)", ss->dir.path, TABLE_NAME);
	salvage(ss, damage);
}

/* Reads the state file and what of ours the kernel has. */
static int session_read(struct session *ss, unsigned int flags, struct errmsg *e)
{
	int err = state_read(&ss->dir, &ss->state, e);

	if (err && (flags & SESSION_SALVAGE))
		err = salvage_damaged(ss, err, e);
	if (!err)
		err = view_read(&ss->nft, &ss->view, &ss->genid, e);
	if (!err && (flags & SESSION_SALVAGE))
		salvage_missing(ss);
	return err;
}

/* Refuses to go near a table of our name that redirect did not make. */
static int session_check_table(const struct session *ss, struct errmsg *e)
{
	if (ss->view.exists && !ss->view.ours)
		return errmsg_set(e, -EEXIST,
				  "a table inet %s exists that redirect did not make "
				  "(its comment is not \"%s...\"); not touching it",
				  TABLE_NAME, TABLE_MARKER);
	return 0;
}

int session_begin(struct session *ss, const char *state_dir, unsigned int flags,
		  session_wait_cb waiting, const void *data, struct errmsg *e)
{
	int err;

	session_reset(ss);
	err = session_open(ss, state_dir, flags & SESSION_CREATE, e);
	if (!err && (flags & SESSION_LOCK))
		err = take_lock(ss, waiting, data, e);
	if (!err)
		err = session_read(ss, flags, e);
	if (!err)
		err = session_check_table(ss, e);
	if (err)
		session_close(ss);
	return err;
}

int session_begin_readonly(struct session *ss, const char *state_dir, struct errmsg *e)
{
	session_reset(ss);
	return session_open(ss, state_dir, false, e);
}

void session_close(struct session *ss)
{
	rtnl_close(&ss->rtnl);
	nft_close(&ss->nft);
	state_dir_close(&ss->dir);
}

int session_read_state(const char *state_dir, struct state *st, struct errmsg *e)
{
	struct state_dir dir;
	int err = state_dir_open(&dir, state_dir_path(state_dir), false, e);

	if (!err)
		err = state_read(&dir, st, e);
	state_dir_close(&dir);
	return err;
}

int session_update_state(const char *state_dir, state_change change, void *data,
			 struct errmsg *e)
{
	struct state *st = malloc(sizeof(*st));	/* large: off the stack */
	struct state_dir dir;
	long holder;
	int err = st ? state_dir_open(&dir, state_dir_path(state_dir), false, e) :
		  errmsg_set(e, -ENOMEM, "out of memory");

	if (err) {
		free(st);
		return err;
	}
	if (dir.fd >= 0 && !state_lock_existing(&dir, &holder, e) &&
	    !(err = state_read(&dir, st, e)) && change(st, data))
		err = state_write(&dir, st, e);
	state_dir_close(&dir);
	free(st);
	return err;
}

bool session_is_installed(const struct session *ss, const struct spec *spec)
{
	return ss->state.enabled && !ss->state.pending && ss->view.exists &&
	       spec_equal(&ss->state.spec, spec);
}
