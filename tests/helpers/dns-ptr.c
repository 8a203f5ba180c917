// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dns-ptr ADDRESS...: the PTR name of each address, one line each
 * ("ADDRESS NAME", or "ADDRESS -" for none), through dns_ptr_lookup(),
 * which stats will use: all asked at once of resolv.conf's servers. For
 * the DNS test.
 */
#include <stdio.h>

#include "dns/ptr.h"
#include "dns/survey.h"

#define MAX 64

int main(int argc, char **argv)
{
	struct address addrs[MAX];
	char *names[MAX];
	struct errmsg e;
	int i, n = argc - 1;

	if (n < 1 || n > MAX) {
		fprintf(stderr, "usage: dns-ptr ADDRESS... (at most %d)\n", MAX);
		return 2;
	}
	for (i = 0; i < n; i++)
		if (parse_address(argv[i + 1], &addrs[i], &e)) {
			fprintf(stderr, "dns-ptr: %s\n", e.text);
			return 2;
		}
	if (dns_ptr_lookup(addrs, (unsigned int)n, names, DNS_TIMEOUT_MS, DNS_RETRIES, &e)) {
		fprintf(stderr, "dns-ptr: %s\n", e.text);
		return 1;
	}
	for (i = 0; i < n; i++)
		printf("%s %s\n", argv[i + 1], names[i] ? names[i] : "-");
	dns_names_free(names, (unsigned int)n);
	return 0;
}
