/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_DNS_QUERY_H
#define REDIRECT_DNS_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>

#include "dns/codec.h"
#include "lib/errmsg.h"

/*
 * The sockets of DNS: every query of a round in flight at once, each on a
 * UDP socket of its own (a fresh source port and a random ID, so a spoofed
 * answer has to guess both), one poll() loop with a deadline per query,
 * a retry with a new socket and ID, TCP when an answer is truncated. The
 * engine owns its sockets as nft/transport.c owns the nftables one; what
 * comes back is handed over as it came, for codec.c to read.
 */

#define DNS_TARGETS_MAX 3		/* resolv.conf's nameservers (MAXNS) */
#define DNS_INFLIGHT_MAX 256		/* sockets open at once: well below RLIMIT_NOFILE */
#define DNS_QUERIES_MAX 16384		/* per engine: bounds the memory a run can take */

/* Where a query goes: one authoritative server, or each resolver in turn. */
struct dns_target {
	unsigned int n;
	struct sockaddr_storage addr[DNS_TARGETS_MAX];
	socklen_t len[DNS_TARGETS_MAX];
};

/* Port 53 of @a. */
void dns_target_of(const struct address *a, struct dns_target *t);

enum dns_phase { DNS_WAITING, DNS_UDP, DNS_TCP_CONNECT, DNS_TCP_SEND, DNS_TCP_RECV, DNS_DONE };

struct dns_query {
	/* what to ask, and whom */
	char name[DNS_NAME_BUF];
	uint16_t type;
	bool rd;
	int group;		/* one server's queries: an ICMP error fails them all */
	struct dns_target to;
	/* what came back */
	int err;		/* 0: @answer holds the reply; -ETIMEDOUT, -ECONNREFUSED, ... */
	uint8_t *answer;
	size_t answer_len;
	unsigned int tries;	/* over UDP */
	bool tcp;		/* the answer came by TCP */
	/* the engine's */
	enum dns_phase phase;
	int fd;
	uint16_t id;
	uint8_t packet[2 + DNS_QUERY_MAX];	/* TCP's length prefix, then the query */
	size_t packet_len;			/* of the query alone */
	size_t done, need;			/* TCP: bytes sent or received, the reply's size */
	int64_t deadline;			/* CLOCK_MONOTONIC, ms */
};

struct dns_engine {
	struct dns_query *q;
	unsigned int n, cap;
	unsigned int next;		/* the first query not started yet */
	unsigned int inflight;
	unsigned int timeout_ms, retries;
	uint8_t *buf;			/* one UDP reply at a time */
};

void dns_engine_init(struct dns_engine *en, unsigned int timeout_ms, unsigned int retries);

/*
 * Adds a query, sent at the next dns_engine_run(); @group >= 0 names the
 * authoritative server @to is, -1 is for resolvers (RD). Returns its
 * index, stable for the engine's life; -ENOMEM, -E2BIG, -EINVAL (a name
 * that cannot be sent).
 */
int dns_engine_add(struct dns_engine *en, const char *name, uint16_t type, bool rd,
		   const struct dns_target *to, int group);

/*
 * As dns_engine_add, with EDNS0 and the DO bit (dns_add_edns): replies up
 * to DNS_EDNS_UDP bytes over UDP, with the RRSIGs that cover the answer.
 */
int dns_engine_add_dnssec(struct dns_engine *en, const char *name, uint16_t type, bool rd,
			  const struct dns_target *to, int group);

/*
 * Runs every query added since the last run to its end: an answer, or an
 * error in its err. Fails itself only when poll() does (-errno).
 */
int dns_engine_run(struct dns_engine *en, struct errmsg *e);

static inline const struct dns_query *dns_engine_query(const struct dns_engine *en,
						       unsigned int i)
{
	return &en->q[i];
}

void dns_engine_free(struct dns_engine *en);

/* The system's resolver, as resolv.conf sets it up (res_ninit). */
struct dns_system {
	struct __res_state res;
	struct dns_target resolvers;
	bool open;
};

/*
 * Reads resolv.conf. Blocking lookups through it (res_nquery) then wait
 * @timeout_ms (whole seconds, at least one) per try, @retries + 1 tries,
 * whatever resolv.conf's timeout and attempts say.
 */
int dns_system_open(struct dns_system *s, unsigned int timeout_ms, unsigned int retries,
		    struct errmsg *e);

/*
 * One blocking question to the resolver (res_nquery): the reply's length;
 * -ENOENT when the name does not exist, -ENODATA when it has no such
 * record, -EAGAIN when no resolver answered (or SERVFAIL), -EIO when they
 * refused.
 */
int dns_system_query(struct dns_system *s, const char *name, uint16_t type, uint8_t *buf,
		     size_t len);

void dns_system_close(struct dns_system *s);

/* The first nameserver resolv.conf names, into @out; false when none is open. */
bool dns_system_first(const struct dns_system *s, struct address *out);

#endif
