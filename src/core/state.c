// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The state directory: what is enabled, since when, and which settings to
 * put back. A text file of "key value" lines, written to a temporary name,
 * fsynced and renamed, so a crash leaves the old file or the new one. The
 * parser is strict (a damaged file is named, not guessed at) and fuzzed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/atomic_file.h"
#include "dns/codec.h"
#include "core/state.h"

#define STATE_TMP "state.tmp"
#define STATE_LAST_GOOD_TMP "state.last-good.tmp"
#define STATE_VERSION 1
#define LINE_MAX_LEN 512
#define SINCE_MAX (1ULL << 40)	/* seconds: year 36812, well past any clock */

void state_init(struct state *st)
{
	memset(st, 0, sizeof(*st));
	spec_init(&st->spec);
}

bool state_records_anything(const struct state *st)
{
	return st->enabled || st->draining || st->pending || st->sysctls.n || st->tunnel;
}

const char *state_dir_path(const char *option)
{
	const char *env = getenv("REDIRECT_STATE_DIR");

	if (option)
		return option;
	return env && *env ? env : STATE_DIR_DEFAULT;
}

static int check_dir_safe(int fd, const char *path, struct errmsg *e)
{
	struct stat st;

	if (fstat(fd, &st))
		return errmsg_set(e, -errno, "cannot stat %s: %s", path, strerror(errno));
	if (st.st_uid != geteuid())
		return errmsg_set(e, -EPERM,
				  "state directory %s belongs to uid %u, not to us (uid %u); "
				  "refusing to use it",
				  path, (unsigned int)st.st_uid, (unsigned int)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return errmsg_set(e, -EPERM,
				  "state directory %s can be written by others; run chmod go-w "
				  "on it",
				  path);
	return 0;
}

int state_dir_open(struct state_dir *d, const char *path, bool create, struct errmsg *e)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int err;

	d->fd = d->lock_fd = -1;
	if (strlen(path) >= sizeof(d->path) || !*path)
		return errmsg_set(e, -ENAMETOOLONG, "state directory path is empty or too long");
	snprintf(d->path, sizeof(d->path), "%s", path);
	d->fd = open(path, flags);
	if (d->fd < 0 && errno == ENOENT && create) {
		if (mkdir(path, 0700) && errno != EEXIST)
			return errmsg_set(e, -errno, "cannot create state directory %s: %s",
					  path, strerror(errno));
		d->fd = open(path, flags);
	}
	if (d->fd < 0 && errno == ENOENT && !create)
		return 0;
	if (d->fd < 0)
		return errmsg_set(e, -errno, errno == ELOOP || errno == ENOTDIR ?
				  "state directory %s is a symlink or not a directory" :
				  "cannot open state directory %s: %s", path, strerror(errno));
	err = check_dir_safe(d->fd, path, e);
	if (err) {
		close(d->fd);
		d->fd = -1;
	}
	return err;
}

void state_dir_close(struct state_dir *d)
{
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	if (d->fd >= 0)
		close(d->fd);
	d->fd = d->lock_fd = -1;
}

static long lock_holder(int fd)
{
	char buf[24] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static int lock(struct state_dir *d, bool wait, bool create, long *holder, struct errmsg *e)
{
	char pid[24];
	int len;

	if (d->fd < 0)
		return 0;
	if (d->lock_fd < 0)
		d->lock_fd = openat(d->fd, STATE_LOCK, O_RDWR | O_NOFOLLOW | O_CLOEXEC |
				    (create ? O_CREAT : 0), 0600);
	if (d->lock_fd < 0 && errno == ENOENT && !create)
		return -ENOENT;
	if (d->lock_fd < 0)
		return errmsg_set(e, -errno, "cannot open %s/%s: %s", d->path, STATE_LOCK,
				  strerror(errno));
	if (flock(d->lock_fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB)) {
		int err = errno;

		if (err == EWOULDBLOCK) {
			*holder = lock_holder(d->lock_fd);
			return -EWOULDBLOCK;
		}
		return errmsg_set(e, -err, "cannot lock %s/%s: %s", d->path, STATE_LOCK,
				  strerror(err));
	}
	/* for the message of whoever waits next */
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(d->lock_fd, 0) == 0 && pwrite(d->lock_fd, pid, (size_t)len, 0) < 0)
		return 0;	/* only informative */
	return 0;
}

int state_lock(struct state_dir *d, bool wait, long *holder, struct errmsg *e)
{
	return lock(d, wait, true, holder, e);
}

int state_lock_existing(struct state_dir *d, long *holder, struct errmsg *e)
{
	return lock(d, false, false, holder, e);
}

void state_unlock(struct state_dir *d)
{
	if (d->lock_fd >= 0)
		flock(d->lock_fd, LOCK_UN);
}

/* ---- text form ---- */

static int put(char *buf, size_t len, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int put(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= len)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *used)
		return -ENOSPC;
	*used += (size_t)n;
	return 0;
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static int format_dns(const struct dns_clock *d, char *buf, size_t len, size_t *used)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < d->ndomains; i++)
		err = put(buf, len, used, "domain %s\n", d->domains[i]);
	if (!err && d->clean_since)
		err = put(buf, len, used, "dns_clean_since %" PRId64 "\n", d->clean_since);
	if (!err && d->ttl)
		err = put(buf, len, used, "dns_ttl %u\n", d->ttl);
	if (!err && d->checked_at)
		err = put(buf, len, used, "dns_checked %" PRId64 " %s\n", d->checked_at,
			  d->status[0] ? d->status : "unknown");
	if (!err && d->summary[0])
		err = put(buf, len, used, "dns_summary %s\n", d->summary);
	return err;
}

int state_format(const struct state *st, char *buf, size_t len)
{
	const struct spec *s = &st->spec;
	char addr[ADDRESS_STRLEN];
	size_t used = 0;
	unsigned int i;
	int err;

	err = put(buf, len, &used, "# redirect(8) state; written by redirect, not for editing\n"
		  "version %d\ngeneration %" PRIu64 "\nenabled %s\npending %s\ndraining %s\n"
		  "since %" PRId64 "\n",
		  STATE_VERSION, st->generation, yes_no(st->enabled), yes_no(st->pending),
		  yes_no(st->draining), st->since);
	if (!err && s->role == ROLE_NEW)
		err = put(buf, len, &used, "role accept\n");
	if (!err && s->has_to4)
		err = put(buf, len, &used, "to %s\n", address_str(&s->to4, addr));
	if (!err && s->has_to6)
		err = put(buf, len, &used, "to %s\n", address_str(&s->to6, addr));
	if (!err && s->has_from4)
		err = put(buf, len, &used, "from %s\n", address_str(&s->from4, addr));
	if (!err && s->has_from6)
		err = put(buf, len, &used, "from %s\n", address_str(&s->from6, addr));
	for (i = 0; !err && i < s->nservices; i++)
		err = put(buf, len, &used, "service %u\n", s->services[i].port);
	for (i = 0; !err && i < s->nexcludes; i++)
		err = put(buf, len, &used, "exclude %s\n", prefix_str(&s->excludes[i], addr));
	if (!err)
		err = put(buf, len, &used, "remember %" PRIu64 "\nmasquerade %s\n",
			  s->remember, yes_no(s->masquerade));
	if (!err && s->max_sources != MAX_SOURCES_DEFAULT)
		err = put(buf, len, &used, "max_sources %u\n", s->max_sources);
	if (!err && s->keep_client_address)
		err = put(buf, len, &used, "keep_client_address yes\ntunnel_mtu %u\n",
			  s->tunnel_mtu);
	if (!err && st->history.last_seen)
		err = put(buf, len, &used, "last_seen %" PRId64 "\n", st->history.last_seen);
	for (i = 0; !err && i < st->history.nseen; i++)
		err = put(buf, len, &used, "seen %u %" PRId64 "\n", st->history.seen[i].port,
			  st->history.seen[i].at);
	if (!err && st->history.observed_at)
		err = put(buf, len, &used, "observed %" PRId64 " %" PRIu64 "\n",
			  st->history.observed_at, st->history.observed_connections);
	if (!err && st->tunnel)
		err = put(buf, len, &used, "tunnel yes\n");
	if (!err && st->restored)
		err = put(buf, len, &used, "restored yes\n");
	if (!err && st->reported[0])
		err = put(buf, len, &used, "reported %s\n", st->reported);
	if (!err)
		err = format_dns(&st->dns, buf, len, &used);
	for (i = 0; !err && i < st->sysctls.n; i++)
		err = put(buf, len, &used, "sysctl %s %d %d\n", st->sysctls.r[i].path,
			  st->sysctls.r[i].before, st->sysctls.r[i].after);
	return err ? err : (int)used;
}

struct parse_ctx {
	struct state *st;
	bool seen_version;
	struct errmsg *e;
};

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "yes"))
		*out = true;
	else if (!strcmp(v, "no"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_sysctl(const char *v, struct sysctl_log *log, struct errmsg *e)
{
	char path[SYSCTL_PATH_MAX + 1], before[8], after[8], extra;
	uint64_t b, a;
	struct sysctl_record *r;

	if (sscanf(v, "%64s %7s %7s %c", path, before, after, &extra) != 3 ||
	    !sysctl_path_valid(path) || parse_u64(before, 1000, &b) || parse_u64(after, 1000, &a))
		return errmsg_set(e, -EINVAL, "not a setting this tool records");
	if (log->n == SYSCTL_LOG_MAX)
		return errmsg_set(e, -E2BIG, "too many settings");
	r = &log->r[log->n++];
	snprintf(r->path, sizeof(r->path), "%.*s", SYSCTL_PATH_MAX - 1, path);
	r->before = (int)b;
	r->after = (int)a;
	return 0;
}

static int parse_time(const char *v, int64_t *out)
{
	uint64_t n;

	if (parse_u64(v, SINCE_MAX, &n))
		return -EINVAL;
	*out = (int64_t)n;
	return 0;
}

/* "seen PORT TIME" */
static int parse_seen(const char *v, struct history *h)
{
	char port[8], at[24], extra;
	uint16_t p;
	struct errmsg ignored;

	if (sscanf(v, "%7s %23s %c", port, at, &extra) != 2 || parse_port(port, &p, &ignored) ||
	    h->nseen == SPEC_MAX_SERVICES)
		return -EINVAL;
	h->seen[h->nseen].port = p;
	return parse_time(at, &h->seen[h->nseen++].at);
}

/* "observed TIME CONNECTIONS" */
static int parse_observed(const char *v, struct history *h)
{
	char at[24], count[24], extra;

	if (sscanf(v, "%23s %23s %c", at, count, &extra) != 2 ||
	    parse_u64(count, UINT64_MAX, &h->observed_connections))
		return -EINVAL;
	return parse_time(at, &h->observed_at);
}

/* ---- the DNS clock ---- */

/* "dns_checked TIME STATUS" */
static int parse_dns_checked(struct dns_clock *d, const char *v)
{
	char at[24], status[8], extra;

	if (sscanf(v, "%23s %7s %c", at, status, &extra) != 2 ||
	    (strcmp(status, "new") && strcmp(status, "old") && strcmp(status, "unknown")))
		return -EINVAL;
	snprintf(d->status, sizeof(d->status), "%s", status);
	return parse_time(at, &d->checked_at);
}

/* Printable text on one line: what stats shows of the last DNS check. */
static int parse_summary(struct dns_clock *d, const char *v)
{
	size_t i, n = strlen(v);

	if (n >= sizeof(d->summary))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < ' ' || v[i] == 0x7f)
			return -EINVAL;
	memcpy(d->summary, v, n + 1);
	return 0;
}

/* 0: parsed; 1: not a key of the clock; -EINVAL: a bad value. */
static int parse_dns(struct dns_clock *d, const char *key, const char *v, struct errmsg *e)
{
	uint64_t n;

	if (!strcmp(key, "domain")) {
		if (d->ndomains == STATE_DOMAINS_MAX || strlen(v) >= STATE_DOMAIN_LEN ||
		    dns_name_check(v, d->domains[d->ndomains], e))
			return -EINVAL;
		d->ndomains++;
		return 0;
	}
	if (!strcmp(key, "dns_clean_since"))
		return parse_time(v, &d->clean_since);
	if (!strcmp(key, "dns_ttl")) {
		if (parse_u64(v, UINT32_MAX, &n))
			return -EINVAL;
		d->ttl = (uint32_t)n;
		return 0;
	}
	if (!strcmp(key, "dns_checked"))
		return parse_dns_checked(d, v);
	if (!strcmp(key, "dns_summary"))
		return parse_summary(d, v);
	return 1;
}

static int parse_field(struct parse_ctx *c, const char *key, const char *v)
{
	struct state *st = c->st;
	uint16_t port;
	int dns = parse_dns(&st->dns, key, v, c->e);

	if (dns != 1)
		return dns;	/* a key of the DNS clock, parsed (0) or not (-EINVAL) */

	if (!strcmp(key, "generation"))
		return parse_u64(v, UINT64_MAX / 2, &st->generation) ? -EINVAL : 0;
	if (!strcmp(key, "enabled"))
		return parse_bool(v, &st->enabled);
	if (!strcmp(key, "pending"))
		return parse_bool(v, &st->pending);
	if (!strcmp(key, "draining"))
		return parse_bool(v, &st->draining);
	if (!strcmp(key, "masquerade"))
		return parse_bool(v, &st->spec.masquerade);
	if (!strcmp(key, "tunnel"))
		return parse_bool(v, &st->tunnel);
	if (!strcmp(key, "restored"))
		return parse_bool(v, &st->restored);
	if (!strcmp(key, "keep_client_address"))
		return parse_bool(v, &st->spec.keep_client_address);
	if (!strcmp(key, "max_sources")) {
		uint64_t n;

		if (parse_u64(v, MAX_SOURCES_LIMIT, &n) || n < 1)
			return -EINVAL;
		st->spec.max_sources = (uint32_t)n;
		return 0;
	}
	if (!strcmp(key, "tunnel_mtu")) {
		uint64_t mtu;

		if (parse_u64(v, 65535, &mtu) || mtu < 1280)
			return -EINVAL;
		st->spec.tunnel_mtu = (unsigned int)mtu;
		return 0;
	}
	if (!strcmp(key, "role")) {
		if (strcmp(v, "accept"))
			return -EINVAL;
		st->spec.role = ROLE_NEW;
		return 0;
	}
	if (!strcmp(key, "from"))
		return spec_add_from(&st->spec, v, c->e);
	if (!strcmp(key, "since"))
		return parse_time(v, &st->since);
	if (!strcmp(key, "last_seen"))
		return parse_time(v, &st->history.last_seen);
	if (!strcmp(key, "seen"))
		return parse_seen(v, &st->history);
	if (!strcmp(key, "observed"))
		return parse_observed(v, &st->history);
	if (!strcmp(key, "remember"))
		return parse_duration(v, &st->spec.remember, c->e);
	if (!strcmp(key, "to"))
		return spec_add_target(&st->spec, v, c->e);
	if (!strcmp(key, "service"))
		return parse_port(v, &port, c->e) ? -EINVAL : spec_add_services(&st->spec, v, c->e);
	if (!strcmp(key, "exclude"))
		return spec_add_exclude(&st->spec, v, c->e);
	if (!strcmp(key, "sysctl"))
		return parse_sysctl(v, &st->sysctls, c->e);
	if (!strcmp(key, "reported")) {
		if (strcmp(v, "ready") && strcmp(v, "in-use") && strcmp(v, "unknown") &&
		    strcmp(v, "disabled"))
			return -EINVAL;
		snprintf(st->reported, sizeof(st->reported), "%s", v);
		return 0;
	}
	return errmsg_set(c->e, -EINVAL, "unknown key '%.40s'", key);
}

static int parse_line(struct parse_ctx *c, char *line, size_t len)
{
	char *value;

	line[len] = '\0';
	value = strchr(line, ' ');

	if (!value || value == line || !value[1])
		return errmsg_set(c->e, -EINVAL, "expected \"key value\"");
	*value++ = '\0';
	if (!c->seen_version) {
		uint64_t v;

		if (!strcmp(line, "version") && !parse_u64(value, UINT32_MAX, &v) && v > 1)
			return errmsg_set(c->e, -EPROTONOSUPPORT, "written by a newer redirect "
					  "(state version %" PRIu64 "; this one reads version 1): use "
					  "that redirect, or a newer one", v);
		if (strcmp(line, "version") || strcmp(value, "1"))
			return errmsg_set(c->e, -EINVAL, "expected \"version 1\" first");
		c->seen_version = true;
		return 0;
	}
	return parse_field(c, line, value);
}

static int parse_lines(struct parse_ctx *c, const char *text, size_t len)
{
	char line[LINE_MAX_LEN + 1];
	size_t pos = 0, lineno = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		int err = 0;

		lineno++;
		if (n > LINE_MAX_LEN)
			err = errmsg_set(c->e, -EINVAL, "line too long");
		else if (memchr(text + pos, '\0', n))
			err = errmsg_set(c->e, -EINVAL, "a NUL byte");
		else if (n && text[pos] != '#')
			err = parse_line(c, memcpy(line, text + pos, n), n);
		if (err) {
			if (!c->e->text[0])
				errmsg_set(c->e, err, "bad value");
			if (err != -EPROTONOSUPPORT)	/* a newer format: no line is at fault */
				errmsg_prefix(c->e, "line %zu", lineno);
			return err;
		}
		pos += n + 1;
	}
	return 0;
}

int state_parse(const char *text, size_t len, struct state *st, struct errmsg *e)
{
	struct parse_ctx c = { .st = st, .e = e };
	int err;

	state_init(st);
	e->text[0] = '\0';
	if (len > STATE_TEXT_MAX)
		return errmsg_set(e, -EFBIG, "larger than %d bytes", STATE_TEXT_MAX);
	err = parse_lines(&c, text, len);
	if (err)
		return err;
	if (!c.seen_version)
		return errmsg_set(e, -EINVAL, "no \"version 1\" line");
	/* enable writes the two together: the MSS clamp is made from the MTU */
	if (st->spec.keep_client_address && !st->spec.tunnel_mtu)
		return errmsg_set(e, -EINVAL, "keep_client_address without its tunnel_mtu");
	if (st->enabled)
		return spec_finalize(&st->spec, e);
	return 0;
}

/* ---- files ---- */

static int read_all(int fd, char *buf, size_t cap, size_t *len)
{
	ssize_t n;

	*len = 0;
	while ((n = read(fd, buf + *len, cap - *len)) > 0)
		*len += (size_t)n;
	return n < 0 ? -errno : 0;
}

/* One file of the directory into @buf (STATE_TEXT_MAX + 1); -ENOENT when it is missing. */
static int read_text(struct state_dir *d, const char *name, char *buf, size_t *len,
		     struct errmsg *e)
{
	struct stat sb;
	int fd, err;

	fd = openat(d->fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return -ENOENT;
	if (fd < 0)
		return errmsg_set(e, -errno, "cannot open %s/%s: %s", d->path, name,
				  strerror(errno));
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode))
		err = errmsg_set(e, -EINVAL, "%s/%s is not a regular file", d->path, name);
	else if ((err = read_all(fd, buf, STATE_TEXT_MAX + 1, len)))
		errmsg_set(e, err, "cannot read %s/%s: %s", d->path, name, strerror(-err));
	close(fd);
	return err;
}

/* Reads and parses one file of the directory; -ENOENT when it is missing. */
static int read_state_file(struct state_dir *d, const char *name, struct state *st,
			   struct errmsg *e)
{
	char *buf = malloc(STATE_TEXT_MAX + 1);
	size_t len = 0;
	int err = buf ? read_text(d, name, buf, &len, e) : errmsg_set(e, -ENOMEM, "out of memory");

	if (err) {
		free(buf);
		return err;
	}
	err = state_parse(buf, len, st, e);
	free(buf);
	if (err == -EPROTONOSUPPORT)
		errmsg_prefix(e, "state file %s/%s", d->path, name);
	else if (err)
		errmsg_prefix(e, "state file %s/%s is damaged (`redirect disable` still removes "
			      "the redirect, and puts back what the last good state, %s, "
			      "records; or move it away to start over)", d->path, name,
			      STATE_LAST_GOOD_FILE);
	return err;
}

int state_read_last_good(struct state_dir *d, struct state *st, struct errmsg *e)
{
	int err;

	state_init(st);
	if (d->fd < 0)
		return -ENOENT;
	err = read_state_file(d, STATE_LAST_GOOD_FILE, st, e);
	if (err)
		state_init(st);
	return err;
}

int state_read(struct state_dir *d, struct state *st, struct errmsg *e)
{
	struct state *pending;
	struct errmsg ignored;
	int err;

	state_init(st);
	if (d->fd < 0)
		return 0;
	err = read_state_file(d, STATE_FILE, st, e);
	if (err && err != -ENOENT)
		return err;
	pending = malloc(sizeof(*pending));	/* large: off the stack */
	if (!pending)
		return errmsg_set(e, -ENOMEM, "out of memory");
	/* a damaged pending record is what a power cut leaves: not newer */
	if (!read_state_file(d, STATE_PENDING_FILE, pending, &ignored) &&
	    pending->generation > st->generation)
		*st = *pending;
	free(pending);
	return 0;
}

/* @len bytes of @buf as STATE_FILE (@durable) or STATE_PENDING_FILE. */
static int write_text(struct state_dir *d, const char *buf, size_t len, bool durable,
		      struct errmsg *e)
{
	const char *name = durable ? STATE_FILE : STATE_PENDING_FILE;
	int err;

	if (d->fd < 0)
		return errmsg_set(e, -ENOENT, "no state directory");
	err = atomic_file_write(d->fd, name, STATE_TMP, buf, len, 0600, durable);
	if (err)
		return errmsg_set(e, err, "cannot write %s/%s: %s", d->path, name, strerror(-err));
	if (!durable)
		return 0;
	unlinkat(d->fd, STATE_PENDING_FILE, 0);	/* older now; removed to keep it tidy */
	/*
	 * A copy, for when hands or a disk damage the state: disable can then
	 * still put the settings back. No fsync: the state itself is durable.
	 */
	atomic_file_write(d->fd, STATE_LAST_GOOD_FILE, STATE_LAST_GOOD_TMP, buf, len, 0600, false);
	return 0;
}

static int write_state(struct state_dir *d, struct state *st, bool durable, struct errmsg *e)
{
	char *buf = malloc(STATE_TEXT_MAX);
	int len, err;

	if (!buf)
		return errmsg_set(e, -ENOMEM, "out of memory");
	st->generation++;
	len = state_format(st, buf, STATE_TEXT_MAX);
	if (len < 0)
		err = errmsg_set(e, len, "the state does not fit in %d bytes", STATE_TEXT_MAX);
	else
		err = write_text(d, buf, (size_t)len, durable, e);
	free(buf);
	return err;
}

int state_write(struct state_dir *d, struct state *st, struct errmsg *e)
{
	return write_state(d, st, true, e);
}

int state_set_aside(struct state_dir *d, struct errmsg *e)
{
	if (d->fd >= 0 && renameat(d->fd, STATE_FILE, d->fd, STATE_DAMAGED_FILE) == 0)
		return 1;
	if (d->fd < 0 || errno == ENOENT)
		return 0;
	return errmsg_set(e, -errno, "cannot move %s/%s aside: %s", d->path, STATE_FILE,
			  strerror(errno));
}

int state_write_intent(struct state_dir *d, struct state *st, struct errmsg *e)
{
	return write_state(d, st, false, e);
}
