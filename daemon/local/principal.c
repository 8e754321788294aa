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

/* ---- identity (common/proc_id.c) ---- */

int mxd_principal_new(pid_t pid, uid_t uid, gid_t gid, struct mxd_principal **out)
{
	struct mxd_principal *p;
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
	p->id.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	p->id.procfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	err = mxc_proc_id_take(&p->id);
	if (err)
		goto out;
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
	mxc_proc_id_close(&p->id);
	free(p);
}

int mxd_principal_check(const struct mxd_principal *p)
{
	return mxc_proc_id_check(&p->id);
}

bool mxd_principal_same(const struct mxd_principal *a, const struct mxd_principal *b)
{
	return a->uid == b->uid && a->gid == b->gid;
}
