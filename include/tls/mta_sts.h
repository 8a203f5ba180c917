/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_TLS_MTA_STS_H
#define REDIRECT_TLS_MTA_STS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errmsg.h"
#include "lib/parse.h"

/*
 * MTA-STS (RFC 8461): what the TXT record of _mta-sts.DOMAIN says, the
 * policy fetched over verified HTTPS from mta-sts.DOMAIN, the policy's
 * parser, and whether an MX name matches it. The DNS half (the TXT
 * records, the policy host's addresses) is dns/mta_sts_dns.h's; core/
 * joins the two. The parsers (mta_sts.c, and lib/http.c for the HTTP
 * response) are pure and fuzzed (tests/fuzz/fuzz_mta_sts.c); only
 * mta_sts_fetch() (mta_sts_fetch.c) touches the network.
 */

#define MTA_STS_ID_MAX 32		/* the TXT record's id: 1 to 32 letters and digits */
#define MTA_STS_BODY_MAX 65536		/* a policy is a few lines: larger is refused */
#define MTA_STS_MX_MAX 64		/* mx patterns kept; more are counted in mx_skipped */
#define MTA_STS_NAME_BUF 256
#define MTA_STS_MAX_AGE_MAX 31557600U	/* a year: RFC 8461, 3.2 */
#define MTA_STS_TIMEOUT_MS 10000	/* a fetch's whole time, connection to last byte */
#define MTA_STS_ADDRS_MAX 8

/* ---- the TXT record (RFC 8461, 3.1) ---- */

enum mta_sts_txt {
	MTA_STS_TXT_OK,		/* exactly one record starting "v=STSv1;", well formed */
	MTA_STS_TXT_NONE,	/* none starts with "v=STSv1;": no policy */
	MTA_STS_TXT_SEVERAL,	/* more than one does: senders assume no policy */
	MTA_STS_TXT_MALFORMED,	/* the one that does breaks the grammar (no id, a bad
				   field): senders assume no policy */
};

/*
 * Reads the TXT records of _mta-sts.DOMAIN (@texts[i] of @lens[i] bytes,
 * each record's strings already joined) as senders do: records not
 * starting with "v=STSv1;" are discarded; exactly one must remain and
 * parse. On MTA_STS_TXT_OK, @id (MTA_STS_ID_MAX + 1 bytes) holds its id.
 */
enum mta_sts_txt mta_sts_txt_read(const char *const *texts, const size_t *lens, unsigned int n,
				  char *id);

/* "a valid record", "no STSv1 record", ... for a sentence. */
const char *mta_sts_txt_text(enum mta_sts_txt r);

/* ---- the policy (RFC 8461, 3.2) ---- */

enum mta_sts_mode { MTA_STS_MODE_NONE, MTA_STS_MODE_TESTING, MTA_STS_MODE_ENFORCE };

struct mta_sts_policy {
	enum mta_sts_mode mode;
	uint32_t max_age;		/* seconds, at most MTA_STS_MAX_AGE_MAX */
	unsigned int nmx;
	char mx[MTA_STS_MX_MAX][MTA_STS_NAME_BUF];	/* "mail.example.org", "*.example.net" */
	unsigned int mx_skipped;	/* beyond MTA_STS_MX_MAX: never matched */
	unsigned int mx_bad;		/* mx values that are no pattern: ignored */
	char first_bad[MTA_STS_NAME_BUF];	/* the first of them, quoted, for a message */
};

/*
 * Parses a policy body of @len bytes (LF or CRLF lines of "key: value";
 * keys as RFC 8461 spells them, lowercase; unknown keys and lines without
 * a colon ignored; a key given twice counts the first time, but every mx
 * counts). Invalid, -EINVAL with @e saying why: no "version: STSv1", no
 * or an unknown mode, no max_age or one that is not 1 to 10 digits or
 * over a year, mode enforce or testing without a valid mx. An mx value
 * that is no domain (with an optional leading "*.") is ignored and
 * counted in mx_bad. Returns 0 with @out filled.
 */
int mta_sts_policy_parse(const char *text, size_t len, struct mta_sts_policy *out,
			 struct errmsg *e);

/*
 * Whether MX host @mx (a final dot ignored) matches @pattern: equal, case
 * aside; or "*.rest" and @mx is one label, then rest ("*.example.org"
 * matches "mx1.example.org", not "example.org" nor "a.b.example.org").
 */
bool mta_sts_pattern_match(const char *pattern, const char *mx);

/* Whether @mx matches one of @p's mx patterns. */
bool mta_sts_mx_match(const struct mta_sts_policy *p, const char *mx);

/* "none", "testing", "enforce". */
const char *mta_sts_mode_name(enum mta_sts_mode m);

/* ---- the fetch ---- */

enum mta_sts_fault {
	MTA_STS_OK,		/* fetched, and the policy is valid */
	MTA_STS_NO_ADDRESS,	/* no address given for the policy host */
	MTA_STS_CONNECT,	/* no address took the connection (err: the last errno) */
	MTA_STS_TIMEOUT,	/* not done within the time (detail: in which step) */
	MTA_STS_TLS,		/* the handshake failed: detail says why (a certificate not
				   trusted, or not for the policy host) */
	MTA_STS_REDIRECT,	/* a 3xx: never followed (RFC 8461, 3.3); detail: Location */
	MTA_STS_HTTP_STATUS,	/* another status than 200 (http_status) */
	MTA_STS_CONTENT_TYPE,	/* not text/plain (detail: what it was) */
	MTA_STS_TOO_LARGE,	/* a body over MTA_STS_BODY_MAX */
	MTA_STS_BAD_HTTP,	/* not an HTTP response, or cut short */
	MTA_STS_INVALID,	/* the policy does not parse (detail: why) */
	MTA_STS_ERROR,		/* this host could not try (err: no memory, no socket) */
};

/* Where to fetch one domain's policy. */
struct mta_sts_request {
	const char *domain;		/* example.org: the host is mta-sts.example.org */
	const struct address *addrs;	/* the host's addresses, tried in turn */
	unsigned int naddrs;
};

struct mta_sts_result {
	char host[MTA_STS_NAME_BUF];	/* mta-sts.example.org */
	enum mta_sts_fault fault;
	int err;			/* CONNECT, ERROR: the errno */
	char detail[256];		/* words for the fault; "" for OK */
	int http_status;		/* 0 before a response */
	bool has_peer;
	struct address peer;		/* the address that was talked to last */
	struct mta_sts_policy policy;	/* OK: the policy */
};

/*
 * Fetches https://mta-sts.DOMAIN/.well-known/mta-sts.txt for each of
 * @req, all at once in one poll() loop, each within @timeout_ms
 * (MTA_STS_TIMEOUT_MS; connection, handshake and response together): TLS
 * 1.2 or later with SNI, the certificate verified against the system's
 * trust store (OpenSSL's default paths: /usr/lib/ssl, which Debian links
 * to /etc/ssl; SSL_CERT_FILE and SSL_CERT_DIR move it, as for every
 * OpenSSL client) and for the host name; GET with "Connection: close";
 * status 200 only, no redirect followed, text/plain, at most
 * MTA_STS_BODY_MAX bytes; then the policy parsed. Fills @out[i] for
 * @req[i]. Returns 0, or -errno with @e when nothing could be tried (no
 * TLS context, poll() failing).
 */
int mta_sts_fetch(const struct mta_sts_request *req, unsigned int n, unsigned int timeout_ms,
		  struct mta_sts_result *out, struct errmsg *e);

/* "ok", "no address", "cannot connect", "timed out", "TLS failed", ... */
const char *mta_sts_fault_name(enum mta_sts_fault f);

#endif
