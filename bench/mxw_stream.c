/* SPDX-License-Identifier: MIT */
/*
 * MX streaming bandwidth: the sender keeps WINDOW sends of SIZE bytes in
 * flight for COUNT messages, the receiver keeps as many receives posted.
 *   mxw_stream -e EP                     receive side (serves until told to stop)
 *   mxw_stream -d HOST:EP -s SIZE [-n COUNT] [-w WINDOW]   prints "SIZE MB/s"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "myriexpress.h"

#define M_DATA 0x5354000000000000ull
#define M_ACK 0x41434b0000000000ull
#define M_STOP 0x53544f5000000000ull
#define WMAX 64

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int wait_ok(mx_endpoint_t ep, mx_request_t *r, mx_status_t *st)
{
	uint32_t res = 0;

	return mx_wait(ep, r, MX_INFINITE, st, &res) == MX_SUCCESS && res &&
	       st->code == MX_STATUS_SUCCESS ? 0 : -1;
}

/* Receive side: each round is announced by a tiny header (size, count). */
static int serve(mx_endpoint_t ep)
{
	static mx_request_t r[WMAX];
	uint32_t hdr[3];
	char *buf = malloc(4u << 20);
	mx_segment_t hs = { hdr, sizeof(hdr) };
	mx_request_t hr;
	mx_status_t st;

	for (;;) {
		if (mx_irecv(ep, &hs, 1, 0, 0, NULL, &hr) != MX_SUCCESS || wait_ok(ep, &hr, &st))
			return 1;
		if (st.match_info == M_STOP)
			return 0;
		uint32_t size = hdr[0], count = hdr[1], win = hdr[2], posted = 0, done = 0;
		mx_endpoint_addr_t src = st.source;
		mx_segment_t s = { buf, size };

		while (done < count) {
			while (posted < count && posted - done < win) {
				if (mx_irecv(ep, &s, 1, M_DATA, MX_MATCH_MASK_NONE, NULL,
					     &r[posted % WMAX]) != MX_SUCCESS)
					return 1;
				posted++;
			}
			if (wait_ok(ep, &r[done % WMAX], &st))
				return 1;
			done++;
		}
		mx_segment_t none = { NULL, 0 };

		if (mx_isend(ep, &none, 1, src, M_ACK, NULL, &hr) != MX_SUCCESS || wait_ok(ep, &hr, &st))
			return 1;
	}
}

int main(int argc, char **argv)
{
	uint32_t eid = 1, size = 65536, count = 0, win = 16;
	const char *dest = NULL;
	static mx_request_t r[WMAX];
	mx_endpoint_t ep;
	mx_endpoint_addr_t peer;
	int c;

	while ((c = getopt(argc, argv, "e:d:s:n:w:")) != -1) {
		switch (c) {
		case 'e': eid = (uint32_t)atoi(optarg); break;
		case 'd': dest = optarg; break;
		case 's': size = (uint32_t)atoi(optarg); break;
		case 'n': count = (uint32_t)atoi(optarg); break;
		case 'w': win = (uint32_t)atoi(optarg); break;
		default: return 2;
		}
	}
	if (win < 1 || win > WMAX || size > (4u << 20))
		return 2;
	if (mx_init() != MX_SUCCESS || mx_open_endpoint(MX_ANY_NIC, dest ? MX_ANY_ENDPOINT : eid,
							0x5157, NULL, 0, &ep) != MX_SUCCESS)
		return 1;
	if (!dest)
		return serve(ep);

	char host[128], *colon = strrchr(dest, ':');
	uint64_t nic;

	if (!colon || (size_t)(colon - dest) >= sizeof(host))
		return 2;
	memcpy(host, dest, (size_t)(colon - dest));
	host[colon - dest] = 0;
	for (int t = 0;; t++) {
		if (mx_hostname_to_nic_id(host, &nic) == MX_SUCCESS &&
		    mx_connect(ep, nic, (uint32_t)atoi(colon + 1), 0x5157, 1000, &peer) == MX_SUCCESS)
			break;
		if (t > 100)
			return 1;
		usleep(50000);
	}
	if (!count)
		count = size >= (1u << 20) ? 64 : size >= 65536 ? 512 : 4000;
	char *buf = calloc(1, size + 1);
	uint32_t hdr[3] = { size, count, win };
	mx_segment_t hs = { hdr, sizeof(hdr) }, s = { buf, size }, none = { NULL, 0 };
	mx_request_t hr, ar;
	mx_status_t st;

	if (mx_irecv(ep, &none, 1, M_ACK, MX_MATCH_MASK_NONE, NULL, &ar) != MX_SUCCESS ||
	    mx_isend(ep, &hs, 1, peer, 1, NULL, &hr) != MX_SUCCESS || wait_ok(ep, &hr, &st))
		return 1;
	double t0 = now_s();
	uint32_t sent = 0, done = 0;

	while (done < count) {
		while (sent < count && sent - done < win) {
			if (mx_isend(ep, &s, 1, peer, M_DATA, NULL, &r[sent % WMAX]) != MX_SUCCESS)
				return 1;
			sent++;
		}
		if (wait_ok(ep, &r[done % WMAX], &st))
			return 1;
		done++;
	}
	if (wait_ok(ep, &ar, &st))
		return 1;
	double dt = now_s() - t0;

	printf("%u %.3f\n", size, (double)size * count / dt / 1e6);
	if (getenv("MXW_STREAM_STOP")) {
		if (mx_isend(ep, &hs, 1, peer, M_STOP, NULL, &hr) != MX_SUCCESS || wait_ok(ep, &hr, &st))
			return 1;
	}
	mx_close_endpoint(ep);
	mx_finalize();
	return 0;
}
