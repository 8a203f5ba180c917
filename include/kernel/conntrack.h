/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_KERNEL_CONNTRACK_H
#define REDIRECT_KERNEL_CONNTRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/errmsg.h"
#include "lib/parse.h"

/* One redirected connection, as conntrack has it now. */
struct ct_flow {
	struct address client;	/* the original source */
	struct address dest;	/* ... the original destination: this host's address */
	uint16_t sport;		/* ... the client's port */
	uint16_t port;		/* the original destination port: the service */
	struct address target;	/* where it was redirected to (the reply's source) */
	bool masqueraded;	/* its replies come to this host, not to the client */
	bool closed;		/* closed down (TIME_WAIT, CLOSE): only lingering */
	uint8_t tcp_state;	/* TCP_CONNTRACK_* */
	uint32_t idle;		/* seconds since its last packet (established flows) */
	uint32_t mark;		/* its conntrack mark: our bits say how far it got */
	bool open;		/* in use: its handshake with NEW completed, not closing
				 * down, and a packet within IDLE_LIMIT */
	bool unanswered;	/* a SYN still waiting, UNANSWERED_AFTER seconds on, for NEW */
	uint32_t waiting;	/* ... seconds since it was last (re)sent */
	uint64_t bytes;		/* both directions, when conntrack accounting is on */
};

/* NEW answers within milliseconds; a SYN waiting this long got no answer. */
#define UNANSWERED_AFTER 3

/*
 * A client that vanished without a FIN leaves an ESTABLISHED entry for
 * days (nf_conntrack_tcp_timeout_established, 5d by default). A session
 * silent this long is not in use: IMAP IDLE re-arms within 29 minutes
 * (RFC 2177), SMTP servers time out within minutes.
 */
#define IDLE_LIMIT 3600

typedef void (*ct_flow_cb)(const struct ct_flow *flow, void *data);

/*
 * Streams every conntrack entry that carries our mark, one at a time: the
 * kernel filters by mark, so entries that are not ours never cross into
 * user space, and memory stays flat however many flows there are.
 */
int ct_dump_redirected(ct_flow_cb cb, void *data, struct errmsg *e);

/* One conntrack message as the dump parses it: for the fuzzer. */
struct nlmsghdr;
int ct_flow_from_msg(const struct nlmsghdr *nlh, struct ct_flow *flow);

/* How many redirected flows are still open. */
int ct_count_open(unsigned int *open, struct errmsg *e);

/*
 * Ends the redirected flows @end picks: their conntrack entries deleted,
 * so that the next packet of each finds no NAT and is answered with a
 * reset (its sender reconnects). *@ended says how many went.
 */
typedef bool (*ct_flow_pick)(const struct ct_flow *flow, void *data);
int ct_end_flows(ct_flow_pick end, void *data, unsigned int *ended, struct errmsg *e);

/*
 * How full the conntrack table is: its entries now and how many it holds
 * (nf_conntrack_count, nf_conntrack_max); -1 each when it cannot be read
 * (no conntrack in this namespace yet).
 */
void ct_table_usage(int *count, int *max);

/* Over this share of its size, a table (conntrack's, a stale-source list) is nearly full. */
#define FILL_WARN_PERCENT 80

/* Whether the conntrack table is over FILL_WARN_PERCENT full (unknown: not). */
static inline bool conntrack_nearly_full(int count, int max)
{
	return count >= 0 && max > 0 && (int64_t)count * 100 > (int64_t)max * FILL_WARN_PERCENT;
}

#endif
