/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_DNS_SURVEY_WORK_H
#define REDIRECT_DNS_SURVEY_WORK_H

#include <stdbool.h>
#include <stdint.h>

#include "dns/query.h"
#include "dns/report.h"

/*
 * The survey's working state, shared by its parts: servers.c finds each
 * domain's servers and asks them about the domain (rounds 1 to 3),
 * survey.c asks them the names' addresses (4, 5) and runs the rounds. The
 * helpers here put queries into the engine and read the replies back.
 */

#define NS_HOSTS_MAX 32
#define TARGETS_MAX 256		/* names checked per server */

/* RFC 6186 and RFC 8314: where mail clients look for their servers. */
#define NSRV 6
extern const char *const srv_names[NSRV];

/* Why a name is checked (struct dns_record's via). */
extern const char via_mx[], via_implicit[], via_name[];

/* A name to check at one server, and its two queries (-1 until asked). */
struct target {
	char name[DNS_NAME_BUF];
	const char *via;
	int q4, q6;
};

/* One server's queries, beside its dns_server in the report. */
struct asked {
	struct dns_target to;
	int soa, mx, srv[NSRV];
	struct target *targets;
	unsigned int ntargets, cap;
	unsigned int nread;	/* targets whose answers are in the report */
};

struct ns_host {
	char name[DNS_NAME_BUF];
	int q4, q6;
};

struct domain_work {
	struct ns_host ns[NS_HOSTS_MAX];
	unsigned int nns;
	struct asked servers[DNS_SERVERS_MAX];
	struct asked outside;
};

struct survey {
	const struct dns_options *opt;
	struct dns_report *r;
	struct domain_work *w;
	struct dns_engine en;
	struct dns_system sys;
	struct address groups[DNS_DOMAINS_MAX * DNS_SERVERS_MAX];
	unsigned int ngroups;
	int err;			/* the first local failure: no memory */
	struct dns_answer ans;		/* one parsed reply at a time */
	uint8_t reply[DNS_MESSAGE_MAX];	/* res_nquery's */
};

enum reply_need { NEED_AA, ALLOW_REFERRAL, RECURSIVE };

/* A query into the engine; the first failure to add one is kept (s->err) for the end. */
int survey_ask(struct survey *s, const char *name, uint16_t type, const struct dns_target *to,
	       int group);

/*
 * The number of a server's queries in the engine: one per address, across
 * domains, for an ICMP error from an address is the same for every query.
 */
int survey_group(struct survey *s, unsigned int d, unsigned int i);

/* What went wrong with @srv, the first time only (@q: the query, may be NULL). */
void survey_fault(struct dns_server *srv, enum dns_fault f, int code,
		  const struct dns_query *q);

/*
 * The reply to query @idx, parsed into s->ans; false, with the server's
 * fault set, when there is none to use (see @need).
 */
bool survey_read_reply(struct survey *s, struct dns_server *srv, int idx,
		       enum reply_need need);

/* A name to check at @a, once; at the domain's server when it is in the domain. */
void survey_add_target_to(struct survey *s, struct asked *a, const char *name, const char *via);
void survey_add_target(struct survey *s, unsigned int d, struct asked *a, const char *name,
		       const char *via);

/* The domain a --name belongs to: the longest one it is under; -1 for none. */
int survey_domain_of(const struct survey *s, const char *name);

/* Every query added since the last run, to its end. */
int survey_run(struct survey *s, struct errmsg *e);

#endif
