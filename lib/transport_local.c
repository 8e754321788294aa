/* SPDX-License-Identifier: MIT */
/*
 * Local transport: the endpoint area is a sealed memfd and the doorbells are
 * eventfds, all handed over by myribackd on a SOCK_SEQPACKET UNIX socket.
 * One connection is one endpoint; the daemon closing it (or dying) shows up
 * as a hang-up on the socket, which is how we notice it went away.  After
 * the open the daemon only sends pair-channel hand-overs on it (pair.h).
 *
 * Sleeping costs one syscall: the doorbells sit in an epoll set
 * edge-triggered, so each write to one ends one epoll_wait and nothing is
 * ever drained with a read.
 *
 * A restarted daemon: reattach() connects again (back-off, bounded by
 * MYRIXEN_REATTACH_MS) and hands the new daemon the area memfd we map, with
 * the index and session we held (mxn_reattach_req); the area stays where it
 * is mapped, only the doorbells and the socket are new.  Pair channels'
 * bells stay in the same epoll set.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include "fdpass.h"
#include "myrixen/ring.h"
#include "transport.h"

#define MXL_LOCAL_SOCKET_DEFAULT "/run/myrixen/local.sock"

struct mxl_local {
	int sock;
	int area_fd;
	int kick_fd;
	int irq_fd;
	int epfd;               /* irq (ET), socket hang-up, extra_fd, watched */
	int extra_fd;           /* the extra_fd in epfd, -1 none */
	bool dead;
	struct mxn_open_req req; /* as opened: key and geometry for a re-attach */
	uint32_t session;       /* what the daemon gave us */
	uint8_t endpoint;
};

enum { TAG_IRQ = 1, TAG_SOCK, TAG_EXTRA, TAG_WATCH };

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

/*
 * One message of exactly len bytes with up to three descriptors (fds, -1
 * where none came).  -EPROTO for a short or truncated message (its
 * descriptors closed), -EPIPE when the daemon closed, -errno from recvmsg.
 */
static int recv_fds(int sock, void *buf, size_t len, int flags, int *fds, int max, int *nfds)
{
	bool trunc;
	ssize_t n = mxc_recv_fds(sock, buf, len, flags, fds, max, nfds, &trunc);

	if (n < 0)
		return (int)n;
	if (n != (ssize_t)len || trunc) {
		mxc_close_fds(fds, max);
		for (int i = 0; i < max; i++)
			fds[i] = -1;
		return n == 0 ? -EPIPE : -EPROTO;
	}
	return 0;
}

/* Receive the open reply and, on success, exactly three descriptors
 * [area, kick, irq] into fds (the caller owns them). */
static int recv_reply(struct mxl_local *l, struct mxn_open_rsp *rsp, int fds[3])
{
	int nfds, i, err;

	err = recv_fds(l->sock, rsp, sizeof(*rsp), 0, fds, 3, &nfds);
	if (err)
		return err == -EAGAIN || err == -EWOULDBLOCK ? -ETIMEDOUT : err;
	if (rsp->error || nfds != 3) {
		mxc_close_fds(fds, 3);
		fds[0] = fds[1] = fds[2] = -1;
		return rsp->error < 0 ? rsp->error : -EPROTO;
	}
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

static int ep_ctl(struct mxl_local *l, int op, int fd, uint32_t events, uint32_t tag)
{
	struct epoll_event ev = { .events = events, .data.u32 = tag };

	return epoll_ctl(l->epfd, op, fd, &ev) ? -errno : 0;
}

/* The daemon's doorbell edge-triggered (never drained); the socket only
 * for its hang-up, since pair hand-overs make it readable. */
static int make_epoll(struct mxl_local *l)
{
	int err;

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	err = ep_ctl(l, EPOLL_CTL_ADD, l->irq_fd, EPOLLIN | EPOLLET, TAG_IRQ);
	if (!err)
		err = ep_ctl(l, EPOLL_CTL_ADD, l->sock, EPOLLRDHUP, TAG_SOCK);
	return err;
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
	int fds[3];
	ssize_t n;
	int err;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->sock = l->area_fd = l->kick_fd = l->irq_fd = l->epfd = l->extra_fd = -1;
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
	err = recv_reply(l, rsp, fds);
	if (err)
		goto out;
	l->area_fd = fds[0];
	l->kick_fd = fds[1];
	l->irq_fd = fds[2];
	l->req = *req;
	l->session = rsp->session;
	l->endpoint = rsp->endpoint;
	err = map_area(t, l, rsp);
	if (err)
		goto out;
	err = make_epoll(l);
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

/* extra_fd (mx_wakeup's eventfd) is level-triggered: a wake-up stays
 * visible to every sleeper until the waiter that owns it reads it. */
static int set_extra(struct mxl_local *l, int fd)
{
	int err = 0;

	if (fd == l->extra_fd)
		return 0;
	if (l->extra_fd >= 0)
		(void)ep_ctl(l, EPOLL_CTL_DEL, l->extra_fd, 0, 0);
	l->extra_fd = -1;
	if (fd >= 0) {
		err = ep_ctl(l, EPOLL_CTL_ADD, fd, EPOLLIN, TAG_EXTRA);
		if (!err)
			l->extra_fd = fd;
	}
	return err;
}

static int local_wait(struct mxl_transport *t, int timeout_ms, int extra_fd)
{
	struct mxl_local *l = t->priv;
	struct epoll_event ev[8];
	int n, i, res = 0, err;

	err = set_extra(l, extra_fd);
	if (err)
		return err;
	n = epoll_wait(l->epfd, ev, 8, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		switch (ev[i].data.u32) {
		case TAG_IRQ:
		case TAG_WATCH:
			res |= MXL_WAIT_IRQ;
			break;
		case TAG_SOCK:
			l->dead = true;
			res |= MXL_WAIT_DEAD;
			break;
		case TAG_EXTRA:
			res |= MXL_WAIT_WAKE;
			break;
		}
	}
	return res;
}

static bool local_dead(struct mxl_transport *t)
{
	struct mxl_local *l = t->priv;
	struct pollfd p = { .fd = l->sock, .events = POLLRDHUP };

	if (!l->dead && poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLRDHUP)))
		l->dead = true;
	return l->dead;
}

/* The daemon that attached our area (a restarted one writes the header
 * again) wakes a futex sleeper on the event ring, and pair channels are
 * plain shared memory: fbell.c may replace local_wait. */
static bool local_futex(struct mxl_transport *t)
{
	struct mxn_area_hdr *h = t->area;

	return (atomic_load_explicit(MXN_ATOMIC(&h->features), memory_order_relaxed) &
		MXN_AREAF_FUTEX) != 0;
}

static int local_watch(struct mxl_transport *t, int fd, bool on)
{
	struct mxl_local *l = t->priv;

	return on ? ep_ctl(l, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLET, TAG_WATCH)
		  : ep_ctl(l, EPOLL_CTL_DEL, fd, 0, 0);
}

/* One queued hand-over: the message and exactly three descriptors, or
 * five when it says it carries the peer's process (pair.h). */
static int recv_pair(struct mxl_local *l, struct mxn_pair_open *o, int fds[MXN_PAIR_OPEN_FDS_MAX])
{
	int nfds, err = recv_fds(l->sock, o, sizeof(*o), MSG_DONTWAIT, fds, MXN_PAIR_OPEN_FDS_MAX,
				 &nfds);

	if (!err && nfds != ((o->flags & MXN_PAIR_OPENF_PROC) ? 5 : 3)) {
		mxc_close_fds(fds, MXN_PAIR_OPEN_FDS_MAX);
		err = -EPROTO;
	}
	return err;
}

static int local_pair_take(struct mxl_transport *t, uint32_t pair_id, struct mxn_pair_open *o,
			   int fds[MXN_PAIR_OPEN_FDS_MAX])
{
	struct mxl_local *l = t->priv;
	int err;

	/* The daemon sends the hand-over before it publishes the event, and
	 * drops a pair whose hand-over failed: skip those. */
	for (;;) {
		err = recv_pair(l, o, fds);
		if (err == -EPROTO)
			continue;
		if (err || o->pair_id == pair_id)
			return err;
		mxc_close_fds(fds, MXN_PAIR_OPEN_FDS_MAX);
	}
}

/* ---- re-attach to a restarted daemon ---- */

/* The request names what we hold: index, session, the area's exact
 * geometry (our own mapping's header, written by the old daemon). */
static void reattach_req(const struct mxl_transport *t, const struct mxl_local *l,
			 struct mxn_reattach_req *q)
{
	const struct mxn_area_hdr *h = t->area;

	memset(q, 0, sizeof(*q));
	q->open = l->req;
	q->open.endpoint = l->endpoint;
	q->open.cmd_order = (uint8_t)h->cmd_order;
	q->open.evt_order = (uint8_t)h->evt_order;
	q->open.sendq_size = h->sendq_size;
	q->open.recvq_size = h->recvq_size;
	q->session = l->session;
}

/* The daemon must hand back the very area we map, not another file. */
static int same_file(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) || fstat(b, &sb))
		return -errno;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino ? 0 : -EPROTO;
}

/* The old connection's socket and doorbells leave the epoll set (closing
 * them does it); the area and the pair bells stay. */
static void drop_connection(struct mxl_local *l)
{
	int *fds[] = { &l->sock, &l->kick_fd, &l->irq_fd };

	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0) {
			(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, *fds[i], NULL);
			close(*fds[i]);
		}
		*fds[i] = -1;
	}
}

static int reattach_once(struct mxl_transport *t, struct mxl_local *l, struct mxn_open_rsp *rsp)
{
	struct mxn_reattach_req q;
	int fds[3] = { -1, -1, -1 }, err;

	drop_connection(l);
	err = connect_daemon(&l->sock);
	if (err)
		return err;
	allow_daemon_ptrace(l->sock);
	set_reply_timeout(l->sock);
	reattach_req(t, l, &q);
	err = mxc_send_fds(l->sock, &q, sizeof(q), &l->area_fd, 1, 0);
	if (!err)
		err = recv_reply(l, rsp, fds);
	if (!err)
		err = same_file(fds[0], l->area_fd);
	if (!err && (rsp->area_size != t->area_size || rsp->endpoint != l->endpoint ||
		     rsp->session != l->session))
		err = -EPROTO;
	if (err)
		goto out;
	l->kick_fd = fds[1];
	l->irq_fd = fds[2];
	fds[1] = fds[2] = -1;
	err = ep_ctl(l, EPOLL_CTL_ADD, l->irq_fd, EPOLLIN | EPOLLET, TAG_IRQ);
	if (!err)
		err = ep_ctl(l, EPOLL_CTL_ADD, l->sock, EPOLLRDHUP, TAG_SOCK);
out:
	mxc_close_fds(fds, 3);
	return err;
}

/* Worth another try: no daemon yet, or it went away again mid-handshake. */
static bool transient(int err)
{
	return err == -ENOENT || err == -ECONNREFUSED || err == -ECONNRESET || err == -EPIPE ||
	       err == -ETIMEDOUT || err == -EAGAIN || err == -EBUSY || err == -EINTR;
}

static int local_reattach(struct mxl_transport *t, struct mxn_open_rsp *rsp, bool *regions_lost)
{
	struct mxl_local *l = t->priv;
	uint64_t limit = mxl_env_u32("MYRIXEN_REATTACH_MS", 60000);
	uint64_t end = mxl_now_ns() + limit * 1000000ull;
	uint32_t delay_ms = 10;
	int err;

	*regions_lost = false; /* regions are our own addresses: still valid */
	if (!limit || l->area_fd < 0)
		return -ENOTCONN;
	for (;;) {
		err = reattach_once(t, l, rsp);
		if (!err || !transient(err))
			break;
		uint64_t now = mxl_now_ns();

		if (now >= end)
			break;
		if ((uint64_t)delay_ms * 1000000ull > end - now)
			delay_ms = (uint32_t)((end - now) / 1000000ull) + 1;
		usleep(delay_ms * 1000u);
		delay_ms = delay_ms * 2 > 200 ? 200 : delay_ms * 2;
	}
	if (err)
		drop_connection(l);
	else
		l->dead = false;
	return err;
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
	if (l->epfd >= 0)
		close(l->epfd);
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
	.futex = local_futex,
	.dead = local_dead,
	.region_size = local_region_size,
	.region = local_region,
	.region_release = local_region_release,
	.reattach = local_reattach,
	.close = local_close,
	.pair_take = local_pair_take,
	.watch = local_watch,
};
