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
		print_error("--- %s (expected)\n%s\n+++ (got)\n%s\n", path, want, text);
		free(want);
		fail_msg("output differs from %s", path);
	}
	free(want);
}
