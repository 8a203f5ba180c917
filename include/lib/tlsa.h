/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_LIB_TLSA_H
#define REDIRECT_LIB_TLSA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * TLSA records (RFC 6698) as DNS carries them and as OpenSSL's DANE takes
 * them: SSL_dane_tlsa_add(ssl, r->usage, r->selector, r->mtype, r->data,
 * r->len) for each record that tlsa_usable() accepts. Shared by dns/, which
 * reads them, and tls/, which matches certificates against them; what
 * makes a record usable for SMTP is RFC 7672's rule.
 */

#define TLSA_RECORDS_MAX 32		/* kept per RRset; more are counted in skipped */
#define TLSA_DATA_MAX 4096		/* a full certificate (matching type 0) fits */

enum { TLSA_PKIX_TA = 0, TLSA_PKIX_EE = 1, TLSA_DANE_TA = 2, TLSA_DANE_EE = 3 };
enum { TLSA_SEL_CERT = 0, TLSA_SEL_SPKI = 1 };
enum { TLSA_MATCH_FULL = 0, TLSA_MATCH_SHA256 = 1, TLSA_MATCH_SHA512 = 2 };

struct tlsa_record {
	uint8_t usage, selector, mtype;
	uint16_t len;
	uint8_t *data;			/* malloc'd, @len bytes */
};

/* One owner's records (_25._tcp.mail.example.org) as one server gave them. */
struct tlsa_rrset {
	uint32_t ttl;			/* the smallest of the records' */
	bool is_signed;			/* an RRSIG covering TLSA came with them */
	unsigned int n;
	unsigned int skipped;		/* beyond TLSA_RECORDS_MAX, or data too long */
	struct tlsa_record rec[TLSA_RECORDS_MAX];
};

/* Why a record cannot be used by an SMTP client doing DANE. */
enum tlsa_unusable {
	TLSA_USABLE,
	TLSA_UNUSABLE_PKIX,		/* usage 0 or 1: RFC 7672, 3.1.3 says ignore them */
	TLSA_UNUSABLE_USAGE,		/* a usage over 3 */
	TLSA_UNUSABLE_SELECTOR,		/* neither 0 nor 1 */
	TLSA_UNUSABLE_MTYPE,		/* a matching type over 2 */
	TLSA_UNUSABLE_LENGTH,		/* a digest of the wrong length, or no data */
};

/* Whether @r is usable under RFC 7672 (DANE-TA, DANE-EE), and if not why. */
enum tlsa_unusable tlsa_usable(const struct tlsa_record *r);

/* How many of @s's records are usable. */
unsigned int tlsa_count_usable(const struct tlsa_rrset *s);

/* Why, in words: "a PKIX usage, which SMTP ignores (RFC 7672)"; "" when usable. */
const char *tlsa_unusable_text(enum tlsa_unusable why);

/* "DANE-EE", "PKIX-TA", ...; "unknown" beyond 3. The selector: "SPKI", "Cert". */
const char *tlsa_usage_name(uint8_t usage);
const char *tlsa_selector_name(uint8_t selector);
/* "SHA2-256", "SHA2-512", "Full"; "unknown" beyond 2. */
const char *tlsa_mtype_name(uint8_t mtype);

/*
 * The record as a zone file writes it, "3 1 1 5d3c..." (lowercase hex),
 * cut with "..." to fit @len (at least 16). Returns @buf.
 */
const char *tlsa_text(const struct tlsa_record *r, char *buf, size_t len);

/*
 * Appends a copy of a record to @s: 0, 1 when it was counted in skipped
 * (no room, or data over TLSA_DATA_MAX), -ENOMEM.
 */
int tlsa_add(struct tlsa_rrset *s, uint8_t usage, uint8_t selector, uint8_t mtype,
	     const uint8_t *data, size_t len);

/* Whether both hold the same records, in any order (TTL and signatures aside). */
bool tlsa_same_records(const struct tlsa_rrset *a, const struct tlsa_rrset *b);

/* A deep copy of @from into @to (empty on failure): 0 or -ENOMEM. */
int tlsa_copy(struct tlsa_rrset *to, const struct tlsa_rrset *from);

/* Frees the records' data and empties @s. */
void tlsa_free(struct tlsa_rrset *s);

#endif
