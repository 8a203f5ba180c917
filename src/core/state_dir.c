// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The state directory: its lock (one invocation at a time changes state)
 * and its files, each written to a temporary name, fsynced and renamed, so
 * a crash leaves the old file or the new one. The record of a change under
 * way (STATE_PENDING_FILE) is renamed into place without the fsyncs: a
 * killed run leaves it whole, a power cut leaves the durable state.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/atomic_file.h"
#include "lib/regular_file.h"
#include "dns/ptr_cache.h"
#include "core/state_dir.h"

#define STATE_TMP "state.tmp"
#define STATE_LAST_GOOD_TMP "state.last-good.tmp"
#define STATE_BEHIND_TMP "state.behind.tmp"	/* state_write_intent_behind()'s */

const char *state_dir_path(const char *option)
{
	const char *env = getenv("REDIRECT_STATE_DIR");

	if (option)
		return option;
	return env && *env ? env : STATE_DIR_DEFAULT;
}

static int check_dir_safe(int fd, const char *path, struct errmsg *e)
{
	struct stat st;

	if (fstat(fd, &st))
		return errmsg_set(e, -errno, "cannot stat %s: %s", path, strerror(errno));
	if (st.st_uid != geteuid())
		return errmsg_set(e, -EPERM,
				  "state directory %s belongs to uid %u, not to us (uid %u); "
				  "refusing to use it",
				  path, (unsigned int)st.st_uid, (unsigned int)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return errmsg_set(e, -EPERM,
				  "state directory %s can be written by others; run chmod go-w "
				  "on it",
				  path);
	return 0;
}

int state_dir_open(struct state_dir *d, const char *path, bool create, struct errmsg *e)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int err;

	d->fd = d->lock_fd = -1;
	memset(&d->behind, 0, sizeof(d->behind));
	if (strlen(path) >= sizeof(d->path) || !*path)
		return errmsg_set(e, -ENAMETOOLONG, "state directory path is empty or too long");
	snprintf(d->path, sizeof(d->path), "%s", path);
	d->fd = open(path, flags);
	if (d->fd < 0 && errno == ENOENT && create) {
		if (mkdir(path, 0700) && errno != EEXIST)
			return errmsg_set(e, -errno, "cannot create state directory %s: %s",
					  path, strerror(errno));
		d->fd = open(path, flags);
	}
	if (d->fd < 0 && errno == ENOENT && !create)
		return 0;
	if (d->fd < 0)
		return errmsg_set(e, -errno, errno == ELOOP || errno == ENOTDIR ?
				  "state directory %s is a symlink or not a directory" :
				  "cannot open state directory %s: %s", path, strerror(errno));
	err = check_dir_safe(d->fd, path, e);
	if (err) {
		close(d->fd);
		d->fd = -1;
	}
	return err;
}

void state_dir_close(struct state_dir *d)
{
	atomic_file_job_wait(&d->behind);	/* it writes through d->fd */
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	if (d->fd >= 0)
		close(d->fd);
	d->fd = d->lock_fd = -1;
}

/*
 * A file of the directory that is not a regular file: redirect made no
 * such thing, and a FIFO there would hang every run (holding the lock).
 */
static int not_regular(const struct state_dir *d, const char *name, const char *kind,
		       struct errmsg *e)
{
	return errmsg_set(e, REGULAR_FILE_NOT, "%s/%s is %s, not a regular file: redirect makes "
			  "no such thing; move it away, then run redirect again", d->path, name,
			  kind);
}

/* Opens a file of the directory as regular_file_open does, the error in words. */
static int open_file(const struct state_dir *d, const char *name, int flags,
		     struct errmsg *e)
{
	const char *kind = "";
	int fd = regular_file_open(d->fd, name, flags, 0600, &kind);

	if (fd == REGULAR_FILE_NOT)
		return not_regular(d, name, kind, e);
	if (fd < 0 && fd != -ENOENT)
		return errmsg_set(e, fd, "cannot open %s/%s: %s", d->path, name, strerror(-fd));
	return fd;
}

/* Before a rename replaces @name: refused when it is no regular file. */
static int check_file(const struct state_dir *d, const char *name, struct errmsg *e)
{
	const char *kind = "";
	int err = regular_file_check(d->fd, name, &kind);

	if (err == REGULAR_FILE_NOT)
		return not_regular(d, name, kind, e);
	if (err)
		return errmsg_set(e, err, "cannot look at %s/%s: %s", d->path, name,
				  strerror(-err));
	return 0;
}

static long lock_holder(int fd)
{
	char buf[24] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static int lock(struct state_dir *d, bool wait, bool create, long *holder, struct errmsg *e)
{
	char pid[24];
	int len;

	if (d->fd < 0)
		return 0;
	if (d->lock_fd < 0) {
		int fd = open_file(d, STATE_LOCK, O_RDWR | (create ? O_CREAT : 0), e);

		if (fd < 0)
			return fd;
		d->lock_fd = fd;
	}
	if (flock(d->lock_fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB)) {
		int err = errno;

		if (err == EWOULDBLOCK) {
			*holder = lock_holder(d->lock_fd);
			return -EWOULDBLOCK;
		}
		return errmsg_set(e, -err, "cannot lock %s/%s: %s", d->path, STATE_LOCK,
				  strerror(err));
	}
	/*
	 * For the message of whoever waits next; only informative. Written
	 * over the last holder's, and cut only when that was longer: a file
	 * emptied first is a journal commit on ext4 each time.
	 */
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (pwrite(d->lock_fd, pid, (size_t)len, 0) == len &&
	    lseek(d->lock_fd, 0, SEEK_END) > len)
		(void)!ftruncate(d->lock_fd, len);
	return 0;
}

int state_lock(struct state_dir *d, bool wait, long *holder, struct errmsg *e)
{
	return lock(d, wait, true, holder, e);
}

int state_lock_existing(struct state_dir *d, long *holder, struct errmsg *e)
{
	return lock(d, false, false, holder, e);
}

void state_unlock(struct state_dir *d)
{
	atomic_file_job_wait(&d->behind);	/* the next holder's writes after ours */
	if (d->lock_fd >= 0)
		flock(d->lock_fd, LOCK_UN);
}

/* ---- files ---- */

static int read_all(int fd, char *buf, size_t cap, size_t *len)
{
	ssize_t n;

	*len = 0;
	while ((n = read(fd, buf + *len, cap - *len)) > 0)
		*len += (size_t)n;
	return n < 0 ? -errno : 0;
}

/* One file of the directory into @buf (STATE_TEXT_MAX + 1); -ENOENT when it is missing. */
static int read_text(struct state_dir *d, const char *name, char *buf, size_t *len,
		     struct errmsg *e)
{
	int fd = open_file(d, name, O_RDONLY, e), err;

	if (fd < 0)
		return fd;
	if ((err = read_all(fd, buf, STATE_TEXT_MAX + 1, len)))
		errmsg_set(e, err, "cannot read %s/%s: %s", d->path, name, strerror(-err));
	close(fd);
	return err;
}

/* Reads and parses one file of the directory; -ENOENT when it is missing. */
static int read_state_file(struct state_dir *d, const char *name, struct state *st,
			   struct errmsg *e)
{
	char *buf = malloc(STATE_TEXT_MAX + 1);
	size_t len = 0;
	int err = buf ? read_text(d, name, buf, &len, e) : errmsg_set(e, -ENOMEM, "out of memory");

	if (err) {
		free(buf);
		return err;
	}
	err = state_parse(buf, len, st, e);
	free(buf);
	if (err == -EPROTONOSUPPORT)
		errmsg_prefix(e, "state file %s/%s", d->path, name);
	else if (err)
		errmsg_prefix(e, "state file %s/%s is damaged (`redirect disable` still removes "
			      "the redirect, and puts back what the last good state, %s, "
			      "records; or move it away, with any state.pending, to start over)",
			      d->path, name,
			      STATE_LAST_GOOD_FILE);
	return err;
}

int state_read_last_good(struct state_dir *d, struct state *st, struct errmsg *e)
{
	int err;

	state_init(st);
	if (d->fd < 0)
		return -ENOENT;
	err = read_state_file(d, STATE_LAST_GOOD_FILE, st, e);
	if (err)
		state_init(st);
	return err;
}

/*
 * Every file redirect keeps here, looked at before any is used: one that
 * is no regular file stops the run before it changes anything (a durable
 * write found to be impossible after the kernel changed would be late).
 */
static int check_own_files(const struct state_dir *d, struct errmsg *e)
{
	static const char *const own[] = {
		STATE_FILE, STATE_PENDING_FILE, STATE_LAST_GOOD_FILE, STATE_DAMAGED_FILE,
		STATE_LOCK, NAMES_FILE, ACCOUNTS_FILE,
	};
	unsigned int i;
	int err = 0;

	for (i = 0; i < sizeof(own) / sizeof(own[0]) && !err; i++)
		err = check_file(d, own[i], e);
	return err;
}

int state_read(struct state_dir *d, struct state *st, struct errmsg *e)
{
	struct errmsg pending_err = { "" };
	struct state *pending;
	int err;

	state_init(st);
	if (d->fd < 0)
		return 0;
	if ((err = check_own_files(d, e)))
		return err;
	err = read_state_file(d, STATE_FILE, st, e);
	if (err && err != -ENOENT)
		return err;
	pending = malloc(sizeof(*pending));	/* large: off the stack */
	if (!pending)
		return errmsg_set(e, -ENOMEM, "out of memory");
	/* a damaged pending record is what a power cut leaves: not newer */
	err = read_state_file(d, STATE_PENDING_FILE, pending, &pending_err);
	if (!err && pending->generation > st->generation)
		*st = *pending;
	free(pending);
	if (err == REGULAR_FILE_NOT)	/* no power cut leaves a FIFO */
		return errmsg_set(e, err, "%s", pending_err.text);
	return 0;
}

/* @len bytes of @buf as STATE_FILE (@durable) or STATE_PENDING_FILE. */
static int write_text(struct state_dir *d, const char *buf, size_t len, bool durable,
		      struct errmsg *e)
{
	const char *name = durable ? STATE_FILE : STATE_PENDING_FILE;
	int err;

	if (d->fd < 0)
		return errmsg_set(e, -ENOENT, "no state directory");
	if ((err = check_file(d, name, e)) || (durable && (err = check_file(d,
	    STATE_LAST_GOOD_FILE, e))))
		return err;
	err = atomic_file_write(d->fd, name, STATE_TMP, buf, len, 0600, durable);
	if (err)
		return errmsg_set(e, err, "cannot write %s/%s: %s", d->path, name, strerror(-err));
	if (!durable)
		return 0;
	unlinkat(d->fd, STATE_PENDING_FILE, 0);	/* older now; removed to keep it tidy */
	/*
	 * A copy, for when hands or a disk damage the state: disable can then
	 * still put the settings back. No fsync: the state itself is durable.
	 */
	atomic_file_write(d->fd, STATE_LAST_GOOD_FILE, STATE_LAST_GOOD_TMP, buf, len, 0600, false);
	return 0;
}

/* @st numbered with the next generation, as text in @buf (STATE_TEXT_MAX): its length. */
static int format_next(struct state *st, char *buf, struct errmsg *e)
{
	int len;

	st->generation++;
	len = state_format(st, buf, STATE_TEXT_MAX);
	if (len < 0)
		return errmsg_set(e, len, "the state does not fit in %d bytes", STATE_TEXT_MAX);
	return len;
}

static int write_state(struct state_dir *d, struct state *st, bool durable, struct errmsg *e)
{
	char *buf = malloc(STATE_TEXT_MAX);
	int len, err;

	if (!buf)
		return errmsg_set(e, -ENOMEM, "out of memory");
	len = format_next(st, buf, e);
	err = len < 0 ? len : write_text(d, buf, (size_t)len, durable, e);
	free(buf);
	return err;
}

int state_write(struct state_dir *d, struct state *st, struct errmsg *e)
{
	atomic_file_job_wait(&d->behind);	/* this one comes after it */
	return write_state(d, st, true, e);
}

int state_set_aside(struct state_dir *d, struct errmsg *e)
{
	int err = d->fd >= 0 ? check_file(d, STATE_DAMAGED_FILE, e) : 0;

	if (err)
		return err;
	if (d->fd >= 0 && renameat(d->fd, STATE_FILE, d->fd, STATE_DAMAGED_FILE) == 0)
		return 1;
	if (d->fd < 0 || errno == ENOENT)
		return 0;
	return errmsg_set(e, -errno, "cannot move %s/%s aside: %s", d->path, STATE_FILE,
			  strerror(errno));
}

int state_write_intent(struct state_dir *d, struct state *st, struct errmsg *e)
{
	return write_state(d, st, false, e);
}

int state_write_intent_behind(struct state_dir *d, struct state *st, struct errmsg *e)
{
	char *buf;
	int len, err;

	atomic_file_job_wait(&d->behind);	/* one at a time */
	/* checked before the intent: one written must be made durable */
	if (d->fd >= 0 && (err = check_file(d, STATE_FILE, e)))
		return err;
	if (!(buf = malloc(STATE_TEXT_MAX)))
		return errmsg_set(e, -ENOMEM, "out of memory");
	len = format_next(st, buf, e);
	err = len < 0 ? len : write_text(d, buf, (size_t)len, false, e);
	if (!err)
		/* the intent's pending copy goes too: same generation, state wins */
		atomic_file_write_behind(&d->behind, d->fd, STATE_FILE, STATE_BEHIND_TMP,
					 STATE_PENDING_FILE, buf, (size_t)len, 0600);
	free(buf);
	return err;
}

int state_write_outcome(struct state_dir *d, struct state *st, struct errmsg *e)
{
	int err = atomic_file_job_wait(&d->behind);
	char *buf;
	int len;

	if (err)
		return errmsg_set(e, err, "cannot write %s/%s: %s", d->path, STATE_FILE,
				  strerror(-err));
	if ((err = check_file(d, STATE_LAST_GOOD_FILE, e)))
		return err;
	if (!(buf = malloc(STATE_TEXT_MAX)))
		return errmsg_set(e, -ENOMEM, "out of memory");
	len = format_next(st, buf, e);
	err = len < 0 ? len : write_text(d, buf, (size_t)len, false, e);
	if (!err)	/* the copy disable salvages from: of this, the state as it now is */
		atomic_file_write(d->fd, STATE_LAST_GOOD_FILE, STATE_LAST_GOOD_TMP, buf,
				  (size_t)len, 0600, false);
	free(buf);
	return err;
}
