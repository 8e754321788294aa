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
 * The check is on every large local message's path: it opens nothing (the
 * status file stays open from accept, --wrap=openat counts) and polls
 * nothing when the process passes (the pidfd only tells a failure's cause,
 * gone or changed), still sees a change of the process's groups made after
 * accept, and refuses a process that is gone even when the liveness poll
 * says otherwise, reaped or not (an exited process not yet reaped has no
 * executable: -ESRCH, as the poll then says).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>
#include "principal.h"
#include "tcheck.h"

int __real_poll(struct pollfd *fds, nfds_t n, int timeout);
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout);

int __real_openat(int dir, const char *path, int flags, ...);
int __wrap_openat(int dir, const char *path, int flags, ...);

static int interrupts; /* polls still to fail EINTR, as a signal makes them */
static bool poll_alive; /* the liveness poll says alive whatever the truth */
static int opens;       /* openat calls */
static int polls;       /* poll calls */

int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	polls++;
	if (interrupts > 0) {
		interrupts--;
		errno = EINTR;
		return -1;
	}
	if (poll_alive)
		return 0;
	return __real_poll(fds, n, timeout);
}

int __wrap_openat(int dir, const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	opens++;
	return __real_openat(dir, path, flags, mode);
}

/* A child that waits for a byte on go[0]; if regroup, it first takes the
 * supplementary group 4242 and says so on ready[1]. */
static pid_t child(int go[2], int ready[2], bool regroup)
{
	gid_t g = 4242;
	pid_t pid = fork();
	char c;

	CHECK(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		if (regroup) {
			(void)!read(go[0], &c, 1);
			(void)!setgroups(1, &g);
			(void)!write(ready[1], "r", 1);
		}
		(void)!read(go[0], &c, 1);
		_exit(0);
	}
	return pid;
}

/* The open status file sees what the process is now: a group taken after
 * accept refuses it (root only: setgroups). */
static void regrouped_is_refused(void)
{
	struct mxd_principal *p;
	int go[2], ready[2];
	pid_t pid;
	char c;

	if (geteuid()) {
		printf("principal: not root, group change not checked\n");
		return;
	}
	CHECK_EQ(pipe(go), 0);
	CHECK_EQ(pipe(ready), 0);
	pid = child(go, ready, true);
	CHECK_EQ(mxd_principal_new(pid, getuid(), getgid(), &p), 0);
	CHECK_EQ(mxd_principal_check(p), 0);
	CHECK_EQ(write(go[1], "g", 1), 1);
	CHECK_EQ(read(ready[0], &c, 1), 1);
	CHECK_EQ(mxd_principal_check(p), -EPERM);
	close(go[1]);
	CHECK(waitpid(pid, NULL, 0) == pid);
	mxd_principal_put(p);
	close(go[0]);
	close(ready[0]);
	close(ready[1]);
}

/* A child that lives until told to go: its principal, then its end. */
static void exited_is_gone(void)
{
	struct mxd_principal *p;
	int go[2], status;
	pid_t pid;

	CHECK_EQ(pipe(go), 0);
	pid = child(go, NULL, false);
	close(go[0]);
	CHECK_EQ(mxd_principal_new(pid, getuid(), getgid(), &p), 0);
	CHECK_EQ(mxd_principal_check(p), 0);
	close(go[1]);
	/* exited, not reaped: its pid is still its own, its exe is gone */
	CHECK_EQ(waitid(P_PID, (id_t)pid, NULL, WEXITED | WNOWAIT), 0);
	CHECK_EQ(mxd_principal_check(p), -ESRCH);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(mxd_principal_check(p), -ESRCH);
	/* gone stays gone, interrupted or not */
	interrupts = 1;
	CHECK_EQ(mxd_principal_check(p), -ESRCH);
	CHECK_EQ(interrupts, 0);
	/* the status file names that process: gone, whatever the poll says */
	poll_alive = true;
	CHECK_EQ(mxd_principal_check(p), -ESRCH);
	poll_alive = false;
	mxd_principal_put(p);
}

int main(void)
{
	struct mxd_principal *p;

	CHECK_EQ(mxd_principal_new(getpid(), getuid(), getgid(), &p), 0);
	opens = polls = 0;
	CHECK_EQ(mxd_principal_check(p), 0);
	CHECK_EQ(opens, 0); /* per transfer: nothing opened ... */
	CHECK_EQ(polls, 0); /* ... and nothing polled when it passes */
	/* the liveness poll interrupted by signals (a burst): asked again */
	interrupts = 3;
	CHECK_EQ(mxc_pidfd_alive(p->id.pidfd), 0);
	CHECK_EQ(interrupts, 0);
	mxd_principal_put(p);
	exited_is_gone();
	regrouped_is_refused();
	printf("principal: nothing opened or polled per passing check, interrupted polls "
	       "asked again, exited (reaped or not) and regrouped processes refused\n");
	return 0;
}
