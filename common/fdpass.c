/* SPDX-License-Identifier: MIT */
/*
 * SCM_RIGHTS messages (fdpass.h).  Whatever the peer sends is hostile:
 * descriptors beyond what the caller takes are closed, and a cut control
 * message gives nothing back.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fdpass.h"

union mxc_cmsg_buf {
	struct cmsghdr align;
	char buf[CMSG_SPACE(MXC_FDS_MAX * sizeof(int))];
};

int mxc_send_fds(int sock, const void *msg, size_t len, const int *fds, int nfds, int flags)
{
	union mxc_cmsg_buf u;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)msg, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	if (nfds < 0 || nfds > MXC_FDS_MAX)
		return -EINVAL;
	if (nfds) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));
	}
	do
		n = sendmsg(sock, &m, flags | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EPROTO;
}

void mxc_close_fds(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Keep the descriptors of one SCM_RIGHTS header (copied out: CMSG_DATA
 * need not be aligned for int) in fds up to max, close the rest. */
static void take_fds(const struct cmsghdr *cm, int *fds, int max, int *kept)
{
	size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

	for (size_t i = 0; i < n; i++) {
		int fd;

		memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
		if (*kept < max)
			fds[(*kept)++] = fd;
		else
			close(fd);
	}
}

ssize_t mxc_recv_fds(int sock, void *buf, size_t len, int flags, int *fds, int max, int *nfds,
		     bool *trunc)
{
	union mxc_cmsg_buf u;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	int kept = 0;
	ssize_t n;

	if (max > MXC_FDS_MAX)
		max = MXC_FDS_MAX;
	for (int i = 0; i < max; i++)
		fds[i] = -1;
	do
		n = recvmsg(sock, &m, flags | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len >= CMSG_LEN(0))
			take_fds(cm, fds, max, &kept);
	if (m.msg_flags & MSG_CTRUNC) {
		mxc_close_fds(fds, max);
		for (int i = 0; i < max; i++)
			fds[i] = -1;
		kept = 0;
		n = -EPROTO;
	}
	if (nfds)
		*nfds = kept;
	if (trunc)
		*trunc = (m.msg_flags & MSG_TRUNC) != 0;
	return n;
}
