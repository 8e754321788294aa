/* SPDX-License-Identifier: MIT */
/* The wire engine's entry points into the core (see remote.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core_priv.h"

uint8_t mxd_remote_errno_status(int err)
{
	switch (err) {
	case -ENOMEM:
	case -ENOBUFS:
		return MXN_ST_NO_RESOURCES;
	case -ETIMEDOUT:
		return MXN_ST_TIMEOUT;
	case -ENOENT:
		return MXN_ST_NOT_FOUND;
	case -EHOSTUNREACH:
		return MXN_ST_MOVED;
	default:
		return MXN_ST_BAD_ENDPOINT;
	}
}

static struct mxd_endpoint *ep_of(struct mxd_core *c, struct mxd_epref ref)
{
	struct mxd_endpoint *ep = mxd_endpoint_lookup(c, ref.index);

	return ep && ep->session == ref.session && !ep->fault ? ep : NULL;
}

/* A connect/send/lookup the engine took has completed: one less owed. */
static void remote_landed(struct mxd_endpoint *ep)
{
	if (ep->remote_inflight)
		ep->remote_inflight--;
	/* Consumption may have paused on the in-flight bound. */
	mxd_ep_activate(ep);
}

static void fill_remote_src(struct mxn_evt *e, const struct mxd_src *src, uint64_t match,
			    uint32_t len)
{
	e->length = len;
	e->match_info = match;
	e->src_nic_id = mxn_evt_nic_seq(src->nic_id, src->seq);
	e->src_peer = src->peer;
	e->src_endpoint = src->endpoint;
	e->src_session = src->session;
	if (src->wire_seq)
		e->flags |= MXN_EVTF_WIRE_SEQ;
}

/*
 * Whether ep can take a message from the wire now: -ESRCH when it is gone
 * (the engine refuses the sender), -EBUSY while it is quiet (its guest is
 * being saved or its daemon is stopping: its ring is never written again,
 * the message stays unacked and its sender resends it to whatever endpoint
 * comes back).  Checked here, not only by callers: every delivery path of
 * the engine (held messages released later included) lands here.
 */
static int takes(const struct mxd_endpoint *ep)
{
	if (!ep)
		return -ESRCH;
	return ep->quiet ? -EBUSY : 0;
}

static bool room(struct mxd_endpoint *ep)
{
	return !ep->backlog.count && mxd_ep_room(ep) > 0;
}

/* The engine holds the message: tell it when the guest makes room
 * (mxd_endpoint_poll -> remote->room). */
static int no_room(struct mxd_endpoint *ep)
{
	ep->remote_wants_room = true;
	mxd_ep_watch_space(ep);
	return -EAGAIN;
}

int mxd_remote_deliver_tiny(struct mxd_core *c, struct mxd_epref to, const struct mxd_src *src,
			    uint64_t match_info, const void *data, uint32_t len)
{
	struct mxd_endpoint *ep = ep_of(c, to);
	struct mxn_evt *e;
	int err = takes(ep);

	if (err)
		return err;
	if (len > MXN_TINY_MAX)
		return -EINVAL;
	if (!room(ep))
		return no_room(ep);
	e = mxd_ep_slot(ep);
	memset(e, 0, sizeof(*e));
	e->type = MXN_EVT_RECV_TINY;
	fill_remote_src(e, src, match_info, len);
	if (len)    /* a held 0-byte tiny has no buffer: data is NULL */
		memcpy(e->u.tiny, data, len);
	mxd_ep_commit(ep);
	ep->st.recv_tiny++;
	return 0;
}

int mxd_remote_deliver_queued(struct mxd_core *c, struct mxd_epref to, const struct mxd_src *src,
			      uint64_t match_info, const void *data, uint32_t len)
{
	struct mxd_endpoint *ep = ep_of(c, to);
	struct mxn_evt *e;
	uint32_t off;
	int err = takes(ep);

	if (err)
		return err;
	if (!len || len > c->cfg.limits.medium_max || len > MXN_MEDIUM_MAX_LIMIT)
		return -EINVAL;
	if (!room(ep))
		return no_room(ep);
	err = mxd_recvq_alloc(&ep->rq, len, ep->evt.prod_pvt, &off);
	if (err)
		return err == -ENOSPC ? no_room(ep) : err;
	memcpy(ep->recvq + off, data, len);
	e = mxd_ep_slot(ep);
	memset(e, 0, sizeof(*e));
	e->type = MXN_EVT_RECV_QUEUED;
	fill_remote_src(e, src, match_info, len);
	e->u.q.off = off;
	mxd_ep_commit(ep);
	ep->st.recv_queued++;
	return 0;
}

int mxd_remote_deliver_rndv(struct mxd_core *c, struct mxd_epref to, const struct mxd_src *src,
			    uint64_t match_info, uint32_t length, uint8_t flags,
			    uint64_t remote_ref)
{
	struct mxd_endpoint *ep = ep_of(c, to);
	struct mxd_rndv *r;
	struct mxn_evt *e;
	int err = takes(ep);

	if (err)
		return err;
	if (!room(ep))
		return no_room(ep);
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->remote_src = true;
	r->remote_ref = remote_ref;
	r->length = length;
	if (mxd_rndv_table_add(ep, r)) {
		free(r);
		return -EAGAIN;
	}
	e = mxd_ep_slot(ep);
	memset(e, 0, sizeof(*e));
	e->type = MXN_EVT_RECV_RNDV;
	e->flags = flags & MXN_EVTF_SYNC;
	fill_remote_src(e, src, match_info, length);
	e->u.rndv.rndv_handle = r->handle;
	if (src->wire_seq) /* quoted in MXN_CMD_PULL_WIRE after a re-attach */
		e->u.rndv.wire = src->wire_rdma;
	mxd_ep_commit(ep);
	ep->st.recv_rndv++;
	return 0;
}

int mxd_remote_connect_done(struct mxd_core *c, struct mxd_epref ref, uint64_t cookie,
			    uint8_t status, uint64_t nic_id, uint16_t peer, uint8_t endpoint,
			    uint32_t session)
{
	struct mxd_endpoint *ep = ep_of(c, ref);
	struct mxn_evt e = { .type = MXN_EVT_CONNECT_DONE, .status = status };

	if (!ep)
		return -ESRCH;
	e.u.connect.cookie = cookie;
	e.u.connect.nic_id = nic_id;
	e.u.connect.peer = peer;
	e.u.connect.endpoint = endpoint;
	e.u.connect.session = session;
	remote_landed(ep);
	return mxd_ep_emit(ep, &e);
}

int mxd_remote_moved(struct mxd_core *c, struct mxd_epref ref, uint64_t old_nic,
		     const struct mxd_src *now)
{
	struct mxd_endpoint *ep = ep_of(c, ref), *was;
	struct mxn_evt e = { .type = MXN_EVT_MOVED };
	int err;

	if (!ep)
		return -ESRCH;
	if (old_nic == c->nic_id) {
		/* it lived here: ep must have had a connection with it, and it
		 * must be gone from here (docs/security.md) */
		was = mxd_endpoint_lookup(c, now->endpoint);
		if (!now->session || ep->conn[now->endpoint] != now->session ||
		    (was && was->session == now->session && !was->quiet))
			return -EPERM;
	}
	fill_remote_src(&e, now, 0, 0);
	e.u.moved.old_nic_id = old_nic;
	err = mxd_ep_emit(ep, &e);
	if (err || old_nic != c->nic_id || c->away_session[now->endpoint] != now->session)
		return err;
	/* Sends parked for its return (core_park.c) go back MXN_ST_MOVED,
	 * after this event, so the library sends them where it went. */
	c->away_moved[now->endpoint] = true;
	mxd_ep_activate(ep);
	return 0;
}

int mxd_remote_moved_key(struct mxd_core *c, struct mxd_epref ref, uint8_t rep, uint32_t rsession,
			 uint32_t key)
{
	struct mxd_endpoint *ep = ep_of(c, ref), *was = mxd_endpoint_lookup(c, rep);

	if (!ep)
		return -ESRCH;
	if (!rsession || ep->conn[rep] != rsession || !(ep->conn_mine[rep / 64] >> (rep % 64) & 1) ||
	    ep->conn_key[rep] != key || (was && was->session == rsession && !was->quiet))
		return -EPERM;
	return 0;
}

int mxd_remote_send_done(struct mxd_core *c, struct mxd_epref ref, uint64_t cookie,
			 uint8_t status, uint32_t xfer_length, bool quiet)
{
	struct mxd_endpoint *ep = ep_of(c, ref);

	if (!ep)
		return -ESRCH;
	mxd_ep_send_done_q(ep, cookie, quiet, status, xfer_length);
	remote_landed(ep);
	return 0;
}

int mxd_remote_wire_seq(struct mxd_core *c, struct mxd_epref ref, uint64_t cookie, uint16_t seq)
{
	struct mxd_endpoint *ep = ep_of(c, ref);
	struct mxn_evt e = { .type = MXN_EVT_WIRE_SEQ, .flags = MXN_EVTF_QUIET };

	if (!ep)
		return -ESRCH;
	/* Into the ring or nowhere: it is worth something only if it
	 * outlives us, and the backlog's bound counts completions only. */
	if (ep->closing || ep->quiet || ep->backlog.count || mxd_ep_room(ep) <= 0)
		return -ENOSPC;
	e.u.done.cookie = cookie;
	e.u.done.xfer_length = seq;
	*mxd_ep_slot(ep) = e;
	mxd_ep_commit(ep);
	return 0;
}

static struct mxd_rndv *send_of(struct mxd_endpoint *ep, uint32_t handle)
{
	struct mxd_rndv *r;

	LIST_FOREACH(r, &ep->rndv_out, src_link)
		if (!r->dst && r->handle == handle)
			return r;
	return NULL;
}

int mxd_remote_rndv_read(struct mxd_core *c, struct mxd_epref ref, uint32_t send_handle,
			 uint64_t off, void *buf, size_t len)
{
	struct mxd_endpoint *ep = ep_of(c, ref);
	struct mxd_rndv *r = ep ? send_of(ep, send_handle) : NULL;

	if (!r)
		return -ESRCH;
	if (off > r->length || len > r->length - off)
		return -ERANGE;
	if (r->send_staged) {
		/* the guest's own copy, in memory we share with it: no copy
		 * of its process's memory, no principal involved */
		memcpy(buf, ep->sendq + r->staged_off + off, len);
		c->st.send_staged++;
		c->st.send_staged_bytes += len;
		return 0;
	}
	if (ep->ops->region_read(ep, r->region, off, buf, len)) {
		ep->st.region_faults++;
		return -EFAULT;
	}
	return 0;
}

int mxd_remote_rndv_done(struct mxd_core *c, struct mxd_epref ref, uint32_t send_handle,
			 uint8_t status, uint32_t xfer_length)
{
	struct mxd_endpoint *ep = ep_of(c, ref);
	struct mxd_rndv *r = ep ? send_of(ep, send_handle) : NULL;

	if (!r)
		return -ESRCH;
	mxd_ep_done(ep, MXN_EVT_SEND_DONE, r->cookie, status, xfer_length);
	mxd_rndv_free(r);
	mxd_ep_activate(ep);
	return 0;
}

static struct mxd_rndv *pull_of(struct mxd_core *c, struct mxd_epref ref, uint32_t handle,
				struct mxd_endpoint **epp)
{
	struct mxd_endpoint *ep = ep_of(c, ref);
	struct mxd_rndv *r = ep ? mxd_rndv_table_find(ep, handle) : NULL;

	*epp = ep;
	return r && r->pulling ? r : NULL;
}

/*
 * A staged pull's bytes go into the receiver's recvq with a PULL_DATA event
 * that names them, and its library copies them into place itself: no write
 * into its memory (on the local transport a bounded cross-process copy: a
 * hand-off to the helper thread and two more copies of the block), and so
 * no privilege of ours involved.  False: no room in the ring or the recvq
 * now (the caller writes the bytes into the receiver's memory instead).
 */
static bool pull_stage(struct mxd_endpoint *ep, const struct mxd_rndv *r, uint64_t off,
		       const void *buf, size_t len)
{
	struct mxn_evt *e;
	uint32_t q;

	/* at most a quarter of the recvq: mediums arriving meanwhile need it;
	 * a quiet endpoint's ring is never written again (takes()) */
	if (!r->staged || ep->quiet || !len || len > ep->rq.size / 4 || !room(ep) ||
	    mxd_recvq_alloc(&ep->rq, (uint32_t)len, ep->evt.prod_pvt, &q))
		return false;
	memcpy(ep->recvq + q, buf, len);
	e = mxd_ep_slot(ep);
	memset(e, 0, sizeof(*e));
	e->type = MXN_EVT_PULL_DATA;
	e->length = (uint32_t)len;
	e->u.data.cookie = r->pull_cookie;
	e->u.data.off = q;
	e->u.data.msg_offset = (uint32_t)off;
	mxd_ep_commit(ep);
	ep->core->st.pull_staged++;
	ep->core->st.pull_staged_bytes += len;
	return true;
}

int mxd_remote_pull_write(struct mxd_core *c, struct mxd_epref ref, uint32_t pull_handle,
			  uint64_t off, const void *buf, size_t len)
{
	struct mxd_endpoint *ep;
	struct mxd_rndv *r = pull_of(c, ref, pull_handle, &ep);
	int err;

	if (!r)
		return -ESRCH;
	if (off > r->pull_len || len > r->pull_len - off)
		return -ERANGE;
	if (pull_stage(ep, r, off, buf, len))
		return 0;
	c->st.pull_written++;
	err = ep->ops->region_write(ep, r->pull_region, off, buf, len);
	/* A bounded copy that missed its bound (copy_bounded.h) is no fault:
	 * a loaded host misses it too; the engine asks for the bytes again. */
	if (err == -ETIMEDOUT || err == -EBUSY)
		return -EAGAIN;
	if (err) {
		ep->st.region_faults++;
		return -EFAULT;
	}
	return 0;
}

int mxd_remote_pull_done(struct mxd_core *c, struct mxd_epref ref, uint32_t pull_handle,
			 uint8_t status, uint32_t xfer_length)
{
	struct mxd_endpoint *ep;
	struct mxd_rndv *r = pull_of(c, ref, pull_handle, &ep);

	if (!r)
		return -ESRCH;
	/* A good completion must reach the receiver's ring before the engine
	 * releases the sender (its NOTIFY): a completion waiting in our
	 * backlog, or staged and not published, dies with us, and the sender
	 * would never announce that rendezvous again. */
	if (status == MXN_ST_OK && ep->quiet)
		return -EBUSY;
	if (status == MXN_ST_OK && !room(ep))
		return no_room(ep);
	if (xfer_length > r->pull_len)
		xfer_length = r->pull_len;
	ep->st.pull_bytes += xfer_length;
	mxd_ep_done(ep, MXN_EVT_PULL_DONE, r->pull_cookie, status, xfer_length);
	if (status == MXN_ST_OK)
		mxd_ep_publish(ep); /* the notify it owes still goes with the flush */
	mxd_rndv_table_del(ep, r);
	mxd_rndv_free(r);
	mxd_ep_wake_waiters(ep);
	remote_landed(ep);
	return 0;
}

int mxd_remote_lookup_done(struct mxd_core *c, struct mxd_epref ref, uint64_t cookie,
			   uint8_t status, uint64_t nic_id, uint16_t peer,
			   const char *name, uint32_t name_len)
{
	struct mxd_endpoint *ep = ep_of(c, ref);
	struct mxn_evt *e;
	uint32_t off = 0;

	if (!ep)
		return -ESRCH;
	if (name_len > MXN_HOSTNAME_MAX)
		return -EINVAL;
	remote_landed(ep);
	/* A name needs a recvq chunk tied to its slot, so it cannot wait in
	 * the backlog: without room, answer without the name. */
	if (!name_len || status != MXN_ST_OK || !room(ep) ||
	    mxd_recvq_alloc(&ep->rq, name_len, ep->evt.prod_pvt, &off)) {
		struct mxn_evt ev = { .type = MXN_EVT_LOOKUP_DONE, .status = status };

		ev.u.lookup.cookie = cookie;
		ev.u.lookup.nic_id = nic_id;
		ev.u.lookup.peer = peer;
		return mxd_ep_emit(ep, &ev);
	}
	memcpy(ep->recvq + off, name, name_len);
	e = mxd_ep_slot(ep);
	memset(e, 0, sizeof(*e));
	e->type = MXN_EVT_LOOKUP_DONE;
	e->status = status;
	e->u.lookup.cookie = cookie;
	e->u.lookup.nic_id = nic_id;
	e->u.lookup.peer = peer;
	e->u.lookup.name_len = (uint16_t)name_len;
	e->u.lookup.name_off = off;
	mxd_ep_commit(ep);
	return 0;
}
