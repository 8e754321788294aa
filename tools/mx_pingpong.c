/* SPDX-License-Identifier: MIT */
/*
 * mx_pingpong: MX latency and bandwidth sweep.
 *
 *   mx_pingpong [-e EP]                       wait for a peer (echo side)
 *   mx_pingpong -d HOST:EP [options]          drive a sweep against it
 *   mx_pingpong -b [options]                  both sides on this host (fork)
 *
 * Options: -n ITERS (per size), -w WARMUP, -s MIN, -S MAX (bytes, default
 * 0 .. 4 MiB, powers of two), -c FILE (also write CSV), -V (verify every
 * byte), -k KEY.  Latency is half the round trip; MB/s is size / latency.
 * Exit status: 0 ok, 1 MX or verification failure, 2 usage.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "myriexpress.h"

#define PP_MATCH_DATA 0x5050000000000000ull
#define PP_MATCH_END 0x454e440000000000ull
#define PP_MAX_DEFAULT (4u << 20)

struct opts {
	const char *dest;
	uint32_t ep, key, iters, warmup, min, max;
	const char *csv;
	int verify, both;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: mx_pingpong [-e EP] [-d HOST:EP | -b] [-n ITERS] [-w WARMUP]\n"
		   "                   [-s MIN] [-S MAX] [-c CSV] [-V] [-k KEY]\n");
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
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

static uint32_t iters_for(const struct opts *o, uint32_t size)
{
	uint64_t n = o->iters;

	if (size > 65536)
		n = n * 65536 / size;
	return n < 4 ? 4 : (uint32_t)n;
}

/* One size: warm-up then timed round trips.  Returns usec per one-way. */
static int one_size(mx_endpoint_t ep, mx_endpoint_addr_t peer, const struct opts *o,
		    char *tx, char *rx, uint32_t size, double *lat)
{
	uint32_t i, n = iters_for(o, size), w = o->warmup;
	mx_segment_t ts = { tx, size }, rs = { rx, size };
	uint64_t match = PP_MATCH_DATA | size;
	mx_request_t sreq, rreq;
	mx_status_t st;
	double t0 = 0;

	for (i = 0; i < n + w; i++) {
		if (i == w)
			t0 = now_us();
		if (o->verify)
			fill(tx, size, i);
		if (check(mx_irecv(ep, &rs, 1, match, MX_MATCH_MASK_NONE, NULL, &rreq), "irecv") ||
		    check(mx_isend(ep, &ts, 1, peer, match, NULL, &sreq), "isend") ||
		    wait_req(ep, &sreq, &st, "send") < 0 ||
		    wait_req(ep, &rreq, &st, "recv") != (long)size)
			return -1;
		if (o->verify && memcmp(tx, rx, size)) {
			fprintf(stderr, "mx_pingpong: data mismatch at %u bytes\n", size);
			return -1;
		}
	}
	*lat = (now_us() - t0) / n / 2;
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
	mx_endpoint_addr_t peer;
	char *tx = malloc(o->max ? o->max : 1), *rx = malloc(o->max ? o->max : 1);
	FILE *csv = NULL;
	mx_segment_t seg = { NULL, 0 };
	mx_request_t req;
	mx_status_t st;
	uint32_t size;
	double lat;
	int rc;

	if (!tx || !rx)
		return 1;
	memset(tx, 0x5a, o->max ? o->max : 1);
	rc = connect_peer(ep, o->dest, o->key, &peer);
	if (rc)
		return rc == -2 ? 2 : 1;
	if (o->csv && !(csv = fopen(o->csv, "w"))) {
		perror(o->csv);
		return 1;
	}
	if (csv)
		fprintf(csv, "bytes,latency_us,mb_per_s\n");
	printf("%10s %12s %12s\n", "bytes", "latency(us)", "MB/s");
	for (size = o->min;;) {
		if (one_size(ep, peer, o, tx, rx, size, &lat))
			return 1;
		printf("%10u %12.2f %12.2f\n", size, lat, lat > 0 ? size / lat : 0.0);
		if (csv)
			fprintf(csv, "%u,%.3f,%.3f\n", size, lat, lat > 0 ? size / lat : 0.0);
		fflush(stdout);
		if (size >= o->max)
			break;
		size = size ? size * 2 : 1;
		if (size > o->max)
			size = o->max;
	}
	if (csv)
		fclose(csv);
	if (check(mx_isend(ep, &seg, 1, peer, PP_MATCH_END, NULL, &req), "isend end") ||
	    wait_req(ep, &req, &st, "send end") < 0)
		return 1;
	free(tx);
	free(rx);
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

static int parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long n = strtoul(s, &end, 0);

	if (!*s || *end || n > UINT32_MAX)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .ep = 1, .key = 0x12345678, .iters = 1000, .warmup = 100,
			  .min = 0, .max = PP_MAX_DEFAULT };
	int c, bad = 0;

	while ((c = getopt(argc, argv, "e:d:n:w:s:S:c:k:Vbh")) != -1) {
		switch (c) {
		case 'e': bad |= parse_u32(optarg, &o.ep); break;
		case 'd': o.dest = optarg; break;
		case 'n': bad |= parse_u32(optarg, &o.iters); break;
		case 'w': bad |= parse_u32(optarg, &o.warmup); break;
		case 's': bad |= parse_u32(optarg, &o.min); break;
		case 'S': bad |= parse_u32(optarg, &o.max); break;
		case 'c': o.csv = optarg; break;
		case 'k': bad |= parse_u32(optarg, &o.key); break;
		case 'V': o.verify = 1; break;
		case 'b': o.both = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (bad || optind != argc || o.min > o.max || o.max > (16u << 20) || o.ep > 254 ||
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
