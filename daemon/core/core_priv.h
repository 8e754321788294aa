/* SPDX-License-Identifier: MIT */
/* Core internals shared by core*.c only. */
#ifndef MXD_CORE_PRIV_H
#define MXD_CORE_PRIV_H

#include "core.h"
#include "log.h"
#include "remote.h"
#include "validate.h"

#define MXD_BOUNCE_SIZE (64u * 1024u)
/* Malformed-but-survivable commands a guest may send before it counts as a flood. */
#define MXD_BAD_CMDS_MAX 64u
/* Announcements a receiver may hold unpulled: every local sender's
 * 'outstanding' fits (255 x 256), so a local sender never waits on a full
 * table in practice; handles keep the slot in 16 bits. */
#define MXD_RNDV_IN_MAX 0xffffu
/* Sends an endpoint may have parked for rendezvous room before its command
 * ring waits (core_park.c). */
#define MXD_PARK_MAX 4096u

struct mxd_core {
	struct mxd_config cfg;
	uint64_t nic_id;
	char hostname[MXN_HOSTNAME_MAX];
	struct mxd_endpoint *eps[MXN_ENDPOINTS_MAX];
	uint32_t last_session[MXN_ENDPOINTS_MAX]; /* of each index's last occupant */
	uint64_t quiet_until_ns[MXN_ENDPOINTS_MAX]; /* mxd_core_quiet */
	/* The session of an endpoint detached because its guest is saved or
	 * migrated (it comes back while its index is quiet), else 0. */
	uint32_t away_session[MXN_ENDPOINTS_MAX];
	/* ... and it re-announced itself from another host (xl migrate), a
	 * peer here checked the proof (mxd_remote_moved): sends to it are
	 * refused MXN_ST_MOVED instead of parked. */
	bool away_moved[MXN_ENDPOINTS_MAX];
	/* Indices kept for their holder's re-attach after a restart (mxd_core_reserve). */
	uint32_t reserved_session[MXN_ENDPOINTS_MAX];
	uint64_t reserved_until_ns[MXN_ENDPOINTS_MAX];
	uint32_t pair_next;
	LIST_HEAD(, mxd_guest) guests;
	TAILQ_HEAD(, mxd_endpoint) active;
	TAILQ_HEAD(, mxd_endpoint) dirty;
	const struct mxd_remote_ops *remote;
	void *remote_priv;
	void (*wakeup)(void *arg);
	void *wakeup_arg;
	bool anticipate;            /* the loop spins: poll a woken guest's ring */
	uint8_t *bounce;
	struct mxd_ratelimit rl_fault;
	struct mxd_core_stats st;
	struct mxd_ep_stats closed_eps;  /* counters of every endpoint closed so far */
};

/*
 * A rendezvous.  Local send: src and dst both set, region = the sender's.
 * Send to the wire: dst NULL, remote engine reads through the send handle.
 * Announced from the wire: src NULL, remote_src set, remote_ref = engine's.
 * A closed side is set to NULL; the other side then completes CLOSED.
 */
struct mxd_rndv {
	struct mxd_endpoint *src;
	struct mxd_endpoint *dst;
	bool remote_src;
	bool src_gone;              /* local sender closed: pulls complete CLOSED */
	bool src_away;              /* ... because its guest is saved or migrated:
				     * AWAY instead (it sends again once back) */
	bool send_staged;           /* wire send: read from the sendq at staged_off */
	uint32_t staged_off;
	struct mxd_region *region;  /* sender's region (local sender) */
	uint64_t cookie;            /* sender's cookie */
	uint32_t length;
	uint64_t charge;            /* registered bytes it counts (mxn_rndv_charge) */
	uint32_t handle;            /* dst table handle, or send handle on src */
	uint64_t remote_ref;
	/* pull in progress through the wire engine */
	bool pulling;
	bool staged;                /* the PULL said MXN_CMDF_STAGED */
	uint64_t pull_cookie;
	uint32_t pull_len;
	struct mxd_region *pull_region;
	/* local pull in progress: granted to the receiving library (waits for
	 * its PULL_FIN), or copied by a worker (job, cancelled with job_ops) */
	bool granted;
	/* named to the receiving library in its RECV_RNDV (MXN_EVTF_GRANT):
	 * it may answer PULL_FIN without a PULL */
	bool pregranted;
	void *job;
	const struct mxd_transport_ops *job_ops;
	/* windowed (core_window.c): region and pull_region describe the window
	 * at win_off; moved bytes are done; a side asked for its next window
	 * (REGION_MORE) waits until its REGION_NEXT */
	bool windowed;
	bool src_win, dst_win;      /* which side gives windows (the other all) */
	bool src_wait, dst_wait;
	uint32_t win_off;
	uint32_t moved;
	LIST_ENTRY(mxd_rndv) src_link;
};

/* core.c */
int mxd_ep_emit(struct mxd_endpoint *ep, const struct mxn_evt *e);
int mxd_ep_room(struct mxd_endpoint *ep);
struct mxn_evt *mxd_ep_slot(struct mxd_endpoint *ep);
void mxd_ep_commit(struct mxd_endpoint *ep);
void mxd_ep_fault(struct mxd_endpoint *ep, const char *why);
void mxd_ep_activate(struct mxd_endpoint *ep);
void mxd_ep_mark_dirty(struct mxd_endpoint *ep);
void mxd_ep_publish(struct mxd_endpoint *ep);
/* Re-read and validate the guest's event cons, free recvq behind it. */
int mxd_ep_refresh_cons(struct mxd_endpoint *ep);
/* Ask the guest to kick us once it consumes one more event. */
void mxd_ep_arm_space(struct mxd_endpoint *ep);
/* Arm, and poll ep at once if the guest consumed meanwhile: its poll then
 * sees the room (waiting senders, the wire engine's held messages). */
void mxd_ep_watch_space(struct mxd_endpoint *ep);
void mxd_ep_wait_on(struct mxd_endpoint *sender, struct mxd_endpoint *rcv);
void mxd_ep_wake_waiters(struct mxd_endpoint *ep);
void mxd_ep_send_done(struct mxd_endpoint *ep, const struct mxn_cmd *c, uint8_t status,
		      uint32_t xfer);
/* The same for a send known by its cookie: quiet = it was MXN_CMDF_QUIET. */
void mxd_ep_send_done_q(struct mxd_endpoint *ep, uint64_t cookie, bool quiet, uint8_t status,
			uint32_t xfer);
void mxd_ep_done(struct mxd_endpoint *ep, uint8_t type, uint64_t cookie, uint8_t status,
		 uint32_t xfer);
void mxd_rndv_release_src(struct mxd_rndv *r);
/* What a pull of r ends with once its sender is gone: CLOSED, or AWAY when
 * the sender's guest is saved or migrated (it announces it again). */
static inline uint8_t mxd_rndv_gone_status(const struct mxd_rndv *r)
{
	return r->src_away ? MXN_ST_AWAY : MXN_ST_CLOSED;
}
void mxd_guest_account(struct mxd_guest *g, int64_t bytes);

/* core_pair.c */
/* ep came back with its session (a restored or migrated guest, while its
 * peers stayed): the connections its peers made to it hold again both
 * ways, their channels are brokered again, and their parked sends go. */
void mxd_reattach_peers(struct mxd_endpoint *ep);
void mxd_pair_broker(struct mxd_endpoint *a, struct mxd_endpoint *b);
void mxd_pair_close_all(struct mxd_endpoint *ep, uint8_t status);
int mxd_pair_fault(struct mxd_endpoint *ep, const struct mxn_cmd *c);
int mxd_pair_xen(struct mxd_endpoint *ep, const struct mxn_cmd *c);
bool mxd_pair_exists(const struct mxd_endpoint *a, const struct mxd_endpoint *b);

/* core_cmd.c: 0 consumed, -EAGAIN stalled (keep the copy), -EBUSY a
 * rendezvous send beyond the room (park it), -EPROTO fault */
int mxd_cmd_process(struct mxd_endpoint *ep, const struct mxn_cmd *c);
bool mxd_ep_recv_room(struct mxd_endpoint *dst);
struct mxd_epref mxd_ep_ref(const struct mxd_endpoint *ep);
/* core_park.c: sends parked for rendezvous room, in order. */
bool mxd_cmd_is_send(const struct mxn_cmd *c);
/* Process c, or park it (behind parked sends, or out of room): 0 consumed
 * or parked, -EAGAIN stalled (keep the copy), -EPROTO fault. */
int mxd_cmd_submit(struct mxd_endpoint *ep, const struct mxn_cmd *c);
/* Process the parked sends that fit now, in order: how many, or -EPROTO. */
int mxd_park_run(struct mxd_endpoint *ep);
/* Room came back in g (registered memory, an endpoint's outstanding). */
void mxd_park_room_freed(struct mxd_guest *g);
void mxd_park_free(struct mxd_endpoint *ep);
/* core_window.c: rendezvous moved one window at a time (abi.h) */
/* Does this pull need windows (either region describes one window)? */
bool mxd_window_wanted(const struct mxd_rndv *r, const struct mxd_region *to, uint32_t len);
/* Start a windowed pull (takes 'to'); 0 (answered or under way). */
int mxd_window_pull(struct mxd_endpoint *ep, struct mxd_rndv *r, const struct mxn_cmd *c,
		    uint32_t len, struct mxd_region *to);
/* A window of len bytes moved: true when the next ones were asked for. */
bool mxd_window_next(struct mxd_endpoint *dst, struct mxd_rndv *r, uint32_t len);
int mxd_cmd_region_next(struct mxd_endpoint *ep, const struct mxn_cmd *c);
/* The sender went away while the pull waited between windows. */
void mxd_window_src_gone(struct mxd_rndv *r);
/* core_pull.c: PULL and PULL_FIN (same return convention) */
uint8_t mxd_pull_copy(struct mxd_rndv *r, struct mxd_endpoint *dst,
		      const struct mxd_region *to, uint32_t len);
uint8_t mxd_pull_copy_at(struct mxd_rndv *r, struct mxd_endpoint *dst, const struct mxd_region *to,
			 uint64_t src_off, uint64_t dst_off, uint32_t len);
void mxd_pull_finish(struct mxd_endpoint *ep, struct mxd_rndv *r, uint64_t cookie,
		     uint8_t status, uint32_t len);
void mxd_pull_pregrant(struct mxd_endpoint *dst, struct mxd_rndv *r, struct mxn_evt *e);
void mxd_pull_hold(struct mxd_endpoint *ep, struct mxd_rndv *r, const struct mxn_cmd *c,
		   uint32_t len, struct mxd_region *to);
int mxd_cmd_pull(struct mxd_endpoint *ep, const struct mxn_cmd *c);
int mxd_cmd_pull_fin(struct mxd_endpoint *ep, const struct mxn_cmd *c);
int mxd_cmd_pull_wire(struct mxd_endpoint *ep, const struct mxn_cmd *c);
int mxd_rndv_table_add(struct mxd_endpoint *dst, struct mxd_rndv *r);
struct mxd_rndv *mxd_rndv_table_find(struct mxd_endpoint *dst, uint32_t handle);
void mxd_rndv_table_del(struct mxd_endpoint *dst, struct mxd_rndv *r);
void mxd_rndv_free(struct mxd_rndv *r);

#endif /* MXD_CORE_PRIV_H */
