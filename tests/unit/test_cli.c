// SPDX-License-Identifier: GPL-2.0-or-later
/* Option tables: exact names, values, repeats, --help. */
#include "unit.h"

#include "lib/format.h"
#include "lib/spec.h"
#include "cli/cli.h"

enum { OPT_NAME, OPT_FLAG, OPT_MANY };

static const struct option_def defs[] = {
	[OPT_NAME] = { "name", "VALUE", "a value", false },
	[OPT_FLAG] = { "flag", NULL, "a flag", false },
	[OPT_MANY] = { "many", "V", "repeatable", true },
	{ NULL, NULL, NULL, false },
};

static int dummy_run(int argc, char **argv)
{
	return 0;
}

static const struct command cmd = {
	"test", dummy_run, "[--name VALUE]", "summary", "description", defs, NULL, false, NULL,
};

struct seen {
	char log[256];
};

static int record(int index, const char *value, void *data, struct errmsg *e)
{
	struct seen *s = data;
	size_t n = strlen(s->log);

	snprintf(s->log + n, sizeof(s->log) - n, "%s=%s;",
		 index == CLI_OPERAND ? "(word)" : defs[index].name, value ? value : "");
	return 0;
}

/* A command that takes words besides its options, as dns takes domains. */
static const struct command words_cmd = {
	"words", dummy_run, "WORD... [--name VALUE]", "summary", "description", defs, NULL, true,
	NULL,
};
static const struct command *parsing = &cmd;

/* argv as main() gets it: writable strings. */
static int parse(struct seen *s, struct errmsg *e, int argc, const char *const *args)
{
	static char store[16][64];
	char *argv[16];
	int i;

	for (i = 0; i < argc; i++) {
		snprintf(store[i], sizeof(store[i]), "%s", args[i]);
		argv[i] = store[i];
	}
	argv[argc] = NULL;
	memset(s, 0, sizeof(*s));
	e->text[0] = '\0';
	globals.state_dir = NULL;
	return cli_parse(parsing, argc, argv, record, s, e);
}

#define ARGV(...) ((const char *const[]){ "test", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((const char *const[]){ "test", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(s, e, ...) parse(s, e, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void accepted(void **state)
{
	struct errmsg e;
	struct seen s;

	assert_int_equal(PARSE(&s, &e, "--name", "x", "--flag", "--many=1", "--many", "2"), 0);
	assert_string_equal(s.log, "name=x;flag=;many=1;many=2;");
	assert_int_equal(PARSE(&s, &e, "--name=a=b", "--state-dir", "/tmp/x"), 0);
	assert_string_equal(s.log, "name=a=b;");
	assert_string_equal(globals.state_dir, "/tmp/x");
}

static void refused(void **state)
{
	struct errmsg e;
	struct seen s;

	assert_int_not_equal(PARSE(&s, &e, "--nam", "x"), 0);	/* no prefixes */
	assert_non_null(strstr(e.text, "unknown option '--nam'"));
	assert_int_not_equal(PARSE(&s, &e, "--name"), 0);
	assert_non_null(strstr(e.text, "needs a value"));
	assert_int_not_equal(PARSE(&s, &e, "--name", "a", "--name", "b"), 0);
	assert_non_null(strstr(e.text, "given twice"));
	assert_int_not_equal(PARSE(&s, &e, "--flag=yes"), 0);
	assert_non_null(strstr(e.text, "takes no value"));
	assert_int_not_equal(PARSE(&s, &e, "stray"), 0);
	assert_non_null(strstr(e.text, "unexpected argument 'stray'"));
	assert_int_not_equal(PARSE(&s, &e, "-x"), 0);
	assert_int_not_equal(PARSE(&s, &e, "--"), 0);
	assert_int_not_equal(PARSE(&s, &e, "--state-dir="), 0);
}

static void operands(void **state)
{
	struct errmsg e;
	struct seen s;

	parsing = &words_cmd;
	assert_int_equal(PARSE(&s, &e, "a.example", "--name", "x", "b", ""), 0);
	assert_string_equal(s.log, "(word)=a.example;name=x;(word)=b;(word)=;");
	assert_int_not_equal(PARSE(&s, &e, "a", "-x"), 0);	/* a dash is never a word */
	assert_non_null(strstr(e.text, "unexpected argument '-x'"));
	assert_int_not_equal(PARSE(&s, &e, "--"), 0);
	parsing = &cmd;
}

static void help(void **state)
{
	struct errmsg e;
	struct seen s;

	assert_int_equal(PARSE(&s, &e, "--help"), CLI_HELP);
	assert_int_equal(PARSE(&s, &e, "--name", "x", "-h"), CLI_HELP);
	assert_int_equal(PARSE(&s, &e, "--version"), CLI_VERSION);
}

/* The global options read the same before the command word as after it. */
static void leading(void **state)
{
	char a0[] = "redirect", a1[] = "--state-dir=", a2[] = "--state-dir", a3[] = "/x",
	     a4[] = "stats", a5[] = "--bogus";
	char *empty[] = { a0, a1, a4, NULL }, *good[] = { a0, a2, a3, a4, NULL },
	     *bogus[] = { a0, a5, a4, NULL };
	struct errmsg before, after;
	struct seen s;
	int next;

	globals.state_dir = NULL;
	assert_true(cli_parse_leading(3, empty, &next, &before) < 0);
	assert_true(PARSE(&s, &after, "--state-dir=") < 0);
	assert_string_equal(before.text, after.text);
	assert_int_equal(cli_parse_leading(4, good, &next, &before), 0);
	assert_int_equal(next, 3);
	assert_string_equal(globals.state_dir, "/x");
	assert_true(cli_parse_leading(3, bogus, &next, &before) < 0);
	assert_non_null(strstr(before.text, "unknown option '--bogus'; see redirect --help"));
}

/* Each "--word" of @synopsis, one at a time. */
static const char *next_option(const char *p, char *word, size_t len)
{
	size_t n;

	p = strstr(p, "--");
	if (!p)
		return NULL;
	p += 2;
	n = strspn(p, "abcdefghijklmnopqrstuvwxyz-");
	snprintf(word, len, "%.*s", (int)n, p);
	return p + n;
}

static bool in_table(const struct option_def *table, const char *name)
{
	unsigned int i;

	for (i = 0; table[i].name; i++)
		if (!strcmp(table[i].name, name))
			return true;
	return !strcmp(name, "state-dir");
}

/* Every synopsis names exactly the options its command's table has. */
static void synopses(void **state)
{
	unsigned int c, i;
	char word[64];

	for (c = 0; commands[c]; c++) {
		const struct command *command = commands[c];
		const char *p = command->synopsis;

		while ((p = next_option(p, word, sizeof(word))))
			if (!in_table(command->options, word))
				fail_msg("redirect %s: --%s is in the synopsis, not in the options",
					 command->name, word);
		for (i = 0; command->options[i].name; i++) {
			bool found = false;

			p = command->synopsis;
			while (!found && (p = next_option(p, word, sizeof(word))))
				found = !strcmp(word, command->options[i].name);
			if (!found)
				fail_msg("redirect %s: --%s is an option, not in the synopsis",
					 command->name, command->options[i].name);
		}
		assert_ptr_equal(cli_find_command(command->name), command);
	}
}

static char *usage_of(const struct command *command, void (*print)(const struct command *,
								    FILE *))
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	print(command, f);
	fclose(f);
	return text;
}

/* The help as one line: wrapped help continues after a newline and spaces. */
static char *unwrapped(char *text)
{
	char *in, *out = text;

	for (in = text; *in; in++) {
		if (*in == '\n' && in[1] == ' ') {
			*out++ = ' ';
			in += strspn(in + 1, " ");
			continue;
		}
		*out++ = *in;
	}
	*out = '\0';
	return text;
}

/* --help says the defaults the code uses, from its constants. */
static void defaults_in_help(void **state)
{
	char want[64], value[32];
	char *text = unwrapped(usage_of(&command_enable, cli_usage));

	snprintf(want, sizeof(want), "(default %s)",
		 format_duration_exact(REMEMBER_DEFAULT, value, sizeof(value)));
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof(want), "(default %u)", MAX_SOURCES_DEFAULT);
	assert_non_null(strstr(text, want));
	assert_null(strstr(text, "--to ADDRESS (default"));
	free(text);
	text = unwrapped(usage_of(&cmd, cli_usage));
	assert_non_null(strstr(text, "(default /var/lib/redirect, or $REDIRECT_STATE_DIR)"));
	free(text);
}

/* What completion asks for: each option with the word of its value, the globals after. */
static void options_listed(void **state)
{
	char *text = usage_of(&cmd, cli_list_options);

	assert_string_equal(text, "--name VALUE\n--flag\n--many V\n--state-dir DIR\n"
			    "--version\n--help\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepted),
		cmocka_unit_test(refused),
		cmocka_unit_test(operands),
		cmocka_unit_test(help),
		cmocka_unit_test(leading),
		cmocka_unit_test(synopses),
		cmocka_unit_test(defaults_in_help),
		cmocka_unit_test(options_listed),
	};

	return RUN_TAP(tests);
}
