/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_LIB_FORMAT_H
#define REDIRECT_LIB_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define FORMAT_BUF 32

/* "1d12h", "45s", "0s": the largest two units, as nft prints timeouts. */
const char *format_duration(uint64_t seconds, char *buf, size_t len);

/* Every unit, exactly: "7d", "1d12h30m5s", as nft's `timeout` accepts. */
const char *format_duration_exact(uint64_t seconds, char *buf, size_t len);

/* "512 B", "1.5 KiB", "48.2 MiB" */
const char *format_bytes(uint64_t bytes, char *buf, size_t len);

#endif
