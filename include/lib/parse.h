/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_LIB_PARSE_H
#define REDIRECT_LIB_PARSE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/errmsg.h"

/* Longest value accepted on the command line or in the state file. */
#define PARSE_VALUE_MAX 256

/* Durations are bounded: nobody means a redirect that remembers for years. */
#define DURATION_MAX_SECONDS (366ULL * 24 * 3600)

struct address {
	int family;			/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} in;
};

struct prefix {
	struct address addr;
	uint8_t len;
};

/*
 * Each parser fills its output only when it succeeds, and otherwise says
 * in @e which value it refused and why.
 */

/* An IP literal, nothing else: no host names, no prefixes, no zones. */
int parse_address(const char *s, struct address *out, struct errmsg *e);

/* ADDRESS or ADDRESS/LEN with no host bits set. */
int parse_prefix(const char *s, struct prefix *out, struct errmsg *e);

/* 1-65535, decimal digits only. */
int parse_port(const char *s, uint16_t *out, struct errmsg *e);

/* "45s", "90m", "36h", "7d", "1d12h", or bare seconds; 1s to 366d. */
int parse_duration(const char *s, uint64_t *seconds, struct errmsg *e);

/* Unsigned decimal, no sign, no leading garbage, at most @max. */
int parse_u64(const char *s, uint64_t max, uint64_t *out);

/* Why a target address is no good ("loopback", ...), or NULL if it is. */
const char *address_unusable(const struct address *a);

/*
 * Whether @a is of the ranges never routed on the internet (not "globally
 * reachable" in RFC 6890's registry), which a host behind a provider's NAT
 * has on its interfaces: RFC 1918, the shared 100.64.0.0/10 (RFC 6598),
 * link-local, benchmarking (198.18.0.0/15), documentation (RFC 5737,
 * 2001:db8::/32, RFC 3849), IPv6's unique local fc00::/7.
 */
bool address_not_global(const struct address *a);

bool address_equal(const struct address *a, const struct address *b);
/* @a at @port, for connect(): fills @ss, returns the length it filled. */
socklen_t address_sockaddr(const struct address *a, uint16_t port, struct sockaddr_storage *ss);
/* 0.0.0.0 or ::, as a socket bound to every address has it. */
bool address_unspecified(const struct address *a);
/* 127.0.0.0/8 or ::1. */
bool address_loopback(const struct address *a);
/* The address of @sa (AF_INET or AF_INET6), into @a. */
void address_from_sockaddr(const struct sockaddr *sa, struct address *a);
bool prefix_contains(const struct prefix *p, const struct address *a);

/* Text forms, in buffers of INET6_ADDRSTRLEN + 4 bytes. */
#define ADDRESS_STRLEN (INET6_ADDRSTRLEN + 4)
const char *address_str(const struct address *a, char *buf);
const char *prefix_str(const struct prefix *p, char *buf);

#endif
