// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TLSA, RRSIG and TXT records out of a reply: see dns/rdata.h. glibc's
 * parser walks the message (ns_initparse and ns_parserr refuse records
 * that run past its end); the lengths inside each record's data are ours
 * to check.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/nameser.h>
#include <resolv.h>

#include "dns/codec.h"
#include "dns/rdata.h"

/* RFC 2181, 8: a TTL with the top bit set is read as zero. */
static uint32_t ttl_of(const ns_rr *rr)
{
	uint32_t ttl = ns_rr_ttl(*rr);

	return ttl & 0x80000000U ? 0 : ttl;
}

static void keep_ttl(uint32_t *ttl, bool first, const ns_rr *rr)
{
	if (first || ttl_of(rr) < *ttl)
		*ttl = ttl_of(rr);
}

/* An RRSIG's first field is the type it covers (RFC 4034, 3.1). */
static bool covers(const ns_rr *rr, uint16_t type)
{
	const uint8_t *p = ns_rr_rdata(*rr);

	return ns_rr_rdlen(*rr) >= 2 && (uint16_t)(p[0] << 8 | p[1]) == type;
}

static int add_tlsa(struct tlsa_rrset *out, const ns_rr *rr)
{
	const uint8_t *p = ns_rr_rdata(*rr);
	size_t len = ns_rr_rdlen(*rr);

	if (len < 3)
		return -EBADMSG;
	keep_ttl(&out->ttl, !out->n && !out->skipped, rr);
	return tlsa_add(out, p[0], p[1], p[2], p + 3, len - 3) < 0 ? -ENOMEM : 0;
}

/* Calls @fn for each record of the answer section owned by @owner: 0 or the first error. */
static int each_owned(const uint8_t *msg, size_t len, const char *owner,
		      int (*fn)(const ns_rr *rr, void *arg), void *arg)
{
	ns_msg h;
	ns_rr rr;
	int i, err;

	if (len > DNS_MESSAGE_MAX || ns_initparse(msg, (int)len, &h) < 0)
		return -EBADMSG;
	for (i = 0; i < ns_msg_count(h, ns_s_an); i++) {
		if (ns_parserr(&h, ns_s_an, i, &rr) < 0)
			return -EBADMSG;
		if (ns_rr_class(rr) != ns_c_in || !dns_name_equal(ns_rr_name(rr), owner))
			continue;
		err = fn(&rr, arg);
		if (err)
			return err;
	}
	return 0;
}

static int tlsa_or_rrsig(const ns_rr *rr, void *arg)
{
	struct tlsa_rrset *out = arg;

	if (ns_rr_type(*rr) == ns_t_rrsig && covers(rr, DNS_T_TLSA))
		out->is_signed = true;
	return (uint16_t)ns_rr_type(*rr) == DNS_T_TLSA ? add_tlsa(out, rr) : 0;
}

int dns_read_tlsa(const uint8_t *msg, size_t len, const char *owner, struct tlsa_rrset *out)
{
	memset(out, 0, sizeof(*out));
	return each_owned(msg, len, owner, tlsa_or_rrsig, out);
}

static bool section_signed(ns_msg *h, ns_sect sect)
{
	ns_rr rr;
	int i;

	for (i = 0; i < ns_msg_count(*h, sect); i++)
		if (ns_parserr(h, sect, i, &rr) == 0 && ns_rr_type(rr) == ns_t_rrsig)
			return true;
	return false;
}

bool dns_reply_signed(const uint8_t *msg, size_t len)
{
	ns_msg h;

	if (len > DNS_MESSAGE_MAX || ns_initparse(msg, (int)len, &h) < 0)
		return false;
	return section_signed(&h, ns_s_an) || section_signed(&h, ns_s_ns);
}

/* A TXT record's character-strings, each a length byte and that many bytes, joined. */
static int join_strings(const ns_rr *rr, struct dns_txt_record *r)
{
	const uint8_t *p = ns_rr_rdata(*rr), *end = p + ns_rr_rdlen(*rr);
	size_t used = 0;

	r->text = malloc((size_t)(end - p) + 1);
	if (!r->text)
		return -ENOMEM;
	while (p < end) {
		size_t n = *p++;

		if (n > (size_t)(end - p))
			return -EBADMSG;
		memcpy(r->text + used, p, n);
		used += n;
		p += n;
	}
	r->text[used] = '\0';
	r->len = used;
	return 0;
}

static int add_txt(struct dns_txt *out, const ns_rr *rr)
{
	struct dns_txt_record *r;
	int err;

	keep_ttl(&out->ttl, !out->n && !out->skipped, rr);
	if (out->n >= DNS_TXT_MAX || ns_rr_rdlen(*rr) > DNS_TXT_LEN) {
		out->skipped++;
		return 0;
	}
	r = &out->rec[out->n++];
	err = join_strings(rr, r);
	if (err == -EBADMSG)
		r->len = 0;	/* freed with the others */
	return err;
}

static int txt_only(const ns_rr *rr, void *arg)
{
	return (uint16_t)ns_rr_type(*rr) == DNS_T_TXT ? add_txt(arg, rr) : 0;
}

int dns_read_txt(const uint8_t *msg, size_t len, const char *owner, struct dns_txt *out)
{
	memset(out, 0, sizeof(*out));
	return each_owned(msg, len, owner, txt_only, out);
}

void dns_txt_free(struct dns_txt *t)
{
	unsigned int i;

	for (i = 0; i < t->n; i++)
		free(t->rec[i].text);
	memset(t, 0, sizeof(*t));
}
