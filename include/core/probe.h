/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_PROBE_H
#define REDIRECT_CORE_PROBE_H

#include <stdbool.h>

#include "lib/parse.h"
#include "lib/spec.h"

#define PROBE_TIMEOUT_MS 3000
#define PROBE_MAX (2 * SPEC_MAX_SERVICES)

/* How a probe ended: the pre-flight tells the causes apart by it. */
enum probe_outcome {
	PROBE_ANSWERED,		/* greeted (or, a TLS port, accepted): ok */
	PROBE_REFUSED,		/* a RST: the host is there, nothing listens */
	PROBE_SILENT,		/* nothing came back in time, or no route */
	PROBE_NOT_MAIL,		/* something answered, not a mail server */
};

/* One port of NEW, and what it answered. */
struct probe {
	struct address target;
	struct service svc;
	bool ok;
	enum probe_outcome outcome;
	char got[160];		/* what it answered, or why there was no answer */
};

/*
 * Connects to every (target, port) at once, from this host, and waits at
 * most @timeout_ms in all. A plain mail port must greet like a mail
 * server of its kind (220, +OK, * OK, OK); an implicit-TLS port and a bare
 * port number must accept the connection. The probe says goodbye the way
 * the protocol wants (QUIT, LOGOUT) before it closes.
 */
void probe_run(struct probe *probes, unsigned int n, int timeout_ms);

/* The probes @spec asks for: each service on each target. */
unsigned int probe_plan(const struct spec *spec, struct probe *out);

/* The same at other addresses (NEW's tunnel addresses): NULL for a family not probed. */
unsigned int probe_plan_at(const struct spec *spec, const struct address *at4,
			   const struct address *at6, struct probe *out);

/* Whether @line is a greeting for @svc; pure, for tests and the fuzzer. */
bool probe_greeting_ok(const struct service *svc, const char *line);

#define PROBE_LINE_MAX 512

enum probe_scan { PROBE_MORE, PROBE_GREETED, PROBE_WRONG };

/*
 * Scans what a server has said so far (@buf, *@len bytes, room for
 * PROBE_LINE_MAX) for its greeting; an unfinished line is kept at the
 * start of @buf for the next read. @got says what was found. Pure.
 */
enum probe_scan probe_scan_greeting(const struct service *svc, char *buf, size_t *len,
				   char *got, size_t got_len);

#endif
