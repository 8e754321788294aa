/* SPDX-License-Identifier: MIT */
/*
 * The MXoE protocol engine, pure: no sockets, no clock, no loop.  The
 * caller injects a clock and a transmit callback, feeds received frames to
 * mxw_proto_rx(), and calls mxw_proto_progress() when the deadline it
 * returned has passed.  Deliveries and completions go out through
 * struct mxw_proto_cb, shaped after daemon/core/remote.h so the daemon glue is
 * thin and unit tests can drive two engines against each other.
 *
 * What it does (Open-MX 1.5 semantics, done by the daemon on behalf of the
 * guest so progress never depends on the application):
 *  - connect handshake (session ids, application key; a wrong key answers
 *    MXN_ST_BAD_KEY), per-partner 14-bit sequence numbers with a 2-bit
 *    partner-session number, piggy-backed and explicit (TRUC) acks, resend
 *    on timeout, retries exhausted -> MXN_ST_TIMEOUT for the partner;
 *  - tiny/small in one frame, medium fragmented by the MTU's frag size;
 *  - large: RNDV, the receiver PULLs in blocks (several in flight), the
 *    sender answers PULL_REPLY frames, the receiver NOTIFYs at the end;
 *  - NACKs for a bad endpoint, a closed endpoint, a stale session, a pull
 *    outside the registered window; duplicates are suppressed and every
 *    partner delivers in order, exactly once.
 * A hostile frame never crashes it: it is counted (bad_frames) and dropped.
 *
 * Error convention: 0 or -errno.
 */
#ifndef MXW_MXOE_PROTO_H
#define MXW_MXOE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mxoe_wire.h"

#define MXW_PEERS_MAX 256u          /* peer table size (index 0 = this host) */
#define MXW_NO_DEADLINE UINT64_MAX
/* peer_timeout_us by default: the library's re-attach minute
 * (MYRIXEN_REATTACH_MS) and a margin, as pull_park_us */
#define MXW_PEER_TIMEOUT_MS_DEFAULT 65000u

struct mxw_proto;

/* A local endpoint: (index, session), never a pointer. */
struct mxw_ep {
	uint8_t index;
	uint32_t session;
};

/* The sender of a delivered message, as a reply address. */
struct mxw_src {
	uint16_t peer;
	uint8_t endpoint;
	uint32_t session;
	uint64_t nic_id;
	uint16_t mxn_seq;           /* the library's send number (0: none or unknown) */
	bool wire_seq;              /* mxn_seq is a native sender's wire seqnum (mxoe_native.c) */
	uint8_t rdma_id, rdma_seqnum;   /* wire_seq, a rendezvous: the sender's window */
	uint16_t rdma_offset;
};

enum mxw_delivery_kind { MXW_DELIVER_TINY = 1, MXW_DELIVER_QUEUED, MXW_DELIVER_RNDV };

struct mxw_delivery {
	enum mxw_delivery_kind kind;
	struct mxw_ep to;
	struct mxw_src src;
	uint64_t match_info;
	const void *data;           /* TINY/QUEUED: the whole message */
	uint32_t length;            /* message length (RNDV: announced length) */
	uint64_t remote_ref;        /* RNDV: quote in mxw_proto_pull() */
};

/* Counters: plain structs the control socket copies out. */
struct mxw_counters {
	uint64_t tx_frames, tx_bytes, rx_frames, rx_bytes;
	uint64_t resends;           /* message frames sent again after a timeout */
	uint64_t resends_held;      /* ...not sent: the peer left a probe unanswered */
	uint64_t pull_resends;      /* pull requests sent again */
	uint64_t pull_write_stalls; /* pulled bytes the receiver's memory did not take in time */
	uint64_t pull_done_waits;   /* pulls whose completion waited for room (NOTIFY held back) */
	uint64_t drops;             /* valid frames dropped (early, no room, stale) */
	uint64_t dups;              /* duplicates suppressed */
	uint64_t requeued;          /* in flight to a peer that lost its state, sent again */
	uint64_t quiet_drops;       /* for an endpoint coming back: dropped, not refused */
	uint64_t reannounced;       /* rendezvous announced again to a restarted daemon */
	uint64_t pulls_parked;      /* pulls whose sender's daemon restarted mid-pull */
	uint64_t pulls_retargeted;  /* ...that went on from the window announced again */
	uint64_t announces;         /* our new life told to the segment (mxoe_life.c) */
	uint64_t reconnects;        /* partners connected again: their daemon restarted */
	uint64_t leaves;            /* we stopped and told our partners' hosts (mxoe_life.c) */
	uint64_t peers_away;        /* a peer's daemon told us it stops: waited for */
	uint64_t native_resyncs;    /* a native Open-MX sender's numbering taken up (mxoe_native.c) */
	uint64_t native_repulls;    /* its rendezvous pulled again after our restart (PULL_WIRE) */
	uint64_t native_skips;      /* resends it had taken already: done, no frame (mxoe_native.c) */
	uint64_t native_untold;     /* sends to it whose seqnum the library was not told (ring full) */
	uint64_t nacks_tx, nacks_rx;
	uint64_t acks_tx, acks_rx;  /* explicit TRUC acks */
	uint64_t bad_frames;        /* malformed or hostile frames */
	uint64_t bad_rdmawin;       /* pulls outside a registered window */
	uint64_t tx_errors;         /* the transmit callback failed */
	uint64_t timeouts;          /* partners/pulls given up */
	/* bounds on what a wire peer can make us hold (mxoe_bounds.c) */
	uint64_t peers_refused;     /* a new peer found the table full of busy ones */
	uint64_t peers_evicted;     /* an idle dynamic peer made room */
	uint64_t partners_refused;  /* over MXW_PARTNERS_MAX or the per-peer cap */
	uint64_t partners_evicted;  /* an idle partner made room */
	uint64_t reasm_refused;     /* a medium fragment over the reassembly budget */
	uint64_t reasm_expired;     /* a half-done medium that stalled, freed */
	uint64_t held;              /* messages held (unacked) for an endpoint with no room */
	/* a connect re-announcing a migrated endpoint (docs/migration.md) */
	uint64_t moved_followed;    /* proved: the local endpoint was told where it went */
	uint64_t moved_refused;     /* did not prove the connection it claims (security.md) */
};

/* What the engine holds now (gauges, not counters). */
struct mxw_usage {
	uint32_t peers;             /* used entries, this host excluded */
	uint32_t partners;
	uint64_t reasm_bytes;
};

struct mxw_peer_info {
	uint64_t nic_id;
	char hostname[MXW_HOSTNAME_MAX + 1];
	bool named;
	struct mxw_counters st;
};

struct mxw_proto_cb {
	void *ctx;
	uint64_t (*now_us)(void *ctx);
	/* Transmit one frame; 0 or -errno (the engine counts a failure and
	 * relies on its resend timers). */
	int (*tx)(void *ctx, const uint8_t *frame, size_t len);
	/* Optional: a buffer of *cap bytes to encode the next frame into (NULL:
	 * use tx), then tx_commit(len) sends it.  One copy less per frame. */
	uint8_t *(*tx_buf)(void *ctx, size_t *cap);
	int (*tx_commit)(void *ctx, size_t len);
	/* The local endpoint 'index': 0 with its session and key, -ENOENT if
	 * not open, -EINVAL if the index is beyond the host's limit. */
	int (*ep_info)(void *ctx, uint8_t index, uint32_t *session, uint32_t *key);
	/* Optional: true while endpoint 'index' is coming back (re-attaching
	 * after a daemon restart or a restore) or has just come back: a frame
	 * for it we cannot take (endpoint not open, partner unknown) is then
	 * dropped in silence instead of refused, so its sender keeps resending
	 * until the endpoint and its partners are back. */
	bool (*ep_quiet)(void *ctx, uint8_t index);
	/* 0 delivered, -EAGAIN no room now (held, unacked, until
	 * mxw_proto_room() names the endpoint; dropped beyond the reassembly
	 * budget, and the sender resends), -ESRCH endpoint gone (nacked as
	 * closed), other -errno (-EBUSY: the endpoint is quiet) not now:
	 * unacked, the sender resends. */
	int (*deliver)(void *ctx, const struct mxw_delivery *d);
	void (*connect_done)(void *ctx, struct mxw_ep ep, uint64_t cookie, uint8_t status,
			     uint64_t nic_id, uint16_t peer, uint8_t endpoint, uint32_t session);
	/* Optional: the send of cookie left toward a native Open-MX node
	 * under wire seqnum seq; 0, or -errno if the library was not told. */
	int (*wire_seq)(void *ctx, struct mxw_ep ep, uint64_t cookie, uint16_t seq);
	/* quiet: as given to mxw_proto_send */
	void (*send_done)(void *ctx, struct mxw_ep ep, uint64_t cookie, uint8_t status,
			  uint32_t xfer_length, bool quiet);
	/* Rendezvous sends: read the sender's data; finish the send. */
	int (*rndv_read)(void *ctx, struct mxw_ep ep, uint32_t send_handle, uint64_t off,
			 void *buf, size_t len);
	void (*rndv_done)(void *ctx, struct mxw_ep ep, uint32_t send_handle, uint8_t status,
			  uint32_t xfer_length);
	/* Pulls: write into the receiver's region (0; -EAGAIN: its memory did
	 * not answer in time, the bytes are asked for again later; -EFAULT:
	 * the pull ends MXN_ST_BAD_REQUEST; else MXN_ST_CLOSED); finish it. */
	int (*pull_write)(void *ctx, struct mxw_ep ep, uint32_t pull_handle, uint64_t off,
			  const void *buf, size_t len);
	/* 0: the receiver has the completion, where it outlives this daemon
	 * (its event ring); -EAGAIN (a completion of status OK only): no room
	 * for it now: nothing was taken, the engine asks again once
	 * mxw_proto_room() names the endpoint (or a resend period later) and
	 * holds the NOTIFY back meanwhile, so a daemon dying in between
	 * leaves the sender's rendezvous to be announced again, never a
	 * sender released for a receive its library never saw complete;
	 * -EBUSY likewise (the endpoint is quiet: saved, or we stop). */
	int (*pull_done)(void *ctx, struct mxw_ep ep, uint32_t pull_handle, uint8_t status,
			 uint32_t xfer_length);
	void (*lookup_done)(void *ctx, struct mxw_ep ep, uint64_t cookie, uint8_t status,
			    uint64_t nic_id, uint16_t peer, const char *name, uint32_t name_len);
	/* Optional: one line about a rare event (a partner given up). */
	void (*note)(void *ctx, const char *line);
	/* Optional: a connect request to local endpoint ep re-announced the
	 * remote endpoint (rep, rsession) that lived on old_nic as living on
	 * new_nic (peer new_peer) now.  The engine checked the proof (ep's
	 * session) and, for an old_nic that is another host, that ep had a
	 * partner with that endpoint there.  For old_nic == this host the
	 * callee checks ep's local connection.  0: ep was told; -errno:
	 * refused (counted moved_refused). */
	int (*moved)(void *ctx, struct mxw_ep ep, uint64_t old_nic, uint64_t new_nic,
		     uint16_t new_peer, uint8_t rep, uint32_t rsession);
	/* A mover that lived on this host as (rep, rsession) connects to ep
	 * with a key that is not ep's: 0 when ep had connected to it here with
	 * that key (the callee's local records), -errno otherwise. */
	int (*moved_key)(void *ctx, struct mxw_ep ep, uint8_t rep, uint32_t rsession, uint32_t key);
};

struct mxw_proto_params {
	uint8_t mac[6];
	char hostname[MXW_HOSTNAME_MAX + 1];
	uint32_t mtu;               /* interface MTU: sets frag and pull-reply sizes */
	uint32_t resend_us;         /* message resend timeout */
	uint32_t resends_max;       /* connect retries when the caller gives no timeout */
	uint32_t ack_delay_us;      /* explicit ack after this without reverse traffic */
	uint32_t ack_every;         /* ...or after this many unacked receptions */
	uint32_t window;            /* sends in flight per partner (<= 4096) */
	/* ...and payload bytes in flight per partner (0: no bound; a lone
	 * message always goes).  Buffered sends complete at issue, so nothing
	 * but this keeps a sender from overrunning the receiver's queue: each
	 * message it cannot place is dropped with all behind it, and resent a
	 * resend_us later. */
	uint32_t window_bytes;
	uint32_t pull_blocks;       /* pull blocks in flight per pull */
	/* pull blocks in flight over all pulls (0: no cap).  Their replies all
	 * land in our receive ring at once: more than it holds are dropped by
	 * the kernel and each loss stalls its block for pull_resend_us. */
	uint32_t pull_blocks_total;
	/* a stalled pull block asks again for its missing frames after
	 * pull_resend_us, doubling up to pull_resend_us << pull_backoff_max */
	uint32_t pull_resend_us;
	uint32_t pull_backoff_max;
	uint32_t query_resend_us;   /* host query */
	uint32_t query_resends_max;
	/* Liveness is judged by silence, never by a count of retries: while a
	 * peer owes us anything (an ack, pull replies, the NOTIFY of a
	 * rendezvous, which can take as long as the receiving application
	 * takes) and has sent no frame at all for keepalive_us, it is probed
	 * (unicast HOST_QUERY) every keepalive_us and declared dead
	 * (MXN_ST_TIMEOUT for everything it holds) after keepalive_probes
	 * unanswered probes and peer_timeout_us of silence.  Any frame from it
	 * counts as an answer.  peer_timeout_us is what MX calls the request
	 * timeout: a daemon killed or crashed (it says nothing, unlike one
	 * that stops, mxoe_life.c) and started again within it loses nothing,
	 * as its endpoints re-attach within the library's minute. */
	uint32_t keepalive_us;
	uint32_t keepalive_probes;
	uint32_t peer_timeout_us;
	/* A dynamic peer (not configured) or a partner with nothing in flight
	 * may be evicted to make room once silent for evict_idle_us; a medium
	 * reassembly with no new fragment for reasm_timeout_us is freed (the
	 * sender resends the whole message). */
	uint32_t evict_idle_us;
	uint32_t reasm_timeout_us;
	/* a pull whose sender's daemon restarted waits this long for the
	 * sender's library to announce it again (it re-attaches within
	 * MYRIXEN_REATTACH_MS, 60 s by default), then fails */
	uint32_t pull_park_us;
	/* nonzero, new at every start (the daemon draws it at random); 0: the
	 * engine derives one from its clock */
	uint32_t incarnation;
};

/* Defaults: 20 ms resends, 250 retries, 32 pull frames per block, 4 blocks
 * per pull, 16 in all. */
void mxw_proto_params_default(struct mxw_proto_params *p);

int mxw_proto_new(const struct mxw_proto_params *p, const struct mxw_proto_cb *cb,
		  struct mxw_proto **out);
void mxw_proto_free(struct mxw_proto *pr);
/* We are stopping: tell every host where we hold a partner that our
 * endpoints may come back to the next daemon (mxoe_life.c); the frames
 * go with the caller's next flush. */
void mxw_proto_leave(struct mxw_proto *pr);

/* Medium fragment and pull-reply payload sizes in use. */
uint32_t mxw_proto_frag_max(const struct mxw_proto *pr);

/* ---- peers ---- */
/* Add (or rename) a configured peer, never evicted; returns its index
 * (>= 1) or -errno.  name may be NULL.  Peers met on the wire are dynamic:
 * when the table is full, the one silent longest with nothing in flight
 * gives its index to a newcomer (an old address naming it then fails with
 * a stale session, never reaches the newcomer's endpoints). */
int mxw_proto_peer_add(struct mxw_proto *pr, uint64_t nic_id, const char *name);
int mxw_proto_peer_by_nic(const struct mxw_proto *pr, uint64_t nic_id);
int mxw_proto_peer_get(const struct mxw_proto *pr, uint16_t peer, struct mxw_peer_info *out);
uint32_t mxw_proto_npeers(const struct mxw_proto *pr);
void mxw_proto_get_usage(const struct mxw_proto *pr, struct mxw_usage *out);
void mxw_proto_get_counters(const struct mxw_proto *pr, struct mxw_counters *out);

/* ---- commands from local endpoints (core -> wire) ---- */
int mxw_proto_connect(struct mxw_proto *pr, struct mxw_ep from, uint64_t cookie,
		      uint64_t nic_id, uint8_t endpoint, uint32_t key, uint32_t timeout_ms);
/* The same from an endpoint that moved here from moved_from (nonzero):
 * the request carries struct mxw_connect_moved with proof, the session of
 * the endpoint connected to as the mover knew it. */
int mxw_proto_connect_moved(struct mxw_proto *pr, struct mxw_ep from, uint64_t cookie,
			    uint64_t nic_id, uint8_t endpoint, uint32_t key, uint32_t timeout_ms,
			    uint64_t moved_from, uint32_t proof);
/* An endpoint that lived on old_nic (index rep, session rsession) moved to
 * this host and connected to local endpoint ep, quoting ep's session
 * (the core checked that).  -EPERM: ep had no such wire partner; 0: it had;
 * 1: ep had connected to it with 'key'.  commit: follow it (count, and
 * fail what ep has in flight to the old place MXN_ST_MOVED). */
int mxw_proto_moved_here(struct mxw_proto *pr, struct mxw_ep ep, uint64_t old_nic, uint8_t rep,
			 uint32_t rsession, uint32_t key, bool commit);
/* Tiny/small/medium: the engine copies data.  'quiet' is handed back to
 * send_done (the sender completed it at issue: its completion wakes nobody).
 * The cookie's top 16 bits are the library's send number (abi.h
 * MXN_SEQ_SHIFT), carried to partners that understand it
 * (MXW_MXN_SEQ_MAGIC); mxn_seq of a rendezvous likewise. */
int mxw_proto_send(struct mxw_proto *pr, struct mxw_ep from, uint16_t peer, uint8_t endpoint,
		   uint32_t session, uint64_t match_info, const void *data, uint32_t len,
		   uint64_t cookie, bool quiet);
/* A send the library quotes an earlier daemon's wire seqnum for
 * (MXN_CMDF_WIRE_SEQ): true when its destination is a native Open-MX node
 * that took that seqnum before this daemon's numbering began (its connect
 * reply's start): it is done, and no frame goes (mxoe_native.c). */
bool mxw_proto_native_taken(struct mxw_proto *pr, struct mxw_ep from, uint16_t peer,
			    uint8_t endpoint, uint32_t session, uint16_t wire_seq);
int mxw_proto_send_rndv(struct mxw_proto *pr, struct mxw_ep from, uint16_t peer,
			uint8_t endpoint, uint32_t session, uint64_t match_info, uint32_t len,
			uint32_t send_handle, uint16_t mxn_seq);
int mxw_proto_pull(struct mxw_proto *pr, struct mxw_ep to, uint64_t remote_ref,
		   uint32_t pull_handle, uint32_t len);
/* A native rendezvous announced to 'to' by an earlier daemon: the sender's
 * window as that announcement gave it (abi.h MXN_CMD_PULL_WIRE). */
struct mxw_wire_rndv {
	uint32_t msg_length;
	uint8_t rdma_id, rdma_seqnum;
	uint16_t rdma_offset;
};
/* Pull it from (nic_id, rep, rsession) as mxw_proto_pull would:
 * -ENOTCONN while 'to' has no handshake with that sender, -EPERM when it
 * is not a native node, -EINVAL a window out of range, -ENOBUFS. */
int mxw_proto_pull_wire(struct mxw_proto *pr, struct mxw_ep to, uint64_t nic_id, uint8_t rep,
			uint32_t rsession, const struct mxw_wire_rndv *w, uint32_t pull_handle,
			uint32_t len);
/* Resolve by name (name_len > 0) or by nic id. */
int mxw_proto_lookup(struct mxw_proto *pr, struct mxw_ep from, uint64_t cookie,
		     uint64_t nic_id, const char *name, uint32_t name_len);
void mxw_proto_endpoint_closed(struct mxw_proto *pr, struct mxw_ep ep);
/* The endpoint that refused a delivery (-EAGAIN) has room again: what is
 * held for it goes now, and its senders hear an ack at once. */
void mxw_proto_room(struct mxw_proto *pr, struct mxw_ep ep);

/* ---- input and time ---- */
/* One received frame; never fails (bad frames are counted). */
void mxw_proto_rx(struct mxw_proto *pr, const uint8_t *frame, size_t len);
/* Send due acks, resends, pull resends, query resends; fail what ran out of
 * retries.  Returns the next deadline in the clock's microseconds. */
uint64_t mxw_proto_progress(struct mxw_proto *pr);

#endif /* MXW_MXOE_PROTO_H */
