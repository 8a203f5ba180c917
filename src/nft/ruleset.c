// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The transactions on our table: a reconcile of what the kernel has (the
 * view) with what the spec asks for, the drain of disable with sessions
 * open, and the delete. The order within each is what makes it go through
 * in one batch (see ruleset_build). Pure, so tests/unit checks it against
 * golden output.
 */
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>

#include <libnftnl/chain.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "lib/owned.h"
#include "nft/elements.h"
#include "nft/expr.h"
#include "nft/objects.h"
#include "nft/plan.h"
#include "nft/render.h"
#include "nft/rules.h"
#include "nft/ruleset.h"

static void add_table(struct ops *ops)
{
	struct nftnl_table *t = table_new();
	struct op *op;

	table_set_comment(t, TABLE_COMMENT);
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, 0);
	op = ops_push(ops, OP_TABLE, NFT_MSG_NEWTABLE, NLM_F_CREATE, t);
	op_describe(op, "table inet %s", TABLE_NAME);
}

static void add_chain(struct ops *ops, enum chain_id id)
{
	struct op *op = ops_push(ops, OP_CHAIN, NFT_MSG_NEWCHAIN, NLM_F_CREATE, chain_build(id));

	op_describe(op, "chain %s", chain_names[id]);
}

static void flush_chain(struct ops *ops, enum chain_id id)
{
	struct op *op = ops_push(ops, OP_RULE, NFT_MSG_DELRULE, 0, rule_new(id));

	op_describe(op, "the rules of chain %s", chain_names[id]);
}

static void delete_chain(struct ops *ops, enum chain_id id)
{
	struct op *op = ops_push(ops, OP_CHAIN, NFT_MSG_DELCHAIN, 0, chain_new(id));

	op_describe(op, "chain %s", chain_names[id]);
}

static void add_set(struct ops *ops, struct nftnl_set *s)
{
	struct op *op = ops_push(ops, OP_SET, NFT_MSG_NEWSET, NLM_F_CREATE, s);

	op_describe(op, "set %s", nftnl_set_get_str(s, NFTNL_SET_NAME));
}

static void delete_set(struct ops *ops, enum set_id id)
{
	struct op *op = ops_push(ops, OP_SET, NFT_MSG_DELSET, 0, set_new(id));

	op_describe(op, "set %s", set_names[id]);
}

static void flush_set(struct ops *ops, enum set_id id)
{
	struct op *op = ops_push(ops, OP_ELEMS, NFT_MSG_DELSETELEM, 0, set_new(id));

	op_describe(op, "the elements of set %s", set_names[id]);
}

static bool spec_has_counter(const struct spec *spec, const char *name)
{
	char mine[COUNTER_NAME_MAX];
	unsigned int i, m;

	if (spec_links(spec) && !strcmp(name, TUNNEL_DROPPED))
		return true;
	for (i = 0; i < spec->nservices; i++)
		for (m = 0; m < COUNTER_MAPS; m++) {
			counter_name(&spec->services[i], counter_maps[m], mine, sizeof(mine));
			if (!strcmp(mine, name))
				return true;
		}
	return false;
}

static void add_counter(struct ops *ops, const char *name, const char *comment)
{
	struct nftnl_obj *o = counter_new(name);
	struct op *op;

	obj_set_comment(o, comment);
	op = ops_push(ops, OP_OBJ, NFT_MSG_NEWOBJ, NLM_F_CREATE, o);
	op_describe(op, "counter %s", name);
}

/* Counters that exist keep their values: NEWOBJ without EXCL leaves them be. */
static void add_counters(struct ops *ops, const struct spec *spec, const struct table_view *view)
{
	char name[COUNTER_NAME_MAX], comment[64];
	unsigned int i, m;

	for (i = 0; i < spec->nservices; i++) {
		for (m = 0; m < COUNTER_MAPS; m++) {
			counter_name(&spec->services[i], counter_maps[m], name, sizeof(name));
			if (view_has_counter(view, name))
				continue;
			counter_comment(&spec->services[i], counter_maps[m], comment, sizeof(comment));
			add_counter(ops, name, comment);
		}
	}
	if (spec_links(spec) && !view_has_counter(view, TUNNEL_DROPPED))
		add_counter(ops, TUNNEL_DROPPED, TUNNEL_DROPPED_COMMENT);
}

static void delete_stale_counters(struct ops *ops, const struct spec *spec,
				  const struct table_view *view)
{
	unsigned int i;
	struct op *op;

	for (i = 0; i < view->ncounters; i++) {
		if (spec_has_counter(spec, view->counters[i]))
			continue;
		op = ops_push(ops, OP_OBJ, NFT_MSG_DELOBJ, 0, counter_new(view->counters[i]));
		op_describe(op, "counter %s", view->counters[i]);
	}
}

static void add_planned(struct ops *ops, const struct spec *spec,
			const struct planned_rule *plan, unsigned int n)
{
	char text[512];
	struct op *op;
	unsigned int i;

	for (i = 0; i < n; i++) {
		op = ops_push(ops, OP_RULE, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
			      rule_build(spec, &plan[i]));
		rule_text(spec, &plan[i], text, sizeof(text));
		op_describe(op, "the rule \"%s\" in chain %s", text, chain_names[plan[i].chain]);
	}
}

static void add_rules(struct ops *ops, const struct spec *spec)
{
	struct planned_rule plan[PLAN_MAX];

	add_planned(ops, spec, plan, ruleset_plan(spec, plan));
}

/* ---- what others put in our table ---- */

static const char *foreign_kind(const struct foreign *f)
{
	return f->kind == OP_CHAIN ? "chain" : f->kind == OP_SET ? "set" : "object";
}

/* Chains, sets and objects by name alone: what deleting them takes. */
static void *foreign_object(const struct foreign *f)
{
	struct nftnl_chain *c;
	struct nftnl_set *s;
	struct nftnl_obj *o;

	switch (f->kind) {
	case OP_CHAIN:
		c = chain_new(CHAIN_PREROUTING);
		nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, f->name);
		return c;
	case OP_SET:
		s = set_new(SET_PORTS);
		nftnl_set_set_str(s, NFTNL_SET_NAME, f->name);
		nftnl_set_unset(s, NFTNL_SET_ID);
		return s;
	default:
		o = counter_new(f->name);
		nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, f->obj_type);
		return o;
	}
}

/* Empties the chains others added (or changed): they go once nothing refers to them. */
static void flush_foreign_chains(struct ops *ops, const struct table_view *view)
{
	struct nftnl_rule *r;
	struct op *op;
	unsigned int i;

	for (i = 0; i < view->nforeign; i++) {
		if (view->foreign[i].kind != OP_CHAIN)
			continue;
		r = rule_new(CHAIN_PREROUTING);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, view->foreign[i].name);
		op = ops_push(ops, OP_RULE, NFT_MSG_DELRULE, 0, r);
		op_describe(op, "the rules of chain %s", view->foreign[i].name);
	}
}

static void delete_foreign(struct ops *ops, const struct table_view *view, enum op_object kind)
{
	static const uint16_t del[] = {
		[OP_CHAIN] = NFT_MSG_DELCHAIN, [OP_SET] = NFT_MSG_DELSET, [OP_OBJ] = NFT_MSG_DELOBJ,
	};
	const struct foreign *f;
	struct op *op;
	unsigned int i;

	for (i = 0; i < view->nforeign; i++) {
		f = &view->foreign[i];
		if (f->kind != kind)
			continue;
		op = ops_push(ops, kind, del[kind], 0, foreign_object(f));
		op_describe(op, "%s %s (%s)", foreign_kind(f), f->name,
			    f->reshaped ? "changed by hand" : "not redirect's");
	}
}

/* Step 1 of a reconcile: empty our chains and drop the ones not needed. */
static void clear_chains(struct ops *ops, const struct table_view *view, unsigned int needed)
{
	unsigned int id;

	for (id = 0; id < CHAIN_COUNT; id++)
		if (view->chains & 1U << id)
			flush_chain(ops, id);
	flush_foreign_chains(ops, view);
	for (id = 0; id < CHAIN_COUNT; id++)
		if ((view->chains & 1U << id) && !(needed & 1U << id))
			delete_chain(ops, id);
	delete_foreign(ops, view, OP_CHAIN);
}

/* A dynamic set whose timeout or size the spec changed: the kernel of Debian 12 changes neither in place. */
static bool dynamic_set_differs(const struct spec *spec, const struct table_view *view,
				unsigned int id)
{
	if (is_tunnel_set(id))	/* of a fixed timeout and size */
		return false;
	if (view->dynamic[id].timeout_ms != spec->remember * 1000)
		return true;
	return !is_port_time_set(id) && view->dynamic[id].size != spec->max_sources;
}

/*
 * Step 2: sets that stay are emptied and refilled; a dynamic set stays
 * whole (its elements are the history stats shows) unless --remember or
 * --max-sources changed it.
 */
static unsigned int clear_sets(struct ops *ops, const struct spec *spec,
			       const struct table_view *view, unsigned int needed)
{
	unsigned int id, kept = 0;

	for (id = 0; id < SET_COUNT; id++) {
		if (!(view->sets & 1U << id))
			continue;
		if (!(needed & 1U << id) ||
		    (is_dynamic_set(id) && dynamic_set_differs(spec, view, id))) {
			delete_set(ops, id);
			continue;
		}
		if (!is_dynamic_set(id))
			flush_set(ops, id);
		kept |= 1U << id;
	}
	return kept;
}

/*
 * Whether @view holds the guards of a tunnel link alone (the table a run
 * puts up before the link comes up, see install_guard_link): no counter
 * of a redirect, nothing in it worth keeping.
 */
static bool guards_alone(const struct table_view *view)
{
	unsigned int i;

	for (i = 0; i < view->ncounters; i++)
		if (strcmp(view->counters[i], TUNNEL_DROPPED))
			return false;
	return view->exists && !view->overflow;
}

/*
 * Order matters within the transaction: rules go before the chains and
 * sets they reference can be deleted, maps are emptied before the counters
 * they name can go, and new objects exist before anything refers to them.
 * A table of guards alone is replaced in the same batch (the link is never
 * without them): made whole at once, it lists as any table enable makes.
 */
int ruleset_build(const struct spec *spec, const struct table_view *installed,
		  struct ops *out)
{
	unsigned int chains = chains_needed(spec), sets = sets_needed(spec), kept, id;
	const struct table_view none = { .exists = false };
	const struct table_view *view = installed;
	struct op *op;

	memset(out, 0, sizeof(*out));
	if (installed->overflow || guards_alone(installed)) {
		/* the whole table goes, in this batch */
		op = ops_push(out, OP_TABLE, NFT_MSG_DELTABLE, 0, table_new());
		op_describe(op, installed->overflow ? "table inet %s (changed by hand beyond repair)"
			    : "table inet %s (the guards of a link alone)", TABLE_NAME);
		view = &none;
	}
	add_table(out);
	clear_chains(out, view, chains);
	kept = clear_sets(out, spec, view, sets);
	delete_foreign(out, view, OP_SET);
	delete_stale_counters(out, spec, view);
	delete_foreign(out, view, OP_OBJ);
	add_counters(out, spec, view);
	for (id = 0; id < SET_COUNT; id++)
		if ((sets & 1U << id) && !(kept & 1U << id))
			add_set(out, set_build(spec, id));
	fill_sets(out, spec);
	for (id = 0; id < CHAIN_COUNT; id++)
		if ((chains & 1U << id) && !(view->chains & 1U << id))
			add_chain(out, id);
	add_rules(out, spec);
	return 0;
}

/*
 * Conntrack runs in a namespace while some rule needs it. Disable must not
 * take that away from the redirected sessions still open (their NAT lives
 * in conntrack), so the drained table keeps one rule that reads the mark.
 * It never matches: the nat chain only sees new connections, and nothing
 * marks those any more.
 */
static void add_keep_conntrack_rule(struct ops *ops)
{
	struct nftnl_rule *r = rule_new(CHAIN_PREROUTING);
	struct op *op;

	match_ct_mark(r, CT_MARK_BIT);
	rule_set_comment(r, DRAIN_COMMENT);
	op = ops_push(ops, OP_RULE, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, r);
	op_describe(op, "the rule that keeps conntrack for open sessions in chain %s",
		    chain_names[CHAIN_PREROUTING]);
}

/* The counters of a drained table: the tunnels' own, while links exist. */
static void delete_counters_but(struct ops *ops, const struct table_view *view,
				const char *keep)
{
	struct op *op;
	unsigned int i;

	for (i = 0; i < view->ncounters; i++) {
		if (keep && !strcmp(view->counters[i], keep))
			continue;
		op = ops_push(ops, OP_OBJ, NFT_MSG_DELOBJ, 0, counter_new(view->counters[i]));
		op_describe(op, "counter %s", view->counters[i]);
	}
}

/*
 * The guards of @spec's tunnel links alone (the tunnel's sets and counter
 * with them), and with @nat the nat chains that keep open sessions going.
 */
static void build_guarded(const struct spec *spec, const struct table_view *view, bool nat,
			  struct ops *out)
{
	const unsigned int tunnel_sets = 1U << SET_PORTS | 1U << SET_STRANGERS_IPV4 |
					 1U << SET_STRANGERS_IPV6 | 1U << SET_TUNNEL_REFUSED;
	struct planned_rule guards[PLAN_MAX];
	unsigned int keep = nat ? 1U << CHAIN_PREROUTING | 1U << CHAIN_POSTROUTING : 0, sets = 0;
	unsigned int id, n;
	bool links = spec_links(spec);

	memset(out, 0, sizeof(*out));
	n = ruleset_plan_guards(spec, guards);
	for (id = 0; id < n; id++)
		keep |= 1U << guards[id].chain;
	if (links)
		sets = tunnel_sets & sets_needed(spec);
	add_table(out);
	clear_chains(out, view, keep);
	for (id = 0; id < SET_COUNT; id++)
		if ((view->sets & 1U << id) && !(sets & 1U << id))
			delete_set(out, id);
	delete_foreign(out, view, OP_SET);
	delete_counters_but(out, view, links ? TUNNEL_DROPPED : NULL);
	delete_foreign(out, view, OP_OBJ);
	if (links && !view_has_counter(view, TUNNEL_DROPPED))
		add_counter(out, TUNNEL_DROPPED, TUNNEL_DROPPED_COMMENT);
	for (id = 0; id < SET_COUNT; id++)
		if ((sets & 1U << id) && !(view->sets & 1U << id))
			add_set(out, set_build(spec, id));
	for (id = 0; id < CHAIN_COUNT; id++)
		if ((keep & 1U << id) && !(view->chains & 1U << id))
			add_chain(out, id);
	if (nat)
		add_keep_conntrack_rule(out);
	add_planned(out, spec, guards, n);
}

/*
 * Disable with redirected sessions still open: a nat chain on each NAT
 * hook and conntrack keep the kernel translating the flows it already
 * redirected (without them those sessions break); the guards of the
 * tunnel links stay as long as the links do (@spec says which); all the
 * rest goes, so nothing new is redirected.
 */
int ruleset_build_drain(const struct spec *spec, const struct table_view *view,
			struct ops *out)
{
	build_guarded(spec, view, true, out);
	return 0;
}

int ruleset_build_guards(const struct spec *spec, const struct table_view *view,
			 struct ops *out)
{
	build_guarded(spec, view, false, out);
	return 0;
}

int ruleset_build_delete(struct ops *out)
{
	struct op *op;

	memset(out, 0, sizeof(*out));
	op = ops_push(out, OP_TABLE, NFT_MSG_DELTABLE, 0, table_new());
	op_describe(op, "table inet %s", TABLE_NAME);
	return 0;
}

