/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_AGGREGATE_H
#define REDIRECT_CORE_AGGREGATE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/parse.h"
#include "lib/spec.h"

#define NEVER (-1)
#define UNANSWERED_KEPT 64
#define STRANGERS_KEPT 8

struct service_stats {
	struct service svc;
	bool former;		/* no longer redirected: a switch left its sessions open */
	uint64_t attempts;	/* SYNs redirected since enable (or the last restore) */
	uint64_t answered;	/* ... that NEW answered with a SYN-ACK */
	uint64_t connections;	/* ... whose handshake with NEW completed */
	uint64_t active;	/* redirected flows open now */
	uint64_t bytes;		/* carried both ways since enable */
	int64_t last_seen;	/* seconds ago, or NEVER */
	int64_t last_attempt_ms; /* NEW: the last SYN through the tunnel, ms ago, or NEVER */
	int64_t last_answer_ms;	/* NEW's last answer, ms ago, or NEVER */
};

struct source_stats {
	struct address addr;
	uint64_t connections;
	int64_t last_seen;	/* seconds ago */
	uint32_t services;	/* bit i: spec.services[i] */
};

/*
 * Who still uses the old address: built from the named counters (totals),
 * the stale-source sets (who, for what, when) and conntrack (open now).
 * The add functions take what the kernel reports, one item at a time, so
 * memory grows with distinct sources, never with flows.
 */
struct stats {
	struct spec spec;
	struct service_stats services[SPEC_MAX_SERVICES];
	unsigned int nservices;
	struct source_stats *sources;	/* after stats_finish: most recent first */
	unsigned int nsources, sources_cap;
	unsigned int elements;		/* stale-source set elements seen */
	unsigned int set_elements[2];	/* ... per family: [0] IPv4, [1] IPv6 */
	unsigned int set_size[2];	/* what those sets can hold (0: no such set) */
	unsigned int unanswered_now;	/* SYNs in conntrack NEW has not answered */
	unsigned int nunanswered;	/* ... of which these are kept: */
	struct unanswered {
		struct address client;
		uint16_t port;
		uint32_t waiting;	/* seconds since its last SYN */
	} unanswered[UNANSWERED_KEPT];
	int64_t last_seen;		/* newest over all services, or NEVER */
	uint64_t attempts, answered, connections, active, bytes;	/* totals */
	uint64_t active_elsewhere;	/* open on a port no row has room for (in active) */
	uint64_t tunnel_dropped;	/* packets out of the tunnels the guards dropped */
	unsigned int nstrangers;	/* tunnel packets from elsewhere: their sources */
	struct stranger {
		struct address addr;
		uint64_t packets;
		int64_t last_seen;	/* seconds ago */
	} strangers[STRANGERS_KEPT];	/* after stats_finish: most recent first */
	int64_t refused_ms;		/* since the other end's host last refused the tunnel's UDP */
	int64_t alive_ms;		/* ... since it last showed its end is there; NEVER each */
	bool far_end_gone;		/* refused since: no session through the tunnel lives */
};

void stats_init(struct stats *st, const struct spec *spec);
void stats_free(struct stats *st);

/* A counter object: "smtp" counts connections, "smtp_attempts", "smtp_answered", "smtp_traffic" bytes. */
void stats_add_counter(struct stats *st, const char *name, uint64_t packets, uint64_t bytes);

/* A stale-source element: (client, port), its count, and how long ago it was refreshed. */
int stats_add_source(struct stats *st, const struct address *client, uint16_t port,
		     uint64_t connections, int64_t seconds_ago);

/*
 * An open redirected flow from conntrack. One of a service no longer
 * redirected (a switch left it open) gets a row of its own.
 */
void stats_add_active(struct stats *st, uint16_t port);

/* The counter of the tunnels' guards, a source of tunnel packets from elsewhere. */
void stats_add_stranger(struct stats *st, const struct address *addr, uint64_t packets,
			int64_t seconds_ago);

/*
 * The other end's host refused the tunnel's UDP @ms_ago. Once the services'
 * last events are in: whether its end is gone, that is, nothing came from
 * it since (on OLD: NEW answered no SYN; on NEW: no SYN came through).
 */
void stats_add_refused(struct stats *st, int64_t ms_ago);
void stats_judge_far_end(struct stats *st);

/* What a service last had, @ms_ago: each from a set of ports refreshed at each. */
enum service_event { EVENT_CONNECTION, EVENT_ATTEMPT, EVENT_ANSWER };
void stats_add_service_time(struct stats *st, uint16_t port, enum service_event which,
			    int64_t ms_ago);

/* A SYN in conntrack that NEW has not answered, @waiting seconds since it was (re)sent. */
void stats_add_unanswered(struct stats *st, const struct address *client, uint16_t port,
			  uint32_t waiting);

/* Totals, and sources sorted most recent first. */
void stats_finish(struct stats *st);

/* Index of the service on @port in the spec, or -1. */
int stats_service_index(const struct stats *st, uint16_t port);

#endif
