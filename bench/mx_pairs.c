/* SPDX-License-Identifier: MIT */
/*
 * mx_pairs: P independent pairs of processes ping-pong SIZE-byte messages
 * (N round trips each) at the same time (bench/local_bench.sh), through
 * MX (the local myribackd: pair channels or the daemon path) or, as the
 * baseline with exactly the same workload per pair, a kernel IPC channel
 * (ipc_chan.h).  Prints the aggregate one-way message rate, from the
 * moment every pair is ready to the moment the last driver is done, and
 * with -d the CPU time the daemon used in that same window (its
 * /proc/PID/schedstat, in ns: start-up and close-down are not counted):
 *
 *   pairs P msgs M secs S rate R daemon_ns D
 *
 *   mx_pairs [-m mx|pipe|unix|udp] [-p PAIRS] [-n ITERS] [-s SIZE] [-e BASE_EP] [-d PID]
 * MX endpoint ids BASE_EP .. BASE_EP + 2 * PAIRS - 1 (default 100).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ipc_chan.h"
#include "myriexpress.h"
#include "pingpong.h"

#define KEY 0x9a125u
#define MATCH 0x7a1u
#define PAIRS_MAX 127u

struct mx_side {
	mx_endpoint_t ep;
	mx_endpoint_addr_t peer;   /* driver: connected */
	mx_segment_t s;
	mx_request_t next;         /* echo: the receive posted for the next ping */
};

static int wait_ok(mx_endpoint_t ep, mx_request_t *r, mx_status_t *st)
{
	uint32_t res = 0;

	return mx_wait(ep, r, MX_INFINITE, st, &res) == MX_SUCCESS && res &&
	       st->code == MX_STATUS_SUCCESS ? 0 : -1;
}

static int post_recv(struct mx_side *m, mx_request_t *r)
{
	return mx_irecv(m->ep, &m->s, 1, MATCH, MX_MATCH_MASK_NONE, NULL, r) == MX_SUCCESS ? 0 : -1;
}

/* The receive is posted before the send, as MX programs do: the answer
 * never lands in the unexpected queue. */
static int mx_round(void *ctx, uint32_t size, uint32_t i)
{
	struct mx_side *m = ctx;
	mx_request_t sr, rr;
	mx_status_t st;

	(void)size, (void)i;
	if (post_recv(m, &rr) || mx_isend(m->ep, &m->s, 1, m->peer, MATCH, NULL, &sr) != MX_SUCCESS)
		return -1;
	return wait_ok(m->ep, &sr, &st) || wait_ok(m->ep, &rr, &st) ? -1 : 0;
}

static int mx_echo(void *ctx, uint32_t size)
{
	struct mx_side *m = ctx;
	mx_request_t r;
	mx_status_t st;

	(void)size;
	if ((!m->next && post_recv(m, &m->next)) || wait_ok(m->ep, &m->next, &st) ||
	    post_recv(m, &m->next))
		return -1;
	return mx_isend(m->ep, &m->s, 1, st.source, MATCH, NULL, &r) != MX_SUCCESS ||
	       wait_ok(m->ep, &r, &st) ? -1 : 0;
}

/* The side's link, ready to run (MX: endpoint open, driver connected). */
static int mx_setup(struct mx_side *m, uint32_t eid, int32_t peer, uint32_t size,
		    struct pp_link *l)
{
	uint64_t nic;

	m->s.segment_ptr = calloc(1, size + 1);
	m->s.segment_length = size;
	if (!m->s.segment_ptr || mx_open_endpoint(MX_ANY_NIC, eid, KEY, NULL, 0, &m->ep) != MX_SUCCESS)
		return -1;
	if (peer >= 0 && (mx_board_number_to_nic_id(0, &nic) != MX_SUCCESS ||
			  mx_connect(m->ep, nic, (uint32_t)peer, KEY, 10000, &m->peer) != MX_SUCCESS))
		return -1;
	*l = (struct pp_link){ .round = mx_round, .echo = mx_echo, .ctx = m };
	return 0;
}

struct job {
	const char *mode;
	uint32_t iters, size, base;
	int ready, go;             /* pipes to and from the parent */
};

/* One process of pair i: 'r' once ready ('x': never), 'd' once done. */
static int side(const struct job *j, uint32_t i, int drive, struct ipc_chan *ch)
{
	struct mx_side m;
	struct pp_link l;
	char c;
	int ok;

	memset(&m, 0, sizeof(m));
	if (strcmp(j->mode, "mx")) {
		ch->buf = calloc(1, j->size + 1);
		l = (struct pp_link){ .round = ipc_chan_round, .echo = ipc_chan_echo, .ctx = ch };
		ok = ch->buf != NULL;
	} else {
		ok = !mx_setup(&m, j->base + 2 * i + !drive, drive ? (int32_t)(j->base + 2 * i + 1) : -1,
			       j->size, &l);
	}
	if (!ok) {
		(void)!write(j->ready, "x", 1);
		return 1;
	}
	if (write(j->ready, "r", 1) != 1)
		return 1;
	if (!drive) {
		ok = !pp_echoes(&l, j->size, j->iters);
		if (!ok)
			fprintf(stderr, "mx_pairs: pair %u: the echo side failed\n", i);
	} else {
		ok = read(j->go, &c, 1) == 1 && !pp_rounds(&l, j->size, j->iters);
		if (!ok)
			fprintf(stderr, "mx_pairs: pair %u: the driver failed\n", i);
		/* the clock stops here, not after the closes */
		(void)!write(j->ready, ok ? "d" : "x", 1);
	}
	/* A send completed at issue may still be on its way through the
	 * daemon: closing waits for it (exiting would drop it). */
	if (m.ep)
		mx_close_endpoint(m.ep);
	return ok ? 0 : 1;
}

/* CPU time of process pid so far (ns), 0 when unknown. */
static unsigned long long cpu_ns(int pid)
{
	unsigned long long ns = 0;
	char path[64];
	FILE *f;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return ns;
}

static void kill_all(const pid_t *kids, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++)
		if (kids[k] > 0)
			kill(kids[k], SIGKILL);
}

int main(int argc, char **argv)
{
	struct job j = { .mode = "mx", .iters = 10000, .size = 8, .base = 100 };
	uint32_t pairs = 1, i, dpid = 0;
	unsigned long long d0, d1;
	int rp[2], gp[2], c, bad = 0, fails = 0, status;
	pid_t kids[2 * PAIRS_MAX] = { 0 };
	struct ipc_chan a, b;
	double t0, secs;
	char ch;

	while ((c = getopt(argc, argv, "m:p:n:s:e:d:")) != -1) {
		switch (c) {
		case 'm': j.mode = optarg; break;
		case 'p': bad |= pp_parse_u32(optarg, &pairs); break;
		case 'n': bad |= pp_parse_u32(optarg, &j.iters); break;
		case 's': bad |= pp_parse_u32(optarg, &j.size); break;
		case 'e': bad |= pp_parse_u32(optarg, &j.base); break;
		case 'd': bad |= pp_parse_u32(optarg, &dpid); break;
		default: bad = 1;
		}
	}
	if (bad || optind != argc || !pairs || pairs > PAIRS_MAX || j.base + 2 * pairs > 254 ||
	    pipe(rp) || pipe(gp) || (strcmp(j.mode, "mx") && ipc_chan_make(j.mode, &a, &b))) {
		fprintf(stderr, "usage: mx_pairs [-m mx|pipe|unix|udp] [-p PAIRS] [-n ITERS] "
				"[-s SIZE] [-e BASE_EP] [-d DAEMON_PID]\n");
		return 2;
	}
	j.ready = rp[1];
	j.go = gp[0];
	if (!strcmp(j.mode, "mx")) {
		if (mx_init() != MX_SUCCESS)
			return 1;
		mx_set_error_handler(MX_ERRORS_RETURN);
	}
	for (i = 0; i < pairs; i++) {
		if (i && strcmp(j.mode, "mx") && ipc_chan_make(j.mode, &a, &b))
			return 1;
		if ((kids[2 * i] = fork()) == 0)
			_exit(side(&j, i, 0, &b));
		if ((kids[2 * i + 1] = fork()) == 0)
			_exit(side(&j, i, 1, &a));
		if (strcmp(j.mode, "mx")) /* the parent keeps no ends */
			for (int k = 0; k < 2; k++) {
				struct ipc_chan *e = k ? &b : &a;

				close(e->rd);
				if (e->wr != e->rd)
					close(e->wr);
			}
	}
	for (i = 0; i < 2 * pairs; i++)
		if (read(rp[0], &ch, 1) != 1 || ch != 'r') {
			fprintf(stderr, "mx_pairs: a process could not open or connect "
					"(endpoint limits? endpoints_per_guest, endpoint_reserve)\n");
			kill_all(kids, 2 * pairs);
			return 1;
		}
	d0 = cpu_ns((int)dpid);
	t0 = pp_now_us();
	for (i = 0; i < pairs; i++)
		if (write(gp[1], "g", 1) != 1)
			return 1;
	for (i = 0; i < pairs; i++)
		if (read(rp[0], &ch, 1) != 1 || ch != 'd')
			fails++;
	secs = (pp_now_us() - t0) / 1e6;
	d1 = cpu_ns((int)dpid);
	if (fails)
		kill_all(kids, 2 * pairs);
	while (wait(&status) > 0)
		fails += !WIFEXITED(status) || WEXITSTATUS(status);
	if (fails) {
		fprintf(stderr, "mx_pairs: %d process(es) failed\n", fails);
		return 1;
	}
	printf("pairs %u msgs %llu secs %.4f rate %.0f daemon_ns %llu\n", pairs,
	       (unsigned long long)pairs * j.iters * 2, secs, pairs * j.iters * 2 / secs, d1 - d0);
	return 0;
}
