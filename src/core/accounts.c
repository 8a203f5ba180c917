// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The accounts aggregate (see accounts.h) and its file, STATE_DIR/accounts:
 *
 *   version 1
 *   skipped N
 *   source file DEV INO OFFSET PATH        | source journal CURSOR|- [DIR]
 *   id SESSION AT PROGRAM                  an IMAP ID waiting for its login
 *   login SESSION AT ACCOUNT               a login through the tunnel
 *   account LAST COUNT SERVICES|- ADDRESSES|- NAME [PROGRAM]
 *
 * User names hold no spaces (the parser refuses them), so NAME is one word
 * and PROGRAM, like PATH, the rest of its line.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/atomic_file.h"
#include "core/accounts.h"

#define ACCOUNTS_VERSION 1
#define ACCOUNTS_TEXT_MAX (64 * 1024 * 1024)

void accounts_init(struct accounts *a)
{
	memset(a, 0, sizeof(*a));
}

void accounts_free(struct accounts *a)
{
	free(a->a);
	free(a->index);
	accounts_init(a);
}

/* @src into @dst of @size bytes, cut to fit (snprintf's "%s" without its cost) */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- finding an account by name ---- */

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* The index slot of @name: where it is, or the empty one where it would go. */
static unsigned int *slot(const struct accounts *a, const char *name)
{
	unsigned int mask = a->index_size - 1, i = name_hash(name) & mask;

	while (a->index[i] && strcmp(a->a[a->index[i] - 1].name, name))
		i = (i + 1) & mask;
	return &a->index[i];
}

static int reindex(struct accounts *a)
{
	unsigned int size = 64, i;

	while (size < 2 * (a->n + 1))
		size *= 2;
	if (size != a->index_size) {
		unsigned int *index = realloc(a->index, size * sizeof(*index));

		if (!index)
			return -ENOMEM;
		a->index = index;
		a->index_size = size;
	}
	memset(a->index, 0, a->index_size * sizeof(*a->index));
	for (i = 0; i < a->n; i++)
		*slot(a, a->a[i].name) = i + 1;
	return 0;
}

struct account *accounts_find(struct accounts *a, const char *name)
{
	unsigned int *s;

	if (!a->index_size)
		return NULL;
	s = slot(a, name);
	return *s ? &a->a[*s - 1] : NULL;
}

static struct account *add(struct accounts *a, const char *name)
{
	struct account *acc;

	if (a->n == a->cap) {
		unsigned int cap = a->cap ? a->cap * 2 : 64;
		struct account *grown = realloc(a->a, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		a->a = grown;
		a->cap = cap;
	}
	if (2 * (a->n + 1) > a->index_size && reindex(a))
		return NULL;
	acc = &a->a[a->n];
	memset(acc, 0, sizeof(*acc));
	copy_str(acc->name, sizeof(acc->name), name);
	*slot(a, name) = ++a->n;
	return acc;
}

/* ---- the aggregate ---- */


/* @client first in the account's addresses, the oldest dropped when full. */
static void note_address(struct account *acc, const struct address *client)
{
	unsigned int i;

	for (i = 0; i < acc->naddrs && !address_equal(&acc->addrs[i], client); i++)
		;
	if (i == acc->naddrs && acc->naddrs < ACCOUNT_ADDRS_MAX)
		acc->naddrs++;
	if (i == ACCOUNT_ADDRS_MAX)
		i--;
	memmove(&acc->addrs[1], &acc->addrs[0], i * sizeof(acc->addrs[0]));
	acc->addrs[0] = *client;
}

int accounts_note(struct accounts *a, const char *name, enum mail_service service,
		  const struct address *client, int64_t at)
{
	struct account *acc = accounts_find(a, name);

	if (!acc && !(acc = add(a, name)))
		return -ENOMEM;
	acc->services |= 1U << service;
	acc->count++;
	if (at > acc->last_seen)
		acc->last_seen = at;
	if (client)
		note_address(acc, client);
	return 0;
}

void accounts_set_program(struct accounts *a, const char *name, const char *program)
{
	struct account *acc = accounts_find(a, name);

	if (acc && program[0])
		copy_str(acc->program, sizeof(acc->program), program);
}

static int by_recency(const void *x, const void *y)
{
	const struct account *a = x, *b = y;

	if (a->last_seen != b->last_seen)
		return a->last_seen > b->last_seen ? -1 : 1;
	return strcmp(a->name, b->name);
}

void accounts_sort(struct accounts *a)
{
	if (a->n)
		qsort(a->a, a->n, sizeof(a->a[0]), by_recency);
	if (a->index_size)
		reindex(a);	/* the same size: it cannot fail */
}

/*
 * A ring without its sessions older than @oldest (they name accounts and
 * programs, which are kept for the window only), the rest put back oldest
 * first: the order the text form writes and reads them in.
 */
static void prune_ring(struct dovecot_session *ring, unsigned int *n, int64_t oldest)
{
	struct dovecot_session old[ACCOUNTS_PENDING];
	unsigned int used = *n < ACCOUNTS_PENDING ? *n : ACCOUNTS_PENDING, first, i;

	first = *n < ACCOUNTS_PENDING ? 0 : *n % ACCOUNTS_PENDING;
	memcpy(old, ring, sizeof(old));
	memset(ring, 0, sizeof(old));
	*n = 0;
	for (i = 0; i < used; i++) {
		const struct dovecot_session *s = &old[(first + i) % ACCOUNTS_PENDING];

		if (s->at >= oldest && s->session[0])
			accounts_session_put(ring, n, s->session, s->at, s->value);
	}
}

void accounts_prune(struct accounts *a, int64_t now, uint64_t window)
{
	int64_t oldest = now - (int64_t)window;
	unsigned int i, kept = 0;

	prune_ring(a->ids, &a->nids, oldest);
	prune_ring(a->logins, &a->nlogins, oldest);

	for (i = 0; i < a->n; i++)
		if (a->a[i].last_seen >= oldest)
			a->a[kept++] = a->a[i];
	a->n = kept;
	accounts_sort(a);
	if (a->n > ACCOUNTS_MAX)
		a->n = ACCOUNTS_MAX;	/* sorted: the least recent go */
	if (a->index_size)
		reindex(a);
}

void accounts_session_put(struct dovecot_session *ring, unsigned int *n, const char *session,
			  int64_t at, const char *value)
{
	struct dovecot_session *s = &ring[*n % ACCOUNTS_PENDING];

	copy_str(s->session, sizeof(s->session), session);
	copy_str(s->value, sizeof(s->value), value);
	s->at = at;
	/* *n counts the puts; once past the ring, it stays within two turns of it */
	*n = *n + 1 >= 2 * ACCOUNTS_PENDING ? *n + 1 - ACCOUNTS_PENDING : *n + 1;
}

const char *accounts_session_get(const struct dovecot_session *ring, unsigned int n,
				 const char *session)
{
	unsigned int i, used = n < ACCOUNTS_PENDING ? n : ACCOUNTS_PENDING;

	for (i = 0; i < used; i++)
		if (session[0] && !strcmp(ring[i].session, session))
			return ring[i].value;
	return NULL;
}

/* ---- the text form ---- */

static void format_services(FILE *f, uint32_t services)
{
	unsigned int i;
	bool first = true;

	for (i = 0; i < MAIL_SERVICES; i++) {
		if (!(services & 1U << i))
			continue;
		fprintf(f, "%s%s", first ? "" : ",", mail_service_name(i));
		first = false;
	}
	if (first)
		fputc('-', f);
}

static void format_account(FILE *f, const struct account *acc)
{
	char addr[ADDRESS_STRLEN];
	unsigned int i;

	fprintf(f, "account %" PRId64 " %" PRIu64 " ", acc->last_seen, acc->count);
	format_services(f, acc->services);
	fputc(' ', f);
	for (i = 0; i < acc->naddrs; i++)
		fprintf(f, "%s%s", i ? "," : "", address_str(&acc->addrs[i], addr));
	fprintf(f, "%s %s%s%s\n", acc->naddrs ? "" : "-", acc->name, acc->program[0] ? " " : "",
		acc->program);
}

static void format_ring(FILE *f, const char *key, const struct dovecot_session *ring,
			unsigned int n)
{
	unsigned int i, used = n < ACCOUNTS_PENDING ? n : ACCOUNTS_PENDING;

	for (i = 0; i < used; i++)
		fprintf(f, "%s %s %" PRId64 " %s\n", key, ring[i].session, ring[i].at,
			ring[i].value);
}

static void format_source(FILE *f, const struct accounts *a)
{
	if (a->source == SOURCE_FILE)
		fprintf(f, "source file %" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n", a->pos.dev,
			a->pos.ino, a->pos.offset, a->path);
	else if (a->source == SOURCE_JOURNAL)
		fprintf(f, "source journal %s%s%s\n", a->cursor[0] ? a->cursor : "-",
			a->path[0] ? " " : "", a->path);
}

int accounts_format(const struct accounts *a, char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);
	unsigned int i;

	if (!f)
		return -ENOMEM;
	fprintf(f, "# redirect(8): the accounts that logged in through the redirect; "
		   "root's eyes only\nversion %d\nskipped %" PRIu64 "\n", ACCOUNTS_VERSION,
		a->skipped);
	format_source(f, a);
	format_ring(f, "id", a->ids, a->nids);
	format_ring(f, "login", a->logins, a->nlogins);
	for (i = 0; i < a->n; i++)
		format_account(f, &a->a[i]);
	if (fclose(f)) {
		free(*buf);
		*buf = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* ---- reading the text form ---- */

struct parse_ctx {
	struct accounts *a;
	unsigned int line;
	bool versioned;
	struct errmsg *e;
};

static int bad(struct parse_ctx *c, const char *what)
{
	return errmsg_set(c->e, -EBADMSG, "line %u: %s", c->line, what);
}

static bool parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s)
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return false;
	*out = v;
	return true;
}

static bool parse_num(const char *s, uint64_t *out)
{
	return s && parse_u64(s, UINT64_MAX, out) == 0;
}

static int parse_services_word(char *w, uint32_t *out)
{
	char *tok, *save = NULL;
	unsigned int i;

	*out = 0;
	if (!strcmp(w, "-"))
		return 0;
	for (tok = strtok_r(w, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < MAIL_SERVICES && strcmp(tok, mail_service_name(i)); i++)
			;
		if (i == MAIL_SERVICES)
			return -EINVAL;
		*out |= 1U << i;
	}
	return 0;
}

static int parse_addresses_word(char *w, struct account *acc)
{
	struct errmsg ignored;
	char *tok, *save = NULL;

	acc->naddrs = 0;
	if (!strcmp(w, "-"))
		return 0;
	for (tok = strtok_r(w, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (acc->naddrs == ACCOUNT_ADDRS_MAX ||
		    parse_address(tok, &acc->addrs[acc->naddrs], &ignored))
			return -EINVAL;
		acc->naddrs++;
	}
	return 0;
}

/* The next space-separated word of *@rest, or NULL. */
static char *word(char **rest)
{
	char *w = *rest, *sp;

	if (!w || !*w || *w == ' ')	/* no word, or an empty one (two spaces) */
		return NULL;
	sp = strchr(w, ' ');
	*rest = sp ? sp + 1 : NULL;
	if (sp)
		*sp = '\0';
	return w;
}

/* "account LAST COUNT SERVICES ADDRESSES NAME [PROGRAM]" */
static int parse_account(struct parse_ctx *c, char *rest)
{
	char *last = word(&rest), *count = word(&rest), *svc = word(&rest), *addrs = word(&rest);
	char *name = word(&rest);
	struct account tmp = { .count = 0 }, *acc;

	if (!name || !parse_i64(last, &tmp.last_seen) || !parse_num(count, &tmp.count) ||
	    parse_services_word(svc, &tmp.services) || parse_addresses_word(addrs, &tmp))
		return bad(c, "an account that does not read");
	if (strlen(name) >= MAIL_ACCOUNT_MAX || !maillog_text_ok(name, strlen(name)) ||
	    (rest && (strlen(rest) >= MAIL_PROGRAM_MAX || !maillog_text_ok(rest, strlen(rest)))))
		return bad(c, "an account name or program that is not clean UTF-8");
	if (accounts_find(c->a, name))
		return bad(c, "an account listed twice");
	acc = add(c->a, name);
	if (!acc)
		return -ENOMEM;
	snprintf(tmp.name, sizeof(tmp.name), "%s", name);
	snprintf(tmp.program, sizeof(tmp.program), "%s", rest ? rest : "");
	*acc = tmp;
	return 0;
}

/* "id SESSION AT PROGRAM" and "login SESSION AT ACCOUNT" */
static int parse_session(struct parse_ctx *c, char *rest, bool id)
{
	char *session = word(&rest), *at = word(&rest);
	int64_t when;

	if (!at || !rest || !parse_i64(at, &when) || strlen(session) >= MAIL_SESSION_MAX ||
	    strlen(rest) >= MAIL_ACCOUNT_MAX || !maillog_text_ok(rest, strlen(rest)))
		return bad(c, "a session that does not read");
	if (id)
		accounts_session_put(c->a->ids, &c->a->nids, session, when, rest);
	else
		accounts_session_put(c->a->logins, &c->a->nlogins, session, when, rest);
	return 0;
}

/* "source file DEV INO OFFSET PATH" or "source journal CURSOR|- [DIR]" */
static int parse_source(struct parse_ctx *c, char *rest)
{
	struct accounts *a = c->a;
	char *kind = word(&rest), *dev, *ino, *off, *cursor;

	if (kind && !strcmp(kind, "file")) {
		dev = word(&rest);
		ino = word(&rest);
		off = word(&rest);
		if (!rest || !parse_num(dev, &a->pos.dev) || !parse_num(ino, &a->pos.ino) ||
		    !parse_num(off, &a->pos.offset) || strlen(rest) >= sizeof(a->path))
			return bad(c, "a file position that does not read");
		a->source = SOURCE_FILE;
		snprintf(a->path, sizeof(a->path), "%s", rest);
		return 0;
	}
	cursor = word(&rest);
	if (!kind || strcmp(kind, "journal") || !cursor || strlen(cursor) >= sizeof(a->cursor) ||
	    (rest && strlen(rest) >= sizeof(a->path)))
		return bad(c, "a source that does not read");
	a->source = SOURCE_JOURNAL;
	snprintf(a->cursor, sizeof(a->cursor), "%s", strcmp(cursor, "-") ? cursor : "");
	snprintf(a->path, sizeof(a->path), "%s", rest ? rest : "");
	return 0;
}

static int parse_line(struct parse_ctx *c, char *line)
{
	char *rest = line, *key = word(&rest);
	int64_t version;

	if (!key || key[0] == '#')
		return 0;
	if (!strcmp(key, "version")) {
		if (!rest || !parse_i64(rest, &version) || version != ACCOUNTS_VERSION)
			return bad(c, "a version this redirect does not know");
		c->versioned = true;
		return 0;
	}
	if (!c->versioned)
		return bad(c, "no version line first");
	if (!strcmp(key, "skipped"))
		return parse_num(rest ? rest : "", &c->a->skipped) ? 0 : bad(c, "a bad count");
	if (!strcmp(key, "source"))
		return parse_source(c, rest);
	if (!strcmp(key, "id") || !strcmp(key, "login"))
		return parse_session(c, rest, key[0] == 'i');
	if (!strcmp(key, "account"))
		return parse_account(c, rest);
	return bad(c, "an unknown key");
}

int accounts_parse(const char *text, size_t len, struct accounts *a, struct errmsg *e)
{
	struct parse_ctx c = { a, 0, false, e };
	char *copy, *line, *next;
	int err = 0;

	accounts_free(a);
	if (memchr(text, '\0', len))
		return errmsg_set(e, -EBADMSG, "a NUL byte in the file");
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (line = copy; !err && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		c.line++;
		err = parse_line(&c, line);
	}
	free(copy);
	if (!err && !c.versioned && len)
		err = bad(&c, "no version line");
	if (err)
		accounts_free(a);
	return err;
}

/* ---- the file ---- */

static int read_text(int fd, char **text, size_t *len)
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > ACCOUNTS_TEXT_MAX)
		return -EBADMSG;
	*text = malloc((size_t)st.st_size + 1);
	if (!*text)
		return -ENOMEM;
	*len = 0;
	while ((n = read(fd, *text + *len, (size_t)st.st_size - *len)) > 0)
		*len += (size_t)n;
	return n < 0 ? -errno : 0;
}

int accounts_load(struct state_dir *d, struct accounts *a, struct errmsg *e)
{
	char *text = NULL;
	size_t len = 0;
	int fd, err;

	accounts_free(a);
	if (d->fd < 0)
		return 0;
	fd = openat(d->fd, ACCOUNTS_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return errmsg_set(e, -errno, "cannot read %s/%s: %s", d->path, ACCOUNTS_FILE,
				  strerror(errno));
	err = read_text(fd, &text, &len);
	close(fd);
	if (!err)
		err = accounts_parse(text, len, a, e);
	else if (err == -EBADMSG)
		errmsg_set(e, err, "not a regular file of at most %d MiB",
			   ACCOUNTS_TEXT_MAX >> 20);
	free(text);
	if (err && err != -ENOMEM)
		errmsg_prefix(e, "%s/%s is damaged", d->path, ACCOUNTS_FILE);
	return err == -ENOMEM ? errmsg_set(e, err, "out of memory") : err;
}

int accounts_save(struct state_dir *d, const struct accounts *a, struct errmsg *e)
{
	char *buf = NULL;
	size_t len = 0;
	int err;

	if (d->fd < 0)
		return 0;
	if (accounts_format(a, &buf, &len))
		return errmsg_set(e, -ENOMEM, "out of memory");
	err = atomic_file_write(d->fd, ACCOUNTS_FILE, ACCOUNTS_TMP, buf, len, 0600, false);
	free(buf);
	if (err)
		return errmsg_set(e, err, "cannot write %s/%s: %s", d->path, ACCOUNTS_FILE,
				  strerror(-err));
	return 0;
}

int accounts_remove(struct state_dir *d, struct errmsg *e)
{
	if (d->fd < 0)
		return 0;
	unlinkat(d->fd, ACCOUNTS_TMP, 0);
	if (!unlinkat(d->fd, ACCOUNTS_FILE, 0))
		return 1;
	if (errno != ENOENT)
		return errmsg_set(e, -errno, "cannot remove %s/%s: %s", d->path, ACCOUNTS_FILE,
				  strerror(errno));
	return 0;
}
