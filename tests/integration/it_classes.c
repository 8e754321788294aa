/* SPDX-License-Identifier: MIT */
/*
 * Two processes exchange every size class across its boundaries (0, 1, 32,
 * 33, 128, 129, medium_max +- 1, 32 KiB +- 1, 4 MiB) in both directions,
 * with the receive posted first (expected), the message first (unexpected,
 * found with mx_probe), and both sides sending at once.  Every message's
 * bytes, match info, lengths, status code and source address are checked.
 */
#include <sys/wait.h>
#include "itest.h"

#define EP_A 2
#define EP_B 3
#define MAXN 16

static uint32_t sizes[MAXN];
static uint32_t nsizes;

static void add_size(uint32_t s)
{
	uint32_t i;

	for (i = 0; i < nsizes; i++)
		if (sizes[i] == s)
			return;
	sizes[nsizes++] = s;
}

static void make_sizes(uint32_t mm)
{
	add_size(0); add_size(1); add_size(32); add_size(33); add_size(128); add_size(129);
	add_size(mm - 1); add_size(mm); add_size(mm + 1);
	add_size(32768 - 1); add_size(32768); add_size(32768 + 1);
	add_size(4u << 20);
}

static uint64_t match_of(int phase, int dir, uint32_t i)
{
	return ((uint64_t)phase << 48) | ((uint64_t)dir << 40) | ((uint64_t)i << 32) | 0xc0ffeeu;
}

struct side {
	mx_endpoint_t ep;
	mx_endpoint_addr_t peer;
	uint32_t peer_eid;
	uint64_t nic;
	struct it_pipe pipe;
	int dir;            /* 0 = A->B is "my send" when I am A */
};

static void check_recv(struct side *s, mx_status_t *st, void *buf, uint32_t size, uint64_t match)
{
	uint64_t nic;
	uint32_t eid;
	long bad;

	IT_EQ(st->code, MX_STATUS_SUCCESS);
	IT_EQ(st->match_info, match);
	IT_EQ(st->msg_length, size);
	IT_EQ(st->xfer_length, size);
	IT_OK(mx_decompose_endpoint_addr(st->source, &nic, &eid));
	IT_EQ(nic, s->nic);
	IT_EQ(eid, s->peer_eid);
	bad = it_verify(buf, size, match);
	if (bad >= 0) {
		fprintf(stderr, "[%d] size %u: byte %ld wrong\n", (int)getpid(), size, bad);
		it_failures++;
	}
}

static void send_all(struct side *s, int phase, int dir, void **bufs)
{
	mx_request_t req[MAXN];
	mx_status_t st;
	uint32_t i;

	for (i = 0; i < nsizes; i++) {
		mx_segment_t seg = { bufs[i], sizes[i] };

		it_fill(bufs[i], sizes[i], match_of(phase, dir, i));
		IT_OK(mx_isend(s->ep, &seg, 1, s->peer, match_of(phase, dir, i), &req[i], &req[i]));
	}
	for (i = 0; i < nsizes; i++) {
		if (it_wait(s->ep, &req[i], &st))
			continue;
		IT_EQ(st.code, MX_STATUS_SUCCESS);
		IT_EQ(st.msg_length, sizes[i]);
		IT_EQ(st.xfer_length, sizes[i]);
		IT_EQ(st.match_info, match_of(phase, dir, i));
	}
}

static void post_all(struct side *s, int phase, int dir, void **bufs, mx_request_t *req)
{
	uint32_t i;

	for (i = 0; i < nsizes; i++) {
		mx_segment_t seg = { bufs[i], sizes[i] };

		memset(bufs[i], 0xee, sizes[i]);
		IT_OK(mx_irecv(s->ep, &seg, 1, match_of(phase, dir, i), MX_MATCH_MASK_NONE, NULL, &req[i]));
	}
}

static void wait_all(struct side *s, int phase, int dir, void **bufs, mx_request_t *req)
{
	mx_status_t st;
	uint32_t i;

	for (i = 0; i < nsizes; i++)
		if (!it_wait(s->ep, &req[i], &st))
			check_recv(s, &st, bufs[i], sizes[i], match_of(phase, dir, i));
}

/* Receiver side of the unexpected phase: see each message with mx_probe
 * before any receive exists, then receive it. */
static void probe_then_recv(struct side *s, int phase, int dir, void **bufs)
{
	mx_request_t req;
	mx_status_t st;
	uint32_t i, result;

	for (i = 0; i < nsizes; i++) {
		mx_segment_t seg = { bufs[i], sizes[i] };

		result = 0;
		IT_OK(mx_probe(s->ep, IT_WAIT_MS, match_of(phase, dir, i), MX_MATCH_MASK_NONE, &st, &result));
		IT_EQ(result, 1);
		if (!result)
			continue;
		IT_EQ(st.msg_length, sizes[i]);
		IT_EQ(st.match_info, match_of(phase, dir, i));
		memset(bufs[i], 0xee, sizes[i]);
		IT_OK(mx_irecv(s->ep, &seg, 1, match_of(phase, dir, i), MX_MATCH_MASK_NONE, NULL, &req));
		if (!it_wait(s->ep, &req, &st))
			check_recv(s, &st, bufs[i], sizes[i], match_of(phase, dir, i));
	}
}

static void run(struct side *s, int i_am_a)
{
	void *sbufs[MAXN], *rbufs[MAXN];
	mx_request_t req[MAXN];
	uint32_t i;
	int dir;

	for (i = 0; i < nsizes; i++) {
		sbufs[i] = malloc(sizes[i] + 1);
		rbufs[i] = malloc(sizes[i] + 1);
	}
	for (dir = 0; dir < 2; dir++) {
		int sending = (dir == 0) == i_am_a;

		/* phase 1: expected (receives posted before the sends) */
		if (sending) {
			it_await(&s->pipe);
			send_all(s, 1, dir, sbufs);
		} else {
			post_all(s, 1, dir, rbufs, req);
			it_signal(&s->pipe);
			wait_all(s, 1, dir, rbufs, req);
		}
		/* phase 2: unexpected (messages arrive before any receive) */
		if (sending)
			send_all(s, 2, dir, sbufs);
		else
			probe_then_recv(s, 2, dir, rbufs);
		/* barrier */
		if (sending) {
			it_signal(&s->pipe);
			it_await(&s->pipe);
		} else {
			it_await(&s->pipe);
			it_signal(&s->pipe);
		}
	}
	/* phase 3: both directions at once */
	post_all(s, 3, i_am_a, rbufs, req);
	it_signal(&s->pipe);
	it_await(&s->pipe);
	send_all(s, 3, !i_am_a, sbufs);
	wait_all(s, 3, i_am_a, rbufs, req);
	it_signal(&s->pipe);
	it_await(&s->pipe);
	for (i = 0; i < nsizes; i++) {
		free(sbufs[i]);
		free(rbufs[i]);
	}
}

static int side_main(int i_am_a, int rd, int wr)
{
	struct side s;
	uint32_t mm = 0;

	it_init();
	s.ep = it_open(i_am_a ? EP_A : EP_B);
	s.pipe.rd = rd;
	s.pipe.wr = wr;
	s.peer_eid = i_am_a ? EP_B : EP_A;
	IT_FATAL(mx_board_number_to_nic_id(0, &s.nic));
	IT_FATAL(mx_get_info(s.ep, MX_COPY_SEND_MAX, NULL, 0, &mm, sizeof(mm)));
	make_sizes(mm);
	s.peer = it_connect(s.ep, s.peer_eid);
	run(&s, i_am_a);
	IT_OK(mx_close_endpoint(s.ep));
	mx_finalize();
	return it_done(i_am_a ? "classes/A" : "classes/B");
}

int main(void)
{
	int p2c[2], c2p[2], status;
	pid_t pid;

	if (pipe(p2c) || pipe(c2p))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		_exit(side_main(0, p2c[0], c2p[1]));
	if (side_main(1, c2p[0], p2c[1]))
		it_failures++;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "child failed\n");
		return 1;
	}
	return it_failures ? 1 : 0;
}
