// SPDX-License-Identifier: GPL-2.0-or-later
/* Option tables: exact names, values, repeats, --help. */
#include "unit.h"

#include "cli.h"

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
	"test", dummy_run, "[--name VALUE]", "summary", "description", defs,
};

struct seen {
	char log[256];
};

static int record(int index, const char *value, void *data, struct errmsg *e)
{
	struct seen *s = data;
	size_t n = strlen(s->log);

	snprintf(s->log + n, sizeof(s->log) - n, "%s=%s;", defs[index].name, value ? value : "");
	return 0;
}

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
	return cli_parse(&cmd, argc, argv, record, s, e);
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

static void help(void **state)
{
	struct errmsg e;
	struct seen s;

	assert_int_equal(PARSE(&s, &e, "--help"), 1);
	assert_int_equal(PARSE(&s, &e, "--name", "x", "-h"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepted),
		cmocka_unit_test(refused),
		cmocka_unit_test(help),
	};

	return RUN_TAP(tests);
}
