/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_MAILLOG_LOGFILE_H
#define REDIRECT_MAILLOG_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errmsg.h"

/*
 * A log file read a piece at a time: each run from where the last one
 * stopped (device, inode, offset), to the size the file had when the run
 * began, so a file that keeps growing never keeps a run going. Rotation
 * (the file renamed to FILE.1 and a new one made) finishes the old file
 * first when FILE.1 is still it; truncation (copytruncate) starts over.
 * Only a regular file is read: a symbolic link, a FIFO, a device or a
 * directory is refused by name, and nothing here ever blocks.
 */
struct logfile_pos {
	uint64_t dev, ino;	/* 0, 0: never read */
	uint64_t offset;	/* the first byte not read yet (a line's start) */
};

struct logfile_report {
	uint64_t bytes;		/* read this run */
	uint64_t lines;		/* lines that held a needle, handed to the callback */
	uint64_t too_long;	/* lines longer than MAILLOG_LINE_MAX, skipped */
	bool rotated;		/* a new file since the last run */
	bool old_finished;	/* ... and the rest of the old one was read from FILE.1 */
	bool truncated;		/* the file was shorter than where the last run stopped */
};

/* Called for each complete line that holds one of maillog_needles. */
typedef void (*logfile_line_cb)(const char *line, size_t len, void *data);

/* Where the buffer of one run comes from: the caller's, so nothing here is static. */
#define LOGFILE_BUF (1024 * 1024)

/*
 * Reads @path from @pos on; @pos is updated to where the run stopped.
 * @buf holds LOGFILE_BUF bytes. Returns 0, or -errno with @e naming the
 * file and the trouble (-ELOOP a symbolic link, -EINVAL not a regular
 * file, -ENOENT missing, -EACCES ...); @pos is then unchanged.
 */
int logfile_read(const char *path, struct logfile_pos *pos, char *buf, logfile_line_cb cb,
		 void *data, struct logfile_report *r, struct errmsg *e);

#endif
