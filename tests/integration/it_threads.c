/* SPDX-License-Identifier: MIT */
/*
 * Many threads on one endpoint (MX_THREAD_SAFE): each worker exchanges
 * messages with its own partner thread on a second endpoint, through
 * blocking waits (mx_wait with MX_INFINITE or a timeout, mx_wait_any on its
 * own match bits) and polling (mx_test, mx_test_any), all mixed, for
 * thousands of rounds.  Whichever thread makes progress completes the
 * others' requests: every blocked call must return as soon as its request
 * completes.  A lost wake-up under MX_INFINITE never returns: a watchdog
 * fails the test when a thread makes no progress for 60 s, which is a hang
 * and no slow round (a starved 2-CPU host under ASan had rounds of
 * 1.1-2.4 s, none lost; 1 s failed there once, 10 s was a guess too), and
 * leaves ctest's 180 s to say so with the thread's number.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include "itest.h"

#if !MX_THREAD_SAFE
#error "myriexpress.h must announce a thread-safe library"
#endif

#define E_A 20
#define E_B 21
#define NPAIRS 4
#define STALL_NS 60000000000ull

static mx_endpoint_t ea, eb;
static mx_endpoint_addr_t addr_a, addr_b;
static uint32_t rounds = 3000;
static _Atomic uint64_t last_progress[2 * NPAIRS];
static _Atomic int stop;
static _Atomic uint32_t errors;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void fail(const char *what, int id, uint32_t round, int code)
{
	fprintf(stderr, "thread %d round %u: %s (%d)\n", id, round, what, code);
	atomic_fetch_add(&errors, 1);
	atomic_store(&stop, 1);
}

/* Complete *req with the thread's style for this round. */
static int finish(mx_endpoint_t ep, mx_request_t *req, uint64_t match, int style,
		  mx_status_t *st)
{
	uint32_t res = 0;

	switch (style) {
	case 0:
		return mx_wait(ep, req, MX_INFINITE, st, &res) == MX_SUCCESS && res;
	case 1:
		while (!atomic_load(&stop)) {
			if (mx_test(ep, req, st, &res) != MX_SUCCESS)
				return 0;
			if (res)
				return 1;
		}
		return 0;
	case 2:
		/* Only this thread's traffic carries these match bits. */
		if (mx_wait_any(ep, MX_INFINITE, match, MX_MATCH_MASK_NONE, st, &res) != MX_SUCCESS)
			return 0;
		*req = NULL;
		return res;
	case 3:
		while (!atomic_load(&stop)) {
			if (mx_test_any(ep, match, MX_MATCH_MASK_NONE, st, &res) != MX_SUCCESS)
				return 0;
			if (res) {
				*req = NULL;
				return 1;
			}
			sched_yield();
		}
		return 0;
	default:
		for (;;) {
			if (mx_wait(ep, req, 50, st, &res) != MX_SUCCESS)
				return 0;
			if (res || atomic_load(&stop))
				return res;
		}
	}
}

struct worker {
	int id;          /* 0..2*NPAIRS-1; even on A, odd on B */
	int pair;
	pthread_t th;
};

/* Match info: bit 40 = direction (1: to B), pair in bits 32..39, round low.
 * The send of a round completes with the same match info as the receive
 * of the other side, so the *_any styles use distinct receive/send bits. */
static uint64_t match_of(int pair, int to_b, uint32_t round)
{
	return ((uint64_t)to_b << 40) | ((uint64_t)pair << 32) | round;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	bool on_a = (w->id & 1) == 0;
	mx_endpoint_t ep = on_a ? ea : eb;
	mx_endpoint_addr_t peer = on_a ? addr_b : addr_a;
	uint32_t i, len, rbuf[64], sbuf[64];

	for (i = 0; i < rounds && !atomic_load(&stop); i++) {
		uint64_t rm = match_of(w->pair, on_a ? 0 : 1, i);
		uint64_t sm = match_of(w->pair, on_a ? 1 : 0, i);
		mx_segment_t rs = { rbuf, sizeof(rbuf) }, ss = { sbuf, 0 };
		mx_request_t rr, sr;
		mx_status_t st;
		int style = (int)((i + (uint32_t)w->id) % 5);

		len = 4u * (2 + (i * 7 + (uint32_t)w->pair) % 62); /* tiny and small */
		ss.segment_length = len;
		sbuf[0] = (uint32_t)sm;
		sbuf[len / 4 - 1] = ~(uint32_t)sm;
		if (mx_irecv(ep, &rs, 1, rm, MX_MATCH_MASK_NONE, NULL, &rr) != MX_SUCCESS ||
		    mx_isend(ep, &ss, 1, peer, sm, NULL, &sr) != MX_SUCCESS) {
			fail("post", w->id, i, 0);
			break;
		}
		/* The receive first (it needs the partner's send), with this
		 * round's style; the send with a blocking wait. */
		if (!finish(ep, &rr, rm, style, &st) || st.code != MX_STATUS_SUCCESS ||
		    st.match_info != rm) {
			fail("receive", w->id, i, st.code);
			break;
		}
		if (rbuf[0] != (uint32_t)rm || rbuf[st.xfer_length / 4 - 1] != ~(uint32_t)rm) {
			fail("payload", w->id, i, (int)st.xfer_length);
			break;
		}
		if (style == 2 || style == 3) {
			/* test_any/wait_any: the send completes with sm, which only
			 * this thread uses. */
			if (!finish(ep, &sr, sm, style, &st) || st.code != MX_STATUS_SUCCESS) {
				fail("send (any)", w->id, i, st.code);
				break;
			}
		} else if (!finish(ep, &sr, sm, 0, &st) || st.code != MX_STATUS_SUCCESS) {
			fail("send", w->id, i, st.code);
			break;
		}
		atomic_store(&last_progress[w->id], now_ns());
	}
	atomic_store(&last_progress[w->id], UINT64_MAX); /* done */
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker w[2 * NPAIRS];
	uint64_t start, worst = 0;
	int i, done;

	if (argc > 1)
		rounds = (uint32_t)strtoul(argv[1], NULL, 10);
	it_init();
	ea = it_open(E_A);
	eb = it_open(E_B);
	addr_b = it_connect(ea, E_B);
	addr_a = it_connect(eb, E_A);
	start = now_ns();
	for (i = 0; i < 2 * NPAIRS; i++) {
		w[i].id = i;
		w[i].pair = i / 2;
		atomic_store(&last_progress[i], start);
		if (pthread_create(&w[i].th, NULL, work, &w[i]))
			exit(1);
	}
	/* Watchdog: no progress for STALL_NS is a lost wake-up (a hang). */
	for (done = 0; !done;) {
		uint64_t t;

		usleep(20000);
		t = now_ns();
		done = 1;
		for (i = 0; i < 2 * NPAIRS; i++) {
			uint64_t lp = atomic_load(&last_progress[i]);

			if (lp == UINT64_MAX)
				continue;
			done = 0;
			if (t > lp && t - lp > worst)
				worst = t - lp;
			if (t > lp && t - lp > STALL_NS && !atomic_load(&stop)) {
				fprintf(stderr, "thread %d stalled for %.2f s\n", i, (double)(t - lp) / 1e9);
				atomic_fetch_add(&errors, 1);
				atomic_store(&stop, 1);
			}
		}
		if (atomic_load(&stop)) {
			/* Blocked threads need a wakeup to notice. */
			mx_wakeup(ea);
			mx_wakeup(eb);
		}
	}
	for (i = 0; i < 2 * NPAIRS; i++)
		pthread_join(w[i].th, NULL);
	printf("%d threads x %u rounds in %.2f s, longest round gap %.1f ms\n", 2 * NPAIRS, rounds,
	       (double)(now_ns() - start) / 1e9, (double)worst / 1e6);
	IT_EQ(atomic_load(&errors), 0);
	mx_close_endpoint(ea);
	mx_close_endpoint(eb);
	mx_finalize();
	return it_done("threads");
}
