// SPDX-License-Identifier: GPL-2.0-or-later
/* stats --watch: the rates and history between looks, and the line per look. */
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "lib/format.h"
#include "cmd/stats_watch.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

void watch_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART: sleeps end */

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

bool watch_stopped(void)
{
	return stop;
}

/* A sparkline of the last intervals' new connections, in eighths. */
static void sparkline(const uint64_t *values, unsigned int n, char *out)
{
	static const char *const bars[] = {
		" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█",
	};
	uint64_t max = 0;
	unsigned int i;

	out[0] = '\0';
	for (i = 0; i < n; i++)
		if (values[i] > max)
			max = values[i];
	for (i = 0; i < n; i++)
		strcat(out, bars[max ? (values[i] * 8 + max - 1) / max : 0]);
}

void watch_update(struct watch *w, const struct stats *st, uint64_t interval)
{
	unsigned int i, n;

	if (w->filled < SPARK_LEN && w->have_prev)
		w->filled++;
	n = w->filled;
	for (i = 0; i < st->nservices; i++) {
		uint64_t now = st->services[i].connections;
		uint64_t delta = w->have_prev && now >= w->prev[i] ? now - w->prev[i] : 0;

		memmove(&w->history[i][0], &w->history[i][1], (SPARK_LEN - 1) * sizeof(uint64_t));
		w->history[i][SPARK_LEN - 1] = delta;
		w->rates.per_minute[i] = (double)delta * 60.0 / (double)interval;
		sparkline(&w->history[i][SPARK_LEN - n], n, w->spark[i]);
		w->rates.spark[i] = w->spark[i];
		w->prev[i] = now;
	}
	w->rates.show = true;
	w->rates.spark_glyphs = n;
	w->have_prev = true;
}

void watch_line(FILE *f, const struct snapshot *s)
{
	char when[32], ago[FORMAT_BUF];
	time_t t = (time_t)s->now;
	struct tm tm;
	unsigned int i;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", localtime_r(&t, &tm));
	if (!s->state.enabled) {
		fprintf(f, "%s enabled=no\n", when);
		return;
	}
	fprintf(f, "%s enabled=yes installed=%s connections=%" PRIu64 " active=%" PRIu64
		" sources=%u last_seen=%s", when, s->installed ? "yes" : "no", s->st.connections,
		s->st.active, s->st.nsources,
		s->st.last_seen < 0 ? "never" :
		format_duration((uint64_t)s->st.last_seen, ago, sizeof(ago)));
	for (i = 0; i < s->st.nservices; i++)
		fprintf(f, " %s=%" PRIu64, s->st.services[i].svc.name,
			s->st.services[i].connections);
	fputc('\n', f);
}
