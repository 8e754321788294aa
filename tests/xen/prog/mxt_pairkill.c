/* SPDX-License-Identifier: MIT */
/*
 * A pair channel's peer destroyed mid-stream (tests/xen, pingpong.inc).
 *
 *   mxt_pairkill -s [-e EP]          sink: verify the first 300 messages,
 *                                    then stop consuming and wait to die
 *   mxt_pairkill -c HOST:EP [-n N]   client: stream 1 KiB messages
 *
 * The client's sends fill the pair channel once the sink stops; when the
 * sink's domain is destroyed the client must see its blocked send end
 * with an error (the daemon's PAIR_CLOSED sends it through the daemon,
 * which finds no receiver), never hang.  The client exits 0 only then:
 * "stream ended after K sends: <status>"; 1 when everything was sent
 * (the sink never died) or on any other failure.  The sink exits 1 if it
 * ever returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "myriexpress.h"

#define PK_LEN 1024u
#define PK_SINK_MSGS 300u
#define PK_KEY 0x5ca1ab1eu
#define PK_MATCH 0x504b000000000000ull

static void fill(char *p, uint32_t seed)
{
	for (uint32_t i = 0; i < PK_LEN; i++)
		p[i] = (char)(i * 7u + seed);
}

/* One library counter of ep by its label, or 0. */
static uint32_t counter(mx_endpoint_t ep, const char *label)
{
	uint32_t board = 0, n = 0, v = 0, *vals;
	char *labels;

	if (mx_get_info(ep, MX_COUNTERS_COUNT, &board, sizeof(board), &n, sizeof(n)) != MX_SUCCESS)
		return 0;
	labels = calloc(n, MX_MAX_STR_LEN);
	vals = calloc(n, sizeof(*vals));
	if (labels && vals &&
	    mx_get_info(ep, MX_COUNTERS_LABELS, &board, sizeof(board), labels, n * MX_MAX_STR_LEN) == MX_SUCCESS &&
	    mx_get_info(ep, MX_COUNTERS_VALUES, &board, sizeof(board), vals, n * (uint32_t)sizeof(*vals)) == MX_SUCCESS)
		for (uint32_t i = 0; i < n; i++)
			if (!strcmp(labels + i * MX_MAX_STR_LEN, label))
				v = vals[i];
	free(labels);
	free(vals);
	return v;
}

static int sink(mx_endpoint_t ep)
{
	char buf[PK_LEN], want[PK_LEN];
	mx_segment_t seg = { buf, sizeof(buf) };
	mx_request_t req;
	mx_status_t st;
	uint32_t result, i;

	for (i = 0; i < PK_SINK_MSGS; i++) {
		if (mx_irecv(ep, &seg, 1, PK_MATCH | i, MX_MATCH_MASK_NONE, NULL, &req) != MX_SUCCESS ||
		    mx_wait(ep, &req, MX_INFINITE, &st, &result) != MX_SUCCESS || !result ||
		    st.code != MX_STATUS_SUCCESS || st.xfer_length != PK_LEN) {
			printf("mxt_pairkill sink: receive %u failed\n", i);
			return 1;
		}
		fill(want, i);
		if (memcmp(buf, want, PK_LEN)) {
			printf("mxt_pairkill sink: message %u corrupt\n", i);
			return 1;
		}
	}
	printf("mxt_pairkill sink stopped after %u verified messages (pair arrivals %u)\n", i,
	       counter(ep, "Pair channel arrivals"));
	fflush(stdout);
	for (;;)
		pause(); /* consume nothing more: the client's channel fills up */
	return 1;
}

static int client(mx_endpoint_t ep, const char *dest, uint32_t n)
{
	char host[MX_MAX_HOSTNAME_LEN], buf[PK_LEN];
	mx_segment_t seg = { buf, sizeof(buf) };
	const char *colon = strrchr(dest, ':');
	mx_endpoint_addr_t peer;
	mx_request_t req;
	mx_status_t st;
	uint32_t result, i, tries;
	uint64_t nic;

	if (!colon || (size_t)(colon - dest) >= sizeof(host))
		return 2;
	memcpy(host, dest, (size_t)(colon - dest));
	host[colon - dest] = '\0';
	if (mx_hostname_to_nic_id(host, &nic) != MX_SUCCESS)
		return 1;
	for (tries = 0; mx_connect(ep, nic, (uint32_t)atoi(colon + 1), PK_KEY, 1000, &peer) != MX_SUCCESS;
	     tries++)
		if (tries == 100)
			return 1;
	printf("mxt_pairkill client streaming\n");
	fflush(stdout);
	for (i = 0; i < n; i++) {
		fill(buf, i);
		if (mx_isend(ep, &seg, 1, peer, PK_MATCH | i, NULL, &req) != MX_SUCCESS ||
		    mx_wait(ep, &req, MX_INFINITE, &st, &result) != MX_SUCCESS || !result)
			return 1;
		if (st.code != MX_STATUS_SUCCESS) {
			printf("mxt_pairkill client: stream ended after %u sends: %s (pair sends %u)\n",
			       i, mx_strstatus(st.code), counter(ep, "Pair channel sends"));
			return 0;
		}
	}
	printf("mxt_pairkill client: all %u sent, the sink never went away\n", n);
	return 1;
}

int main(int argc, char **argv)
{
	const char *dest = NULL;
	uint32_t ep_id = 2, n = 1000000;
	mx_endpoint_t ep;
	int c, s = 0, rc;

	while ((c = getopt(argc, argv, "sc:e:n:")) != -1) {
		switch (c) {
		case 's': s = 1; break;
		case 'c': dest = optarg; break;
		case 'e': ep_id = (uint32_t)atoi(optarg); break;
		case 'n': n = (uint32_t)atoi(optarg); break;
		default: return 2;
		}
	}
	if (s == !!dest)
		return 2;
	mx_set_error_handler(MX_ERRORS_RETURN);
	if (mx_init() != MX_SUCCESS ||
	    mx_open_endpoint(MX_ANY_NIC, s ? ep_id : MX_ANY_ENDPOINT, PK_KEY, NULL, 0, &ep) != MX_SUCCESS)
		return 1;
	rc = s ? sink(ep) : client(ep, dest, n);
	mx_close_endpoint(ep);
	mx_finalize();
	return rc;
}
