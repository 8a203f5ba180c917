// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MTA-STS policies fetched as senders fetch them (RFC 8461, 3.3): HTTPS
 * with OpenSSL, the certificate verified for the policy host, every domain
 * at once in one poll() loop, each within its time; the response read by
 * lib/http.c and the policy by mta_sts.c. See tls/mta_sts.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lib/http.h"
#include "tls/mta_sts.h"
#include "tls/sslio.h"
#include "tls/ossl.h"

#define FETCH_MAX 64			/* domains fetched at once */
#define RESPONSE_MAX (HTTP_HEAD_MAX + MTA_STS_BODY_MAX + 4096)	/* chunk framing too */
#define HTTPS_PORT 443

enum phase { P_CONNECT, P_HANDSHAKE, P_SEND, P_RECV, P_DONE };

struct fetch {
	const struct mta_sts_request *req;
	struct mta_sts_result *res;
	enum phase phase;
	int fd;
	SSL *ssl;
	short events;			/* what the socket waits for */
	unsigned int next_addr;
	int64_t deadline, connect_deadline;	/* CLOCK_MONOTONIC, ms */
	char request[512];
	size_t request_len, sent;
	char *buf, *body;		/* the response as it came; its body */
	size_t used;
};

const char *mta_sts_fault_name(enum mta_sts_fault f)
{
	static const char *const names[] = {
		[MTA_STS_OK] = "ok",
		[MTA_STS_NO_ADDRESS] = "no address",
		[MTA_STS_CONNECT] = "cannot connect",
		[MTA_STS_TIMEOUT] = "timed out",
		[MTA_STS_TLS] = "TLS failed",
		[MTA_STS_REDIRECT] = "redirected",
		[MTA_STS_HTTP_STATUS] = "HTTP error",
		[MTA_STS_CONTENT_TYPE] = "not text/plain",
		[MTA_STS_TOO_LARGE] = "too large",
		[MTA_STS_BAD_HTTP] = "not HTTP",
		[MTA_STS_INVALID] = "invalid policy",
		[MTA_STS_ERROR] = "could not try",
	};

	return (unsigned int)f < sizeof(names) / sizeof(names[0]) ? names[f] : "?";
}

static void close_conn(struct fetch *f)
{
	sslio_close(f->ssl);	/* one polite close_notify, not waited for */
	f->ssl = NULL;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

static void done(struct fetch *f, enum mta_sts_fault fault, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void done(struct fetch *f, enum mta_sts_fault fault, int err, const char *fmt, ...)
{
	va_list ap;

	close_conn(f);
	f->phase = P_DONE;
	f->res->fault = fault;
	f->res->err = err;
	va_start(ap, fmt);
	vsnprintf(f->res->detail, sizeof(f->res->detail), fmt, ap);
	va_end(ap);
}

/* The next address, with an equal share of the time left; done when none is left. */
static void connect_next(struct fetch *f)
{
	struct sockaddr_storage ss;
	unsigned int left;
	socklen_t len;

	close_conn(f);
	while (f->next_addr < f->req->naddrs) {
		const struct address *a = &f->req->addrs[f->next_addr++];

		f->res->peer = *a;
		f->res->has_peer = true;
		len = address_sockaddr(a, HTTPS_PORT, &ss);
		f->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (f->fd < 0) {
			f->res->err = errno;
			continue;
		}
		if (!connect(f->fd, (struct sockaddr *)&ss, len) || errno == EINPROGRESS) {
			left = f->req->naddrs - f->next_addr + 1;
			f->connect_deadline = sslio_now_ms() + (f->deadline - sslio_now_ms()) / left;
			f->phase = P_CONNECT;
			f->events = POLLOUT;
			return;
		}
		f->res->err = errno;
		close_conn(f);
	}
	done(f, MTA_STS_CONNECT, f->res->err, "%s", strerror(f->res->err));
}

static int start_tls(struct fetch *f, SSL_CTX *ctx)
{
	f->ssl = SSL_new(ctx);
	if (!f->ssl || !SSL_set_fd(f->ssl, f->fd) ||
	    !SSL_set_tlsext_host_name(f->ssl, f->res->host) || !SSL_set1_host(f->ssl, f->res->host))
		return -ENOMEM;
	SSL_set_hostflags(f->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	SSL_set_connect_state(f->ssl);
	f->phase = P_HANDSHAKE;
	return 0;
}

static void connected(struct fetch *f, SSL_CTX *ctx)
{
	socklen_t len = sizeof(int);
	int soerr = 0;

	if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) || soerr) {
		f->res->err = soerr ? soerr : errno;
		connect_next(f);
		return;
	}
	if (start_tls(f, ctx))
		done(f, MTA_STS_ERROR, ENOMEM, "cannot set up TLS");
}

/* Why the handshake failed, as the certificate check or OpenSSL's error queue says. */
static void tls_failed(struct fetch *f, int ret)
{
	long verify = SSL_get_verify_result(f->ssl);
	unsigned long err = ERR_peek_last_error();
	char text[160];

	if (verify != X509_V_OK) {
		done(f, MTA_STS_TLS, 0, "certificate for %s: %s", f->res->host,
		     X509_verify_cert_error_string(verify));
	} else if (err) {
		ERR_error_string_n(err, text, sizeof(text));
		done(f, MTA_STS_TLS, 0, "%s", text);
	} else {
		done(f, MTA_STS_TLS, 0, "the server closed the connection in the handshake%s",
		     ret < 0 ? " (a reset)" : "");
	}
	ERR_clear_error();
}

/* 0: waiting (events set); -1: an error other than waiting. */
static int ssl_wait(struct fetch *f, int ret)
{
	return sslio_wait(f->ssl, ret, &f->events);
}

/*
 * OpenSSL's error queue is per thread and shared by every connection here:
 * the sslio calls empty it first, so that SSL_get_error() and tls_failed()
 * read this connection's (SSL_get_error(3)).
 */
static void handshake(struct fetch *f)
{
	int ret = sslio_handshake(f->ssl);

	if (ret == 1) {
		f->phase = P_SEND;
		f->events = POLLOUT;
		return;
	}
	if (ssl_wait(f, ret) < 0)
		tls_failed(f, ret);
}

static void send_request(struct fetch *f)
{
	int ret;

	while (f->sent < f->request_len) {
		ret = sslio_write(f->ssl, f->request + f->sent, (int)(f->request_len - f->sent));
		if (ret <= 0) {
			if (ssl_wait(f, ret) < 0)
				done(f, MTA_STS_BAD_HTTP, 0, "the connection broke while sending");
			return;
		}
		f->sent += (size_t)ret;
	}
	f->phase = P_RECV;
	f->events = POLLIN;
}

/* The whole response is in: what it says, then the policy. */
static void judge(struct fetch *f, const struct http_response *h)
{
	struct errmsg e;

	f->res->http_status = h->status;
	if (h->status >= 300 && h->status < 400)
		done(f, MTA_STS_REDIRECT, 0, "HTTP %d to %s, which senders do not follow",
		     h->status, h->location[0] ? h->location : "(no Location)");
	else if (h->status != 200)
		done(f, MTA_STS_HTTP_STATUS, 0, "HTTP %d", h->status);
	else if (!h->text_plain)
		done(f, MTA_STS_CONTENT_TYPE, 0, "Content-Type %s",
		     h->content_type[0] ? h->content_type : "missing");
	else if (mta_sts_policy_parse(f->body, h->body_len, &f->res->policy, &e))
		done(f, MTA_STS_INVALID, 0, "%s", e.text);
	else
		done(f, MTA_STS_OK, 0, "%s", "");
}

/* What has come so far, read as a response: judged once whole. */
static void try_parse(struct fetch *f, bool eof)
{
	struct http_response h;
	int err = http_response_parse(f->buf, f->used, eof, f->body, MTA_STS_BODY_MAX, &h);

	if (!err)
		judge(f, &h);
	else if (err == -EFBIG)
		done(f, MTA_STS_TOO_LARGE, 0, "the response is over %d bytes", MTA_STS_BODY_MAX);
	else if (err == -EPROTONOSUPPORT)
		done(f, MTA_STS_BAD_HTTP, 0, "a transfer coding other than chunked");
	else if (err != -EAGAIN)
		done(f, MTA_STS_BAD_HTTP, 0, "%s", eof && f->used ? "the response is cut short "
		     "or malformed" : f->used ? "a malformed response" : "no response");
	else if (f->used == RESPONSE_MAX)
		done(f, MTA_STS_TOO_LARGE, 0, "the response is over %d bytes", MTA_STS_BODY_MAX);
}

static void receive(struct fetch *f)
{
	int ret;

	while (f->phase == P_RECV) {
		ret = sslio_read(f->ssl, f->buf + f->used, (int)(RESPONSE_MAX - f->used));
		if (ret > 0) {
			f->used += (size_t)ret;
			try_parse(f, false);
			continue;
		}
		if (!ssl_wait(f, ret))
			return;
		ERR_clear_error();
		try_parse(f, true);	/* the end, polite or not: Connection: close */
		if (f->phase == P_RECV)
			done(f, MTA_STS_BAD_HTTP, 0, "no response");
	}
}

static void step(struct fetch *f, SSL_CTX *ctx)
{
	switch (f->phase) {
	case P_CONNECT:
		connected(f, ctx);
		if (f->phase == P_HANDSHAKE)
			handshake(f);
		return;
	case P_HANDSHAKE:
		handshake(f);
		return;
	case P_SEND:
		send_request(f);
		return;
	case P_RECV:
		receive(f);
		return;
	case P_DONE:
		return;
	}
}

static const char *phase_words(enum phase p)
{
	switch (p) {
	case P_CONNECT: return "connecting";
	case P_HANDSHAKE: return "in the TLS handshake";
	case P_SEND: return "sending the request";
	case P_RECV: return "waiting for the response";
	case P_DONE: break;
	}
	return "";
}

/* Past a deadline: the next address, or the end. */
static void expire(struct fetch *f, int64_t now)
{
	if (now >= f->deadline) {
		done(f, MTA_STS_TIMEOUT, ETIMEDOUT, "no answer within the time, %s",
		     phase_words(f->phase));
	} else if (f->phase == P_CONNECT && now >= f->connect_deadline) {
		f->res->err = ETIMEDOUT;
		connect_next(f);
	}
}

/* The sockets to wait on, and how long at most. */
static unsigned int gather(struct fetch *fs, unsigned int n, struct pollfd *pfd,
			   unsigned int *idx, int *wait)
{
	int64_t now = sslio_now_ms(), next = INT64_MAX;
	unsigned int i, k = 0;

	for (i = 0; i < n; i++) {
		struct fetch *f = &fs[i];

		if (f->phase != P_DONE)
			expire(f, now);
		if (f->phase == P_DONE)
			continue;
		if (f->deadline < next)
			next = f->deadline;
		if (f->phase == P_CONNECT && f->connect_deadline < next)
			next = f->connect_deadline;
		pfd[k].fd = f->fd;
		pfd[k].events = f->events;
		pfd[k].revents = 0;
		idx[k++] = i;
	}
	*wait = next == INT64_MAX ? 0 : (int)(next > now ? next - now : 0);
	return k;
}

static int loop(struct fetch *fs, unsigned int n, SSL_CTX *ctx, struct errmsg *e)
{
	struct pollfd pfd[FETCH_MAX];
	unsigned int idx[FETCH_MAX], k, i;
	int wait;

	for (;;) {
		k = gather(fs, n, pfd, idx, &wait);
		if (!k)
			return 0;
		if (poll(pfd, k, wait) < 0 && errno != EINTR)
			return errmsg_set(e, -errno, "poll: %s", strerror(errno));
		for (i = 0; i < k; i++)
			if (pfd[i].revents)
				step(&fs[idx[i]], ctx);
	}
}

static void begin(struct fetch *f, const struct mta_sts_request *req, struct mta_sts_result *res,
		  unsigned int timeout_ms)
{
	memset(res, 0, sizeof(*res));
	f->req = req;
	f->res = res;
	f->fd = -1;
	snprintf(res->host, sizeof(res->host), "mta-sts.%s", req->domain);
	f->request_len = (size_t)snprintf(f->request, sizeof(f->request),
		"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: %s\r\n"
		"User-Agent: redirect/%s\r\nAccept: text/plain\r\nConnection: close\r\n\r\n",
		res->host, PACKAGE_VERSION);
	f->deadline = sslio_now_ms() + timeout_ms;
	if (strlen(req->domain) > MTA_STS_NAME_BUF - 9 || f->request_len >= sizeof(f->request))
		done(f, MTA_STS_ERROR, EINVAL, "the name is too long");
	else if (!req->naddrs)
		done(f, MTA_STS_NO_ADDRESS, 0, "%s has no address", res->host);
	else if (!(f->buf = malloc(RESPONSE_MAX)) || !(f->body = malloc(MTA_STS_BODY_MAX)))
		done(f, MTA_STS_ERROR, ENOMEM, "out of memory");
	else
		connect_next(f);
}

/* A client context: TLS 1.2 or later, peers verified against the system's store. */
static SSL_CTX *client_ctx(struct errmsg *e)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx) {
		errmsg_set(e, -ENOMEM, "cannot set up TLS: %s",
			   ERR_error_string(ERR_get_error(), NULL));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* the end of the body is the connection's: a missing close_notify is no error */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (!SSL_CTX_set_default_verify_paths(ctx)) {
		SSL_CTX_free(ctx);
		errmsg_set(e, -EIO, "cannot read the system's trusted certificates (/etc/ssl/certs)");
		return NULL;
	}
	return ctx;
}

int mta_sts_fetch(const struct mta_sts_request *req, unsigned int n, unsigned int timeout_ms,
		  struct mta_sts_result *out, struct errmsg *e)
{
	struct fetch *fs;
	SSL_CTX *ctx;
	unsigned int i;
	int err;

	if (n > FETCH_MAX)
		return errmsg_set(e, -E2BIG, "%u domains: at most %d policies are fetched at once",
				  n, FETCH_MAX);
	err = ossl_load(e);
	if (err)
		return err;
	ctx = client_ctx(e);
	if (!ctx)
		return -EIO;
	fs = calloc(n ? n : 1, sizeof(*fs));
	if (!fs) {
		SSL_CTX_free(ctx);
		return errmsg_set(e, -ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++)
		begin(&fs[i], &req[i], &out[i], timeout_ms);
	err = loop(fs, n, ctx, e);
	for (i = 0; i < n; i++) {
		close_conn(&fs[i]);
		free(fs[i].buf);
		free(fs[i].body);
	}
	free(fs);
	SSL_CTX_free(ctx);
	return err;
}
