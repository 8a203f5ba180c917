/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_KERNEL_SYSCTL_H
#define REDIRECT_KERNEL_SYSCTL_H

#include <stdbool.h>

#include "lib/errmsg.h"

#define SYSCTL_PATH_MAX 64
#define SYSCTL_LOG_MAX 512

/* One setting under /proc/sys: its value before enable, and ours. */
struct sysctl_record {
	char path[SYSCTL_PATH_MAX];	/* "net/ipv4/ip_forward" */
	int before;
	int after;
};

/* What enable changed, kept in the state file so disable can put it back. */
struct sysctl_log {
	unsigned int n;
	struct sysctl_record r[SYSCTL_LOG_MAX];
};

/*
 * Switching forwarding on makes the kernel change other settings too:
 * IPv4 turns off accept_redirects and sets every interface's forwarding;
 * IPv6 sets every interface's forwarding, which stops router advertisements
 * on interfaces with accept_ra=1 (OLD would lose its own IPv6 default
 * route). So: plan records every setting involved and moves accept_ra 1 to
 * 2 (accept RAs even when forwarding); apply writes them; restore puts
 * back what is still ours.
 */
int forwarding_plan(int family, struct sysctl_log *log, struct errmsg *e);
/* Returns 1 when it switched forwarding on, 0 when it was on already. */
int forwarding_apply(int family, const struct sysctl_log *log, struct errmsg *e);
/*
 * @resume: the state says a change was under way when a run stopped, so
 * settings still at our values are ours even where the switch is not.
 */
int forwarding_restore(int family, struct sysctl_log *log, bool resume, struct errmsg *e);

/* Whether this host forwards @family now (its switch reads 1). */
bool forwarding_is_on(int family);

/* Whether @log switched forwarding on for @family. */
bool forwarding_recorded(const struct sysctl_log *log, int family);

/*
 * The settings of @log that do not hold their value from before enable
 * now, into @out (before: that value, after: what they hold): what disable
 * must not call "as before".
 */
void sysctl_not_as_before(const struct sysctl_log *log, struct sysctl_log *out);

/*
 * Without a record (the state lost): the settings enable may have switched
 * that are on now, into @out (before: what they would have been, after:
 * what they are), for disable to name with the command that puts each back.
 */
void sysctl_maybe_switched(struct sysctl_log *out);

/* A setting as sysctl(8) names it: "net.ipv4.conf.eth0/100.forwarding". */
void sysctl_name(const char *path, char *buf, size_t len);

/* A path the state file may name: only the settings above, no "..". */
bool sysctl_path_valid(const char *path);

/* Reads and writes a small integer under /proc/sys (a different root in tests). */
int sysctl_read(const char *path, int *value);
int sysctl_write(const char *path, int value);

#endif
