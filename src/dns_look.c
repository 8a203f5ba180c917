// SPDX-License-Identifier: GPL-2.0-or-later
/* What check --domain needs of a DNS survey: the status, the TTLs, the first problem. */
#include <string.h>

#include "dns_look.h"
#include "host.h"

static void largest_ttls(const struct dns_report *r, struct dns_look *look)
{
	unsigned int d, s, i;

	for (d = 0; d < r->ndomains; d++)
		for (s = 0; s < r->domains[d].nservers; s++) {
			const struct dns_server *sv = &r->domains[d].servers[s];

			for (i = 0; i < sv->nrecords; i++) {
				if (sv->records[i].ttl > look->answer_ttl)
					look->answer_ttl = sv->records[i].ttl;
				look->old_answers += sv->records[i].points_to == DNS_POINTS_OLD;
			}
		}
}

void dns_look_from(const struct dns_report *r, struct dns_look *look)
{
	memset(look, 0, sizeof(*look));
	look->status = (int)r->status;
	look->old_ttl = dns_report_old_ttl(r, NULL, NULL);
	largest_ttls(r, look);
	dns_report_first_problem(r, look->problem, sizeof(look->problem));
}

int dns_look_at(const char *const *domains, unsigned int n, const struct spec *spec,
		struct dns_look *look, struct errmsg *e)
{
	static struct address old[HOST_ADDRESSES_MAX];
	struct address new_[2];
	struct dns_options o;
	struct dns_report r;
	int err;

	dns_options_init(&o);
	o.old = old;
	o.nold = host_addresses(true, true, old, HOST_ADDRESSES_MAX);
	o.new_ = new_;
	if (spec->has_to4)
		new_[o.nnew++] = spec->to4;
	if (spec->has_to6)
		new_[o.nnew++] = spec->to6;
	err = dns_survey(domains, n, &o, &r, e);
	if (!err)
		dns_look_from(&r, look);
	dns_report_free(&r);
	return err;
}
