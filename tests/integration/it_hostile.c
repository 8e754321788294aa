/* SPDX-License-Identifier: MIT */
/*
 * A guest that writes garbage into its own command ring (through library
 * internals, as a buggy or hostile program could) is cut off by the real
 * daemon: the library sees MXN_EVT_GUEST_ERROR (or the hangup) and fails
 * every pending request with MX_STATUS_ABORTED, no hang.  Another process
 * keeps being served.
 */
#include <sys/wait.h>
#include "mxl.h"
#include "itest.h"

static int good_side(int rd)
{
	struct it_pipe p = { rd, -1 };
	mx_endpoint_t g1, g2;
	mx_endpoint_addr_t a;
	char sb[5000], rb[5000];
	mx_segment_t ss = { sb, sizeof(sb) }, rs = { rb, sizeof(rb) };
	mx_request_t r, s;
	mx_status_t st;

	it_init();
	g1 = it_open(81);
	g2 = it_open(82);
	a = it_connect(g1, 82);
	it_await(&p); /* the other process has been cut off */
	it_fill(sb, sizeof(sb), 3);
	IT_OK(mx_irecv(g2, &rs, 1, 3, MX_MATCH_MASK_NONE, NULL, &r));
	IT_OK(mx_isend(g1, &ss, 1, a, 3, NULL, &s));
	if (!it_wait(g2, &r, &st)) {
		IT_EQ(st.code, MX_STATUS_SUCCESS);
		IT_CHECK(it_verify(rb, sizeof(rb), 3) < 0);
	}
	it_wait(g1, &s, &st);
	IT_OK(mx_close_endpoint(g1));
	IT_OK(mx_close_endpoint(g2));
	mx_finalize();
	return it_done("hostile/good");
}

int main(void)
{
	mx_endpoint_t bad;
	mx_endpoint_addr_t self;
	char buf[64];
	mx_segment_t seg = { buf, sizeof(buf) };
	mx_request_t r, s;
	mx_status_t st;
	struct mxn_cmd c;
	uint32_t res = 0;
	int p[2], status;
	pid_t pid;

	if (pipe(p))
		return 1;
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		_exit(good_side(p[0]));
	}
	close(p[0]);
	it_init();
	bad = it_open(80);
	IT_OK(mx_get_endpoint_addr(bad, &self));
	IT_OK(mx_irecv(bad, &seg, 1, 1, MX_MATCH_MASK_NONE, NULL, &r));
	/* a queued send whose payload lies outside the sendq */
	memset(&c, 0, sizeof(c));
	c.op = MXN_CMD_SEND_QUEUED;
	c.length = 1000;
	c.u.q.off = 0xfffff000u;
	mxl_lock(bad);
	memcpy(&bad->cmd_slots[bad->cmd.prod_pvt & bad->cmd.mask], &c, sizeof(c));
	bad->cmd.prod_pvt++;
	mxn_ring_push(&bad->cmd);
	bad->t.ops->kick(&bad->t);
	mxl_unlock(bad);
	IT_OK(mx_wait(bad, &r, IT_WAIT_MS, &st, &res));
	IT_EQ(res, 1);
	IT_EQ(st.code, MX_STATUS_ABORTED);
	/* the cut-off endpoint fails new work at once */
	IT_OK(mx_isend(bad, &seg, 1, self, 2, NULL, &s));
	res = 0;
	IT_OK(mx_wait(bad, &s, IT_WAIT_MS, &st, &res));
	IT_EQ(res, 1);
	IT_EQ(st.code, MX_STATUS_ABORTED);
	IT_OK(mx_close_endpoint(bad));
	mx_finalize();
	if (write(p[1], "x", 1) != 1)
		it_failures++;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		it_failures++;
	return it_done("hostile");
}
