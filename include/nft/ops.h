/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_NFT_OPS_H
#define REDIRECT_NFT_OPS_H

#include <stdint.h>
#include <stdio.h>

/* One message of the transaction, still as a libnftnl object. */
enum op_object { OP_TABLE, OP_CHAIN, OP_RULE, OP_SET, OP_ELEMS, OP_OBJ };

struct op {
	enum op_object object;
	uint16_t msg;			/* NFT_MSG_NEW... or NFT_MSG_DEL... */
	uint16_t flags;			/* NLM_F_CREATE, NLM_F_APPEND, ... */
	void *nftnl;			/* struct nftnl_table *, ... */
	char what[600];			/* names it in an error message */
};

struct ops {
	struct op *v;
	unsigned int n, cap;
};

/* @p, or abort(): small fixed allocations, where out of memory is fatal. */
void *must(void *p);

/* A string attribute libnftnl parsed, or "" when the message had none. */
#define NFT_STR(s) ((s) ? (s) : "")

/* Appends a message; the list owns @nftnl from now on. */
struct op *ops_push(struct ops *ops, enum op_object object, uint16_t msg, uint16_t flags,
		    void *nftnl);

/* The words that name @op in an error message ("chain prerouting"). */
void op_describe(struct op *op, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void ops_free(struct ops *ops);

/* Each message as libnftnl prints it, for the golden tests. */
void ops_print(const struct ops *ops, FILE *f);

#endif
