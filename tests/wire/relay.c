/* SPDX-License-Identifier: MIT */
/*
 * An impairment relay for MXoE tests (this kernel has no tc netem):
 * forwards EtherType 0x86DF frames between two interfaces through
 * AF_PACKET, dropping, delaying (which reorders) and duplicating them from
 * a fixed seed.
 *
 *   mxw_relay IF1 IF2 [-s SEED] [-l DROP%] [-r REORDER%] [-u DUP%] [-d DELAY_US]
 *
 * A reordered frame is held back 0.2..2 ms; a duplicate goes out twice.
 * The receive buffers are large (8 MiB) so that, even when the relay is
 * starved of CPU, the loss is mostly the seeded one; what the kernel still
 * drops is reported as 'kernel_drops'.  SIGTERM prints the counters and
 * exits 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "mxoe_wire.h"

#define HOLD_MAX 4096
#define FRAME_MAX 9216

struct held {
	uint64_t at;
	int out;
	size_t len;
	uint8_t data[FRAME_MAX];
};

static struct held *hold;
static unsigned nhold;
static volatile sig_atomic_t stop;
static uint64_t rng = 1;
static unsigned long long n_in, n_drop, n_dup, n_delay, n_out, n_overflow;

static uint32_t rnd(void)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng >> 33);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int open_if(const char *name)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(MXW_ETHERTYPE) };
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	int one = 1, rcvbuf = 8 << 20, fd;

	sll.sll_ifindex = (int)if_nametoindex(name);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "mxw_relay: no interface %s\n", name);
		exit(1);
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(MXW_ETHERTYPE));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		perror("mxw_relay: AF_PACKET");
		exit(1);
	}
	mr.mr_ifindex = sll.sll_ifindex;
	(void)setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr));
	(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

/* Frames the kernel dropped on this socket (full receive buffer). */
static unsigned long long kernel_drops(int fd)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len))
		return 0;
	return st.tp_drops;
}

static void hold_frame(int out, const uint8_t *d, size_t len, uint64_t at)
{
	if (nhold == HOLD_MAX) {
		n_overflow++;
		return;
	}
	hold[nhold].at = at;
	hold[nhold].out = out;
	hold[nhold].len = len;
	memcpy(hold[nhold].data, d, len);
	nhold++;
}

static void release_due(const int *fds)
{
	uint64_t t = now_us();

	for (unsigned i = 0; i < nhold;) {
		if (hold[i].at > t) {
			i++;
			continue;
		}
		if (send(fds[hold[i].out], hold[i].data, hold[i].len, 0) == (ssize_t)hold[i].len)
			n_out++;
		hold[i] = hold[--nhold];
	}
}

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	unsigned drop = 0, reorder = 0, dup = 0, delay = 0;
	static uint8_t buf[FRAME_MAX];
	int fds[2], c;

	while ((c = getopt(argc, argv, "s:l:r:u:d:")) != -1) {
		switch (c) {
		case 's': rng = strtoull(optarg, NULL, 0); break;
		case 'l': drop = (unsigned)atoi(optarg); break;
		case 'r': reorder = (unsigned)atoi(optarg); break;
		case 'u': dup = (unsigned)atoi(optarg); break;
		case 'd': delay = (unsigned)atoi(optarg); break;
		default: return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: mxw_relay IF1 IF2 [-s SEED] [-l DROP%%] [-r REORDER%%] "
				"[-u DUP%%] [-d DELAY_US]\n");
		return 2;
	}
	hold = calloc(HOLD_MAX, sizeof(*hold));
	fds[0] = open_if(argv[optind]);
	fds[1] = open_if(argv[optind + 1]);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	while (!stop) {
		struct pollfd p[2] = { { fds[0], POLLIN, 0 }, { fds[1], POLLIN, 0 } };

		(void)poll(p, 2, nhold ? 1 : 50);
		release_due(fds);
		for (int i = 0; i < 2; i++) {
			ssize_t n;
			unsigned budget = 64;   /* then release what is due: the hold
						 * list must not fill up after a stall */

			while (budget-- && (n = recv(fds[i], buf, sizeof(buf), 0)) > 0) {
				uint64_t at = now_us() + delay;

				n_in++;
				if (rnd() % 100 < drop) {
					n_drop++;
					continue;
				}
				if (rnd() % 100 < reorder) {
					n_delay++;
					at += 200 + rnd() % 1800;
				}
				hold_frame(1 - i, buf, (size_t)n, at);
				if (rnd() % 100 < dup) {
					n_dup++;
					hold_frame(1 - i, buf, (size_t)n, at + rnd() % 500);
				}
			}
		}
		release_due(fds);
	}
	printf("relay: in %llu out %llu dropped %llu delayed %llu duplicated %llu overflow %llu "
	       "kernel_drops %llu\n", n_in, n_out, n_drop, n_delay, n_dup, n_overflow,
	       kernel_drops(fds[0]) + kernel_drops(fds[1]));
	return 0;
}
