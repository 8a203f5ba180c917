// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TLS identity a redirect carries over: which names are checked on
 * which ports, the handshakes with NEW (tls/handshake.c), and what they
 * found, judged into sentences that say what to fix.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/identity.h"
#include "lib/format.h"

bool identity_port_checked(uint16_t port)
{
	return tls_dialogue_for_port(port) != TLS_NONE;
}

int identity_add(struct identity *id, const char *name, uint16_t port, const char *via)
{
	struct id_service *s;
	unsigned int i;

	if (!identity_port_checked(port) || !name[0] || strlen(name) >= TLS_NAME_BUF)
		return 1;
	for (i = 0; i < id->nsvc; i++)
		if (id->svc[i].port == port && !strcasecmp(id->svc[i].name, name))
			return 1;
	if (id->nsvc == ID_SERVICES_MAX)
		return -E2BIG;
	s = &id->svc[id->nsvc++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->port = port;
	s->via = via;
	return 0;
}

int identity_add_all_ports(struct identity *id, const struct spec *spec, const char *name,
			   const char *via)
{
	unsigned int i;
	int err;

	for (i = 0; i < spec->nservices; i++)
		if ((err = identity_add(id, name, spec->services[i].port, via)) < 0)
			return err;
	return 0;
}

int identity_add_old(struct identity *id, const struct spec *spec, const struct id_old *old)
{
	unsigned int i, j;
	int err;

	for (i = 0; i < old->n; i++) {
		const struct id_old_port *p = &old->ports[i];

		if (!spec_has_port(spec, p->port))
			continue;
		for (j = 0; j < p->nnames; j++)
			if (p->names[j][0] != '*' &&	/* a wildcard is no name to dial */
			    (err = identity_add(id, p->names[j], p->port, "the old server's "
						"certificate")) < 0)
				return err;
	}
	return 0;
}

/* ---- the handshakes ---- */

static void plan_target(struct identity *id, unsigned int s, const struct address *at)
{
	struct tls_target *t = &id->t[id->nt];

	memset(t, 0, sizeof(*t));
	t->addr = *at;
	t->port = id->svc[s].port;
	snprintf(t->name, sizeof(t->name), "%s", id->svc[s].name);
	t->tlsa = id->svc[s].tlsa;
	id->svc_of[id->nt++] = s;
}

int identity_run(struct identity *id, const struct address *at4, const struct address *at6,
		 const struct tls_options *o, struct errmsg *e)
{
	unsigned int s, max = 2 * id->nsvc;

	identity_free(id);
	id->t = calloc(max ? max : 1, sizeof(*id->t));
	id->svc_of = calloc(max ? max : 1, sizeof(*id->svc_of));
	if (!id->t || !id->svc_of) {
		identity_free(id);
		return errmsg_set(e, -ENOMEM, "out of memory");
	}
	for (s = 0; s < id->nsvc; s++) {
		if (at4)
			plan_target(id, s, at4);
		if (at6)
			plan_target(id, s, at6);
	}
	return tls_run(id->t, id->nt, o, e);
}

void identity_free(struct identity *id)
{
	free(id->t);
	free(id->svc_of);
	free(id->points);
	id->t = NULL;
	id->svc_of = NULL;
	id->points = NULL;
	id->nt = 0;
}

/* ---- what they found ---- */

enum problem {
	PR_NO_TLS, PR_EXPIRED, PR_NAME, PR_DANE, PR_DANE_UNSIGNED, PR_DANE_REFUSED, PR_EXPIRING,
	PR_TRUST, PR_COUNT
};

/*
 * Port 25 is the senders' (RFC 7672 3.1.1): a key a signed DANE-EE(3)
 * record matches at the leaf is all that DANE senders check, names and
 * dates aside, and senders without DANE check nothing (opportunistic TLS;
 * those enforcing MTA-STS are judged apart, identity_judge_sts). So the
 * common self-signed certificate with "3 1 1" is right there.
 */
static bool by_dane_ee(const struct id_service *s, const struct tls_target *t)
{
	return s->port == 25 && t->dane == TLS_DANE_MATCH && t->dane_usage == TLSA_DANE_EE &&
	       t->dane_depth == 0 && s->tlsa && s->tlsa->is_signed;
}

/*
 * Whether the name on the certificate is a refusal: mail clients check it,
 * and on port 25 DANE senders do when a signed DANE-TA(2) record is
 * published (RFC 7672 3.2.3: the MX host or the TLSA base domain). Other
 * senders do not; the MTA-STS ones are judged apart.
 */
static bool name_required(const struct id_service *s)
{
	unsigned int i;

	if (s->port != 25)
		return true;
	for (i = 0; s->tlsa && s->tlsa->is_signed && i < s->tlsa->n; i++)
		if (s->tlsa->rec[i].usage == TLSA_DANE_TA &&
		    tlsa_usable(&s->tlsa->rec[i]) == TLSA_USABLE)
			return true;
	return false;
}

static bool has_problem(const struct identity *id, unsigned int i, enum problem p,
			int64_t now, int64_t window)
{
	const struct tls_target *t = &id->t[i];
	const struct id_service *s = &id->svc[id->svc_of[i]];
	bool shook = t->outcome == TLS_HANDSHAKEN && t->cert.present;
	bool judged = shook && !by_dane_ee(s, t);	/* names, dates, trust */

	switch (p) {
	case PR_NO_TLS: return !shook;
	case PR_EXPIRED: return judged && t->cert.not_after < now;
	case PR_NAME: return judged && !t->covers;
	case PR_DANE: return shook && t->dane == TLS_DANE_NO_MATCH && s->tlsa->is_signed;
	case PR_DANE_UNSIGNED: return shook && t->dane == TLS_DANE_NO_MATCH && !s->tlsa->is_signed;
	case PR_DANE_REFUSED: return shook && t->dane_refused;
	case PR_EXPIRING:
		return judged && t->cert.not_after >= now && t->cert.not_after < now + window;
	case PR_TRUST: return judged && !t->cert.trusted && t->cert.not_after >= now;
	default: return false;
	}
}

/* "192.0.2.2 and 2001:db8:3::2": the addresses where service @s has @p; the first such target. */
static const struct tls_target *where(const struct identity *id, unsigned int s, enum problem p,
				      int64_t now, int64_t window, char *buf, size_t len)
{
	const struct tls_target *first = NULL;
	char addr[ADDRESS_STRLEN];
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < id->nt; i++) {
		if (id->svc_of[i] != s || !has_problem(id, i, p, now, window))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s", first ? " and " : "",
					 address_str(&id->t[i].addr, addr));
		if (used >= len)
			used = len - 1;
		if (!first)
			first = &id->t[i];
	}
	return first;
}

static const char *day(int64_t when, char *buf, size_t len)
{
	time_t t = (time_t)when;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm))
		snprintf(buf, len, "%lld", (long long)when);
	return buf;
}

static void cert_names(const struct tls_cert *c, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < c->nnames && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
					 c->names[i]);
	if (!c->nnames)
		snprintf(buf, len, "no name at all");
}

static const char *who(uint16_t port)
{
	return port == 25 ? "sending servers" : "mail clients";
}

static bool old_had_tls(const struct id_old *old, uint16_t port)
{
	unsigned int i;

	for (i = 0; old && i < old->n; i++)
		if (old->ports[i].port == port)
			return old->ports[i].tls;
	return false;
}

struct judging {
	const struct identity *id;
	const struct id_old *old;
	struct findings *pf;
	const struct id_service *s;
	const struct tls_target *t;	/* the first target with the problem */
	char at[2 * ADDRESS_STRLEN + 8];	/* ... and every address that has it */
	int64_t window;
};

static void say_no_tls(const struct judging *j)
{
	const struct id_service *s = j->s;
	const char *proto = tls_dialogue_name(tls_dialogue_for_port(s->port), s->port);
	bool had = old_had_tls(j->old, s->port);

	/* what the banner probe would say: its ports checked here are not probed twice */
	if (!j->t->connected || !j->t->greeted) {
		findings_add(j->pf, FINDING_REFUSE, "the new server %s, port %u (%s): %s%s", j->at,
			      s->port, proto, j->t->why, j->t->connected ?
			      " (not like a mail server)" : "");
		return;
	}
	findings_add(j->pf, had ? FINDING_REFUSE : FINDING_WARN, "the new server at %s, port %u (%s), "
		      "gives no TLS for %s: %s. %s that used TLS with this host %s there; "
		      "set up TLS on that port (Postfix: smtpd_tls_security_level = may and "
		      "smtpd_tls_chain_files; Dovecot: ssl = yes)", j->at, s->port, proto, s->name,
		      j->t->why, s->port == 25 ? "Senders" : "Mail clients",
		      had ? "(the old server offered it) get none" : "would get none");
}

static void say_expired(const struct judging *j)
{
	char when[40];

	findings_add(j->pf, FINDING_REFUSE, "the certificate the new server presents at %s, port %u, "
		      "for %s expired on %s: %s refuse it. Renew it before the switch", j->at,
		      j->s->port, j->s->name, day(j->t->cert.not_after, when, sizeof(when)),
		      who(j->s->port));
}

static void say_name(const struct judging *j)
{
	char names[512];
	bool required = name_required(j->s);

	cert_names(&j->t->cert, names, sizeof(names));
	findings_add(j->pf, required ? FINDING_REFUSE : FINDING_WARN, "the certificate the new "
		      "server presents at %s, port %u, is for %s, not for %s, which %s use for this "
		      "host (%s): %s. Put %s on the new server's certificate, as the old one has it",
		      j->at, j->s->port, names, j->s->name, who(j->s->port), j->s->via,
		      required ? "they refuse it" : "those that check names (MTA-STS) refuse it, "
		      "others deliver anyway (a signed DANE-EE record of its key, 3 1 1, would do "
		      "for DANE senders)", j->s->name);
}

static void say_dane_refused(const struct judging *j)
{
	findings_add(j->pf, FINDING_WARN, "%u of the TLSA records of _%u._tcp.%s cannot be used (data "
		      "that is no key or certificate): senders ignore them, as this check did. "
		      "Fix or remove them", j->t->dane_refused, j->s->port, j->s->name);
}

static void say_dane(const struct judging *j, bool is_signed)
{
	char hex[TLS_SPKI_HEX], ttl[FORMAT_BUF];
	const struct id_service *s = j->s;

	format_duration(2ULL * s->tlsa->ttl, ttl, sizeof(ttl));
	findings_add(j->pf, is_signed ? FINDING_REFUSE : FINDING_WARN, "the TLSA records of _%u._tcp.%s "
		      "%s match nothing the new server presents at %s (%s; its key is 3 1 1 %s): "
		      "%s. Publish the new server's key beside the old one, "
		      "_%u._tcp.%s. IN TLSA 3 1 1 %s, and wait two TTLs (%s, RFC 7671) before "
		      "the switch", s->port, s->name,
		      is_signed ? "(signed: DANE senders act on them)" :
				  "(in an unsigned zone: senders ignore them, for now)",
		      j->at, j->t->dane_error, tls_spki_hex(j->t->cert.spki, hex),
		      is_signed ? "DANE senders defer every redirected message (\"no matching "
				  "DANE TLSA records\", 4.7.5) and bounce it after their queue "
				  "lifetime" : "once the zone is signed, DANE senders would defer "
				  "every redirected message",
		      s->port, s->name, hex, ttl);
}

static void say_expiring(const struct judging *j)
{
	char when[40], window[FORMAT_BUF];

	findings_add(j->pf, FINDING_WARN, "the certificate the new server presents at %s, port %u, "
		      "for %s expires on %s, within %s: renew it (and if the key changes, "
		      "publish its TLSA record two TTLs before)", j->at, j->s->port, j->s->name,
		      day(j->t->cert.not_after, when, sizeof(when)),
		      format_duration((uint64_t)j->window, window, sizeof(window)));
}

static void say_trust(const struct judging *j)
{
	findings_add(j->pf, FINDING_WARN, "the certificate the new server presents at %s, port %u, "
		      "for %s does not chain to this host's trust store (%s): %s, and senders "
		      "enforcing MTA-STS refuse it", j->at, j->s->port, j->s->name,
		      j->t->cert.trust_error, j->s->port == 25 ? "senders checking it refuse it" :
		      "mail clients warn their users");
}

static const char *unread_text(const struct id_service *s, char *buf, size_t len)
{
	snprintf(buf, len, "cannot read the TLSA records of _%u._tcp.%s: %s", s->port, s->name,
		 s->tlsa_unread);
	return buf;
}

/* Neither a match nor "no DANE": what the records say is unknown. */
static void say_unread(const struct judging *j)
{
	/* the sentence around the name and the reason: 46 bytes and a port */
	char text[TLS_NAME_BUF + sizeof(j->s->tlsa_unread) + 64];

	findings_add(j->pf, FINDING_WARN, "%s. Whether the new server's key matches them is "
		      "unknown, and DANE senders that cannot read them either defer the mail "
		      "(RFC 7672 2.2): check that server and the zone, then check again",
		      unread_text(j->s, text, sizeof(text)));
}

static void judge_service(struct judging *j, unsigned int s, int64_t now)
{
	enum problem p;

	j->s = &j->id->svc[s];
	if (j->s->tlsa_unread[0])
		say_unread(j);
	for (p = 0; p < PR_COUNT; p++) {
		j->t = where(j->id, s, p, now, j->window, j->at, sizeof(j->at));
		if (!j->t)
			continue;
		switch (p) {
		case PR_NO_TLS: say_no_tls(j); return;	/* nothing else to know */
		case PR_EXPIRED: say_expired(j); break;
		case PR_NAME: say_name(j); break;
		case PR_DANE: say_dane(j, true); break;
		case PR_DANE_UNSIGNED: say_dane(j, false); break;
		case PR_DANE_REFUSED: say_dane_refused(j); break;
		case PR_EXPIRING: say_expiring(j); break;
		case PR_TRUST: say_trust(j); break;
		default: break;
		}
	}
}

/* The one line that says what was verified, when nothing is wrong. */
static void say_verified(const struct identity *id, int64_t now, struct findings *pf)
{
	char names[256] = "", dane[256] = "";
	size_t nu = 0, du = 0;
	unsigned int s, i, matched = 0, ee_only = 0;

	for (s = 0; s < id->nsvc; s++) {
		for (i = 0; i < s && strcasecmp(id->svc[i].name, id->svc[s].name); i++)
			;
		if (i == s && nu < sizeof(names))
			nu += (size_t)snprintf(names + nu, sizeof(names) - nu, "%s%s",
					       nu ? ", " : "", id->svc[s].name);
	}
	for (i = 0; i < id->nt; i++) {
		const struct tls_target *t = &id->t[i];

		matched += t->dane == TLS_DANE_MATCH;
		ee_only += by_dane_ee(&id->svc[id->svc_of[i]], t) &&
			   (!t->covers || !t->cert.trusted || t->cert.not_after < now);
	}
	for (s = 0; s < id->nsvc && du < sizeof(dane); s++)
		if (id->svc[s].tlsa && tlsa_count_usable(id->svc[s].tlsa))
			du += (size_t)snprintf(dane + du, sizeof(dane) - du, "%s_%u._tcp.%s",
					       du ? ", " : "", id->svc[s].port, id->svc[s].name);
	findings_add(pf, FINDING_INFO, "TLS identity verified in %u handshakes with the new server: "
		      "valid certificates for %s on every port clients use them%s%s%s%s", id->nt,
		      names, matched ? ", and keys the TLSA records of " : "", dane,
		      matched ? " match" : "", ee_only ? " (on port 25 the key alone, by its "
		      "DANE-EE record, as DANE senders check it)" : "");
}

void identity_judge(const struct identity *id, const struct id_old *old, int64_t now,
		    int64_t window, struct findings *pf)
{
	struct judging j = { .id = id, .old = old, .pf = pf, .window = window };
	unsigned int s, before = pf->n;
	bool worry = false;

	for (s = 0; s < id->nsvc; s++)
		judge_service(&j, s, now);
	for (s = before; s < pf->n; s++)
		worry |= pf->items[s].level != FINDING_INFO;
	if (!worry && id->nt)
		say_verified(id, now, pf);
}

/* ---- results for the state, and the old server's identity ---- */

const char *identity_unread(const struct identity *id, char *buf, size_t len)
{
	unsigned int s;

	for (s = 0; s < id->nsvc; s++)
		if (id->svc[s].tlsa_unread[0])
			return unread_text(&id->svc[s], buf, len);
	return NULL;
}

unsigned int identity_results(const struct identity *id, int64_t now, struct id_result *out)
{
	unsigned int s, i;

	for (s = 0; s < id->nsvc; s++) {
		memset(&out[s], 0, sizeof(out[s]));
		out[s].port = id->svc[s].port;
		snprintf(out[s].name, sizeof(out[s].name), "%s", id->svc[s].name);
		out[s].ok = !id->svc[s].tlsa_unread[0];
		for (i = 0; i < id->nt; i++) {
			const struct tls_target *t = &id->t[i];

			if (id->svc_of[i] != s)
				continue;
			if (has_problem(id, i, PR_NO_TLS, now, 0) ||
			    has_problem(id, i, PR_EXPIRED, now, 0) ||
			    (has_problem(id, i, PR_NAME, now, 0) && name_required(&id->svc[s])) ||
			    has_problem(id, i, PR_DANE, now, 0))
				out[s].ok = false;
			if (t->cert.present && (!out[s].expiry || t->cert.not_after < out[s].expiry))
				out[s].expiry = t->cert.not_after;
		}
	}
	return id->nsvc;
}

/* ---- from and into the state ---- */

int identity_plan(struct identity *id, const struct spec *spec, const struct id_memory *mem)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < mem->nnames; i++)
		err = identity_add_all_ports(id, spec, mem->names[i], "--name");
	return err ? err : identity_add_old(id, spec, &mem->old);
}

static bool has_result(const struct id_memory *mem, const struct id_service *s)
{
	unsigned int i;

	for (i = 0; i < mem->nresults; i++)
		if (mem->results[i].port == s->port && !strcasecmp(mem->results[i].name, s->name))
			return true;
	return false;
}

bool identity_known_good(const struct spec *spec, const struct id_memory *mem, int64_t now,
			 int64_t window)
{
	struct identity *id = calloc(1, sizeof(*id));	/* large: off the stack */
	unsigned int i;
	bool good = id && mem->checked_at && mem->nresults;

	for (i = 0; good && i < mem->nresults; i++)
		good = mem->results[i].ok &&
		       (!mem->results[i].expiry || mem->results[i].expiry - now > window);
	if (good && identity_plan(id, spec, mem) < 0)
		good = false;	/* more names than a plan holds: look again */
	for (i = 0; good && i < id->nsvc; i++)
		good = has_result(mem, &id->svc[i]);
	free(id);
	return good;
}

void identity_remember(const struct identity *id, int64_t now, struct id_memory *mem)
{
	mem->nresults = identity_results(id, now, mem->results);
	mem->checked_at = now;
}

/* ---- the state's lines ---- */

int identity_name_parse(const char *v, char name[TLS_NAME_BUF])
{
	size_t i, n = strlen(v);

	if (!n || n >= TLS_NAME_BUF)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!(isalnum((unsigned char)v[i]) || strchr("-._", v[i]) || (!i && v[i] == '*')))
			return -EINVAL;
	memcpy(name, v, n + 1);
	return 0;
}

int identity_old_port_format(const struct id_old_port *p, char *buf, size_t len)
{
	char hex[TLS_SPKI_HEX], names[256] = "";
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < p->nnames; i++) {
		if (n + strlen(p->names[i]) + 2 >= sizeof(names))
			break;		/* the line stays within what a parser reads */
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", i ? "," : "",
				      p->names[i]);
	}
	return snprintf(buf, len, "%u %s %s", p->port, tls_spki_hex(p->spki, hex),
			n ? names : "-");
}

static int old_names_parse(struct id_old_port *p, char *names)
{
	char *save = NULL, *name;

	if (!strcmp(names, "-"))
		return 0;
	for (name = strtok_r(names, ",", &save); name; name = strtok_r(NULL, ",", &save))
		if (p->nnames == ID_OLD_NAMES_MAX ||
		    identity_name_parse(name, p->names[p->nnames++]))
			return -EINVAL;
	return 0;
}

int identity_old_port_parse(const char *v, struct id_old_port *out)
{
	char port[8], spki[TLS_SPKI_HEX + 1], names[512], extra;
	struct id_old_port p = { .tls = true };
	struct errmsg ignored;

	if (sscanf(v, "%7s %65s %511s %c", port, spki, names, &extra) != 3 ||
	    parse_port(port, &p.port, &ignored) || tls_spki_parse(spki, p.spki) ||
	    old_names_parse(&p, names))
		return -EINVAL;
	*out = p;
	return 0;
}

int identity_result_parse(const char *v, struct id_result *out)
{
	char port[8], name[TLS_NAME_BUF], ok[4], expiry[24], extra;
	struct id_result r = { .ok = false };
	struct errmsg ignored;
	uint64_t at;

	if (sscanf(v, "%7s %255s %3s %23s %c", port, name, ok, expiry, &extra) != 4 ||
	    parse_port(port, &r.port, &ignored) || identity_name_parse(name, r.name) ||
	    (strcmp(ok, "yes") && strcmp(ok, "no")) || parse_u64(expiry, 1ULL << 40, &at))
		return -EINVAL;
	r.ok = !strcmp(ok, "yes");
	r.expiry = (int64_t)at;
	*out = r;
	return 0;
}
