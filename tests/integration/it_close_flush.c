/* SPDX-License-Identifier: MIT */
/*
 * Buffered sends complete at issue, so a sender may close its endpoint the
 * moment its sends "completed": the messages must still arrive (the close
 * waits, bounded, for the daemon to take them).  Run twice: through the
 * daemon (pair_channels = no) and through a pair channel.
 */
#include <sys/wait.h>
#include "itest.h"

enum { ER = 40, ES = 41, N = 40 };

static uint32_t len_of(int i)
{
	return i % 2 ? 5000 : 12; /* medium (sendq) and tiny (slot) */
}

static int sender(struct it_pipe *go)
{
	static char b[N][5000];
	mx_endpoint_t es;
	mx_endpoint_addr_t ar;
	mx_request_t s;
	mx_status_t st;

	it_init();
	es = it_open(ES);
	ar = it_connect(es, ER);
	it_await(go);
	for (int i = 0; i < N; i++) {
		mx_segment_t sg = { b[i], len_of(i) };

		it_fill(b[i], len_of(i), 0x900 + (uint64_t)i);
		IT_OK(mx_isend(es, &sg, 1, ar, 0x900 + (uint64_t)i, NULL, &s));
		IT_CHECK(it_wait(es, &s, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	}
	/* every send completed: close at once, and exit */
	IT_OK(mx_close_endpoint(es));
	mx_finalize();
	return it_done("close_flush/sender");
}

int main(void)
{
	static char rb[5000];
	mx_segment_t rs = { rb, sizeof(rb) };
	struct it_pipe go;
	mx_endpoint_t er;
	mx_request_t r;
	mx_status_t st;
	const char *dpid = getenv("MYRIXEN_TEST_DAEMON_PID");
	int p[2], status = 1;
	pid_t pid, daemon;

	if (!dpid) {
		printf("SKIP: run through run_with_daemon.sh\n");
		return 77;
	}
	daemon = (pid_t)atoi(dpid);
	if (pipe(p))
		return 1;
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		go.rd = p[0];
		_exit(sender(&go));
	}
	close(p[0]);
	it_init();
	er = it_open(ER);
	sleep(1); /* the sender connected (and got its channel, if any) */
	kill(daemon, SIGSTOP);
	if (write(p[1], "g", 1) != 1)
		return 1;
	usleep(300000);
	kill(daemon, SIGCONT);
	waitpid(pid, &status, 0); /* the sender is gone before we receive */
	IT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (int i = 0; i < N; i++) {
		uint32_t res = 0;

		IT_OK(mx_irecv(er, &rs, 1, 0x900 + (uint64_t)i, MX_MATCH_MASK_NONE, NULL, &r));
		IT_OK(mx_wait(er, &r, 3000, &st, &res));
		IT_EQ(res, 1);
		if (!res)
			break;
		IT_EQ(st.xfer_length, len_of(i));
		IT_CHECK(it_verify(rb, len_of(i), 0x900 + (uint64_t)i) < 0);
	}
	IT_OK(mx_close_endpoint(er));
	mx_finalize();
	return it_done("close_flush");
}
