/* SPDX-License-Identifier: MIT */
/*
 * Kernel IPC channels for the baselines (bench/ipc_pingpong, bench/mx_pairs):
 * a pipe pair, a UNIX stream socket pair or two UDP sockets on loopback,
 * made before a fork, one end per process.  Both sides sleep in the kernel
 * between messages.  A 0-byte message is one byte on streams (they have no
 * records); UDP stops at IPC_UDP_MAX bytes.
 */
#ifndef BENCH_IPC_CHAN_H
#define BENCH_IPC_CHAN_H

#include <netinet/in.h>
#include <stdint.h>

#define IPC_UDP_MAX 65000u

struct ipc_chan {
	int rd, wr;                 /* this side's ends */
	struct sockaddr_in peer;    /* udp */
	int udp;
	char *buf;                  /* the side's message buffer (ipc_chan_link) */
};

/* Both sides' channels for mode "pipe", "unix" or "udp".  0 or -1. */
int ipc_chan_make(const char *mode, struct ipc_chan *a, struct ipc_chan *b);
/* One message of len bytes from or into buf.  0 or -1. */
int ipc_chan_put(struct ipc_chan *c, char *buf, uint32_t len);
int ipc_chan_get(struct ipc_chan *c, char *buf, uint32_t len);
/* pingpong.h callbacks over c->buf: put then get, get then put. */
int ipc_chan_round(void *c, uint32_t size, uint32_t i);
int ipc_chan_echo(void *c, uint32_t size);

#endif /* BENCH_IPC_CHAN_H */
