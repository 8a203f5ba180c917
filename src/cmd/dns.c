// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * redirect dns: what every authoritative server of a domain answers for
 * the names mail clients use, and which answers still name this host.
 * Exit 0 none does, 1 some do, 2 usage error, 3 a server did not answer
 * or a domain does not exist. Needs no privilege, and keeps none.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernel/caps.h"
#include "cli/cli.h"
#include "core/dns_look.h"
#include "dns/survey.h"
#include "lib/format.h"
#include "kernel/host.h"
#include "cli/print.h"
#include "cmd/dns_tls.h"
#include "core/session.h"
#include "core/state.h"


enum { OPT_NAME, OPT_SERVER, OPT_JSON, OPT_NO_TLS, OPT_PUBLIC_ADDRESS };

static const struct option_def dns_options[] = {
	[OPT_NAME] = { "name", "HOST",
		"also check HOST, a name mail clients are set up with (e.g. imap.example.org)",
		true },
	[OPT_SERVER] = { "server", "ADDRESS",
		"ask the server at this IP address instead of the domain's NS hosts", true },
	[OPT_JSON] = { "json", NULL, "print one JSON object", false },
	[OPT_NO_TLS] = { "no-tls", NULL,
		"leave out the TLS section: no TLSA lookups, no handshakes", false },
	[OPT_PUBLIC_ADDRESS] = { "public-address", "ADDRESS",
		"this host's public address, where a cloud's 1:1 NAT puts it on no interface: "
		"answers naming it are old (besides those enable --public-address remembers)",
		true },
	{ NULL, NULL, NULL, false },
};

static int cmd_dns(int argc, char **argv);

const struct command command_dns = {
	.name = "dns",
	.run = cmd_dns,
	.synopsis = "DOMAIN... [--name HOST]... [--server ADDRESS]... [--public-address ADDRESS]...\n"
		    "                       [--json] [--no-tls]",
	.summary = "say which authoritative DNS servers still name this host",
	.description =
		"Asks every authoritative server of each DOMAIN (the hosts of its NS records,\n"
		"or the --server addresses) directly, without recursion, what it answers for\n"
		"the names mail clients use: the MX hosts, the targets of the SRV records\n"
		"_submission._tcp, _submissions._tcp, _imap._tcp, _imaps._tcp, _pop3._tcp and\n"
		"_pop3s._tcp (RFC 6186, 8314), and each --name; their A and AAAA records with\n"
		"the TTLs, and each server's SOA serial. An address is old when it is one of\n"
		"this host's (its interfaces' or a --public-address), new when it is a --to\n"
		"of `redirect enable`, else other.\n"
		"For each MX host and SRV target, a TLS section: its TLSA records (signed or\n"
		"not) and, at every address it has and at the redirect's target, whether\n"
		"what answers there presents a key the records match.\n"
		"Exit 0 when every server answered and none names this host, 1 while some\n"
		"still do or a signed TLSA matches nothing the new server presents (even\n"
		"when a server did not answer: 1 outweighs 3), 3 when a server did not\n"
		"answer, a domain does not exist, a name's TLSA records cannot be read, or an\n"
		"answer names an address that is neither while clients still come and no\n"
		"public address is known (behind NAT it may be it).",
	.options = dns_options,
	.operands = true,
};

struct dns_args {
	const char *domains[DNS_DOMAINS_MAX];
	unsigned int ndomains;
	const char *names[DNS_NAMES_MAX];
	unsigned int nnames;
	struct address servers[DNS_SERVERS_MAX];
	unsigned int nservers;
	struct public_addresses pub;	/* --public-address */
	bool json, no_tls;
};

/* A domain or --name: checked now, so that a bad one is a usage error. */
static int add_name(const char **list, unsigned int *n, unsigned int max, const char *what,
		    const char *value, struct errmsg *e)
{
	char name[DNS_NAME_BUF];
	int err = dns_name_check(value, name, e);
	unsigned int i;

	if (err) {
		char why[sizeof(e->text)];

		memcpy(why, e->text, sizeof(why));
		return errmsg_set(e, err, "%s %.*s", what, (int)sizeof(why) - 16, why);
	}
	for (i = 0; i < *n; i++)
		if (dns_name_equal(list[i], name))
			return 0;	/* given twice, asked once */
	if (*n >= max)
		return errmsg_set(e, -EINVAL, "at most %u of %s", max, what);
	list[(*n)++] = value;
	return 0;
}

static bool loopback(const struct address *a)
{
	if (a->family == AF_INET)
		return (ntohl(a->in.v4.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&a->in.v6);
}

/* --server: an IP literal; a local test server on loopback is fine. */
static int add_server(struct dns_args *a, const char *value, struct errmsg *e)
{
	struct address addr;
	const char *why;
	char q[QUOTE_BUF];
	unsigned int i;

	quote(value, q, sizeof(q));
	if (parse_address(value, &addr, e))
		return errmsg_set(e, -EINVAL, "--server %s is not an IP address; give the server's "
				  "address (without --server, the NS records name the servers)", q);
	why = address_unusable(&addr);
	if (why && !loopback(&addr))
		return errmsg_set(e, -EINVAL, "--server %s is %s", q, why);
	for (i = 0; i < a->nservers; i++)
		if (address_equal(&a->servers[i], &addr))
			return 0;
	if (a->nservers >= DNS_SERVERS_MAX)
		return errmsg_set(e, -EINVAL, "at most %d --server addresses", DNS_SERVERS_MAX);
	a->servers[a->nservers++] = addr;
	return 0;
}

static int on_option(int index, const char *value, void *data, struct errmsg *e)
{
	struct dns_args *a = data;

	switch (index) {
	case CLI_OPERAND:
		return add_name(a->domains, &a->ndomains, DNS_DOMAINS_MAX, "domain", value, e);
	case OPT_NAME:
		return add_name(a->names, &a->nnames, DNS_NAMES_MAX, "--name", value, e);
	case OPT_SERVER:
		return add_server(a, value, e);
	case OPT_JSON:
		a->json = true;
		return 0;
	case OPT_NO_TLS:
		a->no_tls = true;
		break;
	case OPT_PUBLIC_ADDRESS:
		if (public_add(&a->pub, value, e)) {
			errmsg_prefix(e, "--public-address");
			return -EINVAL;
		}
		return 0;
	}
	return 0;
}

/* ---- what old and new are ---- */

/* What the state says of old and new: what a run of dns takes from it. */
struct known {
	struct address new_[2];		/* the --to of an enabled redirect */
	unsigned int nnew;
	struct public_addresses pub;	/* this host's public addresses, remembered */
	unsigned int public_unknown;	/* see dns_public_unknown() */
};

/*
 * Read from the state without a lock and without making the directory;
 * one that cannot be read only costs the word "new" (such addresses then
 * show as other), and a note says so.
 */
static void read_known(struct known *k)
{
	struct state *st = malloc(sizeof(*st));	/* large: off the stack */
	struct errmsg e = { "" };
	int err = st ? session_read_state(globals.state_dir, st, &e) :
		  errmsg_set(&e, -ENOMEM, "out of memory");

	memset(k, 0, sizeof(*k));
	if (err)
		fprintf(stderr, "redirect dns: note: %s; the new server's addresses show as "
			"\"other\"\n", e.text);
	if (!err && st->enabled && st->spec.role == ROLE_OLD) {
		if (st->spec.has_to4)
			k->new_[k->nnew++] = st->spec.to4;
		if (st->spec.has_to6)
			k->new_[k->nnew++] = st->spec.to6;
	}
	if (!err) {
		k->pub = st->public;
		k->public_unknown = dns_public_unknown(st, (int64_t)time(NULL));
	}
	free(st);
}

/* ---- output ---- */

static const char *status_words(enum dns_status s)
{
	if (s == DNS_STATUS_NEW)
		return "no answer names this host";
	return s == DNS_STATUS_OLD ? "STILL NAMES THIS HOST" : "cannot tell (see below)";
}

/* Why a server's status is unknown, in a few words (the problem says more). */
static const char *fault_words(enum dns_fault f)
{
	static const char *const words[] = {
		[DNS_FAULT_NONE] = "cannot tell (see below)",
		[DNS_FAULT_NO_ADDRESS] = "no address to ask",
		[DNS_FAULT_TIMEOUT] = "did not answer",
		[DNS_FAULT_UNREACHABLE] = "cannot be reached",
		[DNS_FAULT_LAME] = "does not serve the zone",
		[DNS_FAULT_RCODE] = "answers with an error",
		[DNS_FAULT_NXDOMAIN] = "does not serve the zone",
		[DNS_FAULT_MALFORMED] = "sent a reply that cannot be parsed",
		[DNS_FAULT_ERROR] = "could not be asked",
	};

	return words[f];
}

static void print_status_words(struct printer *p, enum dns_status s, const char *words)
{
	print_str(p, "status", NULL, dns_status_name(s));
	if (s == DNS_STATUS_OLD)
		print_style(p, STYLE_BAD);
	print_text(p, ": %s", words);
	print_style(p, STYLE_NONE);
	print_text(p, "\n");
}

static void print_status(struct printer *p, enum dns_status s)
{
	print_status_words(p, s, status_words(s));
}

static void print_record(struct printer *p, const struct dns_record *rec)
{
	char addr[ADDRESS_STRLEN];
	bool old = rec->points_to == DNS_POINTS_OLD;

	print_object_begin(p, NULL);
	print_str(p, "name", "    %-26s", rec->name);
	print_str(p, "type", " %-4s", dns_type_name(rec->type));
	print_str(p, "value", " %-24s", address_str(&rec->addr, addr));
	print_u64(p, "ttl", " ttl %-7" PRIu64, rec->ttl);
	print_str(p, "via", " %-17s", rec->via);
	if (old)
		print_style(p, STYLE_BAD);
	print_str(p, "points_to", " %s", dns_points_name(rec->points_to));
	print_text(p, old ? "  <- this host" : "");
	print_style(p, STYLE_NONE);
	if (rec->cname[0])
		print_str(p, "cname", "  (CNAME %s)", rec->cname);
	print_text(p, "\n");
	print_object_end(p);
}

static void print_missing(struct printer *p, const struct dns_server *srv)
{
	unsigned int i;

	print_array_begin(p, "unresolved");
	for (i = 0; i < srv->nmissing; i++) {
		const struct dns_missing *m = &srv->missing[i];

		print_str(p, NULL, PRINT_ARRAY_MEMBER, m->name);
		if (m->chain_end == DNS_CHAIN_ENDS)
			print_text(p, "    %-26s no address (%s)%*s%s\n", m->name,
				   dns_rcode_name(m->rcode), 7, "", m->via);
		else
			print_text(p, "    %-26s cannot tell: %s  %s\n", m->name,
				   m->chain_end == DNS_CHAIN_LOOP ? "a CNAME loop" :
				   "too many CNAMEs", m->via);
	}
	print_array_end(p);
}

static void print_serial(struct printer *p, const struct dns_server *srv, uint32_t newest)
{
	if (!srv->has_serial) {
		print_null(p, "serial", "");
		return;
	}
	print_u64(p, "serial", ", serial %" PRIu64, srv->serial);
	if (srv->lagging)
		print_text(p, ", behind %u", (unsigned int)newest);
}

static void print_server_head(struct printer *p, const struct dns_server *srv, uint32_t newest)
{
	char addr[ADDRESS_STRLEN] = "";

	if (srv->has_addr)
		address_str(&srv->addr, addr);
	print_str(p, "name", "  %s", srv->name);
	if (!srv->has_addr)
		print_null(p, "address", " (no address)");
	else
		print_str(p, "address", strcmp(addr, srv->name) ? " %s" : NULL, addr);
	print_serial(p, srv, newest);
	print_bool(p, "lagging", NULL, srv->lagging);
	if (srv->skipped) {
		print_bool(p, "skipped", NULL, true);
		print_status_words(p, srv->status,
				   "not asked, no route from here (its other address answered)");
	} else if (srv->status == DNS_STATUS_UNKNOWN) {
		print_status_words(p, srv->status, fault_words(srv->fault));
	} else {
		print_status(p, srv->status);
	}
}

static void print_server(struct printer *p, const struct dns_server *srv, uint32_t newest)
{
	unsigned int i;

	print_server_head(p, srv, newest);
	print_array_begin(p, "records");
	for (i = 0; i < srv->nrecords; i++)
		print_record(p, &srv->records[i]);
	print_array_end(p);
	print_missing(p, srv);
}

/* The names outside the zone, as the system resolver answers them. */
static void print_outside(struct printer *p, const struct dns_domain *d)
{
	const struct dns_server *o = &d->outside;
	char addr[ADDRESS_STRLEN] = "?";
	unsigned int i;

	if (!o->nrecords && !o->nmissing && !o->fault)
		return;
	if (o->has_addr)
		address_str(&o->addr, addr);
	print_object_begin(p, "outside");
	print_text(p, "  outside %s, from the system resolver (%s)", d->name, addr);
	print_str(p, "resolver", NULL, addr);
	print_status(p, o->status);
	print_array_begin(p, "records");
	for (i = 0; i < o->nrecords; i++)
		print_record(p, &o->records[i]);
	print_array_end(p);
	print_missing(p, o);
	print_object_end(p);
}

/* A problem as "  - sentence." wrapped at 78 columns; in JSON a string. */
static void print_problem(const char *sentence, void *data)
{
	struct printer *p = data;
	const char *w = sentence;
	int col;

	print_str(p, NULL, PRINT_ARRAY_MEMBER, sentence);
	if (p->json)
		return;
	col = fprintf(p->f, "  -");
	while (*w) {
		int word = (int)strcspn(w, " ");

		if (col + 1 + word > 78 && col > 4)
			col = fprintf(p->f, "\n   ");
		col += fprintf(p->f, " %.*s", word, w);
		w += word;
		w += strspn(w, " ");
	}
	fputs(".\n", p->f);
}

static void print_domain(struct printer *p, const struct dns_domain *d, const struct tls_view *v)
{
	unsigned int i;

	print_object_begin(p, NULL);
	print_str(p, "domain", "%s", d->name);
	print_status(p, d->status);
	print_array_begin(p, "servers");
	for (i = 0; i < d->nservers; i++) {
		print_object_begin(p, NULL);
		print_server(p, &d->servers[i], d->newest_serial);
		print_object_end(p);
	}
	print_array_end(p);
	print_outside(p, d);
	dns_print_tls(p, v, d);
	if (dns_domain_problems(d, NULL, NULL))
		print_text(p, "  To fix:\n");
	print_array_begin(p, "problems");
	dns_domain_problems(d, print_problem, p);
	print_array_end(p);
	print_object_end(p);
}

static void print_summary(struct printer *p, const struct dns_report *r)
{
	const struct dns_record *rec;
	const struct dns_server *srv;
	uint32_t ttl = dns_report_old_ttl(r, &rec, &srv);
	char d[FORMAT_BUF];

	print_u64(p, "max_old_ttl", NULL, ttl);
	if (r->status == DNS_STATUS_NEW)
		print_text(p, "\nredirect dns: no authoritative server names this host "
			   "any more.\n");
	else if (r->status == DNS_STATUS_UNKNOWN || !rec)
		print_text(p, "\nredirect dns: cannot tell whether DNS still names this host: "
			   "see above.\n");
	else
		print_text(p, "\nredirect dns: DNS still names this host. Once that is fixed, "
			   "resolvers may\n  keep the old answers for up to %s (%s %s at %s).\n",
			   format_duration(ttl, d, sizeof(d)), rec->name, dns_type_name(rec->type),
			   srv->name);
}

/*
 * The run's verdict, DNS's with the TLS section's (EXIT STATUS in the man
 * page): a TLSA that pins only the old key binds the domain to this host
 * as surely as an answer naming it, so it is old even when a server did
 * not answer (1 outweighs 3); records that could not be read leave it
 * unknown.
 */
/*
 * @tls_failed: the TLS section was asked for and could not be made (no
 * libssl, say): then whether a TLSA record pins only this host's key is
 * unknown, never an all-clear.
 */
static enum dns_status run_status(const struct dns_report *r, const struct tls_view *v,
				  bool tls_failed)
{
	if (r->status == DNS_STATUS_OLD || (v && v->broken))
		return DNS_STATUS_OLD;
	if (r->status == DNS_STATUS_UNKNOWN || (v && v->unknown) || tls_failed)
		return DNS_STATUS_UNKNOWN;
	return DNS_STATUS_NEW;
}

static void print_report(struct printer *p, const struct dns_report *r, const struct tls_view *v,
			 bool tls_failed)
{
	unsigned int d;

	print_object_begin(p, NULL);
	print_str(p, "status", NULL, dns_status_name(run_status(r, v, tls_failed)));
	print_array_begin(p, "domains");
	for (d = 0; d < r->ndomains; d++) {
		if (d)
			print_text(p, "\n");
		print_domain(p, &r->domains[d], v);
	}
	print_array_end(p);
	print_summary(p, r);
	print_bool(p, "tls_broken", NULL, v && v->broken);
	dns_print_tls_summary(p, v);
	print_object_end(p);
}

/* ---- the command ---- */

static int exit_status(enum dns_status s)
{
	if (s == DNS_STATUS_NEW)
		return EXIT_DONE;
	return s == DNS_STATUS_OLD ? EXIT_FAILED : EXIT_UNKNOWN;
}

static int survey(const struct dns_args *a, struct dns_report *r, struct address *new_,
		  unsigned int *nnew, struct errmsg *e)
{
	struct address_list old = { 0 };
	struct dns_options o;
	struct known k;
	unsigned int i;
	int err;

	read_known(&k);
	host_addresses(true, true, &old);	/* none known: every answer counts as other */
	for (i = 0; i < k.pub.n + a->pub.n; i++)
		address_list_add(&old, i < k.pub.n ? &k.pub.a[i] : &a->pub.a[i - k.pub.n]);
	dns_options_init(&o);
	o.names = a->names;
	o.nnames = a->nnames;
	o.servers = a->servers;
	o.nservers = a->nservers;
	o.old = old.v;
	o.nold = old.n;
	memcpy(new_, k.new_, sizeof(k.new_));
	*nnew = k.nnew;
	o.new_ = new_;
	o.nnew = k.nnew;
	o.public_unknown = a->pub.n ? 0 : k.public_unknown;
	err = dns_survey(a->domains, a->ndomains, &o, r, e);
	address_list_free(&old);
	return err;
}

/*
 * Whether this run asked every domain enable --domain remembers, as check
 * asks them: no other servers, names or public addresses.
 */
static bool covers(const struct dns_args *a, const struct dns_clock *c)
{
	unsigned int i, j;

	if (!c->ndomains || a->nservers || a->nnames || a->pub.n)
		return false;
	for (i = 0; i < c->ndomains; i++) {
		for (j = 0; j < a->ndomains && !dns_name_equal(c->domains[i], a->domains[j]); j++)
			;
		if (j == a->ndomains)
			return false;
	}
	return true;
}

/*
 * A run over the remembered domains moves check's clock too, and is what
 * stats shows: when the state is there and its lock free (a cache of
 * check's, so a failure is no error).
 */
struct run {
	const struct dns_args *args;
	const struct dns_report *report;
};

static bool note_clock(struct state *st, void *data)
{
	const struct run *run = data;
	struct dns_look look;

	if (!st->enabled || !covers(run->args, &st->dns))
		return false;
	dns_look_from(run->report, &look);
	dns_clock_note(&st->dns, &look, (int64_t)time(NULL));
	return true;
}

static void note_in_state(const struct dns_args *a, const struct dns_report *r)
{
	const struct run run = { a, r };
	struct errmsg ignored;

	session_update_state(globals.state_dir, note_clock, (void *)&run, &ignored);
}

static int cmd_dns(int argc, char **argv)
{
	struct dns_args a = { .ndomains = 0 };
	struct address targets[2];
	struct errmsg e = { "" };
	struct tls_view *v;
	struct dns_report r;
	struct printer p;
	unsigned int ntargets = 0;
	int rc = cli_parse(&command_dns, argc, argv, on_option, &a, &e);

	if (rc)
		return cli_parse_status(&command_dns, rc, &e);
	if (!a.ndomains) {
		errmsg_set(&e, -EINVAL, "give the domain to check, e.g. redirect dns example.org");
		return cli_fail(&command_dns, EXIT_USAGE, &e);
	}
	if (caps_drop_all(&e))
		return cli_fail(&command_dns, EXIT_UNKNOWN, &e);
	rc = survey(&a, &r, targets, &ntargets, &e);
	if (rc) {
		dns_report_free(&r);
		return cli_fail(&command_dns, EXIT_UNKNOWN, &e);
	}
	v = a.no_tls ? NULL : dns_look_at_tls(&r, targets, ntargets);
	printer_init(&p, stdout, a.json, isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
	print_report(&p, &r, v, !a.no_tls && !v);
	rc = exit_status(run_status(&r, v, !a.no_tls && !v));
	note_in_state(&a, &r);
	dns_tls_free(v);
	dns_report_free(&r);
	return rc;
}
