/* SPDX-License-Identifier: MIT */
/*
 * Turning requests into commands.  A command needs a ring slot and maybe a
 * sendq chunk; when either is missing the request waits on ep->backlog and
 * progress retries it in FIFO order (later sends never overtake it, so the
 * per-destination order MX promises holds).
 *
 * Rendezvous room: the daemon allows a rendezvous send within the
 * endpoint's 'outstanding' and the guest's registered-memory limit (both
 * advertised in the area header).  MX queues sends beyond them until room
 * frees up, so a rendezvous that does not fit waits on ep->send_wait, and
 * every later send with it (Open-MX's order rule), while receives, pulls
 * and connects go on: the peer's pulls of our earlier sends are what frees
 * the room.  Room is counted from issue to the completing event, per
 * endpoint and per process (the local guest is the process).  The count is
 * only a throttle: other processes of a Xen guest share its limit unseen,
 * and endpoints of one process race for the shared count, so the daemon
 * may still find no room.  It then parks the send, and every later send of
 * the endpoint behind it, instead of refusing it (daemon/core/core_park.c): a
 * refusal retried here would let a later send to the same peer, already
 * issued, arrive first.
 */
#include <errno.h>
#include <string.h>
#include "mxl.h"

/* Rendezvous bytes this process has issued and not seen completed. */
static _Atomic uint64_t mxl_registered;
/* Sends of this process waiting for room (on any endpoint). */
static _Atomic uint32_t mxl_sends_waiting;
/* Windowed rendezvous (sends and pulls) of this process under way. */
static _Atomic uint32_t mxl_windows;

bool mxl_sends_wait(void)
{
	/* a window needs another endpoint's progress only if there is one */
	return atomic_load_explicit(&mxl_sends_waiting, memory_order_relaxed) != 0 ||
	       (atomic_load_explicit(&mxl_windows, memory_order_relaxed) != 0 &&
		mxl_several_endpoints());
}

void mxl_window_count(struct mxl_req *r, bool on)
{
	if (r->windowed == on)
		return;
	r->windowed = on;
	if (on)
		atomic_fetch_add_explicit(&mxl_windows, 1, memory_order_relaxed);
	else
		atomic_fetch_sub_explicit(&mxl_windows, 1, memory_order_relaxed);
}

void mxl_send_wait_del(struct mxl_req *r)
{
	mxl_list_del(&r->link);
	r->state &= ~MXL_RS_SENDWAIT;
	atomic_fetch_sub_explicit(&mxl_sends_waiting, 1, memory_order_relaxed);
}

/* The daemon's rule: a send counts at most one window (abi.h). */
static uint64_t charge_of(const struct mx_endpoint *ep, const struct mxl_req *r)
{
	return mxn_rndv_charge(r->total, ep->registered_max);
}

static bool rndv_fits(struct mx_endpoint *ep, const struct mxl_req *r)
{
	uint64_t reg = atomic_load_explicit(&mxl_registered, memory_order_relaxed);

	if (ep->rndv_max && ep->rndv_inflight >= ep->rndv_max)
		return false;
	return !ep->registered_max || reg + charge_of(ep, r) <= ep->registered_max;
}

static void rndv_take(struct mx_endpoint *ep, struct mxl_req *r)
{
	ep->rndv_inflight++;
	r->rndv_charge = charge_of(ep, r);
	atomic_fetch_add_explicit(&mxl_registered, r->rndv_charge, memory_order_relaxed);
	r->rndv_held = true;
}

void mxl_rndv_release(struct mx_endpoint *ep, struct mxl_req *r)
{
	if (!r->rndv_held)
		return;
	r->rndv_held = false;
	ep->rndv_inflight--;
	atomic_fetch_sub_explicit(&mxl_registered, r->rndv_charge, memory_order_relaxed);
}

static bool cmd_room(struct mx_endpoint *ep)
{
	return mxn_ring_free(&ep->cmd) > 0;
}

static void cmd_put(struct mx_endpoint *ep, const struct mxn_cmd *c)
{
	memcpy(&ep->cmd_slots[ep->cmd.prod_pvt & ep->cmd.mask], c, sizeof(*c));
	ep->cmd.prod_pvt++;
}

/* Publish the commands written since the last flush; ring once.  Pair
 * channels first: a command's pair_seq counts slots the receiver must be
 * able to see once it sees the command. */
void mxl_flush(struct mx_endpoint *ep)
{
	if (ep->reattaching)
		return; /* the ring is about to start over */
	mxl_pair_flush(ep);
	if (atomic_load_explicit(MXN_ATOMIC(&ep->cmd.ctl->prod), memory_order_relaxed) ==
	    ep->cmd.prod_pvt)
		return;
	if (mxn_ring_push(&ep->cmd)) {
		ep->counters[MXL_CNT_KICK]++;
		(void)ep->t.ops->kick(&ep->t);
	}
}

static void fill_dest(const struct mx_endpoint *ep, struct mxn_cmd *c, const struct mxl_addr *a)
{
	c->dest_peer = mxl_peer_now(ep, a);
	c->dest_endpoint = a->endpoint;
	c->dest_session = a->session;
}

/* Room for a region descriptor of sz bytes in the sendq, and after it for
 * *stage bytes of the message when there is (*stage: their offset, else 0). */
static int alloc_region(struct mx_endpoint *ep, struct mxl_req *r, uint32_t sz, uint32_t *off,
			uint32_t *stage)
{
	uint32_t at = (sz + MXN_QUEUE_ALIGN - 1) & ~(MXN_QUEUE_ALIGN - 1);
	int err;

	if (*stage && !mxl_sendq_alloc(&ep->sq, at + *stage, off, &r->sq_id)) {
		*stage = *off + at;
		return 0;
	}
	*stage = 0;
	err = mxl_sendq_alloc(&ep->sq, sz, off, &r->sq_id);
	return err;
}

/* Put a region descriptor of the iov bytes [start, start + limit) in the
 * sendq; with *stage bytes of room after it when it fits (alloc_region). */
static int put_region(struct mx_endpoint *ep, struct mxl_req *r, uint64_t start, uint64_t limit,
		      uint32_t *off, uint32_t *len, uint32_t *stage)
{
	struct mxl_iov tmp[MXN_MAX_SEGMENTS];
	uint32_t i, n = 0, sz;
	int err;

	for (i = 0; i < r->niov && limit; i++) {
		tmp[n] = r->iov[i];
		if (tmp[n].len <= start) {
			start -= tmp[n].len;
			continue;
		}
		tmp[n].base = (uint8_t *)tmp[n].base + start;
		tmp[n].len -= start;
		start = 0;
		if (tmp[n].len > limit)
			tmp[n].len = limit;
		limit -= tmp[n].len;
		n += tmp[n].len != 0;
	}
	/* n == 0 is the empty region (0-byte issend, empty pull): a header
	 * without segments, which the daemon accepts for 0 bytes. */
	sz = ep->t.ops->region_size(&ep->t, tmp, n);
	err = alloc_region(ep, r, sz, off, stage);
	if (err)
		return err;
	r->sq_held = true;
	err = ep->t.ops->region(&ep->t, tmp, n, ep->sendq + *off, sz, len, &r->region);
	if (err) {
		mxl_sendq_free(&ep->sq, r->sq_id);
		r->sq_held = false;
		/* Only sendq room is worth waiting for; a region that cannot be
		 * described (bad memory, too many pages) fails the request. */
		if (err == -ENOSPC || err == -EAGAIN)
			err = -EINVAL;
		/* The shim cut the endpoint off before we noticed (daemon
		 * restart, restore): wait in the backlog for the re-attach. */
		if (err == -ENOTCONN) {
			ep->lost = true;
			err = -ENOSPC;
		}
	}
	return err;
}

/* How much of a rendezvous of len bytes with a peer the first region
 * describes: all of it, or one window (ep->region_window), which
 * the daemon takes only between endpoints of one host. */
static uint64_t first_window(const struct mx_endpoint *ep, uint64_t len, uint16_t peer)
{
	uint32_t w = ep->region_window;

	return w && len > w && peer == MXN_PEER_SELF ? w : len;
}

static int build_send(struct mx_endpoint *ep, struct mxl_req *r, struct mxn_cmd *c)
{
	uint64_t w;
	uint32_t off, len, stage;
	int err;

	c->length = (uint32_t)r->total;
	c->match_info = r->status.match_info;
	fill_dest(ep, c, &r->dest);
	/* numbered once: a send issued again keeps its number */
	mxl_req_send_seq(ep, r);
	c->cookie |= (uint64_t)r->seq << MXN_SEQ_SHIFT;
	switch (r->cls) {
	case MXL_CLASS_TINY:
		c->op = MXN_CMD_SEND_TINY;
		mxl_gather(c->u.tiny, r->iov, r->niov);
		return 0;
	case MXL_CLASS_SMALL:
	case MXL_CLASS_MEDIUM:
		err = mxl_sendq_alloc(&ep->sq, (uint32_t)r->total, &off, &r->sq_id);
		if (err)
			return err;
		r->sq_held = true;
		mxl_gather(ep->sendq + off, r->iov, r->niov);
		c->op = MXN_CMD_SEND_QUEUED;
		c->u.q.off = off;
		return 0;
	default:
		w = first_window(ep, r->total, r->dest.peer);
		stage = mxl_send_stage_len(ep, r);
		err = put_region(ep, r, 0, w, &off, &len, &stage);
		if (err)
			return err;
		mxl_window_count(r, w < r->total);
		c->op = MXN_CMD_SEND_RNDV;
		c->flags = r->sync ? MXN_CMDF_SYNC : 0;
		c->u.rndv.desc_off = off;
		c->u.rndv.desc_len = len;
		if (stage) {
			/* the daemon reads the wire blocks here, not in our memory */
			mxl_gather(ep->sendq + stage, r->iov, r->niov);
			c->flags |= MXN_CMDF_STAGED;
			c->u.rndv.staged_off = stage;
			ep->counters[MXL_CNT_SEND_STAGED]++;
		}
		return 0;
	}
}

static int build_pull(struct mx_endpoint *ep, struct mxl_req *r, struct mxn_cmd *c)
{
	struct mxl_addr src;
	uint32_t off, len;
	uint64_t w;
	int err;

	mxl_addr_unpack(&r->status.source, &src);
	w = first_window(ep, r->pull_len, src.peer);
	err = put_region(ep, r, 0, w, &off, &len, &(uint32_t){ 0 });
	if (err)
		return err;
	mxl_window_count(r, w < r->pull_len);
	c->flags = (ep->pull_direct ? MXN_CMDF_DIRECT : 0) | (ep->pull_staged ? MXN_CMDF_STAGED : 0);
	if (mxl_wire_dead_handle(ep, r)) { /* a native node's, from an earlier daemon */
		mxl_wire_build_pull(r, &src, off, len, c);
		return 0;
	}
	fill_dest(ep, c, &src);
	c->op = MXN_CMD_PULL;
	c->u.pull.rndv_handle = r->rndv_handle;
	c->u.pull.desc_off = off;
	c->u.pull.desc_len = len;
	c->u.pull.pull_len = r->pull_len;
	return 0;
}

static int build_lookup(struct mx_endpoint *ep, struct mxl_req *r, struct mxn_cmd *c)
{
	uint32_t off, n = (uint32_t)strlen(r->name);
	int err;

	c->op = MXN_CMD_LOOKUP;
	c->u.lookup.nic_id = r->nic_id;
	if (r->nic_id)
		return 0;
	err = mxl_sendq_alloc(&ep->sq, n, &off, &r->sq_id);
	if (err)
		return err;
	r->sq_held = true;
	memcpy(ep->sendq + off, r->name, n);
	c->u.lookup.name_off = off;
	c->u.lookup.name_len = n;
	return 0;
}

/* A holder for the sendq of a send about to complete at issue, or NULL
 * (bound reached, no memory: the send completes on SEND_DONE). */
static struct mxl_req *zombie_new(struct mx_endpoint *ep)
{
	struct mxl_req *z;

	if (ep->nzombies >= MXL_ZOMBIES_MAX)
		return NULL;
	z = mxl_req_new(ep, MXL_REQ_ZOMBIE, NULL);
	if (z)
		z->state = MXL_RS_FORGOTTEN | MXL_RS_INFLIGHT;
	return z;
}

/*
 * Buffered sends complete at issue (Open-MX's zombie sends): the bytes are
 * in the slot or the sendq, so the buffer is the application's again.  z
 * takes over the cookie and the sendq chunk until the daemon's (quiet)
 * SEND_DONE gives them back; the application never waits for it, nor for
 * a wire acknowledgement.
 */
static void complete_at_issue(struct mx_endpoint *ep, struct mxl_req *r, struct mxl_req *z)
{
	ep->cookies[r->cookie_idx].req = z;
	z->cookie_idx = r->cookie_idx;
	z->cookie_gen = r->cookie_gen;
	r->cookie_idx = UINT32_MAX;
	/* z also takes r's place in issue order, and what a re-attach needs
	 * to send it again (reattach.c) */
	z->fl_link = r->fl_link;
	z->fl_link.prev->next = &z->fl_link;
	z->fl_link.next->prev = &z->fl_link;
	mxl_list_init(&r->fl_link);
	z->cmd = r->cmd;
	z->seq = r->seq;
	z->issue_no = r->issue_no;
	z->cls = r->cls;
	z->sq_held = r->sq_held;
	z->sq_id = r->sq_id;
	z->dest = r->dest;      /* its failure is remembered for this address */
	r->sq_held = false;
	ep->nzombies++;
	r->status.xfer_length = (uint32_t)r->total;
	mxl_req_complete(r, MX_STATUS_SUCCESS);
}

/* The counts of a local destination (pair.h "Order"), or NULL. */
static struct mxl_lpeer *local_peer(struct mx_endpoint *ep, const struct mxl_req *r)
{
	if (r->kind != MXL_REQ_SEND || r->dest.peer != MXN_PEER_SELF)
		return NULL;
	return mxl_lpeer(ep, r->dest.endpoint, r->dest.session);
}

/*
 * The next window of a windowed rendezvous (send or pull), asked for by
 * MXN_EVT_REGION_MORE.  The request keeps its cookie; the daemon is done
 * with the previous window.  A window that cannot be described (pinning
 * refused) goes as the empty region: the daemon then fails the transfer
 * on both sides.  -EAGAIN: no ring or sendq room yet.
 */
static int issue_window(struct mx_endpoint *ep, struct mxl_req *r)
{
	uint64_t total = r->kind == MXL_REQ_SEND ? r->total : r->pull_len;
	uint64_t n = total - r->win_off < ep->region_window ? total - r->win_off
							    : ep->region_window;
	struct mxn_cmd c;
	uint32_t off, len;
	int err;

	if (!cmd_room(ep))
		return -EAGAIN;
	err = put_region(ep, r, r->win_off, n, &off, &len, &(uint32_t){ 0 });
	if (err == -ENOSPC)
		return -EAGAIN;
	if (err && put_region(ep, r, 0, 0, &off, &len, &(uint32_t){ 0 }))
		return -EAGAIN;
	memset(&c, 0, sizeof(c));
	c.op = MXN_CMD_REGION_NEXT;
	c.cookie = r->cookie_sent;
	c.u.window.desc_off = off;
	c.u.window.desc_len = len;
	c.u.window.offset = r->win_off;
	cmd_put(ep, &c);
	r->win_pending = false;
	ep->counters[MXL_CNT_WINDOW]++;
	return 0;
}

void mxl_window_more(struct mx_endpoint *ep, struct mxl_req *r, uint32_t offset)
{
	uint32_t w = ep->region_window;
	uint64_t total = r->kind == MXL_REQ_SEND ? r->total : r->pull_len;
	int err;

	if (!w || r->win_pending || offset != r->win_off + w || offset >= total) {
		ep->counters[MXL_CNT_BAD_EVENT]++;
		return;
	}
	/* The previous window is the daemon's no more: end its grants. */
	mxl_req_release_region(r);
	r->win_off = offset;
	r->win_pending = true;
	if (mxl_list_empty(&ep->backlog) && !ep->reattaching) {
		err = issue_window(ep, r);
		if (err != -EAGAIN)
			return;
	}
	r->state |= MXL_RS_BACKLOG;
	mxl_list_add_tail(&ep->backlog, &r->link);
}

/* Try to issue now.  -EAGAIN: no room, keep it backlogged. */
static int issue(struct mx_endpoint *ep, struct mxl_req *r)
{
	struct mxl_lpeer *lp = local_peer(ep, r);
	struct mxl_req *z;
	struct mxn_cmd c;
	uint64_t cookie;
	int err;

	if (r->win_pending)
		return issue_window(ep, r);
	/* after a re-attach: its host's number, or an older send first */
	if (r->kind == MXL_REQ_SEND && !r->fin_pending && mxl_peermap_hold(ep, r))
		return -EAGAIN;
	/* A connected local peer: straight into the pair channel, done. */
	if (lp && lp->pair && r->cls != MXL_CLASS_LARGE) {
		err = mxl_pair_send(ep, lp, r);
		if (err != -ENOTCONN)
			return err;
	}
	/* ... and a large one announced there, when the peer reads it itself
	 * (pair_rndv.c): completed by the peer's FIN, no daemon hop. */
	if (lp && mxl_pair_rndv_wanted(ep, lp, r)) {
		err = mxl_pair_rndv_send(ep, lp, r);
		if (err != -ENOTCONN)
			return err;
	}
	/* ... or through the daemon once the peer consumed the channel's
	 * slots before it (Xen side 0; a resend keeps its place). */
	if (lp && lp->pair && !r->pair_counted && mxl_pair_daemon_hold(ep, lp->pair, r))
		return -EAGAIN;
	if (!cmd_room(ep))
		return -EAGAIN;
	memset(&c, 0, sizeof(c));
	if (r->fin_pending) {
		/* The pull's own cookie; nothing answers it: the receive is
		 * complete now (may free r). */
		c.cookie = ((uint64_t)r->cookie_gen << 32) | r->cookie_idx;
		mxl_build_pull_fin(r, &c);
		cmd_put(ep, &c);
		mxl_pull_complete(ep, r, r->fin_status, r->fin_len);
		return 0;
	}
	err = mxl_cookie_get(ep, r, &cookie);
	if (err)
		return err;
	c.cookie = cookie;
	switch (r->kind) {
	case MXL_REQ_SEND:
		err = build_send(ep, r, &c);
		break;
	case MXL_REQ_RECV:
	case MXL_REQ_DISCARD:
		err = build_pull(ep, r, &c);
		break;
	case MXL_REQ_CONNECT:
		c.op = MXN_CMD_CONNECT;
		c.u.connect.nic_id = r->nic_id;
		/* A peer named by a nic id we lived on: the daemon finds out
		 * whether it moved along (docs/migration.md). */
		c.u.connect.moved_from = r->moved_from ? r->moved_from :
					 mxl_nic_now(ep, r->nic_id) != r->nic_id ? r->nic_id : 0;
		c.u.connect.proof = r->moved_from ? r->proof : 0;
		c.u.connect.key = r->key;
		c.u.connect.timeout_ms = r->timeout_ms;
		c.u.connect.endpoint = r->remote_ep;
		break;
	case MXL_REQ_LOOKUP:
		err = build_lookup(ep, r, &c);
		break;
	default:
		err = -EINVAL;
	}
	if (err) {
		mxl_req_release_resources(r);
		return err == -ENOSPC ? -EAGAIN : err;
	}
	if (lp) {
		/* The receiver merges this path with the channel by counts; a
		 * rendezvous sent again after a re-attach is the same message
		 * (one the daemon refused was counted: RECV_VOID). */
		if (!r->resent || !r->pair_counted) {
			r->pair_seq = (uint16_t)lp->tx_p;
			r->pair_counted = true;
			lp->tx_d++;
			if (lp->pair) /* what a resend of its slots must follow */
				lp->pair->tx_prod_at_d = lp->pair->tx.prod_pvt;
		}
		c.pair_seq = r->pair_seq;
	}
	z = c.op == MXN_CMD_SEND_TINY || c.op == MXN_CMD_SEND_QUEUED ? zombie_new(ep) : NULL;
	if (z)
		c.flags |= MXN_CMDF_QUIET;
	cmd_put(ep, &c);
	r->state |= MXL_RS_INFLIGHT;
	r->cookie_sent = c.cookie;
	if (!r->issue_no)
		r->issue_no = ++ep->issue_ctr;
	if (r->kind == MXL_REQ_SEND)
		r->cmd = c;
	if (z) {
		complete_at_issue(ep, r, z);
		return 0;
	}
	if (c.op == MXN_CMD_SEND_RNDV)
		rndv_take(ep, r);
	if (r->kind == MXL_REQ_SEND && r->cls != MXL_CLASS_LARGE) {
		r->state |= MXL_RS_BUFFERED; /* the payload is in the slot or the sendq now */
		mxl_wake_waiters(ep);        /* mx_buffered in another thread */
	}
	return 0;
}

static void issue_or_fail(struct mxl_req *r, int err)
{
	if (err == -E2BIG)
		mxl_req_complete(r, MX_STATUS_NO_RESOURCES);
	else
		mxl_req_complete(r, MX_STATUS_REJECTED);
}

static void submit_now(struct mx_endpoint *ep, struct mxl_req *r)
{
	int err;

	if (mxl_list_empty(&ep->backlog) && mxl_list_empty(&ep->resend) && !ep->reattaching &&
	    !ep->follow_inflight) {
		err = issue(ep, r);
		if (err == 0)
			return;
		if (err != -EAGAIN) {
			issue_or_fail(r, err);
			return;
		}
	}
	ep->counters[MXL_CNT_BACKLOG]++;
	r->state |= MXL_RS_BACKLOG;
	mxl_list_add_tail(&ep->backlog, &r->link);
}

static void send_wait_add(struct mx_endpoint *ep, struct mxl_req *r)
{
	ep->counters[MXL_CNT_SEND_WAIT]++;
	r->state |= MXL_RS_SENDWAIT;
	atomic_fetch_add_explicit(&mxl_sends_waiting, 1, memory_order_relaxed);
	mxl_list_add_tail(&ep->send_wait, &r->link);
}

void mxl_submit(struct mx_endpoint *ep, struct mxl_req *r)
{
	mx_status_code_t gone;

	if (ep->dead) {
		mxl_req_complete(r, MX_STATUS_ABORTED);
		return;
	}
	if (r->kind == MXL_REQ_SEND && (gone = mxl_dest_failed(ep, &r->dest)) != MX_STATUS_SUCCESS) {
		mxl_req_complete(r, gone);
		return;
	}
	if (r->kind == MXL_REQ_SEND &&
	    (!mxl_list_empty(&ep->send_wait) || (r->cls == MXL_CLASS_LARGE && !rndv_fits(ep, r)))) {
		send_wait_add(ep, r);
		return;
	}
	submit_now(ep, r);
}

void mxl_send_wait_drain(struct mx_endpoint *ep)
{
	while (!mxl_list_empty(&ep->send_wait)) {
		struct mxl_req *r = mxl_container_of(ep->send_wait.next, struct mxl_req, link);

		if (r->cls == MXL_CLASS_LARGE && !rndv_fits(ep, r))
			return;
		mxl_send_wait_del(r);
		submit_now(ep, r);
	}
}

void mxl_issue_backlog(struct mx_endpoint *ep)
{
	if (ep->reattaching || !mxl_list_empty(&ep->resend) || ep->follow_inflight)
		return; /* sends from before a re-attach (or a peer's move) go first */
	while (!mxl_list_empty(&ep->backlog)) {
		struct mxl_req *r = mxl_container_of(ep->backlog.next, struct mxl_req, link);
		int err;

		/* Off the list first: issue may complete (and free) r. */
		mxl_list_del(&r->link);
		r->state &= ~MXL_RS_BACKLOG;
		err = issue(ep, r);
		if (err == -EAGAIN) {
			r->state |= MXL_RS_BACKLOG;
			mxl_list_add_tail(ep->backlog.next, &r->link); /* back at the head */
			return;
		}
		if (err)
			issue_or_fail(r, err);
	}
}

int mxl_issue_internal(struct mx_endpoint *ep, struct mxl_req *r)
{
	return issue(ep, r);
}

/* A send to a native Open-MX node quotes the wire seqnum the daemon before
 * this one gave it (a native node has no pair channel, so pair_seq is
 * free): this daemon completes it without a frame if the node took it
 * (abi.h MXN_CMDF_WIRE_SEQ); each try until it takes it quotes it again.
 * Only the previous daemon's: this one tells its own number in a new
 * event, and one kept across two restarts (never sent in between) could
 * fall before the last daemon's start though the node never saw it. */
static void cmd_put_again(struct mx_endpoint *ep, struct mxl_req *r)
{
	struct mxn_cmd c = r->cmd;

	if (r->wire_seq_known && r->wire_life + 1 == ep->life) {
		c.flags |= MXN_CMDF_WIRE_SEQ;
		c.pair_seq = r->wire_seq;
	}
	cmd_put(ep, &c);
}

int mxl_reissue(struct mx_endpoint *ep, struct mxl_req *r)
{
	uint64_t cookie;
	int err;

	if (!cmd_room(ep))
		return -EAGAIN;
	r->resent = true;
	if (mxl_peermap_hold(ep, r))
		return -EBUSY; /* its host's number is being looked up */
	mxl_resend_opened(ep, r);
	if (r->cls == MXL_CLASS_LARGE) {
		/* the application's buffer is still its: describe it again
		 * (region handles may be void after a restore) */
		mxl_req_release_resources(r);
		r->state &= ~MXL_RS_INFLIGHT;
		err = issue(ep, r);
		if (err)
			mxl_resend_closed(ep, r);
		return err;
	}
	mxl_cookie_drop(ep, r);
	err = mxl_cookie_get(ep, r, &cookie);
	if (err) {
		mxl_resend_closed(ep, r);
		return err;
	}
	r->cmd.cookie = cookie | (uint64_t)r->seq << MXN_SEQ_SHIFT;
	/* its SEND_DONE rings: newer sends to its peer wait for it (peermap.c) */
	r->cmd.flags &= (uint8_t)~MXN_CMDF_QUIET;
	/* its peer may be elsewhere now, or this daemon numbers its host
	 * otherwise (we moved): route.c */
	r->cmd.dest_peer = mxl_peer_now(ep, &r->dest);
	cmd_put_again(ep, r);
	r->state |= MXL_RS_INFLIGHT;
	return 0;
}

/* A command nothing completes (DISCONNECT): issue now or report -EAGAIN. */
int mxl_issue_oneway(struct mx_endpoint *ep, const struct mxn_cmd *c)
{
	if (ep->dead)
		return -EPIPE;
	if (ep->reattaching)
		return -EAGAIN;
	if (!mxl_list_empty(&ep->backlog) || !cmd_room(ep))
		return -EAGAIN;
	cmd_put(ep, c);
	mxl_flush(ep);
	return 0;
}
