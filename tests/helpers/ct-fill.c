// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ct-fill COUNT MARK FIRST: creates COUNT established TCP conntrack
 * entries in the current network namespace, with ct mark MARK (0 for
 * flows that are not ours, 0x10000000 for redirected ones). Entries are
 * numbered from FIRST, so successive calls never collide; documentation
 * addresses only. For bench/stats and the pre-flight test.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>

int main(int argc, char **argv)
{
	unsigned long count, mark, first, i;
	struct nfct_handle *h;
	struct nf_conntrack *ct;
	char src[32];

	if (argc != 4) {
		fprintf(stderr, "usage: ct-fill COUNT MARK FIRST\n");
		return 2;
	}
	count = strtoul(argv[1], NULL, 0);
	mark = strtoul(argv[2], NULL, 0);
	first = strtoul(argv[3], NULL, 0);
	h = nfct_open(CONNTRACK, 0);
	ct = nfct_new();
	if (!h || !ct) {
		perror("nfct");
		return 1;
	}
	for (i = first; i < first + count; i++) {
		/* 203.0.113.1-250 x ports from 1024: 16 million distinct clients */
		snprintf(src, sizeof(src), "203.0.113.%lu", i % 250 + 1);
		nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
		nfct_set_attr_u32(ct, ATTR_IPV4_SRC, inet_addr(src));
		nfct_set_attr_u32(ct, ATTR_IPV4_DST, inet_addr(mark ? "203.0.113.1" : "198.51.100.50"));
		nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_TCP);
		nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons((uint16_t)(1024 + i / 250)));
		nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(mark ? 25 : 80));
		nfct_setobjopt(ct, NFCT_SOPT_SETUP_REPLY);
		nfct_set_attr_u8(ct, ATTR_TCP_STATE, TCP_CONNTRACK_ESTABLISHED);
		nfct_set_attr_u32(ct, ATTR_TIMEOUT, 432000);	/* as if its last packet just came */
		nfct_set_attr_u32(ct, ATTR_MARK, (uint32_t)mark);
		if (nfct_query(h, NFCT_Q_CREATE, ct) < 0) {
			perror("create");
			return 1;
		}
	}
	nfct_destroy(ct);
	nfct_close(h);
	return 0;
}
