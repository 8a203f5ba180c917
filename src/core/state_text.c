// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The state file's form: a comment, "version 1", then "key value" lines
 * that state.c's table of keys writes and reads; a file from before tunnel
 * ids is brought up to date as it is read. Pure, and fuzzed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/owned.h"
#include "core/state.h"

#define STATE_VERSION 1

int state_format(const struct state *st, char *buf, size_t len)
{
	struct state_text t = { buf, len, 0 };
	int err = state_put(&t, "# redirect(8) state; written by redirect, not for editing\n"
			    "version %d\n", STATE_VERSION);

	if (!err)
		err = state_write_keys(st, &t);
	return err ? err : (int)t.used;
}

struct parse_ctx {
	struct state *st;
	bool seen_version;
	struct errmsg *e;
};

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
	return state_read_key(c->st, line, value, c->e);
}

static int parse_lines(struct parse_ctx *c, const char *text, size_t len)
{
	char line[STATE_LINE_MAX + 1];
	size_t pos = 0, lineno = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		int err = 0;

		lineno++;
		if (n > STATE_LINE_MAX)
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

/*
 * A state of a redirect from before tunnel ids: its tunnel had the legacy
 * VNI, whose addresses are the fixed ones it had, on the link of the one
 * name there was. It goes on as it is.
 */
static void upgrade_tunnel(struct spec *spec)
{
	if (!spec_tunnel(spec))
		return;
	if (!spec->tunnel_id)
		spec->tunnel_id = TUNNEL_ID_DEFAULT;
	if (!spec->tunnel_link[0])
		snprintf(spec->tunnel_link, sizeof(spec->tunnel_link), "%s", TUNNEL_IFNAME);
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
	upgrade_tunnel(&st->spec);
	if (st->enabled)
		return spec_finalize(&st->spec, e);
	return 0;
}
