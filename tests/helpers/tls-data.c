// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The identity data of TLS checks, printed one fact a line for the netns
 * tests (tlsa.sh, mta-sts.sh), through the library calls that commands
 * will make:
 *
 *   tls-data tlsa [--server ADDRESS]... [--service NAME:PORT]... DOMAIN...
 *	dns_survey() of the domains, then dns_tlsa_survey() of the services
 *	their servers name (dns_report_services()) and of the --services.
 *	With no DOMAIN, the --services are asked of the resolver.
 *   tls-data mta-sts [--timeout MS] [--mx NAME]... DOMAIN...
 *	sts_look_at(): the TXT record, then the policy over HTTPS; with
 *	--mx, whether each name matches the policy.
 *   tls-data handshake [--timeout MS] [--tlsa "U S M HEX"]... ADDRESS,PORT[,NAME]...
 *	tls_run() of the targets (the engine of enable and check), all at
 *	once, each with the --tlsa records; the trust store is the system's.
 *
 * Lines: "answer OWNER SERVER ADDRESS STATUS ..." and "tlsa OWNER SERVER
 * U S M HEX usable|unusable", "sts DOMAIN ...", "match DOMAIN MX yes|no",
 * "target ADDRESS PORT NAME outcome=... KEY=VALUE... why=WORDS", "elapsed MS".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "core/sts_look.h"
#include "dns/dane.h"
#include "dns/survey.h"
#include "tls/handshake.h"

#define MAX 32

struct args {
	const char *domains[MAX], *mx[MAX];
	unsigned int ndomains, nmx, nservers, nservices;
	struct address servers[MAX];
	struct dns_service services[MAX];
	unsigned int timeout_ms;
	struct tlsa_rrset tlsa;		/* handshake: --tlsa */
};

static int usage(void)
{
	fprintf(stderr, "usage: tls-data tlsa [--server ADDRESS]... [--service NAME:PORT]... "
		"[DOMAIN...]\n       tls-data mta-sts [--timeout MS] [--mx NAME]... DOMAIN...\n"
		"       tls-data handshake [--timeout MS] [--tlsa \"U S M HEX\"]... "
		"ADDRESS,PORT[,NAME]...\n");
	return 2;
}

static int parse_service(const char *arg, struct dns_service *svc)
{
	const char *colon = strrchr(arg, ':');
	struct errmsg e;

	if (!colon || (size_t)(colon - arg) >= sizeof(svc->name) ||
	    parse_port(colon + 1, &svc->port, &e))
		return -EINVAL;
	memcpy(svc->name, arg, (size_t)(colon - arg));
	svc->name[colon - arg] = '\0';
	svc->via = "--service";
	return 0;
}

/* "3 1 1 5d3c...": one more record of the RRset every target is checked against. */
static int parse_tlsa(const char *val, struct tlsa_rrset *set)
{
	unsigned int u, sel, m, byte;
	uint8_t data[TLSA_DATA_MAX];
	char hex[2 * TLSA_DATA_MAX + 1];
	size_t i, n;

	if (sscanf(val, "%u %u %u %8192s", &u, &sel, &m, hex) != 4 || strlen(hex) % 2)
		return -EINVAL;
	n = strlen(hex) / 2;
	for (i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			return -EINVAL;
		data[i] = (uint8_t)byte;
	}
	set->is_signed = true;
	set->ttl = 300;
	return tlsa_add(set, (uint8_t)u, (uint8_t)sel, (uint8_t)m, data, n) ? -EINVAL : 0;
}

static int one_option(struct args *a, const char *opt, const char *val)
{
	struct errmsg e;

	if (!strcmp(opt, "--server") && a->nservers < MAX)
		return parse_address(val, &a->servers[a->nservers++], &e);
	if (!strcmp(opt, "--service") && a->nservices < MAX)
		return parse_service(val, &a->services[a->nservices++]);
	if (!strcmp(opt, "--mx") && a->nmx < MAX) {
		a->mx[a->nmx++] = val;
		return 0;
	}
	if (!strcmp(opt, "--tlsa"))
		return parse_tlsa(val, &a->tlsa);
	if (!strcmp(opt, "--timeout")) {
		a->timeout_ms = (unsigned int)atoi(val);
		return a->timeout_ms ? 0 : -EINVAL;
	}
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->timeout_ms = strcmp(argv[1], "handshake") ? MTA_STS_TIMEOUT_MS : TLS_TIMEOUT_MS;
	for (i = 2; i < argc; i++) {
		if (!strncmp(argv[i], "--", 2)) {
			if (i + 1 >= argc || one_option(a, argv[i], argv[i + 1]))
				return -EINVAL;
			i++;
		} else if (a->ndomains < MAX) {
			a->domains[a->ndomains++] = argv[i];
		}
	}
	return 0;
}

/* ---- tlsa ---- */

static void print_answer(const struct dns_tlsa_owner *o, const struct dns_tlsa_answer *a)
{
	char addr[ADDRESS_STRLEN], tlsa_buf[TLSA_DATA_MAX * 2 + 32];
	unsigned int i;

	printf("answer %s %s %s %s", o->owner, a->server,
	       a->has_addr ? address_str(&a->addr, addr) : "-", dns_tlsa_status_name(a->status));
	if (a->status == DNS_TLSA_FOUND)
		printf(" %s ttl=%u records=%u usable=%u", a->set.is_signed ? "signed" : "unsigned",
		       a->set.ttl, a->set.n, tlsa_count_usable(&a->set));
	if (a->status == DNS_TLSA_FAILED)
		printf(" fault=%d code=%d", (int)a->fault, a->fault_code);
	printf("%s%s%s%s\n", a->zone_signed ? " zone-signed" : "", a->tcp ? " tcp" : "",
	       a->cname[0] ? " cname=" : "", a->cname);
	for (i = 0; i < a->set.n; i++) {
		enum tlsa_unusable why = tlsa_usable(&a->set.rec[i]);

		printf("tlsa %s %s %s %s%s%s\n", o->owner, a->server,
		       tlsa_text(&a->set.rec[i], tlsa_buf, sizeof(tlsa_buf)),
		       why ? "unusable: " : "usable", tlsa_unusable_text(why), "");
	}
}

static void print_tlsa(const struct dns_tlsa_report *t)
{
	unsigned int o, i;

	for (o = 0; o < t->n; o++) {
		const struct dns_tlsa_owner *ow = &t->owners[o];

		printf("owner %s %s %u %s%s\n", ow->owner, ow->svc.name, ow->svc.port, ow->svc.via,
		       ow->differ ? " differ" : "");
		for (i = 0; i < ow->nanswers; i++)
			print_answer(ow, &ow->answers[i]);
	}
}

/* The services the report names, then those of --service. */
static int services_of(const struct dns_report *r, const struct args *a,
		       struct dns_service **all, unsigned int *n)
{
	struct dns_service *more;

	if (dns_report_services(r, all, n))
		return -ENOMEM;
	more = realloc(*all, (*n + a->nservices + 1) * sizeof(*more));
	if (!more)
		return -ENOMEM;
	memcpy(more + *n, a->services, a->nservices * sizeof(*more));
	*all = more;
	*n += a->nservices;
	return 0;
}

static int run_tlsa(const struct args *a)
{
	struct dns_report r = { .ndomains = 0 };
	struct dns_tlsa_report t;
	struct dns_service *all = NULL;
	struct dns_options opt;
	unsigned int n = 0;
	struct errmsg e;
	int err = 0;

	dns_options_init(&opt);
	opt.servers = a->servers;
	opt.nservers = a->nservers;
	if (a->ndomains)
		err = dns_survey(a->domains, a->ndomains, &opt, &r, &e);
	if (!err && services_of(&r, a, &all, &n))
		err = errmsg_set(&e, -ENOMEM, "out of memory");
	if (!err)
		err = dns_tlsa_survey(a->ndomains ? &r : NULL, all, n, opt.timeout_ms, opt.retries,
				      &t, &e);
	if (!err)
		print_tlsa(&t);
	else
		fprintf(stderr, "tls-data: %s\n", e.text);
	dns_tlsa_report_free(&t);
	dns_report_free(&r);
	free(all);
	return err ? 1 : 0;
}

/* ---- mta-sts ---- */

static void print_policy(const struct sts_look *l)
{
	const struct mta_sts_policy *p = &l->fetch.policy;
	unsigned int i;

	printf("sts %s fetch=ok http=%d mode=%s max_age=%u mx=", l->domain, l->fetch.http_status,
	       mta_sts_mode_name(p->mode), p->max_age);
	for (i = 0; i < p->nmx; i++)
		printf("%s%s", i ? "," : "", p->mx[i]);
	printf(" bad=%u\n", p->mx_bad);
}

static void print_look(const struct sts_look *l, const struct args *a)
{
	unsigned int i;

	printf("sts %s dns=%d txt=%d id=%s\n", l->domain, (int)l->dns, (int)l->txt,
	       l->txt == MTA_STS_TXT_OK ? l->id : "-");
	if (!l->fetched)
		return;
	if (l->fetch.fault != MTA_STS_OK) {
		printf("sts %s fetch=%s http=%d detail=%s\n", l->domain,
		       mta_sts_fault_name(l->fetch.fault), l->fetch.http_status, l->fetch.detail);
		return;
	}
	print_policy(l);
	for (i = 0; i < a->nmx; i++)
		printf("match %s %s %s\n", l->domain, a->mx[i],
		       mta_sts_mx_match(&l->fetch.policy, a->mx[i]) ? "yes" : "no");
}

static int run_sts(const struct args *a)
{
	struct sts_look *look = calloc(a->ndomains ? a->ndomains : 1, sizeof(*look));
	struct errmsg e;
	unsigned int i;
	int err;

	if (!look || !a->ndomains) {
		free(look);
		return usage();
	}
	err = sts_look_at(a->domains, a->ndomains, 1000, 1, a->timeout_ms, look, &e);
	if (err)
		fprintf(stderr, "tls-data: %s\n", e.text);
	for (i = 0; !err && i < a->ndomains; i++)
		print_look(&look[i], a);
	free(look);
	return err ? 1 : 0;
}

/* ---- handshake ---- */

/* "ADDRESS,PORT[,NAME]" */
static int parse_target(const char *arg, struct tls_target *t)
{
	char addr[64], name[TLS_NAME_BUF] = "";
	unsigned int port;
	struct errmsg e;

	memset(t, 0, sizeof(*t));
	if (sscanf(arg, "%63[^,],%u,%255s", addr, &port, name) < 2 || !port || port > 65535 ||
	    parse_address(addr, &t->addr, &e))
		return -EINVAL;
	t->port = (uint16_t)port;
	snprintf(t->name, sizeof(t->name), "%s", name);
	return 0;
}

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

static void print_target(const struct tls_target *t)
{
	static const char *const outcomes[] = {
		[TLS_HANDSHAKEN] = "handshaken", [TLS_NO_CONNECTION] = "no-connection",
		[TLS_NO_STARTTLS] = "no-starttls", [TLS_FAILED] = "failed",
		[TLS_TIMED_OUT] = "timed-out",
	};
	static const char *const danes[] = {
		[TLS_DANE_NONE] = "none", [TLS_DANE_MATCH] = "match",
		[TLS_DANE_NO_MATCH] = "no-match",
	};
	char addr[ADDRESS_STRLEN];

	printf("target %s %u %s outcome=%s connected=%s greeted=%s polite=%s covers=%s "
	       "dane=%s usage=%d depth=%d refused=%u why=%s\n", address_str(&t->addr, addr),
	       t->port, t->name[0] ? t->name : "-", outcomes[t->outcome], yes(t->connected),
	       yes(t->greeted), yes(t->polite), yes(t->covers), danes[t->dane],
	       t->dane == TLS_DANE_MATCH ? t->dane_usage : -1,
	       t->dane == TLS_DANE_MATCH ? t->dane_depth : -1, t->dane_refused,
	       t->why[0] ? t->why : "-");
}

static int run_handshake(const struct args *a)
{
	static struct tls_target t[MAX];
	struct tls_options o;
	struct timespec t0, t1;
	struct errmsg e;
	unsigned int i;

	for (i = 0; i < a->ndomains; i++) {
		if (parse_target(a->domains[i], &t[i]))
			return usage();
		t[i].tlsa = a->tlsa.n ? &a->tlsa : NULL;
	}
	tls_options_init(&o);
	o.timeout_ms = (int)a->timeout_ms;
	o.ehlo = "tls-data.example";
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (tls_run(t, a->ndomains, &o, &e)) {
		fprintf(stderr, "tls-data: %s\n", e.text);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (i = 0; i < a->ndomains; i++)
		print_target(&t[i]);
	printf("elapsed %lld\n", (long long)(t1.tv_sec - t0.tv_sec) * 1000 +
	       (t1.tv_nsec - t0.tv_nsec) / 1000000);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a;

	if (argc < 2 || parse_args(argc, argv, &a))
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "tlsa"))
		return run_tlsa(&a);
	if (!strcmp(argv[1], "mta-sts"))
		return run_sts(&a);
	if (!strcmp(argv[1], "handshake"))
		return run_handshake(&a);
	return usage();
}
