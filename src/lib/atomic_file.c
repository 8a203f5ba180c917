// SPDX-License-Identifier: GPL-2.0-or-later
/* A file replaced whole: temporary name, write, (fsync), rename. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/atomic_file.h"

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The directory's entry for the rename, when @name is relative to it. */
static int sync_dir(int dirfd)
{
	int fd = dirfd == AT_FDCWD ? open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : dirfd;
	int err = fd < 0 || fsync(fd) ? -errno : 0;

	if (dirfd == AT_FDCWD && fd >= 0)
		close(fd);
	return err;
}

int atomic_file_write(int dirfd, const char *name, const char *tmp, const void *buf,
		      size_t len, mode_t mode, bool durable)
{
	int fd, err;

	unlinkat(dirfd, tmp, 0);	/* left by a run that was killed */
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	err = write_all(fd, buf, len);
	if (!err && durable && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && renameat(dirfd, tmp, dirfd, name))
		err = -errno;
	if (err) {
		unlinkat(dirfd, tmp, 0);	/* a full disk leaves no empty file behind */
		return err;
	}
	return durable ? sync_dir(dirfd) : 0;
}

static void *write_behind(void *arg)
{
	struct atomic_file_job *job = arg;

	job->err = atomic_file_write(job->dirfd, job->name, job->tmp, job->buf, job->len,
				     job->mode, true);
	if (!job->err && job->superseded)	/* freeing its inode costs the caller nothing here */
		unlinkat(job->dirfd, job->superseded, 0);
	return NULL;
}

void atomic_file_write_behind(struct atomic_file_job *job, int dirfd, const char *name,
			      const char *tmp, const char *superseded, const void *buf,
			      size_t len, mode_t mode)
{
	sigset_t all, before;

	atomic_file_job_wait(job);
	*job = (struct atomic_file_job){ .dirfd = dirfd, .name = name, .tmp = tmp,
					 .superseded = superseded, .buf = buf, .len = len,
					 .mode = mode };
	job->copied = malloc(len ? len : 1);
	if (job->copied) {
		job->buf = memcpy(job->copied, buf, len);
		/* signals are for the caller's thread to take */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &before);
		job->running = !pthread_create(&job->thread, NULL, write_behind, job);
		pthread_sigmask(SIG_SETMASK, &before, NULL);
	}
	if (!job->running)	/* no memory or no thread for it: made now */
		write_behind(job);
}

int atomic_file_job_wait(struct atomic_file_job *job)
{
	int err;

	if (job->running)
		pthread_join(job->thread, NULL);
	err = job->err;
	free(job->copied);
	memset(job, 0, sizeof(*job));	/* said once: a second wait finds nothing */
	return err;
}
