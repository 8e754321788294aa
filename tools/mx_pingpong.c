/* SPDX-License-Identifier: MIT */
/*
 * mx_pingpong: MX latency and bandwidth sweep.
 *
 *   mx_pingpong [-e EP]                       wait for a peer (echo side)
 *   mx_pingpong -d HOST:EP [options]          drive a sweep against it
 *   mx_pingpong -b [options]                  both sides on this host (fork)
 *
 * Options: -n ITERS (per size), -w WARMUP, -s MIN, -S MAX (bytes, default
 * 0 .. 4 MiB, powers of two; any 32-bit length MX allows), -c FILE (also write CSV), -V (verify every
 * byte), -k KEY, -C (print the library's counters at the end).  Latency is half the round
 * trip; MB/s is size / latency.
 * Exit status: 0 ok, 1 MX or verification failure, 2 usage.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "myriexpress.h"
#include "pingpong.h"
#include "counters.h"

#define PP_MATCH_DATA 0x5050000000000000ull
#define PP_MATCH_END 0x454e440000000000ull
#define PP_MAX_DEFAULT (4u << 20)

struct opts {
	const char *dest;
	uint32_t ep, key, iters, warmup, min, max;
	const char *csv;
	int verify, both, counters;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: mx_pingpong [-e EP] [-d HOST:EP | -b] [-n ITERS] [-w WARMUP]\n"
		   "                   [-s MIN] [-S MAX] [-c CSV] [-V] [-k KEY] [-C]\n");
}

static int check(mx_return_t ret, const char *what)
{
	if (ret == MX_SUCCESS)
		return 0;
	fprintf(stderr, "mx_pingpong: %s: %s\n", what, mx_strerror(ret));
	return -1;
}

/* Post, wait, check status.  Returns xfer_length or -1. */
static long wait_req(mx_endpoint_t ep, mx_request_t *req, mx_status_t *st, const char *what)
{
	uint32_t result = 0;

	if (check(mx_wait(ep, req, MX_INFINITE, st, &result), what) || !result)
		return -1;
	if (st->code != MX_STATUS_SUCCESS) {
		fprintf(stderr, "mx_pingpong: %s: %s\n", what, mx_strstatus(st->code));
		return -1;
	}
	return st->xfer_length;
}

static int serve(mx_endpoint_t ep, uint32_t max)
{
	char *buf = malloc(max ? max : 1);
	mx_segment_t seg = { buf, max };
	mx_request_t req;
	mx_status_t st;
	long n;

	if (!buf)
		return 1;
	for (;;) {
		if (check(mx_irecv(ep, &seg, 1, 0, 0, NULL, &req), "irecv"))
			return 1;
		n = wait_req(ep, &req, &st, "recv");
		if (n < 0)
			return 1;
		if (st.match_info == PP_MATCH_END)
			break;
		seg.segment_length = (uint32_t)n;
		if (check(mx_isend(ep, &seg, 1, st.source, st.match_info, NULL, &req), "isend") ||
		    wait_req(ep, &req, &st, "send") < 0)
			return 1;
		seg.segment_length = max;
	}
	free(buf);
	return 0;
}

static void fill(char *p, uint32_t n, uint32_t seed)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		p[i] = (char)(i * 31u + seed);
}

/* The driver's side of one round trip (pingpong.h): the receive posted
 * first, so the echo never lands in the unexpected queue. */
struct round_ctx {
	mx_endpoint_t ep;
	mx_endpoint_addr_t peer;
	const struct opts *o;
	char *tx, *rx;
};

static int one_round(void *ctx, uint32_t size, uint32_t i)
{
	struct round_ctx *c = ctx;
	mx_segment_t ts = { c->tx, size }, rs = { c->rx, size };
	uint64_t match = PP_MATCH_DATA | size;
	mx_request_t sreq, rreq;
	mx_status_t st;

	if (c->o->verify)
		fill(c->tx, size, i);
	if (check(mx_irecv(c->ep, &rs, 1, match, MX_MATCH_MASK_NONE, NULL, &rreq), "irecv") ||
	    check(mx_isend(c->ep, &ts, 1, c->peer, match, NULL, &sreq), "isend") ||
	    wait_req(c->ep, &sreq, &st, "send") < 0 ||
	    wait_req(c->ep, &rreq, &st, "recv") != (long)size)
		return -1;
	if (c->o->verify && memcmp(c->tx, c->rx, size)) {
		fprintf(stderr, "mx_pingpong: data mismatch at %u bytes\n", size);
		return -1;
	}
	return 0;
}

static int connect_peer(mx_endpoint_t ep, const char *dest, uint32_t key, mx_endpoint_addr_t *addr)
{
	char host[MX_MAX_HOSTNAME_LEN];
	const char *colon = strrchr(dest, ':');
	uint32_t eid;
	uint64_t nic;
	int tries;

	if (!colon || colon == dest || (size_t)(colon - dest) >= sizeof(host)) {
		fprintf(stderr, "mx_pingpong: -d wants HOST:EP\n");
		return -2;
	}
	memcpy(host, dest, (size_t)(colon - dest));
	host[colon - dest] = '\0';
	eid = (uint32_t)strtoul(colon + 1, NULL, 0);
	if (check(mx_hostname_to_nic_id(host, &nic), "mx_hostname_to_nic_id"))
		return -1;
	/* The peer may still be starting: retry for a few seconds. */
	for (tries = 0; tries < 100; tries++) {
		if (mx_connect(ep, nic, eid, key, 1000, addr) == MX_SUCCESS)
			return 0;
		usleep(50000);
	}
	fprintf(stderr, "mx_pingpong: cannot connect to %s\n", dest);
	return -1;
}

static int drive(mx_endpoint_t ep, const struct opts *o)
{
	struct round_ctx c = { .ep = ep, .o = o };
	struct pp_sweep sw = { .iters = o->iters, .warm = o->warmup, .min = o->min, .max = o->max,
			       .csv = o->csv, .name = "mx_pingpong" };
	struct pp_link l = { .round = one_round, .ctx = &c };
	mx_segment_t seg = { NULL, 0 };
	mx_request_t req;
	mx_status_t st;
	int rc;

	c.tx = malloc(o->max ? o->max : 1);
	c.rx = malloc(o->max ? o->max : 1);
	if (!c.tx || !c.rx)
		return 1;
	memset(c.tx, 0x5a, o->max ? o->max : 1);
	rc = connect_peer(ep, o->dest, o->key, &c.peer);
	if (rc)
		return rc == -2 ? 2 : 1;
	if (pp_drive(&sw, &l))
		return 1;
	if (check(mx_isend(ep, &seg, 1, c.peer, PP_MATCH_END, NULL, &req), "isend end") ||
	    wait_req(ep, &req, &st, "send end") < 0)
		return 1;
	free(c.tx);
	free(c.rx);
	return 0;
}

/* ready_fd >= 0: the echo side of -b tells the driver its endpoint is open
 * (one byte; EOF means it failed), so the driver's ANY cannot take it. */
static int run(const struct opts *o, int serving, int ready_fd)
{
	mx_endpoint_t ep;
	int rc;

	if (check(mx_init(), "mx_init"))
		return 1;
	if (check(mx_open_endpoint(MX_ANY_NIC, serving ? o->ep : MX_ANY_ENDPOINT, o->key, NULL, 0, &ep),
		  "mx_open_endpoint"))
		return 1;
	if (ready_fd >= 0) {
		(void)!write(ready_fd, "r", 1);
		close(ready_fd);
	}
	rc = serving ? serve(ep, o->max) : drive(ep, o);
	if (o->counters)
		print_counters(ep);
	mx_close_endpoint(ep);
	mx_finalize();
	return rc;
}

static int both(struct opts *o)
{
	static char dest[64];
	int status = 0, rc, ready[2];
	pid_t pid;
	char c;

	fflush(stdout);
	if (pipe(ready)) {
		perror("pipe");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		close(ready[0]);
		_exit(run(o, 1, ready[1]));
	}
	close(ready[1]);
	/* Open only once the echo side holds its endpoint (see run). */
	rc = read(ready[0], &c, 1) == 1 ? 0 : 1;
	close(ready[0]);
	snprintf(dest, sizeof(dest), "localhost:%u", o->ep);
	o->dest = dest;
	if (rc)
		fprintf(stderr, "mx_pingpong: echo side could not open endpoint %u\n", o->ep);
	else
		rc = run(o, 0, -1);
	if (rc)
		kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	if (!rc && (!WIFEXITED(status) || WEXITSTATUS(status))) {
		fprintf(stderr, "mx_pingpong: echo side failed\n");
		rc = 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { .ep = 1, .key = 0x12345678, .iters = 1000, .warmup = 100,
			  .min = 0, .max = PP_MAX_DEFAULT };
	int c, bad = 0;

	while ((c = getopt(argc, argv, "e:d:n:w:s:S:c:k:VbCh")) != -1) {
		switch (c) {
		case 'e': bad |= pp_parse_u32(optarg, &o.ep); break;
		case 'd': o.dest = optarg; break;
		case 'n': bad |= pp_parse_u32(optarg, &o.iters); break;
		case 'w': bad |= pp_parse_u32(optarg, &o.warmup); break;
		case 's': bad |= pp_parse_u32(optarg, &o.min); break;
		case 'S': bad |= pp_parse_u32(optarg, &o.max); break;
		case 'c': o.csv = optarg; break;
		case 'k': bad |= pp_parse_u32(optarg, &o.key); break;
		case 'V': o.verify = 1; break;
		case 'b': o.both = 1; break;
		case 'C': o.counters = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (bad || optind != argc || o.min > o.max || o.ep > 254 ||
	    o.iters == 0 || (o.both && o.dest)) {
		fprintf(stderr, "mx_pingpong: bad arguments\n");
		usage(stderr);
		return 2;
	}
	mx_set_error_handler(MX_ERRORS_RETURN);
	if (o.both)
		return both(&o);
	return run(&o, o.dest == NULL, -1);
}
