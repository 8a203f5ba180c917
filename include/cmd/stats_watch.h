/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CMD_STATS_WATCH_H
#define REDIRECT_CMD_STATS_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/observe.h"
#include "cmd/stats_text.h"

/* What watch mode remembers from one look to the next. */
struct watch {
	bool have_prev;
	uint64_t prev[SPEC_MAX_SERVICES];
	uint64_t history[SPEC_MAX_SERVICES][SPARK_LEN];
	unsigned int filled;
	char spark[SPEC_MAX_SERVICES][SPARK_LEN * 3 + 1];
	struct rates rates;
};

/* The connections since the last look, @interval seconds ago, into @w's rates. */
void watch_update(struct watch *w, const struct stats *st, uint64_t interval);

/* Without a terminal, one line per look: easy to log and grep. */
void watch_line(FILE *f, const struct snapshot *s);

/* SIGINT and SIGTERM end the watch (after the look under way), not the process. */
void watch_catch_signals(void);
bool watch_stopped(void);

#endif
