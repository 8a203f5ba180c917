/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_DNS_REPORT_H
#define REDIRECT_DNS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errmsg.h"
#include "lib/parse.h"
#include "dns/codec.h"

/*
 * What a survey asks and what it found: every authoritative server of a
 * domain, what it answers for the names mail clients use, and whether any
 * of it still names this host. The survey (survey.c) fills it; the
 * functions here read it, pure: what `redirect dns` prints and what
 * `check --domain` waits for.
 */

#define DNS_DOMAINS_MAX 16
#define DNS_NAMES_MAX 32		/* --name */
#define DNS_SERVERS_MAX 64		/* per domain: NS hosts times addresses, or --server */

/* old: some answer names this host; new: none does; unknown: cannot tell. */
enum dns_status { DNS_STATUS_NEW, DNS_STATUS_OLD, DNS_STATUS_UNKNOWN };

/* Why a server's answers are missing or cannot be trusted. */
enum dns_fault {
	DNS_FAULT_NONE,
	DNS_FAULT_NO_ADDRESS,	/* an NS host without A or AAAA: nobody to ask */
	DNS_FAULT_TIMEOUT,	/* no reply to any try */
	DNS_FAULT_UNREACHABLE,	/* ICMP: nothing on port 53, no route (code: errno) */
	DNS_FAULT_LAME,		/* replied without AA: it does not serve the zone */
	DNS_FAULT_RCODE,	/* SERVFAIL, REFUSED, ... (code: the rcode) */
	DNS_FAULT_NXDOMAIN,	/* says the domain does not exist */
	DNS_FAULT_MALFORMED,	/* a reply glibc's parser refuses */
	DNS_FAULT_ERROR,	/* this host could not ask (code: errno) */
};

/* Why a domain has no servers to ask. */
enum dns_domain_fault {
	DNS_DOMAIN_OK,
	DNS_DOMAIN_NXDOMAIN,	/* the resolver says it does not exist */
	DNS_DOMAIN_NO_NS,	/* it exists, but has no NS records: not a zone */
	DNS_DOMAIN_NO_ANSWER,	/* the resolver did not answer, or SERVFAIL */
	DNS_DOMAIN_REFUSED,	/* the resolver refused */
	DNS_DOMAIN_NO_SERVERS,	/* NS records, but none we could use */
};

/* One address of a checked name, as one server answered it. */
struct dns_record {
	char name[DNS_NAME_BUF];	/* the name checked */
	char cname[DNS_NAME_BUF];	/* where its CNAME chain ends; "" without one */
	const char *via;		/* why: "MX", "_imaps._tcp", "--name" (static) */
	uint16_t type;			/* DNS_T_A or DNS_T_AAAA */
	struct address addr;
	uint32_t ttl;			/* the largest along its chain: how long caches keep it */
	enum dns_points points_to;
};

/*
 * A mail service a server names: an MX host on port 25, an SRV target on
 * the record's port. Where TLS names and TLSA records are looked for.
 */
struct dns_service {
	char name[DNS_NAME_BUF];	/* the host: mail.example.org */
	uint16_t port;
	const char *via;		/* "MX", "_imaps._tcp", or the caller's (static) */
};

/*
 * A checked name for which a server has no address: none (the rcode
 * says), or none that can be known (a CNAME chain that loops or goes on
 * past DNS_CHAIN_MAX: then the server's status is unknown).
 */
struct dns_missing {
	char name[DNS_NAME_BUF];
	const char *via;
	int rcode;			/* NOERROR (no such record) or NXDOMAIN */
	enum dns_chain_end chain_end;	/* DNS_CHAIN_ENDS, or why there is no end */
};

struct dns_server {
	char name[DNS_NAME_BUF];	/* the NS host; the address itself for --server */
	bool has_addr;
	struct address addr;
	bool resolver;			/* the system's resolver, for names outside the zone */
	bool has_serial;
	uint32_t serial;
	bool lagging;			/* its serial is older than another server's */
	bool skipped;			/* no route from here, and its host answered elsewhere */
	enum dns_status status;
	enum dns_fault fault;
	int fault_code;
	char fault_query[DNS_NAME_BUF + 8];	/* what it failed to answer: "example.org SOA" */
	struct dns_record *records;
	unsigned int nrecords;
	struct dns_missing *missing;
	unsigned int nmissing;
	struct dns_service *services;	/* its MX hosts and SRV targets, as it gave them */
	unsigned int nservices;
};

/* The families in which this host may be behind NAT (dns_options.public_unknown). */
#define DNS_NAT_V4 0x1u
#define DNS_NAT_V6 0x2u

struct dns_domain {
	char name[DNS_NAME_BUF];
	enum dns_status status;
	enum dns_domain_fault fault;
	bool has_serial;
	uint32_t newest_serial;
	struct dns_server *servers;
	unsigned int nservers;
	struct dns_server outside;	/* names not under the domain, asked of the resolver */
	unsigned int public_unknown;	/* unknown: its answers name only addresses that are
					 * neither old nor new, and this host may have a
					 * public one nobody named (dns_options): the
					 * families (DNS_NAT_V4...) that made it so, or 0 */
};

struct dns_report {
	unsigned int public_unknown;	/* dns_options.public_unknown, for the statuses */
	enum dns_status status;
	struct dns_domain *domains;
	unsigned int ndomains;
};

struct dns_options {
	const char *const *names;	/* --name: asked of the servers of the domain it is in */
	unsigned int nnames;
	const struct address *servers;	/* --server: asked instead of the NS records' hosts */
	unsigned int nservers;
	const struct address *old;	/* this host's addresses */
	unsigned int nold;
	const struct address *new_;	/* the new server's (the state's --to) */
	unsigned int nnew;
	/*
	 * This host may have a public address not among @old (behind NAT it
	 * is on no interface, and nobody gave it), and clients still come:
	 * an answer of these families (DNS_NAT_V4 | DNS_NAT_V6) that is
	 * neither old nor new may then name this host, so a domain no answer
	 * names as old is unknown rather than new. 0: none may.
	 */
	unsigned int public_unknown;
	unsigned int timeout_ms;	/* per try; DNS_TIMEOUT_MS */
	unsigned int retries;		/* DNS_RETRIES */
};

/* The report's memory (whatever dns_survey() returned). */
void dns_report_free(struct dns_report *r);

/* ---- pure, over a report ---- */

/* Lag, and every status from the servers up, from what the survey found. */
void dns_report_finish(struct dns_report *r);

const char *dns_status_name(enum dns_status s);

/* The fault a query's error is: -ETIMEDOUT a timeout, -ECONNREFUSED unreachable, ... */
enum dns_fault dns_fault_of_errno(int err);

/*
 * The largest TTL among the answers that name this host: how long a
 * resolver may still hand them out after they are fixed. 0 without one;
 * @which and @where (may be NULL) say whose it is.
 */
uint32_t dns_report_old_ttl(const struct dns_report *r, const struct dns_record **which,
			    const struct dns_server **where);

/*
 * Each problem as one sentence saying what to fix, without a final full
 * stop: "ns2.example.org (192.0.2.54, serial 1) still answers
 * mail.example.org A 203.0.113.1 ...". Returns how many.
 */
typedef void (*dns_problem_cb)(const char *sentence, void *data);
unsigned int dns_report_problems(const struct dns_report *r, dns_problem_cb cb, void *data);

/* The same for one domain of the report (@cb may be NULL: only counts). */
unsigned int dns_domain_problems(const struct dns_domain *d, dns_problem_cb cb, void *data);

/* The first of them into @buf; false when there is none. */
bool dns_report_first_problem(const struct dns_report *r, char *buf, size_t len);

#endif
