// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TLS without a network: the STARTTLS dialogues of each protocol fed the
 * bytes a server sends (whole, a byte at a time, several lines at once),
 * what they say back, and how they fail; certificates made here with
 * OpenSSL read for their names, key, dates and trust.
 */
#include "unit.h"

#include <errno.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/identity.h"
#include "core/preflight.h"
#include "core/state.h"
#include "core/verdict.h"
#include "dns/dane.h"
#include "tls/cert.h"
#include "tls/handshake.h"
#include "tls/starttls.h"
/* the test makes its certificates with OpenSSL linked; cert.c calls it through the table */
#define OSSL_NO_REDIRECT
#include "tls/ossl.h"

/* ---- dialogues ---- */

/*
 * Plays @server (lines the server sends, "" where it waits for the
 * client) against the machine, in reads of @chunk bytes; returns
 * everything the client said, joined, and the last step.
 */
static enum starttls_step play(struct starttls *s, uint16_t port, const char *const *server,
			       size_t chunk, char *said, size_t len)
{
	enum starttls_step step = starttls_begin(s, port, "old.example.org");
	size_t i, pos;

	said[0] = '\0';
	for (i = 0; server[i] && step != STARTTLS_FAILED && step != STARTTLS_DONE; i++) {
		const char *text = server[i];

		if (!strcmp(text, "<tls>")) {
			assert_int_equal(step, STARTTLS_HANDSHAKE);
			step = starttls_secured(s);
		}
		for (pos = 0; strcmp(text, "<tls>") && pos < strlen(text); pos += chunk) {
			size_t n = strlen(text) - pos < chunk ? strlen(text) - pos : chunk;

			step = starttls_feed(s, text + pos, n);
			while (step == STARTTLS_SAY) {
				strncat(said, s->say, len - strlen(said) - 1);
				step = starttls_feed(s, NULL, 0);
			}
		}
		if (step == STARTTLS_SAY) {
			strncat(said, s->say, len - strlen(said) - 1);
			step = STARTTLS_MORE;
		}
	}
	return step;
}

static void both_ways(uint16_t port, const char *const *server, const char *want_said,
		      enum starttls_step want)
{
	static const size_t chunks[] = { 4096, 1, 7 };
	struct starttls s;
	char said[1024];
	unsigned int i;

	for (i = 0; i < 3; i++) {
		assert_int_equal(play(&s, port, server, chunks[i], said, sizeof(said)), want);
		assert_string_equal(said, want_said);
	}
}

static void smtp_starttls(void **state)
{
	static const char *const server[] = {
		"220-mx.example.org ESMTP\r\n220 welcome\r\n",
		"250-mx.example.org\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
		"220 2.0.0 Ready to start TLS\r\n", "<tls>",
		"221 2.0.0 Bye\r\n", NULL,
	};

	both_ways(25, server, "EHLO old.example.org\r\nSTARTTLS\r\nQUIT\r\n", STARTTLS_DONE);
	both_ways(587, server, "EHLO old.example.org\r\nSTARTTLS\r\nQUIT\r\n", STARTTLS_DONE);
}

static void smtp_without_starttls(void **state)
{
	static const char *const server[] = {
		"220 mx ESMTP\r\n", "250-mx\r\n250-STARTTLSX\r\n250 SIZE 1000\r\n", NULL,
	};
	struct starttls s;
	char said[256];

	assert_int_equal(play(&s, 25, server, 3, said, sizeof(said)), STARTTLS_FAILED);
	assert_string_equal(said, "EHLO old.example.org\r\n");
	assert_string_equal(s.say, "QUIT\r\n");	/* polite even when it gives up */
	assert_non_null(strstr(s.why, "does not offer STARTTLS"));
}

static void smtp_refusals(void **state)
{
	static const char *const busy[] = { "554 5.3.2 go away\r\n", NULL };
	static const char *const refused[] = {
		"220 mx\r\n", "250 STARTTLS\r\n", "454 4.7.0 TLS not available\r\n", NULL,
	};
	static const char *const chatty[] = {
		"220 mx\r\n", "250 STARTTLS\r\n", "220 go ahead\r\n250 injected\r\n", NULL,
	};
	struct starttls s;
	char said[256];

	assert_int_equal(play(&s, 25, busy, 100, said, sizeof(said)), STARTTLS_FAILED);
	assert_string_equal(s.why, "greeted '554 5.3.2 go away'");
	assert_int_equal(play(&s, 25, refused, 100, said, sizeof(said)), STARTTLS_FAILED);
	assert_string_equal(s.why, "answered STARTTLS with '454 4.7.0 TLS not available'");
	/* bytes after the STARTTLS answer would be taken into TLS: refused */
	assert_int_equal(play(&s, 25, chatty, 100, said, sizeof(said)), STARTTLS_FAILED);
	assert_non_null(strstr(s.why, "sent more after its STARTTLS answer"));
}

static void smtps_implicit(void **state)
{
	static const char *const server[] = {
		"<tls>", "220 mx ESMTP\r\n", "221 bye\r\n", NULL,
	};

	both_ways(465, server, "QUIT\r\n", STARTTLS_DONE);
}

static void pop3_stls(void **state)
{
	static const char *const server[] = {
		"+OK Dovecot ready.\r\n", "+OK Begin TLS negotiation now.\r\n", "<tls>",
		"+OK Logging out.\r\n", NULL,
	};
	static const char *const pop3s[] = { "<tls>", "+OK ready\r\n", "+OK bye\r\n", NULL };
	static const char *const refused[] = { "+OK hi\r\n", "-ERR no TLS here\r\n", NULL };
	struct starttls s;
	char said[256];

	both_ways(110, server, "STLS\r\nQUIT\r\n", STARTTLS_DONE);
	both_ways(995, pop3s, "QUIT\r\n", STARTTLS_DONE);
	assert_int_equal(play(&s, 110, refused, 5, said, sizeof(said)), STARTTLS_FAILED);
	assert_string_equal(s.say, "QUIT\r\n");
}

static void imap_starttls(void **state)
{
	static const char *const server[] = {
		"* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.\r\n",
		"* CAPABILITY IMAP4rev1\r\na0 OK Begin TLS negotiation now.\r\n", "<tls>",
		"* BYE Logging out\r\na1 OK Logout completed.\r\n", NULL,
	};
	static const char *const imaps[] = {
		"<tls>", "* OK ready\r\n", "* BYE bye\r\n", "a1 OK done\r\n", NULL,
	};
	static const char *const preauth[] = { "* PREAUTH welcome back\r\n", NULL };
	struct starttls s;
	char said[256];

	both_ways(143, server, "a0 STARTTLS\r\na1 LOGOUT\r\n", STARTTLS_DONE);
	both_ways(993, imaps, "a1 LOGOUT\r\n", STARTTLS_DONE);
	assert_int_equal(play(&s, 143, preauth, 100, said, sizeof(said)), STARTTLS_FAILED);
	assert_non_null(strstr(s.why, "PREAUTH: no STARTTLS"));
}

static void sieve_starttls(void **state)
{
	static const char *const server[] = {
		"\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n\"SIEVE\" \"fileinto\"\r\n"
		"\"STARTTLS\"\r\n\"VERSION\" \"1.0\"\r\nOK \"ready.\"\r\n",
		"OK \"Begin TLS negotiation now.\"\r\n", "<tls>",
		"\"IMPLEMENTATION\" \"Dovecot\"\r\nOK \"TLS negotiation successful.\"\r\n",
		"OK \"Logout completed.\"\r\n", NULL,
	};
	static const char *const plain_only[] = { "\"SIEVE\" \"x\"\r\nOK \"hi\"\r\n", NULL };
	struct starttls s;
	char said[256];

	both_ways(4190, server, "STARTTLS\r\nLOGOUT\r\n", STARTTLS_DONE);
	assert_int_equal(play(&s, 4190, plain_only, 100, said, sizeof(said)), STARTTLS_FAILED);
	assert_string_equal(s.say, "LOGOUT\r\n");
	assert_non_null(strstr(s.why, "\"STARTTLS\""));
}

static void long_line_and_junk(void **state)
{
	char big[STARTTLS_LINE_MAX + 10];
	struct starttls s;

	memset(big, 'x', sizeof(big));
	starttls_begin(&s, 25, NULL);
	assert_string_equal(s.ehlo, "localhost");
	assert_int_equal(starttls_feed(&s, big, sizeof(big)), STARTTLS_FAILED);
	assert_non_null(strstr(s.why, "longer than"));
	starttls_begin(&s, 143, "x");
	assert_int_equal(starttls_feed(&s, "HTTP/1.1 400 Bad\x01\r\n", 20), STARTTLS_FAILED);
	assert_string_equal(s.why, "greeted 'HTTP/1.1 400 Bad?'");
	assert_int_equal(starttls_begin(&s, 8080, "x"), STARTTLS_FAILED);
}

static void dialogue_of_ports(void **state)
{
	assert_int_equal(tls_dialogue_for_port(25), TLS_SMTP);
	assert_int_equal(tls_dialogue_for_port(587), TLS_SMTP);
	assert_int_equal(tls_dialogue_for_port(110), TLS_POP3);
	assert_int_equal(tls_dialogue_for_port(143), TLS_IMAP);
	assert_int_equal(tls_dialogue_for_port(4190), TLS_SIEVE);
	assert_int_equal(tls_dialogue_for_port(465), TLS_IMPLICIT);
	assert_int_equal(tls_dialogue_for_port(993), TLS_IMPLICIT);
	assert_int_equal(tls_dialogue_for_port(995), TLS_IMPLICIT);
	assert_int_equal(tls_dialogue_for_port(2525), TLS_NONE);
	assert_string_equal(tls_dialogue_name(TLS_IMPLICIT, 993), "IMAP");
	assert_string_equal(tls_dialogue_name(TLS_IMPLICIT, 465), "SMTP");
}

/* ---- certificates ---- */

static EVP_PKEY *new_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

/* A certificate for @cn with @san (comma list of DNS names, or NULL), signed by @ca. */
static X509 *make_cert(const char *cn, const char *san, EVP_PKEY *key, X509 *ca,
		       EVP_PKEY *ca_key, long days)
{
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	char value[256];

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL) & 0xffff);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), days * 86400);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : X509_get_subject_name(x));
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, ca ? ca : x, x, NULL, NULL, 0);
	if (!ca) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (san) {
		snprintf(value, sizeof(value), "%s", san);
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, value);
		assert_non_null(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, ca_key ? ca_key : key, EVP_sha256()) > 0);
	return x;
}

static void cert_names_and_key(void **state)
{
	EVP_PKEY *key = new_key();
	X509 *x = make_cert("mail.example.org", "DNS:mail.example.org,DNS:*.example.net,"
			    "DNS:MAIL.example.org,IP:192.0.2.1", key, NULL, NULL, 30);
	unsigned char *der = NULL, md[32];
	char hex[TLS_SPKI_HEX];
	uint8_t back[TLS_SPKI_LEN];
	struct tls_cert c;
	int len;

	tls_cert_read(x, &c);
	assert_true(c.present);
	assert_int_equal(c.nnames, 2);	/* the CN and the upper-case SAN are the same name */
	assert_string_equal(c.names[0], "mail.example.org");
	assert_string_equal(c.names[1], "*.example.net");
	assert_true(c.not_after > time(NULL) + 29 * 86400);
	assert_true(c.not_before < time(NULL));
	assert_non_null(strstr(c.subject, "mail.example.org"));
	/* the key as a "3 1 1" TLSA record has it: SHA-256 of the SPKI's DER */
	len = i2d_PUBKEY(key, &der);
	assert_true(len > 0);
	EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	assert_memory_equal(c.spki, md, 32);
	assert_int_equal(tls_spki_parse(tls_spki_hex(c.spki, hex), back), 0);
	assert_memory_equal(back, c.spki, 32);
	assert_int_equal(tls_spki_parse("00ff", back), -EINVAL);
	hex[5] = 'g';
	assert_int_equal(tls_spki_parse(hex, back), -EINVAL);
	assert_true(tls_cert_covers(x, "mail.example.org"));
	assert_true(tls_cert_covers(x, "Mail.Example.Org"));
	assert_true(tls_cert_covers(x, "imap.example.net"));
	assert_false(tls_cert_covers(x, "a.b.example.net"));	/* one label only */
	assert_false(tls_cert_covers(x, "example.net"));
	assert_false(tls_cert_covers(x, "old.example.org"));
	X509_free(x);
	EVP_PKEY_free(key);
}

static void cert_cn_only(void **state)
{
	EVP_PKEY *key = new_key();
	X509 *x = make_cert("new.example.org", NULL, key, NULL, NULL, 1);
	struct tls_cert c;

	tls_cert_read(x, &c);
	assert_int_equal(c.nnames, 1);
	assert_string_equal(c.names[0], "new.example.org");
	tls_cert_read(NULL, &c);
	assert_false(c.present);
	X509_free(x);
	EVP_PKEY_free(key);
}

static void cert_trust(void **state)
{
	EVP_PKEY *ca_key = new_key(), *key = new_key(), *other_key = new_key();
	X509 *ca = make_cert("Lab CA", NULL, ca_key, NULL, NULL, 365);
	X509 *leaf = make_cert("mail.example.org", "DNS:mail.example.org", key, ca, ca_key, 30);
	X509 *expired = make_cert("mail.example.org", "DNS:mail.example.org", key, ca, ca_key,
				  -1);
	X509 *self = make_cert("mail.example.org", NULL, other_key, NULL, NULL, 30);
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *chain = sk_X509_new_null();
	struct tls_cert c;

	X509_STORE_add_cert(store, ca);
	sk_X509_push(chain, leaf);
	tls_cert_verify(store, leaf, chain, &c);
	assert_true(c.trusted);
	assert_string_equal(c.trust_error, "");
	tls_cert_verify(store, expired, NULL, &c);
	assert_false(c.trusted);
	assert_string_equal(c.trust_error, "certificate has expired");
	tls_cert_verify(store, self, NULL, &c);
	assert_false(c.trusted);
	assert_string_equal(c.trust_error, "self-signed certificate");
	sk_X509_free(chain);
	X509_STORE_free(store);
	X509_free(self);
	X509_free(expired);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
}

/* ---- the identity's plan and judging ---- */

static void plan_names_and_ports(void **state)
{
	static struct identity id;
	struct spec spec;
	struct id_old old = { 0 };
	struct errmsg e;

	spec_init(&spec);
	assert_int_equal(spec_add_services(&spec, "smtp,imaps,2525", &e), 0);
	assert_int_equal(identity_add_all_ports(&id, &spec, "mail.example.org", "--name"), 0);
	assert_int_equal(id.nsvc, 2);	/* 2525 speaks nothing the engine knows */
	assert_int_equal(identity_add(&id, "MAIL.example.org", 25, "MX"), 1);	/* once */
	old.n = 2;
	old.ports[0].port = 993;
	old.ports[0].tls = true;
	old.ports[0].nnames = 2;
	strcpy(old.ports[0].names[0], "*.example.org");	/* no name to dial */
	strcpy(old.ports[0].names[1], "imap.example.org");
	old.ports[1].port = 110;	/* not redirected */
	old.ports[1].tls = true;
	old.ports[1].nnames = 1;
	strcpy(old.ports[1].names[0], "pop.example.org");
	assert_int_equal(identity_add_old(&id, &spec, &old), 0);
	assert_int_equal(id.nsvc, 3);
	assert_string_equal(id.svc[2].name, "imap.example.org");
	assert_int_equal(id.svc[2].port, 993);
	assert_string_equal(id.svc[2].via, "the old server's certificate");
}

#define NOW 1800000000LL

/* One service checked at one address, its target as a handshake left it. */
static void one_target(struct identity *id, struct tls_target *t, unsigned int *svc_of,
		       const struct tlsa_rrset *tlsa)
{
	struct errmsg e;

	memset(id, 0, sizeof(*id));
	memset(t, 0, sizeof(*t));
	identity_add(id, "mail.example.org", 25, "MX");
	id->svc[0].tlsa = tlsa;
	id->t = t;
	id->svc_of = svc_of;
	svc_of[0] = 0;
	id->nt = 1;
	parse_address("192.0.2.2", &t->addr, &e);
	t->port = 25;
	strcpy(t->name, "mail.example.org");
	t->outcome = TLS_HANDSHAKEN;
	t->connected = t->greeted = true;
	t->cert.present = true;
	t->cert.nnames = 1;
	strcpy(t->cert.names[0], "mail.example.org");
	t->cert.not_after = NOW + 90 * 86400;
	t->cert.trusted = true;
	t->covers = true;
	memset(t->cert.spki, 0xab, sizeof(t->cert.spki));
}

static const char *judged(const struct identity *id, const struct id_old *old,
			  enum finding_level *level)
{
	static struct findings pf;

	memset(&pf, 0, sizeof(pf));
	identity_judge(id, old, NOW, 7 * 86400, &pf);
	assert_int_equal(pf.n, 1);
	*level = pf.items[0].level;
	return pf.items[0].text;
}

static void judge_dane(void **state)
{
	static const uint8_t digest[32];
	struct tlsa_record rec = { 3, 1, 1, 32, (uint8_t *)digest };
	struct tlsa_rrset set = { .ttl = 300, .is_signed = true, .n = 1 };
	static struct identity id;
	struct tls_target t;
	unsigned int svc_of[1];
	enum finding_level level;
	const char *text;

	set.rec[0] = rec;
	one_target(&id, &t, svc_of, &set);
	t.dane = TLS_DANE_NO_MATCH;
	strcpy(t.dane_error, "no matching DANE TLSA records");
	text = judged(&id, NULL, &level);
	assert_int_equal(level, FINDING_REFUSE);
	assert_non_null(strstr(text, "the TLSA records of _25._tcp.mail.example.org (signed"));
	assert_non_null(strstr(text, "_25._tcp.mail.example.org. IN TLSA 3 1 1 abababab"));
	assert_non_null(strstr(text, "wait two TTLs (10m, RFC 7671)"));
	set.is_signed = false;	/* senders ignore it: told, not refused */
	text = judged(&id, NULL, &level);
	assert_int_equal(level, FINDING_WARN);
	assert_non_null(strstr(text, "unsigned zone"));
	t.dane = TLS_DANE_MATCH;
	text = judged(&id, NULL, &level);
	assert_int_equal(level, FINDING_INFO);
	assert_non_null(strstr(text, "TLS identity verified in 1 handshakes"));
	assert_non_null(strstr(text, "keys the TLSA records of _25._tcp.mail.example.org match"));
}

static void judge_names_and_dates(void **state)
{
	static struct identity id;
	struct tls_target t;
	unsigned int svc_of[1];
	enum finding_level level;
	struct id_old old = { .n = 1 };
	const char *text;

	one_target(&id, &t, svc_of, NULL);
	t.covers = false;
	strcpy(t.cert.names[0], "new.example.org");
	text = judged(&id, NULL, &level);
	assert_int_equal(level, FINDING_WARN);	/* port 25: senders without DANE take it */
	assert_non_null(strstr(text, "is for new.example.org, not for mail.example.org, which "
			       "sending servers use for this host (MX): those that check names "
			       "(MTA-STS) refuse it, others deliver anyway"));
	id.svc[0].port = t.port = 993;		/* mail clients check names */
	text = judged(&id, NULL, &level);
	assert_int_equal(level, FINDING_REFUSE);
	assert_non_null(strstr(text, "is for new.example.org, not for mail.example.org, which "
			       "mail clients use for this host (MX): they refuse it"));
	one_target(&id, &t, svc_of, NULL);
	t.cert.not_after = NOW - 1;
	text = judged(&id, NULL, &level);
	assert_int_equal(level, FINDING_REFUSE);
	assert_non_null(strstr(text, "expired on 2027-01-15"));
	one_target(&id, &t, svc_of, NULL);
	t.cert.not_after = NOW + 86400;
	text = judged(&id, NULL, &level);
	assert_int_equal(level, FINDING_WARN);
	assert_non_null(strstr(text, "expires on 2027-01-16 08:00 UTC, within 7d"));
	one_target(&id, &t, svc_of, NULL);
	t.outcome = TLS_NO_STARTTLS;
	t.cert.present = false;
	strcpy(t.why, "does not offer STARTTLS");
	text = judged(&id, NULL, &level);
	assert_int_equal(level, FINDING_WARN);	/* nobody had TLS here before */
	old.ports[0].port = 25;
	old.ports[0].tls = true;
	text = judged(&id, &old, &level);
	assert_int_equal(level, FINDING_REFUSE);
	assert_non_null(strstr(text, "(the old server offered it) get none"));
	t.connected = false;	/* nothing answers: refused as the banner probe refuses */
	strcpy(t.why, "Connection refused");
	text = judged(&id, NULL, &level);
	assert_int_equal(level, FINDING_REFUSE);
	assert_string_equal(text, "the new server 192.0.2.2, port 25 (SMTP): Connection refused");
}

/*
 * Port 25 with a signed DANE-EE record matching the leaf: what DANE senders
 * check, and all that senders without DANE would (RFC 7672 3.1.1). The
 * common self-signed certificate without the MX name, even expired, is
 * right there; on a port mail clients use it is not, and with a DANE-TA
 * record DANE senders check the name.
 */
static void judge_dane_ee_on_25(void **state)
{
	static const uint8_t digest[32];
	struct tlsa_record ee = { 3, 1, 1, 32, (uint8_t *)digest };
	struct tlsa_record ta = { 2, 0, 1, 32, (uint8_t *)digest };
	struct tlsa_rrset set = { .ttl = 300, .is_signed = true, .n = 1 };
	static struct identity id;
	static struct findings pf;
	struct tls_target t;
	unsigned int svc_of[1];
	struct id_result r[1];
	enum finding_level level;
	const char *text;

	set.rec[0] = ee;
	one_target(&id, &t, svc_of, &set);
	t.dane = TLS_DANE_MATCH;
	t.dane_usage = 3;
	t.dane_depth = 0;
	t.covers = t.cert.trusted = false;	/* self-signed, for another name, expired */
	strcpy(t.cert.names[0], "localhost.localdomain");
	t.cert.not_after = NOW - 86400;
	text = judged(&id, NULL, &level);
	assert_int_equal(level, FINDING_INFO);
	assert_non_null(strstr(text, "keys the TLSA records of _25._tcp.mail.example.org match "
			       "(on port 25 the key alone, by its DANE-EE record"));
	identity_results(&id, NOW, r);
	assert_true(r[0].ok);
	set.is_signed = false;	/* senders ignore it: names and dates count again */
	memset(&pf, 0, sizeof(pf));
	identity_judge(&id, NULL, NOW, 0, &pf);
	assert_int_equal(pf.n, 2);
	assert_int_equal(pf.items[0].level, FINDING_REFUSE);
	assert_non_null(strstr(pf.items[0].text, "expired on"));
	assert_int_equal(pf.items[1].level, FINDING_WARN);
	assert_non_null(strstr(pf.items[1].text, "not for mail.example.org"));
	set.is_signed = true;
	set.rec[1] = ta;	/* DANE-TA: DANE senders check the name */
	set.n = 2;
	t.dane_usage = 2;
	t.dane_depth = 1;
	t.cert.not_after = NOW + 90 * 86400;
	t.cert.trusted = true;
	text = judged(&id, NULL, &level);
	assert_int_equal(level, FINDING_REFUSE);
	assert_non_null(strstr(text, "not for mail.example.org, which sending servers use for "
			       "this host (MX): they refuse it"));
	identity_results(&id, NOW, r);
	assert_false(r[0].ok);
	set.n = 1;		/* back to DANE-EE alone, but on a port mail clients use */
	t.dane_usage = 3;
	t.dane_depth = 0;
	id.svc[0].port = t.port = 993;
	text = judged(&id, NULL, &level);
	assert_int_equal(level, FINDING_REFUSE);
	assert_non_null(strstr(text, "mail clients use for this host (MX): they refuse it"));
}

/* A usable record OpenSSL refused is said; the others were still matched. */
static void judge_dane_refused(void **state)
{
	static const uint8_t digest[32];
	struct tlsa_record rec = { 3, 1, 1, 32, (uint8_t *)digest };
	struct tlsa_rrset set = { .ttl = 300, .is_signed = true, .n = 1 };
	static struct identity id;
	struct tls_target t;
	unsigned int svc_of[1];
	enum finding_level level;
	const char *text;

	set.rec[0] = rec;
	one_target(&id, &t, svc_of, &set);
	t.dane = TLS_DANE_MATCH;
	t.dane_usage = 3;
	t.dane_refused = 1;
	text = judged(&id, NULL, &level);
	assert_int_equal(level, FINDING_WARN);
	assert_string_equal(text, "1 of the TLSA records of _25._tcp.mail.example.org cannot be "
			    "used (data that is no key or certificate): senders ignore them, as this "
			    "check did. Fix or remove them");
}

static void old_names_kept(void **state)
{
	static struct tls_target t[2];
	static struct id_old old;

	memset(t, 0, sizeof(t));
	t[0].port = t[1].port = 993;
	t[0].outcome = TLS_HANDSHAKEN;
	t[0].cert.present = true;
	t[0].cert.nnames = 5;
	strcpy(t[0].cert.names[0], "mail.example.org");
	strcpy(t[0].cert.names[1], "Dovecot mail server");	/* a CN, no name */
	strcpy(t[0].cert.names[2], "192.0.2.1");
	strcpy(t[0].cert.names[3], "*.example.org");
	strcpy(t[0].cert.names[4], "localhost");
	t[1] = t[0];		/* the same port again: the first counts */
	strcpy(t[1].cert.names[0], "other.example.org");
	identity_old_from(t, 2, &old);
	assert_int_equal(old.n, 1);
	assert_true(old.ports[0].tls);
	assert_int_equal(old.ports[0].nnames, 2);
	assert_string_equal(old.ports[0].names[0], "mail.example.org");
	assert_string_equal(old.ports[0].names[1], "*.example.org");
}

static void results_and_verdict(void **state)
{
	static struct identity id;
	static struct findings pf;
	static struct finding f;
	struct tls_target t;
	unsigned int svc_of[1];
	struct id_result r[1];

	one_target(&id, &t, svc_of, NULL);
	assert_int_equal(identity_results(&id, NOW, r), 1);
	assert_true(r[0].ok);
	assert_int_equal(r[0].expiry, NOW + 90 * 86400);
	t.covers = false;
	identity_results(&id, NOW, r);
	assert_true(r[0].ok);	/* port 25: senders without DANE-TA or MTA-STS take it */
	id.svc[0].port = t.port = 993;
	identity_results(&id, NOW, r);
	assert_false(r[0].ok);
	identity_judge(&id, NULL, NOW, 0, &pf);
	f.v.status = VERDICT_READY;
	strcpy(f.why, "ready to retire this host: nothing redirected for 7d");
	verdict_with_tls(&f, &pf, NULL);
	assert_true(f.broken);
	assert_int_equal(f.v.status, VERDICT_IN_USE);
	assert_non_null(strstr(f.why, "; TLS: the certificate the new server presents"));
}

/* TLSA records that could not be read: not verified, not "none", not ok, not ready. */
static void tlsa_unread(void **state)
{
	static struct dns_tlsa_answer ans[3];
	struct dns_tlsa_owner o = { .answers = ans, .nanswers = 3 };
	static struct identity id;
	static struct findings pf;
	static struct finding f;
	struct tls_target t;
	unsigned int svc_of[1];
	struct id_result r[1];
	enum finding_level level;
	char buf[256];

	memset(ans, 0, sizeof(ans));
	ans[0].status = DNS_TLSA_NODATA;
	ans[1].status = DNS_TLSA_FAILED;
	ans[1].fault = DNS_FAULT_RCODE;
	ans[1].fault_code = 2;
	strcpy(ans[1].server, "ns2.example.org");
	ans[1].has_addr = true;
	parse_address("192.0.2.54", &ans[1].addr, NULL);
	ans[2].status = DNS_TLSA_NODATA;
	assert_ptr_equal(dns_tlsa_answer_of(&o), &ans[1]);	/* unknown, not none */
	assert_string_equal(dns_tlsa_failure(&ans[1], buf, sizeof(buf)),
			    "ns2.example.org (192.0.2.54) answered SERVFAIL");
	ans[2].status = DNS_TLSA_FOUND;
	assert_ptr_equal(dns_tlsa_answer_of(&o), &ans[2]);	/* records known */

	one_target(&id, &t, svc_of, NULL);
	strcpy(id.svc[0].tlsa_unread, "ns2.example.org (192.0.2.54) answered SERVFAIL");
	assert_non_null(strstr(judged(&id, NULL, &level), "cannot read the TLSA records of "
			       "_25._tcp.mail.example.org: ns2.example.org (192.0.2.54) "
			       "answered SERVFAIL"));
	assert_int_equal(level, FINDING_WARN);	/* and no "verified" line (judged: one) */
	identity_results(&id, NOW, r);
	assert_false(r[0].ok);
	assert_non_null(identity_unread(&id, buf, sizeof(buf)));
	identity_judge(&id, NULL, NOW, 0, &pf);
	f.v.status = VERDICT_READY;
	strcpy(f.why, "ready to retire this host: nothing redirected for 7d");
	verdict_with_tls(&f, &pf, identity_unread(&id, buf, sizeof(buf)));
	assert_false(f.broken);
	assert_true(f.tls_unknown);
	assert_int_equal(f.v.status, VERDICT_IN_USE);
	assert_non_null(strstr(f.why, "; TLS: cannot read the TLSA records of _25._tcp."));
	id.svc[0].tlsa_unread[0] = '\0';
	assert_null(identity_unread(&id, buf, sizeof(buf)));
}

/* The last results stand for a check only when all ok and covering every name known. */
static void results_known_good(void **state)
{
	static struct id_memory mem;
	struct spec spec;
	struct errmsg e;

	spec_init(&spec);
	assert_int_equal(spec_add_services(&spec, "smtp,imaps,2525", &e), 0);
	memset(&mem, 0, sizeof(mem));
	mem.nnames = 1;
	strcpy(mem.names[0], "mail.example.org");
	assert_false(identity_known_good(&spec, &mem, NOW, 86400));		/* never checked */
	mem.checked_at = NOW;
	mem.nresults = 2;
	mem.results[0] = (struct id_result){ .port = 25, .name = "mail.example.org", .ok = true };
	mem.results[1] = (struct id_result){ .port = 993, .name = "Mail.Example.org", .ok = true };
	assert_true(identity_known_good(&spec, &mem, NOW, 86400));	/* 2525: no TLS to check */
	mem.results[1].ok = false;
	assert_false(identity_known_good(&spec, &mem, NOW, 86400));		/* a problem: look again */
	mem.results[1].ok = true;
	mem.results[0].expiry = NOW + 86400;	/* expires within the window: said every run */
	assert_false(identity_known_good(&spec, &mem, NOW, 86400));
	mem.results[0].expiry = NOW + 86401;
	assert_true(identity_known_good(&spec, &mem, NOW, 86400));
	strcpy(mem.names[1], "imap.example.org");
	mem.nnames = 2;
	assert_false(identity_known_good(&spec, &mem, NOW, 86400));		/* a name never checked */
}

static void state_keeps_identity(void **state)
{
	static struct state a, b;
	static char text[STATE_TEXT_MAX];
	struct errmsg e = { "" };
	int len;

	state_init(&a);
	a.tls.nnames = 1;
	strcpy(a.tls.names[0], "imap.example.org");
	a.tls.old.n = 1;
	a.tls.old.ports[0].port = 993;
	a.tls.old.ports[0].tls = true;
	a.tls.old.ports[0].nnames = 2;
	strcpy(a.tls.old.ports[0].names[0], "mail.example.org");
	strcpy(a.tls.old.ports[0].names[1], "*.example.org");
	memset(a.tls.old.ports[0].spki, 0x5a, TLS_SPKI_LEN);
	a.tls.checked_at = NOW;
	a.tls.nresults = 1;
	a.tls.results[0].port = 25;
	strcpy(a.tls.results[0].name, "mail.example.org");
	a.tls.results[0].expiry = NOW + 1;
	len = state_format(&a, text, sizeof(text));
	assert_true(len > 0);
	assert_non_null(strstr(text, "tls_old 993 5a5a"));
	assert_non_null(strstr(text, " mail.example.org,*.example.org\n"));
	assert_non_null(strstr(text, "tls_result 25 mail.example.org no 1800000001\n"));
	assert_int_equal(state_parse(text, (size_t)len, &b, &e), 0);
	assert_memory_equal(&a.tls, &b.tls, sizeof(a.tls));
	assert_int_not_equal(state_parse("version 1\ntls_old 993 00 x\n", 27, &b, &e), 0);
	assert_int_not_equal(state_parse("version 1\nname a b\n", 19, &b, &e), 0);
	assert_int_not_equal(state_parse("version 1\ntls_result 25 x maybe 1\n", 35, &b, &e), 0);
}

int main(void)
{
	struct errmsg e = { "" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(smtp_starttls),
		cmocka_unit_test(smtp_without_starttls),
		cmocka_unit_test(smtp_refusals),
		cmocka_unit_test(smtps_implicit),
		cmocka_unit_test(pop3_stls),
		cmocka_unit_test(imap_starttls),
		cmocka_unit_test(sieve_starttls),
		cmocka_unit_test(long_line_and_junk),
		cmocka_unit_test(dialogue_of_ports),
		cmocka_unit_test(cert_names_and_key),
		cmocka_unit_test(cert_cn_only),
		cmocka_unit_test(cert_trust),
		cmocka_unit_test(plan_names_and_ports),
		cmocka_unit_test(judge_dane),
		cmocka_unit_test(judge_names_and_dates),
		cmocka_unit_test(judge_dane_ee_on_25),
		cmocka_unit_test(judge_dane_refused),
		cmocka_unit_test(old_names_kept),
		cmocka_unit_test(results_and_verdict),
		cmocka_unit_test(tlsa_unread),
		cmocka_unit_test(results_known_good),
		cmocka_unit_test(state_keeps_identity),
	};

	if (ossl_load(&e)) {
		fprintf(stderr, "%s\n", e.text);
		return 1;
	}
	return RUN_TAP(tests);
}
