// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TLSA records: which ones an SMTP client may use (RFC 7672), their names
 * and text, and the RRset's memory. Pure; see lib/tlsa.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/tlsa.h"

enum tlsa_unusable tlsa_usable(const struct tlsa_record *r)
{
	if (r->usage == TLSA_PKIX_TA || r->usage == TLSA_PKIX_EE)
		return TLSA_UNUSABLE_PKIX;
	if (r->usage > TLSA_DANE_EE)
		return TLSA_UNUSABLE_USAGE;
	if (r->selector > TLSA_SEL_SPKI)
		return TLSA_UNUSABLE_SELECTOR;
	switch (r->mtype) {
	case TLSA_MATCH_FULL:
		return r->len ? TLSA_USABLE : TLSA_UNUSABLE_LENGTH;
	case TLSA_MATCH_SHA256:
		return r->len == 32 ? TLSA_USABLE : TLSA_UNUSABLE_LENGTH;
	case TLSA_MATCH_SHA512:
		return r->len == 64 ? TLSA_USABLE : TLSA_UNUSABLE_LENGTH;
	}
	return TLSA_UNUSABLE_MTYPE;
}

unsigned int tlsa_count_usable(const struct tlsa_rrset *s)
{
	unsigned int i, n = 0;

	for (i = 0; i < s->n; i++)
		if (tlsa_usable(&s->rec[i]) == TLSA_USABLE)
			n++;
	return n;
}

const char *tlsa_unusable_text(enum tlsa_unusable why)
{
	switch (why) {
	case TLSA_USABLE: return "";
	case TLSA_UNUSABLE_PKIX: return "a PKIX usage, which SMTP ignores (RFC 7672)";
	case TLSA_UNUSABLE_USAGE: return "an unknown usage";
	case TLSA_UNUSABLE_SELECTOR: return "an unknown selector";
	case TLSA_UNUSABLE_MTYPE: return "an unknown matching type";
	case TLSA_UNUSABLE_LENGTH: return "data of the wrong length for its matching type";
	}
	return "unusable";
}

const char *tlsa_usage_name(uint8_t usage)
{
	static const char *const names[] = { "PKIX-TA", "PKIX-EE", "DANE-TA", "DANE-EE" };

	return usage < 4 ? names[usage] : "unknown";
}

const char *tlsa_selector_name(uint8_t selector)
{
	return selector == TLSA_SEL_CERT ? "Cert" : selector == TLSA_SEL_SPKI ? "SPKI" :
	       "unknown";
}

const char *tlsa_mtype_name(uint8_t mtype)
{
	static const char *const names[] = { "Full", "SHA2-256", "SHA2-512" };

	return mtype < 3 ? names[mtype] : "unknown";
}

const char *tlsa_text(const struct tlsa_record *r, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "%u %u %u ", r->usage, r->selector, r->mtype);
	unsigned int i;

	for (i = 0; i < r->len && used + 2 < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%02x", r->data[i]);
	if (i < r->len && len >= 16)
		memcpy(buf + len - 4, "...", 4);
	return buf;
}

int tlsa_add(struct tlsa_rrset *s, uint8_t usage, uint8_t selector, uint8_t mtype,
	     const uint8_t *data, size_t len)
{
	struct tlsa_record *r;

	if (s->n >= TLSA_RECORDS_MAX || len > TLSA_DATA_MAX) {
		s->skipped++;
		return 1;
	}
	r = &s->rec[s->n];
	r->data = malloc(len ? len : 1);
	if (!r->data)
		return -ENOMEM;
	if (len)
		memcpy(r->data, data, len);
	r->usage = usage;
	r->selector = selector;
	r->mtype = mtype;
	r->len = (uint16_t)len;
	s->n++;
	return 0;
}

static bool same_record(const struct tlsa_record *a, const struct tlsa_record *b)
{
	return a->usage == b->usage && a->selector == b->selector && a->mtype == b->mtype &&
	       a->len == b->len && !memcmp(a->data, b->data, a->len);
}

static bool holds(const struct tlsa_rrset *s, const struct tlsa_record *r)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (same_record(&s->rec[i], r))
			return true;
	return false;
}

bool tlsa_same_records(const struct tlsa_rrset *a, const struct tlsa_rrset *b)
{
	unsigned int i;

	/* an RRset holds no duplicates (RFC 2181, 5): equal counts and inclusion suffice */
	if (a->n != b->n || a->skipped != b->skipped)
		return false;
	for (i = 0; i < a->n; i++)
		if (!holds(b, &a->rec[i]))
			return false;
	return true;
}

int tlsa_copy(struct tlsa_rrset *to, const struct tlsa_rrset *from)
{
	unsigned int i;

	memset(to, 0, sizeof(*to));
	for (i = 0; i < from->n; i++) {
		const struct tlsa_record *r = &from->rec[i];

		if (tlsa_add(to, r->usage, r->selector, r->mtype, r->data, r->len) < 0) {
			tlsa_free(to);
			return -ENOMEM;
		}
	}
	to->ttl = from->ttl;
	to->is_signed = from->is_signed;
	to->skipped = from->skipped;
	return 0;
}

void tlsa_free(struct tlsa_rrset *s)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		free(s->rec[i].data);
	memset(s, 0, sizeof(*s));
}
