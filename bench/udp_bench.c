/* SPDX-License-Identifier: MIT */
/*
 * Kernel UDP baseline for the wire benchmark, over the same veth.
 *   udp_bench -l PORT                          server
 *   udp_bench -c ADDR:PORT -p SIZE -n ITERS    ping-pong: prints "SIZE usec_one_way"
 *   udp_bench -b -c ADDR:PORT -p SIZE -n ITERS ping-pong, both sides busy-polling
 *                                              (recvfrom MSG_DONTWAIT in a loop, never
 *                                              asleep: the fair baseline for spinning MX)
 *   udp_bench -c ADDR:PORT -s SIZE -n COUNT    stream: prints "SIZE MB/s" (bytes the
 *                                              server really received)
 * A message larger than one datagram goes as 8972-byte datagrams (MTU 9000
 * without IP/UDP headers), like MXoE frames.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 8972u
#define MAXMSG (4u << 20)

struct ctl {
	char op;                    /* 'P' ping-pong, 'S' stream, 'E' end of stream */
	char busy;                  /* 'B': both sides busy-poll (ping-pong) */
	char pad[2];
	uint32_t size, count;
	uint64_t bytes;             /* 'R' report: bytes received */
	double secs;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void send_msg(int fd, const struct sockaddr_in *to, const char *buf, uint32_t size)
{
	uint32_t off = 0;

	do {
		uint32_t n = size - off > CHUNK ? CHUNK : size - off;

		(void)sendto(fd, buf + off, n, 0, (const struct sockaddr *)to, sizeof(*to));
		off += n;
	} while (off < size);
}

/* One datagram without sleeping: recvfrom(MSG_DONTWAIT) until one comes
 * or timeout_ms went by. */
static ssize_t recv_busy(int fd, char *buf, size_t len, struct sockaddr_in *from,
			 int timeout_ms)
{
	double end = now_s() + timeout_ms / 1e3;

	for (unsigned i = 1;; i++) {
		socklen_t fl = sizeof(*from);
		ssize_t n = recvfrom(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)from, &fl);

		if (n >= 0 || errno != EAGAIN)
			return n;
		if (!(i % 1024) && now_s() > end)
			return -1;
	}
}

/* Receive one message of 'size' bytes (0: one empty datagram). -1 on timeout. */
static int recv_msg(int fd, char *buf, uint32_t size, struct sockaddr_in *from, int timeout_ms,
		    bool busy)
{
	uint32_t got = 0;

	do {
		struct pollfd p = { fd, POLLIN, 0 };
		socklen_t fl = sizeof(*from);
		ssize_t n;

		if (busy)
			n = recv_busy(fd, buf + got, MAXMSG - got, from, timeout_ms);
		else if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		else
			n = recvfrom(fd, buf + got, MAXMSG - got, 0, (struct sockaddr *)from, &fl);
		if (n < 0)
			return -1;
		got += (uint32_t)n;
	} while (got < size);
	return 0;
}

static int serve(int fd)
{
	char *buf = malloc(MAXMSG + CHUNK);
	struct sockaddr_in from;
	struct ctl c;

	for (;;) {
		socklen_t fl = sizeof(from);

		if (recvfrom(fd, &c, sizeof(c), 0, (struct sockaddr *)&from, &fl) != sizeof(c))
			continue;
		if (c.op == 'P') {
			for (uint32_t i = 0; i < c.count; i++) {
				if (recv_msg(fd, buf, c.size, &from, 2000, c.busy == 'B'))
					break;
				send_msg(fd, &from, buf, c.size);
			}
		} else if (c.op == 'S') {
			uint64_t bytes = 0;
			double t0 = 0, t1 = 0;

			for (;;) {
				struct pollfd p = { fd, POLLIN, 0 };
				ssize_t n;

				if (poll(&p, 1, 1000) <= 0)
					break;
				n = recv(fd, buf, MAXMSG, 0);
				if (n == (ssize_t)sizeof(c) && ((struct ctl *)(void *)buf)->op == 'E')
					break;
				if (!t0)
					t0 = now_s();
				t1 = now_s();
				bytes += (uint64_t)(n > 0 ? n : 0);
			}
			c.op = 'R';
			c.bytes = bytes;
			c.secs = t1 - t0;
			(void)sendto(fd, &c, sizeof(c), 0, (struct sockaddr *)&from, sizeof(from));
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), opt, mode = 0, buf_sz = 16 << 20;
	struct sockaddr_in a = { .sin_family = AF_INET };
	uint32_t size = 0, n = 1000;
	char host[64] = "";
	bool busy = false;

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf_sz, sizeof(buf_sz));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf_sz, sizeof(buf_sz));
	while ((opt = getopt(argc, argv, "bl:c:p:s:n:")) != -1) {
		switch (opt) {
		case 'l':
			a.sin_port = htons((uint16_t)atoi(optarg));
			if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
				return 1;
			return serve(fd);
		case 'c': {
			char *col = strchr(optarg, ':');

			if (!col || col - optarg >= (long)sizeof(host))
				return 2;
			memcpy(host, optarg, (size_t)(col - optarg));
			a.sin_port = htons((uint16_t)atoi(col + 1));
			inet_pton(AF_INET, host, &a.sin_addr);
			break;
		}
		case 'p': mode = 'P'; size = (uint32_t)atoi(optarg); break;
		case 's': mode = 'S'; size = (uint32_t)atoi(optarg); break;
		case 'n': n = (uint32_t)atoi(optarg); break;
		case 'b': busy = true; break;
		default: return 2;
		}
	}
	if (!mode || !host[0] || size > MAXMSG)
		return 2;
	char *buf = calloc(1, MAXMSG + CHUNK);
	struct ctl c = { .op = (char)mode, .busy = busy ? 'B' : 0, .size = size, .count = n };
	struct sockaddr_in from;

	(void)sendto(fd, &c, sizeof(c), 0, (struct sockaddr *)&a, sizeof(a));
	usleep(1000);
	if (mode == 'P') {
		double t0 = 0;
		uint32_t warm = n / 10;

		for (uint32_t i = 0; i < n; i++) {
			if (i == warm)
				t0 = now_s();
			send_msg(fd, &a, buf, size);
			if (recv_msg(fd, buf, size, &from, 2000, busy)) {
				fprintf(stderr, "udp_bench: lost a reply at %u bytes\n", size);
				return 1;
			}
		}
		printf("%u %.3f\n", size, (now_s() - t0) * 1e6 / (n - warm) / 2);
		return 0;
	}
	for (uint32_t i = 0; i < n; i++)
		send_msg(fd, &a, buf, size);
	c.op = 'E';
	usleep(2000);
	(void)sendto(fd, &c, sizeof(c), 0, (struct sockaddr *)&a, sizeof(a));
	socklen_t fl = sizeof(from);

	if (recvfrom(fd, &c, sizeof(c), 0, (struct sockaddr *)&from, &fl) != sizeof(c) || c.op != 'R')
		return 1;
	printf("%u %.3f\n", size, c.secs > 0 ? (double)c.bytes / c.secs / 1e6 : 0.0);
	return 0;
}
