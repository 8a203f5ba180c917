// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* The first line where @a and @b differ (1-based), and where each starts. */
static unsigned int first_difference(const char *a, const char *b, const char **la,
				     const char **lb)
{
	unsigned int line = 1;

	*la = a;
	*lb = b;
	for (; *a && *a == *b; a++, b++)
		if (*a == '\n') {
			line++;
			*la = a + 1;
			*lb = b + 1;
		}
	return line;
}

/*
 * A mismatch leaves what the test got beside the build's other outputs
 * (the source tree may be read-only, as in distcheck), and says where the
 * two part and how to see all of it: the .got file is the failure record.
 */
static void report_mismatch(const char *path, const char *name, const char *want,
			    const char *got)
{
	const char *dir = getenv("GOLDEN_GOT_DIR");
	const char *lw, *lg;
	unsigned int line = first_difference(want, got, &lw, &lg);
	char got_path[512];
	FILE *f;

	snprintf(got_path, sizeof(got_path), "%s/%s.got", dir ? dir : ".", name);
	f = fopen(got_path, "w");
	if (f) {
		fputs(got, f);
		fclose(f);
	}
	print_error("%s differs from what the test got, first at line %u:\n"
		    "  expected: %.*s\n  got:      %.*s\n"
		    "see all of it: diff -u %s %s\n"
		    "(REDIRECT_UPDATE_GOLDEN=1 rewrites the golden file; review the diff before committing)\n",
		    path, line, (int)strcspn(lw, "\n"), lw, (int)strcspn(lg, "\n"), lg,
		    path, f ? got_path : "(could not write the .got file)");
}

/* A match: the record of an earlier failure goes. */
static void remove_stale_got(const char *name)
{
	const char *dir = getenv("GOLDEN_GOT_DIR");
	char got_path[512];

	snprintf(got_path, sizeof(got_path), "%s/%s.got", dir ? dir : ".", name);
	remove(got_path);
}

void assert_golden(const char *name, const char *text)
{
	const char *dir = getenv("GOLDEN_DIR");
	char path[512];
	char *want;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/unit/golden", name);
	if (getenv("REDIRECT_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(text, f);
		fclose(f);
		return;
	}
	want = read_file(path);
	if (!want)
		fail_msg("golden file %s is missing (REDIRECT_UPDATE_GOLDEN=1 writes it)", path);
	if (strcmp(want, text)) {
		report_mismatch(path, name, want, text);
		free(want);
		fail_msg("output differs from %s", path);
	}
	free(want);
	remove_stale_got(name);
}
