/* SPDX-License-Identifier: MIT */
/*
 * MX-level wire test program, run once per network namespace.
 *
 *   mxw_xfer -e EP -d HOST:EP [-n ROUNDS] [-k KEY] [-m MAXLEN]   symmetric exchange
 *   mxw_xfer -e EP -d HOST:EP -K                       send until the peer dies
 *   mxw_xfer -e EP -d HOST:EP -k WRONGKEY -B           expect a refused connect
 *   mxw_xfer -e EP -d HOST:EP -C                       expect a failed connect
 *   mxw_xfer -e EP -k KEY -n SECONDS -H                hold an endpoint open
 *   mxw_xfer -e EP -d HOST:BOARD:EP -n COUNT -R        reflect COUNT messages
 *   mxw_xfer -e EP -k KEY -n COUNT -A                  ...to their source, never connecting
 *   mxw_xfer -e EP -d HOST:EP -n COUNT -T              stream COUNT mediums
 *   mxw_xfer -e EP -d HOST:EP -n COUNT -S              ...into this slow sink
 *
 * Reflect (the daemon side of omx_conform): receive COUNT messages of any
 * size up to 4 MiB, check each byte against pat(match_info, i), and send
 * each back unchanged (same match_info, same bytes) to the peer.
 *
 * Exchange: both sides send every size class across its boundaries
 * (0, 1, 32, 33, 128, 129, 32 KiB +- 1, 4 MiB, ...) ROUNDS times, all sends
 * and receives in flight at once (-m: only the classes up to MAXLEN bytes).  match_info = class << 32 | round; each
 * class has its own receives (mask on the class bits), so MX order within
 * a class is visible: round r must complete r-th.  Every byte is checked.
 * -l MINLEN: only the classes from MINLEN bytes up.
 * Exit: 0 ok, 1 failure (printed), 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "myriexpress.h"

static const uint32_t sizes[] = { 0, 1, 32, 33, 128, 129, 1452, 1453, 8192, 8193, 32767, 32768,
				  32769, 65536, 131072, 131073, 1u << 20, 4u << 20 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
#define MAXROUNDS 16
#define MATCH_DONE 0xd0d0d0d000000000ull

static uint32_t min_len, max_len = UINT32_MAX;

static uint8_t pat(uint64_t match, uint32_t i)
{
	return (uint8_t)(match * 131 + i * 7 + (i >> 9));
}

static int connect_peer(mx_endpoint_t ep, const char *dest, uint32_t key, mx_endpoint_addr_t *a,
			int tries_max)
{
	char host[128];
	const char *colon = strrchr(dest, ':');
	uint64_t nic = 0;
	mx_return_t r = MX_SUCCESS;

	if (!colon || (size_t)(colon - dest) >= sizeof(host))
		return -2;
	memcpy(host, dest, (size_t)(colon - dest));
	host[colon - dest] = 0;
	for (int t = 0; t < tries_max; t++) {
		r = mx_hostname_to_nic_id(host, &nic);
		if (r == MX_SUCCESS)
			r = mx_connect(ep, nic, (uint32_t)atoi(colon + 1), key, 1000, a);
		if (r == MX_SUCCESS)
			return 0;
		if (r == MX_BAD_CONNECTION_KEY)
			break;
		usleep(100000);
	}
	fprintf(stderr, "mxw_xfer: connect %s: %s\n", dest, mx_strerror(r));
	return r == MX_BAD_CONNECTION_KEY ? -3 : -1;
}

static int exchange(mx_endpoint_t ep, mx_endpoint_addr_t peer, uint32_t rounds)
{
	static mx_request_t sreq[NSIZES][MAXROUNDS], rreq[NSIZES][MAXROUNDS];
	static uint8_t *sbuf[NSIZES][MAXROUNDS], *rbuf[NSIZES][MAXROUNDS];
	mx_status_t st;
	uint32_t result, nsizes = 0, k0 = 0;
	int bad = 0;

	while (nsizes < NSIZES && sizes[nsizes] <= max_len)
		nsizes++;
	while (k0 < nsizes && sizes[k0] < min_len)
		k0++;

	for (uint32_t k = k0; k < nsizes; k++)
		for (uint32_t r = 0; r < rounds; r++) {
			mx_segment_t seg;
			uint64_t m = (uint64_t)k << 32 | r;

			sbuf[k][r] = malloc(sizes[k] + 1);
			rbuf[k][r] = calloc(1, sizes[k] + 1);
			for (uint32_t i = 0; i < sizes[k]; i++)
				sbuf[k][r][i] = pat(m, i);
			seg.segment_ptr = rbuf[k][r];
			seg.segment_length = sizes[k];
			if (mx_irecv(ep, &seg, 1, (uint64_t)k << 32, 0xffffffff00000000ull, NULL,
				     &rreq[k][r]) != MX_SUCCESS)
				return 1;
		}
	/* every send in flight at once, interleaving the classes */
	for (uint32_t r = 0; r < rounds; r++)
		for (uint32_t k = k0; k < nsizes; k++) {
			mx_segment_t seg = { sbuf[k][r], sizes[k] };

			if (mx_isend(ep, &seg, 1, peer, (uint64_t)k << 32 | r, NULL, &sreq[k][r]) !=
			    MX_SUCCESS)
				return 1;
		}
	for (uint32_t r = 0; r < rounds; r++)
		for (uint32_t k = k0; k < nsizes; k++) {
			if (mx_wait(ep, &sreq[k][r], 120000, &st, &result) != MX_SUCCESS || !result ||
			    st.code != MX_STATUS_SUCCESS || st.xfer_length != sizes[k]) {
				fprintf(stderr, "send class %u round %u: %s (xfer %u)\n", k, r,
					result ? mx_strstatus(st.code) : "no completion",
					st.xfer_length);
				bad++;
			}
		}
	for (uint32_t k = k0; k < nsizes; k++)
		for (uint32_t r = 0; r < rounds; r++) {
			uint64_t m = (uint64_t)k << 32 | r;

			if (mx_wait(ep, &rreq[k][r], 120000, &st, &result) != MX_SUCCESS || !result ||
			    st.code != MX_STATUS_SUCCESS) {
				fprintf(stderr, "recv class %u round %u: %s\n", k, r,
					result ? mx_strstatus(st.code) : "no completion");
				bad++;
				continue;
			}
			/* the r-th receive of a class must get round r: MX order */
			if (st.match_info != m || st.xfer_length != sizes[k]) {
				fprintf(stderr, "recv class %u round %u: match %llx len %u\n", k, r,
					(unsigned long long)st.match_info, st.xfer_length);
				bad++;
				continue;
			}
			for (uint32_t i = 0; i < sizes[k]; i++)
				if (rbuf[k][r][i] != pat(m, i)) {
					fprintf(stderr, "recv class %u round %u: byte %u differs\n", k,
						r, i);
					bad++;
					break;
				}
		}
	for (uint32_t k = k0; k < nsizes; k++)
		for (uint32_t r = 0; r < rounds; r++) {
			free(sbuf[k][r]);
			free(rbuf[k][r]);
		}
	return bad ? 1 : 0;
}

/* Both sides finished sending: tell the peer, wait for its word. */
static int barrier(mx_endpoint_t ep, mx_endpoint_addr_t peer)
{
	mx_request_t s, r;
	mx_segment_t none = { NULL, 0 };
	mx_status_t st;
	uint32_t res;

	if (mx_irecv(ep, &none, 1, MATCH_DONE, MX_MATCH_MASK_NONE, NULL, &r) != MX_SUCCESS ||
	    mx_isend(ep, &none, 1, peer, MATCH_DONE, NULL, &s) != MX_SUCCESS)
		return 1;
	if (mx_wait(ep, &s, 60000, &st, &res) != MX_SUCCESS || !res || st.code) {
		fprintf(stderr, "barrier: own word: %s\n", res ? mx_strstatus(st.code) : "no completion");
		return 1;
	}
	if (mx_wait(ep, &r, 60000, &st, &res) != MX_SUCCESS || !res || st.code) {
		fprintf(stderr, "barrier: peer's word: %s\n", res ? mx_strstatus(st.code) : "no completion");
		return 1;
	}
	/* stay open a moment: if our daemon's ack of the peer's word is lost,
	 * the peer's resend must still find this endpoint (closed = refused) */
	usleep(500000);
	return 0;
}

/* Send 1 KiB messages one by one until one fails; the peer is being killed.
 * Synchronous sends: a buffered send completes at issue (lib/README.md), so
 * only an issend still reports what happens to it on the wire. */
static int until_dead(mx_endpoint_t ep, mx_endpoint_addr_t peer)
{
	static uint8_t buf[1024];
	mx_segment_t seg = { buf, sizeof(buf) };

	for (int i = 0; i < 100000; i++) {
		mx_request_t s;
		mx_status_t st;
		uint32_t res = 0;

		if (mx_issend(ep, &seg, 1, peer, 42, NULL, &s) != MX_SUCCESS)
			return 1;
		if (mx_wait(ep, &s, 120000, &st, &res) != MX_SUCCESS || !res) {
			fprintf(stderr, "mxw_xfer: send %d hung for 120 s\n", i);
			return 1;
		}
		if (st.code != MX_STATUS_SUCCESS) {
			printf("send %d completed with status '%s' after the peer died\n", i,
			       mx_strstatus(st.code));
			return 0;
		}
		usleep(20000);
	}
	return 1;
}

/* peer NULL: each message goes back to its source (an endpoint that only
 * accepted its peer's connection) */
static int reflect(mx_endpoint_t ep, const mx_endpoint_addr_t *peer, uint32_t count)
{
	static uint8_t buf[4u << 20];
	mx_segment_t seg = { buf, sizeof(buf) };
	mx_request_t req;
	mx_status_t st;
	uint32_t result;

	for (uint32_t k = 0; k < count; k++) {
		uint32_t bad = 0;

		if (mx_irecv(ep, &seg, 1, 0, 0, NULL, &req) != MX_SUCCESS ||
		    mx_wait(ep, &req, 30000, &st, &result) != MX_SUCCESS || !result ||
		    st.code != MX_STATUS_SUCCESS) {
			fprintf(stderr, "mxw_xfer: reflect: message %u not received\n", k);
			return 1;
		}
		for (uint32_t i = 0; i < st.xfer_length; i++)
			bad += buf[i] != pat(st.match_info, i);
		printf("reflect: got %u bytes match %016llx, %u bad bytes\n", st.xfer_length,
		       (unsigned long long)st.match_info, bad);
		if (bad)
			return 1;
		seg.segment_length = st.xfer_length;
		if (mx_isend(ep, &seg, 1, peer ? *peer : st.source, st.match_info, NULL, &req) !=
			    MX_SUCCESS ||
		    mx_wait(ep, &req, 30000, &st, &result) != MX_SUCCESS || !result ||
		    st.code != MX_STATUS_SUCCESS) {
			fprintf(stderr, "mxw_xfer: reflect: send back of %u failed\n", k);
			return 1;
		}
		seg.segment_length = sizeof(buf);
	}
	return 0;
}

/* Medium sizes of the streaming modes (-T, -S), message k: sizes[k % 4]. */
static uint32_t stream_len(uint32_t k)
{
	static const uint32_t len[] = { 8192, 16384, 20000, 32768 };

	return len[k % 4];
}

/* -T: COUNT mediums as fast as they go, 32 in flight; match_info = k. */
static int stream_out(mx_endpoint_t ep, mx_endpoint_addr_t peer, uint32_t count)
{
	static uint8_t buf[32][32768];
	mx_request_t req[32];
	mx_status_t st;
	uint32_t res;

	for (uint32_t k = 0; k < count + 32; k++) {
		uint32_t w = k % 32;

		if (k >= 32 && (mx_wait(ep, &req[w], 60000, &st, &res) != MX_SUCCESS || !res ||
				st.code != MX_STATUS_SUCCESS)) {
			fprintf(stderr, "mxw_xfer: stream: send %u failed\n", k - 32);
			return 1;
		}
		if (k >= count)
			continue;
		mx_segment_t seg = { buf[w], stream_len(k) };

		for (uint32_t i = 0; i < seg.segment_length; i++)
			buf[w][i] = pat(k, i);
		if (mx_isend(ep, &seg, 1, peer, k, NULL, &req[w]) != MX_SUCCESS)
			return 1;
	}
	return 0;
}

/* -S: receive them in order, every byte checked, and every 50 messages
 * stop calling the library for 30 ms (longer than the wire's 20 ms resend
 * timeout): an application falling behind, its daemon's queue full. */
static int slow_sink(mx_endpoint_t ep, uint32_t count)
{
	static uint8_t buf[32768];
	mx_segment_t seg = { buf, sizeof(buf) };
	mx_request_t req;
	mx_status_t st;
	uint32_t res;

	for (uint32_t k = 0; k < count; k++) {
		uint32_t bad = 0;

		if (k % 50 == 49)
			usleep(30000);
		if (mx_irecv(ep, &seg, 1, k, MX_MATCH_MASK_NONE, NULL, &req) != MX_SUCCESS ||
		    mx_wait(ep, &req, 60000, &st, &res) != MX_SUCCESS || !res ||
		    st.code != MX_STATUS_SUCCESS || st.xfer_length != stream_len(k)) {
			fprintf(stderr, "mxw_xfer: sink: message %u not received whole\n", k);
			return 1;
		}
		for (uint32_t i = 0; i < st.xfer_length; i++)
			bad += buf[i] != pat(k, i);
		if (bad) {
			fprintf(stderr, "mxw_xfer: sink: message %u: %u bad bytes\n", k, bad);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t eid = 1, key = 0x12345, rounds = 3;
	const char *dest = NULL;
	int mode = 0, c, rc;
	mx_endpoint_t ep;
	mx_endpoint_addr_t peer;

	while ((c = getopt(argc, argv, "e:d:n:k:l:m:AKBCHRST")) != -1) {
		switch (c) {
		case 'e': eid = (uint32_t)atoi(optarg); break;
		case 'd': dest = optarg; break;
		case 'n': rounds = (uint32_t)atoi(optarg); break;
		case 'k': key = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'l': min_len = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'm': max_len = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'A': mode = 'A'; break;
		case 'K': mode = 'K'; break;
		case 'B': mode = 'B'; break;
		case 'C': mode = 'C'; break;
		case 'H': mode = 'H'; break;
		case 'R': mode = 'R'; break;
		case 'S': mode = 'S'; break;
		case 'T': mode = 'T'; break;
		default: return 2;
		}
	}
	if (mode == 'H') {
		/* hold an endpoint open (key from -k) for others to connect to */
		if (mx_init() != MX_SUCCESS || mx_open_endpoint(MX_ANY_NIC, eid, key, NULL, 0, &ep))
			return 1;
		sleep(rounds);
		return 0;
	}
	if (mode == 'A') {
		mx_set_error_handler(MX_ERRORS_RETURN);
		if (mx_init() != MX_SUCCESS || mx_open_endpoint(MX_ANY_NIC, eid, key, NULL, 0, &ep))
			return 1;
		rc = reflect(ep, NULL, rounds);
		printf("mxw_xfer: reflected %u messages to their source: %s\n", rounds,
		       rc ? "FAILED" : "ok");
		return rc;
	}
	if (!dest || rounds < 1 || (rounds > MAXROUNDS && mode != 'R' && mode != 'S' && mode != 'T')) {
		fprintf(stderr, "usage: mxw_xfer -e EP -d HOST:EP [-n ROUNDS<=16] [-k KEY] [-l MINLEN] [-m MAXLEN] [-K|-B|-C]\n");
		return 2;
	}
	mx_set_error_handler(MX_ERRORS_RETURN);
	if (mx_init() != MX_SUCCESS ||
	    mx_open_endpoint(MX_ANY_NIC, eid, mode == 'B' ? 0x12345 : key, NULL, 0, &ep) !=
		    MX_SUCCESS) {
		fprintf(stderr, "mxw_xfer: cannot open endpoint %u\n", eid);
		return 1;
	}
	rc = connect_peer(ep, dest, key, &peer, mode == 'B' ? 20 : mode == 'C' ? 1 : 300);
	if (mode == 'C') {
		printf("connect to a closed endpoint: %s\n", rc ? "failed" : "succeeded");
		return rc ? 0 : 1;
	}
	if (mode == 'B') {
		printf("connect with a wrong key: %s\n", rc == -3 ? "refused (bad key)" : "other");
		return rc == -3 ? 0 : 1;
	}
	if (rc)
		return 1;
	if (mode == 'K')
		return until_dead(ep, peer);
	if (mode == 'R') {
		rc = reflect(ep, &peer, rounds);
		printf("mxw_xfer: reflected %u messages: %s\n", rounds, rc ? "FAILED" : "ok");
		return rc;
	}
	if (mode == 'S' || mode == 'T') {
		rc = mode == 'S' ? slow_sink(ep, rounds) : stream_out(ep, peer, rounds);
		if (!rc)
			rc = barrier(ep, peer);
		printf("mxw_xfer: %s %u mediums: %s\n", mode == 'S' ? "received" : "streamed",
		       rounds, rc ? "FAILED" : "ok");
		return rc;
	}
	rc = exchange(ep, peer, rounds);
	if (!rc)
		rc = barrier(ep, peer);
	printf("mxw_xfer: %u rounds x classes up to %u bytes each way: %s\n", rounds,
	       max_len < sizes[NSIZES - 1] ? max_len : sizes[NSIZES - 1],
	       rc ? "FAILED" : "ok");
	mx_close_endpoint(ep);
	mx_finalize();
	return rc;
}
