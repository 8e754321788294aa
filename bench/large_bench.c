/* SPDX-License-Identifier: MIT */
/*
 * Large local messages vs one process_vm_readv of the same size, in one
 * run: a sender process streams ITERS messages of SIZE bytes to a receiver
 * through libmyrixen (single copy: MYRIXEN_SINGLE_COPY unset; mediated:
 * MYRIXEN_SINGLE_COPY=0), then the receiver reads the sender's buffer ITERS
 * times with process_vm_readv itself (the baseline).  ROUNDS rounds, the
 * baseline and each path in turn; prints GB/s (best and median round) and
 * the ratio to the baseline: best against best, and the median over the
 * rounds of each round's ratio (a round's paths ran next to its baseline,
 * so a noisy host moves both).  Not a test; bench/large_bench.sh and
 * bench/local_bench.sh drive it.
 *   large_bench SIZE ITERS direct|mediated|both [ROUNDS]   (MYRIXEN_SOCKET set)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <myriexpress.h>
#include <myrixen/abi.h>
#include "mx_counter.h"

#define MXN_LARGE_MAX_BENCH MXN_LARGE_MAX

#define KEY 0x1a76u
#define ROUNDS_MAX 31 /* baseline and each path alternate, ROUNDS times (default 5) */

struct hello {
	uint64_t nic;
	uint32_t eid[2];
};

struct where {
	pid_t pid;
	uint64_t addr;
};

/* The sender's FIN naps (lib/pair_nap.c), told at the end. */
struct naps {
	uint32_t naps, misses;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	fprintf(stderr, "large_bench: %s\n", what);
	exit(1);
}

static void wait_ok(mx_endpoint_t ep, mx_request_t *r)
{
	mx_status_t st;
	uint32_t result = 0;

	if (mx_wait(ep, r, 60000, &st, &result) != MX_SUCCESS || !result ||
	    st.code != MX_STATUS_SUCCESS)
		die("transfer failed");
}

/* Two in flight at a time, so one announcement waits while one is copied. */
static void sender(int rd, int wr, uint32_t size, int iters, int nphase, int rounds)
{
	uint8_t *buf = malloc(size);
	mx_endpoint_addr_t dest[2];
	struct where w = { getpid(), (uintptr_t)buf };
	struct hello h;
	mx_endpoint_t ep;
	mx_segment_t seg = { buf, size };
	mx_request_t r[2];
	struct naps n;
	char go;

	if (!buf || read(rd, &h, sizeof(h)) != sizeof(h) || mx_init() != MX_SUCCESS ||
	    mx_open_endpoint(MX_ANY_NIC, MX_ANY_ENDPOINT, KEY, NULL, 0, &ep) != MX_SUCCESS)
		die("sender open");
	memset(buf, 0xa5, size);
	if (write(wr, &w, sizeof(w)) != sizeof(w))
		die("sender pipe");
	for (int p = 0; p < nphase; p++)
		if (mx_connect(ep, h.nic, h.eid[p], KEY, 10000, &dest[p]) != MX_SUCCESS)
			die("connect");
	for (int q = 0; q < rounds * nphase; q++) {
		int p = q % nphase;

		for (int i = 0; i < iters; i++) {
			if (i >= 2)
				wait_ok(ep, &r[i % 2]);
			if (mx_isend(ep, &seg, 1, dest[p], (uint64_t)i, NULL, &r[i % 2]) != MX_SUCCESS)
				die("isend");
		}
		for (int i = iters > 2 ? iters - 2 : 0; i < iters; i++)
			wait_ok(ep, &r[i % 2]);
	}
	if (read(rd, &go, 1) != 1)
		die("sender pipe");
	n.naps = mxb_counter(ep, "Sleeps until a pair-channel FIN was due (no bell asked)");
	n.misses = mxb_counter(ep, "FIN naps that ended before their FIN");
	if (write(wr, &n, sizeof(n)) != sizeof(n))
		die("sender pipe");
	mx_close_endpoint(ep);
	mx_finalize();
	exit(0);
}

static double receive(mx_endpoint_t ep, uint8_t *buf, uint32_t size, int iters)
{
	mx_segment_t seg = { buf, size };
	mx_request_t r[2];
	double t0 = now_s();

	for (int i = 0; i < iters; i++) {
		if (i >= 2)
			wait_ok(ep, &r[i % 2]);
		if (mx_irecv(ep, &seg, 1, (uint64_t)i, MX_MATCH_MASK_NONE, NULL, &r[i % 2]) !=
		    MX_SUCCESS)
			die("irecv");
	}
	for (int i = iters > 2 ? iters - 2 : 0; i < iters; i++)
		wait_ok(ep, &r[i % 2]);
	return now_s() - t0;
}

static double baseline(const struct where *w, uint8_t *buf, uint32_t size, int iters)
{
	struct iovec l = { buf, size }, r = { (void *)(uintptr_t)w->addr, size };
	double t0 = now_s();

	for (int i = 0; i < iters; i++)
		if (process_vm_readv(w->pid, &l, 1, &r, 1, 0) != (ssize_t)size)
			die("process_vm_readv");
	return now_s() - t0;
}

/* The receiver's own counts per message: how often it slept, how often it
 * rang the daemon, how many messages came announced in a pair channel
 * (read with no daemon hop, lib/pair_rndv.c), and how many of their FINs
 * it wrote without waking the sender (it napped: lib/pair_nap.c) or woke
 * it with. */
static void receiver_counts(mx_endpoint_t ep, const char *name, int msgs)
{
	printf("  %-12s receiver: %.2f sleeps, %.2f daemon kicks per message; "
	       "%u of %d announced in the pair channel; FINs: %u without a wake-up, "
	       "%u woke the sender\n", name,
	       (double)mxb_counter(ep, "Blocking sleeps") / msgs,
	       (double)mxb_counter(ep, "Doorbell kicks") / msgs,
	       mxb_counter(ep, "Large messages read from a pair peer, no daemon hop"), msgs,
	       mxb_counter(ep, "Pair-channel FINs written without a wake-up"),
	       mxb_counter(ep, "Pair-channel FINs that woke their sender"));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[ROUNDS_MAX];

	memcpy(s, v, (size_t)n * sizeof(*v));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double best(const double *v, int n)
{
	double m = v[0];

	for (int i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

int main(int argc, char **argv)
{
	uint32_t size = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 4u << 20;
	int iters = argc > 2 ? atoi(argv[2]) : 50, nphase = 0, down[2], up[2];
	const char *mode = argc > 3 ? argv[3] : "both";
	int rounds = argc > 4 ? atoi(argv[4]) : 5;
	const char *names[2];
	double secs[2][ROUNDS_MAX], base[ROUNDS_MAX], ratio[ROUNDS_MAX];
	mx_endpoint_t ep[2];
	mx_endpoint_addr_t a;
	struct hello h;
	struct where w;
	struct naps n = { 0, 0 };
	uint8_t *buf = malloc(size);
	pid_t kid;

	if (size > MXN_LARGE_MAX_BENCH) {
		printf("size %u B: skipped, above the largest message (%u B)\n", size,
		       MXN_LARGE_MAX_BENCH);
		return 0;
	}
	if (!buf || iters < 1 || rounds < 1 || rounds > ROUNDS_MAX || pipe(down) || pipe(up))
		die("usage: large_bench SIZE ITERS direct|mediated|both [ROUNDS <= 31]");
	kid = fork();
	if (!kid)
		sender(down[0], up[1], size, iters, !strcmp(mode, "both") ? 2 : 1, rounds);
	if (mx_init() != MX_SUCCESS)
		die("mx_init");
	memset(buf, 0, size); /* fault the receive buffer in once, as the baseline's */
	if (strcmp(mode, "mediated")) {
		unsetenv("MYRIXEN_SINGLE_COPY");
		names[nphase] = "single-copy";
		if (mx_open_endpoint(MX_ANY_NIC, MX_ANY_ENDPOINT, KEY, NULL, 0, &ep[nphase++]))
			die("open");
	}
	if (strcmp(mode, "direct")) {
		setenv("MYRIXEN_SINGLE_COPY", "0", 1);
		names[nphase] = "mediated";
		if (mx_open_endpoint(MX_ANY_NIC, MX_ANY_ENDPOINT, KEY, NULL, 0, &ep[nphase++]))
			die("open");
	}
	for (int p = 0; p < nphase; p++) {
		mx_get_endpoint_addr(ep[p], &a);
		mx_decompose_endpoint_addr(a, &h.nic, &h.eid[p]);
	}
	if (write(down[1], &h, sizeof(h)) != sizeof(h) || read(up[0], &w, sizeof(w)) != sizeof(w))
		die("pipe");
	/* Baseline: the same bytes, one process_vm_readv each, same buffers. */
	for (int q = 0; q < rounds; q++) {
		base[q] = baseline(&w, buf, size, iters);
		for (int p = 0; p < nphase; p++)
			secs[p][q] = receive(ep[p], buf, size, iters);
	}
	if (write(down[1], "g", 1) != 1 || read(up[0], &n, sizeof(n)) != sizeof(n))
		die("pipe");
	waitpid(kid, NULL, 0);
	printf("size %u B, %d messages x %d rounds; process_vm_readv baseline %.2f GB/s best, "
	       "%.2f median\n", size, iters, rounds, (double)size * iters / best(base, rounds) / 1e9,
	       (double)size * iters / median(base, rounds) / 1e9);
	for (int p = 0; p < nphase; p++) {
		for (int q = 0; q < rounds; q++)
			ratio[q] = base[q] / secs[p][q];
		printf("  %-12s %.2f GB/s best = %.0f%% of process_vm_readv's best; "
		       "median of round ratios %.0f%%\n", names[p],
		       (double)size * iters / best(secs[p], rounds) / 1e9,
		       100. * best(base, rounds) / best(secs[p], rounds), 100. * median(ratio, rounds));
		receiver_counts(ep[p], names[p], rounds * iters);
	}
	printf("  sender: %u naps until a FIN was due, %u of them ended before it\n", n.naps,
	       n.misses);
	for (int p = 0; p < nphase; p++)
		mx_close_endpoint(ep[p]);
	mx_finalize();
	return 0;
}
