// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * DNS replies as they come off the wire: matched to a query, parsed for
 * the question they carry and for each type we ask, TLSA and TXT records
 * read from them. Oracles: what is kept
 * fits its bounds and every name kept is a host name we could ask for; a
 * name we can ask is encoded and read back the same.
 */
#include <stdlib.h>
#include <string.h>

#include "dns/codec.h"
#include "dns/rdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t types[] = {
	DNS_T_A, DNS_T_AAAA, DNS_T_MX, DNS_T_SRV, DNS_T_SOA, DNS_T_NS, DNS_T_PTR, DNS_T_TLSA,
	DNS_T_TXT,
};

static void check_answer(const struct dns_answer *a, uint16_t type)
{
	char name[DNS_NAME_BUF];
	struct errmsg e;
	unsigned int i;

	if (a->n > DNS_ANSWER_MAX || a->chain > DNS_CHAIN_MAX || strlen(a->owner) > DNS_NAME_MAX)
		abort();
	for (i = 0; i < a->n; i++) {
		const struct dns_item *it = &a->items[i];

		if (it->ttl & 0x80000000U)
			abort();	/* RFC 2181: read as zero */
		if (type == DNS_T_A && it->addr.family != AF_INET)
			abort();
		if (type == DNS_T_AAAA && it->addr.family != AF_INET6)
			abort();
		if (it->target[0] && dns_name_check(it->target, name, &e))
			abort();
	}
}

/* TLSA and TXT records of the question's owner, within their bounds. */
static void check_records(const uint8_t *data, size_t size, const char *owner)
{
	struct tlsa_rrset set;
	struct dns_txt txt;
	unsigned int i;

	if (!dns_read_tlsa(data, size, owner, &set)) {
		if (set.n > TLSA_RECORDS_MAX || (set.ttl & 0x80000000U))
			abort();
		for (i = 0; i < set.n; i++)
			if (set.rec[i].len > TLSA_DATA_MAX ||
			    (tlsa_usable(&set.rec[i]) == TLSA_USABLE && set.rec[i].usage < 2))
				abort();
	}
	tlsa_free(&set);
	if (!dns_read_txt(data, size, owner, &txt))
		for (i = 0; i < txt.n; i++)
			if (txt.rec[i].len > DNS_TXT_LEN || txt.rec[i].text[txt.rec[i].len])
				abort();
	dns_txt_free(&txt);
	dns_reply_signed(data, size);
}

/* What we send for a name we accept, read back as we sent it. */
static void round_trip(const char *name, uint16_t type)
{
	uint8_t query[DNS_QUERY_MAX];
	char back[DNS_NAME_BUF];
	uint16_t back_type;
	int n = dns_build_query(query, sizeof(query), 0x4242, name, type, false);

	if (n < 0)
		abort();
	if (dns_question(query, (size_t)n, back, &back_type) || strcmp(back, name) ||
	    back_type != type)
		abort();
	if (dns_reply_match(query, (size_t)n, 0x4242, name, type) != DNS_REPLY_FOREIGN)
		abort();	/* QR is clear: a query is no reply */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_answer a;
	char qname[DNS_NAME_BUF], checked[DNS_NAME_BUF];
	struct errmsg e;
	uint16_t qtype;
	unsigned int i;

	dns_reply_match(data, size, 0x1234, "mail.example.org", DNS_T_A);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!dns_parse(data, size, "mail.example.org", types[i], &a))
			check_answer(&a, types[i]);
	if (dns_question(data, size, qname, &qtype))
		return 0;
	if (!dns_parse(data, size, qname, qtype, &a)) {
		check_answer(&a, qtype);
		check_records(data, size, a.owner);
	}
	if (!dns_name_check(qname, checked, &e))
		round_trip(checked, qtype);
	return 0;
}
