// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * timecmd COMMAND [ARGS...]: runs COMMAND once with posix_spawn (a vfork,
 * not a fork of a large shell) and prints its wall time in microseconds.
 * Output of the command goes to /dev/null; its exit status is ours.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	long long start;
	int status;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: timecmd COMMAND [ARGS...]\n");
		return 2;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	start = now_us();
	if (posix_spawnp(&pid, argv[1], &fa, NULL, argv + 1, environ)) {
		perror(argv[1]);
		return 127;
	}
	if (waitpid(pid, &status, 0) < 0)
		return 127;
	printf("%lld\n", now_us() - start);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}
