// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Parsers for everything an administrator types: addresses, prefixes,
 * ports and durations. Each one accepts exactly the documented forms and
 * says which value it refused and why. They are fuzzed (tests/fuzz).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/parse.h"

static int check_length(const char *s, struct errmsg *e)
{
	char q[QUOTE_BUF];

	if (strnlen(s, PARSE_VALUE_MAX + 1) > PARSE_VALUE_MAX)
		return errmsg_set(e, -E2BIG, "%s is too long (more than %d characters)",
				  quote(s, q, sizeof(q)), PARSE_VALUE_MAX);
	if (!*s)
		return errmsg_set(e, -EINVAL, "an empty value");
	return 0;
}

int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned int d = *s - '0';

		if (v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (*s)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Only letters a-f and colons and dots can be in an IP literal. */
static bool looks_like_hostname(const char *s)
{
	for (; *s; s++)
		if (isalpha((unsigned char)*s) && !isxdigit((unsigned char)*s))
			return true;
	return false;
}

static int address_from_text(const char *s, struct address *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, &out->in.v4) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &out->in.v6) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int parse_address(const char *s, struct address *out, struct errmsg *e)
{
	char q[QUOTE_BUF];
	struct address a;
	int err = check_length(s, e);

	if (err)
		return err;
	if (!address_from_text(s, &a)) {
		*out = a;
		return 0;
	}
	quote(s, q, sizeof(q));
	if (strchr(s, '/'))
		return errmsg_set(e, -EINVAL, "%s is a prefix; give one IP address", q);
	if (strchr(s, '%'))
		return errmsg_set(e, -EINVAL,
				  "%s has a zone; link-local targets are not supported", q);
	if (looks_like_hostname(s))
		return errmsg_set(e, -EINVAL,
				  "%s is a host name; give the IP address (names can change "
				  "under a redirect)", q);
	return errmsg_set(e, -EINVAL, "%s is not an IP address", q);
}

static const uint8_t *address_bytes(const struct address *a, size_t *len)
{
	*len = a->family == AF_INET ? 4 : 16;
	return a->family == AF_INET ? (const uint8_t *)&a->in.v4
				    : (const uint8_t *)&a->in.v6;
}

static bool bits_match(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full))
		return false;
	if (!rest)
		return true;
	return ((a[full] ^ b[full]) & (0xff00 >> rest)) == 0;
}

bool address_equal(const struct address *a, const struct address *b)
{
	size_t len, len_b;
	const uint8_t *pa = address_bytes(a, &len), *pb = address_bytes(b, &len_b);

	return a->family == b->family && !memcmp(pa, pb, len);
}

socklen_t address_sockaddr(const struct address *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr = a->in.v4;
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = a->in.v6;
		return sizeof(*sin6);
	}
}

bool address_unspecified(const struct address *a)
{
	return a->family == AF_INET ? a->in.v4.s_addr == htonl(INADDR_ANY) :
				      IN6_IS_ADDR_UNSPECIFIED(&a->in.v6);
}

bool address_loopback(const struct address *a)
{
	return a->family == AF_INET ? (ntohl(a->in.v4.s_addr) >> 24) == 127 :
				      IN6_IS_ADDR_LOOPBACK(&a->in.v6);
}

void address_from_sockaddr(const struct sockaddr *sa, struct address *a)
{
	memset(a, 0, sizeof(*a));
	a->family = sa->sa_family;
	if (a->family == AF_INET)
		a->in.v4 = ((const struct sockaddr_in *)sa)->sin_addr;
	else
		a->in.v6 = ((const struct sockaddr_in6 *)sa)->sin6_addr;
}

bool prefix_contains(const struct prefix *p, const struct address *a)
{
	size_t len;
	const uint8_t *pp = address_bytes(&p->addr, &len);

	if (p->addr.family != a->family)
		return false;
	return bits_match(pp, address_bytes(a, &len), p->len);
}

static void clear_host_bits(struct address *a, unsigned int bits)
{
	size_t len, i;
	uint8_t *p = (uint8_t *)address_bytes(a, &len);

	for (i = 0; i < len; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		p[i] &= (uint8_t)(0xff00 >> bits);
		bits = 0;
	}
}

int parse_prefix(const char *s, struct prefix *out, struct errmsg *e)
{
	char q[QUOTE_BUF], addr[PARSE_VALUE_MAX + 1], buf[ADDRESS_STRLEN];
	struct prefix p, network;
	const char *slash;
	uint64_t len;
	int err = check_length(s, e);

	if (err)
		return err;
	quote(s, q, sizeof(q));
	slash = strchr(s, '/');
	snprintf(addr, sizeof(addr), "%.*s", slash ? (int)(slash - s) : (int)strlen(s), s);
	if (address_from_text(addr, &p.addr))
		return errmsg_set(e, -EINVAL, looks_like_hostname(addr) ?
				  "%s is a host name; give an address or prefix" :
				  "%s is not an address or prefix", q);
	p.len = p.addr.family == AF_INET ? 32 : 128;
	if (slash && parse_u64(slash + 1, p.len, &len))
		return errmsg_set(e, -EINVAL, "%s: the prefix length must be 0 to %u", q, p.len);
	if (slash)
		p.len = (uint8_t)len;
	network = p;
	clear_host_bits(&network.addr, p.len);
	if (!address_equal(&network.addr, &p.addr))
		return errmsg_set(e, -EINVAL, "%s has host bits set; did you mean %s?",
				  q, prefix_str(&network, buf));
	*out = p;
	return 0;
}

int parse_port(const char *s, uint16_t *out, struct errmsg *e)
{
	char q[QUOTE_BUF];
	uint64_t v;
	int err = check_length(s, e);

	if (err)
		return err;
	if (parse_u64(s, 65535, &v) || v == 0)
		return errmsg_set(e, -EINVAL, "%s is not a port number (1-65535)",
				  quote(s, q, sizeof(q)));
	*out = (uint16_t)v;
	return 0;
}

static int unit_seconds(char unit, uint64_t *seconds, int *rank)
{
	static const struct { char unit; uint64_t seconds; } units[] = {
		{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (units[i].unit == unit) {
			*seconds = units[i].seconds;
			*rank = (int)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Terms must come largest unit first, each at most once: "1d12h", not "12h1d". */
static int duration_terms(const char *s, uint64_t *total)
{
	int last_rank = -1, rank;
	uint64_t v, unit;

	*total = 0;
	while (*s) {
		char digits[24];
		size_t n = strspn(s, "0123456789");

		if (!n || n >= sizeof(digits))
			return -EINVAL;
		memcpy(digits, s, n);
		digits[n] = '\0';
		if (parse_u64(digits, DURATION_MAX_SECONDS, &v))
			return -ERANGE;
		s += n;
		if (!*s && last_rank < 0) {
			unit = 1;	/* a bare number is seconds */
		} else if (unit_seconds(*s++, &unit, &rank) || rank <= last_rank) {
			return -EINVAL;
		} else {
			last_rank = rank;
		}
		if (v > (DURATION_MAX_SECONDS - *total) / unit)
			return -ERANGE;
		*total += v * unit;
	}
	return 0;
}

int parse_duration(const char *s, uint64_t *seconds, struct errmsg *e)
{
	char q[QUOTE_BUF];
	uint64_t total = 0;
	int err = check_length(s, e);

	if (err)
		return err;
	quote(s, q, sizeof(q));
	err = duration_terms(s, &total);
	if (err == -ERANGE || (!err && total > DURATION_MAX_SECONDS))
		return errmsg_set(e, -ERANGE, "%s is longer than the limit of 366d", q);
	if (err)
		return errmsg_set(e, -EINVAL,
				  "%s is not a duration (like 45s, 90m, 36h, 7d or 1d12h)", q);
	if (total == 0)
		return errmsg_set(e, -EINVAL, "%s: the duration must be at least 1s", q);
	*seconds = total;
	return 0;
}

static bool v4_in(const struct in_addr *a, uint32_t net, unsigned int bits)
{
	uint32_t mask = bits ? ~0U << (32 - bits) : 0;

	return (ntohl(a->s_addr) & mask) == net;
}

static const char *v4_unusable(const struct in_addr *a)
{
	if (a->s_addr == htonl(INADDR_ANY))
		return "the unspecified address";
	if (a->s_addr == htonl(INADDR_BROADCAST))
		return "the broadcast address";
	if (v4_in(a, 0x00000000, 8))
		return "in 0.0.0.0/8, which means this network";
	if (v4_in(a, 0x7f000000, 8))
		return "a loopback address";
	if (v4_in(a, 0xa9fe0000, 16))
		return "a link-local address (169.254.0.0/16), which needs an interface";
	if (v4_in(a, 0xe0000000, 4))
		return "a multicast address";
	if (v4_in(a, 0xf0000000, 4))
		return "in the reserved range 240.0.0.0/4";
	return NULL;
}

static const char *v6_unusable(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_UNSPECIFIED(a))
		return "the unspecified address";
	if (IN6_IS_ADDR_LOOPBACK(a))
		return "the loopback address";
	if (IN6_IS_ADDR_MULTICAST(a))
		return "a multicast address";
	if (IN6_IS_ADDR_LINKLOCAL(a))
		return "a link-local address, which needs an interface";
	if (IN6_IS_ADDR_V4MAPPED(a))
		return "an IPv4-mapped address; give the IPv4 address itself";
	return NULL;
}

const char *address_unusable(const struct address *a)
{
	return a->family == AF_INET ? v4_unusable(&a->in.v4) : v6_unusable(&a->in.v6);
}

static bool v6_not_global(const struct in6_addr *a)
{
	static const uint8_t documentation[4] = { 0x20, 0x01, 0x0d, 0xb8 };

	return (a->s6_addr[0] & 0xfe) == 0xfc ||			/* fc00::/7 */
	       (a->s6_addr[0] == 0xfe && (a->s6_addr[1] & 0xc0) == 0x80) ||	/* fe80::/10 */
	       !memcmp(a->s6_addr, documentation, sizeof(documentation));	/* 2001:db8::/32 */
}

bool address_not_global(const struct address *a)
{
	const struct in_addr *v4 = &a->in.v4;

	if (a->family == AF_INET6)
		return v6_not_global(&a->in.v6);
	return v4_in(v4, 0x0a000000, 8) || v4_in(v4, 0xac100000, 12) ||
	       v4_in(v4, 0xc0a80000, 16) || v4_in(v4, 0x64400000, 10) ||
	       v4_in(v4, 0xa9fe0000, 16) || v4_in(v4, 0xc6120000, 15) ||
	       v4_in(v4, 0xc0000200, 24) || v4_in(v4, 0xc6336400, 24) ||
	       v4_in(v4, 0xcb007100, 24);
}

const char *address_str(const struct address *a, char *buf)
{
	if (!inet_ntop(a->family, &a->in, buf, ADDRESS_STRLEN))
		snprintf(buf, ADDRESS_STRLEN, "?");
	return buf;
}

const char *prefix_str(const struct prefix *p, char *buf)
{
	size_t n;

	address_str(&p->addr, buf);
	if (p->len != (p->addr.family == AF_INET ? 32 : 128)) {
		n = strlen(buf);
		snprintf(buf + n, ADDRESS_STRLEN - n, "/%u", p->len);
	}
	return buf;
}
