// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What NEW answers the probe, in reads of any size: the first byte picks
 * the service, each next byte the size of the next read.
 */
#include <stdlib.h>
#include <string.h>

#include "core/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ports[] = { 25, 110, 143, 587, 4190, 2525 };
	char buf[PROBE_LINE_MAX], got[160];
	struct service svc;
	size_t len = 0, pos = 2;

	if (size < 2)
		return 0;
	service_for_port(ports[data[0] % 6], &svc);
	while (pos < size) {
		size_t chunk = (size_t)data[1] % 64 + 1, room = sizeof(buf) - 1 - len;

		if (chunk > size - pos)
			chunk = size - pos;
		if (chunk > room)
			chunk = room;
		memcpy(buf + len, data + pos, chunk);
		len += chunk;
		pos += chunk;
		if (probe_scan_greeting(&svc, buf, &len, got, sizeof(got)) != PROBE_MORE)
			break;
		if (len >= sizeof(buf) - 1)
			abort();	/* a full buffer must have ended the scan */
	}
	return 0;
}
