// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Conntrack entries as ctnetlink sends them (built here with
 * libnetfilter_conntrack), through our parser: who, which service, and
 * whether the session is in use.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>

#include "kernel/conntrack.h"
#include "lib/owned.h"

static struct ct_flow parsed_marked(uint8_t state, uint32_t timeout_left, uint8_t proto,
				    uint32_t mark)
{
	static char buf[4096];
	struct nf_conntrack *ct = nfct_new();
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	struct ct_flow flow;

	assert_non_null(ct);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	nfct_set_attr_u32(ct, ATTR_IPV4_SRC, inet_addr("203.0.113.10"));
	nfct_set_attr_u32(ct, ATTR_IPV4_DST, inet_addr("203.0.113.1"));
	nfct_set_attr_u8(ct, ATTR_L4PROTO, proto);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(40000));
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(143));
	nfct_set_attr_u8(ct, ATTR_TCP_STATE, state);
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, timeout_left);
	nfct_set_attr_u32(ct, ATTR_MARK, mark);
	assert_int_equal(nfct_nlmsg_build(nlh, ct), 0);
	nfct_destroy(ct);
	memset(&flow, 0xaa, sizeof(flow));
	if (ct_flow_from_msg(nlh, &flow))
		flow.port = 0;
	return flow;
}

/* A flow whose handshake with NEW completed: the forward chain marked it so. */
static struct ct_flow parsed(uint8_t state, uint32_t timeout_left, uint8_t proto)
{
	return parsed_marked(state, timeout_left, proto,
			     CT_MARK_BIT | CT_MARK_ANSWERED | CT_MARK_ESTABLISHED);
}

static void who_and_what(void **state)
{
	struct ct_flow f = parsed(TCP_CONNTRACK_ESTABLISHED, 431990, IPPROTO_TCP);
	char addr[ADDRESS_STRLEN];

	assert_int_equal(f.port, 143);
	assert_string_equal(address_str(&f.client, addr), "203.0.113.10");
	assert_int_equal(f.idle, 10);
	assert_true(f.open);
	/* not TCP: not a mail session */
	assert_int_equal(parsed(TCP_CONNTRACK_ESTABLISHED, 100, IPPROTO_UDP).port, 0);
}

static void in_use_or_not(void **state)
{
	/* silent for 55 minutes (IMAP IDLE re-arms within 29): in use */
	assert_true(parsed(TCP_CONNTRACK_ESTABLISHED, 432000 - 3300, IPPROTO_TCP).open);
	/* silent for 10 hours: a client gone without a FIN */
	assert_false(parsed(TCP_CONNTRACK_ESTABLISHED, 432000 - 36000, IPPROTO_TCP).open);
	/*
	 * Data in flight: the kernel uses the 300s unacknowledged timeout, so
	 * the timeout left is small; that session is busy, not idle for days.
	 */
	assert_true(parsed(TCP_CONNTRACK_ESTABLISHED, 300, IPPROTO_TCP).open);
	assert_int_equal(parsed(TCP_CONNTRACK_ESTABLISHED, 120, IPPROTO_TCP).idle, 0);
	/* closing down, or closed and lingering */
	assert_true(parsed(TCP_CONNTRACK_FIN_WAIT, 100, IPPROTO_TCP).open);
	assert_false(parsed(TCP_CONNTRACK_TIME_WAIT, 100, IPPROTO_TCP).open);
	assert_false(parsed(TCP_CONNTRACK_CLOSE, 5, IPPROTO_TCP).open);
}

/*
 * A scanner's SYN, answered or not, and a handshake the client never
 * finished, are attempts: never a session in use, whatever their state.
 */
static void attempts_are_not_sessions(void **state)
{
	struct ct_flow f;

	f = parsed_marked(TCP_CONNTRACK_SYN_SENT, 119, IPPROTO_TCP, CT_MARK_BIT);
	assert_false(f.open);
	assert_false(f.unanswered);	/* one second old: NEW may still answer */
	f = parsed_marked(TCP_CONNTRACK_SYN_SENT, 110, IPPROTO_TCP, CT_MARK_BIT);
	assert_false(f.open);
	assert_true(f.unanswered);	/* ten seconds without an answer */
	f = parsed_marked(TCP_CONNTRACK_SYN_RECV, 50, IPPROTO_TCP, CT_MARK_BIT | CT_MARK_ANSWERED);
	assert_false(f.open);
	assert_false(f.unanswered);
	/* an ESTABLISHED entry conntrack picked up mid-stream, never marked as such */
	f = parsed_marked(TCP_CONNTRACK_ESTABLISHED, 431990, IPPROTO_TCP, CT_MARK_BIT);
	assert_false(f.open);
	assert_int_equal(f.mark, CT_MARK_BIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(who_and_what),
		cmocka_unit_test(in_use_or_not),
		cmocka_unit_test(attempts_are_not_sessions),
	};

	return RUN_TAP(tests);
}
