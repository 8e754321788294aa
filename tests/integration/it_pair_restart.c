/* SPDX-License-Identifier: MIT */
/*
 * A daemon restart while two local endpoints talk through their pair
 * channel.  What happens (lib/README.md): the daemon's hang-up ends the
 * endpoint, pair channels included, because the daemon is the one that
 * would report a peer's death or a hostile channel: every pending request
 * completes with MX_STATUS_ABORTED, new ones fail at once, nothing hangs.
 * A new daemon then serves new endpoints, whose channels work again.
 */
#include <signal.h>
#include <sys/wait.h>
#include "itest.h"
#include "mxl.h"

enum { E1 = 50, E2 = 51 };

static uint32_t lcounter(mx_endpoint_t ep, enum mxl_counter c)
{
	return (uint32_t)ep->counters[c];
}

/* One tiny message e1 -> e2 through the channel. */
static void exchange(mx_endpoint_t e1, mx_endpoint_t e2)
{
	mx_endpoint_addr_t a2 = it_connect(e1, E2);
	char sb[16] = "through", rb[16];
	mx_segment_t ss = { sb, 7 }, rs = { rb, sizeof(rb) };
	mx_request_t s, r;
	mx_status_t st;

	IT_OK(mx_irecv(e2, &rs, 1, 1, MX_MATCH_MASK_NONE, NULL, &r));
	IT_OK(mx_isend(e1, &ss, 1, a2, 1, NULL, &s));
	IT_CHECK(it_wait(e1, &s, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_CHECK(it_wait(e2, &r, &st) == 0 && st.code == MX_STATUS_SUCCESS);
	IT_CHECK(!memcmp(rb, "through", 7));
	IT_EQ(lcounter(e1, MXL_CNT_PAIR_SEND), 1);
	IT_EQ(lcounter(e2, MXL_CNT_PAIR_RECV), 1);
}

static void expect_aborted(mx_endpoint_t ep, mx_request_t *r)
{
	mx_status_t st;
	uint32_t res = 0;

	IT_OK(mx_wait(ep, r, MX_INFINITE, &st, &res));
	IT_EQ(res, 1);
	IT_EQ(st.code, MX_STATUS_ABORTED);
}

static pid_t start_daemon(const char *exe, const char *dir)
{
	char conf[512];
	pid_t pid;

	snprintf(conf, sizeof(conf), "%s/myribackd.conf", dir);
	pid = fork();
	if (pid == 0) {
		execl(exe, exe, "-f", "-c", conf, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static mx_endpoint_t open_retry(uint32_t eid)
{
	mx_endpoint_t ep = NULL;

	for (int i = 0; i < 400; i++) {
		if (mx_open_endpoint(MX_ANY_NIC, eid, IT_KEY, NULL, 0, &ep) == MX_SUCCESS)
			return ep;
		usleep(25000);
	}
	fprintf(stderr, "the restarted daemon never accepted an open\n");
	exit(1);
}

int main(void)
{
	const char *pid_s = getenv("MYRIXEN_TEST_DAEMON_PID"), *dir = getenv("MYRIXEN_TEST_DIR");
	char exe[512], link[64], b[16];
	mx_segment_t seg = { b, sizeof(b) };
	mx_endpoint_t e1, e2;
	mx_request_t r1, r2, s;
	mx_endpoint_addr_t a2;
	pid_t old, fresh;
	ssize_t n;

	if (!pid_s || !dir) {
		printf("SKIP: run through run_with_daemon.sh\n");
		return 77;
	}
	old = (pid_t)atoi(pid_s);
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)old);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0) {
		printf("SKIP: cannot read %s\n", link);
		return 77;
	}
	exe[n] = 0;
	it_init();
	e1 = it_open(E1);
	e2 = it_open(E2);
	exchange(e1, e2);
	a2 = it_connect(e1, E2);
	IT_OK(mx_irecv(e1, &seg, 1, 8, MX_MATCH_MASK_NONE, NULL, &r1));
	IT_OK(mx_irecv(e2, &seg, 1, 9, MX_MATCH_MASK_NONE, NULL, &r2));
	kill(old, SIGKILL);
	for (int i = 0; i < 400 && kill(old, 0) == 0; i++)
		usleep(10000);
	expect_aborted(e2, &r2);
	expect_aborted(e1, &r1);
	/* the channel is gone with the endpoint: a send fails at once */
	IT_OK(mx_isend(e1, &seg, 1, a2, 10, NULL, &s));
	expect_aborted(e1, &s);
	IT_OK(mx_close_endpoint(e1));
	IT_OK(mx_close_endpoint(e2));

	fresh = start_daemon(exe, dir);
	e1 = open_retry(E1);
	e2 = open_retry(E2);
	exchange(e1, e2);
	IT_OK(mx_close_endpoint(e1));
	IT_OK(mx_close_endpoint(e2));
	mx_finalize();
	kill(fresh, SIGTERM);
	waitpid(fresh, NULL, 0);
	return it_done("pair_restart");
}
