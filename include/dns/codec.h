/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_DNS_CODEC_H
#define REDIRECT_DNS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errmsg.h"
#include "lib/parse.h"

/*
 * DNS on the wire, pure: names checked, queries built, replies matched to
 * their query and parsed into what `redirect dns` needs. No I/O, no
 * printing; the fuzzer and the unit tests feed it packets.
 */

#define DNS_NAME_MAX 253		/* presentation form, without the final dot */
#define DNS_NAME_BUF (DNS_NAME_MAX + 1)
#define DNS_LABEL_MAX 63
#define DNS_OPT_LEN 11			/* the EDNS0 OPT record of a query (RFC 6891) */
#define DNS_QUERY_MAX (288 + DNS_OPT_LEN)	/* header, the longest name, type, class, OPT */
#define DNS_EDNS_UDP 1232		/* the UDP size we offer: DNS flag day 2020 */
#define DNS_MESSAGE_MAX 65535		/* over TCP */
#define DNS_ANSWER_MAX 64		/* records of the asked type kept per reply */
#define DNS_CHAIN_MAX 16		/* CNAMEs followed in one answer: as far as resolvers go */

/* The record types asked for (the values of RFC 1035 and its successors). */
enum {
	DNS_T_A = 1, DNS_T_NS = 2, DNS_T_CNAME = 5, DNS_T_SOA = 6, DNS_T_PTR = 12,
	DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28, DNS_T_SRV = 33, DNS_T_OPT = 41,
	DNS_T_RRSIG = 46, DNS_T_TLSA = 52,
};
enum { DNS_RCODE_NOERROR = 0, DNS_RCODE_SERVFAIL = 2, DNS_RCODE_NXDOMAIN = 3,
       DNS_RCODE_REFUSED = 5 };

/* "A", "AAAA", "MX", ...; "?" for the types we never ask for. */
const char *dns_type_name(uint16_t type);
/* "NOERROR", "SERVFAIL", ...; "an unknown rcode" for others. */
const char *dns_rcode_name(int rcode);

/*
 * A host or domain name as a user gives it and as we send it: letters,
 * digits, '-' and '_' (SRV owners), labels of 1 to 63, at most 253 in all;
 * one final dot allowed. Copies it without that dot into @out
 * (DNS_NAME_BUF); -EINVAL with @e naming the value otherwise.
 */
int dns_name_check(const char *name, char *out, struct errmsg *e);

/* Whether the names are the same (ASCII case-insensitive, final dot ignored). */
bool dns_name_equal(const char *a, const char *b);

/* Whether @name is @zone or below it: mail.example.org is under example.org. */
bool dns_name_under(const char *name, const char *zone);

/*
 * A query for @name (already checked) of @type, class IN, with @id; RD set
 * when @rd (resolvers), clear for authoritative servers. No EDNS: the
 * answers we ask for fit in 512 bytes, and a larger one comes by TCP.
 * Returns its length, or -EMSGSIZE / -EINVAL.
 */
int dns_build_query(uint8_t *buf, size_t len, uint16_t id, const char *name, uint16_t type,
		    bool rd);

/*
 * Appends an EDNS0 OPT record (RFC 6891) to the query of @used bytes in
 * @buf: we take UDP replies of @udp_size bytes, and with @dnssec (the DO
 * bit, RFC 3225) want the RRSIGs that cover the answer. Returns the new
 * length, or -EMSGSIZE.
 */
int dns_add_edns(uint8_t *buf, size_t len, size_t used, uint16_t udp_size, bool dnssec);

/* What a datagram that came back is, for the query it might answer. */
enum dns_reply_kind {
	DNS_REPLY_OURS,		/* the answer to that question */
	DNS_REPLY_TRUNCATED,	/* ours, with TC: ask again over TCP */
	DNS_REPLY_FOREIGN,	/* not a reply to this query: keep waiting */
};

/*
 * Matches a reply to its query: the ID, QR, opcode QUERY, one question,
 * and that question's name, type and class IN. TC is read from the raw
 * header, as a truncated reply need not parse.
 */
enum dns_reply_kind dns_reply_match(const uint8_t *msg, size_t len, uint16_t id,
				    const char *name, uint16_t type);

/* The question of a message (the fuzzer asks what a packet is about); -EBADMSG. */
int dns_question(const uint8_t *msg, size_t len, char *name, uint16_t *type);

/* A record of the asked type in an answer. */
struct dns_item {
	uint32_t ttl;
	struct address addr;		/* A, AAAA */
	uint16_t priority;		/* MX preference, SRV priority */
	uint16_t weight, port;		/* SRV */
	char target[DNS_NAME_BUF];	/* MX, SRV, NS, PTR; "" for SRV's "." (no such service) */
};

/* How the CNAME chain from the question ends. */
enum dns_chain_end {
	DNS_CHAIN_ENDS,		/* at a name that is no alias (or with no CNAME at all) */
	DNS_CHAIN_LOOP,		/* at a name it passed already: it never ends */
	DNS_CHAIN_TOO_LONG,	/* still going after DNS_CHAIN_MAX: resolvers give up */
};

/* What one reply says about its question. */
struct dns_answer {
	int rcode;
	bool aa;			/* authoritative */
	bool referral;			/* no AA, no answer, NS records: a delegation below */
	bool has_serial;		/* SOA: the zone's serial (or the enclosing zone's) */
	uint32_t serial;
	char owner[DNS_NAME_BUF];	/* where the CNAME chain from the question ends */
	unsigned int chain;		/* how many CNAMEs led there */
	uint32_t chain_ttl;		/* the largest TTL among those CNAMEs */
	enum dns_chain_end chain_end;	/* a loop or a longer chain: cannot tell where it leads */
	unsigned int n;
	unsigned int skipped;		/* records of the type that were unusable or beyond room */
	struct dns_item items[DNS_ANSWER_MAX];
};

/*
 * Parses a reply (already matched to @name and @type) into @out: the
 * records of @type owned by @name or by the end of its CNAME chain in the
 * answer section (A, AAAA, MX, SRV, NS, PTR: other types leave items
 * empty, for dns/rdata.h to read; a chain that loops or goes on past
 * DNS_CHAIN_MAX has no end: no records, and chain_end says why); for SOA
 * the serial, from the authority section when the
 * name is not a zone's apex. Names in records are checked as host names;
 * records that fail, or whose data has the wrong length, are skipped.
 * Returns -EBADMSG for a message glibc's parser refuses (cut short,
 * trailing bytes, compression loops, bad labels).
 */
int dns_parse(const uint8_t *msg, size_t len, const char *name, uint16_t type,
	      struct dns_answer *out);

/* in-addr.arpa or ip6.arpa name of @a (an IPv4-mapped IPv6 as its IPv4). */
void dns_ptr_name(const struct address *a, char *out, size_t len);

/* Where a name's address leads: to this host (old), to NEW (new), elsewhere. */
enum dns_points { DNS_POINTS_OTHER, DNS_POINTS_OLD, DNS_POINTS_NEW };

/* What an address is: one of @old (this host's), of @new_ (the --to), else other. */
enum dns_points dns_classify(const struct address *a, const struct address *old,
			     unsigned int nold, const struct address *new_, unsigned int nnew);

const char *dns_points_name(enum dns_points p);

/* Whether serial @a is older than @b, in the serial arithmetic of RFC 1982. */
bool dns_serial_older(uint32_t a, uint32_t b);

#endif
