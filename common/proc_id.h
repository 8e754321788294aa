/* SPDX-License-Identifier: MIT */
/*
 * Who a local process is, held so that a later look names that very
 * process (common/README.md): its pidfd, its /proc/PID directory and status
 * file opened while the pidfd was live (a reused pid never matches: the
 * status fd of an exited process fails to read), and a snapshot of its
 * Uid:/Gid:/Groups: lines, the owner of /proc/PID (root once undumpable)
 * and its executable.  myribackd takes one per client at accept
 * (daemon/local/principal.c); a library takes one of a pair-channel peer
 * from the descriptors the daemon hands over (lib/pair_rndv.c).  The check
 * is three syscalls, no path lookup but the exe link (the pidfd is polled
 * only to tell a failure's cause).  0 or -errno.
 */
#ifndef MYRIXEN_COMMON_PROC_ID_H
#define MYRIXEN_COMMON_PROC_ID_H

#include <stdbool.h>
#include <sys/types.h>

#define MXC_PROC_IDS_MAX 256 /* Uid/Gid/Groups lines of /proc/PID/status */

struct mxc_proc_id {
	int pidfd;                  /* -1 without pidfd_open */
	int procfd;                 /* /proc/PID, opened while the pidfd was live */
	int statusfd;               /* /proc/PID/status, bound to that process */
	uid_t dump_owner;           /* owner of /proc/PID: root once undumpable */
	dev_t exe_dev;
	ino_t exe_ino;
	bool exe_known;
	char ids[MXC_PROC_IDS_MAX]; /* Uid:, Gid:, Groups: lines when taken */
};

/* 0 while the process of pidfd runs (or pidfd < 0), -ESRCH once it exited. */
int mxc_pidfd_alive(int pidfd);
/* Take id->pidfd and id->procfd (set by the caller, owned by id from now
 * on) as the process they name is now: opens the status file, snapshots.
 * -ESRCH when it is gone, -EPERM when its status cannot be opened. */
int mxc_proc_id_take(struct mxc_proc_id *id);
/* Still the same process with the same ids, dumpable owner and executable
 * as when taken: 0, -ESRCH (gone) or -EPERM (changed). */
int mxc_proc_id_check(const struct mxc_proc_id *id);
/* Close what id holds (-1 entries skipped); id may be half taken. */
void mxc_proc_id_close(struct mxc_proc_id *id);

#endif /* MYRIXEN_COMMON_PROC_ID_H */
