/* SPDX-License-Identifier: MIT */
/*
 * PULL: moving a local rendezvous into the receiver's region.  Three ways,
 * best first; a process that is no longer the principal that opened its
 * endpoint is refused and counted (the sender before a grant, both ends by
 * the worker before a mediated copy):
 *  1. direct: the receiver's library copies it itself with one
 *     process_vm_readv under its own credentials (same principal only):
 *     PULL_GRANT event, then its PULL_FIN (which completes the receive in
 *     the library: no PULL_DONE).  Nothing on the loop but the bookkeeping,
 *     one copy, no daemon privilege involved.
 *  2. async: a transport worker copies it off the loop, bounded in time
 *     (a stalled copy fails alone, MXN_ST_TIMEOUT, counted).
 *  3. sync: through the bounce buffer on the loop, for transports that have
 *     neither (Xen grant copies, unit-test transports).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core_priv.h"

/* Move len bytes from the sender's region at src_off to the receiver's at
 * dst_off, through the core's bounce buffer.  Returns the status for both
 * completions. */
uint8_t mxd_pull_copy_at(struct mxd_rndv *r, struct mxd_endpoint *dst, const struct mxd_region *to,
			 uint64_t src_off, uint64_t dst_off, uint32_t len)
{
	uint8_t *buf = dst->core->bounce;
	uint64_t off;

	for (off = 0; off < len;) {
		size_t n = len - off > MXD_BOUNCE_SIZE ? MXD_BOUNCE_SIZE : len - off;

		if (r->src->ops->region_read(r->src, r->region, src_off + off, buf, n)) {
			r->src->st.region_faults++;
			return MXN_ST_BAD_REQUEST;
		}
		if (dst->ops->region_write(dst, to, dst_off + off, buf, n)) {
			dst->st.region_faults++;
			return MXN_ST_BAD_REQUEST;
		}
		off += n;
	}
	return MXN_ST_OK;
}

uint8_t mxd_pull_copy(struct mxd_rndv *r, struct mxd_endpoint *dst,
		      const struct mxd_region *to, uint32_t len)
{
	return mxd_pull_copy_at(r, dst, to, 0, 0, len);
}

/* Complete a local pull on both sides (the receiver unless it completed
 * itself: PULL_FIN) and forget the rendezvous. */
static void pull_end(struct mxd_endpoint *ep, struct mxd_rndv *r, uint64_t cookie,
		     uint8_t status, uint32_t len, bool answer)
{
	if (r->src_gone)
		status = mxd_rndv_gone_status(r);
	if (status != MXN_ST_OK)
		len = 0;
	ep->st.pull_bytes += len;
	if (answer)
		mxd_ep_done(ep, MXN_EVT_PULL_DONE, cookie, status, len);
	if (r->src) {
		struct mxd_endpoint *src = r->src;

		mxd_ep_done(src, MXN_EVT_SEND_DONE, r->cookie, status, len);
		mxd_ep_activate(src);
	}
	mxd_rndv_table_del(ep, r);
	mxd_rndv_free(r);
	/* A table slot came free: senders stalled on a full table may go on
	 * (their retry is not tied to an event-ring cons movement). */
	mxd_ep_wake_waiters(ep);
}

void mxd_pull_finish(struct mxd_endpoint *ep, struct mxd_rndv *r, uint64_t cookie,
		     uint8_t status, uint32_t len)
{
	pull_end(ep, r, cookie, status, len, true);
}

static uint8_t refused_status(struct mxd_core *core, int err)
{
	core->st.pull_refused++;
	mxd_log_rl(&core->rl_fault, MXD_LOG_NOTICE,
		   "pull refused: %s", err == -ESRCH ? "a process exited"
						    : "a process is no longer who opened its endpoint");
	return MXN_ST_BAD_REQUEST;
}

/* The sender's segments into ep's recvq, freed with the event slot at
 * prod_pvt (the next one produced).  -EAGAIN: no room. */
static int grant_segs(struct mxd_endpoint *ep, const struct mxd_rndv *r, uint32_t *off)
{
	uint32_t bytes = r->region->nsegs * (uint32_t)sizeof(struct mxn_vaddr_seg);

	if (r->region->kind != MXN_REGION_VADDR || !r->region->nsegs ||
	    mxd_recvq_alloc(&ep->rq, bytes, ep->evt.prod_pvt, off))
		return -EAGAIN;
	memcpy(ep->recvq + *off, r->region->seg.vaddr, bytes);
	return 0;
}

/* Hand the sender's segments to the receiving library (method 1). */
static int grant(struct mxd_endpoint *ep, struct mxd_rndv *r, uint64_t cookie, uint32_t len,
		 uint32_t pid)
{
	struct mxn_evt *e;
	uint32_t off;

	if (!mxd_ep_recv_room(ep) || grant_segs(ep, r, &off))
		return -EAGAIN;
	e = mxd_ep_slot(ep);
	memset(e, 0, sizeof(*e));
	e->type = MXN_EVT_PULL_GRANT;
	e->length = len;
	e->u.grant.cookie = cookie;
	e->u.grant.pid = pid;
	e->u.grant.xfer_length = len;
	e->u.grant.segs_off = off;
	e->u.grant.nsegs = (uint16_t)r->region->nsegs;
	e->u.grant.rndv_handle = r->handle;
	mxd_ep_commit(ep);
	r->granted = true;
	return 0;
}

/*
 * Method 1 at announcement: a library that copies for itself
 * (MXN_RINGF_PREGRANT, a hint it gives about itself only) gets the sender's
 * segments in the RECV_RNDV slot e (not yet committed) when a PULL would be
 * granted now, after the same checks, so a receive it already posted
 * copies at once: no PULL, no GRANT, two wake-ups fewer per message.  A
 * refusal is not counted here: the PULL that follows is refused, counted.
 */
void mxd_pull_pregrant(struct mxd_endpoint *dst, struct mxd_rndv *r, struct mxn_evt *e)
{
	const struct mxd_transport_ops *ops = dst->ops;
	uint32_t pid, off;

	/* relaxed: the flag orders nothing, it only picks the event's form */
	if (!ops->pull_direct || r->src->ops != ops || !r->length ||
	    r->region->total_len != r->length ||
	    !(atomic_load_explicit(MXN_ATOMIC(&dst->evt.ctl->flags), memory_order_relaxed) &
	      MXN_RINGF_PREGRANT) ||
	    ops->pull_direct(r->src, dst, &pid) ||
	    (ops->pull_owner_check && ops->pull_owner_check(r->src)) || grant_segs(dst, r, &off))
		return;
	e->flags |= MXN_EVTF_GRANT;
	e->u.rndv.pid = pid;
	e->u.rndv.segs_off = off;
	e->u.rndv.nsegs = (uint16_t)r->region->nsegs;
	r->pregranted = true;
	dst->core->st.pull_pregranted++;
}

void mxd_pull_hold(struct mxd_endpoint *ep, struct mxd_rndv *r, const struct mxn_cmd *c,
		   uint32_t len, struct mxd_region *to)
{
	r->pulling = true;
	r->pull_cookie = c->cookie;
	r->pull_len = len;
	r->pull_region = to;
	ep->remote_inflight++; /* a held command, bounded like the wire's */
}

/* Methods 1 and 2.  0: under way (or answered); -EAGAIN: do it on the loop. */
static int pull_local(struct mxd_endpoint *ep, struct mxd_rndv *r, const struct mxn_cmd *c,
		      uint32_t len, struct mxd_region *to)
{
	const struct mxd_transport_ops *ops = ep->ops;
	uint32_t pid;
	int err;

	if (r->src->ops != ops || !len)
		return -EAGAIN;
	if ((c->flags & MXN_CMDF_DIRECT) && ops->pull_direct && !ops->pull_direct(r->src, ep, &pid)) {
		/* Only the sender's identity matters: the receiver reads into
		 * its own memory with its own rights. */
		err = ops->pull_owner_check ? ops->pull_owner_check(r->src) : 0;
		if (err) {
			mxd_pull_finish(ep, r, c->cookie, refused_status(ep->core, err), 0);
			mxd_region_free(to);
			return 0;
		}
		if (!grant(ep, r, c->cookie, len, pid)) {
			mxd_pull_hold(ep, r, c, len, to);
			return 0;
		}
	}
	if (!ops->pull_async)
		return -EAGAIN;
	err = ops->pull_async(r->src, r->region, ep, to, len, r, &r->job);
	if (err) {
		ep->st.no_resources++;
		ep->core->st.pull_busy++;
		mxd_pull_finish(ep, r, c->cookie, MXN_ST_NO_RESOURCES, 0);
		mxd_region_free(to);
		return 0;
	}
	r->job_ops = ops;
	mxd_pull_hold(ep, r, c, len, to);
	return 0;
}

/* The wire engine pulls r (remote_ref, or for PULL_WIRE the sender c names). */
static int remote_pull(struct mxd_endpoint *ep, struct mxd_rndv *r, const struct mxn_cmd *c,
		       uint32_t len)
{
	const struct mxd_remote_ops *ops = ep->core->remote;
	void *priv = ep->core->remote_priv;

	if (!ops)
		return -ENOTCONN;
	if (c->op == MXN_CMD_PULL_WIRE)
		return ops->pull_wire ? ops->pull_wire(priv, mxd_ep_ref(ep), c, r->handle, len)
				      : -ENOTCONN;
	return ops->pull ? ops->pull(priv, mxd_ep_ref(ep), r->remote_ref, r->handle, len)
			 : -ENOTCONN;
}

/* PULL or PULL_WIRE of r into the region at desc_off (desc_len bytes). */
static int pull_into(struct mxd_endpoint *ep, struct mxd_rndv *r, const struct mxn_cmd *c,
		     uint32_t desc_off, uint32_t desc_len, uint32_t pull_len)
{
	struct mxd_region *to = NULL;
	uint32_t len;
	int err;

	err = mxd_region_copy(ep->sendq, ep->geo.sendq_size, desc_off, desc_len,
			      ep->ops->region_kind, &to);
	if (!err && ep->ops->validate_region)
		err = ep->ops->validate_region(ep, to);
	if (err == -ENOMEM) {
		if (c->op == MXN_CMD_PULL_WIRE) { /* a PULL may ask again, this one is new */
			mxd_rndv_table_del(ep, r);
			mxd_rndv_free(r);
		}
		mxd_ep_done(ep, MXN_EVT_PULL_DONE, c->cookie, MXN_ST_NO_RESOURCES, 0);
		return 0;
	}
	if (err) {
		mxd_ep_fault(ep, "bad region descriptor in PULL");
		return -EPROTO;
	}
	len = pull_len;
	if (len > r->length)
		len = r->length;
	/* A region shorter than that is the most the receiver takes, unless
	 * it is the first window of it (abi.h). */
	if (len > to->total_len && !mxn_region_windowed(to->total_len, len))
		len = (uint32_t)to->total_len;
	ep->st.pulls++;
	if (mxd_window_wanted(r, to, len))
		return mxd_window_pull(ep, r, c, len, to);
	if (r->remote_src) {
		mxd_pull_hold(ep, r, c, len, to);
		r->staged = c->flags & MXN_CMDF_STAGED;
		err = remote_pull(ep, r, c, len);
		if (err) {
			ep->remote_inflight--;
			mxd_rndv_table_del(ep, r);
			mxd_rndv_free(r);
			mxd_ep_done(ep, MXN_EVT_PULL_DONE, c->cookie, mxd_remote_errno_status(err), 0);
		}
		return 0;
	}
	if (!r->src_gone && pull_local(ep, r, c, len, to) == 0)
		return 0;
	r->pull_region = to;
	mxd_pull_finish(ep, r, c->cookie,
			r->src_gone ? mxd_rndv_gone_status(r) : mxd_pull_copy(r, ep, to, len), len);
	return 0;
}

static int bad_handle(struct mxd_endpoint *ep, const struct mxn_cmd *c)
{
	ep->st.bad_cmds++;
	ep->core->st.bad_cmds++;
	mxd_ep_done(ep, MXN_EVT_PULL_DONE, c->cookie, MXN_ST_BAD_REQUEST, 0);
	return ep->st.bad_cmds > MXD_BAD_CMDS_MAX ? -EPROTO : 0;
}

int mxd_cmd_pull(struct mxd_endpoint *ep, const struct mxn_cmd *c)
{
	struct mxd_rndv *r = mxd_rndv_table_find(ep, c->u.pull.rndv_handle);

	if (!r || r->pulling)
		return bad_handle(ep, c); /* a stale or invented handle: answer, do not guess */
	return pull_into(ep, r, c, c->u.pull.desc_off, c->u.pull.desc_len, c->u.pull.pull_len);
}

/*
 * A native Open-MX rendezvous an earlier daemon announced (abi.h
 * MXN_CMD_PULL_WIRE): a rendezvous entry of its own, as an announcement
 * would have made, pulled at once; the engine checks the sender.
 */
int mxd_cmd_pull_wire(struct mxd_endpoint *ep, const struct mxn_cmd *c)
{
	struct mxd_rndv *r = calloc(1, sizeof(*r));

	if (!r) {
		mxd_ep_done(ep, MXN_EVT_PULL_DONE, c->cookie, MXN_ST_NO_RESOURCES, 0);
		return 0;
	}
	r->remote_src = true;
	r->length = c->u.wpull.msg_length;
	if (mxd_rndv_table_add(ep, r)) {
		free(r);
		mxd_ep_done(ep, MXN_EVT_PULL_DONE, c->cookie, MXN_ST_NO_RESOURCES, 0);
		return 0;
	}
	return pull_into(ep, r, c, c->u.wpull.desc_off, c->u.wpull.desc_len, c->u.wpull.pull_len);
}

int mxd_cmd_pull_fin(struct mxd_endpoint *ep, const struct mxn_cmd *c)
{
	struct mxd_rndv *r = mxd_rndv_table_find(ep, c->u.fin.rndv_handle);
	uint32_t len = c->u.fin.xfer_length;
	uint8_t status = c->u.fin.status;

	/* Granted to its PULL (that cookie), or in the announcement and not
	 * pulled since (any cookie: there was no PULL). */
	if (!r || (r->pulling ? !r->granted || r->pull_cookie != c->cookie : !r->pregranted)) {
		/* Nothing answers a PULL_FIN: count it, and a flood is a fault. */
		ep->st.bad_cmds++;
		ep->core->st.bad_cmds++;
		return ep->st.bad_cmds > MXD_BAD_CMDS_MAX ? -EPROTO : 0;
	}
	if (len > (r->pulling ? r->pull_len : r->length))
		len = r->pulling ? r->pull_len : r->length;
	if (r->pulling && ep->remote_inflight)
		ep->remote_inflight--;
	ep->core->st.pull_direct++;
	if (status == MXN_ST_OK)
		ep->core->st.pull_direct_bytes += len;
	else
		ep->core->st.pull_direct_failed++;
	pull_end(ep, r, r->pull_cookie, status, len, false);
	return 0;
}

void mxd_pull_async_done(void *token, int err, uint32_t len)
{
	struct mxd_rndv *r = token;
	struct mxd_endpoint *ep = r->dst;
	struct mxd_core *core = ep->core;
	uint8_t status = MXN_ST_OK;

	r->job = NULL;
	core->st.pull_async++;
	if (err == -ETIMEDOUT) {
		core->st.pull_stalled++;
		status = MXN_ST_TIMEOUT;
	} else if (err == -EPERM || err == -ESRCH) {
		status = refused_status(core, err);
	} else if (err) {
		ep->st.region_faults++;
		status = MXN_ST_BAD_REQUEST;
	} else {
		core->st.pull_async_bytes += len;
	}
	if (r->windowed) {
		/* one window moved: ask for the next, or end with the total */
		if (status == MXN_ST_OK && mxd_window_next(ep, r, len))
			return;
		len = r->moved;
	}
	if (ep->remote_inflight)
		ep->remote_inflight--;
	mxd_pull_finish(ep, r, r->pull_cookie, status, len);
	mxd_ep_activate(ep);
}
