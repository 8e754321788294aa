/* SPDX-License-Identifier: MIT */
/*
 * The principal behind a local endpoint: the process that opened it, as it
 * was then.  Every touch of that process's memory is done AS that principal
 * (this thread's credentials switched to its uid/gid, capabilities dropped),
 * so the kernel's own ptrace access check decides, never the daemon's
 * CAP_SYS_PTRACE: a process that exec'd a setuid program, or made itself
 * undumpable, is refused by the kernel.  mxd_principal_check() adds a
 * cheap per-transfer check (three syscalls, no path lookup but the exe
 * link) that the process is still the one that opened (pidfd + /proc dir
 * and status fds taken at accept, so a reused pid never matches) with the
 * same uid/gid/groups lines, the same dumpable owner and the same
 * executable.  Thread-safe: credentials are per thread (raw syscalls, not
 * glibc's process-wide setresuid); the struct is refcounted so a copy
 * worker may outlive the endpoint.  Error convention: 0 or -errno.
 */
#ifndef MXD_PRINCIPAL_H
#define MXD_PRINCIPAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "proc_id.h"
#include "transport.h"


struct mxd_principal {
	atomic_uint refs;
	pid_t pid;
	uid_t uid;                  /* SO_PEERCRED at connect (effective ids) */
	gid_t gid;
	struct mxc_proc_id id;      /* taken at accept (common/proc_id.h) */
};

/* Capture pid (and its uid/gid from SO_PEERCRED) now.  -ESRCH if it is gone. */
int mxd_principal_new(pid_t pid, uid_t uid, gid_t gid, struct mxd_principal **out);
struct mxd_principal *mxd_principal_get(struct mxd_principal *p);
void mxd_principal_put(struct mxd_principal *p);
/* Still the same process with the same credentials, dumpable status and
 * executable as at open: 0, -ESRCH (gone) or -EPERM (changed). */
int mxd_principal_check(const struct mxd_principal *p);
/* True when a and b opened with the same uid and gid (the same principal). */
bool mxd_principal_same(const struct mxd_principal *a, const struct mxd_principal *b);
/* process_vm_readv/writev of [off, off+len) of region r with this thread
 * acting as the principal.  -EPERM when the kernel refuses it. */
int mxd_principal_copy(const struct mxd_principal *p, const struct mxd_region *r, uint64_t off,
		       void *buf, size_t len, bool to_region);

#endif /* MXD_PRINCIPAL_H */
