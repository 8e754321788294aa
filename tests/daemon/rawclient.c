/* SPDX-License-Identifier: MIT */
/* Raw-ABI local-transport client (see rawclient.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "fdpass.h"
#include "rawclient.h"

static int connect_unix(const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int rc_open(struct rawclient *rc, const char *path, uint8_t endpoint, uint32_t key)
{
	struct mxn_open_req req = { .abi_version = MYRIXEN_ABI_VERSION, .key = key,
				    .endpoint = endpoint };

	return rc_open_req(rc, path, &req);
}

int rc_open_req(struct rawclient *rc, const char *path, const struct mxn_open_req *req)
{
	return rc_open_bytes(rc, path, req, sizeof(*req));
}

/* len bytes of request, with descriptor fd when >= 0 (a re-attach). */
static int send_req(int sock, const void *req, size_t len, int fd)
{
	return mxc_send_fds(sock, req, len, &fd, fd >= 0 ? 1 : 0, 0) ? -EIO : 0;
}

int rc_open_bytes(struct rawclient *rc, const char *path, const void *req, size_t len)
{
	return rc_open_fd(rc, path, req, len, -1);
}

int rc_reattach(struct rawclient *rc, const char *path, const struct mxn_reattach_req *q, int fd)
{
	return rc_open_fd(rc, path, q, sizeof(*q), fd);
}

int rc_open_fd(struct rawclient *rc, const char *path, const void *req, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &rc->rsp, .iov_len = sizeof(rc->rsp) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	const struct mxn_area_hdr *h;
	struct mxn_layout geo;
	struct cmsghdr *cm;
	int fds[3], err;

	memset(rc, 0, sizeof(*rc));
	rc->memfd = rc->kick = rc->irq = -1;
	/* The daemon moves rendezvous data with process_vm_*: allow it (Yama). */
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	rc->sock = connect_unix(path, SOCK_SEQPACKET);
	if (rc->sock < 0)
		return rc->sock;
	err = send_req(rc->sock, req, len, fd);
	if (err)
		goto out;
	err = -EIO;
	if (recvmsg(rc->sock, &msg, MSG_CMSG_CLOEXEC) != sizeof(rc->rsp))
		goto out;
	if (rc->rsp.error) {
		err = rc->rsp.error;
		goto out;
	}
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(fds)))
		goto out;
	memcpy(fds, CMSG_DATA(cm), sizeof(fds));
	rc->memfd = fds[0];
	rc->kick = fds[1];
	rc->irq = fds[2];
	rc->area_len = rc->rsp.area_size;
	rc->area = mmap(NULL, rc->area_len, PROT_READ | PROT_WRITE, MAP_SHARED, rc->memfd, 0);
	if (rc->area == MAP_FAILED) {
		rc->area = NULL;
		err = -errno;
		goto out;
	}
	h = rc->area;
	if (h->magic != MYRIXEN_AREA_MAGIC ||
	    mxn_layout_compute(&geo, h->cmd_order, h->evt_order, h->sendq_size, h->recvq_size) ||
	    geo.area_size != rc->area_len)
		goto out;
	tg_init(&rc->g, rc->area, &geo);
	return 0;
out:
	rc_close(rc);
	return err;
}

int rc_reattach_unread(const char *path, const struct mxn_reattach_req *q, int fd,
		       int timeout_ms)
{
	struct pollfd p = { .events = 0 };
	int err;

	p.fd = connect_unix(path, SOCK_SEQPACKET);
	if (p.fd < 0) {
		close(fd);
		return p.fd;
	}
	/* Stop reading before the request goes.  Shut down after it, a
	 * daemon quicker than us (a loaded machine) answered first, kept the
	 * endpoint, and the hang-up never came. */
	err = shutdown(p.fd, SHUT_RD) ? -errno : 0;
	if (!err)
		err = send_req(p.fd, q, sizeof(*q), fd);
	close(fd);
	/* POLLHUP once the daemon closed its side too */
	if (!err)
		err = poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLHUP) ? 0 : -ETIMEDOUT;
	close(p.fd);
	return err;
}

void rc_close(struct rawclient *rc)
{
	if (rc->area)
		munmap(rc->area, rc->area_len);
	if (rc->memfd >= 0)
		close(rc->memfd);
	if (rc->kick >= 0)
		close(rc->kick);
	if (rc->irq >= 0)
		close(rc->irq);
	if (rc->sock >= 0)
		close(rc->sock);
	rc->area = NULL;
	rc->memfd = rc->kick = rc->irq = rc->sock = -1;
}

void rc_kick(struct rawclient *rc)
{
	uint64_t one = 1;

	if (write(rc->kick, &one, sizeof(one)) < 0)
		perror("kick");
}

bool rc_send(struct rawclient *rc, const struct mxn_cmd *c)
{
	if (!tg_post(&rc->g, c))
		return false;
	if (tg_push(&rc->g))
		rc_kick(rc);
	return true;
}

bool rc_wait(struct rawclient *rc, struct mxn_evt *e, int timeout_ms)
{
	struct pollfd p = { .fd = rc->irq, .events = POLLIN };
	uint64_t v;

	for (;;) {
		if (tg_next(&rc->g, e)) {
			/* Pair-channel news (pair.h) is for tests that ask. */
			if (!rc->pair_events &&
			    (e->type == MXN_EVT_PAIR_OPEN || e->type == MXN_EVT_PAIR_CLOSED))
				continue;
			return true;
		}
		/* Final check after arming: an event that raced in is seen. */
		if (mxn_ring_arm(&rc->g.evt))
			continue;
		if (poll(&p, 1, timeout_ms) <= 0)
			return tg_next(&rc->g, e);
		if (read(rc->irq, &v, sizeof(v)) < 0 && errno != EAGAIN)
			return false;
	}
}

void rc_release(struct rawclient *rc)
{
	if (tg_release(&rc->g))
		rc_kick(rc);
}

bool rc_closed_by_daemon(struct rawclient *rc, int timeout_ms)
{
	struct pollfd p = { .fd = rc->sock, .events = POLLIN };
	char c;
	ssize_t n;

	/* Pair-channel hand-overs may come first: only end of file counts. */
	do {
		if (poll(&p, 1, timeout_ms) <= 0)
			return false;
		n = recv(rc->sock, &c, 1, MSG_DONTWAIT);
	} while (n > 0);
	return n == 0;
}

int ctl_request(const char *path, const char *req, char *buf, size_t len)
{
	int fd = connect_unix(path, SOCK_STREAM);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return fd;
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return -EIO;
	}
	while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = 0;
	close(fd);
	return strncmp(buf, "OK", 2) ? -EPROTO : 0;
}

long long json_field(const char *body, const char *key)
{
	char pat[80];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = strstr(body, pat);
	if (!p)
		return -1;
	p += strlen(pat);
	while (*p == ' ' || *p == ':')
		p++;
	return strtoll(p, NULL, 10);
}

long long ctl_counter(const char *key)
{
	static char body[16384], path[512];
	const char *dir = getenv("MYRIXEN_TEST_DIR");

	snprintf(path, sizeof(path), "%s/ctl.sock", dir ? dir : ".");
	if (ctl_request(path, "json counters\n", body, sizeof(body)))
		return -1;
	return json_field(body, key);
}
