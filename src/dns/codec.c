// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * DNS messages, pure. Parsing goes through glibc's own parser
 * (ns_initparse, ns_parserr, dn_expand), which refuses messages cut short,
 * trailing bytes, labels over 63 and compression loops; what it does not
 * check is ours: every ns_parserr() and dn_expand() result, the length of
 * each record's data, and that names in records are host names.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <resolv.h>

#include "dns/codec.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

const char *dns_type_name(uint16_t type)
{
	switch (type) {
	case DNS_T_A: return "A";
	case DNS_T_NS: return "NS";
	case DNS_T_CNAME: return "CNAME";
	case DNS_T_SOA: return "SOA";
	case DNS_T_PTR: return "PTR";
	case DNS_T_MX: return "MX";
	case DNS_T_AAAA: return "AAAA";
	case DNS_T_SRV: return "SRV";
	case DNS_T_TXT: return "TXT";
	case DNS_T_TLSA: return "TLSA";
	case DNS_T_RRSIG: return "RRSIG";
	}
	return "?";
}

const char *dns_rcode_name(int rcode)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	};

	if (rcode >= 0 && rcode < (int)(sizeof(names) / sizeof(names[0])))
		return names[rcode];
	return "an unknown rcode";
}

/* ---- names ---- */

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static int bad_char(const char *q, char c, struct errmsg *e)
{
	if (c == ' ' || c == '\t')
		return errmsg_set(e, -EINVAL, "%s has a space; give one name per argument", q);
	return errmsg_set(e, -EINVAL, "%s has a character no host name has; give an "
			  "internationalised name in its xn-- form", q);
}

/* Each label 1 to 63 characters of name_char(). */
static int check_labels(const char *name, size_t len, const char *q, struct errmsg *e)
{
	size_t i, label = 0;

	for (i = 0; i <= len; i++) {
		if (i == len || name[i] == '.') {
			if (!label)
				return errmsg_set(e, -EINVAL, "%s has an empty label", q);
			label = 0;
			continue;
		}
		if (!name_char(name[i]))
			return bad_char(q, name[i], e);
		if (++label > DNS_LABEL_MAX)
			return errmsg_set(e, -EINVAL, "%s has a label over %d characters", q,
					  DNS_LABEL_MAX);
	}
	return 0;
}

int dns_name_check(const char *name, char *out, struct errmsg *e)
{
	size_t len = strlen(name);
	char q[QUOTE_BUF];
	int err;

	if (len && name[len - 1] == '.')
		len--;
	quote(name, q, sizeof(q));
	if (!len)
		return errmsg_set(e, -EINVAL, "%s is empty: give a name such as example.org", q);
	if (len > DNS_NAME_MAX)
		return errmsg_set(e, -EINVAL, "%s is %zu characters long; a name has at most %d",
				  q, len, DNS_NAME_MAX);
	err = check_labels(name, len, q, e);
	if (err)
		return err;
	memcpy(out, name, len);
	out[len] = '\0';
	return 0;
}

/* The length of @s without one final dot. */
static size_t bare_len(const char *s)
{
	size_t n = strlen(s);

	return n && s[n - 1] == '.' ? n - 1 : n;
}

bool dns_name_equal(const char *a, const char *b)
{
	size_t la = bare_len(a), lb = bare_len(b);

	return la == lb && !strncasecmp(a, b, la);
}

bool dns_name_under(const char *name, const char *zone)
{
	size_t ln = bare_len(name), lz = bare_len(zone);

	if (!lz)
		return true;	/* everything is under the root */
	if (ln < lz || strncasecmp(name + ln - lz, zone, lz))
		return false;
	return ln == lz || name[ln - lz - 1] == '.';
}

/* ---- queries ---- */

int dns_build_query(uint8_t *buf, size_t len, uint16_t id, const char *name, uint16_t type,
		    bool rd)
{
	size_t room;
	int n;

	if (len < NS_HFIXEDSZ + 1 + NS_QFIXEDSZ)
		return -EMSGSIZE;
	room = len - NS_HFIXEDSZ - NS_QFIXEDSZ;
	/*
	 * res_nmkquery() would want a res_state read from resolv.conf, take the
	 * ID from the clock, and set AD when resolv.conf says trust-ad: a
	 * question is simply the fixed header, the name and two numbers.
	 */
	memset(buf, 0, NS_HFIXEDSZ);
	put16(buf, id);
	buf[2] = rd ? 0x01 : 0x00;		/* QR 0, opcode QUERY, RD as asked */
	put16(buf + 4, 1);			/* QDCOUNT */
	if (room > NS_MAXCDNAME)
		room = NS_MAXCDNAME;
	n = dn_comp(name, buf + NS_HFIXEDSZ, (int)room, NULL, NULL);
	if (n < 0)
		return -EMSGSIZE;	/* too long, or a label over 63 */
	put16(buf + NS_HFIXEDSZ + n, type);
	put16(buf + NS_HFIXEDSZ + n + 2, ns_c_in);
	return NS_HFIXEDSZ + n + NS_QFIXEDSZ;
}

int dns_add_edns(uint8_t *buf, size_t len, size_t used, uint16_t udp_size, bool dnssec)
{
	uint8_t *p = buf + used;

	if (used < NS_HFIXEDSZ || len - used < DNS_OPT_LEN)
		return -EMSGSIZE;
	p[0] = 0;				/* the root: OPT has no owner */
	put16(p + 1, DNS_T_OPT);
	put16(p + 3, udp_size);			/* the class field says the UDP size */
	p[5] = 0;				/* extended rcode */
	p[6] = 0;				/* EDNS version 0 */
	p[7] = dnssec ? 0x80 : 0;		/* DO */
	p[8] = 0;
	put16(p + 9, 0);			/* no options */
	put16(buf + 10, (uint16_t)(get16(buf + 10) + 1));	/* ARCOUNT */
	return (int)(used + DNS_OPT_LEN);
}

/* The one question after the header: its name, type and class. */
static int read_question(const uint8_t *msg, size_t len, char *name, size_t name_len,
			 uint16_t *type, uint16_t *class)
{
	char buf[NS_MAXDNAME];
	int n;

	if (len < NS_HFIXEDSZ || get16(msg + 4) != 1)
		return -EBADMSG;
	n = dn_expand(msg, msg + len, msg + NS_HFIXEDSZ, buf, sizeof(buf));
	if (n < 0 || NS_HFIXEDSZ + (size_t)n + NS_QFIXEDSZ > len || strlen(buf) >= name_len)
		return -EBADMSG;
	strcpy(name, buf);
	*type = get16(msg + NS_HFIXEDSZ + n);
	*class = get16(msg + NS_HFIXEDSZ + n + 2);
	return 0;
}

int dns_question(const uint8_t *msg, size_t len, char *name, uint16_t *type)
{
	uint16_t class;

	return read_question(msg, len, name, DNS_NAME_BUF, type, &class);
}

enum dns_reply_kind dns_reply_match(const uint8_t *msg, size_t len, uint16_t id,
				    const char *name, uint16_t type)
{
	char qname[DNS_NAME_BUF];
	uint16_t qtype, qclass;

	if (len < NS_HFIXEDSZ || get16(msg) != id || !(msg[2] & 0x80))
		return DNS_REPLY_FOREIGN;		/* not a reply, or not to us */
	if (((msg[2] >> 3) & 0x0f) != ns_o_query)
		return DNS_REPLY_FOREIGN;
	if (msg[2] & 0x02)
		return DNS_REPLY_TRUNCATED;		/* its sections may be cut anywhere */
	if (read_question(msg, len, qname, sizeof(qname), &qtype, &qclass) ||
	    qtype != type || qclass != ns_c_in || !dns_name_equal(qname, name))
		return DNS_REPLY_FOREIGN;
	return DNS_REPLY_OURS;
}

/* ---- answers ---- */

/* RFC 2181, 8: a TTL with the top bit set is read as zero. */
static uint32_t ttl_of(const ns_rr *rr)
{
	uint32_t ttl = ns_rr_ttl(*rr);

	return ttl & 0x80000000U ? 0 : ttl;
}

/* A name inside @rr's data at @off; it must end within the data. */
static int rdata_name(const ns_msg *h, const ns_rr *rr, size_t off, char *out, size_t len)
{
	const uint8_t *p = ns_rr_rdata(*rr) + off;
	int n;

	if (off >= ns_rr_rdlen(*rr))
		return -EBADMSG;
	n = dn_expand(ns_msg_base(*h), ns_msg_end(*h), p, out, (int)len);
	if (n < 0 || off + (size_t)n > ns_rr_rdlen(*rr))
		return -EBADMSG;
	return 0;
}

/* The target of the CNAME owned by @owner: 1 found, 0 none, -EBADMSG. */
static int find_cname(ns_msg *h, const char *owner, char *target, size_t len, uint32_t *ttl)
{
	int i, count = ns_msg_count(*h, ns_s_an);
	ns_rr rr;

	for (i = 0; i < count; i++) {
		if (ns_parserr(h, ns_s_an, i, &rr) < 0)
			return -EBADMSG;
		if (ns_rr_type(rr) != ns_t_cname || ns_rr_class(rr) != ns_c_in ||
		    !dns_name_equal(ns_rr_name(rr), owner))
			continue;
		if (rdata_name(h, &rr, 0, target, len))
			return -EBADMSG;
		*ttl = ttl_of(&rr);
		return 1;
	}
	return 0;
}

/*
 * From @name along the CNAMEs of the answer section, as a resolver
 * follows them: to a name that is no alias, or to one it passed already
 * (a loop: SERVFAIL at a resolver), or on past DNS_CHAIN_MAX (where
 * resolvers give up too). Either of the last two has no end to read.
 */
static int follow_chain(ns_msg *h, const char *name, struct dns_answer *out)
{
	char passed[DNS_CHAIN_MAX + 1][DNS_NAME_BUF], target[NS_MAXDNAME];
	unsigned int i;
	uint32_t ttl;
	int found;

	snprintf(out->owner, sizeof(out->owner), "%s", name);
	for (;;) {
		found = find_cname(h, out->owner, target, sizeof(target), &ttl);
		if (found <= 0)
			return found;
		if (strlen(target) >= sizeof(out->owner))
			return 0;	/* not a name we could ask: the chain ends here */
		memcpy(passed[out->chain], out->owner, sizeof(out->owner));
		for (i = 0; i <= out->chain && !dns_name_equal(passed[i], target); i++)
			;
		if (i <= out->chain || out->chain == DNS_CHAIN_MAX) {
			out->chain_end = i <= out->chain ? DNS_CHAIN_LOOP : DNS_CHAIN_TOO_LONG;
			return 0;
		}
		strcpy(out->owner, target);
		out->chain++;
		if (ttl > out->chain_ttl)
			out->chain_ttl = ttl;
	}
}

/* SOA data: two names, then serial, refresh, retry, expire, minimum. */
static int soa_serial(const ns_rr *rr, uint32_t *serial)
{
	const uint8_t *p = ns_rr_rdata(*rr), *end = p + ns_rr_rdlen(*rr);
	int a = dn_skipname(p, end), b;

	if (a < 0)
		return -EBADMSG;
	b = dn_skipname(p + a, end);
	if (b < 0 || end - (p + a + b) < 20)
		return -EBADMSG;
	*serial = get32(p + a + b);
	return 0;
}

/* A target name of a record: a host name, or "" for the root ("no such service"). */
static int target_name(const ns_msg *h, const ns_rr *rr, size_t off, struct dns_item *it)
{
	char buf[NS_MAXDNAME];
	struct errmsg ignored;
	int err = rdata_name(h, rr, off, buf, sizeof(buf));

	if (err)
		return err;
	if (!buf[0]) {
		it->target[0] = '\0';
		return 0;
	}
	return dns_name_check(buf, it->target, &ignored) ? 1 : 0;
}

/*
 * The record's data into @it: 0 done, 1 unusable (skip it), -EBADMSG when
 * a name in it does not even expand.
 */
static int read_item(const ns_msg *h, const ns_rr *rr, struct dns_item *it)
{
	const uint8_t *p = ns_rr_rdata(*rr);
	unsigned int len = ns_rr_rdlen(*rr);

	memset(it, 0, sizeof(*it));
	it->ttl = ttl_of(rr);
	switch ((uint16_t)ns_rr_type(*rr)) {
	case DNS_T_A:
		if (len != 4)
			return 1;
		it->addr.family = AF_INET;
		memcpy(&it->addr.in.v4, p, 4);
		return 0;
	case DNS_T_AAAA:
		if (len != 16)
			return 1;
		it->addr.family = AF_INET6;
		memcpy(&it->addr.in.v6, p, 16);
		return 0;
	case DNS_T_MX:
		if (len < 3)
			return 1;
		it->priority = get16(p);
		return target_name(h, rr, 2, it);
	case DNS_T_SRV:
		if (len < 7)
			return 1;
		it->priority = get16(p);
		it->weight = get16(p + 2);
		it->port = get16(p + 4);
		return target_name(h, rr, 6, it);
	}
	return target_name(h, rr, 0, it);	/* NS, PTR */
}

static int add_item(const ns_msg *h, const ns_rr *rr, struct dns_answer *out)
{
	struct dns_item it;
	int rc;

	if (ns_rr_type(*rr) == ns_t_soa) {
		if (soa_serial(rr, &out->serial))
			return -EBADMSG;
		out->has_serial = true;
		return 0;
	}
	rc = read_item(h, rr, &it);
	if (rc < 0)
		return rc;
	if (rc > 0 || out->n >= DNS_ANSWER_MAX)
		out->skipped++;
	else
		out->items[out->n++] = it;
	return 0;
}

/* The types whose records fit a dns_item; the others are dns/rdata.c's. */
static bool item_type(uint16_t type)
{
	switch (type) {
	case DNS_T_A: case DNS_T_AAAA: case DNS_T_MX: case DNS_T_SRV: case DNS_T_NS:
	case DNS_T_PTR: case DNS_T_SOA:
		return true;
	}
	return false;
}

/* The records of @type owned by the end of the chain. */
static int collect(ns_msg *h, uint16_t type, struct dns_answer *out)
{
	int i, err, count = ns_msg_count(*h, ns_s_an);
	ns_rr rr;

	for (i = 0; item_type(type) && i < count; i++) {
		if (ns_parserr(h, ns_s_an, i, &rr) < 0)
			return -EBADMSG;
		if (ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in ||
		    !dns_name_equal(ns_rr_name(rr), out->owner))
			continue;
		err = add_item(h, &rr, out);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The authority section: the SOA of the zone that says "no such name" or
 * "no such record" (for a serial), NS records that delegate below it.
 */
static int read_authority(ns_msg *h, uint16_t type, struct dns_answer *out, bool *ns)
{
	int i, count = ns_msg_count(*h, ns_s_ns);
	ns_rr rr;

	*ns = false;
	for (i = 0; i < count; i++) {
		if (ns_parserr(h, ns_s_ns, i, &rr) < 0)
			return -EBADMSG;
		if (ns_rr_type(rr) == ns_t_ns)
			*ns = true;
		if (ns_rr_type(rr) != ns_t_soa || type != DNS_T_SOA || out->has_serial)
			continue;
		if (soa_serial(&rr, &out->serial))
			return -EBADMSG;
		out->has_serial = true;
	}
	return 0;
}

int dns_parse(const uint8_t *msg, size_t len, const char *name, uint16_t type,
	      struct dns_answer *out)
{
	bool delegation;
	ns_msg h;
	int err;

	memset(out, 0, offsetof(struct dns_answer, items));
	if (len > DNS_MESSAGE_MAX || ns_initparse(msg, (int)len, &h) < 0)
		return -EBADMSG;
	out->rcode = ns_msg_getflag(h, ns_f_rcode);
	out->aa = ns_msg_getflag(h, ns_f_aa);
	err = follow_chain(&h, name, out);
	if (!err && out->chain_end == DNS_CHAIN_ENDS)
		err = collect(&h, type, out);
	if (!err)
		err = read_authority(&h, type, out, &delegation);
	if (err)
		return err;
	out->referral = !out->aa && out->rcode == DNS_RCODE_NOERROR &&
			!ns_msg_count(h, ns_s_an) && delegation;
	return 0;
}

/* ---- addresses ---- */

static void ptr_name6(const uint8_t *b, char *out, size_t len)
{
	size_t used = 0;
	int i;

	for (i = 15; i >= 0 && used < len; i--)
		used += (size_t)snprintf(out + used, len - used, "%x.%x.", b[i] & 0x0f, b[i] >> 4);
	if (used < len)
		snprintf(out + used, len - used, "ip6.arpa");
}

void dns_ptr_name(const struct address *a, char *out, size_t len)
{
	const uint8_t *b = (const uint8_t *)&a->in.v4;

	if (a->family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&a->in.v6)) {
		ptr_name6((const uint8_t *)&a->in.v6, out, len);
		return;
	}
	if (a->family == AF_INET6)
		b = (const uint8_t *)&a->in.v6 + 12;	/* ::ffff:a.b.c.d is a.b.c.d */
	snprintf(out, len, "%u.%u.%u.%u.in-addr.arpa", b[3], b[2], b[1], b[0]);
}

static bool among(const struct address *a, const struct address *list, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (address_equal(a, &list[i]))
			return true;
	return false;
}

enum dns_points dns_classify(const struct address *a, const struct address *old,
			     unsigned int nold, const struct address *new_, unsigned int nnew)
{
	if (among(a, old, nold))
		return DNS_POINTS_OLD;
	return among(a, new_, nnew) ? DNS_POINTS_NEW : DNS_POINTS_OTHER;
}

const char *dns_points_name(enum dns_points p)
{
	return p == DNS_POINTS_OLD ? "old" : p == DNS_POINTS_NEW ? "new" : "other";
}

bool dns_serial_older(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(b - a) < 0x80000000U;
}
