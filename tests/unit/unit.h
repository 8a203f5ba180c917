/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef REDIRECT_UNIT_H
#define REDIRECT_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/*
 * Compares @text with tests/unit/golden/@name. With REDIRECT_UPDATE_GOLDEN=1
 * the file is rewritten instead (then review the diff before committing).
 */
void assert_golden(const char *name, const char *text);

/* Runs the group with TAP output, which the automake harness counts. */
#define RUN_TAP(tests) \
	(cmocka_set_message_output(CM_OUTPUT_TAP), cmocka_run_group_tests(tests, NULL, NULL))

#endif
