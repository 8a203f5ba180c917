// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Forwarding on and back, against a fake /proc/sys tree. The fake does not
 * act like the kernel on its own, so where the kernel would change other
 * settings when forwarding flips, the tests do it by hand.
 */
#include "unit.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/sysctl.h"

static char root[64];

static void put(const char *path, int value)
{
	char full[256], dir[256], *slash;
	FILE *f;

	snprintf(full, sizeof(full), "%s/%s", root, path);
	snprintf(dir, sizeof(dir), "%s", full);
	for (slash = strchr(dir + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(dir, 0755);
		*slash = '/';
	}
	f = fopen(full, "w");
	assert_non_null(f);
	fprintf(f, "%d\n", value);
	fclose(f);
}

static int get(const char *path)
{
	int v = -1;

	assert_int_equal(sysctl_read(path, &v), 0);
	return v;
}

static int make_tree(void **state)
{
	static const char *const ifs[] = { "all", "default", "lo", "eth0", "eth1" };
	char path[128];
	unsigned int i;

	snprintf(root, sizeof(root), "/tmp/redirect-sysctl-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	setenv("REDIRECT_PROC_SYS", root, 1);
	put("net/ipv4/ip_forward", 0);
	for (i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "net/ipv4/conf/%s/forwarding", ifs[i]);
		put(path, 0);
		snprintf(path, sizeof(path), "net/ipv4/conf/%s/accept_redirects", ifs[i]);
		put(path, 1);
		snprintf(path, sizeof(path), "net/ipv6/conf/%s/forwarding", ifs[i]);
		put(path, 0);
		snprintf(path, sizeof(path), "net/ipv6/conf/%s/accept_ra", ifs[i]);
		put(path, strcmp(ifs[i], "eth1") ? 1 : 0);
	}
	return 0;
}

static int remove_tree(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static const struct sysctl_record *find(const struct sysctl_log *log, const char *path)
{
	unsigned int i;

	for (i = 0; i < log->n; i++)
		if (!strcmp(log->r[i].path, path))
			return &log->r[i];
	return NULL;
}

static void ipv6_keeps_router_advertisements(void **state)
{
	static struct sysctl_log log;
	struct errmsg e = { "" };

	assert_int_equal(forwarding_plan(AF_INET6, &log, &e), 0);
	assert_true(forwarding_recorded(&log, AF_INET6));
	assert_non_null(find(&log, "net/ipv6/conf/eth0/accept_ra"));
	assert_non_null(find(&log, "net/ipv6/conf/default/accept_ra"));
	assert_null(find(&log, "net/ipv6/conf/eth1/accept_ra"));	/* 0 stays 0 */
	assert_null(find(&log, "net/ipv6/conf/all/accept_ra"));
	assert_int_equal(get("net/ipv6/conf/all/forwarding"), 0);	/* plan writes nothing */

	assert_int_equal(forwarding_apply(AF_INET6, &log, &e), 1);	/* switched on */
	assert_int_equal(get("net/ipv6/conf/all/forwarding"), 1);
	assert_int_equal(get("net/ipv6/conf/eth0/accept_ra"), 2);
	assert_int_equal(get("net/ipv6/conf/eth1/accept_ra"), 0);
	put("net/ipv6/conf/eth0/forwarding", 1);	/* the kernel's doing */
	put("net/ipv6/conf/eth1/forwarding", 1);
	/* the admin sets lo's accept_ra meanwhile: theirs, not ours, to keep */
	put("net/ipv6/conf/lo/accept_ra", 0);

	assert_int_equal(forwarding_restore(AF_INET6, &log, false, &e), 0);
	assert_false(forwarding_recorded(&log, AF_INET6));
	assert_int_equal(get("net/ipv6/conf/all/forwarding"), 0);
	assert_int_equal(get("net/ipv6/conf/eth0/forwarding"), 0);
	assert_int_equal(get("net/ipv6/conf/eth1/forwarding"), 0);
	assert_int_equal(get("net/ipv6/conf/eth0/accept_ra"), 1);
	assert_int_equal(get("net/ipv6/conf/default/accept_ra"), 1);
	assert_int_equal(get("net/ipv6/conf/lo/accept_ra"), 0);
	put("net/ipv6/conf/lo/accept_ra", 1);
}

static void ipv4_puts_back_redirects(void **state)
{
	static struct sysctl_log log;
	struct errmsg e = { "" };

	put("net/ipv4/conf/all/accept_redirects", 0);	/* a hardened host */
	assert_int_equal(forwarding_plan(AF_INET, &log, &e), 0);
	assert_int_equal(forwarding_apply(AF_INET, &log, &e), 1);	/* switched on */
	assert_int_equal(get("net/ipv4/ip_forward"), 1);
	put("net/ipv4/conf/eth0/forwarding", 1);	/* the kernel's doing */
	/*
	 * Switching ip_forward back off makes the kernel set accept_redirects
	 * to 1; the fake cannot, so it is set here ahead of the restore.
	 */
	put("net/ipv4/conf/all/accept_redirects", 1);
	assert_int_equal(forwarding_restore(AF_INET, &log, false, &e), 0);
	assert_int_equal(get("net/ipv4/ip_forward"), 0);
	assert_int_equal(get("net/ipv4/conf/eth0/forwarding"), 0);
	assert_int_equal(get("net/ipv4/conf/all/accept_redirects"), 0);
	assert_int_equal(log.n, 0);
	put("net/ipv4/conf/all/accept_redirects", 1);
}

static void already_on_is_not_ours(void **state)
{
	static struct sysctl_log log;
	struct errmsg e = { "" };

	put("net/ipv4/ip_forward", 1);
	assert_int_equal(forwarding_plan(AF_INET, &log, &e), 0);
	assert_int_equal(log.n, 0);
	assert_false(forwarding_recorded(&log, AF_INET));
	assert_int_equal(forwarding_restore(AF_INET, &log, false, &e), 0);
	assert_int_equal(get("net/ipv4/ip_forward"), 1);
	put("net/ipv4/ip_forward", 0);
}

static void admin_took_over(void **state)
{
	static struct sysctl_log log;
	struct errmsg e = { "" };

	assert_int_equal(forwarding_plan(AF_INET6, &log, &e), 0);
	assert_int_equal(forwarding_apply(AF_INET6, &log, &e), 1);	/* switched on */
	/* the admin switches forwarding to 0 and back to something else entirely */
	put("net/ipv6/conf/all/forwarding", 0);
	put("net/ipv6/conf/eth0/accept_ra", 2);
	assert_int_equal(forwarding_restore(AF_INET6, &log, false, &e), 0);
	assert_int_equal(get("net/ipv6/conf/eth0/accept_ra"), 2);	/* left alone */
	assert_int_equal(log.n, 0);
	put("net/ipv6/conf/eth0/accept_ra", 1);
	put("net/ipv6/conf/default/accept_ra", 1);
}

/* A run killed between two writes: the next one (resume) finishes the job. */
static void resumes_after_a_kill(void **state)
{
	static struct sysctl_log log;
	struct errmsg e = { "" };

	/* killed during apply: accept_ra already 2, the switch still off */
	assert_int_equal(forwarding_plan(AF_INET6, &log, &e), 0);
	put("net/ipv6/conf/eth0/accept_ra", 2);
	assert_int_equal(forwarding_restore(AF_INET6, &log, true, &e), 0);
	assert_int_equal(get("net/ipv6/conf/eth0/accept_ra"), 1);
	assert_int_equal(log.n, 0);

	/* killed during restore: the switch back off, accept_ra still 2 */
	assert_int_equal(forwarding_plan(AF_INET6, &log, &e), 0);
	assert_int_equal(forwarding_apply(AF_INET6, &log, &e), 1);
	put("net/ipv6/conf/all/forwarding", 0);
	assert_int_equal(forwarding_restore(AF_INET6, &log, true, &e), 0);
	assert_int_equal(get("net/ipv6/conf/eth0/accept_ra"), 1);
	assert_int_equal(get("net/ipv6/conf/default/accept_ra"), 1);
	assert_int_equal(log.n, 0);
}

static void recorded_once(void **state)
{
	static struct sysctl_log log;
	struct errmsg e = { "" };
	unsigned int n;

	assert_int_equal(forwarding_plan(AF_INET, &log, &e), 0);
	n = log.n;
	assert_int_equal(forwarding_apply(AF_INET, &log, &e), 1);	/* switched on */
	/* after a reboot the value is 0 again; the first "before" stays */
	put("net/ipv4/ip_forward", 0);
	assert_int_equal(forwarding_plan(AF_INET, &log, &e), 0);
	assert_int_equal(log.n, n);
	assert_int_equal(forwarding_apply(AF_INET, &log, &e), 1);	/* switched on */
	assert_int_equal(get("net/ipv4/ip_forward"), 1);
	assert_int_equal(forwarding_apply(AF_INET, &log, &e), 0);	/* on already */
	assert_int_equal(forwarding_restore(AF_INET, &log, false, &e), 0);
	assert_int_equal(get("net/ipv4/ip_forward"), 0);
}

static void paths(void **state)
{
	assert_true(sysctl_path_valid("net/ipv4/ip_forward"));
	assert_true(sysctl_path_valid("net/ipv6/conf/all/forwarding"));
	assert_true(sysctl_path_valid("net/ipv6/conf/eth0.100/accept_ra"));
	assert_true(sysctl_path_valid("net/ipv4/conf/all/accept_redirects"));
	assert_false(sysctl_path_valid("net/ipv4/conf/../forwarding"));
	assert_false(sysctl_path_valid("net/ipv4/conf/a/b/forwarding"));
	assert_false(sysctl_path_valid("net/ipv4/conf//forwarding"));
	assert_false(sysctl_path_valid("net/ipv4/conf/averyveryverylongname/forwarding"));
	assert_false(sysctl_path_valid("net/core/somaxconn"));
	assert_false(sysctl_path_valid("/net/ipv4/ip_forward"));
	assert_false(sysctl_path_valid("net/ipv6/conf/eth0/accept_ra_defrtr"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv6_keeps_router_advertisements),
		cmocka_unit_test(ipv4_puts_back_redirects),
		cmocka_unit_test(already_on_is_not_ours),
		cmocka_unit_test(admin_took_over),
		cmocka_unit_test(resumes_after_a_kill),
		cmocka_unit_test(recorded_once),
		cmocka_unit_test(paths),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, make_tree, remove_tree);
}
