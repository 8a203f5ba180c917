// SPDX-License-Identifier: GPL-2.0-or-later
/* The state file: round trip, damage, and the directory rules. */
#include "unit.h"

#include "lib/owned.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/state_dir.h"
#include "lib/regular_file.h"

static struct state sample(void)
{
	struct errmsg e = { "" };
	struct state st;

	state_init(&st);
	st.enabled = true;
	st.since = 1795000000;
	assert_int_equal(spec_add_target(&st.spec, "198.51.100.2", &e), 0);
	assert_int_equal(spec_add_target(&st.spec, "2001:db8:2::2", &e), 0);
	assert_int_equal(spec_add_services(&st.spec, "smtp,imaps,2525", &e), 0);
	assert_int_equal(spec_add_exclude(&st.spec, "192.0.2.0/24", &e), 0);
	assert_int_equal(spec_add_exclude(&st.spec, "2001:db8:99::/48", &e), 0);
	st.spec.remember = 86400 + 7200;
	st.spec.masquerade = false;
	assert_int_equal(spec_finalize(&st.spec, &e), 0);
	st.sysctls.n = 2;
	snprintf(st.sysctls.r[0].path, SYSCTL_PATH_MAX, "net/ipv4/ip_forward");
	st.sysctls.r[0].after = 1;
	snprintf(st.sysctls.r[1].path, SYSCTL_PATH_MAX, "net/ipv6/conf/eth0/accept_ra");
	st.sysctls.r[1].before = 1;
	st.sysctls.r[1].after = 2;
	return st;
}

static void round_trip(void **state)
{
	static char text[STATE_TEXT_MAX];
	struct errmsg e = { "" };
	struct state a = sample(), b;
	int len = state_format(&a, text, sizeof(text));

	assert_true(len > 0);
	assert_golden("state.txt", text);
	assert_int_equal(state_parse(text, (size_t)len, &b, &e), 0);
	assert_true(b.enabled);
	assert_false(b.pending);
	assert_int_equal(b.since, a.since);
	assert_true(spec_equal(&a.spec, &b.spec));
	assert_int_equal(b.sysctls.n, 2);
	assert_string_equal(b.sysctls.r[1].path, "net/ipv6/conf/eth0/accept_ra");
	assert_int_equal(b.sysctls.r[1].after, 2);
}

/* Both ends of the tunnel: what accept and --keep-client-address record. */
static void round_trip_tunnel(void **state)
{
	static char text[STATE_TEXT_MAX];
	struct errmsg e = { "" };
	struct state old, new, b;
	int len;

	state_init(&old);
	old.enabled = old.tunnel = true;
	assert_int_equal(spec_add_target(&old.spec, "192.0.2.2", &e), 0);
	old.spec.keep_client_address = true;
	old.spec.tunnel_mtu = 1450;
	assert_int_equal(spec_set_tunnel_id(&old.spec, "12345678", &e), 0);
	snprintf(old.spec.tunnel_link, sizeof(old.spec.tunnel_link), "mail_redirect2");
	old.spec.has_previous = true;
	old.spec.previous.id = 77;
	assert_int_equal(parse_address("2001:db8:3::2", &old.spec.previous.peer, &e), 0);
	snprintf(old.spec.previous.link, sizeof(old.spec.previous.link), "mail_redirect");
	assert_int_equal(spec_finalize(&old.spec, &e), 0);
	assert_false(old.spec.masquerade);
	len = state_format(&old, text, sizeof(text));
	assert_non_null(strstr(text, "keep_client_address yes\ntunnel_mtu 1450\ntunnel_id 12345678\n"
				     "tunnel_link mail_redirect2\n"
				     "previous_tunnel 77 2001:db8:3::2 mail_redirect\n"));
	assert_int_equal(state_parse(text, (size_t)len, &b, &e), 0);
	assert_true(spec_equal(&old.spec, &b.spec));
	assert_true(b.tunnel);
	b.spec.previous.id = 78;	/* another tunnel left behind: another spec */
	assert_false(spec_equal(&old.spec, &b.spec));

	state_init(&new);
	new.enabled = new.tunnel = true;
	new.spec.role = ROLE_NEW;
	new.spec.tunnel_id = 2862879;
	snprintf(new.spec.tunnel_link, sizeof(new.spec.tunnel_link), "mail_redirect");
	assert_int_equal(spec_add_from(&new.spec, "198.51.100.1", &e), 0);
	assert_int_equal(spec_add_from(&new.spec, "2001:db8:2::1", &e), 0);
	assert_int_equal(spec_finalize(&new.spec, &e), 0);
	len = state_format(&new, text, sizeof(text));
	assert_golden("state_accept.txt", text);
	assert_int_equal(state_parse(text, (size_t)len, &b, &e), 0);
	assert_int_equal(b.spec.role, ROLE_NEW);
	assert_true(spec_equal(&new.spec, &b.spec));
	assert_false(spec_equal(&old.spec, &b.spec));
}

/*
 * A state of a redirect from before tunnel ids goes on as it was: the
 * legacy id (whose addresses are the fixed ones of before) on the one link
 * name there was.
 */
static void tunnel_before_ids(void **state)
{
	static const char old[] = "version 1\nenabled yes\npending no\ndraining no\nsince 1\n"
				  "to 192.0.2.2\nmasquerade no\nkeep_client_address yes\n"
				  "tunnel_mtu 1450\ntunnel yes\n";
	struct errmsg e = { "" };
	struct prefix p;
	char a[ADDRESS_STRLEN];
	struct state st;

	assert_int_equal(state_parse(old, sizeof(old) - 1, &st, &e), 0);
	assert_int_equal(st.spec.tunnel_id, 2587);
	assert_string_equal(st.spec.tunnel_link, "mail_redirect");
	tunnel_address(AF_INET, ROLE_NEW, st.spec.tunnel_id, &p);
	assert_string_equal(prefix_str(&p, a), "169.254.77.2/30");
	tunnel_address(AF_INET6, ROLE_OLD, st.spec.tunnel_id, &p);
	assert_string_equal(prefix_str(&p, a), "fd6d:6169:6c00::1/64");
}

static void expect_damaged(const char *text, const char *needle)
{
	struct errmsg e = { "" };
	struct state st;

	if (!state_parse(text, strlen(text), &st, &e))
		fail_msg("accepted:\n%s", text);
	if (!strstr(e.text, needle))
		fail_msg("message '%s' lacks '%s'", e.text, needle);
}

static void damage(void **state)
{
	expect_damaged("", "no \"version 1\"");
	expect_damaged("enabled yes\n", "line 1: expected \"version 1\" first");
	expect_damaged("version 2\n", "written by a newer redirect (state version 2; this one "
		       "reads version 1)");
	expect_damaged("version 1\nenabled maybe\n", "line 2");
	expect_damaged("version 1\nfrobnicate 1\n", "line 2: unknown key 'frobnicate'");
	expect_damaged("version 1\nenabled yes\n", "--to");
	expect_damaged("version 1\nenabled yes\nto 127.0.0.1\n", "loopback");
	expect_damaged("version 1\nenabled yes\nto example.org\n", "host name");
	expect_damaged("version 1\nservice smtp\n", "line 2");
	expect_damaged("version 1\nservice 0\n", "line 2");
	expect_damaged("version 1\nsince -5\n", "line 2");
	expect_damaged("version 1\nremember 0\n", "line 2");
	expect_damaged("version 1\nsysctl net/ipv4/ip_forward 0\n", "not a setting");
	/* never a path outside the settings we own */
	expect_damaged("version 1\nsysctl kernel/core_pattern 0 1\n", "not a setting");
	expect_damaged("version 1\nsysctl net/ipv4/conf/../../../kernel/x/forwarding 0 1\n",
		       "not a setting");
	expect_damaged("version 1\nsysctl net/ipv6/conf/eth0/disable_ipv6 0 1\n", "not a setting");
	expect_damaged("version 1\nenabled\n", "key value");
	expect_damaged("version 1\n to 198.51.100.2\n", "key value");
	/* found by fuzz_state: written back, the MTU would read 0, which is refused */
	expect_damaged("version 1\nkeep_client_address yes\n", "without its tunnel_mtu");
	expect_damaged("version 1\ntunnel_link eth0\n", "line 2");
	expect_damaged("version 1\ntunnel_id 16777216\n", "line 2");
	expect_damaged("version 1\nprevious_tunnel 0 192.0.2.2 mail_redirect\n", "line 2");
}

static void damage_binary(void **state)
{
	static const char nul[] = "version 1\nenabled yes\0\n";
	char big[1000];
	struct errmsg e = { "" };
	struct state st;

	assert_int_not_equal(state_parse(nul, sizeof(nul) - 1, &st, &e), 0);
	assert_non_null(strstr(e.text, "NUL"));
	memset(big, 'a', sizeof(big));
	memcpy(big, "version 1\n", 10);
	assert_int_not_equal(state_parse(big, sizeof(big), &st, &e), 0);
	assert_non_null(strstr(e.text, "too long"));
}

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/redirect-unit-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

static void files(void **state)
{
	struct errmsg e = { "" };
	struct state_dir d;
	struct state a = sample(), b;
	char path[128];
	long holder = 0;

	snprintf(path, sizeof(path), "%s/state-dir", tmpdir);
	assert_int_equal(state_dir_open(&d, path, false, &e), 0);
	assert_int_equal(d.fd, -1);		/* missing, not made */
	assert_int_equal(state_read(&d, &b, &e), 0);
	assert_false(b.enabled);
	assert_int_equal(state_dir_open(&d, path, true, &e), 0);
	assert_true(d.fd >= 0);
	assert_int_equal(state_lock(&d, false, &holder, &e), 0);
	assert_int_equal(state_write(&d, &a, &e), 0);
	assert_int_equal(state_read(&d, &b, &e), 0);
	assert_true(spec_equal(&a.spec, &b.spec));
	assert_int_equal(faccessat(d.fd, "state.tmp", F_OK, 0), -1);	/* renamed away */
	/* a copy of the last write, for disable when the state is damaged */
	memset(&b, 0, sizeof(b));
	assert_int_equal(state_read_last_good(&d, &b, &e), 0);
	assert_true(spec_equal(&a.spec, &b.spec));
	assert_int_equal(faccessat(d.fd, "state.last-good.tmp", F_OK, 0), -1);
	assert_int_equal(state_set_aside(&d, &e), 1);
	assert_int_equal(faccessat(d.fd, "state.damaged", F_OK, 0), 0);
	assert_int_equal(state_set_aside(&d, &e), 0);	/* nothing left to move */
	state_dir_close(&d);
}

static void truncate_file(int dir, const char *name)
{
	int fd = openat(dir, name, O_WRONLY | O_TRUNC);

	assert_true(fd >= 0);
	close(fd);
}

/* The record written before a change: newer wins, a damaged one is ignored. */
static void pending_record(void **state)
{
	static struct state a, b, old;
	struct errmsg e = { "" };
	struct state_dir d;
	char path[128];
	long holder = 0;

	snprintf(path, sizeof(path), "%s/pending-dir", tmpdir);
	assert_int_equal(state_dir_open(&d, path, true, &e), 0);
	assert_int_equal(state_lock(&d, false, &holder, &e), 0);
	a = sample();
	assert_int_equal(state_write(&d, &a, &e), 0);
	a.enabled = false;
	a.pending = true;
	assert_int_equal(state_write_intent(&d, &a, &e), 0);
	assert_int_equal(state_read(&d, &b, &e), 0);
	assert_true(b.pending && !b.enabled);		/* the newer record */

	/* what a power cut can leave: the pending name, no content */
	truncate_file(d.fd, STATE_PENDING_FILE);
	assert_int_equal(state_read(&d, &b, &e), 0);
	assert_true(b.enabled && !b.pending);		/* the last durable state */

	/* a durable write makes any pending record older, even one left behind */
	assert_int_equal(state_write_intent(&d, &a, &e), 0);
	assert_int_equal(state_read(&d, &old, &e), 0);
	assert_true(old.pending);
	a.pending = false;
	assert_int_equal(state_write(&d, &a, &e), 0);
	assert_int_equal(faccessat(d.fd, STATE_PENDING_FILE, F_OK, 0), -1);
	old.generation--;	/* as written: state_write numbered it */
	assert_int_equal(state_write_intent(&d, &old, &e), 0);	/* same generation as state */
	assert_int_equal(state_read(&d, &b, &e), 0);
	assert_false(b.pending);
	state_dir_close(&d);
}

/* One file of the directory @dir, parsed alone into @st. */
static void parse_file(int dir, const char *name, struct state *st)
{
	static char buf[STATE_TEXT_MAX];
	struct errmsg e = { "" };
	int fd = openat(dir, name, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_true(n > 0);
	assert_int_equal(state_parse(buf, (size_t)n, st, &e), 0);
}

/*
 * enable's write-ahead record: its intent made the durable state on a
 * thread while the kernel changes, then the outcome, newer, beside it (and
 * in the last good copy); a power cut that loses the outcome leaves the
 * durable intent.
 */
static void intent_behind(void **state)
{
	static struct state a, b, intent, outcome, copy;
	struct errmsg e = { "" };
	struct state_dir d;
	char path[128];
	long holder = 0;

	snprintf(path, sizeof(path), "%s/behind-dir", tmpdir);
	assert_int_equal(state_dir_open(&d, path, true, &e), 0);
	assert_int_equal(state_lock(&d, false, &holder, &e), 0);
	a = sample();
	assert_int_equal(state_write(&d, &a, &e), 0);		/* the state before */
	a.pending = true;
	a.spec.remember = 3600;
	assert_int_equal(state_write_intent_behind(&d, &a, &e), 0);
	a.pending = false;
	assert_int_equal(state_write_outcome(&d, &a, &e), 0);
	parse_file(d.fd, STATE_FILE, &intent);
	assert_true(intent.pending && intent.spec.remember == 3600);	/* durable */
	parse_file(d.fd, STATE_PENDING_FILE, &outcome);
	assert_true(!outcome.pending && outcome.generation == intent.generation + 1);
	parse_file(d.fd, STATE_LAST_GOOD_FILE, &copy);
	assert_true(!copy.pending && copy.generation == outcome.generation);
	assert_int_equal(faccessat(d.fd, "state.behind.tmp", F_OK, 0), -1);
	assert_int_equal(state_read(&d, &b, &e), 0);
	assert_true(b.enabled && !b.pending && b.spec.remember == 3600);
	/* the outcome lost to a power cut: the durable intent, for the next run to finish */
	truncate_file(d.fd, STATE_PENDING_FILE);
	assert_int_equal(state_read(&d, &b, &e), 0);
	assert_true(b.enabled && b.pending && b.spec.remember == 3600);

	/* a durable write waits for one under way, and replaces it */
	a.spec.remember = 7200;
	assert_int_equal(state_write_intent_behind(&d, &a, &e), 0);
	a.spec.remember = 60;
	assert_int_equal(state_write(&d, &a, &e), 0);
	parse_file(d.fd, STATE_FILE, &b);
	assert_int_equal(b.spec.remember, 60);

	/* the durable write failing: said by the outcome's write, naming the file, once */
	assert_int_equal(mkdirat(d.fd, "state.behind.tmp", 0700), 0);
	assert_int_equal(state_write_intent_behind(&d, &a, &e), 0);
	assert_true(state_write_outcome(&d, &a, &e) < 0);
	assert_non_null(strstr(e.text, "cannot write"));
	assert_non_null(strstr(e.text, "/state:"));
	assert_false(d.behind.running);
	assert_int_equal(d.behind.err, 0);
	assert_int_equal(unlinkat(d.fd, "state.behind.tmp", AT_REMOVEDIR), 0);

	/* closing waits too: no write outlives the directory */
	assert_int_equal(state_write_intent_behind(&d, &a, &e), 0);
	state_dir_close(&d);
	assert_false(d.behind.running);
}

static void directory_rules(void **state)
{
	struct errmsg e = { "" };
	struct state_dir d;
	char target[128], link[128];

	snprintf(target, sizeof(target), "%s/real", tmpdir);
	snprintf(link, sizeof(link), "%s/link", tmpdir);
	assert_int_equal(mkdir(target, 0700), 0);
	assert_int_equal(symlink(target, link), 0);
	assert_int_not_equal(state_dir_open(&d, link, true, &e), 0);
	assert_non_null(strstr(e.text, "symlink"));
	assert_int_equal(chmod(target, 0777), 0);
	assert_int_not_equal(state_dir_open(&d, target, true, &e), 0);
	assert_non_null(strstr(e.text, "written by others"));
}

static void symlinked_state_file(void **state)
{
	struct errmsg e = { "" };
	struct state_dir d;
	struct state st;
	char path[128], file[160];

	snprintf(path, sizeof(path), "%s/linked", tmpdir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(file, sizeof(file), "%s/state", path);
	assert_int_equal(symlink("/etc/hostname", file), 0);
	assert_int_equal(state_dir_open(&d, path, false, &e), 0);
	assert_int_not_equal(state_read(&d, &st, &e), 0);
	state_dir_close(&d);
}

/* A FIFO where a file of ours belongs: refused and named at once, never opened and waited on. */
static void fifo_refused(void **state)
{
	static const char *const names[] = { "state", "state.pending", "lock", "names" };
	struct errmsg e = { "" };
	struct state_dir d;
	struct state st;
	char path[128], file[160];
	unsigned int i;
	long holder;

	alarm(10);	/* a hang fails the test instead of stopping it */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/fifo%u", tmpdir, i);
		assert_int_equal(mkdir(path, 0700), 0);
		snprintf(file, sizeof(file), "%s/%s", path, names[i]);
		assert_int_equal(mkfifo(file, 0600), 0);
		assert_int_equal(state_dir_open(&d, path, false, &e), 0);
		if (!strcmp(names[i], "lock"))
			assert_int_equal(state_lock(&d, false, &holder, &e), REGULAR_FILE_NOT);
		else
			assert_int_equal(state_read(&d, &st, &e), REGULAR_FILE_NOT);
		assert_non_null(strstr(e.text, names[i]));
		assert_non_null(strstr(e.text, "is a FIFO, not a regular file"));
		state_dir_close(&d);
	}
	alarm(0);
}

/* --public-address: checked as --to is, each once, kept in the state file. */
static void public_addresses(void **state)
{
	static char text[STATE_TEXT_MAX];
	char addr[ADDRESS_STRLEN], name[32];
	struct errmsg e = { "" };
	struct state a, b;
	unsigned int i;
	int len;

	state_init(&a);
	assert_int_equal(public_add(&a.public, "198.51.100.1", &e), 0);
	assert_int_equal(public_add(&a.public, "198.51.100.1", &e), 0);
	assert_int_equal(public_add(&a.public, "2001:db8:2::1", &e), 0);
	assert_int_equal(a.public.n, 2);
	assert_int_not_equal(public_add(&a.public, "127.0.0.1", &e), 0);
	assert_non_null(strstr(e.text, "'127.0.0.1' is a loopback address; give the address "
				       "others reach this host at (behind NAT, its public one)"));
	assert_int_not_equal(public_add(&a.public, "mail.example.org", &e), 0);
	assert_non_null(strstr(e.text, "'mail.example.org' is not an IP address"));
	assert_int_not_equal(public_add(&a.public, "198.51.100.0/24", &e), 0);
	assert_string_equal(address_str(public_of(&a.public, AF_INET6), addr), "2001:db8:2::1");
	len = state_format(&a, text, sizeof(text));
	assert_true(len > 0);
	assert_non_null(strstr(text, "public_address 198.51.100.1\npublic_address 2001:db8:2::1\n"));
	assert_int_equal(state_parse(text, (size_t)len, &b, &e), 0);
	assert_int_equal(b.public.n, 2);
	assert_true(address_equal(&a.public.a[1], &b.public.a[1]));
	for (i = 2; i < PUBLIC_MAX; i++) {
		snprintf(name, sizeof(name), "203.0.113.%u", i);
		assert_int_equal(public_add(&a.public, name, &e), 0);
	}
	assert_int_not_equal(public_add(&a.public, "203.0.113.99", &e), 0);
	assert_non_null(strstr(e.text, "more than 8 public addresses"));
}

/* --domain given twice is one domain: merged, then counted. */
static void domains_merged(void **state)
{
	struct errmsg e = { "" };
	struct dns_clock c = { .ndomains = 0 };
	char name[32];
	unsigned int i;

	for (i = 0; i < 100; i++)
		assert_int_equal(dns_clock_add_domain(&c, "example.org", &e), 0);
	assert_int_equal(dns_clock_add_domain(&c, "EXAMPLE.org.", &e), 0);
	assert_int_equal(c.ndomains, 1);
	for (i = 1; i < STATE_DOMAINS_MAX; i++) {
		snprintf(name, sizeof(name), "example%u.org", i);
		assert_int_equal(dns_clock_add_domain(&c, name, &e), 0);
	}
	assert_int_equal(dns_clock_add_domain(&c, "example1.org", &e), 0);
	assert_int_not_equal(dns_clock_add_domain(&c, "example.net", &e), 0);
	assert_non_null(strstr(e.text, "'example.net': more than 16 domains"));
	assert_int_not_equal(dns_clock_add_domain(&c, "exa mple.org", &e), 0);
	assert_non_null(strstr(e.text, "'exa mple.org' is no domain name"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(round_trip_tunnel),
		cmocka_unit_test(tunnel_before_ids),
		cmocka_unit_test(damage),
		cmocka_unit_test(damage_binary),
		cmocka_unit_test(files),
		cmocka_unit_test(pending_record),
		cmocka_unit_test(intent_behind),
		cmocka_unit_test(directory_rules),
		cmocka_unit_test(symlinked_state_file),
		cmocka_unit_test(fifo_refused),
		cmocka_unit_test(domains_merged),
		cmocka_unit_test(public_addresses),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
