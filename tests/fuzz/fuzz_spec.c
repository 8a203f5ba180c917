// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Whole requests to enable or accept, one option a line ("to ADDRESS",
 * "from ADDRESS", "service X", "exclude PREFIX", "remember D",
 * "no-masquerade", "keep-client-address", "tunnel-id N", "previous ID
 * ADDRESS"): whatever is accepted must build a transaction, a drained one
 * and a dry-run text, and survive the state file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/owned.h"
#include "core/probe.h"
#include "nft/render.h"
#include "nft/ruleset.h"
#include "core/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void previous(struct spec *s, char *value, struct errmsg *e);

static void option(struct spec *s, char *line, struct errmsg *e)
{
	char *value = strchr(line, ' ');

	if (!value) {
		if (!strcmp(line, "no-masquerade"))
			s->masquerade = false;
		if (!strcmp(line, "keep-client-address")) {
			s->keep_client_address = true;
			s->tunnel_mtu = 1450;
		}
		return;
	}
	*value++ = '\0';
	if (!strcmp(line, "to"))
		spec_add_target(s, value, e);
	else if (!strcmp(line, "service"))
		spec_add_services(s, value, e);
	else if (!strcmp(line, "exclude"))
		spec_add_exclude(s, value, e);
	else if (!strcmp(line, "remember"))
		parse_duration(value, &s->remember, e);
	else if (!strcmp(line, "from") && !spec_add_from(s, value, e))
		s->role = ROLE_NEW;	/* accept's request */
	else if (!strcmp(line, "tunnel-id"))
		spec_set_tunnel_id(s, value, e);
	else if (!strcmp(line, "previous"))
		previous(s, value, e);
}

/* "ID ADDRESS": a tunnel a switch left, on the link enable would give it */
static void previous(struct spec *s, char *value, struct errmsg *e)
{
	char *peer = strchr(value, ' ');
	uint64_t id;

	if (!peer)
		return;
	*peer++ = '\0';
	if (parse_u64(value, TUNNEL_ID_MAX, &id) || !id || parse_address(peer, &s->previous.peer, e))
		return;
	s->previous.id = (uint32_t)id;
	snprintf(s->previous.link, sizeof(s->previous.link), "%s", TUNNEL_IFNAME "2");
	s->has_previous = s->role == ROLE_OLD;
}

static void build_everything(const struct spec *s)
{
	static struct state a, b;
	static char text[STATE_TEXT_MAX];
	struct table_view none = { .exists = false }, all = { .exists = true, .ours = true };
	struct probe probes[PROBE_MAX];
	struct errmsg e;
	struct ops ops;
	FILE *null = fopen("/dev/null", "w");
	int len;

	all.chains = (1U << CHAIN_COUNT) - 1;
	all.sets = (1U << SET_COUNT) - 1;
	ruleset_build(s, &none, &ops);
	ops_free(&ops);
	ruleset_build(s, &all, &ops);
	ops_free(&ops);
	ruleset_build_drain(s, &all, &ops);
	ops_free(&ops);
	if (null) {
		render_table(s, null);
		fclose(null);
	}
	probe_plan(s, probes);
	state_init(&a);
	a.enabled = true;
	a.spec = *s;
	len = state_format(&a, text, sizeof(text));
	if (len < 0 || state_parse(text, (size_t)len, &b, &e) || !spec_equal(&a.spec, &b.spec))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line, *save = NULL;
	struct errmsg e;
	struct spec s;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	spec_init(&s);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		option(&s, line, &e);
	if (spec_tunnel(&s) && !s.tunnel_id)	/* accept draws one */
		s.tunnel_id = TUNNEL_ID_DEFAULT;
	if (spec_tunnel(&s))			/* as enable and accept name it */
		snprintf(s.tunnel_link, sizeof(s.tunnel_link), "%s", TUNNEL_IFNAME);
	if (spec_finalize(&s, &e) == 0)
		build_everything(&s);
	free(text);
	return 0;
}
