/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_TLS_SSLIO_H
#define REDIRECT_TLS_SSLIO_H

#include <stdint.h>

#include <openssl/ssl.h>

/*
 * What the two OpenSSL poll engines (handshake.c, the mail servers;
 * mta_sts_fetch.c, the MTA-STS policies) share. OpenSSL's error queue is
 * one per thread, shared by every connection in flight: SSL_get_error()
 * reads it first, so an error one connection left there turns another's
 * harmless "want to read" into SSL_ERROR_SSL, and that connection is
 * dropped without its goodbye. So the queue is emptied before each call
 * whose result is asked of SSL_get_error(), and after each close.
 */

/* A monotonic clock in milliseconds, for the loops' deadlines. */
int64_t sslio_now_ms(void);

/* SSL_do_handshake, SSL_read, SSL_write with the error queue emptied first. */
int sslio_handshake(SSL *ssl);
int sslio_read(SSL *ssl, void *buf, int len);
int sslio_write(SSL *ssl, const void *buf, int len);

/*
 * After one of them returned @ret <= 0: 0 when the connection waits for
 * the socket (*@events set to POLLIN or POLLOUT), -1 when it failed.
 */
int sslio_wait(SSL *ssl, int ret, short *events);

/*
 * One close_notify, not waited for, and @ssl freed (NULL is nothing);
 * what SSL_shutdown leaves in the error queue (a handshake that never
 * finished, a peer gone) is no other connection's error and is dropped.
 */
void sslio_close(SSL *ssl);

#endif
