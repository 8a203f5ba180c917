// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pre-flight probe of NEW's mail ports: all of them at once with
 * non-blocking sockets and one poll() loop, so the whole probe takes at
 * most the timeout, however many ports.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/probe.h"

enum phase { CONNECTING, GREETING, DONE };

struct conn {
	int fd;
	enum phase phase;
	char buf[PROBE_LINE_MAX];
	size_t len;
};

unsigned int probe_plan(const struct spec *spec, struct probe *out)
{
	return probe_plan_at(spec, spec->has_to4 ? &spec->to4 : NULL,
			     spec->has_to6 ? &spec->to6 : NULL, out);
}

unsigned int probe_plan_at(const struct spec *spec, const struct address *at4,
			   const struct address *at6, struct probe *out)
{
	const struct address *targets[2] = { at4, at6 };
	unsigned int t, i, n = 0;

	for (t = 0; t < 2; t++) {
		if (!targets[t])
			continue;
		for (i = 0; i < spec->nservices; i++) {
			memset(&out[n], 0, sizeof(out[n]));
			out[n].target = *targets[t];
			out[n++].svc = spec->services[i];
		}
	}
	return n;
}

static const struct known_service *expects(const struct service *svc)
{
	const struct known_service *k = known_service_by_port(svc->port);

	return k && k->greeting ? k : NULL;
}

bool probe_greeting_ok(const struct service *svc, const char *line)
{
	const struct known_service *k = expects(svc);

	if (!k)
		return true;
	if (!strncmp(line, k->greeting, strlen(k->greeting)))
		return true;
	/* IMAP may greet a client it already knows with PREAUTH */
	return svc->port == 143 && !strncmp(line, "* PREAUTH", 9);
}

static void finish(struct probe *p, struct conn *c, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void finish(struct probe *p, struct conn *c, bool ok, const char *fmt, ...)
{
	va_list ap;

	p->ok = ok;
	if (ok)
		p->outcome = PROBE_ANSWERED;
	va_start(ap, fmt);
	vsnprintf(p->got, sizeof(p->got), fmt, ap);
	va_end(ap);
	c->phase = DONE;
}

static void start(struct probe *p, struct conn *c)
{
	struct sockaddr_storage ss;
	socklen_t len;

	memset(&ss, 0, sizeof(ss));
	if (p->target.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(p->svc.port);
		sin->sin_addr = p->target.in.v4;
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p->svc.port);
		sin6->sin6_addr = p->target.in.v6;
		len = sizeof(*sin6);
	}
	c->fd = socket(p->target.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	c->phase = CONNECTING;
	p->outcome = PROBE_SILENT;
	if (c->fd < 0) {
		finish(p, c, false, "%s", strerror(errno));
	} else if (connect(c->fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
		p->outcome = errno == ECONNREFUSED ? PROBE_REFUSED : PROBE_SILENT;
		finish(p, c, false, "%s", strerror(errno));
	}
}

static void connected(struct probe *p, struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	p->outcome = err == ECONNREFUSED ? PROBE_REFUSED : PROBE_SILENT;
	if (err)
		finish(p, c, false, "%s", strerror(err));
	else if (!expects(&p->svc))
		finish(p, c, true, "%s", "accepts connections");
	else
		c->phase = GREETING;
}

/* The greeting line, printable, for the report. */
static void clean_line(char *line)
{
	char *s;

	line[strcspn(line, "\r\n")] = '\0';
	for (s = line; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

enum probe_scan probe_scan_greeting(const struct service *svc, char *buf, size_t *len,
				   char *got, size_t got_len)
{
	char *line = buf, *nl;

	buf[*len] = '\0';
	for (; (nl = memchr(line, '\n', *len - (size_t)(line - buf))); line = nl + 1) {
		*nl = '\0';
		clean_line(line);
		if (probe_greeting_ok(svc, line)) {
			snprintf(got, got_len, "greets: %.120s", line);
			return PROBE_GREETED;
		}
		/* ManageSieve lists capabilities first; others greet at once */
		if (svc->port != 4190 || !strncmp(line, "NO", 2) || !strncmp(line, "BYE", 3)) {
			snprintf(got, got_len, "answered '%.120s', not a mail server greeting",
				 line);
			return PROBE_WRONG;
		}
	}
	*len -= (size_t)(line - buf);
	memmove(buf, line, *len);
	buf[*len] = '\0';
	if (*len >= PROBE_LINE_MAX - 1) {
		snprintf(got, got_len, "answered a long line that is no mail server greeting");
		return PROBE_WRONG;
	}
	return PROBE_MORE;
}

static void greeting(struct probe *p, struct conn *c)
{
	const struct known_service *k = expects(&p->svc);
	ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	enum probe_scan scan;

	if (n <= 0) {
		p->outcome = PROBE_NOT_MAIL;
		finish(p, c, false, "%s", n == 0 ? "closed the connection without a greeting" :
		       strerror(errno));
		return;
	}
	c->len += (size_t)n;
	scan = probe_scan_greeting(&p->svc, c->buf, &c->len, p->got, sizeof(p->got));
	if (scan == PROBE_MORE)
		return;
	if (scan == PROBE_GREETED && write(c->fd, k->goodbye, strlen(k->goodbye)) < 0)
		scan = PROBE_GREETED;	/* leaving anyway */
	p->ok = scan == PROBE_GREETED;
	p->outcome = p->ok ? PROBE_ANSWERED : PROBE_NOT_MAIL;
	c->phase = DONE;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One poll over every connection still under way; false when all are done. */
static bool poll_once(struct probe *probes, struct conn *conns, unsigned int n, int wait_ms)
{
	struct pollfd pfd[PROBE_MAX];
	unsigned int map[PROBE_MAX], i, k = 0;

	for (i = 0; i < n; i++) {
		if (conns[i].phase == DONE)
			continue;
		pfd[k].fd = conns[i].fd;
		pfd[k].events = conns[i].phase == CONNECTING ? POLLOUT : POLLIN;
		map[k++] = i;
	}
	if (!k)
		return false;
	if (poll(pfd, k, wait_ms) <= 0)
		return true;
	for (i = 0; i < k; i++) {
		unsigned int j = map[i];

		if (!pfd[i].revents)
			continue;
		if (conns[j].phase == CONNECTING)
			connected(&probes[j], &conns[j]);
		else
			greeting(&probes[j], &conns[j]);
	}
	return true;
}

void probe_run(struct probe *probes, unsigned int n, int timeout_ms)
{
	struct conn conns[PROBE_MAX];
	long long deadline = now_ms() + timeout_ms;
	unsigned int i;

	for (i = 0; i < n; i++) {
		memset(&conns[i], 0, sizeof(conns[i]));
		start(&probes[i], &conns[i]);
	}
	while (now_ms() < deadline && poll_once(probes, conns, n, (int)(deadline - now_ms())))
		;
	for (i = 0; i < n; i++) {
		probes[i].outcome = conns[i].phase == GREETING ? PROBE_NOT_MAIL : probes[i].outcome;
		if (conns[i].phase == CONNECTING)
			probes[i].outcome = PROBE_SILENT;
		if (conns[i].phase != DONE)
			finish(&probes[i], &conns[i], false, "%s",
			       conns[i].phase == CONNECTING ? "no answer within 3s (filtered?)" :
			       "connected, but no greeting within 3s");
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	}
}
