/* SPDX-License-Identifier: MIT */
/*
 * Config parser tests: one case per error class (each must give exactly one
 * "FILE:LINE: message" and leave the configuration untouched), the shipped
 * example file, and a format -> parse round trip.
 * Usage: test_conf CASE [EXAMPLE_FILE]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++;                   \
	fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

/* Parse TEXT over the defaults; it must fail with exactly WANT and keep cfg. */
static void expect_error(const char *text, const char *want)
{
	struct mxd_config cfg, def;
	char err[512];
	int rc;

	mxd_config_defaults(&cfg);
	mxd_config_defaults(&def);
	rc = mxd_config_parse(&cfg, "t.conf", text, strlen(text), err, sizeof(err));
	CHECK(rc == -EINVAL, "rc %d for %s", rc, want);
	CHECK(!strcmp(err, want), "got  '%s'\nwant '%s'", err, want);
	CHECK(!strchr(err, '\n'), "message has a newline: %s", err);
	CHECK(mxd_config_equal(&cfg, &def), "config changed by a failed parse");
}

static void expect_ok(const char *text, struct mxd_config *cfg)
{
	char err[512];
	int rc;

	mxd_config_defaults(cfg);
	rc = mxd_config_parse(cfg, "t.conf", text, strlen(text), err, sizeof(err));
	CHECK(rc == 0, "rc %d: %s", rc, err);
}

static void t_unknown_key(void)
{
	expect_error("# c\npoll_budget = 8\npoll_windw_us = 5\n", "t.conf:3: unknown key 'poll_windw_us'");
	expect_error("\n[limits]\n", "t.conf:2: expected 'key = value', got '[limits]'");
	expect_error(" = 5\n", "t.conf:1: missing key before '='");
}

static void t_wrong_type(void)
{
	expect_error("poll_budget = lots\n", "t.conf:1: poll_budget: 'lots' is not a number");
	expect_error("poll_budget = 12x\n", "t.conf:1: poll_budget: '12x' is not an integer number");
	expect_error("sendq_size = 1T\n", "t.conf:1: sendq_size: '1T' has an unknown unit (use K, M or G)");
	expect_error("wire = maybe\n", "t.conf:1: wire: 'maybe' is not a boolean (yes or no)");
	expect_error("log_level = loud\n",
		     "t.conf:1: log_level: 'loud' is not one of err, warning, notice, info, debug");
	expect_error("poll_spin = yes\n", "t.conf:1: poll_spin: 'yes' is not one of auto, force");
	expect_error("transports = local, tcp\n", "t.conf:1: transports: unknown transport 'tcp' (local, xen)");
	expect_error("ctl_socket = run/ctl.sock\n", "t.conf:1: ctl_socket: 'run/ctl.sock' is not an absolute path");
	expect_error("ctl_group = a b\n", "t.conf:1: ctl_group: 'a b' is not a group name");
	expect_error("peer = onlyhost\n", "t.conf:1: peer: expected 'peer = HOSTNAME MAC', got 'onlyhost'");
}

static void t_out_of_range(void)
{
	expect_error("cmd_ring_order = 13\n", "t.conf:1: cmd_ring_order: 13 is out of range [4..12]");
	expect_error("evt_ring_order = 3\n", "t.conf:1: evt_ring_order: 3 is out of range [4..12]");
	expect_error("endpoints_per_guest = 0\n", "t.conf:1: endpoints_per_guest: 0 is out of range [1..256]");
	expect_error("sendq_size = 32M\n", "t.conf:1: sendq_size: 32M is out of range [65536..16777216]");
	expect_error("recvq_size = 65537\n", "t.conf:1: recvq_size: 65537 is not a multiple of 4096");
	expect_error("medium_max = 128K\n", "t.conf:1: medium_max: 128K is out of range [128..65536]");
	expect_error("poll_budget = 99999999999999999999999\n",
		     "t.conf:1: poll_budget: '99999999999999999999999' is too large");
	expect_error("registered_memory = 17179869184G\n",
		     "t.conf:1: registered_memory: '17179869184G' is too large");
	expect_error("sendq_size = 64K\nmedium_max = 64K\n",
		     "t.conf:2: medium_max (65536) must be at most half of sendq_size and recvq_size");
}

static void t_duplicate(void)
{
	expect_error("log_level = info\n\nlog_level = debug\n",
		     "t.conf:3: duplicate key 'log_level' (first set on line 1)");
	expect_error("peer = a 02:00:00:00:00:01\npeer = a 02:00:00:00:00:02\n",
		     "t.conf:2: peer: host 'a' is listed twice");
	expect_error("peer = a 02:00:00:00:00:01\npeer = a:0 02:00:00:00:00:02\n",
		     "t.conf:2: peer: host 'a:0' is listed twice");
	expect_error("peer = a 02:00:00:00:00:01\npeer = b 02-00-00-00-00-01\n",
		     "t.conf:2: peer: MAC 02-00-00-00-00-01 is listed twice (also 'a')");
	expect_error("transports = xen, xen\n", "t.conf:1: transports: 'xen' listed twice");
	/* one peer file shared by every host lists this host too: allowed */
	struct mxd_config cfg;

	expect_ok("hostname = a\nnic_id = 02:00:00:00:00:01\npeer = a 02:00:00:00:00:01\n"
		  "peer = b 02:00:00:00:00:02\n", &cfg);
	CHECK(cfg.npeers == 2, "npeers %u", cfg.npeers);
}

static void t_missing_interface(void)
{
	expect_error("log_level = info\nwire = yes\n", "t.conf:2: wire = yes needs 'interface = IFNAME'");
	struct mxd_config cfg;

	expect_ok("interface = eth0\nwire = no\n", &cfg);
	CHECK(cfg.interface[0] == 0, "wire = no must clear the interface");
	expect_ok("interface = eth0\n", &cfg);
	CHECK(!strcmp(cfg.interface, "eth0"), "interface %s", cfg.interface);
	expect_error("interface = averyveryverylongname0\n",
		     "t.conf:1: interface: 'averyveryverylongname0' is too long (at most 15 characters)");
	/* Open-MX's MTU, the whole frame: 0 (default) = min(interface, 9000) */
	CHECK(cfg.wire_mtu == 0, "wire_mtu default %u", cfg.wire_mtu);
	expect_ok("interface = eth0\nwire_mtu = 1500\n", &cfg);
	CHECK(cfg.wire_mtu == 1500, "wire_mtu %u", cfg.wire_mtu);
	expect_error("wire_mtu = 9014\n", "t.conf:1: wire_mtu: 9014 is out of range [1280..9000]");
	CHECK(cfg.peer_timeout_ms == 0, "peer_timeout_ms default %u", cfg.peer_timeout_ms);
	expect_ok("peer_timeout_ms = 6000\n", &cfg);
	CHECK(cfg.peer_timeout_ms == 6000, "peer_timeout_ms %u", cfg.peer_timeout_ms);
	expect_error("peer_timeout_ms = 999\n",
		     "t.conf:1: peer_timeout_ms: 999 is out of range [1000..3600000]");
}

static void t_bad_mac(void)
{
	expect_error("peer = h1 02:00:00:00:00\n",
		     "t.conf:1: peer: bad MAC '02:00:00:00:00' (expected six hex pairs, e.g. 02:00:00:00:00:01)");
	expect_error("peer = h1 02:00:00:00:00:0g\n",
		     "t.conf:1: peer: bad MAC '02:00:00:00:00:0g' (expected six hex pairs, e.g. 02:00:00:00:00:01)");
	expect_error("nic_id = 00:00:00:00:00:00\n",
		     "t.conf:1: nic_id: bad MAC '00:00:00:00:00:00': all-zero is not a NIC id");
	expect_error("nic_id = 01:00:5e:00:00:01\n",
		     "t.conf:1: nic_id: bad MAC '01:00:5e:00:00:01': multicast address");
	expect_error("peer = h1 02:00:00:00:00:01:02\n",
		     "t.conf:1: peer: bad MAC '02:00:00:00:00:01:02' (expected six hex pairs, e.g. 02:00:00:00:00:01)");
}

static void t_line_too_long(void)
{
	size_t n = MXD_CONF_LINE_MAX + 1;
	char *text = malloc(n + 64), want[128];

	strcpy(text, "log_level = info\n");
	memset(text + strlen(text), 'x', n);
	strcpy(text + strlen("log_level = info\n") + n, "\n");
	snprintf(want, sizeof(want), "t.conf:2: line is too long (%zu characters, at most %d)", n,
		 MXD_CONF_LINE_MAX);
	expect_error(text, want);
	free(text);
	/* exactly at the limit is fine (a long comment) */
	struct mxd_config cfg;

	text = malloc(MXD_CONF_LINE_MAX + 2);
	memset(text, '#', MXD_CONF_LINE_MAX);
	text[MXD_CONF_LINE_MAX] = '\n';
	text[MXD_CONF_LINE_MAX + 1] = 0;
	expect_ok(text, &cfg);
	free(text);
}

static void t_missing_file(void)
{
	struct mxd_config cfg;
	char err[512];
	int rc;

	mxd_config_defaults(&cfg);
	rc = mxd_config_load(&cfg, "/nonexistent/myribackd.conf", err, sizeof(err));
	CHECK(rc == -ENOENT, "rc %d", rc);
	CHECK(!strcmp(err, "/nonexistent/myribackd.conf:0: cannot open: No such file or directory"),
	      "%s", err);
}

/* xen_attach: which Xen domains get a myrixen device by themselves */
static void t_xen_attach(void)
{
	struct mxd_config cfg;

	expect_ok("", &cfg);
	CHECK(!strcmp(cfg.xen_attach, "all"), "default '%s'", cfg.xen_attach);
	CHECK(mxd_attach_policy_match(cfg.xen_attach, "anything"), "all matches");
	expect_ok("xen_attach = none\n", &cfg);
	CHECK(!mxd_attach_policy_match(cfg.xen_attach, "u1"), "none matches nothing");
	expect_ok("xen_attach = mpi-*, db[0-9] ,u?\n", &cfg);
	CHECK(!strcmp(cfg.xen_attach, "mpi-*, db[0-9] ,u?"), "kept '%s'", cfg.xen_attach);
	CHECK(mxd_attach_policy_match(cfg.xen_attach, "mpi-7"), "mpi-7");
	CHECK(mxd_attach_policy_match(cfg.xen_attach, "db3"), "db3 (blanks around a pattern)");
	CHECK(mxd_attach_policy_match(cfg.xen_attach, "u1"), "u1");
	/* xl migrate-receive names the domain NAME--incoming until it is all here */
	CHECK(mxd_attach_policy_match(cfg.xen_attach, "u1--incoming"), "u1--incoming");
	CHECK(!mxd_attach_policy_match(cfg.xen_attach, "u12"), "u12");
	CHECK(!mxd_attach_policy_match(cfg.xen_attach, "web"), "web");
	CHECK(!mxd_attach_policy_match(cfg.xen_attach, ""), "no name");
	CHECK(!mxd_attach_policy_match(cfg.xen_attach, "--incoming"), "bare suffix");
	expect_error("xen_attach =\n", "t.conf:1: xen_attach: empty (all, none, or domain name patterns)");
	expect_error("xen_attach = u1,,u2\n", "t.conf:1: xen_attach: empty pattern in 'u1,,u2'");
	expect_error("xen_attach = u1,\n", "t.conf:1: xen_attach: empty pattern in 'u1,'");
	expect_error("xen_attach = all, u1\n", "t.conf:1: xen_attach: 'all' cannot be part of a list");
	expect_error("xen_attach = yes\n", "t.conf:1: xen_attach: 'yes' is not a policy: "
		     "say all or none (or list domain name patterns)");
	expect_error("xen_attach = u1, Off\n", "t.conf:1: xen_attach: 'Off' is not a policy: "
		     "say all or none (or list domain name patterns)");
	expect_error("xen_attach = u 1\n", "t.conf:1: xen_attach: 'u 1' is not a domain name pattern "
		     "(letters, digits, . - _ and * ? [ ] !)");
	expect_error("xen_attach = all\nxen_attach = none\n",
		     "t.conf:2: duplicate key 'xen_attach' (first set on line 1)");
}

static const char good[] =
	"# full file\n"
	"interface = veth0   # trailing comment\r\n"
	"transports = local,xen\n"
	"local_socket = /tmp/l.sock\n"
	"local_group = myrixen\n"
	"ctl_socket = /tmp/c.sock\n"
	"ctl_group = adm\n"
	"\tpoll_window_us = 0\n"
	"poll_budget = 4096\n"
	"poll_spin = Force\n"
	"endpoints_per_guest = 256\n"
	"cmd_ring_order = 4\n"
	"evt_ring_order = 12\n"
	"sendq_size = 64K\n"
	"recvq_size = 16MiB\n"
	"registered_memory = 1G\n"
	"medium_max = 32768\n"
	"outstanding = 65536\n"
	"hostname = node-1.example\n"
	"nic_id = 02:AB:cd:00:00:01\n"
	"log_level = debug\n"
	"xen_attach = mpi-*,u?\n"
	"peer = node-2 02:00:00:00:00:02\n"
	"peer = node-3 02-00-00-00-00-03\n"
	"peer=node-4 02:00:00:00:00:04";   /* no final newline */

static void t_round_trip(void)
{
	struct mxd_config a, b;
	char text[8192], err[512];
	int n, rc;

	expect_ok(good, &a);
	CHECK(!strcmp(a.interface, "veth0"), "interface '%s'", a.interface);
	CHECK(a.transport_local && a.transport_xen, "transports");
	CHECK(!strcmp(a.local_socket, "/tmp/l.sock") && !strcmp(a.local_group, "myrixen"), "local");
	CHECK(!strcmp(a.ctl_socket, "/tmp/c.sock") && !strcmp(a.ctl_group, "adm"), "ctl");
	CHECK(a.poll_window_us == 0 && a.poll_budget == 4096 && a.poll_spin_force, "poll");
	CHECK(a.limits.endpoints == 256 && a.limits.cmd_order == 4 && a.limits.evt_order == 12, "limits");
	CHECK(a.limits.sendq_size == 65536 && a.limits.recvq_size == 16u << 20, "queues");
	CHECK(a.limits.registered_bytes == 1ull << 30, "registered %llu",
	      (unsigned long long)a.limits.registered_bytes);
	CHECK(a.limits.medium_max == 32768 && a.limits.outstanding == 65536, "medium/outstanding");
	CHECK(!strcmp(a.hostname, "node-1.example"), "hostname");
	CHECK(a.nic_id == 0x02abcd000001ull, "nic_id %llx", (unsigned long long)a.nic_id);
	CHECK(a.log_level == MXD_LOG_DEBUG, "log level");
	CHECK(!strcmp(a.xen_attach, "mpi-*,u?"), "xen_attach '%s'", a.xen_attach);
	CHECK(a.npeers == 3 && !strcmp(a.peers[2].hostname, "node-4") &&
	      a.peers[1].nic_id == 0x020000000003ull, "peers");

	n = mxd_config_format(&a, text, sizeof(text));
	CHECK(n > 0 && (size_t)n < sizeof(text), "format %d", n);
	mxd_config_defaults(&b);
	rc = mxd_config_parse(&b, "formatted", text, (size_t)n, err, sizeof(err));
	CHECK(rc == 0, "reparse: %s\n%s", err, text);
	CHECK(mxd_config_equal(&a, &b), "round trip differs:\n%s", text);
	/* a truncated format still reports the full length */
	CHECK(mxd_config_format(&a, text, 10) == n, "short buffer length");

	/* defaults survive a round trip too */
	mxd_config_defaults(&a);
	n = mxd_config_format(&a, text, sizeof(text));
	b = a;
	b.poll_budget = 1;
	mxd_config_defaults(&b);
	rc = mxd_config_parse(&b, "defaults", text, (size_t)n, err, sizeof(err));
	CHECK(rc == 0 && mxd_config_equal(&a, &b), "defaults round trip: %s", err);
}

static void t_example(const char *path)
{
	struct mxd_config a, def;
	char err[512];
	int rc;

	mxd_config_defaults(&a);
	mxd_config_defaults(&def);
	rc = mxd_config_load(&a, path, err, sizeof(err));
	CHECK(rc == 0, "%s", err);
	/* the example documents the defaults: loading it changes nothing */
	CHECK(mxd_config_equal(&a, &def), "example file differs from the built-in defaults");
}

int main(int argc, char **argv)
{
	static const struct { const char *name; void (*fn)(void); } cases[] = {
		{ "unknown_key", t_unknown_key }, { "wrong_type", t_wrong_type },
		{ "out_of_range", t_out_of_range }, { "duplicate", t_duplicate },
		{ "missing_interface", t_missing_interface }, { "bad_mac", t_bad_mac },
		{ "line_too_long", t_line_too_long }, { "missing_file", t_missing_file },
		{ "round_trip", t_round_trip }, { "xen_attach", t_xen_attach },
	};

	if (argc >= 3 && !strcmp(argv[1], "example")) {
		t_example(argv[2]);
	} else {
		size_t i;

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			if (argc == 2 && !strcmp(argv[1], cases[i].name))
				break;
		if (i == sizeof(cases) / sizeof(cases[0])) {
			fprintf(stderr, "usage: test_conf CASE | example FILE\n");
			return 2;
		}
		cases[i].fn();
	}
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
