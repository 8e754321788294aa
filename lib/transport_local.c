/* SPDX-License-Identifier: MIT */
/*
 * Local transport: the endpoint area is a sealed memfd and the doorbells are
 * eventfds, all handed over by myribackd on a SOCK_SEQPACKET UNIX socket.
 * One connection is one endpoint; the daemon closing it (or dying) shows up
 * as POLLHUP on the socket, which is how we notice it went away.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include "transport.h"

#define MXL_LOCAL_SOCKET_DEFAULT "/run/myrixen/local.sock"

struct mxl_local {
	int sock;
	int area_fd;
	int kick_fd;
	int irq_fd;
	bool dead;
};

static const char *socket_path(void)
{
	const char *p = getenv("MYRIXEN_SOCKET");

	return p && *p ? p : MXL_LOCAL_SOCKET_DEFAULT;
}

static int connect_daemon(int *out)
{
	struct sockaddr_un sa;
	const char *path = socket_path();
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}

/* Receive the open reply and, on success, exactly three descriptors. */
static int recv_reply(struct mxl_local *l, struct mxn_open_rsp *rsp)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(3 * sizeof(int))];
	} c;
	struct iovec iov = { rsp, sizeof(*rsp) };
	struct msghdr msg;
	struct cmsghdr *cm;
	int fds[3] = { -1, -1, -1 }, nfds = 0, i;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = c.buf;
	msg.msg_controllen = sizeof(c.buf);
	do
		n = recvmsg(l->sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		if (nfds > 3)
			nfds = 3;
		memcpy(fds, CMSG_DATA(cm), (size_t)nfds * sizeof(int));
	}
	if (n != (ssize_t)sizeof(*rsp) || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		return -EPROTO;
	}
	if (rsp->error) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		return rsp->error < 0 ? rsp->error : -EPROTO;
	}
	if (nfds != 3) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		return -EPROTO;
	}
	l->area_fd = fds[0];
	l->kick_fd = fds[1];
	l->irq_fd = fds[2];
	/* Doorbells never block us, whatever the daemon handed over. */
	for (i = 1; i < 3; i++)
		(void)fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
	return 0;
}

/* Let the daemon process_vm_readv/writev us even under Yama ptrace_scope 1. */
static void allow_daemon_ptrace(int sock)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 0)
		(void)prctl(PR_SET_PTRACER, (unsigned long)cred.pid, 0, 0, 0);
}

static int map_area(struct mxl_transport *t, struct mxl_local *l, const struct mxn_open_rsp *rsp)
{
	struct stat st;
	void *p;

	if (fstat(l->area_fd, &st) < 0)
		return -errno;
	if (rsp->area_size == 0 || (uint64_t)st.st_size != rsp->area_size)
		return -EPROTO;
	p = mmap(NULL, rsp->area_size, PROT_READ | PROT_WRITE, MAP_SHARED, l->area_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	t->area = p;
	t->area_size = rsp->area_size;
	return 0;
}

/* A daemon that accepts but never answers must not hang mx_open_endpoint. */
#define MXL_OPEN_TIMEOUT_MS_DEFAULT 10000

static void set_reply_timeout(int sock)
{
	const char *v = getenv("MYRIXEN_OPEN_TIMEOUT_MS");
	long ms = v && *v ? strtol(v, NULL, 10) : MXL_OPEN_TIMEOUT_MS_DEFAULT;
	struct timeval tv;

	if (ms <= 0)
		ms = MXL_OPEN_TIMEOUT_MS_DEFAULT;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	(void)setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static int local_open(struct mxl_transport *t, const struct mxn_open_req *req,
		      struct mxn_open_rsp *rsp)
{
	struct mxl_local *l;
	ssize_t n;
	int err;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->sock = l->area_fd = l->kick_fd = l->irq_fd = -1;
	t->priv = l;
	err = connect_daemon(&l->sock);
	if (err)
		goto out;
	allow_daemon_ptrace(l->sock);
	set_reply_timeout(l->sock);
	do
		n = send(l->sock, req, sizeof(*req), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*req)) {
		err = n < 0 ? -errno : -EPROTO;
		goto out;
	}
	err = recv_reply(l, rsp);
	if (err)
		goto out;
	err = map_area(t, l, rsp);
out:
	return err;
}

static int local_kick(struct mxl_transport *t)
{
	struct mxl_local *l = t->priv;
	uint64_t one = 1;

	if (write(l->kick_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		return -errno;
	return 0;
}

static void drain(int fd)
{
	uint64_t v;

	(void)!read(fd, &v, sizeof(v));
}

static int local_wait(struct mxl_transport *t, int timeout_ms, int extra_fd)
{
	struct mxl_local *l = t->priv;
	struct pollfd p[3];
	int n, res = 0;

	p[0].fd = l->irq_fd;
	p[0].events = POLLIN;
	p[1].fd = l->sock;
	p[1].events = POLLIN; /* any data or hangup: the daemon sends nothing else */
	p[2].fd = extra_fd;
	p[2].events = POLLIN;
	n = poll(p, extra_fd >= 0 ? 3 : 2, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (p[0].revents & POLLIN) {
		drain(l->irq_fd);
		res |= MXL_WAIT_IRQ;
	}
	if (p[1].revents & (POLLHUP | POLLERR | POLLIN)) {
		l->dead = true;
		res |= MXL_WAIT_DEAD;
	}
	if (extra_fd >= 0 && (p[2].revents & POLLIN))
		res |= MXL_WAIT_WAKE;
	return res;
}

static bool local_dead(struct mxl_transport *t)
{
	struct mxl_local *l = t->priv;
	struct pollfd p = { .fd = l->sock, .events = POLLIN };

	if (!l->dead && poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLIN)))
		l->dead = true;
	return l->dead;
}

static uint32_t local_region_size(struct mxl_transport *t, const struct mxl_iov *iov,
				  uint32_t niov)
{
	(void)t;
	return mxl_region_vaddr_size(iov, niov);
}

static int local_region(struct mxl_transport *t, const struct mxl_iov *iov, uint32_t niov,
			void *buf, uint32_t cap, uint32_t *len, void **handle)
{
	(void)t;
	*handle = NULL;
	return mxl_region_vaddr(iov, niov, buf, cap, len);
}

static void local_region_release(struct mxl_transport *t, void *handle)
{
	(void)t;
	(void)handle;
}

/* MX's close is synchronous: once it returns, senders must see the
 * endpoint gone.  Half-close our side and wait (bounded) for the daemon to
 * tear the endpoint down and hang up. */
#define MXL_CLOSE_WAIT_MS 2000

static void wait_hangup(struct mxl_local *l)
{
	struct pollfd p = { .fd = l->sock, .events = POLLIN };
	char c;

	if (l->dead || shutdown(l->sock, SHUT_WR) < 0)
		return;
	while (poll(&p, 1, MXL_CLOSE_WAIT_MS) > 0) {
		ssize_t n = recv(l->sock, &c, 1, MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return;
	}
}

static void local_close(struct mxl_transport *t)
{
	struct mxl_local *l = t->priv;

	if (l && l->sock >= 0 && t->area)
		wait_hangup(l);
	if (t->area)
		munmap(t->area, t->area_size);
	t->area = NULL;
	if (!l)
		return;
	if (l->irq_fd >= 0)
		close(l->irq_fd);
	if (l->kick_fd >= 0)
		close(l->kick_fd);
	if (l->area_fd >= 0)
		close(l->area_fd);
	if (l->sock >= 0)
		close(l->sock);
	free(l);
	t->priv = NULL;
}

const struct mxl_transport_ops mxl_transport_local = {
	.name = "local",
	.open = local_open,
	.kick = local_kick,
	.wait = local_wait,
	.dead = local_dead,
	.region_size = local_region_size,
	.region = local_region,
	.region_release = local_region_release,
	.close = local_close,
};
