// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A server's certificate as the checks need it: names, key, validity and
 * trust, read with OpenSSL (the library Postfix uses for the same).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls/cert.h"
#include "tls/ossl.h"

static void add_name(struct tls_cert *out, const char *name, size_t len)
{
	unsigned int i;

	if (!len || len >= TLS_NAME_BUF || memchr(name, '\0', len))
		return;		/* an embedded NUL is an attack, not a name */
	for (i = 0; i < out->nnames; i++)
		if (strlen(out->names[i]) == len && !strncasecmp(out->names[i], name, len))
			return;
	if (out->nnames == TLS_CERT_NAMES_MAX) {
		out->more_names = true;
		return;
	}
	memcpy(out->names[out->nnames], name, len);
	out->names[out->nnames++][len] = '\0';
}

static void read_san(X509 *leaf, struct tls_cert *out)
{
	GENERAL_NAMES *san = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	int i;

	for (i = 0; san && i < sk_GENERAL_NAME_num(san); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);

		if (g->type == GEN_DNS)
			add_name(out, (const char *)ASN1_STRING_get0_data(g->d.dNSName),
				 (size_t)ASN1_STRING_length(g->d.dNSName));
	}
	GENERAL_NAMES_free(san);
}

static void read_cn(X509 *leaf, struct tls_cert *out)
{
	X509_NAME *subject = X509_get_subject_name(leaf);
	int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
	unsigned char *utf8 = NULL;
	int len;

	if (i < 0)
		return;
	len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject,
										      i)));
	if (len > 0)
		add_name(out, (const char *)utf8, (size_t)len);
	OPENSSL_free(utf8);
}

static int64_t unix_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

static void one_line(X509_NAME *name, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n = 0;

	buf[0] = '\0';
	if (!b)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0)
		n = BIO_read(b, buf, (int)len - 1);
	buf[n > 0 ? n : 0] = '\0';
	BIO_free(b);
}

/*
 * The SHA-256 of the whole SubjectPublicKeyInfo, as a "3 1 1" TLSA record
 * holds it (X509_pubkey_digest hashes only the key's bits: not the same).
 */
static void spki_sha256(X509 *leaf, uint8_t out[TLS_SPKI_LEN])
{
	unsigned char *der = NULL;
	unsigned int mdlen = TLS_SPKI_LEN;
	int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &der);

	if (len <= 0 || !EVP_Digest(der, (size_t)len, out, &mdlen, EVP_sha256(), NULL))
		memset(out, 0, TLS_SPKI_LEN);
	OPENSSL_free(der);
}

void tls_cert_read(X509 *leaf, struct tls_cert *out)
{
	memset(out, 0, sizeof(*out));
	if (!leaf)
		return;
	out->present = true;
	read_san(leaf, out);
	read_cn(leaf, out);
	spki_sha256(leaf, out->spki);
	out->not_before = unix_time(X509_get0_notBefore(leaf));
	out->not_after = unix_time(X509_get0_notAfter(leaf));
	one_line(X509_get_subject_name(leaf), out->subject, sizeof(out->subject));
	one_line(X509_get_issuer_name(leaf), out->issuer, sizeof(out->issuer));
}

void tls_cert_verify(X509_STORE *store, X509 *leaf, STACK_OF(X509) *chain,
		     struct tls_cert *out)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int err;

	out->trusted = false;
	out->chain_len = chain ? (unsigned int)sk_X509_num(chain) : 0;
	if (!ctx || !X509_STORE_CTX_init(ctx, store, leaf, chain)) {
		snprintf(out->trust_error, sizeof(out->trust_error), "cannot verify: out of memory");
		X509_STORE_CTX_free(ctx);
		return;
	}
	/* a mail client's check: the chain and the dates, the names apart */
	X509_STORE_CTX_set_default(ctx, "ssl_server");
	out->trusted = X509_verify_cert(ctx) == 1;
	err = X509_STORE_CTX_get_error(ctx);
	snprintf(out->trust_error, sizeof(out->trust_error), "%s",
		 out->trusted ? "" : X509_verify_cert_error_string(err));
	X509_STORE_CTX_free(ctx);
}

void tls_cert_verified(STACK_OF(X509) *chain, long result, struct tls_cert *out)
{
	out->chain_len = chain ? (unsigned int)sk_X509_num(chain) : 0;
	out->trusted = result == X509_V_OK;
	snprintf(out->trust_error, sizeof(out->trust_error), "%s",
		 out->trusted ? "" : X509_verify_cert_error_string(result));
}

bool tls_cert_covers(X509 *leaf, const char *name)
{
	return leaf && X509_check_host(leaf, name, 0, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
				       NULL) == 1;
}

const char *tls_spki_hex(const uint8_t spki[TLS_SPKI_LEN], char out[TLS_SPKI_HEX])
{
	unsigned int i;

	for (i = 0; i < TLS_SPKI_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", spki[i]);
	return out;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int tls_spki_parse(const char *hex, uint8_t spki[TLS_SPKI_LEN])
{
	unsigned int i;

	if (strlen(hex) != 2 * TLS_SPKI_LEN)
		return -EINVAL;
	for (i = 0; i < TLS_SPKI_LEN; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		spki[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
