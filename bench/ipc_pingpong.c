/* SPDX-License-Identifier: MIT */
/*
 * ipc_pingpong: kernel IPC baselines for the local benchmark
 * (bench/local_bench.sh).  Two processes ping-pong through a pipe pair, a
 * UNIX stream socket pair or UDP on loopback, sleeping in the kernel
 * between messages; same sizes, table and CSV as shm_pingpong and
 * mx_pingpong.  Latency is half the round trip.  UDP stops at 65000 bytes.
 *
 *   ipc_pingpong -m pipe|unix|udp [-n ITERS] [-w WARMUP] [-s MIN] [-S MAX] [-c CSV]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define UDP_MAX 65000u

struct chan {
	int rd, wr;                 /* this side's ends */
	struct sockaddr_in peer;    /* udp */
	int udp;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

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

/* A 0-byte message is sent as one byte on streams (they have no records). */
static int put(struct chan *c, char *buf, uint32_t len)
{
	if (c->udp)
		return sendto(c->wr, buf, len, 0, (struct sockaddr *)&c->peer,
			      sizeof(c->peer)) == (ssize_t)len ? 0 : -1;
	return xfer(c->wr, buf, len, 1);
}

static int get(struct chan *c, char *buf, uint32_t len)
{
	if (c->udp)
		return recv(c->rd, buf, len ? len : 1, 0) == (ssize_t)len ? 0 : -1;
	return xfer(c->rd, buf, len, 0);
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

/* Both sides' channels, created before the fork. */
static int make(const char *mode, struct chan *a, struct chan *b)
{
	int p1[2], p2[2], sv[2];

	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	if (!strcmp(mode, "pipe")) {
		if (pipe(p1) || pipe(p2))
			return -1;
		*a = (struct chan){ .rd = p2[0], .wr = p1[1] };
		*b = (struct chan){ .rd = p1[0], .wr = p2[1] };
		return 0;
	}
	if (!strcmp(mode, "unix")) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
			return -1;
		*a = (struct chan){ .rd = sv[0], .wr = sv[0] };
		*b = (struct chan){ .rd = sv[1], .wr = sv[1] };
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

static uint32_t iters_for(uint32_t iters, uint32_t size)
{
	uint64_t n = iters;

	if (size > 65536)
		n = n * 65536 / size;
	return n < 4 ? 4 : (uint32_t)n;
}

static int parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long n = strtoul(s, &end, 0);

	if (!*s || *end || n > UINT32_MAX)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t iters = 1000, warm = 100, min = 0, max = 4u << 20, size, i, n;
	const char *mode = NULL, *csv_path = NULL;
	struct chan a, b;
	FILE *csv = NULL;
	char *buf;
	pid_t pid;
	int c, bad = 0;

	while ((c = getopt(argc, argv, "m:n:w:s:S:c:")) != -1) {
		switch (c) {
		case 'm': mode = optarg; break;
		case 'n': bad |= parse_u32(optarg, &iters); break;
		case 'w': bad |= parse_u32(optarg, &warm); break;
		case 's': bad |= parse_u32(optarg, &min); break;
		case 'S': bad |= parse_u32(optarg, &max); break;
		case 'c': csv_path = optarg; break;
		default: bad = 1;
		}
	}
	if (bad || !mode || optind != argc || min > max || make(mode, &a, &b)) {
		fprintf(stderr, "usage: ipc_pingpong -m pipe|unix|udp [-n ITERS] [-w WARMUP] "
				"[-s MIN] [-S MAX] [-c CSV]\n");
		return 2;
	}
	if (a.udp && max > UDP_MAX)
		max = UDP_MAX;
	buf = calloc(1, max + 1);
	if (!buf)
		return 1;
	pid = fork();
	if (pid == 0) {
		/* echo side: the same schedule of sizes and counts */
		for (size = min;; size = size ? size * 2 : 1) {
			n = iters_for(iters, size) + warm;
			for (i = 0; i < n; i++)
				if (get(&b, buf, size) || put(&b, buf, size))
					_exit(1);
			if (size >= max || size > max / 2)
				break;
		}
		_exit(0);
	}
	if (csv_path) {
		csv = fopen(csv_path, "w");
		if (csv)
			fprintf(csv, "bytes,latency_us,mb_per_s\n");
	}
	printf("%10s %12s %12s\n", "bytes", "latency(us)", "MB/s");
	for (size = min;; size = size ? size * 2 : 1) {
		double t0 = 0, lat;

		n = iters_for(iters, size);
		for (i = 0; i < n + warm; i++) {
			if (i == warm)
				t0 = now_us();
			if (put(&a, buf, size) || get(&a, buf, size)) {
				fprintf(stderr, "ipc_pingpong: %s failed at %u bytes\n", mode, size);
				return 1;
			}
		}
		lat = (now_us() - t0) / n / 2;
		printf("%10u %12.2f %12.2f\n", size, lat, lat > 0 ? size / lat : 0.0);
		if (csv)
			fprintf(csv, "%u,%.3f,%.3f\n", size, lat, lat > 0 ? size / lat : 0.0);
		if (size >= max || size > max / 2)
			break;
	}
	if (csv)
		fclose(csv);
	waitpid(pid, NULL, 0);
	free(buf);
	return 0;
}
