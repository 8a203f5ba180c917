/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_TLS_HANDSHAKE_H
#define REDIRECT_TLS_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errmsg.h"
#include "lib/tlsa.h"
#include "lib/parse.h"
#include "tls/cert.h"
#include "tls/starttls.h"

/*
 * The handshake engine: TLS with a mail server at each of a list of
 * (address, port, name) targets, all of them in flight at once in one
 * poll loop (non-blocking sockets, non-blocking OpenSSL), each with SNI
 * set to its name, STARTTLS where the port wants it, and a polite goodbye
 * after. What each server presented is read and checked: its names, its
 * key, its dates, its trust, and the TLSA records given (OpenSSL's DANE,
 * as Postfix does it).
 */

#define TLS_TIMEOUT_MS 5000

enum tls_outcome {
	TLS_HANDSHAKEN,		/* the handshake completed: the certificate is read */
	TLS_NO_CONNECTION,	/* refused, unreachable, or no answer in time */
	TLS_NO_STARTTLS,	/* the dialogue before TLS failed (no STARTTLS offered, ...) */
	TLS_FAILED,		/* the handshake itself failed */
	TLS_TIMED_OUT,		/* connected, but not done in time */
};

enum tls_dane { TLS_DANE_NONE, TLS_DANE_MATCH, TLS_DANE_NO_MATCH };

struct tls_target {
	/* asked */
	struct address addr;
	uint16_t port;
	char name[TLS_NAME_BUF];		/* SNI, and the name checked; "": none */
	const struct tlsa_rrset *tlsa;		/* the RRset of _PORT._tcp.NAME, or NULL */
	/* found */
	enum tls_outcome outcome;
	bool connected;				/* the TCP connection was taken */
	bool greeted;				/* ... and the server greeted like a mail server
						   (implicit TLS: connected) */
	char why[240];				/* what went wrong, in words */
	struct tls_cert cert;
	bool covers;				/* the certificate is valid for @name */
	enum tls_dane dane;			/* TLS_DANE_NONE: no usable record given */
	int dane_depth;				/* ... matched at: 0 the leaf */
	uint8_t dane_usage;			/* ... by a record of this usage (3: DANE-EE) */
	unsigned int dane_refused;		/* usable records OpenSSL refused (data that
						   is no key): ignored, as senders do */
	char dane_error[120];			/* ... or why no record matched */
	bool polite;				/* the goodbye was answered */
	char protocol[24];			/* "TLSv1.3" */
};

struct tls_options {
	const char *ehlo;			/* SMTP EHLO name; NULL: this host's name */
	int timeout_ms;				/* all targets together; TLS_TIMEOUT_MS */
	const char *ca_file;			/* trust store; NULL: the system's */
};

void tls_options_init(struct tls_options *o);

/*
 * Runs the handshakes of @n targets, all at once, within o->timeout_ms in
 * all. What each found is in its target; the return is -errno with @e
 * only when no check could be made at all (OpenSSL could not start).
 */
int tls_run(struct tls_target *targets, unsigned int n, const struct tls_options *o,
	    struct errmsg *e);

#endif
