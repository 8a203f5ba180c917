/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_LIB_REGULAR_FILE_H
#define REDIRECT_LIB_REGULAR_FILE_H

#include <sys/types.h>

/*
 * A file of ours (the state and its companions, the names cache) opened
 * as a regular file and as nothing else. A FIFO put in its place would
 * block open() and read() for ever (with the lock held), a device would
 * be opened for real, a symlink would lead elsewhere: each is refused.
 *
 * Opens @name in the directory @dirfd with open(2)'s @flags and @mode,
 * O_NONBLOCK, O_NOFOLLOW and O_CLOEXEC added. Returns the descriptor, or
 * -errno (-ENOENT when it is missing and @flags do not create it), or
 * REGULAR_FILE_NOT when it is something else, *@kind then saying what
 * ("a FIFO", "a directory", "a symlink", ...).
 */
#define REGULAR_FILE_NOT (-EFTYPE_REGULAR)
#define EFTYPE_REGULAR 4095	/* no errno has this value: nothing else returns it */

int regular_file_open(int dirfd, const char *name, int flags, mode_t mode, const char **kind);

/*
 * Whether @name in @dirfd, if it exists, is a regular file: 0 when it is
 * or when there is none, REGULAR_FILE_NOT with *@kind otherwise, or
 * -errno. For a name about to be replaced by a rename.
 */
int regular_file_check(int dirfd, const char *name, const char **kind);

#endif
