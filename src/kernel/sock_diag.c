// SPDX-License-Identifier: GPL-2.0-or-later
/* The sockets listening here, from sock_diag (what `ss -ltn` asks for). */
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>

#include "kernel/sock_diag.h"

struct listen_walk {
	int family;
	listener_cb cb;
	void *data;
};

static int listener_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct listen_walk *w = data;
	struct address a = { .family = w->family };

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_OK;
	memcpy(&a.in, m->id.idiag_src, w->family == AF_INET ? 4 : 16);
	w->cb(&a, ntohs(m->id.idiag_sport), w->data);
	return MNL_CB_OK;
}

/*
 * Every TCP socket listening in @family, from sock_diag as ss asks for
 * them: only the listening hash is walked, where /proc/net/tcp walks every
 * socket of every namespace.
 */
void tcp_listeners(int family, listener_cb cb, void *data)
{
	struct listen_walk w = { family, cb, data };
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	char buf[16384];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *req;
	uint32_t seq = (uint32_t)time(NULL);
	ssize_t n;
	int rc = MNL_CB_OK;

	if (!nl)
		return;
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (uint8_t)family;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_states = 1U << TCP_LISTEN;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0 &&
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) >= 0)
		while (rc > MNL_CB_STOP && (n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0)
			rc = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl),
					listener_msg, &w);
	mnl_socket_close(nl);
}
