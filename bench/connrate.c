// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * connrate: new TCP connections per second, for bench/datapath.
 *
 *   connrate serve [-6] [-b ADDRESS] -p PORT
 *	A tiny server: reads a request, answers "250 <peer as seen here>\r\n"
 *	and closes (it closes first, so TIME_WAIT stays on the server side
 *	and the client never runs out of ports).
 *
 *   connrate client -a ADDRESS -p PORT [-s SOURCE,...] [-c PARALLEL] [-d SECONDS] [-w WARMUP] [-n COUNT]
 *	Keeps PARALLEL connections in flight: connect, send one line, read
 *	the answer to EOF, close, open the next one. With -s, the connections
 *	come from these local addresses in turn (many clients, as a mail
 *	server sees them, rather than one reusing its ports every few seconds
 *	while a stateful middlebox still remembers them). After WARMUP seconds it
 *	counts for SECONDS and prints one line:
 *	  rate=<conn/s> conns=<n> errors=<n> secs=<s> p50_ms=<ms> p99_ms=<ms>
 *	With -n COUNT it makes COUNT connections one after another instead
 *	and prints the last answer (to see which path a setup takes).
 *
 * One thread, epoll, non-blocking sockets; IPv4 or IPv6 by the address.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQUEST "HELO bench\r\n"
#define CONN_TIMEOUT 10.0	/* seconds; a connection older than this is an error */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static int parse_addr(const char *text, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return 0;
	}
	return -1;
}

/* ---- server ---- */

static int serve(const char *bind_addr, int port)
{
	struct sockaddr_storage ss, peer;
	socklen_t len, plen;
	struct epoll_event ev, evs[256];
	int lfd, ep, one = 1, n, i;

	if (parse_addr(bind_addr, port, &ss, &len) < 0) {
		fprintf(stderr, "connrate: bad address %s\n", bind_addr);
		return 2;
	}
	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, len) < 0)
		die("bind");
	if (listen(lfd, 4096) < 0)
		die("listen");
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	signal(SIGPIPE, SIG_IGN);

	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				for (;;) {
					int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

					if (c < 0)
						break;
					ev.events = EPOLLIN | EPOLLRDHUP;
					ev.data.fd = c;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) < 0)
						close(c);
				}
				continue;
			}
			char buf[512], host[INET6_ADDRSTRLEN], reply[INET6_ADDRSTRLEN + 16];
			ssize_t r = read(fd, buf, sizeof(buf));

			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r > 0) {
				plen = sizeof(peer);
				host[0] = 0;
				if (getpeername(fd, (struct sockaddr *)&peer, &plen) == 0) {
					if (peer.ss_family == AF_INET)
						inet_ntop(AF_INET, &((struct sockaddr_in *)&peer)->sin_addr,
							  host, sizeof(host));
					else
						inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&peer)->sin6_addr,
							  host, sizeof(host));
				}
				int m = snprintf(reply, sizeof(reply), "250 %s\r\n", host);
				if (write(fd, reply, m) < 0) {
					/* the client is gone; nothing to do */
				}
			}
			close(fd);
		}
	}
}

/* ---- client ---- */

enum { IDLE, CONNECTING, READING };

struct slot {
	int fd, state;
	size_t got;
	double started;
};

#define MAX_SOURCES 64

static struct {
	struct sockaddr_storage ss;
	socklen_t len;
	struct sockaddr_storage src[MAX_SOURCES];
	socklen_t srclen[MAX_SOURCES];
	int nsrc, nextsrc;
	int ep;
	long conns, errors;
	double *lat;
	size_t nlat, caplat;
	int counting;
	char last[256];
} C;

static void finish_conn(struct slot *s, int ok)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->state = IDLE;
	if (!C.counting)
		return;
	if (!ok) {
		C.errors++;
		return;
	}
	C.conns++;
	if (C.nlat == C.caplat) {
		C.caplat = C.caplat ? 2 * C.caplat : 65536;
		C.lat = realloc(C.lat, C.caplat * sizeof(*C.lat));
		if (!C.lat)
			die("realloc");
	}
	C.lat[C.nlat++] = now() - s->started;
}

static void start_conn(struct slot *s)
{
	struct epoll_event ev;
	int fd = socket(C.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	s->got = 0;
	s->started = now();
	if (fd < 0) {
		s->fd = -1;
		finish_conn(s, 0);
		return;
	}
	s->fd = fd;
	if (C.nsrc) {
		int one = 1, k = C.nextsrc++ % C.nsrc;

		/* the port is chosen at connect(), for the whole 4-tuple */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&C.src[k], C.srclen[k]) < 0) {
			finish_conn(s, 0);
			usleep(1000);
			return;
		}
	}
	if (connect(fd, (struct sockaddr *)&C.ss, C.len) < 0 && errno != EINPROGRESS) {
		finish_conn(s, 0);
		usleep(1000);	/* out of ports or unreachable: do not spin */
		return;
	}
	s->state = CONNECTING;
	ev.events = EPOLLOUT;
	ev.data.ptr = s;
	if (epoll_ctl(C.ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		finish_conn(s, 0);
}

static void on_event(struct slot *s, unsigned events)
{
	struct epoll_event ev;
	int err = 0;
	socklen_t l = sizeof(err);
	ssize_t r;

	if (s->state == CONNECTING) {
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 || err) {
			finish_conn(s, 0);
			return;
		}
		if (write(s->fd, REQUEST, sizeof(REQUEST) - 1) != sizeof(REQUEST) - 1) {
			finish_conn(s, 0);
			return;
		}
		s->state = READING;
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.ptr = s;
		epoll_ctl(C.ep, EPOLL_CTL_MOD, s->fd, &ev);
		return;
	}
	(void)events;
	for (;;) {
		char buf[256];

		r = read(s->fd, buf, sizeof(buf));
		if (r > 0) {
			if (s->got == 0) {
				size_t k = (size_t)r < sizeof(C.last) - 1 ? (size_t)r : sizeof(C.last) - 1;

				memcpy(C.last, buf, k);
				C.last[k] = 0;
			}
			s->got += r;
			continue;
		}
		if (r == 0) {		/* EOF after the answer: done */
			finish_conn(s, s->got > 0);
			return;
		}
		if (errno == EAGAIN || errno == EINTR)
			return;
		/* a reset after the whole answer still counts as served */
		finish_conn(s, s->got > 0);
		return;
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: connrate serve [-b ADDRESS] -p PORT\n"
		"       connrate client -a ADDRESS -p PORT [-s SOURCE,...] [-c PARALLEL] [-d SECONDS]\n"
		"                       [-w WARMUP] [-n COUNT]\n");
	exit(2);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int client(const char *addr, int port, const char *sources, int parallel, double secs,
		  double warmup, long count)
{
	struct epoll_event evs[256];
	struct slot *slots;
	double t0, end, start_count = 0, last_scan = 0;
	int i, n;

	if (parse_addr(addr, port, &C.ss, &C.len) < 0) {
		fprintf(stderr, "connrate: bad address %s\n", addr);
		return 2;
	}
	if (sources) {
		char *list = strdup(sources), *save = NULL, *tok;

		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (C.nsrc == MAX_SOURCES || parse_addr(tok, 0, &C.src[C.nsrc], &C.srclen[C.nsrc]) < 0 ||
			    C.src[C.nsrc].ss_family != C.ss.ss_family) {
				fprintf(stderr, "connrate: bad or too many sources at %s\n", tok);
				return 2;
			}
			C.nsrc++;
		}
		free(list);
	}
	signal(SIGPIPE, SIG_IGN);
	C.ep = epoll_create1(EPOLL_CLOEXEC);
	if (C.ep < 0)
		die("epoll_create1");

	if (count > 0) {		/* one after another */
		struct slot s = { .fd = -1 };
		long k;

		C.counting = 1;
		for (k = 0; k < count; k++) {
			double deadline = now() + CONN_TIMEOUT;

			start_conn(&s);
			while (s.state != IDLE) {
				n = epoll_wait(C.ep, evs, 1, 100);
				if (n > 0)
					on_event(&s, evs[0].events);
				else if (now() > deadline)
					finish_conn(&s, 0);
			}
		}
		printf("%s", C.last);
		if (C.last[0] == 0 || C.last[strlen(C.last) - 1] != '\n')
			printf("\n");
		return C.errors ? 1 : 0;
	}

	slots = calloc(parallel, sizeof(*slots));
	if (!slots)
		die("calloc");
	for (i = 0; i < parallel; i++)
		slots[i].fd = -1;
	t0 = now();
	end = t0 + warmup + secs;
	C.counting = warmup <= 0;
	if (C.counting)
		start_count = t0;
	for (;;) {
		double t = now();

		if (!C.counting && t >= t0 + warmup) {
			C.counting = 1;
			start_count = t;
			end = t + secs;
		}
		if (t >= end)
			break;
		for (i = 0; i < parallel; i++)
			if (slots[i].state == IDLE)
				start_conn(&slots[i]);
		n = epoll_wait(C.ep, evs, 256, 50);
		for (i = 0; i < n; i++)
			on_event(evs[i].data.ptr, evs[i].events);
		if (t - last_scan > 0.5) {	/* stuck connections */
			last_scan = t;
			for (i = 0; i < parallel; i++)
				if (slots[i].state != IDLE && t - slots[i].started > CONN_TIMEOUT)
					finish_conn(&slots[i], 0);
		}
	}
	double elapsed = now() - start_count;

	qsort(C.lat, C.nlat, sizeof(*C.lat), cmp_double);
	printf("rate=%.0f conns=%ld errors=%ld secs=%.2f p50_ms=%.3f p99_ms=%.3f\n",
	       C.conns / elapsed, C.conns, C.errors, elapsed,
	       C.nlat ? 1000 * C.lat[C.nlat / 2] : 0.0,
	       C.nlat ? 1000 * C.lat[(size_t)(C.nlat * 0.99)] : 0.0);
	/* in-flight connections are simply closed */
	return C.conns ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *sources = NULL;
	int port = 0, parallel = 32, opt;
	double secs = 5, warmup = 1;
	long count = 0;

	if (argc < 2)
		usage();
	optind = 2;
	while ((opt = getopt(argc, argv, "a:b:p:s:c:d:w:n:")) != -1) {
		switch (opt) {
		case 'a':
		case 'b':
			addr = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 's':
			sources = optarg;
			break;
		case 'c':
			parallel = atoi(optarg);
			break;
		case 'd':
			secs = atof(optarg);
			break;
		case 'w':
			warmup = atof(optarg);
			break;
		case 'n':
			count = atol(optarg);
			break;
		default:
			usage();
		}
	}
	if (port <= 0 || port > 65535 || parallel <= 0 || secs <= 0)
		usage();
	if (strcmp(argv[1], "serve") == 0)
		return serve(addr ? addr : "0.0.0.0", port);
	if (strcmp(argv[1], "client") == 0 && addr)
		return client(addr, port, sources, parallel, secs, warmup, count);
	usage();
	return 2;
}
