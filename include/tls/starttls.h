/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_TLS_STARTTLS_H
#define REDIRECT_TLS_STARTTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The plain-text dialogues around a TLS handshake with a mail server, as
 * state machines fed the bytes the server sends: SMTP (greeting, EHLO,
 * STARTTLS; RFC 3207), POP3 (STLS; RFC 2595), IMAP (STARTTLS; RFC 9051),
 * ManageSieve (STARTTLS; RFC 5804), or implicit TLS (RFC 8314). After the
 * handshake each one says goodbye the way its protocol wants (QUIT,
 * LOGOUT) and waits for the answer, so that the server logs a client that
 * left politely, not one that vanished (fail2ban counts those). Pure: no
 * I/O, so the dialogues are unit tested and fuzzed.
 */

enum tls_dialogue { TLS_NONE, TLS_IMPLICIT, TLS_SMTP, TLS_POP3, TLS_IMAP, TLS_SIEVE };

/* The dialogue a known mail port speaks, TLS_NONE for any other port. */
enum tls_dialogue tls_dialogue_for_port(uint16_t port);

/* What the protocol is called, for messages: "SMTP", "IMAP", ... */
const char *tls_dialogue_name(enum tls_dialogue d, uint16_t port);

#define STARTTLS_LINE_MAX 1024

enum starttls_step {
	STARTTLS_MORE,		/* waiting for more of what the server says */
	STARTTLS_SAY,		/* write s->say, then go on feeding */
	STARTTLS_HANDSHAKE,	/* start the TLS handshake now */
	STARTTLS_DONE,		/* the goodbye was answered: close */
	STARTTLS_FAILED,	/* s->why says what; write s->say first if it is not "" */
};

struct starttls {
	enum tls_dialogue d;
	uint16_t port;
	int phase;
	bool offered;			/* EHLO or the sieve capabilities named STARTTLS */
	bool greeted;			/* the server greeted as its protocol does */
	bool secure;			/* the handshake is done: bytes fed are decrypted */
	char buf[STARTTLS_LINE_MAX];	/* an unfinished line */
	size_t len;
	char say[300];			/* what to write before going on */
	char why[200];			/* what went wrong, with what the server said */
	char ehlo[256];
};

/*
 * Starts the dialogue of @port (TLS_NONE: not to be started) as the
 * client @ehlo (the name SMTP's EHLO gives). Returns STARTTLS_HANDSHAKE
 * at once for implicit TLS, else STARTTLS_MORE: the server speaks first.
 */
enum starttls_step starttls_begin(struct starttls *s, uint16_t port, const char *ehlo);

/*
 * What the server sent, @n bytes (0: go on with lines already buffered;
 * the caller may also read straight into s->buf past s->len, adding to
 * s->len). Lines are taken until one needs an answer: after STARTTLS_SAY
 * call again with 0, for a server may have sent more than one.
 */
enum starttls_step starttls_feed(struct starttls *s, const char *data, size_t n);

/* Whether the server greeted as its protocol does (implicit TLS: no greeting yet). */
bool starttls_greeted(const struct starttls *s);

/*
 * The handshake is done. STARTTLS_SAY: the goodbye, at once (after
 * STARTTLS the client speaks first); STARTTLS_MORE: implicit TLS, the
 * server greets first.
 */
enum starttls_step starttls_secured(struct starttls *s);

#endif
