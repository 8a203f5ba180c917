/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_SESSION_H
#define REDIRECT_CORE_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/link.h"
#include "nft/drift.h"
#include "nft/transport.h"
#include "core/state_dir.h"

/*
 * One invocation's hold on the state directory, its lock and the netlink
 * socket, and what it read there at the start (as wg's ipc.h hides the
 * kernel behind a few calls, and nftables' nft_ctx carries one run).
 */
struct session {
	struct state_dir dir;
	struct state state;		/* as read at the start */
	struct nft_sock nft;
	struct rtnl_sock rtnl;		/* routes, links: the tunnel and the pre-flight */
	struct table_view view;
	uint32_t genid;
	struct drift drift;		/* how our table differs from what the state says */
	enum salvage {
		SALVAGE_NONE,		/* the state read whole */
		SALVAGE_LAST_GOOD,	/* damaged: the last good copy stands in */
		SALVAGE_BLIND,		/* damaged, and no good copy: nothing is known */
	} salvaged;			/* (SESSION_SALVAGE only) */
	char damage[512];		/* ... what was wrong with the state */
};

enum {
	SESSION_CREATE = 1 << 0,	/* make the state directory if it is missing */
	SESSION_LOCK = 1 << 1,		/* hold the lock: this run changes things */
	SESSION_SALVAGE = 1 << 2,	/* a damaged state is no refusal (disable) */
};

/* Called once when another run holds the lock and this one waits for it. */
typedef void (*session_wait_cb)(long holder_pid, const void *data);

/*
 * The start of every command that may change something: keep CAP_NET_ADMIN
 * only, open the state directory (@state_dir as --state-dir gave it, NULL
 * for the default) and the netlink socket, take the lock with
 * SESSION_LOCK, read state and kernel, and refuse a table of our name that
 * redirect did not make. On failure everything is closed again.
 */
int session_begin(struct session *ss, const char *state_dir, unsigned int flags,
		  session_wait_cb waiting, const void *data, struct errmsg *e);

/*
 * The start of stats and check, which only look: the same privileges,
 * the state directory if it exists (never made), the netlink socket;
 * nothing read yet (snapshot_take does that), no lock.
 */
int session_begin_readonly(struct session *ss, const char *state_dir, struct errmsg *e);

void session_close(struct session *ss);

/*
 * The state as it is now, for a command that only glances at it (dns):
 * no lock, no privilege change, the directory never made (a missing one
 * reads as nothing enabled).
 */
int session_read_state(const char *state_dir, struct state *st, struct errmsg *e);

/*
 * A change to the state by the way (dns moving check's clock): when the
 * directory exists and its lock is free, @change gets the state as it is
 * and says whether to write what it made of it. Nothing is done, and 0
 * returned, when the lock is held or the directory missing.
 */
typedef bool (*state_change)(struct state *st, void *data);
int session_update_state(const char *state_dir, state_change change, void *data,
			 struct errmsg *e);

/* Whether @spec is installed exactly as asked, with nothing half done. */
bool session_is_installed(const struct session *ss, const struct spec *spec);

#endif
