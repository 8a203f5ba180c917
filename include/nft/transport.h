/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_NFT_TRANSPORT_H
#define REDIRECT_NFT_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errmsg.h"
#include "kernel/netlink.h"
#include "nft/ops.h"

/*
 * The nftables netlink socket: the batch transaction and the dumps, each
 * reply parsed by libnftnl and handed to the caller as an object. It knows
 * libnftnl and nothing of our table: names and meanings are the callers'.
 */
struct mnl_socket;
struct nftnl_table;
struct nftnl_chain;
struct nftnl_set;
struct nftnl_set_elem;
struct nftnl_obj;
struct nftnl_rule;

struct nft_sock {
	struct mnl_socket *nl;
	uint32_t seq;
	char *buf;			/* where replies are received */
};

int nft_open(struct nft_sock *s, struct errmsg *e);
void nft_close(struct nft_sock *s);

/*
 * Sends @ops as one transaction in one round trip. With @dry_run the batch
 * goes without its END message: the kernel checks every message, then
 * discards them all (what `nft -c` does). A non-zero @genid makes the
 * kernel refuse with -ERESTART if the ruleset changed since it was read.
 * On failure @e names the object the kernel refused and why.
 */
int nft_commit(struct nft_sock *s, const struct ops *ops, uint32_t genid,
	       bool dry_run, struct errmsg *e);

/*
 * What a read hands over: each object as libnftnl parsed it from its
 * message, freed after the call (copy what you keep). Handlers left NULL
 * skip their kind.
 */
struct nft_handlers {
	void (*gen)(uint32_t genid, void *data);
	void (*table)(const struct nftnl_table *t, void *data);
	void (*chain)(const struct nftnl_chain *c, void *data);
	void (*set)(const struct nftnl_set *s, void *data);
	void (*obj)(struct nftnl_obj *o, void *data);
	void (*rule)(const struct nftnl_rule *r, void *data);
	void (*elem)(struct nftnl_set_elem *el, void *data);
	void *data;
};

/*
 * The ruleset's generation (to @h->gen) and the inet table @table (to
 * @h->table, when it exists: absent is no error), in one round trip.
 */
int nft_get_table(struct nft_sock *s, const char *table, const struct nft_handlers *h,
		   struct errmsg *e);

/* Every chain of every table of @family (NFPROTO_UNSPEC: every family). */
typedef void (*nft_chain_cb)(const struct nftnl_chain *c, void *data);
int nft_dump_chains(struct nft_sock *s, uint16_t family, nft_chain_cb cb, void *data,
		    struct errmsg *e);

/* The sets of the inet table @table. */
typedef void (*nft_set_cb)(const struct nftnl_set *set, void *data);
int nft_dump_sets(struct nft_sock *s, const char *table, nft_set_cb cb, void *data,
		  struct errmsg *e);

/* The objects of the inet table @table: of @type alone (NFT_OBJECT_UNSPEC: all of them). */
typedef void (*nft_obj_cb)(struct nftnl_obj *o, void *data);
int nft_dump_objects(struct nft_sock *s, const char *table, uint32_t type, nft_obj_cb cb,
		     void *data, struct errmsg *e);

/* Every counter object of the inet table @table. */
typedef void (*nft_counter_cb)(const char *name, uint64_t packets, uint64_t bytes,
			       void *data);
int nft_dump_counters(struct nft_sock *s, const char *table, nft_counter_cb cb, void *data,
		      struct errmsg *e);

/* Every element of set @set of the inet table @table, one netlink message at a time. */
typedef void (*nft_elem_cb)(struct nftnl_set_elem *el, void *data);
int nft_dump_elems(struct nft_sock *s, const char *table, const char *set, nft_elem_cb cb,
		   void *data, struct errmsg *e);

/* The rules of one chain (NULL: every chain) of any table (NULL: every one), in order. */
typedef void (*nft_rule_cb)(const struct nftnl_rule *r, void *data);
int nft_dump_rules(struct nft_sock *s, uint32_t family, const char *table, const char *chain,
		   nft_rule_cb cb, void *data, struct errmsg *e);

/*
 * Kernel replies in @buf, each through @h as a read hands them over (acks
 * and errors included): for the fuzzer, which feeds whatever it likes.
 */
int nft_replies_run(const void *buf, size_t len, const struct nft_handlers *h,
		    struct errmsg *e);

#endif
