/* SPDX-License-Identifier: MIT */
/*
 * mx_pairs: P independent pairs of processes ping-pong SIZE-byte messages
 * (N round trips each) at the same time, through the local myribackd
 * (bench/local_bench.sh).  Prints the aggregate one-way message rate:
 *
 *   pairs P msgs M secs S rate R
 *
 *   mx_pairs [-p PAIRS] [-n ITERS] [-s SIZE] [-e BASE_EP]
 * Endpoint ids BASE_EP .. BASE_EP + 2 * PAIRS - 1 (default 100).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "myriexpress.h"

#define KEY 0x9a125u
#define MATCH 0x7a1u

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int wait_ok(mx_endpoint_t ep, mx_request_t *r, mx_status_t *st)
{
	uint32_t res = 0;

	return mx_wait(ep, r, 20000, st, &res) == MX_SUCCESS && res &&
	       st->code == MX_STATUS_SUCCESS ? 0 : -1;
}

/* Tell the parent this side will never be ready (it must not wait). */
static int not_ready(int ready)
{
	(void)!write(ready, "x", 1);
	return 1;
}

static int echo_side(uint32_t eid, uint32_t iters, uint32_t size, int ready)
{
	char *buf = calloc(1, size + 1);
	mx_segment_t s = { buf, size };
	mx_endpoint_t ep;
	mx_request_t r;
	mx_status_t st;

	if (!buf || mx_open_endpoint(MX_ANY_NIC, eid, KEY, NULL, 0, &ep) != MX_SUCCESS)
		return not_ready(ready);
	if (write(ready, "r", 1) != 1)
		return 1;
	for (uint32_t i = 0; i < iters; i++) {
		if (mx_irecv(ep, &s, 1, MATCH, MX_MATCH_MASK_NONE, NULL, &r) != MX_SUCCESS ||
		    wait_ok(ep, &r, &st))
			return 1;
		if (mx_isend(ep, &s, 1, st.source, MATCH, NULL, &r) != MX_SUCCESS ||
		    wait_ok(ep, &r, &st))
			return 1;
	}
	mx_close_endpoint(ep);
	return 0;
}

static int drive_side(uint32_t eid, uint32_t peer, uint32_t iters, uint32_t size, int ready,
		      int go)
{
	char *buf = calloc(1, size + 1), c;
	mx_segment_t s = { buf, size };
	mx_endpoint_addr_t a;
	mx_endpoint_t ep;
	mx_request_t r;
	mx_status_t st;
	uint64_t nic;

	if (!buf || mx_open_endpoint(MX_ANY_NIC, eid, KEY, NULL, 0, &ep) != MX_SUCCESS ||
	    mx_board_number_to_nic_id(0, &nic) != MX_SUCCESS ||
	    mx_connect(ep, nic, peer, KEY, 10000, &a) != MX_SUCCESS)
		return not_ready(ready);
	if (write(ready, "r", 1) != 1 || read(go, &c, 1) != 1)
		return 1;
	for (uint32_t i = 0; i < iters; i++) {
		if (mx_isend(ep, &s, 1, a, MATCH, NULL, &r) != MX_SUCCESS || wait_ok(ep, &r, &st))
			return not_ready(ready);
		if (mx_irecv(ep, &s, 1, MATCH, MX_MATCH_MASK_NONE, NULL, &r) != MX_SUCCESS ||
		    wait_ok(ep, &r, &st))
			return not_ready(ready);
	}
	/* the clock stops here, not after the closes */
	if (write(ready, "d", 1) != 1)
		return 1;
	mx_close_endpoint(ep);
	return 0;
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
	uint32_t pairs = 1, iters = 10000, size = 8, base = 100;
	int rp[2], gp[2], c, bad = 0, fails = 0, status;
	pid_t kids[254] = { 0 };
	double t0, secs;
	char ch;

	while ((c = getopt(argc, argv, "p:n:s:e:")) != -1) {
		switch (c) {
		case 'p': bad |= parse_u32(optarg, &pairs); break;
		case 'n': bad |= parse_u32(optarg, &iters); break;
		case 's': bad |= parse_u32(optarg, &size); break;
		case 'e': bad |= parse_u32(optarg, &base); break;
		default: bad = 1;
		}
	}
	if (bad || optind != argc || !pairs || base + 2 * pairs > 254 || pipe(rp) || pipe(gp)) {
		fprintf(stderr, "usage: mx_pairs [-p PAIRS] [-n ITERS] [-s SIZE] [-e BASE_EP]\n");
		return 2;
	}
	if (mx_init() != MX_SUCCESS)
		return 1;
	mx_set_error_handler(MX_ERRORS_RETURN);
	for (uint32_t i = 0; i < pairs; i++) {
		if ((kids[2 * i] = fork()) == 0)
			_exit(echo_side(base + 2 * i + 1, iters, size, rp[1]));
		if ((kids[2 * i + 1] = fork()) == 0)
			_exit(drive_side(base + 2 * i, base + 2 * i + 1, iters, size, rp[1], gp[0]));
	}
	for (uint32_t i = 0; i < 2 * pairs; i++)
		if (read(rp[0], &ch, 1) != 1 || ch != 'r') {
			fprintf(stderr, "mx_pairs: a process could not open or connect "
					"(endpoint limits? endpoints_per_guest, endpoint_reserve)\n");
			for (uint32_t k = 0; k < 2 * pairs; k++)
				if (kids[k] > 0)
					kill(kids[k], SIGKILL);
			return 1;
		}
	t0 = now_s();
	for (uint32_t i = 0; i < pairs; i++)
		if (write(gp[1], "g", 1) != 1)
			return 1;
	for (uint32_t i = 0; i < pairs; i++)
		if (read(rp[0], &ch, 1) != 1 || ch != 'd')
			fails++;
	secs = now_s() - t0;
	while (wait(&status) > 0)
		fails += !WIFEXITED(status) || WEXITSTATUS(status);
	if (fails) {
		fprintf(stderr, "mx_pairs: %d process(es) failed\n", fails);
		return 1;
	}
	printf("pairs %u msgs %llu secs %.4f rate %.0f\n", pairs,
	       (unsigned long long)pairs * iters * 2, secs, pairs * iters * 2 / secs);
	return 0;
}
