/* SPDX-License-Identifier: MIT */
/*
 * Segment vectors: a message gathered from up to MX_MAX_SEGMENTS segments
 * (empty ones included) is scattered into a differently shaped receive, in
 * every size class, between two processes; truncation with vectors; the
 * segment-count limit.
 */
#include <sys/wait.h>
#include "itest.h"

#define EP_S 20
#define EP_R 21

/* Cut 'total' bytes of buf into n segments of pseudo-random sizes (some 0). */
static void carve(mx_segment_t *segs, uint32_t n, char *buf, uint32_t total, uint32_t seed)
{
	uint32_t i, left = total, off = 0;

	for (i = 0; i < n; i++) {
		uint32_t len = 0;

		if (i == n - 1)
			len = left;
		else if (left && (seed = seed * 1103515245u + 12345u) % 5)
			len = (seed >> 8) % (2 * total / n + 1);
		if (len > left)
			len = left;
		segs[i].segment_ptr = buf + off;
		segs[i].segment_length = len;
		off += len;
		left -= len;
	}
}

static uint32_t totals[] = { 0, 1, 32, 33, 128, 129, 4000, 32767, 32768, 32769, 300000, 4u << 20 };
#define NT (sizeof(totals) / sizeof(totals[0]))

static int sender(int rd, int wr)
{
	static mx_segment_t segs[MX_MAX_SEGMENTS];
	struct it_pipe p = { rd, wr };
	mx_endpoint_t ep;
	mx_endpoint_addr_t peer;
	mx_request_t req;
	mx_status_t st;
	char *buf = malloc(4u << 20);
	uint32_t i, n;

	it_init();
	ep = it_open(EP_S);
	peer = it_connect(ep, EP_R);
	IT_EQ(mx_isend(ep, segs, MX_MAX_SEGMENTS + 1, peer, 1, NULL, &req), MX_BAD_SEG_CNT);
	for (i = 0; i < NT; i++) {
		for (n = 1; n <= MX_MAX_SEGMENTS; n = n == 1 ? 7 : n == 7 ? MX_MAX_SEGMENTS : n + 1) {
			uint64_t match = ((uint64_t)i << 16) | n;

			it_fill(buf, totals[i], match);
			carve(segs, n, buf, totals[i], (uint32_t)match);
			it_await(&p); /* receiver posted */
			IT_OK(mx_isend(ep, segs, n, peer, match, NULL, &req));
			if (!it_wait(ep, &req, &st)) {
				IT_EQ(st.msg_length, totals[i]);
				IT_EQ(st.code, MX_STATUS_SUCCESS);
			}
		}
	}
	/* truncation: 256 segments into a 3-segment receive half the size */
	it_fill(buf, 100000, 0xdead);
	carve(segs, MX_MAX_SEGMENTS, buf, 100000, 3);
	it_await(&p);
	IT_OK(mx_isend(ep, segs, MX_MAX_SEGMENTS, peer, 0xdead, NULL, &req));
	it_wait(ep, &req, &st);
	it_await(&p);
	IT_OK(mx_close_endpoint(ep));
	mx_finalize();
	free(buf);
	return it_done("vectors/send");
}

static int receiver(int rd, int wr)
{
	static mx_segment_t segs[MX_MAX_SEGMENTS];
	struct it_pipe p = { rd, wr };
	mx_endpoint_t ep;
	mx_request_t req;
	mx_status_t st;
	char *buf = malloc((4u << 20) + 64);
	uint32_t i, n, rn;

	it_init();
	ep = it_open(EP_R);
	for (i = 0; i < NT; i++) {
		for (n = 1; n <= MX_MAX_SEGMENTS; n = n == 1 ? 7 : n == 7 ? MX_MAX_SEGMENTS : n + 1) {
			uint64_t match = ((uint64_t)i << 16) | n;

			rn = n == MX_MAX_SEGMENTS ? 13 : MX_MAX_SEGMENTS; /* a different shape */
			memset(buf, 0xee, totals[i] + 64);
			carve(segs, rn, buf, totals[i], (uint32_t)match ^ 0x5555);
			IT_OK(mx_irecv(ep, segs, rn, match, MX_MATCH_MASK_NONE, NULL, &req));
			it_signal(&p);
			if (it_wait(ep, &req, &st))
				continue;
			IT_EQ(st.code, MX_STATUS_SUCCESS);
			IT_EQ(st.xfer_length, totals[i]);
			IT_EQ(st.match_info, match);
			if (it_verify(buf, totals[i], match) >= 0) {
				fprintf(stderr, "total %u, %u->%u segments: bad bytes at %ld\n", totals[i],
					n, rn, it_verify(buf, totals[i], match));
				it_failures++;
			}
			IT_EQ((uint8_t)buf[totals[i]], 0xee);
		}
	}
	memset(buf, 0xee, 100000);
	carve(segs, 3, buf, 50000, 9);
	IT_OK(mx_irecv(ep, segs, 3, 0xdead, MX_MATCH_MASK_NONE, NULL, &req));
	it_signal(&p);
	if (!it_wait(ep, &req, &st)) {
		IT_EQ(st.code, MX_STATUS_TRUNCATED);
		IT_EQ(st.msg_length, 100000);
		IT_EQ(st.xfer_length, 50000);
		IT_CHECK(it_verify(buf, 50000, 0xdead) < 0);
		IT_EQ((uint8_t)buf[50000], 0xee);
	}
	it_signal(&p);
	IT_OK(mx_close_endpoint(ep));
	mx_finalize();
	free(buf);
	return it_done("vectors/recv");
}

int main(void)
{
	int a[2], b[2], status;
	pid_t pid;

	if (pipe(a) || pipe(b))
		return 1;
	pid = fork();
	if (pid == 0)
		_exit(receiver(b[0], a[1]));
	if (sender(a[0], b[1]))
		it_failures++;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	return it_failures ? 1 : 0;
}
