/* SPDX-License-Identifier: MIT */
/*
 * Many endpoints per process: two processes open 8 endpoints each and every
 * endpoint sends a tiny, a medium and a large message to every other one
 * (same process and the other process).  Receivers use wildcard receives
 * and identify senders from match info and status.source.
 */
#include <sys/wait.h>
#include "itest.h"

#define PER 8
#define TOTAL (2 * PER)
#define BASE 40
static const uint32_t lens[3] = { 24, 3000, 200000 };

static uint64_t match_of(uint32_t from, uint32_t to, uint32_t k)
{
	return ((uint64_t)from << 24) | ((uint64_t)to << 8) | k;
}

static int side(int which, int rd, int wr)
{
	struct it_pipe p = { rd, wr };
	mx_endpoint_t ep[PER];
	mx_endpoint_addr_t addr[PER][TOTAL];
	static char sbuf[PER][TOTAL][3][200000];
	static char rbuf[PER][TOTAL * 3][200000];
	mx_request_t sreq[PER][TOTAL][3], rreq[PER][TOTAL * 3];
	int seen[PER][TOTAL][3];
	mx_status_t st;
	uint32_t i, j, k, nic_eid;
	uint64_t nic, mynic;

	it_init();
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < PER; i++)
		ep[i] = it_open(BASE + which * PER + i);
	IT_OK(mx_board_number_to_nic_id(0, &mynic));
	for (i = 0; i < PER; i++) {
		for (j = 0; j < TOTAL * 3; j++) {
			mx_segment_t seg = { rbuf[i][j], sizeof(rbuf[i][j]) };

			IT_OK(mx_irecv(ep[i], &seg, 1, 0, 0, NULL, &rreq[i][j]));
		}
	}
	it_signal(&p);
	it_await(&p); /* both sides posted everything */
	for (i = 0; i < PER; i++)
		for (j = 0; j < TOTAL; j++)
			addr[i][j] = it_connect(ep[i], BASE + j);
	for (i = 0; i < PER; i++) {
		uint32_t me = which * PER + i;

		for (j = 0; j < TOTAL; j++) {
			for (k = 0; k < 3; k++) {
				mx_segment_t seg = { sbuf[i][j][k], lens[k] };

				it_fill(sbuf[i][j][k], lens[k], match_of(me, j, k));
				IT_OK(mx_isend(ep[i], &seg, 1, addr[i][j], match_of(me, j, k), NULL,
					       &sreq[i][j][k]));
			}
		}
	}
	/* Receives first: rendezvous pulls need the receivers' progress. */
	for (i = 0; i < PER; i++) {
		uint32_t me = which * PER + i;

		for (j = 0; j < TOTAL * 3; j++) {
			uint32_t from, to, kk;

			if (it_wait(ep[i], &rreq[i][j], &st))
				continue;
			from = (uint32_t)(st.match_info >> 24);
			to = (uint32_t)(st.match_info >> 8) & 0xffff;
			kk = (uint32_t)st.match_info & 0xff;
			IT_EQ(to, me);
			if (from >= TOTAL || kk >= 3 || to != me) {
				it_failures++;
				continue;
			}
			IT_EQ(st.code, MX_STATUS_SUCCESS);
			IT_EQ(st.xfer_length, lens[kk]);
			IT_CHECK(it_verify(rbuf[i][j], lens[kk], st.match_info) < 0);
			IT_OK(mx_decompose_endpoint_addr(st.source, &nic, &nic_eid));
			IT_EQ(nic, mynic);
			IT_EQ(nic_eid, BASE + from);
			seen[i][from][kk]++;
		}
	}
	for (i = 0; i < PER; i++)
		for (j = 0; j < TOTAL; j++)
			for (k = 0; k < 3; k++) {
				IT_EQ(seen[i][j][k], 1);
				if (!it_wait(ep[i], &sreq[i][j][k], &st))
					IT_EQ(st.code, MX_STATUS_SUCCESS);
			}
	it_signal(&p);
	it_await(&p);
	for (i = 0; i < PER; i++)
		IT_OK(mx_close_endpoint(ep[i]));
	mx_finalize();
	return it_done(which ? "endpoints/B" : "endpoints/A");
}

int main(void)
{
	int a[2], b[2], status;
	pid_t pid;

	if (pipe(a) || pipe(b))
		return 1;
	pid = fork();
	if (pid == 0)
		_exit(side(1, b[0], a[1]));
	if (side(0, a[0], b[1]))
		it_failures++;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	return it_failures ? 1 : 0;
}
