// SPDX-License-Identifier: GPL-2.0-or-later
/* The cache of the stale sources' PTR names: STATE_DIR/names, one "ADDRESS EXPIRES NAME|-" per line. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/atomic_file.h"
#include "lib/regular_file.h"
#include "dns/codec.h"
#include "dns/ptr.h"
#include "dns/ptr_cache.h"

#define NAMES_TMP "names.tmp"
#define NAME_TTL (24 * 3600)
#define NO_NAME_TTL 3600
#define LOOKUP_TIMEOUT_MS 300

static struct name_entry *find(struct name_cache *c, const struct address *a)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		if (address_equal(&c->e[i].addr, a))
			return &c->e[i];
	return NULL;
}

/* One line of the file; a line that does not parse is dropped (a cache, not the state). */
static void load_line(struct name_cache *c, char *line, int64_t now)
{
	char addr[64], name[NAME_LEN];
	struct name_entry *e = &c->e[c->n];
	struct errmsg ignored;
	long long expires;

	if (sscanf(line, "%63s %lld %253s", addr, &expires, name) != 3 || expires <= now ||
	    parse_address(addr, &e->addr, &ignored))
		return;
	e->expires = expires;
	e->has_name = strcmp(name, "-") != 0;
	if (e->has_name && dns_name_check(name, e->name, &ignored))
		return;
	c->n++;
}

int names_load(int dirfd, struct name_cache *c, int64_t now, const char **kind)
{
	char line[512];
	FILE *f;
	int fd;

	c->n = 0;
	c->changed = false;
	c->unusable = false;
	fd = dirfd < 0 ? -ENOENT : regular_file_open(dirfd, NAMES_FILE, O_RDONLY, 0, kind);
	if (fd == REGULAR_FILE_NOT)
		c->unusable = true;	/* and names_save leaves it alone */
	if (fd < 0)
		return fd == REGULAR_FILE_NOT ? fd : 0;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return 0;
	}
	while (c->n < NAMES_MAX && fgets(line, sizeof(line), f))
		load_line(c, line, now);
	fclose(f);
	return 0;
}

const char *names_get(const struct name_cache *c, const struct address *a, bool *known)
{
	const struct name_entry *e = find((struct name_cache *)c, a);

	*known = e != NULL;
	return e && e->has_name ? e->name : NULL;
}

static void remember(struct name_cache *c, const struct address *a, const char *name,
		     int64_t now)
{
	struct name_entry *e = find(c, a);

	if (!e && c->n == NAMES_MAX)
		return;
	if (!e)
		e = &c->e[c->n++];
	e->addr = *a;
	e->has_name = name != NULL;
	snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
	e->expires = now + (name ? NAME_TTL : NO_NAME_TTL);
	c->changed = true;
}

void names_resolve(struct name_cache *c, const struct address *addrs, unsigned int n,
		   int64_t now)
{
	struct address ask[NAMES_PER_LOOK];
	char *found[NAMES_PER_LOOK];
	struct errmsg ignored;
	unsigned int i, k = 0;
	bool known;

	for (i = 0; i < n && k < NAMES_PER_LOOK; i++)
		if (!names_get(c, &addrs[i], &known) && !known)
			ask[k++] = addrs[i];
	if (!k || dns_ptr_lookup(ask, k, found, LOOKUP_TIMEOUT_MS, 0, &ignored))
		return;
	for (i = 0; i < k; i++)
		remember(c, &ask[i], found[i], now);
	dns_names_free(found, k);
}

#define NAMES_TEXT_MAX (NAMES_MAX * (NAME_LEN + 64))

void names_save(int dirfd, struct name_cache *c)
{
	char *buf, addr[ADDRESS_STRLEN];
	size_t used = 0;
	unsigned int i;

	if (!c->changed || c->unusable || dirfd < 0 || !(buf = malloc(NAMES_TEXT_MAX)))
		return;
	for (i = 0; i < c->n; i++)
		used += (size_t)snprintf(buf + used, NAMES_TEXT_MAX - used, "%s %" PRId64 " %s\n",
					 address_str(&c->e[i].addr, addr), c->e[i].expires,
					 c->e[i].has_name ? c->e[i].name : "-");
	if (atomic_file_write(dirfd, NAMES_FILE, NAMES_TMP, buf, used, 0600, false) == 0)
		c->changed = false;
	free(buf);
}
