/* SPDX-License-Identifier: MIT */
/*
 * Where a peer endpoint is now (live migration, docs/migration.md).  An
 * address names (nic id, index, session) plus the daemon's peer index as a
 * hint.  A route overrides both for one (nic id, index, session):
 *
 *  - on a peer of an endpoint that moved: MXN_EVT_MOVED, sent by our daemon
 *    once the mover's connect proved our connection (docs/security.md);
 *  - on the endpoint that moved: each re-connect's answer says where that
 *    peer is from here (moved along: this host; stayed: its host through
 *    this daemon's peer index).
 *
 * Without a route, a nic id this endpoint lived on names this host (the
 * guest's endpoints moved together: reattach.c nic_past).  Installing a
 * route holds new sends while sends to the old place are still in flight
 * (follow_inflight): they come back MXN_ST_MOVED and go again, in first
 * issue order, before anything newer (reattach.c resend list).
 */
#include <string.h>
#include "mxl.h"

static int route_index(const struct mx_endpoint *ep, uint64_t nic_id, uint8_t endpoint,
		       uint32_t session)
{
	uint32_t i;

	for (i = 0; i < MXL_ROUTES; i++) {
		const struct mxl_route *rt = &ep->routes[i];

		if (rt->used && rt->from_nic == nic_id && rt->endpoint == endpoint &&
		    rt->session == session)
			return (int)i;
	}
	return -1;
}

static const struct mxl_route *route_of(const struct mx_endpoint *ep, const struct mxl_addr *a)
{
	int i = route_index(ep, a->nic_id, a->endpoint, a->session);

	return i < 0 ? NULL : &ep->routes[i];
}

uint64_t mxl_addr_nic_now(const struct mx_endpoint *ep, const struct mxl_addr *a)
{
	const struct mxl_route *rt = route_of(ep, a);

	return rt ? rt->to_nic : mxl_nic_now(ep, a->nic_id);
}

uint16_t mxl_peer_now(const struct mx_endpoint *ep, const struct mxl_addr *a)
{
	const struct mxl_route *rt = route_of(ep, a);

	uint64_t nic_id = rt ? rt->to_nic : mxl_nic_now(ep, a->nic_id);

	/* this host's nic id (or one we lived on) is this host: an endpoint
	 * of the host we moved to was named by the old daemon's index of it */
	if (nic_id == ep->info.nic_id)
		return MXN_PEER_SELF;
	/* after a re-attach, the number this daemon gave that host */
	return mxl_peermap_find(ep, nic_id, rt ? rt->peer : a->peer);
}

/* Sends still in flight to the old place: newer ones wait for them. */
static void hold_inflight(struct mx_endpoint *ep, const struct mxl_addr *old)
{
	struct mxl_list *pos;

	mxl_list_for_each(pos, &ep->inflight) {
		struct mxl_req *r = mxl_container_of(pos, struct mxl_req, fl_link);

		/* a session is random: (index, session) names the peer */
		if ((r->kind != MXL_REQ_SEND && r->kind != MXL_REQ_ZOMBIE) || r->follow_hold ||
		    r->dest.endpoint != old->endpoint || r->dest.session != old->session)
			continue;
		r->follow_hold = true;
		ep->follow_inflight++;
	}
}

void mxl_follow_landed(struct mx_endpoint *ep, struct mxl_req *r)
{
	if (!r->follow_hold)
		return;
	r->follow_hold = false;
	if (ep->follow_inflight)
		ep->follow_inflight--;
}

void mxl_route_set(struct mx_endpoint *ep, const struct mxl_addr *old, uint64_t to_nic,
		   uint16_t peer)
{
	struct mxl_route *rt;
	uint32_t i;

	hold_inflight(ep, old);
	/* routes to where it was lead where it is (it moved again) */
	for (i = 0; i < MXL_ROUTES; i++) {
		rt = &ep->routes[i];
		if (rt->used && rt->to_nic == old->nic_id && rt->endpoint == old->endpoint &&
		    rt->session == old->session) {
			rt->to_nic = to_nic;
			rt->peer = peer;
			rt->used = rt->from_nic != to_nic || peer != rt->peer_hint;
		}
	}
	i = (uint32_t)route_index(ep, old->nic_id, old->endpoint, old->session);
	rt = i < MXL_ROUTES ? &ep->routes[i] : NULL;
	if (!rt) {
		rt = &ep->routes[ep->route_next++ % MXL_ROUTES]; /* the oldest goes */
		rt->from_nic = old->nic_id;
		rt->endpoint = old->endpoint;
		rt->session = old->session;
		rt->peer_hint = old->peer;
		rt->used = true;
	}
	rt->to_nic = to_nic;
	rt->peer = peer;
	/* its numbers go on under the nic id it has now */
	mxl_seq_rekey_one(ep->seqs, old->nic_id, old->endpoint, old->session, to_nic);
}

/* MXN_EVT_MOVED: our daemon checked the mover's proof; we check the event
 * is well-formed (a peer index for another host, 48-bit nic ids). */
void mxl_on_moved(struct mx_endpoint *ep, const struct mxn_evt *e)
{
	uint64_t to = e->src_nic_id & MXN_NIC_ID_MASK;
	struct mxl_addr old = {
		.nic_id = e->u.moved.old_nic_id, .endpoint = e->src_endpoint,
		.session = e->src_session, .peer = MXN_PEER_SELF, .valid = true,
	};

	if (old.nic_id >> 48 || !old.nic_id || !to || to == old.nic_id || !old.session ||
	    (to == ep->info.nic_id) != (e->src_peer == MXN_PEER_SELF)) {
		ep->counters[MXL_CNT_BAD_EVENT]++;
		return;
	}
	mxl_route_set(ep, &old, to, e->src_peer);
	ep->counters[MXL_CNT_FOLLOWED]++;
	ep->resend_at_ns = 0; /* what waits for it goes now */
}
