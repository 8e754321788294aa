/* SPDX-License-Identifier: MIT */
/*
 * Local transport: endpoints of processes on this host.  A UNIX
 * SOCK_SEQPACKET listener; per connection one endpoint: the daemon reads
 * struct mxn_open_req, creates the area in a sealed memfd, two eventfds
 * (kick: guest -> daemon, irq: daemon -> guest) and answers struct
 * mxn_open_rsp + SCM_RIGHTS [memfd, kick, irq].  The guest is the peer pid
 * (SO_PEERCRED); region data moves with process_vm_readv/writev on it.
 * Closing the connection closes the endpoint.
 * Error convention: 0 or -errno.
 */
#ifndef MXD_TRANSPORT_LOCAL_H
#define MXD_TRANSPORT_LOCAL_H

#include <stdint.h>

struct ev_loop;
struct mxd_core;
struct mxd_local;

/* Restarts, and pair hand-overs (myrixenctl counters, "local"). */
struct mxd_local_stats {
	uint64_t claims_kept;       /* endpoints of the previous daemon kept at start */
	uint64_t eps_reattached;    /* ... that their process re-attached */
	uint64_t claims_expired;    /* ... given up, not re-attached in time */
	uint64_t reattach_refused;  /* re-attach requests refused (not the holder, bad area) */
	uint64_t pairs_proc;        /* pair channels handed over with each peer's
				     * process: rendezvous in the channel (pair.h) */
};

/* Create the parent directory, bind and listen on 'path' (a stale socket
 * file is replaced), start accepting. */
int mxd_local_start(struct mxd_core *core, struct ev_loop *loop, const char *path,
		    struct mxd_local **out);
/* Close the listener and every local endpoint; unlink the socket.  The
 * endpoints are quiesced first and their claims kept, for a restart. */
void mxd_local_stop(struct mxd_local *l);
void mxd_local_get_stats(const struct mxd_local *l, struct mxd_local_stats *out);

#endif /* MXD_TRANSPORT_LOCAL_H */
