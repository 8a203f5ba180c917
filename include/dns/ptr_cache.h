/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_DNS_PTR_CACHE_H
#define REDIRECT_DNS_PTR_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/parse.h"

/*
 * The PTR names of stale sources, so the admin can tell a sender's MTA
 * from a phone with OLD's address typed in. Kept in the file "names" of
 * the directory @dirfd (the state directory; -1: none, nothing kept), each
 * with its own expiry (a day for a name, an hour for none), looked up in
 * parallel with a short timeout, a few per look: never what stats waits on.
 */
#define NAMES_FILE "names"
#define NAMES_MAX 2048
#define NAMES_PER_LOOK 64
#define NAME_LEN 254

struct name_entry {
	struct address addr;
	int64_t expires;
	bool has_name;		/* false: it has none (or no answer came) */
	char name[NAME_LEN];
};

struct name_cache {
	struct name_entry e[NAMES_MAX];
	unsigned int n;
	bool changed;
	bool unusable;		/* NAMES_FILE is no regular file: neither read nor written */
};

/*
 * Reads the cache (none is an empty cache). Returns 0, or
 * REGULAR_FILE_NOT when NAMES_FILE is a FIFO, a directory... (*@kind
 * says which): the cache then stays empty and is never written.
 */
int names_load(int dirfd, struct name_cache *c, int64_t now, const char **kind);

/* The name of @a: NULL when it has none or it is not known yet (*known says which). */
const char *names_get(const struct name_cache *c, const struct address *a, bool *known);

/* Looks up (at most NAMES_PER_LOOK of) those of @addrs not known, within ~300 ms. */
void names_resolve(struct name_cache *c, const struct address *addrs, unsigned int n,
		   int64_t now);

/* Writes the cache back when it changed; a failure is no error (it is a cache). */
void names_save(int dirfd, struct name_cache *c);

#endif
