// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * DNS without a network: names, the query builder, replies matched and
 * parsed from packets built here (compressed, truncated, looping, foreign,
 * not authoritative, CNAME chains), TLSA with their signatures and TXT,
 * the classifier, and what a report says (statuses, lag, the longest old
 * TTL, the sentences).
 */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>

#include "dns/codec.h"
#include "dns/rdata.h"
#include "dns/survey.h"
#include "lib/tlsa.h"

/* ---- names ---- */

static void names_accepted(void **state)
{
	char out[DNS_NAME_BUF], label[64], longest[DNS_NAME_BUF + 1];
	struct errmsg e;

	assert_int_equal(dns_name_check("example.org", out, &e), 0);
	assert_string_equal(out, "example.org");
	assert_int_equal(dns_name_check("Mail.Example.ORG.", out, &e), 0);
	assert_string_equal(out, "Mail.Example.ORG");
	assert_int_equal(dns_name_check("_imaps._tcp.example.org", out, &e), 0);
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(longest, sizeof(longest), "%s.%s.%s.", label, label, label);
	while (strlen(longest) < DNS_NAME_MAX)
		strcat(longest, "b");
	strcat(longest, ".");	/* 253 characters and the final dot */
	assert_int_equal(dns_name_check(longest, out, &e), 0);
	assert_int_equal(strlen(out), DNS_NAME_MAX);
}

static void refused(const char *name, const char *why)
{
	char out[DNS_NAME_BUF];
	struct errmsg e = { "" };

	assert_int_equal(dns_name_check(name, out, &e), -EINVAL);
	if (!strstr(e.text, why))
		fail_msg("%s: got \"%s\", wanted \"%s\"", name, e.text, why);
}

static void names_refused(void **state)
{
	char big[300];

	refused("", "'' is empty");
	refused(".", "'.' is empty");
	refused("a..b", "'a..b' has an empty label");
	refused(".example.org", "has an empty label");
	refused("exa mple.org", "'exa mple.org' has a space");
	refused("ex@mple.org", "character no host name has");
	refused("b\xc3\xa4r.example.org", "xn-- form");
	memset(big, 'a', 64);
	snprintf(big + 64, sizeof(big) - 64, ".org");
	refused(big, "has a label over 63 characters");
	memset(big, 0, sizeof(big));
	while (strlen(big) < 251)
		strcat(big, "abcdefghi.");
	strcat(big, "org");
	refused(big, "is 263 characters long; a name has at most 253");
}

static void names_compared(void **state)
{
	assert_true(dns_name_equal("Mail.Example.ORG.", "mail.example.org"));
	assert_false(dns_name_equal("mail.example.org", "mail.example.or"));
	assert_true(dns_name_under("mail.example.org", "example.org"));
	assert_true(dns_name_under("example.org.", "Example.Org"));
	assert_false(dns_name_under("badexample.org", "example.org"));
	assert_false(dns_name_under("org", "example.org"));
	assert_true(dns_name_under("anything", ""));
}

/* ---- queries ---- */

static void query_built(void **state)
{
	static const uint8_t want[] = {
		0x12, 0x34, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0, 0, 6, 0, 1,
	};
	uint8_t buf[DNS_QUERY_MAX];
	char name[DNS_NAME_BUF];
	uint16_t type;
	char label[80];

	assert_int_equal(dns_build_query(buf, sizeof(buf), 0x1234, "example.org", DNS_T_SOA,
					 false), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	/* RD for resolvers, nothing else: no AD even where resolv.conf says trust-ad */
	assert_int_equal(dns_build_query(buf, sizeof(buf), 0x1234, "example.org", DNS_T_SOA,
					 true), sizeof(want));
	assert_int_equal(buf[2], 0x01);
	assert_int_equal(buf[3], 0x00);
	assert_int_equal(dns_question(buf, sizeof(want), name, &type), 0);
	assert_string_equal(name, "example.org");
	assert_int_equal(type, DNS_T_SOA);
	assert_int_equal(dns_build_query(buf, 20, 1, "example.org", DNS_T_A, false), -EMSGSIZE);
	memset(label, 'a', 70);
	label[70] = '\0';
	assert_true(dns_build_query(buf, sizeof(buf), 1, label, DNS_T_A, false) < 0);
}

/* ---- packets, built byte by byte ---- */

enum { QR = 0x8000, AA = 0x0400, TC = 0x0200, RD = 0x0100 };

struct pkt {
	uint8_t b[4096];
	size_t n;
};

static void p8(struct pkt *p, unsigned int v)
{
	p->b[p->n++] = (uint8_t)v;
}

static void p16(struct pkt *p, unsigned int v)
{
	p8(p, v >> 8);
	p8(p, v);
}

static void p32(struct pkt *p, uint32_t v)
{
	p16(p, v >> 16);
	p16(p, v & 0xffff);
}

/* A name in labels ("" is the root), uncompressed. */
static void pname(struct pkt *p, const char *name)
{
	while (*name) {
		size_t len = strcspn(name, ".");

		p8(p, (unsigned int)len);
		memcpy(p->b + p->n, name, len);
		p->n += len;
		name += len;
		if (*name == '.')
			name++;
	}
	p8(p, 0);
}

static void pptr(struct pkt *p, unsigned int offset)
{
	p16(p, 0xc000 | offset);
}

static void header(struct pkt *p, unsigned int id, unsigned int flags, unsigned int an,
		   unsigned int ns)
{
	p->n = 0;
	p16(p, id);
	p16(p, flags);
	p16(p, 1);
	p16(p, an);
	p16(p, ns);
	p16(p, 0);
}

/* The header and the question; the question's name is at offset 12. */
static void reply(struct pkt *p, unsigned int flags, unsigned int an, unsigned int ns,
		  const char *name, unsigned int type)
{
	header(p, 0x1234, QR | flags, an, ns);
	pname(p, name);
	p16(p, type);
	p16(p, 1);
}

/* A record's type, class, TTL; returns where its rdlength goes. */
static size_t rr(struct pkt *p, unsigned int type, uint32_t ttl)
{
	size_t at;

	p16(p, type);
	p16(p, 1);
	p32(p, ttl);
	at = p->n;
	p16(p, 0);
	return at;
}

static void rr_end(struct pkt *p, size_t at)
{
	size_t len = p->n - at - 2;

	p->b[at] = (uint8_t)(len >> 8);
	p->b[at + 1] = (uint8_t)len;
}

static void a_record(struct pkt *p, uint32_t ttl, const char *addr)
{
	size_t at = rr(p, DNS_T_A, ttl);

	inet_pton(AF_INET, addr, p->b + p->n);
	p->n += 4;
	rr_end(p, at);
}

static struct dns_answer ans;

static int parse(const struct pkt *p, const char *name, unsigned int type)
{
	return dns_parse(p->b, p->n, name, (uint16_t)type, &ans);
}

static const char *item_addr(unsigned int i)
{
	static char buf[ADDRESS_STRLEN];

	return address_str(&ans.items[i].addr, buf);
}

/* ---- replies matched ---- */

static void replies_matched(void **state)
{
	struct pkt p;

	reply(&p, AA, 0, 0, "Mail.Example.Org", DNS_T_A);
	assert_int_equal(dns_reply_match(p.b, p.n, 0x1234, "mail.example.org", DNS_T_A),
			 DNS_REPLY_OURS);
	assert_int_equal(dns_reply_match(p.b, p.n, 0x1235, "mail.example.org", DNS_T_A),
			 DNS_REPLY_FOREIGN);	/* wrong id */
	assert_int_equal(dns_reply_match(p.b, p.n, 0x1234, "mail.example.org", DNS_T_AAAA),
			 DNS_REPLY_FOREIGN);	/* another question */
	assert_int_equal(dns_reply_match(p.b, p.n, 0x1234, "mx.example.org", DNS_T_A),
			 DNS_REPLY_FOREIGN);
	assert_int_equal(dns_reply_match(p.b, 5, 0x1234, "mail.example.org", DNS_T_A),
			 DNS_REPLY_FOREIGN);	/* shorter than a header */
	assert_int_equal(dns_reply_match(p.b, p.n - 1, 0x1234, "mail.example.org", DNS_T_A),
			 DNS_REPLY_FOREIGN);	/* the question cut */
	p.b[2] &= 0x7f;			/* QR clear: a query, not a reply */
	assert_int_equal(dns_reply_match(p.b, p.n, 0x1234, "mail.example.org", DNS_T_A),
			 DNS_REPLY_FOREIGN);
	reply(&p, AA, 0, 0, "mail.example.org", DNS_T_A);
	p.b[5] = 2;			/* two questions */
	assert_int_equal(dns_reply_match(p.b, p.n, 0x1234, "mail.example.org", DNS_T_A),
			 DNS_REPLY_FOREIGN);
	/* TC: whatever follows the header may be cut, even the question */
	header(&p, 0x1234, QR | AA | TC, 3, 0);
	assert_int_equal(dns_reply_match(p.b, p.n, 0x1234, "big.example.org", DNS_T_A),
			 DNS_REPLY_TRUNCATED);
	assert_int_equal(parse(&p, "big.example.org", DNS_T_A), -EBADMSG);
}

/* ---- answers parsed ---- */

static void answer_compressed(void **state)
{
	struct pkt p;

	reply(&p, AA, 2, 0, "mail.example.org", DNS_T_A);
	pptr(&p, 12);
	a_record(&p, 600, "203.0.113.1");
	pptr(&p, 12);
	a_record(&p, 0x80000001, "198.51.100.2");	/* TTL top bit: read as 0 */
	assert_int_equal(parse(&p, "mail.example.org", DNS_T_A), 0);
	assert_true(ans.aa);
	assert_int_equal(ans.rcode, DNS_RCODE_NOERROR);
	assert_int_equal(ans.n, 2);
	assert_string_equal(item_addr(0), "203.0.113.1");
	assert_int_equal(ans.items[0].ttl, 600);
	assert_string_equal(item_addr(1), "198.51.100.2");
	assert_int_equal(ans.items[1].ttl, 0);
	assert_int_equal(ans.chain, 0);
}

static void answer_aaaa(void **state)
{
	struct pkt p;
	size_t at;

	reply(&p, AA, 1, 0, "mail.example.org", DNS_T_AAAA);
	pptr(&p, 12);
	at = rr(&p, DNS_T_AAAA, 300);
	inet_pton(AF_INET6, "2001:db8:1::1", p.b + p.n);
	p.n += 16;
	rr_end(&p, at);
	assert_int_equal(parse(&p, "mail.example.org", DNS_T_AAAA), 0);
	assert_int_equal(ans.n, 1);
	assert_string_equal(item_addr(0), "2001:db8:1::1");
}

/* webmail CNAME alias2 CNAME mail, then mail's address: the MX host at the end. */
static void answer_cname_chain(void **state)
{
	size_t at, alias2, mail;
	struct pkt p;

	reply(&p, AA, 3, 0, "webmail.example.org", DNS_T_A);
	pptr(&p, 12);
	at = rr(&p, DNS_T_CNAME, 900);
	alias2 = p.n;
	p8(&p, 6);
	memcpy(p.b + p.n, "alias2", 6);
	p.n += 6;
	pptr(&p, 12 + 8);	/* "example.org" of the question */
	rr_end(&p, at);
	pptr(&p, (unsigned int)alias2);
	at = rr(&p, DNS_T_CNAME, 1800);
	mail = p.n;
	p8(&p, 4);
	memcpy(p.b + p.n, "mail", 4);
	p.n += 4;
	pptr(&p, 12 + 8);
	rr_end(&p, at);
	pptr(&p, (unsigned int)mail);
	a_record(&p, 600, "203.0.113.1");
	assert_int_equal(parse(&p, "webmail.example.org", DNS_T_A), 0);
	assert_string_equal(ans.owner, "mail.example.org");
	assert_int_equal(ans.chain, 2);
	assert_int_equal(ans.chain_ttl, 1800);
	assert_int_equal(ans.n, 1);
	assert_string_equal(item_addr(0), "203.0.113.1");
	/* asked for the MX host itself, the chain is not taken */
	assert_int_equal(parse(&p, "alias2.example.org", DNS_T_A), 0);
	assert_string_equal(ans.owner, "mail.example.org");
	assert_int_equal(ans.chain, 1);
}

/* a CNAME b, b CNAME a: a loop, told as one (it has no end to read). */
static void answer_cname_loop(void **state)
{
	struct pkt p;
	size_t at, b;

	reply(&p, AA, 2, 0, "a.example.org", DNS_T_A);
	pptr(&p, 12);
	at = rr(&p, DNS_T_CNAME, 60);
	b = p.n;
	p8(&p, 1);
	p8(&p, 'b');
	pptr(&p, 14);
	rr_end(&p, at);
	pptr(&p, (unsigned int)b);
	at = rr(&p, DNS_T_CNAME, 60);
	pptr(&p, 12);
	rr_end(&p, at);
	assert_int_equal(parse(&p, "a.example.org", DNS_T_A), 0);
	assert_int_equal(ans.chain_end, DNS_CHAIN_LOOP);	/* seen as one, at once */
	assert_int_equal(ans.chain, 1);
	assert_int_equal(ans.n, 0);
}

/*
 * c1 CNAME c2 ... c@len CNAME c@len+1, which has the address: what NSD
 * answers for a chain inside its zone, whole.
 */
static void chain_reply(struct pkt *p, unsigned int len)
{
	char owner[32], target[32];
	unsigned int i;
	size_t at;

	snprintf(owner, sizeof(owner), "c1.example.org");
	reply(p, AA, len + 1, 0, owner, DNS_T_A);
	for (i = 1; i <= len; i++) {
		snprintf(owner, sizeof(owner), "c%u.example.org", i);
		snprintf(target, sizeof(target), "c%u.example.org", i + 1);
		pname(p, owner);
		at = rr(p, DNS_T_CNAME, 300 + i);
		pname(p, target);
		rr_end(p, at);
	}
	pname(p, target);
	a_record(p, 60, "203.0.113.1");
}

/* As far as resolvers follow (DNS_CHAIN_MAX, 16), and no further: never "no address". */
static void answer_cname_chain_lengths(void **state)
{
	struct pkt p;

	chain_reply(&p, 9);	/* the issue's: followed to its end */
	assert_int_equal(parse(&p, "c1.example.org", DNS_T_A), 0);
	assert_int_equal(ans.chain_end, DNS_CHAIN_ENDS);
	assert_int_equal(ans.chain, 9);
	assert_string_equal(ans.owner, "c10.example.org");
	assert_int_equal(ans.n, 1);
	assert_string_equal(item_addr(0), "203.0.113.1");
	assert_int_equal(ans.chain_ttl, 309);
	chain_reply(&p, DNS_CHAIN_MAX);
	assert_int_equal(parse(&p, "c1.example.org", DNS_T_A), 0);
	assert_int_equal(ans.chain_end, DNS_CHAIN_ENDS);
	assert_int_equal(ans.n, 1);
	chain_reply(&p, DNS_CHAIN_MAX + 1);
	assert_int_equal(parse(&p, "c1.example.org", DNS_T_A), 0);
	assert_int_equal(ans.chain_end, DNS_CHAIN_TOO_LONG);
	assert_int_equal(ans.n, 0);
}

static void answer_pointer_loops(void **state)
{
	struct pkt p;
	size_t at;

	/* an owner that points at itself: glibc's ns_parserr refuses it */
	reply(&p, AA, 1, 0, "mail.example.org", DNS_T_A);
	pptr(&p, (unsigned int)p.n);
	a_record(&p, 60, "203.0.113.1");
	assert_int_equal(parse(&p, "mail.example.org", DNS_T_A), -EBADMSG);
	/* a CNAME whose data points at itself: refused by dn_expand */
	reply(&p, AA, 1, 0, "mail.example.org", DNS_T_A);
	pptr(&p, 12);
	at = rr(&p, DNS_T_CNAME, 60);
	pptr(&p, (unsigned int)p.n);
	rr_end(&p, at);
	assert_int_equal(parse(&p, "mail.example.org", DNS_T_A), -EBADMSG);
	/* a pointer past the end of the message */
	reply(&p, AA, 1, 0, "mail.example.org", DNS_T_A);
	pptr(&p, 12);
	at = rr(&p, DNS_T_CNAME, 60);
	pptr(&p, 0x3ff);
	rr_end(&p, at);
	assert_int_equal(parse(&p, "mail.example.org", DNS_T_A), -EBADMSG);
}

static void answer_malformed(void **state)
{
	struct pkt p, q;

	reply(&p, AA, 1, 0, "mail.example.org", DNS_T_A);
	pptr(&p, 12);
	a_record(&p, 60, "203.0.113.1");
	assert_int_equal(parse(&p, "mail.example.org", DNS_T_A), 0);
	q = p;
	q.n--;				/* cut inside the data */
	assert_int_equal(parse(&q, "mail.example.org", DNS_T_A), -EBADMSG);
	q = p;
	p8(&q, 0xff);			/* a byte after the last record */
	assert_int_equal(parse(&q, "mail.example.org", DNS_T_A), -EBADMSG);
	q = p;
	q.b[7] = 2;			/* two answers announced, one there */
	assert_int_equal(parse(&q, "mail.example.org", DNS_T_A), -EBADMSG);
	q = p;
	q.b[q.n - 5] = 3;		/* an A of three bytes: skipped, not read */
	q.n--;
	assert_int_equal(parse(&q, "mail.example.org", DNS_T_A), 0);
	assert_int_equal(ans.n, 0);
	assert_int_equal(ans.skipped, 1);
}

/* Without AA: a server that does not serve the zone; with NS records: a delegation. */
static void answer_not_authoritative(void **state)
{
	struct pkt p;
	size_t at;

	reply(&p, 0, 1, 0, "mail.example.org", DNS_T_A);
	pptr(&p, 12);
	a_record(&p, 60, "203.0.113.1");
	assert_int_equal(parse(&p, "mail.example.org", DNS_T_A), 0);
	assert_false(ans.aa);
	assert_false(ans.referral);
	reply(&p, DNS_RCODE_REFUSED, 0, 0, "mail.example.org", DNS_T_A);
	assert_int_equal(parse(&p, "mail.example.org", DNS_T_A), 0);
	assert_int_equal(ans.rcode, DNS_RCODE_REFUSED);
	assert_false(ans.aa);
	reply(&p, 0, 0, 1, "mail.sub.example.org", DNS_T_A);
	pptr(&p, 12 + 5);	/* sub.example.org NS ns.sub.example.org */
	at = rr(&p, DNS_T_NS, 3600);
	p8(&p, 2);
	p8(&p, 'n');
	p8(&p, 's');
	pptr(&p, 12 + 5);
	rr_end(&p, at);
	assert_int_equal(parse(&p, "mail.sub.example.org", DNS_T_A), 0);
	assert_true(ans.referral);
}

static size_t mx(struct pkt *p, uint32_t ttl, unsigned int pref, const char *host)
{
	size_t at = rr(p, DNS_T_MX, ttl);

	p16(p, pref);
	pname(p, host);
	rr_end(p, at);
	return at;
}

static void answer_mx(void **state)
{
	struct pkt p;

	reply(&p, AA, 3, 0, "example.org", DNS_T_MX);
	pptr(&p, 12);
	mx(&p, 3600, 10, "mail.example.org");
	pptr(&p, 12);
	mx(&p, 3600, 20, "mx2.example.net");
	pptr(&p, 12);
	mx(&p, 3600, 30, "bad name.example.org");	/* not a host name: skipped */
	assert_int_equal(parse(&p, "example.org", DNS_T_MX), 0);
	assert_int_equal(ans.n, 2);
	assert_int_equal(ans.skipped, 1);
	assert_int_equal(ans.items[0].priority, 10);
	assert_string_equal(ans.items[0].target, "mail.example.org");
	assert_string_equal(ans.items[1].target, "mx2.example.net");
	/* RFC 7505's null MX: the root, no mail at all */
	reply(&p, AA, 1, 0, "example.org", DNS_T_MX);
	pptr(&p, 12);
	mx(&p, 3600, 0, "");
	assert_int_equal(parse(&p, "example.org", DNS_T_MX), 0);
	assert_int_equal(ans.n, 1);
	assert_string_equal(ans.items[0].target, "");
}

static void answer_srv(void **state)
{
	struct pkt p;
	size_t at;

	reply(&p, AA, 2, 0, "_imaps._tcp.example.org", DNS_T_SRV);
	pptr(&p, 12);
	at = rr(&p, DNS_T_SRV, 300);
	p16(&p, 0);
	p16(&p, 1);
	p16(&p, 993);
	p8(&p, 4);
	memcpy(p.b + p.n, "imap", 4);
	p.n += 4;
	pptr(&p, 12 + 12);	/* example.org */
	rr_end(&p, at);
	pptr(&p, 12);
	at = rr(&p, DNS_T_SRV, 300);
	p16(&p, 0);
	p16(&p, 0);
	p16(&p, 0);
	p8(&p, 0);		/* ".": not offered */
	rr_end(&p, at);
	assert_int_equal(parse(&p, "_imaps._tcp.example.org", DNS_T_SRV), 0);
	assert_int_equal(ans.n, 2);
	assert_int_equal(ans.items[0].port, 993);
	assert_int_equal(ans.items[0].weight, 1);
	assert_string_equal(ans.items[0].target, "imap.example.org");
	assert_string_equal(ans.items[1].target, "");
}

static size_t soa(struct pkt *p, uint32_t serial)
{
	size_t at = rr(p, DNS_T_SOA, 3600);

	pname(p, "ns1.example.org");
	pname(p, "hostmaster.example.org");
	p32(p, serial);
	p32(p, 3600);
	p32(p, 600);
	p32(p, 86400);
	p32(p, 300);
	rr_end(p, at);
	return at;
}

static void answer_soa(void **state)
{
	struct pkt p;
	size_t at;

	reply(&p, AA, 1, 0, "example.org", DNS_T_SOA);
	pptr(&p, 12);
	soa(&p, 2026120201);
	assert_int_equal(parse(&p, "example.org", DNS_T_SOA), 0);
	assert_true(ans.has_serial);
	assert_int_equal(ans.serial, 2026120201);
	/* not a zone's apex: the enclosing zone's SOA, in the authority section */
	reply(&p, AA | DNS_RCODE_NXDOMAIN, 0, 1, "nothing.example.org", DNS_T_SOA);
	pptr(&p, 12 + 8);
	soa(&p, 7);
	assert_int_equal(parse(&p, "nothing.example.org", DNS_T_SOA), 0);
	assert_int_equal(ans.rcode, DNS_RCODE_NXDOMAIN);
	assert_true(ans.has_serial);
	assert_int_equal(ans.serial, 7);
	/* an SOA too short for its numbers */
	reply(&p, AA, 1, 0, "example.org", DNS_T_SOA);
	pptr(&p, 12);
	at = soa(&p, 1);
	p.b[at + 1]--;
	p.n--;
	assert_int_equal(parse(&p, "example.org", DNS_T_SOA), -EBADMSG);
}

/* More records than DNS_ANSWER_MAX: the first kept, the rest counted. */
static void answer_many(void **state)
{
	char addr[32];
	struct pkt p;
	unsigned int i;

	reply(&p, AA, 100, 0, "big.example.org", DNS_T_A);
	for (i = 0; i < 100; i++) {
		pptr(&p, 12);
		snprintf(addr, sizeof(addr), "198.51.100.%u", i);
		a_record(&p, 60, addr);
	}
	assert_int_equal(parse(&p, "big.example.org", DNS_T_A), 0);
	assert_int_equal(ans.n, DNS_ANSWER_MAX);
	assert_int_equal(ans.skipped, 100 - DNS_ANSWER_MAX);
}

/* ---- addresses ---- */

static struct address ip(const char *s)
{
	struct address a = { .family = strchr(s, ':') ? AF_INET6 : AF_INET };

	assert_int_equal(inet_pton(a.family, s, &a.in), 1);
	return a;
}

static void ptr_names(void **state)
{
	struct address a = ip("203.0.113.10");
	char name[DNS_NAME_BUF];

	dns_ptr_name(&a, name, sizeof(name));
	assert_string_equal(name, "10.113.0.203.in-addr.arpa");
	a = ip("2001:db8:1::10");
	dns_ptr_name(&a, name, sizeof(name));
	assert_string_equal(name, "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0."
			    "8.b.d.0.1.0.0.2.ip6.arpa");
	a = ip("::ffff:192.0.2.7");
	dns_ptr_name(&a, name, sizeof(name));
	assert_string_equal(name, "7.2.0.192.in-addr.arpa");
}

static void classified(void **state)
{
	struct address old[] = { ip("203.0.113.1"), ip("2001:db8:1::1") };
	struct address new_[] = { ip("198.51.100.2"), ip("2001:db8:2::2") };
	struct address a = ip("203.0.113.1");

	assert_int_equal(dns_classify(&a, old, 2, new_, 2), DNS_POINTS_OLD);
	a = ip("2001:db8:2::2");
	assert_int_equal(dns_classify(&a, old, 2, new_, 2), DNS_POINTS_NEW);
	a = ip("2001:db8:1::2");
	assert_int_equal(dns_classify(&a, old, 2, new_, 2), DNS_POINTS_OTHER);
	a = ip("198.51.100.2");
	assert_int_equal(dns_classify(&a, old, 2, NULL, 0), DNS_POINTS_OTHER);
	assert_string_equal(dns_points_name(DNS_POINTS_OLD), "old");
	assert_string_equal(dns_points_name(DNS_POINTS_NEW), "new");
	assert_string_equal(dns_points_name(DNS_POINTS_OTHER), "other");
	assert_true(dns_serial_older(1, 2));
	assert_false(dns_serial_older(2, 1));
	assert_false(dns_serial_older(5, 5));
	assert_true(dns_serial_older(0xffffffffU, 1));	/* RFC 1982: 1 follows 2^32-1 */
}

/* ---- reports ---- */

static struct dns_record record(const char *name, const char *type, const char *addr,
				uint32_t ttl, enum dns_points to)
{
	struct dns_record r = { .ttl = ttl, .points_to = to, .via = "MX" };

	snprintf(r.name, sizeof(r.name), "%s", name);
	r.type = !strcmp(type, "A") ? DNS_T_A : DNS_T_AAAA;
	r.addr = ip(addr);
	return r;
}

static void server(struct dns_server *s, const char *name, const char *addr, uint32_t serial,
		   struct dns_record *records, unsigned int n)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->has_addr = true;
	s->addr = ip(addr);
	s->has_serial = serial != 0;
	s->serial = serial;
	s->records = records;
	s->nrecords = n;
}

static struct dns_record r1[2], r2[3];
static struct dns_server servers[4];
static struct dns_domain domains[2];
static struct dns_report report;

/* ns1 fixed but for a forgotten AAAA; ns2 lags; ns3 silent; ns1's IPv6 unreachable. */
static void a_report(void)
{
	r1[0] = record("mail.example.org", "A", "198.51.100.2", 600, DNS_POINTS_NEW);
	r1[1] = record("mail.example.org", "AAAA", "2001:db8:1::1", 600, DNS_POINTS_OLD);
	r2[0] = record("mail.example.org", "A", "203.0.113.1", 3600, DNS_POINTS_OLD);
	r2[1] = record("webmail.example.org", "A", "203.0.113.1", 7200, DNS_POINTS_OLD);
	snprintf(r2[1].cname, sizeof(r2[1].cname), "mail.example.org");
	r2[2] = record("imap.example.org", "A", "192.0.2.143", 60, DNS_POINTS_OTHER);
	memset(domains, 0, sizeof(domains));
	server(&servers[0], "ns1.example.org", "192.0.2.53", 2, r1, 2);
	server(&servers[1], "ns1.example.org", "2001:db8:53::53", 0, NULL, 0);
	servers[1].fault = DNS_FAULT_UNREACHABLE;
	servers[1].fault_code = ENETUNREACH;
	server(&servers[2], "ns2.example.org", "192.0.2.54", 1, r2, 3);
	server(&servers[3], "ns3.example.org", "192.0.2.55", 0, NULL, 0);
	servers[3].fault = DNS_FAULT_TIMEOUT;
	snprintf(servers[3].fault_query, sizeof(servers[3].fault_query), "example.org SOA");
	snprintf(domains[0].name, sizeof(domains[0].name), "example.org");
	domains[0].servers = servers;
	domains[0].nservers = 4;
	snprintf(domains[1].name, sizeof(domains[1].name), "nothing.example.org");
	domains[1].fault = DNS_DOMAIN_NXDOMAIN;
	report.domains = domains;
	report.ndomains = 2;
	dns_report_finish(&report);
}

static void report_statuses(void **state)
{
	a_report();
	assert_true(domains[0].has_serial);
	assert_int_equal(domains[0].newest_serial, 2);
	assert_false(servers[0].lagging);
	assert_true(servers[2].lagging);
	assert_true(servers[1].skipped);	/* ns1 answered at its IPv4 address */
	assert_false(servers[3].skipped);
	assert_int_equal(servers[0].status, DNS_STATUS_OLD);
	assert_int_equal(servers[3].status, DNS_STATUS_UNKNOWN);
	assert_int_equal(domains[0].status, DNS_STATUS_OLD);	/* old outweighs unknown */
	assert_int_equal(domains[1].status, DNS_STATUS_UNKNOWN);
	assert_int_equal(report.status, DNS_STATUS_OLD);
	assert_string_equal(dns_status_name(report.status), "old");
	/* once fixed, the silent server alone leaves it unknown */
	r1[1].points_to = r2[0].points_to = r2[1].points_to = DNS_POINTS_NEW;
	report.ndomains = 1;
	dns_report_finish(&report);
	assert_int_equal(report.status, DNS_STATUS_UNKNOWN);
	servers[3].fault = DNS_FAULT_NONE;
	dns_report_finish(&report);
	assert_int_equal(report.status, DNS_STATUS_NEW);
	assert_string_equal(dns_status_name(report.status), "new");
}

static void report_old_ttl(void **state)
{
	const struct dns_record *rec;
	const struct dns_server *srv;

	a_report();
	assert_int_equal(dns_report_old_ttl(&report, &rec, &srv), 7200);
	assert_string_equal(rec->name, "webmail.example.org");
	assert_ptr_equal(srv, &servers[2]);
	r2[1].points_to = DNS_POINTS_NEW;
	assert_int_equal(dns_report_old_ttl(&report, NULL, NULL), 3600);
	r1[1].points_to = r2[0].points_to = DNS_POINTS_NEW;
	assert_int_equal(dns_report_old_ttl(&report, &rec, &srv), 0);
	assert_null(rec);
}

static void collect(const char *sentence, void *data)
{
	char *all = data;
	size_t n = strlen(all);

	snprintf(all + n, 8192 - n, "%s.\n", sentence);
}

static void report_sentences(void **state)
{
	static char all[8192];
	char first[512];

	a_report();
	assert_true(dns_report_first_problem(&report, first, sizeof(first)));
	assert_string_equal(first, "ns1.example.org (192.0.2.53, serial 2) still answers "
			    "mail.example.org AAAA 2001:db8:1::1: change mail.example.org AAAA "
			    "to the new server's address, or remove it, and raise the zone's "
			    "serial");
	all[0] = '\0';
	/* webmail's CNAME ends at mail, told already: one sentence for both */
	assert_int_equal(dns_report_problems(&report, collect, all), 4);
	assert_golden("dns_problems", all);
	r1[1].points_to = r2[0].points_to = r2[1].points_to = DNS_POINTS_NEW;
	servers[3].fault = DNS_FAULT_NONE;
	report.ndomains = 1;
	dns_report_finish(&report);
	assert_false(dns_report_first_problem(&report, first, sizeof(first)));
	assert_string_equal(first, "");
}

/* ---- EDNS, TLSA, TXT ---- */

static void edns_added(void **state)
{
	static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0 };
	uint8_t buf[DNS_QUERY_MAX];
	char name[DNS_NAME_BUF];
	uint16_t type;
	int n = dns_build_query(buf, sizeof(buf), 7, "_25._tcp.mail.example.org", DNS_T_TLSA,
				false);

	assert_true(n > 0);
	assert_int_equal(dns_add_edns(buf, sizeof(buf), (size_t)n, DNS_EDNS_UDP, true),
			 n + DNS_OPT_LEN);
	assert_memory_equal(buf + n, opt, sizeof(opt));	/* 1232 bytes, DO */
	assert_int_equal(buf[11], 1);			/* ARCOUNT */
	assert_int_equal(dns_question(buf, (size_t)n + DNS_OPT_LEN, name, &type), 0);
	assert_int_equal(type, DNS_T_TLSA);
	assert_int_equal(dns_add_edns(buf, (size_t)n + 5, (size_t)n, DNS_EDNS_UDP, true),
			 -EMSGSIZE);
}

static void tlsa_rr(struct pkt *p, uint32_t ttl, unsigned int usage, unsigned int mtype,
		    unsigned int len)
{
	size_t at = rr(p, DNS_T_TLSA, ttl);
	unsigned int i;

	p8(p, usage);
	p8(p, 1);
	p8(p, mtype);
	for (i = 0; i < len; i++)
		p8(p, usage * 16 + i);
	rr_end(p, at);
}

/* An RRSIG: the type covered, then what validators read and we do not. */
static void rrsig_rr(struct pkt *p, unsigned int covered)
{
	size_t at = rr(p, DNS_T_RRSIG, 300);
	unsigned int i;

	p16(p, covered);
	for (i = 0; i < 40; i++)
		p8(p, i);
	rr_end(p, at);
}

static void tlsa_read(void **state)
{
	static const char owner[] = "_25._tcp.mail.example.org";
	struct tlsa_rrset set;
	struct pkt p;

	reply(&p, AA, 4, 0, owner, DNS_T_TLSA);
	pptr(&p, 12);
	tlsa_rr(&p, 600, 3, 1, 32);
	pptr(&p, 12);
	tlsa_rr(&p, 300, 0, 2, 64);
	pptr(&p, 12);
	rrsig_rr(&p, DNS_T_TLSA);
	pname(&p, "other.example.org");
	tlsa_rr(&p, 300, 2, 1, 32);	/* another owner's */
	assert_int_equal(parse(&p, owner, DNS_T_TLSA), 0);
	assert_int_equal(ans.n, 0);	/* TLSA is dns/rdata.c's to read */
	assert_int_equal(dns_read_tlsa(p.b, p.n, ans.owner, &set), 0);
	assert_int_equal(set.n, 2);
	assert_true(set.is_signed);
	assert_int_equal(set.ttl, 300);
	assert_int_equal(set.rec[0].usage, 3);
	assert_int_equal(set.rec[0].len, 32);
	assert_int_equal(set.rec[0].data[1], 3 * 16 + 1);
	assert_int_equal(set.rec[1].mtype, 2);
	assert_int_equal(tlsa_count_usable(&set), 1);	/* PKIX-TA is not */
	assert_true(dns_reply_signed(p.b, p.n));
	tlsa_free(&set);
	/* an RRSIG over something else signs nothing here */
	reply(&p, AA, 2, 0, owner, DNS_T_TLSA);
	pptr(&p, 12);
	tlsa_rr(&p, 300, 3, 1, 32);
	pptr(&p, 12);
	rrsig_rr(&p, DNS_T_A);
	assert_int_equal(dns_read_tlsa(p.b, p.n, owner, &set), 0);
	assert_false(set.is_signed);
	tlsa_free(&set);
}

static void tlsa_odd(void **state)
{
	static const char owner[] = "_25._tcp.mail.example.org";
	struct tlsa_rrset set;
	struct pkt p;
	size_t at;

	/* no room for the three fields: malformed */
	reply(&p, AA, 1, 0, owner, DNS_T_TLSA);
	pptr(&p, 12);
	at = rr(&p, DNS_T_TLSA, 300);
	p16(&p, 0x0301);
	rr_end(&p, at);
	assert_int_equal(dns_read_tlsa(p.b, p.n, owner, &set), -EBADMSG);
	tlsa_free(&set);
	/* a CNAME: the records are the target's */
	reply(&p, AA, 2, 0, "_25._tcp.alias.example.org", DNS_T_TLSA);
	pptr(&p, 12);
	at = rr(&p, DNS_T_CNAME, 300);
	pname(&p, owner);
	rr_end(&p, at);
	pname(&p, owner);
	tlsa_rr(&p, 300, 3, 1, 32);
	assert_int_equal(parse(&p, "_25._tcp.alias.example.org", DNS_T_TLSA), 0);
	assert_string_equal(ans.owner, owner);
	assert_int_equal(dns_read_tlsa(p.b, p.n, ans.owner, &set), 0);
	assert_int_equal(set.n, 1);
	tlsa_free(&set);
	/* a signed "no such record": RRSIGs in the authority section */
	reply(&p, AA, 0, 1, owner, DNS_T_TLSA);
	pptr(&p, 12);
	rrsig_rr(&p, 47);	/* over the NSEC */
	assert_true(dns_reply_signed(p.b, p.n));
	assert_int_equal(dns_read_tlsa(p.b, p.n, owner, &set), 0);
	assert_int_equal(set.n, 0);
	reply(&p, AA, 0, 0, owner, DNS_T_TLSA);
	assert_false(dns_reply_signed(p.b, p.n));
}

static void txt_read(void **state)
{
	static const char owner[] = "_mta-sts.example.org";
	struct dns_txt txt;
	struct pkt p;
	size_t at;

	reply(&p, 0, 2, 0, owner, DNS_T_TXT);
	pptr(&p, 12);
	at = rr(&p, DNS_T_TXT, 300);
	p8(&p, 9);
	memcpy(p.b + p.n, "v=STSv1; ", 9);
	p.n += 9;
	p8(&p, 6);
	memcpy(p.b + p.n, "id=42;", 6);
	p.n += 6;
	rr_end(&p, at);
	pptr(&p, 12);
	at = rr(&p, DNS_T_TXT, 60);
	p8(&p, 0);			/* one empty string */
	rr_end(&p, at);
	assert_int_equal(dns_read_txt(p.b, p.n, owner, &txt), 0);
	assert_int_equal(txt.n, 2);
	assert_string_equal(txt.rec[0].text, "v=STSv1; id=42;");
	assert_int_equal(txt.rec[0].len, 15);
	assert_int_equal(txt.rec[1].len, 0);
	assert_int_equal(txt.ttl, 60);
	dns_txt_free(&txt);
	/* a string longer than its record */
	reply(&p, 0, 1, 0, owner, DNS_T_TXT);
	pptr(&p, 12);
	at = rr(&p, DNS_T_TXT, 300);
	p8(&p, 9);
	p8(&p, 'v');
	rr_end(&p, at);
	assert_int_equal(dns_read_txt(p.b, p.n, owner, &txt), -EBADMSG);
	dns_txt_free(&txt);
}

static void tlsa_usability(void **state)
{
	static const struct {
		uint8_t u, s, m;
		uint16_t len;
		enum tlsa_unusable want;
	} cases[] = {
		{ 3, 1, 1, 32, TLSA_USABLE }, { 2, 0, 2, 64, TLSA_USABLE },
		{ 3, 0, 0, 300, TLSA_USABLE }, { 0, 0, 1, 32, TLSA_UNUSABLE_PKIX },
		{ 1, 1, 1, 32, TLSA_UNUSABLE_PKIX }, { 4, 1, 1, 32, TLSA_UNUSABLE_USAGE },
		{ 3, 2, 1, 32, TLSA_UNUSABLE_SELECTOR }, { 3, 1, 3, 32, TLSA_UNUSABLE_MTYPE },
		{ 3, 1, 1, 31, TLSA_UNUSABLE_LENGTH }, { 3, 1, 2, 32, TLSA_UNUSABLE_LENGTH },
		{ 3, 1, 0, 0, TLSA_UNUSABLE_LENGTH },
	};
	uint8_t data[300] = { 0 };
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tlsa_record r = { cases[i].u, cases[i].s, cases[i].m, cases[i].len, data };

		if (tlsa_usable(&r) != cases[i].want)
			fail_msg("%u %u %u len %u: got %d", r.usage, r.selector, r.mtype, r.len,
				 (int)tlsa_usable(&r));
	}
	assert_string_equal(tlsa_usage_name(3), "DANE-EE");
	assert_string_equal(tlsa_usage_name(9), "unknown");
	assert_string_equal(tlsa_mtype_name(1), "SHA2-256");
	assert_string_equal(tlsa_selector_name(1), "SPKI");
}

static void tlsa_sets(void **state)
{
	static const uint8_t d1[] = { 0xab, 0xcd, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct tlsa_rrset a = { .n = 0 }, b = { .n = 0 }, c;
	char text[16];
	unsigned int i;

	assert_int_equal(tlsa_add(&a, 3, 1, 1, d1, 3), 0);
	assert_int_equal(tlsa_add(&a, 2, 0, 1, d1, 5), 0);
	assert_int_equal(tlsa_add(&b, 2, 0, 1, d1, 5), 0);
	assert_false(tlsa_same_records(&a, &b));
	assert_int_equal(tlsa_add(&b, 3, 1, 1, d1, 3), 0);
	assert_true(tlsa_same_records(&a, &b));		/* the order aside */
	assert_int_equal(tlsa_copy(&c, &a), 0);
	assert_true(tlsa_same_records(&a, &c));
	assert_ptr_not_equal(c.rec[0].data, a.rec[0].data);
	c.rec[0].data[0] = 0;
	assert_false(tlsa_same_records(&a, &c));
	assert_string_equal(tlsa_text(&a.rec[0], text, sizeof(text)), "3 1 1 abcdef");
	tlsa_add(&c, 3, 1, 1, d1, sizeof(d1));
	assert_string_equal(tlsa_text(&c.rec[2], text, sizeof(text)), "3 1 1 abcdef...");
	for (i = c.n; i < TLSA_RECORDS_MAX; i++)
		assert_int_equal(tlsa_add(&c, 3, 1, 1, d1, 1), 0);
	assert_int_equal(tlsa_add(&c, 3, 1, 1, d1, 1), 1);	/* no room: counted */
	assert_int_equal(c.skipped, 1);
	tlsa_free(&a);
	tlsa_free(&b);
	tlsa_free(&c);
	assert_int_equal(c.n, 0);
}

/* A name whose CNAMEs loop at one server: that server, and so the domain, cannot tell. */
static void report_endless_chain(void **state)
{
	static char all[8192];
	struct dns_missing loop = { .via = "MX", .rcode = DNS_RCODE_NOERROR,
				    .chain_end = DNS_CHAIN_LOOP };

	a_report();
	r1[1].points_to = r2[0].points_to = r2[1].points_to = DNS_POINTS_NEW;
	servers[3].fault = DNS_FAULT_NONE;
	report.ndomains = 1;
	dns_report_finish(&report);
	assert_int_equal(report.status, DNS_STATUS_NEW);
	snprintf(loop.name, sizeof(loop.name), "mx9.example.org");
	servers[0].missing = &loop;
	servers[0].nmissing = 1;
	dns_report_finish(&report);
	assert_int_equal(servers[0].status, DNS_STATUS_UNKNOWN);
	assert_int_equal(report.status, DNS_STATUS_UNKNOWN);
	all[0] = '\0';
	assert_int_equal(dns_report_problems(&report, collect, all), 1);
	assert_string_equal(all, "ns1.example.org (192.0.2.53, serial 2) answers mx9.example.org "
			    "(MX) with CNAME records that loop: where it leads cannot be told, and "
			    "resolvers give up on it (SERVFAIL); fix the CNAME records.\n");
	loop.chain_end = DNS_CHAIN_TOO_LONG;
	all[0] = '\0';
	dns_report_problems(&report, collect, all);
	assert_non_null(strstr(all, "with a chain of more than 16 CNAME records"));
	r2[0].points_to = DNS_POINTS_OLD;	/* old outweighs cannot tell */
	dns_report_finish(&report);
	assert_int_equal(report.status, DNS_STATUS_OLD);
	servers[0].missing = NULL;
	servers[0].nmissing = 0;
}

/*
 * Behind NAT this host's public address is on no interface: with clients
 * still coming and no public address given, an answer that names neither
 * this host nor NEW may be it. Not an all-clear: unknown, and said so.
 */
static void report_public_unknown(void **state)
{
	static char all[8192];

	a_report();
	r1[1].points_to = r2[0].points_to = r2[1].points_to = DNS_POINTS_NEW;
	servers[3].fault = DNS_FAULT_NONE;
	report.ndomains = 1;
	/* behind NAT in IPv6 only (a public IPv4 address on an interface): an
	 * IPv4 answer naming another host is another host's (a backup MX) */
	report.public_unknown = DNS_NAT_V6;
	dns_report_finish(&report);
	assert_false(domains[0].public_unknown);
	assert_int_equal(report.status, DNS_STATUS_NEW);
	report.public_unknown = DNS_NAT_V4;	/* imap.example.org A 192.0.2.143 is "other" */
	dns_report_finish(&report);
	assert_true(domains[0].public_unknown);
	assert_int_equal(report.status, DNS_STATUS_UNKNOWN);
	all[0] = '\0';
	assert_int_equal(dns_report_problems(&report, collect, all), 1);
	assert_string_equal(all, "this host's public address is unknown: imap.example.org A "
			    "192.0.2.143 (from ns2.example.org) is neither an address of this "
			    "host's interfaces nor the new server's, and connections still come to "
			    "the redirect; behind NAT (a cloud's 1:1 NAT) this host's public "
			    "address is on no interface, and this may be it. Give this host's "
			    "public address with --public-address (on enable, or on dns), or its "
			    "own address if it has no other.\n");
	r2[2].points_to = DNS_POINTS_NEW;	/* every answer names NEW: clean, whatever */
	dns_report_finish(&report);
	assert_false(domains[0].public_unknown);
	assert_int_equal(report.status, DNS_STATUS_NEW);
	r2[2].points_to = DNS_POINTS_OTHER;
	r2[0].points_to = DNS_POINTS_OLD;	/* an answer that names this host: old, as ever */
	dns_report_finish(&report);
	assert_false(domains[0].public_unknown);
	assert_int_equal(report.status, DNS_STATUS_OLD);
	report.public_unknown = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_accepted),
		cmocka_unit_test(names_refused),
		cmocka_unit_test(names_compared),
		cmocka_unit_test(query_built),
		cmocka_unit_test(replies_matched),
		cmocka_unit_test(answer_compressed),
		cmocka_unit_test(answer_aaaa),
		cmocka_unit_test(answer_cname_chain),
		cmocka_unit_test(answer_cname_loop),
		cmocka_unit_test(answer_cname_chain_lengths),
		cmocka_unit_test(answer_pointer_loops),
		cmocka_unit_test(answer_malformed),
		cmocka_unit_test(answer_not_authoritative),
		cmocka_unit_test(answer_mx),
		cmocka_unit_test(answer_srv),
		cmocka_unit_test(answer_soa),
		cmocka_unit_test(answer_many),
		cmocka_unit_test(edns_added),
		cmocka_unit_test(tlsa_read),
		cmocka_unit_test(tlsa_odd),
		cmocka_unit_test(txt_read),
		cmocka_unit_test(tlsa_usability),
		cmocka_unit_test(tlsa_sets),
		cmocka_unit_test(ptr_names),
		cmocka_unit_test(classified),
		cmocka_unit_test(report_statuses),
		cmocka_unit_test(report_old_ttl),
		cmocka_unit_test(report_sentences),
		cmocka_unit_test(report_endless_chain),
		cmocka_unit_test(report_public_unknown),
	};

	return RUN_TAP(tests);
}
