/* SPDX-License-Identifier: MIT */
/*
 * The daemon goes away under a running application: every pending request
 * completes with an error status (MX_STATUS_ABORTED), blocking calls
 * return, new requests fail cleanly, nothing crashes or hangs.
 */
#include <signal.h>
#include <pthread.h>
#include "itest.h"

int main(void)
{
	const char *pid_s = getenv("MYRIXEN_TEST_DAEMON_PID");
	mx_endpoint_t e1, e2;
	mx_endpoint_addr_t a2;
	char buf[64], *big = malloc(1u << 20);
	mx_segment_t seg = { buf, sizeof(buf) }, bs = { big, 1u << 20 };
	mx_request_t rr, sr, r2;
	mx_status_t st;
	uint32_t res = 0;

	if (!pid_s) {
		printf("SKIP: MYRIXEN_TEST_DAEMON_PID not set (run through run_with_daemon.sh)\n");
		return 77;
	}
	it_init();
	e1 = it_open(70);
	e2 = it_open(71);
	a2 = it_connect(e1, 71);
	/* a working exchange first */
	IT_OK(mx_irecv(e2, &seg, 1, 1, MX_MATCH_MASK_NONE, NULL, &rr));
	IT_OK(mx_isend(e1, &seg, 1, a2, 1, NULL, &sr));
	IT_CHECK(it_wait(e2, &rr, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_CHECK(it_wait(e1, &sr, &st) == 0);
	/* pending: a receive nobody sends to, and a rendezvous nobody pulls */
	IT_OK(mx_irecv(e1, &seg, 1, 2, MX_MATCH_MASK_NONE, NULL, &rr));
	IT_OK(mx_isend(e1, &bs, 1, a2, 3, NULL, &sr));
	IT_OK(mx_irecv(e2, &seg, 1, 4, MX_MATCH_MASK_NONE, NULL, &r2));
	kill((pid_t)atoi(pid_s), SIGKILL);
	/* an infinite wait must return once the daemon is gone */
	IT_OK(mx_wait(e1, &rr, MX_INFINITE, &st, &res));
	IT_EQ(res, 1);
	IT_EQ(st.code, MX_STATUS_ABORTED);
	res = 0;
	IT_OK(mx_wait(e1, &sr, MX_INFINITE, &st, &res));
	IT_EQ(res, 1);
	IT_EQ(st.code, MX_STATUS_ABORTED);
	/* busy polling notices too */
	res = 0;
	for (int i = 0; i < 100000 && !res; i++)
		IT_OK(mx_test(e2, &r2, &st, &res));
	IT_EQ(res, 1);
	IT_EQ(st.code, MX_STATUS_ABORTED);
	/* new work fails cleanly */
	IT_OK(mx_isend(e1, &seg, 1, a2, 5, NULL, &sr));
	res = 0;
	IT_OK(mx_wait(e1, &sr, 1000, &st, &res));
	IT_EQ(res, 1);
	IT_EQ(st.code, MX_STATUS_ABORTED);
	IT_CHECK(mx_connect(e1, 1, 71, IT_KEY, 100, &a2) != MX_SUCCESS);
	IT_OK(mx_close_endpoint(e1));
	IT_OK(mx_close_endpoint(e2));
	mx_finalize();
	free(big);
	return it_done("daemon_gone");
}
