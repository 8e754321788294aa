/* SPDX-License-Identifier: MIT */
/* Kernel IPC channels for the baselines: see ipc_chan.h. */
#include "ipc_chan.h"
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int xfer(int fd, char *buf, uint32_t len, int out)
{
	uint32_t done = 0;

	while (done < len || (!len && !done)) {
		ssize_t n = out ? write(fd, buf + done, len - done ? len - done : 1)
				: read(fd, buf + done, len - done ? len - done : 1);

		if (n <= 0)
			return -1;
		done += (uint32_t)n;
		if (!len)
			break;
	}
	return 0;
}

int ipc_chan_put(struct ipc_chan *c, char *buf, uint32_t len)
{
	if (c->udp)
		return sendto(c->wr, buf, len, 0, (struct sockaddr *)&c->peer,
			      sizeof(c->peer)) == (ssize_t)len ? 0 : -1;
	return xfer(c->wr, buf, len, 1);
}

int ipc_chan_get(struct ipc_chan *c, char *buf, uint32_t len)
{
	if (c->udp)
		return recv(c->rd, buf, len ? len : 1, 0) == (ssize_t)len ? 0 : -1;
	return xfer(c->rd, buf, len, 0);
}

int ipc_chan_round(void *c, uint32_t size, uint32_t i)
{
	struct ipc_chan *ch = c;

	(void)i;
	return ipc_chan_put(ch, ch->buf, size) || ipc_chan_get(ch, ch->buf, size) ? -1 : 0;
}

int ipc_chan_echo(void *c, uint32_t size)
{
	struct ipc_chan *ch = c;

	return ipc_chan_get(ch, ch->buf, size) || ipc_chan_put(ch, ch->buf, size) ? -1 : 0;
}

static int udp_socket(struct sockaddr_in *a)
{
	socklen_t l = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), sz = 4 << 20;

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof(*a)) ||
	    getsockname(fd, (struct sockaddr *)a, &l))
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return fd;
}

int ipc_chan_make(const char *mode, struct ipc_chan *a, struct ipc_chan *b)
{
	int p1[2], p2[2], sv[2];

	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	if (!strcmp(mode, "pipe")) {
		if (pipe(p1) || pipe(p2))
			return -1;
		a->rd = p2[0], a->wr = p1[1];
		b->rd = p1[0], b->wr = p2[1];
		return 0;
	}
	if (!strcmp(mode, "unix")) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
			return -1;
		a->rd = a->wr = sv[0];
		b->rd = b->wr = sv[1];
		return 0;
	}
	if (!strcmp(mode, "udp")) {
		a->udp = b->udp = 1;
		a->rd = a->wr = udp_socket(&b->peer);
		b->rd = b->wr = udp_socket(&a->peer);
		return a->rd < 0 || b->rd < 0 ? -1 : 0;
	}
	return -1;
}
