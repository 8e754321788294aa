/* SPDX-License-Identifier: MIT */
/*
 * ipc_pingpong: kernel IPC baselines for the local benchmark
 * (bench/local_bench.sh).  Two processes ping-pong through a pipe pair, a
 * UNIX stream socket pair or UDP on loopback (ipc_chan.h), sleeping in the
 * kernel between messages; same sizes, table and CSV as shm_pingpong and
 * mx_pingpong (pingpong.h).  Latency is half the round trip.  UDP stops at
 * 65000 bytes.
 *
 *   ipc_pingpong -m pipe|unix|udp [-n ITERS] [-w WARMUP] [-s MIN] [-S MAX] [-c CSV]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ipc_chan.h"
#include "pingpong.h"

int main(int argc, char **argv)
{
	struct pp_sweep sw = { .iters = 1000, .warm = 100, .max = 4u << 20,
			       .name = "ipc_pingpong" };
	const char *mode = NULL;
	struct ipc_chan a, b;
	struct pp_link l;
	int c, bad = 0, rc, status;
	pid_t pid;

	while ((c = getopt(argc, argv, "m:n:w:s:S:c:")) != -1) {
		switch (c) {
		case 'm': mode = optarg; break;
		case 'n': bad |= pp_parse_u32(optarg, &sw.iters); break;
		case 'w': bad |= pp_parse_u32(optarg, &sw.warm); break;
		case 's': bad |= pp_parse_u32(optarg, &sw.min); break;
		case 'S': bad |= pp_parse_u32(optarg, &sw.max); break;
		case 'c': sw.csv = optarg; break;
		default: bad = 1;
		}
	}
	if (bad || !mode || optind != argc || sw.min > sw.max || ipc_chan_make(mode, &a, &b)) {
		fprintf(stderr, "usage: ipc_pingpong -m pipe|unix|udp [-n ITERS] [-w WARMUP] "
				"[-s MIN] [-S MAX] [-c CSV]\n");
		return 2;
	}
	if (a.udp && sw.max > IPC_UDP_MAX)
		sw.max = IPC_UDP_MAX;
	if (sw.min > sw.max)
		sw.min = sw.max;
	a.buf = calloc(1, sw.max + 1);
	b.buf = calloc(1, sw.max + 1);
	if (!a.buf || !b.buf)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		l = (struct pp_link){ .echo = ipc_chan_echo, .ctx = &b };
		_exit(pp_echo(&sw, &l));
	}
	l = (struct pp_link){ .round = ipc_chan_round, .ctx = &a };
	rc = pp_drive(&sw, &l);
	if (rc)
		kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	return rc || !WIFEXITED(status) || WEXITSTATUS(status) ? 1 : 0;
}
