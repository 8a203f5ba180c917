/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_TLS_CERT_H
#define REDIRECT_TLS_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What a server's certificate says, read with OpenSSL: the names it is
 * valid for, its key (as a SHA-256 of the SubjectPublicKeyInfo, the form
 * of a "3 1 1" TLSA record), its validity, and whether its chain leads to
 * the system's trust store. OpenSSL's types stay out of this header.
 */

#define TLS_NAME_BUF 256
#define TLS_CERT_NAMES_MAX 16
#define TLS_SPKI_LEN 32
#define TLS_SPKI_HEX (2 * TLS_SPKI_LEN + 1)

struct tls_cert {
	bool present;
	unsigned int nnames;
	char names[TLS_CERT_NAMES_MAX][TLS_NAME_BUF];	/* SAN DNS names, then the CN */
	bool more_names;			/* ... and more than fit */
	uint8_t spki[TLS_SPKI_LEN];		/* SHA-256 of the SubjectPublicKeyInfo */
	int64_t not_before, not_after;		/* unix time */
	char subject[160], issuer[160];		/* one line each, for messages */
	unsigned int chain_len;			/* certificates the server sent */
	bool trusted;				/* chains to the system's trust store */
	char trust_error[120];			/* ... or why not */
};

struct x509_st;
struct stack_st_X509;
struct x509_store_st;

/* Fills @out from the server's certificate @leaf. */
void tls_cert_read(struct x509_st *leaf, struct tls_cert *out);

/*
 * Whether @leaf's chain (@chain: what the server sent, the leaf first)
 * leads to a certificate of @store (the system's trust store), as a mail
 * client checks it; names aside (tls_cert_covers). Sets out->trusted and
 * out->trust_error.
 */
void tls_cert_verify(struct x509_store_st *store, struct x509_st *leaf,
		     struct stack_st_X509 *chain, struct tls_cert *out);

/* Whether @leaf is valid for @name (X509_check_host: SAN, wildcards as RFC 6125). */
bool tls_cert_covers(struct x509_st *leaf, const char *name);

/* The key in hex, for the state and for messages. */
const char *tls_spki_hex(const uint8_t spki[TLS_SPKI_LEN], char out[TLS_SPKI_HEX]);

/* The reverse: 0, or -EINVAL when @hex is not 64 hex digits. */
int tls_spki_parse(const char *hex, uint8_t spki[TLS_SPKI_LEN]);

#endif
