// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Our table as the kernel has it (see view.h): dumped through the
 * transport, each object judged against what redirect makes of that name.
 */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <string.h>

#include <libnftnl/chain.h>
#include <libnftnl/object.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "nft/objects.h"
#include "nft/view.h"

struct view_ctx {
	struct table_view *view;
	uint32_t genid;
};

static int table_udata_cb(const struct nftnl_udata *attr, void *data)
{
	const struct nftnl_udata **comment = data;

	if (nftnl_udata_type(attr) == NFTNL_UDATA_TABLE_COMMENT)
		*comment = attr;
	return 0;
}

/* Ours is a table whose comment starts with TABLE_MARKER. */
static bool comment_is_ours(const struct nftnl_table *t)
{
	const struct nftnl_udata *comment = NULL;
	size_t marker = strlen(TABLE_MARKER);
	const void *udata;
	uint32_t len = 0;

	udata = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
	if (!udata || nftnl_udata_parse(udata, len, table_udata_cb, &comment) < 0 || !comment)
		return false;
	return nftnl_udata_len(comment) >= marker &&
	       !strncmp(nftnl_udata_get(comment), TABLE_MARKER, marker);
}

static void note_gen(uint32_t genid, void *data)
{
	((struct view_ctx *)data)->genid = genid;
}

static void note_table(const struct nftnl_table *t, void *data)
{
	struct view_ctx *ctx = data;

	if (strcmp(NFT_STR(nftnl_table_get_str(t, NFTNL_TABLE_NAME)), TABLE_NAME))
		return;
	ctx->view->exists = true;
	ctx->view->ours = comment_is_ours(t);
}

/* Something in our table redirect does not make, or not so: for the reconcile to remove. */
static void add_foreign(struct table_view *view, enum op_object kind, uint32_t obj_type,
			const char *name, bool reshaped)
{
	struct foreign *f;

	if (view->nforeign == VIEW_MAX_FOREIGN) {
		view->overflow = true;
		return;
	}
	f = &view->foreign[view->nforeign++];
	f->kind = kind;
	f->obj_type = obj_type;
	f->reshaped = reshaped;
	snprintf(f->name, sizeof(f->name), "%s", name);
}

static bool chain_shaped_as(enum chain_id id, const struct nftnl_chain *c)
{
	struct nftnl_chain *ours = chain_build(id);
	char want[SHAPE_MAX], got[SHAPE_MAX];

	chain_shape(ours, want, sizeof(want));
	chain_shape(c, got, sizeof(got));
	nftnl_chain_free(ours);
	return !strcmp(want, got);
}

/* The shape (not the timeout or size) of our set @id, as any spec makes it. */
static bool set_shaped_as(enum set_id id, const struct nftnl_set *s)
{
	char want[SHAPE_MAX], got[SHAPE_MAX];
	struct nftnl_set *ours;
	struct spec defaults;

	spec_init(&defaults);
	ours = set_build(&defaults, id);
	set_shape(ours, want, sizeof(want));
	set_shape(s, got, sizeof(got));
	nftnl_set_free(ours);
	return !strcmp(want, got);
}

static void note_chain(const struct nftnl_chain *c, void *data)
{
	struct table_view *view = ((struct view_ctx *)data)->view;
	const char *name = NFT_STR(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	int id;

	if (strcmp(NFT_STR(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE)), TABLE_NAME))
		return;
	id = name_index(chain_names, CHAIN_COUNT, name);
	if (id >= 0 && chain_shaped_as((enum chain_id)id, c))
		view->chains |= 1U << id;
	else
		add_foreign(view, OP_CHAIN, 0, name, id >= 0);
}

static void note_set(const struct nftnl_set *set, void *data)
{
	struct table_view *view = ((struct view_ctx *)data)->view;
	const char *name = NFT_STR(nftnl_set_get_str(set, NFTNL_SET_NAME));
	int id = name_index(set_names, SET_COUNT, name);

	if (id < 0 || !set_shaped_as((enum set_id)id, set)) {
		add_foreign(view, OP_SET, 0, name, id >= 0);
		return;
	}
	view->sets |= 1U << id;
	if (nftnl_set_is_set(set, NFTNL_SET_TIMEOUT)) {
		view->dynamic[id].timeout_ms = nftnl_set_get_u64(set, NFTNL_SET_TIMEOUT);
		view->dynamic[id].size = nftnl_set_get_u32(set, NFTNL_SET_DESC_SIZE);
	}
}

static void note_counter(struct table_view *view, struct nftnl_obj *o)
{
	const char *name = NFT_STR(nftnl_obj_get_str(o, NFTNL_OBJ_NAME));
	size_t n = strlen(name);

	snprintf(view->counters[view->ncounters++], COUNTER_NAME_MAX, "%s", name);
	if (n > 9 && !strcmp(name + n - 9, "_attempts"))
		view->attempts += nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
}

static void note_object(struct nftnl_obj *o, void *data)
{
	struct table_view *view = ((struct view_ctx *)data)->view;

	if (nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE) != NFT_OBJECT_COUNTER)
		add_foreign(view, OP_OBJ, nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE),
			    NFT_STR(nftnl_obj_get_str(o, NFTNL_OBJ_NAME)), false);
	else if (view->ncounters < VIEW_MAX_COUNTERS)
		note_counter(view, o);
	else
		view->overflow = true;
}

int view_read(struct nft_sock *s, struct table_view *view, uint32_t *genid,
	      struct errmsg *e)
{
	struct view_ctx ctx = { .view = view };
	const struct nft_handlers h = { .gen = note_gen, .table = note_table, .data = &ctx };
	int err;

	memset(view, 0, sizeof(*view));
	err = nft_get_table(s, TABLE_NAME, &h, e);
	*genid = ctx.genid;
	if (err || !view->exists || !view->ours)
		return err;
	err = nft_dump_chains(s, NFPROTO_INET, note_chain, &ctx, e);
	if (!err)
		err = nft_dump_sets(s, TABLE_NAME, note_set, &ctx, e);
	if (!err)
		err = nft_dump_objects(s, TABLE_NAME, NFT_OBJECT_UNSPEC, note_object, &ctx, e);
	return err;
}

int view_from_replies(const void *buf, size_t len, struct table_view *view,
		      struct errmsg *e)
{
	struct view_ctx ctx = { .view = view };
	const struct nft_handlers h = {
		.gen = note_gen, .table = note_table, .chain = note_chain, .set = note_set,
		.obj = note_object, .data = &ctx,
	};

	memset(view, 0, sizeof(*view));
	return nft_replies_run(buf, len, &h, e);
}
