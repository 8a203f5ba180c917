// SPDX-License-Identifier: GPL-2.0-or-later
/* The list of what a look before a change found (see findings.h). */
#include <stdarg.h>
#include <stdio.h>

#include "lib/findings.h"

void findings_add(struct findings *f, enum finding_level level, const char *fmt, ...)
{
	va_list ap;

	if (f->n == FINDINGS_MAX)
		return;
	f->items[f->n].level = level;
	va_start(ap, fmt);
	vsnprintf(f->items[f->n].text, sizeof(f->items[f->n].text), fmt, ap);
	va_end(ap);
	f->n++;
	if (level == FINDING_REFUSE)
		f->refused = true;
}
