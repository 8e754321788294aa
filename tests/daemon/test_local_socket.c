/* SPDX-License-Identifier: MIT */
/*
 * myribackd's sockets from a client's point of view:
 *  - start-up: the local and control socket paths appear only once they
 *    listen.  listen() is slowed down (delay_listen.so preloaded) and the
 *    client connects the moment the file exists: it must never be refused.
 * usage: test_local_socket MYRIBACKD DELAY_LISTEN_SO gap
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "rawclient.h"
#include "tcheck.h"

static const char *daemon_bin, *delay_so;
static char dir[64], sock_path[128], ctl_path[128], conf_path[128];
static pid_t daemon_pid, main_pid;

/* A failed check exits: never leave a daemon behind (children too exit). */
static void kill_daemon(void)
{
	if (getpid() == main_pid && daemon_pid > 0 && waitpid(daemon_pid, NULL, WNOHANG) == 0) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
	}
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void write_conf(const char *extra)
{
	FILE *f = fopen(conf_path, "w");

	CHECK(f);
	fprintf(f, "transports = local\nlocal_socket = %s\nctl_socket = %s\n%s", sock_path,
		ctl_path, extra);
	CHECK(fclose(f) == 0);
}

/* Start myribackd with listen() delayed by delay_ms (0: not preloaded). */
static void start_daemon(const char *extra_conf, int delay_ms)
{
	char ms[16], asan[512];
	const char *old = getenv("ASAN_OPTIONS");

	write_conf(extra_conf);
	daemon_pid = fork();
	CHECK(daemon_pid >= 0);
	if (daemon_pid)
		return;
	unsetenv("NOTIFY_SOCKET");
	unsetenv("MYRIXEN_SOCKET");
	unsetenv("MYRIXEN_CTL_SOCKET");
	if (delay_ms) {
		snprintf(ms, sizeof(ms), "%d", delay_ms);
		setenv("MYRIXEN_TEST_LISTEN_DELAY_MS", ms, 1);
		setenv("LD_PRELOAD", delay_so, 1);
		/* a sanitizer runtime must otherwise be the first library */
		snprintf(asan, sizeof(asan), "%s%sverify_asan_link_order=0", old ? old : "",
			 old && old[0] ? ":" : "");
		setenv("ASAN_OPTIONS", asan, 1);
	}
	execl(daemon_bin, daemon_bin, "-f", "-c", conf_path, (char *)NULL);
	perror("exec myribackd");
	_exit(127);
}

static void stop_daemon(void)
{
	int status;

	kill(daemon_pid, SIGTERM);
	CHECK_EQ(waitpid(daemon_pid, &status, 0), daemon_pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	daemon_pid = 0;
	CHECK(access(sock_path, F_OK) != 0);
	CHECK(access(ctl_path, F_OK) != 0);
}

/* Bounded wait (not a timing assertion) for a path to exist, polling hard
 * so the client is as early as any client can be. */
static void await_path(const char *path)
{
	for (int i = 0; i < 10000; i++) {
		if (access(path, F_OK) == 0)
			return;
		CHECK(waitpid(daemon_pid, NULL, WNOHANG) == 0);
		sleep_ms(1);
	}
	fprintf(stderr, "%s never appeared\n", path);
	exit(1);
}

static void no_startup_gap(void)
{
	struct rawclient c;
	char body[4096];
	int err;

	start_daemon("", 300);
	await_path(sock_path);
	err = rc_open(&c, sock_path, MXN_ENDPOINT_ANY, 1);
	if (err)
		fprintf(stderr, "open right after %s appeared: %s\n", sock_path, strerror(-err));
	CHECK_EQ(err, 0);
	rc_close(&c);
	await_path(ctl_path);
	CHECK_EQ(ctl_request(ctl_path, "text status\n", body, sizeof(body)), 0);
	/* no temporary name is left behind */
	CHECK(access(strcat(strcpy(body, sock_path), "~"), F_OK) != 0);
	stop_daemon();
}

int main(int argc, char **argv)
{
	if (argc != 4 || strcmp(argv[3], "gap")) {
		fprintf(stderr, "usage: %s MYRIBACKD DELAY_LISTEN_SO gap\n", argv[0]);
		return 2;
	}
	daemon_bin = argv[1];
	delay_so = argv[2];
	signal(SIGPIPE, SIG_IGN);
	main_pid = getpid();
	atexit(kill_daemon);
	snprintf(dir, sizeof(dir), "/tmp/mxd-sock-XXXXXX");
	CHECK(mkdtemp(dir));
	snprintf(sock_path, sizeof(sock_path), "%s/run/local.sock", dir);
	snprintf(ctl_path, sizeof(ctl_path), "%s/run/ctl.sock", dir);
	snprintf(conf_path, sizeof(conf_path), "%s/myribackd.conf", dir);
	no_startup_gap();
	unlink(conf_path);
	rmdir(strcat(strcpy(conf_path, dir), "/run"));
	rmdir(dir);
	printf("local socket %s: ok\n", argv[3]);
	return 0;
}
