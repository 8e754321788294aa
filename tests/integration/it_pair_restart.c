/* SPDX-License-Identifier: MIT */
/*
 * A daemon crash and restart while two local endpoints talk through their
 * pair channel (issue 13).  The channel is memory both libraries hold, so it
 * outlives the daemon: a message written into it before the crash is
 * received after it, receives pending across the restart complete with
 * success, later sends still go through the same channel (the new daemon
 * brokers the pair again and both sides keep the old channel under the new
 * id), and a rendezvous goes through the new daemon.  Nothing is aborted.
 */
#include "itest.h"
#include "it_restart.h"
#include "mxl.h"

enum { E1 = 50, E2 = 51 };

static uint64_t lcounter(mx_endpoint_t ep, enum mxl_counter c)
{
	return ep->counters[c];
}

static void send_recv(mx_endpoint_t from, mx_endpoint_addr_t to, mx_endpoint_t at,
		      uint64_t match, uint32_t len)
{
	uint8_t *sb = malloc(len), *rb = malloc(len);
	mx_segment_t ss = { sb, len }, rs = { rb, len };
	mx_request_t s, r;
	mx_status_t st;

	it_fill(sb, len, match);
	IT_OK(mx_irecv(at, &rs, 1, match, MX_MATCH_MASK_NONE, NULL, &r));
	IT_OK(mx_isend(from, &ss, 1, to, match, NULL, &s));
	/* the receiver first: one thread, and a rendezvous needs its pull */
	IT_CHECK(it_wait(at, &r, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_EQ(st.xfer_length, len);
	IT_CHECK(it_verify(rb, len, match) < 0);
	IT_CHECK(it_wait(from, &s, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	free(sb);
	free(rb);
}

int main(void)
{
	char in_flight[16] = "in flight", got[16], b1[16], b2[16];
	mx_segment_t seg_in = { in_flight, 9 }, seg_got = { got, sizeof(got) };
	mx_segment_t s1 = { b1, sizeof(b1) }, s2 = { b2, sizeof(b2) };
	mx_endpoint_addr_t a1, a2;
	mx_endpoint_t e1, e2;
	mx_request_t r1, r2, s, r;
	mx_status_t st;
	struct it_daemon d;
	int rc = it_daemon_find(&d);

	if (rc)
		return rc;
	it_init();
	e1 = it_open(E1);
	e2 = it_open(E2);
	a2 = it_connect(e1, E2);
	a1 = it_connect(e2, E1);
	send_recv(e1, a2, e2, 1, 7);
	IT_EQ(lcounter(e1, MXL_CNT_PAIR_SEND), 1);
	/* pending across the restart: two receives, and a message in the channel */
	IT_OK(mx_irecv(e1, &s1, 1, 8, MX_MATCH_MASK_NONE, NULL, &r1));
	IT_OK(mx_irecv(e2, &s2, 1, 9, MX_MATCH_MASK_NONE, NULL, &r2));
	IT_OK(mx_isend(e1, &seg_in, 1, a2, 11, NULL, &s));
	IT_CHECK(it_wait(e1, &s, &st) == 0 && st.code == MX_STATUS_SUCCESS);

	it_daemon_stop(&d, SIGKILL);
	it_daemon_start(&d);
	/* One thread drives both endpoints: have both re-attached before a
	 * rendezvous makes one wait for the other. */
	for (int i = 0; i < 20000 && (lcounter(e1, MXL_CNT_REATTACH) < 1 ||
				      lcounter(e2, MXL_CNT_REATTACH) < 1); i++) {
		mx_progress(e1);
		mx_progress(e2);
		usleep(1000);
	}

	IT_OK(mx_irecv(e2, &seg_got, 1, 11, MX_MATCH_MASK_NONE, NULL, &r));
	IT_CHECK(it_wait(e2, &r, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_CHECK(st.xfer_length == 9 && !memcmp(got, "in flight", 9));
	IT_OK(mx_isend(e1, &(mx_segment_t){ "to e2", 5 }, 1, a2, 9, NULL, &s));
	IT_CHECK(it_wait(e1, &s, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_CHECK(it_wait(e2, &r2, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_CHECK(st.xfer_length == 5 && !memcmp(b2, "to e2", 5));
	IT_OK(mx_isend(e2, &(mx_segment_t){ "to e1", 5 }, 1, a1, 8, NULL, &s));
	IT_CHECK(it_wait(e2, &s, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_CHECK(it_wait(e1, &r1, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_CHECK(st.xfer_length == 5 && !memcmp(b1, "to e1", 5));
	send_recv(e1, a2, e2, 12, 300000); /* rendezvous: in the channel (pair_rndv.c) */
	/* The new daemon brokers the pair again when it learns both sides (an
	 * event each library takes in its own time); since large messages go
	 * in the channel too (pair_rndv.c), nothing above has to wait for it. */
	for (int i = 0; i < 20000 && (lcounter(e1, MXL_CNT_PAIR_KEPT) < 1 ||
				      lcounter(e2, MXL_CNT_PAIR_KEPT) < 1); i++) {
		mx_progress(e1);
		mx_progress(e2);
		usleep(1000);
	}
	/* the same channel both ways: every small send went into it */
	IT_EQ(lcounter(e1, MXL_CNT_PAIR_SEND), 3);
	IT_EQ(lcounter(e2, MXL_CNT_PAIR_SEND), 1);
	for (int i = 0; i < 2; i++) {
		mx_endpoint_t e = i ? e2 : e1;

		IT_EQ(lcounter(e, MXL_CNT_REATTACH), 1);
		IT_EQ(lcounter(e, MXL_CNT_PAIR_KEPT), 1);
		IT_EQ(lcounter(e, MXL_CNT_PAIR_FAULT), 0);
	}
	IT_OK(mx_close_endpoint(e1));
	IT_OK(mx_close_endpoint(e2));
	mx_finalize();
	it_daemon_stop(&d, SIGTERM);
	return it_done("pair_restart");
}
