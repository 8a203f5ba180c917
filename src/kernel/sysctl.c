// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * IP forwarding, switched on for the families in use and put back as it
 * was. See sysctl.h for what the kernel changes along with it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/parse.h"
#include "kernel/sysctl.h"
#include "lib/owned.h"

#define IPV4_SWITCH "net/ipv4/ip_forward"
#define IPV6_SWITCH "net/ipv6/conf/all/forwarding"

static const char *proc_sys(void)
{
	const char *root = getenv("REDIRECT_PROC_SYS");	/* unit tests only */

	return root && *root ? root : "/proc/sys";
}

static int open_setting(const char *path, int flags)
{
	char full[256];

	snprintf(full, sizeof(full), "%s/%s", proc_sys(), path);
	return open(full, flags | O_CLOEXEC | O_NOFOLLOW);
}

int sysctl_read(const char *path, int *value)
{
	char buf[32];
	uint64_t v;
	ssize_t n;
	int fd = open_setting(path, O_RDONLY), err = 0;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		err = -errno;
	close(fd);
	if (err)
		return err;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (parse_u64(buf, INT32_MAX, &v))	/* settings, and counts (nf_conntrack_max) */
		return -EINVAL;
	*value = (int)v;
	return 0;
}

int sysctl_write(const char *path, int value)
{
	char buf[16];
	int fd = open_setting(path, O_WRONLY), len, err = 0;

	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%d\n", value);
	if (write(fd, buf, (size_t)len) != len)
		err = -errno;
	close(fd);
	return err;
}

static bool valid_ifname(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 15 || (len == 1 && s[0] == '.') ||
	    (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (i = 0; i < len; i++)
		if (s[i] == '/' || s[i] <= ' ' || s[i] >= 0x7f)
			return false;
	return true;
}

/* net/ipvN/conf/IFNAME/SETTING with the settings we touch, or a switch. */
bool sysctl_path_valid(const char *path)
{
	static const char *const prefixes[] = { "net/ipv4/conf/", "net/ipv6/conf/" };
	static const char *const settings[] = { "/forwarding", "/accept_redirects", "/accept_ra" };
	unsigned int i, j;

	if (strlen(path) >= SYSCTL_PATH_MAX)
		return false;
	if (!strcmp(path, IPV4_SWITCH))
		return true;
	for (i = 0; i < 2; i++) {
		size_t plen = strlen(prefixes[i]);

		if (strncmp(path, prefixes[i], plen))
			continue;
		for (j = 0; j < 3; j++) {
			size_t slen = strlen(settings[j]), len = strlen(path);

			if (len > plen + slen && !strcmp(path + len - slen, settings[j]) &&
			    valid_ifname(path + plen, len - plen - slen))
				return true;
		}
	}
	return false;
}

static const char *family_prefix(int family)
{
	return family == AF_INET ? "net/ipv4/" : "net/ipv6/";
}

static const char *family_switch(int family)
{
	return family == AF_INET ? IPV4_SWITCH : IPV6_SWITCH;
}

static bool of_family(const struct sysctl_record *r, int family)
{
	return !strncmp(r->path, family_prefix(family), strlen(family_prefix(family)));
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static struct sysctl_record *find(struct sysctl_log *log, const char *path)
{
	unsigned int i;

	for (i = 0; i < log->n; i++)
		if (!strcmp(log->r[i].path, path))
			return &log->r[i];
	return NULL;
}

bool forwarding_is_on(int family)
{
	int v;

	return sysctl_read(family_switch(family), &v) == 0 && v == 1;
}

bool forwarding_recorded(const struct sysctl_log *log, int family)
{
	return find((struct sysctl_log *)log, family_switch(family)) != NULL;
}

static int record(struct sysctl_log *log, const char *path, int before, int after,
		  struct errmsg *e)
{
	struct sysctl_record *r;

	if (log->n == SYSCTL_LOG_MAX)
		return errmsg_set(e, -E2BIG, "too many network interfaces to record (more than "
					     "%d settings)",
				  SYSCTL_LOG_MAX);
	r = &log->r[log->n++];
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->before = before;
	r->after = after;
	return 0;
}

/*
 * Records one per-interface setting; @after < 0 means "whatever it is
 * now". 1: the setting is absent (interface gone): nothing to keep. @now
 * gets what it was read as.
 */
static int record_setting(struct sysctl_log *log, const char *path, int after,
			  bool only_if_one, int *now, struct errmsg *e)
{
	int v;

	if (sysctl_read(path, &v))
		return 1;
	if (now)
		*now = v;
	if (only_if_one && v != 1)
		return 0;
	return record(log, path, v, after < 0 ? v : after, e);
}

static int plan_interfaces(int family, struct sysctl_log *log, struct errmsg *e)
{
	char dir[256], path[SYSCTL_PATH_MAX];
	struct dirent *d;
	DIR *dp;
	int err = 0, fwd;

	snprintf(dir, sizeof(dir), "%s/%sconf", proc_sys(), family_prefix(family));
	dp = opendir(dir);
	if (!dp)
		return errmsg_set(e, -errno, "cannot read %s: %s", dir, strerror(errno));
	while (!err && (d = readdir(dp))) {
		size_t len = strlen(d->d_name);

		/* the tunnel's link is ours, and goes with its settings at disable */
		if (d->d_name[0] == '.' || !valid_ifname(d->d_name, len) ||
		    tunnel_ifname(d->d_name))
			continue;
		snprintf(path, sizeof(path), "%sconf/%.15s/forwarding", family_prefix(family),
			 d->d_name);
		fwd = -1;	/* read once, for both questions */
		if (strcmp(path, IPV6_SWITCH) &&
		    (err = record_setting(log, path, 1, false, &fwd, e)) > 0)
			err = 0;
		if (err || family != AF_INET6 || !strcmp(d->d_name, "all"))
			continue;
		/* accept_ra=1 is ignored once forwarding is on; 2 keeps RAs coming */
		if (fwd == 0) {
			snprintf(path, sizeof(path), "net/ipv6/conf/%.15s/accept_ra", d->d_name);
			err = record_setting(log, path, 2, true, NULL, e);
			err = err > 0 ? 0 : err;
		}
	}
	closedir(dp);
	return err;
}

int forwarding_plan(int family, struct sysctl_log *log, struct errmsg *e)
{
	const char *sw = family_switch(family);
	int v, err;

	if (find(log, sw))
		return 0;		/* recorded by an earlier enable: keep its "before" */
	err = sysctl_read(sw, &v);
	if (err)
		return errmsg_set(e, err, "cannot read %s/%s: %s", proc_sys(), sw, strerror(-err));
	if (v == 1)
		return 0;		/* already on: not ours to restore */
	err = record(log, sw, v, 1, e);
	if (!err && family == AF_INET &&
	    (err = record_setting(log, "net/ipv4/conf/all/accept_redirects", 0, false, NULL,
				  e)) > 0)
		err = 0;
	if (!err)
		err = plan_interfaces(family, log, e);
	return err;
}

static int write_checked(const char *path, int value, struct errmsg *e)
{
	int err = sysctl_write(path, value);

	if (err && err != -ENOENT)
		return errmsg_set(e, err, "cannot write %s/%s: %s", proc_sys(), path,
				  strerror(-err));
	return 0;
}

int forwarding_apply(int family, const struct sysctl_log *log, struct errmsg *e)
{
	const struct sysctl_record *sw = find((struct sysctl_log *)log, family_switch(family));
	unsigned int i;
	int v, err;

	if (!sw)
		return 0;
	for (i = 0; i < log->n; i++) {
		const struct sysctl_record *r = &log->r[i];

		if (!of_family(r, family) || !ends_with(r->path, "/accept_ra"))
			continue;
		if (sysctl_read(r->path, &v) == 0 && v != r->after &&
		    (err = write_checked(r->path, r->after, e)))
			return err;
	}
	if (sysctl_read(sw->path, &v) == 0 && v == sw->after)
		return 0;
	err = write_checked(sw->path, sw->after, e);
	return err ? err : 1;
}

static void note(struct sysctl_log *out, const char *path, int would_be, int is)
{
	if (out->n == SYSCTL_LOG_MAX)
		return;
	snprintf(out->r[out->n].path, SYSCTL_PATH_MAX, "%s", path);
	out->r[out->n].before = would_be;
	out->r[out->n++].after = is;
}

void sysctl_not_as_before(const struct sysctl_log *log, struct sysctl_log *out)
{
	unsigned int i;
	int v;

	out->n = 0;
	for (i = 0; i < log->n; i++)
		if (sysctl_read(log->r[i].path, &v) == 0 && v != log->r[i].before)
			note(out, log->r[i].path, log->r[i].before, v);
}

void sysctl_maybe_switched(struct sysctl_log *out)
{
	char dir[256], path[SYSCTL_PATH_MAX];
	struct dirent *d;
	DIR *dp;
	int v;

	out->n = 0;
	if (sysctl_read(IPV4_SWITCH, &v) == 0 && v == 1)
		note(out, IPV4_SWITCH, 0, 1);
	if (sysctl_read(IPV6_SWITCH, &v) == 0 && v == 1)
		note(out, IPV6_SWITCH, 0, 1);
	snprintf(dir, sizeof(dir), "%s/net/ipv6/conf", proc_sys());
	dp = opendir(dir);
	while (dp && (d = readdir(dp))) {
		if (d->d_name[0] == '.' || !valid_ifname(d->d_name, strlen(d->d_name)))
			continue;
		snprintf(path, sizeof(path), "net/ipv6/conf/%.15s/accept_ra", d->d_name);
		if (sysctl_read(path, &v) == 0 && v == 2)	/* what enable moves 1 to */
			note(out, path, 1, 2);
	}
	if (dp)
		closedir(dp);
}

void sysctl_name(const char *path, char *buf, size_t len)
{
	size_t i, n = 0;
	unsigned int part = 0;

	/* net/ipv4/conf/IFNAME/x: the interface's own dots become slashes */
	for (i = 0; path[i] && n + 1 < len; i++) {
		if (path[i] == '/')
			part++;
		buf[n++] = path[i] == '/' ? '.' : path[i] == '.' && part == 3 ? '/' : path[i];
	}
	buf[n] = '\0';
}

static void drop_family(struct sysctl_log *log, int family)
{
	unsigned int i, out = 0;

	for (i = 0; i < log->n; i++)
		if (!of_family(&log->r[i], family))
			log->r[out++] = log->r[i];
	log->n = out;
}

/*
 * The switch goes back first (the kernel then resets the interfaces it
 * manages), then each recorded setting that differs from before. If the
 * switch is no longer ours (the admin changed it), everything is left;
 * unless @resume: a run was killed between the switch and the rest, and
 * what still holds our values is ours to put back.
 */
int forwarding_restore(int family, struct sysctl_log *log, bool resume, struct errmsg *e)
{
	struct sysctl_record *sw = find(log, family_switch(family));
	unsigned int i;
	int v, err = 0;

	if (!sw)
		return 0;
	if (sysctl_read(sw->path, &v) == 0 && v == sw->after)
		err = write_checked(sw->path, sw->before, e);
	else if (!resume)
		goto done;
	for (i = 0; !err && i < log->n; i++) {
		struct sysctl_record *r = &log->r[i];
		bool ra = ends_with(r->path, "/accept_ra");

		if (r == sw || !of_family(r, family) || sysctl_read(r->path, &v))
			continue;
		if ((ra && v == r->after) || (!ra && v != r->before))
			err = write_checked(r->path, r->before, e);
	}
done:
	if (!err)
		drop_family(log, family);
	return err;
}
