// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The calls into OpenSSL that the two poll engines share (see sslio.h):
 * each leaves OpenSSL's per-thread error queue to the connection that
 * asks next.
 */
#include <poll.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls/sslio.h"
#include "tls/ossl.h"

int64_t sslio_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sslio_handshake(SSL *ssl)
{
	ERR_clear_error();
	return SSL_do_handshake(ssl);
}

int sslio_read(SSL *ssl, void *buf, int len)
{
	ERR_clear_error();
	return SSL_read(ssl, buf, len);
}

int sslio_write(SSL *ssl, const void *buf, int len)
{
	ERR_clear_error();
	return SSL_write(ssl, buf, len);
}

int sslio_wait(SSL *ssl, int ret, short *events)
{
	switch (SSL_get_error(ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		*events = POLLIN;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		*events = POLLOUT;
		return 0;
	default:
		return -1;
	}
}

void sslio_close(SSL *ssl)
{
	if (!ssl)
		return;
	SSL_shutdown(ssl);
	SSL_free(ssl);
	ERR_clear_error();
}
