/* SPDX-License-Identifier: MIT */
/*
 * mxd_principal_check, the per-pull check that a local endpoint's process
 * is still the one that opened it: a live process passes, an exited one is
 * -ESRCH, and a signal to the daemon that interrupts the check is no news
 * of the process.  The daemon handles SIGTERM and SIGHUP with libev, so a
 * signal landing in the check's poll made it fail EINTR; the pull under
 * way was refused as if its sender had exited, and a restart
 * (integration_restart_load) ended that send and its receive "Rejected".
 * The poll is linked through --wrap=poll (CMakeLists.txt) so that the
 * interrupt comes exactly there, every run.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "principal.h"
#include "tcheck.h"

int __real_poll(struct pollfd *fds, nfds_t n, int timeout);
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout);

static int interrupts; /* polls still to fail EINTR, as a signal makes them */

int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (interrupts > 0) {
		interrupts--;
		errno = EINTR;
		return -1;
	}
	return __real_poll(fds, n, timeout);
}

/* A child that lives until told to go: its principal, then its end. */
static void exited_is_gone(void)
{
	struct mxd_principal *p;
	int go[2], status;
	pid_t pid;
	char c;

	CHECK_EQ(pipe(go), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		(void)!read(go[0], &c, 1);
		_exit(0);
	}
	close(go[0]);
	CHECK_EQ(mxd_principal_new(pid, getuid(), getgid(), &p), 0);
	CHECK_EQ(mxd_principal_check(p), 0);
	close(go[1]);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(mxd_principal_check(p), -ESRCH);
	/* gone stays gone, interrupted or not */
	interrupts = 1;
	CHECK_EQ(mxd_principal_check(p), -ESRCH);
	CHECK_EQ(interrupts, 0);
	mxd_principal_put(p);
}

int main(void)
{
	struct mxd_principal *p;

	CHECK_EQ(mxd_principal_new(getpid(), getuid(), getgid(), &p), 0);
	CHECK_EQ(mxd_principal_check(p), 0);
	/* a signal during the liveness poll: asked again, still alive */
	interrupts = 1;
	CHECK_EQ(mxd_principal_check(p), 0);
	CHECK_EQ(interrupts, 0);
	/* several in a row (a burst of signals) */
	interrupts = 3;
	CHECK_EQ(mxd_principal_check(p), 0);
	CHECK_EQ(interrupts, 0);
	mxd_principal_put(p);
	exited_is_gone();
	printf("principal: interrupted checks pass, exited process refused\n");
	return 0;
}
