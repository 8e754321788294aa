/* SPDX-License-Identifier: MIT */
/*
 * The seam between the core and the wire engine (daemon/wire/, MXoE).
 *
 * Core -> wire: when a command names dest_peer != MXN_PEER_SELF, or a
 * CONNECT/LOOKUP names a nic_id / hostname that is not this host, the core
 * calls struct mxd_remote_ops.  Without a wire engine (or with an op left
 * NULL) those commands complete at once with MXN_ST_BAD_ENDPOINT
 * (MXN_ST_NOT_FOUND for LOOKUP) and core_stats.remote_unavailable counts it.
 *
 * Wire -> core: the wire engine delivers into local endpoints and completes
 * the commands it took, with the mxd_remote_* functions below.  Endpoints
 * are named by (index, session), never by pointer, so a completion for an
 * endpoint that closed meanwhile is recognised (-ESRCH) and dropped safely.
 *
 * Error convention: 0 or -errno.  Ops return 0 when they took the command
 * (a completion will follow through mxd_remote_*), or -errno to make the
 * core complete it at once with mxd_remote_errno_status(err).
 * Everything runs on the daemon's single loop thread.
 */
#ifndef MXD_REMOTE_H
#define MXD_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <myrixen/abi.h>
#include "transport.h"

struct mxd_core;

/* A local endpoint as the wire engine names it. */
struct mxd_epref {
	uint8_t index;
	uint32_t session;
};

/* The sender of a message delivered from the wire (a reply address). */
struct mxd_src {
	uint16_t peer;              /* daemon peer index (!= MXN_PEER_SELF) */
	uint8_t endpoint;
	uint32_t session;
	uint64_t nic_id;
	uint16_t seq;               /* the sender's send number (abi.h MXN_SEQ_SHIFT), 0: none */
	bool wire_seq;              /* seq is a native sender's wire seqnum (MXN_EVTF_WIRE_SEQ) */
	struct mxn_wire_rdma wire_rdma; /* wire_seq, a rendezvous: the sender's window */
};

struct mxd_remote_ops {
	/* CONNECT to (nic_id, endpoint, key); answer with mxd_remote_connect_done. */
	int (*connect)(void *priv, struct mxd_epref from, uint64_t cookie,
		       const struct mxn_cmd_connect *req);
	/* Tiny or queued send.  payload/len are valid only during the call: the
	 * engine copies what it needs for retransmission.  c is the validated
	 * command copy (dest_peer, dest_endpoint, dest_session, match_info,
	 * cookie).  Answer with mxd_remote_send_done. */
	int (*send_msg)(void *priv, struct mxd_epref from, const struct mxn_cmd *c,
			const void *payload, uint32_t len);
	/* Rendezvous send of c->length bytes (flags: MXN_CMDF_SYNC).  The data
	 * stays in the guest: read it with mxd_remote_rndv_read(send_handle)
	 * when the remote pulls.  Answer with mxd_remote_rndv_done. */
	int (*send_rndv)(void *priv, struct mxd_epref from, const struct mxn_cmd *c,
			 uint32_t send_handle);
	/* The local receiver pulls 'len' bytes of a rendezvous the wire engine
	 * announced with mxd_remote_deliver_rndv (remote_ref is the engine's
	 * value).  Write the data with mxd_remote_pull_write(pull_handle) and
	 * finish with mxd_remote_pull_done. */
	int (*pull)(void *priv, struct mxd_epref to, uint64_t remote_ref, uint32_t pull_handle,
		    uint32_t len);
	/* The same for a native rendezvous an earlier daemon announced (c:
	 * the validated MXN_CMD_PULL_WIRE, which names its sender and window).
	 * -ENOTCONN while 'to' has no connection with that sender, -EPERM
	 * when the sender is not a native node, -EINVAL a window out of range. */
	int (*pull_wire)(void *priv, struct mxd_epref to, const struct mxn_cmd *c,
			 uint32_t pull_handle, uint32_t len);
	/* Resolve hostname (name_len > 0) or nic_id; answer with
	 * mxd_remote_lookup_done.  NULL = only this host resolves. */
	int (*lookup)(void *priv, struct mxd_epref from, uint64_t cookie, uint64_t nic_id,
		      const char *name, uint32_t name_len);
	/* A local endpoint closed: forget its state (retransmissions, pulls in
	 * progress); later mxd_remote_* calls for it return -ESRCH anyway. */
	void (*endpoint_closed)(void *priv, struct mxd_epref ep);
	/* An endpoint that lived on old_nic as (rep, rsession) moved to this
	 * host and connected to local endpoint 'to' with 'key', quoting its
	 * session.  -EPERM: 'to' had no such wire partner; 0: it had; 1: 'to'
	 * itself connected to it with 'key'.  commit: the move is followed
	 * (counted; what 'to' had in flight there fails MXN_ST_MOVED). */
	int (*moved_here)(void *priv, struct mxd_epref to, uint64_t old_nic, uint8_t rep,
			  uint32_t rsession, uint32_t key, bool commit);
	/* A local endpoint that refused a delivery (-EAGAIN) has room again:
	 * deliver what the engine holds for it.  Called from its poll. */
	void (*room)(void *priv, struct mxd_epref ep);
};

/* Status for an op's -errno: -ENOMEM/-ENOBUFS -> NO_RESOURCES,
 * -ETIMEDOUT -> TIMEOUT, -ENOENT -> NOT_FOUND, others -> BAD_ENDPOINT. */
uint8_t mxd_remote_errno_status(int err);

/* ---- deliveries into a local endpoint (from the wire) ----
 * 0 delivered; -EAGAIN no room now (event ring, recvq or rendezvous table
 * full: the engine holds the message, and ops->room says when the guest
 * consumed events); -ESRCH no such
 * endpoint/session; -EINVAL bad length. */
int mxd_remote_deliver_tiny(struct mxd_core *c, struct mxd_epref to, const struct mxd_src *src,
			    uint64_t match_info, const void *data, uint32_t len);
int mxd_remote_deliver_queued(struct mxd_core *c, struct mxd_epref to, const struct mxd_src *src,
			      uint64_t match_info, const void *data, uint32_t len);
/* Announce a rendezvous of 'length' bytes; flags MXN_EVTF_SYNC.  The core
 * hands the receiver a handle and calls ops->pull(remote_ref) later. */
int mxd_remote_deliver_rndv(struct mxd_core *c, struct mxd_epref to, const struct mxd_src *src,
			    uint64_t match_info, uint32_t length, uint8_t flags,
			    uint64_t remote_ref);

/* A connect re-announced the endpoint now->(endpoint, session), which had a
 * connection with local endpoint 'to' on old_nic, as living on now->nic_id
 * (peer now->peer).  The engine checked the proof; for old_nic == this host
 * the core checks the connection itself.  0: MXN_EVT_MOVED is on its way
 * to the endpoint; -EPERM refused; -ESRCH no such endpoint. */
int mxd_remote_moved(struct mxd_core *c, struct mxd_epref to, uint64_t old_nic,
		     const struct mxd_src *now);
/* A mover that lived here as (rep, rsession) connects to 'to' with 'key',
 * which is not 'to''s own: 0 when 'to' itself had connected to it here with
 * that key (a mover connects back with the key it was reached with), and
 * it is no longer open here; -EPERM otherwise, -ESRCH no such endpoint. */
int mxd_remote_moved_key(struct mxd_core *c, struct mxd_epref to, uint8_t rep, uint32_t rsession,
			 uint32_t key);

/* ---- completions of commands the engine took ---- */
int mxd_remote_connect_done(struct mxd_core *c, struct mxd_epref ep, uint64_t cookie,
			    uint8_t status, uint64_t nic_id, uint16_t peer, uint8_t endpoint,
			    uint32_t session);
/* quiet: the send was MXN_CMDF_QUIET (the guest completed it at issue),
 * so giving its sendq back rings no doorbell unless the guest waits for
 * that room (as on the local path, core.c mxd_ep_send_done). */
int mxd_remote_send_done(struct mxd_core *c, struct mxd_epref ep, uint64_t cookie,
			 uint8_t status, uint32_t xfer_length, bool quiet);
/* The send of cookie left toward a native Open-MX node under wire seqnum
 * seq: MXN_EVT_WIRE_SEQ, quiet, only if the event ring has room now
 * (-ENOSPC: not told; a resend after our restart may then reach the node
 * twice). */
int mxd_remote_wire_seq(struct mxd_core *c, struct mxd_epref ep, uint64_t cookie, uint16_t seq);
/* Read bytes of a rendezvous send (for PULL_REPLY frames): off + len must be
 * <= the send's length.  -ESRCH if the send is gone, -EFAULT guest memory. */
int mxd_remote_rndv_read(struct mxd_core *c, struct mxd_epref ep, uint32_t send_handle,
			 uint64_t off, void *buf, size_t len);
/* Finish a rendezvous send: SEND_DONE(xfer_length, status) to the guest. */
int mxd_remote_rndv_done(struct mxd_core *c, struct mxd_epref ep, uint32_t send_handle,
			 uint8_t status, uint32_t xfer_length);
/* Write pulled bytes into the receiver's region (off + len <= pull len).
 * -EAGAIN: its memory did not take them in time (a bounded copy), ask
 * again later; -EFAULT: a fault. */
int mxd_remote_pull_write(struct mxd_core *c, struct mxd_epref ep, uint32_t pull_handle,
			  uint64_t off, const void *buf, size_t len);
/* Finish a pull: PULL_DONE(xfer_length, status) to the receiver.  One of
 * status OK is published at once (it outlives us in the receiver's ring,
 * so the engine may release the sender), or, with no room for it now,
 * not taken at all: -EAGAIN (remote->room names the endpoint once it has
 * room), -EBUSY while the endpoint is quiet.  -ESRCH: no such pull. */
int mxd_remote_pull_done(struct mxd_core *c, struct mxd_epref ep, uint32_t pull_handle,
			 uint8_t status, uint32_t xfer_length);
int mxd_remote_lookup_done(struct mxd_core *c, struct mxd_epref ep, uint64_t cookie,
			   uint8_t status, uint64_t nic_id, uint16_t peer,
			   const char *name, uint32_t name_len);

#endif /* MXD_REMOTE_H */
