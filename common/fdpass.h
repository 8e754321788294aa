/* SPDX-License-Identifier: MIT */
/*
 * Messages with descriptors on a UNIX socket (SCM_RIGHTS), for both ends of
 * the local transport: libmyrixen and myribackd link this one copy
 * (common/README.md).  Internal: not in the ABI directory, never exported.
 */
#ifndef MYRIXEN_COMMON_FDPASS_H
#define MYRIXEN_COMMON_FDPASS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The most descriptors one message of ours carries (an open reply: three;
 * a pair hand-over: three, or five with the peer's process, pair.h), plus
 * one, so a sender of too many is seen as such rather than cut silently. */
#define MXC_FDS_MAX 6

/*
 * Send one message of len bytes with nfds (0 to MXC_FDS_MAX) descriptors;
 * flags go to sendmsg (MSG_NOSIGNAL is always added).  0, -errno, or
 * -EPROTO when it went short.  Interrupted sends are retried.
 */
int mxc_send_fds(int sock, const void *msg, size_t len, const int *fds, int nfds, int flags);

/*
 * Receive one message of at most len bytes into buf, and the descriptors
 * that came with it: the first max (at most MXC_FDS_MAX) in fds, -1 where
 * none came; any more are closed at once, so a peer cannot make us leak.
 * *nfds (when not NULL) counts those kept; *trunc (when not NULL) says the
 * message was longer than len.  Returns the bytes received (0: the peer
 * closed), or -errno; -EPROTO when the control data was cut (MSG_CTRUNC),
 * with every descriptor that did arrive closed.  Interrupted receives are
 * retried; flags go to recvmsg (MSG_CMSG_CLOEXEC is always added).
 */
ssize_t mxc_recv_fds(int sock, void *buf, size_t len, int flags, int *fds, int max, int *nfds,
		     bool *trunc);

/* Close the descriptors in fds that are >= 0 (n of them, -1 entries skipped). */
void mxc_close_fds(const int *fds, int n);

#endif /* MYRIXEN_COMMON_FDPASS_H */
