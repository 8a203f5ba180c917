/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_DNS_DANE_H
#define REDIRECT_DNS_DANE_H

#include <stdbool.h>
#include <stdint.h>

#include "dns/report.h"
#include "lib/errmsg.h"
#include "lib/tlsa.h"

/*
 * The TLSA records of mail services (RFC 6698, RFC 7672): for each name
 * and port, _PORT._tcp.NAME asked of every authoritative server that
 * dns_survey() found for the name's domain, all at once, with EDNS0 and
 * the DO bit so that the RRSIGs come too (TCP when the reply is
 * truncated). What each server said is kept apart: while a server lags,
 * senders may get either answer. Validation is the senders' business;
 * what is reported is whether the records came signed.
 */

#define DNS_TLSA_OWNERS_MAX 256

enum dns_tlsa_status {
	DNS_TLSA_FOUND,		/* NOERROR and TLSA records (set.n + set.skipped > 0) */
	DNS_TLSA_NODATA,	/* NOERROR, no TLSA records: no DANE on this port */
	DNS_TLSA_NXDOMAIN,	/* the name does not exist: no DANE on this port */
	DNS_TLSA_ELSEWHERE,	/* delegated further down, or a CNAME out of the zone:
				   the system resolver's answer follows this one */
	DNS_TLSA_FAILED,	/* no usable answer: fault says why */
};

/* One server's answer for one owner. */
struct dns_tlsa_answer {
	char server[DNS_NAME_BUF];	/* the NS host (as in the report), or "the system resolver" */
	bool has_addr;
	struct address addr;		/* the address asked */
	bool resolver;			/* asked of the system resolver, with recursion */
	enum dns_tlsa_status status;
	enum dns_fault fault;		/* FAILED: as the survey says it (timeout, rcode, ...) */
	int fault_code;			/* the rcode, or the errno */
	bool zone_signed;		/* RRSIGs came with the reply: the zone is signed */
	bool tcp;			/* the UDP reply was truncated: this one came by TCP */
	char cname[DNS_NAME_BUF];	/* where the owner's CNAME chain ends; "" without one */
	struct tlsa_rrset set;		/* FOUND: the records, their TTL, is_signed */
};

/* The TLSA of one service, from every server asked. */
struct dns_tlsa_owner {
	struct dns_service svc;		/* the host and port, and why it is asked */
	char owner[DNS_NAME_BUF];	/* _25._tcp.mail.example.org */
	int domain;			/* its domain in the report; -1: none, the resolver's */
	bool differ;			/* servers that answered gave different records */
	struct dns_tlsa_answer *answers;
	unsigned int nanswers;
};

struct dns_tlsa_report {
	struct dns_tlsa_owner *owners;
	unsigned int n;
};

/*
 * The services that @r's servers named: every MX host on port 25 and SRV
 * target on its port, once per name and port, in the order first found,
 * into *@out (malloc'd, free() it; NULL when none), their count into *@n.
 * Returns 0 or -ENOMEM.
 */
int dns_report_services(const struct dns_report *r, struct dns_service **out, unsigned int *n);

/*
 * Asks for the TLSA records of each of @svc (given twice: asked once):
 * at every server of the report's domain the name is in (the longest
 * match; a server with a fault in the survey is not asked again, and its
 * answer is FAILED with that fault), or of the system resolver when the
 * name is in none of them or @r is NULL. Fills @out (free it with
 * dns_tlsa_report_free, whatever this returns), its owners in the order
 * of @svc. The return is an error only when nothing could be asked: a
 * name or port that makes no owner (-EINVAL with @e naming it), more than
 * DNS_TLSA_OWNERS_MAX, no memory, poll() failing.
 */
int dns_tlsa_survey(const struct dns_report *r, const struct dns_service *svc, unsigned int n,
		    unsigned int timeout_ms, unsigned int retries, struct dns_tlsa_report *out,
		    struct errmsg *e);

void dns_tlsa_report_free(struct dns_tlsa_report *t);

/*
 * The answer of @o that counts: the first with records; else, when a
 * server failed, the first that failed (then the records are unknown, not
 * absent); else the first. NULL without answers.
 */
const struct dns_tlsa_answer *dns_tlsa_answer_of(const struct dns_tlsa_owner *o);

/*
 * Why the FAILED answer @a has no records, naming whom it asked:
 * "ns1.example.org (192.0.2.53) answered SERVFAIL". Returns @buf.
 */
const char *dns_tlsa_failure(const struct dns_tlsa_answer *a, char *buf, size_t len);

/* "found", "no TLSA", "no such name", "delegated", "failed". */
const char *dns_tlsa_status_name(enum dns_tlsa_status s);

#endif
