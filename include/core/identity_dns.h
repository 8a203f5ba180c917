/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_IDENTITY_DNS_H
#define REDIRECT_CORE_IDENTITY_DNS_H

#include "core/identity.h"
#include "core/sts_look.h"
#include "dns/dane.h"
#include "dns/survey.h"

/*
 * What DNS says of the TLS identity: the names senders and clients are
 * sent to (each MX host on port 25, each RFC 6186/8314 SRV target on its
 * port, as the authoritative servers of the domains answer), and the TLSA
 * records published for every name and port of the plan.
 */
struct id_dns {
	struct dns_report report;	/* the survey of the domains */
	struct dns_tlsa_report tlsa;	/* the TLSA records, one owner per service */
	unsigned int differ;		/* owners whose servers gave different records */
};

/*
 * Surveys @domains (this host's addresses old, @spec's targets new, as
 * check --domain does) and adds their MX hosts and SRV targets to @id.
 * -errno with @e only when DNS cannot be asked at all.
 */
int identity_dns_names(struct identity *id, const struct spec *spec, const char *const *domains,
		       unsigned int n, struct id_dns *d, struct errmsg *e);

/*
 * Asks for the TLSA records of every service of @id (of the servers of
 * the domain its name is in, else of the resolver) and points each
 * service at the RRset the first answering server gave.
 */
int identity_dns_tlsa(struct identity *id, struct id_dns *d, struct errmsg *e);

/* Frees what @d holds (the services of @id point into it: check them first). */
void identity_dns_free(struct id_dns *d);

/*
 * MTA-STS: each domain's policy (@looks, from sts_look_at), as senders
 * enforcing it judge the new server. In mode enforce, an MX host of the
 * domain (as @d's survey found them) that no mx pattern matches, or whose certificate at the new
 * server is not publicly valid for it (trusted, its name, its dates), is
 * refused; in mode testing only reported. Pure, over the handshakes
 * already made.
 */
void identity_judge_sts(const struct identity *id, const struct id_dns *d,
			const struct sts_look *looks, unsigned int n, struct findings *pf);

/* Everything one check of the identity needs. */
struct id_request {
	const struct spec *spec;
	const struct id_memory *mem;		/* the --name names, the old server's */
	const char *const *domains;		/* their MX hosts, SRV targets, MTA-STS */
	unsigned int ndomains;
	const struct address *at4, *at6;	/* where the new server is checked */
	int64_t now, window;			/* the clock, the quiet window */
};

/*
 * The whole check: the plan from the names known and DNS, the TLSA
 * records, the handshakes, MTA-STS, and every finding into @pf (a note
 * when no name is known). @id and @d hold what was found until
 * identity_free and identity_dns_free. -errno with @e only when nothing
 * could be checked.
 */
int identity_check(const struct id_request *r, struct identity *id, struct id_dns *d,
		   struct findings *pf, struct errmsg *e);

/*
 * The same in two halves, so that a caller can look at the plan (its
 * ports) before the handshakes: identity_prepare makes the plan and asks
 * DNS, identity_finish makes the handshakes and judges.
 */
int identity_prepare(const struct id_request *r, struct identity *id, struct id_dns *d,
		     struct errmsg *e);
int identity_finish(const struct id_request *r, struct identity *id, struct id_dns *d,
		    struct findings *pf, struct errmsg *e);

/* Whether the plan checks @port (then the banner probe need not). */
bool identity_covers_port(const struct identity *id, uint16_t port);

/*
 * For `redirect dns`: each service of @id at every address its name has
 * at any server of @r, and at @targets (the redirect's: new), each
 * target's address classified in id->points. All handshakes at once.
 */
int identity_run_published(struct identity *id, const struct dns_report *r,
			   const struct address *targets, unsigned int ntargets, struct errmsg *e);

/*
 * Whether a signed TLSA of @id's service @s matches nothing that answers
 * at an address that is not this host's: DANE senders defer mail there.
 */
bool identity_dane_broken(const struct identity *id, unsigned int s);

#endif
