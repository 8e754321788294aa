/* SPDX-License-Identifier: MIT */
/*
 * myribackd restarted twice under load on the local transport (issue 13):
 * once stopped as systemctl stops it (SIGTERM), once crashed (SIGKILL),
 * each time started again on the same configuration.  A sender process
 * streams messages of every size class (tiny, small, medium, largest
 * medium (synchronous: the daemon's path), large rendezvous) to a receiver
 * process, a window of them in flight both ways.  Both libraries re-attach on their own; every message
 * arrives once, in order, byte-exact; nothing completes with an error.
 * Checked too: each library re-attached twice, the last daemon counts two
 * re-attached endpoints (myrixenctl counters), and with pair channels each
 * side kept its channel both times.  The longest gap between two arrivals
 * (the pause the application sees) is printed, not asserted.
 *   it_restart_load MYRIXENCTL
 */
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>
#include "itest.h"
#include "it_restart.h"
#include "mxl.h"

enum { SENDER = 60, RECEIVER = 61, N = 600, W = 16 };

static const uint32_t sizes[] = { 8, 100, 4000, 32768, 100000, 1u << 20 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
#define MAXLEN (1u << 20)

struct shared {
	atomic_uint received;   /* arrivals verified so far */
	atomic_int receiver_done;
	atomic_int stops;       /* daemons stopped so far by main */
};

/* The restarts happen once the receiver verified N/3 and 2N/3 messages.
 * The sender may run at most a window ahead of each: were main late (a
 * loaded machine), the stream would otherwise end before the daemon
 * stops, and a library with nothing to do then never re-attaches (the
 * "Re-attaches 1, want 2" seen under load).  Past a stop it sends on, so
 * the messages after it cross the restart. */
static void gate(struct shared *sh, uint32_t k)
{
	int need = k >= 2 * N / 3 + W ? 2 : k >= N / 3 + W ? 1 : 0;

	for (int i = 0; i < 120000 && atomic_load(&sh->stops) < need; i++)
		usleep(1000);
}

static uint32_t size_of(uint32_t k)
{
	return sizes[k % NSIZES];
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A bounded wait: a hang is a failure with the message number. */
static int wait_req(mx_endpoint_t ep, mx_request_t *r, mx_status_t *st, const char *what,
		    uint32_t k)
{
	uint32_t res = 0;

	for (int i = 0; i < 120 && !res; i++)
		if (mx_wait(ep, r, 1000, st, &res) != MX_SUCCESS)
			break;
	if (!res) {
		fprintf(stderr, "[%d] %s %u never completed\n", (int)getpid(), what, k);
		it_failures++;
		return -1;
	}
	return 0;
}

/* A library counter by the start of its name (0 when this build has none). */
static uint64_t counter(mx_endpoint_t ep, const char *name)
{
	for (int i = 0; i < MXL_CNT_MAX; i++)
		if (mxl_counter_names[i] && !strncmp(mxl_counter_names[i], name, strlen(name)))
			return ep->counters[i];
	return 0;
}

static void counters(mx_endpoint_t ep, const char *who)
{
	printf("[%s] re-attaches %llu, sends sent again %llu, duplicates dropped %llu, "
	       "pair channels kept %llu, pair sends %llu\n", who,
	       (unsigned long long)counter(ep, "Re-attaches"),
	       (unsigned long long)counter(ep, "Sends sent again"),
	       (unsigned long long)counter(ep, "Duplicate arrivals"),
	       (unsigned long long)counter(ep, "Pair channels kept"),
	       (unsigned long long)ep->counters[MXL_CNT_PAIR_SEND]);
	fflush(stdout);
}

static void check_reattached(mx_endpoint_t ep, bool pairs)
{
	IT_EQ(counter(ep, "Re-attaches"), 2);
	IT_EQ(counter(ep, "Pair channels kept"), pairs ? 2 : 0);
}

static int sender(struct shared *sh, bool pairs)
{
	static uint8_t buf[W][MAXLEN];
	mx_request_t req[W];
	mx_endpoint_addr_t dest;
	mx_endpoint_t ep;
	mx_status_t st;

	it_init();
	ep = it_open(SENDER);
	dest = it_connect(ep, RECEIVER);
	for (uint32_t k = 0; k < N && !it_failures; k++) {
		uint32_t s = k % W;
		mx_segment_t seg = { buf[s], size_of(k) };

		if (k >= W && !wait_req(ep, &req[s], &st, "send", k - W))
			IT_EQ(st.code, MX_STATUS_SUCCESS);
		gate(sh, k);
		it_fill(buf[s], size_of(k), k);
		/* The largest medium synchronously: a pair channel carries
		 * all the rest (large ones too, synchronous or not, pair.h
		 * "Rendezvous"), and the stream must still need the daemons
		 * it outlives. */
		if (size_of(k) == 32768)
			IT_OK(mx_issend(ep, &seg, 1, dest, k, NULL, &req[s]));
		else
			IT_OK(mx_isend(ep, &seg, 1, dest, k, NULL, &req[s]));
	}
	for (uint32_t k = N - W; k < N; k++)
		if (!wait_req(ep, &req[k % W], &st, "send", k))
			IT_EQ(st.code, MX_STATUS_SUCCESS);
	/* Close only once the receiver has it all (a close is not a restart). */
	for (int i = 0; i < 120000 && !atomic_load(&sh->receiver_done); i++)
		usleep(1000);
	counters(ep, "sender");
	check_reattached(ep, pairs);
	IT_OK(mx_close_endpoint(ep));
	mx_finalize();
	return it_done("restart_load sender");
}

static void post(mx_endpoint_t ep, uint8_t *b, mx_request_t *r)
{
	mx_segment_t seg = { b, MAXLEN };

	/* Any match: the k-th receive posted takes the k-th arrival, so MX
	 * order, losses and duplicates all show as a wrong match_info. */
	IT_OK(mx_irecv(ep, &seg, 1, 0, 0, NULL, r));
}

static void check_arrival(const mx_status_t *st, const uint8_t *b, uint32_t k)
{
	long bad;

	IT_EQ(st->code, MX_STATUS_SUCCESS);
	IT_EQ(st->match_info, k);
	IT_EQ(st->xfer_length, size_of(k));
	bad = st->match_info == k ? it_verify(b, size_of(k), k) : -1;
	if (bad >= 0) {
		fprintf(stderr, "message %u: byte %ld wrong\n", k, bad);
		it_failures++;
	}
}

static int receiver(struct shared *sh, bool pairs)
{
	static uint8_t buf[W][MAXLEN];
	mx_request_t req[W], extra;
	uint64_t last, gap = 0;
	mx_endpoint_t ep;
	mx_status_t st;
	uint32_t res = 0;

	it_init();
	ep = it_open(RECEIVER);
	for (uint32_t k = 0; k < W; k++)
		post(ep, buf[k], &req[k]);
	last = now_ms();
	for (uint32_t k = 0; k < N && !it_failures; k++) {
		uint32_t s = k % W;

		if (wait_req(ep, &req[s], &st, "receive", k))
			break;
		check_arrival(&st, buf[s], k);
		if (now_ms() - last > gap)
			gap = now_ms() - last;
		last = now_ms();
		atomic_store(&sh->received, k + 1);
		if (k + W < N)
			post(ep, buf[s], &req[s]);
	}
	/* Nothing more may come: a duplicate would land here. */
	post(ep, buf[0], &extra);
	IT_OK(mx_wait(ep, &extra, 300, &st, &res));
	IT_EQ(res, 0);
	atomic_store(&sh->receiver_done, 1);
	printf("[receiver] %u messages verified; longest pause between two arrivals %llu ms\n",
	       atomic_load(&sh->received), (unsigned long long)gap);
	counters(ep, "receiver");
	check_reattached(ep, pairs);
	IT_OK(mx_close_endpoint(ep));
	mx_finalize();
	return it_done("restart_load receiver");
}

static pid_t spawn(int (*fn)(struct shared *, bool), struct shared *sh, bool pairs)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(sh, pairs));
	return pid;
}

/* Wait (bounded) until the receiver verified at least n messages; a stall
 * is reported as such (what follows it fails only as a consequence). */
static void await_received(struct shared *sh, uint32_t n, const char *when)
{
	for (int i = 0; i < 120000 && atomic_load(&sh->received) < n; i++)
		usleep(1000);
	if (atomic_load(&sh->received) < n) {
		fprintf(stderr, "[main] the stream stalled %s: %u of %u messages verified\n", when,
			atomic_load(&sh->received), n);
		it_failures++;
	}
}

static bool child_ok(pid_t pid)
{
	int status;

	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The last daemon re-attached both endpoints (myrixenctl's JSON counters). */
static void check_daemon(const char *ctl, const char *dir)
{
	char cmd[1024], out[16384];
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "'%s' --socket '%s/ctl.sock' --json counters", ctl, dir);
	f = popen(cmd, "r");
	IT_CHECK(f != NULL);
	if (!f)
		return;
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	pclose(f);
	char *local = strstr(out, "\"local\":{"), *end = local ? strchr(local, '}') : NULL;

	if (end)
		*end = 0; /* the local object alone */
	IT_CHECK(end && strstr(local, "\"eps_reattached\":2"));
	IT_CHECK(end && strstr(local, "\"reattach_refused\":0"));
	if (!end || !strstr(local, "\"eps_reattached\":2"))
		fprintf(stderr, "daemon counters: %s\n", out);
}

int main(int argc, char **argv)
{
	struct it_daemon d;
	struct shared *sh;
	const char *pc = getenv("MYRIXEN_TEST_PAIR_CHANNELS");
	bool pairs = !(pc && !strcmp(pc, "0"));
	pid_t ps, pr;
	int rc = it_daemon_find(&d);

	if (rc)
		return rc;
	if (argc < 2) {
		fprintf(stderr, "usage: it_restart_load MYRIXENCTL\n");
		return 2;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	pr = spawn(receiver, sh, pairs);
	ps = spawn(sender, sh, pairs);
	await_received(sh, N / 3, "before the first restart");
	it_daemon_stop(&d, SIGTERM);    /* as systemctl stop/restart does */
	atomic_store(&sh->stops, 1);
	it_daemon_start(&d);
	await_received(sh, 2 * N / 3, "after the SIGTERM restart");
	it_daemon_stop(&d, SIGKILL);    /* a crash */
	atomic_store(&sh->stops, 2);
	it_daemon_start(&d);
	IT_CHECK(child_ok(pr));
	IT_CHECK(child_ok(ps));
	check_daemon(argv[1], d.dir);
	it_daemon_stop(&d, SIGTERM);
	return it_done("restart_load");
}
