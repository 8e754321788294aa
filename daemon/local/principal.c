/* SPDX-License-Identifier: MIT */
/* The principal behind a local endpoint (see principal.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "principal.h"
#include "region_vaddr.h"

/* ---- this thread acting as the principal ---- */

struct cred_save {
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	bool switched;
};

/*
 * Become uid/gid for the kernel's ptrace check (it compares the caller's
 * REAL ids with the target's, and wants CAP_SYS_PTRACE otherwise): real and
 * effective ids switched, the saved uid stays 0 so we can come back, and a
 * non-zero euid empties the effective capability set.  Raw syscalls: glibc's
 * wrappers would switch every thread of the daemon.  A daemon that is not
 * root cannot become someone else: it refuses instead of substituting.
 */
static int as_enter(uid_t uid, gid_t gid, struct cred_save *s)
{
	s->switched = false;
	if (getresuid(&s->ruid, &s->euid, &s->suid) || getresgid(&s->rgid, &s->egid, &s->sgid))
		return -errno;
	if (s->ruid == uid && s->euid == uid && s->rgid == gid && s->egid == gid)
		return 0;
	if (s->euid != 0)
		return -EPERM;
	if (syscall(SYS_setresgid, gid, gid, (gid_t)-1))
		return -errno;
	if (syscall(SYS_setresuid, uid, uid, (uid_t)-1)) {
		int err = -errno;

		if (syscall(SYS_setresgid, s->rgid, s->egid, (gid_t)-1))
			abort();
		return err;
	}
	s->switched = true;
	return 0;
}

static void as_leave(const struct cred_save *s)
{
	if (!s->switched)
		return;
	/* Never run on with a guest's identity. */
	if (syscall(SYS_setresuid, s->ruid, s->euid, (uid_t)-1) ||
	    syscall(SYS_setresgid, s->rgid, s->egid, (gid_t)-1))
		abort();
}

int mxd_principal_copy(const struct mxd_principal *p, const struct mxd_region *r, uint64_t off,
		       void *buf, size_t len, bool to_region)
{
	struct cred_save s;
	int err = as_enter(p->uid, p->gid, &s);

	if (err)
		return err;
	err = mxd_vaddr_region_copy(p->pid, r, off, buf, len, to_region);
	as_leave(&s);
	return err;
}

/* ---- identity ---- */

/*
 * The Uid:, Gid: and Groups: lines of /proc/PID/status, concatenated.
 * statusfd stays open from accept on: pread at 0 regenerates the file each
 * time (seq_file), so a check costs one syscall here, not openat + two
 * reads + close, and the fd names that process only: once it has exited,
 * the read fails (-ESRCH), whatever took its pid number since.  The file
 * is one seq_file record: a read shorter than asked returned all of it.
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
			continue; /* a signal to the daemon says nothing of the process */
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
 * 0 while the process runs, -ESRCH once it exited (its pidfd is readable).
 * A signal to the daemon during the poll (SIGTERM, SIGHUP: libev handles
 * them, so poll fails EINTR even with no timeout) is no news of the
 * process: asked again, or a pull at that instant was refused as if the
 * sender had died.
 */
static int pidfd_alive(int pidfd)
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
static int snapshot(const struct mxd_principal *p, uid_t *owner, struct stat *exe, bool *exe_ok)
{
	struct stat st;

	if (fstat(p->procfd, &st))
		return -ESRCH;
	*owner = st.st_uid;
	*exe_ok = fstatat(p->procfd, "exe", exe, 0) == 0;
	return 0;
}

int mxd_principal_new(pid_t pid, uid_t uid, gid_t gid, struct mxd_principal **out)
{
	struct mxd_principal *p;
	struct stat exe;
	char path[32];
	int err = -ENOMEM;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		goto out;
	atomic_init(&p->refs, 1);
	p->pid = pid;
	p->uid = uid;
	p->gid = gid;
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	p->procfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	p->statusfd = p->procfd < 0 ? -1 : openat(p->procfd, "status", O_RDONLY | O_CLOEXEC);
	err = p->statusfd < 0 && errno == EACCES ? -EPERM : -ESRCH;
	/* Alive after the opens: the directory is that process, not a reuse. */
	if (p->statusfd < 0 || pidfd_alive(p->pidfd))
		goto out;
	err = read_ids(p->statusfd, p->ids, sizeof(p->ids));
	if (err)
		goto out;
	err = snapshot(p, &p->dump_owner, &exe, &p->exe_known);
	if (err)
		goto out;
	p->exe_dev = exe.st_dev;
	p->exe_ino = exe.st_ino;
	*out = p;
	p = NULL;
out:
	mxd_principal_put(p);
	return err;
}

struct mxd_principal *mxd_principal_get(struct mxd_principal *p)
{
	atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	return p;
}

void mxd_principal_put(struct mxd_principal *p)
{
	if (!p || atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->procfd >= 0)
		close(p->procfd);
	if (p->statusfd >= 0)
		close(p->statusfd);
	free(p);
}

int mxd_principal_check(const struct mxd_principal *p)
{
	char ids[MXD_PRINCIPAL_IDS_MAX];
	struct stat exe;
	uid_t owner;
	bool exe_ok;
	int err = pidfd_alive(p->pidfd);

	if (!err)
		err = read_ids(p->statusfd, ids, sizeof(ids));
	if (!err)
		err = snapshot(p, &owner, &exe, &exe_ok);
	if (err)
		return err;
	if (strcmp(ids, p->ids) || owner != p->dump_owner)
		return -EPERM;
	if (p->exe_known && (!exe_ok || exe.st_dev != p->exe_dev || exe.st_ino != p->exe_ino))
		return -EPERM;
	return 0;
}

bool mxd_principal_same(const struct mxd_principal *a, const struct mxd_principal *b)
{
	return a->uid == b->uid && a->gid == b->gid;
}
