// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The libnftnl objects of our table: by name (what a delete or a flush
 * needs), and whole as redirect makes them (its base chains, its sets);
 * empty rules to fill, the userdata (comments, key byte order) that nft's
 * listing reads, and the shape of a chain or set as one string.
 */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "nft/objects.h"

/* nft's datatype numbers, which `nft list` uses to print set keys. */
enum {
	NFT_TYPE_IPADDR = 7, NFT_TYPE_IP6ADDR = 8, NFT_TYPE_INET_PROTOCOL = 12,
	NFT_TYPE_INET_SERVICE = 13,
};
#define NFT_TYPE_BITS 6
/* nft's byte order hint in set userdata. */
enum { NFT_BYTEORDER_INVALID = 0, NFT_BYTEORDER_BIG_ENDIAN = 2 };

/* ---- userdata: comments and hints for nft's listing ---- */

static void put_comment(void *obj, void (*set)(void *, uint16_t, const void *, uint32_t),
			uint16_t attr, uint8_t type, const char *comment)
{
	struct nftnl_udata_buf *u = must(nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 8));

	nftnl_udata_put_strz(u, type, comment);
	set(obj, attr, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
	nftnl_udata_buf_free(u);
}

static void table_set_data(void *t, uint16_t attr, const void *d, uint32_t len)
{
	nftnl_table_set_data(t, attr, d, len);
}

static void obj_set_data(void *o, uint16_t attr, const void *d, uint32_t len)
{
	nftnl_obj_set_data(o, attr, d, len);
}

static void rule_set_data(void *r, uint16_t attr, const void *d, uint32_t len)
{
	nftnl_rule_set_data(r, attr, d, len);
}

void table_set_comment(struct nftnl_table *t, const char *comment)
{
	put_comment(t, table_set_data, NFTNL_TABLE_USERDATA, NFTNL_UDATA_TABLE_COMMENT, comment);
}

void obj_set_comment(struct nftnl_obj *o, const char *comment)
{
	put_comment(o, obj_set_data, NFTNL_OBJ_USERDATA, NFTNL_UDATA_OBJ_COMMENT, comment);
}

void rule_set_comment(struct nftnl_rule *r, const char *comment)
{
	put_comment(r, rule_set_data, NFTNL_RULE_USERDATA, NFTNL_UDATA_RULE_COMMENT, comment);
}

/* ---- objects ---- */

struct nftnl_table *table_new(void)
{
	struct nftnl_table *t = must(nftnl_table_alloc());

	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, TABLE_NAME);
	return t;
}

struct nftnl_chain *chain_new(enum chain_id id)
{
	struct nftnl_chain *c = must(nftnl_chain_alloc());

	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, TABLE_NAME);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chain_names[id]);
	return c;
}

static void chain_hook(struct nftnl_chain *c, const char *type, uint32_t hook, int32_t prio)
{
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
}

/* Hook priorities, as nft names them: raw, dstnat, srcnat, filter. */
enum { PRIO_RAW = -300, PRIO_DSTNAT = -100, PRIO_SRCNAT = 100, PRIO_FILTER = 0 };

struct nftnl_chain *chain_build(enum chain_id id)
{
	struct nftnl_chain *c = chain_new(id);

	switch (id) {
	case CHAIN_PREROUTING:
		chain_hook(c, "nat", NF_INET_PRE_ROUTING, PRIO_DSTNAT);
		break;
	case CHAIN_POSTROUTING:
		chain_hook(c, "nat", NF_INET_POST_ROUTING, PRIO_SRCNAT);
		break;
	case CHAIN_FORWARD:
		chain_hook(c, "filter", NF_INET_FORWARD, PRIO_FILTER);
		break;
	case CHAIN_INPUT:
		chain_hook(c, "filter", NF_INET_LOCAL_IN, PRIO_FILTER);
		break;
	case CHAIN_OUTPUT:
		chain_hook(c, "filter", NF_INET_LOCAL_OUT, PRIO_FILTER);
		break;
	case CHAIN_RAW_PREROUTING:
		chain_hook(c, "filter", NF_INET_PRE_ROUTING, PRIO_RAW);
		break;
	case CHAIN_RAW_OUTPUT:
		chain_hook(c, "filter", NF_INET_LOCAL_OUT, PRIO_RAW);
		break;
	default:
		break;
	}
	return c;
}

void chain_shape(const struct nftnl_chain *c, char *buf, size_t len)
{
	if (!nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) {
		snprintf(buf, len, "regular");
		return;
	}
	snprintf(buf, len, "type %s hook %u priority %d policy %u",
		 NFT_STR(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE)),
		 nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM),
		 nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO),
		 nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) ?
		 nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) : NF_ACCEPT);
}

static uint32_t set_u32(const struct nftnl_set *s, uint16_t attr)
{
	return nftnl_set_is_set(s, attr) ? nftnl_set_get_u32(s, attr) : 0;
}

static int expr_name(struct nftnl_expr *e, void *data)
{
	char *names = data;
	size_t n = strlen(names);

	snprintf(names + n, SHAPE_MAX - n, " %s",
		 NFT_STR(nftnl_expr_get_str(e, NFTNL_EXPR_NAME)));
	return 0;
}

void set_shape(const struct nftnl_set *s, char *buf, size_t len)
{
	char exprs[SHAPE_MAX] = "";

	nftnl_set_expr_foreach(s, expr_name, exprs);
	snprintf(buf, len, "flags 0x%x key %u/%u data %u/%u object %u exprs%s",
		 set_u32(s, NFTNL_SET_FLAGS), set_u32(s, NFTNL_SET_KEY_TYPE),
		 set_u32(s, NFTNL_SET_KEY_LEN), set_u32(s, NFTNL_SET_DATA_TYPE),
		 set_u32(s, NFTNL_SET_DATA_LEN), set_u32(s, NFTNL_SET_OBJ_TYPE), exprs);
}

struct nftnl_set *set_new(enum set_id id)
{
	struct nftnl_set *s = must(nftnl_set_alloc());

	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, TABLE_NAME);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set_names[id]);
	nftnl_set_set_u32(s, NFTNL_SET_ID, SET_ID(id));
	return s;
}

struct nftnl_rule *rule_new(enum chain_id chain)
{
	struct nftnl_rule *r = must(nftnl_rule_alloc());

	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, TABLE_NAME);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain_names[chain]);
	return r;
}

struct nftnl_obj *counter_new(const char *name)
{
	struct nftnl_obj *o = must(nftnl_obj_alloc());

	nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, NFPROTO_INET);
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, TABLE_NAME);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	return o;
}

/* ---- sets and their elements ---- */

static void put_key_byteorder(struct nftnl_set *s, uint32_t byteorder)
{
	struct nftnl_udata_buf *u = must(nftnl_udata_buf_alloc(64));

	nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER, byteorder);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u),
			   nftnl_udata_buf_len(u));
	nftnl_udata_buf_free(u);
}

static void set_key(struct nftnl_set *s, uint32_t type, uint32_t len, uint32_t byteorder)
{
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, len);
	put_key_byteorder(s, byteorder);
}

static struct nftnl_set *ports_set(void)
{
	struct nftnl_set *s = set_new(SET_PORTS);

	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, 0);
	set_key(s, NFT_TYPE_INET_SERVICE, 2, NFT_BYTEORDER_BIG_ENDIAN);
	return s;
}

static struct nftnl_set *counter_map(enum set_id id)
{
	struct nftnl_set *s = set_new(id);

	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_OBJECT);
	nftnl_set_set_u32(s, NFTNL_SET_OBJ_TYPE, NFT_OBJECT_COUNTER);
	set_key(s, NFT_TYPE_INET_SERVICE, 2, NFT_BYTEORDER_BIG_ENDIAN);
	return s;
}

static struct nftnl_set *exclude_set_new(int family)
{
	struct nftnl_set *s = set_new(exclude_set(family));

	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL);
	if (family == AF_INET)
		set_key(s, NFT_TYPE_IPADDR, 4, NFT_BYTEORDER_BIG_ENDIAN);
	else
		set_key(s, NFT_TYPE_IP6ADDR, 16, NFT_BYTEORDER_BIG_ENDIAN);
	return s;
}

/* (address . port) with a timeout and a counter per element */
static struct nftnl_set *sources_set_new(int family, uint64_t timeout_ms, uint32_t size)
{
	struct nftnl_set *s = set_new(sources_set(family));
	uint32_t addr_type = family == AF_INET ? NFT_TYPE_IPADDR : NFT_TYPE_IP6ADDR;
	uint32_t addr_len = family == AF_INET ? 4 : 16;

	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT | NFT_SET_EVAL);
	/* concatenated keys: each field padded to a 32-bit register */
	set_key(s, addr_type << NFT_TYPE_BITS | NFT_TYPE_INET_SERVICE,
		addr_len + 4, NFT_BYTEORDER_INVALID);
	nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, size);
	nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, timeout_ms);
	nftnl_set_add_expr(s, must(nftnl_expr_alloc("counter")));
	return s;
}

/*
 * A port per service, refreshed at each event (a connection, an attempt,
 * an answer): never full, so when each service last had one is known.
 */
static struct nftnl_set *port_time_set_new(enum set_id id, uint64_t timeout_ms)
{
	struct nftnl_set *s = set_new(id);

	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT | NFT_SET_EVAL);
	set_key(s, NFT_TYPE_INET_SERVICE, 2, NFT_BYTEORDER_BIG_ENDIAN);
	nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, PORT_TIME_SET_SIZE);
	nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, timeout_ms);
	return s;
}

/* An underlay address with a counter per element: who sent a tunnel's packets from elsewhere. */
static struct nftnl_set *strangers_set_new(int family)
{
	struct nftnl_set *s = set_new(strangers_set(family));

	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT | NFT_SET_EVAL);
	if (family == AF_INET)
		set_key(s, NFT_TYPE_IPADDR, 4, NFT_BYTEORDER_BIG_ENDIAN);
	else
		set_key(s, NFT_TYPE_IP6ADDR, 16, NFT_BYTEORDER_BIG_ENDIAN);
	nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, STRANGERS_SET_SIZE);
	nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, TUNNEL_SETS_TIMEOUT * 1000ULL);
	nftnl_set_add_expr(s, must(nftnl_expr_alloc("counter")));
	return s;
}

/* The ICMP protocol of the underlay, refreshed at each refusal by the other end's host. */
static struct nftnl_set *refused_set_new(void)
{
	struct nftnl_set *s = set_new(SET_TUNNEL_REFUSED);

	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT | NFT_SET_EVAL);
	set_key(s, NFT_TYPE_INET_PROTOCOL, 1, NFT_BYTEORDER_BIG_ENDIAN);
	nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, 4);
	nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, TUNNEL_SETS_TIMEOUT * 1000ULL);
	return s;
}

struct nftnl_set *set_build(const struct spec *spec, enum set_id id)
{
	switch (id) {
	case SET_PORTS: return ports_set();
	case SET_CONNECTIONS:
	case SET_ATTEMPTS:
	case SET_ANSWERED:
	case SET_TRAFFIC: return counter_map(id);
	case SET_LAST_SEEN:
	case SET_LAST_ATTEMPT:
	case SET_LAST_ANSWER: return port_time_set_new(id, spec->remember * 1000);
	case SET_EXCLUDE_IPV4: return exclude_set_new(AF_INET);
	case SET_EXCLUDE_IPV6: return exclude_set_new(AF_INET6);
	case SET_SOURCES_IPV4:
		return sources_set_new(AF_INET, spec->remember * 1000, spec->max_sources);
	case SET_SOURCES_IPV6:
		return sources_set_new(AF_INET6, spec->remember * 1000, spec->max_sources);
	case SET_STRANGERS_IPV4: return strangers_set_new(AF_INET);
	case SET_STRANGERS_IPV6: return strangers_set_new(AF_INET6);
	case SET_TUNNEL_REFUSED: return refused_set_new();
	case SET_COUNT: break;
	}
	abort();	/* assert-like: no such set, a bug in the caller */
}

struct nftnl_set_elem *elem_add(struct nftnl_set *s, const void *key, uint32_t len)
{
	struct nftnl_set_elem *el = must(nftnl_set_elem_alloc());

	nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, key, len);
	nftnl_set_elem_add(s, el);
	return el;
}
