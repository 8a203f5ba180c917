/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CMD_STATS_PROM_H
#define REDIRECT_CMD_STATS_PROM_H

#include <stdint.h>
#include <stdio.h>

#include "core/accounts.h"
#include "core/observe.h"

/*
 * One look in the Prometheus text exposition format, for node_exporter's
 * textfile collector: every metric contrib/prometheus/metrics.txt lists.
 * @quiet_for (0: none) is written as the quiet time check requires;
 * @accounts (NULL but on NEW) gives how many accounts came through.
 * Returns the exit status the look deserves.
 */
int stats_render_prometheus(FILE *f, const struct snapshot *s, uint64_t quiet_for,
			    const struct accounts *accounts);

#endif
