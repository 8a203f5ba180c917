/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_CORE_IDENTITY_H
#define REDIRECT_CORE_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/preflight.h"
#include "lib/spec.h"
#include "tls/handshake.h"

/*
 * The TLS identity a redirect must carry over: the names clients and
 * senders use for this host, on the ports they use them, and the keys the
 * published TLSA records pin. A plan of (name, port) services, checked at
 * NEW's addresses by the handshake engine, and judged into findings in
 * words with the fix (a refusal for what loses mail or locks clients
 * out). The plan and the judging are pure; identity_run does the I/O.
 */

#define ID_SERVICES_MAX 64
#define ID_OLD_PORTS_MAX 8		/* the known mail ports with TLS */
#define ID_OLD_NAMES_MAX 8

/* One name on one port, and the TLSA records published for it. */
struct id_service {
	char name[TLS_NAME_BUF];
	uint16_t port;
	const char *via;		/* why it is checked: "--name", "MX", ... (static) */
	const struct tlsa_rrset *tlsa;	/* the RRset published (the caller's), or NULL */
	char tlsa_unread[160];		/* why its TLSA records cannot be known; "": they are */
};

/* What the old server presented on one port, as the state keeps it. */
struct id_old_port {
	uint16_t port;
	bool tls;			/* it did TLS there */
	uint8_t spki[TLS_SPKI_LEN];
	unsigned int nnames;
	char names[ID_OLD_NAMES_MAX][TLS_NAME_BUF];
};

struct id_old {
	unsigned int n;
	struct id_old_port ports[ID_OLD_PORTS_MAX];
};

struct identity {
	bool full;			/* more services than fit: the first are checked */
	unsigned int nsvc;
	struct id_service svc[ID_SERVICES_MAX];
	unsigned int nt;
	struct tls_target *t;		/* malloc'd: each service at each address */
	unsigned int *svc_of;		/* ... which service each target checks */
	int *points;			/* ... (dns) enum dns_points of its address */
};

/* Whether @port is one the engine can check (a known mail port with TLS). */
bool identity_port_checked(uint16_t port);

/*
 * Adds @name on @port (once; ports without TLS ignored): -E2BIG when the
 * plan is full, 1 when it was there already, 0 added.
 */
int identity_add(struct identity *id, const char *name, uint16_t port, const char *via);

/* @name on every port of @spec the engine can check. */
int identity_add_all_ports(struct identity *id, const struct spec *spec, const char *name,
			   const char *via);

/* The names the old server presented on @spec's ports, each on its own port. */
int identity_add_old(struct identity *id, const struct spec *spec, const struct id_old *old);

/*
 * Checks every service at @at4 and @at6 (NULL: that family not checked),
 * all at once; the results stay in @id until identity_free.
 */
int identity_run(struct identity *id, const struct address *at4, const struct address *at6,
		 const struct tls_options *o, struct errmsg *e);

void identity_free(struct identity *id);

/* What a check found, for the state (check records it, stats reads it). */
struct id_result {
	uint16_t port;
	char name[TLS_NAME_BUF];
	bool ok;
	int64_t expiry;			/* the earliest not-after seen; 0: none */
};

/*
 * What the state keeps of it: the names enable --name gave, what the old
 * server's own daemons presented while they still ran, and what the last
 * check of the new server found (stats --prometheus reads that: it must
 * make no handshakes itself).
 */
#define ID_NAMES_MAX 16
struct id_memory {
	unsigned int nnames;
	char names[ID_NAMES_MAX][TLS_NAME_BUF];
	struct id_old old;
	int64_t checked_at;		/* the last check of the new server; 0: never */
	unsigned int nresults;
	struct id_result results[ID_SERVICES_MAX];
};

/*
 * The findings, into @pf: refusals (a signed TLSA matching nothing NEW
 * presents, a name NEW's certificate lacks, an expired certificate, no
 * TLS where the old server had it), warnings (an unsigned TLSA that does
 * not match, a certificate expiring within @window seconds of @now, one
 * not trusted by the system's store), and one note of what was verified
 * when nothing is wrong. @old may be NULL. Pure.
 */
void identity_judge(const struct identity *id, const struct id_old *old, int64_t now,
		    int64_t window, struct findings *pf);

/*
 * The first service whose TLSA records could not be read (then it is not
 * ok), in words into @buf: "cannot read the TLSA records of
 * _25._tcp.mail.example.org: ns1.example.org (192.0.2.53) answered
 * SERVFAIL"; NULL when all could. Pure.
 */
const char *identity_unread(const struct identity *id, char *buf, size_t len);

/* One result per service, into @out (room for id->nsvc). Pure. */
unsigned int identity_results(const struct identity *id, int64_t now, struct id_result *out);

/*
 * What the old server's own daemons present: its ports, as @targets
 * (handshaken against its own addresses) found them. Pure.
 */
void identity_old_from(const struct tls_target *targets, unsigned int n, struct id_old *out);

/*
 * The state's lines of the identity, pure: "PORT SPKI NAME,NAME" for a
 * port of the old server ("-" for no names), "PORT NAME yes|no EXPIRY" for
 * a result, a name as a certificate or DNS has it. Each parser fills its
 * output only when the value is whole (-EINVAL otherwise).
 */
int identity_old_port_format(const struct id_old_port *p, char *buf, size_t len);
int identity_old_port_parse(const char *value, struct id_old_port *p);
int identity_result_parse(const char *value, struct id_result *r);
int identity_name_parse(const char *value, char name[TLS_NAME_BUF]);

/*
 * What the old server's own daemons present now, on @spec's ports where
 * something listens here (at its own address; the redirect leaves this
 * host's own connections alone), with @sni ("" for none). Returns how many
 * ports answered with TLS (then @out holds them), or -errno with @e.
 */
int identity_probe_old(const struct spec *spec, const char *sni, struct id_old *out,
		       struct errmsg *e);

/*
 * The address families in which something here listens, at loopback or
 * every address, on a port of @spec the engine checks: ID_FAMILY_4 and
 * ID_FAMILY_6 (a daemon without IPv6 has nothing at ::1 to check). 0 when
 * nothing listens, or the sockets cannot be listed.
 */
#define ID_FAMILY_4 1U
#define ID_FAMILY_6 2U
unsigned int identity_loopback_families(const struct spec *spec);

/* The plan from what is known: @mem's names on every port, and the old server's names. */
int identity_plan(struct identity *id, const struct spec *spec, const struct id_memory *mem);

/*
 * Whether @mem's last results can stand for a check at @now: there are
 * some, all ok, none with a certificate that expires within @window
 * seconds (that warning is for every run to say), and they cover every
 * name and port known without DNS (the --name names and the old server's,
 * on @spec's ports). Pure.
 */
bool identity_known_good(const struct spec *spec, const struct id_memory *mem, int64_t now,
			 int64_t window);

/* Keeps in @mem what the check found, at @now. */
void identity_remember(const struct identity *id, int64_t now, struct id_memory *mem);

#endif
