// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a mail server answers the STARTTLS dialogues, in reads of any
 * size: the first byte picks the port, the second the size of each read;
 * a 0xff byte stands for the handshake's end.
 */
#include <stdlib.h>
#include <string.h>

#include "tls/starttls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_said(const struct starttls *s, enum starttls_step step)
{
	if (step == STARTTLS_SAY && !s->say[0])
		abort();	/* nothing to say is no step */
	if (step == STARTTLS_FAILED && !s->why[0])
		abort();	/* every failure says why */
	if (s->len > sizeof(s->buf))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ports[] = { 25, 110, 143, 465, 587, 993, 995, 4190 };
	enum starttls_step step;
	struct starttls s;
	size_t pos = 2;

	if (size < 2)
		return 0;
	step = starttls_begin(&s, ports[data[0] % 8], "fuzz.example");
	while (pos < size && step != STARTTLS_FAILED && step != STARTTLS_DONE) {
		size_t chunk = (size_t)data[1] % 64 + 1;
		const uint8_t *end;

		if (step == STARTTLS_HANDSHAKE) {
			step = starttls_secured(&s);
			continue;
		}
		if (chunk > size - pos)
			chunk = size - pos;
		end = memchr(data + pos, 0xff, chunk);
		if (end)
			chunk = (size_t)(end - (data + pos));
		if (chunk > sizeof(s.buf) - s.len)
			chunk = sizeof(s.buf) - s.len;
		step = starttls_feed(&s, (const char *)data + pos, chunk);
		check_said(&s, step);
		while (step == STARTTLS_SAY) {
			step = starttls_feed(&s, NULL, 0);
			check_said(&s, step);
		}
		pos += chunk + (end ? 1 : 0);
	}
	return 0;
}
