// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * redirect dns's TLS section: for each MX host and SRV target, the TLSA
 * records the servers publish, and a handshake at every address the name
 * has and at the redirect's targets, saying whether what answers there
 * presents a key the records match.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/dns_tls.h"

struct tls_view *dns_look_at_tls(const struct dns_report *r, const struct address *targets,
				 unsigned int ntargets)
{
	static struct tls_view v;
	struct dns_service *svc = NULL;
	struct errmsg e = { "" };
	unsigned int i, n = 0;
	int err;

	memset(&v, 0, sizeof(v));
	v.d.report = *r;	/* borrowed: freed by the caller, not here */
	err = dns_report_services(r, &svc, &n) ? errmsg_set(&e, -ENOMEM, "out of memory") : 0;
	for (i = 0; !err && i < n; i++)
		if (identity_add(&v.id, svc[i].name, svc[i].port, svc[i].via) == -E2BIG)
			break;
	free(svc);
	if (!err)
		err = identity_dns_tlsa(&v.id, &v.d, &e);
	if (!err)
		err = identity_run_published(&v.id, r, targets, ntargets, &e);
	for (i = 0; !err && i < v.id.nsvc; i++)
		v.broken |= identity_dane_broken(&v.id, i);
	v.unknown = !err && identity_unread(&v.id, e.text, sizeof(e.text));
	if (!err)
		return &v;
	fprintf(stderr, "redirect dns: cannot check the TLS identity: %s; whether a TLSA record "
		"pins only this host's key is unknown (--no-tls checks DNS alone)\n", e.text);
	dns_tlsa_report_free(&v.d.tlsa);
	identity_free(&v.id);
	return NULL;
}

void dns_tls_free(struct tls_view *v)
{
	if (!v)
		return;
	dns_tlsa_report_free(&v->d.tlsa);
	identity_free(&v->id);
}

/* ---- the TLS section: each MX host and SRV target ---- */

static const struct dns_tlsa_answer *tlsa_answer(const struct tls_view *v, unsigned int s)
{
	const struct id_service *svc = &v->id.svc[s];
	unsigned int i;

	for (i = 0; i < v->d.tlsa.n; i++) {
		const struct dns_tlsa_owner *o = &v->d.tlsa.owners[i];

		if (o->svc.port == svc->port && !strcasecmp(o->svc.name, svc->name))
			return dns_tlsa_answer_of(o);
	}
	return NULL;
}

static const char *tlsa_state(const struct dns_tlsa_answer *a)
{
	if (!a || a->status == DNS_TLSA_FAILED)
		return "unknown";
	if (a->status != DNS_TLSA_FOUND)
		return "none";
	return a->set.is_signed ? "signed" : "unsigned";
}

static void print_tlsa(struct printer *p, const struct tls_view *v, unsigned int s)
{
	const struct dns_tlsa_answer *a = tlsa_answer(v, s);
	const char *state = tlsa_state(a);
	char text[160];
	unsigned int i;

	print_str(p, "tlsa", NULL, state);
	if (!strcmp(state, "unknown"))	/* the server that failed, and how */
		print_str(p, "tlsa_error", "TLSA RECORDS UNKNOWN: %s\n",
			  a ? dns_tlsa_failure(a, text, sizeof(text)) : "not asked");
	else
		print_null(p, "tlsa_error", NULL);
	if (!strcmp(state, "none"))
		print_text(p, "no TLSA records\n");
	else if (strcmp(state, "unknown"))
		print_text(p, "TLSA %s, ttl %u%s\n", state, a->set.ttl,
			   a->set.is_signed ? "" : " (senders ignore TLSA in an unsigned zone)");
	print_array_begin(p, "records");
	for (i = 0; a && a->status == DNS_TLSA_FOUND && i < a->set.n; i++) {
		tlsa_text(&a->set.rec[i], text, sizeof(text));
		print_str(p, NULL, PRINT_ARRAY_MEMBER, text);
		print_text(p, "      %s\n", text);
	}
	print_array_end(p);
}

static const char *dane_words(const struct tls_target *t)
{
	if (t->outcome != TLS_HANDSHAKEN)
		return "no TLS";
	if (t->dane == TLS_DANE_MATCH)
		return "TLSA matches";
	if (t->dane == TLS_DANE_NO_MATCH)
		return "NO TLSA RECORD MATCHES";
	return "TLS, no TLSA record to match";
}

static void print_tls_target(struct printer *p, const struct tls_view *v, unsigned int i)
{
	const struct tls_target *t = &v->id.t[i];
	char addr[ADDRESS_STRLEN], hex[TLS_SPKI_HEX];
	bool bad = t->dane == TLS_DANE_NO_MATCH && v->id.points[i] != DNS_POINTS_OLD;

	print_object_begin(p, NULL);
	print_str(p, "address", "    %-24s", address_str(&t->addr, addr));
	print_str(p, "points_to", " %-6s", dns_points_name((enum dns_points)v->id.points[i]));
	print_bool(p, "tls", NULL, t->outcome == TLS_HANDSHAKEN);
	if (t->dane == TLS_DANE_NONE)
		print_null(p, "tlsa_match", NULL);
	else
		print_bool(p, "tlsa_match", NULL, t->dane == TLS_DANE_MATCH);
	if (bad)
		print_style(p, STYLE_BAD);
	print_text(p, " %s", dane_words(t));
	print_style(p, STYLE_NONE);
	print_bool(p, "name_covered", t->outcome == TLS_HANDSHAKEN && !t->covers ?
		   ", the certificate lacks the name" : NULL, t->covers);
	if (t->cert.present)
		print_str(p, "key", NULL, tls_spki_hex(t->cert.spki, hex));
	else
		print_null(p, "key", NULL);
	print_str(p, "error", t->why[0] ? " (%s)" : NULL, t->why);
	print_text(p, "\n");
	print_object_end(p);
}

static void print_tls_service(struct printer *p, const struct tls_view *v, unsigned int s)
{
	const struct id_service *svc = &v->id.svc[s];
	unsigned int i;

	print_object_begin(p, NULL);
	print_str(p, "name", "  TLS %s", svc->name);
	print_u64(p, "port", " port %" PRIu64, svc->port);
	print_str(p, "via", " (%s): ", svc->via);
	print_tlsa(p, v, s);
	print_array_begin(p, "addresses");
	for (i = 0; i < v->id.nt; i++)
		if (v->id.svc_of[i] == s)
			print_tls_target(p, v, i);
	print_array_end(p);
	print_object_end(p);
}

/* Whether one of @d's servers names @svc (an MX host on 25, an SRV target on its port). */
static bool domain_names(const struct dns_domain *d, const struct id_service *svc)
{
	unsigned int v, k;

	for (v = 0; v < d->nservers; v++)
		for (k = 0; k < d->servers[v].nservices; k++)
			if (d->servers[v].services[k].port == svc->port &&
			    !strcasecmp(d->servers[v].services[k].name, svc->name))
				return true;
	return false;
}

void dns_print_tls(struct printer *p, const struct tls_view *v, const struct dns_domain *d)
{
	unsigned int s;

	print_array_begin(p, "tls");
	for (s = 0; v && s < v->id.nsvc; s++)
		if (domain_names(d, &v->id.svc[s]))
			print_tls_service(p, v, s);
	print_array_end(p);
}

/* What the TLS section says must be fixed. */
void dns_print_tls_summary(struct printer *p, const struct tls_view *v)
{
	char hex[TLS_SPKI_HEX], addr[ADDRESS_STRLEN];
	unsigned int s, i;

	for (s = 0; v && s < v->id.nsvc; s++) {
		if (v->id.svc[s].tlsa_unread[0])
			print_text(p, "\nredirect dns: cannot read the TLSA records of _%u._tcp.%s (%s):\n"
				   "  whether what answers for it matches them is unknown.\n",
				   v->id.svc[s].port, v->id.svc[s].name, v->id.svc[s].tlsa_unread);
		if (!identity_dane_broken(&v->id, s))
			continue;
		for (i = 0; i < v->id.nt && (v->id.svc_of[i] != s ||
					     v->id.t[i].dane != TLS_DANE_NO_MATCH); i++)
			;
		print_text(p, "\nredirect dns: the signed TLSA records of _%u._tcp.%s match "
			   "nothing the server\n  at %s presents: DANE senders defer its mail "
			   "(4.7.5). Publish\n  _%u._tcp.%s. IN TLSA 3 1 1 %s\n  beside "
			   "the old record and wait two TTLs (RFC 7671).\n", v->id.svc[s].port,
			   v->id.svc[s].name, address_str(&v->id.t[i].addr, addr), v->id.svc[s].port,
			   v->id.svc[s].name, tls_spki_hex(v->id.t[i].cert.spki, hex));
	}
}
