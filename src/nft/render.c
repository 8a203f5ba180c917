// SPDX-License-Identifier: GPL-2.0-or-later
/* The table in nft syntax, from the same plan the netlink builder uses. */
#include <string.h>

#include "lib/format.h"
#include "lib/owned.h"
#include "nft/plan.h"
#include "nft/range.h"
#include "nft/render.h"

static const char *ip_of(int family)
{
	return family == AF_INET ? "ip" : "ip6";
}

/* "0x..." : an address as nft shows a raw payload compared with it. */
static void address_hex(const struct address *a, char *buf, size_t len)
{
	const uint8_t *b = (const uint8_t *)&a->in;
	unsigned int i, n = a->family == AF_INET ? 4 : 16, used = 2;

	snprintf(buf, len, "0x");
	for (i = 0; i < n && used + 3 <= len; i++, used += 2)
		snprintf(buf + used, len - used, "%02x", b[i]);
}

/* The other end's host refusing a packet of this tunnel's to it. */
static void refused_text(const struct address *peer, uint32_t id, char *buf, size_t len)
{
	bool v4 = peer->family == AF_INET;
	char addr[ADDRESS_STRLEN], quoted[40];

	address_hex(peer, quoted, sizeof(quoted));
	snprintf(buf, len, "%s saddr %s %s type destination-unreachable %s code "
		 "port-unreachable @th,%d,%d %s @th,%d,16 %#x @th,%d,24 %#x update @%s "
		 "{ meta l4proto }", ip_of(peer->family), address_str(peer, addr),
		 v4 ? "icmp" : "icmpv6", v4 ? "icmp" : "icmpv6", v4 ? 192 : 256, v4 ? 32 : 128,
		 quoted, v4 ? 240 : 400, TUNNEL_PORT, v4 ? 320 : 480, id,
		 set_names[SET_TUNNEL_REFUSED]);
}

/* The tunnels' UDP: notrack, strangers, the guard, the far end's refusal. */
static void underlay_text(const struct spec *spec, const struct planned_rule *p, char *buf,
			  size_t len)
{
	const struct address *peer = planned_peer(spec, p);
	uint32_t id = planned_tunnel_id(spec, p);
	char addr[ADDRESS_STRLEN];

	address_str(peer, addr);
	if (p->kind == RULE_NOTRACK_IN || p->kind == RULE_NOTRACK_OUT)
		snprintf(buf, len, "udp dport %d @th,96,24 %#x %s %s %s notrack", TUNNEL_PORT, id,
			 ip_of(peer->family), p->kind == RULE_NOTRACK_IN ? "saddr" : "daddr", addr);
	else if (p->kind == RULE_PEER_IN)
		snprintf(buf, len, "udp dport %d @th,96,24 %#x %s saddr %s accept", TUNNEL_PORT, id,
			 ip_of(peer->family), addr);
	else if (p->kind == RULE_STRANGER)
		snprintf(buf, len, "udp dport %d @th,96,24 %#x %s saddr != %s update @%s { %s saddr }",
			 TUNNEL_PORT, id, ip_of(peer->family), addr,
			 set_names[strangers_set(peer->family)], ip_of(peer->family));
	else if (p->kind == RULE_VXLAN_GUARD)
		snprintf(buf, len, "udp dport %d @th,96,24 %#x %s saddr != %s counter drop",
			 TUNNEL_PORT, id, ip_of(peer->family), addr);
	else
		refused_text(peer, id, buf, len);
}

/* NEW: OLD's probe and the clients, out of the tunnel. */
static void arrival_text(const struct spec *spec, const struct planned_rule *p, char *buf,
			 size_t len)
{
	char old[ADDRESS_STRLEN], new[ADDRESS_STRLEN], range[ADDRESS_STRLEN];
	char from[ADDRESS_STRLEN + 16] = "", a[ADDRESS_STRLEN];
	struct address target = tunnel_target(p->family, spec->tunnel_id);
	bool v4 = p->family == AF_INET, has_from = v4 ? spec->has_from4 : spec->has_from6;
	const char *ip = ip_of(p->family);
	struct prefix o, r;

	tunnel_address(p->family, ROLE_OLD, spec->tunnel_id, &o);
	address_str(&o.addr, old);
	address_str(&target, new);
	tunnel_range(AF_INET6, &r);
	if (has_from)
		snprintf(from, sizeof(from), " %s saddr != %s", ip,
			 address_str(v4 ? &spec->from4 : &spec->from6, a));
	if (p->kind == RULE_PROBE_IN)
		snprintf(buf, len, "%s saddr %s %s daddr %s tcp dport @%s return", ip, old, ip, new,
			 set_names[SET_PORTS]);
	else if (v4)
		snprintf(buf, len, "ip daddr %s tcp dport @%s ip saddr != 0.0.0.0/8 ip saddr != "
			 "127.0.0.0/8 ip saddr != 169.254.0.0/16%s fib saddr . iif oif exists "
			 "return", new, set_names[SET_PORTS], from);
	else
		snprintf(buf, len, "ip6 daddr %s tcp dport @%s ip6 saddr != ::/8 ip6 saddr != "
			 "fe80::/10 ip6 saddr != %s%s fib saddr . iif oif exists return", new,
			 set_names[SET_PORTS], prefix_str(&r, range), from);
}

/* What goes through OLD's tunnel links, and their MSS. */
static void link_text(const struct spec *spec, const struct planned_rule *p, char *buf,
		      size_t len)
{
	const char *in = "iifname \"" TUNNEL_IFNAMES "\"", *out = "oifname \"" TUNNEL_IFNAMES "\"";

	switch (p->kind) {
	case RULE_LOCAL_GUARD:
		snprintf(buf, len, "%s tcp flags syn / syn,ack counter name \"%s\" drop", in,
			 TUNNEL_DROPPED);
		break;
	case RULE_TUNNEL_GUARD_IN:
		snprintf(buf, len, "%s ct mark & 0x%08x != 0x%08x counter name \"%s\" drop", in,
			 CT_MARK_BIT, CT_MARK_BIT, TUNNEL_DROPPED);
		break;
	case RULE_TUNNEL_GUARD_OUT:
		snprintf(buf, len, "%s ct mark & 0x%08x != 0x%08x counter drop", out, CT_MARK_BIT,
			 CT_MARK_BIT);
		break;
	case RULE_TCP_ONLY_OUT:
	case RULE_TCP_ONLY_LOCAL:
		snprintf(buf, len, "%s meta l4proto != tcp drop", out);
		break;
	case RULE_CLAMP_INTO:
		snprintf(buf, len, "%s tcp flags syn / syn,rst tcp option maxseg size set rt mtu", out);
		break;
	default:
		snprintf(buf, len, "%s meta nfproto %s tcp flags syn / syn,rst tcp option maxseg "
			 "size set %u", in, p->family == AF_INET ? "ipv4" : "ipv6",
			 tunnel_mss(spec->tunnel_mtu, p->family));
		break;
	}
}

/* The rules of the tunnels, which only --keep-client-address (and what it left) and accept have. */
static void tunnel_rule_text(const struct spec *spec, const struct planned_rule *p,
			     char *buf, size_t len)
{
	const char *nfproto = p->family == AF_INET ? "ipv4" : "ipv6";
	char addr[ADDRESS_STRLEN];
	struct prefix old;

	switch (p->kind) {
	case RULE_NOTRACK_IN: case RULE_NOTRACK_OUT: case RULE_PEER_IN: case RULE_STRANGER:
	case RULE_VXLAN_GUARD: case RULE_REFUSED:
		underlay_text(spec, p, buf, len);
		break;
	case RULE_PROBE_IN: case RULE_CLIENT_IN:
		arrival_text(spec, p, buf, len);
		break;
	case RULE_TUNNEL_IN:
		snprintf(buf, len, "iifname \"%s\" jump %s", TUNNEL_IFNAMES,
			 chain_names[CHAIN_FROM_TUNNEL]);
		break;
	case RULE_REPLY_IN:
		snprintf(buf, len, "meta l4proto tcp fib saddr . iif oif exists return");
		break;
	case RULE_TUNNEL_DROP:
		snprintf(buf, len, "counter name \"%s\" drop", TUNNEL_DROPPED);
		break;
	case RULE_SKIP_PEER:
		tunnel_address(p->family, ROLE_OLD, spec->tunnel_id, &old);
		snprintf(buf, len, "%s saddr %s return", ip_of(p->family),
			 address_str(&old.addr, addr));
		break;
	case RULE_ARRIVE:
		snprintf(buf, len, "iifname \"%s\" meta nfproto %s tcp flags syn / fin,syn,rst,ack "
			 "tcp dport @%s jump %s", TUNNEL_IFNAME, nfproto, set_names[SET_PORTS],
			 chain_names[redirect_chain(p->family)]);
		break;
	default:
		link_text(spec, p, buf, len);
		break;
	}
}

void rule_text(const struct spec *spec, const struct planned_rule *p, char *buf, size_t len)
{
	const char *ip = p->family == AF_INET ? "ip" : "ip6";
	const char *nfproto = p->family == AF_INET ? "ipv4" : "ipv6";
	char addr[ADDRESS_STRLEN];
	struct address to;

	switch (p->kind) {
	case RULE_DISPATCH:
		snprintf(buf, len,
			 "meta nfproto %s tcp flags syn / fin,syn,rst,ack tcp dport @%s fib "
			 "daddr type local jump %s",
			 nfproto, set_names[SET_PORTS], chain_names[redirect_chain(p->family)]);
		break;
	case RULE_EXCLUDE:
		snprintf(buf, len, "%s saddr @%s return", ip, set_names[exclude_set(p->family)]);
		break;
	case RULE_DNAT:
		to = dnat_target(spec, p->family);
		snprintf(buf, len, "counter name tcp dport map @%s ct mark set ct mark | 0x%08x "
			 "dnat %s to %s", set_names[SET_ATTEMPTS], CT_MARK_BIT, ip,
			 address_str(&to, addr));
		break;
	case RULE_COUNT:
		snprintf(buf, len, "counter name tcp dport map @%s update @%s { tcp dport } ct mark "
				   "set ct mark | 0x%08x",
			 set_names[SET_ATTEMPTS], set_names[SET_LAST_ATTEMPT], CT_MARK_BIT);
		break;
	case RULE_FAST:
		snprintf(buf, len, "ct mark & 0x%08x == 0x%08x meta l4proto tcp counter name ct "
			 "original proto-dst map @%s accept", CT_MARK_ALL, CT_MARK_ALL,
			 set_names[SET_TRAFFIC]);
		break;
	case RULE_NOT_OURS:
		snprintf(buf, len, "ct mark & 0x%08x != 0x%08x accept", CT_MARK_BIT, CT_MARK_BIT);
		break;
	case RULE_ANSWERED:
		snprintf(buf, len, "ct direction reply ct mark & 0x%08x == 0x%08x tcp flags syn,ack / "
			 "fin,syn,rst,ack ct mark set ct mark | 0x%08x counter name ct original "
			 "proto-dst map @%s update @%s { ct original proto-dst }",
			 CT_MARK_BIT | CT_MARK_ANSWERED, CT_MARK_BIT, CT_MARK_ANSWERED,
			 set_names[SET_ANSWERED], set_names[SET_LAST_ANSWER]);
		break;
	case RULE_ESTABLISHED:
		snprintf(buf, len, "ct status assured ct direction original ct mark & 0x%08x == "
			 "0x%08x meta l4proto tcp update @%s { %s saddr . ct original proto-dst } "
			 "ct mark set ct mark | 0x%08x counter name ct original proto-dst map @%s",
			 CT_MARK_BIT | CT_MARK_ESTABLISHED, CT_MARK_BIT,
			 set_names[sources_set(p->family)], ip, CT_MARK_ESTABLISHED,
			 set_names[SET_CONNECTIONS]);
		break;
	case RULE_UNLISTED:
		snprintf(buf, len, "ct mark & 0x%08x == 0x%08x ct status assured ct direction "
			 "original meta l4proto tcp ct mark set ct mark | 0x%08x counter name ct "
			 "original proto-dst map @%s update @%s { ct original proto-dst }",
			 CT_MARK_BIT | CT_MARK_ESTABLISHED, CT_MARK_BIT, CT_MARK_ESTABLISHED,
			 set_names[SET_CONNECTIONS], set_names[SET_LAST_SEEN]);
		break;
	case RULE_MASQUERADE:
		snprintf(buf, len, "ct mark & 0x%08x == 0x%08x masquerade", CT_MARK_BIT,
			 CT_MARK_BIT);
		break;
	case RULE_TRAFFIC:
		snprintf(buf, len, "meta l4proto tcp counter name ct original proto-dst map @%s",
			 set_names[SET_TRAFFIC]);
		break;
	default:
		tunnel_rule_text(spec, p, buf, len);
		break;
	}
}


static void render_counters(const struct spec *spec, FILE *f)
{
	char name[COUNTER_NAME_MAX], comment[64];
	unsigned int i, m;

	for (i = 0; i < spec->nservices; i++) {
		for (m = 0; m < COUNTER_MAPS; m++) {
			counter_name(&spec->services[i], counter_maps[m], name, sizeof(name));
			counter_comment(&spec->services[i], counter_maps[m], comment,
					sizeof(comment));
			fprintf(f, "\tcounter %s {\n\t\tcomment \"%s\"\n\t}\n\n", name, comment);
		}
	}
	if (spec_links(spec))
		fprintf(f, "\tcounter %s {\n\t\tcomment \"%s\"\n\t}\n\n", TUNNEL_DROPPED,
			TUNNEL_DROPPED_COMMENT);
}

static void render_ports(const struct spec *spec, FILE *f)
{
	unsigned int i;

	fprintf(f, "\tset %s {\n\t\ttype inet_service\n\t\telements = { ", set_names[SET_PORTS]);
	for (i = 0; i < spec->nservices; i++)
		fprintf(f, "%s%u", i ? ", " : "", spec->services[i].port);
	fprintf(f, " }\n\t}\n\n");
}

static void render_counter_map(const struct spec *spec, enum set_id id, FILE *f)
{
	char name[COUNTER_NAME_MAX];
	unsigned int i;

	fprintf(f, "\tmap %s {\n\t\ttype inet_service : counter\n\t\telements = { ", set_names[id]);
	for (i = 0; i < spec->nservices; i++) {
		const struct service *svc = &spec->services[i];

		counter_name(svc, id, name, sizeof(name));
		fprintf(f, "%s%u : \"%s\"", i ? ", " : "", svc->port, name);
	}
	fprintf(f, " }\n\t}\n\n");
}

/* A merged range as nft lists it: a prefix where it is one, else a-b. */
static void render_range(const struct range *r, int family, FILE *f)
{
	char buf[ADDRESS_STRLEN];
	struct prefix p;
	struct address last;

	if (range_prefix(r, family, &p)) {
		fputs(prefix_str(&p, buf), f);
		return;
	}
	fputs(address_str(&p.addr, buf), f);
	range_last(r, family, &last);
	fprintf(f, "-%s", address_str(&last, buf));
}

static void render_exclude(const struct spec *spec, int family, FILE *f)
{
	struct range ranges[RANGES_MAX];
	unsigned int i, n = exclude_ranges(spec, family, ranges);

	fprintf(f, "\tset %s {\n\t\ttype %s\n\t\tflags interval\n\t\telements = { ",
		set_names[family == AF_INET ? SET_EXCLUDE_IPV4 : SET_EXCLUDE_IPV6],
		family == AF_INET ? "ipv4_addr" : "ipv6_addr");
	for (i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		render_range(&ranges[i], family, f);
	}
	fprintf(f, " }\n\t}\n\n");
}

static void render_port_times(const struct spec *spec, unsigned int needed, FILE *f)
{
	static const enum set_id sets[] = { SET_LAST_SEEN, SET_LAST_ATTEMPT, SET_LAST_ANSWER };
	char timeout[FORMAT_BUF];
	unsigned int i;

	format_duration_exact(spec->remember, timeout, sizeof(timeout));
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		if (needed & 1U << sets[i])
			fprintf(f, "\tset %s {\n\t\ttype inet_service\n\t\tsize %u\n"
				"\t\tflags dynamic,timeout\n\t\ttimeout %s\n\t}\n\n",
				set_names[sets[i]], PORT_TIME_SET_SIZE, timeout);
}

static void render_sources(const struct spec *spec, int family, FILE *f)
{
	char timeout[FORMAT_BUF];

	fprintf(f, "\tset %s {\n\t\ttype %s . inet_service\n\t\tsize %u\n"
		"\t\tflags dynamic,timeout\n\t\tcounter\n\t\ttimeout %s\n\t}\n\n",
		set_names[family == AF_INET ? SET_SOURCES_IPV4 : SET_SOURCES_IPV6],
		family == AF_INET ? "ipv4_addr" : "ipv6_addr", spec->max_sources,
		format_duration_exact(spec->remember, timeout, sizeof(timeout)));
}

/* The tunnels' troubles: who sent their packets from elsewhere, whose end refused them. */
static void render_tunnel_sets(FILE *f)
{
	char timeout[FORMAT_BUF];
	unsigned int i;

	format_duration_exact(TUNNEL_SETS_TIMEOUT, timeout, sizeof(timeout));
	for (i = 0; i < 2; i++)
		fprintf(f, "\tset %s {\n\t\ttype %s\n\t\tsize %u\n\t\tflags dynamic,timeout\n"
			"\t\tcounter\n\t\ttimeout %s\n\t}\n\n",
			set_names[i ? SET_STRANGERS_IPV6 : SET_STRANGERS_IPV4],
			i ? "ipv6_addr" : "ipv4_addr", STRANGERS_SET_SIZE, timeout);
	fprintf(f, "\tset %s {\n\t\ttype inet_proto\n\t\tsize 4\n\t\tflags dynamic,timeout\n"
		"\t\ttimeout %s\n\t}\n\n", set_names[SET_TUNNEL_REFUSED], timeout);
}

static const char *chain_header(enum chain_id id)
{
	switch (id) {
	case CHAIN_PREROUTING:
		return "\t\ttype nat hook prerouting priority dstnat; policy accept;\n";
	case CHAIN_POSTROUTING:
		return "\t\ttype nat hook postrouting priority srcnat; policy accept;\n";
	case CHAIN_FORWARD:
		return "\t\ttype filter hook forward priority filter; policy accept;\n";
	case CHAIN_INPUT:
		return "\t\ttype filter hook input priority filter; policy accept;\n";
	case CHAIN_OUTPUT:
		return "\t\ttype filter hook output priority filter; policy accept;\n";
	case CHAIN_RAW_PREROUTING:
		return "\t\ttype filter hook prerouting priority raw; policy accept;\n";
	case CHAIN_RAW_OUTPUT:
		return "\t\ttype filter hook output priority raw; policy accept;\n";
	default:
		return "";
	}
}

static void render_chains(const struct spec *spec, FILE *f)
{
	struct planned_rule plan[PLAN_MAX];
	unsigned int n = ruleset_plan(spec, plan), needed = chains_needed(spec), id, i;
	char text[512];
	bool first = true;

	for (id = 0; id < CHAIN_COUNT; id++) {
		if (!(needed & 1U << id))
			continue;
		fprintf(f, "%s\tchain %s {\n%s", first ? "" : "\n", chain_names[id],
			chain_header(id));
		first = false;
		for (i = 0; i < n; i++) {
			if (plan[i].chain != id)
				continue;
			rule_text(spec, &plan[i], text, sizeof(text));
			fprintf(f, "\t\t%s\n", text);
		}
		fprintf(f, "\t}\n");
	}
}

void render_table(const struct spec *spec, FILE *f)
{
	unsigned int sets = sets_needed(spec);

	fprintf(f, "table inet %s {\n\tcomment \"%s\"\n", TABLE_NAME, TABLE_COMMENT);
	render_counters(spec, f);
	render_ports(spec, f);
	render_counter_map(spec, SET_CONNECTIONS, f);
	render_counter_map(spec, SET_ATTEMPTS, f);
	render_counter_map(spec, SET_ANSWERED, f);
	render_counter_map(spec, SET_TRAFFIC, f);
	render_port_times(spec, sets, f);

	if (sets & 1U << SET_EXCLUDE_IPV4)
		render_exclude(spec, AF_INET, f);
	if (sets & 1U << SET_EXCLUDE_IPV6)
		render_exclude(spec, AF_INET6, f);
	if (sets & 1U << SET_SOURCES_IPV4)
		render_sources(spec, AF_INET, f);
	if (sets & 1U << SET_SOURCES_IPV6)
		render_sources(spec, AF_INET6, f);
	if (sets & 1U << SET_TUNNEL_REFUSED)
		render_tunnel_sets(f);
	render_chains(spec, f);
	fprintf(f, "}\n");
}
