// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Other tables' firewalls, read before enable: an accept in our table
 * cannot override a drop in theirs, so a base chain on the forward hook
 * that drops by default (or ends in a drop) would swallow every redirected
 * connection, unless one of its rules, or of the chains it jumps to, lets
 * our mark (or DNATed flows) through. iptables-nft writes its matches as xt
 * expressions with binary structs (connmark rev 1, conntrack rev 1-3),
 * decoded here as the kernel reads them. The remedy printed is the one
 * that fits the table's owner: nft for a native table, iptables for one
 * iptables-nft owns (an nft rule there makes iptables-save refuse the whole
 * table), ufw's lasting place, Docker's DOCKER-USER.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "lib/owned.h"
#include "nft/firewall.h"

#define BASE_MAX 16
#define TABLES_MAX 16
#define WALK_MAX 16		/* chains followed from one base chain */

/* xt_conntrack.h, as the kernel reads the match (its header clashes with glibc's) */
#define XT_CONNTRACK_STATE 0x0001
#define XT_CONNTRACK_STATE_DNAT (1 << (IP_CT_NUMBER + 2))
#define CONNTRACK_FLAGS_AT 146
#define CONNTRACK_INVERT_AT 148
#define CONNTRACK_STATE_AT 150

struct chain_ref {
	uint32_t family;
	char table[64], chain[64];
	bool policy_drop;
};

/* What the chains of a table say about who manages it. */
struct table_note {
	uint32_t family;
	char table[64];
	bool docker_user, ufw;
};

struct chains_ctx {
	int families;			/* 1 IPv4, 2 IPv6 */
	uint32_t hook;			/* NF_INET_FORWARD, NF_INET_LOCAL_IN */
	struct chain_ref base[BASE_MAX];
	unsigned int nbase;
	struct table_note notes[TABLES_MAX];
	unsigned int nnotes;
};

static bool family_relevant(uint32_t family, int families)
{
	return family == NFPROTO_INET || (family == NFPROTO_IPV4 && (families & 1)) ||
	       (family == NFPROTO_IPV6 && (families & 2));
}

static struct table_note *note_of(struct chains_ctx *ctx, uint32_t family, const char *table)
{
	unsigned int i;

	for (i = 0; i < ctx->nnotes; i++)
		if (ctx->notes[i].family == family && !strcmp(ctx->notes[i].table, table))
			return &ctx->notes[i];
	if (ctx->nnotes == TABLES_MAX)
		return NULL;
	ctx->notes[ctx->nnotes].family = family;
	snprintf(ctx->notes[ctx->nnotes].table, sizeof(ctx->notes[0].table), "%s", table);
	return &ctx->notes[ctx->nnotes++];
}

static void note_owner(struct chains_ctx *ctx, uint32_t family, const char *table,
		       const char *chain)
{
	bool docker = !strcmp(chain, "DOCKER-USER");
	bool ufw = !strncmp(chain, "ufw-", 4) || !strncmp(chain, "ufw6-", 5);
	struct table_note *n;

	if (!docker && !ufw)
		return;
	n = note_of(ctx, family, table);
	if (n) {
		n->docker_user |= docker;
		n->ufw |= ufw;
	}
}

static void note_chain(const struct nftnl_chain *c, void *data)
{
	struct chains_ctx *ctx = data;
	uint32_t family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
	const char *table = NFT_STR(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE));
	const char *name = NFT_STR(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	struct chain_ref *b;

	if (!family_relevant(family, ctx->families) ||
	    (family == NFPROTO_INET && !strcmp(table, TABLE_NAME)))
		return;
	note_owner(ctx, family, table, name);
	if (!nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) ||
	    nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) != ctx->hook || ctx->nbase == BASE_MAX)
		return;
	b = &ctx->base[ctx->nbase++];
	b->family = family;
	snprintf(b->table, sizeof(b->table), "%s", table);
	snprintf(b->chain, sizeof(b->chain), "%s", name);
	b->policy_drop = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) &&
			 nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_DROP;
}

/* ---- one rule ---- */

/* What one rule does, as far as these checks care. */
struct rule_shape {
	bool ct_mark, ct_dnat, accept, drops, xt;
	bool tunnel_port;		/* compares something with the tunnel's UDP port */
	char jump[64];			/* jump or goto: the chain */
	unsigned int exprs, others;
};

/* -m connmark --mark BIT/BIT (struct xt_connmark_mtinfo1 { mark, mask; invert }) */
static bool connmark_ours(const uint8_t *info, uint32_t len)
{
	uint32_t mark, mask;

	if (len < 9)
		return false;
	memcpy(&mark, info, 4);
	memcpy(&mask, info + 4, 4);
	return !info[8] && (mask & CT_MARK_BIT) && (mark & CT_MARK_BIT);
}

/* -m conntrack --ctstate DNAT (struct xt_conntrack_mtinfo1..3): every packet of a DNATed flow */
static bool conntrack_dnat(const uint8_t *info, uint32_t len, uint32_t rev)
{
	uint16_t flags, invert, state;

	if (len < CONNTRACK_STATE_AT + 2)
		return false;
	memcpy(&flags, info + CONNTRACK_FLAGS_AT, 2);
	memcpy(&invert, info + CONNTRACK_INVERT_AT, 2);
	if (rev == 1)
		state = info[CONNTRACK_STATE_AT];	/* a u8 there */
	else
		memcpy(&state, info + CONNTRACK_STATE_AT, 2);
	return (flags & XT_CONNTRACK_STATE) && !(invert & XT_CONNTRACK_STATE) &&
	       (state & XT_CONNTRACK_STATE_DNAT);
}

static void look_at_match(struct nftnl_expr *e, struct rule_shape *r)
{
	const char *name = NFT_STR(nftnl_expr_get_str(e, NFTNL_EXPR_MT_NAME));
	uint32_t rev = nftnl_expr_get_u32(e, NFTNL_EXPR_MT_REV), len = 0;
	const uint8_t *info = nftnl_expr_get(e, NFTNL_EXPR_MT_INFO, &len);

	r->xt = true;
	if (info && !strcmp(name, "connmark") && rev == 1 && connmark_ours(info, len))
		r->ct_mark = true;
	else if (info && !strcmp(name, "conntrack") && rev >= 1 && rev <= 3 &&
		 conntrack_dnat(info, len, rev))
		r->ct_dnat = true;
	else if (strcmp(name, "comment"))
		r->others++;
}

static void look_at_ct(struct nftnl_expr *e, struct rule_shape *r)
{
	uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY);

	r->ct_mark |= key == NFT_CT_MARK;
	r->ct_dnat |= key == NFT_CT_STATUS;
	r->others += key != NFT_CT_MARK && key != NFT_CT_STATUS;
}

static void look_at_verdict(struct nftnl_expr *e, struct rule_shape *r)
{
	int32_t v = (int32_t)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);

	r->accept = v == NF_ACCEPT;
	r->drops = v == NF_DROP;
	if ((v == NFT_JUMP || v == NFT_GOTO) && nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN))
		snprintf(r->jump, sizeof(r->jump), "%s",
			 NFT_STR(nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN)));
}

static int look_at_expr(struct nftnl_expr *e, void *data)
{
	struct rule_shape *r = data;
	const char *name = NFT_STR(nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
	uint32_t len;

	r->exprs++;
	if (!strcmp(name, "ct") && nftnl_expr_is_set(e, NFTNL_EXPR_CT_DREG)) {
		look_at_ct(e, r);
	} else if (!strcmp(name, "bitwise") && (r->ct_mark || r->ct_dnat)) {
		const uint32_t *mask = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &len);

		if (len != 4 || !mask) {
			r->ct_mark = r->ct_dnat = false;
		} else {
			r->ct_mark &= (*mask & CT_MARK_BIT) != 0;
			r->ct_dnat &= (*mask & IPS_DST_NAT) != 0;
		}
	} else if (!strcmp(name, "immediate") && nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT)) {
		look_at_verdict(e, r);
	} else if (!strcmp(name, "match")) {
		look_at_match(e, r);
	} else if (!strcmp(name, "target")) {
		r->xt = true;
		if (!strcmp(NFT_STR(nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME)), "REJECT"))
			r->drops = true;
		else
			r->others++;
	} else if (!strcmp(name, "reject")) {
		r->drops = true;
	} else if (!strcmp(name, "cmp")) {
		const uint16_t *v = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);

		r->tunnel_port |= v && len == 2 && *v == htons(TUNNEL_PORT);
	} else if (strcmp(name, "counter") && strcmp(name, "log")) {
		r->others++;
	}
	return 0;
}

/* ---- a base chain and the chains it jumps to ---- */

struct walk {
	uint32_t hook;
	const struct chain_ref *base;
	bool in_base;		/* the rules of the base chain itself */
	bool lets_through;	/* forward: an accept of our mark or DNATed flows; input: UDP 4789 */
	bool drops_at_end;	/* the base chain's last rule drops or rejects everything */
	bool xt;		/* iptables-nft wrote some rule */
	char queue[WALK_MAX][64];
	unsigned int nqueue;
	remedy_cb cb;		/* firewall_remedies */
	void *cb_data;
	const char *chain;	/* the chain being read */
};

static void follow(struct walk *w, const char *chain)
{
	unsigned int i;

	for (i = 0; i < w->nqueue; i++)
		if (!strcmp(w->queue[i], chain))
			return;
	if (w->nqueue < WALK_MAX)
		snprintf(w->queue[w->nqueue++], sizeof(w->queue[0]), "%s", chain);
}

static bool lets_through(const struct walk *w, const struct rule_shape *shape)
{
	if (!shape->accept)
		return false;
	if (w->hook == NF_INET_FORWARD)
		return shape->ct_mark || shape->ct_dnat;
	return shape->tunnel_port;
}

static void found_remedy(struct walk *w, const struct nftnl_rule *r, const struct rule_shape *s)
{
	struct remedy rm = { .family = w->base->family, .iptables = s->xt };

	if (!w->cb || !s->accept || !s->ct_mark)
		return;
	snprintf(rm.table, sizeof(rm.table), "%s", w->base->table);
	snprintf(rm.chain, sizeof(rm.chain), "%s", w->chain);
	rm.handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
	w->cb(&rm, w->cb_data);
}

/* Rules come in order; the last one of the base chain decides drops_at_end. */
static void look_at_rule(const struct nftnl_rule *r, void *data)
{
	struct walk *w = data;
	struct rule_shape shape = { false };

	/* libnftnl takes the rule as not const, though it only reads it */
	nftnl_expr_foreach((struct nftnl_rule *)r, look_at_expr, &shape);
	w->lets_through |= lets_through(w, &shape);
	w->xt |= shape.xt;
	if (shape.jump[0])
		follow(w, shape.jump);
	found_remedy(w, r, &shape);
	/* unconditional: nothing but counter, log and the verdict */
	if (w->in_base)
		w->drops_at_end = shape.drops && shape.others == 0 && shape.exprs <= 3 &&
				  !shape.ct_mark && !shape.ct_dnat;
}

static int walk_chains(struct nft_sock *nft, struct walk *w, struct errmsg *e)
{
	unsigned int i;
	int err = 0;

	w->nqueue = 0;
	follow(w, w->base->chain);
	for (i = 0; !err && i < w->nqueue; i++) {
		w->in_base = i == 0;
		w->chain = w->queue[i];
		err = nft_dump_rules(nft, w->base->family, w->base->table, w->queue[i],
				     look_at_rule, w, e);
	}
	return err;
}

/* ---- the remedies, as the table's owner would have them ---- */

static const char *family_name(uint32_t family)
{
	return family == NFPROTO_IPV4 ? "ip" : family == NFPROTO_IPV6 ? "ip6" : "inet";
}

/*
 * Who writes a table: iptables-nft when some rule holds an xt expression
 * (it sets no other marker); maybe iptables-nft when it bears its names
 * (ip filter FORWARD) with no rule to tell; else nft.
 */
enum owner { OWNER_NFT, OWNER_MAYBE_IPTABLES, OWNER_IPTABLES };

static enum owner owner_of(const struct chain_ref *b, bool xt)
{
	static const char *const tables[] = { "filter", "nat", "mangle", "raw", "security" };
	unsigned int i;

	if (b->family != NFPROTO_IPV4 && b->family != NFPROTO_IPV6)
		return OWNER_NFT;
	if (xt)
		return OWNER_IPTABLES;
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (!strcmp(b->table, tables[i]) &&
		    (!strcmp(b->chain, "FORWARD") || !strcmp(b->chain, "INPUT")))
			return OWNER_MAYBE_IPTABLES;
	return OWNER_NFT;
}

static const char *iptables_cmd(uint32_t family)
{
	return family == NFPROTO_IPV6 ? "ip6tables" : "iptables";
}

/* What manages the table, and so where a lasting rule goes: ufw's file, Docker's chain. */
static void managed_by(const struct chain_ref *b, const struct table_note *n, char *buf,
		       size_t len)
{
	bool v6 = b->family == NFPROTO_IPV6;

	buf[0] = '\0';
	if (n && n->ufw)
		snprintf(buf, len, "\nufw manages that table, and a reload forgets that rule; for "
			 "good, add\n    -A %s-before-forward -m connmark --mark 0x%x/0x%x -j ACCEPT\n"
			 "to /etc/ufw/%s before its COMMIT line, then run `ufw reload`",
			 v6 ? "ufw6" : "ufw", CT_MARK_BIT, CT_MARK_BIT,
			 v6 ? "before6.rules" : "before.rules");
	else if (n && n->docker_user)
		snprintf(buf, len, "\nDocker manages that table: put the rule in DOCKER-USER, the "
			 "chain it leaves to you:\n    %s -I DOCKER-USER -m connmark --mark 0x%x/0x%x "
			 "-j ACCEPT", iptables_cmd(b->family), CT_MARK_BIT, CT_MARK_BIT);
}

static void report_forward_drop(struct findings *pf, const struct chain_ref *b,
				const struct table_note *n, enum owner owner)
{
	const char *fam = family_name(b->family);
	const char *why = b->policy_drop ? "drops by default" : "ends in a drop or reject";
	char owned[512], nft[256], ipt[160];

	managed_by(b, n, owned, sizeof(owned));
	snprintf(nft, sizeof(nft), "nft insert rule %s %s %s ct mark and 0x%08x == 0x%08x accept",
		 fam, b->table, b->chain, CT_MARK_BIT, CT_MARK_BIT);
	snprintf(ipt, sizeof(ipt), "%s -I %s -m connmark --mark 0x%x/0x%x -j ACCEPT",
		 iptables_cmd(b->family), b->chain, CT_MARK_BIT, CT_MARK_BIT);
	if (owner == OWNER_NFT)
		findings_add(pf, FINDING_REFUSE, "table %s %s, chain %s %s: the redirected connections "
			      "would be dropped there (an accept in our table cannot override it). "
			      "Let them through with\n    %s\nwhere whatever manages that table "
			      "(firewalld, your nftables.conf) keeps it, then enable again",
			      fam, b->table, b->chain, why, nft);
	else
		findings_add(pf, FINDING_REFUSE, "table %s %s%s, chain %s %s: the redirected "
			      "connections would be dropped there (an accept in our table cannot "
			      "override it). Let them through with\n    %s\n%s%s%s\nthen enable again",
			      fam, b->table, owner == OWNER_IPTABLES ? " (iptables')" : "", b->chain,
			      why, ipt, owner == OWNER_IPTABLES ?
			      "(not with nft, which would make iptables-save refuse the whole table)" :
			      "(or, if that table is your nftables.conf's and not iptables', with\n    ",
			      owner == OWNER_IPTABLES ? "" : nft,
			      owner == OWNER_IPTABLES ? owned : ")");
}

/* The tunnel's UDP from the other end would be dropped in an input chain. */
static void report_input_drop(struct findings *pf, const struct spec *spec,
			      const struct chain_ref *b, const struct table_note *n, enum owner owner)
{
	const struct address *peer = spec_peer(spec);
	const char *fam = family_name(b->family);
	char addr[ADDRESS_STRLEN], how[256];

	address_str(peer, addr);
	if (n && n->ufw)
		snprintf(how, sizeof(how), "ufw allow proto udp from %s to any port %d", addr,
			 TUNNEL_PORT);
	else if (owner != OWNER_NFT)
		snprintf(how, sizeof(how), "%s -I %s -s %s -p udp --dport %d -j ACCEPT",
			 iptables_cmd(b->family), b->chain, addr, TUNNEL_PORT);
	else
		snprintf(how, sizeof(how), "nft insert rule %s %s %s %s saddr %s udp dport %d "
			 "accept", fam, b->table, b->chain, peer->family == AF_INET ? "ip" : "ip6",
			 addr, TUNNEL_PORT);
	findings_add(pf, FINDING_REFUSE,
		      "table %s %s, chain %s %s: the tunnel's UDP port %d from %s would be "
		      "dropped there (an accept in our table cannot override it). Let it through "
		      "with\n    %s\nwhere whatever manages that table keeps it, then run this "
		      "again", fam, b->table, b->chain,
		      b->policy_drop ? "drops by default" : "ends in a drop or reject",
		      TUNNEL_PORT, addr, how);
}

static int dump_base_chains(struct nft_sock *nft, struct chains_ctx *ctx, uint32_t hook,
			    int families, struct errmsg *e)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->hook = hook;
	ctx->families = families;
	return nft_dump_chains(nft, NFPROTO_UNSPEC, note_chain, ctx, e);
}

/*
 * A base chain's rules, and the chains they jump to, walked; @w says how
 * it ends, and @cb (may be NULL) hears of each remedy on the way.
 */
static int walk_base(struct nft_sock *nft, uint32_t hook, const struct chain_ref *b,
		     remedy_cb cb, void *data, struct walk *w, struct errmsg *e)
{
	memset(w, 0, sizeof(*w));
	w->hook = hook;
	w->base = b;
	w->cb = cb;
	w->cb_data = data;
	return walk_chains(nft, w, e);
}

int firewall_check(const struct spec *spec, struct nft_sock *nft, uint32_t hook,
		   struct findings *pf, struct errmsg *e)
{
	int families = spec_uses(spec, AF_INET) | spec_uses(spec, AF_INET6) << 1;
	struct chains_ctx ctx;
	unsigned int i;
	struct walk w;
	int err;

	if (hook == NF_INET_LOCAL_IN)	/* the tunnel: the underlay's family */
		families = spec_peer(spec)->family == AF_INET ? 1 : 2;
	err = dump_base_chains(nft, &ctx, hook, families, e);
	for (i = 0; !err && i < ctx.nbase; i++) {
		const struct chain_ref *b = &ctx.base[i];
		const struct table_note *n;

		err = walk_base(nft, hook, b, NULL, NULL, &w, e);
		if (err || w.lets_through || (!b->policy_drop && !w.drops_at_end))
			continue;
		n = note_of(&ctx, b->family, b->table);
		if (hook == NF_INET_FORWARD)
			report_forward_drop(pf, b, n, owner_of(b, w.xt));
		else
			report_input_drop(pf, spec, b, n, owner_of(b, w.xt));
	}
	return err;
}

int firewall_remedies(struct nft_sock *nft, remedy_cb cb, void *data, struct errmsg *e)
{
	struct chains_ctx ctx;
	unsigned int i;
	struct walk w;
	int err = dump_base_chains(nft, &ctx, NF_INET_FORWARD, 3, e);

	for (i = 0; !err && i < ctx.nbase; i++)
		err = walk_base(nft, NF_INET_FORWARD, &ctx.base[i], cb, data, &w, e);
	return err;
}

/* ---- other writers of our ct mark bit ---- */

/* What a rule does to the ct mark: walks its expressions in order. */
struct mark_write {
	bool keeps_bit;		/* the register still holds our bits as the mark has them */
	bool touches_bit;	/* the rule writes one of them (set, cleared or copied) */
};

/* CONNMARK --set-xmark/--save-mark (struct xt_connmark_tginfo1/2: ctmark, ctmask, nfmask, .., mode) */
static bool connmark_target_touches(const uint8_t *info, uint32_t len, uint32_t rev)
{
	uint32_t ctmark, ctmask;
	uint8_t mode;

	if (len < 13 || rev < 1 || rev > 2)
		return false;
	memcpy(&ctmark, info, 4);
	memcpy(&ctmask, info + 4, 4);
	mode = info[rev == 1 ? 12 : 14];
	if (mode == 0)		/* XT_CONNMARK_SET: mark = (mark & ~ctmask) ^ ctmark */
		return ((ctmask | ctmark) & CT_MARK_ALL) != 0;
	if (mode == 1)		/* XT_CONNMARK_SAVE: mark = (mark & ~ctmask) ^ (skb->mark & nfmask) */
		return (ctmask & CT_MARK_ALL) != 0;
	return false;		/* RESTORE writes the packet's mark, not the flow's */
}

static int look_at_mark_expr(struct nftnl_expr *e, void *data)
{
	struct mark_write *w = data;
	const char *name = NFT_STR(nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
	uint32_t len = 0;

	if (!strcmp(name, "bitwise")) {
		const uint32_t *mask = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &len);
		const uint32_t *xor = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_XOR, &len);

		w->keeps_bit = mask && xor && (*mask & CT_MARK_ALL) == CT_MARK_ALL &&
			       !(*xor & CT_MARK_ALL);
	} else if (!strcmp(name, "immediate") || !strcmp(name, "meta") ||
		   (!strcmp(name, "ct") && nftnl_expr_is_set(e, NFTNL_EXPR_CT_DREG))) {
		w->keeps_bit = false;	/* a new value in the register: all of it */
		if (!strcmp(name, "ct") &&
		    nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY) == NFT_CT_MARK)
			w->keeps_bit = true;	/* the mark itself, until a bitwise changes it */
	} else if (!strcmp(name, "ct") && nftnl_expr_is_set(e, NFTNL_EXPR_CT_SREG) &&
		   nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY) == NFT_CT_MARK) {
		w->touches_bit |= !w->keeps_bit;
	} else if (!strcmp(name, "target") &&
		   !strcmp(NFT_STR(nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME)), "CONNMARK")) {
		const uint8_t *info = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &len);

		w->touches_bit |= info && connmark_target_touches(info, len,
						nftnl_expr_get_u32(e, NFTNL_EXPR_TG_REV));
	}
	return 0;
}

static void mark_writer_cb(const struct nftnl_rule *r, void *data)
{
	struct findings *pf = data;
	struct mark_write w = { false, false };
	uint32_t family = nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY);
	const char *table = NFT_STR(nftnl_rule_get_str(r, NFTNL_RULE_TABLE));

	if (family == NFPROTO_INET && !strcmp(table, TABLE_NAME))
		return;		/* ours: it writes those bits on purpose */
	nftnl_expr_foreach((struct nftnl_rule *)r, look_at_mark_expr, &w);
	if (w.touches_bit)
		findings_add(pf, FINDING_WARN, "table %s %s, chain %s (handle %" PRIu64 ") writes "
			      "the conntrack mark's bits 0x%08x that redirect uses: the flows "
			      "it marks would be masqueraded, or miscounted. Let it keep them "
			      "(a mask without them: ct mark set ct mark and 0x%08x or ..., "
			      "or CONNMARK --set-xmark VALUE/MASK with MASK outside 0x%08x)",
			      family_name(family), table,
			      NFT_STR(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN)),
			      nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE), CT_MARK_ALL,
			      ~CT_MARK_ALL, CT_MARK_ALL);
}

int firewall_mark_writers(struct nft_sock *nft, struct findings *pf, struct errmsg *e)
{
	return nft_dump_rules(nft, NFPROTO_UNSPEC, NULL, NULL, mark_writer_cb, pf, e);
}
