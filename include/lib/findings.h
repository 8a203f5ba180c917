/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_LIB_FINDINGS_H
#define REDIRECT_LIB_FINDINGS_H

#include <stdbool.h>

/*
 * What a look before a change found, as sentences for the admin: notes,
 * warnings and refusals. Checks in several layers add to one list (the
 * pre-flight in core/, the other tables' firewalls in nft/); only cli/
 * prints it, and the command decides whether a refusal stops it.
 */
enum finding_level {
	FINDING_INFO,	/* worth knowing */
	FINDING_WARN,	/* read this before going on */
	FINDING_REFUSE,	/* the change stops here unless --force */
};

#define FINDINGS_MAX 48
#define FINDING_TEXT_MAX 1024

struct findings {
	unsigned int n;
	struct {
		enum finding_level level;
		char text[FINDING_TEXT_MAX];
	} items[FINDINGS_MAX];
	bool refused;
	char left_behind[FINDING_TEXT_MAX];	/* what a refused run could not undo, or "" */
};

/* One finding; past FINDINGS_MAX the rest are dropped. */
void findings_add(struct findings *f, enum finding_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
