/* SPDX-License-Identifier: MIT */
/*
 * Restarting myribackd under a running test (tests started through
 * run_with_daemon.sh, which exports the daemon's pid and directory): stop
 * it (SIGTERM as systemctl does, or SIGKILL as a crash), start the same
 * binary with the same configuration, wait until its socket is back.
 */
#ifndef MYRIXEN_IT_RESTART_H
#define MYRIXEN_IT_RESTART_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct it_daemon {
	char exe[512], dir[400];
	pid_t pid;
	int ours;               /* started here (a child: reaped with waitpid) */
};

/* 0, or 77 (skip) when not run through run_with_daemon.sh. */
static inline int it_daemon_find(struct it_daemon *d)
{
	const char *pid_s = getenv("MYRIXEN_TEST_DAEMON_PID"), *dir = getenv("MYRIXEN_TEST_DIR");
	char link[64];
	ssize_t n;

	if (!pid_s || !dir) {
		printf("SKIP: run through run_with_daemon.sh\n");
		return 77;
	}
	d->pid = (pid_t)atoi(pid_s);
	d->ours = 0;
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)d->pid);
	n = readlink(link, d->exe, sizeof(d->exe) - 1);
	if (n <= 0) {
		printf("SKIP: cannot read %s\n", link);
		return 77;
	}
	d->exe[n] = 0;
	return 0;
}

/* Stop the daemon with sig and wait (bounded) until it is gone. */
static inline void it_daemon_stop(struct it_daemon *d, int sig)
{
	kill(d->pid, sig);
	if (d->ours) {
		waitpid(d->pid, NULL, 0);
		return;
	}
	for (int i = 0; i < 1000 && kill(d->pid, 0) == 0; i++)
		usleep(10000);
}

/* Start it again on the same configuration; exits the test on failure. */
static inline void it_daemon_start(struct it_daemon *d)
{
	char conf[512], sock[512], ctl[512];
	struct stat st;

	snprintf(conf, sizeof(conf), "%s/myribackd.conf", d->dir);
	snprintf(sock, sizeof(sock), "%s/local.sock", d->dir);
	snprintf(ctl, sizeof(ctl), "%s/ctl.sock", d->dir);
	unlink(sock); /* a crashed daemon's sockets: wait for the new ones */
	unlink(ctl);
	d->pid = fork();
	if (d->pid == 0) {
		execl(d->exe, d->exe, "-f", "-c", conf, (char *)NULL);
		_exit(127);
	}
	d->ours = 1;
	for (int i = 0; i < 2000; i++) {
		/* the control socket appears after the local one */
		if (stat(sock, &st) == 0 && S_ISSOCK(st.st_mode) && stat(ctl, &st) == 0 &&
		    S_ISSOCK(st.st_mode))
			return;
		usleep(10000);
	}
	fprintf(stderr, "the restarted daemon never listened on %s\n", sock);
	exit(1);
}

#endif /* MYRIXEN_IT_RESTART_H */
