/* SPDX-License-Identifier: MIT */
/* Who a local process is (proc_id.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "proc_id.h"

/*
 * The Uid:, Gid: and Groups: lines of /proc/PID/status, concatenated.
 * statusfd stays open: pread at 0 regenerates the file each time
 * (seq_file), so a check costs one syscall here, not openat + two reads +
 * close, and the fd names that process only: once it has exited, the read
 * fails (-ESRCH), whatever took its pid number since.  The file is one
 * seq_file record: a read shorter than asked returned all of it.
 */
static int read_ids(int statusfd, char *out, size_t cap)
{
	char buf[4096], *line, *save = NULL;
	size_t used = 0, got = 0;
	ssize_t n;

	while (got < sizeof(buf) - 1) {
		size_t want = sizeof(buf) - 1 - got;

		n = pread(statusfd, buf + got, want, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue; /* a signal to us says nothing of the process */
		if (n <= 0)
			break;
		got += (size_t)n;
		if ((size_t)n < want)
			break;
	}
	if (!got)
		return -ESRCH;
	buf[got] = 0;
	out[0] = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "Uid:", 4) && strncmp(line, "Gid:", 4) &&
		    strncmp(line, "Groups:", 7))
			continue;
		n = snprintf(out + used, cap - used, "%s\n", line);
		if (n < 0 || (size_t)n >= cap - used)
			break; /* a prefix of a long group list still pins it down */
		used += (size_t)n;
	}
	return used ? 0 : -ESRCH;
}

/*
 * A signal during the poll (the daemon's SIGTERM and SIGHUP are libev's, so
 * poll fails EINTR even with no timeout) is no news of the process: asked
 * again, or a pull at that instant was refused as if the sender had died.
 */
int mxc_pidfd_alive(int pidfd)
{
	struct pollfd pf = { .fd = pidfd, .events = POLLIN };
	int n;

	if (pidfd < 0)
		return 0;
	do
		n = poll(&pf, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 0 ? 0 : -ESRCH;
}

/* Now: the owner of /proc/PID (root once undumpable) and the executable. */
static int snapshot(const struct mxc_proc_id *id, uid_t *owner, struct stat *exe, bool *exe_ok)
{
	struct stat st;

	if (fstat(id->procfd, &st))
		return -ESRCH;
	*owner = st.st_uid;
	*exe_ok = fstatat(id->procfd, "exe", exe, 0) == 0;
	return 0;
}

int mxc_proc_id_take(struct mxc_proc_id *id)
{
	struct stat exe;
	int err;

	id->statusfd = id->procfd < 0 ? -1 : openat(id->procfd, "status", O_RDONLY | O_CLOEXEC);
	err = id->statusfd < 0 && errno == EACCES ? -EPERM : -ESRCH;
	/* Alive after the opens: the directory is that process, not a reuse. */
	if (id->statusfd < 0 || mxc_pidfd_alive(id->pidfd))
		return err;
	err = read_ids(id->statusfd, id->ids, sizeof(id->ids));
	if (err)
		return err;
	err = snapshot(id, &id->dump_owner, &exe, &id->exe_known);
	if (err)
		return err;
	id->exe_dev = exe.st_dev;
	id->exe_ino = exe.st_ino;
	return 0;
}

/*
 * No liveness poll on the way to 0 (it was a syscall of four on every large
 * local message): the pid number can name another process only once this
 * one was reaped, and then the status read fails; an exited one not yet
 * reaped has no executable any more (the exe link fails), and its memory
 * can no longer be read.  The pidfd only tells a failure's cause: gone
 * (-ESRCH) or changed (-EPERM).
 */
int mxc_proc_id_check(const struct mxc_proc_id *id)
{
	char ids[MXC_PROC_IDS_MAX];
	struct stat exe;
	uid_t owner;
	bool exe_ok;
	int err = read_ids(id->statusfd, ids, sizeof(ids));

	if (!err)
		err = snapshot(id, &owner, &exe, &exe_ok);
	if (!err && (strcmp(ids, id->ids) || owner != id->dump_owner))
		err = -EPERM;
	if (!err && id->exe_known &&
	    (!exe_ok || exe.st_dev != id->exe_dev || exe.st_ino != id->exe_ino))
		err = -EPERM;
	if (err && mxc_pidfd_alive(id->pidfd))
		return -ESRCH;
	return err;
}

void mxc_proc_id_close(struct mxc_proc_id *id)
{
	int *fds[] = { &id->pidfd, &id->procfd, &id->statusfd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}
