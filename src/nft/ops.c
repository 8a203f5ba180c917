// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The transaction as a list of libnftnl objects, each with the verb of its
 * message and the words that name it when the kernel refuses it.
 */
#include <linux/netfilter/nf_tables.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/chain.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "nft/ops.h"

/*
 * libnftnl's builders take a few small objects each; their callers have
 * no error path, and out of memory there is as fatal as a kill -9 at the
 * same point, which the state (written before and after every kernel
 * change) survives: tests/layers.sh allows this abort() as an assertion.
 */
void *must(void *p)
{
	if (!p)
		abort();	/* assert-like: small fixed allocations, out of memory */
	return p;
}

struct op *ops_push(struct ops *ops, enum op_object object, uint16_t msg,
			   uint16_t flags, void *nftnl)
{
	struct op *op;

	if (ops->n == ops->cap) {
		ops->cap = ops->cap ? ops->cap * 2 : 32;
		ops->v = must(realloc(ops->v, ops->cap * sizeof(*ops->v)));
	}
	op = &ops->v[ops->n++];
	memset(op, 0, sizeof(*op));
	op->object = object;
	op->msg = msg;
	op->flags = flags;
	op->nftnl = nftnl;
	return op;
}

void op_describe(struct op *op, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(op->what, sizeof(op->what), fmt, ap);
	va_end(ap);
}

void ops_free(struct ops *ops)
{
	unsigned int i;

	for (i = 0; i < ops->n; i++) {
		struct op *op = &ops->v[i];

		switch (op->object) {
		case OP_TABLE: nftnl_table_free(op->nftnl); break;
		case OP_CHAIN: nftnl_chain_free(op->nftnl); break;
		case OP_RULE: nftnl_rule_free(op->nftnl); break;
		case OP_SET:
		case OP_ELEMS: nftnl_set_free(op->nftnl); break;
		case OP_OBJ: nftnl_obj_free(op->nftnl); break;
		}
	}
	free(ops->v);
	memset(ops, 0, sizeof(*ops));
}

/* ---- printing, for golden tests ---- */

static const char *msg_verb(uint16_t msg)
{
	switch (msg) {
	case NFT_MSG_NEWTABLE: case NFT_MSG_NEWCHAIN: case NFT_MSG_NEWRULE:
	case NFT_MSG_NEWSET: case NFT_MSG_NEWSETELEM: case NFT_MSG_NEWOBJ:
		return "add";
	case NFT_MSG_DELRULE: case NFT_MSG_DELSETELEM:
		return "flush";
	default:
		return "delete";
	}
}

static void op_snprintf(const struct op *op, char *buf, size_t len)
{
	switch (op->object) {
	case OP_TABLE: nftnl_table_snprintf(buf, len, op->nftnl, NFTNL_OUTPUT_DEFAULT, 0); break;
	case OP_CHAIN: nftnl_chain_snprintf(buf, len, op->nftnl, NFTNL_OUTPUT_DEFAULT, 0); break;
	case OP_RULE: nftnl_rule_snprintf(buf, len, op->nftnl, NFTNL_OUTPUT_DEFAULT, 0); break;
	case OP_SET: nftnl_set_snprintf(buf, len, op->nftnl, NFTNL_OUTPUT_DEFAULT, 0); break;
	case OP_ELEMS: nftnl_set_snprintf(buf, len, op->nftnl, NFTNL_OUTPUT_DEFAULT, 0); break;
	case OP_OBJ: nftnl_obj_snprintf(buf, len, op->nftnl, NFTNL_OUTPUT_DEFAULT, 0); break;
	}
}

void ops_print(const struct ops *ops, FILE *f)
{
	char buf[4096];
	unsigned int i;

	for (i = 0; i < ops->n; i++) {
		op_snprintf(&ops->v[i], buf, sizeof(buf));
		fprintf(f, "%s %s\n%s\n", msg_verb(ops->v[i].msg), ops->v[i].what, buf);
	}
}

