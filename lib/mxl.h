/* SPDX-License-Identifier: MIT */
/*
 * libmyrixen internals: the bodies of the opaque MX objects and the calls
 * between the library's files.  Nothing here is exported (the version
 * script exports mx_* only, and everything is built -fvisibility=hidden).
 *
 * Error convention: internal functions return 0 or -errno; the public
 * mx_* entry points translate to mx_return_t in exactly one place each
 * (mxl_ret / mxl_error).
 *
 * Locking: one recursive mutex per endpoint, held by every public call on
 * that endpoint (recursive so an unexpected handler may call mx_irecv).
 * Blocking waits drop it while they sleep: at most one of them sleeps on
 * the doorbell, the others on ep->cond (wait.c); whoever changes what a
 * waiter may be waiting for calls mxl_wake_waiters().
 */
#ifndef MXL_H
#define MXL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "myriexpress.h"
#include "mx_extensions.h"
#include "myrixen/abi.h"
#include "myrixen/layout.h"
#include "myrixen/pair.h"
#include "proc_id.h"
#include "myrixen/ring.h"
#include "myrixen/spin.h"
#include "classify.h"
#include "fbell.h"
#include "list.h"
#include "match.h"
#include "sendq.h"
#include "seqtrack.h"
#include "transport.h"

#define MXL_EXPORT __attribute__((visibility("default")))

enum mxl_req_kind {
	MXL_REQ_SEND = 1,
	MXL_REQ_RECV = 2,
	MXL_REQ_CONNECT = 3,
	MXL_REQ_LOOKUP = 4,
	MXL_REQ_DISCARD = 5,    /* internal pull of 0 bytes releasing a rendezvous */
	MXL_REQ_ZOMBIE = 6,     /* holds the sendq of a send completed at issue */
};

/* Buffered sends completed at issue whose sendq chunk the daemon still
 * holds (Open-MX's bounded "zombie" sends); beyond this, sends complete on
 * SEND_DONE again. */
#define MXL_ZOMBIES_MAX 1024u
/* mx_close_endpoint waits at most this long for them to reach the daemon
 * and be answered (a send completed at issue must not vanish at close). */
#define MXL_CLOSE_FLUSH_MS 2000u

/* mxl_req.state bits */
#define MXL_RS_DONE 0x01u       /* status final, queued on ep->done */
#define MXL_RS_FORGOTTEN 0x02u  /* nobody will test it: free at completion */
#define MXL_RS_POSTED 0x04u     /* receive in the matcher */
#define MXL_RS_BACKLOG 0x08u    /* command waiting for ring/sendq room */
#define MXL_RS_INFLIGHT 0x10u   /* command issued, cookie registered */
#define MXL_RS_BUFFERED 0x20u   /* send buffers may be reused */
#define MXL_RS_INTERNAL 0x40u   /* the library's own (blocking connect, lookup):
				 * never on ep->done, never seen by peek/test_any */
#define MXL_RS_RETRY 0x80u      /* connect waiting on ep->retry for its next try */
#define MXL_RS_SENDWAIT 0x100u  /* send waiting on ep->send_wait for rendezvous room */
#define MXL_RS_REANNOUNCE 0x200u /* pull on ep->reannounce: its rendezvous died with
				  * the daemon; waits for the sender's resend */
#define MXL_RS_RESEND 0x400u    /* send on ep->resend: its peer is not back yet */
#define MXL_RS_SELFFREE 0x800u  /* the library's re-connect: freed at completion */
#define MXL_RS_PAIR_RNDV 0x1000u /* send announced in a pair channel, on its
				  * rndv_out until the FIN (pair_rndv.c) */

#define MXL_NIC_PAST 4u
#define MXL_ROUTES 64u
#define MXL_PEER_MAP 256u  /* remote hosts' numbers in the daemon now (peermap.c) */

/* Where a peer endpoint named (from_nic, endpoint, session) is now (route.c). */
struct mxl_route {
	uint64_t from_nic, to_nic;
	uint32_t session;
	uint16_t peer;          /* this daemon's index of to_nic's host */
	uint16_t peer_hint;     /* the index the old address carried */
	uint8_t endpoint;
	bool used;
};

/* An address as mx_endpoint_addr_t carries it (see addr.c). */
struct mxl_addr {
	uint64_t nic_id;
	uint32_t session;
	uint16_t peer;
	uint16_t owner;         /* serial of the local endpoint that made it */
	uint8_t endpoint;
	bool valid;
};

/* A destination a send completed at issue could not reach (dest_fail.c). */
#define MXL_DEST_FAIL_MAX 8u
struct mxl_dest_fail {
	uint64_t nic_id;
	uint32_t session;
	uint8_t endpoint;
	mx_status_code_t code;  /* MX_STATUS_SUCCESS: free slot */
};

#define MXL_IOV_INLINE 2
/* Requests an endpoint keeps for reuse (request.c) */
#define MXL_REQ_CACHE_MAX 64u
#define MXL_UNEXP_QUEUE_MAX_DEFAULT (64u << 20)

struct mxl_req {
	struct mxl_req *cache_next; /* ep->req_cache while recycled */
	struct mxl_list link;   /* ep->backlog while MXL_RS_BACKLOG (or retry, reannounce,
				 * resend lists, by state) */
	struct mxl_list fl_link;/* ep->inflight (issue order) while it holds a cookie */
	struct mxl_list done_link; /* ep->done while DONE and not forgotten */
	struct mxl_posted posted;  /* matcher while MXL_RS_POSTED */
	struct mx_endpoint *ep;
	uint32_t kind;          /* enum mxl_req_kind */
	uint32_t state;         /* MXL_RS_* */
	uint32_t cookie_idx;
	uint32_t cookie_gen;
	mx_status_t status;
	struct mxl_iov *iov;
	struct mxl_iov iov_inline[MXL_IOV_INLINE];
	uint32_t niov;
	uint64_t total;         /* bytes described by iov */
	/* send */
	struct mxl_addr dest;
	uint32_t cls;           /* enum mxl_class */
	bool sync;
	/* sendq chunk and region held until the completing event */
	bool sq_held;
	uint32_t sq_id;
	void *region;
	bool rndv_held;         /* counted in the rendezvous room (issue.c) */
	uint64_t rndv_charge;   /* ... for this many bytes */
	uint16_t seq;           /* send: its number; receive: the rendezvous' number */
	void *own_buf;          /* send: the library's copy of the payload, freed
				 * with the request (pair.c resend_unconsumed) */
	bool resent;            /* send: sent again after a re-attach */
	bool pair_counted;      /* send: counted in the pair order (pair.h) */
	bool pair_held;         /* send: waited for its Xen pair peer (pair.c) */
	uint16_t pair_seq;      /* ... with this count: a resend keeps it */
	/* send toward a native Open-MX node: the wire seqnum the daemon of
	 * ep->life wire_life gave it (MXN_EVT_WIRE_SEQ), quoted when sent
	 * again to the next one (MXN_CMDF_WIRE_SEQ) */
	bool wire_seq_known;
	uint16_t wire_seq;
	uint32_t wire_life;
	uint64_t issue_no;      /* order of first issue: resends keep it */
	bool follow_hold;       /* send in flight to where its peer was (route.c) */
	bool map_peer;          /* lookup: a remote host's number in the daemon now (peermap.c) */
	bool resend_open;       /* resent after a re-attach, its SEND_DONE not seen (peermap.c) */
	/* windowed rendezvous (send or pull, abi.h): the region describes the
	 * window at win_off; win_pending: REGION_NEXT still to issue */
	uint64_t cookie_sent;   /* the cookie as the command carried it */
	uint32_t win_off;
	bool win_pending;
	bool windowed;          /* counted in mxl_windows (issue.c) */
	/* receive of a rendezvous (and a pair-channel one's send: its handle) */
	uint32_t rndv_handle;
	uint64_t rndv_at;       /* pair-channel send: when announced (pair_nap.c) */
	uint32_t pull_len;
	struct mxl_wire_rndv wire; /* from a native node: pulled again after a re-attach */
	/* single copy done by us (pull_direct.c): PULL_FIN owed to the daemon */
	bool fin_pending;
	uint8_t fin_status;
	uint32_t fin_len;
	/* connect / lookup */
	uint64_t nic_id;
	uint32_t key;
	uint32_t timeout_ms;
	uint64_t deadline_ns;   /* connect: keep trying until then (0 = once) */
	uint64_t retry_at_ns;   /* connect: next try while MXL_RS_RETRY */
	uint32_t retry_ms;      /* connect: current back-off */
	uint8_t remote_ep;
	uint64_t moved_from;    /* connect: re-announce, we lived on it (reattach.c) */
	uint32_t proof;         /* ... quoting this session of the peer */
	/* Not cleared when a request is reused (mxl_req_get): written before
	 * they are read. */
	/* the command as issued (sends), to send again after a re-attach */
	struct mxn_cmd cmd;
	/* lookup (mxl_req_new only) */
	char name[MXN_HOSTNAME_MAX + 1];
};

union mx_request {
	struct mxl_req r;
};

struct mxl_cookie_slot {
	struct mxl_req *req;
	uint32_t gen;
	uint32_t next_free;
};

enum mxl_counter {
	MXL_CNT_SEND_TINY, MXL_CNT_SEND_SMALL, MXL_CNT_SEND_MEDIUM, MXL_CNT_SEND_LARGE,
	MXL_CNT_RECV, MXL_CNT_RECV_UNEXP, MXL_CNT_RECV_TRUNCATED, MXL_CNT_PULL,
	MXL_CNT_BACKLOG, MXL_CNT_BAD_EVENT, MXL_CNT_SLEEP, MXL_CNT_KICK, MXL_CNT_UNEXP_STALL,
	MXL_CNT_CONNECT_RETRY, MXL_CNT_SEND_WAIT,
	MXL_CNT_PAIR_SEND, MXL_CNT_PAIR_RECV, MXL_CNT_PAIR_BELL, MXL_CNT_PAIR_FAULT,
	MXL_CNT_ZOMBIE_FAILED,
	MXL_CNT_REATTACH, MXL_CNT_RESENT, MXL_CNT_DUP_DROPPED,
	MXL_CNT_WINDOW,
	MXL_CNT_PAIR_KEPT, MXL_CNT_MOVED,
	MXL_CNT_FUTEX_SLEEP, MXL_CNT_PAIR_IDLE_WAKE,
	MXL_CNT_PREGRANTED,
	MXL_CNT_PULL_STAGED, MXL_CNT_SEND_STAGED,
	MXL_CNT_FOLLOWED, MXL_CNT_MOVED_HELD,
	MXL_CNT_PAIR_SHIM_BELL, MXL_CNT_PAIR_RESTORED, MXL_CNT_MOVE_TOLD,
	MXL_CNT_PEER_REMAP, MXL_CNT_RESEND_HELD,
	MXL_CNT_PAIR_RESENT, MXL_CNT_PAIR_DAEMON_HELD,
	MXL_CNT_PAIR_RNDV_SENT, MXL_CNT_PAIR_RNDV_COPIED, MXL_CNT_PAIR_RNDV_FAILED,
	MXL_CNT_PAIR_FIN_NAP, MXL_CNT_PAIR_NAP_MISS, MXL_CNT_PAIR_FIN_QUIET, MXL_CNT_PAIR_FIN_BELL,
	MXL_CNT_WIRE_REPULL, MXL_CNT_WIRE_CONNECT_BACK, MXL_CNT_WIRE_DUP,
	MXL_CNT_MAX
};
extern const char *const mxl_counter_names[MXL_CNT_MAX];

/*
 * A pair channel with one local peer endpoint (pair.h, pair.c).  The peer
 * is hostile: everything read from rx is bounded and copied first.
 */
struct mxl_pair {
	uint32_t id;
	uint8_t peer_ep;
	uint32_t peer_session;
	void *area;
	size_t area_size;
	struct mxn_pair_layout lay;
	struct mxn_ring tx, rx;         /* we produce tx, consume rx */
	struct mxn_pair_slot *tx_slots, *rx_slots;
	uint8_t *tx_data, *rx_data;
	uint32_t *tx_end;               /* data position after each tx slot */
	uint32_t data_head;             /* tx data, free-running bytes */
	uint32_t data_tail;             /* tx data the peer released */
	uint32_t tx_cons;               /* last sane cons the peer showed us */
	uint32_t tx_pushed;             /* last prod we published */
	uint32_t tx_prod_at_d;          /* our prod when we last sent to the peer
					 * through the daemon (issue.c) */
	uint32_t rx_published;          /* the last cons we published */
	int rx_bell, tx_bell;
	struct mxl_pair_chan chan;      /* pair_attach transports: the channel */
	bool attached;                  /* chan is set (pair_attach) */
	bool tx_off;                    /* Xen side 0: no sends before PAIR_OPEN */
	struct mxn_pair_xen xdesc;      /* Xen: what we granted (side 0) or mapped */
	uint8_t xside;                  /* Xen: we are side 0 (granted) or 1 (mapped) */
	bool broken;                    /* peer broke the rules: report, free */
	bool lost;                      /* ... or our guest was restored: free
					 * without a report (no one broke them) */
	bool survivor;                  /* from before a re-attach: kept when the
					 * new daemon brokers this peer again */
	bool room_wait;                 /* cons_event armed: woken by rx_bell */
	uint32_t idle_wakes;            /* futex wake-ups from the peer since
					 * its last message (fbell.c bounds it) */
	uint32_t rx_prod_armed;         /* the peer's prod our last arm saw: a
					 * futex sleep waits for it to move */
	/* Rendezvous in the channel (pair.h "Rendezvous", pair_rndv.c) */
	bool proc;                      /* we hold the peer's process: we take them */
	pid_t peer_pid;
	struct mxc_proc_id peer_id;     /* the peer as the daemon's fds showed it */
	uint32_t rndv_next;             /* our next rendezvous handle */
	struct mxl_list rndv_out;       /* our sends announced, waiting for a FIN */
	struct mxn_pair_fin *fin_wait;  /* FINs waiting for tx room, in order */
	uint32_t nfin_wait, fin_cap;
	/* FIN naps (pair_nap.c): as sender, when the peer's FINs come ... */
	uint64_t fin_last_ns;           /* its done_ns of the last FIN (0: none usable) */
	uint32_t fin_rate[4];           /* ns per MiB of its last back-to-back copies */
	uint32_t fin_nrate;             /* samples taken (the ring's index) */
	uint32_t nap_handle;            /* the send our last nap waited for ... */
	bool nap_valid;                 /* ... if that nap has not seen a FIN since */
	uint32_t nap_miss;              /* naps in a row that ended before it */
	bool nap_cut;                   /* that nap was cut to MXL_NAP_MAX_NS */
	bool fin_quiet;                 /* this sleep asks for no FIN bell */
	/* ... and as receiver, what a napping peer is owed */
	bool tx_msg_unpushed;           /* a slot other than a FIN since the last push */
	bool bell_owed;                 /* a FIN pushed without its bell */
};

/* The seq of the rx slot we expect next.  Acquire pairs with the peer's
 * release in slot_publish (pair.c): the slot's other bytes, and the data
 * queue bytes it names, are visible once this load returns its index. */
static inline uint32_t mxl_pair_rx_seq(const struct mxl_pair *p)
{
	return atomic_load_explicit(MXN_ATOMIC(&p->rx_slots[p->rx.cons_pvt & p->rx.mask].seq),
				    memory_order_acquire);
}

/* The rx slot we expect next under pair.h's slot rule: the fast path's only
 * read of the peer's memory (one cache line, the slot itself). */
static inline enum mxn_pair_seq mxl_pair_rx_state(const struct mxl_pair *p)
{
	return mxn_pair_seq_state(mxl_pair_rx_seq(p), p->rx.cons_pvt, mxn_ring_slots(&p->rx));
}

/*
 * What we know of one local peer endpoint index (pair.h "Order"): counts of
 * the messages of each path, both ways, for the incarnation 'session'.
 */
struct mxl_lpeer {
	uint32_t session;
	uint32_t tx_d, rx_d;            /* daemon-path sends to / arrivals from */
	uint32_t tx_p, rx_p;            /* pair-channel sends to / arrivals from */
	struct mxl_pair *pair;          /* live channel, or NULL */
};

struct mx_endpoint {
	pthread_mutex_t lock;
	struct mx_endpoint *next_open;      /* global list */
	struct mxl_transport t;
	struct mxn_open_rsp info;           /* nic_id, session, index, medium_max, hostname */
	struct mxn_layout lay;
	struct mxn_ring cmd, evt;
	struct mxn_cmd *cmd_slots;
	struct mxn_evt *evt_slots;
	uint8_t *sendq;
	const uint8_t *recvq;
	uint32_t medium_max;
	uint32_t key;
	struct mxl_sendq sq;
	struct mxl_matcher m;
	struct mxl_list backlog;
	struct mxl_list done;
	struct mxl_list claimed;            /* unexpected messages taken by mx_iclaim */
	struct mxl_cookie_slot *cookies;
	uint32_t ncookies, cookie_free;     /* free list head, UINT32_MAX = empty */
	int wake_fd;
	_Atomic uint32_t wake_gen;          /* bumped by each mx_wakeup */
	/* Waiters (wait.c): one sleeps on the doorbell, the rest on cond. */
	pthread_cond_t cond;
	uint32_t ncond_waiters;
	bool doorbell_sleeper;              /* a thread sleeps in t.ops->wait */
	bool nudged;                        /* wake_fd written to rouse that thread */
	/* The doorbell sleeper waits on futex words (fbell.c), not on the
	 * transport: mx_wakeup then wakes wake_gen, a nudge nudge_word. */
	_Atomic bool fbell_sleeping;
	_Atomic uint32_t nudge_word;
	bool fbell_off;                     /* this wait sleeps on the transport */
	uint32_t fbell_unexplained;         /* EAGAINs with every word unmoved */
	struct mxl_fbell fbell;
	uint16_t serial;                    /* owner tag of the addresses we hand out */
	/* Context ids (MX_PARAM_CONTEXT_ID): bits of match_info naming a context. */
	uint64_t ctxid_mask;
	struct mxl_list retry;              /* connects waiting for their next try */
	struct mxl_list send_wait;          /* sends waiting for rendezvous room, in order */
	uint32_t rndv_max;                  /* daemon's limits (area header), 0 = not told */
	uint64_t registered_max;
	uint32_t rndv_inflight;             /* our SEND_RNDV issued, not yet done */
	/* Surviving the daemon (reattach.c): */
	struct mxl_list inflight;           /* requests holding a cookie, in issue order */
	struct mxl_list reannounce;         /* pulls waiting for a resent rendezvous */
	struct mxl_list resend;             /* sends waiting for their peer to come back */
	struct mxl_seqtrack *seqs;          /* per-connection numbers, duplicate filter */
	/* nic ids this endpoint lived on before its guest moved here (live
	 * migration): addresses naming them name this host now (reattach.c) */
	uint64_t nic_past[MXL_NIC_PAST];
	uint32_t nnic_past;
	struct mxl_conn_rec *conns;         /* connections to re-establish */
	uint32_t nconns, conns_cap;
	struct mxl_conn_rec *told;          /* after a move: peers that only connected to us */
	uint32_t ntold;
	uint64_t moved_from;                /* re-connects re-announce: we lived on it */
	struct mxl_route routes[MXL_ROUTES]; /* peers that moved, or stayed (route.c) */
	uint32_t route_next;
	uint32_t follow_inflight;           /* sends to an old place still in flight */
	/* after a re-attach (peermap.c): the daemon's number of each remote
	 * host by nic id (addresses carry an older daemon's), and how many
	 * resent sends have not completed (newer ones to their peer wait) */
	struct mxl_peer_map {
		uint64_t nic_id;
		uint64_t asked_ns;  /* lookup sent then (0: none out) */
		uint16_t peer;
		bool known;
	} *pmap;
	uint32_t npmap;
	uint32_t nresend_open;
	bool pmap_on;
	bool lost;                          /* the transport went away: try to re-attach */
	bool reattaching;                   /* draining and re-attaching: issue nothing */
	bool pair_survivors;                /* channels from before it, not yet claimed */
	uint64_t settle_until_ns;           /* peers may still be re-attaching until then */
	uint32_t life;                      /* re-attaches so far: a rendezvous handle's daemon */
	uint64_t resend_at_ns;              /* next try of ep->resend */
	uint64_t issue_ctr;                 /* numbers first issues (issue_no) */
	uint32_t request_timeout_ms;        /* mx_set_request_timeout(ep, NULL, ms) */
	bool dead;
	bool in_handler;
	bool in_progress;
	bool progression_disabled;
	bool pull_direct;                   /* PULLs ask for MXN_EVT_PULL_GRANT */
	bool pull_staged;                   /* PULLs ask for MXN_EVT_PULL_DATA */
	bool send_staged;                   /* wire rendezvous sends may be staged */
	uint32_t features;                  /* the daemon's MXN_AREAF_* (area header) */
	uint32_t region_window;             /* transport.h region_window (0: none) */
	uint32_t idle_polls;
	mx_unexp_handler_t unexp_handler;
	void *unexp_ctx;
	mx_matching_callback_t unexp_cb;    /* mx_register_unexp_callback */
	void *unexp_cb_ctx;
	mx_error_handler_t error_handler;   /* NULL = global one */
	uint32_t unexp_queue_max;           /* bytes; beyond it arrivals wait in the ring */
	uint64_t unexp_bytes;               /* buffered unexpected payload + records */
	bool unexp_stalled;                 /* the ring head waits for a receive */
	uint64_t counters[MXL_CNT_MAX];
	struct mxn_spin spin;                /* MYRIXEN_SPIN_US under the spin rule */
	uint32_t nzombies;                   /* MXL_REQ_ZOMBIE in flight */
	struct mxl_dest_fail dest_fail[MXL_DEST_FAIL_MAX];
	uint32_t dest_fail_next;
	bool flushing;                       /* closing: waits for the zombies */
	struct mxl_lpeer lp[MXN_ENDPOINTS_MAX];
	struct mxl_pair *pairs[MXN_PAIRS_MAX]; /* live channels, dense */
	uint32_t npairs;
	uint32_t fault_pending[8];      /* PAIR_FAULT reports not yet issued */
	uint32_t nfault_pending;
	struct mxl_req *req_cache;      /* freed requests kept for reuse (lock held) */
	uint32_t nreq_cache;
	struct mxn_pair_xen xen_ans[8];      /* MXN_CMD_PAIR_XEN not yet issued */
	uint32_t nxen_ans;
};

/* ---- library state (init.c) ---- */
int mxl_initialized(void);
void mxl_global_lock(void);
void mxl_global_unlock(void);
struct mx_endpoint *mxl_first_endpoint(void);
bool mxl_several_endpoints(void);
void mxl_register_endpoint(struct mx_endpoint *ep);
void mxl_unregister_endpoint(struct mx_endpoint *ep);

/* ---- errors (error.c) ---- */
/* Report ret through the endpoint's or the global error handler. */
mx_return_t mxl_error(struct mx_endpoint *ep, const char *fn, mx_return_t ret);
mx_return_t mxl_errno_to_ret(int err);
mx_status_code_t mxl_status_from_mxn(uint8_t st);

/* ---- addresses (addr.c) ---- */
void mxl_addr_pack(const struct mxl_addr *a, mx_endpoint_addr_t *out);
bool mxl_addr_unpack(const mx_endpoint_addr_t *in, struct mxl_addr *a);
void mxl_addr_from_source(const struct mx_endpoint *ep, const struct mxl_source *s,
			  mx_endpoint_addr_t *out);
void mxl_addr_contexts_clear(void);
/* Context ids: does the mask select exactly one context? */
static inline bool mxl_ctxid_ok(const struct mx_endpoint *ep, uint64_t mask)
{
	return (ep->ctxid_mask & ~mask) == 0;
}

/* ---- requests (request.c) ---- */
struct mxl_req *mxl_req_new(struct mx_endpoint *ep, uint32_t kind, void *context);
/* The same from the endpoint's cache, and back to it (lock held, both). */
struct mxl_req *mxl_req_get(struct mx_endpoint *ep, uint32_t kind, void *context);
void mxl_req_put(struct mxl_req *r);
/* A send's number to its peer, taken once: a send issued again, through
 * the daemon or a pair channel, keeps it (request.c). */
uint16_t mxl_req_send_seq(struct mx_endpoint *ep, struct mxl_req *r);
void mxl_req_cache_drop(struct mx_endpoint *ep);
int mxl_req_set_iov(struct mxl_req *r, const mx_segment_t *segs, uint32_t n);
void mxl_req_free(struct mxl_req *r);
void mxl_req_complete(struct mxl_req *r, mx_status_code_t code);
void mxl_req_release_resources(struct mxl_req *r);
/* Only the sendq chunk and the region (a window handed back). */
void mxl_req_release_region(struct mxl_req *r);
/* Unregister the request's cookie only (its sendq chunk and region stay). */
void mxl_cookie_drop(struct mx_endpoint *ep, struct mxl_req *r);
int mxl_cookie_get(struct mx_endpoint *ep, struct mxl_req *r, uint64_t *cookie);
struct mxl_req *mxl_cookie_take(struct mx_endpoint *ep, uint64_t cookie);
void mxl_scatter(const struct mxl_iov *iov, uint32_t niov, const uint8_t *src, uint32_t len);
/* The same, starting at byte off of the buffer the iovecs describe; what
 * falls past their end is left out. */
void mxl_scatter_at(const struct mxl_iov *iov, uint32_t niov, uint64_t off, const uint8_t *src,
		    uint32_t len);
void mxl_gather(uint8_t *dst, const struct mxl_iov *iov, uint32_t niov);

/* ---- endpoint engine (progress.c, issue.c, wait.c) ---- */
void mxl_progress(struct mx_endpoint *ep);
/* Would mxl_progress find nothing to do?  A few loads (lock held). */
bool mxl_progress_quiet(const struct mx_endpoint *ep);
/* mxl_progress without that look (the caller just saw work). */
void mxl_progress_full(struct mx_endpoint *ep);
void mxl_flush(struct mx_endpoint *ep);
void mxl_fail_all(struct mx_endpoint *ep, mx_status_code_t code);
/* Issue or backlog the request's command. */
void mxl_submit(struct mx_endpoint *ep, struct mxl_req *r);
void mxl_issue_backlog(struct mx_endpoint *ep);
/* Issue the sends waiting for rendezvous room that fit now (in order). */
void mxl_send_wait_drain(struct mx_endpoint *ep);
/* dest_fail.c: a zombie's failure makes later sends to its address fail. */
void mxl_dest_fail_note(struct mx_endpoint *ep, const struct mxl_addr *dest, mx_status_code_t code);
mx_status_code_t mxl_dest_failed(const struct mx_endpoint *ep, const struct mxl_addr *dest);
void mxl_send_wait_del(struct mxl_req *r);
/* Does a waiter have to progress the process's other endpoints: is any
 * send of this process waiting for room, or a windowed rendezvous under
 * way (its next window needs the other side's library too)? */
bool mxl_sends_wait(void);
void mxl_window_count(struct mxl_req *r, bool on);
/* Progress the process's other endpoints that are not busy (trylock): the
 * room one endpoint's sends wait for may be freed by another's events. */
void mxl_progress_others(struct mx_endpoint *self);
/* Give back a rendezvous send's share of the room. */
void mxl_rndv_release(struct mx_endpoint *ep, struct mxl_req *r);
/* MXN_EVT_REGION_MORE: describe the window at offset and hand it over. */
void mxl_window_more(struct mx_endpoint *ep, struct mxl_req *r, uint32_t offset);
int mxl_issue_oneway(struct mx_endpoint *ep, const struct mxn_cmd *c);
void mxl_recv_matched_unexp(struct mx_endpoint *ep, struct mxl_req *r, struct mxl_unexp *u);

/* ---- posting and probing (comm.c, complete.c), shared by directed.c ---- */
/* mx_irecv with an optional source filter (NULL = any source). */
mx_return_t mxl_post_recv(mx_endpoint_t ep, mx_segment_t *segs, uint32_t n, uint64_t match_info,
			  uint64_t match_mask, const struct mxl_srcsel *from, void *context,
			  mx_request_t *request, const char *fn);
/* What mx_iprobe reports for an unexpected message. */
void mxl_probe_status(const struct mx_endpoint *ep, const struct mxl_unexp *u,
		      mx_status_t *status);
void mxl_unexp_free(struct mx_endpoint *ep, struct mxl_unexp *u);

/* Wait until pred(ep, arg) or timeout_ms passes (MX_INFINITE = for ever)
 * or mx_wakeup; lock held on entry and exit.  True when pred held. */
bool mxl_wait_until(struct mx_endpoint *ep, uint32_t timeout_ms,
		    bool (*pred)(struct mx_endpoint *ep, void *arg), void *arg);
/* Something a waiter may wait for changed (a completion, an unexpected
 * message, room): let every blocked thread re-check.  Lock held. */
void mxl_wake_waiters(struct mx_endpoint *ep);
uint64_t mxl_now_ns(void);
void mxl_spin_init(struct mxn_spin *s);

/* ---- surviving the daemon (reattach.c) ---- */
struct mxl_conn_rec {
	uint64_t nic_id;        /* where the peer is (the answer's nic id) */
	uint32_t key;
	uint32_t session;       /* the peer's, as the answer gave it */
	uint8_t endpoint;
};
/* A connect succeeded (answered nic_id, session): remember it so a
 * re-attach can make it again. */
void mxl_conn_remember(struct mx_endpoint *ep, const struct mxl_req *r, uint64_t nic_id,
		       uint32_t session);
/* The transport is gone: drain the event ring, re-attach, connect again and
 * send again what had not completed.  false: the endpoint is dead. */
bool mxl_reattach(struct mx_endpoint *ep);
/* nic_id as it names a host now: this host's for a nic id the endpoint
 * lived on before it moved (nic_past), else nic_id itself. */
uint64_t mxl_nic_now(const struct mx_endpoint *ep, uint64_t nic_id);
/* a's daemon peer index here: its route (route.c) if it has one; else a
 * nic id we lived on names this host now (the old host's daemon's index
 * means nothing here). */
uint16_t mxl_peer_now(const struct mx_endpoint *ep, const struct mxl_addr *a);
/* A completion said MXN_ST_AWAY (a peer of this host is being saved or
 * migrated) or MXN_ST_MOVED (a peer re-announced itself elsewhere, or its
 * daemon refuses sends to where it was): the settling window opens as
 * after our own re-attach, so what its daemon refused is tried again. */
void mxl_peer_away(struct mx_endpoint *ep);
/* a's nic id now: its route's, else mxl_nic_now. */
uint64_t mxl_addr_nic_now(const struct mx_endpoint *ep, const struct mxl_addr *a);
/* The peer 'old' is at to_nic, through daemon peer index 'peer', from now
 * on; sends in flight to it hold newer ones back until they land. */
void mxl_route_set(struct mx_endpoint *ep, const struct mxl_addr *old, uint64_t to_nic,
		   uint16_t peer);
/* A re-connect carrying moved_from was answered OK by e. */
void mxl_reconnected(struct mx_endpoint *ep, const struct mxl_req *r, const struct mxn_evt *e);
/* A send's completion came: it no longer holds newer ones back. */
void mxl_follow_landed(struct mx_endpoint *ep, struct mxl_req *r);
/* peermap.c.  After a re-attach the daemon numbers remote hosts afresh:
 * forget what the old one said; learn the new numbers (arrivals,
 * connects, lookups); the number for nic_id now (dflt: not known); true
 * when send r must wait (its host's number is being looked up, or a send
 * sent again to its peer has not completed: -EAGAIN to the caller);
 * a lookup of ours answered; a resent send issued / completed. */
void mxl_peermap_reset(struct mx_endpoint *ep);
void mxl_peermap_learn(struct mx_endpoint *ep, uint64_t nic_id, uint16_t peer);
uint16_t mxl_peermap_find(const struct mx_endpoint *ep, uint64_t nic_id, uint16_t dflt);
bool mxl_peermap_hold(struct mx_endpoint *ep, const struct mxl_req *r);
void mxl_peermap_answer(struct mx_endpoint *ep, const struct mxl_req *r, const struct mxn_evt *e);
void mxl_resend_opened(struct mx_endpoint *ep, struct mxl_req *r);
void mxl_resend_closed(struct mx_endpoint *ep, struct mxl_req *r);
/* Issue r now, ahead of anything waiting (-EAGAIN: no command slot). */
int mxl_issue_internal(struct mx_endpoint *ep, struct mxl_req *r);
/* MXN_EVT_MOVED */
void mxl_on_moved(struct mx_endpoint *ep, const struct mxn_evt *e);
/* A send failed because its peer is not (yet) back: true when it was queued
 * for another try (only while peers may still be re-attaching). */
bool mxl_resend_later(struct mx_endpoint *ep, struct mxl_req *r, mx_status_code_t code);
/* A pull completed with "peer gone" while peers re-attach: true when it
 * now waits for the sender's resent rendezvous instead. */
bool mxl_pull_later(struct mx_endpoint *ep, struct mxl_req *r, mx_status_code_t code);
/* wire_rndv.c: a native Open-MX node's rendezvous across a re-attach */
struct mxl_wire_rndv mxl_wire_of(const struct mx_endpoint *ep, const struct mxn_evt *e);
/* Its handle died with an earlier daemon: pulled with MXN_CMD_PULL_WIRE. */
bool mxl_wire_dead_handle(const struct mx_endpoint *ep, const struct mxl_req *r);
void mxl_wire_build_pull(const struct mxl_req *r, const struct mxl_addr *src, uint32_t desc_off,
			 uint32_t desc_len, struct mxn_cmd *c);
/* r cannot be pulled now (the new daemon has no connection with its
 * sender yet): tried again shortly, until the re-attach window ends. */
bool mxl_wire_pull_later(struct mx_endpoint *ep, struct mxl_req *r);
/* The sender's rendezvous (seq) came again after all, with a live handle:
 * a pull of it waiting to try again takes it, one under way keeps it for
 * its end.  True when one did. */
bool mxl_wire_dup(struct mx_endpoint *ep, const struct mxl_source *src, uint16_t seq,
		  uint32_t handle);
/* r's pull ended with code: true when it is pulled again through the
 * announcement mxl_wire_dup kept; else *release is set to that one's
 * handle (to be released by an empty pull) if there was one. */
bool mxl_wire_dup_settle(struct mx_endpoint *ep, struct mxl_req *r, mx_status_code_t code,
			 uint32_t *release);
/* When the next send waiting on ep->resend (or a pull waiting for its
 * resend) is due for another look, or UINT64_MAX. */
uint64_t mxl_resend_next(const struct mx_endpoint *ep);
/* Send again the queued sends that are due (progress). */
void mxl_resend_due(struct mx_endpoint *ep);
/* r's sender (status.source) is src, by the nic ids we lived on too. */
bool mxl_req_from(const struct mx_endpoint *ep, const struct mxl_req *r,
		  const struct mxl_source *src);
/* A duplicate rendezvous arrived (resent after a re-attach): give its new
 * handle to the pull or unexpected message that waits for it, or release
 * the sender.  Duplicate eager arrivals are just dropped. */
void mxl_dup_rndv(struct mx_endpoint *ep, const struct mxl_source *src, uint16_t seq,
		  uint32_t handle, uint64_t match_info, uint32_t len);
/* Process every event in the ring regardless of flow control (re-attach). */
void mxl_drain_events(struct mx_endpoint *ep);
/* Send a send again (re-attach): tiny and queued sends from the command
 * kept at issue (their payload is in it or in the sendq chunk still held),
 * rendezvous rebuilt from the application's buffers.  -EAGAIN: no room. */
int mxl_reissue(struct mx_endpoint *ep, struct mxl_req *r);
/* Point the ring views at the shared indices again (open, re-attach). */
void mxl_map_rings(struct mx_endpoint *ep);

/* ---- connect retries (connect.c) ---- */
/* A connect answered "no such endpoint (yet)": true when it was queued for
 * another try before its deadline (MX keeps trying until the timeout). */
bool mxl_connect_retry(struct mx_endpoint *ep, struct mxl_req *r, mx_status_code_t code);
/* Reissue the connects that are due; the nearest next due time, or
 * UINT64_MAX. */
uint64_t mxl_connect_retry_due(struct mx_endpoint *ep);

/* ---- pair channels (pair.c) ---- */
/* The counts of peer (index, session); resets them for a new incarnation. */
struct mxl_lpeer *mxl_lpeer(struct mx_endpoint *ep, uint8_t index, uint32_t session);
void mxl_pair_open(struct mx_endpoint *ep, const struct mxn_evt *e);
void mxl_pair_closed(struct mx_endpoint *ep, const struct mxn_evt *e);
void mxl_pair_close_all(struct mx_endpoint *ep);
/* Re-attach (reattach.c): every live channel survives the daemon; the one
 * the new daemon brokers for the same peer is dropped for it (its id kept),
 * and a survivor no PAIR_OPEN claimed once peers had their time is closed. */
void mxl_pair_mark_survivors(struct mx_endpoint *ep);
void mxl_pair_expire_survivors(struct mx_endpoint *ep);
/* Re-attach after a restore or a migration of this guest (the transport
 * says regions were lost): the channels the transport built (Xen) are void,
 * their grants and bells gone; what the peer wrote into our own pages is
 * taken, then each is freed unreported and the pair goes through the
 * daemon until it brokers a new one. */
void mxl_pair_drop_restored(struct mx_endpoint *ep);
/* For pair_open and harnesses: point p's rings at p->area (p->lay set),
 * producing direction 'side'; make p the live channel with p->peer_ep.
 * p, its tx_end array, area (munmap) and bells (if >= 0) are freed at close. */
void mxl_pair_map(struct mxl_pair *p, uint8_t side);
void mxl_pair_insert(struct mx_endpoint *ep, struct mxl_pair *p);
/* Send r (tiny/small/medium) through lp's channel: 0 done (r completed),
 * -EAGAIN no room now. */
int mxl_pair_send(struct mx_endpoint *ep, struct mxl_lpeer *lp, struct mxl_req *r);
/* A send to p's peer about to go through the daemon must wait (pair.c). */
bool mxl_pair_daemon_hold(struct mx_endpoint *ep, struct mxl_pair *p, struct mxl_req *r);
/* Consume arrivals of lp's channel until rx_p reaches 'until' (catch-up
 * for a daemon-path event), or while any are ready (until == NULL).
 * Returns false when the catch-up could not complete. */
bool mxl_pair_drain(struct mx_endpoint *ep, struct mxl_lpeer *lp, const uint32_t *until);
void mxl_pair_drain_all(struct mx_endpoint *ep);
/* Publish every channel's new slots, ring the peers that sleep. */
void mxl_pair_flush(struct mx_endpoint *ep);
/* Before sleeping: ask every channel's producer for a bell (a FUTEX_WAKE
 * on our rx prod when 'futex', else the rx bell); true when something
 * arrived meanwhile.  disarm after waking. */
bool mxl_pair_arm(struct mx_endpoint *ep, bool futex);
/* p's peer woke our futex sleep with nothing new (fbell.c): charge it, cut
 * the channel off past MXL_FBELL_IDLE_MAX. */
void mxl_pair_idle_wake(struct mx_endpoint *ep, struct mxl_pair *p);
void mxl_pair_disarm(struct mx_endpoint *ep);
/* The daemon is gone: when this guest was restored (a bell says -EPIPE)
 * the Xen channels are void and side 1's view of the peer's pages faults
 * (gntdev: SIGBUS), so they are marked lost before anything touches them
 * (wait.c, reattach.c).  The probe rings each peer once: harmless after a
 * mere daemon restart (the peer finds nothing new). */
void mxl_pair_probe_lost(struct mx_endpoint *ep);
void mxl_pair_report_faults(struct mx_endpoint *ep);
/* Write slot s (all but seq) into p, with len bytes of data (s->off set
 * to where they went) when 'queued': 0, -EAGAIN (no room: a bell is
 * asked for), -ENOTCONN (the channel broke).  Pushed at once when 'push'. */
int mxl_pair_put(struct mx_endpoint *ep, struct mxl_pair *p, struct mxn_pair_slot *s,
		 const void *data, uint32_t len, bool queued, bool push);
/* The live channel with peer index peer_ep and id 'id', or NULL. */
struct mxl_pair *mxl_pair_find(struct mx_endpoint *ep, uint8_t peer_ep, uint32_t id);

/* ---- rendezvous in a pair channel (pair_rndv.c, pair.h "Rendezvous") ---- */
/* A rendezvous announced in a pair channel, as the receiver holds it. */
struct mxl_prndv {
	uint8_t peer_ep;
	uint32_t pair_id;
	uint32_t handle;
	uint32_t nsegs;
	struct mxn_vaddr_seg segs[MXN_MAX_SEGMENTS];
};
/* Take the peer's process from the hand-over (pidfd, procfd: owned from
 * now on, closed on failure) when we read large messages ourselves. */
void mxl_pair_proc_take(struct mx_endpoint *ep, struct mxl_pair *p, const struct mxn_pair_open *o,
			int pidfd, int procfd);
/* r (large) may go as a rendezvous in lp's channel. */
bool mxl_pair_rndv_wanted(const struct mx_endpoint *ep, const struct mxl_lpeer *lp,
			  const struct mxl_req *r);
/* Announce r in lp's channel: 0 (r completes at the FIN), -EAGAIN, -ENOTCONN. */
int mxl_pair_rndv_send(struct mx_endpoint *ep, struct mxl_lpeer *lp, struct mxl_req *r);
/* An RNDV slot s (copied, bounds checked) of p, its event e, its segments
 * at 'segs' in the channel (read once here): the arrival. */
void mxl_pair_rndv_arrival(struct mx_endpoint *ep, const struct mxl_pair *p,
			   const struct mxn_pair_slot *s, const struct mxn_evt *e,
			   const uint8_t *segs);
/* A FIN slot of p: false when it names no send of ours (a violation). */
bool mxl_pair_rndv_fin(struct mx_endpoint *ep, struct mxl_pair *p, const struct mxn_pair_slot *s);
/* Copy the matched rendezvous pr into r (status, handle, pull_len set) and
 * answer the FIN; completes r.  A DISCARD only answers. */
void mxl_pair_rndv_pull(struct mx_endpoint *ep, struct mxl_req *r, const struct mxl_prndv *pr);
/* FIN naps (pair_nap.c): as sender, a FIN of r stamped done_ns by the
 * peer; before a futex sleep, the end of its nap (0: none), each channel
 * that may write its FINs without a bell marked (p->fin_quiet) for
 * mxl_pair_arm; as receiver, whether a push of FINs alone may skip the
 * bell (counted). */
#define MXL_NAP_MISSES 4u /* naps again past a FIN's due time before its bell */
void mxl_pair_nap_fin(struct mxl_pair *p, const struct mxl_req *r, uint64_t done_ns);
uint64_t mxl_pair_nap(struct mx_endpoint *ep);
bool mxl_pair_fin_quiet(struct mx_endpoint *ep, struct mxl_pair *p);
/* Issue FINs that waited for room; p is going: fail our announced sends. */
void mxl_pair_rndv_flush(struct mx_endpoint *ep, struct mxl_pair *p);
void mxl_pair_rndv_free(struct mx_endpoint *ep, struct mxl_pair *p);
/* Read nsegs remote segments of pid into r's buffer, at most len bytes:
 * the MXN_ST_* status and the bytes moved (pull_direct.c). */
uint8_t mxl_read_segs(struct mxl_req *r, pid_t pid, const void *segs,
		      uint32_t nsegs, uint32_t len, uint32_t *moved);

/* Arrival from the pair channel or the event ring, after matching order. */
void mxl_arrival(struct mx_endpoint *ep, const struct mxn_evt *e, const uint8_t *data);
/* The same for a rendezvous announced in a pair channel (pr: its segments). */
void mxl_arrival_pair(struct mx_endpoint *ep, const struct mxn_evt *e, const struct mxl_prndv *pr);
bool mxl_unexp_full(struct mx_endpoint *ep, const struct mxn_evt *e);
/* ---- single-copy large receives (pull_direct.c) ---- */
bool mxl_pull_direct_wanted(const struct mx_endpoint *ep);
void mxl_on_pull_grant(struct mx_endpoint *ep, const struct mxn_evt *e);
void mxl_build_pull_fin(const struct mxl_req *r, struct mxn_cmd *c);
bool mxl_pull_pregranted(struct mx_endpoint *ep, struct mxl_req *r, const struct mxn_evt *e);
uint32_t mxl_pregrant_flag(const struct mx_endpoint *ep);
/* ---- staged large messages with another host (staged.c) ---- */
/* A rendezvous send is staged when it is at most this, and the sendq keeps
 * at least half its room for mediums once it holds it. */
#define MXL_STAGE_SEND_MAX (128u * 1024u)
static inline bool mxl_stage_fits(bool wanted, uint64_t len, uint64_t used, uint64_t size)
{
	return wanted && len && len <= MXL_STAGE_SEND_MAX && used + len <= size / 2;
}
bool mxl_pull_staged_wanted(const struct mx_endpoint *ep);
bool mxl_send_staged_wanted(const struct mx_endpoint *ep);
/* Bytes of r to copy into the sendq for the daemon (0: not staged). */
uint32_t mxl_send_stage_len(const struct mx_endpoint *ep, const struct mxl_req *r);
void mxl_on_pull_data(struct mx_endpoint *ep, const struct mxn_evt *e);
/* A pull ended (PULL_DONE, or our own copy once its PULL_FIN is queued). */
void mxl_pull_complete(struct mx_endpoint *ep, struct mxl_req *r, uint8_t status, uint32_t xfer);

/* ---- opening/closing (endpoint.c), naming (info.c) ---- */
int mxl_endpoint_open(uint32_t endpoint_id, uint32_t key, struct mx_endpoint **out);
/* The two halves of open, for harnesses that bring their own area:
 * allocate, then (t and info filled) validate the area and map the rings. */
struct mx_endpoint *mxl_endpoint_alloc(uint32_t key);
int mxl_endpoint_attach(struct mx_endpoint *ep);
void mxl_endpoint_close(struct mx_endpoint *ep);

static inline void mxl_lock(struct mx_endpoint *ep)
{
	pthread_mutex_lock(&ep->lock);
}

static inline void mxl_unlock(struct mx_endpoint *ep)
{
	pthread_mutex_unlock(&ep->lock);
}

#endif /* MXL_H */
