/* SPDX-License-Identifier: MIT */
/*
 * myribackd core: guests, endpoints, command processing and local delivery.
 * Transport- and loop-neutral: transports attach endpoints and report
 * doorbells, the loop (loop.c) calls mxd_core_poll_active and
 * mxd_core_flush, the wire engine plugs in through remote.h, the control
 * socket reads counters through the accessors at the end of this file.
 *
 * Error convention (whole daemon): functions return 0 / a count, or -errno;
 * one `goto out` unwind per function; destructors accept half-built
 * objects.  Nothing here blocks.
 *
 * Trust: every word in an endpoint's shared area is hostile.  The core
 * copies a slot before validating it, keeps its own copy of the geometry
 * (struct mxn_layout, never re-read from the area header) and checks every
 * index it reads (prod - cons <= size; event cons within [old cons, prod]).
 * A violation cuts off the whole guest (MXN_EVT_GUEST_ERROR when the ring
 * has room, then every endpoint of that guest is closed), is counted, and is
 * logged once under a rate limit.  Other guests are unaffected.
 */
#ifndef MXD_CORE_H
#define MXD_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <myrixen/abi.h>
#include <myrixen/layout.h>
#include <myrixen/ring.h>
#include "backlog.h"
#include "conf.h"
#include "recvq.h"
#include "transport.h"

struct mxd_core;                /* opaque outside core*.c */
struct mxd_rndv;                /* core-private rendezvous record */
struct mxd_pair;                /* core-private pair channel record (core_pair.c) */
struct mxd_remote_ops;

enum mxd_guest_kind { MXD_GUEST_LOCAL = 1, MXD_GUEST_XEN = 2 };

/* ---- counters, read by the control socket as plain structs ---- */
struct mxd_ep_stats {
	uint64_t cmds;              /* command slots consumed */
	uint64_t evts;              /* event slots produced */
	uint64_t sent_tiny, sent_queued, sent_rndv;
	uint64_t recv_tiny, recv_queued, recv_rndv;
	uint64_t pulls, pull_bytes;
	uint64_t connects;
	uint64_t bad_cmds;          /* completed with MXN_ST_BAD_REQUEST */
	uint64_t unconnected;       /* local sends naming no connection of ours */
	uint64_t no_resources;      /* completed with MXN_ST_NO_RESOURCES */
	uint64_t region_faults;     /* region copy failed (-EFAULT) */
	uint64_t stalls;            /* a send waited for receiver room */
	uint64_t parked;            /* sends parked for rendezvous room (core_park.c) */
	uint64_t kicks, notifies;
	uint32_t backlog_len, backlog_peak;
	uint32_t rndv_out;          /* rendezvous sends in flight */
	uint32_t rndv_in;           /* announced, not yet pulled */
	uint64_t recvq_used;
	uint32_t pairs;             /* pair channels this endpoint is part of */
	uint64_t pair_faults;       /* times a pair peer reported this endpoint */
};

struct mxd_guest_stats {
	enum mxd_guest_kind kind;
	uint32_t id;                /* pid or domid */
	uint32_t principal;         /* uid or domid: whom the limits count */
	char name[64];
	uint32_t endpoints;
	uint64_t registered_bytes;  /* rendezvous bytes in flight */
	uint64_t endpoints_opened;
	bool cut_off;
	char cutoff_reason[64];
};

struct mxd_core_stats {
	uint64_t nic_id;
	uint32_t guests, endpoints;
	uint64_t endpoints_opened, endpoints_closed;
	uint64_t guest_cutoffs;     /* guests cut off for violating the ABI */
	uint64_t ring_faults;       /* impossible prod/cons seen */
	uint64_t bad_cmds;          /* malformed commands (all guests) */
	uint64_t sends_unconnected; /* local sends naming no connection (all guests) */
	uint64_t remote_unavailable;/* remote commands without a wire engine */
	uint64_t open_refused;      /* attach refused (limits, bad geometry, access) */
	uint64_t open_limited;      /* of which: principal limit or host reserve */
	uint64_t open_timeouts;     /* connections closed before any open request */
	/* local pulls */
	uint64_t pull_direct;       /* single copies done by the receiving library */
	uint64_t pull_direct_bytes;
	uint64_t pull_direct_failed;/* ... that it reported failed */
	uint64_t pull_pregranted;   /* rendezvous announced with the grant in them */
	uint64_t pull_async;        /* daemon-mediated copies, off the loop thread */
	uint64_t pull_async_bytes;
	uint64_t pull_refused;      /* a process is no longer who opened its endpoint */
	uint64_t pull_stalled;      /* mediated copies that outlived the time bound */
	uint64_t pull_busy;         /* refused: too many stalled copies (per uid/host) */
	/* wire pulls: blocks the receiving library copied out of its recvq
	 * (MXN_EVT_PULL_DATA), and blocks written into its memory instead */
	uint64_t pull_staged;
	uint64_t pull_staged_bytes;
	uint64_t pull_written;
	/* wire sends: blocks read from the sender's sendq copy (MXN_CMDF_STAGED) */
	uint64_t send_staged;
	uint64_t send_staged_bytes;
	uint64_t notifies, kicks;
	uint64_t pairs_opened;      /* pair channels brokered (pair.h) */
	uint64_t pairs_closed;
	uint64_t pair_faults;       /* pair channels cut off by a victim's report */
	uint64_t pairs_declined;    /* Xen pair set-ups a side declined (pair.h) */
};

/* ---- a guest: one local process or one Xen domain ----
 * Limits count per principal: the uid of a local process (all processes of
 * one user together), the domain itself on Xen. */
struct mxd_guest {
	struct mxd_core *core;
	enum mxd_guest_kind kind;
	uint32_t id;
	uint32_t principal;
	char name[64];
	uint32_t refs;              /* holders: endpoints + explicit mxd_guest_get */
	uint32_t nendpoints;
	uint64_t registered_bytes;
	uint32_t nparked;           /* its endpoints' parked sends: wake them when room frees */
	uint64_t endpoints_opened;
	bool cut_off;
	char cutoff_reason[64];
	LIST_HEAD(, mxd_endpoint) endpoints;
	LIST_ENTRY(mxd_guest) link;
};

/* ---- an endpoint: one area (rings + queues) of one guest ---- */
struct mxd_endpoint {
	/* set at attach, read-only afterwards; transports may read these */
	struct mxd_core *core;
	struct mxd_guest *guest;
	const struct mxd_transport_ops *ops;
	void *tp;                   /* transport private */
	uint8_t index;              /* MX endpoint number on this host */
	uint32_t session;           /* getrandom(), never 0: names this opening */
	uint32_t key;
	uint8_t *area;              /* mapped shared area (hostile) */
	struct mxn_layout geo;      /* daemon-private geometry */

	/* ---- private to the core ---- */
	/* Local connections: conn[i] is the session of local endpoint i that
	 * this endpoint may send to (0: none).  Set by a CONNECT that passed
	 * i's key check, in both directions, and for the endpoint itself; a
	 * local send must name one of them (knowing a session is not enough). */
	uint32_t conn[MXN_ENDPOINTS_MAX];
	/* conn_key[i]: the key of this endpoint's own CONNECT to i (bit i of
	 * conn_mine: it made one), which proves that connection when i moves
	 * away and connects back with it (mxd_remote_moved_key). */
	uint32_t conn_key[MXN_ENDPOINTS_MAX];
	uint64_t conn_mine[MXN_ENDPOINTS_MAX / 64];
	struct mxn_ring cmd;        /* we consume */
	struct mxn_ring evt;        /* we produce */
	struct mxn_cmd *cmd_slots;
	struct mxn_evt *evt_slots;
	uint8_t *sendq, *recvq;
	uint32_t evt_cons_seen;     /* last validated guest cons of the event ring */
	uint32_t evt_pushed;        /* last prod we published */
	struct mxd_recvq rq;
	struct mxd_backlog backlog;
	bool has_stalled;           /* a send waits for receiver room */
	struct mxn_cmd stalled;     /* its validated copy */
	struct mxd_endpoint *stalled_on;       /* receiver it waits for */
	LIST_HEAD(, mxd_endpoint) waiters;    /* senders stalled on us */
	LIST_ENTRY(mxd_endpoint) wait_link;
	struct mxd_rndv **rndv_in;  /* announced to us, indexed by handle slot */
	uint32_t rndv_in_cap;       /* table size; grows up to MXD_RNDV_IN_MAX */
	uint32_t outstanding;       /* limits.outstanding at attach: bounds our
				     * rndv sends and engine-held commands */
	uint32_t rndv_gen;
	LIST_HEAD(, mxd_rndv) rndv_out;       /* our sends being pulled */
	uint32_t nrndv_out;
	uint32_t remote_inflight;   /* connects/sends/lookups the wire engine holds */
	/* Sends parked until rendezvous room frees (core_park.c), in order:
	 * a ring of parked_cap copies from parked_head. */
	struct mxn_cmd *parked;
	uint32_t parked_head, nparked, parked_cap;
	bool remote_wants_room;     /* the wire engine holds what it could not deliver */
	int fault;                  /* -errno: cut off at the next poll */
	const char *fault_why;
	bool active;                /* on the core's active list */
	bool dirty;                 /* events staged, push + notify pending */
	bool dirty_notify;          /* notify at flush even without new events */
	bool loud;                  /* a staged event is not MXN_EVTF_QUIET */
	bool owed_notify;           /* the guest asked, only quiet events came */
	bool closing;
	bool quiet;                 /* its guest is being saved: never written again */
	uint64_t last_work_ns;      /* anticipatory polling window start */
	LIST_HEAD(, mxd_pair) pairs[2];       /* pair channels where we are side 0 / 1 */
	uint32_t npairs;
	TAILQ_ENTRY(mxd_endpoint) active_link;
	TAILQ_ENTRY(mxd_endpoint) dirty_link;
	LIST_ENTRY(mxd_endpoint) guest_link;
	struct mxd_ep_stats st;
};

/* ---- core lifetime ---- */
int mxd_core_new(const struct mxd_config *cfg, struct mxd_core **out);
/* Closes every endpoint (peers see MXN_ST_CLOSED), frees guests. */
void mxd_core_free(struct mxd_core *c);
const struct mxd_config *mxd_core_config(const struct mxd_core *c);
uint64_t mxd_core_nic_id(const struct mxd_core *c);
const char *mxd_core_hostname(const struct mxd_core *c);
/* The wire engine sets the board id from the interface MAC at start-up. */
void mxd_core_set_nic_id(struct mxd_core *c, uint64_t nic_id);
/* Install the wire engine (NULL ops = none: remote commands fail cleanly). */
void mxd_core_set_remote(struct mxd_core *c, const struct mxd_remote_ops *ops, void *priv);
/* The loop's hook: called when an endpoint becomes active (doorbell or
 * internal wake-up) so the loop starts polling.  May be NULL. */
void mxd_core_set_wakeup(struct mxd_core *c, void (*fn)(void *arg), void *arg);
/* The loop's poll window spins (true) or re-arms at once (false): while it
 * spins, an endpoint whose guest we wake is polled for its answer. */
void mxd_core_set_anticipate(struct mxd_core *c, bool on);
/* Apply a reloaded configuration (limits for new endpoints, poll knobs). */
void mxd_core_reconfigure(struct mxd_core *c, const struct mxd_config *cfg);
/*
 * Endpoint 'index' is coming back (claimed by a guest that will re-attach:
 * daemon restart, save/restore) or has just come back (its library is
 * connecting to its peers again): for ms milliseconds the wire engine drops
 * remote frames it cannot take for that index in silence, where it would
 * refuse them (NACK: closed endpoint, unknown partner).  The remote sender
 * then keeps resending until the endpoint and its partners are back,
 * instead of failing what it had in flight.  A longer earlier window stays.
 */
void mxd_core_quiet(struct mxd_core *c, uint8_t index, uint32_t ms);
bool mxd_core_is_quiet(const struct mxd_core *c, uint8_t index);
#define MXD_QUIET_MS 60000u   /* as long as a library waits for its peers (lib reattach.c) */

/* ---- guests ---- */
/* Find or create the guest (kind, id, principal) and take a reference.
 * 0 or -errno.  mxd_guest_get: the guest is its own principal (a domain). */
int mxd_guest_get_as(struct mxd_core *c, enum mxd_guest_kind kind, uint32_t id,
		     uint32_t principal, const char *name, struct mxd_guest **out);
int mxd_guest_get(struct mxd_core *c, enum mxd_guest_kind kind, uint32_t id,
		  const char *name, struct mxd_guest **out);
/* Drop a reference; the guest is freed with its last reference. */
void mxd_guest_put(struct mxd_guest *g);
struct mxd_guest *mxd_guest_find(struct mxd_core *c, enum mxd_guest_kind kind, uint32_t id);
/* Cut the guest off: GUEST_ERROR to each endpoint if room, close them all,
 * count it, log once (rate limited).  Safe to call from any core callback. */
void mxd_guest_cutoff(struct mxd_guest *g, const char *why);

/* ---- endpoints, for transports ---- */
struct mxd_endpoint_params {
	const struct mxd_transport_ops *ops;
	void *tp;
	void *area;                 /* mapped, at least geo.area_size bytes */
	struct mxn_layout geo;      /* from mxn_layout_compute, clamped */
	uint32_t key;
	uint8_t endpoint;           /* wanted index or MXN_ENDPOINT_ANY */
	uint32_t session;           /* 0: a new opening; else a re-attach of this
				     * session at index 'endpoint' (see attach) */
	bool moved_in;              /* with session: the endpoint comes from another
				     * host (live migration), see attach */
};
/*
 * Register an endpoint of guest g.  The core zeroes the ring control page's
 * indices, initialises its private ring views, and assigns index + session.
 * A re-attach (p->session != 0, after a daemon restart or a guest restore)
 * keeps its session so peers' addresses stay valid; it is refused (-ESTALE)
 * when another opening held that index since this daemon started, so a
 * guest can never take over a session someone else's address still names.
 * An endpoint moved in from another host (p->moved_in) never held the index
 * here: it is refused only when its session is that of the index's last
 * occupant (whose peers' addresses name this host and that session).
 * 0 or -errno (-EBUSY index taken, -EMFILE principal limit, host reserve or full,
 * -EINVAL geometry, -ESTALE); on error nothing was registered and ops->destroy was
 * NOT called (the transport cleans up itself).
 */
int mxd_endpoint_attach(struct mxd_core *c, struct mxd_guest *g,
			const struct mxd_endpoint_params *p, struct mxd_endpoint **out);
/*
 * Keep index idx free for the re-attach of 'session' until until_ns
 * (mxd_now_ns clock): an opening neither gets it for MXN_ENDPOINT_ANY nor
 * may ask for it (-EBUSY); an attach with that session may.  The transport
 * decides who may present the session (local: docs/security.md).
 * session 0 releases it; an attach at idx releases it too.
 */
void mxd_core_reserve(struct mxd_core *c, uint8_t idx, uint32_t session, uint64_t until_ns);
/*
 * The guest closed the endpoint (connection closed, domain gone): complete
 * everything that involves it with MXN_ST_CLOSED, free it, and call
 * ops->destroy exactly once.  After this the transport must not use ep.
 */
void mxd_endpoint_detach(struct mxd_endpoint *ep);
/*
 * The endpoint's guest is being suspended (xl save): from now on nothing is
 * written into its area, not even completions of its own requests (a write
 * racing with the memory copy would leave the restored guest a torn ring).
 * Deliveries to it complete MXN_ST_CLOSED.  Detach it afterwards.
 */
void mxd_endpoint_quiesce(struct mxd_endpoint *ep);
/* The guest rang the doorbell (kick eventfd / event channel). */
void mxd_endpoint_kick(struct mxd_endpoint *ep);
struct mxd_endpoint *mxd_endpoint_lookup(struct mxd_core *c, uint8_t index);

/* ---- polling, for the loop and for unit tests ---- */
/*
 * One pass over one endpoint: validate the event ring's cons and release
 * recvq/space, move backlog entries to the ring, retry a stalled send, then
 * consume up to 'budget' commands (none while the backlog is congested).
 * Events are staged, not pushed: call mxd_core_flush.  Returns the amount
 * of work done (>= 0), or -EPROTO when the guest violated the ABI (the
 * caller then calls mxd_guest_cutoff; ep is still valid until then).
 */
int mxd_endpoint_poll(struct mxd_endpoint *ep, uint32_t budget);
/*
 * Poll every active endpoint once (budget from the config), applying the
 * anticipatory window (ns; the loop passes poll_window_us or 0, spin.h): an
 * endpoint that found no work for that long is re-armed (mxn_ring_arm,
 * final check) and leaves the active list.  Cuts off faulting guests.
 * Returns the number of endpoints still active.
 */
int mxd_core_poll_active(struct mxd_core *c, uint64_t now_ns, uint64_t window_ns);
/* Publish staged events: one mxn_ring_push per dirty endpoint, and one
 * transport notify when the push says the guest wants it. */
void mxd_core_flush(struct mxd_core *c);
/* Publish staged events only (their notifies go with the flush): before
 * frames leave that count on them (acks, NOTIFY) mid-pass. */
void mxd_core_publish(struct mxd_core *c);
/* Every second: parked sends to an endpoint that is away are looked at
 * again (they fail once it is no longer expected back; core_park.c). */
void mxd_core_park_tick(struct mxd_core *c);

/* A transport's off-loop pull (ops->pull_async) ended, on the loop thread:
 * err 0, -ETIMEDOUT (stalled), -EPERM/-ESRCH (refused), other (fault). */
void mxd_pull_async_done(void *token, int err, uint32_t len);

/* ---- introspection, for the control socket ---- */
void mxd_core_get_stats(const struct mxd_core *c, struct mxd_core_stats *out);
/* The summed counters of the endpoints already closed (traffic of short
 * jobs stays visible after they exit). */
void mxd_core_get_closed_stats(const struct mxd_core *c, struct mxd_ep_stats *out);
/* sum += s for the cumulative counters (not the instantaneous levels). */
void mxd_ep_stats_add(struct mxd_ep_stats *sum, const struct mxd_ep_stats *s);
/* A transport refused an open before attaching (access): open_refused. */
void mxd_core_count_open_refused(struct mxd_core *c);
/* A connection never asked to open in time (half-open): open_timeouts. */
void mxd_core_count_open_timeout(struct mxd_core *c);
void mxd_guest_get_stats(const struct mxd_guest *g, struct mxd_guest_stats *out);
void mxd_endpoint_get_stats(const struct mxd_endpoint *ep, struct mxd_ep_stats *out);
/* Iterate; a non-zero return from fn stops and is returned.  fn must not
 * close endpoints or drop guests. */
int mxd_core_for_each_guest(struct mxd_core *c, int (*fn)(struct mxd_guest *g, void *arg),
			    void *arg);
int mxd_guest_for_each_endpoint(struct mxd_guest *g,
				int (*fn)(struct mxd_endpoint *ep, void *arg), void *arg);

#endif /* MXD_CORE_H */
