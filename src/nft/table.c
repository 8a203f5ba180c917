// SPDX-License-Identifier: GPL-2.0-or-later
/* Our table's chains, sets and counters by name (see table.h). */
#include <stdio.h>
#include <string.h>

#include "nft/table.h"

const char *const chain_names[CHAIN_COUNT] = {
	[CHAIN_PREROUTING] = "prerouting",
	[CHAIN_REDIRECT_IPV4] = "redirect_ipv4",
	[CHAIN_REDIRECT_IPV6] = "redirect_ipv6",
	[CHAIN_POSTROUTING] = "postrouting",
	[CHAIN_FORWARD] = "forward",
	[CHAIN_INPUT] = "input",
	[CHAIN_OUTPUT] = "output",
	[CHAIN_RAW_PREROUTING] = "raw_prerouting",
	[CHAIN_RAW_OUTPUT] = "raw_output",
	[CHAIN_FROM_TUNNEL] = "from_tunnel",
};

const char *const set_names[SET_COUNT] = {
	[SET_PORTS] = "ports",
	[SET_CONNECTIONS] = "connections",
	[SET_ATTEMPTS] = "attempts",
	[SET_ANSWERED] = "answered",
	[SET_TRAFFIC] = "traffic",
	[SET_LAST_SEEN] = "last_seen",
	[SET_LAST_ATTEMPT] = "last_attempt",
	[SET_LAST_ANSWER] = "last_answer",
	[SET_EXCLUDE_IPV4] = "exclude_ipv4",
	[SET_EXCLUDE_IPV6] = "exclude_ipv6",
	[SET_SOURCES_IPV4] = "sources_ipv4",
	[SET_SOURCES_IPV6] = "sources_ipv6",
	[SET_STRANGERS_IPV4] = "strangers_ipv4",
	[SET_STRANGERS_IPV6] = "strangers_ipv6",
	[SET_TUNNEL_REFUSED] = "tunnel_refused",
};

const enum set_id counter_maps[COUNTER_MAPS] = {
	SET_CONNECTIONS, SET_ATTEMPTS, SET_ANSWERED, SET_TRAFFIC,
};

int name_index(const char *const *names, unsigned int n, const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return (int)i;
	return -1;
}

bool is_port_time_set(unsigned int id)
{
	return id == SET_LAST_SEEN || id == SET_LAST_ATTEMPT || id == SET_LAST_ANSWER;
}

bool is_tunnel_set(unsigned int id)
{
	return id == SET_STRANGERS_IPV4 || id == SET_STRANGERS_IPV6 || id == SET_TUNNEL_REFUSED;
}

bool is_dynamic_set(unsigned int id)
{
	return id == SET_SOURCES_IPV4 || id == SET_SOURCES_IPV6 || is_port_time_set(id) ||
	       is_tunnel_set(id);
}

/* The connection counter keeps the service's bare name, as before attempts were counted. */
static const char *counter_suffix(enum set_id map)
{
	switch (map) {
	case SET_ATTEMPTS: return "_attempts";
	case SET_ANSWERED: return "_answered";
	case SET_TRAFFIC: return "_traffic";
	default: return "";
	}
}

void counter_name(const struct service *svc, enum set_id map, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", svc->name, counter_suffix(map));
}

void counter_comment(const struct service *svc, enum set_id map, char *buf, size_t len)
{
	switch (map) {
	case SET_ATTEMPTS:
		snprintf(buf, len, "connection attempts redirected from port %u", svc->port);
		break;
	case SET_ANSWERED:
		snprintf(buf, len, "attempts from port %u the new server answered", svc->port);
		break;
	case SET_TRAFFIC:
		snprintf(buf, len, "bytes of redirected port %u flows", svc->port);
		break;
	default:
		snprintf(buf, len, "connections redirected from port %u", svc->port);
		break;
	}
}

bool view_has_counter(const struct table_view *view, const char *name)
{
	unsigned int i;

	for (i = 0; i < view->ncounters; i++)
		if (!strcmp(view->counters[i], name))
			return true;
	return false;
}
