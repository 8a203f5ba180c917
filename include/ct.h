/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CT_H
#define REDIRECT_CT_H

#include <stdbool.h>
#include <stdint.h>

#include "errmsg.h"
#include "parse.h"

/* One redirected connection, as conntrack has it now. */
struct ct_flow {
	struct address client;	/* the original source */
	uint16_t port;		/* the original destination port: the service */
	uint8_t tcp_state;	/* TCP_CONNTRACK_* */
	bool open;		/* not lingering in TIME_WAIT or CLOSE */
	uint64_t bytes;		/* both directions, when conntrack accounting is on */
};

typedef void (*ct_flow_cb)(const struct ct_flow *flow, void *data);

/*
 * Streams every conntrack entry that carries our mark, one at a time: the
 * kernel filters by mark, so entries that are not ours never cross into
 * user space, and memory stays flat however many flows there are.
 */
int ct_dump_redirected(ct_flow_cb cb, void *data, struct errmsg *e);

/* How many redirected flows are still open. */
int ct_count_open(unsigned int *open, struct errmsg *e);

#endif
