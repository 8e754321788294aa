/* SPDX-License-Identifier: MIT */
/* Listening UNIX sockets and their peer check (see unix_listen.h). */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "unix_listen.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

/* mkdir -p of the socket's parent (mode 0755: the socket mode guards it). */
static int make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int mxd_unix_listen(const char *path, int type, int backlog, mode_t mode, gid_t gid, int *fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int rc, n;

	*fd = -1;
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s~", path);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	rc = make_parent(path);
	if (rc)
		return rc;
	/* replace a stale socket, never another kind of file */
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		return -EEXIST;
	unlink(sa.sun_path);
	*fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return -errno;
	/* bind under a tight umask so the socket is never briefly open */
	old = umask(0177);
	rc = bind(*fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0) {
		rc = -errno;
		goto out;
	}
	if ((gid != MXD_NO_GROUP && chown(sa.sun_path, (uid_t)-1, gid) < 0) ||
	    chmod(sa.sun_path, mode) < 0 || listen(*fd, backlog) < 0 ||
	    rename(sa.sun_path, path) < 0) {
		rc = -errno;
		unlink(sa.sun_path);
		goto out;
	}
	return 0;
out:
	close(*fd);
	*fd = -1;
	return rc;
}

int mxd_group_gid(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[4096];

	if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) || !res)
		return -ENOENT;
	*gid = gr.gr_gid;
	return 0;
}

static bool peer_in_group(int fd, gid_t gid)
{
	gid_t small[256], *groups = small;
	socklen_t len = sizeof(small);
	bool found = false;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
		/* more groups than fit: the kernel said how many bytes */
		if (errno != ERANGE || !(groups = malloc(len)))
			return false;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
			len = 0;
	}
	for (size_t i = 0; i < len / sizeof(gid_t) && !found; i++)
		found = groups[i] == gid;
	if (groups != small)
		free(groups);
	return found;
}

bool mxd_peer_admitted(int fd, uid_t owner, gid_t gid, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0)
		return false;
	if (cred->uid == 0 || cred->uid == owner)
		return true;
	if (gid == MXD_NO_GROUP)
		return false;
	return cred->gid == gid || peer_in_group(fd, gid);
}
