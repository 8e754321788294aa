/* SPDX-License-Identifier: MIT */
/*
 * mx_cost: the library's own work per message on the local fast path, as a
 * count that noise does not change (bench/local_bench.sh runs it under
 * valgrind --tool=callgrind).  One process opens two endpoints A and B
 * (the daemon brokers a pair channel between them) and does N round trips
 * A -> B -> A where every wait finds its message on the first poll: no
 * spinning, no sleeping, no second CPU.  What callgrind counts inside
 * mxc_rounds() is mx_irecv + mx_isend + 2 mx_wait per one-way message;
 * inside mxc_empty_polls() it is one mx_test that finds nothing, the price
 * of one turn of a spin.
 *
 *   mx_cost [-n ROUNDS] [-s SIZE] [-e BASE_EP]
 * Prints "rounds N pair_sends S": S counts the sends that went through the
 * channel (2N + warm-up when the channel carried everything).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "myriexpress.h"

#define KEY 0xc057u
#define MATCH 0xc0u
#define WARM 64u

struct side {
	mx_endpoint_t ep;
	mx_endpoint_addr_t peer;
	mx_segment_t s;
};

static int wait_one(mx_endpoint_t ep, mx_request_t *r)
{
	mx_status_t st;
	uint32_t res = 0;

	return mx_wait(ep, r, 10000, &st, &res) == MX_SUCCESS && res &&
	       st.code == MX_STATUS_SUCCESS ? 0 : -1;
}

/* One message from -> to, received by a receive posted first. */
static int one_way(struct side *from, struct side *to)
{
	mx_request_t rr, sr;

	if (mx_irecv(to->ep, &to->s, 1, MATCH, MX_MATCH_MASK_NONE, NULL, &rr) != MX_SUCCESS ||
	    mx_isend(from->ep, &from->s, 1, from->peer, MATCH, NULL, &sr) != MX_SUCCESS)
		return -1;
	return wait_one(from->ep, &sr) || wait_one(to->ep, &rr) ? -1 : 0;
}

/* noinline: callgrind --toggle-collect names these. */
static __attribute__((noinline)) int mxc_rounds(struct side *a, struct side *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (one_way(a, b) || one_way(b, a))
			return -1;
	return 0;
}

static __attribute__((noinline)) int mxc_empty_polls(struct side *a, uint32_t n)
{
	mx_request_t r;
	mx_status_t st;
	uint32_t res = 0, i;

	if (mx_irecv(a->ep, &a->s, 1, MATCH + 1, MX_MATCH_MASK_NONE, NULL, &r) != MX_SUCCESS)
		return -1;
	for (i = 0; i < n; i++)
		if (mx_test(a->ep, &r, &st, &res) != MX_SUCCESS || res)
			return -1;
	return mx_cancel(a->ep, &r, &res) == MX_SUCCESS && res ? 0 : -1;
}

static int open_side(struct side *s, uint32_t eid, void *buf, uint32_t size)
{
	s->s.segment_ptr = buf;
	s->s.segment_length = size;
	return mx_open_endpoint(MX_ANY_NIC, eid, KEY, NULL, 0, &s->ep) == MX_SUCCESS ? 0 : -1;
}

static uint32_t pair_sends(mx_endpoint_t ep)
{
	uint32_t n = 0, i, *v;
	char *labels;
	int found = -1;

	if (mx_get_info(ep, MX_COUNTERS_COUNT, NULL, 0, &n, sizeof(n)) != MX_SUCCESS || !n)
		return 0;
	labels = calloc(n, MX_MAX_STR_LEN);
	v = calloc(n, sizeof(*v));
	if (labels && v &&
	    mx_get_info(ep, MX_COUNTERS_LABELS, NULL, 0, labels, n * MX_MAX_STR_LEN) == MX_SUCCESS &&
	    mx_get_info(ep, MX_COUNTERS_VALUES, NULL, 0, v, n * sizeof(*v)) == MX_SUCCESS)
		for (i = 0; i < n; i++)
			if (!strcmp(labels + i * MX_MAX_STR_LEN, "Pair channel sends"))
				found = (int)i;
	n = found >= 0 ? v[found] : 0;
	free(labels);
	free(v);
	return n;
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
	uint32_t n = 10000, size = 8, base = 60, sends;
	struct side a, b;
	char *ba, *bb;
	uint64_t nic;
	int c, bad = 0;

	while ((c = getopt(argc, argv, "n:s:e:")) != -1) {
		switch (c) {
		case 'n': bad |= parse_u32(optarg, &n); break;
		case 's': bad |= parse_u32(optarg, &size); break;
		case 'e': bad |= parse_u32(optarg, &base); break;
		default: bad = 1;
		}
	}
	if (bad || optind != argc || base > 252 || size > (1u << 20)) {
		fprintf(stderr, "usage: mx_cost [-n ROUNDS] [-s SIZE] [-e BASE_EP]\n");
		return 2;
	}
	ba = calloc(1, size + 1);
	bb = calloc(1, size + 1);
	if (!ba || !bb || mx_init() != MX_SUCCESS)
		return 1;
	mx_set_error_handler(MX_ERRORS_RETURN);
	if (open_side(&a, base, ba, size) || open_side(&b, base + 1, bb, size) ||
	    mx_board_number_to_nic_id(0, &nic) != MX_SUCCESS ||
	    mx_connect(a.ep, nic, base + 1, KEY, 10000, &a.peer) != MX_SUCCESS ||
	    mx_connect(b.ep, nic, base, KEY, 10000, &b.peer) != MX_SUCCESS) {
		fprintf(stderr, "mx_cost: cannot open or connect endpoints %u, %u\n", base, base + 1);
		return 1;
	}
	/* The channel opens right after the connects: warm up through it. */
	if (mxc_rounds(&a, &b, WARM) || mxc_rounds(&a, &b, n) || mxc_empty_polls(&a, n)) {
		fprintf(stderr, "mx_cost: a round trip failed\n");
		return 1;
	}
	sends = pair_sends(a.ep) + pair_sends(b.ep);
	printf("rounds %u pair_sends %u\n", n, sends);
	mx_close_endpoint(a.ep);
	mx_close_endpoint(b.ep);
	mx_finalize();
	return 0;
}
