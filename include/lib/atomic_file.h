/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_LIB_ATOMIC_FILE_H
#define REDIRECT_LIB_ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Replaces @name (relative to the directory @dirfd, or AT_FDCWD) with
 * @len bytes of @buf, so that readers see the old file or the new one,
 * never half: written to @tmp (created afresh, O_EXCL, symlinks not
 * followed, a leftover of a killed run removed first) and renamed over
 * @name. With @durable the file and the directory are fsynced too. On
 * failure @tmp is gone and @name untouched. Returns 0 or -errno.
 */
int atomic_file_write(int dirfd, const char *name, const char *tmp, const void *buf,
		      size_t len, mode_t mode, bool durable);

#endif
