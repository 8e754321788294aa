/* SPDX-License-Identifier: MIT */
/*
 * The two UNIX sockets of myribackd (local transport, control) are made the
 * same way and admit the same kind of peer:
 *
 *  - the path appears only once the socket listens: bound under PATH~ in
 *    the same directory, mode set, listen(), then rename() into place.  A
 *    client that sees the file (a test, a unit ordered after us) is never
 *    refused; a stale socket at PATH is replaced, any other file is not.
 *  - a peer is admitted (SO_PEERCRED / SO_PEERGROUPS) when it is root, has
 *    the uid 'owner', or has the group as primary or supplementary group.
 *    The socket mode is the first gate, this check the authoritative one.
 *
 * Error convention: 0 or -errno.
 */
#ifndef MXD_UNIX_LISTEN_H
#define MXD_UNIX_LISTEN_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#define MXD_NO_GROUP ((gid_t)-1)

/* mkdir -p the parent (0755), bind PATH~ with 'mode' (group 'gid' unless
 * MXD_NO_GROUP), listen, rename to PATH.  The socket is non-blocking and
 * close-on-exec.  *fd is -1 on error (nothing left behind). */
int mxd_unix_listen(const char *path, int type, int backlog, mode_t mode, gid_t gid, int *fd);

/* Resolve a group name; -ENOENT when it does not exist. */
int mxd_group_gid(const char *name, gid_t *gid);

/* Fill *cred from SO_PEERCRED and say whether the peer is admitted: uid 0,
 * uid == owner, or gid (unless MXD_NO_GROUP) among its groups.  A peer
 * whose credentials cannot be read is refused. */
bool mxd_peer_admitted(int fd, uid_t owner, gid_t gid, struct ucred *cred);

#endif /* MXD_UNIX_LISTEN_H */
