/* SPDX-License-Identifier: MIT */
/*
 * Command processing and local delivery.  Every function here takes a
 * validated COPY of a command; the guest's slot is never re-read.
 * Return convention of the handlers: 0 the command was consumed (its
 * completion is staged or will follow), -EAGAIN the receiver has no room
 * (the caller keeps the copy and retries when the receiver frees space),
 * -EBUSY a rendezvous send beyond the room (parked, core_park.c),
 * -EPROTO the guest violated the ABI (cut off).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <myrixen/board_name.h>
#include "core_priv.h"

struct mxd_epref mxd_ep_ref(const struct mxd_endpoint *ep)
{
	return (struct mxd_epref){ ep->index, ep->session };
}

/* ---- rendezvous table of a receiver (handles it may quote in PULL) ---- */

/* Double the table; -EAGAIN at the cap (the sender waits). */
static int rndv_table_grow(struct mxd_endpoint *dst)
{
	uint32_t cap = dst->rndv_in_cap * 2 > MXD_RNDV_IN_MAX ? MXD_RNDV_IN_MAX
							      : dst->rndv_in_cap * 2;
	struct mxd_rndv **t;

	if (cap <= dst->rndv_in_cap)
		return -EAGAIN;
	t = realloc(dst->rndv_in, cap * sizeof(*t));
	if (!t)
		return -EAGAIN;
	memset(t + dst->rndv_in_cap, 0, (cap - dst->rndv_in_cap) * sizeof(*t));
	dst->rndv_in = t;
	dst->rndv_in_cap = cap;
	return 0;
}

int mxd_rndv_table_add(struct mxd_endpoint *dst, struct mxd_rndv *r)
{
	for (uint32_t i = 0; i < dst->rndv_in_cap || !rndv_table_grow(dst); i++) {
		if (dst->rndv_in[i])
			continue;
		/* Generation in the high half: a stale handle never matches. */
		dst->rndv_gen++;
		r->handle = (dst->rndv_gen << 16) | i;
		r->dst = dst;
		dst->rndv_in[i] = r;
		return 0;
	}
	return -EAGAIN;
}

struct mxd_rndv *mxd_rndv_table_find(struct mxd_endpoint *dst, uint32_t handle)
{
	uint32_t i = handle & 0xffffu;

	if (i >= dst->rndv_in_cap || !dst->rndv_in[i] || dst->rndv_in[i]->handle != handle)
		return NULL;
	return dst->rndv_in[i];
}

void mxd_rndv_table_del(struct mxd_endpoint *dst, struct mxd_rndv *r)
{
	uint32_t i = r->handle & 0xffffu;

	if (i < dst->rndv_in_cap && dst->rndv_in[i] == r)
		dst->rndv_in[i] = NULL;
	r->dst = NULL;
}

/* Detach a rendezvous from its local sender (sender closing or send done). */
void mxd_rndv_release_src(struct mxd_rndv *r)
{
	struct mxd_endpoint *src = r->src;

	if (!src)
		return;
	LIST_REMOVE(r, src_link);
	src->nrndv_out--;
	mxd_guest_account(src->guest, -(int64_t)r->charge);
	mxd_park_room_freed(src->guest);
	r->src = NULL;
	r->src_gone = true;
	mxd_region_free(r->region);
	r->region = NULL;
}

void mxd_rndv_free(struct mxd_rndv *r)
{
	if (!r)
		return;
	if (r->job)
		r->job_ops->pull_cancel(r->job); /* its callback will not come */
	mxd_rndv_release_src(r);
	mxd_region_free(r->pull_region);
	free(r);
}

/* ---- helpers ---- */

/* The receive event's sender fields.  The send's sequence number (the
 * cookie's top bits, abi.h) rides in src_nic_id's top bits untouched: it
 * lets the receiver drop a send resent after a re-attach. */
static void fill_src(struct mxn_evt *e, const struct mxd_endpoint *src,
		     const struct mxn_cmd *c)
{
	e->length = c->length;
	e->match_info = c->match_info;
	e->pair_seq = c->pair_seq;
	e->src_nic_id = mxn_evt_nic_seq(src->core->nic_id, mxn_cmd_seq(c));
	e->src_peer = MXN_PEER_SELF;
	e->src_endpoint = src->index;
	e->src_session = src->session;
}

/*
 * The local destination of a send, or a status explaining why not.  The
 * send must name a connection of ep (see mxd_endpoint.conn): a session
 * value alone, guessed or read from an event, delivers nothing.
 */
static struct mxd_endpoint *local_dest(struct mxd_endpoint *ep, const struct mxn_cmd *c,
				       uint8_t *status)
{
	struct mxd_endpoint *dst = mxd_endpoint_lookup(ep->core, c->dest_endpoint);

	*status = MXN_ST_OK;
	if (!c->dest_session || ep->conn[c->dest_endpoint] != c->dest_session) {
		ep->st.unconnected++;
		ep->core->st.sends_unconnected++;
		*status = MXN_ST_BAD_SESSION;
	} else if (!dst && ep->core->away_session[c->dest_endpoint] == c->dest_session &&
		   mxd_core_is_quiet(ep->core, c->dest_endpoint))
		/* saved or migrated: it comes back (parked), unless it proved
		 * it lives on another host now (the library sends it there) */
		*status = ep->core->away_moved[c->dest_endpoint] ? MXN_ST_MOVED : MXN_ST_AWAY;
	else if (!dst || dst->fault || dst->quiet)
		*status = MXN_ST_CLOSED;
	else if (dst->session != c->dest_session)
		*status = MXN_ST_BAD_SESSION;
	return *status == MXN_ST_OK ? dst : NULL;
}

/*
 * A send to the live receiver dst failed here: dst still hears of it
 * (MXN_EVT_RECV_VOID), because its library counts our daemon-path sends to
 * keep them in order with the pair channel (pair.h).
 */
static void send_void(struct mxd_endpoint *ep, struct mxd_endpoint *dst,
		      const struct mxn_cmd *c)
{
	struct mxn_evt e = { .type = MXN_EVT_RECV_VOID };

	fill_src(&e, ep, c);
	e.length = 0;
	(void)mxd_ep_emit(dst, &e);
	mxd_ep_activate(dst);
}

/* Room for one receive event on dst: ring slot, no backlog ahead of it. */
bool mxd_ep_recv_room(struct mxd_endpoint *dst)
{
	return !dst->backlog.count && mxd_ep_room(dst) > 0;
}

static int remote_unavailable(struct mxd_endpoint *ep, uint8_t type, uint64_t cookie,
			      uint8_t status)
{
	ep->core->st.remote_unavailable++;
	mxd_ep_done(ep, type, cookie, status, 0);
	return 0;
}

/* ---- CONNECT ---- */

/*
 * A connect from an endpoint that moved here (moved_from), naming a peer
 * by the nic id it lived on: that peer moved along when its index here
 * belongs to the same guest (a guest's endpoints migrate together);
 * otherwise it stayed there and the connect goes over the wire.
 */
static bool moved_here_with(const struct mxd_endpoint *ep, const struct mxn_cmd_connect *cc)
{
	const struct mxd_endpoint *dst;

	if (!cc->moved_from || cc->nic_id != cc->moved_from || cc->moved_from == ep->core->nic_id)
		return false;
	dst = mxd_endpoint_lookup(ep->core, cc->endpoint);
	return dst && dst->guest == ep->guest;
}

/*
 * A connect from an endpoint that moved here from another host, to dst,
 * quoting dst's session: whether dst had it as a wire partner there (the
 * engine's records, docs/security.md); 1 when dst had connected to it with
 * the key this connect carries.  -EPERM for any other connect.
 */
static int moved_onto(const struct mxd_endpoint *ep, const struct mxd_endpoint *dst,
		      const struct mxn_cmd_connect *cc, bool commit)
{
	const struct mxd_core *core = ep->core;

	if (!cc->moved_from || cc->moved_from == core->nic_id || cc->proof != dst->session ||
	    !core->remote || !core->remote->moved_here)
		return -EPERM;
	return core->remote->moved_here(core->remote_priv, mxd_ep_ref(dst), cc->moved_from,
					ep->index, ep->session, cc->key, commit);
}

/* dst hears where the mover it had on the wire went: here.  The event
 * comes before the engine fails dst's sends to the old place (as for a
 * move followed over the wire), so they go again here at once. */
static void follow_onto(struct mxd_endpoint *ep, struct mxd_endpoint *dst,
			const struct mxn_cmd_connect *cc)
{
	struct mxd_src now = { .peer = MXN_PEER_SELF, .endpoint = ep->index,
			       .session = ep->session, .nic_id = ep->core->nic_id };

	if (moved_onto(ep, dst, cc, false) >= 0)
		(void)mxd_remote_moved(ep->core, mxd_ep_ref(dst), cc->moved_from, &now);
	(void)moved_onto(ep, dst, cc, true); /* follows it, or counts the refusal */
}

static int do_connect(struct mxd_endpoint *ep, const struct mxn_cmd *c)
{
	struct mxd_core *core = ep->core;
	struct mxd_endpoint *dst;
	struct mxn_evt e = { .type = MXN_EVT_CONNECT_DONE };
	int err;

	ep->st.connects++;
	if (moved_here_with(ep, &c->u.connect))
		goto local;
	if (c->u.connect.nic_id != core->nic_id) {
		if (!core->remote || !core->remote->connect)
			return remote_unavailable(ep, MXN_EVT_CONNECT_DONE, c->cookie,
						  MXN_ST_BAD_ENDPOINT);
		err = core->remote->connect(core->remote_priv, mxd_ep_ref(ep), c->cookie,
					    &c->u.connect);
		if (err)
			mxd_ep_done(ep, MXN_EVT_CONNECT_DONE, c->cookie,
				    mxd_remote_errno_status(err), 0);
		else
			ep->remote_inflight++;
		return 0;
	}
local:
	dst = mxd_endpoint_lookup(core, c->u.connect.endpoint);
	e.u.connect.cookie = c->cookie;
	e.u.connect.nic_id = core->nic_id;
	if (!dst || dst->fault)
		e.status = MXN_ST_BAD_ENDPOINT;
	else if (dst->key != c->u.connect.key && moved_onto(ep, dst, &c->u.connect, false) != 1)
		e.status = MXN_ST_BAD_KEY;
	else {
		e.u.connect.peer = MXN_PEER_SELF;
		e.u.connect.endpoint = dst->index;
		e.u.connect.session = dst->session;
		/* The key check passed: ep may send to dst, and dst may answer
		 * (as a wire partner may, Open-MX semantics). */
		ep->conn[dst->index] = dst->session;
		dst->conn[ep->index] = ep->session;
		ep->conn_key[dst->index] = c->u.connect.key;
		ep->conn_mine[dst->index / 64] |= 1ull << (dst->index % 64);
		/* The key check passed: the two may talk directly (pair.h).
		 * Both hear PAIR_OPEN before this CONNECT_DONE. */
		mxd_pair_broker(ep, dst);
		if (c->u.connect.moved_from && !moved_here_with(ep, &c->u.connect))
			follow_onto(ep, dst, &c->u.connect);
	}
	return mxd_ep_emit(ep, &e) == -ENOSPC ? -EPROTO : 0;
}

/* ---- SEND_TINY / SEND_QUEUED ---- */

static int do_send_msg(struct mxd_endpoint *ep, const struct mxn_cmd *c)
{
	struct mxd_core *core = ep->core;
	struct mxd_endpoint *dst;
	struct mxn_evt *e;
	uint8_t status;
	uint32_t off = 0;

	if (c->dest_peer != MXN_PEER_SELF) {
		const void *payload = c->op == MXN_CMD_SEND_TINY ? (const void *)c->u.tiny
								 : ep->sendq + c->u.q.off;
		int err;

		if (!core->remote || !core->remote->send_msg)
			return remote_unavailable(ep, MXN_EVT_SEND_DONE, c->cookie,
						  MXN_ST_BAD_ENDPOINT);
		err = core->remote->send_msg(core->remote_priv, mxd_ep_ref(ep), c, payload, c->length);
		if (err)
			mxd_ep_send_done(ep, c, mxd_remote_errno_status(err), 0);
		else
			ep->remote_inflight++;
		return 0;
	}
	dst = local_dest(ep, c, &status);
	if (status == MXN_ST_AWAY)
		return -EBUSY; /* parked until it is back (core_park.c) */
	if (!dst) {
		mxd_ep_send_done(ep, c, status, 0);
		return 0;
	}
	if (!mxd_ep_recv_room(dst))
		goto stall;
	if (c->op == MXN_CMD_SEND_QUEUED) {
		int err = mxd_recvq_alloc(&dst->rq, c->length, dst->evt.prod_pvt, &off);

		if (err == -ENOSPC)
			goto stall;
		if (err) {
			/* Longer than the receiver's whole recvq: can never fit. */
			ep->st.no_resources++;
			send_void(ep, dst, c);
			mxd_ep_send_done(ep, c, MXN_ST_NO_RESOURCES, 0);
			return 0;
		}
		/* Straight from one shared area to the other: the bytes are
		 * payload, never interpreted. */
		memcpy(dst->recvq + off, ep->sendq + c->u.q.off, c->length);
	}
	e = mxd_ep_slot(dst);
	memset(e, 0, sizeof(*e));
	fill_src(e, ep, c);
	if (c->op == MXN_CMD_SEND_TINY) {
		e->type = MXN_EVT_RECV_TINY;
		memcpy(e->u.tiny, c->u.tiny, c->length);
		ep->st.sent_tiny++;
		dst->st.recv_tiny++;
	} else {
		e->type = MXN_EVT_RECV_QUEUED;
		e->u.q.off = off;
		ep->st.sent_queued++;
		dst->st.recv_queued++;
	}
	mxd_ep_commit(dst);
	mxd_ep_send_done(ep, c, MXN_ST_OK, c->length);
	return 0;
stall:
	mxd_ep_wait_on(ep, dst);
	return -EAGAIN;
}

/* ---- SEND_RNDV ---- */

static int rndv_limits_ok(struct mxd_endpoint *ep, uint32_t length)
{
	const struct mxd_conf_limits *lim = &ep->core->cfg.limits;

	if (ep->nrndv_out >= ep->outstanding ||
	    ep->guest->registered_bytes + mxn_rndv_charge(length, lim->registered_bytes) >
		    lim->registered_bytes)
		return 0;
	return 1;
}

static int do_send_rndv(struct mxd_endpoint *ep, const struct mxn_cmd *c)
{
	struct mxd_core *core = ep->core;
	struct mxd_endpoint *dst = NULL;
	struct mxd_region *region = NULL;
	struct mxd_rndv *r = NULL;
	struct mxn_evt *e;
	uint8_t status = MXN_ST_OK;
	int err;

	if (c->dest_peer == MXN_PEER_SELF) {
		dst = local_dest(ep, c, &status);
		if (status == MXN_ST_AWAY)
			return -EBUSY; /* parked until it is back (core_park.c) */
		if (!dst)
			goto complete;
		/* Check room before copying anything: a stall retries it all. */
		if (!mxd_ep_recv_room(dst)) {
			mxd_ep_wait_on(ep, dst);
			return -EAGAIN;
		}
	} else if (!core->remote || !core->remote->send_rndv) {
		core->st.remote_unavailable++;
		status = MXN_ST_BAD_ENDPOINT;
		goto complete;
	}
	/* Beyond the room: parked until it frees (core_park.c), never
	 * refused, so no later send can overtake it. */
	if (!rndv_limits_ok(ep, c->length))
		return -EBUSY;
	err = mxd_region_copy(ep->sendq, ep->geo.sendq_size, c->u.rndv.desc_off,
			      c->u.rndv.desc_len, ep->ops->region_kind, &region);
	if (!err && region->total_len != c->length &&
	    !mxn_region_windowed(region->total_len, c->length))
		err = -EINVAL;
	if (!err && ep->ops->validate_region)
		err = ep->ops->validate_region(ep, region);
	if (err == -ENOMEM) {
		status = MXN_ST_NO_RESOURCES;
		goto complete;
	}
	if (err) {
		mxd_ep_fault(ep, "bad region descriptor in SEND_RNDV");
		err = -EPROTO;
		goto out;
	}
	/* A windowed region goes to local receivers only (core_window.c):
	 * the wire engine reads a region at any offset. */
	if (!dst && region->total_len != c->length) {
		status = MXN_ST_NO_RESOURCES;
		goto complete;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		status = MXN_ST_NO_RESOURCES;
		goto complete;
	}
	r->region = region;
	region = NULL;
	r->cookie = c->cookie;
	r->length = c->length;
	r->src = ep;
	LIST_INSERT_HEAD(&ep->rndv_out, r, src_link);
	ep->nrndv_out++;
	r->charge = mxn_rndv_charge(r->length, core->cfg.limits.registered_bytes);
	mxd_guest_account(ep->guest, (int64_t)r->charge);
	ep->st.sent_rndv++;
	if (!dst) {
		/* The wire engine names this send by a handle of ours, and reads
		 * the copy in the sendq when the library staged one (validated
		 * to lie in it, validate.c). */
		r->send_staged = c->flags & MXN_CMDF_STAGED;
		r->staged_off = c->u.rndv.staged_off;
		ep->rndv_gen++;
		r->handle = ep->rndv_gen;
		err = core->remote->send_rndv(core->remote_priv, mxd_ep_ref(ep), c, r->handle);
		if (err) {
			status = mxd_remote_errno_status(err);
			mxd_rndv_free(r);
			r = NULL;
			goto complete;
		}
		r = NULL;
		err = 0;
		goto out;
	}
	if (mxd_rndv_table_add(dst, r)) {
		/* The receiver has too many unpulled announcements: wait. */
		mxd_rndv_free(r);
		r = NULL;
		mxd_ep_wait_on(ep, dst);
		ep->st.sent_rndv--;
		err = -EAGAIN;
		goto out;
	}
	e = mxd_ep_slot(dst);
	memset(e, 0, sizeof(*e));
	fill_src(e, ep, c);
	e->type = MXN_EVT_RECV_RNDV;
	e->flags = c->flags & MXN_CMDF_SYNC ? MXN_EVTF_SYNC : 0;
	e->u.rndv.rndv_handle = r->handle;
	mxd_pull_pregrant(dst, r, e);
	mxd_ep_commit(dst);
	dst->st.recv_rndv++;
	r = NULL;
	err = 0;
	goto out;
complete:
	if (status == MXN_ST_NO_RESOURCES)
		ep->st.no_resources++;
	if (dst)
		send_void(ep, dst, c);
	mxd_ep_done(ep, MXN_EVT_SEND_DONE, c->cookie, status, 0);
	err = 0;
out:
	mxd_region_free(region);
	return err;
}

/* ---- LOOKUP ---- */

static int do_lookup(struct mxd_endpoint *ep, const struct mxn_cmd *c)
{
	struct mxd_core *core = ep->core;
	char name[MXN_HOSTNAME_MAX + 1];
	uint32_t name_len = c->u.lookup.name_len, hl = (uint32_t)strlen(core->hostname);
	uint32_t off;
	struct mxn_evt *e;
	bool ours;

	if (c->u.lookup.nic_id) {
		name_len = 0;
		ours = c->u.lookup.nic_id == core->nic_id;
	} else {
		memcpy(name, ep->sendq + c->u.lookup.name_off, name_len);
		name[name_len] = 0;
		/* "host" and "host:0" both name our only board */
		ours = mxn_board_name_eq(name, name_len, core->hostname, hl);
	}
	if (!ours) {
		int err;

		if (!core->remote || !core->remote->lookup)
			return remote_unavailable(ep, MXN_EVT_LOOKUP_DONE, c->cookie,
						  MXN_ST_NOT_FOUND);
		err = core->remote->lookup(core->remote_priv, mxd_ep_ref(ep), c->cookie,
					   c->u.lookup.nic_id, name_len ? name : NULL, name_len);
		if (err)
			mxd_ep_done(ep, MXN_EVT_LOOKUP_DONE, c->cookie,
				    err == -ENOENT ? MXN_ST_NOT_FOUND : mxd_remote_errno_status(err), 0);
		else
			ep->remote_inflight++;
		return 0;
	}
	/* The answer carries our hostname in the recvq: needs a slot and room. */
	if (!mxd_ep_recv_room(ep) || mxd_recvq_alloc(&ep->rq, hl ? hl : 1, ep->evt.prod_pvt, &off)) {
		mxd_ep_wait_on(ep, ep);
		return -EAGAIN;
	}
	memcpy(ep->recvq + off, core->hostname, hl);
	e = mxd_ep_slot(ep);
	memset(e, 0, sizeof(*e));
	e->type = MXN_EVT_LOOKUP_DONE;
	e->u.lookup.cookie = c->cookie;
	e->u.lookup.nic_id = core->nic_id;
	e->u.lookup.peer = MXN_PEER_SELF;
	e->u.lookup.name_len = (uint16_t)hl;
	e->u.lookup.name_off = off;
	mxd_ep_commit(ep);
	return 0;
}

/* ---- dispatch ---- */

int mxd_cmd_process(struct mxd_endpoint *ep, const struct mxn_cmd *c)
{
	struct mxd_cmd_limits lim = {
		.sendq_size = ep->geo.sendq_size,
		.medium_max = ep->core->cfg.limits.medium_max,
		.region_kind = ep->ops->region_kind,
	};
	int err = mxd_cmd_validate(c, &lim);

	if (err == -EOPNOTSUPP) {
		/* An opcode from a newer ABI: reject cleanly (abi.h rule), but
		 * a stream of them is a flood. */
		ep->st.bad_cmds++;
		ep->core->st.bad_cmds++;
		mxd_ep_done(ep, MXN_EVT_SEND_DONE, c->cookie, MXN_ST_BAD_REQUEST, 0);
		if (ep->st.bad_cmds > MXD_BAD_CMDS_MAX) {
			mxd_ep_fault(ep, "flood of unknown opcodes");
			return -EPROTO;
		}
		return 0;
	}
	if (err) {
		ep->st.bad_cmds++;
		ep->core->st.bad_cmds++;
		mxd_ep_fault(ep, "malformed command (length/offset out of range)");
		return -EPROTO;
	}
	switch (c->op) {
	case MXN_CMD_NOP:
	case MXN_CMD_DISCONNECT:
		return 0;
	case MXN_CMD_CONNECT:
		return do_connect(ep, c);
	case MXN_CMD_SEND_TINY:
	case MXN_CMD_SEND_QUEUED:
		return do_send_msg(ep, c);
	case MXN_CMD_SEND_RNDV:
		return do_send_rndv(ep, c);
	case MXN_CMD_PULL:
		return mxd_cmd_pull(ep, c);
	case MXN_CMD_PULL_FIN:
		return mxd_cmd_pull_fin(ep, c);
	case MXN_CMD_PULL_WIRE:
		return mxd_cmd_pull_wire(ep, c);
	case MXN_CMD_REGION_NEXT:
		return mxd_cmd_region_next(ep, c);
	case MXN_CMD_LOOKUP:
		return do_lookup(ep, c);
	case MXN_CMD_WAKE:
		mxd_ep_done(ep, MXN_EVT_WAKE, c->cookie, MXN_ST_OK, 0);
		return 0;
	case MXN_CMD_PAIR_FAULT:
		return mxd_pair_fault(ep, c);
	case MXN_CMD_PAIR_XEN:
		return mxd_pair_xen(ep, c);
	}
	return 0;
}
