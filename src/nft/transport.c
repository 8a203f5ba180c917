// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The nftables netlink socket: requests, dumps and the batch transaction,
 * with libnftnl building and parsing the messages (as nftables' mnl.c
 * does). It knows nothing of our table: what to ask for and what the
 * replies mean are the callers' (nft/view.c, nft/drift.c, ...).
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
	s->buf = malloc(RECV_BUF_SIZE);
	if (!s->buf)
		return errmsg_set(e, -ENOMEM, "out of memory");
	s->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!s->nl) {
		int err = errno;

		nft_close(s);
		return errmsg_set(e, -err, "cannot open a netfilter netlink socket: %s",
				  strerror(err));
	}
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;

		nft_close(s);
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
	free(s->buf);
	s->buf = NULL;
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
	ssize_t n;

	if (mnl_socket_sendto(s->nl, req, len) < 0)
		return -errno;
	while (x->finished < x->count) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)s->buf;
		int len_left;

		n = mnl_socket_recvfrom(s->nl, s->buf, RECV_BUF_SIZE);
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

/* ---- reading: each reply parsed by libnftnl and handed over ---- */

static struct nlmsghdr *request(char *buf, uint16_t type, uint16_t family, uint16_t flags,
				uint32_t seq)
{
	return nftnl_nlmsg_build_hdr(buf, type, family, NLM_F_REQUEST | flags, seq);
}

static int parse_gen(const struct nlmsghdr *nlh, const struct nft_handlers *h)
{
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(attr) == NFTA_GEN_ID &&
		    mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			h->gen(ntohl(mnl_attr_get_u32(attr)), h->data);
	return 0;
}

static int parse_table(const struct nlmsghdr *nlh, const struct nft_handlers *h)
{
	struct nftnl_table *t = nftnl_table_alloc();

	if (!t)
		return -ENOMEM;
	if (nftnl_table_nlmsg_parse(nlh, t) == 0)
		h->table(t, h->data);
	nftnl_table_free(t);
	return 0;
}

static int parse_chain(const struct nlmsghdr *nlh, const struct nft_handlers *h)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c)
		return -ENOMEM;
	if (nftnl_chain_nlmsg_parse(nlh, c) == 0)
		h->chain(c, h->data);
	nftnl_chain_free(c);
	return 0;
}

static int parse_set(const struct nlmsghdr *nlh, const struct nft_handlers *h)
{
	struct nftnl_set *set = nftnl_set_alloc();

	if (!set)
		return -ENOMEM;
	if (nftnl_set_nlmsg_parse(nlh, set) == 0)
		h->set(set, h->data);
	nftnl_set_free(set);
	return 0;
}

static int parse_obj(const struct nlmsghdr *nlh, const struct nft_handlers *h)
{
	struct nftnl_obj *o = nftnl_obj_alloc();

	if (!o)
		return -ENOMEM;
	if (nftnl_obj_nlmsg_parse(nlh, o) == 0)
		h->obj(o, h->data);
	nftnl_obj_free(o);
	return 0;
}

static int parse_rule(const struct nlmsghdr *nlh, const struct nft_handlers *h)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		return -ENOMEM;
	if (nftnl_rule_nlmsg_parse(nlh, r) == 0)
		h->rule(r, h->data);
	nftnl_rule_free(r);
	return 0;
}

/* Elements are handed over one message at a time: memory stays flat. */
static int parse_elems(const struct nlmsghdr *nlh, const struct nft_handlers *h)
{
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *el;
	struct nftnl_set *set = nftnl_set_alloc();

	if (!set)
		return -ENOMEM;
	if (nftnl_set_elems_nlmsg_parse(nlh, set) == 0 &&
	    (it = nftnl_set_elems_iter_create(set))) {
		for (el = nftnl_set_elems_iter_next(it); el; el = nftnl_set_elems_iter_next(it))
			h->elem(el, h->data);
		nftnl_set_elems_iter_destroy(it);
	}
	nftnl_set_free(set);
	return 0;
}

/* A reply of the nftables subsystem, to the handler of its kind (if it has one). */
static int parse_reply(const struct nlmsghdr *nlh, void *data)
{
	const struct nft_handlers *h = data;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return 0;
	switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
	case NFT_MSG_NEWGEN: return h->gen ? parse_gen(nlh, h) : 0;
	case NFT_MSG_NEWTABLE: return h->table ? parse_table(nlh, h) : 0;
	case NFT_MSG_NEWCHAIN: return h->chain ? parse_chain(nlh, h) : 0;
	case NFT_MSG_NEWSET: return h->set ? parse_set(nlh, h) : 0;
	case NFT_MSG_NEWOBJ: return h->obj ? parse_obj(nlh, h) : 0;
	case NFT_MSG_NEWRULE: return h->rule ? parse_rule(nlh, h) : 0;
	case NFT_MSG_NEWSETELEM: return h->elem ? parse_elems(nlh, h) : 0;
	default: return 0;
	}
}

static struct nlmsghdr *table_get(char *buf, const char *table, uint32_t seq)
{
	struct nlmsghdr *nlh = request(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, seq);

	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, table);
	return nlh;
}

/* GETGEN and GETTABLE travel together: one round trip. */
int nft_get_table(struct nft_sock *s, const char *table, const struct nft_handlers *h,
		   struct errmsg *e)
{
	char buf[2 * REQ_BUF_SIZE] = { 0 };
	struct nlmsghdr *gen, *tab;
	struct exchange x;
	uint32_t first = s->seq;
	int err;

	s->seq += 2;
	gen = request(buf, NFT_MSG_GETGEN, NFPROTO_INET, NLM_F_ACK, first);
	tab = table_get((char *)gen + NLMSG_ALIGN(gen->nlmsg_len), table, first + 1);
	exchange_init(&x, first, 2, parse_reply, (void *)h);
	err = exchange_run(s, buf, NLMSG_ALIGN(gen->nlmsg_len) + tab->nlmsg_len, &x);
	if (err)
		return errmsg_set(e, err, "cannot read the ruleset: %s", strerror(-err));
	if (x.error && !(x.error == -ENOENT && x.error_seq == first + 1))
		return errmsg_set(e, x.error, "cannot read the ruleset: %s",
				  errno_words(-x.error, NFT_MSG_GETTABLE, false));
	return 0;
}

/* One dump request to its end; a table or set that is not there dumps as empty. */
static int dump(struct nft_sock *s, char *buf, struct nlmsghdr *nlh,
		const struct nft_handlers *h, const char *what, struct errmsg *e)
{
	struct exchange x;
	int err;

	exchange_init(&x, nlh->nlmsg_seq, 1, parse_reply, (void *)h);
	err = exchange_run(s, buf, nlh->nlmsg_len, &x);
	if (!err && x.error && x.error != -ENOENT)
		err = x.error;
	if (err)
		return errmsg_set(e, err, "cannot list %s: %s", what, errno_words(-err, 0, false));
	return 0;
}

int nft_dump_chains(struct nft_sock *s, uint16_t family, nft_chain_cb cb, void *data,
		    struct errmsg *e)
{
	const struct nft_handlers h = { .chain = cb, .data = data };
	char buf[REQ_BUF_SIZE] = { 0 };
	struct nlmsghdr *nlh = request(buf, NFT_MSG_GETCHAIN, family, NLM_F_DUMP, s->seq++);

	return dump(s, buf, nlh, &h, "chains", e);
}

int nft_dump_sets(struct nft_sock *s, const char *table, nft_set_cb cb, void *data,
		  struct errmsg *e)
{
	const struct nft_handlers h = { .set = cb, .data = data };
	char buf[REQ_BUF_SIZE] = { 0 };
	struct nlmsghdr *nlh = request(buf, NFT_MSG_GETSET, NFPROTO_INET, NLM_F_DUMP, s->seq++);

	mnl_attr_put_strz(nlh, NFTA_SET_TABLE, table);
	return dump(s, buf, nlh, &h, "sets", e);
}

int nft_dump_objects(struct nft_sock *s, const char *table, uint32_t type, nft_obj_cb cb,
		     void *data, struct errmsg *e)
{
	const struct nft_handlers h = { .obj = cb, .data = data };
	char buf[REQ_BUF_SIZE] = { 0 };
	struct nlmsghdr *nlh = request(buf, NFT_MSG_GETOBJ, NFPROTO_INET, NLM_F_DUMP, s->seq++);

	mnl_attr_put_strz(nlh, NFTA_OBJ_TABLE, table);
	if (type != NFT_OBJECT_UNSPEC)
		mnl_attr_put_u32(nlh, NFTA_OBJ_TYPE, htonl(type));
	return dump(s, buf, nlh, &h, "counters", e);
}

struct counter_ctx {
	nft_counter_cb cb;
	void *data;
};

static void counter_of(struct nftnl_obj *o, void *data)
{
	struct counter_ctx *ctx = data;

	if (nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE) == NFT_OBJECT_COUNTER)
		ctx->cb(NFT_STR(nftnl_obj_get_str(o, NFTNL_OBJ_NAME)),
			nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS),
			nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_BYTES), ctx->data);
}

int nft_dump_counters(struct nft_sock *s, const char *table, nft_counter_cb cb, void *data,
		      struct errmsg *e)
{
	struct counter_ctx ctx = { cb, data };

	return nft_dump_objects(s, table, NFT_OBJECT_COUNTER, counter_of, &ctx, e);
}

int nft_dump_elems(struct nft_sock *s, const char *table, const char *set_name, nft_elem_cb cb,
		   void *data, struct errmsg *e)
{
	const struct nft_handlers h = { .elem = cb, .data = data };
	char buf[REQ_BUF_SIZE] = { 0 };
	struct nlmsghdr *nlh = request(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP,
				       s->seq++);
	struct nftnl_set *set = nftnl_set_alloc();

	if (!set)
		return errmsg_set(e, -ENOMEM, "out of memory");
	nftnl_set_set_str(set, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(set, NFTNL_SET_NAME, set_name);
	nftnl_set_elems_nlmsg_build_payload(nlh, set);
	nftnl_set_free(set);
	return dump(s, buf, nlh, &h, "set elements", e);
}

int nft_dump_rules(struct nft_sock *s, uint32_t family, const char *table, const char *chain,
		   nft_rule_cb cb, void *data, struct errmsg *e)
{
	const struct nft_handlers h = { .rule = cb, .data = data };
	char buf[REQ_BUF_SIZE] = { 0 };
	struct nlmsghdr *nlh = request(buf, NFT_MSG_GETRULE, (uint16_t)family, NLM_F_DUMP,
				       s->seq++);

	if (table)
		mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, table);
	if (chain)
		mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, chain);
	return dump(s, buf, nlh, &h, "rules", e);
}

int nft_replies_run(const void *buf, size_t len, const struct nft_handlers *h,
		    struct errmsg *e)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len, err = 0;
	struct exchange x;

	exchange_init(&x, 1, 64, parse_reply, (void *)h);
	x.begin_seq = 0;
	x.has_begin = true;
	for (; !err && nlmsg_whole(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
		err = handle_msg(nlh, &x);
	if (!err && x.error)
		err = errmsg_set(e, x.error, "%s", errno_words(-x.error, 0, false));
	return err;
}
