/* SPDX-License-Identifier: MIT */
/*
 * The ping-pong loop every latency benchmark shares (bench/ipc_pingpong,
 * bench/shm_pingpong, bench/mx_pairs, tools/mx_pingpong): the size
 * schedule, warm-up, timing, the table and CSV they print, and the fixed
 * count loops of the concurrent pairs.  A benchmark only says how one
 * round trip goes (driver) and how one message is echoed (echo side).
 * Plain libc: tools/mx_pingpong stays an unmodified-MX-style program.
 */
#ifndef BENCH_PINGPONG_H
#define BENCH_PINGPONG_H

#include <stdint.h>

/* How the messages travel. */
struct pp_link {
	/* driver: send size bytes and get them back (i: the round's number);
	 * 0 or -1 */
	int (*round)(void *ctx, uint32_t size, uint32_t i);
	/* echo side: get one size-byte message and send it back; 0 or -1 */
	int (*echo)(void *ctx, uint32_t size);
	void *ctx;
};

/* The sweep: sizes min, 2 min (1 after 0), ... up to max (the last one is
 * max itself); per size pp_iters_for(iters) timed rounds after warm. */
struct pp_sweep {
	uint32_t iters, warm, min, max;
	const char *csv;        /* also write bytes,latency_us,mb_per_s here */
	const char *name;       /* in error messages */
};

double pp_now_us(void);
int pp_parse_u32(const char *s, uint32_t *v);
/* Fewer rounds for large sizes (64 KiB and up), at least 4. */
uint32_t pp_iters_for(uint32_t iters, uint32_t size);
/* The size after 'size', or 0 when 'size' was the last. */
uint32_t pp_next_size(const struct pp_sweep *s, uint32_t size);

/* Driver: the whole sweep, the table on stdout (half round trip in us and
 * MB/s per size) and the CSV.  0, or 1 on a failed round. */
int pp_drive(const struct pp_sweep *s, const struct pp_link *l);
/* Echo side of pp_drive: the same schedule.  0 or 1. */
int pp_echo(const struct pp_sweep *s, const struct pp_link *l);

/* n rounds (driver) or n echoes of one size.  0 or -1. */
int pp_rounds(const struct pp_link *l, uint32_t size, uint32_t n);
int pp_echoes(const struct pp_link *l, uint32_t size, uint32_t n);

#endif /* BENCH_PINGPONG_H */
