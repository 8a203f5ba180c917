/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_NFT_TRANSPORT_H
#define REDIRECT_NFT_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/errmsg.h"
#include "nft/ruleset.h"

struct mnl_socket;
struct nftnl_set_elem;
struct nftnl_chain;

#include "kernel/netlink.h"

/* A reply of the nftables subsystem of @type: a type number alone is ambiguous. */
#include <linux/netfilter/nfnetlink.h>
static inline bool nft_is_reply(const struct nlmsghdr *nlh, uint16_t type)
{
	return NFNL_SUBSYS_ID(nlh->nlmsg_type) == NFNL_SUBSYS_NFTABLES &&
	       NFNL_MSG_TYPE(nlh->nlmsg_type) == type;
}

/* A string attribute libnftnl parsed, or "" when the message had none. */
#define NFT_STR(s) ((s) ? (s) : "")

/* The nftables netlink socket, and how often we waited for the kernel. */
struct nft_sock {
	struct mnl_socket *nl;
	uint32_t seq;
	unsigned int round_trips;
};

int nft_open(struct nft_sock *s, struct errmsg *e);
void nft_close(struct nft_sock *s);

/*
 * What of ours is installed, and the ruleset generation it was read at.
 * One round trip when the table is absent, four when it is there.
 */
int nft_read_view(struct nft_sock *s, struct table_view *view, uint32_t *genid,
		  struct errmsg *e);

/*
 * Sends @ops as one transaction in one round trip. With @dry_run the batch
 * goes without its END message: the kernel checks every message, then
 * discards them all (what `nft -c` does). A non-zero @genid makes the
 * kernel refuse with -ERESTART if the ruleset changed since it was read.
 * On failure @e names the object the kernel refused and why.
 */
int nft_commit(struct nft_sock *s, const struct ops *ops, uint32_t genid,
	       bool dry_run, struct errmsg *e);

/* Only whether our table is there (and ours): one round trip. */
int nft_read_table(struct nft_sock *s, struct table_view *view, uint32_t *genid,
		   struct errmsg *e);

/* The sets of our table into @view (which sets, stale-source timeouts). */
int nft_read_sets(struct nft_sock *s, struct table_view *view, struct errmsg *e);

/* Every counter object of our table. */
typedef void (*nft_counter_cb)(const char *name, uint64_t packets, uint64_t bytes,
			       void *data);
int nft_dump_counters(struct nft_sock *s, nft_counter_cb cb, void *data,
		      struct errmsg *e);

/* Every element of set @set of our table, one netlink message at a time. */
typedef void (*nft_elem_cb)(struct nftnl_set_elem *el, void *data);
int nft_dump_elems(struct nft_sock *s, const char *set, nft_elem_cb cb, void *data,
		   struct errmsg *e);

/* The rules of one chain (NULL: every chain) of any table (NULL: every one), in order. */
struct nftnl_rule;
typedef void (*nft_rule_cb)(const struct nftnl_rule *r, void *data);
int nft_dump_rules(struct nft_sock *s, uint32_t family, const char *table, const char *chain,
		   nft_rule_cb cb, void *data, struct errmsg *e);

/* Every chain of every table and family: for the forward-drop pre-flight. */
typedef void (*nft_chain_cb)(struct nftnl_chain *c, void *data);
int nft_dump_chains(struct nft_sock *s, nft_chain_cb cb, void *data, struct errmsg *e);

/*
 * Kernel replies in @buf, handled as nft_read_view handles them: for the
 * fuzzer, which feeds whatever it likes.
 */
int nft_handle_replies(const void *buf, size_t len, struct table_view *view, struct errmsg *e);

/* One set-elements message through nft_dump_elems' parsing. */
int nft_elems_from_msg(const struct nlmsghdr *nlh, nft_elem_cb cb, void *data);

#endif
