// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the layers below found, in words on the terminal: the pre-flight's
 * findings, what an enable did, a table mended, a state that could not be
 * saved; and the conntrack table's fill, which stats and check both
 * report; and this host's public addresses, which enable and accept both
 * remember.
 */
#include <string.h>

#include "cli/print.h"
#include "cli/report.h"

/*
 * "redirect NAME: LABEL" then @text wrapped at 78 columns, ending in a
 * full stop; lines of @text that start with spaces (commands to type) are
 * kept as they are.
 */
static void print_wrapped(FILE *f, const struct command *cmd, const char *label,
			  const char *text)
{
	const int width = 78;
	int col = fprintf(f, "redirect %s: %s", cmd->name, label);
	bool first = true;
	const char *p = text;

	while (*p) {
		size_t word = strcspn(p, " \n");

		if (*p == '\n') {
			p++;
			col = fprintf(f, "\n ");
			first = true;
			if (*p == ' ') {	/* a command line: as is */
				word = strcspn(p, "\n");
				col += fprintf(f, "%.*s", (int)word, p);
				p += word;
			}
			continue;
		}
		if (*p == ' ') {
			p++;
			continue;
		}
		if (!first && col + 1 + (int)word > width) {
			col = fprintf(f, "\n ");
			first = true;
		}
		col += fprintf(f, "%s%.*s", first ? "" : " ", (int)word, p);
		first = false;
		p += word;
	}
	fputs(text[0] && text[strlen(text) - 1] != '.' ? ".\n" : "\n", f);
}

void cli_report_mended(const struct install_report *r)
{
	if (!r->mended[0])
		return;
	printf("  The table had been changed by hand (%s);\n  it is back as redirect installs "
	       "it, %s.\n", r->mended,
	       r->reset_counters ? "its counters and stale sources starting again from zero" :
	       r->reset_sources ? "its counters kept, its stale sources starting again" :
	       "its counters and stale sources kept");
}

bool cli_report_findings(const struct command *cmd, const struct findings *pf, bool force,
			 FILE *info)
{
	unsigned int i;

	for (i = 0; i < pf->n; i++) {
		fflush(info);	/* in the order found, when both go to a terminal */
		switch (pf->items[i].level) {
		case FINDING_INFO:
			print_wrapped(info, cmd, "note: ", pf->items[i].text);
			break;
		case FINDING_WARN:
			print_wrapped(stderr, cmd, "warning: ", pf->items[i].text);
			break;
		case FINDING_REFUSE:
			print_wrapped(stderr, cmd, force ? "warning (--force goes on): " : "refused: ",
				      pf->items[i].text);
			break;
		}
	}
	if (pf->refused && !force && pf->left_behind[0])
		print_wrapped(stderr, cmd, "", pf->left_behind);
	if (pf->refused && !force) {
		fprintf(stderr, "redirect %s: %s. Mend the above and run it again, or add --force to "
			"go on all the same.\n", cmd->name, pf->left_behind[0] ?
			"nothing else was changed" : "nothing was changed");
		return false;
	}
	return true;
}

static void print_services(const struct spec *spec, FILE *f)
{
	unsigned int i;

	for (i = 0; i < spec->nservices; i++)
		fprintf(f, "%s%s %u", i ? ", " : "", spec->services[i].name,
			spec->services[i].port);
}

static void print_targets(const struct spec *spec, FILE *f)
{
	char a[ADDRESS_STRLEN], b[ADDRESS_STRLEN];

	if (spec->has_to4 && spec->has_to6)
		fprintf(f, "%s and %s", address_str(&spec->to4, a), address_str(&spec->to6, b));
	else
		fprintf(f, "%s", address_str(spec->has_to4 ? &spec->to4 : &spec->to6, a));
}

/* What a switch did to the sessions open before it. */
static void print_ended(const struct spec *spec, const struct install_report *r)
{
	char peer[ADDRESS_STRLEN];

	if (r->ended_masquerade)
		printf("  Ended %u session%s opened masqueraded (the new server saw this host):\n"
		       "  their senders reconnect, now with their own address. Nothing is lost.\n",
		       r->ended_masquerade, r->ended_masquerade == 1 ? "" : "s");
	if (r->ended_tunnel)
		printf("  Ended %u session%s through %s: their senders reconnect.\n",
		       r->ended_tunnel, r->ended_tunnel == 1 ? "" : "s",
		       spec->masquerade ? "the tunnel (now masqueraded)" : "a tunnel no longer used");
	if (r->kept_previous)
		printf("  The tunnel %s to %s stays for the sessions still open through it;\n"
		       "  the next enable (or restore) after they have closed removes it.\n",
		       spec->previous.link, address_str(&spec->previous.peer, peer));
}

void cli_report_enabled(const struct spec *spec, const struct install_report *r,
			const struct tunnel *t)
{
	char local[ADDRESS_STRLEN], remote[ADDRESS_STRLEN];

	printf("redirect: %s. New connections to this host's ",
	       r->replaced ? "switched" : "enabled");
	print_services(spec, stdout);
	printf("\n  now go to ");
	print_targets(spec, stdout);
	printf(".\n");
	if (spec->keep_client_address)
		printf("  They travel through the tunnel %s (VXLAN id %u from %s to %s, MTU %u):\n"
		       "  the new server sees each client's own address.\n", t->link, t->id,
		       address_str(&t->local, local), address_str(&t->remote, remote), t->mtu);
	if (!spec->has_to4 || !spec->has_to6)
		printf("  Only %s clients are redirected (no %s --to given).\n",
		       spec->has_to4 ? "IPv4" : "IPv6", spec->has_to4 ? "IPv6" : "IPv4");
	if (r->forwarding_on & 1)
		printf("  IPv4 forwarding switched on; disable puts it back.\n");
	if (r->forwarding_on & 2)
		printf("  IPv6 forwarding switched on; disable puts it back.\n");
	if (r->ra_kept[0])
		printf("  accept_ra 1 -> 2 on %s, so this host keeps taking router "
		       "advertisements.\n",
		       r->ra_kept);
	if (r->forwarding_off)
		printf("  Forwarding put back for the family no longer redirected.\n");
	print_ended(spec, r);
	cli_report_mended(r);
	printf("Watch it with `redirect stats`; `redirect check` says when this host can go.\n");
}

void cli_warn_unsaved(const struct command *cmd, const struct snapshot *s)
{
	if (s->unsaved[0])
		fprintf(stderr, "redirect %s: warning: the time of the last redirected connection "
			"could not be saved (%s); the figures are right, but after a flush or a "
			"reboot the quiet clock may restart from an older time.\n", cmd->name,
			s->unsaved);
}

void cli_print_conntrack(struct printer *p, const struct health *h)
{
	print_object_begin(p, "conntrack");
	if (h->conntrack_count >= 0)
		print_u64(p, "entries", NULL, (uint64_t)h->conntrack_count);
	else
		print_null(p, "entries", NULL);
	if (h->conntrack_max > 0)
		print_u64(p, "max", NULL, (uint64_t)h->conntrack_max);
	else
		print_null(p, "max", NULL);
	print_bool(p, "nearly_full", NULL, h->conntrack_nearly_full);
	print_object_end(p);
}

static bool same_public(const struct public_addresses *a, const struct public_addresses *b)
{
	unsigned int i, j;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		for (j = 0; j < b->n && !address_equal(&a->a[i], &b->a[j]); j++)
			;
		if (j == b->n)
			return false;
	}
	return true;
}

int cli_remember_public(struct session *ss, const struct public_addresses *given,
			struct errmsg *e)
{
	char addr[ADDRESS_STRLEN];
	unsigned int i;

	if (!given->n || same_public(given, &ss->state.public))
		return 0;
	ss->state.public = *given;
	printf("  This host's public address%s (behind NAT):", given->n == 1 ? "" : "es");
	for (i = 0; i < given->n; i++)
		printf(" %s", address_str(&given->a[i], addr));
	printf("; dns and check count %s as this host.\n", given->n == 1 ? "it" : "them");
	return state_write(&ss->dir, &ss->state, e);
}
