// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Is our table what we installed? What redirect would install for the
 * spec is built as for a fresh enable (ruleset_build, no I/O); the kernel's
 * table is dumped; the two are compared object by object, rule by rule in
 * each chain's order, element by element in each fixed set. Rules compare
 * as libnftnl prints them: our expressions spell out what the kernel
 * reports back (see expr.c), so equal rules print equal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>

#include "nft/drift.h"
#include "nft/objects.h"
#include "nft/plan.h"
#include "nft/ruleset.h"

#define RULE_TEXT_MAX 4096
#define ELEMS_MAX 512

static void found(struct drift *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void found(struct drift *d, const char *fmt, ...)
{
	va_list ap;

	if (d->found)
		return;		/* the first difference says enough */
	d->found = true;
	va_start(ap, fmt);
	vsnprintf(d->what, sizeof(d->what), fmt, ap);
	va_end(ap);
}

/* ---- rules ---- */

void drift_rule_text(const struct nftnl_rule *r, char *buf, size_t len)
{
	static const char counter[] = "[ counter pkts ";
	char raw[RULE_TEXT_MAX];
	const char *p, *hit, *end;
	size_t used = 0;

	nftnl_rule_snprintf(raw, sizeof(raw), r, NFTNL_OUTPUT_DEFAULT, 0);
	p = strchr(raw, '\n');		/* the first line names the rule: family, table, handle */
	p = p ? p + 1 : "";
	buf[0] = '\0';
	while ((hit = strstr(p, counter)) && (end = strstr(hit, " ]"))) {
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%.*s[ counter ]",
					 (int)(hit - p), p);
		p = end + 2;
	}
	snprintf(buf + used, used < len ? len - used : 0, "%s", p);
}

struct rules {
	char *want[CHAIN_COUNT][PLAN_MAX];
	unsigned int nwant[CHAIN_COUNT], seen[CHAIN_COUNT];
	struct drift *d;
	int err;
};

static void want_rule(struct rules *rs, const struct nftnl_rule *r)
{
	char text[RULE_TEXT_MAX];
	int id = name_index(chain_names, CHAIN_COUNT,
			  NFT_STR(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN)));

	if (id < 0 || rs->nwant[id] == PLAN_MAX)
		return;
	drift_rule_text(r, text, sizeof(text));
	rs->want[id][rs->nwant[id]++] = must(strdup(text));
}

static void compare_rule(const struct nftnl_rule *r, void *data)
{
	struct rules *rs = data;
	char text[RULE_TEXT_MAX];
	const char *chain = NFT_STR(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
	int id = name_index(chain_names, CHAIN_COUNT, chain);
	unsigned int n;

	if (id < 0)
		return;		/* a chain that is not ours: said already */
	n = rs->seen[id]++;
	drift_rule_text(r, text, sizeof(text));
	if (n >= rs->nwant[id] || strcmp(text, rs->want[id][n]))
		found(rs->d, "chain %s: its rule %u (handle %" PRIu64 ") is not one redirect "
		      "installs", chain, n + 1, nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE));
}

static int compare_rules(struct nft_sock *nft, struct rules *rs, struct errmsg *e)
{
	unsigned int id;
	int err = nft_dump_rules(nft, NFPROTO_INET, TABLE_NAME, NULL, compare_rule, rs, e);

	for (id = 0; !err && id < CHAIN_COUNT; id++)
		if (rs->seen[id] < rs->nwant[id])
			found(rs->d, "chain %s lacks %u of the rules redirect installs", chain_names[id],
			      rs->nwant[id] - rs->seen[id]);
	return err;
}

static void rules_free(struct rules *rs)
{
	unsigned int id, i;

	for (id = 0; id < CHAIN_COUNT; id++)
		for (i = 0; i < rs->nwant[id]; i++)
			free(rs->want[id][i]);
}

/* ---- the elements of the fixed sets ---- */

struct elems {
	char *v[ELEMS_MAX];
	unsigned int n;
	bool overflow;
};

static void elem_text(struct nftnl_set_elem *el, char *buf, size_t len)
{
	const uint8_t *key, *data;
	uint32_t klen = 0, dlen = 0, i, flags = 0;
	size_t used = 0;

	key = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &klen);
	for (i = 0; key && i < klen && used + 3 < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%02x", key[i]);
	if (nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_FLAGS))
		flags = nftnl_set_elem_get_u32(el, NFTNL_SET_ELEM_FLAGS);
	used += (size_t)snprintf(buf + used, used < len ? len - used : 0, " flags %u", flags);
	if (nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_OBJREF))
		snprintf(buf + used, used < len ? len - used : 0, " : %s",
			 NFT_STR(nftnl_set_elem_get_str(el, NFTNL_SET_ELEM_OBJREF)));
	data = nftnl_set_elem_get(el, NFTNL_SET_ELEM_DATA, &dlen);
	for (i = 0; data && i < dlen; i++) {
		used = strlen(buf);
		snprintf(buf + used, used < len ? len - used : 0, "%s%02x", i ? "" : " = ", data[i]);
	}
}

static void add_elem(struct nftnl_set_elem *el, void *data)
{
	struct elems *es = data;
	char text[256];

	if (es->n == ELEMS_MAX) {
		es->overflow = true;
		return;
	}
	elem_text(el, text, sizeof(text));
	es->v[es->n++] = must(strdup(text));
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool elems_equal(struct elems *a, struct elems *b)
{
	unsigned int i;

	if (a->overflow || b->overflow || a->n != b->n)
		return false;
	qsort(a->v, a->n, sizeof(a->v[0]), by_text);
	qsort(b->v, b->n, sizeof(b->v[0]), by_text);
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
}

static void elems_free(struct elems *es)
{
	while (es->n)
		free(es->v[--es->n]);
}

/* One fixed set: the elements @want holds, against the kernel's. */
static int compare_elems(struct nft_sock *nft, struct nftnl_set *want, struct drift *d,
			 struct errmsg *e)
{
	const char *name = NFT_STR(nftnl_set_get_str(want, NFTNL_SET_NAME));
	struct elems *ours = calloc(2, sizeof(*ours)), *theirs = ours + 1;	/* large */
	struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(want);
	struct nftnl_set_elem *el;
	int err;

	if (!it || !ours) {
		nftnl_set_elems_iter_destroy(it);
		free(ours);
		return errmsg_set(e, -ENOMEM, "out of memory");
	}
	for (el = nftnl_set_elems_iter_next(it); el; el = nftnl_set_elems_iter_next(it))
		add_elem(el, ours);
	nftnl_set_elems_iter_destroy(it);
	err = nft_dump_elems(nft, TABLE_NAME, name, add_elem, theirs, e);
	if (!err && !elems_equal(ours, theirs))
		found(d, "the elements of set %s are not the ones redirect installs", name);
	elems_free(ours);
	elems_free(theirs);
	free(ours);
	return err;
}

/* ---- objects ---- */

static void compare_foreign(const struct table_view *view, struct drift *d)
{
	const struct foreign *f = &view->foreign[0];

	if (!view->nforeign && !view->overflow)
		return;
	if (!view->nforeign)
		found(d, "it holds more than redirect can list (objects added by hand)");
	else if (f->reshaped)
		found(d, "%s %s was changed by hand (its %s)", f->kind == OP_CHAIN ? "chain" : "set",
		      f->name, f->kind == OP_CHAIN ? "type, hook, priority or policy" :
		      "type, flags or element counters");
	else
		found(d, "%s %s is not redirect's", f->kind == OP_CHAIN ? "chain" :
		      f->kind == OP_SET ? "set" : "object", f->name);
}

static void compare_set(const struct table_view *view, const struct nftnl_set *want,
			struct drift *d)
{
	const char *name = NFT_STR(nftnl_set_get_str(want, NFTNL_SET_NAME));
	int id = name_index(set_names, SET_COUNT, name);

	if (id < 0)
		return;
	if (!(view->sets & 1U << id))
		found(d, "set %s is missing", name);
	else if (nftnl_set_is_set(want, NFTNL_SET_TIMEOUT) &&
		 (view->dynamic[id].timeout_ms != nftnl_set_get_u64(want, NFTNL_SET_TIMEOUT) ||
		  (nftnl_set_is_set(want, NFTNL_SET_DESC_SIZE) &&
		   view->dynamic[id].size != nftnl_set_get_u32(want, NFTNL_SET_DESC_SIZE))))
		found(d, "set %s has another timeout or size than redirect gave it", name);
}

static void compare_objects(const struct table_view *view, const struct ops *want,
			    struct drift *d)
{
	unsigned int i, counters = 0;
	const char *name;
	int id;

	compare_foreign(view, d);
	for (i = 0; i < want->n; i++) {
		const struct op *op = &want->v[i];

		if (op->object == OP_CHAIN && op->msg == NFT_MSG_NEWCHAIN) {
			name = NFT_STR(nftnl_chain_get_str(op->nftnl, NFTNL_CHAIN_NAME));
			id = name_index(chain_names, CHAIN_COUNT, name);
			if (id >= 0 && !(view->chains & 1U << id))
				found(d, "chain %s is missing", name);
		} else if (op->object == OP_SET && op->msg == NFT_MSG_NEWSET) {
			compare_set(view, op->nftnl, d);
		} else if (op->object == OP_OBJ && op->msg == NFT_MSG_NEWOBJ) {
			name = NFT_STR(nftnl_obj_get_str(op->nftnl, NFTNL_OBJ_NAME));
			counters++;
			if (!view_has_counter(view, name))
				found(d, "counter %s is missing", name);
		}
	}
	if (view->ncounters > counters)
		found(d, "it holds counters redirect did not make");
}

int drift_find(struct nft_sock *nft, const struct spec *spec, const struct table_view *view,
	       struct drift *d, struct errmsg *e)
{
	const struct table_view none = { .exists = false };
	struct rules *rs = calloc(1, sizeof(*rs));	/* large: off the stack */
	struct ops want;
	unsigned int i;
	int err = 0;

	memset(d, 0, sizeof(*d));
	if (!rs)
		return errmsg_set(e, -ENOMEM, "out of memory");
	rs->d = d;
	ruleset_build(spec, &none, &want);
	compare_objects(view, &want, d);
	for (i = 0; i < want.n; i++)
		if (want.v[i].object == OP_RULE && want.v[i].msg == NFT_MSG_NEWRULE)
			want_rule(rs, want.v[i].nftnl);
	if (!d->found)
		err = compare_rules(nft, rs, e);
	for (i = 0; !err && !d->found && i < want.n; i++)
		if (want.v[i].object == OP_ELEMS && want.v[i].msg == NFT_MSG_NEWSETELEM)
			err = compare_elems(nft, want.v[i].nftnl, d, e);
	rules_free(rs);
	free(rs);
	ops_free(&want);
	return err;
}
