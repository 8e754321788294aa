/* SPDX-License-Identifier: MIT */
/*
 * shm_pingpong: the floor for mx_pingpong.  Two processes ping-pong through
 * a shared-memory mailbox with spinning: the payload is copied in, a
 * sequence number is published with release, the peer spins on it with
 * acquire, copies the payload out and answers.  Same sizes, same table and
 * CSV columns as mx_pingpong, so the demo can print their ratio.
 *
 *   shm_pingpong [-n ITERS] [-w WARMUP] [-s MIN] [-S MAX] [-c CSV]
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shm_box {
	_Atomic uint64_t seq;   /* bumped after the payload is in place */
	uint32_t len;
	char pad[52];
	char data[];
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void post(struct shm_box *b, const char *src, uint32_t len, uint64_t seq)
{
	memcpy(b->data, src, len);
	b->len = len;
	/* release: the payload and length are visible before the new seq */
	atomic_store_explicit(&b->seq, seq, memory_order_release);
}

static uint32_t take(struct shm_box *b, char *dst, uint64_t seq)
{
	/* acquire: pairs with post()'s release */
	while (atomic_load_explicit(&b->seq, memory_order_acquire) != seq)
		__builtin_ia32_pause();
	memcpy(dst, b->data, b->len);
	return b->len;
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
	const char *csv_path = NULL;
	struct shm_box *ping, *pong;
	uint64_t seq = 0;
	FILE *csv = NULL;
	char *tx, *rx;
	size_t boxsz;
	int c, bad = 0, status;
	pid_t pid;

	while ((c = getopt(argc, argv, "n:w:s:S:c:h")) != -1) {
		switch (c) {
		case 'n': bad |= parse_u32(optarg, &iters); break;
		case 'w': bad |= parse_u32(optarg, &warm); break;
		case 's': bad |= parse_u32(optarg, &min); break;
		case 'S': bad |= parse_u32(optarg, &max); break;
		case 'c': csv_path = optarg; break;
		default: bad = 1;
		}
	}
	if (bad || optind != argc || min > max || max > (64u << 20) || !iters) {
		fprintf(stderr, "usage: shm_pingpong [-n ITERS] [-w WARMUP] [-s MIN] [-S MAX] [-c CSV]\n");
		return 2;
	}
	boxsz = sizeof(struct shm_box) + max;
	ping = mmap(NULL, 2 * boxsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ping == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	pong = (struct shm_box *)(void *)((char *)ping + boxsz);
	tx = calloc(1, max + 1);
	rx = calloc(1, max + 1);
	if (!tx || !rx)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) { /* echo side: mirrors the driver's exact sequence */
		for (size = min;;) {
			n = iters_for(iters, size) + warm;
			for (i = 0; i < n; i++) {
				seq++;
				post(pong, rx, take(ping, rx, seq), seq);
			}
			if (size >= max)
				break;
			size = size ? size * 2 : 1;
			if (size > max)
				size = max;
		}
		_exit(0);
	}
	if (csv_path && !(csv = fopen(csv_path, "w"))) {
		perror(csv_path);
		return 1;
	}
	if (csv)
		fprintf(csv, "bytes,latency_us,mb_per_s\n");
	printf("%10s %12s %12s\n", "bytes", "latency(us)", "MB/s");
	for (size = min;;) {
		double t0 = 0, lat;

		n = iters_for(iters, size);
		for (i = 0; i < n + warm; i++) {
			if (i == warm)
				t0 = now_us();
			seq++;
			post(ping, tx, size, seq);
			if (take(pong, rx, seq) != size)
				return 1;
		}
		lat = (now_us() - t0) / n / 2;
		printf("%10u %12.2f %12.2f\n", size, lat, lat > 0 ? size / lat : 0.0);
		if (csv)
			fprintf(csv, "%u,%.3f,%.3f\n", size, lat, lat > 0 ? size / lat : 0.0);
		if (size >= max)
			break;
		size = size ? size * 2 : 1;
		if (size > max)
			size = max;
	}
	if (csv)
		fclose(csv);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
