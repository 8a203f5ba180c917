// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The handshake engine: every target at once, in one poll() loop, with
 * non-blocking sockets and non-blocking OpenSSL (as probe.c's banner probe
 * does for plain connections), so that many handshakes take about as long
 * as the slowest one. Each connection: TCP, the plain dialogue up to
 * STARTTLS (starttls.c), the handshake with SNI and the TLSA records given
 * (OpenSSL's DANE, with DANE-EE's names ignored as RFC 7672 says and
 * Postfix does), the certificate read, a goodbye over TLS, close_notify.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls/handshake.h"
#include "tls/sslio.h"
#include "tls/ossl.h"

enum phase { C_CONNECTING, C_PLAIN, C_HANDSHAKE, C_SECURE, C_DONE };

struct conn {
	int fd;
	enum phase phase;
	short events;			/* what poll() waits for */
	SSL *ssl;
	struct starttls st;
	const char *pending;		/* a goodbye SSL_write could not finish yet */
	bool bye_sent;
};

struct engine {
	SSL_CTX *ctx;
	bool bundle_loaded;		/* the trust store's one big file (see trust_store) */
	struct tls_target *t;
	struct conn *c;
	unsigned int n;
	char ehlo[256];
};

void tls_options_init(struct tls_options *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = TLS_TIMEOUT_MS;
}

static void done(struct conn *c)
{
	sslio_close(c->ssl);	/* close_notify, without waiting for the peer's */
	c->ssl = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->phase = C_DONE;
}

static void give_up(struct tls_target *t, struct conn *c, enum tls_outcome o, const char *why)
{
	t->outcome = o;
	snprintf(t->why, sizeof(t->why), "%s", why);
	done(c);
}

/* The OpenSSL error queue's first entry, or errno's words. */
static const char *ssl_words(int ret, int err, char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	if (e)
		ERR_error_string_n(e, buf, len);
	else if (err == SSL_ERROR_SYSCALL && ret == 0)
		snprintf(buf, len, "the server closed the connection");
	else if (err == SSL_ERROR_SYSCALL)
		snprintf(buf, len, "%s", strerror(errno));
	else
		snprintf(buf, len, "TLS error %d", err);
	ERR_clear_error();
	return buf;
}

/* ---- TCP ---- */

static void start(struct tls_target *t, struct conn *c)
{
	struct sockaddr_storage ss;
	socklen_t len = address_sockaddr(&t->addr, t->port, &ss);

	c->phase = C_CONNECTING;
	c->events = POLLOUT;
	t->outcome = TLS_NO_CONNECTION;
	c->fd = socket(t->addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || (connect(c->fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS))
		give_up(t, c, TLS_NO_CONNECTION, strerror(errno));
}

/* ---- the system's trust store ---- */

/* Where OpenSSL looks by default, $SSL_CERT_DIR and $SSL_CERT_FILE first. */
static const char *default_path(const char *env, const char *fallback)
{
	const char *v = getenv(env);

	return v && *v ? v : fallback;
}

/*
 * The system's trust store, as SSL_CTX_set_default_verify_paths() makes
 * it, in the order that costs least: the hashed directory, whose
 * certificates are read only when a chain asks for their subject. The
 * bundle file beside it is read whole when it is added (Debian's 144
 * certificates: 37-61 ms of OpenSSL 3.0 here, more than all the
 * handshakes of a check), so it comes only when the directory cannot
 * complete a chain (a store that has the file alone, as in a namespace's
 * /etc/netns/NAME/ssl).
 */
static int trust_store(SSL_CTX *ctx)
{
	return SSL_CTX_load_verify_dir(ctx, default_path(X509_get_default_cert_dir_env(),
							 X509_get_default_cert_dir()));
}

static int load_bundle(SSL_CTX *ctx)
{
	return SSL_CTX_load_verify_file(ctx, default_path(X509_get_default_cert_file_env(),
							  X509_get_default_cert_file()));
}

/* ---- the handshake ---- */

static void handshake(struct engine *g, unsigned int i);

/*
 * The TLSA records a sender acts on, given to OpenSSL's DANE for this
 * connection: DANE enabled once, then each usable record added. One that
 * OpenSSL refuses (a "3 1 0" whose data is no key) is unusable, as it is
 * to Postfix, which ignores it too, and counted in dane_refused; the
 * others are still matched.
 */
static void dane_setup(struct tls_target *t, SSL *ssl)
{
	const struct tlsa_record *r;
	unsigned int i, usable = t->tlsa ? tlsa_count_usable(t->tlsa) : 0, added = 0;

	t->dane = TLS_DANE_NONE;
	t->dane_refused = 0;
	if (!usable)
		return;
	if (SSL_dane_enable(ssl, t->name[0] ? t->name : NULL) <= 0) {
		t->dane_refused = usable;
		ERR_clear_error();
		return;
	}
	for (i = 0; i < t->tlsa->n; i++) {
		r = &t->tlsa->rec[i];
		if (tlsa_usable(r) != TLSA_USABLE)
			continue;
		if (SSL_dane_tlsa_add(ssl, r->usage, r->selector, r->mtype, r->data, r->len) > 0)
			added++;
		else
			t->dane_refused++;
	}
	if (added)	/* RFC 7672 3.1.1: DANE-EE binds the key, not the names */
		SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	t->dane = added ? TLS_DANE_NO_MATCH : TLS_DANE_NONE;
	ERR_clear_error();
}

static void begin_tls(struct engine *g, unsigned int i)
{
	struct tls_target *t = &g->t[i];
	struct conn *c = &g->c[i];

	c->ssl = SSL_new(g->ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd) ||
	    (t->name[0] && !SSL_set_tlsext_host_name(c->ssl, t->name))) {
		give_up(t, c, TLS_FAILED, "cannot set up TLS: out of memory");
		return;
	}
	dane_setup(t, c->ssl);
	SSL_set_connect_state(c->ssl);
	c->phase = C_HANDSHAKE;
	handshake(g, i);
}

/*
 * Whether the chain leads to the system's trust store, as a mail client
 * checks it. Without DANE records for this connection, the handshake has
 * checked exactly that already (same store, same purpose, no name): its
 * result is taken. With them, its check was DANE's, and PKIX is checked
 * apart. A chain found wanting is checked again, now, with the bundle file
 * in the store (see trust_store): the handshake's check may have come
 * before another connection had it loaded.
 */
static void judge_trust(struct engine *g, struct tls_target *t, SSL *ssl, X509 *leaf, long vr)
{
	X509_STORE *store = SSL_CTX_get_cert_store(g->ctx);
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	bool checked_now = t->dane != TLS_DANE_NONE;

	if (checked_now)
		tls_cert_verify(store, leaf, chain, &t->cert);
	else
		tls_cert_verified(chain, vr, &t->cert);
	if (t->cert.trusted)
		return;
	if (!g->bundle_loaded) {
		g->bundle_loaded = true;
		checked_now = !load_bundle(g->ctx) && checked_now;
		ERR_clear_error();
	}
	if (!checked_now)
		tls_cert_verify(store, leaf, chain, &t->cert);
}

/* What the server presented, read once the handshake is done. */
static void inspect(struct engine *g, struct tls_target *t, SSL *ssl)
{
	X509 *leaf = SSL_get1_peer_certificate(ssl);
	long vr = SSL_get_verify_result(ssl);

	tls_cert_read(leaf, &t->cert);
	if (leaf) {
		judge_trust(g, t, ssl, leaf, vr);
		t->covers = t->name[0] && tls_cert_covers(leaf, t->name);
	}
	X509_free(leaf);
	if (t->dane != TLS_DANE_NONE) {
		t->dane_depth = SSL_get0_dane_tlsa(ssl, &t->dane_usage, NULL, NULL, NULL, NULL);
		t->dane = t->dane_depth >= 0 && vr == X509_V_OK ? TLS_DANE_MATCH :
							       TLS_DANE_NO_MATCH;
		if (t->dane == TLS_DANE_NO_MATCH)
			snprintf(t->dane_error, sizeof(t->dane_error), "%s",
				 X509_verify_cert_error_string(vr));
	}
	snprintf(t->protocol, sizeof(t->protocol), "%s", SSL_get_version(ssl));
	t->outcome = TLS_HANDSHAKEN;
}

static void secure_step(struct engine *g, unsigned int i, enum starttls_step step);

static void handshake(struct engine *g, unsigned int i)
{
	struct conn *c = &g->c[i];
	int ret = sslio_handshake(c->ssl);
	char words[160];

	if (ret == 1) {
		inspect(g, &g->t[i], c->ssl);
		c->phase = C_SECURE;
		secure_step(g, i, starttls_secured(&c->st));
		return;
	}
	if (!sslio_wait(c->ssl, ret, &c->events))
		return;
	give_up(&g->t[i], c, TLS_FAILED, ssl_words(ret, SSL_get_error(c->ssl, ret), words,
						   sizeof(words)));
}

/* ---- after the handshake: the goodbye, over TLS ---- */

static void secure_write(struct engine *g, unsigned int i)
{
	struct conn *c = &g->c[i];
	int ret = sslio_write(c->ssl, c->pending, (int)strlen(c->pending));

	if (ret > 0) {
		c->pending = NULL;
		c->bye_sent = true;
		c->events = POLLIN;
		return;
	}
	if (sslio_wait(c->ssl, ret, &c->events))
		done(c);	/* the certificate is read: nothing more to learn */
}

static void secure_step(struct engine *g, unsigned int i, enum starttls_step step)
{
	struct conn *c = &g->c[i];

	switch (step) {
	case STARTTLS_SAY:
		c->pending = c->st.say;
		secure_write(g, i);
		break;
	case STARTTLS_MORE:
		c->events = POLLIN;
		break;
	case STARTTLS_DONE:
		g->t[i].polite = true;
		done(c);
		break;
	default:
		done(c);
	}
}

static void secure_read(struct engine *g, unsigned int i)
{
	struct conn *c = &g->c[i];
	char buf[STARTTLS_LINE_MAX];
	size_t room = sizeof(c->st.buf) - c->st.len;
	int ret = sslio_read(c->ssl, buf, (int)(room < sizeof(buf) ? room : sizeof(buf)));

	if (ret <= 0) {
		if (!sslio_wait(c->ssl, ret, &c->events))
			return;
		g->t[i].polite = c->bye_sent;	/* it hung up after our goodbye */
		done(c);
		return;
	}
	secure_step(g, i, starttls_feed(&c->st, buf, (size_t)ret));
}

/* ---- before it: the plain dialogue ---- */

static bool plain_say(int fd, const char *text)
{
	size_t len = strlen(text);

	return !len || send(fd, text, len, MSG_NOSIGNAL) == (ssize_t)len;
}

static void plain_step(struct engine *g, unsigned int i, enum starttls_step step)
{
	struct tls_target *t = &g->t[i];
	struct conn *c = &g->c[i];

	for (;;) {
		switch (step) {
		case STARTTLS_SAY:
			if (!plain_say(c->fd, c->st.say)) {
				give_up(t, c, TLS_NO_STARTTLS, "the server hung up in the "
					"dialogue before STARTTLS");
				return;
			}
			step = starttls_feed(&c->st, NULL, 0);
			continue;
		case STARTTLS_HANDSHAKE:
			begin_tls(g, i);
			return;
		case STARTTLS_FAILED:
			plain_say(c->fd, c->st.say);
			give_up(t, c, TLS_NO_STARTTLS, c->st.why);
			return;
		default:
			c->events = POLLIN;
			return;
		}
	}
}

static void plain_read(struct engine *g, unsigned int i)
{
	struct conn *c = &g->c[i];
	ssize_t n = read(c->fd, c->st.buf + c->st.len, sizeof(c->st.buf) - c->st.len);

	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		give_up(&g->t[i], c, TLS_NO_STARTTLS, n ? strerror(errno) :
			"the server closed the connection before STARTTLS");
		return;
	}
	/* read straight into the dialogue's buffer: fed as 0 new bytes */
	c->st.len += (size_t)n;
	plain_step(g, i, starttls_feed(&c->st, NULL, 0));
	g->t[i].greeted = starttls_greeted(&c->st);
}

static void connected(struct engine *g, unsigned int i)
{
	struct tls_target *t = &g->t[i];
	struct conn *c = &g->c[i];
	int err = 0;
	socklen_t len = sizeof(err);

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err) {
		give_up(t, c, TLS_NO_CONNECTION, strerror(err));
		return;
	}
	t->outcome = TLS_NO_STARTTLS;
	t->connected = true;
	c->phase = C_PLAIN;
	plain_step(g, i, starttls_begin(&c->st, t->port, g->ehlo));
	t->greeted = starttls_greeted(&c->st);
}

/* ---- the loop ---- */

static void event(struct engine *g, unsigned int i)
{
	switch (g->c[i].phase) {
	case C_CONNECTING: connected(g, i); break;
	case C_PLAIN: plain_read(g, i); break;
	case C_HANDSHAKE: handshake(g, i); break;
	case C_SECURE:
		if (g->c[i].pending)
			secure_write(g, i);
		else
			secure_read(g, i);
		break;
	default: break;
	}
}

/* One poll over every connection under way; false when all are done. */
static bool poll_once(struct engine *g, struct pollfd *pfd, unsigned int *map, int wait_ms)
{
	unsigned int i, k = 0;

	for (i = 0; i < g->n; i++) {
		if (g->c[i].phase == C_DONE)
			continue;
		pfd[k].fd = g->c[i].fd;
		pfd[k].events = g->c[i].events;
		map[k++] = i;
	}
	if (!k)
		return false;
	if (poll(pfd, k, wait_ms) <= 0)
		return true;
	for (i = 0; i < k; i++)
		if (pfd[i].revents)
			event(g, map[i]);
	return true;
}

/* What was still under way when time ran out. */
static void time_out(struct engine *g, int timeout_ms)
{
	static const char *const what[] = {
		[C_CONNECTING] = "no answer",
		[C_PLAIN] = "the dialogue before STARTTLS did not finish",
		[C_HANDSHAKE] = "the TLS handshake did not finish",
	};
	char why[96];
	unsigned int i;

	for (i = 0; i < g->n; i++) {
		struct conn *c = &g->c[i];

		if (c->phase == C_DONE)
			continue;
		if (c->phase == C_SECURE) {
			done(c);	/* the certificate is read; the goodbye went unanswered */
			continue;
		}
		snprintf(why, sizeof(why), "%s within %ds%s", what[c->phase],
			 (timeout_ms + 999) / 1000, c->phase == C_CONNECTING ? " (filtered?)" : "");
		give_up(&g->t[i], c, c->phase == C_CONNECTING ? TLS_NO_CONNECTION :
			c->phase == C_PLAIN ? TLS_NO_STARTTLS : TLS_TIMED_OUT, why);
	}
}

static int engine_init(struct engine *g, const struct tls_options *o, struct errmsg *e)
{
	g->ctx = SSL_CTX_new(TLS_client_method());
	if (!g->ctx)
		return errmsg_set(e, -ENOMEM, "cannot start OpenSSL");
	g->bundle_loaded = o->ca_file != NULL;
	if (!(o->ca_file ? SSL_CTX_load_verify_locations(g->ctx, o->ca_file, NULL) :
			   trust_store(g->ctx)) ||
	    SSL_CTX_dane_enable(g->ctx) <= 0) {
		SSL_CTX_free(g->ctx);
		ERR_clear_error();
		return errmsg_set(e, -EINVAL, "cannot load the trust store%s%s", o->ca_file ?
				  " " : "", o->ca_file ? o->ca_file : "");
	}
	/* verification is judged after the handshake, never refused in it */
	SSL_CTX_set_verify(g->ctx, SSL_VERIFY_NONE, NULL);
	snprintf(g->ehlo, sizeof(g->ehlo), "%s", o->ehlo ? o->ehlo : "");
	if (!g->ehlo[0] && gethostname(g->ehlo, sizeof(g->ehlo) - 1))
		snprintf(g->ehlo, sizeof(g->ehlo), "localhost");
	return 0;
}

static void run_loop(struct engine *g, int timeout_ms, struct pollfd *pfd, unsigned int *map)
{
	int64_t deadline = sslio_now_ms() + timeout_ms;
	unsigned int i;

	for (i = 0; i < g->n; i++) {
		memset(&g->t[i].cert, 0, sizeof(g->t[i].cert));
		g->t[i].why[0] = g->t[i].dane_error[0] = g->t[i].protocol[0] = '\0';
		g->t[i].covers = g->t[i].polite = g->t[i].connected = g->t[i].greeted = false;
		g->t[i].dane = TLS_DANE_NONE;
		start(&g->t[i], &g->c[i]);
	}
	while (sslio_now_ms() < deadline &&
	       poll_once(g, pfd, map, (int)(deadline - sslio_now_ms())))
		;
	time_out(g, timeout_ms);
}

int tls_run(struct tls_target *targets, unsigned int n, const struct tls_options *o,
	    struct errmsg *e)
{
	struct engine g = { .t = targets, .n = n };
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	struct pollfd *pfd = calloc(n ? n : 1, sizeof(*pfd));
	unsigned int *map = calloc(n ? n : 1, sizeof(*map));
	int err;

	g.c = calloc(n ? n : 1, sizeof(*g.c));
	err = !pfd || !map || !g.c ? errmsg_set(e, -ENOMEM, "out of memory") : ossl_load(e);
	if (!err)
		err = engine_init(&g, o, e);
	if (!err) {
		/* OpenSSL writes with write(): a server's reset must not kill us */
		sigaction(SIGPIPE, &ign, &old);
		run_loop(&g, o->timeout_ms, pfd, map);
		sigaction(SIGPIPE, &old, NULL);
		SSL_CTX_free(g.ctx);
	}
	free(g.c);
	free(map);
	free(pfd);
	return err;
}
