/* SPDX-License-Identifier: MIT */
/*
 * MX order between two endpoints holds when the daemon finds no rendezvous
 * room for a send the library believed would fit.  That happens whenever
 * the library's count is not the daemon's: processes of one Xen guest
 * share its registered memory without seeing each other, endpoints of one
 * process race for their shared count.  Here it is made certain: the
 * daemon allows 1 MiB of registered memory (run with registered_memory =
 * 1048576), and the sending endpoint's library is told no limit (the area
 * header's limits cleared, through library internals), so it issues
 * everything at once:
 *   1: 768 KiB (fits), 2: 768 KiB (no room until 1 is pulled),
 *   3: 100 B, 4: 8 B, 5: 100 KiB (fits beside 1), 6: 768 KiB, 7: 3 B
 * The receiver posts wildcard receives in order: receive i must get
 * message i, whole and intact, and every send must succeed.  Before the
 * fix the daemon refused 2 and the library queued it again, so 3 arrived
 * second.  Run with and without pair channels (3, 4, 7 then take the
 * channel or the daemon path).
 */
#include "mxl.h"
#include "itest.h"

#define EA 52
#define EB 53
#define NMSG 7u
#define BIG (768u * 1024u)
#define WAIT_MS 8000u

static const uint32_t len_of[NMSG] = { BIG, BIG, 100, 8, 100u * 1024u, BIG, 3 };

static int wait_one(mx_endpoint_t ep, mx_request_t *req, mx_status_t *st)
{
	uint32_t result = 0;

	if (mx_wait(ep, req, WAIT_MS, st, &result) != MX_SUCCESS || !result) {
		fprintf(stderr, "wait timed out\n");
		it_failures++;
		return -1;
	}
	return 0;
}

int main(void)
{
	mx_endpoint_t a, b;
	mx_endpoint_addr_t to_b;
	uint8_t *sbuf[NMSG], *rbuf[NMSG];
	mx_request_t sreq[NMSG], rreq[NMSG];
	mx_status_t st;
	uint32_t i;

	it_init();
	a = it_open(EA);
	b = it_open(EB);
	to_b = it_connect(a, EB);
	(void)it_connect(b, EA);
	/* The sender's library sees no limit (like one process of a Xen
	 * guest whose siblings hold the guest's room). */
	mxl_lock(a);
	IT_EQ(a->registered_max, 1u << 20);
	a->registered_max = 0;
	a->rndv_max = 0;
	mxl_unlock(a);
	for (i = 0; i < NMSG; i++) {
		mx_segment_t seg;

		sbuf[i] = malloc(len_of[i]);
		rbuf[i] = malloc(BIG);
		it_fill(sbuf[i], len_of[i], 0x500 + i);
		seg = (mx_segment_t){ sbuf[i], len_of[i] };
		IT_OK(mx_isend(a, &seg, 1, to_b, i + 1, NULL, &sreq[i]));
	}
	for (i = 0; i < NMSG; i++) {
		mx_segment_t seg = { rbuf[i], BIG };

		IT_OK(mx_irecv(b, &seg, 1, 0, 0, NULL, &rreq[i]));
	}
	for (i = 0; i < NMSG; i++) {
		if (wait_one(b, &rreq[i], &st))
			continue;
		IT_EQ(st.code, MX_STATUS_SUCCESS);
		IT_EQ(st.match_info, i + 1); /* MX order between two endpoints */
		IT_EQ(st.xfer_length, len_of[i]);
		if (st.match_info == i + 1)
			IT_EQ(it_verify(rbuf[i], len_of[i], 0x500 + i), -1);
	}
	for (i = 0; i < NMSG; i++)
		if (!wait_one(a, &sreq[i], &st))
			IT_EQ(st.code, MX_STATUS_SUCCESS);
	for (i = 0; i < NMSG; i++) {
		free(sbuf[i]);
		free(rbuf[i]);
	}
	mx_close_endpoint(a);
	mx_close_endpoint(b);
	mx_finalize();
	return it_done("order_refused");
}
