/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_NFT_OBJECTS_H
#define REDIRECT_NFT_OBJECTS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/spec.h"
#include "nft/ops.h"
#include "nft/table.h"

struct nftnl_table;
struct nftnl_chain;
struct nftnl_set;
struct nftnl_set_elem;
struct nftnl_rule;
struct nftnl_obj;

/* Objects of table inet TABLE_NAME, by name only: what a delete or a flush needs. */
struct nftnl_table *table_new(void);
struct nftnl_chain *chain_new(enum chain_id id);
struct nftnl_set *set_new(enum set_id id);
struct nftnl_rule *rule_new(enum chain_id chain);
struct nftnl_obj *counter_new(const char *name);

/* Our chain @id as redirect makes it: a base chain's type, hook, priority, policy accept. */
struct nftnl_chain *chain_build(enum chain_id id);

/* Our set @id whole: keys, flags, sizes and timeouts as nft would make them for @spec. */
struct nftnl_set *set_build(const struct spec *spec, enum set_id id);

/*
 * What makes a chain or a set what it is, as one string: a chain's type,
 * hook, priority and policy; a set's flags, key, data and element
 * expressions (not its timeout or size, which a reconcile compares on its
 * own). Equal strings, equal shapes.
 */
#define SHAPE_MAX 160
void chain_shape(const struct nftnl_chain *c, char *buf, size_t len);
void set_shape(const struct nftnl_set *s, char *buf, size_t len);

/* The comment nft lists with the object. */
void table_set_comment(struct nftnl_table *t, const char *comment);
void obj_set_comment(struct nftnl_obj *o, const char *comment);
void rule_set_comment(struct nftnl_rule *r, const char *comment);

/* A new element of @s with @key. */
struct nftnl_set_elem *elem_add(struct nftnl_set *s, const void *key, uint32_t len);

#endif
