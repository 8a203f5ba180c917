/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_LIB_ATOMIC_FILE_H
#define REDIRECT_LIB_ATOMIC_FILE_H

#include <pthread.h>
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

/* A durable atomic_file_write() under way on a thread of its own; zeroed: none. */
struct atomic_file_job {
	pthread_t thread;
	bool running;
	int dirfd, err;
	const char *name, *tmp, *superseded;
	const void *buf;
	void *copied;		/* the caller's bytes, for the thread */
	size_t len;
	mode_t mode;
};

/*
 * atomic_file_write(@dirfd, @name, @tmp, @buf, @len, @mode, durable) on a
 * thread of its own, so that the waits for the disk overlap the caller's
 * next steps; once it is made, @superseded (when not NULL: a file it makes
 * redundant) is removed. Waits for what @job held first. Nothing else may
 * write these names until atomic_file_job_wait(). Without the memory or a
 * thread for it, all of it is done before it returns.
 */
void atomic_file_write_behind(struct atomic_file_job *job, int dirfd, const char *name,
			      const char *tmp, const char *superseded, const void *buf,
			      size_t len, mode_t mode);

/*
 * Waits for @job to end: 0, or the durable write's -errno, said once (a job
 * waited for already, or a zeroed one, gives 0).
 */
int atomic_file_job_wait(struct atomic_file_job *job);

#endif
