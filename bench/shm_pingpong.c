/* SPDX-License-Identifier: MIT */
/*
 * shm_pingpong: the floor for mx_pingpong.  Two processes ping-pong through
 * a shared-memory mailbox with spinning: the payload is copied in, a
 * sequence number is published with release, the peer spins on it with
 * acquire, copies the payload out and answers.  Same sizes, same table and
 * CSV columns as mx_pingpong (pingpong.h), so the demo can print their
 * ratio.
 *
 *   shm_pingpong [-n ITERS] [-w WARMUP] [-s MIN] [-S MAX] [-c CSV]
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pingpong.h"

struct shm_box {
	_Atomic uint64_t seq;   /* bumped after the payload is in place */
	uint32_t len;
	char pad[52];
	char data[];
};

/* One side: posts into out, takes from in. */
struct shm_side {
	struct shm_box *out, *in;
	char *tx, *rx;
	uint64_t seq;
};

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

static int shm_round(void *ctx, uint32_t size, uint32_t i)
{
	struct shm_side *s = ctx;

	(void)i;
	s->seq++;
	post(s->out, s->tx, size, s->seq);
	return take(s->in, s->rx, s->seq) == size ? 0 : -1;
}

static int shm_echo(void *ctx, uint32_t size)
{
	struct shm_side *s = ctx;

	(void)size;
	s->seq++;
	post(s->out, s->rx, take(s->in, s->rx, s->seq), s->seq);
	return 0;
}

int main(int argc, char **argv)
{
	struct pp_sweep sw = { .iters = 1000, .warm = 100, .max = 4u << 20,
			       .name = "shm_pingpong" };
	struct shm_box *ping, *pong;
	struct shm_side side;
	struct pp_link l;
	size_t boxsz;
	int c, bad = 0, status, rc;
	pid_t pid;

	while ((c = getopt(argc, argv, "n:w:s:S:c:h")) != -1) {
		switch (c) {
		case 'n': bad |= pp_parse_u32(optarg, &sw.iters); break;
		case 'w': bad |= pp_parse_u32(optarg, &sw.warm); break;
		case 's': bad |= pp_parse_u32(optarg, &sw.min); break;
		case 'S': bad |= pp_parse_u32(optarg, &sw.max); break;
		case 'c': sw.csv = optarg; break;
		default: bad = 1;
		}
	}
	if (bad || optind != argc || sw.min > sw.max || sw.max > (64u << 20) || !sw.iters) {
		fprintf(stderr, "usage: shm_pingpong [-n ITERS] [-w WARMUP] [-s MIN] [-S MAX] [-c CSV]\n");
		return 2;
	}
	boxsz = sizeof(struct shm_box) + sw.max;
	ping = mmap(NULL, 2 * boxsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ping == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	pong = (struct shm_box *)(void *)((char *)ping + boxsz);
	side = (struct shm_side){ .tx = calloc(1, sw.max + 1), .rx = calloc(1, sw.max + 1) };
	if (!side.tx || !side.rx)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) { /* echo side: mirrors the driver's exact sequence */
		side.out = pong;
		side.in = ping;
		l = (struct pp_link){ .echo = shm_echo, .ctx = &side };
		_exit(pp_echo(&sw, &l));
	}
	side.out = ping;
	side.in = pong;
	l = (struct pp_link){ .round = shm_round, .ctx = &side };
	rc = pp_drive(&sw, &l);
	if (rc)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return !rc && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
