/* SPDX-License-Identifier: MIT */
/*
 * The event side of an endpoint: consume the event ring, match arrivals,
 * copy queued payloads out of the recvq before the slot is released,
 * complete requests named by cookies, and notice the daemon going away.
 *
 * The daemon is the smart NIC, not an adversary, but a bad event must not
 * make us write outside a buffer: lengths and offsets are bounded against
 * the geometry before any copy, and a cookie is only honoured when its
 * index and generation name a live request of the right kind.
 */
#include <stdlib.h>
#include <string.h>
#include "mxl.h"

#define MXL_EVT_BUDGET 64u
#define MXL_IDLE_CHECK 4096u   /* empty polls between liveness checks */

const char *const mxl_counter_names[MXL_CNT_MAX] = {
	[MXL_CNT_SEND_TINY] = "Sends (tiny)",
	[MXL_CNT_SEND_SMALL] = "Sends (small)",
	[MXL_CNT_SEND_MEDIUM] = "Sends (medium)",
	[MXL_CNT_SEND_LARGE] = "Sends (rendezvous)",
	[MXL_CNT_RECV] = "Receives completed",
	[MXL_CNT_RECV_UNEXP] = "Unexpected messages",
	[MXL_CNT_RECV_TRUNCATED] = "Truncated receives",
	[MXL_CNT_PULL] = "Pulls issued",
	[MXL_CNT_BACKLOG] = "Commands backlogged",
	[MXL_CNT_BAD_EVENT] = "Bad events dropped",
	[MXL_CNT_SLEEP] = "Blocking sleeps",
	[MXL_CNT_KICK] = "Doorbell kicks",
	[MXL_CNT_UNEXP_STALL] = "Unexpected queue full stalls",
	[MXL_CNT_CONNECT_RETRY] = "Connect retries",
	[MXL_CNT_SEND_WAIT] = "Sends waiting for rendezvous room",
	[MXL_CNT_PAIR_SEND] = "Pair channel sends",
	[MXL_CNT_PAIR_RECV] = "Pair channel arrivals",
	[MXL_CNT_PAIR_BELL] = "Pair channel bells rung",
	[MXL_CNT_PAIR_FAULT] = "Pair channels cut off",
	[MXL_CNT_ZOMBIE_FAILED] = "Buffered sends failed after completion",
	[MXL_CNT_REATTACH] = "Re-attaches (daemon restart, restore)",
	[MXL_CNT_PAIR_KEPT] = "Pair channels kept across a re-attach",
	[MXL_CNT_RESENT] = "Sends sent again after a re-attach",
	[MXL_CNT_DUP_DROPPED] = "Duplicate arrivals dropped",
	[MXL_CNT_WINDOW] = "Rendezvous windows handed over",
	[MXL_CNT_MOVED] = "Moves to another host (re-attached there)",
	[MXL_CNT_FUTEX_SLEEP] = "Blocking sleeps on futex doorbells",
	[MXL_CNT_PAIR_IDLE_WAKE] = "Pair channel wake-ups with nothing new",
	[MXL_CNT_PREGRANTED] = "Rendezvous copied on arrival (no pull)",
	[MXL_CNT_PULL_STAGED] = "Pulled blocks copied from the recvq",
	[MXL_CNT_SEND_STAGED] = "Rendezvous sends staged in the sendq",
	[MXL_CNT_FOLLOWED] = "Peers followed to another host",
	[MXL_CNT_MOVED_HELD] = "Sends held for a peer being moved",
	[MXL_CNT_PAIR_SHIM_BELL] = "Pair bells bound by the shim",
	[MXL_CNT_PAIR_RESTORED] = "Pair channels void after a restore",
	[MXL_CNT_MOVE_TOLD] = "Peers told we moved (they had connected to us)",
	[MXL_CNT_PEER_REMAP] = "Hosts looked up again after a re-attach",
	[MXL_CNT_RESEND_HELD] = "Sends held behind a resend to their peer",
	[MXL_CNT_PAIR_RESENT] = "Pair slots sent again through the daemon for a saved peer",
	[MXL_CNT_PAIR_DAEMON_HELD] = "Daemon-path sends held until a Xen pair peer consumed",
	[MXL_CNT_PAIR_RNDV_SENT] = "Large sends announced in a pair channel",
	[MXL_CNT_PAIR_RNDV_COPIED] = "Large messages read from a pair peer, no daemon hop",
	[MXL_CNT_PAIR_RNDV_FAILED] = "Pair-channel rendezvous failed (peer gone or changed)",
	[MXL_CNT_PAIR_FIN_NAP] = "Sleeps until a pair-channel FIN was due (no bell asked)",
	[MXL_CNT_PAIR_NAP_MISS] = "FIN naps that ended before their FIN",
	[MXL_CNT_PAIR_FIN_QUIET] = "Pair-channel FINs written without a wake-up",
	[MXL_CNT_PAIR_FIN_BELL] = "Pair-channel FINs that woke their sender",
	[MXL_CNT_WIRE_REPULL] = "Native Open-MX rendezvous pulls waiting for their sender again",
	[MXL_CNT_WIRE_CONNECT_BACK] = "Native Open-MX nodes that had connected to us, connected to again",
	[MXL_CNT_WIRE_DUP] = "Native Open-MX rendezvous sent again during their pull, kept for its end",
};

static uint64_t unexp_cost(uint32_t kind, uint32_t length)
{
	if (kind == MXL_UNEXP_PAIR_RNDV)
		return sizeof(struct mxl_unexp) + sizeof(struct mxl_prndv);
	return sizeof(struct mxl_unexp) + (kind == MXL_UNEXP_EAGER ? length : 0);
}

void mxl_unexp_free(struct mx_endpoint *ep, struct mxl_unexp *u)
{
	ep->unexp_bytes -= unexp_cost(u->kind, u->length);
	free(u);
}

static void fill_recv_status(struct mxl_req *r, uint64_t match_info,
			     const struct mxl_source *src, uint32_t len)
{
	r->status.match_info = match_info;
	r->status.msg_length = len;
	mxl_addr_from_source(r->ep, src, &r->status.source);
}

static void deliver_eager(struct mx_endpoint *ep, struct mxl_req *r, uint64_t match_info,
			  const struct mxl_source *src, const uint8_t *data, uint32_t len)
{
	struct mxl_trunc t = mxl_truncate(len, r->total);

	mxl_scatter(r->iov, r->niov, data, t.xfer_length);
	fill_recv_status(r, match_info, src, len);
	r->status.xfer_length = t.xfer_length;
	ep->counters[MXL_CNT_RECV]++;
	if (t.truncated)
		ep->counters[MXL_CNT_RECV_TRUNCATED]++;
	mxl_req_complete(r, t.truncated ? MX_STATUS_TRUNCATED : MX_STATUS_SUCCESS);
}

/* grant: the announcement when it named the sender's segments itself
 * (MXN_EVTF_GRANT), else NULL; pr: announced in a pair channel, else NULL
 * (we copy it and answer in the channel: no daemon). */
static void start_pull(struct mx_endpoint *ep, struct mxl_req *r, uint64_t match_info,
		       const struct mxl_source *src, uint32_t len, uint32_t handle, uint16_t seq,
		       const struct mxn_evt *grant, const struct mxl_prndv *pr,
		       const struct mxl_wire_rndv *wire)
{
	fill_recv_status(r, match_info, src, len);
	r->rndv_handle = handle;
	r->seq = seq;
	r->wire = wire ? *wire : (struct mxl_wire_rndv){ 0 };
	r->pull_len = r->total < len ? (uint32_t)r->total : len;
	if (pr) {
		mxl_pair_rndv_pull(ep, r, pr);
		return;
	}
	if (grant && mxl_pull_pregranted(ep, r, grant))
		return;
	ep->counters[MXL_CNT_PULL]++;
	mxl_submit(ep, r);
}

void mxl_recv_matched_unexp(struct mx_endpoint *ep, struct mxl_req *r, struct mxl_unexp *u)
{
	if (u->kind == MXL_UNEXP_EAGER)
		deliver_eager(ep, r, u->match_info, &u->src, u->data, u->length);
	else
		start_pull(ep, r, u->match_info, &u->src, u->length, u->rndv_handle, u->seq,
			   NULL, u->kind == MXL_UNEXP_PAIR_RNDV ? (struct mxl_prndv *)u->data : NULL,
			   &u->wire);
	mxl_unexp_free(ep, u);
}

/* A rendezvous the application's handler consumed: release the sender with
 * an empty pull (it completes with xfer_length 0). */
static void discard_rndv(struct mx_endpoint *ep, const struct mxl_source *src,
			 uint64_t match_info, uint32_t len, uint32_t handle,
			 const struct mxl_prndv *pr)
{
	struct mxl_req *r = mxl_req_new(ep, MXL_REQ_DISCARD, NULL);

	if (!r)
		return;
	start_pull(ep, r, match_info, src, len, handle, 0, NULL, pr, NULL);
}

/* An endpoint that moved with us was known by the nic id we lived on. */
static bool same_source(const struct mx_endpoint *ep, const struct mxl_source *a,
			const struct mxl_source *b)
{
	struct mxl_addr x = { .nic_id = a->nic_id, .endpoint = a->endpoint, .session = a->session };
	struct mxl_addr y = { .nic_id = b->nic_id, .endpoint = b->endpoint, .session = b->session };

	return mxl_addr_nic_now(ep, &x) == mxl_addr_nic_now(ep, &y) &&
	       a->endpoint == b->endpoint && a->session == b->session;
}

/* A receive's sender, from its status. */
static struct mxl_source req_source(const struct mxl_req *r)
{
	struct mxl_addr a;

	mxl_addr_unpack(&r->status.source, &a);
	return (struct mxl_source){ .nic_id = a.nic_id, .endpoint = a.endpoint,
				    .session = a.session, .peer = a.peer };
}

bool mxl_req_from(const struct mx_endpoint *ep, const struct mxl_req *r,
		  const struct mxl_source *src)
{
	struct mxl_source was = req_source(r);

	return same_source(ep, &was, src);
}

static struct mxl_unexp *find_unexp_rndv(const struct mx_endpoint *ep, struct mxl_list *head,
					 const struct mxl_source *src, uint16_t seq)
{
	struct mxl_list *pos;

	for (pos = head->next; pos != head; pos = pos->next) {
		struct mxl_unexp *u = mxl_container_of(pos, struct mxl_unexp, link);

		if (u->kind == MXL_UNEXP_RNDV && u->seq == seq && same_source(ep, &u->src, src))
			return u;
	}
	return NULL;
}

void mxl_dup_rndv(struct mx_endpoint *ep, const struct mxl_source *src, uint16_t seq,
		  uint32_t handle, uint64_t match_info, uint32_t len)
{
	struct mxl_list *pos;
	struct mxl_unexp *u;

	for (pos = ep->reannounce.next; pos != &ep->reannounce; pos = pos->next) {
		struct mxl_req *r = mxl_container_of(pos, struct mxl_req, link);

		if (r->seq == seq && mxl_req_from(ep, r, src)) {
			mxl_list_del(&r->link);
			r->state &= ~MXL_RS_REANNOUNCE;
			r->rndv_handle = handle;
			mxl_submit(ep, r);
			return;
		}
	}
	u = find_unexp_rndv(ep, &ep->m.unexp, src, seq);
	if (!u)
		u = find_unexp_rndv(ep, &ep->claimed, src, seq);
	if (u) {
		u->rndv_handle = handle; /* the old one died with the daemon */
		u->wire.life = ep->life;
		return;
	}
	if (mxl_wire_dup(ep, src, seq, handle))
		return;
	/* Pulled completely before the daemon went: release the sender. */
	discard_rndv(ep, src, match_info, len, handle, NULL);
}

/* Ask the unexpected handler.  True when it consumed the message. */
static bool handler_consumed(struct mx_endpoint *ep, const struct mxl_source *src,
			     uint64_t match_info, uint32_t len, const uint8_t *data)
{
	mx_unexp_handler_action_t a;
	mx_endpoint_addr_t addr;

	if (!ep->unexp_handler || ep->in_handler)
		return false;
	mxl_addr_from_source(ep, src, &addr);
	ep->in_handler = true;
	a = ep->unexp_handler(ep->unexp_ctx, addr, match_info, len, (void *)(uintptr_t)data);
	ep->in_handler = false;
	return a == MX_RECV_FINISHED;
}

static struct mxl_source evt_source(const struct mxn_evt *e)
{
	struct mxl_source src = {
		.nic_id = e->src_nic_id & MXN_NIC_ID_MASK, .session = e->src_session,
		.peer = e->src_peer, .endpoint = e->src_endpoint,
	};

	return src;
}

/* Queue what nobody waits for (pr: a rendezvous of a pair channel). */
static void add_unexp(struct mx_endpoint *ep, const struct mxn_evt *e, const uint8_t *data,
		      const struct mxl_source *src, uint16_t seq, const struct mxl_prndv *pr)
{
	bool rndv = e->type == MXN_EVT_RECV_RNDV;
	uint32_t kind = pr ? MXL_UNEXP_PAIR_RNDV : rndv ? MXL_UNEXP_RNDV : MXL_UNEXP_EAGER;
	size_t extra = pr ? sizeof(*pr) : rndv ? 0 : e->length;
	struct mxl_unexp *u = calloc(1, sizeof(*u) + extra);

	if (!u) {
		ep->counters[MXL_CNT_BAD_EVENT]++;
		if (pr) /* the sender must hear of it */
			discard_rndv(ep, src, e->match_info, e->length, pr->handle, pr);
		return;
	}
	ep->counters[MXL_CNT_RECV_UNEXP]++;
	u->match_info = e->match_info;
	u->length = e->length;
	u->src = *src;
	u->kind = kind;
	u->rndv_handle = pr ? pr->handle : e->u.rndv.rndv_handle;
	u->seq = seq;
	u->wire = mxl_wire_of(ep, e);
	u->sync = (e->flags & MXN_EVTF_SYNC) != 0;
	u->data = (uint8_t *)(u + 1);
	if (pr)
		memcpy(u->data, pr, sizeof(*pr));
	else if (!rndv && e->length)
		memcpy(u->data, data, e->length);
	ep->unexp_bytes += unexp_cost(u->kind, u->length);
	mxl_match_add_unexp(&ep->m, u);
	mxl_wake_waiters(ep); /* mx_probe */
}

static void arrival(struct mx_endpoint *ep, const struct mxn_evt *e, const uint8_t *data,
		    const struct mxl_prndv *pr)
{
	struct mxl_source src = evt_source(e);
	struct mxl_wire_rndv wire = mxl_wire_of(ep, e);
	bool rndv = e->type == MXN_EVT_RECV_RNDV;
	struct mxl_posted *p;
	uint16_t seq;

	/* this daemon's number of the sender's host (after a re-attach) */
	mxl_peermap_learn(ep, src.nic_id, src.peer);
	seq = (uint16_t)(e->src_nic_id >> MXN_SEQ_SHIFT);
	if (e->flags & MXN_EVTF_WIRE_SEQ ?
		    mxl_seq_dup_wire(ep->seqs, src.nic_id, src.endpoint, src.session, seq) :
		    mxl_seq_dup(ep->seqs, src.nic_id, src.endpoint, src.session, seq)) {
		/* sent again after a re-attach, and taken before */
		ep->counters[MXL_CNT_DUP_DROPPED]++;
		if (pr) /* only a lying peer numbers a channel's message twice */
			discard_rndv(ep, &src, e->match_info, e->length, pr->handle, pr);
		else if (rndv)
			mxl_dup_rndv(ep, &src, seq, e->u.rndv.rndv_handle, e->match_info,
				     e->length);
		return;
	}
	p = mxl_match_arrival(&ep->m, e->match_info, &src);
	if (!p) {
		if (handler_consumed(ep, &src, e->match_info, e->length, rndv ? NULL : data)) {
			if (rndv)
				discard_rndv(ep, &src, e->match_info, e->length, e->u.rndv.rndv_handle,
					     pr);
			return;
		}
		p = mxl_match_arrival(&ep->m, e->match_info, &src);
	}
	if (p) {
		struct mxl_req *r = mxl_container_of(p, struct mxl_req, posted);

		r->state &= ~MXL_RS_POSTED;
		if (rndv)
			start_pull(ep, r, e->match_info, &src, e->length,
				   pr ? pr->handle : e->u.rndv.rndv_handle, seq, e, pr, &wire);
		else
			deliver_eager(ep, r, e->match_info, &src, data, e->length);
		return;
	}
	add_unexp(ep, e, data, &src, seq, pr);
}

void mxl_arrival(struct mx_endpoint *ep, const struct mxn_evt *e, const uint8_t *data)
{
	arrival(ep, e, data, NULL);
}

void mxl_arrival_pair(struct mx_endpoint *ep, const struct mxn_evt *e, const struct mxl_prndv *pr)
{
	arrival(ep, e, NULL, pr);
}

static struct mxl_req *done_req(struct mx_endpoint *ep, uint64_t cookie, uint32_t k1, uint32_t k2)
{
	struct mxl_req *r = mxl_cookie_take(ep, cookie);

	if (!r || (r->kind != k1 && r->kind != k2)) {
		ep->counters[MXL_CNT_BAD_EVENT]++;
		return NULL;
	}
	return r;
}

/* MXN_EVT_WIRE_SEQ: kept until the send completes or goes again. */
static void on_wire_seq(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	struct mxl_req *r = mxl_cookie_take(ep, e->u.done.cookie); /* stays in flight */

	if (!r || (r->kind != MXL_REQ_SEND && r->kind != MXL_REQ_ZOMBIE) ||
	    e->u.done.xfer_length > UINT16_MAX) {
		ep->counters[MXL_CNT_BAD_EVENT]++;
		return;
	}
	r->wire_seq = (uint16_t)e->u.done.xfer_length;
	r->wire_seq_known = true;
	r->wire_life = ep->life;
}

static void on_send_done(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	struct mxl_req *r = done_req(ep, e->u.done.cookie, MXL_REQ_SEND, MXL_REQ_ZOMBIE);
	mx_status_code_t code;

	if (!r)
		return;
	mxl_follow_landed(ep, r);
	mxl_resend_closed(ep, r); /* newer sends to its peer may go */
	if (e->status == MXN_ST_MOVED) /* held until it says where it went */
		ep->counters[MXL_CNT_MOVED_HELD]++;
	code = mxl_status_from_mxn(e->status);
	if (e->status == MXN_ST_AWAY || e->status == MXN_ST_MOVED)
		mxl_peer_away(ep);
	if (mxl_resend_later(ep, r, code))
		return; /* its peer is still re-attaching */
	if (r->kind == MXL_REQ_ZOMBIE) {
		/* The application had its completion at issue; the daemon
		 * gives the sendq back (a failure can only be counted). */
		ep->nzombies--;
		if (code != MX_STATUS_SUCCESS) {
			ep->counters[MXL_CNT_ZOMBIE_FAILED]++;
			mxl_dest_fail_note(ep, &r->dest, code);
		}
		mxl_req_complete(r, code);
		return;
	}
	if (r->cls == MXL_CLASS_LARGE && r->resent && code == MX_STATUS_SUCCESS &&
	    e->u.done.xfer_length == 0)
		/* resent after a re-attach; the receiver had already pulled it
		 * and released the copy with an empty pull (its length unknown
		 * here: the whole message is reported) */
		r->status.xfer_length = (uint32_t)r->total;
	else if (r->cls == MXL_CLASS_LARGE)
		r->status.xfer_length = e->u.done.xfer_length < r->total ?
					e->u.done.xfer_length : (uint32_t)r->total;
	else
		r->status.xfer_length = code == MX_STATUS_SUCCESS ? (uint32_t)r->total : 0;
	mxl_req_complete(r, code);
}

/* A windowed rendezvous (ours or our pull) wants its next window. */
static void on_region_more(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	struct mxl_req *r = mxl_cookie_take(ep, e->u.done.cookie);

	if (!r || !(r->state & MXL_RS_INFLIGHT) ||
	    !((r->kind == MXL_REQ_SEND && r->cls == MXL_CLASS_LARGE) || r->kind == MXL_REQ_RECV)) {
		ep->counters[MXL_CNT_BAD_EVENT]++;
		return;
	}
	mxl_window_more(ep, r, e->u.done.xfer_length);
}

static void on_pull_done(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	struct mxl_req *r = done_req(ep, e->u.done.cookie, MXL_REQ_RECV, MXL_REQ_DISCARD);

	if (r)
		mxl_pull_complete(ep, r, e->status, e->u.done.xfer_length);
}

/* The node's rendezvous announced again during r's PULL_WIRE, now done. */
static void release_dup(struct mx_endpoint *ep, const struct mxl_req *r, uint32_t handle)
{
	struct mxl_source src = req_source(r);

	discard_rndv(ep, &src, r->status.match_info, r->status.msg_length, handle, NULL);
}

void mxl_pull_complete(struct mx_endpoint *ep, struct mxl_req *r, uint8_t status, uint32_t xfer)
{
	mx_status_code_t code = mxl_status_from_mxn(status);
	uint32_t x = xfer < r->pull_len ? xfer : r->pull_len;
	uint32_t dup = UINT32_MAX;

	if (status == MXN_ST_AWAY)
		mxl_peer_away(ep);
	if (mxl_pull_later(ep, r, code)) {
		r->wire.dup = false; /* that daemon's announcement died with it */
		return; /* the daemon that held its rendezvous went away */
	}
	if (mxl_wire_dup_settle(ep, r, code, &dup))
		return;
	if (dup != UINT32_MAX)
		release_dup(ep, r, dup);
	r->status.xfer_length = x;
	if (code == MX_STATUS_SUCCESS && x < r->status.msg_length)
		code = MX_STATUS_TRUNCATED;
	if (r->kind == MXL_REQ_RECV) {
		ep->counters[MXL_CNT_RECV]++;
		if (code == MX_STATUS_TRUNCATED)
			ep->counters[MXL_CNT_RECV_TRUNCATED]++;
	}
	mxl_req_complete(r, code);
}

static void on_connect_done(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	struct mxl_req *r = done_req(ep, e->u.connect.cookie, MXL_REQ_CONNECT, MXL_REQ_CONNECT);
	struct mxl_addr a;

	if (!r)
		return;
	if (mxl_connect_retry(ep, r, mxl_status_from_mxn(e->status)))
		return;
	if (e->status == MXN_ST_OK) {
		mxl_conn_remember(ep, r, e->u.connect.nic_id & MXN_NIC_ID_MASK, e->u.connect.session);
		mxl_peermap_learn(ep, e->u.connect.nic_id, e->u.connect.peer);
		if (r->moved_from)
			mxl_reconnected(ep, r, e);
		a.nic_id = e->u.connect.nic_id;
		a.peer = e->u.connect.peer;
		a.endpoint = e->u.connect.endpoint;
		a.session = e->u.connect.session;
		a.owner = ep->serial;
		a.valid = true;
		mxl_addr_pack(&a, &r->status.source);
	}
	mxl_req_complete(r, mxl_status_from_mxn(e->status));
}

static void on_lookup_done(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	struct mxl_req *r = done_req(ep, e->u.lookup.cookie, MXL_REQ_LOOKUP, MXL_REQ_LOOKUP);
	uint32_t off = e->u.lookup.name_off, n = e->u.lookup.name_len;

	if (!r)
		return;
	if (r->map_peer)
		mxl_peermap_answer(ep, r, e);
	if (e->status == MXN_ST_OK) {
		r->nic_id = e->u.lookup.nic_id;
		if (n && n <= MXN_HOSTNAME_MAX && off <= ep->lay.recvq_size &&
		    n <= ep->lay.recvq_size - off) {
			memcpy(r->name, ep->recvq + off, n);
			r->name[n] = '\0';
		}
	}
	mxl_req_complete(r, mxl_status_from_mxn(e->status));
}

static bool queued_ok(const struct mx_endpoint *ep, const struct mxn_evt *e)
{
	return e->length <= MXN_MEDIUM_MAX_LIMIT && e->u.q.off <= ep->lay.recvq_size &&
	       e->length <= ep->lay.recvq_size - e->u.q.off;
}

static void handle_event(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	switch (e->type) {
	case MXN_EVT_RECV_TINY:
		if (e->length > MXN_TINY_MAX)
			break;
		mxl_arrival(ep, e, e->u.tiny);
		return;
	case MXN_EVT_RECV_QUEUED:
		if (!queued_ok(ep, e))
			break;
		mxl_arrival(ep, e, ep->recvq + e->u.q.off);
		return;
	case MXN_EVT_RECV_RNDV:
		mxl_arrival(ep, e, NULL); /* any 32-bit length */
		return;
	case MXN_EVT_SEND_DONE:
		on_send_done(ep, e);
		return;
	case MXN_EVT_PULL_DONE:
		on_pull_done(ep, e);
		return;
	case MXN_EVT_CONNECT_DONE:
		on_connect_done(ep, e);
		return;
	case MXN_EVT_LOOKUP_DONE:
		on_lookup_done(ep, e);
		return;
	case MXN_EVT_PULL_GRANT:
		mxl_on_pull_grant(ep, e);
		return;
	case MXN_EVT_PULL_DATA:
		mxl_on_pull_data(ep, e);
		return;
	case MXN_EVT_REGION_MORE:
		on_region_more(ep, e);
		return;
	case MXN_EVT_WAKE:
	case MXN_EVT_NONE:
	case MXN_EVT_RECV_VOID: /* counted by process_events, nothing else */
		return;
	case MXN_EVT_PAIR_OPEN:
	case MXN_EVT_PAIR_XEN_OFFER:
	case MXN_EVT_PAIR_XEN_MAP:
		mxl_pair_open(ep, e);
		return;
	case MXN_EVT_PAIR_CLOSED:
		mxl_pair_closed(ep, e);
		return;
	case MXN_EVT_GUEST_ERROR:
		ep->dead = true; /* cut off on purpose: no re-attach */
		return;
	case MXN_EVT_MOVED:
		mxl_on_moved(ep, e);
		return;
	case MXN_EVT_WIRE_SEQ:
		on_wire_seq(ep, e);
		return;
	default:
		break;
	}
	ep->counters[MXL_CNT_BAD_EVENT]++;
}

static bool is_arrival(uint8_t type)
{
	return type == MXN_EVT_RECV_TINY || type == MXN_EVT_RECV_QUEUED || type == MXN_EVT_RECV_RNDV;
}

/* Flow control (MX_PARAM_UNEXP_QUEUE_MAX): with the unexpected queue full,
 * an arrival no receive wants stays in the ring, which backs the daemon and
 * the sender up, until the application receives something. */
bool mxl_unexp_full(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	struct mxl_source src = evt_source(e);

	return ep->unexp_bytes >= ep->unexp_queue_max && !ep->unexp_handler &&
	       !mxl_match_has_posted(&ep->m, e->match_info, &src);
}

static bool must_stall(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	return is_arrival(e->type) && mxl_unexp_full(ep, e);
}

/*
 * A daemon-path message from a local peer (pair.h "Order"): the counts of
 * the sender, or NULL when it is not one.  Before it is handled, every
 * channel message sent before it (e->pair_seq of them) is consumed.
 * False: it must wait (a channel arrival it follows waits for a receive).
 */
static bool in_order(struct mx_endpoint *ep, const struct mxn_evt *e, struct mxl_lpeer **out)
{
	struct mxl_lpeer *lp;
	uint32_t until;
	int16_t ahead;

	*out = NULL;
	if ((!is_arrival(e->type) && e->type != MXN_EVT_RECV_VOID) || e->src_peer != MXN_PEER_SELF)
		return true;
	lp = mxl_lpeer(ep, e->src_endpoint, e->src_session);
	*out = lp;
	if (!lp || !lp->pair)
		return true;
	ahead = (int16_t)(e->pair_seq - (uint16_t)lp->rx_p);
	if (ahead <= 0)
		return true;
	until = lp->rx_p + (uint32_t)ahead;
	if (mxl_pair_drain(ep, lp, &until))
		return true;
	if (ep->unexp_stalled)
		return false;
	/* The peer announced channel messages it never wrote (or broke the
	 * channel meanwhile): it is cut off; the event goes on. */
	if (lp->pair && !lp->pair->broken) {
		lp->pair->broken = true;
		ep->counters[MXL_CNT_PAIR_FAULT]++;
	}
	return true;
}

/* A daemon-path message from a local peer that is a resend of one already
 * taken (reattach.c): dropped, so it must not count in the pair order. */
static bool resent_dup(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	struct mxl_source src = evt_source(e);

	return mxl_seq_seen(ep->seqs, src.nic_id, src.endpoint, src.session,
			    (uint16_t)(e->src_nic_id >> MXN_SEQ_SHIFT));
}

static uint32_t process_events(struct mx_endpoint *ep)
{
	uint32_t prod = mxn_ring_peek_prod(&ep->evt), n = 0;
	struct mxn_evt e;

	if (!mxn_ring_sane(&ep->evt, prod, ep->evt.cons_pvt)) {
		ep->counters[MXL_CNT_BAD_EVENT]++;
		ep->dead = true;
		return 0;
	}
	ep->unexp_stalled = false;
	while (ep->evt.cons_pvt != prod && n < MXL_EVT_BUDGET) {
		struct mxl_lpeer *lp;

		memcpy(&e, &ep->evt_slots[ep->evt.cons_pvt & ep->evt.mask], sizeof(e));
		if ((!ep->reattaching && must_stall(ep, &e)) || !in_order(ep, &e, &lp)) {
			ep->unexp_stalled = true;
			ep->counters[MXL_CNT_UNEXP_STALL]++;
			break;
		}
		if (lp && resent_dup(ep, &e))
			lp = NULL;
		handle_event(ep, &e);
		if (lp)
			lp->rx_d++;
		ep->evt.cons_pvt++;
		n++;
	}
	/* Payloads were copied out above, so the recvq may be reused now. */
	if (n && mxn_ring_release(&ep->evt))
		(void)ep->t.ops->kick(&ep->t);
	return n;
}

void mxl_drain_events(struct mx_endpoint *ep)
{
	bool nested = ep->in_progress;

	ep->in_progress = true; /* a handler's nested call must not re-read the slot */
	while (!ep->dead && process_events(ep))
		;
	ep->in_progress = nested;
}

void mxl_fail_all(struct mx_endpoint *ep, mx_status_code_t code)
{
	uint32_t i;

	ep->dead = true;
	while (!mxl_list_empty(&ep->reannounce))
		mxl_req_complete(mxl_container_of(ep->reannounce.next, struct mxl_req, link), code);
	while (!mxl_list_empty(&ep->resend))
		mxl_req_complete(mxl_container_of(ep->resend.next, struct mxl_req, link), code);
	for (i = 0; i < ep->ncookies; i++)
		if (ep->cookies[i].req)
			mxl_req_complete(ep->cookies[i].req, code);
	while (!mxl_list_empty(&ep->backlog))
		mxl_req_complete(mxl_container_of(ep->backlog.next, struct mxl_req, link), code);
	while (!mxl_list_empty(&ep->retry))
		mxl_req_complete(mxl_container_of(ep->retry.next, struct mxl_req, link), code);
	while (!mxl_list_empty(&ep->send_wait))
		mxl_req_complete(mxl_container_of(ep->send_wait.next, struct mxl_req, link), code);
	while (!mxl_list_empty(&ep->m.posted))
		mxl_req_complete(mxl_container_of(ep->m.posted.next, struct mxl_req, posted.link),
				 code);
	for (i = 0; i < ep->npairs; i++) /* sends announced in a channel */
		while (!mxl_list_empty(&ep->pairs[i]->rndv_out))
			mxl_req_complete(mxl_container_of(ep->pairs[i]->rndv_out.next,
							  struct mxl_req, link), code);
}

/*
 * Nothing for mxl_progress to do: no event, no channel message, nothing
 * waiting on a list or a timer, nothing written and not published.  A
 * spinning wait and an application polling with mx_test call progress far
 * more often than anything arrives; this look costs a few loads instead of
 * the whole pass (and no clock read).  Whatever progress learns to do must
 * be seen here too.
 */
/* Work on a list or a timer (faults to report, connects to retry, sends
 * to resend or waiting for room, a backlog). */
static bool housekeeping_due(const struct mx_endpoint *ep)
{
	if (ep->nfault_pending || ep->nxen_ans || !mxl_list_empty(&ep->backlog) || !mxl_list_empty(&ep->retry) ||
	    !mxl_list_empty(&ep->send_wait) || !mxl_list_empty(&ep->resend) ||
	    !mxl_list_empty(&ep->reannounce))
		return true;
	for (uint32_t i = 0; i < ep->npairs; i++)
		if (ep->pairs[i]->broken)
			return true;
	return false;
}

bool mxl_progress_quiet(const struct mx_endpoint *ep)
{
	if (ep->lost || ep->dead || ep->unexp_stalled ||
	    mxn_ring_peek_prod(&ep->evt) != ep->evt.cons_pvt ||
	    atomic_load_explicit(MXN_ATOMIC(&ep->cmd.ctl->prod), memory_order_relaxed) !=
		    ep->cmd.prod_pvt ||
	    housekeeping_due(ep))
		return false;
	for (uint32_t i = 0; i < ep->npairs; i++) {
		const struct mxl_pair *p = ep->pairs[i];

		/* The slot we expect, not the peer's prod: a spinning
		 * receiver keeps off the producer's cache lines but one. */
		if (p->tx_pushed != p->tx.prod_pvt || p->nfin_wait ||
		    mxl_pair_rx_state(p) != MXN_PAIR_SEQ_EMPTY)
			return false;
	}
	return true;
}

void mxl_progress(struct mx_endpoint *ep)
{
	if (ep->in_progress)
		return; /* a handler's nested call must not re-read the slot being handled */
	/* Quiet: done, but for the liveness look every MXL_IDLE_CHECK passes. */
	if (ep->idle_polls + 1u < MXL_IDLE_CHECK && mxl_progress_quiet(ep)) {
		ep->idle_polls++;
		return;
	}
	mxl_progress_full(ep);
}

void mxl_progress_full(struct mx_endpoint *ep)
{
	uint32_t n;

	if (ep->in_progress)
		return;
	if (ep->lost && !ep->dead) {
		ep->lost = false;
		if (!mxl_reattach(ep))
			ep->dead = true;
	}
	if (ep->dead) {
		mxl_fail_all(ep, MX_STATUS_ABORTED);
		return;
	}
	ep->in_progress = true;
	n = process_events(ep);
	if (!ep->dead && ep->npairs)
		mxl_pair_drain_all(ep);
	ep->in_progress = false;
	if (!ep->dead) {
		if (housekeeping_due(ep)) {
			mxl_pair_report_faults(ep);
			mxl_connect_retry_due(ep);
			mxl_resend_due(ep);
			mxl_send_wait_drain(ep);
			mxl_issue_backlog(ep);
		}
		mxl_flush(ep);
	}
	if (n)
		ep->idle_polls = 0;
	else if (++ep->idle_polls >= MXL_IDLE_CHECK) {
		ep->idle_polls = 0;
		if (ep->t.ops->dead(&ep->t))
			ep->lost = true; /* re-attached (or declared dead) next time */
	}
	if (ep->dead)
		mxl_fail_all(ep, MX_STATUS_ABORTED);
}

/* MX progresses every endpoint in the background; we have no thread of our
 * own, so a waiter lends a hand to the process's other endpoints while
 * sends wait for room (their events free it).  trylock: never wait for an
 * endpoint another thread is in; an endpoint with an unexpected handler is
 * left to its owner (the handler must not run under the global lock). */
void mxl_progress_others(struct mx_endpoint *self)
{
	struct mx_endpoint *e;

	mxl_global_lock();
	for (e = mxl_first_endpoint(); e; e = e->next_open) {
		if (e == self || e->unexp_handler || pthread_mutex_trylock(&e->lock))
			continue;
		mxl_progress(e);
		mxl_unlock(e);
	}
	mxl_global_unlock();
}
