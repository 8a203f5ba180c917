/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_DNS_RDATA_H
#define REDIRECT_DNS_RDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/tlsa.h"

/*
 * Records whose data is more than an address or a name, read from a reply
 * that dns_parse() accepted: TLSA (RFC 6698) with the RRSIGs that cover
 * them, and TXT. Pure, like the codec; the fuzzer feeds it packets.
 */

#define DNS_TXT_MAX 16			/* TXT records kept per name */
#define DNS_TXT_LEN 4096		/* characters kept per record */

struct dns_txt_record {
	char *text;			/* malloc'd: its strings joined, NUL-terminated */
	size_t len;			/* without that NUL (the text may hold others) */
};

struct dns_txt {
	uint32_t ttl;			/* the smallest */
	unsigned int n;
	unsigned int skipped;		/* beyond DNS_TXT_MAX or DNS_TXT_LEN */
	struct dns_txt_record rec[DNS_TXT_MAX];
};

/*
 * The TLSA records owned by @owner (dns_parse's answer.owner: the
 * question's name, or the end of its CNAME chain) in the answer section
 * into @out, which is emptied first (tlsa_free it whatever this returns):
 * their smallest TTL, and is_signed when an RRSIG covering TLSA and owned
 * by @owner is there too. Records whose data is longer than TLSA_DATA_MAX,
 * or too many, are counted in skipped; records with no room for the three
 * fields are malformed. Returns 0, -EBADMSG or -ENOMEM.
 */
int dns_read_tlsa(const uint8_t *msg, size_t len, const char *owner, struct tlsa_rrset *out);

/*
 * Whether RRSIGs came in the answer or authority section: the zone that
 * answered is signed (a signed "no such record" carries them beside its
 * NSEC or NSEC3). False for a reply glibc's parser refuses.
 */
bool dns_reply_signed(const uint8_t *msg, size_t len);

/*
 * The TXT records owned by @owner in the answer section into @out (emptied
 * first; dns_txt_free it whatever this returns), each record's
 * character-strings joined as RFC 7208 and RFC 8461 read them. Returns 0,
 * -EBADMSG (a string running past its record) or -ENOMEM.
 */
int dns_read_txt(const uint8_t *msg, size_t len, const char *owner, struct dns_txt *out);

void dns_txt_free(struct dns_txt *t);

#endif
