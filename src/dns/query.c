// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * DNS queries on sockets of our own, all in flight at once: see
 * query.h. The only file that opens a DNS socket.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/random.h>

#include "dns/query.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void dns_target_of(const struct address *a, struct dns_target *t)
{
	memset(t, 0, sizeof(*t));
	t->n = 1;
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&t->addr[0];

		sin->sin_family = AF_INET;
		sin->sin_port = htons(NAMESERVER_PORT);
		sin->sin_addr = a->in.v4;
		t->len[0] = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&t->addr[0];

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(NAMESERVER_PORT);
		sin6->sin6_addr = a->in.v6;
		t->len[0] = sizeof(*sin6);
	}
}

void dns_engine_init(struct dns_engine *en, unsigned int timeout_ms, unsigned int retries)
{
	memset(en, 0, sizeof(*en));
	en->timeout_ms = timeout_ms;
	en->retries = retries;
}

int dns_engine_add(struct dns_engine *en, const char *name, uint16_t type, bool rd,
		   const struct dns_target *to, int group)
{
	struct dns_query *q;
	int len;

	if (en->n >= DNS_QUERIES_MAX || !to->n)
		return -E2BIG;
	if (en->n == en->cap) {
		unsigned int cap = en->cap ? en->cap * 2 : 64;
		struct dns_query *more = realloc(en->q, cap * sizeof(*more));

		if (!more)
			return -ENOMEM;
		en->q = more;
		en->cap = cap;
	}
	q = &en->q[en->n];
	memset(q, 0, sizeof(*q));
	if (strlen(name) >= sizeof(q->name))
		return -EINVAL;
	len = dns_build_query(q->packet + 2, DNS_QUERY_MAX, 0, name, type, rd);
	if (len < 0)
		return -EINVAL;
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->type = type;
	q->rd = rd;
	q->group = group;
	q->to = *to;
	q->packet_len = (size_t)len;
	q->fd = -1;
	return (int)en->n++;
}

int dns_engine_add_dnssec(struct dns_engine *en, const char *name, uint16_t type, bool rd,
			  const struct dns_target *to, int group)
{
	int i = dns_engine_add(en, name, type, rd, to, group), len;
	struct dns_query *q;

	if (i < 0)
		return i;
	q = &en->q[i];
	len = dns_add_edns(q->packet + 2, DNS_QUERY_MAX, q->packet_len, DNS_EDNS_UDP, true);
	if (len < 0) {
		en->n--;
		return -EINVAL;
	}
	q->packet_len = (size_t)len;
	return i;
}

/* ---- one query's life ---- */

static void close_fd(struct dns_query *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
}

static void finish(struct dns_engine *en, struct dns_query *q, int err)
{
	if (q->phase != DNS_WAITING && q->phase != DNS_DONE)
		en->inflight--;
	close_fd(q);
	q->phase = DNS_DONE;
	q->err = err;
	if (err) {
		free(q->answer);
		q->answer = NULL;
		q->answer_len = 0;
	}
}

/* A new ID from the kernel's generator: the one res_nmkquery uses is the clock's. */
static void new_id(struct dns_query *q)
{
	uint16_t id;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
		id = (uint16_t)(now_ms() * 2654435761U >> 7);
	q->id = id;
	q->packet[2] = (uint8_t)(id >> 8);
	q->packet[3] = (uint8_t)id;
}

static const struct sockaddr *peer(const struct dns_query *q, socklen_t *len)
{
	unsigned int k = (q->tries ? q->tries - 1 : 0) % q->to.n;

	*len = q->to.len[k];
	return (const struct sockaddr *)&q->to.addr[k];
}

static int open_socket(struct dns_query *q, int type)
{
	socklen_t len;
	const struct sockaddr *sa = peer(q, &len);
	int fd = socket(sa->sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	/*
	 * connect(): the kernel then drops datagrams from anyone else, and an
	 * ICMP port unreachable comes back as ECONNREFUSED.
	 */
	if (connect(fd, sa, len) && errno != EINPROGRESS) {
		int err = -errno;

		close(fd);
		return err;
	}
	q->fd = fd;
	return 0;
}

static void udp_send(struct dns_engine *en, struct dns_query *q);

/* Whether an error on the way to a server is the server's for every query to it. */
static bool server_wide(int err)
{
	return err == -ECONNREFUSED || err == -EHOSTUNREACH || err == -ENETUNREACH;
}

/*
 * The kernel rate-limits ICMP errors per peer (a burst of about six), so
 * the other queries to a server that refused one would only time out: they
 * fail with it now. A resolver that refused gives way to the next.
 */
static void udp_failed(struct dns_engine *en, struct dns_query *q, int err)
{
	unsigned int i;

	if (q->group < 0 && q->tries <= en->retries) {
		udp_send(en, q);
		return;
	}
	finish(en, q, err);
	if (q->group < 0 || !server_wide(err))
		return;
	for (i = 0; i < en->n; i++)
		if (en->q[i].group == q->group && en->q[i].phase != DNS_DONE)
			finish(en, &en->q[i], err);
}

static void udp_send(struct dns_engine *en, struct dns_query *q)
{
	ssize_t n;
	int err;

	close_fd(q);
	if (q->phase == DNS_WAITING)
		en->inflight++;
	q->phase = DNS_UDP;
	q->tries++;
	q->tcp = false;
	q->deadline = now_ms() + en->timeout_ms;
	new_id(q);
	err = open_socket(q, SOCK_DGRAM);
	if (err) {
		udp_failed(en, q, err);
		return;
	}
	n = send(q->fd, q->packet + 2, q->packet_len, 0);
	if (n != (ssize_t)q->packet_len)
		udp_failed(en, q, n < 0 ? -errno : -EMSGSIZE);
}

/* Truncated: the same question to the same server, over TCP, once. */
static void tcp_start(struct dns_engine *en, struct dns_query *q)
{
	int err;

	close_fd(q);
	q->tcp = true;
	q->phase = DNS_TCP_CONNECT;
	q->deadline = now_ms() + en->timeout_ms;
	q->packet[0] = (uint8_t)(q->packet_len >> 8);
	q->packet[1] = (uint8_t)q->packet_len;
	q->done = 0;
	err = open_socket(q, SOCK_STREAM);
	if (err)
		finish(en, q, err);
}

static void keep_answer(struct dns_engine *en, struct dns_query *q, const uint8_t *buf,
			size_t len)
{
	q->answer = malloc(len);
	if (!q->answer) {
		finish(en, q, -ENOMEM);
		return;
	}
	memcpy(q->answer, buf, len);
	q->answer_len = len;
	finish(en, q, 0);
}

static void udp_receive(struct dns_engine *en, struct dns_query *q)
{
	ssize_t n;

	for (;;) {
		n = recv(q->fd, en->buf, DNS_MESSAGE_MAX, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			udp_failed(en, q, -errno);
			return;
		}
		switch (dns_reply_match(en->buf, (size_t)n, q->id, q->name, q->type)) {
		case DNS_REPLY_FOREIGN:
			continue;	/* late, stray or spoofed: not this query's answer */
		case DNS_REPLY_TRUNCATED:
			tcp_start(en, q);
			return;
		case DNS_REPLY_OURS:
			keep_answer(en, q, en->buf, (size_t)n);
			return;
		}
	}
}

static void tcp_connected(struct dns_engine *en, struct dns_query *q)
{
	socklen_t len = sizeof(int);
	int soerr = 0;

	if (getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) || soerr) {
		finish(en, q, soerr ? -soerr : -errno);
		return;
	}
	q->phase = DNS_TCP_SEND;
}

static void tcp_send(struct dns_engine *en, struct dns_query *q)
{
	size_t total = q->packet_len + 2;
	ssize_t n = send(q->fd, q->packet + q->done, total - q->done, MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		finish(en, q, -errno);
		return;
	}
	q->done += (size_t)n;
	if (q->done < total)
		return;
	q->phase = DNS_TCP_RECV;
	q->done = q->need = 0;
}

/* The two bytes of length, then a buffer of that size. */
static int tcp_length(struct dns_query *q)
{
	q->need = (size_t)q->packet[0] << 8 | q->packet[1];
	q->done = 0;
	if (q->need < 12)
		return -EBADMSG;
	q->answer = malloc(q->need);
	return q->answer ? 0 : -ENOMEM;
}

static void tcp_complete(struct dns_engine *en, struct dns_query *q)
{
	q->answer_len = q->need;
	if (dns_reply_match(q->answer, q->need, q->id, q->name, q->type) == DNS_REPLY_OURS)
		finish(en, q, 0);
	else
		finish(en, q, -EBADMSG);	/* TCP carries no stray answers */
}

static void tcp_receive(struct dns_engine *en, struct dns_query *q)
{
	uint8_t *into;
	size_t want;
	ssize_t n;
	int err;

	for (;;) {
		into = q->need ? q->answer + q->done : q->packet + q->done;
		want = q->need ? q->need - q->done : 2 - q->done;
		n = recv(q->fd, into, want, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			finish(en, q, n < 0 ? -errno : -ECONNRESET);
			return;
		}
		q->done += (size_t)n;
		if (!q->need && q->done == 2 && (err = tcp_length(q))) {
			finish(en, q, err);
			return;
		}
		if (q->need && q->done == q->need) {
			tcp_complete(en, q);
			return;
		}
	}
}

static void step(struct dns_engine *en, struct dns_query *q)
{
	switch (q->phase) {
	case DNS_UDP:
		udp_receive(en, q);
		return;
	case DNS_TCP_CONNECT:
		tcp_connected(en, q);
		if (q->phase == DNS_TCP_SEND)
			tcp_send(en, q);
		return;
	case DNS_TCP_SEND:
		tcp_send(en, q);
		return;
	case DNS_TCP_RECV:
		tcp_receive(en, q);
		return;
	case DNS_WAITING:
	case DNS_DONE:
		return;
	}
}

/* Past its deadline: the next try over UDP, or the end. */
static void expire(struct dns_engine *en, struct dns_query *q)
{
	if (q->phase == DNS_UDP && q->tries <= en->retries)
		udp_send(en, q);
	else
		finish(en, q, -ETIMEDOUT);
}

/* ---- the loop ---- */

static void start_waiting(struct dns_engine *en)
{
	while (en->next < en->n && en->inflight < DNS_INFLIGHT_MAX) {
		struct dns_query *q = &en->q[en->next++];

		if (q->phase == DNS_WAITING)
			udp_send(en, q);
	}
}

/* The sockets to wait on, and for how long at most; deadlines passed are dealt with. */
static unsigned int gather(struct dns_engine *en, struct pollfd *pfd, unsigned int *idx,
			   int *wait)
{
	int64_t now = now_ms(), next = INT64_MAX;
	unsigned int i, n = 0;

	for (i = 0; i < en->next && n < DNS_INFLIGHT_MAX; i++) {
		struct dns_query *q = &en->q[i];

		if (q->phase == DNS_WAITING || q->phase == DNS_DONE)
			continue;
		if (now >= q->deadline)
			expire(en, q);
		if (q->phase == DNS_DONE)
			continue;
		if (q->deadline < next)
			next = q->deadline;
		pfd[n].fd = q->fd;
		pfd[n].events = q->phase == DNS_UDP || q->phase == DNS_TCP_RECV ? POLLIN : POLLOUT;
		pfd[n].revents = 0;
		idx[n++] = i;
	}
	*wait = next == INT64_MAX ? 0 : (int)(next > now ? next - now : 0);
	return n;
}

int dns_engine_run(struct dns_engine *en, struct errmsg *e)
{
	struct pollfd pfd[DNS_INFLIGHT_MAX];
	unsigned int idx[DNS_INFLIGHT_MAX], n, i;
	int wait;

	if (!en->buf && !(en->buf = malloc(DNS_MESSAGE_MAX)))
		return errmsg_set(e, -ENOMEM, "out of memory for DNS replies");
	for (;;) {
		start_waiting(en);
		n = gather(en, pfd, idx, &wait);
		if (!n && en->next == en->n)
			return 0;
		if (poll(pfd, n, wait) < 0 && errno != EINTR)
			return errmsg_set(e, -errno, "poll: %s", strerror(errno));
		for (i = 0; i < n; i++)
			if (pfd[i].revents)
				step(en, &en->q[idx[i]]);
	}
}

void dns_engine_free(struct dns_engine *en)
{
	unsigned int i;

	for (i = 0; i < en->n; i++) {
		close_fd(&en->q[i]);
		free(en->q[i].answer);
	}
	free(en->q);
	free(en->buf);
	memset(en, 0, sizeof(*en));
}

/* ---- the system's resolver ---- */

/*
 * glibc keeps IPv4 nameservers in nsaddr_list and IPv6 ones, with
 * sin_family 0 there, in _u._ext.nsaddrs (see its resolv_conf.c).
 */
static void list_resolvers(struct dns_system *s)
{
	struct dns_target *t = &s->resolvers;
	int i;

	for (i = 0; i < s->res.nscount && i < MAXNS && t->n < DNS_TARGETS_MAX; i++) {
		if (s->res.nsaddr_list[i].sin_family == AF_INET) {
			memcpy(&t->addr[t->n], &s->res.nsaddr_list[i], sizeof(struct sockaddr_in));
			t->len[t->n++] = sizeof(struct sockaddr_in);
		} else if (s->res._u._ext.nsaddrs[i]) {
			memcpy(&t->addr[t->n], s->res._u._ext.nsaddrs[i],
			       sizeof(struct sockaddr_in6));
			t->len[t->n++] = sizeof(struct sockaddr_in6);
		}
	}
}

int dns_system_open(struct dns_system *s, unsigned int timeout_ms, unsigned int retries,
		    struct errmsg *e)
{
	memset(s, 0, sizeof(*s));
	if (res_ninit(&s->res))
		return errmsg_set(e, -EIO, "cannot set up the resolver from /etc/resolv.conf");
	s->open = true;
	/* resolv.conf's defaults (timeout:5 attempts:2) would wait 10s for a dead one */
	s->res.retrans = timeout_ms < 1000 ? 1 : (int)(timeout_ms / 1000);
	s->res.retry = (int)retries + 1;
	list_resolvers(s);
	if (!s->resolvers.n) {
		dns_system_close(s);
		return errmsg_set(e, -ENOENT, "/etc/resolv.conf names no nameserver");
	}
	return 0;
}

int dns_system_query(struct dns_system *s, const char *name, uint16_t type, uint8_t *buf,
		     size_t len)
{
	int n = res_nquery(&s->res, name, ns_c_in, type, buf, (int)len);

	if (n >= 0)
		return n > (int)len ? (int)len : n;
	switch (s->res.res_h_errno) {
	case HOST_NOT_FOUND: return -ENOENT;
	case NO_DATA: return -ENODATA;
	case TRY_AGAIN: return -EAGAIN;
	}
	return -EIO;
}

bool dns_system_first(const struct dns_system *s, struct address *out)
{
	if (!s->open || !s->resolvers.n)
		return false;
	address_from_sockaddr((const struct sockaddr *)&s->resolvers.addr[0], out);
	return true;
}

void dns_system_close(struct dns_system *s)
{
	if (s->open)
		res_nclose(&s->res);
	s->open = false;
}
