/* SPDX-License-Identifier: MIT */
/*
 * Private state of the MXoE protocol engine, shared by mxoe_proto.c
 * (partners, sequence numbers, acks, connect, NACKs, rx dispatch),
 * mxoe_large.c (rendezvous, pulls, notify) and mxoe_peers.c (peer table,
 * host query/reply, lookups).  Not for use outside daemon/wire/.
 */
#ifndef MXW_MXOE_INT_H
#define MXW_MXOE_INT_H

#include <stddef.h>
#include <sys/queue.h>
#include "mxoe_proto.h"
#include "mxoe_timerq.h"

#define MXW_PARTNER_BUCKETS 1024u
#define MXW_RDMA_IDS 256u           /* rendezvous sends in flight per endpoint */
#define MXW_RNDV_IN_MAX 4096u       /* announced, not yet pulled, per host */
#define MXW_PULLS_MAX 1024u
#define MXW_PULL_BLOCKS_MAX 8u
#define MXW_TXBUF 16384u
/* What a wire peer can make us hold (issue 8.5/8.6): every entry below is
 * created by frames anyone on the segment can forge. */
#define MXW_PARTNERS_MAX 8192u      /* partners, all peers */
#define MXW_PARTNERS_PER_PEER 1024u
#define MXW_REASM_BYTES_MAX (8u << 20)     /* medium reassembly, all peers */
#define MXW_REASM_BYTES_PER_PEER (1u << 20)
#define MXW_EVICT_SCAN 64u          /* idle partners examined per eviction */

/* What a timer in the engine's deadline heap belongs to. */
enum mxw_timer_kind { MXW_T_ACK = 1, MXW_T_RESEND, MXW_T_CONNECT, MXW_T_LOOKUP, MXW_T_REASM,
		      MXW_T_PEER, MXW_T_PULL, MXW_T_HELD, MXW_T_ANNOUNCE };
#define MXW_TIMERS_MAX (MXW_PEERS_MAX + MXW_PULLS_MAX + 8u)

enum mxw_send_kind { MXW_SK_TINY = 1, MXW_SK_SMALL, MXW_SK_MEDIUM, MXW_SK_RNDV, MXW_SK_NOTIFY };

struct mxw_partner;

/* A message taken in order for a local endpoint that had no room for it
 * (mxoe_held.c): the frame as decoded, its payload (a medium: the whole
 * reassembled message) in 'data', 'charge' bytes of the reassembly budget. */
struct mxw_held {
	TAILQ_ENTRY(mxw_held) link;
	struct mxw_frame f;
	uint8_t *data;
	uint32_t charge;
};
TAILQ_HEAD(mxw_held_q, mxw_held);

/* One reliable message: waits in 'throttled' for window room, then in
 * 'unacked' (and on the engine's resend list) until acked or nacked. */
struct mxw_send {
	TAILQ_ENTRY(mxw_send) plink;
	TAILQ_ENTRY(mxw_send) rlink;
	struct mxw_partner *pt;
	uint8_t kind;
	bool on_resend_list;
	bool quiet;                 /* handed back to send_done */
	uint16_t seqnum;
	uint16_t mxn_seq;           /* the library's send number (MXW_MXN_SEQ_MAGIC) */
	uint64_t cookie;
	uint64_t match;
	uint32_t length;
	uint32_t send_handle;       /* RNDV */
	uint8_t rdma_id, rdma_seqnum;  /* RNDV, NOTIFY */
	uint64_t last_tx;
	uint32_t resends;
	uint32_t held_rounds;       /* resend rounds skipped: its peer is silent */
	uint8_t *data;              /* TINY/SMALL/MEDIUM copy */
};
TAILQ_HEAD(mxw_send_q, mxw_send);

/* (local endpoint, peer, remote endpoint): the unit of ordering. */
struct mxw_partner {
	LIST_ENTRY(mxw_partner) hlink;
	LIST_ENTRY(mxw_partner) peer_link;  /* the peer's partners */
	TAILQ_ENTRY(mxw_partner) alink;     /* ack-pending list */
	TAILQ_ENTRY(mxw_partner) lru_link;  /* all partners, least recently used first */
	TAILQ_ENTRY(mxw_partner) med_link;  /* reassemblies, oldest fragment first */
	TAILQ_ENTRY(mxw_partner) held_link; /* partners holding messages */
	uint64_t last_use;
	uint8_t lep;
	uint32_t lsession;
	uint16_t peer;
	uint8_t rep;
	uint32_t rsession;          /* the remote endpoint's session */
	bool rsession_known;
	bool send_ready;            /* next_send set by a handshake */
	bool ack_pending;
	bool mxn_seq;               /* its last connect frame carried MXW_MXN_SEQ_MAGIC */
	/* until then a rendezvous from it may be one announced again after its
	 * daemon restarted (mxw_large_partner_reborn): look for the pull */
	uint64_t reborn_until;
	bool moved;                 /* its remote endpoint re-announced itself elsewhere */
	uint16_t next_send, next_acked, next_recv;
	/* where this life's numbering toward it began (the start its connect
	 * frame gave): a native node took everything before it */
	uint16_t send_start;
	/* a native sender's numbering (mxoe_native.c): taken in order once
	 * in this life, or learning where it resends from until learn_until */
	bool recv_taken, learning;
	uint16_t learn_min;
	uint64_t learn_until;
	uint32_t last_send_acknum, last_recv_acknum;
	uint32_t recv_unacked;
	uint64_t ack_since;
	uint32_t inflight;
	uint32_t inflight_bytes;    /* payload of the messages in flight */
	/* the last connect request taken from the peer: a copy of it (the
	 * wire duplicated it, or the peer resent it) only gets our reply */
	bool req_seen;
	uint8_t req_cseq;
	uint32_t req_session;
	uint32_t req_inc;           /* the requester engine's incarnation, 0: unknown */
	uint64_t req_at;            /* when we took it (copies come within a bound) */
	/* the other engine's incarnation as its last connect frame we took
	 * (request or reply) gave it, 24 bits (MXW_INC_REPLY_MASK; 0:
	 * unknown), and when we took it */
	uint32_t life;
	uint64_t life_at;
	/* we connected to it (its key was right): when its daemon restarts we
	 * connect again (mxoe_life.c), as its library cannot without the key */
	bool key_known;
	uint32_t key;
	struct mxw_send_q unacked, throttled;
	/* medium reassembly of seqnum med_seq */
	bool med_active;
	uint16_t med_seq;
	uint32_t med_len, med_got;
	uint32_t med_frag;          /* the sender's fragment size, once known */
	uint64_t med_match;
	uint8_t *med_buf;
	uint32_t med_alloc;         /* bytes of med_buf, in the budgets */
	uint64_t med_bits[4];
	uint64_t med_touch;         /* last fragment: a stalled reassembly expires */
	/* taken in order but not delivered (the endpoint had no room): the
	 * last nheld before next_recv, unacked until delivered */
	struct mxw_held_q held;
	uint16_t nheld;
};
LIST_HEAD(mxw_partner_list, mxw_partner);

struct mxw_conn_req {
	TAILQ_ENTRY(mxw_conn_req) link;
	struct mxw_ep from;
	uint64_t cookie;
	bool internal;              /* ours (mxoe_life.c): no library waits for it */
	uint16_t peer;
	uint8_t rep;
	uint32_t key;
	uint8_t cseq;
	uint64_t last_tx;
	uint32_t resends, resends_max;
	uint64_t moved_from;        /* struct mxw_connect_moved, 0: none */
	uint32_t proof;
};

struct mxw_rdma_slot {              /* a rendezvous send being pulled */
	bool used;
	bool announcing;            /* its RNDV not acked yet (queued or in flight) */
	bool reannounced;           /* announced again to a receiver that lost its state */
	uint8_t seqnum;
	uint16_t mxn_seq;           /* the library's send number: announced again */
	uint32_t lsession;
	uint32_t send_handle;
	uint32_t length;
	uint64_t match;
	uint16_t peer;
	uint8_t rep;
};

struct mxw_rndv_in {                /* announced to a local endpoint */
	bool used;
	bool stale;                 /* its sender's daemon restarted: the window died */
	uint16_t mxn_seq;           /* the sender's number (0: none), finds a re-announce */
	uint32_t gen;
	struct mxw_ep to;
	uint16_t peer;
	uint8_t rep;
	uint32_t msg_length;
	uint8_t rdma_id, rdma_seqnum;
	uint16_t rdma_offset;
};

struct mxw_pull_blk {
	bool active;
	uint32_t frame_index, first_frame_offset, block_length, start, nframes, got;
	uint64_t bits[1];           /* <= 32 frames */
	uint64_t last_tx;
	uint32_t resends;
	uint32_t write_stalls;      /* the receiver's memory did not take it in time */
	uint8_t *stage;             /* the block's bytes until all arrived, or NULL */
};

struct mxw_pull {
	struct mxw_timer timer;     /* earliest block due (a lower bound) */
	bool used;
	uint32_t magic;
	TAILQ_ENTRY(mxw_pull) link;
	struct mxw_ep to;
	uint32_t pull_handle;
	uint16_t peer;
	uint8_t rep;
	uint32_t rsession;
	uint32_t rdma_id;
	uint8_t rdma_seqnum;
	uint32_t rdma_offset;
	uint32_t total, next_start, next_frame_index, done_bytes;
	/* the sender's number of the rendezvous (0: none); parked: its
	 * sender's daemon restarted, so its window died: no PULL goes out
	 * until the sender's library announces it again (then it starts over
	 * from the new window) or until parked_until (then it fails) */
	uint16_t mxn_seq;
	bool parked;
	uint64_t parked_until;
	/* every byte landed but the receiver has not taken the completion
	 * (no room in its event ring): the NOTIFY, which releases the
	 * sender's buffer, waits until it has (mxw_large_room); no_notify:
	 * its sender's partner failed or restarted meanwhile, none is owed */
	bool done_wait, no_notify;
	struct mxw_pull_blk blk[MXW_PULL_BLOCKS_MAX];
};

struct mxw_lookup {
	TAILQ_ENTRY(mxw_lookup) link;
	struct mxw_ep from;
	uint64_t cookie;
	uint64_t nic_id;            /* 0: by name */
	char name[MXW_HOSTNAME_MAX + 1];
	uint32_t name_len;
	uint64_t last_tx;
	uint32_t resends;
};

struct mxw_peer {
	struct mxw_timer timer;     /* liveness: the next probe or verdict */
	bool used;
	bool configured;            /* from the configuration: never evicted */
	uint8_t mac[6];
	uint64_t nic_id;
	uint16_t reverse_index;     /* our index in that peer's table */
	bool named;
	bool name_fixed;            /* configured: a HOST_REPLY does not rename it */
	bool geometry_noted;        /* its medium fragments told of another MTU */
	char hostname[MXW_HOSTNAME_MAX + 1];
	struct mxw_counters st;
	/* liveness: what this peer owes us (see mxw_liveness_progress) */
	uint32_t rndv_waiting;      /* rendezvous sends waiting for its NOTIFY */
	uint32_t pending;           /* our unacked sends to it + our pulls from it */
	uint64_t last_rx_us, last_probe_us;
	uint32_t probes;
	/* what else holds this index (an evictable peer holds nothing) */
	struct mxw_partner_list partners;
	uint32_t npartners, rndv_in, connecting;
	uint32_t reasm_bytes;
	uint64_t life_next;         /* mxoe_life.c: its lives looked at no sooner */
	/* mxoe_life.c: its daemon said it stops (life away_inc) with
	 * endpoints that may come back: not given up on before away_until */
	uint64_t away_until;
	uint32_t away_inc;
};

/* timer_fire() finds the owner from its timer */
_Static_assert(offsetof(struct mxw_pull, timer) == 0, "pull timer first");
_Static_assert(offsetof(struct mxw_peer, timer) == 0, "peer timer first");

struct mxw_proto {
	struct mxw_proto_params p;
	struct mxw_proto_cb cb;
	uint64_t nic_id;
	char board_name[MXW_HOSTNAME_MAX + 1];  /* what our HOST_REPLY says: "host:0" */
	uint32_t frag_max, reply_max;
	struct mxw_counters st;
	struct mxw_peer peers[MXW_PEERS_MAX];
	uint32_t npeers;            /* high-water mark of the table */
	uint32_t peers_used;
	uint64_t peer_evict_after;  /* no dynamic peer is idle enough before */
	/* every deadline: per peer (liveness), per pull, and one lower bound
	 * per FIFO list (acks, resends, reassembly) or short list (connects,
	 * lookups), which fires, runs that list's due entries, re-arms */
	struct mxw_timerq tq;
	struct mxw_timer t_ack, t_resend, t_connect, t_lookup, t_reasm, t_held;
	/* our new life told to the segment (mxoe_life.c): the next step */
	struct mxw_timer t_announce;
	uint32_t announce_step;
	struct mxw_partner_list buckets[MXW_PARTNER_BUCKETS];
	TAILQ_HEAD(, mxw_partner) lru, reasm, held;
	uint32_t npartners;
	uint64_t reasm_bytes;
	TAILQ_HEAD(, mxw_partner) ack_list;
	struct mxw_send_q resend_list;      /* by last_tx, oldest first */
	TAILQ_HEAD(, mxw_conn_req) connects;
	uint8_t next_cseq;
	uint32_t incarnation;       /* in our connect requests (MXW_MXN_SEQ_MAGIC) */
	struct mxw_rdma_slot *rdma[256];    /* per local endpoint, lazily */
	struct mxw_rndv_in *rndv_in;
	uint32_t rndv_in_hint, rndv_gen;
	struct mxw_pull *pulls;
	TAILQ_HEAD(, mxw_pull) active_pulls;
	uint32_t pull_magic;
	uint32_t pull_blocks_active;        /* over all pulls (pull_blocks_total) */
	uint8_t *blkbuf;                    /* a whole pull block, read at once */
	/* staging for blocks being pulled (pull_blocks_total of them): a
	 * block is written to the receiver's memory in one call once whole */
	uint8_t *stage_mem, **stage_free;
	uint32_t nstage_free;
	TAILQ_HEAD(, mxw_lookup) lookups;
	uint8_t txbuf[MXW_TXBUF];
};

/* mxoe_proto.c */
uint64_t mxw_now(struct mxw_proto *pr);
void mxw_head_for(struct mxw_proto *pr, struct mxw_frame *f, uint16_t peer);
int mxw_tx_frame(struct mxw_proto *pr, const struct mxw_frame *f, uint16_t peer);
struct mxw_partner *mxw_partner_find(struct mxw_proto *pr, uint8_t lep, uint16_t peer, uint8_t rep);
/* The established partner a send to (peer, endpoint, session) uses, or NULL
 * with *err = -EINVAL/-ENOTCONN/-ESTALE/-ETIMEDOUT. */
struct mxw_partner *mxw_partner_for_send(struct mxw_proto *pr, struct mxw_ep from, uint16_t peer,
					 uint8_t endpoint, uint32_t session, int *err);
int mxw_queue_send(struct mxw_proto *pr, struct mxw_partner *pt, struct mxw_send *s);
void mxw_bad_frame(struct mxw_proto *pr, int peer);
/* An explicit ack (TRUC) of what pt received. */
void mxw_send_ack(struct mxw_proto *pr, struct mxw_partner *pt);
/* Fail everything that involves 'peer' (it stopped answering). */
void mxw_peer_failed(struct mxw_proto *pr, uint16_t peer, uint8_t status);
uint8_t mxw_nack_status(uint8_t nack_type);
/* A connect request to (peer, endpoint) on behalf of 'from', resent until
 * answered or timeout_ms; 'internal': ours, its outcome told to no one. */
int mxw_connect_start(struct mxw_proto *pr, struct mxw_ep from, uint64_t cookie, uint16_t peer,
		      uint8_t endpoint, uint32_t key, uint32_t timeout_ms, bool internal);
/* Whether incarnation 'inc' (low 24 bits) is another life of pt's other
 * engine than the one its last connect frame we took came from. */
bool mxw_partner_reborn(const struct mxw_partner *pt, uint32_t inc);

/* Deliver or act on one message taken in order (f as decoded, data its
 * whole payload): 0 consumed, -EAGAIN no room now, -ESRCH endpoint gone,
 * -EINVAL it can never be taken, other -errno not now. */
int mxw_rx_take(struct mxw_proto *pr, struct mxw_partner *pt, const struct mxw_frame *f,
		const uint8_t *data);

/* mxoe_held.c: receiver-side flow control for an endpoint with no room */
/* Hold f (a medium: pt's whole reassembled message, taken over); 0 or
 * -ENOBUFS (over the budget) / -ENOMEM: then it is dropped as before. */
int mxw_held_add(struct mxw_proto *pr, struct mxw_partner *pt, const struct mxw_frame *f,
		 const uint8_t *data);
/* Deliver what pt holds, oldest first, until its endpoint is full again;
 * an ack goes out at once for what went. */
void mxw_held_release(struct mxw_proto *pr, struct mxw_partner *pt);
/* Forget what pt holds; 'rewind': next_recv goes back so the sender's
 * resends of those messages are taken again. */
void mxw_held_free(struct mxw_proto *pr, struct mxw_partner *pt, bool rewind);
/* Tell the senders of what is held that we hold it (their resend timers
 * wait); the next due, or MXW_NO_DEADLINE when nothing is held. */
uint64_t mxw_held_progress(struct mxw_proto *pr, uint64_t now);

/* mxoe_bounds.c: partner and reassembly limits, idle eviction */
bool mxw_partner_idle(const struct mxw_partner *pt);
bool mxw_peer_evictable(const struct mxw_proto *pr, uint16_t peer);
/* Room for one more partner of 'peer': 0, or -ENOSPC (counted). */
int mxw_partner_room(struct mxw_proto *pr, uint16_t peer);
void mxw_partner_linked(struct mxw_proto *pr, struct mxw_partner *pt);
void mxw_partner_unlinked(struct mxw_proto *pr, struct mxw_partner *pt);
void mxw_partner_touch(struct mxw_proto *pr, struct mxw_partner *pt);
/* Free every partner of an evictable peer. */
void mxw_peer_drop_partners(struct mxw_proto *pr, uint16_t peer);
/* Reassembly buffers: allocate within the budgets, free, expire. */
int mxw_reasm_get(struct mxw_proto *pr, struct mxw_partner *pt, uint32_t len);
void mxw_reasm_put(struct mxw_proto *pr, struct mxw_partner *pt);
/* The whole reassembled message of pt, handed over with its budget
 * charge (*charge bytes): the caller gives them back with mxw_budget_give. */
uint8_t *mxw_reasm_detach(struct mxw_proto *pr, struct mxw_partner *pt, uint32_t *charge);
/* Reassembly budget (held messages share it): 0 or -ENOBUFS (counted). */
int mxw_budget_take(struct mxw_proto *pr, uint16_t peer, uint32_t n);
void mxw_budget_give(struct mxw_proto *pr, uint16_t peer, uint32_t n);
void mxw_reasm_touch(struct mxw_proto *pr, struct mxw_partner *pt);
uint64_t mxw_reasm_progress(struct mxw_proto *pr, uint64_t now);
/* Provided by mxoe_proto.c to the eviction code. */
void mxw_partner_free(struct mxw_proto *pr, struct mxw_partner *pt);

/* mxoe_large.c */
int mxw_large_init(struct mxw_proto *pr);
void mxw_large_free(struct mxw_proto *pr);
void mxw_rx_rndv(struct mxw_proto *pr, struct mxw_partner *pt, const struct mxw_frame *f, int *ret);
void mxw_rx_notify(struct mxw_proto *pr, struct mxw_partner *pt, const struct mxw_frame *f);
void mxw_rx_pull(struct mxw_proto *pr, int peer, const struct mxw_frame *f);
void mxw_rx_pull_reply(struct mxw_proto *pr, int peer, const struct mxw_frame *f);
void mxw_rx_nack_mcp(struct mxw_proto *pr, int peer, const struct mxw_frame *f);
void mxw_rndv_send_failed(struct mxw_proto *pr, struct mxw_send *s, uint8_t status);
void mxw_large_endpoint_closed(struct mxw_proto *pr, struct mxw_ep ep);
void mxw_large_partner_failed(struct mxw_proto *pr, struct mxw_partner *pt, uint8_t status);
/* Fail everything a partner holds with status (it needs a new handshake). */
void mxw_partner_fail(struct mxw_proto *pr, struct mxw_partner *pt, uint8_t status);
/* A taken connect request to ep carrying struct mxw_connect_moved
 * (mxoe_moved.c). */
void mxw_follow_moved(struct mxw_proto *pr, int peer, struct mxw_ep ep, const struct mxw_frame *f);
/* A connect request to ep whose key is not ep's: a mover's, with the key ep
 * had connected to it with at its old place (mxoe_moved.c). */
bool mxw_moved_key_ok(struct mxw_proto *pr, int peer, struct mxw_ep ep, const struct mxw_frame *f);
void mxw_large_peer_failed(struct mxw_proto *pr, uint16_t peer, uint8_t status);
/* pt's other side is a new daemon (new incarnation, same endpoint): its
 * rendezvous windows died (our pulls from them wait for its library to
 * announce them again), and it lost our announcements its receiver had
 * not pulled yet (they go again, queued on pt). */
void mxw_large_partner_reborn(struct mxw_proto *pr, struct mxw_partner *pt);
/* A rendezvous send completed its RNDV (acked or failed). */
void mxw_rndv_announced(struct mxw_proto *pr, const struct mxw_send *s);
void mxw_rndv_requeued(struct mxw_proto *pr, const struct mxw_send *s);
/* A frame for local endpoint lep we cannot take: true when it is coming
 * back (ep_quiet), the frame then dropped in silence (counted). */
bool mxw_quiet_drop(struct mxw_proto *pr, int peer, uint8_t lep);
/* One pull's stalled blocks; its next due, or MXW_NO_DEADLINE. */
uint64_t mxw_pull_progress(struct mxw_proto *pr, struct mxw_pull *pl, uint64_t now);
/* Endpoint ep has room again: pulls whose completion it could not take
 * finish now (mxoe_large.c). */
void mxw_large_room(struct mxw_proto *pr, struct mxw_ep ep);

/* mxoe_peers.c */
int mxw_peer_by_mac(const struct mxw_proto *pr, const uint8_t mac[6]);
/* A peer met on the wire or by a connect of ours: may evict an idle
 * dynamic peer when the table is full; index or -ENOSPC (counted). */
int mxw_peer_add_dynamic(struct mxw_proto *pr, uint64_t nic_id);
void mxw_rx_host_query(struct mxw_proto *pr, const struct mxw_frame *f);
void mxw_rx_host_reply(struct mxw_proto *pr, const struct mxw_frame *f);
/* A HOST_QUERY to every host of the segment (broadcast). */
void mxw_tx_query_all(struct mxw_proto *pr);
uint64_t mxw_lookup_progress(struct mxw_proto *pr, uint64_t now);
void mxw_peer_heard(struct mxw_proto *pr, int peer);
/* Something more is owed by 'peer' / one thing less (sends, pulls). */
void mxw_peer_owes(struct mxw_proto *pr, uint16_t peer);
void mxw_peer_paid(struct mxw_proto *pr, uint16_t peer);
/* One peer's liveness: probe or give up; its next due or MXW_NO_DEADLINE. */
uint64_t mxw_liveness_progress(struct mxw_proto *pr, uint16_t peer, uint64_t now);
void mxw_liveness_arm(struct mxw_proto *pr, uint16_t peer);
/* A lower-bound deadline for one of the engine's lists. */
void mxw_timer_earlier(struct mxw_proto *pr, struct mxw_timer *t, uint64_t due);
void mxw_lookups_free(struct mxw_proto *pr);

/* mxoe_life.c: a daemon restart seen from both sides */
/* Tell the segment our new life while endpoints are coming back; the next
 * step's due, or MXW_NO_DEADLINE when done. */
uint64_t mxw_announce_progress(struct mxw_proto *pr, uint64_t now);
void mxw_announce_arm(struct mxw_proto *pr);
/* 'peer' said its engine's incarnation is 'inc' (HOST_QUERY or HOST_REPLY
 * with the magic): connect again the partners we connected to there if
 * that is a new life. */
void mxw_peer_life(struct mxw_proto *pr, uint16_t peer, uint32_t inc);
/* 'peer' said its life 'inc' stops with endpoints that may come back:
 * not given up on for pull_park_us unless another life speaks first. */
void mxw_peer_leaving(struct mxw_proto *pr, uint16_t peer, uint32_t inc);
/* A HOST_QUERY saying our life stops, to 'peer' (mxoe_peers.c). */
void mxw_tx_leaving(struct mxw_proto *pr, uint16_t peer);
void mxw_board_name_set(struct mxw_proto *pr, const char *hostname);

/* mxoe_native.c: a native Open-MX sender across our restart */
/* Whether the sequenced frame 'seq' from pt is to be dropped while we
 * learn where its sender resends from; may move pt->next_recv there. */
bool mxw_native_learn(struct mxw_proto *pr, struct mxw_partner *pt, uint16_t seq);
/* The number a delivery from pt carries to the receiving library: the send
 * number of a myrixen sender, the wire seqnum of a native one. */
void mxw_native_src(const struct mxw_partner *pt, struct mxw_src *src, uint16_t mxn_seq,
		    uint16_t wire_seq);
/* A native sender sent again what we acked: our acks may carry an acknum
 * it takes for stale.  Called before the ack goes again. */
void mxw_native_dup(struct mxw_partner *pt);
/* Ack now what every partner holds unacked (we stop). */
void mxw_acks_flush(struct mxw_proto *pr);
/* s just got its seqnum toward pt: a native node's library is told it
 * (MXN_EVT_WIRE_SEQ), to quote it if it sends s again after our restart. */
void mxw_native_told(struct mxw_proto *pr, const struct mxw_send *s);

static inline uint16_t mxw_seq_add(uint16_t s, uint16_t n)
{
	return (uint16_t)((s & MXW_SESNUM_MASK) | ((s + n) & MXW_SEQNUM_MASK));
}

static inline uint16_t mxw_seq_diff(uint16_t a, uint16_t b)
{
	return (uint16_t)((a - b) & MXW_SEQNUM_MASK);
}

/* What pt acks: everything before the messages it holds undelivered. */
static inline uint16_t mxw_ack_point(const struct mxw_partner *pt)
{
	return mxw_seq_add(pt->next_recv, (uint16_t)(0u - pt->nheld));
}

#define MXW_MIN(a, b) ((a) < (b) ? (a) : (b))

#endif /* MXW_MXOE_INT_H */
