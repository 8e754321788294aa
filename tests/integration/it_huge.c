/* SPDX-License-Identifier: MIT */
/*
 * Messages beyond 16 MiB (MX lengths are 32-bit), run with the daemon's
 * registered memory cut to 4 MiB: a rendezvous holds one window at a time,
 * never the whole message, so 40 MiB messages pass a 4 MiB budget, several
 * in flight at once (the later ones wait in the library).  Checks every
 * byte, statuses, lengths, truncation and a synchronous send.  With
 * MYRIXEN_WINDOWED=1 the library describes them a window at a time, as a
 * Xen guest does (abi.h "Windowed regions"), both sides.
 */
#include "itest.h"

#define EA 50
#define EB 51
#define MIB (1024u * 1024u)
#define BIG (40u * MIB + 12345u)
#define NMSG 3u

int main(void)
{
	mx_endpoint_t a, b;
	mx_endpoint_addr_t ab;
	mx_request_t s[NMSG], r[NMSG];
	mx_status_t st;
	uint8_t *sb[NMSG], *rb[NMSG];
	uint32_t i, rlen[NMSG] = { BIG + 1, 17 * MIB, BIG };

	it_init();
	a = it_open(EA);
	b = it_open(EB);
	ab = it_connect(a, EB);
	for (i = 0; i < NMSG; i++) {
		sb[i] = malloc(BIG);
		rb[i] = calloc(1, rlen[i]);
		if (!sb[i] || !rb[i])
			return 77;
		it_fill(sb[i], BIG, 0x500 + i);
	}
	/* Three segments of odd sizes, all sends posted before any receive;
	 * the last one synchronous. */
	for (i = 0; i < NMSG; i++) {
		mx_segment_t seg[3] = {
			{ sb[i], 7 * MIB + 1 }, { sb[i] + 7 * MIB + 1, 20 * MIB },
			{ sb[i] + 27 * MIB + 1, BIG - 27 * MIB - 1 },
		};

		if (i == NMSG - 1)
			IT_OK(mx_issend(a, seg, 3, ab, 0x500 + i, NULL, &s[i]));
		else
			IT_OK(mx_isend(a, seg, 3, ab, 0x500 + i, NULL, &s[i]));
	}
	for (i = 0; i < NMSG; i++) {
		mx_segment_t seg = { rb[i], rlen[i] };

		IT_OK(mx_irecv(b, &seg, 1, 0x500 + i, MX_MATCH_MASK_NONE, NULL, &r[i]));
	}
	for (i = 0; i < NMSG; i++) {
		uint32_t want = rlen[i] < BIG ? rlen[i] : BIG;

		if (it_wait(b, &r[i], &st))
			continue;
		IT_EQ(st.code, rlen[i] < BIG ? MX_STATUS_TRUNCATED : MX_STATUS_SUCCESS);
		IT_EQ(st.msg_length, BIG);
		IT_EQ(st.xfer_length, want);
		IT_EQ(it_verify(rb[i], want, 0x500 + i), -1);
	}
	for (i = 0; i < NMSG; i++) {
		if (it_wait(a, &s[i], &st))
			continue;
		IT_EQ(st.code, MX_STATUS_SUCCESS);
		IT_EQ(st.msg_length, BIG);
		IT_EQ(st.xfer_length, rlen[i] < BIG ? rlen[i] : BIG);
	}
	/* Windowed (MYRIXEN_WINDOWED=1, as on Xen): 40 MiB is 3 windows,
	 * 17 MiB 2, so 2 + 1 + 2 more windows each side; otherwise none. */
	if (getenv("MYRIXEN_WINDOWED")) {
		IT_EQ(it_counter(a, "Rendezvous windows handed over"), 5);
		IT_EQ(it_counter(b, "Rendezvous windows handed over"), 5);
	} else {
		IT_EQ(it_counter(a, "Rendezvous windows handed over"), 0);
	}
	for (i = 0; i < NMSG; i++) {
		free(sb[i]);
		free(rb[i]);
	}
	mx_close_endpoint(a);
	mx_close_endpoint(b);
	mx_finalize();
	return it_done("huge");
}
