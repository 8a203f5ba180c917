// SPDX-License-Identifier: GPL-2.0-or-later
/* Files of ours opened as regular files only: see regular_file.h. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/regular_file.h"

static const char *kind_of(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISLNK(mode))
		return "a symlink";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	return S_ISBLK(mode) ? "a block device" : "not a regular file";
}

int regular_file_check(int dirfd, const char *name, const char **kind)
{
	struct stat sb;

	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (S_ISREG(sb.st_mode))
		return 0;
	*kind = kind_of(sb.st_mode);
	return REGULAR_FILE_NOT;
}

/*
 * Looked at before the open (a device is never opened), and the open
 * file itself after it (something swapped in between is still caught).
 */
int regular_file_open(int dirfd, const char *name, int flags, mode_t mode, const char **kind)
{
	struct stat sb;
	int fd, err = regular_file_check(dirfd, name, kind);

	if (err)
		return err;
	fd = openat(dirfd, name, flags | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 && errno == ELOOP) {
		*kind = "a symlink";
		return REGULAR_FILE_NOT;
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (S_ISREG(sb.st_mode))
		return fd;
	*kind = kind_of(sb.st_mode);
	close(fd);
	return REGULAR_FILE_NOT;
}
