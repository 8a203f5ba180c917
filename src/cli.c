// SPDX-License-Identifier: GPL-2.0-or-later
/* One option table per command drives both parsing and --help. */
#include <errno.h>
#include <string.h>

#include "cli.h"

struct globals globals;

static const struct option_def global_options[] = {
	{ "state-dir", "DIR", "where redirect keeps its state (default /var/lib/redirect, or $REDIRECT_STATE_DIR)", false },
	{ "help", NULL, "show this help", false },
	{ NULL, NULL, NULL, false },
};
enum { GLOBAL_STATE_DIR, GLOBAL_HELP };

#define MAX_OPTIONS 32

static int find_option(const struct option_def *defs, const char *name, size_t len)
{
	int i;

	for (i = 0; defs[i].name; i++)
		if (strlen(defs[i].name) == len && !strncmp(defs[i].name, name, len))
			return i;
	return -1;
}

static int split_arg(char **argv, int argc, int *i, const struct option_def *def,
		     const char *inline_value, const char **value, struct errmsg *e)
{
	char q[QUOTE_BUF];

	*value = NULL;
	if (!def->arg) {
		if (inline_value)
			return errmsg_set(e, -EINVAL, "--%s takes no value (got %s)", def->name,
					  quote(inline_value, q, sizeof(q)));
		return 0;
	}
	if (inline_value) {
		*value = inline_value;
		return 0;
	}
	if (*i + 1 >= argc)
		return errmsg_set(e, -EINVAL, "--%s needs a value (%s)", def->name, def->arg);
	*value = argv[++*i];
	return 0;
}

static int global_option(int index, const char *value, struct errmsg *e)
{
	char q[QUOTE_BUF];

	if (index == GLOBAL_HELP)
		return 1;
	if (strlen(value) >= 4096 || !*value)
		return errmsg_set(e, -EINVAL, "--state-dir %s is empty or too long",
				  quote(value, q, sizeof(q)));
	globals.state_dir = value;
	return 0;
}

static int one_arg(const struct command *cmd, int argc, char **argv, int *i, unsigned int *seen,
		   option_cb on_option, void *data, struct errmsg *e)
{
	const char *arg = argv[*i], *eq, *value;
	const struct option_def *defs = cmd->options;
	char q[QUOTE_BUF];
	size_t len;
	int idx, gidx = -1, err;

	if (!strcmp(arg, "-h"))
		return 1;
	if (strncmp(arg, "--", 2) || !arg[2])
		return errmsg_set(e, -EINVAL, "unexpected argument %s; see redirect help %s",
				  quote(arg, q, sizeof(q)), cmd->name);
	eq = strchr(arg + 2, '=');
	len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
	idx = find_option(defs, arg + 2, len);
	if (idx < 0 && (gidx = find_option(global_options, arg + 2, len)) < 0)
		return errmsg_set(e, -EINVAL, "unknown option %s; see redirect help %s",
				  quote(arg, q, sizeof(q)), cmd->name);
	err = split_arg(argv, argc, i, idx >= 0 ? &defs[idx] : &global_options[gidx],
			eq ? eq + 1 : NULL, &value, e);
	if (err)
		return err;
	if (idx < 0)
		return global_option(gidx, value, e);
	if (!defs[idx].repeatable && (seen[idx / 32] & 1U << (idx % 32)))
		return errmsg_set(e, -EINVAL, "--%s is given twice", defs[idx].name);
	seen[idx / 32] |= 1U << (idx % 32);
	return on_option(idx, value, data, e);
}

int cli_parse(const struct command *cmd, int argc, char **argv, option_cb on_option,
	      void *data, struct errmsg *e)
{
	unsigned int seen[(MAX_OPTIONS + 31) / 32] = { 0 };
	int i, rc;

	for (i = 1; i < argc; i++) {
		rc = one_arg(cmd, argc, argv, &i, seen, on_option, data, e);
		if (rc == 1) {
			cli_usage(cmd, stdout);
			return 1;
		}
		if (rc)
			return rc;
	}
	return 0;
}

static void print_options(const struct option_def *defs, FILE *f)
{
	char left[64];
	int i;

	for (i = 0; defs[i].name; i++) {
		snprintf(left, sizeof(left), "--%s%s%s", defs[i].name, defs[i].arg ? " " : "",
			 defs[i].arg ? defs[i].arg : "");
		fprintf(f, "  %-24s %s\n", left, defs[i].help);
	}
}

void cli_usage(const struct command *cmd, FILE *f)
{
	fprintf(f, "Usage: redirect %s %s\n\n%s\n", cmd->name, cmd->synopsis, cmd->description);
	if (cmd->options[0].name) {
		fprintf(f, "\nOptions:\n");
		print_options(cmd->options, f);
	}
	fprintf(f, "\nGlobal options:\n");
	print_options(global_options, f);
}

int cli_fail(const struct command *cmd, int status, const struct errmsg *e)
{
	fprintf(stderr, "redirect %s: %s\n", cmd->name, e->text);
	return status;
}
