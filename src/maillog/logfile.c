// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A log file read incrementally (see logfile.h). The lines of interest are
 * found as grep finds them: the needles are searched in the whole buffer
 * and only the lines around a hit are cut out, so the many lines of no
 * interest cost one pass over their bytes, not a parse.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maillog/logfile.h"
#include "maillog/logline.h"

struct scan {
	logfile_line_cb cb;
	void *data;
	struct logfile_report *r;
};

static int refuse(const char *path, const struct stat *st, struct errmsg *e)
{
	if (S_ISLNK(st->st_mode))
		return errmsg_set(e, -ELOOP, "%s is a symbolic link, which is not followed: give "
				  "the log file itself", path);
	return errmsg_set(e, -EINVAL, "%s is not a regular file (%s): only a log file is read",
			  path, S_ISFIFO(st->st_mode) ? "a FIFO" : S_ISDIR(st->st_mode) ?
			  "a directory" : S_ISSOCK(st->st_mode) ? "a socket" : "a device");
}

/*
 * Opens @path for reading if it is a regular file: looked at first (a FIFO
 * or a device is never opened), opened without following a link and
 * without blocking, and looked at again through the descriptor.
 */
static int open_regular(const char *path, int *fd, struct stat *st, struct errmsg *e)
{
	if (lstat(path, st))
		return errmsg_set(e, -errno, "cannot read %s: %s", path, strerror(errno));
	if (!S_ISREG(st->st_mode))
		return refuse(path, st, e);
	*fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (*fd < 0 && errno == ELOOP)
		return errmsg_set(e, -ELOOP, "%s became a symbolic link while it was opened: not "
				  "followed", path);
	if (*fd < 0)
		return errmsg_set(e, -errno, "cannot open %s: %s", path, strerror(errno));
	if (fstat(*fd, st) || !S_ISREG(st->st_mode)) {
		close(*fd);
		return errmsg_set(e, -EINVAL, "%s changed while it was opened: not read", path);
	}
	return 0;
}

/*
 * Hands the complete lines of @buf that hold a needle to the callback.
 * Returns how many bytes were complete lines (up to the last newline).
 */
static size_t scan_lines(const char *buf, size_t len, struct scan *sc)
{
	const char *last = memrchr(buf, '\n', len), *end, *p = buf, *hit, *start, *nl;

	if (!last)
		return 0;
	end = last + 1;
	while (p < end && (hit = maillog_find_needle(p, end))) {
		start = memrchr(p, '\n', (size_t)(hit - p));
		start = start ? start + 1 : p;
		nl = memchr(hit, '\n', (size_t)(end - hit));
		if ((size_t)(nl - start) > MAILLOG_LINE_MAX) {
			sc->r->too_long++;
		} else {
			sc->r->lines++;
			sc->cb(start, (size_t)(nl - start), sc->data);
		}
		p = nl + 1;
	}
	return (size_t)(end - buf);
}

/* Drops the rest of an overlong line: the bytes up to its newline, or all. */
static size_t skip_rest(const char *buf, size_t have, bool *skipping)
{
	const char *nl = memchr(buf, '\n', have);

	if (!nl)
		return have;
	*skipping = false;
	return (size_t)(nl + 1 - buf);
}

/* Reads @fd from *@offset to @size; *@offset ends at the first incomplete line. */
static int read_from(int fd, uint64_t *offset, uint64_t size, char *buf, struct scan *sc)
{
	uint64_t at = *offset;	/* the file offset of buf[0] */
	size_t have = 0, used;
	bool skipping = false;
	ssize_t n;

	while (at + have < size) {
		size_t want = LOGFILE_BUF - have;

		if (want > size - at - have)
			want = (size_t)(size - at - have);
		n = pread(fd, buf + have, want, (off_t)(at + have));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;		/* truncated while read: what there was is done */
		sc->r->bytes += (uint64_t)n;
		have += (size_t)n;
		used = skipping ? skip_rest(buf, have, &skipping) : 0;
		if (!skipping)
			used += scan_lines(buf + used, have - used, sc);
		if (!used && have == LOGFILE_BUF) {	/* a line longer than the buffer */
			sc->r->too_long++;
			skipping = true;
			used = have;
		}
		memmove(buf, buf + used, have - used);
		at += used;
		have -= used;
	}
	*offset = at;
	return 0;
}

/*
 * The file was renamed away: its rest is read from FILE.1 when that is
 * still the same file (logrotate's first name, uncompressed by Debian's
 * delaycompress).
 */
static void finish_old(const char *path, struct logfile_pos *pos, char *buf, struct scan *sc)
{
	char old[PATH_MAX + 8];
	struct errmsg ignored;
	struct stat st;
	int fd;

	snprintf(old, sizeof(old), "%s.1", path);
	if (open_regular(old, &fd, &st, &ignored))
		return;
	if ((uint64_t)st.st_dev == pos->dev && (uint64_t)st.st_ino == pos->ino &&
	    (uint64_t)st.st_size >= pos->offset &&
	    !read_from(fd, &pos->offset, (uint64_t)st.st_size, buf, sc))
		sc->r->old_finished = true;
	close(fd);
}

int logfile_read(const char *path, struct logfile_pos *pos, char *buf, logfile_line_cb cb,
		 void *data, struct logfile_report *r, struct errmsg *e)
{
	struct scan sc = { cb, data, r };
	struct logfile_pos p = *pos;
	struct stat st;
	int fd, err;

	memset(r, 0, sizeof(*r));
	err = open_regular(path, &fd, &st, e);
	if (err)
		return err;
	if (p.ino && ((uint64_t)st.st_dev != p.dev || (uint64_t)st.st_ino != p.ino)) {
		r->rotated = true;
		finish_old(path, &p, buf, &sc);
		p.offset = 0;
	} else if (p.ino && (uint64_t)st.st_size < p.offset) {
		r->truncated = true;
		p.offset = 0;
	}
	p.dev = (uint64_t)st.st_dev;
	p.ino = (uint64_t)st.st_ino;
	err = read_from(fd, &p.offset, (uint64_t)st.st_size, buf, &sc);
	close(fd);
	if (err)
		return errmsg_set(e, err, "cannot read %s: %s", path, strerror(-err));
	*pos = p;
	return 0;
}
