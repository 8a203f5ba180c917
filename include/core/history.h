/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_HISTORY_H
#define REDIRECT_CORE_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/state.h"
#include "core/aggregate.h"

/*
 * Folds what the kernel shows at @now (@st, after stats_finish) into @h
 * and fills in, in @st, the
 * last-seen times the kernel no longer shows. When the counters grew but
 * no stale source explains it (a full set), the newest connection is taken
 * to be now: the quiet clock may run late, never early. Returns true when
 * @h changed and is worth writing. Pure, for tests with any clock.
 */
bool history_observe(struct history *h, struct stats *st, int64_t now);

/* Forgets services no longer redirected (after a switch). */
void history_keep_services(struct history *h, const struct spec *spec);

#endif
