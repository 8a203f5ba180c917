/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_VERDICT_H
#define REDIRECT_CORE_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/conntrack.h"
#include "core/observe.h"

enum verdict_status { VERDICT_READY, VERDICT_IN_USE, VERDICT_UNKNOWN };

struct verdict {
	enum verdict_status status;
	int64_t quiet;		/* since the last redirected connection, or since enable */
	int64_t required;	/* --quiet-for */
	int64_t ready_in;	/* at the earliest, if nothing more arrives; 0 when ready */
	uint64_t open;		/* redirected sessions open now */
};

/*
 * Ready to retire OLD when nothing has been redirected for @required
 * seconds, the redirect has been on at least that long, and no redirected
 * session is open (an IMAP client can sit on one for days). Pure: the
 * clock is an argument.
 */
void verdict_decide(int64_t now, int64_t since, int64_t last_seen_at, uint64_t open,
		    int64_t required, struct verdict *v);

const char *verdict_name(enum verdict_status status);

/*
 * What can be wrong with a redirect that is in place, as stats and check
 * say it: each makes the redirected connections go nowhere, or the figures
 * untrue.
 */
struct health {
	unsigned int forwarding_off;	/* 1 IPv4, 2 IPv6: redirected, not forwarded */
	bool unanswered;		/* recent attempts NEW did not answer, from several clients
					 * or on a service it never answered */
	unsigned int unanswered_count;	/* ... how many */
	unsigned int unanswered_clients; /* ... from how many clients (1: a warning only) */
	struct address unanswered_client; /* ... the first of them */
	uint16_t never_answered_port;	/* ... on a service NEW never answered (0: none) */
	unsigned int nearly_full;	/* 1 IPv4, 2 IPv6: stale-source set over 80% */
	unsigned int fill[2];		/* its fill, percent */
	bool drift;			/* the table is not what redirect installed */
	bool conntrack_nearly_full;	/* over FILL_WARN_PERCENT: new connections soon dropped */
	int conntrack_count, conntrack_max;	/* ... the table's entries, its size (-1 unknown) */
	bool far_end_gone;		/* the other end's host refused the tunnel since it last ... */
	int64_t refused_ago;		/* ... worked, this many seconds ago */
	bool far_end_broken;		/* ... and this host is OLD: its redirect fails */
	bool stranger;			/* the tunnel's packets come from elsewhere, and nothing ... */
	struct address stranger_addr;	/* ... through it since: the other end behind NAT? */
	uint64_t stranger_packets;
	int64_t stranger_ago;
};

#define STRANGER_RECENT 600	/* seconds: a stranger's packets this recent break it */

void verdict_health(const struct snapshot *s, struct health *h);

/* Whether @h makes the redirect not work (or its counts untrue): check is then CRITICAL. */
bool health_broken(const struct health *h);

/* The sentences for @h, "; "-joined, for stats and check: "" when all is well. */
void health_words(const struct health *h, const struct snapshot *s, char *buf, size_t len);

/* ---- DNS (check --domain) ---- */

/* What one check of DNS found, for the clock and the verdict. */
struct dns_look {
	int status;		/* enum dns_status: DNS_STATUS_NEW, _OLD, _UNKNOWN */
	uint32_t old_ttl;	/* the largest TTL of the answers that name this host */
	uint32_t answer_ttl;	/* the largest TTL of all the answers */
	unsigned int old_answers;
	char problem[DNS_SUMMARY_MAX];	/* the first problem, or "" */
};

/*
 * The resolvers' clock after a look at @now: an old answer resets it and
 * its TTL is kept (the largest seen while DNS was old); the first clean look
 * after starts it. Never seen old, the answers' own TTL stands in: an older
 * answer's is not known, and a migration lowers the TTL before the move.
 */
void dns_clock_note(struct dns_clock *c, const struct dns_look *look, int64_t now);

/* When resolvers no longer hand out an old answer: 0 while DNS is not clean. */
int64_t dns_clock_ready_at(const struct dns_clock *c);

/* What check found: the verdict, the figures behind it, and the sentence cron mails. */
struct finding {
	struct verdict v;
	struct health health;
	bool broken;			/* in use, and the redirect does not work */
	bool trouble;			/* unknown because something is wrong */
	bool role_new;			/* judged on NEW (redirect accept): the old host is elsewhere */
	char why[1536];			/* one sentence, without the final full stop */
	bool dns_checked;		/* check --domain asked the servers */
	struct dns_look dns;		/* ... and found this */
	int64_t dns_ready_at;		/* ... and so the earliest DNS allows, or 0 */
	int64_t dns_clean_since;	/* ... the clock: clean since (0: not clean) */
	uint32_t dns_ttl;		/* ... for how long old answers may live on */
	bool tls_checked;		/* the new server's TLS identity was checked */
	bool tls_broken;		/* ... and mail or clients are refused (CRITICAL) */
	bool tls_unknown;		/* ... or what it must know could not be read */
	int64_t tls_checked_at;		/* ... when the result given is from; 0: never */
	unsigned int tls_problems;	/* ... refusals and warnings found */
	unsigned int sources;		/* seen within the quiet window */
	char services[256];		/* seen within the quiet window, most recent first */
	int64_t last_seen;		/* seconds ago, or NEVER */
	uint64_t connections;
};

/*
 * The whole reasoning of `redirect check` over one look at state and
 * kernel (@s, its clock in s->now): pure, so its sentences are unit tested.
 */
/*
 * The verdict with DNS: never ready while some server names this host, or
 * until the clock allows; unknown when the counters allow but DNS could
 * not be asked. Call after verdict_judge.
 */
void verdict_with_dns(struct finding *f, const struct dns_clock *c, const struct dns_look *look,
		      int64_t now);

void verdict_judge(const struct snapshot *s, int64_t required, struct finding *f);

/*
 * The verdict with the new server's TLS identity (@pf: what identity_check
 * found): a refusal (a signed TLSA matching nothing it presents, a name
 * its certificate lacks, an expired certificate) makes the redirect
 * broken, never ready; @unknown (NULL: none), what could not be known
 * (TLSA records that could not be read), makes it not ready; a warning is
 * told. Call after verdict_judge.
 */
struct findings;
void verdict_with_tls(struct finding *f, const struct findings *pf, const char *unknown);

/* Unknown: @why says what is missing; @trouble when something is wrong. */
void verdict_unknown(struct finding *f, const char *why, bool trouble);

#endif
