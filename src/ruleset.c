// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec -> libnftnl objects: the transaction that installs (or adjusts) the
 * table. Pure, so tests/unit can check it against golden output.
 *
 * The expressions mirror what nft 1.0.6 generates for the same rules, so
 * `nft list ruleset` shows them in plain nft syntax and a saved ruleset
 * loads back unchanged. The dry-run text (render.c) is that syntax.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "ruleset.h"

const char *const chain_names[CHAIN_COUNT] = {
	[CHAIN_PREROUTING] = "prerouting",
	[CHAIN_REDIRECT_IPV4] = "redirect_ipv4",
	[CHAIN_REDIRECT_IPV6] = "redirect_ipv6",
	[CHAIN_POSTROUTING] = "postrouting",
	[CHAIN_FORWARD] = "forward",
};

const char *const set_names[SET_COUNT] = {
	[SET_PORTS] = "ports",
	[SET_CONNECTIONS] = "connections",
	[SET_TRAFFIC] = "traffic",
	[SET_EXCLUDE_IPV4] = "exclude_ipv4",
	[SET_EXCLUDE_IPV6] = "exclude_ipv6",
	[SET_SOURCES_IPV4] = "sources_ipv4",
	[SET_SOURCES_IPV6] = "sources_ipv6",
};

/* nft's datatype numbers, which `nft list` uses to print set keys. */
enum { NFT_TYPE_IPADDR = 7, NFT_TYPE_IP6ADDR = 8, NFT_TYPE_INET_SERVICE = 13 };
#define NFT_TYPE_BITS 6
/* nft's byte order hint in set userdata. */
enum { NFT_BYTEORDER_INVALID = 0, NFT_BYTEORDER_BIG_ENDIAN = 2 };

/* Hook priorities, as nft names them: dstnat, srcnat, filter. */
enum { PRIO_DSTNAT = -100, PRIO_SRCNAT = 100, PRIO_FILTER = 0 };

/* Set IDs tie rules to sets created in the same transaction. */
#define SET_ID(set) ((uint32_t)(set) + 1)

static void *must(void *p)
{
	if (!p)
		abort();	/* small fixed allocations: out of memory is fatal */
	return p;
}

static struct op *ops_push(struct ops *ops, enum op_object object, uint16_t msg,
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

static void op_describe(struct op *op, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void op_describe(struct op *op, const char *fmt, ...)
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

/* ---- objects ---- */

static struct nftnl_table *table_new(void)
{
	struct nftnl_table *t = must(nftnl_table_alloc());

	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, TABLE_NAME);
	return t;
}

static struct nftnl_chain *chain_new(enum chain_id id)
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

static struct nftnl_set *set_new(enum set_id id)
{
	struct nftnl_set *s = must(nftnl_set_alloc());

	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, TABLE_NAME);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set_names[id]);
	nftnl_set_set_u32(s, NFTNL_SET_ID, SET_ID(id));
	return s;
}

static struct nftnl_rule *rule_new(enum chain_id chain)
{
	struct nftnl_rule *r = must(nftnl_rule_alloc());

	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, TABLE_NAME);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain_names[chain]);
	return r;
}

static struct nftnl_obj *counter_new(const char *name)
{
	struct nftnl_obj *o = must(nftnl_obj_alloc());

	nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, NFPROTO_INET);
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, TABLE_NAME);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	return o;
}

void traffic_counter_name(const struct service *svc, char *buf, size_t len)
{
	snprintf(buf, len, "%s_traffic", svc->name);
}

void counter_name(const struct service *svc, enum set_id map, char *buf, size_t len)
{
	if (map == SET_TRAFFIC)
		traffic_counter_name(svc, buf, len);
	else
		snprintf(buf, len, "%s", svc->name);
}

void counter_comment(const struct service *svc, enum set_id map, char *buf, size_t len)
{
	if (map == SET_TRAFFIC)
		snprintf(buf, len, "bytes of redirected port %u flows", svc->port);
	else
		snprintf(buf, len, "connections redirected from port %u", svc->port);
}

/* ---- expressions, one helper per kind, in nft's register layout ---- */

static struct nftnl_expr *expr(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = must(nftnl_expr_alloc(name));

	nftnl_rule_add_expr(r, e);
	return e;
}

static void e_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = expr(r, "meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

static void e_cmp(struct nftnl_rule *r, const void *data, uint32_t len)
{
	struct nftnl_expr *e = expr(r, "cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set_data(e, NFTNL_EXPR_CMP_DATA, data, len);
}

static void e_cmp_u8(struct nftnl_rule *r, uint8_t v)
{
	e_cmp(r, &v, sizeof(v));
}

static void e_cmp_u32(struct nftnl_rule *r, uint32_t v)
{
	e_cmp(r, &v, sizeof(v));
}

/* meta nfproto ipv4|ipv6 */
static void match_nfproto(struct nftnl_rule *r, int family)
{
	e_meta(r, NFT_META_NFPROTO, NFT_REG_1);
	e_cmp_u8(r, family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6);
}

/* meta l4proto tcp */
static void match_tcp(struct nftnl_rule *r)
{
	e_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	e_cmp_u8(r, IPPROTO_TCP);
}

static void e_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset,
		      uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = expr(r, "payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
}

static void load_tcp_dport(struct nftnl_rule *r, uint32_t dreg)
{
	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, dreg);
}

static void load_saddr(struct nftnl_rule *r, int family)
{
	if (family == AF_INET)
		e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1);
	else
		e_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 8, 16, NFT_REG_1);
}

static void e_lookup(struct nftnl_rule *r, enum set_id set)
{
	struct nftnl_expr *e = expr(r, "lookup");

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set_names[set]);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, SET_ID(set));
}

static void e_objref_map(struct nftnl_rule *r, enum set_id map)
{
	struct nftnl_expr *e = expr(r, "objref");

	nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_SET_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_SET_NAME, set_names[map]);
	nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_SET_ID, SET_ID(map));
}

static void e_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = expr(r, "immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
}

static void e_ct_load(struct nftnl_rule *r, uint32_t key, int dir)
{
	struct nftnl_expr *e = expr(r, "ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	if (dir >= 0)
		nftnl_expr_set_u8(e, NFTNL_EXPR_CT_DIR, (uint8_t)dir);
}

static void e_bitwise(struct nftnl_rule *r, const void *mask, const void *xor, uint32_t len)
{
	struct nftnl_expr *e = expr(r, "bitwise");

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set_data(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set_data(e, NFTNL_EXPR_BITWISE_XOR, xor, len);
}

static void e_bitwise_u32(struct nftnl_rule *r, uint32_t mask, uint32_t xor)
{
	e_bitwise(r, &mask, &xor, sizeof(uint32_t));
}

/*
 * tcp flags syn / fin,syn,rst,ack: only a connection's opening SYN. When
 * conntrack starts with enable, it picks up sessions already open from
 * their next packet, as new; that packet must not be redirected, or the
 * session breaks.
 */
static void match_syn(struct nftnl_rule *r)
{
	const uint8_t mask = TH_FIN | TH_SYN | TH_RST | TH_ACK, zero = 0;

	e_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, NFT_REG_1);
	e_bitwise(r, &mask, &zero, 1);
	e_cmp_u8(r, TH_SYN);
}

/* ct mark & BIT == BIT */
static void match_ct_mark(struct nftnl_rule *r)
{
	e_ct_load(r, NFT_CT_MARK, -1);
	e_bitwise_u32(r, CT_MARK_BIT, 0);
	e_cmp_u32(r, CT_MARK_BIT);
}

/* ct mark set ct mark | BIT: other bits of the mark are left alone */
static void set_ct_mark(struct nftnl_rule *r)
{
	struct nftnl_expr *e;

	e_ct_load(r, NFT_CT_MARK, -1);
	e_bitwise_u32(r, ~CT_MARK_BIT, CT_MARK_BIT);
	e = expr(r, "ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
}

static void dnat_to(struct nftnl_rule *r, const struct address *to)
{
	struct nftnl_expr *e = expr(r, "immediate");
	uint32_t len = to->family == AF_INET ? 4 : 16;

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
	nftnl_expr_set_data(e, NFTNL_EXPR_IMM_DATA, &to->in, len);
	e = expr(r, "nat");
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY,
			   to->family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
}

/* ---- what to install ---- */

static enum chain_id redirect_chain(int family)
{
	return family == AF_INET ? CHAIN_REDIRECT_IPV4 : CHAIN_REDIRECT_IPV6;
}

static enum set_id exclude_set(int family)
{
	return family == AF_INET ? SET_EXCLUDE_IPV4 : SET_EXCLUDE_IPV6;
}

static enum set_id sources_set(int family)
{
	return family == AF_INET ? SET_SOURCES_IPV4 : SET_SOURCES_IPV6;
}

static bool family_used(const struct spec *spec, int family)
{
	return family == AF_INET ? spec->has_to4 : spec->has_to6;
}

static const struct address *target(const struct spec *spec, int family)
{
	return family == AF_INET ? &spec->to4 : &spec->to6;
}

unsigned int chains_needed(const struct spec *spec)
{
	unsigned int m = 1U << CHAIN_PREROUTING | 1U << CHAIN_FORWARD;

	if (spec->has_to4)
		m |= 1U << CHAIN_REDIRECT_IPV4;
	if (spec->has_to6)
		m |= 1U << CHAIN_REDIRECT_IPV6;
	if (spec->masquerade)
		m |= 1U << CHAIN_POSTROUTING;
	return m;
}

unsigned int sets_needed(const struct spec *spec)
{
	unsigned int m = 1U << SET_PORTS | 1U << SET_CONNECTIONS | 1U << SET_TRAFFIC;

	if (spec->has_to4)
		m |= 1U << SET_EXCLUDE_IPV4 | 1U << SET_SOURCES_IPV4;
	if (spec->has_to6)
		m |= 1U << SET_EXCLUDE_IPV6 | 1U << SET_SOURCES_IPV6;
	return m;
}

static void add_table(struct ops *ops)
{
	struct nftnl_table *t = table_new();
	struct op *op;

	put_comment(t, table_set_data, NFTNL_TABLE_USERDATA,
		    NFTNL_UDATA_TABLE_COMMENT, TABLE_COMMENT);
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, 0);
	op = ops_push(ops, OP_TABLE, NFT_MSG_NEWTABLE, NLM_F_CREATE, t);
	op_describe(op, "table inet %s", TABLE_NAME);
}

static void add_chain(struct ops *ops, enum chain_id id)
{
	struct nftnl_chain *c = chain_new(id);
	struct op *op;

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
	default:
		break;
	}
	op = ops_push(ops, OP_CHAIN, NFT_MSG_NEWCHAIN, NLM_F_CREATE, c);
	op_describe(op, "chain %s", chain_names[id]);
}

static void flush_chain(struct ops *ops, enum chain_id id)
{
	struct op *op = ops_push(ops, OP_RULE, NFT_MSG_DELRULE, 0, rule_new(id));

	op_describe(op, "the rules of chain %s", chain_names[id]);
}

static void delete_chain(struct ops *ops, enum chain_id id)
{
	struct op *op = ops_push(ops, OP_CHAIN, NFT_MSG_DELCHAIN, 0, chain_new(id));

	op_describe(op, "chain %s", chain_names[id]);
}

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
static struct nftnl_set *sources_set_new(int family, uint64_t timeout_ms)
{
	struct nftnl_set *s = set_new(sources_set(family));
	uint32_t addr_type = family == AF_INET ? NFT_TYPE_IPADDR : NFT_TYPE_IP6ADDR;
	uint32_t addr_len = family == AF_INET ? 4 : 16;

	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT | NFT_SET_EVAL);
	/* concatenated keys: each field padded to a 32-bit register */
	set_key(s, addr_type << NFT_TYPE_BITS | NFT_TYPE_INET_SERVICE,
		addr_len + 4, NFT_BYTEORDER_INVALID);
	nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, SOURCES_SET_SIZE);
	nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, timeout_ms);
	nftnl_set_add_expr(s, must(nftnl_expr_alloc("counter")));
	return s;
}

static void add_set(struct ops *ops, struct nftnl_set *s)
{
	struct op *op = ops_push(ops, OP_SET, NFT_MSG_NEWSET, NLM_F_CREATE, s);

	op_describe(op, "set %s", nftnl_set_get_str(s, NFTNL_SET_NAME));
}

static void delete_set(struct ops *ops, enum set_id id)
{
	struct op *op = ops_push(ops, OP_SET, NFT_MSG_DELSET, 0, set_new(id));

	op_describe(op, "set %s", set_names[id]);
}

static void flush_set(struct ops *ops, enum set_id id)
{
	struct op *op = ops_push(ops, OP_ELEMS, NFT_MSG_DELSETELEM, 0, set_new(id));

	op_describe(op, "the elements of set %s", set_names[id]);
}

static void add_elems(struct ops *ops, struct nftnl_set *s)
{
	struct op *op = ops_push(ops, OP_ELEMS, NFT_MSG_NEWSETELEM, NLM_F_CREATE, s);

	op_describe(op, "the elements of set %s", nftnl_set_get_str(s, NFTNL_SET_NAME));
}

static struct nftnl_set_elem *elem_add(struct nftnl_set *s, const void *key, uint32_t len)
{
	struct nftnl_set_elem *el = must(nftnl_set_elem_alloc());

	nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, key, len);
	nftnl_set_elem_add(s, el);
	return el;
}

static void add_port_elems(struct ops *ops, const struct spec *spec)
{
	struct nftnl_set *s = set_new(SET_PORTS);
	unsigned int i;

	for (i = 0; i < spec->nservices; i++) {
		uint16_t port = htons(spec->services[i].port);

		elem_add(s, &port, sizeof(port));
	}
	add_elems(ops, s);
}

static void add_counter_map_elems(struct ops *ops, const struct spec *spec, enum set_id id)
{
	struct nftnl_set *s = set_new(id);
	char name[COUNTER_NAME_MAX];
	unsigned int i;

	for (i = 0; i < spec->nservices; i++) {
		const struct service *svc = &spec->services[i];
		uint16_t port = htons(svc->port);
		struct nftnl_set_elem *el = elem_add(s, &port, sizeof(port));

		counter_name(svc, id, name, sizeof(name));
		nftnl_set_elem_set_str(el, NFTNL_SET_ELEM_OBJREF, name);
	}
	add_elems(ops, s);
}

/*
 * Interval sets hold pairs of (start, end-exclusive flagged INTERVAL_END),
 * preceded by an end marker at 0 when the first range starts above it:
 * the layout nft itself sends, so the listing reads as prefixes.
 */
static void add_exclude_elems(struct ops *ops, const struct spec *spec, int family)
{
	struct nftnl_set *s = set_new(exclude_set(family));
	struct range ranges[RANGES_MAX];
	static const uint8_t zero[16];
	uint32_t len = family == AF_INET ? 4 : 16;
	unsigned int i, n = exclude_ranges(spec, family, ranges);
	struct nftnl_set_elem *el;

	if (n && memcmp(ranges[0].start, zero, len)) {
		el = elem_add(s, zero, len);
		nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	}
	for (i = 0; i < n; i++) {
		elem_add(s, ranges[i].start, len);
		if (ranges[i].to_top)
			continue;
		el = elem_add(s, ranges[i].end, len);
		nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
	}
	add_elems(ops, s);
}

static bool view_has_counter(const struct table_view *view, const char *name)
{
	unsigned int i;

	for (i = 0; i < view->ncounters; i++)
		if (!strcmp(view->counters[i], name))
			return true;
	return false;
}

static bool spec_has_counter(const struct spec *spec, const char *name)
{
	char traffic[COUNTER_NAME_MAX];
	unsigned int i;

	for (i = 0; i < spec->nservices; i++) {
		traffic_counter_name(&spec->services[i], traffic, sizeof(traffic));
		if (!strcmp(spec->services[i].name, name) || !strcmp(traffic, name))
			return true;
	}
	return false;
}

static void add_counter(struct ops *ops, const char *name, const char *comment)
{
	struct nftnl_obj *o = counter_new(name);
	struct op *op;

	put_comment(o, obj_set_data, NFTNL_OBJ_USERDATA, NFTNL_UDATA_OBJ_COMMENT, comment);
	op = ops_push(ops, OP_OBJ, NFT_MSG_NEWOBJ, NLM_F_CREATE, o);
	op_describe(op, "counter %s", name);
}

/* Counters that exist keep their values: NEWOBJ without EXCL leaves them be. */
static void add_counters(struct ops *ops, const struct spec *spec, const struct table_view *view)
{
	static const enum set_id maps[] = { SET_CONNECTIONS, SET_TRAFFIC };
	char name[COUNTER_NAME_MAX], comment[64];
	unsigned int i, m;

	for (i = 0; i < spec->nservices; i++) {
		for (m = 0; m < 2; m++) {
			counter_name(&spec->services[i], maps[m], name, sizeof(name));
			if (view_has_counter(view, name))
				continue;
			counter_comment(&spec->services[i], maps[m], comment, sizeof(comment));
			add_counter(ops, name, comment);
		}
	}
}

static void delete_stale_counters(struct ops *ops, const struct spec *spec,
				  const struct table_view *view)
{
	unsigned int i;
	struct op *op;

	for (i = 0; i < view->ncounters; i++) {
		if (spec_has_counter(spec, view->counters[i]))
			continue;
		op = ops_push(ops, OP_OBJ, NFT_MSG_DELOBJ, 0, counter_new(view->counters[i]));
		op_describe(op, "counter %s", view->counters[i]);
	}
}

/*
 * meta nfproto ipvX tcp flags syn / fin,syn,rst,ack tcp dport @ports
 * fib daddr type local jump redirect_ipvX
 */
static struct nftnl_rule *dispatch_rule(int family)
{
	struct nftnl_rule *r = rule_new(CHAIN_PREROUTING);
	struct nftnl_expr *e;

	match_nfproto(r, family);
	match_tcp(r);
	match_syn(r);
	load_tcp_dport(r, NFT_REG_1);
	e_lookup(r, SET_PORTS);
	e = expr(r, "fib");
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	e_cmp_u32(r, RTN_LOCAL);
	e_verdict(r, NFT_JUMP, chain_names[redirect_chain(family)]);
	return r;
}

/* ip saddr @exclude_ipv4 return */
static struct nftnl_rule *exclude_rule(int family)
{
	struct nftnl_rule *r = rule_new(redirect_chain(family));

	match_nfproto(r, family);
	load_saddr(r, family);
	e_lookup(r, exclude_set(family));
	e_verdict(r, NFT_RETURN, NULL);
	return r;
}

/*
 * update @sources_ipv4 { ip saddr . tcp dport }
 * A rule of its own: when the set is full the update fails and ends its
 * rule, and the redirect in the next rule must happen all the same.
 */
static struct nftnl_rule *remember_rule(int family)
{
	struct nftnl_rule *r = rule_new(redirect_chain(family));
	struct nftnl_expr *e;

	match_nfproto(r, family);
	match_tcp(r);
	load_saddr(r, family);
	/* the port goes right after the address, in the next 32-bit register */
	load_tcp_dport(r, family == AF_INET ? NFT_REG32_01 : NFT_REG_2);
	e = expr(r, "dynset");
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, set_names[sources_set(family)]);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SET_ID, SET_ID(sources_set(family)));
	return r;
}

/* counter name tcp dport map @connections ct mark set ct mark | BIT dnat ip to NEW */
static struct nftnl_rule *dnat_rule(const struct spec *spec, int family)
{
	struct nftnl_rule *r = rule_new(redirect_chain(family));

	match_tcp(r);
	load_tcp_dport(r, NFT_REG_1);
	e_objref_map(r, SET_CONNECTIONS);
	set_ct_mark(r);
	dnat_to(r, target(spec, family));
	return r;
}

/* ct mark & BIT == BIT masquerade */
static struct nftnl_rule *masquerade_rule(void)
{
	struct nftnl_rule *r = rule_new(CHAIN_POSTROUTING);

	match_ct_mark(r);
	expr(r, "masq");
	return r;
}

/* meta l4proto tcp ct mark & BIT == BIT counter name ct original proto-dst map @traffic */
static struct nftnl_rule *traffic_rule(void)
{
	struct nftnl_rule *r = rule_new(CHAIN_FORWARD);

	match_tcp(r);
	match_ct_mark(r);
	e_ct_load(r, NFT_CT_PROTO_DST, IP_CT_DIR_ORIGINAL);
	e_objref_map(r, SET_TRAFFIC);
	return r;
}

static struct nftnl_rule *rule_build(const struct spec *spec, const struct planned_rule *p)
{
	switch (p->kind) {
	case RULE_DISPATCH: return dispatch_rule(p->family);
	case RULE_EXCLUDE: return exclude_rule(p->family);
	case RULE_REMEMBER: return remember_rule(p->family);
	case RULE_DNAT: return dnat_rule(spec, p->family);
	case RULE_MASQUERADE: return masquerade_rule();
	case RULE_TRAFFIC: return traffic_rule();
	}
	abort();
}

void rule_text(const struct spec *spec, const struct planned_rule *p, char *buf, size_t len)
{
	const char *ip = p->family == AF_INET ? "ip" : "ip6";
	const char *nfproto = p->family == AF_INET ? "ipv4" : "ipv6";
	char addr[ADDRESS_STRLEN];

	switch (p->kind) {
	case RULE_DISPATCH:
		snprintf(buf, len,
			 "meta nfproto %s tcp flags syn / fin,syn,rst,ack tcp dport @%s fib daddr type local jump %s",
			 nfproto, set_names[SET_PORTS], chain_names[redirect_chain(p->family)]);
		break;
	case RULE_EXCLUDE:
		snprintf(buf, len, "%s saddr @%s return", ip, set_names[exclude_set(p->family)]);
		break;
	case RULE_REMEMBER:
		snprintf(buf, len, "update @%s { %s saddr . tcp dport }",
			 set_names[sources_set(p->family)], ip);
		break;
	case RULE_DNAT:
		snprintf(buf, len, "counter name tcp dport map @%s ct mark set ct mark | 0x%08x dnat %s to %s",
			 set_names[SET_CONNECTIONS], CT_MARK_BIT, ip,
			 address_str(target(spec, p->family), addr));
		break;
	case RULE_MASQUERADE:
		snprintf(buf, len, "ct mark & 0x%08x == 0x%08x masquerade", CT_MARK_BIT, CT_MARK_BIT);
		break;
	case RULE_TRAFFIC:
		snprintf(buf, len,
			 "meta l4proto tcp ct mark & 0x%08x == 0x%08x counter name ct original proto-dst map @%s",
			 CT_MARK_BIT, CT_MARK_BIT, set_names[SET_TRAFFIC]);
		break;
	}
}

static void plan_push(struct planned_rule *out, unsigned int *n, enum chain_id chain,
		      enum rule_kind kind, int family)
{
	out[*n].chain = chain;
	out[*n].kind = kind;
	out[*n].family = family;
	(*n)++;
}

unsigned int ruleset_plan(const struct spec *spec, struct planned_rule *out)
{
	static const int families[] = { AF_INET, AF_INET6 };
	unsigned int i, n = 0;

	for (i = 0; i < 2; i++)
		if (family_used(spec, families[i]))
			plan_push(out, &n, CHAIN_PREROUTING, RULE_DISPATCH, families[i]);
	for (i = 0; i < 2; i++) {
		enum chain_id chain = redirect_chain(families[i]);

		if (!family_used(spec, families[i]))
			continue;
		plan_push(out, &n, chain, RULE_EXCLUDE, families[i]);
		plan_push(out, &n, chain, RULE_REMEMBER, families[i]);
		plan_push(out, &n, chain, RULE_DNAT, families[i]);
	}
	if (spec->masquerade)
		plan_push(out, &n, CHAIN_POSTROUTING, RULE_MASQUERADE, 0);
	plan_push(out, &n, CHAIN_FORWARD, RULE_TRAFFIC, 0);
	return n;
}

static void add_rules(struct ops *ops, const struct spec *spec)
{
	struct planned_rule plan[PLAN_MAX];
	unsigned int i, n = ruleset_plan(spec, plan);
	char text[160];
	struct op *op;

	for (i = 0; i < n; i++) {
		op = ops_push(ops, OP_RULE, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
			      rule_build(spec, &plan[i]));
		rule_text(spec, &plan[i], text, sizeof(text));
		op_describe(op, "the rule \"%s\" in chain %s", text, chain_names[plan[i].chain]);
	}
}

/* Step 1 of a reconcile: empty our chains and drop the ones not needed. */
static void clear_chains(struct ops *ops, const struct table_view *view, unsigned int needed)
{
	unsigned int id;

	for (id = 0; id < CHAIN_COUNT; id++)
		if (view->chains & 1U << id)
			flush_chain(ops, id);
	for (id = 0; id < CHAIN_COUNT; id++)
		if ((view->chains & 1U << id) && !(needed & 1U << id))
			delete_chain(ops, id);
}

static bool is_sources_set(unsigned int id)
{
	return id == SET_SOURCES_IPV4 || id == SET_SOURCES_IPV6;
}

/*
 * Step 2: sets that stay are emptied and refilled; a stale-source set stays
 * whole (its elements are the history stats shows) unless --remember
 * changed, since a set's timeout cannot be changed in place.
 */
static unsigned int clear_sets(struct ops *ops, const struct spec *spec,
			       const struct table_view *view, unsigned int needed)
{
	unsigned int id, kept = 0;

	for (id = 0; id < SET_COUNT; id++) {
		int fam = id == SET_SOURCES_IPV4 ? 0 : 1;

		if (!(view->sets & 1U << id))
			continue;
		if (!(needed & 1U << id) || (is_sources_set(id) &&
		    view->sources_timeout_ms[fam] != spec->remember * 1000)) {
			delete_set(ops, id);
			continue;
		}
		if (!is_sources_set(id))
			flush_set(ops, id);
		kept |= 1U << id;
	}
	return kept;
}

static struct nftnl_set *set_build(const struct spec *spec, enum set_id id)
{
	switch (id) {
	case SET_PORTS: return ports_set();
	case SET_CONNECTIONS:
	case SET_TRAFFIC: return counter_map(id);
	case SET_EXCLUDE_IPV4: return exclude_set_new(AF_INET);
	case SET_EXCLUDE_IPV6: return exclude_set_new(AF_INET6);
	case SET_SOURCES_IPV4: return sources_set_new(AF_INET, spec->remember * 1000);
	case SET_SOURCES_IPV6: return sources_set_new(AF_INET6, spec->remember * 1000);
	case SET_COUNT: break;
	}
	abort();
}

static void fill_sets(struct ops *ops, const struct spec *spec)
{
	add_port_elems(ops, spec);
	add_counter_map_elems(ops, spec, SET_CONNECTIONS);
	add_counter_map_elems(ops, spec, SET_TRAFFIC);
	if (spec->has_to4)
		add_exclude_elems(ops, spec, AF_INET);
	if (spec->has_to6)
		add_exclude_elems(ops, spec, AF_INET6);
}

/*
 * Order matters within the transaction: rules go before the chains and
 * sets they reference can be deleted, maps are emptied before the counters
 * they name can go, and new objects exist before anything refers to them.
 */
int ruleset_build(const struct spec *spec, const struct table_view *view, struct ops *out)
{
	unsigned int chains = chains_needed(spec), sets = sets_needed(spec), kept, id;

	memset(out, 0, sizeof(*out));
	add_table(out);
	clear_chains(out, view, chains);
	kept = clear_sets(out, spec, view, sets);
	delete_stale_counters(out, spec, view);
	add_counters(out, spec, view);
	for (id = 0; id < SET_COUNT; id++)
		if ((sets & 1U << id) && !(kept & 1U << id))
			add_set(out, set_build(spec, id));
	fill_sets(out, spec);
	for (id = 0; id < CHAIN_COUNT; id++)
		if ((chains & 1U << id) && !(view->chains & 1U << id))
			add_chain(out, id);
	add_rules(out, spec);
	return 0;
}

/*
 * Conntrack runs in a namespace while some rule needs it. Disable must not
 * take that away from the redirected sessions still open (their NAT lives
 * in conntrack), so the drained table keeps one rule that reads the mark.
 * It never matches: the nat chain only sees new connections, and nothing
 * marks those any more.
 */
static void add_keep_conntrack_rule(struct ops *ops)
{
	struct nftnl_rule *r = rule_new(CHAIN_PREROUTING);
	struct op *op;

	match_ct_mark(r);
	put_comment(r, rule_set_data, NFTNL_RULE_USERDATA, NFTNL_UDATA_RULE_COMMENT,
		    DRAIN_COMMENT);
	op = ops_push(ops, OP_RULE, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, r);
	op_describe(op, "the rule that keeps conntrack for open sessions in chain %s",
		    chain_names[CHAIN_PREROUTING]);
}

/*
 * Disable with redirected sessions still open: a nat chain on each NAT
 * hook and conntrack keep the kernel translating the flows it already
 * redirected (without them those sessions break); all the rest goes, so
 * nothing new is redirected.
 */
int ruleset_build_drain(const struct table_view *view, struct ops *out)
{
	const unsigned int keep = 1U << CHAIN_PREROUTING | 1U << CHAIN_POSTROUTING;
	unsigned int id;
	struct op *op;

	memset(out, 0, sizeof(*out));
	add_table(out);
	clear_chains(out, view, keep);
	for (id = 0; id < SET_COUNT; id++)
		if (view->sets & 1U << id)
			delete_set(out, id);
	for (id = 0; id < view->ncounters; id++) {
		op = ops_push(out, OP_OBJ, NFT_MSG_DELOBJ, 0, counter_new(view->counters[id]));
		op_describe(op, "counter %s", view->counters[id]);
	}
	for (id = 0; id < CHAIN_COUNT; id++)
		if ((keep & 1U << id) && !(view->chains & 1U << id))
			add_chain(out, id);
	add_keep_conntrack_rule(out);
	return 0;
}

int ruleset_build_delete(struct ops *out)
{
	struct op *op;

	memset(out, 0, sizeof(*out));
	op = ops_push(out, OP_TABLE, NFT_MSG_DELTABLE, 0, table_new());
	op_describe(op, "table inet %s", TABLE_NAME);
	return 0;
}

/* ---- excluded ranges ---- */

static int compare_ranges(const void *a, const void *b)
{
	return memcmp(((const struct range *)a)->start, ((const struct range *)b)->start, 16);
}

/* [network, network + 2^(bits - len)), or to the top of the address space */
static void prefix_range(const struct address *addr, unsigned int len, unsigned int bits,
			 struct range *r)
{
	unsigned int bytes = bits / 8, byte;
	unsigned int carry;

	memset(r, 0, sizeof(*r));
	memcpy(r->start, &addr->in, bytes);
	memcpy(r->end, r->start, bytes);
	if (len == 0) {
		r->to_top = true;
		return;
	}
	byte = (len - 1) / 8;
	carry = 1U << (7 - (len - 1) % 8);
	for (;;) {
		unsigned int sum = r->end[byte] + carry;

		r->end[byte] = (uint8_t)sum;
		carry = sum >> 8;
		if (!carry)
			break;
		if (byte == 0) {
			r->to_top = true;
			break;
		}
		byte--;
	}
}

static unsigned int merge_ranges(struct range *r, unsigned int n)
{
	unsigned int i, out = 0;

	if (!n)
		return 0;
	qsort(r, n, sizeof(*r), compare_ranges);
	for (i = 1; i < n; i++) {
		struct range *cur = &r[out];

		/* overlapping or adjacent: one range, as nft would list it */
		if (cur->to_top || memcmp(r[i].start, cur->end, 16) <= 0) {
			if (r[i].to_top)
				cur->to_top = true;
			else if (!cur->to_top && memcmp(r[i].end, cur->end, 16) > 0)
				memcpy(cur->end, r[i].end, 16);
			continue;
		}
		r[++out] = r[i];
	}
	return out + 1;
}

unsigned int exclude_ranges(const struct spec *spec, int family, struct range *out)
{
	unsigned int bits = family == AF_INET ? 32 : 128, i, n = 0;
	const struct address *to = target(spec, family);

	if (family_used(spec, family))
		prefix_range(to, bits, bits, &out[n++]);
	for (i = 0; i < spec->nexcludes; i++) {
		const struct prefix *p = &spec->excludes[i];

		if (p->addr.family == family)
			prefix_range(&p->addr, p->len, bits, &out[n++]);
	}
	return merge_ranges(out, n);
}

static bool host_bits_zero(const uint8_t *a, unsigned int len, unsigned int bits)
{
	unsigned int i;

	for (i = len; i < bits; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

bool range_prefix(const struct range *r, int family, struct prefix *out)
{
	unsigned int bits = family == AF_INET ? 32 : 128, len;
	struct range probe;

	memset(out, 0, sizeof(*out));
	out->addr.family = family;
	memcpy(&out->addr.in, r->start, bits / 8);
	for (len = 0; len <= bits; len++) {
		if (!host_bits_zero(r->start, len, bits))
			continue;
		prefix_range(&out->addr, len, bits, &probe);
		if (probe.to_top != r->to_top)
			continue;
		if (r->to_top || !memcmp(probe.end, r->end, 16)) {
			out->len = (uint8_t)len;
			return true;
		}
	}
	return false;
}

void range_last(const struct range *r, int family, struct address *out)
{
	unsigned int bytes = family == AF_INET ? 4 : 16;
	uint8_t *b = (uint8_t *)&out->in;
	int i;

	memset(out, 0, sizeof(*out));
	out->family = family;
	if (r->to_top) {
		memset(b, 0xff, bytes);
		return;
	}
	memcpy(b, r->end, bytes);
	for (i = (int)bytes - 1; i >= 0 && b[i]-- == 0; i--)
		;
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
