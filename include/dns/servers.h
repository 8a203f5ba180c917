/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_DNS_SERVERS_H
#define REDIRECT_DNS_SERVERS_H

#include "lib/errmsg.h"
#include "dns/survey_work.h"

/* Rounds 1 and 2: each domain's servers into the report (or its fault). */
int survey_discover(struct survey *s, struct errmsg *e);

/* Round 3: each server's SOA, MX and SRV records; the names they give to check. */
int survey_first_round(struct survey *s, struct errmsg *e);

#endif
