// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One option table per command drives both parsing and --help; the global
 * options are one more table, read the same way before the command word
 * and after it, so the two places cannot drift apart.
 */
#include <errno.h>
#include <string.h>

#include "lib/format.h"
#include "core/state_dir.h"
#include "cli/cli.h"

struct globals globals;

enum { GLOBAL_STATE_DIR, GLOBAL_VERSION, GLOBAL_HELP };

static const struct option_def global_options[] = {
	[GLOBAL_STATE_DIR] = { "state-dir", "DIR", "where redirect keeps its state", false },
	[GLOBAL_VERSION] = { "version", NULL, "print the version", false },
	[GLOBAL_HELP] = { "help", NULL, "show this help", false },
	{ NULL, NULL, NULL, false },
};

#define MAX_OPTIONS 32

static int find_option(const struct option_def *defs, const char *name, size_t len)
{
	int i;

	for (i = 0; defs && defs[i].name; i++)
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
		return CLI_HELP;
	if (index == GLOBAL_VERSION)
		return CLI_VERSION;
	if (strlen(value) >= 4096 || !*value)
		return errmsg_set(e, -EINVAL, "--state-dir %s is empty or too long",
				  quote(value, q, sizeof(q)));
	globals.state_dir = value;
	return CLI_GO;
}

/* Where an option is found: the command's table, else the global one. */
struct found {
	const struct option_def *def;
	int index;
	bool global;
};

static int find_either(const struct option_def *defs, const char *arg, const char *see,
		       struct found *f, struct errmsg *e)
{
	const char *eq = strchr(arg + 2, '=');
	size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
	char q[QUOTE_BUF];

	f->global = false;
	f->index = find_option(defs, arg + 2, len);
	if (f->index < 0) {
		f->global = true;
		f->index = find_option(global_options, arg + 2, len);
	}
	if (f->index < 0)
		return errmsg_set(e, -EINVAL, "unknown option %s; see %s",
				  quote(arg, q, sizeof(q)), see);
	f->def = f->global ? &global_options[f->index] : &defs[f->index];
	return 0;
}

static void see_also(const struct command *cmd, char *buf, size_t len)
{
	if (cmd)
		snprintf(buf, len, "redirect help %s", cmd->name);
	else
		snprintf(buf, len, "redirect --help");
}

static int one_arg(const struct command *cmd, int argc, char **argv, int *i, unsigned int *seen,
		   option_cb on_option, void *data, struct errmsg *e)
{
	const char *arg = argv[*i], *eq, *value;
	char q[QUOTE_BUF], see[64];
	struct found f = { NULL, -1, false };
	int err;

	see_also(cmd, see, sizeof(see));
	if (!strcmp(arg, "-h"))
		return CLI_HELP;
	if (!strcmp(arg, "-V"))
		return CLI_VERSION;
	if (cmd && cmd->operands && arg[0] != '-')
		return on_option(CLI_OPERAND, arg, data, e);
	if (strncmp(arg, "--", 2) || !arg[2])
		return errmsg_set(e, -EINVAL, "unexpected argument %s; see %s",
				  quote(arg, q, sizeof(q)), see);
	err = find_either(cmd ? cmd->options : NULL, arg, see, &f, e);
	eq = strchr(arg + 2, '=');
	if (!err)
		err = split_arg(argv, argc, i, f.def, eq ? eq + 1 : NULL, &value, e);
	if (err)
		return err;
	if (f.global)
		return global_option(f.index, value, e);
	if (!f.def->repeatable && (seen[f.index / 32] & 1U << (f.index % 32)))
		return errmsg_set(e, -EINVAL, "--%s is given twice", f.def->name);
	seen[f.index / 32] |= 1U << (f.index % 32);
	return on_option(f.index, value, data, e);
}

static void print_version(void)
{
	printf("redirect %s\n", PACKAGE_VERSION);
}

int cli_parse(const struct command *cmd, int argc, char **argv, option_cb on_option,
	      void *data, struct errmsg *e)
{
	unsigned int seen[(MAX_OPTIONS + 31) / 32] = { 0 };
	int i, rc;

	for (i = 1; i < argc; i++) {
		rc = one_arg(cmd, argc, argv, &i, seen, on_option, data, e);
		if (rc == CLI_HELP)
			cli_usage(cmd, stdout);
		else if (rc == CLI_VERSION)
			print_version();
		if (rc)
			return rc;
	}
	return CLI_GO;
}

int cli_parse_leading(int argc, char **argv, int *next, struct errmsg *e)
{
	int rc;

	for (*next = 1; *next < argc && argv[*next][0] == '-'; (*next)++) {
		rc = one_arg(NULL, argc, argv, next, NULL, NULL, NULL, e);
		if (rc == CLI_HELP)
			cli_main_usage(stdout);
		else if (rc == CLI_VERSION)
			print_version();
		if (rc) {
			(*next)++;
			return rc;
		}
	}
	return CLI_GO;
}

#define HELP_COLUMN 27
#define HELP_WIDTH 78

/* @text from column HELP_COLUMN, wrapped at spaces to HELP_WIDTH columns. */
static void print_wrapped_help(const char *text, FILE *f)
{
	const int room = HELP_WIDTH - HELP_COLUMN;

	while ((int)strlen(text) > room) {
		int cut = room;

		while (cut > 0 && text[cut] != ' ')
			cut--;
		if (cut == 0)
			break;	/* one long word: let it run over */
		fprintf(f, "%.*s\n%*s", cut, text, HELP_COLUMN, "");
		text += cut + 1;
	}
	fprintf(f, "%s\n", text);
}

static const char *global_default(int index, char *buf, size_t len)
{
	if (index != GLOBAL_STATE_DIR)
		return NULL;
	snprintf(buf, len, "%s, or $REDIRECT_STATE_DIR", STATE_DIR_DEFAULT);
	return buf;
}

const char *cli_default_duration(uint64_t seconds, char *buf, size_t len)
{
	return format_duration_exact(seconds, buf, len);
}

/* "--name ARG", or "--name" for a flag. */
static const char *option_words(const struct option_def *def, char *buf, size_t len)
{
	snprintf(buf, len, "--%s%s%s", def->name, def->arg ? " " : "", def->arg ? def->arg : "");
	return buf;
}

/* Each option, its help, and what it takes by default (@default_of may be NULL). */
static void print_options(const struct option_def *defs,
			  const char *(*default_of)(int, char *, size_t), FILE *f)
{
	char left[64], value[128], help[512];
	const char *dflt;
	int i;

	for (i = 0; defs[i].name; i++) {
		fprintf(f, "  %-*s ", HELP_COLUMN - 3, option_words(&defs[i], left, sizeof(left)));
		dflt = default_of ? default_of(i, value, sizeof(value)) : NULL;
		snprintf(help, sizeof(help), dflt ? "%s (default %s)" : "%s", defs[i].help, dflt);
		print_wrapped_help(help, f);
	}
}

void cli_list_options(const struct command *cmd, FILE *f)
{
	char words[64];
	int i;

	for (i = 0; cmd->options[i].name; i++)
		fprintf(f, "%s\n", option_words(&cmd->options[i], words, sizeof(words)));
	for (i = 0; global_options[i].name; i++)
		fprintf(f, "%s\n", option_words(&global_options[i], words, sizeof(words)));
}

void cli_usage(const struct command *cmd, FILE *f)
{
	fprintf(f, "Usage: redirect %s%s%s\n\n%s\n", cmd->name, cmd->synopsis[0] ? " " : "",
		cmd->synopsis, cmd->description);
	if (cmd->options[0].name) {
		fprintf(f, "\nOptions:\n");
		print_options(cmd->options, cmd->default_of, f);
	}
	if (cmd->more_help)
		cmd->more_help(f);
	fprintf(f, "\nGlobal options:\n");
	print_options(global_options, global_default, f);
}

void cli_main_usage(FILE *f)
{
	unsigned int i;

	fprintf(f, "Usage: redirect [--state-dir DIR] COMMAND [OPTIONS]\n\n"
		"Forwards the mail connections that still reach this (old) server to the\n"
		"new one, in the kernel, and tells when this server can be retired.\n\n"
		"Commands:\n");
	for (i = 0; commands[i]; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\nGlobal options:\n");
	print_options(global_options, global_default, f);
	fprintf(f, "\nSee redirect(8) for the whole story.\n");
}

const struct command *cli_find_command(const char *name)
{
	unsigned int i;

	for (i = 0; commands[i]; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

int cli_fail(const struct command *cmd, int status, const struct errmsg *e)
{
	fprintf(stderr, "redirect %s: %s\n", cmd->name, e->text);
	return status;
}

void cli_say_waiting(long holder_pid, const void *command)
{
	const struct command *cmd = command;

	if (holder_pid > 0)
		fprintf(stderr, "redirect %s: waiting for another redirect (pid %ld) to finish...\n",
			cmd->name, holder_pid);
	else	/* it has the lock, and not yet written its pid there */
		fprintf(stderr, "redirect %s: waiting for another redirect to finish...\n",
			cmd->name);
}

int cli_no_option(int index, const char *value, void *data, struct errmsg *e)
{
	return 0;
}

int cli_parse_status(const struct command *cmd, int rc, const struct errmsg *e)
{
	if (rc == CLI_HELP || rc == CLI_VERSION)
		return EXIT_DONE;
	return cli_fail(cmd, EXIT_USAGE, e);
}
