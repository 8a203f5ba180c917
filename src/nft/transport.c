// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The nftables netlink socket: requests, dumps and the batch transaction.
 * Every message of a batch carries its own sequence number and asks for an
 * ACK, so an error comes back tied to the object it is about; with
 * NETLINK_EXT_ACK the kernel also says why and points at the attribute,
 * which we turn back into the expression it belongs to.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "kernel/netlink.h"
#include "nft/transport.h"
#include "nft/objects.h"

#ifndef ERESTART
#define ERESTART 85
#endif

#define RECV_BUF_SIZE (64 * 1024)
#define BATCH_BUF_SIZE (256 * 1024)
#define REQ_BUF_SIZE 8192

int nft_open(struct nft_sock *s, struct errmsg *e)
{
	const struct timeval timeout = { .tv_sec = 30 };
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!s->nl)
		return errmsg_set(e, -errno, "cannot open a netfilter netlink socket: %s",
				  strerror(errno));
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;

		mnl_socket_close(s->nl);
		s->nl = NULL;
		return errmsg_set(e, -err, "cannot bind the netlink socket: %s", strerror(err));
	}
	/* extended ACKs say why; capped ACKs do not echo our whole batch back */
	mnl_socket_setsockopt(s->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	/* the kernel always answers; if it ever did not, fail instead of hanging */
	setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	s->seq = (uint32_t)time(NULL);
	return 0;
}

void nft_close(struct nft_sock *s)
{
	if (s->nl)
		mnl_socket_close(s->nl);
	s->nl = NULL;
}

/* ---- one exchange: requests out, replies in until each has its last word ---- */

struct exchange {
	uint32_t first_seq;		/* requests first_seq .. first_seq + count - 1 */
	unsigned int count;
	uint32_t final_seq;		/* with a batch: the one message that asks for an ACK */
	bool final_only;
	uint32_t begin_seq;		/* a batch's BEGIN: its error ends everything */
	bool has_begin;
	unsigned int finished;
	int error;			/* the first error, negative errno */
	uint32_t error_seq;
	struct nl_ext_ack ext;
	int (*on_data)(const struct nlmsghdr *nlh, void *data);
	void *data;
};

static bool in_exchange(const struct exchange *x, uint32_t seq)
{
	return seq - x->first_seq < x->count;
}

static void record_error(struct exchange *x, const struct nlmsghdr *nlh, int error)
{
	if (x->error)
		return;
	if (error >= 0 || error < -4095)	/* not an errno: a garbled reply */
		error = -EPROTO;
	x->error = error;
	x->error_seq = nlh->nlmsg_seq;
	if (nlh->nlmsg_type == NLMSG_ERROR)
		nl_parse_ext_ack(nlh, &x->ext);
}

static int handle_error_msg(const struct nlmsghdr *nlh, struct exchange *x)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err)))
		return -EBADMSG;
	if (x->has_begin && nlh->nlmsg_seq == x->begin_seq && err->error) {
		record_error(x, nlh, err->error);
		x->finished = x->count;	/* the batch as a whole failed */
		return 0;
	}
	if (!in_exchange(x, nlh->nlmsg_seq))
		return 0;		/* a late reply to something earlier */
	if (err->error)
		record_error(x, nlh, err->error);
	if (x->final_only)
		x->finished = nlh->nlmsg_seq == x->final_seq ? x->count : x->finished;
	else
		x->finished++;
	return 0;
}

static int handle_msg(const struct nlmsghdr *nlh, struct exchange *x)
{
	if (nlh->nlmsg_type == NLMSG_ERROR)
		return handle_error_msg(nlh, x);
	if (nlh->nlmsg_type == NLMSG_DONE) {
		/* a dump that failed on the way ends with its errno here */
		if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
			int err = *(const int *)mnl_nlmsg_get_payload(nlh);

			if (err < 0)
				record_error(x, nlh, err);
		}
		if (in_exchange(x, nlh->nlmsg_seq))
			x->finished++;
		return 0;
	}
	if (nlh->nlmsg_type == NLMSG_NOOP || !in_exchange(x, nlh->nlmsg_seq))
		return 0;
	return x->on_data ? x->on_data(nlh, x->data) : 0;
}

static int exchange_run(struct nft_sock *s, const void *req, size_t len, struct exchange *x)
{
	static char buf[RECV_BUF_SIZE];
	ssize_t n;

	if (mnl_socket_sendto(s->nl, req, len) < 0)
		return -errno;
	s->round_trips++;
	while (x->finished < x->count) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int len_left;

		n = mnl_socket_recvfrom(s->nl, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		for (len_left = (int)n; nlmsg_whole(nlh, len_left);
		     nlh = mnl_nlmsg_next(nlh, &len_left)) {
			int err = handle_msg(nlh, x);

			if (err)
				return err;
		}
	}
	return 0;
}

static void exchange_init(struct exchange *x, uint32_t first_seq, unsigned int count,
			  int (*on_data)(const struct nlmsghdr *, void *), void *data)
{
	memset(x, 0, sizeof(*x));
	x->first_seq = first_seq;
	x->count = count;
	x->on_data = on_data;
	x->data = data;
}

/* ---- errors in words ---- */

/* Which expression of a rule message the kernel's attribute offset is in. */
static bool expr_at_offset(const struct nlmsghdr *nlh, uint32_t offset, char *name,
			   size_t len, unsigned int *index)
{
	const struct nlattr *attr, *elem, *a;

	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(attr) != NFTA_RULE_EXPRESSIONS)
			continue;
		*index = 0;
		mnl_attr_for_each_nested(elem, attr) {
			uint32_t start = (uint32_t)((const char *)elem - (const char *)nlh);

			(*index)++;
			if (offset < start || offset >= start + elem->nla_len)
				continue;
			mnl_attr_for_each_nested(a, elem)
				if (mnl_attr_get_type(a) == NFTA_EXPR_NAME &&
				    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
					snprintf(name, len, "%s", mnl_attr_get_str(a));
			return true;
		}
	}
	return false;
}

static const char *errno_words(int err, uint16_t msg, bool in_expr)
{
	switch (err) {
	case EPERM:
		return "permission denied (redirect needs CAP_NET_ADMIN)";
	case ENOENT:
		if (in_expr)
			return "this kernel lacks the module for it";
		return msg == NFT_MSG_DELTABLE ? "it does not exist"
					       : "something it refers to does not exist";
	case EOPNOTSUPP:
		return "this kernel does not support it";
	case EEXIST:
		return "it already exists in a different form (another program made it?)";
	case EBUSY:
		return "it is in use";
	case ENOMEM:
		return "the kernel is out of memory";
	case ENOSPC:
	case ENFILE:
		return "a kernel limit was reached";
	case ELOOP:
		return "the chains would jump in a loop";
	case ERESTART:
		return "the ruleset changed while redirect was working; run it again";
	case EINVAL:
		return "the kernel found it invalid";
	default:
		return strerror(err);
	}
}

static void explain_batch_error(const struct ops *ops, const struct exchange *x,
				const struct nlmsghdr *const *msgs, struct errmsg *e)
{
	int err = -x->error;
	char expr_name[32] = "";
	unsigned int index = 0;
	const struct op *op = NULL;
	bool in_expr = false;
	size_t used;

	if (in_exchange(x, x->error_seq))
		op = &ops->v[x->error_seq - x->first_seq];
	if (op && op->object == OP_RULE && x->ext.has_offset)
		in_expr = expr_at_offset(msgs[x->error_seq - x->first_seq], x->ext.offset,
					 expr_name, sizeof(expr_name), &index);
	if (op)
		errmsg_set(e, x->error, "the kernel refused %s: %s", op->what,
			   errno_words(err, op->msg, in_expr));
	else
		errmsg_set(e, x->error, "the kernel refused the transaction: %s",
			   errno_words(err, 0, false));
	used = strlen(e->text);
	if (in_expr)
		used += (size_t)snprintf(e->text + used, sizeof(e->text) - used,
					 " (expression %u, '%s')", index, expr_name);
	if (x->ext.msg[0] && used < sizeof(e->text))
		snprintf(e->text + used, sizeof(e->text) - used, "; kernel says: %s", x->ext.msg);
}

/* ---- the batch ---- */

static struct nlmsghdr *batch_begin(struct mnl_nlmsg_batch *b, uint32_t seq, uint32_t genid)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b));
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = NFNL_MSG_BATCH_BEGIN;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(NFNL_SUBSYS_NFTABLES);
	if (genid)
		mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
	return nlh;
}

static void op_payload(struct nlmsghdr *nlh, const struct op *op)
{
	switch (op->object) {
	case OP_TABLE: nftnl_table_nlmsg_build_payload(nlh, op->nftnl); break;
	case OP_CHAIN: nftnl_chain_nlmsg_build_payload(nlh, op->nftnl); break;
	case OP_RULE: nftnl_rule_nlmsg_build_payload(nlh, op->nftnl); break;
	case OP_SET: nftnl_set_nlmsg_build_payload(nlh, op->nftnl); break;
	case OP_ELEMS: nftnl_set_elems_nlmsg_build_payload(nlh, op->nftnl); break;
	case OP_OBJ: nftnl_obj_nlmsg_build_payload(nlh, op->nftnl); break;
	}
}

/*
 * The kernel reports an error for any message of a batch, asked or not,
 * and delivers them in order after the whole batch; so only the last
 * message asks for an ACK, which then closes the exchange: one reply to
 * read instead of one per message.
 */
static int batch_fill(struct mnl_nlmsg_batch *b, const struct ops *ops, uint32_t first_seq,
		      const struct nlmsghdr **msgs)
{
	unsigned int i;

	for (i = 0; i < ops->n; i++) {
		const struct op *op = &ops->v[i];
		uint16_t ack = i + 1 == ops->n ? NLM_F_ACK : 0;
		struct nlmsghdr *nlh;

		nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), op->msg, NFPROTO_INET,
					    op->flags | ack, first_seq + i);
		op_payload(nlh, op);
		msgs[i] = nlh;
		if (!mnl_nlmsg_batch_next(b))
			return -E2BIG;
	}
	return 0;
}

int nft_commit(struct nft_sock *s, const struct ops *ops, uint32_t genid, bool dry_run,
	       struct errmsg *e)
{
	const struct nlmsghdr **msgs = calloc(ops->n + 1, sizeof(*msgs));
	/* zeroed: nftnl_nlmsg_build_hdr() leaves nlmsg_pid as it finds it */
	char *buf = calloc(1, BATCH_BUF_SIZE);
	struct mnl_nlmsg_batch *b = NULL;
	struct exchange x;
	uint32_t begin = s->seq++, first = s->seq;
	int err = -ENOMEM;

	s->seq += ops->n + 1;
	if (!msgs || !buf || !(b = mnl_nlmsg_batch_start(buf, BATCH_BUF_SIZE)))
		goto out;
	batch_begin(b, begin, genid);
	mnl_nlmsg_batch_next(b);
	err = batch_fill(b, ops, first, msgs);
	if (err) {
		errmsg_set(e, err, "the transaction is too large for one batch");
		goto out;
	}
	if (!dry_run) {
		nftnl_batch_end(mnl_nlmsg_batch_current(b), first + ops->n);
		mnl_nlmsg_batch_next(b);
	}
	exchange_init(&x, first, ops->n, NULL, NULL);
	x.begin_seq = begin;
	x.has_begin = true;
	x.final_only = true;
	x.final_seq = first + ops->n - 1;
	err = exchange_run(s, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b), &x);
	if (err)
		errmsg_set(e, err, "talking to the kernel failed: %s", strerror(-err));
	else if ((err = x.error))
		explain_batch_error(ops, &x, msgs, e);
out:
	if (err == -ENOMEM && !e->text[0])
		errmsg_set(e, err, "out of memory");
	if (b)
		mnl_nlmsg_batch_stop(b);
	free(buf);
	free(msgs);
	return err;
}

/* ---- reading ---- */

static struct nlmsghdr *request(char *buf, uint16_t type, uint16_t flags, uint32_t seq)
{
	return nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, NLM_F_REQUEST | flags, seq);
}

static int dump(struct nft_sock *s, char *buf, struct nlmsghdr *nlh,
		int (*on_data)(const struct nlmsghdr *, void *), void *data, int *kernel_err)
{
	struct exchange x;
	int err;

	exchange_init(&x, nlh->nlmsg_seq, 1, on_data, data);
	err = exchange_run(s, buf, nlh->nlmsg_len, &x);
	*kernel_err = x.error;
	return err;
}

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

static int gen_or_table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct view_ctx *ctx = data;
	const struct nlattr *attr;
	struct nftnl_table *t;

	if (nft_is_reply(nlh, NFT_MSG_NEWGEN)) {
		mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg))
			if (mnl_attr_get_type(attr) == NFTA_GEN_ID &&
			    mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				ctx->genid = ntohl(mnl_attr_get_u32(attr));
		return 0;
	}
	if (!nft_is_reply(nlh, NFT_MSG_NEWTABLE))
		return 0;
	t = nftnl_table_alloc();
	if (!t)
		return -ENOMEM;
	if (nftnl_table_nlmsg_parse(nlh, t) == 0 &&
	    !strcmp(NFT_STR(nftnl_table_get_str(t, NFTNL_TABLE_NAME)), TABLE_NAME)) {
		ctx->view->exists = true;
		ctx->view->ours = comment_is_ours(t);
	}
	nftnl_table_free(t);
	return 0;
}

static int name_index(const char *const *names, unsigned int n, const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return (int)i;
	return -1;
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
	struct nftnl_chain *ours = ruleset_chain(id);
	char want[SHAPE_MAX], got[SHAPE_MAX];

	chain_shape(ours, want, sizeof(want));
	chain_shape(c, got, sizeof(got));
	nftnl_chain_free(ours);
	return !strcmp(want, got);
}

static bool set_shaped_as(enum set_id id, const struct nftnl_set *s)
{
	struct nftnl_set *ours = ruleset_set_shape(id);
	char want[SHAPE_MAX], got[SHAPE_MAX];

	set_shape(ours, want, sizeof(want));
	set_shape(s, got, sizeof(got));
	nftnl_set_free(ours);
	return !strcmp(want, got);
}

static int chain_view_cb(const struct nlmsghdr *nlh, void *data)
{
	struct table_view *view = data;
	const char *name;
	struct nftnl_chain *c;
	int id;

	if (!nft_is_reply(nlh, NFT_MSG_NEWCHAIN))
		return 0;
	c = nftnl_chain_alloc();
	if (!c)
		return -ENOMEM;
	if (nftnl_chain_nlmsg_parse(nlh, c) == 0 &&
	    !strcmp(NFT_STR(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE)), TABLE_NAME)) {
		name = NFT_STR(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
		id = name_index(chain_names, CHAIN_COUNT, name);
		if (id >= 0 && chain_shaped_as((enum chain_id)id, c))
			view->chains |= 1U << id;
		else
			add_foreign(view, OP_CHAIN, 0, name, id >= 0);
	}
	nftnl_chain_free(c);
	return 0;
}

static int set_view_cb(const struct nlmsghdr *nlh, void *data)
{
	struct table_view *view = data;
	const char *name;
	struct nftnl_set *set;
	int id;

	if (!nft_is_reply(nlh, NFT_MSG_NEWSET))
		return 0;
	set = nftnl_set_alloc();
	if (!set)
		return -ENOMEM;
	if (nftnl_set_nlmsg_parse(nlh, set) == 0) {
		name = NFT_STR(nftnl_set_get_str(set, NFTNL_SET_NAME));
		id = name_index(set_names, SET_COUNT, name);
		if (id < 0 || !set_shaped_as((enum set_id)id, set)) {
			add_foreign(view, OP_SET, 0, name, id >= 0);
			id = -1;
		}
		if (id >= 0)
			view->sets |= 1U << id;
		if (id >= 0 && nftnl_set_is_set(set, NFTNL_SET_TIMEOUT)) {
			view->dynamic[id].timeout_ms = nftnl_set_get_u64(set, NFTNL_SET_TIMEOUT);
			view->dynamic[id].size = nftnl_set_get_u32(set, NFTNL_SET_DESC_SIZE);
		}
	}
	nftnl_set_free(set);
	return 0;
}

static void note_counter(struct table_view *view, struct nftnl_obj *o)
{
	const char *name = NFT_STR(nftnl_obj_get_str(o, NFTNL_OBJ_NAME));
	size_t n = strlen(name);

	snprintf(view->counters[view->ncounters++], COUNTER_NAME_MAX, "%s", name);
	if (n > 9 && !strcmp(name + n - 9, "_attempts"))
		view->attempts += nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
}

static int object_view_cb(const struct nlmsghdr *nlh, void *data)
{
	struct table_view *view = data;
	struct nftnl_obj *o;

	if (!nft_is_reply(nlh, NFT_MSG_NEWOBJ))
		return 0;
	o = nftnl_obj_alloc();
	if (!o)
		return -ENOMEM;
	if (nftnl_obj_nlmsg_parse(nlh, o) != 0)
		;
	else if (nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE) != NFT_OBJECT_COUNTER)
		add_foreign(view, OP_OBJ, nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE),
			    NFT_STR(nftnl_obj_get_str(o, NFTNL_OBJ_NAME)), false);
	else if (view->ncounters < VIEW_MAX_COUNTERS)
		note_counter(view, o);
	else
		view->overflow = true;
	nftnl_obj_free(o);
	return 0;
}

static struct nlmsghdr *table_get(char *buf, uint32_t seq)
{
	struct nlmsghdr *nlh = request(buf, NFT_MSG_GETTABLE, NLM_F_ACK, seq);

	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, TABLE_NAME);
	return nlh;
}

/* GETGEN and GETTABLE travel together: one round trip. */
static int read_table(struct nft_sock *s, struct view_ctx *ctx, struct errmsg *e)
{
	static char buf[2 * REQ_BUF_SIZE];
	struct nlmsghdr *gen, *tab;
	struct exchange x;
	uint32_t first = s->seq;
	int err;

	s->seq += 2;
	gen = request(buf, NFT_MSG_GETGEN, NLM_F_ACK, first);
	tab = table_get((char *)gen + NLMSG_ALIGN(gen->nlmsg_len), first + 1);
	exchange_init(&x, first, 2, gen_or_table_cb, ctx);
	err = exchange_run(s, buf, NLMSG_ALIGN(gen->nlmsg_len) + tab->nlmsg_len, &x);
	if (err)
		return errmsg_set(e, err, "cannot read the ruleset: %s", strerror(-err));
	if (x.error && !(x.error == -ENOENT && x.error_seq == first + 1))
		return errmsg_set(e, x.error, "cannot read the ruleset: %s",
				  errno_words(-x.error, NFT_MSG_GETTABLE, false));
	return 0;
}

static int dump_checked(struct nft_sock *s, char *buf, struct nlmsghdr *nlh,
			int (*cb)(const struct nlmsghdr *, void *), void *data,
			const char *what, struct errmsg *e)
{
	int kerr = 0, err = dump(s, buf, nlh, cb, data, &kerr);

	if (!err && kerr && kerr != -ENOENT)
		err = kerr;
	if (err)
		return errmsg_set(e, err, "cannot list %s: %s", what,
				  errno_words(-err, 0, false));
	return 0;
}

static int dump_chains_of(struct nft_sock *s, int (*cb)(const struct nlmsghdr *, void *),
			  void *data, uint16_t family, struct errmsg *e)
{
	static char buf[REQ_BUF_SIZE];
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, family,
						     NLM_F_REQUEST | NLM_F_DUMP, s->seq++);

	return dump_checked(s, buf, nlh, cb, data, "chains", e);
}

static int dump_table_sets(struct nft_sock *s, struct table_view *view, struct errmsg *e)
{
	static char buf[REQ_BUF_SIZE];
	struct nlmsghdr *nlh = request(buf, NFT_MSG_GETSET, NLM_F_DUMP, s->seq++);

	mnl_attr_put_strz(nlh, NFTA_SET_TABLE, TABLE_NAME);
	return dump_checked(s, buf, nlh, set_view_cb, view, "sets", e);
}

/* The objects of our table: @type alone (NFT_OBJECT_UNSPEC: all of them). */
static int dump_table_objects(struct nft_sock *s, uint32_t type,
			      int (*cb)(const struct nlmsghdr *, void *), void *data,
			      struct errmsg *e)
{
	static char buf[REQ_BUF_SIZE];
	struct nlmsghdr *nlh = request(buf, NFT_MSG_GETOBJ, NLM_F_DUMP, s->seq++);

	mnl_attr_put_strz(nlh, NFTA_OBJ_TABLE, TABLE_NAME);
	if (type != NFT_OBJECT_UNSPEC)
		mnl_attr_put_u32(nlh, NFTA_OBJ_TYPE, htonl(type));
	return dump_checked(s, buf, nlh, cb, data, "counters", e);
}

int nft_read_table(struct nft_sock *s, struct table_view *view, uint32_t *genid,
		   struct errmsg *e)
{
	struct view_ctx ctx = { .view = view };
	int err;

	memset(view, 0, sizeof(*view));
	err = read_table(s, &ctx, e);
	*genid = ctx.genid;
	return err;
}

int nft_read_sets(struct nft_sock *s, struct table_view *view, struct errmsg *e)
{
	return dump_table_sets(s, view, e);
}

int nft_read_view(struct nft_sock *s, struct table_view *view, uint32_t *genid,
		  struct errmsg *e)
{
	struct view_ctx ctx = { .view = view };
	int err;

	memset(view, 0, sizeof(*view));
	err = read_table(s, &ctx, e);
	*genid = ctx.genid;
	if (err || !view->exists || !view->ours)
		return err;
	err = dump_chains_of(s, chain_view_cb, view, NFPROTO_INET, e);
	if (!err)
		err = dump_table_sets(s, view, e);
	if (!err)
		err = dump_table_objects(s, NFT_OBJECT_UNSPEC, object_view_cb, view, e);
	return err;
}

/* ---- dumps for stats and the pre-flight ---- */

struct counter_ctx {
	nft_counter_cb cb;
	void *data;
};

static int counter_cb(const struct nlmsghdr *nlh, void *data)
{
	struct counter_ctx *ctx = data;
	struct nftnl_obj *o;

	if (!nft_is_reply(nlh, NFT_MSG_NEWOBJ))
		return 0;
	o = nftnl_obj_alloc();
	if (!o)
		return -ENOMEM;
	if (nftnl_obj_nlmsg_parse(nlh, o) == 0 &&
	    nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE) == NFT_OBJECT_COUNTER)
		ctx->cb(NFT_STR(nftnl_obj_get_str(o, NFTNL_OBJ_NAME)),
			nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS),
			nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_BYTES), ctx->data);
	nftnl_obj_free(o);
	return 0;
}

int nft_dump_counters(struct nft_sock *s, nft_counter_cb cb, void *data, struct errmsg *e)
{
	struct counter_ctx ctx = { cb, data };

	return dump_table_objects(s, NFT_OBJECT_COUNTER, counter_cb, &ctx, e);
}

struct elem_ctx {
	nft_elem_cb cb;
	void *data;
};

/* Elements are handed over one message at a time: memory stays flat. */
static int elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct elem_ctx *ctx = data;
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *el;
	struct nftnl_set *set;

	if (!nft_is_reply(nlh, NFT_MSG_NEWSETELEM))
		return 0;
	set = nftnl_set_alloc();
	if (!set)
		return -ENOMEM;
	if (nftnl_set_elems_nlmsg_parse(nlh, set) == 0 &&
	    (it = nftnl_set_elems_iter_create(set))) {
		for (el = nftnl_set_elems_iter_next(it); el; el = nftnl_set_elems_iter_next(it))
			ctx->cb(el, ctx->data);
		nftnl_set_elems_iter_destroy(it);
	}
	nftnl_set_free(set);
	return 0;
}

int nft_dump_elems(struct nft_sock *s, const char *set_name, nft_elem_cb cb, void *data,
		   struct errmsg *e)
{
	static char buf[REQ_BUF_SIZE];
	struct nlmsghdr *nlh = request(buf, NFT_MSG_GETSETELEM, NLM_F_DUMP, s->seq++);
	struct elem_ctx ctx = { cb, data };
	struct nftnl_set *set = nftnl_set_alloc();

	if (!set)
		return errmsg_set(e, -ENOMEM, "out of memory");
	nftnl_set_set_str(set, NFTNL_SET_TABLE, TABLE_NAME);
	nftnl_set_set_str(set, NFTNL_SET_NAME, set_name);
	nftnl_set_elems_nlmsg_build_payload(nlh, set);
	nftnl_set_free(set);
	return dump_checked(s, buf, nlh, elem_cb, &ctx, "set elements", e);
}

struct chain_ctx {
	nft_chain_cb cb;
	void *data;
};

static int any_chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct chain_ctx *ctx = data;
	struct nftnl_chain *c;

	if (!nft_is_reply(nlh, NFT_MSG_NEWCHAIN))
		return 0;
	c = nftnl_chain_alloc();
	if (!c)
		return -ENOMEM;
	if (nftnl_chain_nlmsg_parse(nlh, c) == 0)
		ctx->cb(c, ctx->data);
	nftnl_chain_free(c);
	return 0;
}

int nft_dump_chains(struct nft_sock *s, nft_chain_cb cb, void *data, struct errmsg *e)
{
	struct chain_ctx ctx = { cb, data };

	return dump_chains_of(s, any_chain_cb, &ctx, NFPROTO_UNSPEC, e);
}

struct rule_ctx {
	nft_rule_cb cb;
	void *data;
};

static int any_rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rule_ctx *ctx = data;
	struct nftnl_rule *r;

	if (!nft_is_reply(nlh, NFT_MSG_NEWRULE))
		return 0;
	r = nftnl_rule_alloc();
	if (!r)
		return -ENOMEM;
	if (nftnl_rule_nlmsg_parse(nlh, r) == 0)
		ctx->cb(r, ctx->data);
	nftnl_rule_free(r);
	return 0;
}

int nft_dump_rules(struct nft_sock *s, uint32_t family, const char *table, const char *chain,
		   nft_rule_cb cb, void *data, struct errmsg *e)
{
	static char buf[REQ_BUF_SIZE];
	struct rule_ctx ctx = { cb, data };
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, (uint16_t)family,
						     NLM_F_REQUEST | NLM_F_DUMP, s->seq++);

	if (table)
		mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, table);
	if (chain)
		mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, chain);
	return dump_checked(s, buf, nlh, any_rule_cb, &ctx, "rules", e);
}

/* Any reply of the view dumps, routed to its parser by message type. */
static int any_view_reply(const struct nlmsghdr *nlh, void *data)
{
	struct view_ctx *ctx = data;

	switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
	case NFT_MSG_NEWGEN:
	case NFT_MSG_NEWTABLE: return gen_or_table_cb(nlh, ctx);
	case NFT_MSG_NEWCHAIN: return chain_view_cb(nlh, ctx->view);
	case NFT_MSG_NEWSET: return set_view_cb(nlh, ctx->view);
	case NFT_MSG_NEWOBJ: return object_view_cb(nlh, ctx->view);
	default: return 0;
	}
}

int nft_handle_replies(const void *buf, size_t len, struct table_view *view, struct errmsg *e)
{
	struct view_ctx ctx = { .view = view };
	const struct nlmsghdr *nlh = buf;
	int left = (int)len, err = 0;
	struct exchange x;

	memset(view, 0, sizeof(*view));
	exchange_init(&x, 1, 64, any_view_reply, &ctx);
	x.begin_seq = 0;
	x.has_begin = true;
	for (; !err && nlmsg_whole(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
		err = handle_msg(nlh, &x);
	if (!err && x.error)
		err = errmsg_set(e, x.error, "%s", errno_words(-x.error, 0, false));
	return err;
}

int nft_elems_from_msg(const struct nlmsghdr *nlh, nft_elem_cb cb, void *data)
{
	struct elem_ctx ctx = { cb, data };

	return elem_cb(nlh, &ctx);
}
